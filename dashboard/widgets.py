"""The wall's panels, built from one :class:`~dashboard.wall_data.WallSnapshot`.

:func:`build_wall` turns a snapshot into HTML blocks and figures once (pure, and
shared by every session showing the same snapshot in the same language);
:func:`show_wall` sends them as a fixed sequence of elements with stable keys,
so a fragment refresh replaces content in place.  All customer text and labels
go through :mod:`dashboard.markup`, which renders them inert.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

import plotly.graph_objects as go
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


def header_html(snapshot: WallSnapshot | None, view: str | None, lang: Language, tz: str) -> str:
    stamp = snapshot.data_now if snapshot and snapshot.data_now else time.time()
    return (
        '<div style="display:flex;justify-content:space-between;align-items:baseline">'
        f'<span class="gmd-title">{markup.plain(translate("app.title", lang))} · '
        f"{markup.plain(view_name(view, lang))}</span>"
        f'<span class="gmd-clock" data-testid="gmd-clock">'
        f"{markup.plain(translate('updated_at', lang, time=clock(stamp, tz, '%m-%d %H:%M:%S')))}"
        "</span></div>"
    )


def banners_html(
    feeds: list[FeedState], outage: tuple[float, str] | None, lang: Language, tz: str
) -> str:
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
    return '<div class="gmd-banners">' + "".join(parts) + "</div>"


def kpi_tiles_html(snapshot: WallSnapshot, settings: Settings, lang: Language) -> str:
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
    return (
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


def obstacles_html(snapshot: WallSnapshot, lang: Language, tz: str, now: float) -> str:
    title = f'<div class="gmd-panel-title">{markup.plain(translate("panel.obstacles", lang))}</div>'
    if not snapshot.obstacles:
        none = markup.plain(translate("obstacles.none", lang))
        return f'{title}<div class="gmd-empty" data-testid="gmd-obstacles">{none}</div>'
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
    return (
        title + '<div data-testid="gmd-obstacles" '
        'style="display:grid;grid-template-columns:1fr 1fr;column-gap:8px">'
        + "".join(cards)
        + "</div>"
    )


def panel_title(key: str, lang: Language, suffix_key: str | None = None) -> str:
    text = translate(key, lang) + (f" · {translate(suffix_key, lang)}" if suffix_key else "")
    return f'<div class="gmd-panel-title">{markup.plain(text)}</div>'


def negative_voices_html(snapshot: WallSnapshot, lang: Language, tz: str) -> str:
    lines = [
        markup.voice_line_html(label("source", v.source, lang), clock(v.ts, tz, "%H:%M"), v.text)
        for v in snapshot.negative_voices
    ] or [f'<div class="gmd-empty">{markup.plain(translate("voices.none", lang))}</div>']
    return (
        panel_title("voices.latest", lang)
        + '<div data-testid="gmd-voices">'
        + "".join(lines)
        + "</div>"
    )


@dataclass(frozen=True)
class WallView:
    """Everything the wall draws, built once per snapshot and language and shared by
    every session showing it (each session then only sends it)."""

    header: str
    banners: str
    tiles: str
    obstacles: str
    voices_share: go.Figure
    voices_sources: go.Figure
    negative_voices: str
    contacts: go.Figure
    lang: Language


def build_wall(
    snapshot: WallSnapshot,
    outage: tuple[float, str] | None,
    view: str | None,
    lang: Language,
    settings: Settings,
    now: float | None = None,
) -> WallView:
    """The wall's HTML blocks and figures for one snapshot (pure: no Streamlit calls)."""
    tz = settings.screens.timezone
    now = time.time() if now is None else now
    sources = {code: label("source", code, lang) for code in snapshot.voices.get("source", [])}
    lines = {}
    if "business_line" in snapshot.contacts:
        lines = {
            c: label("business_line", c, lang) for c in snapshot.contacts["business_line"].unique()
        }
    return WallView(
        header=header_html(snapshot, view, lang, tz),
        banners=banners_html(snapshot.feeds, outage, lang, tz),
        tiles=kpi_tiles_html(snapshot, settings, lang),
        obstacles=obstacles_html(snapshot, lang, tz, now),
        voices_share=charts.negative_share_figure(snapshot.voices, tz=tz, height=120),
        voices_sources=charts.volume_by_source_figure(snapshot.voices, labels=sources, height=150),
        negative_voices=negative_voices_html(snapshot, lang, tz),
        contacts=charts.contacts_figure(
            snapshot.contacts,
            snapshot.onsets,
            labels=lines,
            tz=tz,
            height=250,
            onset_label=translate("chart.onset", lang),
        ),
        lang=lang,
    )


def _chart(figure: go.Figure, key: str) -> None:
    st.plotly_chart(figure, key=key, config={"displayModeBar": False}, width="stretch")


def show_wall(wall: WallView) -> None:
    """Send a built wall: a fixed sequence of elements with stable keys, so a refresh
    updates them in place."""
    st.html(wall.header)
    st.html(wall.banners)
    st.html(wall.tiles)
    left, right = st.columns([0.6, 0.4], gap="small")
    with left:
        st.html(wall.obstacles)
    with right:
        st.html(panel_title("panel.voices", wall.lang, "voices.negative_share"))
        _chart(wall.voices_share, "wall-voices-share")
        st.html(panel_title("voices.by_source", wall.lang))
        _chart(wall.voices_sources, "wall-voices-sources")
        st.html(wall.negative_voices)
    st.html(panel_title("panel.contacts", wall.lang))
    _chart(wall.contacts, "wall-contacts")


def show_outage_only(view: str | None, outage: tuple[float, str], lang: Language, tz: str) -> None:
    """No data received yet and the store is down: the title and the red banner."""
    st.html(header_html(None, view, lang, tz))
    st.html(banners_html([], outage, lang, tz))
