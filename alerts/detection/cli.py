"""``gmd backtest``: read a CSV, run the detector, write one CSV row per anomaly.

The arithmetic is in :mod:`alerts.detection.backtest`; this is the edge that
reads files and turns every input problem into one line on stderr (exit 2).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import pandas as pd
import typer

from alerts.detection.backtest import BacktestError, backtest, prepare, stderr_progress
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
) -> None:
    """Run the anomaly detector over history: start,end,direction,score per anomaly (回测)."""
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
        found = backtest(data, settings.detection, progress=stderr_progress)
    except BacktestError as exc:
        fail(f"backtest: {exc}")
    text = found.to_csv(index=False, lineterminator="\n")
    if output is None:
        typer.echo(text, nl=False)
    else:
        output.write_text(text, encoding="utf-8")
        typer.echo(f"backtest: {len(found)} anomalies written to {output}", err=True)
