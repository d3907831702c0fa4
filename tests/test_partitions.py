"""Partitions and cluster URLs, pure: key names, hash slots, routing, URL parsing."""

from __future__ import annotations

import zlib

import pytest
from redis.crc import key_slot

from datasources.aggregates_merge import merge_hashes
from datasources.keys import Keys
from datasources.partitions import SLOTS, partition_of, partition_tags, route
from datasources.redis_urls import ClusterUrl, cluster_nodes
from datasources.settings import StreamNames, load_settings
from tests.worker_support import T0, contact, snapshot, voice


def batch_keys(keys: Keys) -> list[str]:
    """Every key a batch from ``keys.partition`` may write (and its fence)."""
    return [
        *keys.feed_streams.values(), keys.deadletter, keys.anomalies,
        keys.aggregate("contacts", "10s", 0), keys.watermark, keys.feed_counts,
        keys.deadletter_counts, keys.feed_seen, keys.worker_fence("w1"),
        keys.worker_fence_prefix + "w2", keys.negative_voices, keys.verbatims("contacts:a:*:*"),
        keys.series_index, keys.detector_state, keys.conversation("c1"),
        keys.live_conversations, keys.conversation_meta("c1"),
        keys.live_conversations_on("tmall", "refund"), keys.customer_contacts("u1"),
        keys.transcript_flag("c1", "rule"), keys.detect_lock(60),
    ]  # fmt: skip


def test_one_partition_on_one_server_keeps_the_names() -> None:
    keys = Keys("gmd")
    assert keys.every() == (keys,)
    assert keys.stream("contacts") == "gmd:stream:contacts"
    assert keys.aggregate("lines", "1m", 60) == "gmd:agg:lines:1m:60"
    assert keys.conversation("c:1") == "gmd:conv:utt:c%3A1"
    assert keys.worker_fence("w") == "gmd:worker:fence:w"


def test_a_cluster_tags_even_one_partition() -> None:
    keys = Keys("gmd", cluster=True)
    assert keys.stream("contacts") == "gmd:{p0}:stream:contacts"
    assert len({key_slot(k.encode()) for k in batch_keys(keys)}) == 1


@pytest.mark.parametrize("partitions", [2, 3, 6, 16])
def test_each_partition_writes_one_slot_and_partitions_spread(partitions: int) -> None:
    keys = Keys("gmd", StreamNames(partitions=partitions))
    slots = []
    for p, part in enumerate(keys.every()):
        (slot,) = {key_slot(k.encode()) for k in batch_keys(part)}
        assert p * SLOTS // partitions <= slot < (p + 1) * SLOTS // partitions
        slots.append(slot)
    assert len(set(slots)) == partitions


def test_keys_no_batch_writes_carry_no_tag() -> None:
    part = Keys("gmd", StreamNames(partitions=3), cluster=True).of(2)
    assert part.worker_heartbeat("w") == "gmd:worker:w"
    assert part.alerts_changed == "gmd:alerts:version"


def test_tags_are_fixed_by_the_partition_count_alone() -> None:
    assert partition_tags(3) == partition_tags(3)
    assert Keys("a", StreamNames(partitions=3)).of(1).stream("queue").startswith("a:{p1")
    assert partition_tags(1) == ("p0",)


@pytest.mark.parametrize(
    ("feed", "event", "key"),
    [
        ("contacts", contact(T0, line="tmall"), "tmall"),
        ("voices", voice(T0, line="eleme"), "eleme"),
        ("queue", snapshot(T0, group="taobao_pre_sale"), "taobao_pre_sale"),
    ],
)
def test_events_route_by_their_stable_key(feed: str, event: object, key: str) -> None:
    assert route(feed, event, 7) == zlib.crc32(key.encode()) % 7
    assert route(feed, event, 1) == 0


def test_partition_of_is_crc32_mod_n() -> None:
    assert [partition_of(x, 4) for x in ("tmall", "taobao", "eleme")] == [
        zlib.crc32(b"tmall") % 4, zlib.crc32(b"taobao") % 4, zlib.crc32(b"eleme") % 4,
    ]  # fmt: skip
    assert partition_of("对话-1", 1) == 0


@pytest.mark.parametrize(
    ("url", "parsed"),
    [
        ("redis+cluster://127.0.0.1:7000", ClusterUrl((("127.0.0.1", 7000),))),
        (
            "redis+cluster://a:7000,b:7001/0",
            ClusterUrl((("a", 7000), ("b", 7001))),
        ),
        (
            "rediss+cluster://gmd:s%40cret@a:7000,[::1]:7001",
            ClusterUrl((("a", 7000), ("::1", 7001)), "gmd", "s@cret", tls=True),
        ),
        ("redis+cluster://:pw@a:1", ClusterUrl((("a", 1),), None, "pw")),
    ],
)
def test_cluster_urls(url: str, parsed: ClusterUrl) -> None:
    assert cluster_nodes(url) == parsed
    assert load_settings(redis_url=url).redis_cluster


@pytest.mark.parametrize(
    ("url", "says"),
    [
        ("redis+cluster://a", "host:port"),
        ("redis+cluster://a:1,", "host:port"),
        ("redis+cluster://a:99999", "host:port"),
        ("redis+cluster://a:1/3", "only database 0"),
        ("redis+cluster://a:1?timeout=3", "no query"),
        ("redis://a:1", "a cluster URL starts with"),
    ],
)
def test_bad_cluster_urls(url: str, says: str) -> None:
    with pytest.raises(ValueError, match=says):
        cluster_nodes(url)


def test_a_single_server_url_is_not_a_cluster() -> None:
    assert not load_settings(redis_url="redis://127.0.0.1:6379/0").redis_cluster
    assert Keys.from_settings(load_settings(redis_url="redis+cluster://a:1")).cluster


@pytest.mark.parametrize(
    ("family", "hashes", "merged"),
    [
        ("lines", [{"tmall": "3"}, {}, {"tmall": "4", "eleme": "1"}], {"tmall": "7", "eleme": "1"}),
        ("contacts", [{}, {}], {}),
        ("contacts", [{"a|r|chat": "2"}], {"a|r|chat": "2"}),
        (
            "service",
            [{"g|offered": "2", "g|wait_sum": "1.5", "g|wait_max": "9"},
             {"g|offered": "3", "g|wait_sum": "2.25", "g|wait_max": "4.5"}],
            {"g|offered": "5", "g|wait_sum": "3.75", "g|wait_max": "9"},
        ),
        (
            "queue",
            [{"g": '{"ts": 5, "waiting": 1}'}, {"g": '{"ts": 9, "waiting": 7}', "h": '{"ts": 1}'}],
            {"g": '{"ts": 9, "waiting": 7}', "h": '{"ts": 1}'},
        ),
    ],
)  # fmt: skip
def test_partitions_merge_as_one_writer_would(
    family: str, hashes: list[dict[str, str]], merged: dict[str, str]
) -> None:
    assert merge_hashes(family, hashes) == merged
