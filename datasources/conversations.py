"""Live conversations in Redis, masked, so the listening page follows a transcript cheaply.

The worker appends each utterance (masked on the way in: raw customer text never
reaches Redis outside the feed stream) to a capped list per conversation, keeps a
small context hash beside it and indexes the conversation in "live" sorted sets
scored by its last utterance time — one for everything and one per business line
and reason, so the "listen to customers on this topic" link is one ``ZREVRANGEBYSCORE``.
A page following a transcript asks only for the utterances after the ones it has
(``LRANGE key n -1``).  Customers' recent contacts come from the contacts feed into a
capped list per customer: the context a listener needs ("third contact today").

Every write takes the batch's writes (:class:`~datasources.batch.BatchWrites`), so a
batch's effects land together, in the batch's partition.  A conversation lives in the
partition its producer routed it to by its id (:func:`datasources.partitions.route`), so
one conversation is read from one partition; the live indexes and a customer's contacts
(routed by business line) are read from every partition and merged.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import redis

from datasources.batch import Target, writes_on
from datasources.conversations_write import add_contacts, add_utterances
from datasources.keys import Keys
from datasources.partitions import partition_of
from datasources.schemas import ContactEvent, Utterance
from datasources.settings import QintingSettings


@dataclass(frozen=True)
class StoredUtterance:
    """One turn as the listening page shows it: masked text only."""

    seq: int
    ts: float
    speaker: str
    text: str

    @classmethod
    def from_json(cls, raw: str) -> StoredUtterance:
        return cls(**json.loads(raw))


@dataclass(frozen=True)
class ConversationSummary:
    """A conversation's context: topic, who handles it, how long the customer waited."""

    conversation_id: str
    business_line: str
    reason: str
    channel: str
    skill_group: str
    started: float
    last_ts: float
    final: bool
    customer_id: str | None = None
    agent_id: str | None = None
    first_customer_ts: float | None = None
    first_agent_ts: float | None = None
    robot: bool = False
    """The service robot (小蜜) has spoken in this conversation."""

    @property
    def wait_s(self) -> float | None:
        """How long the customer waited for a person: from their first words to the first
        agent's; ``None`` until both have spoken."""
        if self.first_customer_ts is None or self.first_agent_ts is None:
            return None
        return max(0.0, self.first_agent_ts - self.first_customer_ts)

    @property
    def handled_by(self) -> str | None:
        """The agent's id, ``robot`` while only the robot has answered, else ``None``."""
        return self.agent_id or ("robot" if self.robot else None)

    @classmethod
    def from_hash(cls, conversation_id: str, meta: dict[str, str]) -> ConversationSummary:
        customer, agent = meta.get("first_customer_ts"), meta.get("first_agent_ts")
        return cls(
            conversation_id=conversation_id,
            business_line=meta.get("business_line", ""),
            reason=meta.get("reason", ""),
            channel=meta.get("channel", ""),
            skill_group=meta.get("skill_group", ""),
            started=float(meta.get("started", 0.0)),
            last_ts=float(meta.get("last_ts", 0.0)),
            final=meta.get("final") == "1",
            customer_id=meta.get("customer_id") or None,
            agent_id=meta.get("agent_id") or None,
            first_customer_ts=float(customer) if customer else None,
            first_agent_ts=float(agent) if agent else None,
            robot=meta.get("robot") == "1",
        )


@dataclass(frozen=True)
class RecentContact:
    """One of the customer's recent contacts (from the contacts feed)."""

    ts: float
    business_line: str
    reason: str
    channel: str
    handled_by: str
    waited_s: float
    outcome: str


class ConversationStore:
    """Reads and writes of the live-conversation keys; nothing else touches them."""

    def __init__(self, client: redis.Redis, keys: Keys, settings: QintingSettings) -> None:
        self.client = client
        self.keys = keys
        self.settings = settings

    def _home(self, conversation_id: str) -> Keys:
        """The keys of the partition holding this conversation."""
        return self.keys.of(partition_of(conversation_id, self.keys.partitions))

    def _each(self, command: Callable[[Any, Keys], object]) -> list[Any]:
        pipe = self.client.pipeline(transaction=False)
        for part in self.keys.every():
            command(pipe, part)
        return list(pipe.execute())

    def record_utterances(
        self, utterances: Sequence[Utterance], pipeline: Target | None = None
    ) -> None:
        """Append masked utterances, update each conversation's context and live index
        (one checked write per batch, see :mod:`datasources.conversations_write`)."""
        with writes_on(pipeline if pipeline is not None else self.client) as writes:
            add_utterances(writes, utterances, self.keys.of(writes.partition), self.settings)

    def record_contacts(
        self, contacts: Iterable[ContactEvent], pipeline: Target | None = None
    ) -> None:
        """Keep each customer's last few contacts, newest first, for the listener's context."""
        with writes_on(pipeline if pipeline is not None else self.client) as writes:
            add_contacts(writes, contacts, self.keys.of(writes.partition), self.settings)

    def live(
        self,
        now: float,
        *,
        business_line: str | None = None,
        reason: str | None = None,
        channel: str | None = None,
        skill_group: str | None = None,
        limit: int = 100,
    ) -> list[ConversationSummary]:
        """Conversations with an utterance in the live window, newest first, filtered."""
        scan = limit if business_line and reason else max(limit * 10, 500)
        since = now - self.settings.live_window_s

        def index(part: Keys) -> str:
            if business_line and reason:
                return part.live_conversations_on(business_line, reason)
            return part.live_conversations

        found_ids = self._each(
            lambda pipe, part: pipe.zrevrangebyscore(
                index(part), "+inf", since, start=0, num=scan, withscores=True
            )
        )
        newest = sorted(
            ((score, p, cid) for p, pairs in enumerate(found_ids) for cid, score in pairs),
            reverse=True,
        )[:scan]
        ids = [cid for _score, _p, cid in newest]
        if not ids:
            return []
        pipe = self.client.pipeline(transaction=False)
        for _score, p, cid in newest:
            pipe.hgetall(self.keys.of(p).conversation_meta(cid))
        wanted = {
            "business_line": business_line,
            "reason": reason,
            "channel": channel,
            "skill_group": skill_group,
        }
        found = []
        for cid, meta in zip(ids, pipe.execute(), strict=True):
            if not meta or meta.get("final") == "1":
                continue
            if any(value and meta.get(name) != value for name, value in wanted.items()):
                continue
            found.append(ConversationSummary.from_hash(cid, meta))
            if len(found) >= limit:
                break
        return found

    def summary(self, conversation_id: str) -> ConversationSummary | None:
        meta: Any = self.client.hgetall(
            self._home(conversation_id).conversation_meta(conversation_id)
        )
        return ConversationSummary.from_hash(conversation_id, meta) if meta else None

    def transcript(self, conversation_id: str, start: int = 0) -> list[StoredUtterance]:
        """Utterances from list position ``start`` on."""
        raw: Any = self.client.lrange(
            self._home(conversation_id).conversation(conversation_id), start, -1
        )
        return [StoredUtterance.from_json(item) for item in raw]

    def follow(self, conversation_id: str, offset: int) -> tuple[int, list[StoredUtterance]]:
        """What was appended since list position ``offset``, and the new offset.  If the
        list was trimmed or expired under the follower, it starts again from the top
        (:func:`merge_transcript` drops what it already has)."""
        key = self._home(conversation_id).conversation(conversation_id)
        pipe = self.client.pipeline(transaction=True)
        pipe.llen(key)
        pipe.lrange(key, offset, -1)
        length, raw = pipe.execute()
        if length < offset:
            raw = self.client.lrange(key, 0, -1)
            length = len(raw)
        return int(length), [StoredUtterance.from_json(item) for item in raw]

    def recent_contacts(self, customer_id: str) -> list[RecentContact]:
        """The customer's last few contacts, newest first, from every partition."""
        lists = self._each(
            lambda pipe, part: pipe.lrange(part.customer_contacts(customer_id), 0, -1)
        )
        found = [RecentContact(**json.loads(item)) for items in lists for item in items]
        if len(lists) > 1:
            found.sort(key=lambda c: c.ts, reverse=True)
        return found[: self.settings.customer_contacts]


def merge_transcript(
    have: Sequence[StoredUtterance], new: Iterable[StoredUtterance]
) -> list[StoredUtterance]:
    """Add newly read utterances to those shown, once each (a redelivered batch may have
    appended one twice), in conversation order."""
    seen = {u.seq for u in have}
    merged = list(have)
    for u in new:
        if u.seq not in seen:
            seen.add(u.seq)
            merged.append(u)
    merged.sort(key=lambda u: (u.seq, u.ts))
    return merged
