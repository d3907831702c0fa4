"""The simulator's clock: one tick per simulated second, events out in time order.

Each tick draws Poisson arrivals for every (business line, reason) pair from the
curve and the active incidents, lets the robot resolve or transfer them, advances
the skill-group queues, and adds external voices, queue snapshots and conversation
turns.  Events due later (a pick-up after a wait, the next turn of a conversation)
wait in a heap, so :meth:`Simulator.events` yields strictly by time.  All randomness
comes from two generators seeded by ``seed``: same seed and options, same bytes.
"""

from __future__ import annotations

import heapq
import math
import random
from collections.abc import Iterator, Sequence
from pathlib import Path

import numpy as np

from alerts.anomaly import AnomalyKind
from datasources.catalog import SKILL_GROUPS, skill_group_line
from datasources.schemas import Event
from datasources.simulator import build
from datasources.simulator.curve import load_factor
from datasources.simulator.incidents import WARMUP_S, Incident, schedule, write_labels
from datasources.simulator.mix import (
    CONVERSATION_SHARE,
    HANDLE_TIME_S,
    HUMAN_SHARE,
    QUEUE_SNAPSHOT_S,
    agents_needed,
    reason_rates,
    skill_group_for,
)
from datasources.simulator.queues import SkillGroupQueue

TOPIC_CONVERSATION_EVERY_S = 40.0
"""While an incident lasts, a live conversation about its topic starts about this often
(besides the usual mix), so "listen to customers on this topic" finds some."""
REALTIME_INCIDENT_EVERY_S = 750.0
"""Without a duration (live demo), one incident about every 12.5 minutes."""
REALTIME_HORIZON_S = 7 * 86400.0


class Simulator:
    """A deterministic Double-11 day (or an endless live feed when ``duration_s`` is None)."""

    def __init__(
        self,
        seed: int = 11,
        start: float = 1794326400.0,
        rate: float = 40.0,
        incidents: int | Sequence[Incident] | None = None,
        duration_s: float | None = 86400.0,
        warmup_s: float = WARMUP_S,
    ) -> None:
        if rate <= 0:
            raise ValueError("rate must be positive")
        self.seed = seed
        self.start = float(math.floor(start))
        self.rate = rate
        self.duration_s = duration_s
        self.end = self.start + duration_s if duration_s is not None else math.inf
        horizon = self.end if duration_s is not None else self.start + REALTIME_HORIZON_S
        if incidents is None:
            incidents = round((horizon - self.start) / REALTIME_INCIDENT_EVERY_S)
        if isinstance(incidents, int):
            incidents = schedule(seed, self.start, horizon, incidents, rate, warmup_s)
        self.labels: list[Incident] = sorted(incidents, key=lambda i: i.onset)
        self._pairs = reason_rates()
        self._pair_share = np.array([share for _, _, share in self._pairs])
        self._pair_group = [skill_group_for(line, reason) for line, reason, _ in self._pairs]
        self._builder = build.EventBuilder(
            random.Random(f"events-{seed}"), f"{seed:x}{int(self.start) % 100000:x}"
        )
        self._np = np.random.default_rng(seed)
        # Topic conversations draw from their own generators, so adding them leaves
        # every other event of a seed exactly as it was.
        self._topics = build.EventBuilder(
            random.Random(f"topics-{seed}"), f"t{seed:x}{int(self.start) % 100000:x}"
        )
        self._topics.recent_customers = self._builder.recent_customers
        self._topic_np = np.random.default_rng([seed, 7])
        self.queues = {
            group: SkillGroupQueue(group, skill_group_line(group), self._planned(group))
            for groups in SKILL_GROUPS.values()
            for group in groups
        }
        self._membership = np.array(
            [
                [float(pair_group == group) for group in self.queues]
                for pair_group in self._pair_group
            ]
        )
        """(pair × group) 0/1 matrix: pair rates @ membership = group rates."""

    def write_labels(self, path: Path) -> None:
        write_labels(self.labels, path)

    def _planned(self, group: str) -> int:
        """In-house headcount: what a normal daytime hour needs (cloud agents do peaks)."""
        share = sum(
            float(s) for g, s in zip(self._pair_group, self._pair_share, strict=True) if g == group
        )
        return agents_needed(self.rate * share * HUMAN_SHARE * HANDLE_TIME_S)

    def pair(self, index: int) -> tuple[str, str, str]:
        """(business line, reason, skill group) of the pair at ``index`` of the rates."""
        line, reason, _ = self._pairs[index]
        return line, reason, self._pair_group[index]

    def pair_rates(self, ts: float, active: Sequence[Incident]) -> np.ndarray:
        """Expected contacts per second of every (line, reason) pair at ``ts``."""
        return self._apply(self.rate * load_factor(ts) * self._pair_share, active)

    def _apply(self, planned: np.ndarray, active: Sequence[Incident]) -> np.ndarray:
        """The planned rates with the active spikes and drops applied."""
        rates = planned.copy()
        for incident in active:
            for index, (line, reason, _) in enumerate(self._pairs):
                if line != incident.business_line:
                    continue
                hit = incident.kind is AnomalyKind.DROP or (
                    incident.kind is AnomalyKind.SPIKE and reason == incident.reason
                )
                if hit:
                    rates[index] *= incident.magnitude
        return rates

    def events(self) -> Iterator[tuple[str, Event]]:
        """Every event of the run, in time order (endless when there is no duration)."""
        pending: list[tuple[int, int, str, Event]] = []
        sequence = 0
        tick = self.start
        while tick < self.end:
            active = [i for i in self.labels if i.onset <= tick < i.end]
            load = load_factor(tick + 0.5)
            planned = self.rate * load * self._pair_share
            rates = self._apply(planned, active) if active else planned
            produced = self._tick(tick, load, planned, rates, active)
            for feed, event in produced:
                sequence += 1
                heapq.heappush(pending, (round(event.ts * 1000), sequence, feed, event))
            horizon_ms = round((tick + 1) * 1000)
            while pending and pending[0][0] < horizon_ms:
                _, _, feed, event = heapq.heappop(pending)
                if event.ts < self.end:
                    yield feed, event
            tick += 1

    def _tick(
        self,
        tick: float,
        load: float,
        planned: np.ndarray,
        rates: np.ndarray,
        active: Sequence[Incident],
    ) -> list[tuple[str, Event]]:
        rng = self._builder.rng
        out: list[tuple[str, Event]] = []
        counts = self._np.poisson(rates)
        # Staff for the plan, or more when a spike adds work (cloud agents are
        # elastic); a drop in arrivals never sends agents home mid-shift.
        staffing = np.maximum(rates, planned) if active else planned
        group_rates = (staffing @ self._membership * HUMAN_SHARE).tolist()
        for hit in np.flatnonzero(counts).tolist():
            line, reason, _ = self._pairs[hit]
            group = self._pair_group[hit]
            for _ in range(int(counts[hit])):
                arrival = tick + rng.random()
                contact = self._builder.contact(line, reason, group, arrival)
                if contact.robot_resolved:
                    out.append(("contacts", self._builder.robot_contact(contact, arrival)))
                else:
                    self.queues[group].arrive(arrival, contact, rng)
        breached = {
            i.skill_group: i.magnitude for i in active if i.kind is AnomalyKind.QUEUE_BREACH
        }
        snapshot = int(tick) % QUEUE_SNAPSHOT_S == 0
        for (group, queue), group_rate in zip(self.queues.items(), group_rates, strict=True):
            queue.staff(group_rate, breached.get(group, 1.0))
            pickups, abandons = queue.step(tick, tick + 1, rng)
            out.extend(("contacts", self._builder.answered(p)) for p in pickups)
            out.extend(("contacts", self._builder.abandoned(a)) for a in abandons)
            if snapshot:
                out.append(("queue", self._builder.queue_snapshot(queue, tick + 1)))
        out.extend(("voices", v) for v in self._voices(tick, load, active))
        conversations = self._np.poisson(min(self.rate * load * CONVERSATION_SHARE, 1.0))
        for _ in range(int(conversations)):
            index = int(
                self._np.choice(len(self._pairs), p=self._pair_share / self._pair_share.sum())
            )
            line, reason, _ = self._pairs[index]
            out.extend(
                ("conversations", u)
                for u in self._builder.conversation(
                    line, reason, self._pair_group[index], tick + rng.random()
                )
            )
        out.extend(("conversations", u) for u in self._topic_conversations(tick, active))
        return out

    def _topic_conversations(self, tick: float, active: Sequence[Incident]) -> list[Event]:
        """Conversations about what the active incidents are about (their business line,
        and their reason or skill group when they have one)."""
        out: list[Event] = []
        draws = self._topic_np
        for incident in active:
            if draws.random() >= 1.0 / TOPIC_CONVERSATION_EVERY_S:
                continue
            pairs = [i for i in range(len(self._pairs)) if self._on_topic(i, incident)]
            if not pairs:
                continue
            weights = self._pair_share[pairs] / self._pair_share[pairs].sum()
            index = pairs[int(draws.choice(len(pairs), p=weights))]
            line, reason, _ = self._pairs[index]
            start = tick + self._topics.rng.random()
            out += self._topics.conversation(line, reason, self._pair_group[index], start)
        return out

    def _on_topic(self, index: int, incident: Incident) -> bool:
        line, reason, _ = self._pairs[index]
        if line != incident.business_line:
            return False
        if incident.kind is AnomalyKind.QUEUE_BREACH:
            return self._pair_group[index] == incident.skill_group
        return incident.reason is None or reason == incident.reason

    def _voices(self, tick: float, load: float, active: Sequence[Incident]) -> list[Event]:
        storms = {i.business_line: i for i in active if i.kind is AnomalyKind.SENTIMENT_STORM}
        return self._builder.voices(tick, self.rate, load, storms, self._np)
