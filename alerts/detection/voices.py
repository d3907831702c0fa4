"""Sentiment storms: negative external voices rising in volume AND in share.

More negative posts alone may just be more posts (Double-11 midnight, a viral
campaign); a higher negative share on a trickle of posts is noise.  A storm on
``voices:{bl}:*`` needs both: the negative count spikes against its baseline
(a share of all voices, the same count test as contacts, false-alarm controlled
with them), and the negative share over the same window is at least
``storm_share_rise`` above its usual level and binomially unlikely under it.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from alerts.anomaly import AnomalyKind
from alerts.detection.contacts import count_signals, held_lines, open_lines, others_scale
from alerts.detection.incidents import Level, Signal
from alerts.detection.model import CountModel, CountResult
from alerts.detection.significance import BoolArray, FloatArray, binom_upper_p
from datasources.series import voice_series
from datasources.settings import DetectionSettings

_SHARE_P = 1e-3


class VoiceModel:
    """Negative-count baselines plus a usual negative share per business line."""

    def __init__(self, cfg: DetectionSettings) -> None:
        self.cfg = cfg
        windows, floor = cfg.storm_windows, cfg.storm_min_negative / 2
        self.negative = CountModel(cfg, normalise=True, windows=windows, min_excess=floor)
        self.total = CountModel(cfg, normalise=False, windows=windows)
        self.share_num = np.zeros(0)
        self.share_den = np.zeros(0)

    def test(
        self,
        bucket: int,
        voices: Mapping[tuple[str, str], tuple[float, float]],
        open_series: set[str],
    ) -> CountResult:
        sums: dict[str, list[float]] = {}
        for (line, _source), (total, negative) in voices.items():
            slot = sums.setdefault(voice_series(line), [0.0, 0.0])
            slot[0] += total
            slot[1] += negative
        ids = list(sums)
        totals = np.array([v[0] for v in sums.values()], dtype=np.float64)
        negatives = np.array([v[1] for v in sums.values()], dtype=np.float64)
        scale = others_scale(self.negative, ids, totals, float(totals.sum()))
        held = held_lines(self.negative.ids, open_lines(open_series, "voices"))
        result = self.negative.step(bucket, ids, negatives, scale=scale, held=held)
        self.total.step(bucket, ids, totals)
        grow = len(result.ids) - len(self.share_num)
        if grow > 0:
            self.share_num = np.concatenate([self.share_num, np.zeros(grow)])
            self.share_den = np.concatenate([self.share_den, np.zeros(grow)])
        return result

    def signals(
        self, result: CountResult, reject_up: BoolArray, open_series: set[str]
    ) -> list[Signal]:
        usual = np.divide(
            self.share_num, self.share_den, out=np.zeros_like(self.share_num),
            where=self.share_den > 0,
        )  # fmt: skip
        storm, share_w = self._share_rise(usual, result.win_up)
        n = len(result.ids)
        sigs = count_signals(
            self.negative,
            result,
            reject_up & storm,
            np.zeros(n, dtype=bool),
            open_series,
            metric="negative_voices_per_min",
            spike_kind=AnomalyKind.SENTIMENT_STORM,
            drop_kind=None,
        )
        _, share_long = self._share_rise(usual, np.full(n, float(max(self.cfg.storm_windows))))
        for sig in sigs:
            i = self.negative.position(sig.series)
            rising = share_long[i] >= usual[i] + self.cfg.storm_share_rise / 2
            if sig.level is Level.ELEVATED and not rising:
                sig.level = Level.CALM
            sig.detail.update(
                negative_share=round(float(share_w[i]), 4), usual_share=round(float(usual[i]), 4)
            )
        self._learn(result, reject_up)
        return sigs

    def _share_rise(self, usual: FloatArray, windows: FloatArray) -> tuple[BoolArray, FloatArray]:
        neg_hist, tot_hist = self.negative.hist_obs, self.total.hist_obs
        depth = neg_hist.shape[1]
        cols = np.arange(depth)[None, :] >= depth - windows[:, None]
        neg = np.nansum(np.where(cols, neg_hist, 0.0), axis=1)
        tot = np.nansum(np.where(cols, tot_hist, 0.0), axis=1)
        share = np.divide(neg, tot, out=np.zeros_like(neg), where=tot > 0)
        unlikely = binom_upper_p(neg, tot, usual) < _SHARE_P
        storm = (
            (share >= usual + self.cfg.storm_share_rise)
            & unlikely
            & (neg >= self.cfg.storm_min_negative)
        )
        return storm, share

    def _learn(self, result: CountResult, reject_up: BoolArray) -> None:
        """Usual share = ratio of EWMAs of negatives and totals, frozen during storms."""
        neg = np.nan_to_num(self.negative.hist_obs[:, -1])
        tot = np.nan_to_num(self.total.hist_obs[:, -1])
        calm = ~reject_up & (result.z_long < 2.0)
        rate = 1.0 - 0.5 ** (1.0 / self.cfg.half_life_buckets)
        self.share_num = np.where(
            calm, self.share_num + rate * (neg - self.share_num), self.share_num
        )
        self.share_den = np.where(
            calm, self.share_den + rate * (tot - self.share_den), self.share_den
        )
