"""``gmd``: the one command-line entry point.

Each sub-command lives beside the code it drives and is attached here, one line per
command; how a command fails (one clear line on stderr and exit code 2 for a bad
configuration, never a traceback) lives in :mod:`gmd.errors`, which the command
modules import — so they never import this module back.
"""

from __future__ import annotations

import typer

from alerts.cli import alerts_app, db_app
from alerts.detection.cli import backtest_command
from alerts.radio_cli import radio_app
from dashboard.users_cli import users_app
from datasources.simulator.runner import simulate_command
from gmd.run import run_command
from worker.main import worker_command

app = typer.Typer(
    name="gmd",
    help="Guangmingding (光明顶): a live customer-experience war room.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)


@app.callback()
def _root() -> None:
    """Guangmingding (光明顶): a live customer-experience war room."""


def main() -> None:
    app()


app.command("run")(run_command)
app.command("worker")(worker_command)
app.command("simulate")(simulate_command)
app.command("backtest")(backtest_command)
app.add_typer(alerts_app, name="alerts")
app.add_typer(db_app, name="db")
app.add_typer(radio_app, name="radio")
app.add_typer(users_app, name="users")
