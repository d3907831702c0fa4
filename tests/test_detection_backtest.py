"""``gmd backtest`` end to end through the real CLI: good files, keyed files, bad input."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from alerts.detection.backtest import prepare, run
from alerts.detection.cli import ProgressBar
from datasources.settings import DetectionSettings
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


@pytest.mark.parametrize("freq", ["1s", "10s", "1min", "1h", "2h", "6h"])
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
    assert err == ""  # no progress on a pipe
    found = pd.read_csv(io.StringIO(out))
    assert list(found.columns) == ["start", "detected", "end", "direction", "score"]
    starts = pd.to_datetime(found["start"])
    near = 2 * pd.Timedelta(freq)
    spike = found[(found["direction"] == "up") & ((starts - times[400]).abs() <= near)]
    drop = found[(found["direction"] == "down") & ((starts - times[500]).abs() <= near)]
    assert len(spike) == 1 and len(drop) == 1, found
    # Each series sets its bar to ``false_alarms_per_day`` (0.1): 600 hours are 25 days,
    # a couple of false alarms is the budget; 600 buckets of seconds or minutes have none.
    days = n * pd.Timedelta(freq) / pd.Timedelta(days=1)
    assert len(found) - 2 <= int(3 * 0.1 * days)
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
        ("time,value\n0,1\n10,lots\n", [], "non-negative numbers (line 3: 'lots')"),
        ("", [], "cannot read"),
        ("time,value\n", [], "the CSV has no rows"),
        ("time,value\n0,1\n", [], "need at least two distinct times"),
        ("time,value\n0,1\n3600,1\n9000,1\n", [], "steps of 3600 s and 5400 s"),
    ],
    ids=[
        "missing-time",
        "bad-time",
        "irregular",
        "negative",
        "missing-value",
        "non-numeric",
        "empty-file",
        "header-only",
        "one-row",
        "irregular-hours",
    ],
)
def test_bad_input_is_one_line(tmp_path: Path, csv: str, args: list[str], message: str) -> None:
    path = tmp_path / "bad.csv"
    path.write_text(csv, encoding="utf-8")
    code, out, err = _run(str(path), *args)
    assert code == 2
    assert out == ""
    assert message in err and len(err.strip().splitlines()) == 1
    assert "Traceback" not in err


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("nope.csv", None, "no such file"),
        ("folder", "dir", "is a directory"),
        ("binary.csv", b"time,value\n\xff\xfe\x00\x81,1\n", "cannot read"),
    ],
    ids=["missing", "directory", "not-text"],
)
def test_unreadable_file_is_one_line(
    tmp_path: Path, name: str, content: bytes | str | None, message: str
) -> None:
    path = tmp_path / name
    if content == "dir":
        path.mkdir()
    elif isinstance(content, bytes):
        path.write_bytes(content)
    code, out, err = _run(str(path))
    assert code == 2 and out == ""
    assert message in err and len(err.strip().splitlines()) == 1
    assert "Traceback" not in err


def test_empty_cells_are_gaps(tmp_path: Path) -> None:
    n = 300
    values = _series(n, "1min", 4).astype(object)
    values[100:110] = ""
    times = pd.date_range(START, periods=n, freq="1min")
    path = _write(tmp_path / "gaps.csv", pd.DataFrame({"time": times, "value": values}))
    code, out, err = _run(str(path))
    assert code == 0, err
    assert pd.read_csv(io.StringIO(out)).empty


def test_help_explains_detected_labels_and_plot() -> None:
    result = CliRunner().invoke(app, ["backtest", "--help"], env={"COLUMNS": "200"})
    assert result.exit_code == 0
    text = " ".join(result.stdout.split())
    for needle in ("detected:", "start:", "score time to detect on this", "--labels",
                   "precision", "--plot", "expected band", "progress bar"):  # fmt: skip
        assert needle in text, needle


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def _drive(stream: io.StringIO, seconds: list[float]) -> str:
    """Three progress reports at the given clock readings, then close."""
    clock = iter([0.0, *seconds])
    bar = ProgressBar(stream, clock=lambda: next(clock))
    for done in (0, 500, 1000):
        bar(done, 1000)
    bar.close()
    return stream.getvalue()


def test_progress_bar_on_a_terminal_for_long_runs_only() -> None:
    drawn = _drive(_Terminal(), [0.2, 2.0, 4.0])
    assert drawn.count("\r") == 2 and drawn.endswith("\n")  # the first second stays quiet
    assert "[===============>              ]  50 % 500/1,000 time steps, 2 s left" in drawn
    assert "100 % 1,000/1,000 time steps" in drawn
    assert _drive(_Terminal(), [0.1, 0.2, 0.3]) == ""  # a small file: done before a bar helps
    assert _drive(io.StringIO(), [0.2, 2.0, 4.0]) == ""  # a pipe or a log: nothing


def test_run_reports_progress_up_to_the_end() -> None:
    n = 1234
    times = pd.date_range(START, periods=n, freq="10s")
    frame = pd.DataFrame({"time": times, "value": _series(n, "10s", 2)})
    calls: list[tuple[int, int]] = []
    run(prepare(frame, "time", "value"), DetectionSettings(),
        progress=lambda done, total: calls.append((done, total)))  # fmt: skip
    assert calls[0] == (0, n) and calls[-1] == (n, n)
    assert 90 <= len(calls) <= 101
    assert [d for d, _ in calls] == sorted(d for d, _ in calls)
