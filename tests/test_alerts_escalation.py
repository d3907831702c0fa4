"""Escalation timers on APScheduler's SQL job store: steps ring after their (shortened)
delay, acknowledgement stops them, expiries resume them, several schedulers fire a step
once, and a worker killed with SIGKILL while a step is pending fires it once on restart."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
from sqlalchemy import inspect, text

from alerts.escalation import JOB_TABLE, EscalationTimers
from alerts.receiver import WebhookReceiver
from alerts.service import AlertService
from dashboard.alert_words import event_sentence
from datasources.db import make_engine
from datasources.migrate import upgrade
from datasources.settings import Settings
from tests.alerts_support import anomaly, make_settings, routing_yaml

pytestmark = pytest.mark.integration
ROOT = Path(__file__).resolve().parent.parent


def _settings(
    tmp_path: Path, redis_url: str, key_prefix: str, database_url: str, rx: WebhookReceiver,
    wait_minutes: float = 1.0, repeat: int = 0, **alerts: object,
) -> Settings:  # fmt: skip
    routing = routing_yaml(rx, wait_minutes=wait_minutes, repeat=repeat)
    settings = make_settings(tmp_path, redis_url, key_prefix, database_url, routing, **alerts)
    upgrade(database_url)
    return settings


def _started(
    settings: Settings, client: redis.Redis, name: str
) -> tuple[AlertService, EscalationTimers]:
    engine = make_engine(settings.effective_database_url)
    service = AlertService(settings, engine, client)
    timers = EscalationTimers(service, engine, name=name)
    timers.start()
    return service, timers


@pytest.fixture
def stack(
    tmp_path: Path, redis_url: str, key_prefix: str, database_url: str,
    redis_client: redis.Redis, receiver: WebhookReceiver, request: pytest.FixtureRequest,
) -> Iterator[AlertService]:  # fmt: skip
    options = getattr(request, "param", {})
    settings = _settings(tmp_path, redis_url, key_prefix, database_url, receiver, **options)
    service, timers = _started(settings, redis_client, f"t-{key_prefix}")
    try:
        yield service
    finally:
        timers.stop()
        service.close()


def _steps(service: AlertService, alert_id: int) -> list[str]:
    """The ring rows of the timeline as an English reader sees them."""
    timeline = service.get(alert_id).timeline
    return [
        event_sentence(e.rule, e.detail, e.text, "en", "UTC")
        for e in timeline
        if e.action == "ring"
    ]


@pytest.mark.parametrize("stack", [{"repeat": 2}], indirect=True)
def test_unacknowledged_alert_escalates_and_acknowledgement_stops_it(
    stack: AlertService, receiver: WebhookReceiver
) -> None:
    started = time.monotonic()
    stack.ingest([anomaly()])
    [alert] = stack.list_alerts()
    assert [m.path for m in receiver.wait_for(1, 5)] == ["/alice"]
    bob = receiver.wait_for(1, 5, path="bob")
    assert len(bob) == 1 and time.monotonic() - started >= 0.8  # after its 1 s delay
    stack.acknowledge(alert.id, "lead.wu")
    time.sleep(2.5)  # the chain would have rung alice and bob again by now
    assert [m.path for m in receiver.received()] == ["/alice", "/bob"]
    steps = _steps(stack, alert.id)
    assert steps[0].startswith("escalation step 1 of 6: rang Alice")
    assert steps[1].startswith("escalation step 2 of 6: rang Bob")
    assert stack.get(alert.id).alert.next_escalation_at is None


@pytest.mark.parametrize("stack", [{"ack_expiry_minutes": 1.0, "wait_minutes": 0.5}], indirect=True)
def test_an_expired_acknowledgement_reopens_and_escalation_resumes(
    stack: AlertService, receiver: WebhookReceiver
) -> None:
    stack.ingest([anomaly()])
    [alert] = stack.list_alerts()
    stack.acknowledge(alert.id, "lead.wu")
    receiver.wait_for(1, 5, path="bob")
    rules = [e.rule for e in stack.get(alert.id).timeline]
    assert "ACK-EXPIRE-1" in rules
    assert len(receiver.received("bob")) == 1


def test_snooze_and_silence_expire_back_to_open_and_ring(
    stack: AlertService, receiver: WebhookReceiver
) -> None:
    stack.silence({"business_line": "eleme"}, "lead", "planned maintenance", time.time() + 1.0)
    stack.ingest([anomaly("contacts:eleme:refund:*")])
    [silenced] = stack.list_alerts()
    assert silenced.status == "silenced" and receiver.received() == []
    assert len(receiver.wait_for(1, 5, path="alice")) == 1  # silence over: the chain starts
    stack.snooze(silenced.id, "lead", time.time() + 0.5)
    time.sleep(0.2)
    assert stack.get(silenced.id).alert.status == "snoozed"
    assert len(receiver.wait_for(1, 5, path="bob")) == 1  # woke, resumed at the next step
    rules = [e.rule for e in stack.get(silenced.id).timeline]
    assert {"SILENCE-1", "SILENCE-EXPIRE-1", "SNOOZE-1", "WAKE-1"} <= set(rules)


def test_two_schedulers_on_one_database_fire_a_step_once(
    tmp_path: Path, redis_url: str, key_prefix: str, database_url: str,
    redis_client: redis.Redis, receiver: WebhookReceiver,
) -> None:  # fmt: skip
    settings = _settings(tmp_path, redis_url, key_prefix, database_url, receiver)
    running = [_started(settings, redis_client, f"w{i}-{key_prefix}") for i in range(2)]
    try:
        running[0][0].ingest([anomaly()])
        receiver.wait_for(1, 5, path="bob")
        time.sleep(1.0)
        assert [m.path for m in receiver.received()] == ["/alice", "/bob"]
    finally:
        for service, timers in running:
            timers.stop()
            service.close()


def _worker(settings: Settings, log: Path) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "GMD_REDIS_URL": str(settings.redis_url),
        "GMD_REDIS_PREFIX": settings.redis_prefix,
        "GMD_DATABASE_URL": settings.effective_database_url,
        "GMD_DATA_DIR": str(settings.data_dir),
        "GMD_ROUTING_FILE": str(settings.routing_file),
        "GMD_ALERTS__ESCALATION_TIME_SCALE": str(settings.alerts.escalation_time_scale),
        "GMD_ALERTS__SWEEP_S": "0.2",
    }
    out = log.open("ab")
    return subprocess.Popen(
        [sys.executable, "-m", "gmd", "worker"], cwd=ROOT, env=env, stdout=out, stderr=out
    )


def _job_table_exists(settings: Settings) -> bool:
    engine = make_engine(settings.effective_database_url)
    try:
        return inspect(engine).has_table(JOB_TABLE)
    finally:
        engine.dispose()


def _job_ids(settings: Settings) -> list[str]:
    engine = make_engine(settings.effective_database_url)
    try:
        with engine.connect() as conn:
            return [row[0] for row in conn.execute(text(f"SELECT id FROM {JOB_TABLE}"))]
    except Exception:  # the table appears when the first scheduler starts
        return []
    finally:
        engine.dispose()


@pytest.mark.slow
def test_worker_killed_while_a_step_is_pending_fires_it_once_after_restart(
    tmp_path: Path, redis_url: str, key_prefix: str, database_url: str,
    redis_client: redis.Redis, receiver: WebhookReceiver,
) -> None:  # fmt: skip
    settings = _settings(tmp_path, redis_url, key_prefix, database_url, receiver, wait_minutes=4)
    page = AlertService(settings, make_engine(database_url), redis_client)  # a page: no timers
    log = tmp_path / "worker.log"
    workers = [_worker(settings, log)]
    try:
        deadline = time.monotonic() + 30
        while not _job_table_exists(settings):  # worker A's scheduler is running
            assert time.monotonic() < deadline, log.read_text()
            time.sleep(0.1)
        page.ingest([anomaly()])
        [alert] = page.list_alerts()
        assert alert.next_escalation_at is not None
        receiver.wait_for(1, 5, path="alice")
        while not any(j.startswith(f"esc:{alert.id}:") for j in _job_ids(settings)):
            assert time.monotonic() < deadline, log.read_text()
            time.sleep(0.05)
        workers[0].send_signal(signal.SIGKILL)
        workers[0].wait(5)
        assert time.time() < alert.next_escalation_at, "worker A too slow; the step came due"
        assert receiver.received("bob") == []  # pending in the job store, not fired
        workers.append(_worker(settings, log))
        assert len(receiver.wait_for(1, 30, path="bob")) == 1, log.read_text()
        time.sleep(1.5)
        assert len(receiver.received("bob")) == 1
        assert len(_steps(page, alert.id)) == 2
    finally:
        for proc in workers:
            if proc.poll() is None:
                proc.kill()
                proc.wait(5)
        page.close()
