"""``gmd backtest`` end to end through the real CLI: good files, keyed files, bad input."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from gmd.cli import app

START = pd.Timestamp("2025-11-01", tz="UTC")


def _write(path: Path, frame: pd.DataFrame) -> Path:
    frame.to_csv(path, index=False)
    return path


def _series(n: int, freq: str, seed: int, base: float = 50.0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return rng.poisson(rng.gamma(30.0, base / 30.0, n))


def _run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, ["backtest", *args])
    return result.exit_code, result.stdout, result.stderr


@pytest.mark.parametrize("freq", ["10s", "1min", "1h"])
def test_single_series_finds_the_spike_and_the_drop(tmp_path: Path, freq: str) -> None:
    n = 600
    values = _series(n, freq, 1)
    values[400:420] *= 4
    values[500:520] = 0
    times = pd.date_range(START, periods=n, freq=freq)
    path = _write(
        tmp_path / "in.csv",
        pd.DataFrame({"time": times.strftime("%Y-%m-%d %H:%M:%S"), "value": values}),
    )
    code, out, err = _run(str(path))
    assert code == 0, err
    found = pd.read_csv(io.StringIO(out))
    assert list(found.columns) == ["start", "detected", "end", "direction", "score"]
    assert list(found["direction"]) == ["up", "down"]
    starts = pd.to_datetime(found["start"])
    assert abs(starts[0] - times[400]) <= 2 * pd.Timedelta(freq)
    assert abs(starts[1] - times[500]) <= 2 * pd.Timedelta(freq)
    assert (found["score"] > 3).all()


def test_keyed_epoch_series_named_columns(tmp_path: Path) -> None:
    n = 500
    secs = (
        pd.date_range(START, periods=n, freq="5min") - pd.Timestamp(0, tz="UTC")
    ) // pd.Timedelta(seconds=1)
    rows = []
    for key, base in (("tmall", 40.0), ("taobao", 400.0), ("hema", 5.0)):
        values = _series(n, "5min", len(key), base)
        if key == "tmall":
            values[300:320] *= 3
        rows.append(pd.DataFrame({"ts": secs, "n": values, "line": key}))
    path = _write(tmp_path / "keyed.csv", pd.concat(rows))
    out_path = tmp_path / "out.csv"
    code, _, err = _run(str(path), "--time-column", "ts", "--value-column", "n",
                        "--key-column", "line", "--output", str(out_path))  # fmt: skip
    assert code == 0, err
    found = pd.read_csv(out_path)
    assert list(found.columns) == ["start", "detected", "end", "direction", "score", "key"]
    assert list(zip(found["key"], found["direction"], strict=True)) == [("tmall", "up")]


@pytest.mark.parametrize(
    ("csv", "args", "message"),
    [
        ("when,value\n2025-11-01,1\n", [], "no column 'time' in the CSV (columns: when, value)"),
        (
            "time,value\nyesterday-ish,1\n2025-11-01,2\n",
            [],
            "cannot parse 'yesterday-ish' as a time",
        ),
        ("time,value\n0,1\n10,1\n25,1\n", [], "irregular interval: steps of 10 s and 15 s"),
        ("time,value\n0,1\n10,-3\n", [], "must hold non-negative numbers"),
        ("time,count\n0,1\n10,2\n", ["--value-column", "n"], "no column 'n'"),
    ],
    ids=["missing-time", "bad-time", "irregular", "negative", "missing-value"],
)
def test_bad_input_is_one_line(tmp_path: Path, csv: str, args: list[str], message: str) -> None:
    path = tmp_path / "bad.csv"
    path.write_text(csv, encoding="utf-8")
    code, out, err = _run(str(path), *args)
    assert code == 2
    assert out == ""
    assert message in err and len(err.strip().splitlines()) == 1
    assert "Traceback" not in err


def test_missing_file(tmp_path: Path) -> None:
    code, _, err = _run(str(tmp_path / "nope.csv"))
    assert code == 2 and "no such file" in err
