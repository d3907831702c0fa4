"""The write side of live conversations: batches for the worker, applied by Lua.

The conversation stage sees thousands of utterances and contacts a second; a dozen
Redis commands per utterance would be most of the worker's budget.  So a batch is
grouped here (by conversation, by customer) into one JSON argument, and one script
call applies it inside the batch's MULTI/EXEC.  Key names are computed here from
:class:`~datasources.keys.Keys` and passed in; the scripts never spell a key.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from typing import Any

from alerts.masking import mask_pii
from datasources.keys import Keys
from datasources.schemas import ContactEvent, Utterance
from datasources.settings import QintingSettings

RECORD_UTTERANCES = """
local batch = cjson.decode(ARGV[1])
local ttl, keep, horizon = tonumber(ARGV[2]), tonumber(ARGV[3]), ARGV[4]
for _, c in ipairs(batch.conversations) do
  redis.call('RPUSH', c.list, unpack(c.items))
  redis.call('LTRIM', c.list, -keep, -1)
  redis.call('HSET', c.meta, unpack(c.context))
  redis.call('HSETNX', c.meta, 'started', c.started)
  if c.customer_at then redis.call('HSETNX', c.meta, 'first_customer_ts', c.customer_at) end
  if c.agent_at then redis.call('HSETNX', c.meta, 'first_agent_ts', c.agent_at) end
  if c.robot then redis.call('HSET', c.meta, 'robot', '1') end
  if c.final then
    redis.call('HSET', c.meta, 'final', '1')
    redis.call('ZREM', batch.live, c.id)
    redis.call('ZREM', c.topic, c.id)
  else
    redis.call('ZADD', batch.live, c.last, c.id)
    redis.call('ZADD', c.topic, c.last, c.id)
  end
  redis.call('EXPIRE', c.list, ttl)
  redis.call('EXPIRE', c.meta, ttl)
end
for _, live in ipairs(batch.indexes) do
  redis.call('ZREMRANGEBYSCORE', live, '-inf', horizon)
  redis.call('EXPIRE', live, ttl)
end
return #batch.conversations
"""
"""One batch of utterances, grouped by conversation (key names come from :class:`Keys`)."""

RECORD_CONTACTS = """
local items = cjson.decode(ARGV[1])
local keep, ttl = tonumber(ARGV[2]), tonumber(ARGV[3])
for _, item in ipairs(items) do
  redis.call('LPUSH', item[1], item[2])
  redis.call('LTRIM', item[1], 0, keep - 1)
  redis.call('EXPIRE', item[1], ttl)
end
return #items
"""
"""One batch of contacts: ``[[customer list key, contact JSON], …]``, newest last."""


def utterance_batch(utterances: Sequence[Utterance], keys: Keys, settings: QintingSettings) -> str:
    """The :data:`RECORD_UTTERANCES` argument: per conversation its masked utterances
    (as the page reads them), its latest context and its live-index entries."""
    conversations: dict[str, dict[str, Any]] = {}
    indexes = {keys.live_conversations}
    for u in utterances:
        c = conversations.get(u.conversation_id)
        if c is None:
            topic = keys.live_conversations_on(u.business_line, u.reason)
            indexes.add(topic)
            c = conversations[u.conversation_id] = {
                "id": u.conversation_id,
                "list": keys.conversation(u.conversation_id),
                "meta": keys.conversation_meta(u.conversation_id),
                "topic": topic,
                "items": [],
                "context": {},
                "started": repr(u.ts),
                "final": False,
            }
        stored = {"seq": u.seq, "ts": u.ts, "speaker": u.speaker.value, "text": mask_pii(u.text)}
        c["items"].append(json.dumps(stored, ensure_ascii=False, separators=(",", ":")))
        c["context"].update(
            business_line=u.business_line,
            reason=u.reason,
            channel=u.channel.value,
            skill_group=u.skill_group,
            last_ts=repr(u.ts),
        )
        if u.customer_id:
            c["context"]["customer_id"] = u.customer_id
        if u.agent_id:
            c["context"]["agent_id"] = u.agent_id
        if u.speaker.value == "customer":
            c.setdefault("customer_at", repr(u.ts))
        elif u.speaker.value == "agent":
            c.setdefault("agent_at", repr(u.ts))
        else:
            c["robot"] = True
        c["last"] = repr(u.ts)
        c["final"] = c["final"] or u.final
    for c in conversations.values():
        c["context"] = [x for pair in c["context"].items() for x in pair]
    batch = {
        "live": keys.live_conversations,
        "conversations": list(conversations.values()),
        "indexes": sorted(indexes),
    }
    return json.dumps(batch, ensure_ascii=False, separators=(",", ":"))


def contact_batch(contacts: Iterable[ContactEvent], keys: Keys) -> str | None:
    """The :data:`RECORD_CONTACTS` argument (``None`` when no contact names a customer)."""
    items = [
        [
            keys.customer_contacts(c.customer_id),
            json.dumps(
                {
                    "ts": c.ts,
                    "business_line": c.business_line,
                    "reason": c.reason,
                    "channel": c.channel.value,
                    "handled_by": c.handled_by.value,
                    "waited_s": c.waited_s,
                    "outcome": c.outcome.value,
                },
                separators=(",", ":"),
            ),
        ]
        for c in contacts
        if c.customer_id
    ]
    return json.dumps(items, ensure_ascii=False, separators=(",", ":")) if items else None
