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
import pandas as pd

from alerts.anomaly import AnomalyKind
from alerts.detection_contacts import count_signals
from alerts.detection_counts import CountModel, CountResult
from alerts.detection_incidents import Level, Signal
from alerts.detection_stats import BoolArray, binom_upper_p
from datasources.series import voice_series
from datasources.settings import DetectionSettings

_SHARE_P = 1e-3


class VoiceModel:
    """Negative-count baselines plus a usual negative share per business line."""

    def __init__(self, cfg: DetectionSettings) -> None:
        self.cfg = cfg
        self.negative = CountModel(cfg, normalise=True)
        self.total = CountModel(cfg, normalise=False)
        self.share_num = pd.Series(dtype=np.float64)
        self.share_den = pd.Series(dtype=np.float64)

    def test(
        self, bucket: int, voices: Mapping[tuple[str, str], tuple[float, float]]
    ) -> CountResult:
        frame = (
            pd.DataFrame(
                [(bl, float(t), float(n)) for (bl, _src), (t, n) in voices.items()],
                columns=["bl", "total", "negative"],
            )
            .groupby("bl", sort=True)[["total", "negative"]]
            .sum()
        )
        ids = pd.Index([voice_series(str(b)) for b in frame.index], dtype=object)
        negative = pd.Series(frame["negative"].to_numpy(), index=ids)
        total = pd.Series(frame["total"].to_numpy(), index=ids)
        result = self.negative.step(bucket, negative, scale=float(total.sum()))
        self.total.step(bucket, total.reindex(self.negative.ids, fill_value=0.0))
        return result

    def signals(
        self, result: CountResult, reject_up: BoolArray, open_series: set[str]
    ) -> list[Signal]:
        ids = pd.Index(result.ids, dtype=object)
        usual = (self.share_num / self.share_den).reindex(ids).fillna(0.0).to_numpy()
        storm, share_w = self._share_rise(result, usual, result.win_up)
        sigs = count_signals(
            self.negative,
            result,
            reject_up & storm,
            np.zeros(len(ids), dtype=bool),
            open_series,
            metric="negative_voices_per_min",
            spike_kind=AnomalyKind.SENTIMENT_STORM,
            drop_kind=None,
        )
        _, share_long = self._share_rise(result, usual, np.full(len(ids), max(self.cfg.windows)))
        position = {s: i for i, s in enumerate(result.ids)}
        for sig in sigs:
            i = position[sig.series]
            rising = share_long[i] >= usual[i] + self.cfg.storm_share_rise / 2
            if sig.level is Level.ELEVATED and not rising:
                sig.level = Level.CALM
            sig.detail.update(
                negative_share=round(float(share_w[i]), 4), usual_share=round(float(usual[i]), 4)
            )
        self._learn(result, reject_up)
        return sigs

    def _share_rise(
        self, result: CountResult, usual: np.ndarray, windows: np.ndarray
    ) -> tuple[BoolArray, np.ndarray]:
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
        ids = pd.Index(result.ids, dtype=object)
        neg = pd.Series(self.negative.hist_obs[:, -1], index=ids).fillna(0.0)
        tot = pd.Series(self.total.hist_obs[:, -1], index=ids).fillna(0.0)
        calm = pd.Series(~reject_up & (result.z_long < 2.0), index=ids)
        rate = 1.0 - 0.5 ** (1.0 / self.cfg.half_life_buckets)
        num = self.share_num.reindex(ids, fill_value=0.0)
        den = self.share_den.reindex(ids, fill_value=0.0)
        self.share_num = num.where(~calm, num + rate * (neg - num))
        self.share_den = den.where(~calm, den + rate * (tot - den))
