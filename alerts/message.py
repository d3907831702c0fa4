"""What a rung owner reads: what, how big, since when, in the customers' words, and a link.

Pure text composition (no I/O), in both languages because owners read it on a phone
in whatever chat tool their channel names.  Every word comes from the glossary
(:mod:`dashboard.i18n` through :mod:`dashboard.alert_words`), so a ring calls a
severity, a kind or a rule exactly what the console and the wall call it.
Verbatims and a listener's message are already masked; they are quoted, never
interpreted.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from alerts.models import Alert
from dashboard.alert_words import (
    COUNT_METRICS,
    FLAG,
    both,
    both_titles,
    flagged_as,
    is_bell,
    names_text,
)
from dashboard.alert_words import size_text as size_words
from dashboard.i18n import LANGUAGES, Language, duration, translate


@dataclass(frozen=True)
class RingCause:
    """Why a ring leaves: a lead's click, a listener's bell, or an escalation step."""

    kind: str
    """``manual``, ``bell`` or ``step``."""
    step: int = 0
    steps: int = 0
    message: str = ""
    """The listener's line for the owner (给负责人的一句话), already masked."""

    @property
    def code(self) -> str:
        """What ``rings.cause`` stores (short, language-free)."""
        return f"step {self.step}/{self.steps}" if self.kind == "step" else self.kind

    def sentence(self, names: list[str], lang: Language) -> str:
        return translate(
            f"ring.cause.{self.kind}",
            lang,
            names=names_text(names, lang),
            step=self.step,
            steps=self.steps,
        )


def alert_link(base_url: str, alert_id: int) -> str:
    """Where the console shows this alert."""
    return f"{base_url.rstrip('/')}/console?alert={alert_id}"


def _each(words: dict[Language, str]) -> str:
    zh, en = (words[lang] for lang in LANGUAGES)
    return zh if zh == en else f"{zh} / {en}"


def _size(alert: Alert) -> str:
    return _each({lang: size_words(alert, lang) for lang in LANGUAGES})


def compose(
    alert: Alert,
    *,
    base_url: str,
    sender: str,
    timezone: str,
    now: float,
    verbatims: int,
    cause: RingCause,
    names: list[str],
    owner: str,
) -> tuple[str, str]:
    """The ring's title and body for ``alert`` as it stands now.

    ``sender`` says which Guangmingding rang (its instance name or base URL): an owner
    rung by a test instance and by production can tell the two apart."""
    severity = both(f"severity.{alert.severity}")
    title = f"【{both('app.name')}】{severity} · {both_titles(alert)}"
    if alert.metric in COUNT_METRICS and alert.expected > 0:
        title += f" {alert.observed / alert.expected:.1f}×"
    onset = datetime.fromtimestamp(alert.onset, ZoneInfo(timezone))
    lines = [
        _each(
            {
                lang: translate(
                    "ring.msg.alert",
                    lang,
                    id=alert.id,
                    status=translate(f"status.{alert.status}", lang),
                )
                + f" · {cause.sentence(names, lang)}"
                for lang in LANGUAGES
            }
        ),
        f"{both('ring.msg.what')}: {both_titles(alert)}",
    ]
    if alert.kind == FLAG and not is_bell(alert):
        rule = _each({lang: flagged_as(alert, lang) for lang in LANGUAGES})
        lines.append(f"{both('ring.msg.rule')}: {rule}")
    if size := _size(alert):
        lines.append(f"{both('ring.msg.size')}: {size}")
    since = {
        lang: translate(
            "ring.msg.since_value",
            lang,
            time=f"{onset:%m-%d %H:%M}",
            tz=timezone,
            elapsed=duration(now - alert.onset, lang),
            count=alert.count,
        )
        for lang in LANGUAGES
    }
    lines.append(f"{both('ring.msg.since')}: {_each(since)}")
    lines.append(f"{both('ring.msg.owner')}: {owner}")
    if cause.message:
        lines.append(f"{both('act.ring_comment')}: “{cause.message[:500]}”")
    samples = [v for v in alert.verbatims if v.strip()][:verbatims]
    if samples:
        lines.append(f"{both('ring.msg.customers')}:")
        lines.extend(f"  · “{text.strip()[:200]}”" for text in samples)
    lines.append(f"{both('ring.msg.open')}: {alert_link(base_url, alert.id)}")
    lines.append(f"{both('ring.msg.from')}: {sender}")
    return title, "\n".join(lines)
