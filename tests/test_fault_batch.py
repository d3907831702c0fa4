"""The batch script on a real Redis: all of a batch's writes and its XACK, or none.

Redis does not roll back: the trial's worker applied 58 of 60 voices and acked all of
them when one ``HINCRBY`` overflowed mid-transaction.  Each row below makes one kind
of write impossible (a key of ours holding the wrong type, a counter at its limit, a
deleted group) and checks that the commit writes nothing at all — not even the writes
described before the impossible one — and leaves the entry pending.  Then: a commit
repeated after a lost reply does nothing more, and a fenced one does nothing.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from datasources.aggregates_ops import HashUpdate, add_hash_updates, add_list_pushes
from datasources.batch import (
    STATUS_DONE,
    STATUS_FENCED,
    STATUS_OK,
    STATUS_REJECTED,
    BatchWrites,
    Guard,
)
from datasources.keys import FEED_GROUP, Keys
from worker import groups

pytestmark = pytest.mark.integration

Setup = Callable[[Any, Keys], None]


def _describe(writes: BatchWrites, keys: Keys) -> None:
    """One write of every kind the worker uses, the first one a counter all rows watch."""
    add_hash_updates(writes, [(keys.aggregate("voices", "1h", 0), 60, HashUpdate(incr={"n": 5}))])
    add_hash_updates(writes, [(keys.watermark, 0, HashUpdate(maxes={"contacts": 1.0}))])
    add_list_pushes(writes, [(keys.verbatims("s"), 60, 20, ["a", "b"])])
    writes.add("set", [keys.series_index], [json.dumps(["s"])])
    writes.xadd(keys.deadletter, {"dl_reason": "x"}, 1000)
    writes.xadd_once(keys.transcript_flag("c", "r"), 60, keys.anomalies, {"v": "1"}, 1000)


CASES: dict[str, tuple[Setup, str]] = {
    "hash key holds a string": (lambda c, k: c.set(k.watermark, "x"), "hash: a hash key"),
    "counter at its limit": (
        lambda c, k: c.hset(k.aggregate("voices", "1h", 0), "n", 2**62),
        "hash: a counter would overflow",
    ),
    "counter holds text": (
        lambda c, k: c.hset(k.aggregate("voices", "1h", 0), "n", "x"),
        "hash: a counter holds a non-integer",
    ),
    "list key holds a hash": (lambda c, k: c.hset(k.verbatims("s"), "a", 1), "list: a list key"),
    "set key holds a list": (lambda c, k: c.rpush(k.series_index, "a"), "set: a set key"),
    "stream key holds a set": (lambda c, k: c.sadd(k.deadletter, "a"), "xadd: a stream key"),
    "marker holds a list": (
        lambda c, k: c.rpush(k.transcript_flag("c", "r"), "a"),
        "xadd_once: a string key",
    ),
    "group deleted": (
        lambda c, k: c.xgroup_destroy(k.stream("contacts"), FEED_GROUP),
        "guard: the consumer group is gone",
    ),
}


@pytest.mark.parametrize("case", CASES)
def test_a_write_that_would_fail_means_no_write_at_all(
    redis_client: Any, keys: Keys, case: str
) -> None:
    setup, reason = CASES[case]
    fetched = _pending_entry(redis_client, keys)
    setup(redis_client, keys)
    before = _snapshot(redis_client, keys)
    writes = BatchWrites()
    _describe(writes, keys)
    stream, entry_id = _the_entry(fetched, keys)
    writes.ack(stream, FEED_GROUP, [entry_id])
    outcome = writes.commit(redis_client, _guard(keys, fetched))
    assert (outcome.status, outcome.reason[: len(reason)]) == (STATUS_REJECTED, reason)
    assert _snapshot(redis_client, keys) == before
    if case != "group deleted":
        assert redis_client.xpending(stream, FEED_GROUP)["pending"] == 1


def test_a_repeated_commit_does_nothing_more_and_a_fenced_one_nothing(
    redis_client: Any, keys: Keys
) -> None:
    fetched = _pending_entry(redis_client, keys)
    stream, entry_id = _the_entry(fetched, keys)
    writes = BatchWrites()
    _describe(writes, keys)
    writes.ack(stream, FEED_GROUP, [entry_id])
    assert writes.commit(redis_client, _guard(keys, fetched)).status == STATUS_OK
    after = _snapshot(redis_client, keys)
    # redis-py retries a command whose reply was lost: the second run must find it done.
    assert writes.commit(redis_client, _guard(keys, fetched)).status == STATUS_DONE
    assert _snapshot(redis_client, keys) == after
    assert redis_client.hget(keys.aggregate("voices", "1h", 0), "n") == "5"

    again = _pending_entry(redis_client, keys)
    redis_client.incr(keys.worker_fence("w"))  # another worker claimed it meanwhile
    writes = BatchWrites()
    _describe(writes, keys)
    writes.ack(*_the_entry(again, keys)[:1], FEED_GROUP, [_the_entry(again, keys)[1]])
    assert writes.commit(redis_client, _guard(keys, again)).status == STATUS_FENCED
    assert _snapshot(redis_client, keys) == after


def test_plain_use_fails_loudly_and_writes_nothing(redis_client: Any, keys: Keys) -> None:
    redis_client.set(keys.watermark, "x")
    writes = BatchWrites()
    _describe(writes, keys)
    with pytest.raises(Exception, match="REJECTED hash: a hash key holds a string"):
        writes.queue_on(redis_client)
    assert not redis_client.exists(keys.aggregate("voices", "1h", 0))


def _pending_entry(client: Any, keys: Keys) -> groups.Fetched:
    groups.ensure_groups(client, keys)
    client.xadd(keys.stream("contacts"), {"v": "1"})
    fetched = groups.read_new(client, keys, "w", 10, 10)
    assert fetched.batch
    return fetched


def _the_entry(fetched: groups.Fetched, keys: Keys) -> tuple[str, str]:
    [(feed, entries)] = fetched.batch.items()
    return keys.stream(feed), entries[-1][0]


def _guard(keys: Keys, fetched: groups.Fetched) -> Guard:
    stream, entry_id = _the_entry(fetched, keys)
    return Guard(keys.worker_fence("w"), fetched.fence, FEED_GROUP, "w", {stream: entry_id})


def _snapshot(client: Any, keys: Keys) -> dict[str, Any]:
    """Every key under the prefix but the feed streams, as comparable values."""
    read: dict[str, Callable[[str], Any]] = {
        "string": client.get,
        "hash": client.hgetall,
        "list": lambda k: client.lrange(k, 0, -1),
        "set": lambda k: sorted(client.smembers(k)),
        "zset": lambda k: client.zrange(k, 0, -1),
        "stream": client.xlen,
    }
    out: dict[str, Any] = {}
    for key in client.scan_iter(match=f"{keys.prefix}:*"):
        if key in keys.feed_streams.values() or key.startswith(keys.worker_fence_prefix):
            continue
        out[key] = read[client.type(key)](key)
    return out
