"""A fresh demo starts with the past day already there (``gmd simulate --history 24h``).

Replaying a whole Double-11 day event by event (~3.5 million events at the default
rate) through the feeds and the worker takes many minutes on a small machine, so a
fresh ``gmd run`` fills the day in two parts, side by side and only into an empty
deployment:

1. **The day's shape** (from 24 h ago up to the replay window): contacts per
   business line, reason and channel, drawn per minute from the simulator's own
   traffic model (:meth:`Simulator.pair_rates`: the Double-11 curve and the mix)
   and written through :class:`~datasources.aggregates_write.BatchAggregate` — the
   worker's own aggregation code, so the aggregates are exactly those the worker
   would write for these contacts.  Contacts only (no queue snapshots, voices,
   conversations or verbatims), all answered — by the robot, or in chat by an agent
   after a short wait — and no incidents; the feed watermarks are left alone, so
   detection never sees this part.  It feeds the 24 h chart (which reads its whole
   day again every two minutes, so the shape appears once written).
2. **The last half hour or so** (:func:`replay_window`) through the real path: the
   simulator starts that far back and writes to the feed streams as fast as the
   worker takes them until it reaches the present, then goes on in real time — one
   simulator, so there is no seam.  Detection, alerts, KPIs, voices and
   conversations come from this part, as in any live run.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from typing import Final

import numpy as np
import redis

from alerts.masking import mask_pii
from datasources.aggregates import data_now
from datasources.aggregates_write import BatchAggregate
from datasources.keys import Keys
from datasources.schemas import Channel, ContactEvent, HandledBy, Outcome
from datasources.settings import Settings
from datasources.simulator.curve import load_factor
from datasources.simulator.engine import Simulator
from datasources.simulator.mix import CHANNEL_SHARE, ROBOT_RESOLVES

REPLAY_CONTACTS: Final = 60_000
"""Contacts the real-path replay may hold: its window shrinks when traffic is heavy."""
REPLAY_MIN_S: Final = 900.0
REPLAY_MAX_S: Final = 2700.0
SHAPE_WAIT_S: Final = 4.0
"""A human contact of the day's shape waited this long (within any service level)."""
FLUSH_MINUTES: Final = 60
CAUGHT_UP_S: Final = 15.0
"""Data this close to the wall clock is live (the worker's batches take a moment)."""


def has_data(client: redis.Redis, keys: Keys) -> bool:
    """Has any worker processed a contact here (then the past is already there)?"""
    return data_now(client, keys) is not None


def replay_window(now: float, rate: float) -> float:
    """Seconds before ``now`` to replay through the real path: as long as the traffic
    of the last minutes allows (at most :data:`REPLAY_CONTACTS`), within bounds."""
    window, contacts = 0.0, 0.0
    while window < REPLAY_MAX_S:
        contacts += rate * load_factor(now - window - 30) * 60
        if contacts > REPLAY_CONTACTS and window >= REPLAY_MIN_S:
            break
        window += 60
    return window


def _contact(line: str, reason: str, group: str, robot: bool) -> ContactEvent:
    return ContactEvent.model_construct(
        v="1", ts=0.0, contact_id="history", business_line=line, reason=reason,
        channel=Channel.ROBOT if robot else Channel.CHAT, skill_group=group,
        handled_by=HandledBy.ROBOT if robot else HandledBy.AGENT,
        waited_s=0.0 if robot else SHAPE_WAIT_S, outcome=Outcome.ANSWERED,
        customer_id=None, verbatim=None, sentiment=None,
    )  # fmt: skip


class DayShape:
    """Per minute, each pair's contacts: resolved by the robot, or answered in chat."""

    def __init__(self, sim: Simulator) -> None:
        self.sim = sim
        self.draws = np.random.default_rng([sim.seed, 11])
        pairs = [sim.pair(i) for i in range(len(sim.pair_rates(0.0, ())))]
        self.kinds = [(_contact(*p, robot=True), _contact(*p, robot=False)) for p in pairs]

    def minute(self, batch: BatchAggregate, ts: float) -> int:
        """One minute's contacts, all in the minute's middle 10 s bucket."""
        counts = self.draws.poisson(self.sim.pair_rates(ts + 30, ()) * 60)
        robot = self.draws.binomial(counts, CHANNEL_SHARE["robot"] * ROBOT_RESOLVES)
        for index in np.flatnonzero(counts).tolist():
            by_robot, in_chat = self.kinds[index]
            if robot[index]:
                batch.add_contact_copies(by_robot, int(robot[index]), ts + 30)
            if counts[index] > robot[index]:
                batch.add_contact_copies(in_chat, int(counts[index] - robot[index]), ts + 30)
        return int(counts.sum())


def fill_day_shape(
    client: redis.Redis,
    settings: Settings,
    sim: Simulator,
    start: float,
    end: float,
    progress: Callable[[float], None] | None = None,
) -> int:
    """Write the day's shape for whole minutes in ``[start, end)``; returns contacts."""
    keys = Keys.from_settings(settings)
    shape = DayShape(sim)
    first = math.floor(start / 60) * 60
    minutes = list(range(first, math.floor(end / 60) * 60, 60))
    total = 0
    for offset in range(0, len(minutes), FLUSH_MINUTES):
        batch = BatchAggregate(settings, mask_pii)
        for ts in minutes[offset : offset + FLUSH_MINUTES]:
            total += shape.minute(batch, float(ts))
        with client.pipeline(transaction=False) as pipe:
            batch.flush(keys, pipeline=pipe)
            pipe.execute()
        if progress is not None:
            progress(min(1.0, (offset + FLUSH_MINUTES) / max(len(minutes), 1)))
    return total


def wait_caught_up(
    client: redis.Redis,
    keys: Keys,
    report: Callable[[float, float], None],
    stop: Callable[[], bool],
    timeout_s: float = 600.0,
    every_s: float = 3.0,
) -> bool:
    """Report (share of the replay done, data time) until the worker's contacts
    watermark reaches the present; ``False`` on ``stop()`` or after ``timeout_s``."""
    began = time.monotonic()
    since: float | None = None
    while time.monotonic() - began < timeout_s and not stop():
        mark = data_now(client, keys)
        now = time.time()
        if mark is not None:
            if now - mark < CAUGHT_UP_S:
                return True
            since = mark if since is None else since
            report(max(0.0, min(1.0, (mark - since) / max(now - since, 1.0))), mark)
        time.sleep(every_s)
    return False
