"""Plotly figures for the wall, console and review, built from aggregate frames.

A refresh must cost the same on a quiet night and on Double-11, and fifty walls
refresh at once.  So figures are a few hundred points as plain lists (times as
local wall-clock strings, no per-point timestamp objects to encode), binned with
``groupby`` rather than ``pivot_table``, and written as plain trace/layout dicts
handed to ``go.Figure(..., _validate=False)``: plotly's property validation cost
more than everything else in a refresh, and these specs are fixed by this module.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pandas as pd
import plotly.graph_objects as go

from dashboard.markup import SEVERITY_COLOURS

PALETTE = ("#5dade2", "#f5b041", "#58d68d", "#af7ac5", "#ec7063", "#48c9b0", "#f4d03f", "#eb984e")
LOCAL_FORMAT = "%Y-%m-%d %H:%M:%S"
GRID = "#222b38"


def epoch_seconds(values: pd.Series | pd.Index) -> pd.Series:
    """Datetimes (or epoch seconds) as integer epoch seconds."""
    series = pd.Series(values)
    if pd.api.types.is_numeric_dtype(series):
        return series.astype("int64")
    stamps = pd.to_datetime(series, utc=True)
    return (stamps - pd.Timestamp(0, tz="UTC")) // pd.Timedelta(seconds=1)


def local_strings(seconds: Sequence[float] | pd.Series, tz: str) -> list[str]:
    """Epoch seconds → wall-clock strings in ``tz`` (plotly.js draws them as given)."""
    stamps = pd.to_datetime(pd.Series(seconds, dtype="float64"), unit="s", utc=True)
    return list(stamps.dt.tz_convert(tz).dt.strftime(LOCAL_FORMAT))


def figure(
    traces: list[dict[str, Any]], height: int, *, legend: bool = False, **layout: Any
) -> go.Figure:
    """The war-room chart style around ``traces`` (dark, compact, time axis as HH:MM)."""
    spec: dict[str, Any] = {
        "height": height,
        "margin": {"l": 44, "r": 8, "t": 6, "b": 24},
        "paper_bgcolor": "rgba(0,0,0,0)",
        "plot_bgcolor": "rgba(0,0,0,0)",
        "font": {"color": "#dfe6ee", "size": 13},
        "showlegend": legend,
        "legend": {"orientation": "h", "y": 1.02, "x": 0, "yanchor": "bottom"},
        "xaxis": {"gridcolor": GRID, "tickformat": "%H:%M"},
        "yaxis": {"gridcolor": GRID, "zeroline": False},
        "uirevision": "keep",
        "template": {},  # Streamlit's chart theme applies in the browser; plotly's own
        # default template would be deep-copied into every figure (~30 ms each)
    }
    for key, value in layout.items():
        spec[key] = {**spec[key], **value} if isinstance(value, dict) and key in spec else value
    return go.Figure({"data": traces, "layout": spec}, _validate=False)


def empty_figure(text: str, height: int) -> go.Figure:
    note = {"text": text, "showarrow": False, "font": {"size": 16, "color": "#7f8c8d"}}
    return figure(
        [], height, annotations=[note], xaxis={"visible": False}, yaxis={"visible": False}
    )


def per_minute_by_line(frame: pd.DataFrame, bin_s: int) -> pd.DataFrame:
    """Contacts per minute averaged over ``bin_s`` bins: index = bin start (epoch s),
    one column per business line, busiest first.  The current minute, still
    filling, is left out so the line does not dip at its end."""
    data = pd.DataFrame(
        {
            "t": epoch_seconds(frame["time"]).to_numpy(),
            "line": frame["business_line"].to_numpy(),
            "n": frame["contacts"].to_numpy(),
        }
    )
    data = data[data["t"] < data["t"].max()]
    if data.empty:
        return pd.DataFrame()
    data["bin"] = data["t"] // bin_s * bin_s
    minutes = data.groupby("bin")["t"].nunique()
    wide = data.groupby(["bin", "line"])["n"].sum().unstack(fill_value=0).div(minutes, axis=0)
    return wide[wide.sum().sort_values(ascending=False).index]


def contacts_figure(
    frame: pd.DataFrame,
    onsets: Sequence[tuple[float, str, str]],
    *,
    labels: dict[str, str],
    tz: str,
    height: int,
    onset_label: str,
    bin_s: int = 300,
) -> go.Figure:
    """Contacts per minute by business line over the day, alert onsets as markers."""
    wide = per_minute_by_line(frame, bin_s) if not frame.empty else pd.DataFrame()
    if wide.empty:
        return empty_figure("—", height)
    x = local_strings(wide.index.to_series(), tz)
    traces = [
        {
            "type": "scatter", "mode": "lines", "x": x, "y": wide[line].round(1).tolist(),
            "name": labels.get(str(line), str(line)),
            "line": {"width": 2, "color": PALETTE[i % len(PALETTE)]},
        }
        for i, line in enumerate(wide.columns)
    ]  # fmt: skip
    if onsets:
        top = float(wide.to_numpy().max())
        traces.append(
            {
                "type": "scatter", "mode": "markers", "name": onset_label,
                "x": local_strings([o[0] for o in onsets], tz), "y": [top * 1.04] * len(onsets),
                "marker": {"symbol": "triangle-down", "size": 12,
                           "color": [SEVERITY_COLOURS.get(o[2], "#5dade2") for o in onsets]},
                "text": [labels.get(o[1], o[1]) for o in onsets],
                "hovertemplate": "%{text} %{x}<extra></extra>",
            }
        )  # fmt: skip
    return figure(traces, height, legend=True)


def negative_share_figure(frame: pd.DataFrame, *, tz: str, height: int) -> go.Figure:
    """Share of negative external voices per minute over the last hour (all sources)."""
    if frame.empty:
        return empty_figure("—", height)
    per_time = frame.groupby(epoch_seconds(frame["time"]).to_numpy())[["negative", "total"]].sum()
    share = (per_time["negative"] / per_time["total"].where(per_time["total"] > 0)).fillna(0.0)
    trace = {
        "type": "scatter", "mode": "lines", "fill": "tozeroy",
        "x": local_strings(per_time.index.to_series(), tz), "y": (share * 100).round(1).tolist(),
        "line": {"color": "#ec7063", "width": 2},
        "hovertemplate": "%{x} %{y:.1f}%<extra></extra>",
    }  # fmt: skip
    return figure([trace], height, yaxis={"ticksuffix": "%", "rangemode": "tozero"})


def volume_by_source_figure(
    frame: pd.DataFrame, *, labels: dict[str, str], height: int
) -> go.Figure:
    """Voices in the last hour by source, the negative part in red."""
    if frame.empty:
        return empty_figure("—", height)
    per_source = frame.groupby("source")[["total", "negative"]].sum().sort_values("total")
    names = [labels.get(str(s), str(s)) for s in per_source.index]
    other = (per_source["total"] - per_source["negative"]).tolist()
    traces = [
        {"type": "bar", "orientation": "h", "y": names, "x": other, "marker": {"color": "#5dade2"}},
        {"type": "bar", "orientation": "h", "y": names, "x": per_source["negative"].tolist(),
         "marker": {"color": "#ec7063"}},
    ]  # fmt: skip
    return figure(
        traces, height, barmode="stack", xaxis={"tickformat": ""},
        yaxis={"dtick": 1, "tickfont": {"size": 11}, "automargin": True},
    )  # fmt: skip


def series_figure(
    frame: pd.DataFrame, value: str, *, tz: str, height: int, onset: float | None = None
) -> go.Figure:
    """One series over time (the console's anomaly chart), onset as a dashed line."""
    if frame.empty or value not in frame:
        return empty_figure("—", height)
    trace = {
        "type": "scatter", "mode": "lines", "line": {"color": "#5dade2"},
        "x": local_strings(epoch_seconds(frame["time"]), tz), "y": frame[value].tolist(),
    }  # fmt: skip
    shapes = []
    if onset is not None:
        at = local_strings([onset], tz)[0]
        shapes.append(
            {"type": "line", "x0": at, "x1": at, "y0": 0, "y1": 1, "yref": "paper",
             "line": {"color": "#ff4d4f", "dash": "dash"}}
        )  # fmt: skip
    return figure([trace], height, shapes=shapes)


def bar_figure(counts: dict[str, int], *, height: int) -> go.Figure:
    """Horizontal bars of counts, largest on top (alerts per line / per owner)."""
    if not counts:
        return empty_figure("—", height)
    items = sorted(counts.items(), key=lambda kv: kv[1])
    trace = {
        "type": "bar", "orientation": "h", "marker": {"color": "#5dade2"},
        "y": [k for k, _ in items], "x": [v for _, v in items],
    }  # fmt: skip
    return figure([trace], height, xaxis={"tickformat": ""})
