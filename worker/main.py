"""``gmd worker``: wiring — which stages and tickers a worker runs.

To add a stage or a ticker, add ONE line to :func:`build_stages` or
:func:`build_tickers`.  Stages run inside every batch's transaction (order
matters only for readability: they never read what another stage wrote);
tickers run between batches.
"""

from __future__ import annotations

import gc
import logging
import re
from typing import Annotated

import redis
import typer

from alerts.intake import AlertIntake
from alerts.masking import mask_pii
from datasources.keys import Keys
from datasources.redis_conn import connect
from datasources.settings import ConfigError, Settings
from gmd.errors import fail, settings_or_exit
from worker.aggregate import AggregationStage, FeedProgressStage
from worker.detect import DetectionTicker
from worker.loop import Worker, default_name, tune_gc
from worker.qinting import ConversationStage, RadioTicker, TranscriptRuleStage
from worker.stages import FeedStage, Ticker

WORKER_NAME = re.compile(r"[A-Za-z0-9_.\-]{1,64}")
"""A worker's name is part of its heartbeat and fence keys, so it may not hold ``:``."""


def build_stages(settings: Settings, client: redis.Redis) -> list[FeedStage]:
    """Every feed stage, in the order they queue their writes."""
    keys = Keys.from_settings(settings)
    return [
        FeedProgressStage(keys),
        AggregationStage(settings, keys, mask_pii),
        ConversationStage.from_settings(settings, client),
        TranscriptRuleStage.from_settings(settings),
    ]


def build_tickers(settings: Settings, client: redis.Redis, name: str) -> list[Ticker]:
    """Every periodic job the worker ``name`` runs between batches (the name is also its
    consumer name in the alert intake's group and the owner of its detection locks).

    The intake comes first: its start migrates the database, which the radio ticker reads
    (a worker started on a fresh database logged "no such table" until then)."""
    return [
        AlertIntake.from_settings(settings, client, name),
        DetectionTicker(settings, client, name),
        RadioTicker.from_settings(settings),
    ]


def worker_command(
    name: Annotated[str | None, typer.Option(help="Consumer name (default: host-pid).")] = None,
    once: Annotated[bool, typer.Option(help="Stop after the first non-empty batch.")] = False,
    max_events: Annotated[
        int | None, typer.Option(help="Stop after processing at least this many events.")
    ] = None,
    log_level: Annotated[str, typer.Option(help="DEBUG, INFO, WARNING or ERROR.")] = "INFO",
) -> None:
    """Consume the feeds: aggregates, detection and alert intake (消费数据流)."""
    settings = settings_or_exit()
    logging.basicConfig(
        level=log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    if not settings.redis_url:
        fail("GMD_REDIS_URL is not set; `gmd run` starts Redis and the worker together")
    name = name or default_name()
    if not WORKER_NAME.fullmatch(name):
        fail(f"--name {name!r}: use 1-64 letters, digits, '_', '.' or '-'")
    client = connect(settings.redis_url)
    try:
        stages, tickers = build_stages(settings, client), build_tickers(settings, client, name)
    except ConfigError as exc:
        fail(f"configuration error: {exc}")
    worker = Worker(client, settings, stages, tickers, name=name)
    worker.install_signal_handlers()
    previous = tune_gc()
    try:
        worker.run(max_events=max_events, once=once)
    finally:
        worker.close()
        gc.unfreeze()  # only matters when called in-process (tests)
        gc.set_threshold(*previous)
