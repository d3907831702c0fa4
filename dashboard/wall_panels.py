"""The wall's obstacle panels: the headline, the obstacle cards ranked by impact, and
the strip of single-conversation risks (pure HTML builders, no Streamlit calls).

Cards are for what touches many customers (a spike, a drop, a storm, a queue);
one conversation's risk (a transcript flag, a listener's bell) is one line in the
strip, so five of them never push a 5x refund spike off the wall.
"""

from __future__ import annotations

import math
from datetime import datetime
from zoneinfo import ZoneInfo

from dashboard import markup
from dashboard.alert_words import alert_title
from dashboard.i18n import Language, duration, translate
from dashboard.kpis import format_figure
from dashboard.markup import HEADLINE_COLOURS, SEVERITY_COLOURS
from dashboard.obstacles import Headline, Obstacle
from dashboard.wall_data import WallSnapshot

CONVERSATIONS_SHOWN = 3


def clock(ts: float, tz: str, fmt: str = "%H:%M:%S") -> str:
    """``ts`` on the wall's clock; a time no calendar holds (a corrupt watermark) is a dash,
    never an application error on every wall."""
    try:
        return datetime.fromtimestamp(ts, ZoneInfo(tz)).strftime(fmt)
    except (OverflowError, OSError, ValueError):
        return "—"


def panel_title(key: str, lang: Language, suffix_key: str | None = None) -> str:
    text = translate(key, lang) + (f" · {translate(suffix_key, lang)}" if suffix_key else "")
    return f'<div class="gmd-panel-title">{markup.plain(text)}</div>'


def headline(summary: Headline, lang: Language) -> str:
    """Is anything on fire (critical, nobody on it), and is someone on the rest."""
    verdict = translate(
        f"headline.{summary.state}",
        lang,
        n=summary.critical_unacknowledged if summary.state == "fire" else summary.unacknowledged,
        total=summary.total,
    )
    chips = [
        ("critical", translate("chip.critical", lang), summary.critical,
         SEVERITY_COLOURS["critical"] if summary.critical else "#7f8c8d"),
        ("unacknowledged", translate("chip.unacknowledged", lang), summary.unacknowledged,
         HEADLINE_COLOURS["waiting"] if summary.unacknowledged else "#7f8c8d"),
        ("handled", translate("chip.handled", lang), summary.handled,
         HEADLINE_COLOURS["handled"] if summary.handled else "#7f8c8d"),
        ("conversations", translate("chip.conversations", lang), summary.conversations,
         "#5dade2" if summary.conversations else "#7f8c8d"),
    ]  # fmt: skip
    return markup.headline_html(summary.state, verdict, chips)


def impact_texts(ob: Obstacle, lang: Language) -> tuple[str, str]:
    """The card's big figure (customers touched per minute, or waiting) and the line
    under it (× expected, or the breached queue figure against its target)."""
    big = translate(f"impact.{ob.kind}", lang, n=f"{ob.impact:,.0f}")
    detail = translate("obstacle.ratio", lang, ratio=ob.ratio) if ob.ratio else ""
    if ob.kind == "queue_breach" and ob.metric in (
        "pickup_rate",
        "service_level",
        "longest_wait_s",
    ):
        target = translate("kpi.target", lang, target=format_figure(ob.metric, ob.expected))
        figure = format_figure(ob.metric, ob.observed)
        detail = f"{translate(f'kpi.{ob.metric}', lang)} {figure} ({target})"
    return big, detail


def ack_text(ob: Obstacle, lang: Language, now: float) -> str:
    if ob.acked_by:
        ago = duration(now - (ob.acked_at or now), lang)
        return translate("obstacle.acked", lang, who=ob.acked_by, ago=ago)
    return translate("obstacle.unacked", lang)


def obstacles_html(snapshot: WallSnapshot, lang: Language, tz: str, now: float) -> str:
    title = panel_title("panel.obstacles", lang, "obstacles.ranked")
    if not snapshot.obstacles:
        none = markup.plain(translate("obstacles.none", lang))
        return (
            f'{title}<div class="gmd-empty gmd-obstacles" data-testid="gmd-obstacles">{none}</div>'
        )
    cards = []
    for ob in snapshot.obstacles:
        since = translate(
            "obstacle.since",
            lang,
            time=clock(ob.onset, tz, "%H:%M"),
            ago=duration(now - ob.onset, lang),
        )
        big, detail = impact_texts(ob, lang)
        cards.append(
            markup.obstacle_card_html(
                severity=ob.severity,
                severity_label=translate(f"severity.{ob.severity}", lang),
                title=alert_title(ob, lang),
                impact_text=big,
                detail_text=detail,
                since_text=since,
                ack_text=ack_text(ob, lang, now),
                acknowledged=ob.acked_by is not None,
                trend=ob.trend,
                verbatims=ob.verbatims,
                alert_id=str(ob.alert_id),
            )
        )
    rows = max(2, math.ceil(len(cards) / 2))  # few obstacles: larger cards, every verbatim
    return (
        f'{title}<div class="gmd-obstacles" data-testid="gmd-obstacles" '
        f'style="grid-template-rows:repeat({rows}, minmax(0, 1fr))">' + "".join(cards) + "</div>"
    )


def conversations_html(snapshot: WallSnapshot, lang: Language, tz: str) -> str:
    """Single-conversation risks as one-line rows under the obstacles, newest first."""
    shown = snapshot.conversations[:CONVERSATIONS_SHOWN]
    more = len(snapshot.conversations) - len(shown)
    suffix = translate("conversations.more", lang, n=more) if more > 0 else ""
    title = (
        '<div class="gmd-panel-title gmd-strip-title">'
        f"{markup.plain(translate('panel.conversations', lang, n=len(snapshot.conversations)))}"
        f'<span class="gmd-more">{markup.plain(suffix)}</span></div>'
    )
    rows = [
        markup.conversation_row_html(
            severity=ob.severity,
            title=alert_title(ob, lang),
            excerpt=ob.verbatims[0] if ob.verbatims else "",
            time_text=clock(ob.onset, tz, "%H:%M"),
            acknowledged=ob.acked_by is not None,
            alert_id=str(ob.alert_id),
        )
        for ob in shown
    ] or [f'<div class="gmd-empty">{markup.plain(translate("conversations.none", lang))}</div>']
    return f'<div class="gmd-strip" data-testid="gmd-conversations">{title}{"".join(rows)}</div>'
