"""Queue KPI breaches per skill group, judged against the configured targets.

Targets are promises (pick-up 99.9 %, service level, longest wait), so there is
no learned baseline here: the question is whether the last ``queue_window``
buckets *significantly* miss the promise.  A rate is only judged with at least
``queue_min_offered`` contacts in the window, must miss the target by the
``queue_margin`` and must be unlikely under the target (binomial tail,
Bonferroni over every group and KPI) — two unanswered calls out of 300 are bad
luck, not an incident.  A longest wait above target must hold for two buckets.
One signal per group whatever KPI breached; the worst one is the headline and
all of them are in ``detail``.  Definitions follow
:mod:`datasources.aggregates_kpi` (pick-up = answered / offered, service level =
answered within threshold / offered) so the wall and the alert agree.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd
from scipy import stats

from alerts.anomaly import AnomalyKind, Severity
from alerts.detection_incidents import Level, Signal
from alerts.detection_stats import score_of
from datasources.series import queue_series
from datasources.settings import DetectionSettings, Targets

COUNTERS = ("offered", "answered", "answered_in_sl")


class QueueModel:
    """Sliding windows of service counters and longest waits, per skill group."""

    def __init__(self, cfg: DetectionSettings, targets: Targets) -> None:
        self.cfg = cfg
        self.targets = targets
        self.window = pd.DataFrame(columns=["bucket", "group", *COUNTERS, "longest"])

    def step(
        self,
        bucket: int,
        service: Mapping[str, Mapping[str, float]],
        queue: Mapping[str, Mapping[str, float]],
        open_groups: set[str],
    ) -> list[Signal]:
        """Signals for groups that breach now or have an open breach incident."""
        rows = pd.DataFrame(
            [
                {
                    "group": g,
                    **{c: float(service.get(g, {}).get(c, 0.0)) for c in COUNTERS},
                    "longest": max(
                        float(service.get(g, {}).get("wait_max", 0.0)),
                        float(queue.get(g, {}).get("longest_wait_s", 0.0)),
                    ),
                }
                for g in sorted(set(service) | set(queue))
            ],
            columns=["group", *COUNTERS, "longest"],
        )
        rows["bucket"] = bucket
        oldest = bucket - (self.cfg.queue_window_buckets - 1) * self.cfg.bucket_s
        previous = bucket - self.cfg.bucket_s
        frames = [f for f in (self.window, rows) if len(f)]
        self.window = pd.concat(frames, ignore_index=True) if frames else rows
        self.window = self.window[self.window["bucket"] >= min(oldest, previous)]
        current = self.window[self.window["bucket"] >= oldest]
        if current.empty:
            return []
        sums = current.groupby("group")[list(COUNTERS)].sum()
        recent = self.window[self.window["bucket"] >= previous].groupby("group")["longest"]
        stats_two = recent.agg(["min", "count"])
        held = stats_two["min"].where(stats_two["count"] >= 2, 0.0)  # above target twice running
        return self._judge(sums, held, current.groupby("group")["longest"].max(), open_groups)

    def _judge(
        self,
        sums: pd.DataFrame,
        longest_held: pd.Series,
        longest_now: pd.Series,
        open_groups: set[str],
    ) -> list[Signal]:
        t, cfg = self.targets, self.cfg
        offered = sums["offered"].to_numpy(dtype=np.float64)
        answered = np.minimum(sums["answered"].to_numpy(dtype=np.float64), offered)
        in_sl = np.minimum(sums["answered_in_sl"].to_numpy(dtype=np.float64), offered)
        family = max(1, 2 * len(sums))
        safe = np.maximum(offered, 1.0)
        pickup, level = answered / safe, in_sl / safe
        p_pick = stats.binom.cdf(answered, offered, t.pickup_rate)
        p_sl = stats.binom.cdf(in_sl, offered, t.service_level)
        volume = offered >= cfg.queue_min_offered
        fire_pick = (
            volume & (pickup < t.pickup_rate - cfg.queue_margin) & (p_pick * family < cfg.fdr_q)
        )
        fire_sl = (
            volume & (level < t.service_level - cfg.queue_margin) & (p_sl * family < cfg.fdr_q)
        )
        held = longest_held.reindex(sums.index).fillna(0.0).to_numpy(dtype=np.float64)
        now = longest_now.reindex(sums.index).fillna(0.0).to_numpy(dtype=np.float64)
        fire_wait = held > t.longest_wait_s
        elevated = (volume & ((pickup < t.pickup_rate) | (level < t.service_level))) | (
            now > t.longest_wait_s
        )
        signals = []
        for i, group in enumerate(sums.index):
            firing = bool(fire_pick[i] or fire_sl[i] or fire_wait[i])
            if not (firing or group in open_groups):
                continue
            lvl = Level.FIRING if firing else Level.ELEVATED if elevated[i] else Level.CALM
            kpis = {
                "pickup_rate": round(float(pickup[i]), 5),
                "service_level": round(float(level[i]), 4),
                "longest_wait_s": round(float(now[i]), 1),
                "offered": int(offered[i]),
            }
            targets = {
                "pickup_rate": t.pickup_rate,
                "service_level": t.service_level,
                "longest_wait_s": t.longest_wait_s,
            }
            if fire_pick[i] or (not firing and pickup[i] < t.pickup_rate):
                metric, p, sev_bad = "pickup_rate", p_pick[i], pickup[i] < t.pickup_rate - 0.05
            elif fire_sl[i] or (not firing and level[i] < t.service_level):
                metric, p, sev_bad = "service_level", p_sl[i], level[i] < t.service_level - 0.2
            else:
                metric, p, sev_bad = "longest_wait_s", 1e-6, now[i] > 2 * t.longest_wait_s
            signals.append(
                Signal(
                    series=queue_series(str(group)),
                    kind=AnomalyKind.QUEUE_BREACH,
                    level=lvl,
                    observed=float(kpis[metric]),
                    expected=float(targets[metric]),
                    score=float(score_of(np.array([p * family]))[0]),
                    severity=Severity.CRITICAL if sev_bad else Severity.MAJOR,
                    metric=metric,
                    onset_back_s=float(self.cfg.bucket_s if metric == "longest_wait_s" else 0),
                    dims={"skill_group": str(group)},
                    detail={
                        "kpis": kpis,
                        "targets": targets,
                        "breached": _breached(i, fire_pick, fire_sl, fire_wait),
                    },
                )
            )
        return signals

    def to_frame(self) -> pd.DataFrame:
        return self.window.reset_index(drop=True)

    def restore(self, frame: pd.DataFrame) -> None:
        self.window = frame


def _breached(i: int, *masks: np.ndarray) -> list[str]:
    names = ("pickup_rate", "service_level", "longest_wait_s")
    return [n for n, m in zip(names, masks, strict=True) if bool(m[i])]
