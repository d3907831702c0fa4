"""The wall's charts as SVG images, drawn on the server.

A wall nobody touches needs no hover or zoom, and fifty walls refreshing every few
seconds must not cost fifty Plotly payloads, validations and browser re-layouts.
So the wall's three charts are SVG pictures inside the wall's one HTML block (as
``data:`` images: Streamlit's HTML sanitiser drops inline ``<svg>``): one element,
one message per refresh, nothing to flicker.  Every label passes through
:func:`dashboard.markup.plain`.  (The console and review keep interactive Plotly.)
"""

from __future__ import annotations

import base64
import math
from collections.abc import Sequence
from dataclasses import dataclass, field

from dashboard.markup import plain

FONT = 'font-family="Noto Sans CJK SC, Source Sans Pro, sans-serif"'
GRID = "#222b38"
TEXT = "#aab4c3"


@dataclass(frozen=True)
class Line:
    name: str
    colour: str
    values: Sequence[float | None]
    fill: bool = False


@dataclass(frozen=True)
class Frame:
    """Plot area inside a ``width`` x ``height`` picture, with margins for labels."""

    width: int
    height: int
    left: int = 46
    right: int = 24
    top: int = 16
    bottom: int = 22
    y_max: float = 1.0
    x_count: int = 2
    parts: list[str] = field(default_factory=list)

    def x(self, index: float) -> float:
        span = max(self.x_count - 1, 1)
        return self.left + index / span * (self.width - self.left - self.right)

    def y(self, value: float) -> float:
        usable = self.height - self.top - self.bottom
        return self.top + usable - value / self.y_max * usable


def nice_max(value: float) -> float:
    """A round axis top at or above ``value`` (1, 2, 2.5, 5 x 10^k)."""
    if value <= 0:
        return 1.0
    power = 10 ** math.floor(math.log10(value))
    return float(next(m * power for m in (1, 2, 2.5, 5, 10) if m * power >= value))


def _fmt(value: float) -> str:
    return f"{value:,.0f}" if value >= 10 or value == int(value) else f"{value:.1f}"


def _image(frame: Frame, css_class: str) -> str:
    svg = (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {frame.width} {frame.height}" '
        f'{FONT} font-size="12">' + "".join(frame.parts) + "</svg>"
    )
    data = base64.b64encode(svg.encode("utf-8")).decode("ascii")
    return f'<img class="gmd-chart {css_class}" alt="" src="data:image/svg+xml;base64,{data}"/>'


def _y_grid(frame: Frame, suffix: str) -> None:
    for step in range(6):
        value = frame.y_max * step / 5
        y = frame.y(value)
        frame.parts.append(
            f'<line x1="{frame.left}" x2="{frame.width - frame.right}" y1="{y:.1f}" y2="{y:.1f}" '
            f'stroke="{GRID}"/><text x="{frame.left - 6}" y="{y + 4:.1f}" fill="{TEXT}" '
            f'text-anchor="end">{plain(_fmt(value) + suffix)}</text>'
        )


def line_chart(
    lines: Sequence[Line],
    x_ticks: Sequence[tuple[float, str]],
    *,
    width: int,
    height: int,
    suffix: str = "",
    markers: Sequence[tuple[float, str]] = (),
    css_class: str = "",
) -> str:
    """Lines (or filled areas) over a shared x axis; ``markers`` are (x index, colour)
    triangles along the top (alert onsets)."""
    count = max((len(line.values) for line in lines), default=0)
    peak = max((v for line in lines for v in line.values if v is not None), default=0.0)
    frame = Frame(width, height, y_max=nice_max(peak * 1.05), x_count=max(count, 2))
    _y_grid(frame, suffix)
    for index, text in x_ticks:
        frame.parts.append(
            f'<text x="{frame.x(index):.1f}" y="{height - 6}" fill="{TEXT}" '
            f'text-anchor="middle">{plain(text)}</text>'
        )
    base = frame.y(0)
    for line in lines:
        points = [(frame.x(i), frame.y(v)) for i, v in enumerate(line.values) if v is not None]
        if len(points) < 2:
            continue
        coords = " ".join(f"{x:.1f},{y:.1f}" for x, y in points)
        if line.fill:
            area = f"{points[0][0]:.1f},{base:.1f} {coords} {points[-1][0]:.1f},{base:.1f}"
            frame.parts.append(f'<polygon points="{area}" fill="{line.colour}" opacity="0.35"/>')
        frame.parts.append(
            f'<polyline points="{coords}" fill="none" stroke="{line.colour}" stroke-width="2"/>'
        )
    for index, colour in markers:
        x = frame.x(index)
        frame.parts.append(
            f'<polygon points="{x - 6:.1f},2 {x + 6:.1f},2 {x:.1f},12" fill="{colour}"/>'
        )
    return _image(frame, css_class)


def stacked_bars(
    rows: Sequence[tuple[str, float, float]],
    *,
    width: int,
    height: int,
    colours: tuple[str, str] = ("#5dade2", "#ec7063"),
    css_class: str = "",
) -> str:
    """Horizontal bars, one per (label, first part, second part), largest first."""
    ordered = sorted(rows, key=lambda r: r[1] + r[2], reverse=True)
    frame = Frame(width, height, left=90, right=50, bottom=4, top=4)
    top = max((a + b for _, a, b in ordered), default=0.0) or 1.0
    slot = (height - frame.top - frame.bottom) / max(len(ordered), 1)
    usable = width - frame.left - frame.right
    for i, (name, first, second) in enumerate(ordered):
        y = frame.top + i * slot + slot * 0.15
        w1, w2 = first / top * usable, second / top * usable
        frame.parts.append(
            f'<text x="{frame.left - 6}" y="{y + slot * 0.5:.1f}" fill="{TEXT}" '
            f'text-anchor="end">{plain(name)}</text>'
            f'<rect x="{frame.left}" y="{y:.1f}" width="{w1:.1f}" height="{slot * 0.7:.1f}" '
            f'fill="{colours[0]}"/><rect x="{frame.left + w1:.1f}" y="{y:.1f}" '
            f'width="{w2:.1f}" height="{slot * 0.7:.1f}" fill="{colours[1]}"/>'
            f'<text x="{frame.left + w1 + w2 + 4:.1f}" y="{y + slot * 0.5:.1f}" '
            f'fill="{TEXT}">{plain(_fmt(first + second))}</text>'
        )
    return _image(frame, css_class)


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
