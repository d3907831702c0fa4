"""Transcript rules: the default phrases fire, near-misses do not, bad files explain themselves."""

from __future__ import annotations

from pathlib import Path

import pytest

from alerts.anomaly import Anomaly, AnomalyStatus, Severity
from alerts.transcript_rules import (
    RuleFileError,
    bell_anomaly,
    flag_anomaly,
    load_rules,
    parse_rules,
)
from datasources.schemas import Utterance
from datasources.settings import ConfigError, load_settings
from worker.qinting import TranscriptRuleStage

DEFAULTS = load_rules()


@pytest.mark.parametrize(
    ("text", "speaker", "expected"),
    [
        ("再不退款我就打12315投诉你们", "customer", {"consumer_protection"}),
        ("我要打１２３１５", "customer", {"consumer_protection"}),
        ("我已经投诉到消协了", "customer", {"consumer_protection"}),
        ("I will report this to consumer protection", "customer", {"consumer_protection"}),
        ("我要找媒体曝光你们", "customer", {"media"}),
        ("我朋友是记者", "customer", {"media"}),
        ("I'll post this on social media tonight", "customer", {"media"}),
        ("I am calling a journalist", "customer", {"media"}),
        ("我已经请了律师，准备起诉", "customer", {"legal"}),
        ("I will SUE you", "customer", {"legal"}),
        ("my lawyer will call", "customer", {"legal"}),
        ("充电宝起火了，孩子受伤了", "customer", {"safety"}),
        ("吃了以后食物中毒住院了", "customer", {"safety"}),
        ("the heater caught fire", "customer", {"safety"}),
        ("the battery exploded in my hand", "customer", {"safety"}),
        ("记者说要曝光，孩子也受伤了", "customer", {"media", "safety"}),
        # near misses and other speakers
        ("我的订单号是123156", "customer", set()),
        ("there is an issue with my refund", "customer", set()),
        ("the box was on the firewall shelf", "customer", set()),
        ("包裹什么时候到", "customer", set()),
        ("您可以拨打12315咨询", "agent", set()),
        ("", "customer", set()),
    ],
)
def test_default_rules(text: str, speaker: str, expected: set[str]) -> None:
    assert {m.rule.id for m in DEFAULTS.match(text, speaker)} == expected


def test_safety_is_critical_and_phrase_is_reported() -> None:
    (hit,) = DEFAULTS.match("电瓶车在楼道里起火了")
    assert hit.rule.severity is Severity.CRITICAL
    assert hit.phrase == "起火"
    assert hit.rule.label("en").startswith("Safety")


GOOD = """
rules:
  - id: vip
    label: {zh: 贵宾, en: VIP}
    keywords: [platinum]
    speakers: [customer, agent]
"""


def test_custom_rule_file(tmp_path: Path) -> None:
    path = tmp_path / "rules.yaml"
    path.write_text(GOOD, encoding="utf-8")
    rules = load_rules(path)
    assert [m.rule.id for m in rules.match("I am Platinum", "agent")] == ["vip"]
    assert rules.rules[0].severity is Severity.MAJOR


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("rules: [\n  {id: a, keywords: [x]\n", "not valid YAML"),
        ("- a\n- b\n", ":1: expected a mapping with a 'rules:' list"),
        ("rules: []\n", "list is empty"),
        (
            "rules:\n  - id: a\n    keywords: [x]\n  - id: b\n    patterns: ['(']\n",
            ":4: rule 'b': pattern '('",
        ),
        (
            "rules:\n  - id: a\n    keywords: [x]\n    severity: loud\n",
            "severity must be one of critical",
        ),
        ("rules:\n  - id: a\n", "needs at least one keyword or pattern"),
        (
            "rules:\n  - id: a\n    keywords: [x]\n    speakers: [boss]\n",
            "speakers must be some of",
        ),
        ("rules:\n  - id: a\n    keywords: [x]\n    colour: red\n", "unknown field(s) colour"),
        ("rules:\n  - id: a b\n    keywords: [x]\n", "id must be"),
        (
            "rules:\n  - id: a\n    keywords: [x]\n  - id: a\n    keywords: [y]\n",
            ":4: rule 'a': id used twice",
        ),
        ("rules:\n  - keywords: x\n", "missing id"),
    ],
)
def test_bad_rule_files_name_the_line(text: str, message: str) -> None:
    with pytest.raises(RuleFileError) as err:
        parse_rules(text, "rules.yaml")
    assert message in str(err.value)
    assert str(err.value).startswith("rules.yaml")
    assert "\n" not in str(err.value)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(RuleFileError, match="cannot read the rules file"):
        load_rules(tmp_path / "nope.yaml")


def utterance_event(text: str) -> Utterance:
    return Utterance.model_validate(
        {
            "v": "1",
            "ts": 1_763_000_000_000,
            "conversation_id": "cv-9",
            "seq": 4,
            "speaker": "customer",
            "text": text,
            "business_line": "eleme",
            "reason": "food_quality",
            "channel": "hotline",
            "skill_group": "eleme-delivery",
        }
    )


def test_flag_anomaly_carries_the_masked_words_and_the_rule() -> None:
    event = utterance_event("吃了你们的外卖食物中毒了，电话13812345678")
    (hit,) = DEFAULTS.match(event.text)
    anomaly = flag_anomaly(event, hit)
    assert anomaly.fingerprint == "conversation:cv-9#transcript_flag"
    assert anomaly.severity is Severity.CRITICAL
    assert (anomaly.business_line, anomaly.reason, anomaly.channel) == (
        "eleme",
        "food_quality",
        "hotline",
    )
    assert anomaly.onset == anomaly.updated == event.ts
    assert "13812345678" not in anomaly.verbatims[0] and "食物中毒" in anomaly.verbatims[0]
    assert anomaly.detail == {
        "rule": "safety",
        "rule_zh": hit.rule.label_zh,
        "rule_en": hit.rule.label_en,
        "phrase": "食物中毒",
        "conversation_id": "cv-9",
        "seq": 4,
    }
    assert Anomaly.from_fields(anomaly.to_fields()) == anomaly


def test_bell_joins_the_conversation_alert_with_its_excerpt() -> None:
    bell = bell_anomaly(
        conversation_id="cv-9",
        business_line="eleme",
        reason="food_quality",
        channel="hotline",
        skill_group=None,
        excerpt=["第一句", "  ", "我的电话13812345678"],
        listener="mgr.li",
        comment="请尽快回电",
        now=1_763_000_100.0,
    )
    assert bell.fingerprint == "conversation:cv-9#transcript_flag"
    assert bell.status is AnomalyStatus.ONGOING
    assert bell.verbatims[0] == "第一句" and len(bell.verbatims) == 2
    assert "13812345678" not in bell.verbatims[1]
    assert bell.detail["source"] == "qinting" and bell.detail["listener"] == "mgr.li"


def test_a_bad_rules_file_is_a_one_line_config_error(tmp_path: Path) -> None:
    bad = tmp_path / "rules.yaml"
    bad.write_text("rules:\n  - id: x\n    patterns: ['(']\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"GMD_QINTING__RULES_FILE: .*rules.yaml:2: rule 'x'"):
        load_settings(qinting={"rules_file": bad})
    good = tmp_path / "good.yaml"
    good.write_text("rules:\n  - id: vip\n    keywords: [platinum]\n", encoding="utf-8")
    stage = TranscriptRuleStage.from_settings(load_settings(qinting={"rules_file": good}))
    assert [r.id for r in stage.rules.rules] == ["vip"]
