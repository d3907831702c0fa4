"""Ringing against a real local HTTP receiver: failures and timeouts are retried until
exactly one message lands, every attempt is recorded, and a ring a dead process left
behind is delivered once without repeating channels that already got it."""

from __future__ import annotations

import socket
import time

import pytest
from sqlalchemy import update

from alerts.escalation import stranded_rings
from alerts.models import Ring
from alerts.receiver import WebhookReceiver
from alerts.ringing import AppriseNotifier
from alerts.service import AlertService
from tests.alerts_support import anomaly

pytestmark = pytest.mark.integration


def _wait_ring_status(service: AlertService, alert_id: int, timeout_s: float = 10.0) -> str:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        rings = service.get(alert_id).rings
        if rings and rings[0].status not in ("pending", "sending"):
            return rings[0].status
        time.sleep(0.05)
    return "timeout"


def test_http_500s_are_retried_until_exactly_one_message_lands(
    service: AlertService, receiver: WebhookReceiver
) -> None:
    receiver.fail_next(3)
    service.ingest([anomaly()])
    [alert] = service.list_alerts()
    assert _wait_ring_status(service, alert.id) == "delivered"
    time.sleep(0.3)
    assert len(receiver.received()) == 1
    assert receiver.refused == 3
    attempts = service.get(alert.id).rings[0].attempts
    assert [(a.attempt, a.ok) for a in attempts] == [(1, False), (2, False), (3, False), (4, True)]
    assert all(a.error for a in attempts[:3])


def test_a_hanging_receiver_times_out_and_the_retry_delivers_once(
    service: AlertService, receiver: WebhookReceiver
) -> None:
    receiver.hang_next(2, seconds=2.0)  # longer than ring_timeout_s (1 s in tests)
    service.ingest([anomaly()])
    [alert] = service.list_alerts()
    assert _wait_ring_status(service, alert.id) == "delivered"
    time.sleep(1.5)  # the hung requests finish refusing; nothing more may arrive
    assert len(receiver.received()) == 1
    attempts = service.get(alert.id).rings[0].attempts
    assert [a.ok for a in attempts] == [False, False, True]


def test_a_channel_that_never_recovers_fails_after_the_configured_attempts(
    service: AlertService, receiver: WebhookReceiver
) -> None:
    receiver.fail_next(100)
    service.ingest([anomaly()])
    [alert] = service.list_alerts()
    assert _wait_ring_status(service, alert.id) == "failed"
    assert len(service.get(alert.id).rings[0].attempts) == service.settings.alerts.ring_attempts
    assert receiver.received() == []


def test_a_ring_left_pending_by_a_dead_process_is_delivered_once(
    service: AlertService, receiver: WebhookReceiver
) -> None:
    service.ringer.close(wait=True)  # this "process" decides rings but dies before sending
    service.ingest([anomaly()])
    [alert] = service.list_alerts()
    assert receiver.received() == []
    ring_id = service.get(alert.id).rings[0].id
    with service.sessions.begin() as session:  # decided a while ago
        session.execute(update(Ring).where(Ring.id == ring_id).values(created_at=time.time() - 60))

    survivor = AlertService(service.settings, service.sessions, service.redis)
    try:
        assert stranded_rings(survivor) == [ring_id]
        assert survivor.ringer.deliver(ring_id) == "delivered"
        assert survivor.ringer.deliver(ring_id) == "taken"  # delivered rings are not taken twice
        assert stranded_rings(survivor) == []
    finally:
        survivor.close()
    assert len(receiver.received()) == 1


def test_apprise_notifier_reports_a_refused_connection() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    [delivery] = AppriseNotifier(timeout_s=0.5).send(
        [f"json://127.0.0.1:{port}/x"], "title", "body"
    )
    assert not delivery.ok and delivery.error
    [bad] = AppriseNotifier().send(["nonsense://x"], "t", "b")
    assert (bad.ok, bad.error) == (False, "not an apprise URL")


def test_closing_hands_queued_rings_back_instead_of_sending_them_first(
    service: AlertService, receiver: WebhookReceiver
) -> None:
    """A worker stopping with a backlog of rings for a receiver that hangs: the posts on
    the wire finish, no ring retries, and every ring is pending again for the next worker
    (the queued ones never tried, the ones on the wire with that one failed attempt), so
    none is lost or doubled and the stop waits for neither the backlog nor a back-off."""
    threads = service.settings.alerts.ring_threads
    receiver.hang_next(1000, seconds=2.0)  # every post outlasts ring_timeout_s (1 s)
    service.ingest([anomaly(f"contacts:tmall:reason{n}:*") for n in range(threads * 4)])
    time.sleep(0.3)  # the first ``threads`` rings are on the wire
    began = time.monotonic()
    service.close(wait=True)
    took = time.monotonic() - began
    rings = [ring for alert in service.list_alerts() for ring in service.get(alert.id).rings]
    statuses = [ring.status for ring in rings]
    assert "sending" not in statuses
    assert statuses == ["pending"] * len(rings), statuses
    assert sum(bool(ring.attempts) for ring in rings) <= threads
    assert all(len(ring.attempts) <= 1 for ring in rings)
    assert took < 4.0, f"close waited for the backlog: {took:.1f} s"


def test_closing_cuts_a_retry_short_and_the_next_worker_goes_on(
    service: AlertService, receiver: WebhookReceiver
) -> None:
    """A ring backing off from a broken receiver when its worker stops: the stop does not
    wait out the back-off (``gmd run`` killed a worker that did), the ring is pending again
    with its failed attempt recorded, and the next worker delivers it once, numbering its
    attempts on from there."""
    alerts = service.settings.alerts.model_copy(
        update={"ring_backoff_s": 5.0, "ring_backoff_max_s": 30.0}
    )
    patient = AlertService(
        service.settings.model_copy(update={"alerts": alerts}), service.sessions, service.redis
    )
    receiver.fail_next(2)
    patient.ingest([anomaly()])
    [alert] = patient.list_alerts()
    deadline = time.monotonic() + 10
    while not service.get(alert.id).rings[0].attempts:
        assert time.monotonic() < deadline, "no attempt recorded"
        time.sleep(0.05)
    began = time.monotonic()
    patient.close(wait=True)
    took = time.monotonic() - began
    assert took < 2.0, f"the stop waited out the back-off: {took:.1f} s"
    ring = service.get(alert.id).rings[0]
    assert ring.status == "pending"
    assert [(a.attempt, a.ok) for a in ring.attempts] == [(1, False)]
    assert service.ringer.deliver(ring.id) == "delivered"
    attempts = service.get(alert.id).rings[0].attempts
    assert [(a.attempt, a.ok) for a in attempts] == [(1, False), (2, False), (3, True)]
    assert len(receiver.received()) == 1
