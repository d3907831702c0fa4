"""Turning simulated happenings into feed events (the contract's models).

Kept apart from the clock in :mod:`engine` so the wording, ids and distributions of
the fields live in one place.  Times are carried as integer epoch milliseconds, the
wire's own unit, so an event read back from Redis equals the event written.
"""

from __future__ import annotations

import random
from collections import deque
from dataclasses import dataclass
from typing import Final

import numpy as np

from datasources.schemas import (
    Channel,
    ContactEvent,
    Event,
    HandledBy,
    Outcome,
    QueueSnapshot,
    Speaker,
    Utterance,
    VoiceEvent,
    VoiceSource,
)
from datasources.simulator.incidents import Incident
from datasources.simulator.mix import (
    CHANNEL_SHARE,
    LINE_SHARE,
    NEGATIVE_SHARE,
    REASON_WEIGHTS,
    ROBOT_RESOLVES,
    VERBATIM_SHARE,
    VOICE_SHARE,
)
from datasources.simulator.queues import Abandon, Pickup, SkillGroupQueue
from datasources.simulator.texts import conversation_turns, verbatim, voice_text

RECENT_CUSTOMERS: Final = 5000

_CHANNELS: Final = [Channel(c) for c in CHANNEL_SHARE]
_CHANNEL_CUM: Final = np.cumsum(list(CHANNEL_SHARE.values())).tolist()
_SOURCES: Final = list(VoiceSource)
_SOURCE_WEIGHTS: Final = (0.3, 0.2, 0.15, 0.2, 0.05, 0.1)
_LINES: Final = list(LINE_SHARE)
_LINE_SHARES: Final = np.array(list(LINE_SHARE.values()))


def ms(ts: float) -> int:
    return round(ts * 1000)


@dataclass(slots=True)
class Contact:
    """A contact between arrival and outcome."""

    contact_id: str
    line: str
    reason: str
    group: str
    channel: Channel
    robot_resolved: bool
    customer_id: str | None


class EventBuilder:
    """Builds every event from one seeded generator (ids are a counter, not random)."""

    def __init__(self, rng: random.Random, id_prefix: str) -> None:
        self.rng = rng
        self.prefix = id_prefix
        self.counter = 0
        self.recent_customers: deque[str] = deque(maxlen=RECENT_CUSTOMERS)
        """Customers who contacted us lately: live conversations come from them, so
        the listening page can show a customer's recent contacts."""

    def _id(self, kind: str) -> str:
        self.counter += 1
        return f"{kind}-{self.prefix}-{self.counter:x}"

    def contact(self, line: str, reason: str, group: str, arrival: float) -> Contact:
        rng = self.rng
        pick = rng.random()
        channel = _CHANNELS[-1]
        for index, bound in enumerate(_CHANNEL_CUM):
            if pick < bound:
                channel = _CHANNELS[index]
                break
        resolved = channel is Channel.ROBOT and rng.random() < ROBOT_RESOLVES
        customer = f"u{rng.randrange(10**8):08d}" if rng.random() < 0.7 else None
        if customer is not None:
            self.recent_customers.append(customer)
        return Contact(self._id("c"), line, reason, group, channel, resolved, customer)

    def _event(
        self, contact: Contact, ts: float, handled: HandledBy, waited: float, outcome: Outcome
    ) -> ContactEvent:
        rng = self.rng
        text = sentiment = None
        if rng.random() < VERBATIM_SHARE:
            negative = rng.random() < (0.9 if outcome is Outcome.ABANDONED else 0.45)
            text = verbatim(rng, contact.reason, negative)
            low, high = (-1.0, -0.3) if negative else (-0.2, 0.8)
            sentiment = round(rng.uniform(low, high), 2)
        return ContactEvent(
            v="1",
            ts=ms(ts),
            contact_id=contact.contact_id,
            channel=contact.channel,
            business_line=contact.line,
            reason=contact.reason,
            skill_group=contact.group,
            handled_by=handled,
            waited_s=round(waited, 1),
            outcome=outcome,
            customer_id=contact.customer_id,
            verbatim=text,
            sentiment=sentiment,
        )

    def robot_contact(self, contact: Contact, arrival: float) -> ContactEvent:
        return self._event(contact, arrival, HandledBy.ROBOT, 0.0, Outcome.ANSWERED)

    def answered(self, pickup: Pickup) -> ContactEvent:
        handled = HandledBy.CLOUD_AGENT if pickup.cloud else HandledBy.AGENT
        waited = pickup.at - pickup.arrival
        return self._event(pickup.payload, pickup.at, handled, waited, Outcome.ANSWERED)

    def abandoned(self, abandon: Abandon) -> ContactEvent:
        waited = abandon.at - abandon.arrival
        return self._event(abandon.payload, abandon.at, HandledBy.AGENT, waited, Outcome.ABANDONED)

    def queue_snapshot(self, queue: SkillGroupQueue, now: float) -> QueueSnapshot:
        """The queue as it stands at ``now`` (the end of a tick)."""
        return QueueSnapshot(
            v="1",
            ts=ms(now),
            skill_group=queue.name,
            business_line=queue.business_line,
            **queue.snapshot(now),
        )

    def voices(
        self,
        tick: float,
        rate: float,
        load: float,
        storms: dict[str, Incident],
        draws: np.random.Generator,
    ) -> list[Event]:
        """External posts this second: a negative share per line, multiplied in a storm."""
        base = rate * VOICE_SHARE * load**0.5 * _LINE_SHARES
        boost = np.array([storms[line].magnitude if line in storms else 1.0 for line in _LINES])
        negatives = draws.poisson(base * NEGATIVE_SHARE * boost)
        others = draws.poisson(base * (1 - NEGATIVE_SHARE))
        rng = self.rng
        out: list[Event] = []
        for index, line in enumerate(_LINES):
            storm = storms.get(line)
            weights = REASON_WEIGHTS[line]
            for negative, count in ((True, negatives[index]), (False, others[index])):
                for _ in range(int(count)):
                    reason = (
                        storm.reason
                        if storm and storm.reason and negative and rng.random() < 0.7
                        else rng.choices(list(weights), list(weights.values()))[0]
                    )
                    low, high = (-1.0, -0.35) if negative else (0.0, 1.0)
                    out.append(
                        VoiceEvent(
                            v="1",
                            ts=ms(tick + rng.random()),
                            voice_id=self._id("v"),
                            source=rng.choices(_SOURCES, _SOURCE_WEIGHTS)[0],
                            business_line=line,
                            text=voice_text(rng, line, reason, negative),
                            sentiment=round(rng.uniform(low, high), 2),
                            reach=int(rng.lognormvariate(6.0, 1.6)),
                        )
                    )
        return out

    def conversation(self, line: str, reason: str, group: str, start: float) -> list[Utterance]:
        """Every turn of one live conversation, spaced like a real chat."""
        rng = self.rng
        conversation_id = self._id("conv")
        channel = Channel.HOTLINE if rng.random() < 0.4 else Channel.CHAT
        customer = (
            rng.choice(self.recent_customers)
            if self.recent_customers
            else f"u{rng.randrange(10**8):08d}"
        )
        agent = f"a{rng.randrange(10**5):05d}"
        turns = conversation_turns(rng, reason)
        at = start
        out = []
        for seq, (speaker, text) in enumerate(turns):
            out.append(
                Utterance(
                    v="1",
                    ts=ms(at),
                    conversation_id=conversation_id,
                    seq=seq,
                    speaker=Speaker(speaker),
                    text=text,
                    business_line=line,
                    reason=reason,
                    channel=channel,
                    skill_group=group,
                    customer_id=customer,
                    agent_id=agent if speaker == "agent" else None,
                    final=seq == len(turns) - 1,
                )
            )
            at += rng.uniform(3.0, 12.0)
        return out
