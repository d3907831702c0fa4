"""Batched hash and list updates, described for the batch script (:mod:`datasources.batch`).

A batch of a few thousand events touches a few thousand hash fields.  Sending
one ``HINCRBY`` per field costs more in redis-py's command packing than the
whole aggregation, so the updates for all keys travel as one JSON argument and
the batch script applies them: one ``HINCRBY`` per field per bucket, inside
Redis, after checking that none of them can fail.

Updates merge before they are sent: counters add, maxima keep the larger, queue
snapshots keep the newer (by their ``ts``).  The coarser resolutions are merges
of the 10 s updates (:func:`roll_up`), so every resolution is written directly.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from datasources.batch import BatchWrites


@dataclass
class HashUpdate:
    """Pending changes to one hash."""

    incr: dict[str, int] = field(default_factory=dict)
    fincr: dict[str, float] = field(default_factory=dict)
    maxes: dict[str, float] = field(default_factory=dict)
    newer: dict[str, tuple[float, str]] = field(default_factory=dict)
    """field → (ts, JSON) of the newest snapshot."""

    def merge(self, other: HashUpdate) -> None:
        for f, n in other.incr.items():
            self.incr[f] = self.incr.get(f, 0) + n
        for f, x in other.fincr.items():
            self.fincr[f] = self.fincr.get(f, 0.0) + x
        for f, x in other.maxes.items():
            if x > self.maxes.get(f, x - 1):
                self.maxes[f] = x
        for f, snap in other.newer.items():
            held = self.newer.get(f)
            if held is None or held[0] <= snap[0]:
                self.newer[f] = snap

    def spec(self, ttl: int) -> list[Any]:
        newer = {f: raw for f, (_ts, raw) in self.newer.items()}
        return [ttl, self.incr, self.fincr, self.maxes, newer]


Updates = dict[tuple[str, int], HashUpdate]
"""(family, bucket start) → its update."""


def roll_up(updates: Updates, width: int) -> Updates:
    """Merge fine-bucket updates into buckets of ``width`` seconds.  A coarse bucket fed
    by a single fine bucket reuses its update object (the common case: one batch
    spans one or two 10 s buckets)."""
    sources: dict[tuple[str, int], list[HashUpdate]] = {}
    for (family, b), update in updates.items():
        sources.setdefault((family, b // width * width), []).append(update)
    out: Updates = {}
    for target, parts in sources.items():
        if len(parts) == 1:
            out[target] = parts[0]
        else:
            merged = HashUpdate()
            for part in parts:
                merged.merge(part)
            out[target] = merged
    return out


def add_hash_updates(writes: BatchWrites, updates: list[tuple[str, int, HashUpdate]]) -> None:
    """Describe ``(key, ttl, update)`` triples as one ``hash`` write."""
    if not updates:
        return
    keys = [key for key, _, _ in updates]
    specs = [update.spec(ttl) for _, ttl, update in updates]
    writes.add("hash", keys, [json.dumps(specs, ensure_ascii=False)])


def add_list_pushes(writes: BatchWrites, pushes: list[tuple[str, int, int, list[str]]]) -> None:
    """Describe ``(key, ttl, cap, items oldest first)`` pushes as one ``list`` write (only the
    newest ``cap`` items are sent: the list keeps no more)."""
    pushes = [p for p in pushes if p[3]]
    if not pushes:
        return
    keys = [key for key, _, _, _ in pushes]
    specs = [[ttl, cap, items[-cap:]] for _, ttl, cap, items in pushes]
    writes.add("list", keys, [json.dumps(specs, ensure_ascii=False)])


HGETALL_SCRIPT = """
-- KEYS: hashes.  Returns JSON: per key its HGETALL as [field, value, ...] ({} if empty).
local out = {}
for i = 1, #KEYS do out[i] = redis.call('HGETALL', KEYS[i]) end
return cjson.encode(out)
"""


def hgetall_many(client: Any, keys: list[str]) -> list[dict[str, str]]:
    """``HGETALL`` of many hashes in one call, decoded in C (``json.loads``): a day of
    minute buckets (1,440 hashes) costs ~20 ms instead of ~100 ms through redis-py's
    pure-Python reply parser.  Read-only, so it may run anywhere, pipeline or not."""
    if not keys:
        return []
    return decode_hgetall_many(client.eval(HGETALL_SCRIPT, len(keys), *keys))


def decode_hgetall_many(raw: str) -> list[dict[str, str]]:
    """The reply of :data:`HGETALL_SCRIPT` as one dict per hash."""
    return [
        dict(zip(flat[::2], flat[1::2], strict=True)) if isinstance(flat, list) else {}
        for flat in json.loads(raw)
    ]
