"""How close detection comes to the statistical limit: ``gmd backtest`` vs an oracle CUSUM.

For a step change in a Poisson rate the CUSUM that knows the rates before and after
is optimal (Lorden, Moustakides): no detector with the same false alarms per day
detects sooner on average.  This benchmark measures the detector against it:

* synthetic Poisson counts in 10 s buckets, two days a series; a step to ``m`` × the
  base rate for 30 minutes at a random bucket of the second day (the first is learning);
  base rates 5 and 20 a bucket, ``m`` of 1.5, 2 and 3, ``--series`` series per
  configuration, and as many change-free series of each base rate;
* all of them in one keyed CSV through the real ``gmd backtest`` (shipped defaults);
  its false alarms per series-day on the change-free series, and per configuration the
  median delay from the change to ``detected`` (a change not detected before it ends is
  missed; an anomaly detected before the change is a false alarm);
* the oracle: a Poisson CUSUM knowing both rates, ``S = max(0, S + x·log m − (m−1)·μ)``,
  its threshold set on fresh change-free series to the detector's false alarms per
  series-day (but no fewer than one per 100 series-days), run over the very same series;
* the ratio of the detector's median delay to the oracle's, per configuration.

Targets: ratio <= 1.5 for m >= 2 and <= 2 for m = 1.5, nothing missed at m >= 2,
false alarms <= 0.1 per series-day.  Last line: one JSON object.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

BUCKET_S = 10
DAY_BUCKETS = 86400 // BUCKET_S
CHANGE_BUCKETS = 30 * 60 // BUCKET_S
T0 = 1_735_689_600  # 2025-01-01T00:00:00Z
BASES = (5.0, 20.0)
RATIOS = (1.5, 2.0, 3.0)
MIN_FA_PER_SERIES_DAY = 0.01
ORACLE_CALIBRATION_DAYS = 1000


@dataclass(frozen=True)
class Plan:
    key: str
    base: float
    ratio: float
    """1.0 for a change-free series."""
    change: int
    """Bucket index of the step (-1: none)."""


def parse() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--series", type=int, default=10, help="series per configuration")
    parser.add_argument("--days", type=float, default=2.0)
    parser.add_argument("--seed", type=int, default=15)
    return parser.parse_args()


def make_series(
    args: argparse.Namespace, rng: np.random.Generator
) -> tuple[list[Plan], np.ndarray]:
    """Every series' plan and counts (series × buckets)."""
    n = int(args.days * DAY_BUCKETS)
    plans = []
    for base in BASES:
        for ratio in RATIOS:
            for i in range(args.series):
                change = int(rng.integers(DAY_BUCKETS, n - CHANGE_BUCKETS - 6))
                plans.append(Plan(f"b{base:g}-m{ratio:g}-{i}", base, ratio, change))
        for i in range(args.series * len(RATIOS)):
            plans.append(Plan(f"b{base:g}-calm-{i}", base, 1.0, -1))
    rates = np.array([[p.base] * n for p in plans])
    for row, p in zip(rates, plans, strict=True):
        if p.change >= 0:
            row[p.change : p.change + CHANGE_BUCKETS] *= p.ratio
    return plans, rng.poisson(rates).astype(np.float64)


def run_backtest(plans: list[Plan], counts: np.ndarray, tmp: Path) -> pd.DataFrame:
    n = counts.shape[1]
    times = T0 + BUCKET_S * np.arange(n)
    frame = pd.DataFrame(
        {
            "time": np.tile(times, len(plans)),
            "value": counts.reshape(-1).astype(np.int64),
            "series": np.repeat([p.key for p in plans], n),
        }
    )
    src, out = tmp / "limit.csv", tmp / "anomalies.csv"
    frame.to_csv(src, index=False)
    cli = [sys.executable, "-c", "from gmd.cli import main; main()", "backtest"]
    cmd = [*cli, str(src), "--key-column", "series", "-o", str(out)]
    done = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        sys.exit(f"limit: gmd backtest failed: {done.stderr.strip()}")
    return pd.read_csv(out)


def cusum_alarm_counts(counts: np.ndarray, base: float, ratio: float, h: np.ndarray) -> np.ndarray:
    """Alarms of the oracle CUSUM per threshold, over all rows (reset after an alarm)."""
    llr = counts * np.log(ratio) - (ratio - 1.0) * base
    s = np.zeros((len(h), counts.shape[0]))
    alarms = np.zeros(len(h))
    for t in range(counts.shape[1]):
        s = np.maximum(0.0, s + llr[:, t])
        hit = s >= h[:, None]
        alarms += hit.sum(axis=1)
        s[hit] = 0.0
    return alarms


def cusum_delay(row: np.ndarray, base: float, ratio: float, h: float, change: int) -> float | None:
    """Seconds from the change to the end of the bucket where the oracle alarms (its
    alarms before the change are false ones: it resets and goes on)."""
    llr = row * np.log(ratio) - (ratio - 1.0) * base
    s = 0.0
    for t, step in enumerate(llr):
        s = max(0.0, s + step)
        if s >= h:
            if t >= change:
                return float((t - change + 1) * BUCKET_S)
            s = 0.0
    return None


def oracle_threshold(base: float, ratio: float, fa_rate: float, rng: np.random.Generator) -> float:
    """Smallest threshold whose false alarms per series-day on fresh change-free
    series stay at or below ``fa_rate``."""
    grid = np.arange(4.0, 22.0, 0.25)
    fresh = rng.poisson(base, (ORACLE_CALIBRATION_DAYS, DAY_BUCKETS)).astype(np.float64)
    rate = cusum_alarm_counts(fresh, base, ratio, grid) / ORACLE_CALIBRATION_DAYS
    ok = np.flatnonzero(rate <= fa_rate)
    return float(grid[ok[0]]) if len(ok) else float(grid[-1])


def _finite(value: float) -> float | None:
    """JSON has no infinity: a median over mostly missed changes is ``null``."""
    return float(value) if np.isfinite(value) else None


def main() -> None:
    args = parse()
    started = time.time()
    rng = np.random.default_rng(args.seed)
    plans, counts = make_series(args, rng)
    with tempfile.TemporaryDirectory(prefix="gmd-bench-limit-") as tmp:
        found = run_backtest(plans, counts, Path(tmp))
    detected = pd.to_datetime(found["detected"], utc=True) - pd.Timestamp(0, tz="UTC")
    found["t"] = detected // pd.Timedelta(seconds=1)
    by_key = {k: sorted(g["t"]) for k, g in found.groupby("key")}
    days = args.days
    false_alarms, calm_days = 0, 0.0
    delays: dict[tuple[float, float], list[float]] = {}
    missed: dict[tuple[float, float], int] = {}
    for p in plans:
        flags = by_key.get(p.key, [])
        if p.change < 0:
            false_alarms += len(flags)
            calm_days += days
            continue
        start = T0 + p.change * BUCKET_S
        end = start + CHANGE_BUCKETS * BUCKET_S
        false_alarms += sum(1 for t in flags if t <= start)
        calm_days += p.change / DAY_BUCKETS
        hit = [t - start for t in flags if start < t <= end + BUCKET_S]
        delays.setdefault((p.base, p.ratio), []).append(hit[0] if hit else float("inf"))
        if not hit:
            missed[(p.base, p.ratio)] = missed.get((p.base, p.ratio), 0) + 1
    fa_rate = false_alarms / calm_days
    target_rate = max(fa_rate, MIN_FA_PER_SERIES_DAY)
    print(f"detector: {len(found)} anomalies; {false_alarms} false alarms over "
          f"{calm_days:.0f} change-free series-days = {fa_rate:.4f}/series-day; "
          f"oracle calibrated to {target_rate:.4f}")  # fmt: skip
    configs: list[dict[str, float | int | None]] = []
    ratios: list[float] = []
    for base in BASES:
        for ratio in RATIOS:
            mine = [p for p in plans if p.base == base and p.ratio == ratio]
            h = oracle_threshold(base, ratio, target_rate, rng)
            oracle = [cusum_delay(counts[plans.index(p)], base, ratio, h, p.change) for p in mine]
            # A miss counts as an infinite delay: half missed and the median is infinite.
            med_ours = float(np.median(delays[(base, ratio)]))
            med_oracle = float(np.median([np.inf if d is None else d for d in oracle]))
            ratio_delay = med_ours / med_oracle
            configs.append(
                {
                    "base": base, "m": ratio, "detector_median_s": _finite(med_ours),
                    "oracle_median_s": _finite(med_oracle),
                    "delay_ratio": _finite(round(ratio_delay, 2)),
                    "missed": missed.get((base, ratio), 0), "oracle_threshold": round(h, 2),
                }
            )  # fmt: skip
            ratios.append(ratio_delay)
            lost = missed.get((base, ratio), 0)
            print(f"  base {base:4g} m {ratio:3g}: detector median {med_ours:6.0f} s "
                  f"(missed {lost}/{len(mine)}), oracle {med_oracle:5.0f} s "
                  f"(h {h:.2f}), ratio {ratio_delay:.2f}")  # fmt: skip
    strong_missed = sum(missed.get((b, m), 0) for b in BASES for m in RATIOS if m >= 2)
    print(f"{len(plans)} series, {days:g} days each, in {time.time() - started:.0f} s")
    print(
        json.dumps(
            {
                "configs": configs,
                "delay_ratio_max": _finite(round(max(ratios), 2)),
                "missed": strong_missed,
                "fa_per_series_day": round(fa_rate, 4),
            }
        )
    )


if __name__ == "__main__":
    main()
