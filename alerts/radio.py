"""The nine o'clock radio (9点电台): pure parts — grouping similar cases, composing a digest.

Frontline agents and listening managers propose cases; editors publish them to
channels; each morning at 09:00 subscribers get yesterday's published cases on
their channel.  A channel that plays the same complaint five times teaches nothing,
so cases whose normalised text is alike (Jaccard similarity of character shingles,
which works for Chinese without word segmentation) are played once, with a count
of how many more said the same.  No I/O here: the store loads cases, the worker
sends what :func:`compose_digest` returns, and the radio page shows the same text.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from apscheduler.triggers.cron import CronTrigger

from dashboard.alert_words import topic
from dashboard.i18n import Language, translate

SHINGLE = 3
_NOISE = re.compile(r"[\W_]+", re.UNICODE)
_MASKED = re.compile(r"\*+|\[[^\]]{1,12}\]|<[^>]{1,12}>")
_DIGITS = re.compile(r"\d+")


@dataclass(frozen=True)
class RadioCase:
    """One published case as the digest needs it (the store converts rows into these)."""

    id: int
    title: str
    excerpt: str
    """The customer's words, already masked."""
    published_at: float
    business_line: str | None = None
    reason: str | None = None
    note: str = ""
    """The editor's or proposer's one-line comment: why this is worth hearing."""


@dataclass
class CaseGroup:
    """Cases that say the same thing; ``lead`` is played, the rest are counted."""

    lead: RadioCase
    similar: list[RadioCase] = field(default_factory=list)

    @property
    def size(self) -> int:
        return 1 + len(self.similar)


@dataclass(frozen=True)
class Digest:
    """What a subscriber receives and what the radio page shows for one channel and day."""

    channel: str
    day: date
    title: str
    body: str
    groups: tuple[CaseGroup, ...]

    @property
    def case_count(self) -> int:
        return sum(g.size for g in self.groups)


def normalise_text(text: str) -> str:
    """Lower-case, NFKC, masks and punctuation removed and every number one ``0`` (order
    numbers and masked phones differ between customers saying the same thing)."""
    plain = unicodedata.normalize("NFKC", text).lower()
    plain = _DIGITS.sub("0", _MASKED.sub(" ", plain))
    return _NOISE.sub("", plain)


def shingles(text: str, size: int = SHINGLE) -> frozenset[str]:
    """Overlapping character n-grams of the normalised text (the whole text if shorter)."""
    plain = normalise_text(text)
    if len(plain) <= size:
        return frozenset({plain}) if plain else frozenset()
    return frozenset(plain[i : i + size] for i in range(len(plain) - size + 1))


def jaccard(a: frozenset[str], b: frozenset[str]) -> float:
    if not a and not b:
        return 1.0
    return len(a & b) / len(a | b)


def group_cases(cases: Iterable[RadioCase], threshold: float) -> list[CaseGroup]:
    """Greedy grouping in publication order: a case joins the most similar group whose
    lead it resembles at least ``threshold``, else starts its own.  Largest groups first
    (what most customers said leads the programme), ties by first publication."""
    groups: list[tuple[CaseGroup, frozenset[str]]] = []
    for case in sorted(cases, key=lambda c: (c.published_at, c.id)):
        mine = shingles(f"{case.title} {case.excerpt}")
        best: tuple[float, CaseGroup] | None = None
        for group, theirs in groups:
            score = jaccard(mine, theirs)
            if score >= threshold and (best is None or score > best[0]):
                best = (score, group)
        if best is None:
            groups.append((CaseGroup(case), mine))
        else:
            best[1].similar.append(case)
    ordered = [g for g, _ in groups]
    ordered.sort(key=lambda g: (-g.size, g.lead.published_at))
    return ordered


def digest_day(now: datetime, tz: ZoneInfo) -> date:
    """The day a digest sent at ``now`` covers: yesterday in the radio's time zone."""
    return now.astimezone(tz).date() - timedelta(days=1)


def day_window(day: date, tz: ZoneInfo) -> tuple[float, float]:
    """Epoch seconds [start, end) of one local calendar day."""
    start = datetime.combine(day, time(0), tzinfo=tz)
    end = datetime.combine(day + timedelta(days=1), time(0), tzinfo=tz)
    return start.timestamp(), end.timestamp()


def parse_digest_time(value: str) -> tuple[int, int]:
    """``"09:00"`` → ``(9, 0)``; settings validated the shape already."""
    hour, minute = value.split(":")
    return int(hour), int(minute)


def digest_due(now: datetime, digest_time: str, tz: ZoneInfo, done_for: date | None) -> bool:
    """Has today's digest time passed in ``tz`` without today's run having been done?

    APScheduler's cron trigger computes today's firing moment (so DST and any future
    cron fields behave as APScheduler users expect); "passed, not yet done" rather than
    "exactly now" lets a worker that was down at 09:00 catch up when it returns."""
    hour, minute = parse_digest_time(digest_time)
    local = now.astimezone(tz)
    midnight = local.replace(hour=0, minute=0, second=0, microsecond=0)
    fire = CronTrigger(hour=hour, minute=minute, timezone=tz).get_next_fire_time(None, midnight)
    return fire is not None and local >= fire and done_for != local.date()


def compose_digest(
    channel: str,
    day: date,
    cases: Sequence[RadioCase],
    *,
    threshold: float,
    max_groups: int,
    link: str,
    language: str = "zh",
) -> Digest:
    """The digest text: one numbered entry per group of similar cases, plain text only
    (customer words are never Markdown or HTML, whatever the channel renders), in the
    glossary's words for ``language``."""
    lang: Language = "zh" if language == "zh" else "en"
    groups = tuple(group_cases(cases, threshold)[:max_groups])
    title = translate("digest.title", lang, channel=channel, day=day.isoformat())
    lines: list[str] = []
    if not groups:
        lines.append(translate("digest.empty", lang))
    else:
        total = sum(g.size for g in groups)
        lines.append(translate("digest.count", lang, cases=total, groups=len(groups)))
        for number, group in enumerate(groups, start=1):
            case = group.lead
            head = f"{number}. {case.title}"
            if about := topic(case.business_line, case.reason, lang):
                head += f"（{about}）" if lang == "zh" else f" ({about})"
            lines += ["", head, f"   “{case.excerpt}”"]
            if case.note:
                lines.append(f"   — {case.note}")
            if group.similar:
                lines.append("   " + translate("digest.similar", lang, n=len(group.similar)))
    lines += ["", translate("digest.listen", lang, link=link)]
    return Digest(channel, day, title, "\n".join(lines), groups)
