"""Batched hash and list updates, sent to Redis as one script call each.

A batch of a few thousand events touches a few thousand hash fields.  Sending
one ``HINCRBY`` per field costs more in redis-py's command packing than the
whole aggregation, so the updates for all keys travel as one JSON argument and
a small Lua script applies them: one ``HINCRBY`` per field per bucket, inside
Redis.  ``EVAL`` (not ``EVALSHA``) on purpose: inside ``MULTI`` a missing script
would fail alone while the rest of the transaction applied.

Updates merge before they are sent: counters add, maxima keep the larger, queue
snapshots keep the newer (by their ``ts``).  The coarser resolutions are merges
of the 10 s updates (:func:`roll_up`), so every resolution is written directly.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

HASH_SCRIPT = """
-- KEYS: hashes.  ARGV[1]: JSON list, per key: [ttl, {field: int}, {field: float},
-- {field: keep max}, {field: JSON snapshot, keep the newer by .ts}].  ttl 0 = keep.
local specs = cjson.decode(ARGV[1])
for k = 1, #KEYS do
  local key, spec = KEYS[k], specs[k]
  for f, n in pairs(spec[2]) do redis.call('HINCRBY', key, f, n) end
  for f, x in pairs(spec[3]) do redis.call('HINCRBYFLOAT', key, f, x) end
  for f, x in pairs(spec[4]) do
    local held = tonumber(redis.call('HGET', key, f))
    if not held or held < x then redis.call('HSET', key, f, x) end
  end
  for f, raw in pairs(spec[5]) do
    local held = redis.call('HGET', key, f)
    if not held or cjson.decode(held).ts <= cjson.decode(raw).ts then
      redis.call('HSET', key, f, raw)
    end
  end
  if spec[1] > 0 then redis.call('EXPIRE', key, spec[1]) end
end
return #KEYS
"""

LIST_SCRIPT = """
-- KEYS: lists.  ARGV[1]: JSON list, per key: [ttl, cap, [items, oldest first]].
-- Pushes newest-first, keeps the newest `cap`, refreshes the TTL (0 = keep).
local specs = cjson.decode(ARGV[1])
for k = 1, #KEYS do
  local spec = specs[k]
  redis.call('LPUSH', KEYS[k], unpack(spec[3]))
  redis.call('LTRIM', KEYS[k], 0, spec[2] - 1)
  if spec[1] > 0 then redis.call('EXPIRE', KEYS[k], spec[1]) end
end
return #KEYS
"""


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


def queue_hash_updates(pipe: Any, updates: list[tuple[str, int, HashUpdate]]) -> None:
    """Queue one script call applying ``(key, ttl, update)`` triples."""
    if not updates:
        return
    keys = [key for key, _, _ in updates]
    specs = [update.spec(ttl) for _, ttl, update in updates]
    pipe.eval(HASH_SCRIPT, len(keys), *keys, json.dumps(specs, ensure_ascii=False))


def queue_list_pushes(pipe: Any, pushes: list[tuple[str, int, int, list[str]]]) -> None:
    """Queue one script call applying ``(key, ttl, cap, items oldest first)`` pushes."""
    pushes = [p for p in pushes if p[3]]
    if not pushes:
        return
    keys = [key for key, _, _, _ in pushes]
    specs = [[ttl, cap, items] for _, ttl, cap, items in pushes]
    pipe.eval(LIST_SCRIPT, len(keys), *keys, json.dumps(specs, ensure_ascii=False))


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
    raw = client.eval(HGETALL_SCRIPT, len(keys), *keys)
    return [
        dict(zip(flat[::2], flat[1::2], strict=True)) if isinstance(flat, list) else {}
        for flat in json.loads(raw)
    ]
