"""``gmd backtest``: read a CSV, run the detector, write one CSV row per anomaly.

The arithmetic is in :mod:`alerts.detection.backtest` (and the figures in
:mod:`alerts.detection.plot`); this is the edge that reads and writes files, draws
the progress bar and turns every input problem into one line on stderr (exit 2).
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, TextIO

import pandas as pd
import typer

from alerts.detection.backtest import BacktestError, detected_times, prepare, run, spans
from alerts.detection.plot import figures, page
from alerts.detection.scoring import LabelError, match_labels, read_labels, score_all
from gmd.errors import fail, settings_or_exit


class ProgressBar:
    """``backtest [=====>    ] 52 % 8,300/15,902 time steps, 3 s left``, redrawn in place.

    Only on a terminal (a pipe or a log file gets nothing), and only once the run has
    taken ``delay_s``: a small file is done before a bar would help.
    """

    def __init__(
        self,
        stream: TextIO,
        *,
        delay_s: float = 1.0,
        width: int = 30,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.stream, self.delay_s, self.width, self.clock = stream, delay_s, width, clock
        self.enabled = stream.isatty()
        self.started = clock()
        self.shown = False

    def __call__(self, done: int, total: int) -> None:
        elapsed = self.clock() - self.started
        if not self.enabled or total <= 0 or elapsed < self.delay_s:
            return
        filled = self.width * done // total
        bar = ("=" * filled + ">").ljust(self.width)[: self.width]
        left = f", {elapsed * (total - done) / done:.0f} s left" if 0 < done < total else ""
        self.stream.write(
            f"\rbacktest [{bar}] {100 * done // total:3d} % "
            f"{done:,}/{total:,} time steps{left}\x1b[K"
        )
        self.stream.flush()
        self.shown = True

    def close(self) -> None:
        """End the bar's line, so what follows starts on its own."""
        if self.shown:
            self.stream.write("\n")
            self.stream.flush()


def backtest_command(
    csv: Annotated[Path, typer.Argument(help="CSV with a time and a value column (- = stdin).")],
    time_column: Annotated[str, typer.Option(help="Column with the times.")] = "time",
    value_column: Annotated[str, typer.Option(help="Column with the counts.")] = "value",
    key_column: Annotated[
        str | None, typer.Option(help="Column naming the series (many series in one file).")
    ] = None,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write here instead of stdout.")
    ] = None,
    labels: Annotated[
        Path | None,
        typer.Option(
            help="Labelled anomalies (JSON or CSV, times or windows): print precision, "
            "recall, false alarms per series per day and time to detect (from the detected "
            "column) on stderr."
        ),
    ] = None,
    plot: Annotated[
        Path | None,
        typer.Option(
            help="Write a self-contained HTML page (Plotly), a figure per series: values, "
            "expected band, anomalies (start to end, detected marked) and --labels."
        ),
    ] = None,
) -> None:
    """Run the anomaly detector over history (回测): one CSV row per anomaly.

    The CSV needs a time column (ISO 8601, or epoch seconds or milliseconds) and a count
    column, at any regular interval from seconds to hours (missing steps and empty cells
    are gaps, not zeros); with --key-column each key is its own series.  The detector is
    the worker's, with the settings of GMD_DETECTION__* (the bucket width comes from the
    data), reading the series in order and using nothing after the bucket it judges.

    Output columns:

    * start: the onset, estimated once the anomaly was confirmed (back-dated to where
      the evidence began): what to show a person;
    * detected: when the detector, reading in order, first flagged it (the end of the
      bucket that opened it), i.e. when it knew: score time to detect on this, never
      on start;
    * end, direction (up/down), score (-log10 of the evidence), key (with --key-column).

    --labels FILE scores the run against labelled anomalies (times or windows, JSON or
    CSV) with the tuning data's rule: a window is caught when an anomaly is detected
    inside it; one detected outside every window is a false alarm (one per hour-long
    run); the first 15 % of each series is learning and not scored.  Prints precision,
    recall, false alarms per series per day and median time to detect on stderr.

    --plot FILE.html writes one self-contained page with a figure per series: the
    values, the expected count and the band of ordinary buckets, the anomalies (start
    to end shaded, detected marked) and the labels (shaded in green).

    A progress bar is drawn on a terminal for runs longer than a second.  Bad input
    is one line on stderr and exit code 2.
    """
    settings = settings_or_exit()
    for target in (output, plot):
        if target is not None and not target.parent.is_dir():
            fail(f"backtest: cannot write {target}: no such directory {target.parent}")
        if target is not None and target.is_dir():
            fail(f"backtest: cannot write {target}: it is a directory")
    frame = _read(csv)
    try:
        data = prepare(frame, time_column, value_column, key_column)
        truth = match_labels(read_labels(labels), data.keys, csv.name) if labels else None
    except (BacktestError, LabelError) as exc:
        fail(f"backtest: {exc}")
    bar = ProgressBar(sys.stderr)
    try:
        result = run(data, settings.detection, progress=bar, record=plot is not None)
    finally:
        bar.close()
    found = result.anomalies
    text = found.to_csv(index=False, lineterminator="\n")
    if output is None:
        typer.echo(text, nl=False)
    else:
        _write(output, text)
        typer.echo(f"backtest: {len(found)} anomalies written to {output}", err=True)
    if plot is not None:
        figs = figures(data, found, result.expectation, truth, name=csv.name)
        _write(plot, page(figs, f"gmd backtest {csv.name}"))
        typer.echo(f"backtest: {len(figs)} series plotted in {plot}", err=True)
    if truth is not None:
        score = score_all(detected_times(found), truth, spans(data))
        typer.echo(
            f"backtest: caught {score.caught}/{score.windows} labelled windows, "
            f"{score.false_alarms} false alarms over {score.series_days:.1f} series-days; "
            + ", ".join(f"{k} {v}" for k, v in score.summary().items()),
            err=True,
        )


def _read(csv: Path) -> pd.DataFrame:
    if str(csv) == "-":
        source: Path | TextIO = typer.get_text_stream("stdin")
    elif csv.is_dir():
        fail(f"backtest: {csv} is a directory, not a CSV file")
    elif not csv.is_file():
        fail(f"backtest: no such file: {csv}")
    else:
        source = csv
    try:
        return pd.read_csv(source)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        fail(f"backtest: cannot read {csv} as CSV: {str(exc).splitlines()[0]}")
    except OSError as exc:
        fail(f"backtest: cannot read {csv}: {exc.strerror or exc}")


def _write(path: Path, text: str) -> None:
    try:
        path.write_text(text, encoding="utf-8")
    except OSError as exc:
        fail(f"backtest: cannot write {path}: {exc.strerror or exc}")
