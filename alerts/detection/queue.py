"""Queue KPI breaches per skill group, judged against the configured targets.

Targets are promises (pick-up 99.9 %, service level, longest wait), so there is
no learned baseline here: the question is whether the last ``queue_window``
buckets *significantly* miss the promise.  A rate is only judged with at least
``queue_min_offered`` contacts in the window, must miss the target by the
``queue_margin`` and must be unlikely under the target (binomial tail,
Bonferroni over every group and KPI) — two unanswered calls out of 300 are bad
luck, not an incident.  A longest wait above target must hold through the window
with at least ``queue_min_waiting`` customers still waiting: a small group whose
agents all left shows no volume, only a wait that keeps growing.

That wait needs a minute to pass the target, so the cause is watched too: a
*collapse* is a group's logged-in agents (in-house and cloud, from the queue
snapshots) falling to ``queue_collapse_ratio`` of their most over the last
``queue_collapse_lookback_buckets`` while at least ``queue_collapse_min_waiting``
customers wait.  Staffing follows the load smoothly (even the midnight surge only
adds agents), so a fifth of the agents gone within a minute with customers
queueing is a breach in the making and is decisive: it opens at once, in the
bucket it happens, not a minute later when the longest wait or the abandonments
show it.  (Agents pulled away mid-call still count as busy until the call ends,
so the first snapshot of an outage shows only part of the loss.)
One signal per group whatever KPI breached; the worst one is the headline and
all of them are in ``detail``.  Definitions follow
:mod:`datasources.aggregates_kpi` (pick-up = answered / offered, service level =
answered within threshold / offered) so the wall and the alert agree.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from alerts.anomaly import AnomalyKind, Severity
from alerts.detection.incidents import Level, Signal
from alerts.detection.significance import BoolArray, FloatArray, binom_lower_p, score_of
from alerts.detection.stall import PRIOR_RATE, stall_p
from datasources.series import queue_series
from datasources.settings import DetectionSettings, Targets

COUNTERS = ("offered", "answered", "answered_in_sl")
_LONGEST, _WAITING, _STAFF = len(COUNTERS), len(COUNTERS) + 1, len(COUNTERS) + 2
_HEAD, _TS, _FREE, _BUSY, _HUMAN = range(len(COUNTERS) + 3, len(COUNTERS) + 8)
ROWS = len(COUNTERS) + 8
SNAPSHOT_ROWS = (_STAFF, _HEAD, _TS, _FREE, _BUSY)
"""Rows only a queue snapshot fills: NaN where a bucket had none."""
STALL_DEPTH = 13
"""Buckets of snapshots the stall test looks back over (two minutes)."""
HANDLERS = ("robot", "agent", "cloud_agent")
AGENT_FIELDS = ("agents_available", "agents_busy", "cloud_agents_available", "cloud_agents_busy")


class QueueModel:
    """Sliding windows of service counters and longest waits, per skill group."""

    def __init__(self, cfg: DetectionSettings, targets: Targets) -> None:
        self.cfg = cfg
        self.targets = targets
        self.depth = max(
            cfg.queue_window_buckets, cfg.queue_collapse_lookback_buckets + 1, STALL_DEPTH
        )
        self.groups: list[str] = []
        self._pos: dict[str, int] = {}
        self.hist = np.zeros((0, ROWS, self.depth))
        """group × (offered, answered, answered_in_sl, longest wait, waiting, agents
        logged in, head's wait, snapshot time, agents free, agents busy, human pick-ups)
        × bucket; snapshot rows are NaN where no snapshot came."""
        self.picked = np.zeros(0)
        """EWMA of human pick-ups per bucket, in calm buckets (see the stall test)."""
        self.busy_s = np.zeros(0)
        """EWMA of busy agent-seconds per bucket, in the same buckets."""
        self.calm_seen = np.zeros(0)
        self.last_bucket: int | None = None

    def step(
        self,
        bucket: int,
        service: Mapping[str, Mapping[str, float]],
        queue: Mapping[str, Mapping[str, float]],
        open_groups: set[str],
    ) -> list[Signal]:
        """Signals for groups that breach now or have an open breach incident."""
        for group in sorted(set(service) | set(queue)):
            if group not in self._pos:
                self._pos[group] = len(self.groups)
                self.groups.append(group)
                fresh = np.zeros((1, *self.hist.shape[1:]))
                fresh[:, SNAPSHOT_ROWS] = np.nan
                self.hist = np.concatenate([self.hist, fresh])
                self.picked = np.append(self.picked, 0.0)
                self.busy_s = np.append(self.busy_s, 0.0)
                self.calm_seen = np.append(self.calm_seen, 0.0)
        gap = 1 if self.last_bucket is None else (bucket - self.last_bucket) // self.cfg.bucket_s
        gap = max(1, min(int(gap), self.depth))
        self.hist = np.roll(self.hist, -gap, axis=2)
        self.hist[:, :, -gap:] = 0.0
        self.hist[:, SNAPSHOT_ROWS, -gap:] = np.nan
        self.last_bucket = bucket
        now = self.hist[:, :, -1]
        for group, values in service.items():
            i = self._pos[group]
            for j, name in enumerate(COUNTERS):
                now[i, j] = float(values.get(name, 0.0))
            now[i, _LONGEST] = float(values.get("wait_max", 0.0))
            # Who answered: without the split, pick-ups by agents are unknown, not zero.
            split = any(k in values for k in HANDLERS)
            human = float(values.get("agent", 0.0)) + float(values.get("cloud_agent", 0.0))
            now[i, _HUMAN] = human if split else np.nan
        for group, snap in queue.items():
            i = self._pos[group]
            now[i, _LONGEST] = max(now[i, _LONGEST], float(snap.get("longest_wait_s", 0.0)))
            now[i, _WAITING] = float(snap.get("waiting", 0.0))
            if any(f in snap for f in AGENT_FIELDS):
                now[i, _STAFF] = sum(float(snap.get(f, 0.0)) for f in AGENT_FIELDS)
                now[i, _FREE] = float(snap.get("agents_available", 0.0)) + float(
                    snap.get("cloud_agents_available", 0.0)
                )
                now[i, _BUSY] = float(snap.get("agents_busy", 0.0)) + float(
                    snap.get("cloud_agents_busy", 0.0)
                )
                now[i, _HEAD] = float(snap.get("longest_wait_s", 0.0))
                now[i, _TS] = float(snap.get("ts", bucket + self.cfg.bucket_s))
        if not self.groups:
            return []
        window = self.hist[:, :, -self.cfg.queue_window_buckets :]
        sums = window[:, : len(COUNTERS)].sum(axis=2)
        held = window[:, _LONGEST].min(axis=1)  # above target through the whole window
        longest = window[:, _LONGEST].max(axis=1)
        waiting = window[:, _WAITING, -1]
        stall = self._stall(open_groups)
        return self._judge(sums, held, longest, waiting, self._collapse(), stall, open_groups)

    def _stall(self, open_groups: set[str]) -> tuple[FloatArray, FloatArray]:
        """The stall test (:mod:`alerts.detection.stall`), then learn each calm group's
        pick-ups per busy agent-second."""
        h = self.hist
        rate = np.where(
            (self.calm_seen >= self.cfg.warmup_buckets) & (self.busy_s > 0),
            np.divide(
                self.picked, self.busy_s, out=np.zeros_like(self.picked), where=self.busy_s > 0
            ),
            PRIOR_RATE,
        )
        p, stall_s = stall_p(
            h[:, _HEAD], h[:, _TS], h[:, _FREE], h[:, _BUSY], h[:, _WAITING], h[:, _HUMAN], rate
        )
        busy, picked = h[:, _BUSY, -1], h[:, _HUMAN, -1]
        calm = (
            (h[:, _FREE, -1] > 0)
            & ~np.isnan(busy)
            & ~np.isnan(picked)  # a bucket without the who-answered split teaches nothing
            & np.array([g not in open_groups for g in self.groups], dtype=bool)
        )
        step = np.maximum(
            1.0 - 0.5 ** (1.0 / self.cfg.half_life_buckets), 1.0 / (self.calm_seen + 1.0)
        )
        busy_s = np.nan_to_num(busy) * self.cfg.bucket_s
        self.picked = np.where(calm, self.picked + step * (picked - self.picked), self.picked)
        self.busy_s = np.where(calm, self.busy_s + step * (busy_s - self.busy_s), self.busy_s)
        self.calm_seen = self.calm_seen + calm
        return p, stall_s

    def _collapse(self) -> BoolArray:
        """Groups whose agents fell to ``queue_collapse_ratio`` of their recent most
        while customers wait (NaN = no snapshot: never a collapse)."""
        cfg = self.cfg
        staff = self.hist[:, _STAFF]
        before = staff[:, -cfg.queue_collapse_lookback_buckets - 1 : -1]
        most = np.where(np.isnan(before), -np.inf, before).max(axis=1)
        now = staff[:, -1]
        with np.errstate(invalid="ignore"):
            collapse: BoolArray = (
                (most >= cfg.queue_collapse_min_agents)
                & (now <= cfg.queue_collapse_ratio * most)
                & (self.hist[:, _WAITING, -1] >= cfg.queue_collapse_min_waiting)
            )
        return collapse

    def _judge(
        self,
        sums: FloatArray,
        held: FloatArray,
        now: FloatArray,
        waiting: FloatArray,
        collapse: BoolArray,
        stall: tuple[FloatArray, FloatArray],
        open_groups: set[str],
    ) -> list[Signal]:
        t, cfg = self.targets, self.cfg
        back = (cfg.queue_window_buckets - 1) * cfg.bucket_s
        offered = sums[:, 0]
        answered = np.minimum(sums[:, 1], offered)
        in_sl = np.minimum(sums[:, 2], offered)
        family = max(1, 2 * len(sums))
        safe = np.maximum(offered, 1.0)
        pickup, level = answered / safe, in_sl / safe
        p_pick = binom_lower_p(answered, offered, np.full_like(offered, t.pickup_rate))
        p_sl = binom_lower_p(in_sl, offered, np.full_like(offered, t.service_level))
        volume = offered >= cfg.queue_min_offered
        fire_pick = (
            volume & (pickup < t.pickup_rate - cfg.queue_margin) & (p_pick * family < cfg.fdr_q)
        )
        fire_sl = (
            volume & (level < t.service_level - cfg.queue_margin) & (p_sl * family < cfg.fdr_q)
        )
        fire_wait = (waiting >= cfg.queue_min_waiting) & (held > t.longest_wait_s)
        p_stall, stall_s = stall
        # Bonferroni over the groups where the question can be asked at all: a queue
        # with nobody free to take it (a quiet group cannot stall).
        asked = max(1, int(np.count_nonzero(stall_s > 0)))
        stalled = (p_stall * asked <= cfg.fdr_q) & (stall_s >= cfg.bucket_s)
        sudden = collapse | stalled  # the cause, seen before the KPIs: decisive
        elevated = (volume & ((pickup < t.pickup_rate) | (level < t.service_level))) | (
            now > t.longest_wait_s
        )
        agents = self.hist[:, _STAFF, -1]
        signals = []
        for i, group in enumerate(self.groups):
            firing = bool(fire_pick[i] or fire_sl[i] or fire_wait[i] or sudden[i])
            if not (firing or group in open_groups):
                continue
            lvl = Level.FIRING if firing else Level.ELEVATED if elevated[i] else Level.CALM
            kpis = {
                "pickup_rate": round(float(pickup[i]), 5),
                "service_level": round(float(level[i]), 4),
                "longest_wait_s": round(float(now[i]), 1),
                "offered": int(offered[i]),
                "waiting": int(waiting[i]),
            }
            targets = {
                "pickup_rate": t.pickup_rate,
                "service_level": t.service_level,
                "longest_wait_s": t.longest_wait_s,
                "waiting": 0.0,
            }
            if fire_pick[i] or (not firing and pickup[i] < t.pickup_rate):
                metric, p, sev_bad = "pickup_rate", p_pick[i], pickup[i] < t.pickup_rate - 0.05
            elif fire_sl[i] or (not firing and level[i] < t.service_level):
                metric, p, sev_bad = "service_level", p_sl[i], level[i] < t.service_level - 0.2
            elif fire_wait[i] or not sudden[i]:
                metric, p, sev_bad = "longest_wait_s", 1e-6, now[i] > 2 * t.longest_wait_s
            else:
                metric, p, sev_bad = "waiting", min(1e-6, p_stall[i]), True
            onset_back = back if metric == "longest_wait_s" else 0.0
            if stalled[i]:  # the head has waited unserved since then
                onset_back = max(onset_back, stall_s[i] // cfg.bucket_s * cfg.bucket_s)
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
                    onset_back_s=float(onset_back),
                    decisive=bool(sudden[i]),
                    dims={"skill_group": str(group)},
                    detail={
                        "kpis": kpis,
                        "targets": targets,
                        "breached": _breached(i, fire_pick, fire_sl, fire_wait, collapse, stalled),
                        "agents": None if np.isnan(agents[i]) else int(agents[i]),
                        "stalled_s": round(float(stall_s[i]), 1),
                    },
                )
            )
        return signals

    def arrays(self) -> dict[str, np.ndarray]:
        last = -1 if self.last_bucket is None else self.last_bucket
        return {
            "hist": self.hist, "picked": self.picked, "busy_s": self.busy_s,
            "calm_seen": self.calm_seen, "last_bucket": np.array([last]),
        }  # fmt: skip

    def restore(self, groups: list[str], arrays: dict[str, np.ndarray]) -> None:
        self.groups = list(groups)
        self._pos = {g: i for i, g in enumerate(self.groups)}
        self.hist = arrays["hist"]
        self.picked, self.busy_s = arrays["picked"], arrays["busy_s"]
        self.calm_seen = arrays["calm_seen"]
        last = int(arrays["last_bucket"][0])
        self.last_bucket = None if last < 0 else last


def _breached(i: int, *masks: np.ndarray) -> list[str]:
    names = ("pickup_rate", "service_level", "longest_wait_s", "agents_collapse", "queue_stalled")
    return [n for n, m in zip(names, masks, strict=True) if bool(m[i])]
