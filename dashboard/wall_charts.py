"""The wall's three charts (contacts by line over the day, negative share, volume by
source) from a snapshot's aggregate frames, drawn by :mod:`dashboard.svgcharts`.

The data work is a few ``groupby`` calls over at most a day of minute rows; the day
chart is binned to five minutes, so the picture is the same size at any traffic.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence

import pandas as pd

from dashboard import svgcharts
from dashboard.charts import PALETTE, epoch_seconds, per_minute_by_line
from dashboard.markup import SEVERITY_COLOURS
from dashboard.wall_data import WallSnapshot
from datasources.catalog import label

TICK_STEPS_S = (600, 1800, 3600, 7200, 10800)
DAY_S = 24 * 3600


def empty(css_class: str) -> str:
    """A chart's box with a dash: the wall keeps its layout before data arrives."""
    return f'<div class="gmd-chart {css_class} gmd-empty">—</div>'


def time_ticks(
    starts: Sequence[int], bin_s: int, tz: str, most: int = 8
) -> list[tuple[float, str]]:
    """Ticks at round local times (10 min … 3 h apart, at most ``most``) over bins."""
    if not starts:
        return []
    local = pd.to_datetime(pd.Series(starts, dtype="int64"), unit="s", utc=True).dt.tz_convert(tz)
    offsets = (local.dt.hour * 3600 + local.dt.minute * 60).to_numpy()
    span = starts[-1] - starts[0] + bin_s
    step = next((s for s in TICK_STEPS_S if span / s <= most), TICK_STEPS_S[-1])
    return [
        (float(i), local.iloc[i].strftime("%H:%M"))
        for i in range(len(starts))
        if offsets[i] % step == 0
    ]


class _DrawnCharts:
    """Charts already drawn, by what they were drawn from (shared by every session).

    The day chart changes only when a minute completes (the filling one is left out),
    but every session's refresh rebuilt it: over a full day of minutes that was most
    of a Double-11 refresh's drawing (``bench/render.py``)."""

    def __init__(self, most: int = 16) -> None:
        self.most = most
        self.drawn: OrderedDict[tuple[object, ...], str] = OrderedDict()
        self.lock = threading.Lock()

    def get_or_draw(self, key: tuple[object, ...], draw: Callable[[], str]) -> str:
        with self.lock:
            if key in self.drawn:
                self.drawn.move_to_end(key)
                return self.drawn[key]
        chart = draw()
        with self.lock:
            self.drawn[key] = chart
            while len(self.drawn) > self.most:
                self.drawn.popitem(last=False)
        return chart


_DRAWN = _DrawnCharts()


def contacts_chart(snapshot: WallSnapshot, lang: str, tz: str, bin_s: int = 300) -> str:
    """Contacts per minute by business line, 24 h, with alert onsets as triangles
    (the snapshot of a one-line view holds that line only).  Drawn once per content:
    the key is a hash of the rows the chart uses."""
    frame = snapshot.contacts
    if frame.empty:
        return empty("gmd-chart-contacts")
    used = frame[frame["time"] < frame["time"].max()][["time", "business_line", "contacts"]]
    content = int(pd.util.hash_pandas_object(used, index=False).sum())
    key = (content, len(used), tuple(snapshot.onsets), lang, tz, bin_s)
    return _DRAWN.get_or_draw(key, lambda: _draw_contacts(snapshot, lang, tz, bin_s))


def _draw_contacts(snapshot: WallSnapshot, lang: str, tz: str, bin_s: int) -> str:
    frame = snapshot.contacts
    wide = per_minute_by_line(frame, bin_s)
    if wide.empty:
        return empty("gmd-chart-contacts")
    last = int(wide.index[-1])
    starts = list(range(last - (DAY_S // bin_s - 1) * bin_s, last + 1, bin_s))
    wide = wide.reindex(starts)  # a fixed 24 h axis: the same picture at any hour
    lines = [
        svgcharts.Line(
            label("business_line", str(code), lang), PALETTE[i % len(PALETTE)],
            [None if pd.isna(v) else round(float(v), 1) for v in wide[code]],
        )
        for i, code in enumerate(wide.columns)
    ]  # fmt: skip
    markers = [
        ((onset - starts[0]) / bin_s, SEVERITY_COLOURS.get(severity, "#5dade2"))
        for onset, _line, severity in snapshot.onsets
        if starts[0] <= onset <= starts[-1] + bin_s
    ]
    legend = svgcharts.legend_html([(line.name, line.colour) for line in lines])
    chart = svgcharts.line_chart(
        lines, time_ticks(starts, bin_s, tz), markers=markers,
        css_class="gmd-chart gmd-chart-contacts",
    )  # fmt: skip
    return legend + chart


def voices_share_chart(snapshot: WallSnapshot, tz: str) -> str:
    """Share of negative external voices per minute, last hour."""
    frame = snapshot.voices
    if frame.empty:
        return empty("gmd-chart-share")
    per_minute = frame.groupby(epoch_seconds(frame["time"]).to_numpy())[["negative", "total"]].sum()
    totals = per_minute["total"].where(per_minute["total"] > 0)
    share = (per_minute["negative"] / totals).fillna(0.0) * 100
    starts = [int(s) for s in per_minute.index]
    line = svgcharts.Line("negative", "#ec7063", share.round(1).tolist(), fill=True)
    return svgcharts.line_chart(
        [line], time_ticks(starts, 60, tz, most=5), suffix="%",
        css_class="gmd-chart gmd-chart-share",
    )  # fmt: skip


def voices_sources_chart(snapshot: WallSnapshot, lang: str) -> str:
    """Voices by source in the last hour: not negative (blue) and negative (red)."""
    frame = snapshot.voices
    if frame.empty:
        return empty("gmd-chart-sources")
    sums = frame.groupby("source")[["total", "negative"]].sum()
    rows = [
        (label("source", str(code), lang), float(r.total - r.negative), float(r.negative))
        for code, r in sums.iterrows()
    ]
    return svgcharts.stacked_bars(rows, css_class="gmd-chart gmd-chart-sources")
