"""An alert in words, the same on every surface: its title, its size, its timeline.

The console, the wall, a ring read on a phone and ``gmd alerts`` all name an alert
with these functions over the glossary (:mod:`dashboard.i18n`), so a fire reported
in a conversation is called "safety" everywhere and never "coupon not applied"
because that was the conversation's contact reason.  Pure: no Streamlit, no I/O.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from dashboard.i18n import LANGUAGES, Language, duration, translate
from datasources.catalog import label
from datasources.series import parse_series

FLAG = "transcript_flag"
BELL_METRIC = "qinting_bell"
COUNT_METRICS = frozenset({"contacts_per_min", "negative_voices_per_min"})
"""Metrics measured against an expected count: their size is a ratio ("3.2×")."""
SHARE_METRICS = frozenset({"pickup_rate", "service_level"})
SIZED_METRICS = COUNT_METRICS | SHARE_METRICS | {"longest_wait_s", "waiting"}
"""Metrics with a size; a flag or a bell is one conversation and has none."""


class AlertFacts(Protocol):
    """What naming an alert needs (an alert row, its view, or a wall obstacle)."""

    @property
    def kind(self) -> str: ...
    @property
    def metric(self) -> str: ...
    @property
    def series(self) -> str: ...
    @property
    def business_line(self) -> str | None: ...
    @property
    def reason(self) -> str | None: ...
    @property
    def detail(self) -> Mapping[str, Any]: ...


class Sized(Protocol):
    @property
    def metric(self) -> str: ...
    @property
    def observed(self) -> float: ...
    @property
    def expected(self) -> float: ...


def topic(business_line: str | None, reason: str | None, lang: Language) -> str:
    """``菜鸟 · 包裹丢失``: a business line and a contact reason by name."""
    parts = [
        label("business_line", business_line, lang) if business_line else "",
        label("reason", reason, lang) if reason else "",
    ]
    return " · ".join(p for p in parts if p)


def is_bell(alert: AlertFacts) -> bool:
    """Raised by a person on the listening page (拉铃), not by a rule or the detector."""
    return alert.metric == BELL_METRIC or alert.detail.get("source") == "qinting"


def flagged_as(alert: AlertFacts, lang: Language) -> str:
    """What a transcript flag is about: the rule that matched, or the listener's bell."""
    if is_bell(alert):
        return translate("kind.bell", lang)
    rule = alert.detail.get(f"rule_{lang}") or alert.detail.get("rule")
    return str(rule) if rule else translate(f"kind.{FLAG}", lang)


def alert_title(alert: AlertFacts, lang: Language) -> str:
    """``天猫 · 退款 · 进线激增``; a flag is titled by what was flagged (``天猫 · 安全隐患``),
    a queue breach by its skill group and the measure that broke."""
    parts = []
    if alert.business_line:
        parts.append(label("business_line", alert.business_line, lang))
    if alert.kind == FLAG:
        return " · ".join([*parts, flagged_as(alert, lang)])
    group = parse_series(alert.series).get("skill_group") if ":" in alert.series else None
    if group:
        parts = [label("skill_group", group, lang), translate(f"metric.{alert.metric}", lang)]
    elif alert.reason:
        parts.append(label("reason", alert.reason, lang))
    parts.append(translate(f"kind.{alert.kind}", lang))
    return " · ".join(parts)


def value_text(metric: str, value: float, lang: Language) -> str:
    """One measured value as people read it: a share in per cent, a wait as a duration."""
    if metric in SHARE_METRICS:
        return f"{value * 100:.1f}%"
    if metric == "longest_wait_s":
        return duration(value, lang)
    return f"{value:,.0f}"


def ratio_text(alert: Sized, lang: Language) -> str:
    """``3.2×`` for a count against its expectation; ``—`` where a ratio means nothing."""
    if alert.metric not in COUNT_METRICS or alert.expected <= 0:
        return "—"
    return translate("obstacle.ratio", lang, ratio=alert.observed / alert.expected)


def size_text(alert: Sized, lang: Language) -> str:
    """How big: ``每分钟进线：实际 120，预期 30（4.0 倍）`` or a KPI against its target;
    empty for a flag (one conversation has no size)."""
    if alert.metric not in SIZED_METRICS:
        return ""
    values = {
        "metric": translate(f"metric.{alert.metric}", lang),
        "observed": value_text(alert.metric, alert.observed, lang),
        "expected": value_text(alert.metric, alert.expected, lang),
    }
    if alert.metric not in COUNT_METRICS:
        return translate("size.target", lang, **values)
    if alert.expected <= 0:
        return translate("size.only", lang, **values)
    return translate("size.count", lang, ratio=alert.observed / alert.expected, **values)


SYSTEM_ACTORS = ("system", "detector", "escalation")
"""Names the engine writes as "who" on the timeline (never a person's)."""


def person(name: str, lang: Language) -> str:
    """Who acted: a person's name, or the system's own parts in words."""
    return translate(f"by.{name}", lang) if name in SYSTEM_ACTORS else name


def names_text(names: Sequence[str], lang: Language) -> str:
    if not names:
        return translate("ring.nobody_short", lang)
    return ("、" if lang == "zh" else ", ").join(names)


def _event_values(detail: Mapping[str, Any], lang: Language, tz: str) -> dict[str, Any]:
    values = dict(detail)
    if "severity" in values:
        values["severity"] = translate(f"severity.{values['severity']}", lang)
    if "label" in values:
        values["label"] = translate(f"label.{values['label']}", lang)
    if "until" in values:
        values["until"] = datetime.fromtimestamp(float(values["until"]), ZoneInfo(tz)).strftime(
            "%m-%d %H:%M"
        )
    if "names" in values:
        values["names"] = names_text(values["names"], lang)
    if "who" in values:
        values["who"] = person(str(values["who"]), lang)
    return values


def event_sentence(rule: str, detail: Mapping[str, Any], text: str, lang: Language, tz: str) -> str:
    """What one timeline row says, in ``lang``: the rule's sentence with its facts, then
    any words a person typed (a note, a comment, a reason, a bell's message)."""
    key = f"rule.{rule}"
    if rule == "RING-1" and "cause" in detail:
        key = f"ring.cause.{detail['cause']}"
    template, sentence = translate(key, lang), ""
    if template != key:
        try:
            sentence = template.format(**_event_values(detail, lang, tz))
        except (KeyError, ValueError, TypeError):
            sentence = ""  # a row written before its facts were recorded: its text says it
    if sentence and text:
        return f"{sentence}：{text}" if lang == "zh" else f"{sentence}: {text}"
    return sentence or text


def change_text(from_status: str | None, to_status: str | None, lang: Language) -> str:
    """``未处理 → 已确认``; empty when the status did not move."""
    if not to_status or from_status == to_status:
        return ""
    before = translate(f"status.{from_status}", lang) if from_status else ""
    return f"{before} → {translate(f'status.{to_status}', lang)}".strip()


def both(key: str, **values: object) -> str:
    """A glossary entry in both languages (``紧急 critical``), for rings read anywhere."""
    zh, en = (translate(key, lang, **values) for lang in LANGUAGES)
    return zh if zh == en else f"{zh} {en}"


def both_titles(alert: AlertFacts) -> str:
    zh, en = (alert_title(alert, lang) for lang in LANGUAGES)
    return zh if zh == en else f"{zh} / {en}"
