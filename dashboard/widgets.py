"""The wall's panels, built from one :class:`~dashboard.wall_data.WallSnapshot`.

:func:`build_wall` turns a snapshot into one HTML block — tiles, obstacle cards,
voices, and charts as SVG pictures — once (pure, and shared by every session
showing the same snapshot in the same language); :func:`show_wall` sends it as a
single element, so a refresh is one message that replaces the wall in place.
All customer text and labels go through :mod:`dashboard.markup`, which renders
them inert.
"""

from __future__ import annotations

import time

import streamlit as st

from dashboard import markup, wall_charts
from dashboard.alert_words import alert_title
from dashboard.i18n import Language, duration, translate
from dashboard.kpis import evaluate, kpi_specs
from dashboard.wall_data import FeedState, Obstacle, WallSnapshot
from dashboard.wall_panels import (
    clock,
    conversations_html,
    headline,
    obstacles_html,
    panel_title,
)
from datasources.catalog import label
from datasources.settings import Settings

__all__ = ["build_wall", "clock", "obstacle_title", "show_outage_only", "show_wall"]
"""``clock`` lives in :mod:`dashboard.wall_panels`; pages and tests import it from here too."""


def view_name(business_line: str | None, lang: Language) -> str:
    return (
        translate("all_lines", lang)
        if business_line is None
        else label("business_line", business_line, lang)
    )


def header_html(snapshot: WallSnapshot | None, view: str | None, lang: Language, tz: str) -> str:
    stamp = snapshot.data_now if snapshot and snapshot.data_now else time.time()
    return (
        '<div class="gmd-header">'
        f'<span class="gmd-title">{markup.plain(translate("app.title", lang))} · '
        f"{markup.plain(view_name(view, lang))}</span>"
        f'<span class="gmd-clock" data-testid="gmd-clock">'
        f"{markup.plain(translate('updated_at', lang, time=clock(stamp, tz, '%m-%d %H:%M:%S')))}"
        "</span></div>"
    )


BEHIND_AFTER_S = 120.0
"""Data older than this while every feed is fresh: the worker is catching up (the
past day being filled on a fresh ``gmd run``, or a backlog)."""


def banners_html(
    feeds: list[FeedState],
    outage: tuple[float, str] | None,
    lang: Language,
    tz: str,
    data_now: float | None = None,
    now: float | None = None,
) -> str:
    """One line per stale feed, or one red line while Redis/the database is down, or
    one blue line while the data is catching up with the clock."""
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
        behind = (now or time.time()) - data_now if data_now is not None else 0.0
        if not parts and behind > BEHIND_AFTER_S:
            text = translate(
                "banner.behind", lang, time=clock(data_now or 0.0, tz), ago=duration(behind, lang)
            )
            parts.append(markup.banner_html("behind", text))
    # Always one element, so panels below keep their positions and nothing re-mounts.
    return '<div class="gmd-banners">' + "".join(parts) + "</div>"


def kpi_tiles_html(snapshot: WallSnapshot, settings: Settings, lang: Language) -> str:
    tiles = []
    history = snapshot.kpi_history
    for spec in kpi_specs(settings.targets):
        text, status = evaluate(spec, snapshot.kpis)
        spark = history[spec.key].tolist() if spec.key in history else []
        target = (
            translate("kpi.target", lang, target=spec.target_text)
            if spec.target_text
            else translate(spec.target_key, lang)
            if spec.target_key
            else None
        )
        tiles.append(
            markup.kpi_tile_html(translate(f"kpi.{spec.key}", lang), text, status, target, spark)
        )
    return '<div class="gmd-tiles" data-testid="gmd-kpis">' + "".join(tiles) + "</div>"


def obstacle_title(obstacle: Obstacle, lang: Language) -> str:
    """The card's title: the same words as the console's and the ring's."""
    return alert_title(obstacle, lang)


def negative_voices_html(snapshot: WallSnapshot, lang: Language, tz: str) -> str:
    lines = [
        markup.voice_line_html(
            label("source", v.source, lang), clock(v.ts, tz, "%H:%M"), v.text, v.business_line
        )
        for v in snapshot.negative_voices
    ] or [f'<div class="gmd-empty">{markup.plain(translate("voices.none", lang))}</div>']
    return (
        panel_title("voices.latest", lang)
        + '<div data-testid="gmd-voices">'
        + "".join(lines)
        + "</div>"
    )


def build_wall(
    snapshot: WallSnapshot,
    outage: tuple[float, str] | None,
    view: str | None,
    lang: Language,
    settings: Settings,
    now: float | None = None,
) -> str:
    """The whole wall as one HTML block (pure: no Streamlit calls).  Built once per
    snapshot and language and shared by every session showing it."""
    tz = settings.screens.timezone
    now = time.time() if now is None else now
    voices = (
        panel_title("panel.voices", lang, "voices.negative_share")
        + wall_charts.voices_share_chart(snapshot, tz)
        + panel_title("voices.by_source", lang)
        + wall_charts.voices_sources_chart(snapshot, lang)
        + negative_voices_html(snapshot, lang, tz)
    )
    return (
        f'<div class="gmd-wall" data-testid="gmd-wall" data-view="{markup.plain(view or "all")}">'
        + header_html(snapshot, view, lang, tz)
        + headline(snapshot.headline, lang)
        + banners_html(snapshot.feeds, outage, lang, tz, snapshot.data_now, snapshot.taken_wall)
        + kpi_tiles_html(snapshot, settings, lang)
        + '<div class="gmd-middle"><div class="gmd-left">'
        + obstacles_html(snapshot, lang, tz, now)
        + conversations_html(snapshot, lang, tz)
        + f'</div><div class="gmd-right">{voices}</div></div>'
        + '<div class="gmd-bottom">'
        + panel_title("panel.contacts", lang)
        + wall_charts.contacts_chart(snapshot, lang, tz)
        + "</div></div>"
    )


def show_wall(wall: str) -> None:
    """Send a built wall: one element, so a refresh is one message and never flickers."""
    st.html(wall)


def show_outage_only(view: str | None, outage: tuple[float, str], lang: Language, tz: str) -> None:
    """No data received yet and the store is down: the title and the red banner."""
    st.html(
        '<div class="gmd-wall" data-testid="gmd-wall">'
        + header_html(None, view, lang, tz)
        + banners_html([], outage, lang, tz)
        + "</div>"
    )
