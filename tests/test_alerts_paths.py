"""The seams between features, through the real service, database and a local receiver:
a flag rung by its rule, a bell's message reaching the owner, free text masked before
it is stored, and a storm resolved while it still blows (issue 11)."""

from __future__ import annotations

import time
from dataclasses import replace

import pytest
from sqlalchemy import select

from alerts.anomaly import Anomaly, AnomalyKind, AnomalyStatus, Severity
from alerts.lifecycle import IllegalTransition
from alerts.models import MissedIncident, Silence
from alerts.receiver import WebhookReceiver
from alerts.service import AlertService
from alerts.transcript_rules import bell_anomaly, flag_anomaly, load_rules
from dashboard.alert_words import event_sentence
from datasources.schemas import Utterance
from tests.alerts_support import anomaly
from tests.qinting_support import utterance
from tests.raw_identifiers import raw_identifiers

pytestmark = pytest.mark.integration

PHONE = "13812345678"
FIRE = "充电器用的时候起火了，孩子差点受伤"


def _utterance(text: str) -> Utterance:
    return utterance("conv-9", 3, text, reason="coupon_not_applied")


def _bell(comment: str, excerpt: list[str], conversation: str = "conv-9") -> Anomaly:
    return bell_anomaly(
        conversation_id=conversation, business_line="tmall", reason="coupon_not_applied",
        channel="chat", skill_group="tmall-aftersales", excerpt=excerpt, listener="mgr.li",
        comment=comment, now=time.time(),
    )  # fmt: skip


def test_a_flag_is_titled_and_rung_by_the_rule_that_matched(
    service: AlertService, receiver: WebhookReceiver
) -> None:
    utterance = _utterance(FIRE)
    (match,) = load_rules().match(FIRE)
    service.ingest([flag_anomaly(utterance, match)])
    (ring,) = receiver.wait_for(1, 5)
    assert "安全问题" in ring.title and "优惠券" not in ring.title
    assert "命中规则 Rule: 安全问题" in ring.body and FIRE in ring.body
    assert raw_identifiers(ring.title + ring.body, "en", extra=["risk", "ops"]) == []


def test_a_bells_message_reaches_the_owner_and_the_timeline(
    service: AlertService, receiver: WebhookReceiver
) -> None:
    comment = f"客户说孩子受伤了，请今天回电 {PHONE}"
    opened = service.raise_alert(_bell(comment, [FIRE]), by="mgr.li", request_id="r1")
    (first,) = receiver.wait_for(1, 5)
    assert "客户说孩子受伤了，请今天回电" in first.body and PHONE not in first.body
    assert "亲听拉铃" in first.body and "bell from a listening session" in first.body
    joined = service.raise_alert(_bell("同一位客户又来电了", ["又起火了"]), by="mgr.wang")
    assert joined.alert.id == opened.alert.id and not joined.opened
    second = receiver.wait_for(2, 5)[1]
    assert "“同一位客户又来电了”" in second.body
    rings = [e for e in service.get(opened.alert.id).timeline if e.action == "ring"]
    words = [event_sentence(e.rule, e.detail, e.text, "zh", "UTC") for e in rings]
    assert "客户说孩子受伤了，请今天回电" in words[0] and PHONE not in words[0]
    assert words[1].endswith("：同一位客户又来电了")


def test_every_piece_of_free_text_is_masked_before_it_is_stored(service: AlertService) -> None:
    service.ingest([anomaly()])
    [alert] = service.list_alerts()
    service.add_note(alert.id, "lead.wu", f"客户电话 {PHONE}，已回拨")
    service.resolve(alert.id, "lead.wu", comment=f"回拨 {PHONE} 确认已恢复")
    service.log_missed("lead.wu", time.time(), f"漏报：客户 {PHONE} 投诉退款页白屏")
    service.silence({"business_line": "tmall"}, "lead.wu", f"压测，联系 {PHONE}", time.time() + 60)
    texts = [e.text for e in service.get(alert.id).timeline]
    with service.sessions() as session:
        texts += [m.description for m in session.scalars(select(MissedIncident))]
        texts += [s.reason for s in session.scalars(select(Silence))]
    assert len([t for t in texts if t]) == 4
    assert not [t for t in texts if PHONE in t], texts


def test_resolving_a_running_storm_keeps_it_quiet_until_it_ends(
    service: AlertService, receiver: WebhookReceiver
) -> None:
    """A lead resolves a storm that is still blowing: no new alert and no new ring while it
    lasts; after it ends, a new storm on the same line opens a new alert."""
    storm = anomaly(
        "voices:cainiao:*", kind=AnomalyKind.SENTIMENT_STORM, metric="negative_voices_per_min",
        business_line="cainiao", reason=None,
    )  # fmt: skip
    service.ingest([storm])
    [alert] = service.list_alerts()
    receiver.wait_for(1, 5)
    service.resolve(alert.id, "lead.wu", comment="舆情组已跟进")
    with pytest.raises(IllegalTransition, match="already resolved"):
        service.ring_owner(alert.id, "lead.wu", "again")
    assert service.ingest([storm, replace(storm, severity=Severity.CRITICAL)]) == 0
    assert service.ingest([storm]) == 0  # a later batch: still the same storm
    time.sleep(0.5)
    assert len(receiver.received()) == 1
    quiet = service.get(alert.id)
    assert (quiet.alert.status, quiet.alert.count, quiet.alert.severity) == (
        "resolved", 4, "major"
    )  # fmt: skip
    service.ingest([replace(storm, status=AnomalyStatus.ENDED, ended=time.time())])
    rules = [e.rule for e in service.get(alert.id).timeline]
    assert rules[-2:] == ["RESOLVE-2", "QUIET-END-1"], rules
    assert service.ingest([storm]) == 1  # it started again: a new alert
    assert len(service.list_alerts()) == 2


def test_a_transcript_flag_resolved_by_hand_frees_its_conversation(service: AlertService) -> None:
    """A flag has no end: resolving it never holds the conversation quiet."""
    (match,) = load_rules().match(FIRE)
    service.ingest([flag_anomaly(_utterance(FIRE), match)])
    [alert] = service.list_alerts()
    service.resolve(alert.id, "lead.wu")
    assert [e.rule for e in service.get(alert.id).timeline][-1] == "RESOLVE-1"
    receipt = service.raise_alert(_bell("又打来了", ["还是起火的事"]), by="mgr.li")
    assert receipt.opened and receipt.alert.id != alert.id
