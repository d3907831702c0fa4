"""The write side of live conversations: batches for the worker, applied by Lua.

The conversation stage sees thousands of utterances and contacts a second; a dozen
Redis commands per utterance would be most of the worker's budget.  So a batch is
grouped here (by conversation, by customer) into one JSON argument, described as one
``conv`` / ``cust`` write that the batch script checks and applies
(:mod:`datasources.batch_lua`).  Key names are computed here from
:class:`~datasources.keys.Keys` and passed in; the script never spells a key.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from typing import Any

from alerts.masking import mask_pii
from datasources.batch import BatchWrites
from datasources.keys import Keys
from datasources.schemas import ContactEvent, Utterance
from datasources.settings import QintingSettings


def add_utterances(
    writes: BatchWrites, utterances: Sequence[Utterance], keys: Keys, settings: QintingSettings
) -> None:
    """One ``conv`` write: masked transcripts, contexts and live indexes of a batch."""
    if not utterances:
        return
    horizon = max(u.ts for u in utterances) - 2 * settings.live_window_s
    writes.add(
        "conv",
        [],
        [
            utterance_batch(utterances, keys, settings),
            settings.conversation_ttl_s,
            settings.max_utterances,
            repr(horizon),
        ],
    )


def add_contacts(
    writes: BatchWrites, contacts: Iterable[ContactEvent], keys: Keys, settings: QintingSettings
) -> None:
    """One ``cust`` write: each customer's last few contacts, newest first."""
    batch = contact_batch(contacts, keys)
    if batch is not None:
        writes.add(
            "cust", [], [batch, settings.customer_contacts, settings.customer_contacts_ttl_s]
        )


def utterance_batch(utterances: Sequence[Utterance], keys: Keys, settings: QintingSettings) -> str:
    """The ``conv`` write's payload: per conversation its masked utterances (as the page
    reads them), its latest context and its live-index entries."""
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
        c["items"] = c["items"][-settings.max_utterances :]  # the list keeps no more
    batch = {
        "live": keys.live_conversations,
        "conversations": list(conversations.values()),
        "indexes": sorted(indexes),
    }
    return json.dumps(batch, ensure_ascii=False, separators=(",", ":"))


def contact_batch(contacts: Iterable[ContactEvent], keys: Keys) -> str | None:
    """The ``cust`` write's payload: ``[[customer list key, contact JSON], …]``, newest
    last (``None`` when no contact names a customer)."""
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
