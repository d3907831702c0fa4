"""What the feed fuzzer measures once the worker has drained the feeds: events counted
from the stored state, dead letters, and personal data readable in anything stored.

**Counted** is read from what the pages read, never from the worker's own tally:

* ``contacts`` — the ``offered`` counter of every contact (``service_line`` family,
  total scope ``*``), summed over the 1 h buckets;
* ``voices`` — the ``total`` counter of every line and source (``voices`` family),
  summed over the 1 h buckets;
* ``queue`` — snapshots held in the 10 s ``queue`` hashes (the newest per skill group
  and bucket; the fuzzer gives every snapshot its own group, so each one written and
  applied is one field);
* ``conversations`` — utterances in the stored transcripts (the fuzzer's worker keeps
  up to ten million per conversation, so none is trimmed).

**Dead-lettered** is the dead-letter stream, per feed by its ``dl_feed`` field.

**Leaks** are stored texts in which ``tests.pii_cases.find_pii`` (a detector written
apart from the masking) still reads personal data: every key name, string, hash field,
list, set and sorted-set member, stream field and value under the deployment's prefix
(the feed streams aside: they are the producers' input; so is the detector's state,
base64 of numeric baselines), and every text column of
every row of the database (alerts, their timeline, rings and their attempts).  Counter
values are numbers, not text, and are skipped, as are numbers with a fraction or an
exponent anywhere (scores, expected counts: ``13.812345678`` reads as a mobile); so is a
``ts`` (a stream field, or a
member of a stored JSON object) that reads as a time: dead letters keep a valid time as
the producer sent it, and epoch seconds and milliseconds have the shape of a mobile or a
card number.  The product's random hex ids (uuid4: escalation ids, scheduler jobs, ring
keys) are blanked for the same reason, and stream entry ids (``1796191802287-10`` reads
as a 15-digit ID card) are skipped.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Iterator
from functools import lru_cache
from typing import Any

import redis
from sqlalchemy import MetaData, create_engine, select

from datasources import aggregates_layout as lay
from datasources.keys import Keys
from datasources.schemas import EARLIEST_S, json_too_deep, to_epoch_s
from tests.pii_cases import find_pii

LATEST_S = 4_102_444_800.0
"""2100-01-01: a number of epoch seconds up to this is taken for a time."""


def _text(value: bytes | str) -> str:
    return value.decode("utf-8", "backslashreplace") if isinstance(value, bytes) else value


def _family(raw: redis.Redis, keys: Keys, family: str, resolution: str) -> Iterator[bytes]:
    pattern = keys.aggregate(family, resolution, 0).removesuffix("0") + "*"
    yield from raw.scan_iter(match=pattern, count=1000)


def counted(raw: redis.Redis, keys: Keys) -> dict[str, int]:
    """Events per feed, as the stored state holds them (see the module's docstring)."""
    out: Counter[str] = Counter()
    offered = lay.metric_field(lay.TOTAL, "offered").encode()
    for key in _family(raw, keys, lay.SERVICE_LINE, "1h"):
        out["contacts"] += int(raw.hget(key, offered) or 0)
    for key in _family(raw, keys, lay.VOICES, "1h"):
        hashed: Any = raw.hgetall(key)
        out["voices"] += sum(int(v) for f, v in hashed.items() if f.endswith(b"|total"))
    for key in _family(raw, keys, lay.QUEUE, "10s"):
        out["queue"] += int(raw.hlen(key))
    for key in raw.scan_iter(match=keys.conversation("*"), count=1000):
        out["conversations"] += int(raw.llen(key))
    return {feed: out[feed] for feed in keys.feed_streams}


def dead_letters(raw: redis.Redis, keys: Keys) -> Counter[str]:
    """Dead letters per feed they came from."""
    out: Counter[str] = Counter()
    for _id, fields in _stream(raw, keys.deadletter):
        out[_text(fields.get(b"dl_feed", b"?"))] += 1
    return out


def _stream(raw: redis.Redis, key: bytes | str) -> Iterator[tuple[bytes, dict[bytes, bytes]]]:
    start: bytes | str = "-"
    while True:
        entries: Any = raw.xrange(key, min=start, count=1000)
        yield from entries
        if len(entries) < 1000:
            return
        start = b"(" + entries[-1][0]


HEX_ID = re.compile(r"(?<![0-9a-f])[0-9a-f]{32}(?![0-9a-f])")
"""The product's own random ids (uuid4 hex: escalation ids, scheduler jobs, ring keys),
whose digit runs the detector would otherwise read as a landline or an ID card."""


@lru_cache(maxsize=500_000)
def _found(text: str) -> tuple[str, ...]:
    return tuple(find_pii(HEX_ID.sub("<id>", text)))


TS_MEMBER = re.compile(r'"ts"\s*:\s*"?(-?\d+(?:\.\d+)?)"?')
"""A ``ts`` member in JSON text that does not parse as a whole (a dead letter of broken
JSON keeps the producer's text, time included)."""


def _times_blanked(text: str) -> str:
    """``text`` with each ``ts`` member that reads as a time blanked: epoch milliseconds
    have the shape of a card number, and one in ten passes its checksum by chance."""
    return TS_MEMBER.sub(lambda m: '"ts": "<time>"' if _is_time(m.group(1)) else m.group(0), text)


def _leaks(text: str) -> tuple[str, ...]:
    """Personal data readable in ``text``.  A JSON object (a dead letter's ``json`` field, a
    queue snapshot, a stored utterance) is read member by member: the members repeat
    across the fuzzer's copies where the whole object, holding an id, never does, so the
    cache spares most of the detector's work.  Its ``ts`` is skipped when it reads as a
    time: a time is not personal data, but epoch seconds and milliseconds have the shape
    of a mobile or a card number."""
    if not text.startswith("{") or json_too_deep(text):
        return _found(_times_blanked(text))
    try:
        data = json.loads(text)
    except (ValueError, RecursionError):
        return _found(_times_blanked(text))
    if not isinstance(data, dict):
        return _found(text)
    hits: list[str] = []
    for name, value in data.items():
        if (name == "ts" and _is_time(value)) or isinstance(value, float):
            continue
        shown = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
        hits += _found(name) + _found(shown)
    return tuple(hits)


def _is_number(value: bytes) -> bool:
    try:
        float(value)
    except ValueError:
        return False
    return True


ENTRY_ID = re.compile(rb"\d{1,20}-\d{1,20}")


def _is_entry_id(value: bytes) -> bool:
    """A Redis stream entry id (a dead letter's ``dl_entry_id``): milliseconds and a
    sequence number, whose digits may read as a 15-digit ID card."""
    return ENTRY_ID.fullmatch(value) is not None


def _is_measure(value: bytes) -> bool:
    """A number with a fraction or an exponent (a score, an expected count): never a phone
    or a card, though its digits may read as one (``13.812345678``)."""
    return _is_number(value) and not value.strip().lstrip(b"-").isdigit()


def _is_time(value: Any) -> bool:
    """Epoch milliseconds or ISO-8601 as the contract reads them, or the epoch seconds the
    product stores."""
    if isinstance(value, int | float) and EARLIEST_S <= value <= LATEST_S:
        return True
    try:
        to_epoch_s(_text(value) if isinstance(value, bytes) else value)
    except (ValueError, TypeError, OverflowError):
        return False
    return True


def _not_text(name: bytes, value: bytes) -> bool:
    """A stream value that is a time, a measure or an entry id, not text."""
    return _is_measure(value) or _is_entry_id(value) or (name == b"ts" and _is_time(value))


def stored_texts(raw: redis.Redis, keys: Keys) -> Iterator[tuple[str, str]]:
    """``(where, text)`` for every text stored in Redis under the prefix (feeds aside)."""
    skipped = {stream.encode() for stream in keys.feed_streams.values()}
    skipped.add(keys.detector_state.encode())  # base64 of numeric arrays: no text in it
    for key in raw.scan_iter(match=f"{keys.prefix}:*", count=1000):
        if key in skipped:
            continue
        where = _text(key)
        yield where, where
        kind = _text(raw.type(key))
        values: Any
        if kind == "string":
            values = [raw.get(key) or b""]
        elif kind == "hash":
            pairs: Any = raw.hgetall(key)
            values = [f for f in pairs] + [v for v in pairs.values() if not _is_number(v)]
        elif kind == "list":
            values = raw.lrange(key, 0, -1)
        elif kind == "set":
            values = raw.smembers(key)
        elif kind == "zset":
            values = raw.zrange(key, 0, -1)
        elif kind == "stream":
            values = [
                text
                for _id, fields in _stream(raw, key)
                for name, value in fields.items()
                for text in (name, value)
                if not (text is value and _not_text(name, value))
            ]
        else:
            values = []
        yield from ((where, _text(value)) for value in values)


def database_texts(url: str) -> Iterator[tuple[str, str]]:
    """``(table.column, text)`` for every text value of every row of the database."""
    engine = create_engine(url)
    try:
        meta = MetaData()
        meta.reflect(engine)
        with engine.connect() as conn:
            for table in meta.sorted_tables:
                for row in conn.execute(select(table)):
                    for column, value in zip(table.columns, row, strict=True):
                        if isinstance(value, str | bytes):
                            yield f"{table.name}.{column.name}", _text(value)
    finally:
        engine.dispose()


def leaks(texts: Iterator[tuple[str, str]]) -> tuple[int, int, list[str]]:
    """How many texts were scanned, how many hold personal data, and a few examples."""
    scanned, found = 0, 0
    examples: list[str] = []
    for where, text in texts:
        scanned += 1
        hits = _leaks(text)
        if hits:
            found += 1
            if len(examples) < 20 and not any(hits[0] in e for e in examples):
                examples.append(f"{where}: {hits[0]!r} in {text[:160]!r}")
    return scanned, found, examples
