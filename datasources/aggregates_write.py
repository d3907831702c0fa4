"""Writing aggregates: accumulate a batch in memory, then flush it in a few commands.

Per event the worker only bumps a Python counter keyed by the event's dimensions
and its 10 s bucket.  :meth:`BatchAggregate.flush` then expands those counters
into every family at all three resolutions (that *is* the roll-up: a 1 min and a
1 h bucket are written directly, never recomputed) and sends them as one
:data:`HASH_OPS` script call — one ``HINCRBY`` per field per bucket inside Redis,
not one command per event — plus capped verbatim lists.  Everything goes into the
caller's pipeline, so the worker commits a batch's effects and its ``XACK`` in one
``MULTI/EXEC``.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Callable, Iterable
from typing import Any

from datasources import aggregates_layout as lay
from datasources.keys import RESOLUTIONS, Keys
from datasources.schemas import ContactEvent, Outcome, QueueSnapshot, VoiceEvent
from datasources.series import contact_series, queue_series, voice_series
from datasources.settings import Settings

VERBATIMS_KEPT = 20
"""Recent masked verbatims kept per series."""
NEGATIVE_VOICES_KEPT = 50

HASH_OPS = """
-- KEYS: hashes.  ARGV per key: ttl (0 = keep), op count, then (op, field, value) triples.
-- ops: i = HINCRBY, f = HINCRBYFLOAT, x = keep the max, n = keep the newer JSON (by ts).
local a = 1
for k = 1, #KEYS do
  local key, ttl, n = KEYS[k], tonumber(ARGV[a]), tonumber(ARGV[a + 1])
  a = a + 2
  for _ = 1, n do
    local op, field, value = ARGV[a], ARGV[a + 1], ARGV[a + 2]
    a = a + 3
    if op == 'i' then
      redis.call('HINCRBY', key, field, value)
    elseif op == 'f' then
      redis.call('HINCRBYFLOAT', key, field, value)
    else
      local held = redis.call('HGET', key, field)
      if not held then
        redis.call('HSET', key, field, value)
      elseif op == 'x' then
        if tonumber(held) < tonumber(value) then redis.call('HSET', key, field, value) end
      elseif cjson.decode(held).ts <= cjson.decode(value).ts then
        redis.call('HSET', key, field, value)
      end
    end
  end
  if ttl > 0 then redis.call('EXPIRE', key, ttl) end
end
return #KEYS
"""

Mask = Callable[[str], str]
Op = tuple[str, str, Any]


class HashOps:
    """Hash updates grouped by key, sent as one script call (``EVAL``, not ``EVALSHA``:
    inside ``MULTI`` a missing script would fail alone while the rest applied)."""

    def __init__(self) -> None:
        self.ops: dict[str, list[Op]] = defaultdict(list)
        self.ttl: dict[str, int] = {}

    def add(self, key: str, ttl: int, op: str, field: str, value: Any) -> None:
        self.ttl[key] = ttl
        self.ops[key].append((op, field, value))

    def flush(self, pipe: Any) -> None:
        if not self.ops:
            return
        keys = list(self.ops)
        args: list[Any] = []
        for key in keys:
            ops = self.ops[key]
            args += (self.ttl[key], len(ops))
            for op in ops:
                args += op
        pipe.eval(HASH_OPS, len(keys), *keys, *args)


def record_progress(keys: Keys, feed: str, max_ts: float, wall: float, *, pipeline: Any) -> None:
    """Raise the feed's watermark (event time) and last-seen (wall clock), atomically max."""
    ops = HashOps()
    ops.add(keys.watermark, 0, "x", feed, repr(max_ts))
    ops.add(keys.feed_seen, 0, "x", feed, repr(wall))
    ops.flush(pipeline)


class BatchAggregate:
    """One batch's aggregates, accumulated per 10 s bucket, flushed at all resolutions."""

    def __init__(self, settings: Settings, mask: Mask) -> None:
        self.threshold = settings.targets.service_level_threshold_s
        self.retention = settings.retention
        self.mask = mask
        # (bucket, line, reason, channel, group, handled_by, outcome, in_sl) -> contacts
        self.contacts: dict[tuple[Any, ...], int] = {}
        # (bucket, group, line) -> [wait_sum, wait_max]
        self.waits: dict[tuple[int, str, str], list[float]] = {}
        self.snapshots: dict[tuple[int, str], QueueSnapshot] = {}
        # (bucket, line, source) -> [total, negative, reach]
        self.voices: dict[tuple[int, str, str], list[int]] = {}
        self.texts: dict[str, list[str]] = defaultdict(list)
        self.negative: list[VoiceEvent] = []

    # -- accumulate (hot path: no Redis, no allocation beyond one tuple per event) --

    def add_contacts(self, events: Iterable[ContactEvent]) -> None:
        counts, waits, texts, threshold = self.contacts, self.waits, self.texts, self.threshold
        answered = Outcome.ANSWERED
        for e in events:
            b = int(e.ts // 10) * 10
            ok = e.outcome is answered
            key = (b, e.business_line, e.reason, e.channel, e.skill_group, e.handled_by, ok,
                   ok and e.waited_s <= threshold)  # fmt: skip
            counts[key] = counts.get(key, 0) + 1
            wkey = (b, e.skill_group, e.business_line)
            held = waits.get(wkey)
            if held is None:
                waits[wkey] = [e.waited_s, e.waited_s]
            else:
                held[0] += e.waited_s
                if e.waited_s > held[1]:
                    held[1] = e.waited_s
            if e.verbatim:
                texts[contact_series(e.business_line, e.reason)].append(e.verbatim)
                texts[contact_series(e.business_line)].append(e.verbatim)

    def add_queue(self, events: Iterable[QueueSnapshot]) -> None:
        for e in events:
            key = (int(e.ts // 10) * 10, e.skill_group)
            held = self.snapshots.get(key)
            if held is None or held.ts <= e.ts:
                self.snapshots[key] = e

    def add_voices(self, events: Iterable[VoiceEvent]) -> None:
        for e in events:
            key = (int(e.ts // 10) * 10, e.business_line, e.source)
            slot = self.voices.setdefault(key, [0, 0, 0])
            negative = e.sentiment is not None and e.sentiment < lay.NEGATIVE_SENTIMENT
            slot[0] += 1
            slot[1] += negative
            slot[2] += e.reach
            self.texts[voice_series(e.business_line)].append(e.text)
            if negative:
                self.negative.append(e)

    # -- flush -------------------------------------------------------------------

    def flush(self, keys: Keys, *, pipeline: Any) -> None:
        """Write everything accumulated into ``pipeline`` (nothing is executed here)."""
        ops = HashOps()
        for res, width in RESOLUTIONS.items():
            ttl = lay.ttl_of(res, self.retention)
            self._flush_contacts(ops, keys, res, width, ttl)
            self._flush_queue(ops, keys, res, width, ttl)
            self._flush_voices(ops, keys, res, width, ttl)
        ops.flush(pipeline)
        self._flush_lists(keys, pipeline)
        series = {contact_series(k[1], k[2], k[3]) for k in self.contacts}
        series |= {queue_series(group) for _, group in self.snapshots}
        series |= {voice_series(line, source) for _, line, source in self.voices}
        if series:
            pipeline.sadd(keys.series_index, *series)

    def _flush_contacts(self, ops: HashOps, keys: Keys, res: str, width: int, ttl: int) -> None:
        fields: dict[tuple[str, int], dict[str, int]] = defaultdict(lambda: defaultdict(int))
        for (b10, line, reason, channel, group, handled, ok, in_sl), n in self.contacts.items():
            b = b10 // width * width
            fields[lay.CONTACTS, b][lay.contact_field(line, reason, channel)] += n
            fields[lay.LINES, b][line] += n
            for family, scope in ((lay.SERVICE, group), (lay.SERVICE_LINE, line),
                                  (lay.SERVICE_LINE, lay.TOTAL)):  # fmt: skip
                counters = fields[family, b]
                counters[lay.metric_field(scope, "offered")] += n
                counters[lay.metric_field(scope, "answered" if ok else "abandoned")] += n
                if in_sl:
                    counters[lay.metric_field(scope, "answered_in_sl")] += n
                counters[lay.metric_field(scope, handled)] += n
        for (family, b), counters in fields.items():
            key = keys.aggregate(family, res, b)
            for name, n in counters.items():
                ops.add(key, ttl, "i", name, n)
        waits: dict[tuple[str, int, str], list[float]] = {}
        for (b10, group, line), (total, longest) in self.waits.items():
            b = b10 // width * width
            for family, scope in ((lay.SERVICE, group), (lay.SERVICE_LINE, line),
                                  (lay.SERVICE_LINE, lay.TOTAL)):  # fmt: skip
                held = waits.setdefault((family, b, scope), [0.0, 0.0])
                held[0] += total
                held[1] = max(held[1], longest)
        for (family, b, scope), (total, longest) in waits.items():
            key = keys.aggregate(family, res, b)
            ops.add(key, ttl, "f", lay.metric_field(scope, "wait_sum"), repr(total))
            ops.add(key, ttl, "x", lay.metric_field(scope, "wait_max"), repr(longest))

    def _flush_queue(self, ops: HashOps, keys: Keys, res: str, width: int, ttl: int) -> None:
        newest: dict[tuple[int, str], QueueSnapshot] = {}
        for (b10, group), snap in self.snapshots.items():
            key = (b10 // width * width, group)
            if key not in newest or newest[key].ts <= snap.ts:
                newest[key] = snap
        for (b, group), snap in newest.items():
            values: dict[str, float | str] = {f: getattr(snap, f) for f in lay.QUEUE_FIELDS}
            values["ts"] = snap.ts
            values["business_line"] = snap.business_line
            raw = lay.encode_snapshot(values)
            ops.add(keys.aggregate(lay.QUEUE, res, b), ttl, "n", group, raw)

    def _flush_voices(self, ops: HashOps, keys: Keys, res: str, width: int, ttl: int) -> None:
        sums: dict[tuple[int, str], int] = defaultdict(int)
        for (b10, line, source), values in self.voices.items():
            b = b10 // width * width
            for metric, value in zip(lay.VOICE_METRICS, values, strict=True):
                sums[b, lay.voice_field(line, source, metric)] += value
        for (b, name), n in sums.items():
            ops.add(keys.aggregate(lay.VOICES, res, b), ttl, "i", name, n)

    def _flush_lists(self, keys: Keys, pipe: Any) -> None:
        """Newest verbatims per series and the latest negative voices, masked on the way."""
        masked: dict[str, str] = {}

        def mask(text: str) -> str:
            if text not in masked:
                masked[text] = self.mask(text)
            return masked[text]

        ttl = self.retention.bucket_10s_s
        for series, texts in self.texts.items():
            key = keys.verbatims(series)
            pipe.lpush(key, *(mask(t) for t in texts[-VERBATIMS_KEPT:]))
            pipe.ltrim(key, 0, VERBATIMS_KEPT - 1)
            pipe.expire(key, ttl)
        if self.negative:
            samples = [
                _voice_sample(e, mask(e.text)) for e in self.negative[-NEGATIVE_VOICES_KEPT:]
            ]
            pipe.lpush(keys.negative_voices, *samples)
            pipe.ltrim(keys.negative_voices, 0, NEGATIVE_VOICES_KEPT - 1)


def _voice_sample(e: VoiceEvent, text: str) -> str:
    """JSON matching :class:`datasources.aggregates.VoiceSample`."""
    return json.dumps(
        {
            "ts": e.ts,
            "business_line": e.business_line,
            "source": str(e.source),
            "text": text,
            "sentiment": e.sentiment,
            "reach": e.reach,
        },
        ensure_ascii=False,
    )
