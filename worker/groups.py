"""Consumer-group plumbing: create the groups, fetch work, claim a dead consumer's work.

Where a batch comes from, in the order the loop asks:

1. **own pending** — entries already delivered to this consumer but not acked
   (a previous run of the same name crashed, or a transaction was aborted);
2. **claimed** — entries another consumer has held longer than ``claim_idle_ms``
   (it died, or is too slow): :data:`CLAIM` is ``XAUTOCLAIM`` plus a *fence*:
   in the same atomic script it bumps the previous owner's fence counter, which
   that owner WATCHes, so if it is in fact alive its pending ``EXEC`` aborts
   instead of applying the batch a second time;
3. **new** — ``XREADGROUP … >`` with ``COUNT`` and ``BLOCK``.

Every function takes the connection to use: the loop passes its WATCHing
pipeline (immediate mode), so fetching and committing happen on one connection.
"""

from __future__ import annotations

from typing import Any

import redis

from datasources.keys import FEED_GROUP, Keys

Entries = list[tuple[str, dict[str, str] | None]]
"""``(entry_id, fields)``; ``fields`` is ``None`` for an entry trimmed from the stream."""
Batch = dict[str, Entries]
"""Feed name → its entries in this batch."""

FENCE_TTL_S = 86_400

CLAIM = """
-- KEYS: streams.  ARGV: group, consumer, min idle ms, count, fence prefix, fence ttl.
-- Like XAUTOCLAIM, but first bumps each previous owner's fence (see worker/groups.py).
-- Entries deleted from the stream meanwhile are acked here: nothing is left to apply.
local out = {}
for i = 1, #KEYS do
  local pending = redis.call('XPENDING', KEYS[i], ARGV[1], 'IDLE', ARGV[3], '-', '+', ARGV[4])
  local ids, owners = {}, {}
  for _, p in ipairs(pending) do
    if p[2] ~= ARGV[2] then
      ids[#ids + 1] = p[1]
      owners[p[2]] = true
    end
  end
  if #ids > 0 then
    for owner in pairs(owners) do
      redis.call('INCR', ARGV[5] .. owner)
      redis.call('EXPIRE', ARGV[5] .. owner, ARGV[6])
    end
    redis.call('XCLAIM', KEYS[i], ARGV[1], ARGV[2], ARGV[3], unpack(ids))
    local entries = {}
    for _, id in ipairs(ids) do
      local found = redis.call('XRANGE', KEYS[i], id, id)
      if #found == 0 then
        redis.call('XACK', KEYS[i], ARGV[1], id)
      else
        entries[#entries + 1] = found[1]
      end
    end
    out[#out + 1] = {KEYS[i], entries}
  end
end
return out
"""


def ensure_groups(client: redis.Redis, keys: Keys) -> None:
    """Create the feed group on every feed stream (from id 0, creating the stream)."""
    for stream in keys.feed_streams.values():
        try:
            client.xgroup_create(stream, FEED_GROUP, id="0", mkstream=True)
        except redis.ResponseError as exc:
            if "BUSYGROUP" not in str(exc):
                raise


def _by_feed(keys: Keys, reply: Any) -> Batch:
    feed_of = {stream: feed for feed, stream in keys.feed_streams.items()}
    batch: Batch = {}
    for stream, entries in reply or []:
        if entries:
            batch[feed_of[stream]] = [(eid, fields) for eid, fields in entries]
    return batch


def read_own_pending(conn: Any, keys: Keys, consumer: str, count: int) -> Batch:
    """Entries delivered to ``consumer`` and not yet acked (``XREADGROUP … 0``)."""
    streams = dict.fromkeys(keys.feed_streams.values(), "0")
    return _by_feed(keys, conn.xreadgroup(FEED_GROUP, consumer, streams, count=count))


def read_new(conn: Any, keys: Keys, consumer: str, count: int, block_ms: int) -> Batch:
    """New entries for this consumer, waiting up to ``block_ms`` if there are none."""
    streams = dict.fromkeys(keys.feed_streams.values(), ">")
    reply = conn.xreadgroup(FEED_GROUP, consumer, streams, count=count, block=block_ms)
    return _by_feed(keys, reply)


def claim_idle(conn: Any, keys: Keys, consumer: str, min_idle_ms: int, count: int) -> Batch:
    """Take over entries other consumers have held longer than ``min_idle_ms`` (fenced)."""
    streams = list(keys.feed_streams.values())
    reply = conn.eval(
        CLAIM,
        len(streams),
        *streams,
        FEED_GROUP,
        consumer,
        min_idle_ms,
        count,
        keys.worker_fence_prefix,
        FENCE_TTL_S,
    )
    decoded = [
        (stream, [(eid, _pairs(flat)) for eid, flat in entries]) for stream, entries in reply
    ]
    return _by_feed(keys, decoded)


def _pairs(flat: list[str]) -> dict[str, str]:
    return dict(zip(flat[::2], flat[1::2], strict=True))
