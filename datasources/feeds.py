"""Writing the feed streams: the project's own producer and the dead-letter stream.

:class:`FeedWriter` is what the simulator (and any Python producer) uses: one
``XADD … MAXLEN ~ n`` per event, in pipelines, so the stream never outgrows the
retention setting.  It sends the raw command with arguments already encoded
(:func:`~datasources.schemas.wire_bytes`) rather than redis-py's ``xadd()``
wrapper, whose argument checking and per-value encoding would cost more than the
event itself; ``bench/ingest.py`` compares it with a bare ``xadd()`` loop.
The dead letter keeps an event that broke the contract, with why, so a bad producer
is visible and never blocks the worker.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping
from typing import Any, Final

import redis

from datasources.keys import Keys
from datasources.schemas import MODELS, Event, wire_bytes

Pipe = redis.Redis | Any
"""A client or a pipeline (redis-py types both loosely); writes are queued on either."""

DEADLETTER_FIELDS: Final = ("dl_feed", "dl_entry_id", "dl_reason", "dl_at")
"""Fields the dead letter adds beside the original ones (prefixed so they never collide
with an event's own ``reason``)."""

BATCH: Final = 1000
"""Events per pipeline round trip in :meth:`FeedWriter.publish_many`."""


class FeedWriter:
    """Validated events in, ``XADD`` with approximate trimming out."""

    def __init__(self, client: redis.Redis, keys: Keys, maxlen: int) -> None:
        self.client = client
        self.keys = keys
        self.maxlen = maxlen
        self._streams = keys.feed_streams

    def stream_key(self, feed: str) -> str:
        try:
            return self._streams[feed]
        except KeyError:
            raise ValueError(f"unknown feed {feed!r}; expected one of {sorted(MODELS)}") from None

    def publish(self, feed: str, event: Event, pipeline: Pipe | None = None) -> Any:
        """Append one event; with ``pipeline=`` the command is only queued.

        Returns the entry id when written directly (the pipeline's result otherwise).
        """
        if type(event) is not MODELS.get(feed):
            raise ValueError(f"a {type(event).__name__} does not belong on feed {feed!r}")
        target = self.client if pipeline is None else pipeline
        return target.execute_command(
            "XADD", self._streams[feed], "MAXLEN", "~", self.maxlen, "*", *wire_bytes(event)
        )

    def publish_many(self, feed: str, events: Iterable[Event]) -> int:
        """Append many events to one feed in pipelined batches; returns how many."""
        key = self.stream_key(feed)
        model = MODELS[feed]
        count = 0
        pipe = self.client.pipeline(transaction=False)
        for event in events:
            if type(event) is not model:
                raise ValueError(f"a {type(event).__name__} does not belong on feed {feed!r}")
            pipe.execute_command(  # type: ignore[no-untyped-call]
                "XADD", key, "MAXLEN", "~", self.maxlen, "*", *wire_bytes(event)
            )
            count += 1
            if count % BATCH == 0:
                pipe.execute()
        pipe.execute()
        return count

    def publish_mixed(self, items: Iterable[tuple[str, Event]]) -> int:
        """Append ``(feed, event)`` pairs (the simulator's output) in pipelined batches."""
        count = 0
        pipe = self.client.pipeline(transaction=False)
        command = pipe.execute_command
        streams, maxlen = self._streams, self.maxlen
        for feed, event in items:
            if type(event) is not MODELS.get(feed):
                raise ValueError(f"a {type(event).__name__} does not belong on feed {feed!r}")
            command("XADD", streams[feed], "MAXLEN", "~", maxlen, "*", *wire_bytes(event))  # type: ignore[no-untyped-call]
            count += 1
            if count % BATCH == 0:
                pipe.execute()
        pipe.execute()
        return count


def write_dead_letter(
    pipe_or_client: Pipe,
    keys: Keys,
    feed: str,
    entry_id: str,
    fields: Mapping[str, str],
    reason: str,
    *,
    maxlen: int = 100_000,
) -> Any:
    """File an event that broke the contract, with the original fields and why.

    The worker calls this inside the transaction that also acknowledges the entry,
    so an invalid event is either dead-lettered and acked, or neither.
    """
    entry: dict[Any, Any] = dict(fields)
    entry.update(
        dl_feed=feed,
        dl_entry_id=entry_id,
        dl_reason=reason,
        dl_at=f"{time.time():.3f}",
    )
    return pipe_or_client.xadd(keys.deadletter, entry, maxlen=maxlen, approximate=True)


def read_dead_letters(client: redis.Redis, keys: Keys, count: int = 100) -> list[dict[str, str]]:
    """The most recent dead letters, newest first (for tests and a diagnostics page)."""
    entries: list[tuple[str, dict[str, str]]] = client.xrevrange(keys.deadletter, count=count)  # type: ignore[assignment]
    return [dict(fields) for _id, fields in entries]
