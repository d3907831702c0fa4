"""HTML fragments for the wall: inert customer text, SVG sparklines, tiles and cards.

The wall draws its tiles and obstacle cards as one small HTML string each, rather
than dozens of Streamlit elements, so a refresh is cheap and does not flicker.
Anything that did not come from this module — customer verbatims, names, labels —
passes through :func:`plain`, which turns every character that HTML, Markdown,
LaTeX or Streamlit's ``:colour[...]`` directives could interpret into a numeric
entity: customer text is always shown as the characters typed, never rendered.
"""

from __future__ import annotations

import base64
import math
from collections.abc import Sequence

from dashboard.kpis import Status

STATUS_COLOURS: dict[Status, str] = {
    Status.GOOD: "#2ecc71",
    Status.WARN: "#f5b041",
    Status.BAD: "#ff4d4f",
    Status.PLAIN: "#5dade2",
    Status.MISSING: "#7f8c8d",
}

SEVERITY_COLOURS: dict[str, str] = {
    "critical": "#ff4d4f",
    "major": "#ff8c1a",
    "minor": "#f5d041",
    "info": "#5dade2",
}


def plain(text: object, max_chars: int | None = None) -> str:
    """``text`` as inert HTML: letters, digits and CJK as they are, everything else
    (``< > & * _ [ ] $ : ` # \\`` …) as a numeric entity, line breaks as spaces."""
    value = " ".join(str(text).split())
    if max_chars is not None and len(value) > max_chars:
        value = value[: max_chars - 1] + "…"
    return "".join(ch if ch.isalnum() or ch == " " else f"&#{ord(ch)};" for ch in value)


def sparkline_svg(
    values: Sequence[float | None], colour: str, *, width: int = 160, height: int = 36
) -> str:
    """A sparkline of ``values`` (gaps skipped) as an ``<img>`` holding an SVG data URI
    (Streamlit's HTML sanitiser drops inline ``<svg>``, but keeps data-URI images)."""
    points = [
        (i, float(v)) for i, v in enumerate(values) if v is not None and not math.isnan(float(v))
    ]
    line = ""
    if len(points) >= 2:
        low = min(v for _, v in points)
        span = (max(v for _, v in points) - low) or 1.0
        last = max(len(values) - 1, 1)
        pad = 2
        coords = " ".join(
            f"{i / last * width:.1f},{height - pad - (v - low) / span * (height - 2 * pad):.1f}"
            for i, v in points
        )
        line = (
            f'<polyline fill="none" stroke="{colour}" stroke-width="2" '
            f'vector-effect="non-scaling-stroke" points="{coords}"/>'
        )
    svg = (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'preserveAspectRatio="none">{line}</svg>'
    )
    encoded = base64.b64encode(svg.encode("ascii")).decode("ascii")
    return f'<img class="gmd-spark" alt="" src="data:image/svg+xml;base64,{encoded}"/>'


def kpi_tile_html(
    label: str, value: str, status: Status, target: str | None, spark: Sequence[float | None]
) -> str:
    colour = STATUS_COLOURS[status]
    target_html = f'<div class="gmd-tile-target">{plain(target)}</div>' if target else ""
    return (
        f'<div class="gmd-tile gmd-{status.value}" style="border-top-color:{colour}">'
        f'<div class="gmd-tile-label">{plain(label)}</div>'
        f'<div class="gmd-tile-value" style="color:{colour}">{plain(value)}</div>'
        f"{target_html}{sparkline_svg(spark, colour)}</div>"
    )


def obstacle_card_html(
    *,
    severity: str,
    severity_label: str,
    title: str,
    impact_text: str,
    detail_text: str,
    since_text: str,
    ack_text: str,
    acknowledged: bool,
    trend: Sequence[float | None],
    verbatims: Sequence[str],
    alert_id: str,
) -> str:
    """One experience obstacle: what, how many customers, since when, whose words, who
    acted."""
    colour = SEVERITY_COLOURS.get(severity, "#5dade2")
    quotes = "".join(f'<div class="gmd-verbatim">“{plain(v, 90)}”</div>' for v in verbatims)
    ack_class = "gmd-acked" if acknowledged else "gmd-unacked"
    return (
        f'<div class="gmd-card" data-alert="{plain(alert_id)}" '
        f'data-acknowledged="{str(acknowledged).lower()}" style="border-left-color:{colour}">'
        f'<div class="gmd-card-head"><span class="gmd-sev" style="background:{colour}">'
        f"{plain(severity_label)}</span>"
        f'<span class="gmd-card-title">{plain(title)}</span>'
        f'<span class="gmd-card-impact" style="color:{colour}">{plain(impact_text)}</span></div>'
        f'<div class="gmd-card-meta"><span class="gmd-card-detail">{plain(detail_text)}</span>'
        f'{plain(since_text)} · <span class="{ack_class}">{plain(ack_text)}</span></div>'
        f'<div class="gmd-card-body"><div class="gmd-card-quotes">{quotes}</div>'
        f"{sparkline_svg(trend, colour, width=120, height=40)}</div></div>"
    )


def conversation_row_html(
    *,
    severity: str,
    title: str,
    excerpt: str,
    time_text: str,
    acknowledged: bool,
    alert_id: str,
) -> str:
    """One single-conversation risk in the compact strip: one line, no chart."""
    colour = SEVERITY_COLOURS.get(severity, "#5dade2")
    ack_class = "gmd-acked" if acknowledged else "gmd-unacked"
    return (
        f'<div class="gmd-convo" data-alert="{plain(alert_id)}" '
        f'data-acknowledged="{str(acknowledged).lower()}">'
        f'<i class="gmd-dot" style="background:{colour}"></i>'
        f'<span class="gmd-convo-time {ack_class}">{plain(time_text)}</span>'
        f'<span class="gmd-convo-title">{plain(title)}</span>'
        f'<span class="gmd-convo-text">“{plain(excerpt, 80)}”</span></div>'
    )


def headline_html(state: str, verdict: str, chips: Sequence[tuple[str, str, int, str]]) -> str:
    """The wall's answer to "is anything on fire, and is someone on it": a verdict in
    the state's colour and the counts behind it, chips of (key, label, count, colour)."""
    items = "".join(
        f'<span class="gmd-chip" data-count="{plain(key)}" style="border-color:{colour}">'
        f'<b style="color:{colour}">{count}</b> {plain(label)}</span>'
        for key, label, count, colour in chips
    )
    return (
        f'<div class="gmd-headline" data-testid="gmd-headline" data-state="{plain(state)}" '
        f'style="border-color:{HEADLINE_COLOURS.get(state, "#5dade2")}">'
        f'<span class="gmd-verdict" style="color:{HEADLINE_COLOURS.get(state, "#dfe6ee")}">'
        f'{plain(verdict)}</span><span class="gmd-chips">{items}</span></div>'
    )


def banner_html(kind: str, text: str) -> str:
    """A one-line banner: ``stale`` (amber), ``down`` (red) or ``behind`` (blue)."""
    return f'<div class="gmd-banner gmd-banner-{kind}" data-banner="{kind}">⚠ {plain(text)}</div>'


def voice_line_html(source: str, time_text: str, text: str, line: str = "") -> str:
    return (
        f'<div class="gmd-voice" data-line="{plain(line)}">'
        f'<span class="gmd-voice-meta">{plain(time_text)} · '
        f"{plain(source)}</span> {plain(text, 120)}</div>"
    )


HEADLINE_COLOURS: dict[str, str] = {
    "fire": "#ff4d4f",
    "waiting": "#ff8c1a",
    "handled": "#2ecc71",
    "clear": "#2ecc71",
}
