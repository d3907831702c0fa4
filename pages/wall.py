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
from dashboard.services import ServiceDown, get_settings, outage_since, wall
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


def show_outage(view: str | None, outage: tuple[float, str], lang: Language) -> None:
    """The last snapshot of this view under a red banner (or just the banner)."""
    last = st.session_state.get(LAST_SNAPSHOT)
    if isinstance(last, WallSnapshot) and last.business_line == view:
        widgets.show_wall(widgets.build_wall(last, outage, view, lang, settings))
    else:
        widgets.show_outage_only(view, outage, lang, settings.screens.timezone)


@st.fragment(run_every=settings.refresh_s)
def live_wall(playlist: Playlist, lang: Language) -> None:
    view = playlist.view_at(time.time())
    try:
        snapshot, built = wall(view, lang)
    except ServiceDown as exc:
        show_outage(view, (outage_since() or time.time(), exc.part), lang)
        return
    st.session_state[LAST_SNAPSHOT] = snapshot
    widgets.show_wall(built)


live_wall(playlist, lang)
