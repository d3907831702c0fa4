"""Skill-group queues: where contacts wait when arrivals outrun the agents.

Staffing follows the expected load with a margin (cloud agents work a share of every
shift and everything above the group's planned in-house headcount, as Alibaba's 云客服
do), so on a normal day nobody waits long and pick-up stays above 99.9%.  A queue-breach incident
takes most of a group's agents away: waiting and the longest wait grow from the
first second, and customers start abandoning once their patience runs out.
"""

from __future__ import annotations

import heapq
import math
import random
from dataclasses import dataclass, field
from typing import Any, Final

from datasources.simulator.mix import HANDLE_TIME_S, agents_needed

RECOVERY_S: Final = 120.0
"""After an outage agents log back in over two minutes, so the backlog drains as a
slope rather than a one-second burst of pick-ups (which would look like a spike)."""

RAMP_DOWN_S: Final = 300.0
"""When the plan asks for fewer agents, they leave over about five minutes (a tick is one
second), not all in the same second."""

CLOUD_BASE_SHARE: Final = 0.12
"""Share of every shift's headcount worked by cloud agents (云客服) at any hour: about
10,000 of some 70,000 agents on a normal Double-11 day, more at the peaks, where the
cloud takes everything beyond the in-house plan."""

MIN_PATIENCE_S: Final = 20.0
MEAN_EXTRA_PATIENCE_S: Final = 60.0
"""Patience = 20 s + exponential(60 s): nobody hangs up within 20 s."""


@dataclass(slots=True)
class Waiting:
    arrival: float
    patience: float
    payload: Any


@dataclass(slots=True)
class Pickup:
    payload: Any
    arrival: float
    at: float
    cloud: bool


@dataclass(slots=True)
class Abandon:
    payload: Any
    arrival: float
    at: float


@dataclass
class SkillGroupQueue:
    """One agent pool and its FIFO queue, advanced one tick at a time."""

    name: str
    business_line: str
    planned_inhouse: int
    waiting: list[Waiting] = field(default_factory=list)
    busy: list[tuple[float, bool]] = field(default_factory=list)
    busy_cloud: int = 0
    inhouse: int = 0
    cloud: int = 0
    capacity: float = 1.0
    needed: float = 0.0
    """Headcount asked for by the last :meth:`staff` (before any outage)."""

    def staff(self, expected_rate: float, capacity: float = 1.0) -> None:
        """Set headcount for the expected arrival rate (per second); ``capacity`` < 1
        is an outage taking that share of agents away."""
        if capacity < self.capacity:
            self.capacity = capacity
        elif capacity > self.capacity:
            self.capacity = min(capacity, self.capacity + 1.0 / RECOVERY_S)
        needed = agents_needed(expected_rate * HANDLE_TIME_S)
        # Nobody is sent home while customers queue, and otherwise agents leave a few
        # at a time: after the midnight peak or a spike the plan shrinks faster than
        # the backlog, which would turn every ramp-down into a breach no team allows.
        floor = self.needed if self.waiting else self.needed * (1.0 - 1.0 / RAMP_DOWN_S)
        self.needed = max(float(needed), floor)
        needed = math.ceil(self.needed)
        inhouse = min(math.floor(needed * (1.0 - CLOUD_BASE_SHARE)), self.planned_inhouse)
        self.inhouse = math.floor(inhouse * self.capacity)
        self.cloud = math.floor((needed - inhouse) * self.capacity)

    def arrive(self, arrival: float, payload: Any, rng: random.Random) -> None:
        patience = MIN_PATIENCE_S + rng.expovariate(1.0 / MEAN_EXTRA_PATIENCE_S)
        self.waiting.append(Waiting(arrival, patience, payload))

    def step(
        self, start: float, end: float, rng: random.Random
    ) -> tuple[list[Pickup], list[Abandon]]:
        """Advance over ``[start, end)``: free agents finishing, pick up FIFO, abandon."""
        busy = self.busy
        while busy and busy[0][0] < end:
            _, was_cloud = heapq.heappop(busy)
            self.busy_cloud -= was_cloud
        pickups: list[Pickup] = []
        abandons: list[Abandon] = []
        if not self.waiting:
            return pickups, abandons
        free_in = max(0, self.inhouse - (len(busy) - self.busy_cloud))
        free_cloud = max(0, self.cloud - self.busy_cloud)
        keep: list[Waiting] = []
        self.waiting.sort(key=lambda w: w.arrival)
        for item in self.waiting:
            ready = max(item.arrival, start)
            if ready - item.arrival >= item.patience:
                abandons.append(Abandon(item.payload, item.arrival, item.arrival + item.patience))
            elif free_in + free_cloud > 0:
                cloud = rng.random() * (free_in + free_cloud) < free_cloud
                if cloud:
                    free_cloud -= 1
                    self.busy_cloud += 1
                else:
                    free_in -= 1
                at = ready + rng.uniform(0.5, 3.0)
                heapq.heappush(busy, (at + rng.expovariate(1.0 / HANDLE_TIME_S), cloud))
                pickups.append(Pickup(item.payload, item.arrival, at, cloud))
            elif end - item.arrival >= item.patience:
                abandons.append(Abandon(item.payload, item.arrival, item.arrival + item.patience))
            else:
                keep.append(item)
        self.waiting = keep
        return pickups, abandons

    def snapshot(self, now: float) -> dict[str, Any]:
        """The fields of a ``QueueSnapshot`` at ``now`` (besides ts and names)."""
        busy_in = len(self.busy) - self.busy_cloud
        return {
            "waiting": len(self.waiting),
            "agents_available": max(0, self.inhouse - busy_in),
            "agents_busy": busy_in,
            "cloud_agents_available": max(0, self.cloud - self.busy_cloud),
            "cloud_agents_busy": self.busy_cloud,
            "longest_wait_s": round(now - self.waiting[0].arrival, 1) if self.waiting else 0.0,
        }
