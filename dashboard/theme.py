"""The war-room look: dark, large type, no chrome in kiosk mode, no fading on refresh.

The colours live in ``.streamlit/config.toml`` (Streamlit's dark theme); this
module adds what a wall across a room needs: type sized to the screen, no header,
toolbar or sidebar when the URL says ``?kiosk=1``, and no grey-out of elements
while a fragment refreshes (that fade is what people see as flicker).  A 4K wall
gets the same layout as a 1080p one at twice the size (CSS ``zoom`` by width), on
every page.
"""

from __future__ import annotations

import streamlit as st

BASE_CSS = """
<style>
[data-stale="true"], [data-testid="stElementContainer"][data-stale="true"] {
  opacity: 1 !important; transition: none !important; }
.stApp [data-testid="stStatusWidget"] { visibility: hidden; }
.gmd-tile { background:#141a24; border-top:4px solid #5dade2; border-radius:6px;
  padding:6px 10px 4px 10px; height:8.4rem; overflow:hidden; }
.gmd-tile-label { font-size:0.95rem; color:#aab4c3; white-space:nowrap; overflow:hidden;
  text-overflow:ellipsis; }
.gmd-tile-value { font-size:2.1rem; font-weight:700; line-height:1.15;
  font-variant-numeric: tabular-nums; }
.gmd-tile-target { font-size:0.8rem; color:#8894a6; height:1rem; }
.gmd-spark { width:100%; height:2.1rem; display:block; margin-top:4px; }
.gmd-card { background:#141a24; border-left:6px solid #5dade2; border-radius:6px;
  padding:6px 10px; margin-bottom:8px; height:9.6rem; overflow:hidden; }
.gmd-card-head { display:flex; align-items:center; gap:8px; font-size:1.15rem; font-weight:600; }
.gmd-card-title { flex:1; white-space:nowrap; overflow:hidden; text-overflow:ellipsis; }
.gmd-card-ratio { font-size:1.5rem; font-weight:800; }
.gmd-sev { color:#0e1117; border-radius:4px; padding:0 6px; font-size:0.85rem; }
.gmd-card-meta { font-size:0.85rem; color:#aab4c3; margin:2px 0 4px 0; white-space:nowrap;
  overflow:hidden; text-overflow:ellipsis; }
.gmd-acked { color:#2ecc71; } .gmd-unacked { color:#ff8c1a; }
.gmd-card-body { display:flex; gap:8px; }
.gmd-card-quotes { flex:1; min-width:0; }
.gmd-card-body .gmd-spark { width:9rem; height:3rem; flex:none; }
.gmd-verbatim { font-size:0.9rem; color:#dfe6ee; white-space:nowrap; overflow:hidden;
  text-overflow:ellipsis; }
.gmd-banners { display:flex; flex-wrap:wrap; gap:6px; }
.gmd-banner { padding:3px 12px; border-radius:4px; font-weight:600; }
.gmd-banner-stale { background:#5c4300; color:#ffd36b; }
.gmd-banner-down { background:#5c0f12; color:#ffb3b5; }
.gmd-voice { font-size:0.9rem; white-space:nowrap; overflow:hidden; text-overflow:ellipsis;
  border-bottom:1px solid #222b38; padding:2px 0; }
.gmd-voice-meta { color:#8894a6; }
.gmd-title { font-size:1.6rem; font-weight:700; }
.gmd-clock { font-size:1.1rem; color:#aab4c3; text-align:right; }
.gmd-panel-title { font-size:1.2rem; font-weight:700; color:#dfe6ee; margin:0 0 4px 0; }
.gmd-empty { color:#7f8c8d; font-size:1rem; padding:8px 0; }
.gmd-middle { display:grid; grid-template-columns:3fr 2fr; gap:12px; margin-top:6px; }
.gmd-left, .gmd-right { min-width:0; }
.gmd-chart { display:block; width:100%; height:auto; }
.gmd-legend { display:flex; flex-wrap:wrap; gap:14px; font-size:0.85rem; color:#aab4c3; }
.gmd-legend i { display:inline-block; width:14px; height:3px; margin:0 5px 4px 0;
  vertical-align:middle; }
.gmd-wall .gmd-tiles { margin-top:6px; }
@media (min-width: 2400px) { .stApp { zoom:1.5; } }
@media (min-width: 3000px) { .stApp { zoom:2; } }
</style>
"""

KIOSK_CSS = """
<style>
header[data-testid="stHeader"], [data-testid="stToolbar"], [data-testid="stSidebar"],
[data-testid="stSidebarCollapsedControl"], [data-testid="stDecoration"], footer,
[data-testid="stSidebarNav"] { display:none !important; }
html, body, .stApp { overflow:hidden !important; }
.stMainBlockContainer, .block-container { padding:0.6rem 1rem 0 1rem !important;
  max-width:100% !important; }
[data-testid="stVerticalBlock"] { gap:0.45rem !important; }
</style>
"""


def query_flag(name: str) -> bool:
    return st.query_params.get(name, "") in ("1", "true", "yes", "on")


def is_kiosk() -> bool:
    """``?kiosk=1`` (or Streamlit's ``?embed=true``) turns the wall into a kiosk."""
    return query_flag("kiosk") or query_flag("embed")


def apply(kiosk: bool) -> None:
    """Inject the war-room CSS (and the kiosk CSS when asked)."""
    st.html(BASE_CSS + (KIOSK_CSS if kiosk else ""))
