"""``gmd backtest --plot``: one page, one Plotly figure per series, to look instead of read.

Each figure shows the series' values, what the detector expected of every bucket with
the range an ordinary bucket falls in (:meth:`Expectation.band`), each anomaly shaded
from ``start`` to ``end`` with a marker where it was ``detected``, and the labels of
``--labels`` shaded in another colour.  The page is self-contained (plotly.js inline,
no network): each figure's JSON sits in its own ``<script type="application/json">``
and one loader draws them, so the page can also be read by a program.

Pure: figures and the page's text are built here; the CLI writes the file.
"""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.offline import get_plotlyjs

from alerts.detection.backtest import Expectation, Series
from alerts.detection.scoring import LabelSet

BAND_COVERAGE = 0.99
FIGURE_CLASS = "gmd-figure"
"""The class of the ``<script>`` elements that hold one figure's JSON each."""
ANOMALY_COLOUR = "rgba(214, 39, 40, 0.22)"
LABEL_COLOUR = "rgba(44, 160, 44, 0.22)"
BAND_COLOUR = "rgba(31, 119, 180, 0.15)"
EXPECTED_COLOUR = "rgb(31, 119, 180)"
VALUE_COLOUR = "rgb(60, 60, 60)"
DETECTED_COLOUR = "rgb(214, 39, 40)"


def figures(
    data: Series,
    found: pd.DataFrame,
    expectation: Expectation | None = None,
    labels: Mapping[str, LabelSet] | None = None,
    name: str = "",
) -> list[go.Figure]:
    """One figure per series of ``data`` (in its key order); ``found`` is the backtest's
    output, ``labels`` the labelled anomalies by key (``""`` for a lone series)."""
    times = pd.to_datetime(data.times, unit="s", utc=True)
    band = expectation.band(BAND_COVERAGE) if expectation is not None else None
    keyed = "key" in found.columns
    out = []
    for j, key in enumerate(data.keys):
        mine = found[found["key"].astype(str) == key] if keyed else found
        fig = go.Figure(layout=_layout(key or name, data.interval_s))
        if expectation is not None and band is not None:
            _add_expected(fig, times, expectation.expected[:, j], band[0][:, j], band[1][:, j])
        fig.add_trace(
            go.Scatter(
                x=times, y=data.values[:, j], name="value", mode="lines",
                line={"color": VALUE_COLOUR, "width": 1},
            )
        )  # fmt: skip
        _add_anomalies(fig, data, j, mine)
        if labels is not None and key in labels:
            _add_labels(fig, labels[key])
        out.append(fig)
    return out


def _layout(title: str, interval_s: int) -> go.Layout:
    return go.Layout(
        title={
            "text": f"{html.escape(title)} <sup>(buckets of {interval_s:,} s)</sup>",
            "x": 0.01,
            "y": 0.98,
            "yanchor": "top",
        },
        template="plotly_white",
        height=420,
        hovermode="x unified",
        xaxis={"title": "time (UTC)", "rangeslider": {"visible": True}},
        yaxis={"title": "count per bucket", "rangemode": "tozero"},
        legend={"orientation": "h", "x": 0, "y": 1.02, "yanchor": "bottom"},
        margin={"l": 60, "r": 20, "t": 110, "b": 40},
    )


def _add_expected(
    fig: go.Figure, times: pd.DatetimeIndex, expected: np.ndarray, low: np.ndarray, high: np.ndarray
) -> None:
    common = {"x": times, "mode": "lines", "legendgroup": "expected", "connectgaps": False}
    fig.add_trace(
        go.Scatter(y=low, line={"width": 0}, showlegend=False, hoverinfo="skip", **common)
    )
    fig.add_trace(
        go.Scatter(
            y=high, line={"width": 0}, fill="tonexty", fillcolor=BAND_COLOUR,
            name=f"expected band ({BAND_COVERAGE:.0%} of ordinary buckets)", **common,
        )
    )  # fmt: skip
    fig.add_trace(
        go.Scatter(
            y=expected, name="expected", line={"color": EXPECTED_COLOUR, "width": 1, "dash": "dot"},
            **common,
        )
    )  # fmt: skip


def _add_anomalies(fig: go.Figure, data: Series, j: int, found: pd.DataFrame) -> None:
    if found.empty:
        return
    start, detected, end = (
        pd.to_datetime(found[c], utc=True) for c in ("start", "detected", "end")
    )
    for i, (s, e) in enumerate(zip(start, end, strict=True)):
        fig.add_shape(
            type="rect", xref="x", yref="paper", x0=s, x1=e, y0=0, y1=1, layer="below",
            fillcolor=ANOMALY_COLOUR, line={"width": 0}, name="anomaly",
            legendgroup="anomaly", showlegend=i == 0,
        )  # fmt: skip
    # The marker sits on the bucket that opened the anomaly (``detected`` is its end).
    seconds = (detected - pd.Timestamp(0, tz="UTC")) // pd.Timedelta(seconds=1)
    rows = np.searchsorted(data.times, seconds.to_numpy() - data.interval_s)
    rows = np.clip(rows, 0, len(data.times) - 1)
    up = (found["direction"] == "up").to_numpy()
    hover = [
        f"{d}, score {sc:g}<br>{a} → {b}"
        for d, sc, a, b in zip(
            found["direction"], found["score"], found["start"], found["end"], strict=True
        )
    ]
    fig.add_trace(
        go.Scatter(
            x=detected, y=data.values[rows, j], mode="markers", name="detected",
            marker={"color": DETECTED_COLOUR, "size": 10, "line": {"width": 1, "color": "white"},
                    "symbol": np.where(up, "triangle-up", "triangle-down")},
            text=hover,
            hovertemplate="detected %{x}<br>%{text}<extra></extra>",
        )
    )  # fmt: skip


def _add_labels(fig: go.Figure, labels: LabelSet) -> None:
    for i, (s, e) in enumerate(labels.windows):
        fig.add_shape(
            type="rect", xref="x", yref="paper", x0=_when(s), x1=_when(e), y0=0, y1=1,
            layer="below", fillcolor=LABEL_COLOUR, line={"width": 0}, name="label",
            legendgroup="label", showlegend=i == 0,
        )  # fmt: skip
    for i, t in enumerate(labels.times):
        fig.add_shape(
            type="line", xref="x", yref="paper", x0=_when(t), x1=_when(t), y0=0, y1=1,
            line={"color": "rgb(44, 160, 44)", "dash": "dash", "width": 1}, name="label time",
            legendgroup="label time", showlegend=i == 0,
        )  # fmt: skip


def _when(seconds: float) -> pd.Timestamp:
    return pd.Timestamp(seconds, unit="s", tz="UTC")


def page(figs: Sequence[go.Figure], title: str) -> str:
    """A self-contained HTML page drawing ``figs`` one under the other."""
    blocks = [
        f'<div id="{FIGURE_CLASS}-{i}" class="plot"></div>\n'
        f'<script type="application/json" class="{FIGURE_CLASS}" data-target="{FIGURE_CLASS}-{i}">'
        f"{_safe_json(fig)}</script>"
        for i, fig in enumerate(figs)
    ]
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        f"<title>{html.escape(title)}</title>\n"
        "<style>body{font-family:sans-serif;margin:1em 2em}.plot{margin-bottom:2em}</style>\n"
        f"<script>{get_plotlyjs()}</script>\n</head>\n<body>\n"
        f"<h1>{html.escape(title)}</h1>\n" + "\n".join(blocks) + "\n<script>\n"
        f'document.querySelectorAll("script.{FIGURE_CLASS}").forEach(function (el) {{\n'
        "  var fig = JSON.parse(el.textContent);\n"
        "  Plotly.newPlot(el.dataset.target, fig.data, fig.layout, {responsive: true});\n"
        "});\n</script>\n</body>\n</html>\n"
    )


def _safe_json(fig: go.Figure) -> str:
    """The figure's JSON with every ``<`` escaped, so no series name can end the script."""
    text: str = fig.to_json()
    return text.replace("<", "\\u003c")
