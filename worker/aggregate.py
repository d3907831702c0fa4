"""The worker's own stages: aggregates for the pages, and per-feed progress.

Both only describe writes on the batch (see :mod:`worker.stages`), in the keys of the
batch's partition; the arithmetic and the key layout live in
:mod:`datasources.aggregates_write`.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from datasources.aggregates_write import BatchAggregate, record_progress
from datasources.batch import BatchWrites
from datasources.keys import Keys
from datasources.schemas import AHEAD_S, ContactEvent, Event, QueueSnapshot, VoiceEvent
from datasources.settings import Settings


@dataclass(frozen=True)
class AggregationStage:
    """Contacts, queue snapshots and voices → time-bucketed hashes, verbatims, series index.

    ``mask`` removes personal data from every verbatim before it is stored.
    """

    settings: Settings
    keys: Keys
    mask: Callable[[str], str]
    feeds: frozenset[str] = frozenset({"contacts", "queue", "voices"})

    def apply(self, feed: str, events: Sequence[Event], writes: BatchWrites) -> None:
        batch = BatchAggregate(self.settings, self.mask)
        if feed == "contacts":
            batch.add_contacts(e for e in events if isinstance(e, ContactEvent))
        elif feed == "queue":
            batch.add_queue(e for e in events if isinstance(e, QueueSnapshot))
        elif feed == "voices":
            batch.add_voices(e for e in events if isinstance(e, VoiceEvent))
        batch.flush(self.keys.of(writes.partition), pipeline=writes)


@dataclass(frozen=True)
class FeedProgressStage:
    """Raises each feed's watermark (newest event time — the pages' "now") and its
    wall-clock last-seen time (the pages' stale banners), and counts its events.

    The contract already refuses times more than ``AHEAD_S`` ahead of the clock; the
    watermark is capped there too, so no event can carry "now" into the future."""

    keys: Keys
    feeds: frozenset[str] = frozenset({"contacts", "queue", "voices", "conversations"})

    def apply(self, feed: str, events: Sequence[Event], writes: BatchWrites) -> None:
        wall = time.time()
        newest = min(max(e.ts for e in events), wall + AHEAD_S)
        keys = self.keys.of(writes.partition)
        record_progress(keys, feed, newest, wall, pipeline=writes, events=len(events))
