"""``gmd radio``: the nine o'clock radio from a terminal.

``gmd radio send-digest`` does by hand what the worker does at 09:00 — useful after
an outage, or to rehearse a channel.  It claims each delivery like the worker, so
running it on a morning the worker already sent is harmless.
"""

from __future__ import annotations

import time
from datetime import date
from typing import Annotated

import typer

from alerts.radio_digest import send_digests
from alerts.ringing import AppriseNotifier
from datasources.db import make_engine, make_sessionmaker
from datasources.radio_store import RadioStore
from gmd.errors import fail, settings_or_exit

radio_app = typer.Typer(help="The nine o'clock radio (9点电台).", no_args_is_help=True)


@radio_app.command("send-digest")
def send_digest_command(
    day: Annotated[
        str | None,
        typer.Option("--date", help="Day the digest covers, YYYY-MM-DD (default: yesterday)."),
    ] = None,
) -> None:
    """Send every subscriber their channel's digest now (once per subscriber and day)."""
    settings = settings_or_exit()
    covered: date | None = None
    if day is not None:
        try:
            covered = date.fromisoformat(day)
        except ValueError:
            fail(f"--date: expected YYYY-MM-DD, got {day!r}")
    engine = make_engine(settings.effective_database_url)
    try:
        store = RadioStore(make_sessionmaker(engine))
        run = send_digests(
            store,
            AppriseNotifier(settings.alerts.ring_timeout_s),
            settings,
            now=time.time(),
            day=covered,
        )
    finally:
        engine.dispose()
    typer.echo(
        f"radio digest for {run.day}: {len(run.sent)} sent, {len(run.already)} already sent, "
        f"{len(run.empty)} with nothing published, {len(run.failed)} failed"
    )
    for who in run.failed:
        typer.echo(f"  failed: {who}", err=True)
    if run.failed:
        raise typer.Exit(1)
