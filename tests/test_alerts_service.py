"""The alert service on a real database and Redis: folding, transitions, races, silences,
person-raised alerts, labels and quality — as the console and the CLI use it."""

from __future__ import annotations

import threading
import time
from dataclasses import replace

import pytest
import redis
from sqlalchemy import inspect

from alerts.anomaly import AnomalyKind, AnomalyStatus, Severity
from alerts.lifecycle import AlertError, IllegalTransition, InvalidInput
from alerts.receiver import WebhookReceiver
from alerts.service import AlertService, UnknownAlert
from datasources.db import make_engine
from datasources.keys import Keys
from datasources.migrate import is_up_to_date, upgrade
from tests.alerts_support import anomaly

pytestmark = pytest.mark.integration


def test_migrations_create_every_table_and_are_idempotent(database_url: str) -> None:
    upgrade(database_url)
    upgrade(database_url)
    assert is_up_to_date(database_url)
    engine = make_engine(database_url)
    names = set(inspect(engine).get_table_names())
    engine.dispose()
    expected = {"alerts", "alert_events", "teams", "people", "channels", "silences", "rings"}
    assert expected | {"ring_attempts", "missed_incidents", "alembic_version"} <= names


def test_same_fingerprint_folds_into_one_alert_and_rings_once(
    service: AlertService, receiver: WebhookReceiver, redis_client: redis.Redis, keys: Keys
) -> None:
    first = anomaly(verbatims=["第一句"])
    opened = service.ingest([first, replace(first, observed=900.0, verbatims=["第二句"])])
    opened += service.ingest([replace(first, severity=Severity.CRITICAL)])
    assert opened == 1
    [alert] = service.list_alerts()
    assert (alert.count, alert.observed, alert.severity) == (3, 640.0, "critical")
    assert set(alert.verbatims) == {"第一句", "第二句"}
    service.ingest([replace(first, verbatims=["第三句"], observed=500.0), first])  # plain folds
    [again] = service.list_alerts()
    assert (again.count, again.observed, again.severity) == (5, 640.0, "critical")
    assert again.verbatims[:2] == ["第一句", "第三句"] and "第二句" in again.verbatims
    assert again.updated_at > alert.updated_at
    assert [m.path for m in receiver.wait_for(1, 5)] == ["/alice"]
    time.sleep(0.3)
    assert len(receiver.received()) == 1
    assert int(redis_client.get(keys.alerts_changed) or 0) >= 2
    detail = service.get(alert.id)
    assert [e.rule for e in detail.timeline] == ["OPEN-1", "RING-1", "FOLD-1"]  # severity rose
    ring = receiver.received()[0]
    assert "天猫" in ring.title and "4.5×" in ring.title  # composed after the whole batch
    assert "http://warroom.test/console?alert=" in ring.body
    assert "“第一句”" in ring.body and "“第二句”" in ring.body and "值班 Ops" in ring.body


def test_an_alert_opened_and_ended_in_one_batch_is_resolved_without_a_ring(
    service: AlertService, receiver: WebhookReceiver
) -> None:
    """An intake that fell behind sees a whole incident in one batch; the batch must go
    through (a refused ring used to block the intake for good)."""
    start = anomaly()
    later = anomaly("contacts:taobao:refund:*")
    service.ingest([start, replace(start, status=AnomalyStatus.ENDED), later])
    alerts = {a.series: a for a in service.list_alerts()}
    assert alerts[start.series].status == "resolved"
    assert alerts[later.series].status == "open"
    assert [m.path for m in receiver.wait_for(1, 5)] == ["/alice"]  # only the open one
    time.sleep(0.3)
    assert len(receiver.received()) == 1


def test_anomaly_end_resolves_unless_someone_holds_it_open(service: AlertService) -> None:
    a, b = anomaly("contacts:tmall:refund:*"), anomaly("contacts:eleme:refund:*")
    service.ingest([a, b])
    alert_a, alert_b = sorted(service.list_alerts(), key=lambda x: x.id)
    service.hold_open(alert_b.id, "lead.wu")
    service.ingest([replace(a, status=AnomalyStatus.ENDED), replace(b, status=AnomalyStatus.ENDED)])
    assert service.get(alert_a.id).alert.status == "resolved"
    held = service.get(alert_b.id)
    assert held.alert.status == "open" and held.timeline[-1].rule == "AUTO-HELD-1"
    service.ingest([a])  # the problem comes back: a new alert, the old one stays history
    assert len(service.list_alerts(business_line="tmall")) == 2


def test_two_leads_pressing_acknowledge_at_once_make_one_transition(
    service: AlertService,
) -> None:
    service.ingest([anomaly()])
    [alert] = service.list_alerts()
    barrier = threading.Barrier(4)
    outcomes: list[str] = []

    def press(who: str) -> None:
        barrier.wait()
        try:
            service.acknowledge(alert.id, who)
            outcomes.append("ok")
        except IllegalTransition as exc:
            outcomes.append(str(exc))

    threads = [threading.Thread(target=press, args=(f"lead{i}",)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert outcomes.count("ok") == 1, outcomes
    assert all("already acknowledged" in o for o in outcomes if o != "ok")
    acks = [e for e in service.get(alert.id).timeline if e.action == "acknowledge"]
    assert len(acks) == 1


def test_illegal_and_invalid_requests_are_clear_errors(service: AlertService) -> None:
    service.ingest([anomaly()])
    [alert] = service.list_alerts()
    with pytest.raises(UnknownAlert, match="no alert #999"):
        service.acknowledge(999, "x")
    with pytest.raises(IllegalTransition, match="only resolved alerts are labelled"):
        service.label(alert.id, "x", "valid")
    with pytest.raises(InvalidInput, match="future"):
        service.snooze(alert.id, "x", time.time() - 5)
    with pytest.raises(InvalidInput, match="needs some text"):
        service.add_note(alert.id, "x", "   ")
    service.resolve(alert.id, "lead")
    with pytest.raises(AlertError, match="already resolved"):
        service.resolve(alert.id, "lead")
    with pytest.raises(InvalidInput, match="valid, noise or duplicate"):
        service.label(alert.id, "x", "great")


def test_silence_quiets_matching_alerts_now_and_later(
    service: AlertService, receiver: WebhookReceiver
) -> None:
    service.ingest([anomaly("contacts:tmall:refund:*")])
    receiver.wait_for(1, 5)
    expires = time.time() + 3600
    silence_id = service.silence({"business_line": "tmall"}, "lead.wu", "大促预期内", expires)
    service.ingest(
        [anomaly("contacts:tmall:coupon_not_applied:*"), anomaly("contacts:eleme:refund:*")]
    )
    status = {a.series: (a.status, a.silence_id) for a in service.list_alerts()}
    assert status["contacts:tmall:refund:*"] == ("silenced", silence_id)
    assert status["contacts:tmall:coupon_not_applied:*"] == ("silenced", silence_id)
    assert status["contacts:eleme:refund:*"] == ("open", None)
    assert len(receiver.wait_for(2, 5)) == 2  # only the two unsilenced alerts rang
    time.sleep(0.3)
    assert len(receiver.received()) == 2
    with pytest.raises(InvalidInput):
        service.silence({"colour": "red"}, "x", "why", expires)


def test_manual_ring_is_idempotent_and_previewed(
    service: AlertService, receiver: WebhookReceiver
) -> None:
    service.ingest([anomaly()])
    [alert] = service.list_alerts()
    receiver.wait_for(1, 5)
    preview = service.preview_ring(alert.id)
    assert [(t.person, t.channels) for t in preview] == [("alice", [receiver.url("alice")])]
    first = service.ring_owner(alert.id, "lead.wu", request_id="click-1", wait=True)
    again = service.ring_owner(alert.id, "lead.wu", request_id="click-1", wait=True)
    double = service.ring_owner(alert.id, "lead.wu", wait=True)
    double2 = service.ring_owner(alert.id, "lead.wu", wait=True)
    assert first.created and not again.created and first.ring_id == again.ring_id
    assert double.created and not double2.created
    assert first.status == "delivered"
    time.sleep(0.3)
    assert len(receiver.received("alice")) == 3  # opening, click-1, the double click once


def test_ringing_the_bell_opens_or_joins_with_the_excerpt(
    service: AlertService, receiver: WebhookReceiver
) -> None:
    flag = anomaly(
        "conversation:c-42", kind=AnomalyKind.TRANSCRIPT_FLAG, business_line="tmall",
        reason="refund", verbatims=["我要打12315投诉你们"],
    )  # fmt: skip
    opened = service.raise_alert(flag, "manager.zhao", request_id="r1")
    assert opened.opened and opened.alert.owner_team == "risk"
    assert opened.alert.raised_by == "manager.zhao"
    retried = service.raise_alert(flag, "manager.zhao", request_id="r1")  # same request again
    assert not retried.opened and retried.ring_id == opened.ring_id
    joined = service.raise_alert(replace(flag, verbatims=["还要找媒体"]), "manager.qian", "r2")
    assert not joined.opened and joined.alert.id == opened.alert.id
    messages = receiver.wait_for(2, 5, path="carol")
    assert "12315" in messages[0].body and "还要找媒体" in messages[1].body
    time.sleep(0.3)
    assert len(receiver.received("carol")) == 2  # the retried request rang nobody


def test_labels_missed_incidents_and_quality(service: AlertService) -> None:
    for reason in ("refund", "invoice", "red_packet"):
        service.ingest([anomaly(f"contacts:tmall:{reason}:*")])
    ids = sorted(a.id for a in service.list_alerts())
    service.acknowledge(ids[0], "lead")
    for alert_id, label in zip(ids, ["valid", "valid", "noise"], strict=True):
        service.resolve(alert_id, "lead")
        service.label(alert_id, "lead", label)
    service.log_missed("lead", time.time() - 60, "退款页面白屏没有告警", "tmall", "refund")
    report = service.quality(time.time() - 3600, time.time() + 1)
    assert (report.valid, report.noise, report.missed) == (2, 1, 1)
    assert report.precision == pytest.approx(2 / 3)
    assert report.miss_rate == pytest.approx(1 / 3)
    assert report.mtta_s is not None and report.mttr_s is not None
    assert service.get(ids[2]).timeline[-1].rule == "LABEL-1"
