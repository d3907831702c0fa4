"""Count baselines and the count test, for every series at once.

Each series keeps a robust level: its *share* of a parent total (the worker
passes each line the other lines' contacts) or, for a lone series, its plain
count.  A Double-11 midnight surge multiplies every series and the reference
alike, so shares stay put and nothing rings; an incident moves one series' share.
(No common-mode correction on top: a factor fitted over all series is dragged by
the very incident it should ignore when a big line collapses, or when one of a
handful of voice series storms.)  Optionally a multiplicative seasonal profile
(``season_buckets`` per cycle) captures a daily shape in a lone series.

The level learns with an EWMA of observations clipped to ±3 standard deviations
(outliers barely move it), five times slower while a series is anomalous and
twenty times slower while its business line has an open incident.  The test sums
the last ``w`` buckets for each configured window and takes the smallest
negative-binomial tail probability (Bonferroni over windows), so a sharp spike is
caught in one bucket and a moderate one within a minute.
Missing buckets are NaN in the history and count neither way.

A lone series with no reference (``gmd backtest``: ``sequential=True``) is judged
differently: its own dispersion without a floor, a smoothed daily profile, and the
sequential evidence of :mod:`alerts.detection.sequential` (a CUSUM bank against a bar
each series sets from its own history to ``false_alarms_per_day``) instead of fixed
windows under one global threshold, which rang all day on bursty real series.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from alerts.detection.records import ExcessRecords
from alerts.detection.sequential import CusumBank
from alerts.detection.significance import BoolArray, FloatArray, nb_lower_p, nb_upper_p
from alerts.detection.weekly import WeeklyProfile
from datasources.settings import DetectionSettings

_CLIP_SD = 3.0
_ANOMALOUS_P = 1e-3
_SEASON_RATE = 0.2
_MAX_DISPERSION = 1.0
_INITIAL_DISPERSION = 0.1
_DISPERSION_PRIOR = 1.0
"""Weight (in expected² units) of the initial alpha: a trickle (expected well below one
contact a bucket) cannot estimate its own over-dispersion, so it keeps the prior."""
_CALM_P = 0.05
_SMOOTH_PHASES = 2
_CAP_BARS = 2.0
"""Sequential evidence is capped at twice the bar: beyond it more evidence says nothing
new, and an uncapped sum would keep an incident open for days after it ended."""
_MIN_SEQUENTIAL_DISPERSION = 1e-4
_HELD_SLOWDOWN = 20.0
"""How much slower a *held* series learns (an incident is open on its business line):
a line down for twenty minutes must not teach its reasons that zero is normal, or
they all look like spikes the moment it recovers."""


@dataclass
class CountResult:
    """One tick of the count test; arrays are aligned with ``ids``."""

    ids: list[str]
    p_up: FloatArray
    p_down: FloatArray
    obs_up: FloatArray
    exp_up: FloatArray
    win_up: FloatArray
    obs_down: FloatArray
    exp_down: FloatArray
    win_down: FloatArray
    obs_long: FloatArray
    """Sums over the longest window: used to keep an incident open (hysteresis)."""
    exp_long: FloatArray
    z_long: FloatArray
    elevated: tuple[BoolArray, BoolArray] | None = None
    """Sequential mode: (up, down) evidence past half the bar, which keeps an incident open."""
    onset_back: tuple[FloatArray, FloatArray] | None = None
    """Sequential mode: (up, down) buckets back to where the evidence began."""


class CountModel:
    """Baselines of many count series, stepped one bucket at a time."""

    def __init__(
        self,
        cfg: DetectionSettings,
        *,
        normalise: bool = True,
        season_buckets: int = 0,
        windows: Sequence[int] | None = None,
        min_excess: float | None = None,
        sequential: bool = False,
        weekly: bool = False,
    ) -> None:
        self.cfg = cfg
        self.windows = sorted(windows or cfg.windows)
        self.min_excess = cfg.min_spike_excess if min_excess is None else min_excess
        self.normalise = normalise
        self.season_buckets = season_buckets
        self.depth = max(max(self.windows), cfg.trend_points)
        self.ids: list[str] = []
        self._pos: dict[str, int] = {}
        self.level = np.zeros(0)
        self.disp_num = np.zeros(0)
        self.disp_den = np.zeros(0)
        self.seen = np.zeros(0)
        self.season = np.ones((0, max(season_buckets, 1)))
        self.hist_obs = np.full((0, self.depth), np.nan)
        self.hist_exp = np.full((0, self.depth), np.nan)
        self.hist_ref = np.full((0, self.depth), np.nan)
        self.last_bucket: int | None = None
        self.sequential = sequential
        self.bank = CusumBank()
        self.records = ExcessRecords(cfg.bucket_s) if sequential else None
        """Lone series only: the live path's reference already says what is ordinary."""
        self.weekly = WeeklyProfile(cfg.bucket_s) if weekly else None

    # -- registry ---------------------------------------------------------------
    def _register(self, ids: Sequence[str]) -> npt.NDArray[np.intp]:
        pos = self._pos
        new = [s for s in dict.fromkeys(ids) if s not in pos]
        if new:
            k = len(new)
            for series in new:
                pos[series] = len(self.ids)
                self.ids.append(series)
            self.level = np.concatenate([self.level, np.zeros(k)])
            self.disp_num = np.concatenate([self.disp_num, np.full(k, _INITIAL_DISPERSION)])
            self.disp_den = np.concatenate([self.disp_den, np.ones(k)])
            self.seen = np.concatenate([self.seen, np.zeros(k)])
            self.season = np.vstack([self.season, np.ones((k, self.season.shape[1]))])
            blank = np.full((k, self.depth), np.nan)
            self.hist_obs = np.vstack([self.hist_obs, blank])
            self.hist_exp = np.vstack([self.hist_exp, blank.copy()])
            self.hist_ref = np.vstack([self.hist_ref, blank.copy()])
            self.bank.grow(k)
            if self.records is not None:
                self.records.grow(k)
            if self.weekly is not None:
                self.weekly.grow(k)
        return np.fromiter((pos[s] for s in ids), dtype=np.intp, count=len(ids))

    def _advance(self, bucket: int) -> None:
        gap = 1 if self.last_bucket is None else (bucket - self.last_bucket) // self.cfg.bucket_s
        gap = max(1, min(int(gap), self.depth))
        self.hist_obs = np.roll(self.hist_obs, -gap, axis=1)
        self.hist_exp = np.roll(self.hist_exp, -gap, axis=1)
        self.hist_ref = np.roll(self.hist_ref, -gap, axis=1)
        self.hist_obs[:, -gap:] = np.nan
        self.hist_exp[:, -gap:] = np.nan
        self.hist_ref[:, -gap:] = np.nan
        self.last_bucket = bucket

    # -- one tick ---------------------------------------------------------------
    def register(self, ids: Sequence[str]) -> list[str]:
        """Make sure these series exist; returns every known series id, in array order."""
        self._register(ids)
        return self.ids

    def step(
        self,
        bucket: int,
        ids: Sequence[str],
        values: FloatArray,
        scale: float | FloatArray = 1.0,
        held: BoolArray | None = None,
    ) -> CountResult:
        """Observe one bucket (absent series count 0) and test every warm series.

        ``scale`` is the reference the level is a share of: one number, or one per
        known series (aligned with :meth:`register`'s ids) so that a series can be
        judged against everything *but* its own business line.  ``held`` (aligned the
        same way) marks series whose baseline barely learns this bucket.
        """
        where = self._register(ids)
        x = np.zeros(len(self.ids))
        np.add.at(x, where, np.asarray(values, dtype=np.float64))
        missing = np.isnan(x)  # NaN = not measured (backtest gaps), unlike an absent count: 0
        self._advance(bucket)
        phase = (bucket // self.cfg.bucket_s) % self.season_buckets if self.season_buckets else 0
        seasonal = self._seasonal(phase)
        week = 1.0 if self.weekly is None else self.weekly.factor(bucket + self.cfg.bucket_s / 2)
        scale = scale * week  # the day of the week scales what the level would expect
        base = self.level * seasonal * scale
        warm = self.seen >= self.cfg.warmup_buckets
        expected = base
        self.hist_obs[:, -1] = x
        self.hist_exp[:, -1] = np.where(warm & ~missing, expected, np.nan)
        self.hist_ref[:, -1] = np.where(warm & ~missing, scale * np.ones_like(x), np.nan)
        if self.sequential:
            result, p_min = self._sequential(x, expected, warm & ~missing, bucket // 86400)
        else:
            result = self._test(warm & ~missing)
            p_min = np.minimum(result.p_up, result.p_down)
        unit = np.where(missing, 0.0, seasonal * scale)
        reference = np.where(missing, 0.0, scale * np.ones_like(x))
        held = np.zeros(len(x), dtype=bool) if held is None else held
        clipped = self._learn(np.nan_to_num(x), expected, unit, reference, warm, p_min, phase, held)
        if self.weekly is not None:
            # Every measured bucket teaches it (clipped): a weekday that is wrongly expected
            # looks anomalous all day, and learning only when calm would never correct it.
            daily = seasonal * scale / week
            seen = warm & ~missing & (daily > 0)
            value = np.divide(clipped, daily, out=np.zeros_like(x), where=seen)
            self.weekly.learn(bucket + self.cfg.bucket_s / 2, value, seen)
        return result

    def _seasonal(self, phase: int) -> FloatArray:
        """The daily profile at ``phase``; in sequential mode averaged over the phases
        either side, since a 5-minute phase sees one noisy value a day."""
        if not self.sequential or self.season_buckets < 2 * _SMOOTH_PHASES + 1:
            return np.asarray(self.season[:, phase])
        near = np.arange(phase - _SMOOTH_PHASES, phase + _SMOOTH_PHASES + 1) % self.season_buckets
        return np.asarray(self.season[:, near].mean(axis=1))

    def _sequential(
        self, x: FloatArray, expected: FloatArray, ok: BoolArray, day: int
    ) -> tuple[CountResult, FloatArray]:
        """The CUSUM bank's verdict (see :mod:`alerts.detection.sequential`), shaped as the
        windowed test's result, and a stand-in p-value steering what the baseline learns."""
        cfg, bank = self.cfg, self.bank
        bank.update(np.nan_to_num(x), expected, self.dispersion, ok, cfg.bucket_s / 86400.0, day)
        bar = bank.threshold(cfg.false_alarms_per_day)
        bank.cap(_CAP_BARS * bar)
        up, down = bank.evidence()
        obs_up, obs_dn = bank.run_obs[:, 0], bank.run_obs[:, 1]
        exp_up, exp_dn = bank.run_exp[:, 0], bank.run_exp[:, 1]
        rise = obs_up >= (1.0 + cfg.min_rise) * exp_up
        fall = obs_dn <= exp_dn / (1.0 + cfg.min_rise)
        assert self.records is not None  # a sequential model keeps records
        salient_up, salient_dn = self.records.update(x - expected, ok, day)
        fire_up = ok & (up >= bar) & rise & (obs_up - exp_up >= self.min_excess) & salient_up
        fire_dn = ok & (down >= bar) & fall & (exp_dn >= cfg.min_drop_expected) & salient_dn
        # The bank decides; its p-value (e^-S) is capped under the family bar so that a
        # Benjamini-Hochberg pass over the result lets exactly these through.
        cap = cfg.fdr_q / (2.0 * max(len(x), 1))
        p_up = np.where(fire_up, np.minimum(np.exp(-up), cap), 1.0)
        p_dn = np.where(fire_dn, np.minimum(np.exp(-down), cap), 1.0)
        elevated = (ok & (up >= bar / 2), ok & (down >= bar / 2))
        onset = (np.maximum(bank.run_len[:, 0] - 1, 0), np.maximum(bank.run_len[:, 1] - 1, 0))
        win_up, win_dn = np.maximum(bank.run_len[:, 0], 1), np.maximum(bank.run_len[:, 1], 1)
        z = np.where(up >= down, up, -down)
        result = CountResult(
            list(self.ids), p_up, p_dn, obs_up, exp_up, win_up, obs_dn, exp_dn, win_dn,
            np.where(up >= down, obs_up, obs_dn), np.where(up >= down, exp_up, exp_dn), z,
            elevated=elevated, onset_back=onset,
        )  # fmt: skip
        # Past half the bar the dispersion and profile stop learning; the level keeps
        # learning at its usual pace, so a lasting shift becomes the new normal.
        steer = np.where(np.maximum(up, down) >= bar / 2, 0.01, 1.0)
        return result, steer

    def _test(self, warm: BoolArray) -> CountResult:
        n = len(self.ids)
        best: dict[str, FloatArray] = {
            k: np.full(n, np.nan) for k in ("obs_up", "exp_up", "obs_down", "exp_down")
        }
        p_up, p_down = np.ones(n), np.ones(n)
        win_up, win_down = np.ones(n), np.ones(n)
        cfg, k = self.cfg, len(self.windows)
        for w in self.windows:
            exp_w = self.hist_exp[:, -w:]
            obs = np.nansum(np.where(np.isnan(exp_w), np.nan, self.hist_obs[:, -w:]), axis=1)
            exp = np.nansum(exp_w, axis=1)
            ok = warm & (exp > 0)
            # Bucket-level over-dispersion partly averages out over a window: alpha/w
            # if buckets were independent, alpha if the baseline itself were off —
            # alpha/√w sits between (tuned on simulator seeds 3 and 5).
            alpha = self.dispersion / np.sqrt(w)
            if self.normalise:
                # The reference is itself a noisy count: Var(share × R) adds
                # share × expected, i.e. 1/ΣR to the over-dispersion.
                ref = np.nansum(self.hist_ref[:, -w:], axis=1)
                alpha = alpha + np.divide(1.0, ref, out=np.zeros_like(ref), where=ref > 0)
            up = np.where(
                ok & (obs - exp >= self.min_excess) & (obs >= cfg.min_spike_ratio * exp),
                np.minimum(1.0, k * nb_upper_p(obs, exp, alpha)),
                1.0,
            )
            down = np.where(
                ok & (exp >= cfg.min_drop_expected) & (obs <= cfg.max_drop_ratio * exp),
                np.minimum(1.0, k * nb_lower_p(obs, exp, alpha)),
                1.0,
            )
            for p_new, p_best, win, tag in (
                (up, p_up, win_up, "up"),
                (down, p_down, win_down, "down"),
            ):
                better = (p_new < p_best) | np.isnan(best[f"obs_{tag}"])
                p_best[better] = p_new[better]
                win[better] = w
                best[f"obs_{tag}"][better] = obs[better]
                best[f"exp_{tag}"][better] = exp[better]
        z_long = (obs - exp) / np.sqrt(exp + alpha * exp**2 + 1.0)
        return CountResult(
            list(self.ids), p_up, p_down, best["obs_up"], best["exp_up"], win_up,
            best["obs_down"], best["exp_down"], win_down, obs, exp, np.where(ok, z_long, 0.0),
        )  # fmt: skip

    def _learn(
        self,
        x: FloatArray,
        expected: FloatArray,
        unit: FloatArray,
        reference: FloatArray,
        warm: BoolArray,
        p_min: FloatArray,
        phase: int,
        held: BoolArray,
    ) -> FloatArray:
        """Learn level, dispersion and daily profile; returns the clipped observations."""
        rate = 1.0 - 0.5 ** (1.0 / self.cfg.half_life_buckets)
        sd = np.sqrt(expected + self.dispersion * expected**2 + 1e-9)
        clipped = np.where(warm, np.clip(x, expected - _CLIP_SD * sd, expected + _CLIP_SD * sd), x)
        calm = p_min >= _ANOMALOUS_P
        warm_rate = np.where(held, rate / _HELD_SLOWDOWN, np.where(calm, rate, rate / 5.0))
        step = np.where(warm, warm_rate, 1.0 / (self.seen + 1.0))
        ok = unit > 0
        target = np.divide(clipped, unit, out=np.zeros_like(x), where=ok)
        self.level = np.where(ok, self.level + step * (target - self.level), self.level)
        # Method of moments as a ratio of EWMAs: weighting by expected² keeps a
        # low-count bucket from swinging the estimate.
        learn = ok & (p_min >= _CALM_P) & (self.seen >= 3) & (expected > 0)
        num = (clipped - expected) ** 2 - expected
        if self.normalise:  # the reference's own noise is already in the test's variance
            num = num - np.divide(expected**2, reference, out=np.zeros_like(x), where=reference > 0)
        self.disp_num = np.where(learn, self.disp_num + step * (num - self.disp_num), self.disp_num)
        den = expected**2
        self.disp_den = np.where(learn, self.disp_den + step * (den - self.disp_den), self.disp_den)
        if self.season_buckets:
            denom = self.level * reference
            has = ok & (denom > 0) & warm & (p_min >= _CALM_P)
            ratio = np.divide(clipped, denom, out=np.ones_like(x), where=has)
            col = self.season[:, phase]
            self.season[:, phase] = np.where(has, col + _SEASON_RATE * (ratio - col), col)
        self.seen = self.seen + ok
        return np.asarray(clipped)

    @property
    def dispersion(self) -> FloatArray:
        """Over-dispersion ``alpha`` per series (variance = mu + alpha * mu²)."""
        ratio = np.divide(
            self.disp_num + _INITIAL_DISPERSION * _DISPERSION_PRIOR,
            self.disp_den + _DISPERSION_PRIOR,
            out=np.full_like(self.disp_num, _INITIAL_DISPERSION),
            where=self.disp_den > 0,
        )  # fmt: skip
        # Sequential mode estimates the series' own dispersion and trusts it (no floor).
        floor = _MIN_SEQUENTIAL_DISPERSION if self.sequential else self.cfg.min_dispersion
        return np.asarray(np.clip(ratio, floor, _MAX_DISPERSION))

    # -- presentation helpers ------------------------------------------------------
    def position(self, series: str) -> int:
        return self._pos[series]

    def excess(self, series: str, window_s: float) -> float:
        """|observed − expected| of ``series`` summed over its last ``window_s``."""
        w = max(1, int(window_s // self.cfg.bucket_s))
        i = self._pos[series]
        exp = self.hist_exp[i, -w:]
        obs = np.where(np.isnan(exp), np.nan, self.hist_obs[i, -w:])
        return abs(float(np.nansum(obs) - np.nansum(exp)))

    def position_of(self, series: str) -> int | None:
        """Like :meth:`position`, ``None`` for a series never seen."""
        return self._pos.get(series)

    def trend(self, i: int) -> list[float]:
        """Recent per-bucket observations of one series (missing buckets left out)."""
        row = self.hist_obs[i, -self.cfg.trend_points :]
        return [float(v) for v in row[~np.isnan(row)]]

    def onset_offset(self, i: int, window: int, spike: bool) -> int:
        """Buckets back from the current one to where the deviation began: the start of
        the last unbroken run of buckets carrying at least half the largest deviation,
        so a random early bucket above (below) expectation does not pull the onset back."""
        diff = self.hist_obs[i, -window:] - self.hist_exp[i, -window:]
        diff = np.nan_to_num(diff if spike else -diff)
        peak = float(diff.max())
        if peak <= 0:
            return 0
        strong = diff >= 0.5 * peak
        last = int(np.flatnonzero(strong)[-1])
        quiet = np.flatnonzero(~strong[:last])
        first = int(quiet[-1]) + 1 if len(quiet) else 0
        return window - 1 - first

    # -- persistence -------------------------------------------------------------
    def arrays(self) -> dict[str, np.ndarray]:
        return {
            "level": self.level, "disp_num": self.disp_num, "disp_den": self.disp_den,
            "seen": self.seen,
            "season": self.season, "hist_obs": self.hist_obs, "hist_exp": self.hist_exp,
            "hist_ref": self.hist_ref,
            "last_bucket": np.array([-1 if self.last_bucket is None else self.last_bucket]),
            **self.bank.arrays(), **(self.records.arrays() if self.records else {}),
            **(self.weekly.arrays() if self.weekly else {}),
        }  # fmt: skip

    def restore(self, ids: list[str], arrays: dict[str, np.ndarray]) -> None:
        self.ids = list(ids)
        self._pos = {s: i for i, s in enumerate(self.ids)}
        self.level = arrays["level"]
        self.disp_num, self.disp_den = arrays["disp_num"], arrays["disp_den"]
        self.seen, self.season = arrays["seen"], arrays["season"]
        self.hist_obs, self.hist_exp = arrays["hist_obs"], arrays["hist_exp"]
        self.hist_ref = arrays["hist_ref"]
        if "cusum_up" in arrays:
            self.bank.restore(arrays)
        else:
            self.bank = CusumBank()
            self.bank.grow(len(self.ids))
        if self.sequential:
            self.records = ExcessRecords(self.cfg.bucket_s)
            self.records.restore(arrays, len(self.ids))
        if self.weekly is not None:
            self.weekly = WeeklyProfile(self.cfg.bucket_s)
            self.weekly.restore(arrays, len(self.ids))
        last = int(arrays["last_bucket"][0])
        self.last_bucket = None if last < 0 else last
