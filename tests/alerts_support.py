"""Shared pieces of the alert tests: a routing file pointing at a real local receiver,
anomalies to feed in, and a service on the test's own database and Redis prefix."""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
import redis

from alerts.anomaly import Anomaly, AnomalyKind, AnomalyStatus, Severity
from alerts.receiver import WebhookReceiver
from alerts.service import AlertService
from datasources.db import make_engine
from datasources.migrate import upgrade
from datasources.settings import Settings, load_settings

FAST_RINGS: dict[str, Any] = {
    "ring_backoff_s": 0.05,
    "ring_backoff_max_s": 0.2,
    "ring_timeout_s": 1.0,
    "ring_attempts": 6,
    "sweep_s": 0.2,
    "escalation_time_scale": 1 / 60,
}
"""Alert settings for tests: a routing-file minute lasts one second."""


def routing_yaml(receiver: WebhookReceiver, *, wait_minutes: float = 1.0, repeat: int = 0) -> str:
    """Team ``ops`` (alice on call, then bob) and a policy: ring on-call, then next."""
    return f"""\
people:
  alice: {{name: Alice 王, channels: ["{receiver.url("alice")}"]}}
  bob: {{name: Bob 李, channels: ["{receiver.url("bob")}"]}}
  carol: {{name: Carol 陈, channels: ["{receiver.url("carol")}"]}}
teams:
  ops:
    name: 值班 Ops
    members: [alice, bob]
    rotation: {{every: daily, start: "{time.strftime("%Y-%m-%d", time.gmtime())}T00:00:00+00:00"}}
  risk:
    name: 风控 Risk
    members: [carol]
policies:
  chain:
    steps:
      - ring: oncall
      - wait_minutes: {wait_minutes}
        ring: next
    repeat: {repeat}
routes:
  - name: flags
    match: {{kind: transcript_flag}}
    team: risk
    policy: chain
default: {{team: ops, policy: chain}}
"""


def on_call_now() -> tuple[str, str]:
    """(on call, next) for team ``ops``: the daily rotation starts today at 00:00 UTC."""
    return "alice", "bob"


def anomaly(
    series: str = "contacts:tmall:payment_failure:*",
    *,
    kind: AnomalyKind = AnomalyKind.SPIKE,
    status: AnomalyStatus = AnomalyStatus.ONGOING,
    severity: Severity = Severity.MAJOR,
    **extra: Any,
) -> Anomaly:
    parts = series.split(":")
    now = time.time()
    base = Anomaly(
        series=series,
        kind=kind,
        status=status,
        onset=now - 120,
        updated=now,
        observed=640.0,
        expected=200.0,
        severity=severity,
        score=6.0,
        business_line=parts[1] if len(parts) > 2 else None,
        reason=parts[2] if len(parts) > 2 else None,
        verbatims=["付款一直失败，已经试了三次", "payment keeps failing"],
    )
    return replace(base, **extra)


def make_settings(
    tmp_path: Path, redis_url: str, prefix: str, database_url: str, routing: str, **alerts: Any
) -> Settings:
    routing_file = tmp_path / "routing.yaml"
    routing_file.write_text(routing, encoding="utf-8")
    return load_settings(
        data_dir=tmp_path / "data",
        redis_url=redis_url,
        redis_prefix=prefix,
        database_url=database_url,
        routing_file=routing_file,
        base_url="http://warroom.test",
        alerts={**FAST_RINGS, **alerts},
    )


@pytest.fixture
def receiver() -> Iterator[WebhookReceiver]:
    with WebhookReceiver() as rx:
        yield rx


@pytest.fixture
def alert_settings(
    tmp_path: Path,
    redis_url: str,
    key_prefix: str,
    database_url: str,
    redis_client: redis.Redis,
    receiver: WebhookReceiver,
) -> Settings:
    settings = make_settings(tmp_path, redis_url, key_prefix, database_url, routing_yaml(receiver))
    upgrade(database_url)
    return settings


@pytest.fixture
def service(alert_settings: Settings, redis_client: redis.Redis) -> Iterator[AlertService]:
    engine = make_engine(alert_settings.effective_database_url)
    svc = AlertService(alert_settings, engine, redis_client)
    try:
        yield svc
    finally:
        svc.close()
        engine.dispose()
