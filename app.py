"""Streamlit entry point: page configuration and the page list, nothing else.

Each page checks its own role (``dashboard.page.page_setup``); this file only says
which pages exist.  Add a page by adding one ``st.Page`` line to ``PAGES``.

The page files live in ``pages/``, which Streamlit also reads as an old-style multipage
app until this file has run ``st.navigation`` once; ``dashboard.page.run_inside_app``
(the first thing every page does) brings a deep link opened before that back here.
"""

from __future__ import annotations

import streamlit as st

from dashboard.theme import is_kiosk

st.set_page_config(
    page_title="光明顶 Guangmingding",
    page_icon=":material/landscape:",
    layout="wide",
    initial_sidebar_state="collapsed" if is_kiosk() else "auto",
)

PAGES = [
    st.Page(
        "pages/wall.py",
        title="作战大屏 Wall",
        icon=":material/tv:",
        url_path="wall",
        default=True,
    ),
    st.Page(
        "pages/console.py",
        title="值班台 Console",
        icon=":material/notifications_active:",
        url_path="console",
    ),
    st.Page("pages/review.py", title="复盘 Review", icon=":material/analytics:", url_path="review"),
    st.Page(
        "pages/listen.py", title="亲听 Listen", icon=":material/headphones:", url_path="listen"
    ),
    st.Page("pages/radio.py", title="9点电台 Radio", icon=":material/radio:", url_path="radio"),
]

st.navigation(PAGES, position="hidden" if is_kiosk() else "sidebar").run()
