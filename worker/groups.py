"""Consumer-group plumbing: create the groups, fetch work, claim a dead consumer's work.

Where a batch comes from, in the order the loop asks:

1. **own pending** — entries already delivered to this consumer but not acked
   (a previous run of the same name crashed, or a transaction was aborted);
2. **claimed** — entries another consumer has held longer than ``claim_idle_ms``
   (it died, or is too slow): :data:`CLAIM` is ``XAUTOCLAIM`` plus a *fence*:
   in the same atomic script it bumps the previous owner's fence counter; that
   owner read its fence together with its batch, and its commit runs only if the
   fence is unchanged, so if it is in fact alive its commit does nothing instead
   of applying the batch a second time;
3. **new** — ``XREADGROUP … >`` with ``COUNT``, and ``BLOCK`` when there is none.

Reads that find work go through :data:`READ`, a script running the same
non-blocking ``XREADGROUP`` inside Redis and returning the batch as one JSON
string: redis-py's pure-Python reply parser costs more per entry than all the
worker's aggregation, and ``json.loads`` does the same in C.  Semantics are
unchanged (same group, same pending list); only when nothing is waiting does
the loop fall back to a plain blocking ``XREADGROUP``.

Every function works on one partition's streams (the :class:`~datasources.keys.Keys`
it is given: their keys share one cluster hash slot) and returns the batch with this
consumer's fence on that partition, read atomically with the entries (:class:`Fetched`);
the commit (:mod:`datasources.batch`) checks it.

Replies are read as bytes and decoded here, entry by entry: a producer can write
any bytes, and one value that is not UTF-8 must cost that entry (filed as
:class:`Undecodable` for the dead letter), never the batch or the worker.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

import redis
from redis.client import NEVER_DECODE

from datasources.keys import FEED_GROUP, Keys


class Undecodable(dict[str, str]):
    """An entry whose field names or values are not UTF-8: decoded with
    ``surrogateescape`` (the raw bytes survive) so it can be dead-lettered as it was."""

    def reason(self) -> str:
        """The dead letter's reason: which field holds the bytes."""
        for name, value in self.items():
            if _undecodable([name]):
                return "a field name is not valid UTF-8"
            if _undecodable([value]):
                return f"{name}: not valid UTF-8"
        return "entry: not valid UTF-8"


Entries = list[tuple[str, dict[str, str] | None]]
"""``(entry_id, fields)``; ``fields`` is ``None`` for an entry trimmed from the stream,
an :class:`Undecodable` for one holding bytes that are not UTF-8."""
Batch = dict[str, Entries]
"""Feed name → its entries in this batch."""

RAW = {NEVER_DECODE: True}
"""Read this reply as bytes: decoding is done per entry (:func:`_text`)."""

FENCE_TTL_S = 86_400

READ = """
-- KEYS: streams, then this consumer's fence.  ARGV: group, consumer, count, start id
-- ('>' new, '0' own pending).  JSON [fence, [[stream, [[id, [field, value, ...] or
-- false], ...]], ...]], or '' when there is nothing.
local out = {}
for i = 1, #KEYS - 1 do
  local reply = redis.call('XREADGROUP', 'GROUP', ARGV[1], ARGV[2], 'COUNT', ARGV[3],
                           'STREAMS', KEYS[i], ARGV[4])
  if reply and reply[1] and #reply[1][2] > 0 then
    out[#out + 1] = {KEYS[i], reply[1][2]}
  end
end
if #out == 0 then return '' end
return cjson.encode({redis.call('GET', KEYS[#KEYS]) or '', out})
"""

CLAIM = """
-- KEYS: streams.  ARGV: group, consumer, min idle ms, count, fence prefix, fence ttl.
-- Like XAUTOCLAIM, but first bumps each previous owner's fence (see worker/groups.py).
-- Entries deleted from the stream meanwhile are acked here: nothing is left to apply.
-- Returns {this consumer's fence, {{stream, entries}, ...}}.
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
return {redis.call('GET', ARGV[5] .. ARGV[2]) or '', out}
"""


@dataclass(frozen=True)
class Fetched:
    """A batch of one partition, and this consumer's fence on that partition as it was
    when the batch was read: the commit runs only if the fence still has this value
    (nobody claimed the entries since)."""

    batch: Batch
    fence: str = ""
    partition: int = 0


def ensure_groups(client: redis.Redis, keys: Keys, group: str = FEED_GROUP) -> None:
    """Create the feed group on every feed stream of every partition (from id 0, creating
    the stream)."""
    for stream in (s for part in keys.every() for s in part.feed_streams.values()):
        try:
            client.xgroup_create(stream, group, id="0", mkstream=True)
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


def _read(conn: Any, keys: Keys, consumer: str, count: int, group: str, start: str) -> Fetched:
    """Non-blocking ``XREADGROUP`` on every feed stream through :data:`READ`."""
    streams = list(keys.feed_streams.values())
    raw = conn.execute_command(
        "EVAL", READ, len(streams) + 1, *streams, keys.worker_fence(consumer),
        group, consumer, count, start, **RAW,
    )  # fmt: skip
    if not raw:
        return Fetched({}, partition=keys.partition)
    try:
        text, clean = raw.decode(), True
    except UnicodeDecodeError:
        text, clean = raw.decode("utf-8", "surrogateescape"), False
    pairs = _pairs if clean else _checked_pairs
    fence, found = json.loads(text)
    decoded = [
        (stream, [(eid, pairs(flat) if flat else None) for eid, flat in entries])
        for stream, entries in found
    ]
    return Fetched(_by_feed(keys, decoded), fence, keys.partition)


def read_own_pending(
    conn: Any, keys: Keys, consumer: str, count: int, group: str = FEED_GROUP
) -> Fetched:
    """Entries delivered to ``consumer`` and not yet acked (``XREADGROUP … 0``)."""
    return _read(conn, keys, consumer, count, group, "0")


def read_new(
    conn: Any, keys: Keys, consumer: str, count: int, block_ms: int, group: str = FEED_GROUP
) -> Fetched:
    """New entries for this consumer, waiting up to ``block_ms`` if there are none (0: not
    waiting)."""
    fetched = _read(conn, keys, consumer, count, group, ">")
    if fetched.batch or not block_ms:
        return fetched
    streams = list(keys.feed_streams.values())
    pipe = conn.pipeline(transaction=False)
    pipe.get(keys.worker_fence(consumer))  # read before the entries: like a WATCH
    pipe.execute_command(
        "XREADGROUP", "GROUP", group, consumer, "COUNT", count, "BLOCK", block_ms,
        "STREAMS", *streams, *[">"] * len(streams), **RAW,
    )  # fmt: skip
    fence, reply = pipe.execute()
    decoded = [
        (_text(stream), [(_text(eid), _checked_dict(fields)) for eid, fields in entries])
        for stream, entries in reply or []
    ]
    return Fetched(_by_feed(keys, decoded), fence or "", keys.partition)


def claim_idle(
    conn: Any, keys: Keys, consumer: str, min_idle_ms: int, count: int, group: str = FEED_GROUP
) -> Fetched:
    """Take over entries other consumers have held longer than ``min_idle_ms`` (fenced)."""
    streams = list(keys.feed_streams.values())
    fence, reply = conn.execute_command(
        "EVAL", CLAIM, len(streams), *streams, group, consumer, min_idle_ms, count,
        keys.worker_fence_prefix, FENCE_TTL_S, **RAW,
    )  # fmt: skip
    decoded = [
        (
            _text(stream),
            [(_text(eid), _checked_pairs([_text(x) for x in flat])) for eid, flat in entries],
        )
        for stream, entries in reply
    ]
    return Fetched(_by_feed(keys, decoded), _text(fence), keys.partition)


def _text(raw: bytes) -> str:
    """Bytes from Redis as text; bytes that are not UTF-8 become lone surrogates."""
    return raw.decode("utf-8", "surrogateescape")


def _pairs(flat: list[str]) -> dict[str, str]:
    return dict(zip(flat[::2], flat[1::2], strict=True))


_ESCAPED_BYTE = re.compile("[\udc80-\udcff]")
"""What ``surrogateescape`` turns a byte that is not UTF-8 into."""


def _undecodable(texts: list[str]) -> bool:
    return any(not t.isascii() and _ESCAPED_BYTE.search(t) for t in texts)


def _checked_pairs(flat: list[str]) -> dict[str, str]:
    """:func:`_pairs` for a reply that held bytes that are not UTF-8 somewhere."""
    fields = _pairs(flat)
    return Undecodable(fields) if _undecodable(flat) else fields


def _checked_dict(fields: dict[bytes, bytes] | None) -> dict[str, str] | None:
    if fields is None:
        return None
    return _checked_pairs([_text(x) for pair in fields.items() for x in pair])
