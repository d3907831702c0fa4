"""The wall's charts: geometry as an SVG picture, every word and number as HTML.

A wall nobody touches needs no hover or zoom, and fifty walls refreshing every few
seconds must not cost fifty Plotly payloads.  So a chart is one ``<img>`` holding an
SVG data URI (Streamlit's HTML sanitiser drops inline ``<svg>``) for the lines and
areas, stretched to the box the layout gives it, and HTML labels placed over it in
percent of that box.  Text is not drawn inside the SVG on purpose: an SVG image
cannot use the page's web fonts (Chinese would need fonts on the kiosk's own
machine) and its text would shrink with the picture (axis labels of ~10 px at
1920x1080); as HTML it uses the fonts the app serves and the sizes the stylesheet
sets for a room.  Every label passes through :func:`dashboard.markup.plain`.
"""

from __future__ import annotations

import base64
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from dashboard.markup import plain

GRID = "#222b38"
VIEW_W = 1000.0
VIEW_H = 100.0


@dataclass(frozen=True)
class Line:
    name: str
    colour: str
    values: Sequence[float | None]
    fill: bool = False


def nice_max(value: float) -> float:
    """A round axis top at or above ``value`` (1, 2, 2.5, 5 x 10^k)."""
    if value <= 0:
        return 1.0
    power = 10 ** math.floor(math.log10(value))
    return float(next(m * power for m in (1, 2, 2.5, 5, 10) if m * power >= value))


def grid_steps(top: float) -> int:
    """Grid lines at round values: 2 → 0.5 steps (4), 1, 2.5 and 5 → fifths."""
    mantissa = top / 10 ** math.floor(math.log10(top))
    return 4 if round(mantissa) == 2 and mantissa < 2.4 else 5


def _fmt(value: float) -> str:
    return f"{value:,.0f}" if value >= 10 or value == int(value) else f"{value:.1f}"


def _picture(parts: Sequence[str]) -> str:
    svg = (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {VIEW_W:.0f} {VIEW_H:.0f}" '
        f'preserveAspectRatio="none">' + "".join(parts) + "</svg>"
    )
    data = base64.b64encode(svg.encode("utf-8")).decode("ascii")
    return f'<img class="gmd-plot-img" alt="" src="data:image/svg+xml;base64,{data}"/>'


def _runs(
    values: Sequence[float | None], x: Callable[[float], float], y: Callable[[float], float]
) -> list[list[tuple[float, float]]]:
    """The values' unbroken runs of two points or more, as picture coordinates."""
    runs: list[list[tuple[float, float]]] = [[]]
    for i, v in enumerate(values):
        if v is None:
            runs.append([])
        else:
            runs[-1].append((x(i), y(v)))
    return [run for run in runs if len(run) >= 2]


def _label(css: str, left: float, top: float, text: str, colour: str | None = None) -> str:
    style = f"left:{left:.2f}%;top:{top:.2f}%" + (f";color:{colour}" if colour else "")
    return f'<span class="{css}" style="{style}">{plain(text)}</span>'


def line_chart(
    lines: Sequence[Line],
    x_ticks: Sequence[tuple[float, str]],
    *,
    suffix: str = "",
    markers: Sequence[tuple[float, str]] = (),
    css_class: str = "",
) -> str:
    """Lines (or filled areas) over a shared x axis; ``markers`` are (x index, colour)
    triangles along the top (alert onsets).  The box's size comes from the stylesheet."""
    count = max(max((len(line.values) for line in lines), default=0), 2)
    peak = max((v for line in lines for v in line.values if v is not None), default=0.0)
    top = nice_max(peak * 1.05)

    def x(index: float) -> float:
        return index / (count - 1) * VIEW_W

    def y(value: float) -> float:
        return VIEW_H - value / top * VIEW_H

    parts: list[str] = []
    labels: list[str] = []
    steps = grid_steps(top)
    for step in range(steps + 1):
        value = top * step / steps
        parts.append(
            f'<line x1="0" x2="{VIEW_W:.0f}" y1="{y(value):.2f}" y2="{y(value):.2f}" '
            f'stroke="{GRID}" vector-effect="non-scaling-stroke"/>'
        )
        labels.append(_label("gmd-ylabel", 0, y(value), _fmt(value) + suffix))
    for index, text in x_ticks:
        labels.append(_label("gmd-xlabel", x(index) / VIEW_W * 100, 100, text))
    for line in lines:
        for points in _runs(line.values, x, y):  # a gap in the data is a gap in the line
            coords = " ".join(f"{px:.1f},{py:.2f}" for px, py in points)
            if line.fill:
                area = f"{points[0][0]:.1f},{VIEW_H:.0f} {coords} {points[-1][0]:.1f},{VIEW_H:.0f}"
                parts.append(f'<polygon points="{area}" fill="{line.colour}" opacity="0.35"/>')
            parts.append(
                f'<polyline points="{coords}" fill="none" stroke="{line.colour}" '
                'stroke-width="3" vector-effect="non-scaling-stroke" stroke-linejoin="round"/>'
            )
    for index, colour in markers:
        labels.append(_label("gmd-marker", x(index) / VIEW_W * 100, 0, "▼", colour))
    return (
        f'<div class="gmd-plot {css_class}"><div class="gmd-plot-area">'
        + _picture(parts)
        + "".join(labels)
        + "</div></div>"
    )


def stacked_bars(
    rows: Sequence[tuple[str, float, float]],
    *,
    colours: tuple[str, str] = ("#5dade2", "#ec7063"),
    css_class: str = "",
) -> str:
    """Horizontal bars, one per (label, first part, second part), largest first, as
    HTML rows (name, two coloured parts, total)."""
    ordered = sorted(rows, key=lambda r: r[1] + r[2], reverse=True)
    top = max((a + b for _, a, b in ordered), default=0.0) or 1.0
    out = []
    for name, first, second in ordered:
        w1, w2 = first / top * 100, second / top * 100
        out.append(
            f'<div class="gmd-bar"><span class="gmd-bar-name">{plain(name)}</span>'
            f'<span class="gmd-bar-track"><i style="width:{w1:.1f}%;background:{colours[0]}">'
            f'</i><i style="width:{w2:.1f}%;background:{colours[1]}"></i></span>'
            f'<span class="gmd-bar-total">{plain(_fmt(first + second))}</span></div>'
        )
    return f'<div class="gmd-bars {css_class}">' + "".join(out) + "</div>"


def legend_html(items: Sequence[tuple[str, str]]) -> str:
    """Coloured names above a chart (HTML, so it wraps and scales with the page)."""
    return (
        '<div class="gmd-legend">'
        + "".join(
            f'<span><i style="background:{colour}"></i>{plain(name)}</span>'
            for name, colour in items
        )
        + "</div>"
    )
