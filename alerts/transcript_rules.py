"""Live transcript rules: which customer words must reach an owner at once.

Quality teams keyword-scan tens of thousands of hours of calls a day; a few phrases
(a customer naming the 12315 consumer-protection hotline, the media, a lawyer, or a
fire or a poisoning) cannot wait for the morning report.  This module is the pure
matcher: rules come from a YAML file (defaults in ``transcript_rules.yaml`` beside
it), are validated with errors naming the file, line and rule, and are compiled
into one regular expression per rule so the worker can scan every utterance.

Latin keywords and digits match only as whole words (``sue`` is not in ``issue``),
while CJK keywords match anywhere (Chinese has no spaces); text is NFKC-normalised
first so full-width ``１２３１５`` is ``12315``.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from alerts.anomaly import Anomaly, AnomalyKind, AnomalyStatus, Severity
from alerts.masking import mask_pii
from datasources.schemas import Utterance
from datasources.series import conversation_series

DEFAULT_RULES_FILE = Path(__file__).with_name("transcript_rules.yaml")
SPEAKERS = ("customer", "agent", "robot")
_RULE_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
_ASCII_WORD = re.compile(r"[A-Za-z0-9]")
_RULE_KEYS = {"id", "label", "severity", "keywords", "patterns", "speakers"}


class RuleFileError(ValueError):
    """The rules file is unusable; the message names the file, line and rule."""


@dataclass(frozen=True)
class TranscriptRule:
    """One named rule: any keyword or pattern in an utterance of a listed speaker."""

    id: str
    label_zh: str
    label_en: str
    severity: Severity
    keywords: tuple[str, ...] = ()
    patterns: tuple[str, ...] = ()
    speakers: frozenset[str] = frozenset({"customer"})
    regex: re.Pattern[str] = field(default=re.compile(r"(?!)"), compare=False, repr=False)

    def label(self, language: str) -> str:
        return self.label_zh if language == "zh" else self.label_en


@dataclass(frozen=True)
class RuleMatch:
    """A rule that fired, and the phrase (from the normalised text) that fired it."""

    rule: TranscriptRule
    phrase: str


def normalise(text: str) -> str:
    """NFKC (full-width digits and letters become ASCII) so rules see one spelling."""
    return unicodedata.normalize("NFKC", text)


def keyword_regex(keyword: str) -> str:
    """A keyword as a regex: escaped, spaces flexible, Latin ends bounded as whole words."""
    body = r"\s+".join(re.escape(part) for part in normalise(keyword).split())
    if _ASCII_WORD.fullmatch(keyword[:1] or " "):
        body = r"(?<![A-Za-z0-9])" + body
    if _ASCII_WORD.fullmatch(keyword[-1:] or " "):
        body = body + r"(?![A-Za-z0-9])"
    return body


def compile_rule(
    rule_id: str,
    *,
    label_zh: str,
    label_en: str,
    severity: Severity,
    keywords: Sequence[str] = (),
    patterns: Sequence[str] = (),
    speakers: Iterable[str] = ("customer",),
) -> TranscriptRule:
    """Build a rule; raises ``ValueError`` (plain words) for anything malformed."""
    if not _RULE_ID.fullmatch(rule_id):
        raise ValueError("id must be 1-64 letters, digits, '_' or '-'")
    if not keywords and not patterns:
        raise ValueError("needs at least one keyword or pattern")
    parts = []
    for keyword in keywords:
        if not isinstance(keyword, str | int) or not str(keyword).strip():
            raise ValueError(f"keyword {keyword!r} must be a non-empty string")
        parts.append(keyword_regex(str(keyword).strip()))
    for pattern in patterns:
        if not isinstance(pattern, str) or not pattern:
            raise ValueError(f"pattern {pattern!r} must be a non-empty string")
        try:
            re.compile(pattern)
        except re.error as exc:
            raise ValueError(
                f"pattern {pattern!r} is not a valid regular expression: {exc}"
            ) from None
        parts.append(f"(?:{pattern})")
    who = frozenset(speakers)
    unknown = who - set(SPEAKERS)
    if unknown or not who:
        raise ValueError(f"speakers must be some of {', '.join(SPEAKERS)}, got {sorted(who)}")
    return TranscriptRule(
        id=rule_id,
        label_zh=label_zh,
        label_en=label_en,
        severity=severity,
        keywords=tuple(str(k) for k in keywords),
        patterns=tuple(patterns),
        speakers=who,
        regex=re.compile("|".join(parts), re.IGNORECASE),
    )


@dataclass(frozen=True)
class RuleSet:
    """The compiled rules, in file order."""

    rules: tuple[TranscriptRule, ...]

    def match(self, text: str, speaker: str = "customer") -> list[RuleMatch]:
        """Every rule that fires on this utterance (each rule at most once)."""
        plain = normalise(text)
        found = []
        for rule in self.rules:
            if speaker not in rule.speakers:
                continue
            hit = rule.regex.search(plain)
            if hit:
                found.append(RuleMatch(rule, hit.group(0)))
        return found


def _rule_from_mapping(raw: Any) -> TranscriptRule:
    if not isinstance(raw, dict):
        raise ValueError("each rule must be a mapping with id, label, severity, keywords…")
    unknown = set(raw) - _RULE_KEYS
    if unknown:
        raise ValueError(f"unknown field(s) {', '.join(sorted(map(str, unknown)))}")
    if "id" not in raw:
        raise ValueError("missing id")
    label = raw.get("label") or {}
    if isinstance(label, str):
        label = {"zh": label, "en": label}
    if not isinstance(label, dict):
        raise ValueError("label must be text or {zh: …, en: …}")
    try:
        severity = Severity(raw.get("severity", "major"))
    except ValueError:
        choices = ", ".join(s.value for s in Severity)
        raise ValueError(
            f"severity must be one of {choices}, got {raw.get('severity')!r}"
        ) from None
    lists = {}
    for name in ("keywords", "patterns", "speakers"):
        value = raw.get(name, ["customer"] if name == "speakers" else [])
        if not isinstance(value, list):
            raise ValueError(f"{name} must be a list")
        lists[name] = value
    rule_id = str(raw["id"])
    return compile_rule(
        rule_id,
        label_zh=str(label.get("zh") or label.get("en") or rule_id),
        label_en=str(label.get("en") or label.get("zh") or rule_id),
        severity=severity,
        keywords=lists["keywords"],
        patterns=lists["patterns"],
        speakers=lists["speakers"],
    )


def parse_rules(text: str, source: str = "<rules>") -> RuleSet:
    """Parse and compile a rules document; :class:`RuleFileError` says where it is wrong."""
    try:
        root = yaml.compose(text)
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f":{mark.line + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise RuleFileError(f"{source}{where}: not valid YAML: {problem}") from None
    if not isinstance(data, dict) or not isinstance(data.get("rules"), list):
        raise RuleFileError(f"{source}:1: expected a mapping with a 'rules:' list")
    nodes = _rule_nodes(root)
    rules: list[TranscriptRule] = []
    seen: set[str] = set()
    for index, raw in enumerate(data["rules"]):
        line = nodes[index].start_mark.line + 1 if index < len(nodes) else 1
        name = raw.get("id", f"#{index + 1}") if isinstance(raw, dict) else f"#{index + 1}"
        try:
            rule = _rule_from_mapping(raw)
        except ValueError as exc:
            raise RuleFileError(f"{source}:{line}: rule {name!r}: {exc}") from None
        if rule.id in seen:
            raise RuleFileError(f"{source}:{line}: rule {name!r}: id used twice")
        seen.add(rule.id)
        rules.append(rule)
    if not rules:
        raise RuleFileError(f"{source}:1: the 'rules:' list is empty")
    return RuleSet(tuple(rules))


def _rule_nodes(root: yaml.Node | None) -> list[yaml.Node]:
    """The YAML nodes of the ``rules:`` items, for line numbers in error messages."""
    if not isinstance(root, yaml.MappingNode):
        return []
    for key, value in root.value:
        if key.value == "rules" and isinstance(value, yaml.SequenceNode):
            return list(value.value)
    return []


def load_rules(path: Path | None = None) -> RuleSet:
    """The rules from ``path`` (or the shipped defaults)."""
    path = path or DEFAULT_RULES_FILE
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise RuleFileError(f"{path}: cannot read the rules file: {exc.strerror}") from None
    return parse_rules(text, str(path))


# Anomalies from transcripts ---------------------------------------------------------


def flag_anomaly(utterance: Utterance, match: RuleMatch) -> Anomaly:
    """The anomaly for one rule firing on one utterance, with the masked words attached."""
    rule = match.rule
    return Anomaly(
        series=conversation_series(utterance.conversation_id),
        kind=AnomalyKind.TRANSCRIPT_FLAG,
        status=AnomalyStatus.ONGOING,
        onset=utterance.ts,
        updated=utterance.ts,
        observed=1.0,
        expected=0.0,
        severity=rule.severity,
        score=1.0,
        metric="transcript_flag",
        business_line=utterance.business_line,
        reason=utterance.reason,
        channel=utterance.channel.value,
        skill_group=utterance.skill_group,
        verbatims=[mask_pii(utterance.text)],
        detail={
            "rule": rule.id,
            "rule_zh": rule.label_zh,
            "rule_en": rule.label_en,
            "phrase": mask_pii(match.phrase),
            "conversation_id": utterance.conversation_id,
            "seq": utterance.seq,
        },
    )


def bell_anomaly(
    *,
    conversation_id: str,
    business_line: str | None,
    reason: str | None,
    channel: str | None,
    skill_group: str | None,
    excerpt: list[str],
    listener: str,
    comment: str,
    now: float,
) -> Anomaly:
    """A listener's bell (拉铃) on a live conversation: the same series and kind as a rule
    flag, so it joins the alert a rule already opened on this conversation, else opens
    one routed by business line and reason like any other."""
    return Anomaly(
        series=conversation_series(conversation_id),
        kind=AnomalyKind.TRANSCRIPT_FLAG,
        status=AnomalyStatus.ONGOING,
        onset=now,
        updated=now,
        observed=1.0,
        expected=0.0,
        severity=Severity.MAJOR,
        score=1.0,
        metric="qinting_bell",
        business_line=business_line,
        reason=reason,
        channel=channel,
        skill_group=skill_group,
        verbatims=[mask_pii(text) for text in excerpt if text.strip()][:5],
        detail={
            "source": "qinting",
            "listener": listener,
            "comment": mask_pii(comment.strip()),
            "conversation_id": conversation_id,
        },
    )
