"""``gmd backtest``: read a CSV, run the detector, write one CSV row per anomaly.

The arithmetic is in :mod:`alerts.detection.backtest`; this is the edge that
reads files and turns every input problem into one line on stderr (exit 2).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import pandas as pd
import typer

from alerts.detection.backtest import (
    BacktestError,
    backtest,
    detected_times,
    prepare,
    spans,
    stderr_progress,
)
from alerts.detection.scoring import LabelError, match_labels, read_labels, score_all
from gmd.errors import fail, settings_or_exit


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
            "recall, false alarms per series per day and time to detect on stderr."
        ),
    ] = None,
) -> None:
    """Run the anomaly detector over history (回测): one CSV row per anomaly.

    Columns: start (onset, estimated once confirmed), detected (when the detector,
    reading the series in order, first flagged it: score delays on this), end,
    direction (up/down), score (-log10 of the evidence), key (with --key-column).
    """
    settings = settings_or_exit()
    source = "-" if str(csv) == "-" else csv
    if source != "-" and not csv.is_file():
        fail(f"backtest: no such file: {csv}")
    try:
        frame = pd.read_csv(source if source != "-" else typer.get_text_stream("stdin"))
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        fail(f"backtest: cannot read {csv} as CSV: {str(exc).splitlines()[0]}")
    try:
        data = prepare(frame, time_column, value_column, key_column)
        truth = match_labels(read_labels(labels), data.keys, csv.name) if labels else None
        found = backtest(data, settings.detection, progress=stderr_progress)
    except (BacktestError, LabelError) as exc:
        fail(f"backtest: {exc}")
    text = found.to_csv(index=False, lineterminator="\n")
    if output is None:
        typer.echo(text, nl=False)
    else:
        output.write_text(text, encoding="utf-8")
        typer.echo(f"backtest: {len(found)} anomalies written to {output}", err=True)
    if truth is not None:
        score = score_all(detected_times(found), truth, spans(data))
        typer.echo(
            f"backtest: caught {score.caught}/{score.windows} labelled windows, "
            f"{score.false_alarms} false alarms over {score.series_days:.1f} series-days; "
            + ", ".join(f"{k} {v}" for k, v in score.summary().items()),
            err=True,
        )
