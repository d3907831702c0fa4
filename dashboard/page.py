"""What every page does first: theme, the role check, the sidebar (language, user).

Pages (the wall, the console, the review, and H6's listen and radio pages) start
with ``user = page_setup("lead")`` and then only lay out widgets and call services.
"""

from __future__ import annotations

import streamlit as st
from streamlit.runtime.pages_manager import PagesManager

from dashboard import theme
from dashboard.auth import require_role, user_box
from dashboard.i18n import Language, current_language, language_switch
from dashboard.services import freeze_heap, get_settings
from dashboard.users import Role, User


def page_setup(role: Role | str, *, kiosk_allowed: bool = False) -> tuple[User, Language]:
    """Apply the theme, stop unless the visitor's role allows ``role``, draw the sidebar.

    ``kiosk_allowed``: the page honours ``?kiosk=1`` (no chrome, no sidebar)."""
    run_inside_app()
    freeze_heap()
    settings = get_settings()
    kiosk = kiosk_allowed and theme.is_kiosk()
    theme.apply(kiosk, wall=kiosk_allowed)
    user = require_role(role, kiosk_allowed=kiosk_allowed)
    if not kiosk:
        language_switch(settings.language)
        user_box(user)
    return user, current_language(settings.language)


def run_inside_app() -> None:
    """Rerun a page file that Streamlit ran on its own, this time through ``app.py``.

    Until ``app.py`` has called ``st.navigation`` once in a process, Streamlit takes a
    ``pages/`` folder beside it for an old-style multipage app: the first visitor after a
    start who opens a deep link (``/console?alert=7``, a ring's link) gets the page file
    alone — no page configuration, file names in the sidebar.  Switching that mode off and
    rerunning keeps the page (its hash is its ``url_path``'s, the same in both modes) and
    the query string, and runs ``app.py``'s navigation from then on, for every session.
    """
    if PagesManager.uses_pages_directory:
        PagesManager.uses_pages_directory = False
        st.rerun()
