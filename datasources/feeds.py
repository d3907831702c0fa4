"""Writing the feed streams: the project's own producer and the dead-letter stream.

:class:`FeedWriter` is what the simulator (and any Python producer) uses: one
``XADD … MAXLEN ~ n`` per event, in pipelines, so the stream never outgrows the
retention setting.  It sends the raw command with arguments already encoded
(:func:`~datasources.schemas.wire_bytes`) rather than redis-py's ``xadd()``
wrapper, whose argument checking and per-value encoding would cost more than the
event itself; ``bench/ingest.py`` compares it with a bare ``xadd()`` loop.
The dead letter keeps an event that broke the contract, with why, so a bad producer
is visible and never blocks the worker — masked like everything else the product
stores (:func:`dead_letter_fields`).
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterable, Mapping
from typing import Any, Final

import redis

from alerts.masking import mask_pii
from datasources.aggregates_ops import HashUpdate, add_hash_updates
from datasources.batch import Target, writes_on
from datasources.keys import Keys
from datasources.partitions import route
from datasources.schemas import MODELS, Event, json_too_deep, to_epoch_s, wire_bytes

Pipe = redis.Redis | Any
"""A client or a pipeline (redis-py types both loosely); writes are queued on either."""

DEADLETTER_FIELDS: Final = ("dl_feed", "dl_entry_id", "dl_reason", "dl_at")
"""Fields the dead letter adds beside the original ones (prefixed so they never collide
with an event's own ``reason``)."""

BATCH: Final = 1000
"""Events per pipeline round trip in :meth:`FeedWriter.publish_many`."""

DEAD_VALUE_MAX: Final = 2000
"""Characters of one value a dead letter keeps (enough to see what the producer sent)."""
DEAD_NAME_MAX: Final = 64
DEAD_FIELDS_MAX: Final = 64
"""Fields a dead letter keeps; ``dl_more_fields`` counts the rest."""
REASON_MAX: Final = 300
DEADLETTER_MAXLEN: Final = 100_000
"""Dead letters kept (approximately): the newest; ``keys.deadletter_counts`` counts all."""


class FeedWriter:
    """Validated events in, ``XADD`` with approximate trimming out, each to its partition
    (:func:`datasources.partitions.route`)."""

    def __init__(self, client: redis.Redis, keys: Keys, maxlen: int) -> None:
        self.client = client
        self.keys = keys
        self.maxlen = maxlen
        self._partitions = keys.partitions
        self._streams = [part.feed_streams for part in keys.every()]

    def stream_key(self, feed: str, event: Event) -> str:
        """The stream ``event`` goes to: its feed's, in its partition."""
        if feed not in MODELS:
            raise ValueError(f"unknown feed {feed!r}; expected one of {sorted(MODELS)}")
        return self._streams[route(feed, event, self._partitions)][feed]

    def publish(self, feed: str, event: Event, pipeline: Pipe | None = None) -> Any:
        """Append one event; with ``pipeline=`` the command is only queued.

        Returns the entry id when written directly (the pipeline's result otherwise).
        """
        if type(event) is not MODELS.get(feed):
            raise ValueError(f"a {type(event).__name__} does not belong on feed {feed!r}")
        target = self.client if pipeline is None else pipeline
        return target.execute_command(
            "XADD", self.stream_key(feed, event), "MAXLEN", "~", self.maxlen, "*",
            *wire_bytes(event),
        )  # fmt: skip

    def publish_many(self, feed: str, events: Iterable[Event]) -> int:
        """Append many events to one feed in pipelined batches; returns how many."""
        if feed not in MODELS:
            raise ValueError(f"unknown feed {feed!r}; expected one of {sorted(MODELS)}")
        return self.publish_mixed((feed, event) for event in events)

    def publish_mixed(self, items: Iterable[tuple[str, Event]]) -> int:
        """Append ``(feed, event)`` pairs (the simulator's output) in pipelined batches."""
        count = 0
        pipe = self.client.pipeline(transaction=False)
        command = pipe.execute_command
        streams, maxlen, partitions = self._streams, self.maxlen, self._partitions
        for feed, event in items:
            if type(event) is not MODELS.get(feed):
                raise ValueError(f"a {type(event).__name__} does not belong on feed {feed!r}")
            key = streams[route(feed, event, partitions)][feed]
            command("XADD", key, "MAXLEN", "~", maxlen, "*", *wire_bytes(event))  # type: ignore[no-untyped-call]
            count += 1
            if count % BATCH == 0:
                pipe.execute()
        pipe.execute()
        return count


def write_dead_letter(
    target: Target,
    keys: Keys,
    feed: str,
    entry_id: str,
    fields: Mapping[str, str],
    reason: str,
    *,
    maxlen: int = DEADLETTER_MAXLEN,
) -> None:
    """File an event that broke the contract, with its fields (:func:`dead_letter_fields`)
    and why, and count it in ``keys.deadletter_counts``.

    The worker describes this on the batch's :class:`~datasources.batch.BatchWrites`,
    whose script also acknowledges the entry, so an invalid event is either
    dead-lettered and acked, or neither.
    """
    with writes_on(target) as writes:
        writes.xadd(keys.deadletter, dead_letter_fields(feed, entry_id, fields, reason), maxlen)
        add_hash_updates(writes, [(keys.deadletter_counts, 0, HashUpdate(incr={feed: 1}))])


def dead_letter_fields(
    feed: str, entry_id: str, fields: Mapping[str, str], reason: str
) -> dict[str, str]:
    """What a dead letter stores: the entry as the producer wrote it, made safe to keep.

    Bytes that are not UTF-8 are shown as ``\\xNN``; names and values pass through
    :func:`~alerts.masking.mask_pii` (a valid ``ts`` is kept as sent: it is a time, not
    a card number); each value keeps its first :data:`DEAD_VALUE_MAX` characters and
    the entry its first :data:`DEAD_FIELDS_MAX` fields.  Field names, codes, numbers
    and the reason stay readable, which is what the producer's owner needs.
    """
    out: dict[str, str] = {}
    for n, (name, value) in enumerate(fields.items()):
        if n == DEAD_FIELDS_MAX:
            out["dl_more_fields"] = str(len(fields) - n)
            break
        shown = _clip(mask_pii(_safe(name)[: 4 * DEAD_NAME_MAX]), DEAD_NAME_MAX)
        out[shown] = _clip(_masked_value(shown, _safe(value)), DEAD_VALUE_MAX)
    out.update(
        dl_feed=feed,
        dl_entry_id=entry_id,
        dl_reason=_clip(mask_pii(_safe(reason)), REASON_MAX),
        dl_at=f"{time.time():.3f}",
    )
    return out


def _safe(text: str) -> str:
    """``text`` as it can be stored: bytes that were not UTF-8 (kept by the reader as lone
    surrogates) shown as ``\\xNN``."""
    if text.isascii():
        return text
    try:
        text.encode()
        return text
    except UnicodeEncodeError:
        try:
            return text.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
        except UnicodeEncodeError:
            return text.encode("utf-8", "backslashreplace").decode()


def _masked_value(name: str, value: str) -> str:
    if name == "ts" and _is_time(value):
        return value
    if name == "json":
        return _masked_json(value)
    return mask_pii(value[: 4 * DEAD_VALUE_MAX])


def _masked_json(raw: str) -> str:
    """A ``json`` field with each value inside masked (a valid ``ts`` kept), so an operator
    still sees the object's shape; the whole text masked if it is not a JSON object.

    Decoding turns an escaped half character (``"\\ud800"``) into a lone surrogate no
    UTF-8 store can hold, so the result is made safe again (shown as the escape)."""
    if json_too_deep(raw):
        return _masked_text(raw)
    try:
        data = json.loads(raw)
        if not isinstance(data, dict):
            return _masked_text(raw)
        masked = {mask_pii(k): _masked_member(k, v) for k, v in data.items()}
        return _safe(json.dumps(masked, ensure_ascii=False))
    except Exception:  # not JSON, too deep, too many digits: mask it as text
        return _masked_text(raw)


_ESCAPE = re.compile(r"\\u([0-9a-fA-F]{4})")


def _masked_text(raw: str) -> str:
    """JSON that cannot be decoded, masked as text once its ``\\uXXXX`` escapes are read:
    a producer's ``ensure_ascii`` JSON writes ``\\u5230`` for 到, and the card number
    glued to it would read as part of a longer run (the fuzzer found one so kept)."""
    text = _ESCAPE.sub(lambda m: chr(int(m.group(1), 16)), raw[: 4 * DEAD_VALUE_MAX])
    return mask_pii(_safe(text))


def _masked_member(name: str, value: Any) -> Any:
    if name == "ts" and _is_time(value):
        return value
    if isinstance(value, str):
        return mask_pii(value[: 4 * DEAD_VALUE_MAX])
    text = json.dumps(value, ensure_ascii=False)
    masked = mask_pii(text)
    return value if masked == text else masked


def _is_time(value: Any) -> bool:
    try:
        to_epoch_s(value)
    except (ValueError, TypeError):
        return False
    return True


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else f"{text[:limit]}…(+{len(text) - limit:,} characters)"


def read_dead_letters(client: redis.Redis, keys: Keys, count: int = 100) -> list[dict[str, str]]:
    """The most recent dead letters of every partition, newest first (for tests and a
    diagnostics page)."""
    pipe = client.pipeline(transaction=False)
    for part in keys.every():
        pipe.xrevrange(part.deadletter, count=count)
    found = [entry for entries in pipe.execute() for entry in entries]
    found.sort(key=lambda entry: _entry_order(entry[0]), reverse=True)
    return [dict(fields) for _id, fields in found[:count]]


def _entry_order(entry_id: str) -> tuple[int, int]:
    ms, _, seq = entry_id.partition("-")
    return int(ms), int(seq)
