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
@media (min-width: 2400px) { .stApp { zoom:1.5; } }
@media (min-width: 3000px) { .stApp { zoom:2; } }
</style>
"""

WALL_CSS = """
<style>
.stMainBlockContainer, .block-container { padding:var(--gmd-top) 1rem 0 1rem !important;
  max-width:100% !important; }
.stMain [data-testid="stVerticalBlock"] { gap:0 !important; }
.gmd-wall { height:calc(100vh / var(--gmd-zoom, 1) - var(--gmd-top) - 0.4rem);
  display:flex; flex-direction:column; gap:0.4rem; overflow:hidden; font-size:1rem; }
.gmd-header { display:flex; justify-content:space-between; align-items:baseline; gap:1rem; }
.gmd-title { font-size:1.45rem; font-weight:700; white-space:nowrap; overflow:hidden;
  text-overflow:ellipsis; }
.gmd-clock { font-size:1.15rem; color:#aab4c3; white-space:nowrap; }
.gmd-headline { display:flex; align-items:center; justify-content:space-between; gap:1rem;
  border:2px solid #5dade2; border-radius:8px; padding:0.15rem 0.9rem; background:#141a24; }
.gmd-verdict { font-size:1.7rem; font-weight:800; white-space:nowrap; overflow:hidden;
  text-overflow:ellipsis; }
.gmd-chips { display:flex; gap:0.6rem; flex:none; }
.gmd-chip { border:2px solid; border-radius:999px; padding:0 0.8rem; font-size:1.15rem;
  color:#dfe6ee; white-space:nowrap; }
.gmd-chip b { font-size:1.45rem; font-variant-numeric:tabular-nums; }
.gmd-banners { display:flex; flex-wrap:wrap; gap:6px; }
.gmd-banners:empty { display:none; }
.gmd-banner { padding:3px 12px; border-radius:4px; font-weight:600; font-size:1.1rem; }
.gmd-banner-stale { background:#5c4300; color:#ffd36b; }
.gmd-banner-down { background:#5c0f12; color:#ffb3b5; }
.gmd-banner-behind { background:#1d3550; color:#bfe0ff; }
.gmd-tiles { display:grid; grid-template-columns:repeat(8, minmax(0, 1fr)); gap:8px;
  flex:none; }
.gmd-tile { background:#141a24; border-top:4px solid #5dade2; border-radius:6px;
  padding:4px 10px 2px 10px; height:7.4rem; overflow:hidden; }
.gmd-tile-label { font-size:1.1rem; color:#c3ccd8; white-space:nowrap; overflow:hidden;
  text-overflow:ellipsis; }
.gmd-tile-value { font-size:2.2rem; font-weight:700; line-height:1.15;
  font-variant-numeric: tabular-nums; white-space:nowrap; }
.gmd-tile-target { font-size:0.95rem; color:#aab4c3; height:1.2rem; white-space:nowrap;
  overflow:hidden; text-overflow:ellipsis; }
.gmd-spark { width:100%; height:1.6rem; display:block; margin-top:2px; }
.gmd-middle { display:grid; grid-template-columns:minmax(0, 3fr) minmax(0, 2fr); gap:14px;
  flex:1 1 0; min-height:0; }
.gmd-left, .gmd-right { min-width:0; min-height:0; display:flex; flex-direction:column;
  overflow:hidden; }
.gmd-panel-title { font-size:1.25rem; font-weight:700; color:#dfe6ee; margin:0 0 4px 0;
  white-space:nowrap; overflow:hidden; text-overflow:ellipsis; flex:none; }
.gmd-obstacles { display:grid; grid-template-columns:repeat(2, minmax(0, 1fr));
  grid-template-rows:repeat(3, minmax(0, 1fr)); gap:8px; flex:1 1 0; min-height:0; }
.gmd-card { background:#141a24; border-left:6px solid #5dade2; border-radius:6px;
  padding:4px 10px; overflow:hidden; min-height:0; display:flex; flex-direction:column; }
.gmd-card-head { display:flex; align-items:center; gap:8px; font-size:1.2rem; font-weight:700; }
.gmd-card-title { flex:1; white-space:nowrap; overflow:hidden; text-overflow:ellipsis; }
.gmd-card-impact { font-size:1.5rem; font-weight:800; white-space:nowrap;
  font-variant-numeric:tabular-nums; }
.gmd-sev { color:#0e1117; border-radius:4px; padding:0 6px; font-size:1rem; flex:none; }
.gmd-card-meta { font-size:1rem; color:#c3ccd8; margin:1px 0 2px 0; white-space:nowrap;
  overflow:hidden; text-overflow:ellipsis; }
.gmd-card-detail { color:#dfe6ee; font-weight:600; margin-right:0.6rem; }
.gmd-card-detail:empty { display:none; }
.gmd-acked { color:#2ecc71; } .gmd-unacked { color:#ff8c1a; }
.gmd-card-body { display:flex; gap:8px; min-height:0; overflow:hidden; }
.gmd-card-quotes { flex:1; min-width:0; }
.gmd-card-body .gmd-spark { width:7rem; height:2.6rem; flex:none; }
.gmd-verbatim { font-size:1.15rem; line-height:1.45; color:#eef2f6; white-space:nowrap;
  overflow:hidden; text-overflow:ellipsis; }
.gmd-strip { flex:none; margin-top:8px; }
.gmd-more { color:#aab4c3; font-weight:400; font-size:1rem; margin-left:0.8rem; }
.gmd-convo { display:flex; align-items:center; gap:0.6rem; font-size:1.1rem; line-height:1.6;
  white-space:nowrap; overflow:hidden; border-bottom:1px solid #222b38; }
.gmd-dot { width:0.7rem; height:0.7rem; border-radius:50%; flex:none; }
.gmd-convo-time { flex:none; font-variant-numeric:tabular-nums; }
.gmd-convo-title { flex:none; font-weight:600; }
.gmd-convo-text { overflow:hidden; text-overflow:ellipsis; color:#c3ccd8; }
.gmd-voice { font-size:1.15rem; line-height:1.5; white-space:nowrap; overflow:hidden;
  text-overflow:ellipsis; border-bottom:1px solid #222b38; }
.gmd-voice-meta { color:#aab4c3; }
.gmd-empty { color:#8f9aa8; font-size:1.1rem; padding:6px 0; }
.gmd-chart.gmd-empty { display:flex; align-items:center; justify-content:center; }
.gmd-chart-share { flex:1 1 0; min-height:5rem; }
.gmd-chart-contacts { height:11rem; flex:none; }
.gmd-plot { position:relative; }
.gmd-plot-area { position:absolute; top:1.1rem; right:1rem; bottom:1.7rem; left:4.2rem; }
.gmd-plot-img { position:absolute; inset:0; width:100%; height:100%; display:block; }
.gmd-ylabel, .gmd-xlabel, .gmd-marker { position:absolute; font-size:1rem; color:#c3ccd8;
  white-space:nowrap; line-height:1; font-variant-numeric:tabular-nums; }
.gmd-ylabel { transform:translate(calc(-100% - 8px), -50%); }
.gmd-xlabel { transform:translate(-50%, 6px); }
.gmd-marker { transform:translate(-50%, -100%); font-size:1.1rem; }
.gmd-bars { flex:none; margin-bottom:6px; }
.gmd-bar { display:flex; align-items:center; gap:8px; font-size:1.05rem; line-height:1.45; }
.gmd-bar-name { width:5.5rem; text-align:right; color:#c3ccd8; white-space:nowrap;
  overflow:hidden; text-overflow:ellipsis; flex:none; }
.gmd-bar-track { flex:1; display:flex; height:0.9rem; }
.gmd-bar-track i { display:block; height:100%; }
.gmd-bar-total { width:4rem; color:#c3ccd8; font-variant-numeric:tabular-nums; flex:none; }
.gmd-bottom { flex:none; }
.gmd-legend { display:flex; flex-wrap:wrap; gap:18px; font-size:1.05rem; color:#c3ccd8; }
.gmd-legend i { display:inline-block; width:18px; height:4px; margin:0 6px 4px 0;
  vertical-align:middle; }
@media (min-width: 2400px) { .stApp { --gmd-zoom:1.5; } }
@media (min-width: 3000px) { .stApp { --gmd-zoom:2; } }
</style>
"""

KIOSK_CSS = """
<style>
header[data-testid="stHeader"], [data-testid="stToolbar"], [data-testid="stSidebar"],
[data-testid="stSidebarCollapsedControl"], [data-testid="stDecoration"], footer,
[data-testid="stSidebarNav"] { display:none !important; }
html, body, .stApp { overflow:hidden !important; }
.stApp { --gmd-top:0.5rem; }
</style>
"""


def query_flag(name: str) -> bool:
    return st.query_params.get(name, "") in ("1", "true", "yes", "on")


def is_kiosk() -> bool:
    """``?kiosk=1`` (or Streamlit's ``?embed=true``) turns the wall into a kiosk."""
    return query_flag("kiosk") or query_flag("embed")


def apply(kiosk: bool, wall: bool = False) -> None:
    """Inject the war-room CSS (and the wall's and the kiosk's when asked)."""
    st.html(BASE_CSS + (WALL_CSS + SIDEBAR_TOP if wall else "") + (KIOSK_CSS if kiosk else ""))


SIDEBAR_TOP = "<style>.stApp { --gmd-top:3.9rem; }</style>"
"""Beside the sidebar Streamlit's header (3.75rem) stays: the wall starts under it."""
