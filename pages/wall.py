"""The Guangmingding wall: what customers are hitting right now, at a glance.

Kiosk URL: ``/?kiosk=1&token=…`` (no chrome); playlist: ``&playlist=all,tmall&every=30``.
The live part is one fragment re-run every ``settings.refresh_s``; it reads one
shared snapshot (aggregates and open alerts only) and never shows a traceback:
a dead Redis becomes a red banner over the last data received.
"""

from __future__ import annotations

import time

import streamlit as st

from dashboard import widgets
from dashboard.i18n import Language
from dashboard.page import page_setup
from dashboard.playlist import Playlist, PlaylistError, parse_playlist
from dashboard.services import ServiceDown, get_settings, outage_since, wall_snapshot
from dashboard.wall_data import WallSnapshot

LAST_SNAPSHOT = "gmd_wall_last"

user, lang = page_setup("viewer", kiosk_allowed=True)
settings = get_settings()
try:
    playlist = parse_playlist(
        st.query_params.get("playlist"),
        st.query_params.get("every"),
        st.query_params.get("line"),
        settings.screens.playlist_every_s,
    )
except PlaylistError as exc:
    st.error(str(exc))
    st.stop()


def draw(
    snapshot: WallSnapshot, outage: tuple[float, str] | None, view: str | None, lang: Language
) -> None:
    tz = settings.screens.timezone
    widgets.header(snapshot, view, lang, tz)
    widgets.banners(snapshot.feeds, outage, lang, tz)
    widgets.kpi_tiles(snapshot, settings, lang)
    left, right = st.columns([0.6, 0.4], gap="small")
    with left:
        widgets.obstacles_panel(snapshot, lang, tz, time.time())
    with right:
        widgets.voices_panel(snapshot, lang, tz)
    widgets.contacts_panel(snapshot, lang, tz, height=250)


@st.fragment(run_every=settings.refresh_s)
def live_wall(playlist: Playlist, lang: Language) -> None:
    view = playlist.view_at(time.time())
    outage: tuple[float, str] | None = None
    snapshot: WallSnapshot | None
    try:
        snapshot = wall_snapshot(view)
        st.session_state[LAST_SNAPSHOT] = snapshot
    except ServiceDown as exc:
        outage = (outage_since() or time.time(), exc.part)
        snapshot = st.session_state.get(LAST_SNAPSHOT)
        if snapshot is None or snapshot.business_line != view:
            widgets.header(None, view, lang, settings.screens.timezone)
            widgets.banners([], outage, lang, settings.screens.timezone)
            return
    assert snapshot is not None
    draw(snapshot, outage, view, lang)


live_wall(playlist, lang)
