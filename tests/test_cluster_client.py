"""Reading a real Redis Cluster: a pipelined script costs no extra trip, and a wall
refresh reads the data's clock (every partition's watermark) once."""

from __future__ import annotations

import pytest

from datasources import aggregates_layout as lay
from datasources.aggregates import AggregateReader
from datasources.aggregates_merge import read_hashes
from datasources.keys import Keys
from datasources.redis_conn import connect
from datasources.settings import StreamNames, load_settings
from tests.cluster_support import LocalCluster

pytestmark = [pytest.mark.integration, pytest.mark.embedded]


def command_calls(cluster: LocalCluster) -> int:
    """``COMMAND …`` calls (``COMMAND GETKEYS`` among them) served by the masters."""
    total = 0
    for node in cluster.primaries():
        with node.client() as client:
            stats = client.info("commandstats")
        total += int(stats.get("cmdstat_command", {}).get("calls", 0))
    return total


def test_a_pipelined_script_is_routed_without_asking_the_server(
    redis_cluster: LocalCluster, key_prefix: str
) -> None:
    keys = Keys(key_prefix, StreamNames(partitions=3), cluster=True)
    client = connect(redis_cluster.url)
    try:
        for p, part in enumerate(keys.every()):
            client.hset(part.aggregate(lay.LINES, "1m", 60), "tmall", str(p + 1))
        before = command_calls(redis_cluster)
        for _ in range(5):
            (merged,) = read_hashes(client, keys, [(lay.LINES, "1m", 60)])
            assert merged == {"tmall": "6"}
        assert command_calls(redis_cluster) == before
    finally:
        client.delete(*(part.aggregate(lay.LINES, "1m", 60) for part in keys.every()))
        client.close()


def test_one_refresh_reads_the_data_clock_once(
    redis_cluster: LocalCluster, key_prefix: str
) -> None:
    keys = Keys(key_prefix, StreamNames(partitions=3), cluster=True)
    settings = load_settings(
        redis_url=redis_cluster.url, redis_prefix=key_prefix, streams={"partitions": 3}
    )
    client = connect(redis_cluster.url)
    reader = AggregateReader(client, keys, settings)
    try:
        client.hset(keys.of(1).watermark, "contacts", "100")
        with reader.one_now() as now:
            client.hset(keys.of(2).watermark, "contacts", "200")
            assert now == reader.data_now() == 100.0
        assert reader.data_now() == 200.0
    finally:
        client.delete(*(part.watermark for part in keys.every()))
        client.close()
