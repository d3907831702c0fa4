"""The weekly cycle of lone series: how each hour of the week differs from the others.

Real traffic has a week as well as a day: the tweet series have weekends at 0.4–0.8
of their weekdays.  The level follows such a change within hours (its half-life),
but at each weekend's start and end it lags, and what it expects is wrong for hours
— too much on Saturday, too little on Monday.  So a lone series also keeps a
multiplicative factor for each hour of the week, on top of its daily profile (which
is divided out first, so the two do not both learn the day's shape), read as the mean
of the hours around it.  The hours are the series' own UTC hours: whatever its time
zone, its Saturday starts at one of them.  The factors are kept at a mean of one, so
the level stays the week's average.

The factors are learned against a level of their own that is slow (half-life a
week), never against the model's level: that one follows a weekend within hours, so
by Sunday the weekend would look normal against it and Monday high — the week would
be learned smeared across the days after each change.
"""

from __future__ import annotations

import numpy as np

from alerts.detection.significance import BoolArray, FloatArray

HOURS = 7 * 24
_EPOCH_HOUR = 3 * 24
"""1970-01-01 was a Thursday: hours are numbered from Monday 00:00 UTC."""
SMOOTH_HOURS = 2
"""An hour is read as the mean of itself and the two either side (one week's visit to
an hour is a handful of buckets)."""
SLOW_HALF_LIFE_DAYS = 7.0


class WeeklyProfile:
    """Per series, a factor for each hour of the week and the slow level behind them."""

    def __init__(self, bucket_s: int) -> None:
        self.rate = 1.0 - 0.25 ** (bucket_s / 3600.0)
        """An hour's factor moves three quarters of the way to what it saw in one visit
        (an hour a week): a week is long, a cycle must not take a month to learn."""
        self.slow_rate = 1.0 - 0.5 ** (bucket_s / (SLOW_HALF_LIFE_DAYS * 86400.0))
        self.day_buckets = 86400.0 / bucket_s
        self.factors = np.ones((0, HOURS))
        self.slow = np.zeros(0)
        """The week's average level (of counts with the daily profile divided out)."""
        self.slow_seen = np.zeros(0)

    def grow(self, k: int) -> None:
        self.factors = np.vstack([self.factors, np.ones((k, HOURS))])
        self.slow = np.concatenate([self.slow, np.zeros(k)])
        self.slow_seen = np.concatenate([self.slow_seen, np.zeros(k)])

    @staticmethod
    def _hour(t: float) -> int:
        return int((t // 3600 + _EPOCH_HOUR) % HOURS)

    def factor(self, t: float) -> FloatArray:
        """Each series' factor at time ``t`` (the middle of a bucket)."""
        hour = self._hour(t)
        near = np.arange(hour - SMOOTH_HOURS, hour + SMOOTH_HOURS + 1) % HOURS
        return np.asarray(self.factors[:, near].mean(axis=1))

    def learn(self, t: float, value: FloatArray, ok: BoolArray) -> None:
        """Learn from ``value`` (a count with the daily profile divided out; ``ok`` series
        only): the slow level, then once it has a day behind it the hour of ``t`` toward
        ``value`` over the slow level."""
        step = np.maximum(self.slow_rate, 1.0 / (self.slow_seen + 1.0))  # a mean at first
        self.slow = np.where(ok, self.slow + step * (value - self.slow), self.slow)
        self.slow_seen = self.slow_seen + ok
        ok = ok & (self.slow > 0) & (self.slow_seen >= self.day_buckets)
        ratio = np.divide(value, self.slow, out=np.ones_like(value), where=ok)
        hour = self._hour(t)
        cur = self.factors[:, hour]
        self.factors[:, hour] = np.where(ok, cur + self.rate * (ratio - cur), cur)
        mean = self.factors.mean(axis=1, keepdims=True)
        self.factors = np.where(ok[:, None], self.factors / np.maximum(mean, 1e-9), self.factors)

    def restore(self, arrays: dict[str, np.ndarray], series: int) -> None:
        """From :meth:`arrays`; a state from before the profile starts ``series`` flat."""
        if "week_factors" not in arrays:
            self.grow(series)
            return
        self.factors, self.slow = arrays["week_factors"], arrays["week_slow"]
        self.slow_seen = arrays["week_slow_seen"]

    def arrays(self) -> dict[str, np.ndarray]:
        return {
            "week_factors": self.factors, "week_slow": self.slow, "week_slow_seen": self.slow_seen
        }  # fmt: skip
