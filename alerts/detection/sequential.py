"""Sequential evidence for a lone count series: a CUSUM bank and a self-calibrated bar.

A fixed window (sum the last ``w`` buckets, test once) wastes evidence: a moderate
rise spread over more buckets than the longest window is never seen whole.  The
CUSUM carries evidence across buckets, ``S = max(0, S + log-likelihood ratio)``,
and is the fastest detector of a change at a given false-alarm rate when the rates
before and after are known (Lorden, Moustakides).  They are not known, so a small
bank of CUSUMs, one per rate ratio (×1.5, ×2, ×3 up; ×0.5, ×0.2 down), runs side by
side under a negative-binomial model (variance ``mu + alpha·mu²``) and the largest
of each direction is the evidence.

Real series are not the model: a daily profile is never exact, levels drift, news
comes in clumps.  One global bar on ``S`` then rings all day on a bursty series and
never on a calm one.  So each series calibrates its own bar from the peaks of its
own CUSUM excursions (peaks-over-threshold, as SPOT, Siffer et al. KDD 2017):
above a base ``u`` the excursion peaks are roughly exponential with a scale
``theta`` (1 when the model is exact, more when the series is burstier than it), so
a bar ``h = u + theta·log(rate_u / target)`` is crossed ``target`` times a day.
Once a series has ``MIN_DAYS`` days of history its bar comes from its daily maxima
of evidence instead (a Gumbel fitted by median and interquartile range, so the few
days with a real incident barely move it): on the tweet series the excursion tail is
heavier than exponential and the tail bar let through about twice its budget.
"""

from __future__ import annotations

import numpy as np

from alerts.detection.significance import BoolArray, FloatArray

UP_RATIOS = (1.5, 2.0, 3.0)
DOWN_RATIOS = (0.5, 0.2)
TAIL_BASE = 3.0
"""``u``: excursion peaks above it (in nats of evidence) feed the tail fit."""
PRIOR_THETA = 1.5
"""The prior tail scale: 1 when the model is exact (a correct log-likelihood-ratio
CUSUM); a little more, so a series that has not yet shown its tail starts cautious."""
PRIOR_PEAKS = 3.0
"""Weight, in pseudo-excursions, of the prior: a few days of a series outweigh it."""
DAYS_KEPT = 28
"""Daily maxima of the evidence kept per series (a ring): four weeks of its own history."""
MIN_DAYS = 5
"""Below this many recorded days the bar comes from the excursion tail (and its prior)."""
_GUMBEL_IQR = 1.5725
"""Interquartile range of a standard Gumbel: -log(-log 0.75) + log(-log 0.25)."""
_GUMBEL_MEDIAN = 0.3665
DAILY_BUDGET = 2.0
"""The daily-maxima bar is set for this many times the budget: fitted robustly it is
cautious.  Tuned on the five tweet series together with the salience gate of
:mod:`alerts.detection.records` (1, 2, 4 and 8 caught 9, 11, 11 and 11 of 13 windows
with 1, 2, 4 and 7 false alarms); the excursion-tail bar (the first days, ``bench/limit.py``)
has none."""
PRIOR_RATE = 100.0
"""Prior exceedances of ``u`` a day: with the prior scale, a first bar near 13 nats."""


def nb_llr(x: FloatArray, mu: FloatArray, ratio: float, alpha: FloatArray) -> FloatArray:
    """log P(x | mean ratio·mu) − log P(x | mean mu) for negative binomials of size 1/alpha."""
    size = 1.0 / np.maximum(alpha, 1e-6)
    mu = np.maximum(mu, 1e-9)
    return np.asarray(
        x * (np.log(ratio) + np.log(size + mu) - np.log(size + ratio * mu))
        + size * (np.log(size + mu) - np.log(size + ratio * mu)),
        dtype=np.float64,
    )


def tail_threshold(
    peaks: FloatArray, excess: FloatArray, days: FloatArray, per_day: float
) -> FloatArray:
    """The bar crossed ``per_day`` times a day given the exceedances of ``TAIL_BASE``:
    ``peaks`` of them, ``excess`` their summed overshoot, over ``days`` observed."""
    theta = (excess + PRIOR_THETA * PRIOR_PEAKS) / (peaks + PRIOR_PEAKS)
    rate = (peaks + PRIOR_PEAKS) / (days + PRIOR_PEAKS / PRIOR_RATE)
    return np.asarray(TAIL_BASE + theta * np.log(np.maximum(rate / per_day, 1.0)))


class CusumBank:
    """Up and down CUSUMs of many series, their current run and their excursion peaks."""

    def __init__(self) -> None:
        self.up = np.zeros((0, len(UP_RATIOS)))
        self.down = np.zeros((0, len(DOWN_RATIOS)))
        self.run_obs = np.zeros((0, 2))
        """Observed (column 0 up, 1 down) since the direction's evidence was last zero."""
        self.run_exp = np.zeros((0, 2))
        self.run_len = np.zeros((0, 2))
        self.peak = np.zeros((0, 2))
        """Highest evidence of the current excursion, per direction."""
        self.tail_peaks = np.zeros(0)
        self.tail_excess = np.zeros(0)
        self.days = np.zeros(0)
        self.day_max = np.full((0, DAYS_KEPT), np.nan)
        self.today = np.full(0, np.nan)
        self.day_count = np.zeros(0)
        self.day = -1

    def grow(self, k: int) -> None:
        for name in ("up", "down", "run_obs", "run_exp", "run_len", "peak"):
            arr = getattr(self, name)
            setattr(self, name, np.vstack([arr, np.zeros((k, arr.shape[1]))]))
        for name in ("tail_peaks", "tail_excess", "days", "day_count"):
            setattr(self, name, np.concatenate([getattr(self, name), np.zeros(k)]))
        self.today = np.concatenate([self.today, np.full(k, np.nan)])
        self.day_max = np.vstack([self.day_max, np.full((k, DAYS_KEPT), np.nan)])

    def evidence(self) -> tuple[FloatArray, FloatArray]:
        """The strongest up and down evidence per series."""
        return self.up.max(axis=1), self.down.max(axis=1)

    def update(
        self,
        x: FloatArray,
        mu: FloatArray,
        alpha: FloatArray,
        ok: BoolArray,
        day_part: float,
        day: int,
    ) -> None:
        """One bucket: ``ok`` series (warm and measured) add evidence, the rest keep theirs."""
        for arr, ratios in ((self.up, UP_RATIOS), (self.down, DOWN_RATIOS)):
            for j, ratio in enumerate(ratios):
                step = nb_llr(x, mu, ratio, alpha)
                arr[:, j] = np.where(ok, np.maximum(0.0, arr[:, j] + step), arr[:, j])
        stat = np.column_stack(self.evidence())
        live = ok[:, None] & (stat > 0)
        ended = ok[:, None] & (stat <= 0) & (self.peak > 0)
        top = np.where(ended, self.peak, 0.0).max(axis=1)
        over = top > TAIL_BASE
        self.tail_peaks += over
        self.tail_excess += np.where(over, top - TAIL_BASE, 0.0)
        self.peak = np.where(
            live, np.maximum(self.peak, stat), np.where(ok[:, None], 0.0, self.peak)
        )
        self.run_obs = np.where(
            live, self.run_obs + x[:, None], np.where(ok[:, None], 0.0, self.run_obs)
        )
        self.run_exp = np.where(
            live, self.run_exp + mu[:, None], np.where(ok[:, None], 0.0, self.run_exp)
        )
        self.run_len = np.where(live, self.run_len + 1, np.where(ok[:, None], 0.0, self.run_len))
        self.days += np.where(ok, day_part, 0.0)
        self._record_day(day)
        self.today = np.where(ok, np.fmax(self.today, stat.max(axis=1)), self.today)

    def _record_day(self, day: int) -> None:
        """On a new day, file each series' maximum of the day that ended."""
        if day == self.day:
            return
        if self.day >= 0:
            seen = ~np.isnan(self.today)
            slot = (self.day_count % DAYS_KEPT).astype(np.intp)
            rows = np.flatnonzero(seen)
            self.day_max[rows, slot[rows]] = self.today[rows]
            self.day_count += seen
        self.today = np.full_like(self.today, np.nan)
        self.day = day

    def cap(self, ceiling: FloatArray) -> None:
        """Hold every CUSUM at or below ``ceiling`` (one value per series)."""
        self.up = np.minimum(self.up, ceiling[:, None])
        self.down = np.minimum(self.down, ceiling[:, None])

    def threshold(self, per_day: float) -> FloatArray:
        """Each series' bar: from its daily maxima once it has ``MIN_DAYS`` of them
        (a Gumbel fitted robustly, by median and interquartile range, so the days of
        real incidents barely move it), from its excursion tail before."""
        tail = tail_threshold(self.tail_peaks, self.tail_excess, self.days, per_day)
        enough = self.day_count >= MIN_DAYS
        if not enough.any():
            return tail
        q25, med, q75 = np.nanpercentile(
            np.where(enough[:, None], self.day_max, 0.0), [25, 50, 75], axis=1
        )
        scale = np.maximum(q75 - q25, 1e-6) / _GUMBEL_IQR
        where = med - _GUMBEL_MEDIAN * scale
        daily = where - scale * np.log(-np.log1p(-min(DAILY_BUDGET * per_day, 0.99)))
        return np.asarray(np.where(enough, np.maximum(daily, TAIL_BASE), tail))

    def arrays(self) -> dict[str, np.ndarray]:
        names = ("up", "down", "run_obs", "run_exp", "run_len", "peak")
        out = {f"cusum_{n}": getattr(self, n) for n in names}
        out.update(tail_peaks=self.tail_peaks, tail_excess=self.tail_excess, days=self.days)
        out.update(day_max=self.day_max, today=self.today, day_count=self.day_count)
        out["day"] = np.array([self.day])
        return out

    def restore(self, arrays: dict[str, np.ndarray]) -> None:
        for n in ("up", "down", "run_obs", "run_exp", "run_len", "peak"):
            setattr(self, n, arrays[f"cusum_{n}"])
        self.tail_peaks, self.tail_excess = arrays["tail_peaks"], arrays["tail_excess"]
        self.days = arrays["days"]
        self.day_max, self.today = arrays["day_max"], arrays["today"]
        self.day_count, self.day = arrays["day_count"], int(arrays["day"][0])
