"""Plotly figures for the wall and console, built from aggregate frames.

Figures are built with ``graph_objects`` (not ``plotly.express``, which costs
tens of milliseconds per call) and resampled to a few hundred points, so a
refresh sends the same small payload on a quiet night and on Double-11.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd
import plotly.graph_objects as go

from dashboard.markup import SEVERITY_COLOURS

PALETTE = ("#5dade2", "#f5b041", "#58d68d", "#af7ac5", "#ec7063", "#48c9b0", "#f4d03f", "#eb984e")
FONT = {"color": "#dfe6ee", "size": 13}


def as_local_time(values: pd.Series, tz: str) -> pd.Series:
    """Epoch seconds or datetimes → tz-aware datetimes in the wall's time zone."""
    if pd.api.types.is_numeric_dtype(values):
        stamps = pd.to_datetime(values, unit="s", utc=True)
    else:
        stamps = pd.to_datetime(values, utc=True)
    return stamps.dt.tz_convert(tz)


def _layout(fig: go.Figure, height: int, *, legend: bool = False) -> go.Figure:
    fig.update_layout(
        height=height,
        margin={"l": 44, "r": 8, "t": 6, "b": 24},
        paper_bgcolor="rgba(0,0,0,0)",
        plot_bgcolor="rgba(0,0,0,0)",
        font=FONT,
        showlegend=legend,
        legend={"orientation": "h", "y": 1.02, "x": 0, "yanchor": "bottom", "font": {"size": 12}},
        xaxis={"gridcolor": "#222b38", "showline": False, "tickformat": "%H:%M"},
        yaxis={"gridcolor": "#222b38", "zeroline": False},
        uirevision="keep",
    )
    return fig


def empty_figure(text: str, height: int) -> go.Figure:
    fig = go.Figure()
    fig.add_annotation(text=text, showarrow=False, font={"size": 16, "color": "#7f8c8d"})
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False)
    return _layout(fig, height)


def contacts_figure(
    frame: pd.DataFrame,
    onsets: Sequence[tuple[float, str, str]],
    *,
    labels: dict[str, str],
    tz: str,
    height: int,
    onset_label: str,
    every: str = "5min",
) -> go.Figure:
    """Contacts per minute by business line over the day, alert onsets as markers."""
    fig = go.Figure()
    if frame.empty:
        return empty_figure("—", height)
    data = frame.assign(time=as_local_time(frame["time"], tz))
    data = data[data["time"] < data["time"].max()]  # the current minute is still filling
    wide = data.pivot_table(index="time", columns="business_line", values="contacts", aggfunc="sum")
    wide = wide.resample(every).mean().fillna(0.0)
    order = wide.sum().sort_values(ascending=False).index
    for i, line in enumerate(order):
        fig.add_trace(
            go.Scatter(
                x=wide.index,
                y=wide[line],
                name=labels.get(str(line), str(line)),
                mode="lines",
                line={"width": 2, "color": PALETTE[i % len(PALETTE)]},
            )
        )
    if onsets:
        times = as_local_time(pd.Series([o[0] for o in onsets], dtype="float64"), tz)
        top = float(wide.to_numpy().max()) if wide.size else 1.0
        fig.add_trace(
            go.Scatter(
                x=times,
                y=[top * 1.04] * len(onsets),
                mode="markers",
                name=onset_label,
                marker={
                    "symbol": "triangle-down",
                    "size": 12,
                    "color": [SEVERITY_COLOURS.get(o[2], "#5dade2") for o in onsets],
                },
                text=[labels.get(o[1], o[1]) for o in onsets],
                hovertemplate="%{text} %{x|%H:%M}<extra></extra>",
            )
        )
    return _layout(fig, height, legend=True)


def negative_share_figure(frame: pd.DataFrame, *, tz: str, height: int) -> go.Figure:
    """Share of negative external voices over the last hour (all sources)."""
    if frame.empty:
        return empty_figure("—", height)
    data = frame.assign(time=as_local_time(frame["time"], tz))
    per_time = data.groupby("time")[["negative", "total"]].sum()
    share = (per_time["negative"] / per_time["total"].where(per_time["total"] > 0)).fillna(0.0)
    fig = go.Figure(
        go.Scatter(
            x=share.index,
            y=share.to_numpy() * 100,
            mode="lines",
            fill="tozeroy",
            line={"color": "#ec7063", "width": 2},
            hovertemplate="%{x|%H:%M} %{y:.1f}%<extra></extra>",
        )
    )
    fig.update_yaxes(ticksuffix="%", rangemode="tozero")
    return _layout(fig, height)


def volume_by_source_figure(
    frame: pd.DataFrame, *, labels: dict[str, str], height: int
) -> go.Figure:
    """Voices in the last hour by source, the negative part in red."""
    if frame.empty:
        return empty_figure("—", height)
    per_source = frame.groupby("source")[["total", "negative"]].sum().sort_values("total")
    names = [labels.get(str(s), str(s)) for s in per_source.index]
    fig = go.Figure(
        [
            go.Bar(
                y=names,
                x=per_source["total"] - per_source["negative"],
                orientation="h",
                marker_color="#5dade2",
            ),
            go.Bar(y=names, x=per_source["negative"], orientation="h", marker_color="#ec7063"),
        ]
    )
    fig.update_layout(barmode="stack")
    _layout(fig, height)
    fig.update_yaxes(dtick=1, tickfont={"size": 11}, automargin=True)
    return fig


def series_figure(
    frame: pd.DataFrame, value: str, *, tz: str, height: int, onset: float | None = None
) -> go.Figure:
    """One series over time (the console's anomaly chart), onset as a vertical line."""
    if frame.empty or value not in frame:
        return empty_figure("—", height)
    times = as_local_time(frame["time"], tz)
    fig = go.Figure(go.Scatter(x=times, y=frame[value], mode="lines", line={"color": "#5dade2"}))
    if onset is not None:
        at = as_local_time(pd.Series([onset], dtype="float64"), tz).iloc[0]
        fig.add_vline(x=at, line={"color": "#ff4d4f", "dash": "dash"})
    return _layout(fig, height)


def bar_figure(counts: dict[str, int], *, height: int) -> go.Figure:
    """Horizontal bars of counts, largest on top (alerts per line / per owner)."""
    if not counts:
        return empty_figure("—", height)
    items = sorted(counts.items(), key=lambda kv: kv[1])
    fig = go.Figure(
        go.Bar(
            y=[k for k, _ in items],
            x=[v for _, v in items],
            orientation="h",
            marker_color="#5dade2",
        )
    )
    return _layout(fig, height)
