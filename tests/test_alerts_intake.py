"""Alert intake from the anomalies stream: fold, open, end, XACK after the commit, on a
thread of its own, and entries a dead consumer left pending are taken over."""

from __future__ import annotations

import time
from dataclasses import replace
from typing import Any

import pytest
import redis
from sqlalchemy import select

from alerts.anomaly import Anomaly, AnomalyKind, AnomalyStatus
from alerts.intake import AlertIntake
from alerts.models import Channel, Team
from alerts.service import AlertService
from datasources.keys import ALERTS_GROUP, Keys
from tests.alerts_support import anomaly
from tests.fault_support import wait_until

pytestmark = pytest.mark.integration


def _publish(client: redis.Redis, keys: Keys, item: Anomaly) -> None:
    fields: dict[Any, Any] = item.to_fields()
    client.xadd(keys.anomalies, fields)


def test_anomalies_on_the_stream_become_alerts_and_are_acknowledged(
    service: AlertService, redis_client: redis.Redis, keys: Keys
) -> None:
    intake = AlertIntake(service, redis_client, "worker-1")
    intake.start()
    try:
        with service.sessions() as session:  # owners mirrored from the routing file
            assert {t.name: t.members for t in session.scalars(select(Team))} == {
                "ops": ["alice", "bob"],
                "risk": ["carol"],
            }
            assert len(session.scalars(select(Channel)).all()) == 3
        spike = anomaly()
        flag = anomaly("conversation:c-9", kind=AnomalyKind.TRANSCRIPT_FLAG, business_line="tmall")
        for a in (spike, spike, flag):
            _publish(redis_client, keys, a)
        redis_client.xadd(keys.anomalies, {"v": "1", "json": "{not json"})
        intake.tick()  # starts the intake thread, which takes them in
        wait_until(lambda: len(service.list_alerts()) == 2, 10, "two alerts")
        wait_until(
            lambda: redis_client.xpending(keys.anomalies, ALERTS_GROUP)["pending"] == 0,
            10,
            "every entry acknowledged",
        )
        assert intake.health()["intake"] == "ok"
        alerts = {a.kind: a for a in service.list_alerts()}
        assert alerts["spike"].count == 2 and alerts["spike"].owner_team == "ops"
        assert alerts["transcript_flag"].owner_team == "risk"
        assert redis_client.xpending(keys.anomalies, ALERTS_GROUP)["pending"] == 0

        _publish(redis_client, keys, replace(spike, status=AnomalyStatus.ENDED))
        intake.tick()
        wait_until(
            lambda: service.get(alerts["spike"].id).alert.status == "resolved", 10, "resolved"
        )
    finally:
        intake.stop()


def test_entries_a_dead_consumer_held_are_taken_over(
    service: AlertService, redis_client: redis.Redis, keys: Keys
) -> None:
    fast = service.settings.model_copy(
        update={"worker": service.settings.worker.model_copy(update={"claim_idle_ms": 500})}
    )
    service.settings = fast
    intake = AlertIntake(service, redis_client, "worker-2")
    intake.start()
    try:
        _publish(redis_client, keys, anomaly())
        redis_client.xreadgroup(ALERTS_GROUP, "dead-worker", {keys.anomalies: ">"}, count=10)
        assert intake.take_batch() == 0  # too fresh to claim, nothing new either
        assert service.list_alerts() == []
        time.sleep(0.6)
        assert intake.take_batch() == 1
        assert len(service.list_alerts()) == 1
        assert redis_client.xpending(keys.anomalies, ALERTS_GROUP)["pending"] == 0
    finally:
        intake.stop()
