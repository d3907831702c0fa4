"""Group commit for ring bookkeeping: every attempt recorded, without a commit each.

Each delivery attempt and each ring's outcome must land in the database (the
console shows them), but a commit costs an fsync (about 5 ms on SQLite), so a
burst of rings written one commit at a time would queue behind the database
lock.  The :class:`RingRecorder` thread collects rows from all delivery threads
for a few milliseconds and writes them in one transaction; a caller that must
know its rows are durable waits on the event it gets back.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy import update
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from alerts.models import Ring, RingAttempt

log = logging.getLogger(__name__)

MAX_BATCH = 500
WRITE_RETRIES = 5


@dataclass
class _Finish:
    ring_id: int
    status: str
    at: float


@dataclass
class _Item:
    row: RingAttempt | _Finish
    done: threading.Event = field(default_factory=threading.Event)


class RingRecorder:
    """One thread writing ring attempts and outcomes in batches."""

    def __init__(
        self,
        sessions: sessionmaker[Session],
        on_flushed: Callable[[], None] | None = None,
        gather_s: float = 0.01,
    ) -> None:
        self.sessions = sessions
        self.on_flushed = on_flushed
        self.gather_s = gather_s
        self._queue: queue.Queue[_Item | None] = queue.Queue()
        self._thread = threading.Thread(target=self._run, name="gmd-ring-records", daemon=True)
        self._thread.start()

    def attempt(self, row: RingAttempt) -> threading.Event:
        return self._put(_Item(row))

    def finish(self, ring_id: int, status: str, at: float) -> threading.Event:
        return self._put(_Item(_Finish(ring_id, status, at)))

    def _put(self, item: _Item) -> threading.Event:
        self._queue.put(item)
        return item.done

    def close(self) -> None:
        """Write everything queued, then stop the thread."""
        if self._thread.is_alive():
            self._queue.put(None)
            self._thread.join()

    def _gather(self, first: _Item) -> tuple[list[_Item], bool]:
        batch, stop = [first], False
        deadline = time.monotonic() + self.gather_s
        while len(batch) < MAX_BATCH:
            try:
                item = self._queue.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                break
            if item is None:
                stop = True
                break
            batch.append(item)
        return batch, stop

    def _run(self) -> None:
        while True:
            first = self._queue.get()
            if first is None:
                return
            batch, stop = self._gather(first)
            self._write(batch)
            for item in batch:
                item.done.set()
            if stop:
                return

    def _write(self, batch: list[_Item]) -> None:
        for attempt in range(WRITE_RETRIES):
            try:
                with self.sessions.begin() as session:
                    session.add_all([i.row for i in batch if isinstance(i.row, RingAttempt)])
                    session.flush()
                    for item in batch:
                        if isinstance(item.row, _Finish):
                            session.execute(
                                update(Ring)
                                .where(Ring.id == item.row.ring_id)
                                .values(status=item.row.status, finished_at=item.row.at)
                                .execution_options(synchronize_session=False)
                            )
                break
            except SQLAlchemyError:
                log.exception("recording %d ring rows failed (try %d)", len(batch), attempt + 1)
                time.sleep(0.2 * (attempt + 1))
                batch = [_Item(_copy(i.row), i.done) for i in batch]
        if self.on_flushed is not None and any(isinstance(i.row, _Finish) for i in batch):
            self.on_flushed()


def _copy(row: RingAttempt | _Finish) -> RingAttempt | _Finish:
    """A fresh ORM row for a retry (the failed session may have attached the old one)."""
    if isinstance(row, _Finish):
        return row
    return RingAttempt(
        ring_id=row.ring_id,
        person_id=row.person_id,
        channel=row.channel,
        attempt=row.attempt,
        ok=row.ok,
        error=row.error,
        at=row.at,
        duration_s=row.duration_s,
    )
