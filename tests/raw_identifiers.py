"""Words people must never read: the codes behind the screens.

A page, a ring or a digest that shows ``negative_voices_per_min``, ``qinting_bell``,
``open → acknowledged`` in a Chinese timeline, ``None`` in a table or a team's id
instead of its name has leaked an identifier.  :func:`raw_identifiers` finds them in
any text; the browser matrix (``tests/test_browser_matrix.py``) and the wall's
browse script run every page through it.  Codes are matched as whole words and
case-sensitively (``Tmall`` is a name, ``tmall`` a code).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import cache

from alerts.anomaly import AnomalyKind
from alerts.lifecycle import Action, AlertStatus
from datasources.catalog import BUSINESS_LINES, REASONS, codes

NEVER = (
    "None",
    "nan",
    "NaN",
    "null",
    "contacts_per_min",
    "negative_voices_per_min",
    "pickup_rate",
    "service_level",
    "longest_wait_s",
    "qinting_bell",
    "transcript_flag",
    "sentiment_storm",
    "queue_breach",
    "auto_resolve",
    "ack_expire",
    "consumer_protection",
    "{",
    "}",
)
"""Codes and leftovers that are wrong in either language (a ``{`` is an unfilled label)."""

ENGLISH_CODES = (
    *(s.value for s in AlertStatus),
    *(a.value for a in Action if a.value not in ("open", "note", "label")),
    *(k.value for k in AnomalyKind),
    "critical",
    "major",
    "minor",
    "valid",
    "noise",
    "duplicate",
    "delivered",
    "failed",
    "pending",
    "sending",
    "partial",
    "detector",
    "system",
    "escalation",
)
"""Words that are the right label on an English page and a leaked code on a Chinese one."""

RULE_IDS = re.compile(r"\b[A-Z]+(?:-[A-Z]+)*-\d\b")
"""Timeline rule ids such as ``ACK-1`` or ``AUTO-RESOLVE-1``."""
SERIES_IDS = re.compile(r"\b(?:contacts|queue|voices|conversation):[\w*:-]+")
URLS = re.compile(r"\b[a-z][a-z0-9+.-]*://\S+")
"""Links are addresses, not words: a ring's link names its alert by number."""


@cache
def _catalog_codes() -> tuple[str, ...]:
    return (*BUSINESS_LINES, *REASONS, *codes("skill_group"))


def _words(words: Iterable[str]) -> re.Pattern[str]:
    alternatives = "|".join(re.escape(w) for w in sorted(set(words), key=len, reverse=True))
    return re.compile(rf"(?<![\w.@/-])(?:{alternatives})(?![\w@/-])")


def raw_identifiers(text: str, lang: str, extra: Iterable[str] = ()) -> list[str]:
    """Every leaked identifier in ``text`` read as a ``lang`` page; ``extra`` adds the
    deployment's own codes (its routing file's team and person ids)."""
    text = URLS.sub(" ", text)
    found: list[str] = []
    words = [*NEVER[:-2], *_catalog_codes(), *extra]
    if lang == "zh":
        words += ENGLISH_CODES
    found += _words(words).findall(text)
    found += [b for b in ("{", "}") if b in text]
    found += RULE_IDS.findall(text)
    found += SERIES_IDS.findall(text)
    return sorted(set(found))
