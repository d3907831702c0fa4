"""``gmd backtest --plot``: one figure per series with its band, anomalies and labels."""

from __future__ import annotations

import base64
import json
import re
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from alerts.detection.backtest import prepare, run
from alerts.detection.plot import FIGURE_CLASS, figures, page
from alerts.detection.scoring import LabelSet
from datasources.settings import DetectionSettings
from gmd.cli import app

START = pd.Timestamp("2025-11-01", tz="UTC")
N = 400
SPIKE = slice(300, 315)
KEYS = ("tmall", "taobao")


def _frame() -> pd.DataFrame:
    rng = np.random.default_rng(7)
    times = pd.date_range(START, periods=N, freq="1min")
    rows = []
    for key, base in zip(KEYS, (40.0, 200.0), strict=True):
        values = rng.poisson(base, N)
        if key == "tmall":
            values[SPIKE] *= 4
        rows.append(pd.DataFrame({"time": times.strftime("%Y-%m-%dT%H:%M:%SZ"), "value": values,
                                  "line": key}))  # fmt: skip
    return pd.concat(rows, ignore_index=True)


def _label_window() -> tuple[str, str]:
    times = pd.date_range(START, periods=N, freq="1min")
    return str(times[SPIKE.start - 5]), str(times[SPIKE.stop + 5])


def _page_figures(text: str) -> list[dict[str, Any]]:
    """The figures' JSON as the page's loader reads it."""
    pattern = rf'<script type="application/json" class="{FIGURE_CLASS}"[^>]*>(.*?)</script>'
    return [json.loads(block) for block in re.findall(pattern, text, flags=re.S)]


def _shapes(fig: dict[str, Any], name: str) -> list[dict[str, Any]]:
    return [s for s in fig["layout"].get("shapes", []) if s.get("name") == name]


def _trace(fig: dict[str, Any], name: str) -> dict[str, Any]:
    """The trace called ``name`` (the band's name goes on with its coverage in brackets)."""
    return next(t for t in fig["data"] if t.get("name", "").split(" (")[0] == name)


def _numbers(values: Any) -> np.ndarray:
    """A trace's numbers: plotly writes arrays as ``{"dtype", "bdata"}`` (base64)."""
    if isinstance(values, dict):
        return np.frombuffer(base64.b64decode(values["bdata"]), dtype=values["dtype"])
    return np.array(values, dtype=float)


def test_figures_show_values_band_anomalies_and_labels() -> None:
    data = prepare(_frame(), "time", "value", "line")
    result = run(data, DetectionSettings(), record=True)
    assert result.expectation is not None
    start, end = _label_window()
    labels = {"tmall": LabelSet(times=(pd.Timestamp(start).timestamp(),),
                                windows=((pd.Timestamp(start).timestamp(),
                                          pd.Timestamp(end).timestamp()),))}  # fmt: skip
    figs = [json.loads(f.to_json()) for f in figures(data, result.anomalies, result.expectation,
                                                       labels)]  # fmt: skip
    assert len(figs) == len(data.keys)
    by_key = dict(zip(data.keys, figs, strict=True))
    tmall, taobao = by_key["tmall"], by_key["taobao"]
    found = result.anomalies[result.anomalies["key"] == "tmall"]
    assert len(found) >= 1 and len(_shapes(tmall, "anomaly")) == len(found)
    assert len(_trace(tmall, "detected")["x"]) == len(found)
    assert len(_shapes(tmall, "label")) == 1 and len(_shapes(tmall, "label time")) == 1
    assert _shapes(taobao, "label") == [] and _shapes(taobao, "anomaly") == []
    for fig in figs:
        low = _numbers(fig["data"][0]["y"])
        high = _numbers(_trace(fig, "expected band")["y"])
        expected = _numbers(_trace(fig, "expected")["y"])
        learned = ~np.isnan(expected)
        assert learned[-100:].all() and not learned[0]  # learning first, then a band
        assert (low[learned] <= expected[learned]).all()
        assert (expected[learned] <= high[learned]).all()
        assert len(_numbers(_trace(fig, "value")["y"])) == N


def test_a_series_name_cannot_end_the_script() -> None:
    frame = pd.DataFrame({"time": [0, 60, 120], "value": [1, 2, 3]})
    data = prepare(frame, "time", "value")
    found = run(data, DetectionSettings()).anomalies
    text = page(figures(data, found, name="</script><b>x"), "t")
    assert "</script><b>" not in text
    assert len(_page_figures(text)) == 1


def _cli(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, ["backtest", *args])
    return result.exit_code, result.stderr


def test_cli_writes_one_page_with_a_figure_per_series(tmp_path: Path) -> None:
    csv = tmp_path / "lines.csv"
    _frame().to_csv(csv, index=False)
    start, end = _label_window()
    labels = tmp_path / "labels.csv"
    labels.write_text(f"key,start,end\ntmall,{start},{end}\n", encoding="utf-8")
    out, html = tmp_path / "found.csv", tmp_path / "plot.html"
    code, err = _cli(str(csv), "--key-column", "line", "--labels", str(labels),
                     "--plot", str(html), "-o", str(out))  # fmt: skip
    assert code == 0, err
    assert "2 series plotted" in err
    text = html.read_text(encoding="utf-8")
    assert "Plotly.newPlot" in text and "<script src" not in text  # plotly.js inline
    figs = _page_figures(text)
    assert len(figs) == 2
    titles = [f["layout"]["title"]["text"] for f in figs]
    assert [t.split(" ")[0] for t in titles] == sorted(KEYS)  # the keys, in the grid's order
    found = pd.read_csv(out)
    by_key = dict(zip(sorted(KEYS), figs, strict=True))
    assert len(_shapes(by_key["tmall"], "anomaly")) == (found["key"] == "tmall").sum() >= 1
    assert len(_shapes(by_key["tmall"], "label")) == 1
    assert _shapes(by_key["taobao"], "label") == []


@pytest.mark.parametrize("where", ["missing/plot.html", "adir"])
def test_cli_bad_plot_path_is_one_line(tmp_path: Path, where: str) -> None:
    csv = tmp_path / "in.csv"
    pd.DataFrame({"time": [0, 60, 120], "value": [1, 2, 3]}).to_csv(csv, index=False)
    (tmp_path / "adir").mkdir()
    code, err = _cli(str(csv), "--plot", str(tmp_path / where))
    assert code == 2
    assert "cannot write" in err and len(err.strip().splitlines()) == 1
    assert "Traceback" not in err
