"""Ringing the bell (拉铃): composing the message and delivering it, retried and recorded.

A ring is decided inside the transaction that caused it (an alert opening, an
escalation step, a lead's click) as a :class:`~alerts.models.Ring` row; the
:class:`Ringer` delivers it only after that transaction committed, through a
:class:`Notifier` (apprise by default).  Each channel is retried with exponential
back-off, every attempt becomes a ``ring_attempts`` row, and a channel that already
succeeded is never sent again, so a redelivery after a crash does not repeat it.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Protocol
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import apprise
from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session, sessionmaker
from tenacity import (
    Retrying,
    retry_if_result,
    stop_after_attempt,
    stop_when_event_set,
    wait_exponential,
)

from alerts.models import Ring, RingAttempt
from alerts.ring_records import RingRecorder
from datasources.health import OutageLog
from datasources.settings import AlertSettings

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Delivery:
    """What happened to one message on one channel."""

    url: str
    ok: bool
    error: str = ""
    duration_s: float = 0.0


class Notifier(Protocol):
    """Sends one message to channels; the radio digest reuses the same interface."""

    def send(self, urls: Sequence[str], title: str, body: str) -> list[Delivery]: ...


class _ThreadLog(logging.Handler):
    """Collects apprise's warnings raised by the current thread (its only error report)."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.thread = threading.get_ident()
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        if record.thread == self.thread:
            self.messages.append(record.getMessage())


class AppriseNotifier:
    """Delivers through apprise URLs with connect/read timeouts, one URL at a time."""

    def __init__(self, timeout_s: float = 5.0) -> None:
        self.timeout_s = timeout_s

    def _with_timeouts(self, url: str) -> str:
        parts = urlsplit(url)
        query = dict(parse_qsl(parts.query, keep_blank_values=True))
        query.setdefault("cto", str(self.timeout_s))
        query.setdefault("rto", str(self.timeout_s))
        return urlunsplit(parts._replace(query=urlencode(query)))

    def send(self, urls: Sequence[str], title: str, body: str) -> list[Delivery]:
        return [self._send_one(url, title, body) for url in urls]

    def _send_one(self, url: str, title: str, body: str) -> Delivery:
        started = time.monotonic()
        target = apprise.Apprise()
        if not target.add(self._with_timeouts(url)):
            return Delivery(url, False, "not an apprise URL", 0.0)
        capture = _ThreadLog()
        apprise_log = logging.getLogger("apprise")
        apprise_log.addHandler(capture)
        try:
            ok = bool(target.notify(title=title, body=body))
        finally:
            apprise_log.removeHandler(capture)
        error = "" if ok else ("; ".join(capture.messages[-2:]) or "delivery failed")
        return Delivery(url, ok, error[:500], time.monotonic() - started)


def mask_channel(url: str) -> str:
    """The URL as a console may show it: apprise hides tokens and passwords."""
    plugin = apprise.Apprise.instantiate(url, suppress_exceptions=True)
    if plugin is None:
        return url.split("://", 1)[0] + "://…"
    return str(plugin.url(privacy=True)).split("?", 1)[0]  # type: ignore[no-untyped-call]


HAND_BACK_WAIT_S = 10.0
"""How long a ring cut short by a stop waits for its attempts to be recorded before it is
handed back (the database away longer: the claim goes stale and the sweep takes it)."""


class Ringer:
    """Delivers committed rings on a small thread pool, retrying each channel.

    A ring is first *claimed* (``pending`` → ``sending`` with a timestamp) in one
    conditional UPDATE for a whole batch, so two processes never deliver the same
    ring; a claim older than :attr:`stale_claim_s` belongs to a dead process and
    may be taken over.  Attempts and outcomes go through a :class:`RingRecorder`.
    """

    def __init__(
        self,
        sessions: sessionmaker[Session],
        notifier: Notifier,
        settings: AlertSettings,
        *,
        clock: Callable[[], float] = time.time,
        on_finished: Callable[[], None] | None = None,
    ) -> None:
        self.sessions = sessions
        self.notifier = notifier
        self.settings = settings
        self.clock = clock
        self.records = RingRecorder(sessions, on_finished)
        self._pool = ThreadPoolExecutor(settings.ring_threads, thread_name_prefix="gmd-ring")
        self._queued: dict[Future[str], int] = {}
        """Deliveries submitted and not finished, by ring id: handed back on close."""
        self._closing = threading.Event()
        """Set by :meth:`close`: retries stop waiting, and an unfinished ring goes back."""
        self._failures = OutageLog(log, "delivering rings")

    @property
    def stale_claim_s(self) -> float:
        """Longer than any honest delivery takes: a claim this old belongs to a dead process."""
        s = self.settings
        return 2.0 * s.ring_attempts * (s.ring_timeout_s + s.ring_backoff_max_s) + 10.0

    def submit_many(self, ring_ids: list[int]) -> dict[int, Future[str]]:
        """Claim the rings and deliver each in the background (status in its future).

        Once closed, nothing is claimed: the rings stay pending for a worker's sweep.
        """
        futures: dict[int, Future[str]] = {}
        if not ring_ids:
            return futures
        self.records.ensure_alive()
        claimed = {ring.id: ring for ring in self._claim(ring_ids)} if not self.closed else {}
        for ring_id in ring_ids:
            ring = claimed.get(ring_id)
            if ring is None:
                futures[ring_id] = Future()
                futures[ring_id].set_result("taken" if not self.closed else "pending")
            else:
                future = self._pool.submit(self._deliver_logged, ring)
                self._queued[future] = ring_id
                future.add_done_callback(self._forget)
                futures[ring_id] = future
        return futures

    def _forget(self, future: Future[str]) -> None:
        if not future.cancelled():
            self._queued.pop(future, None)

    def _deliver_logged(self, ring: Ring) -> str:
        """:meth:`_deliver_claimed` in a pool thread: a failure (the database away while
        reading the ring's attempts) is one log line per outage, not a silent future; the
        ring stays claimed and the sweep takes it over once the claim is stale."""
        try:
            status = self._deliver_claimed(ring)
        except Exception as exc:
            self._failures.failed(exc)
            return "error"
        self._failures.ok()
        return status

    def health(self) -> str:
        """The ring bookkeeping's health: ``ok``, ``retrying`` or ``dead``."""
        return self.records.health()

    def submit(self, ring_id: int) -> Future[str]:
        return self.submit_many([ring_id])[ring_id]

    def deliver(self, ring_id: int) -> str:
        """Claim and deliver one ring now; returns its status once it is recorded."""
        claimed = self._claim([ring_id])
        if not claimed:
            return "taken"
        return self._deliver_claimed(claimed[0], wait=True)

    @property
    def closed(self) -> bool:
        return bool(getattr(self._pool, "_shutdown", False))

    def close(self, wait: bool = True) -> None:
        """Stop delivering: attempts on the wire finish (awaited with ``wait``) but no
        retry waits out its back-off, rings not delivered to every channel and rings
        still queued are handed back as pending for the next worker's sweep, then the
        records are written.

        A stopping worker with thousands of rings queued for dead receivers would
        otherwise try every one of them before exiting (over a minute in the fuzzer),
        and one retrying a single dead receiver waited out its whole back-off (15 s and
        more: ``gmd run`` killed it).  A ring handed back keeps its recorded attempts, so
        the next worker neither repeats a channel that got it nor loses one that did not.
        """
        self._closing.set()
        self._pool.shutdown(wait=wait, cancel_futures=True)
        self._hand_back([rid for future, rid in list(self._queued.items()) if future.cancelled()])
        self.records.close()

    def _hand_back(self, ring_ids: list[int]) -> None:
        if not ring_ids:
            return
        try:
            with self.sessions.begin() as session:
                session.execute(
                    update(Ring)
                    .where(Ring.id.in_(ring_ids), Ring.status == "sending")
                    .values(status="pending", claimed_at=None)
                )
        except Exception as exc:  # the database away: the claims go stale and are swept
            log.warning("could not hand back %d queued rings: %s", len(ring_ids), exc)

    def _claim(self, ring_ids: list[int]) -> list[Ring]:
        now = self.clock()
        claimable = or_(
            Ring.status == "pending",
            (Ring.status == "sending") & (Ring.claimed_at < now - self.stale_claim_s),
        )
        with self.sessions.begin() as session:
            got = session.scalars(
                update(Ring)
                .where(Ring.id.in_(ring_ids), claimable)
                .values(status="sending", claimed_at=now)
                .returning(Ring.id)
                .execution_options(synchronize_session=False)
            ).all()
            if not got:
                return []
            return list(session.scalars(select(Ring).where(Ring.id.in_(got))))

    def _deliver_claimed(self, ring: Ring, wait: bool = False) -> str:
        with self.sessions() as session:
            attempts = session.scalars(
                select(RingAttempt).where(RingAttempt.ring_id == ring.id)
            ).all()
        done = {(a.person_id, a.channel) for a in attempts if a.ok}
        tries = {(a.person_id, a.channel): a.attempt for a in attempts}
        outcomes: list[bool] = []
        recorded: list[threading.Event] = []
        for recipient in ring.recipients:
            for url in recipient["channels"]:
                key = (str(recipient["person"]), mask_channel(url))
                if key in done:
                    outcomes.append(True)
                    continue
                outcomes.append(self._deliver_channel(ring, key, url, tries.get(key, 0), recorded))
        if self._closing.is_set() and not all(outcomes):
            # Cut short by a stop: the next worker goes on, once it can read which
            # channels already got the ring (or it would send those again).
            for written in recorded:
                written.wait(HAND_BACK_WAIT_S)
            self._hand_back([ring.id])
            return "pending"
        status = "delivered" if all(outcomes) else ("partial" if any(outcomes) else "failed")
        finished = self.records.finish(ring.id, status, self.clock())
        if wait:
            finished.wait()
        return status

    def _pause(self, seconds: float) -> None:
        """A retry's back-off, cut short when the ringer closes."""
        self._closing.wait(seconds)

    def _deliver_channel(
        self,
        ring: Ring,
        key: tuple[str, str],
        url: str,
        tried: int,
        recorded: list[threading.Event],
    ) -> bool:
        s = self.settings
        counter = iter(range(tried + 1, tried + 1 + s.ring_attempts))

        def attempt() -> bool:
            if self._closing.is_set():
                return False  # stopping: no new attempt (the ring is handed back)
            number = next(counter)
            delivery = self.notifier.send([url], ring.title, ring.body)[0]
            recorded.append(self.records.attempt(
                RingAttempt(
                    ring_id=ring.id,
                    person_id=key[0],
                    channel=key[1],
                    attempt=number,
                    ok=delivery.ok,
                    error=delivery.error,
                    at=self.clock(),
                    duration_s=delivery.duration_s,
                )
            ))  # fmt: skip
            if not delivery.ok:
                log.warning(
                    "ring %s to %s attempt %s failed: %s", ring.id, key[1], number, delivery.error
                )
            return delivery.ok

        retrying = Retrying(
            stop=stop_after_attempt(s.ring_attempts) | stop_when_event_set(self._closing),
            sleep=self._pause,
            wait=wait_exponential(multiplier=s.ring_backoff_s, max=s.ring_backoff_max_s),
            retry=retry_if_result(lambda ok: not ok),
            retry_error_callback=lambda state: False,
        )
        return bool(retrying(attempt))
