"""``gmd``: the one command-line entry point.

Each sub-command lives beside the code it drives and is attached at the bottom
of this module; this module only owns settings loading and the promise that a
bad configuration is one clear line on stderr and exit code 2, never a traceback.
"""

from __future__ import annotations

from typing import NoReturn

import typer

from datasources.settings import ConfigError, Settings, load_settings

app = typer.Typer(
    name="gmd",
    help="Guangmingding (光明顶): a live customer-experience war room.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)

EXIT_CONFIG = 2


@app.callback()
def _root() -> None:
    """Guangmingding (光明顶): a live customer-experience war room."""


def fail(message: str, code: int = EXIT_CONFIG) -> NoReturn:
    """Print one line to stderr and exit."""
    typer.echo(f"gmd: {message}", err=True)
    raise typer.Exit(code)


def settings_or_exit(**overrides: object) -> Settings:
    """The validated settings, or exit 2 with the offending setting named."""
    try:
        return load_settings(**overrides)
    except ConfigError as exc:
        fail(f"configuration error: {exc}")


def main() -> None:
    app()


# Sub-commands.  Imported here, below `fail` and `settings_or_exit`, because the
# command modules import those two from this module.  One line per command.
from alerts.cli import alerts_app, db_app  # noqa: E402
from alerts.detection.cli import backtest_command  # noqa: E402
from alerts.radio_cli import radio_app  # noqa: E402
from dashboard.users_cli import users_app  # noqa: E402
from datasources.simulator.runner import simulate_command  # noqa: E402
from gmd.run import run_command  # noqa: E402
from worker.main import worker_command  # noqa: E402

app.command("run")(run_command)
app.command("worker")(worker_command)
app.command("simulate")(simulate_command)
app.command("backtest")(backtest_command)
app.add_typer(alerts_app, name="alerts")
app.add_typer(db_app, name="db")
app.add_typer(radio_app, name="radio")
app.add_typer(users_app, name="users")
