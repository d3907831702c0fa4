"""How a ``gmd`` command fails: one clear line on stderr and an exit code, never a traceback.

Every sub-command module imports these two helpers from here, and :mod:`gmd.cli`
imports the sub-commands: one direction, no import circle.
"""

from __future__ import annotations

from typing import NoReturn

import typer

from datasources.settings import ConfigError, Settings, load_settings

EXIT_CONFIG = 2


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
