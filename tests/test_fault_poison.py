"""Poison events against a real ``gmd worker``: each is dead-lettered, the worker stays up.

The trial's findings, reproduced on one running worker: a 50,000-deep JSON array, a
JSON number of 5,000 digits, invalid UTF-8 in a value, in a field name and inside the
``json`` field, numbers the storage cannot hold (``reach`` 10^17, ``waited_s`` 1e308),
times outside the accepted window (year 9999, year 1, an hour ahead), and personal data
in entries that break the contract.  A third of them are already pending for the
worker's own name when it starts (what a fresh ``gmd run`` finds after a crash), a
third pending for a consumer that died (claimed), a third new.  Good events around
them — including valid ids that spell internal key names (``live``, ``meta:x``) — must
be counted exactly, every poison entry dead-lettered once with a reason naming what is
wrong, no personal data stored in clear, nothing left pending, and the worker alive.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest
import redis

from datasources import aggregates_layout as lay
from datasources.conversations import ConversationStore
from datasources.feeds import read_dead_letters
from datasources.keys import FEED_GROUP, Keys
from datasources.schemas import MAX_REACH, Utterance
from datasources.settings import Settings
from tests.fault_support import (
    PHONE,
    Hostile,
    hostile_entries,
    leaks,
    settled,
    stored_text,
    wait_until,
    worker_process,
)
from tests.worker_support import T0, contact, publish, summed, voice, worker_env
from worker import groups

pytestmark = [pytest.mark.integration, pytest.mark.slow]

GOOD_PER_PART = 20
CONVERSATIONS = ("live", "meta:x", "utt:live", "{tag}", "%41")
"""Valid conversation ids that spell internal key names or escapes."""


def utterance(conversation_id: str, seq: int) -> Utterance:
    return Utterance(
        v="1", ts=(T0 + seq) * 1000, conversation_id=conversation_id, seq=seq,
        speaker="customer" if seq % 2 else "agent", text=f"第{seq}句，电话{PHONE}",
        business_line="cainiao", reason="logistics_delay", channel="hotline",
        skill_group="cainiao-parcel", customer_id=f"cust:{conversation_id}",
    )  # fmt: skip


def write_part(client: Any, raw: redis.Redis, keys: Keys, part: int, poison: list[Hostile]) -> None:
    """Good events of every feed with the poison entries between them."""
    base = part * GOOD_PER_PART
    contacts = [
        contact(T0 + base + i, n=base + i).model_copy(
            update={"customer_id": f"c:{i}" if i % 2 else "{x}"}
        )
        for i in range(GOOD_PER_PART)
    ]
    publish(client, keys, "contacts", contacts[: GOOD_PER_PART // 2])
    for hostile in poison:
        raw.xadd(keys.stream(hostile.feed), hostile.fields)  # type: ignore[arg-type]
    publish(client, keys, "contacts", contacts[GOOD_PER_PART // 2 :])
    publish(client, keys, "voices", [voice(T0 + base + i) for i in range(GOOD_PER_PART)])
    publish(
        client,
        keys,
        "conversations",
        [utterance(cid, base + i) for cid in CONVERSATIONS for i in range(4)],
    )


def write_storage_traps(client: Any, keys: Keys) -> int:
    """Valid events the storage cannot take as things stand: a voice whose reach would carry
    its hour's counter past 2^63 (the trial's ``reach`` overflow, on a counter already near
    the limit), and an utterance of a conversation whose transcript key holds a string.
    Each arrives in a batch with good events, which must not suffer.  Returns how many."""
    early = T0 - 7200
    field = lay.voice_field("eleme", "weibo", "reach")
    client.hset(keys.aggregate(lay.VOICES, "1h", int(early // 3600 * 3600)), field, 2**63 - 10)
    publish(client, keys, "voices", [voice(early, line="eleme", reach=MAX_REACH)])
    client.set(keys.conversation("broken"), "not a list")
    publish(client, keys, "conversations", [utterance("broken", 0)])
    return 2


def test_poison_entries_are_dead_lettered_and_the_worker_goes_on(
    redis_client: Any, settings: Settings, keys: Keys, tmp_path: Path
) -> None:
    raw = redis.Redis.from_url(str(settings.redis_url))
    poison = hostile_entries(time.time())
    groups.ensure_groups(redis_client, keys)
    streams = dict.fromkeys(keys.feed_streams.values(), ">")
    parts = [poison[0::3], poison[1::3], poison[2::3]]
    # Part 0 is pending for the worker's own name, part 1 for a consumer that died.
    for part, owner in ((0, "steady"), (1, "ghost")):
        write_part(redis_client, raw, keys, part, parts[part])
        raw.xreadgroup(FEED_GROUP, owner, streams)  # type: ignore[arg-type]
    write_part(redis_client, raw, keys, 2, parts[2])
    refused = write_storage_traps(redis_client, keys)

    streams_of = list(keys.feed_streams.values())
    log = tmp_path / "worker.log"
    with worker_process(worker_env(settings), "steady", log) as proc:
        wait_until(
            lambda: settled(raw, streams_of, FEED_GROUP) or proc.poll() is not None,
            timeout_s=90,
            what="the worker to drain the feeds",
        )
        assert proc.poll() is None, log.read_text(errors="replace")[-3000:]

    text = log.read_text(errors="replace")
    assert proc.returncode == 0, text[-3000:]
    assert "Traceback" not in text, text[-3000:]

    good = 3 * GOOD_PER_PART
    assert summed(redis_client, keys, lay.SERVICE_LINE, "1h")["*|offered"] == good
    voices = summed(redis_client, keys, lay.VOICES, "1h")
    assert voices[lay.voice_field("tmall", "weibo", "total")] == good
    store = ConversationStore(redis_client, keys, settings.qinting)
    for cid in CONVERSATIONS:
        assert len(store.transcript(cid)) == 12, cid
    assert redis_client.type(keys.live_conversations) == "zset"

    letters = read_dead_letters(redis_client, keys, count=1000)
    assert len(letters) == len(poison) + refused, [letter["dl_reason"] for letter in letters]
    reasons = sorted(letter["dl_reason"] for letter in letters)
    assert sum("storage refused" in r for r in reasons) == refused, reasons
    for hostile in poison:
        assert any(hostile.reason in r for r in reasons), (hostile.name, reasons)
    assert all(len(r) < 300 and "\n" not in r for r in reasons), reasons
    assert any("\\xff\\xfe\\x80" in value for letter in letters for value in letter.values())
    assert leaks(stored_text(redis_client, keys)) == []
