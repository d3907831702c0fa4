"""Partitions: how each input stream is split, and which partition an event belongs to.

``GMD_STREAMS__PARTITIONS`` (N, default 1) splits every input stream — and everything a
worker's batch writes from it — into N partitions.  Each partition's keys carry one
Redis Cluster hash tag (:func:`partition_tags`), so a batch's effects and its ``XACK``
touch one hash slot and stay one atomic script call on one cluster node.

Producers choose the partition by a stable key (:data:`ROUTE_FIELDS`): the business line
for contacts and voices, the skill group for queue snapshots, the conversation id for
utterances, so one conversation's utterances stay in one partition, in order.  The rule
is CRC-32 (the zlib/IEEE polynomial, as ``zlib.crc32``, Java's ``CRC32``, Go's
``crc32.ChecksumIEEE``) of the key's UTF-8 bytes, modulo N: any language can follow it.
"""

from __future__ import annotations

import zlib
from functools import lru_cache
from typing import Any, Final

from redis.crc import key_slot

SLOTS: Final = 16384
"""Hash slots of a Redis Cluster."""

ROUTE_FIELDS: Final = {
    "contacts": "business_line",
    "voices": "business_line",
    "queue": "skill_group",
    "conversations": "conversation_id",
}
"""Feed → the event field whose value chooses its partition."""


def partition_of(value: str, partitions: int) -> int:
    """The partition of a routing key (see the module docstring)."""
    if partitions == 1:
        return 0
    return zlib.crc32(value.encode("utf-8", "surrogatepass")) % partitions


def route(feed: str, event: Any, partitions: int) -> int:
    """The partition an event of ``feed`` is written to."""
    if partitions == 1:
        return 0
    return partition_of(str(getattr(event, ROUTE_FIELDS[feed])), partitions)


@lru_cache(maxsize=64)
def partition_tags(partitions: int) -> tuple[str, ...]:
    """Hash tag of each partition: ``p<i>``, or ``p<i>-<k>`` for the smallest ``k`` whose
    slot falls in the ``i``-th of ``partitions`` equal slot ranges.

    A cluster made the usual way splits its slots evenly over the masters in contiguous
    ranges, so with N a multiple of the masters each master holds N / masters partitions
    (plain ``p0``, ``p1``, ``p2`` could all land on one master).
    """
    tags = []
    for p in range(partitions):
        low, high = p * SLOTS // partitions, (p + 1) * SLOTS // partitions
        k = 0
        tag = f"p{p}"
        while not low <= key_slot(tag.encode()) < high:
            k += 1
            tag = f"p{p}-{k}"
        tags.append(tag)
    return tuple(tags)
