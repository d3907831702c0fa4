"""An alert in words, the same on every surface: titles, sizes, timeline rows and rings,
as tables (pure: no Redis, no database)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest

from alerts.lifecycle import Action, AlertStatus, allowed
from alerts.message import RingCause, compose
from alerts.models import Alert
from dashboard.alert_words import (
    alert_title,
    change_text,
    event_sentence,
    ratio_text,
    size_text,
)
from tests.raw_identifiers import raw_identifiers

SAFETY = {
    "rule": "safety",
    "rule_zh": "安全问题：起火/爆炸/受伤/中毒",
    "rule_en": "Safety: fire, explosion, injury, poisoning",
    "phrase": "起火",
}
BELL = {"source": "qinting", "listener": "mgr.li", "comment": "客户说孩子受伤了，请今天回电"}


@dataclass
class Facts:
    kind: str
    series: str
    metric: str = "contacts_per_min"
    business_line: str | None = None
    reason: str | None = None
    observed: float = 0.0
    expected: float = 0.0
    detail: dict[str, Any] = field(default_factory=dict)


SPIKE = Facts("spike", "contacts:tmall:refund:*", business_line="tmall", reason="refund")
STORM = Facts("sentiment_storm", "voices:cainiao:*", "negative_voices_per_min", "cainiao")
QUEUE = Facts("queue_breach", "queue:tmall-presale", "pickup_rate", "tmall")
FLAG = Facts(
    "transcript_flag", "conversation:c-1", "transcript_flag", "tmall", "coupon_not_applied",
    detail=SAFETY,
)  # fmt: skip
BELL_FLAG = Facts(
    "transcript_flag", "conversation:c-2", "qinting_bell", "alipay", "red_packet", detail=BELL
)


@pytest.mark.parametrize(
    ("facts", "zh", "en"),
    [
        (SPIKE, "天猫 · 退款 · 进线激增", "Tmall · Refund · spike"),
        (STORM, "菜鸟 · 舆情风暴", "Cainiao · sentiment storm"),
        (QUEUE, "天猫售前 · 接起率 · 排队超标", "Tmall pre-sales · pick-up rate · queue breach"),
        (
            FLAG,
            "天猫 · 安全问题：起火/爆炸/受伤/中毒",
            "Tmall · Safety: fire, explosion, injury, poisoning",
        ),
        (BELL_FLAG, "支付宝 · 亲听拉铃", "Alipay · bell from a listening session"),
    ],
)
def test_an_alert_is_titled_by_what_it_is(facts: Facts, zh: str, en: str) -> None:
    """A fire in a conversation is "safety", never the conversation's coupon reason."""
    assert (alert_title(facts, "zh"), alert_title(facts, "en")) == (zh, en)


@pytest.mark.parametrize(
    ("metric", "observed", "expected", "zh", "ratio"),
    [
        ("contacts_per_min", 120, 30, "每分钟进线：实际 120，预期 30（4.0 倍）", "4.0 倍预期"),
        ("contacts_per_min", 12, 0, "每分钟进线：12", "—"),
        ("pickup_rate", 0.951, 0.999, "接起率：实际 95.1%，目标 99.9%", "—"),
        ("longest_wait_s", 150, 60, "最长等待：实际 2分钟，目标 1分钟", "—"),
        ("transcript_flag", 1, 0, "", "—"),
    ],
)
def test_sizes_are_read_in_their_own_units(
    metric: str, observed: float, expected: float, zh: str, ratio: str
) -> None:
    facts = Facts("spike", "contacts:*:*:*", metric, observed=observed, expected=expected)
    assert (size_text(facts, "zh"), ratio_text(facts, "zh")) == (zh, ratio)


@pytest.mark.parametrize(
    ("rule", "detail", "text", "en", "zh"),
    [
        (
            "OPEN-1",
            {"team": "风控 Risk"},
            "",
            "owner: 风控 Risk",
            "负责团队：风控 Risk",
        ),
        ("FOLD-1", {"severity": "critical"}, "", "severity raised to critical", "级别升为紧急"),
        ("SNOOZE-1", {"until": 0.0}, "", "snoozed until 01-01 08:00", "暂缓至 01-01 08:00"),
        (
            "RESOLVE-1",
            {},
            "重启了支付网关",
            "resolved by hand: 重启了支付网关",
            "手动解决：重启了支付网关",
        ),
        (
            "AUTO-HELD-1",
            {"who": "li"},
            "",
            "li keeps it open",
            "li 要求保持开启",
        ),
        ("LABEL-1", {"label": "noise"}, "", "labelled noise", "标注为噪音"),
        (
            "RING-1",
            {"cause": "bell", "names": ["Ann", "Bo"]},
            "快回电",
            "bell from a listening session to Ann, Bo: 快回电",
            "亲听拉铃，通知：Ann、Bo：快回电",
        ),
        (
            "RING-1",
            {"cause": "step", "step": 1, "steps": 3, "names": []},
            "",
            "escalation step 1 of 3: rang nobody",
            "升级第 1/3 步，通知：无人",
        ),
        ("NOTE-1", {}, "已联系支付团队", "已联系支付团队", "已联系支付团队"),
        (
            "OPEN-1",
            {},
            "route default → team ops",
            "route default → team ops",
            "route default → team ops",
        ),
    ],
)
def test_timeline_rows_are_sentences_in_the_readers_language(
    rule: str, detail: dict[str, Any], text: str, en: str, zh: str
) -> None:
    """Rows keep facts, not English sentences; a row older than its facts shows its text."""
    tz = "Asia/Shanghai"
    assert event_sentence(rule, detail, text, "en", tz) == en
    assert event_sentence(rule, detail, text, "zh", tz) == zh


def test_status_changes_are_words() -> None:
    assert change_text("open", "acknowledged", "zh") == "未处理 → 已确认"
    assert change_text("open", "open", "zh") == ""


@pytest.mark.parametrize(
    ("status", "offered"),
    [
        (AlertStatus.OPEN, {Action.ACKNOWLEDGE, Action.RING, Action.SNOOZE, Action.RESOLVE}),
        (AlertStatus.ACKNOWLEDGED, {Action.RING, Action.SNOOZE, Action.RESOLVE}),
        (AlertStatus.SILENCED, {Action.ACKNOWLEDGE, Action.RING, Action.RESOLVE}),
        (AlertStatus.RESOLVED, {Action.LABEL}),
    ],
)
def test_only_actions_that_make_sense_are_offered(
    status: AlertStatus, offered: set[Action]
) -> None:
    """No ring or snooze on a resolved alert; a label only once it is resolved."""
    buttons = (Action.ACKNOWLEDGE, Action.RING, Action.SNOOZE, Action.RESOLVE, Action.LABEL)
    assert {a for a in buttons if allowed(status, a)} == offered


def _alert(kind: str, metric: str, detail: dict[str, Any], **more: Any) -> Alert:
    base: dict[str, Any] = {
        "id": 7, "series": "conversation:c-1", "business_line": "tmall",
        "reason": "coupon_not_applied", "severity": "critical", "status": "open", "count": 1,
        "onset": 1_700_000_000.0, "observed": 1.0, "expected": 0.0,
        "verbatims": ["充电器用的时候起火了，孩子差点受伤"], "owner_team": "risk",
    }  # fmt: skip
    return Alert(kind=kind, metric=metric, detail=detail, **{**base, **more})


def _ring(alert: Alert, cause: RingCause, sender: str = "光明顶-演练") -> tuple[str, str]:
    return compose(
        alert, base_url="http://gmd.test:18801", sender=sender, timezone="Asia/Shanghai",
        now=1_700_000_600.0, verbatims=3, cause=cause, names=["Carol 陈"], owner="风控 Risk",
    )  # fmt: skip


def test_a_flag_rings_by_its_rule_in_the_glossarys_words() -> None:
    title, body = _ring(_alert("transcript_flag", "transcript_flag", SAFETY), RingCause("manual"))
    assert "安全问题：起火/爆炸/受伤/中毒" in title and "优惠券" not in title
    assert title.startswith("【光明顶 Guangmingding】紧急 critical")  # 紧急 as on the screens
    assert "命中规则 Rule: 安全问题：起火/爆炸/受伤/中毒 / Safety: fire" in body
    assert "“充电器用的时候起火了，孩子差点受伤”" in body
    assert "http://gmd.test:18801/console?alert=7" in body
    assert "来自 Sent by: 光明顶-演练" in body
    assert raw_identifiers(title + body, "en", extra=["risk"]) == []


def test_a_bell_carries_the_listeners_message() -> None:
    alert = _alert("transcript_flag", "qinting_bell", BELL, series="conversation:c-2")
    _title, body = _ring(alert, RingCause("bell", message=BELL["comment"]))
    assert "给负责人的一句话 A line for the owner: “客户说孩子受伤了，请今天回电”" in body
    assert body.startswith("告警 #7，未处理 · 亲听拉铃，通知：Carol 陈 / Alert #7, open · bell")
    joined = RingCause("bell", message="第二位经理：同样的问题")
    assert "“第二位经理：同样的问题”" in _ring(alert, joined)[1]
    assert raw_identifiers(body, "en", extra=["risk"]) == []


def test_a_storm_rings_with_its_size_and_no_codes() -> None:
    storm = _alert(
        "sentiment_storm", "negative_voices_per_min", {}, series="voices:cainiao:*",
        business_line="cainiao", reason=None, observed=42.0, expected=6.0,
    )  # fmt: skip
    title, body = _ring(storm, RingCause("step", 1, 2))
    assert title.endswith("菜鸟 · 舆情风暴 / Cainiao · sentiment storm 7.0×")
    assert "每分钟负面声音：实际 42，预期 6（7.0 倍）" in body
    assert "升级第 1/2 步，通知：Carol 陈" in body
    assert raw_identifiers(title + body, "en", extra=["risk"]) == []
