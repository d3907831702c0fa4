"""``gmd worker`` as a command: one clear line without Redis, ``--once`` on real Redis."""

from __future__ import annotations

from typing import Any

import pytest
from typer.testing import CliRunner

from datasources.keys import Keys
from datasources.settings import Settings
from gmd.cli import app
from tests.worker_support import T0, contact, publish
from worker.main import build_tickers
from worker.qinting import RadioTicker


def test_without_redis_url_one_line_and_exit_2() -> None:
    result = CliRunner().invoke(app, ["worker", "--once"], env={"GMD_REDIS_URL": ""})
    assert result.exit_code == 2
    assert "GMD_REDIS_URL is not set" in result.output
    assert "Traceback" not in result.output


@pytest.mark.integration
def test_once_processes_a_batch_and_exits_0(
    redis_client: Any, settings: Settings, keys: Keys
) -> None:
    publish(redis_client, keys, "contacts", [contact(T0 + 1), contact(T0 + 2)])
    env = {
        "GMD_REDIS_URL": str(settings.redis_url),
        "GMD_REDIS_PREFIX": settings.redis_prefix,
        "GMD_DATA_DIR": str(settings.data_dir),
        "GMD_DATABASE_URL": settings.effective_database_url,
    }
    result = CliRunner().invoke(app, ["worker", "--once", "--name", "cli"], env=env)
    assert result.exit_code == 0, result.output
    assert float(redis_client.hget(keys.watermark, "contacts")) == T0 + 2
    assert not redis_client.exists(keys.worker_heartbeat("cli"))  # removed on the way out


@pytest.mark.integration
def test_a_worker_on_a_fresh_database_migrates_before_its_tickers_read_it(
    redis_client: Any, settings: Settings
) -> None:
    """A worker started before anyone ran ``gmd db upgrade``: its first round of tickers
    (the nine o'clock digest due at once here) finds every table."""
    fresh = settings.model_copy(
        update={"radio": settings.radio.model_copy(update={"digest_time": "00:00"})}
    )
    tickers = build_tickers(fresh, redis_client, "fresh")
    try:
        for ticker in tickers:
            ticker.tick()
        radio = next(t for t in tickers if isinstance(t, RadioTicker))
        assert radio.running is not None
        radio.running.result(timeout=30)  # raises what the digest met
    finally:
        for ticker in tickers:
            stop = getattr(ticker, "stop", None)
            if stop is not None:
                stop()
