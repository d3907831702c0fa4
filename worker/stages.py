"""What a worker runs: feed stages inside each batch, tickers between batches.

A **stage** turns one feed's parsed events into Redis writes.  It only *describes*
them on the :class:`~datasources.batch.BatchWrites` it is given: the worker adds the
batch's ``XACK`` after every stage and commits them in one script call that checks
every write before making any, so a batch's effects and its acknowledgement commit
together or not at all.  Every key it writes is one of the batch's partition,
``keys.of(writes.partition)`` (on a Redis Cluster they share one hash slot; a key of
another slot would fail the script).  A stage must not write anywhere else (a write
outside the batch would be repeated when the batch is retried).  Reads it needs
(configuration, an index) go through its own client, before or outside the batch.

A **ticker** is periodic work that is not tied to events — detection of a closed
bucket, alert intake, escalations.  The loop calls ``tick()`` between batches
once ``interval_s`` has passed since its last run; a ticker makes its own writes
idempotent (e.g. a ``SET NX`` lock per bucket) because several workers run it.
A ticker that owns threads or connections may also define ``stop()``: the worker
calls it on warm shutdown (:meth:`worker.loop.Worker.close`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from datasources.batch import BatchWrites
from datasources.schemas import Event


class FeedStage(Protocol):
    """Applies a batch of one feed's events as writes queued on ``pipe``."""

    @property
    def feeds(self) -> frozenset[str]:
        """Logical feed names (``contacts``, ``queue``, ``voices``, ``conversations``)."""
        ...

    def apply(self, feed: str, events: Sequence[Event], writes: BatchWrites) -> None:
        """Describe this batch's effects on ``writes``."""
        ...


class Ticker(Protocol):
    """Periodic work run by the loop between batches."""

    @property
    def interval_s(self) -> float:
        """Seconds between two calls of :meth:`tick`."""
        ...

    def tick(self) -> None:
        """Do one round of the periodic work; exceptions are logged and the loop goes on."""
        ...
