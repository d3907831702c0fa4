"""The wall's panels, drawn from one :class:`~dashboard.wall_data.WallSnapshot`.

Each panel is one HTML block or one Plotly chart with a stable key, so a
fragment refresh replaces content in place.  All customer text and labels go
through :mod:`dashboard.markup`, which renders them inert.
"""

from __future__ import annotations

import time
from datetime import datetime
from zoneinfo import ZoneInfo

import streamlit as st

from dashboard import charts, markup
from dashboard.i18n import Language, duration, translate
from dashboard.kpis import evaluate, kpi_specs
from dashboard.wall_data import FeedState, Obstacle, WallSnapshot
from datasources.catalog import label
from datasources.settings import Settings


def clock(ts: float, tz: str, fmt: str = "%H:%M:%S") -> str:
    return datetime.fromtimestamp(ts, ZoneInfo(tz)).strftime(fmt)


def view_name(business_line: str | None, lang: Language) -> str:
    return (
        translate("all_lines", lang)
        if business_line is None
        else label("business_line", business_line, lang)
    )


def header(snapshot: WallSnapshot | None, view: str | None, lang: Language, tz: str) -> None:
    stamp = snapshot.data_now if snapshot and snapshot.data_now else time.time()
    st.html(
        '<div style="display:flex;justify-content:space-between;align-items:baseline">'
        f'<span class="gmd-title">{markup.plain(translate("app.title", lang))} · '
        f"{markup.plain(view_name(view, lang))}</span>"
        f'<span class="gmd-clock" data-testid="gmd-clock">'
        f"{markup.plain(translate('updated_at', lang, time=clock(stamp, tz, '%m-%d %H:%M:%S')))}"
        "</span></div>"
    )


def banners(
    feeds: list[FeedState], outage: tuple[float, str] | None, lang: Language, tz: str
) -> None:
    """One line per stale feed, or one red line while Redis/the database is down."""
    parts = []
    if outage is not None:
        since, part = outage
        text = translate(f"banner.{part}_down", lang, time=clock(since, tz))
        parts.append(markup.banner_html("down", text))
    else:
        for feed in feeds:
            if not feed.stale:
                continue
            name = translate(f"feed.{feed.feed}", lang)
            if feed.last_seen_wall is None:
                text = translate("banner.never", lang, feed=name)
            else:
                text = translate(
                    "banner.stale", lang, feed=name, time=clock(feed.last_seen_wall, tz)
                )
            parts.append(markup.banner_html("stale", text))
    # Always one element, so panels below keep their positions and nothing re-mounts.
    st.html('<div class="gmd-banners">' + "".join(parts) + "</div>")


def kpi_tiles(snapshot: WallSnapshot, settings: Settings, lang: Language) -> None:
    tiles = []
    history = snapshot.kpi_history
    for spec in kpi_specs(settings.targets):
        text, status = evaluate(spec, snapshot.kpis.get(spec.key))
        spark = history[spec.key].tolist() if spec.key in history else []
        target = (
            translate("kpi.target", lang, target=spec.target_text) if spec.target_text else None
        )
        tiles.append(
            markup.kpi_tile_html(translate(f"kpi.{spec.key}", lang), text, status, target, spark)
        )
    st.html(
        '<div class="gmd-tiles" data-testid="gmd-kpis" '
        'style="display:grid;grid-template-columns:repeat(8,1fr);gap:8px">'
        + "".join(tiles)
        + "</div>"
    )


def obstacle_title(obstacle: Obstacle, lang: Language) -> str:
    parts = []
    if obstacle.business_line:
        parts.append(label("business_line", obstacle.business_line, lang))
    if obstacle.reason:
        parts.append(label("reason", obstacle.reason, lang))
    parts.append(translate(f"kind.{obstacle.kind}", lang))
    return " · ".join(parts)


def obstacles_panel(snapshot: WallSnapshot, lang: Language, tz: str, now: float) -> None:
    title = f'<div class="gmd-panel-title">{markup.plain(translate("panel.obstacles", lang))}</div>'
    if not snapshot.obstacles:
        none = markup.plain(translate("obstacles.none", lang))
        st.html(f'{title}<div class="gmd-empty" data-testid="gmd-obstacles">{none}</div>')
        return
    cards = []
    for ob in snapshot.obstacles:
        since = translate(
            "obstacle.since",
            lang,
            time=clock(ob.onset, tz, "%H:%M"),
            ago=duration(now - ob.onset, lang),
        )
        if ob.acked_by:
            ack = translate(
                "obstacle.acked",
                lang,
                who=ob.acked_by,
                ago=duration(now - (ob.acked_at or now), lang),
            )
        else:
            ack = translate("obstacle.unacked", lang)
        ratio = translate("obstacle.ratio", lang, ratio=ob.ratio) if ob.ratio else ""
        cards.append(
            markup.obstacle_card_html(
                severity=ob.severity,
                severity_label=translate(f"severity.{ob.severity}", lang),
                title=obstacle_title(ob, lang),
                ratio_text=ratio,
                since_text=since,
                ack_text=ack,
                acknowledged=ob.acked_by is not None,
                trend=ob.trend,
                verbatims=ob.verbatims,
                alert_id=str(ob.alert_id),
            )
        )
    st.html(
        title + '<div data-testid="gmd-obstacles" '
        'style="display:grid;grid-template-columns:1fr 1fr;column-gap:8px">'
        + "".join(cards)
        + "</div>"
    )


def voices_panel(snapshot: WallSnapshot, lang: Language, tz: str) -> None:
    sources = {code: label("source", code, lang) for code in snapshot.voices.get("source", [])}
    st.html(
        f'<div class="gmd-panel-title">{markup.plain(translate("panel.voices", lang))} · '
        f"{markup.plain(translate('voices.negative_share', lang))}</div>"
    )
    st.plotly_chart(
        charts.negative_share_figure(snapshot.voices, tz=tz, height=120),
        key="wall-voices-share",
        config={"displayModeBar": False},
        width="stretch",
    )
    st.html(
        f'<div class="gmd-panel-title">{markup.plain(translate("voices.by_source", lang))}</div>'
    )
    st.plotly_chart(
        charts.volume_by_source_figure(snapshot.voices, labels=sources, height=150),
        key="wall-voices-sources",
        config={"displayModeBar": False},
        width="stretch",
    )
    lines = [
        markup.voice_line_html(label("source", v.source, lang), clock(v.ts, tz, "%H:%M"), v.text)
        for v in snapshot.negative_voices
    ] or [f'<div class="gmd-empty">{markup.plain(translate("voices.none", lang))}</div>']
    st.html(
        f'<div class="gmd-panel-title">{markup.plain(translate("voices.latest", lang))}</div>'
        '<div data-testid="gmd-voices">' + "".join(lines) + "</div>"
    )


def contacts_panel(snapshot: WallSnapshot, lang: Language, tz: str, height: int) -> None:
    lines = {}
    if "business_line" in snapshot.contacts:
        lines = {
            c: label("business_line", c, lang) for c in snapshot.contacts["business_line"].unique()
        }
    st.html(f'<div class="gmd-panel-title">{markup.plain(translate("panel.contacts", lang))}</div>')
    st.plotly_chart(
        charts.contacts_figure(
            snapshot.contacts,
            snapshot.onsets,
            labels=lines,
            tz=tz,
            height=height,
            onset_label=translate("chart.onset", lang),
        ),
        key="wall-contacts",
        config={"displayModeBar": False},
        width="stretch",
    )
