"""``gmd backtest``: the worker's count detector over a CSV of history.

Before trusting a threshold, run it over last year's Double-11: the same
:class:`alerts.detection.model.CountModel` (robust level, over-dispersion,
negative-binomial test over sliding windows), the same Benjamini–Hochberg
control across keys per time step and the same incident hysteresis as the
worker, with the thresholds from the settings.  Only the bucket width comes
from the data (any regular interval, seconds to hours).  With a key column each
key is its own series, judged on its own level (keys need not add up to a
whole); from a 5-minute interval up a daily profile is learned as well (decided
from the interval alone: the file's length is the future, and a run must not use it).
Output: one row per anomaly, ``start,detected,end,direction,score``; on request also
what the detector expected of every bucket (:class:`Expectation`), for ``--plot``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from alerts.anomaly import Anomaly
from alerts.detection.contacts import lone_signals
from alerts.detection.incidents import IncidentTracker
from alerts.detection.model import CountModel
from alerts.detection.scoring import Span, span_of
from datasources.settings import DetectionSettings

DAY_S = 86400
COLUMNS = ("start", "detected", "end", "direction", "score")
"""``start`` is the onset estimated once the anomaly was confirmed (back-dated to where
the evidence began); ``detected`` is when the detector, reading the series in order,
first flagged it (the end of the bucket that opened it): score detection delays on it."""
SEASONAL_MIN_INTERVAL_S = 300
PROGRESS_STEPS = 100
"""How many times a run reports its progress (about once a percent)."""


class BacktestError(ValueError):
    """The input cannot be backtested; the message is one line for the user."""


@dataclass(frozen=True)
class Series:
    """The input as a regular grid: times (epoch s) × keys, NaN where not measured."""

    times: np.ndarray
    keys: list[str]
    values: np.ndarray
    interval_s: int


def prepare(
    frame: pd.DataFrame, time_column: str, value_column: str, key_column: str | None = None
) -> Series:
    """Validate the columns, parse times and check the interval is regular."""
    wanted = [c for c in (time_column, value_column, key_column) if c is not None]
    missing = [c for c in wanted if c not in frame.columns]
    if missing:
        known = ", ".join(map(str, frame.columns))
        raise BacktestError(f"no column {missing[0]!r} in the CSV (columns: {known})")
    if frame.empty:
        raise BacktestError("the CSV has no rows")
    times = _parse_times(frame[time_column], time_column)
    blank = frame[value_column].isna()  # an empty cell is a bucket not measured, like a gap
    values = pd.to_numeric(frame[value_column], errors="coerce")
    bad = (values.isna() & ~blank) | (values < 0)
    if bad.any():
        row = int(np.flatnonzero(bad.to_numpy())[0]) + 2
        raise BacktestError(
            f"column {value_column!r} must hold non-negative numbers (line {row}: "
            f"{frame[value_column].iloc[row - 2]!r})"
        )
    keys = frame[key_column].astype(str) if key_column else pd.Series("", index=frame.index)
    table = pd.DataFrame({"t": times, "k": keys.to_numpy(), "v": values.to_numpy(dtype=float)})
    grid = table.groupby(["t", "k"])["v"].sum(min_count=1).unstack("k")
    interval = _interval(grid.index.to_numpy(dtype=np.int64))
    full = np.arange(grid.index.min(), grid.index.max() + interval, interval)
    grid = grid.reindex(full)
    return Series(full, [str(k) for k in grid.columns], grid.to_numpy(dtype=float), interval)


def _parse_times(column: pd.Series, name: str) -> np.ndarray:
    numeric = pd.to_numeric(column, errors="coerce")
    if numeric.notna().all():
        scale = 1000.0 if numeric.abs().max() > 1e11 else 1.0  # epoch milliseconds
        return np.asarray(np.floor(numeric.to_numpy(dtype=float) / scale), dtype=np.int64)
    parsed = pd.to_datetime(column, errors="coerce", utc=True, format="mixed")
    if parsed.isna().any():
        row = int(np.flatnonzero(parsed.isna().to_numpy())[0])
        raise BacktestError(
            f"column {name!r}: cannot parse {column.iloc[row]!r} as a time (line {row + 2})"
        )
    seconds = (parsed - pd.Timestamp(0, tz="UTC")) // pd.Timedelta(seconds=1)
    return np.asarray(seconds, dtype=np.int64)


def _interval(times: np.ndarray) -> int:
    if len(times) < 2:
        raise BacktestError("need at least two distinct times to find the interval")
    steps = np.diff(times)
    interval = int(np.min(steps))
    if interval <= 0:
        raise BacktestError("times must be distinct per key")
    if np.any(steps % interval):
        odd = int(steps[np.flatnonzero(steps % interval)[0]])
        raise BacktestError(
            f"irregular interval: steps of {interval} s and {odd} s "
            "(expected one regular interval, gaps allowed)"
        )
    return interval


@dataclass(frozen=True)
class Expectation:
    """What the detector expected of every bucket (times × keys, NaN where a series was
    still learning or not measured): its expected count and the over-dispersion ``alpha``
    its count test used (variance ``mu + alpha·mu²``)."""

    expected: np.ndarray
    dispersion: np.ndarray

    def band(self, coverage: float = 0.99) -> tuple[np.ndarray, np.ndarray]:
        """The central range holding ``coverage`` of ordinary buckets under the detector's
        negative binomial: a picture of "normal", not the alarm threshold (the test also
        sums windows of buckets and asks for a minimum effect)."""
        n = 1.0 / np.maximum(self.dispersion, 1e-6)
        p = n / (n + np.maximum(self.expected, 1e-9))
        tail = (1.0 - coverage) / 2.0
        with np.errstate(invalid="ignore"):
            low = stats.nbinom.ppf(tail, n, p)
            high = stats.nbinom.ppf(1.0 - tail, n, p)
        unknown = np.isnan(self.expected)
        return np.where(unknown, np.nan, low), np.where(unknown, np.nan, high)


@dataclass(frozen=True)
class Result:
    anomalies: pd.DataFrame
    """One row per anomaly (incident), :data:`COLUMNS` (+ ``key`` for a keyed file)."""
    expectation: Expectation | None
    """Per bucket, when asked for (``record=True``)."""


def backtest(
    data: Series,
    cfg: DetectionSettings,
    progress: Callable[[int, int], None] | None = None,
) -> pd.DataFrame:
    """Run the detector over the grid; one row per anomaly (incident)."""
    return run(data, cfg, progress).anomalies


def run(
    data: Series,
    cfg: DetectionSettings,
    progress: Callable[[int, int], None] | None = None,
    *,
    record: bool = False,
) -> Result:
    """Run the detector over the grid; with ``record`` keep what it expected of each bucket.

    ``progress(done, total)`` is called about once a percent of the time steps and at the end.
    """
    cfg = cfg.model_copy(update={"bucket_s": data.interval_s})
    seasonal = data.interval_s >= SEASONAL_MIN_INTERVAL_S and DAY_S % data.interval_s == 0
    model = CountModel(
        cfg,
        normalise=False,
        season_buckets=DAY_S // data.interval_s if seasonal else 0,
        sequential=True,
        weekly=seasonal and cfg.weekly_profile,
    )
    tracker = IncidentTracker(cfg)
    rows: list[dict[str, object]] = []
    detected: dict[str, float] = {}
    """Open incident → the end of the bucket that opened it (when the detector knew)."""
    keys = [f"k{i}" for i in range(len(data.keys))]
    total = len(data.times)
    every = max(1, -(-total // PROGRESS_STEPS))  # ceiling: at most PROGRESS_STEPS reports
    expected = np.full(data.values.shape, np.nan) if record else None
    alpha = np.full(data.values.shape, np.nan) if record else None
    for step, (t, values) in enumerate(zip(data.times, data.values, strict=True)):
        if alpha is not None and model.ids:
            alpha[step] = model.dispersion  # the one the test of this bucket uses
        result = model.step(int(t), keys, values)
        if expected is not None:
            expected[step] = model.hist_exp[:, -1]
        signals = lone_signals(model, result, set(tracker.open), metric="value")
        for anomaly in tracker.step(float(t), signals):
            known = detected.setdefault(anomaly.fingerprint, float(anomaly.detail["detected_at"]))
            if anomaly.ended is not None:
                rows.append(_row(data, anomaly, known))
                del detected[anomaly.fingerprint]
        if progress is not None and step % every == 0:
            progress(step, total)
    if progress is not None:
        progress(total, total)
    last = float(data.times[-1] + data.interval_s)
    for fp, incident in tracker.open.items():
        p = incident.last
        rows.append(
            {
                "start": incident.onset, "detected": detected[fp], "end": last,
                "direction": _direction(p["kind"]), "score": incident.peak_score,
                "key": data.keys[int(p["series"][1:])],
            }
        )  # fmt: skip
    found = _frame(rows, bool(data.keys != [""]))
    kept = None if expected is None or alpha is None else Expectation(expected, alpha)
    return Result(found, kept)


def _row(data: Series, anomaly: Anomaly, detected: float) -> dict[str, object]:
    return {
        "start": anomaly.onset, "detected": detected, "end": anomaly.ended,
        "direction": _direction(anomaly.kind.value),
        "score": float(anomaly.detail.get("peak_score", anomaly.score)),
        "key": data.keys[int(anomaly.series[1:])],
    }  # fmt: skip


def _direction(kind: str) -> str:
    return "up" if kind == "spike" else "down"


def _frame(rows: list[dict[str, object]], keyed: bool) -> pd.DataFrame:
    columns = [*COLUMNS, *(["key"] if keyed else [])]
    frame = pd.DataFrame(rows, columns=[*COLUMNS, "key"])
    frame = frame.sort_values(["start", "key"], kind="stable")
    for col in ("start", "detected", "end"):
        frame[col] = pd.to_datetime(frame[col], unit="s", utc=True).dt.strftime(
            "%Y-%m-%dT%H:%M:%SZ"
        )
    frame["score"] = frame["score"].astype(float).round(2)
    return frame[columns].reset_index(drop=True)


def spans(data: Series) -> dict[str, Span]:
    """The scored span of each series (after its learning period), for :mod:`scoring`."""
    out = {}
    for j, key in enumerate(data.keys):
        measured = data.times[~np.isnan(data.values[:, j])]
        if len(measured):
            out[key] = span_of(measured, data.interval_s)
    return out


def detected_times(found: pd.DataFrame) -> dict[str, list[float]]:
    """Detection times (epoch seconds) by series key from :func:`backtest`'s output."""
    keys = found["key"] if "key" in found.columns else pd.Series("", index=found.index)
    seconds = pd.to_datetime(found["detected"], utc=True) - pd.Timestamp(0, tz="UTC")
    out: dict[str, list[float]] = {}
    for key, t in zip(keys.astype(str), seconds // pd.Timedelta(seconds=1), strict=True):
        out.setdefault(key, []).append(float(t))
    return out
