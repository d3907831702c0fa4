"""``gmd worker`` as a command: one clear line without Redis, ``--once`` on real Redis."""

from __future__ import annotations

from typing import Any

import pytest
from typer.testing import CliRunner

from datasources.keys import Keys
from datasources.settings import Settings
from gmd.cli import app
from tests.worker_support import T0, contact, publish


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
