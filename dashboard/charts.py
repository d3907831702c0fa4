"""Plotly figures for the console and review, and the time helpers the wall shares.

Figures are plain lists (times as local wall-clock strings, no per-point timestamp
objects to encode) in plain trace/layout dicts handed to
``go.Figure(..., _validate=False)``: plotly's property validation costs more than
building the data, and these specs are fixed by this module.  The wall itself
draws SVG (:mod:`dashboard.wall_charts`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pandas as pd
import plotly.graph_objects as go

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
    top = max(v for _, v in items)
    return figure([trace], height, xaxis={"tickformat": ",d", "dtick": max(1, round(top / 5))})
