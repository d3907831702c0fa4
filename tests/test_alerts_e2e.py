"""End to end on real Redis, a real database and a real ``gmd worker``: the simulator
injects a spike → the worker's detector raises an anomaly → one alert opens → the local
receiver gets exactly one ring → nobody acknowledges → the next step rings the next
person after its (shortened) delay → an acknowledgement stops the rings → the incident
subsides → the alert resolves itself; the timeline records every step."""

from __future__ import annotations

import re
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis

from alerts.anomaly import AnomalyKind
from alerts.receiver import WebhookReceiver
from alerts.service import AlertService
from alerts.views import AlertView
from dashboard.alert_words import event_sentence
from datasources.db import make_engine
from datasources.feeds import FeedWriter
from datasources.keys import Keys
from datasources.migrate import upgrade
from datasources.settings import Settings
from datasources.simulator import Incident, Simulator
from datasources.simulator.mix import reason_rates
from tests.alerts_support import make_settings
from tests.worker_support import base_env

pytestmark = [pytest.mark.integration, pytest.mark.slow]
ROOT = Path(__file__).resolve().parent.parent
START = 1794326400.0 - 3600  # 23:00 in Shanghai on 10 November
ONSET = START + 900
END = ONSET + 300


def routing(receiver: WebhookReceiver, reason: str) -> str:
    """The incident's line and reason go to ops (alice, then bob); anything else (a false
    alarm elsewhere) goes to a separate sink so it cannot disturb the count."""
    rotation = (
        f'{{every: weekly, start: "{time.strftime("%Y-%m-%d", time.gmtime())}T00:00:00+00:00"}}'
    )
    return f"""\
people:
  alice: {{name: Alice, channels: ["{receiver.url("alice")}"]}}
  bob: {{name: Bob, channels: ["{receiver.url("bob")}"]}}
  sink: {{name: Sink, channels: ["{receiver.url("sink")}"]}}
teams:
  ops: {{name: Ops, members: [alice, bob], rotation: {rotation}}}
  elsewhere: {{name: Elsewhere, members: [sink]}}
policies:
  chain:
    steps: [{{ring: oncall}}, {{wait_minutes: 2, ring: next}}]
    repeat: 3
routes:
  - {{match: {{business_line: tmall, reason: {reason}, kind: spike}}, team: ops, policy: chain}}
default: {{team: elsewhere, policy: chain}}
"""


def worker_env(settings: Settings) -> dict[str, str]:
    env = base_env(settings)
    env.update(
        GMD_ROUTING_FILE=str(settings.routing_file),
        GMD_ALERTS__ESCALATION_TIME_SCALE=str(settings.alerts.escalation_time_scale),
        GMD_ALERTS__SWEEP_S="0.2",
        GMD_ALERTS__RING_BACKOFF_S="0.05",
    )
    return env


@pytest.fixture
def worker_log(tmp_path: Path) -> Path:
    return tmp_path / "worker.log"


@pytest.fixture
def started(worker_log: Path) -> Iterator[list[subprocess.Popen[bytes]]]:
    procs: list[subprocess.Popen[bytes]] = []
    yield procs
    for proc in procs:
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(5)


def _wait(what: str, check: object, log: Path, timeout_s: float = 60.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not check():  # type: ignore[operator]
        assert time.monotonic() < deadline, (
            f"timed out waiting for {what}\n{log.read_text()[-3000:]}"
        )
        time.sleep(0.2)


def _ours(service: AlertService, fingerprint: str) -> list[AlertView]:
    return [a for a in service.list_alerts() if a.fingerprint == fingerprint]


def _rings_for(receiver: WebhookReceiver, person: str, alert_id: int) -> int:
    return sum(1 for m in receiver.received(person) if re.search(rf"Alert #{alert_id}\b", m.body))


def test_simulated_incident_to_ring_escalation_ack_and_resolution(
    tmp_path: Path, redis_url: str, key_prefix: str, database_url: str,
    redis_client: redis.Redis, receiver: WebhookReceiver,
    started: list[subprocess.Popen[bytes]], worker_log: Path,
) -> None:  # fmt: skip
    reason = max((r for r in reason_rates() if r[0] == "tmall"), key=lambda r: r[2])[1]
    settings = make_settings(
        tmp_path, redis_url, key_prefix, database_url, routing(receiver, reason)
    )
    upgrade(database_url)
    incident = Incident("e2e-spike", AnomalyKind.SPIKE, ONSET, END, "tmall", 6.0, reason=reason)
    sim = Simulator(
        seed=5, start=START, rate=20.0, incidents=[incident], duration_s=END + 240 - START
    )
    events = list(sim.events())
    during = [e for e in events if e[1].ts < ONSET + 150]  # event times are epoch seconds
    after = events[len(during) :]
    keys = Keys.from_settings(settings)
    writer = FeedWriter(redis_client, keys, settings.retention.stream_maxlen)
    service = AlertService(settings, make_engine(database_url), redis_client)  # the console's
    fingerprint = f"{incident.series}#spike"
    out = worker_log.open("ab")
    started.append(
        subprocess.Popen(
            [sys.executable, "-m", "gmd", "worker", "--log-level", "WARNING"],
            cwd=ROOT,
            env=worker_env(settings),
            stdout=out,
            stderr=out,
        )
    )
    try:
        writer.publish_mixed(during)
        _wait("the alert to open", lambda: _ours(service, fingerprint), worker_log, 90)
        [alert] = _ours(service, fingerprint)
        assert alert.owner_team == "ops" and alert.status == "open"
        _wait(
            "the first ring", lambda: _rings_for(receiver, "alice", alert.id) == 1, worker_log, 10
        )

        opened_at = time.monotonic()
        _wait(
            "escalation to bob", lambda: _rings_for(receiver, "bob", alert.id) == 1, worker_log, 15
        )
        assert time.monotonic() - opened_at >= 1.0  # its two (scaled) minutes passed first
        assert _rings_for(receiver, "alice", alert.id) == 1

        service.acknowledge(alert.id, "lead.wu")
        time.sleep(3.0)  # the chain (repeat 3) would ring alice again after 2 s
        assert (_rings_for(receiver, "alice", alert.id), _rings_for(receiver, "bob", alert.id)) == (
            1,
            1,
        )

        writer.publish_mixed(after)
        _wait(
            "the alert to resolve itself",
            lambda: service.get(alert.id).alert.status == "resolved",
            worker_log,
            90,
        )
        detail = service.get(alert.id)
        rules = [e.rule for e in detail.timeline]
        assert rules[:3] == ["OPEN-1", "RING-1", "RING-1"], rules
        assert rules.index("ACK-1") > 2 and rules[-1] == "AUTO-RESOLVE-1", rules
        steps = [
            event_sentence(e.rule, e.detail, e.text, "en", "UTC")
            for e in detail.timeline
            if e.action == "ring"
        ]
        assert steps[0].startswith("escalation step 1 of 8: rang Alice")
        assert steps[1].startswith("escalation step 2 of 8: rang Bob")
        assert detail.alert.resolved_by == "system" and detail.alert.acked_by == "lead.wu"
        assert [r.status for r in detail.rings] == ["delivered", "delivered"]
        assert len(_ours(service, fingerprint)) == 1  # every sighting folded into one alert
    finally:
        service.close()
