"""Group commit for ring bookkeeping: every attempt recorded, without a commit each.

Each delivery attempt and each ring's outcome must land in the database (the
console shows them), but a commit costs an fsync (about 5 ms on SQLite), so a
burst of rings written one commit at a time would queue behind the database
lock.  The :class:`RingRecorder` thread collects rows from all delivery threads
for a few milliseconds and writes them in one transaction; a caller that must
know its rows are durable waits on the event it gets back.

An attempt that is not recorded is a ring sent again: a ring left ``sending`` is
re-sent by the sweep once its claim is stale.  So the thread outlives any outage:
a database that is down or locked is retried until it answers (one log line per
outage), the callback after a flush (which touches Redis) may fail without
consequence, and a thread that died anyway is restarted by :meth:`ensure_alive`
(the worker's intake calls it every tick, the ringer before each delivery).
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy import update
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError, SQLAlchemyError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.orm import Session, sessionmaker

from alerts.models import Ring, RingAttempt
from datasources.health import KeptThread, OutageLog

log = logging.getLogger(__name__)

MAX_BATCH = 500
WRITE_RETRIES = 5
"""Tries for a batch the database refuses (not an outage): then row by row."""
RETRY_MAX_S = 5.0
CLOSE_WAIT_S = 10.0
"""On shutdown, how long rows still unwritten (database down) are retried."""


@dataclass
class _Finish:
    ring_id: int
    status: str
    at: float


@dataclass
class _Item:
    row: RingAttempt | _Finish
    done: threading.Event = field(default_factory=threading.Event)


def _outage(exc: SQLAlchemyError) -> bool:
    """The database is away or busy (retry until it answers), not refusing these rows."""
    if isinstance(exc, OperationalError | InterfaceError | PoolTimeout):
        return True
    return isinstance(exc, DBAPIError) and exc.connection_invalidated


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
        self._closing: float | None = None
        self._database = OutageLog(log, "recording ring attempts")
        self._notify = OutageLog(log, "announcing ring outcomes")
        self._thread = KeptThread("gmd-ring-records", self._step, log)

    def attempt(self, row: RingAttempt) -> threading.Event:
        return self._put(_Item(row))

    def finish(self, ring_id: int, status: str, at: float) -> threading.Event:
        return self._put(_Item(_Finish(ring_id, status, at)))

    def _put(self, item: _Item) -> threading.Event:
        self._queue.put(item)
        return item.done

    def ensure_alive(self) -> bool:
        """Restart the thread if it died; True if it had to."""
        return self._thread.ensure_alive()

    def health(self) -> str:
        """``ok``, ``retrying`` (the database is away) or ``dead``."""
        return "retrying" if self._database.down else self._thread.health()

    def close(self) -> None:
        """Write everything queued (retrying a database that is away for a while), then
        stop the thread."""
        if self._thread.alive and not self._thread.stopping:
            self._closing = time.monotonic() + CLOSE_WAIT_S
            self._queue.put(None)
            self._thread.join(CLOSE_WAIT_S + 5.0)

    def _step(self) -> None:
        first = self._queue.get()
        if first is None:
            self._thread.stop()
            return
        batch, stop = self._gather(first)
        self._write(batch)
        for item in batch:
            item.done.set()
        if self.on_flushed is not None and any(isinstance(i.row, _Finish) for i in batch):
            try:
                self.on_flushed()
                self._notify.ok()
            except Exception as exc:  # walls refresh on their own timer too
                self._notify.failed(exc)
        if stop:
            self._thread.stop()

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

    def _write(self, batch: list[_Item]) -> None:
        """Write the batch: through any outage (until closing gives up), or — if the
        database refuses it — row by row, dropping only the rows it refuses."""
        refused, wait = 0, 0.2
        while True:
            try:
                self._commit([i.row for i in batch])
                self._database.ok()
                return
            except SQLAlchemyError as exc:
                if not _outage(exc):
                    refused += 1
                    if refused >= WRITE_RETRIES:
                        self._write_each(batch)
                        return
                self._database.failed(exc)
            if self._closing is not None and time.monotonic() > self._closing:
                log.error("%d ring rows not recorded: the database did not answer", len(batch))
                return
            time.sleep(wait)
            wait = min(wait * 2, RETRY_MAX_S)

    def _write_each(self, batch: list[_Item]) -> None:
        for item in batch:
            try:
                self._commit([item.row])
            except SQLAlchemyError as exc:
                log.error("ring row %s refused by the database, dropped: %s", item.row, exc)

    def _commit(self, rows: list[RingAttempt | _Finish]) -> None:
        with self.sessions.begin() as session:
            session.add_all([_copy(r) for r in rows if isinstance(r, RingAttempt)])
            session.flush()
            for row in rows:
                if isinstance(row, _Finish):
                    session.execute(
                        update(Ring)
                        .where(Ring.id == row.ring_id)
                        .values(status=row.status, finished_at=row.at)
                        .execution_options(synchronize_session=False)
                    )


def _copy(row: RingAttempt) -> RingAttempt:
    """A fresh ORM row for each try (a failed session may have attached the last one)."""
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
