"""Every word a person can be shown exists in both languages (pure: reads the source).

Literal keys are found where the code asks for them (``t("…")``, ``translate("…")``,
``both("…")``); keys built from a code (``status.{…}``, ``kind.{…}``, ``rule.{…}``)
are checked against every value the code can take.  A missing key would show the key
itself to a person — a raw identifier.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from alerts.anomaly import AnomalyKind, Severity
from alerts.lifecycle import Action, AlertStatus, QualityLabel
from dashboard.alert_words import SIZED_METRICS, SYSTEM_ACTORS
from dashboard.i18n import LABELS
from dashboard.users import Role
from datasources.qinting_store import NOTE, RADIO, RING
from tests.raw_identifiers import raw_identifiers

ROOT = Path(__file__).resolve().parent.parent
SOURCES = [
    p for folder in ("alerts", "dashboard", "pages", "gmd") for p in (ROOT / folder).rglob("*.py")
]
ASKING = {"t", "translate", "both"}
SENTENCE_LESS_RULES = {"ACK-1", "ACK-2", "ACK-3", "NOTE-1", "RING-1", "ESCALATE-1", "QUIET-1"}
"""Rules whose row says all with its action and status change (a ring says it by cause)."""
RING_STATUSES = ("pending", "sending", "taken", "delivered", "partial", "failed")
"""What alerts/ringing.py and the ring receipt can report."""


def _asked_keys() -> set[tuple[str, str]]:
    found = set()
    for path in SOURCES:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call) or not node.args:
                continue
            name = getattr(node.func, "id", None) or getattr(node.func, "attr", None)
            first = node.args[0]
            if name in ASKING and isinstance(first, ast.Constant) and isinstance(first.value, str):
                found.add((str(path.relative_to(ROOT)), first.value))
    return found


def test_every_key_the_code_asks_for_exists() -> None:
    missing = sorted((where, key) for where, key in _asked_keys() if key not in LABELS)
    assert missing == [], "asked for but not in the glossary"


def _lifecycle_rules() -> set[str]:
    source = (ROOT / "alerts" / "lifecycle.py").read_text(encoding="utf-8")
    return set(re.findall(r'"([A-Z]+(?:-[A-Z]+)*-\d)"', source))


FAMILIES = [
    *(f"status.{s.value}" for s in AlertStatus),
    *(f"severity.{s.value}" for s in Severity),
    *(f"kind.{k.value}" for k in AnomalyKind),
    "kind.bell",
    *(f"action.{a.value}" for a in Action),
    *(f"label.{q.value}" for q in QualityLabel),
    *(f"role.{r.value}" for r in Role),
    *(f"metric.{m}" for m in (*SIZED_METRICS, "transcript_flag", "qinting_bell")),
    *(f"by.{name}" for name in SYSTEM_ACTORS),
    *(f"ring.cause.{c}" for c in ("manual", "bell", "step")),
    *(
        f"ring.status.{s}"
        for s in ("pending", "sending", "taken", "delivered", "partial", "failed")
    ),
    *(f"session.{k}" for k in (NOTE, RING, RADIO)),
    *(f"session.ref.{k}" for k in ("alert", "case")),
    *(f"rule.{r}" for r in sorted(_lifecycle_rules() - SENTENCE_LESS_RULES)),
    *(f"banner.{p}_down" for p in ("redis", "db")),
    *(f"feed.{f}" for f in ("contacts", "queue", "voices", "conversations")),
]


def test_every_word_built_from_a_code_exists() -> None:
    """Each status, severity, kind, action, rule, metric… the product can show has words."""
    assert [key for key in FAMILIES if key not in LABELS] == []


def test_the_rules_are_found() -> None:
    """The scan above cannot pass by finding nothing."""
    assert {"OPEN-1", "RESOLVE-2", "QUIET-END-1", "AUTO-HELD-1"} <= _lifecycle_rules()
    assert len(_asked_keys()) > 150


def test_both_languages_say_it_with_the_same_blanks() -> None:
    def blanks(text: str) -> list[str]:
        return sorted(re.findall(r"{(\w+)", text))

    uneven = [k for k, (zh, en) in LABELS.items() if not (zh.strip() and en.strip())]
    uneven += [k for k, (zh, en) in LABELS.items() if blanks(zh) != blanks(en)]
    assert uneven == []


@pytest.mark.parametrize(
    ("text", "lang", "found"),
    [
        ("天猫 · 退款 · 进线激增", "zh", []),
        ("Tmall · Refund · spike · acknowledged · sending", "en", []),
        ("拉铃记录 · sending", "zh", ["sending"]),
        ("未处理 open → acknowledged", "zh", ["acknowledged", "open"]),
        (
            "每分钟 negative_voices_per_min · qinting_bell",
            "en",
            ["negative_voices_per_min", "qinting_bell"],
        ),
        ("负责团队：risk", "zh", ["risk"]),
        ("倍数 None · 规则 ACK-1 · {team}", "en", ["ACK-1", "None", "{", "}"]),
        (
            "[cainiao / parcel_lost] · tmall-presale",
            "en",
            ["cainiao", "parcel_lost", "tmall-presale"],
        ),
        ("查看 http://gmd.test/radio?channel=cainiao · json://127.0.0.1/ring/duty.lead", "zh", []),
        ("series contacts:tmall:refund:*", "en", ["contacts:tmall:refund:*", "refund", "tmall"]),
    ],
)
def test_the_raw_identifier_finder_finds_codes_and_only_codes(
    text: str, lang: str, found: list[str]
) -> None:
    """The matrix's and the browse script's check cannot pass by finding nothing."""
    assert raw_identifiers(text, lang, extra=["risk"]) == sorted(found)
