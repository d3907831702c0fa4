"""The detection ticker against a real Redis: closed buckets only, once each, shared.

Aggregates are written in the worker's own layout (``datasources.aggregates_layout``)
and the watermark through ``record_progress``, as the aggregation stage does; two
tickers (two workers) take turns and must behave like one detector.
"""

from __future__ import annotations

import time

import numpy as np
import pytest
import redis

from alerts.anomaly import Anomaly, AnomalyKind, AnomalyStatus
from datasources import aggregates_layout as lay
from datasources.aggregates_write import record_progress
from datasources.keys import Keys
from datasources.settings import Settings
from worker.detect import DetectionTicker

pytestmark = pytest.mark.integration

T0 = 1_794_300_000
LINES = ["tmall", "taobao", "eleme", "hema"]
REASONS = ["refund", "logistics", "coupon"]
SPIKE = "contacts:tmall:refund:*"


def write_bucket(client: redis.Redis, keys: Keys, k: int, rng: np.random.Generator) -> None:
    bucket = T0 + 10 * k
    pipe = client.pipeline(transaction=False)
    for line in LINES:
        for reason in REASONS:
            mu = 8.0 * (5.0 if (line, reason) == ("tmall", "refund") and k >= 45 else 1.0)
            field = lay.contact_field(line, reason, "chat")
            pipe.hincrby(keys.aggregate(lay.CONTACTS, "10s", bucket), field, int(rng.poisson(mu)))
    for feed in ("contacts", "queue", "voices"):
        record_progress(keys, feed, bucket + 10 + 6, time.time(), pipeline=pipe)
    pipe.execute()


def anomalies(client: redis.Redis, keys: Keys) -> list[Anomaly]:
    entries: list[tuple[str, dict[str, str]]] = client.xrange(keys.anomalies)  # type: ignore[assignment]
    return [Anomaly.from_fields(f) for _, f in entries]


def test_two_workers_detect_each_closed_bucket_once(
    redis_client: redis.Redis, settings: Settings, keys: Keys
) -> None:
    rng = np.random.default_rng(5)
    redis_client.lpush(keys.verbatims(SPIKE), "退款一直不到账 refund stuck")
    a = DetectionTicker(settings, redis_client, name="a")
    b = DetectionTicker(settings, redis_client, name="b")
    write_bucket(redis_client, keys, 0, rng)
    a.tick()  # a fresh deployment starts at the newest closed bucket
    for k in range(1, 70):
        write_bucket(redis_client, keys, k, rng)
        (a if k % 2 else b).tick()
        (b if k % 2 else a).tick()  # the other one finds nothing left to do
    assert int(redis_client.hget(keys.detector_state, "bucket") or 0) == T0 + 10 * 69
    found = anomalies(redis_client, keys)
    assert {(x.series, x.kind) for x in found} == {(SPIKE, AnomalyKind.SPIKE)}
    assert len({x.onset for x in found}) == 1
    assert T0 + 440 <= found[0].onset <= T0 + 460
    assert found[0].status is AnomalyStatus.ONGOING
    assert found[0].verbatims == ["退款一直不到账 refund stuck"]
    updates = [x.updated for x in found]
    assert updates == sorted(set(updates))  # each bucket published once, in order


def test_open_buckets_wait_and_a_held_lock_stops_the_run(
    redis_client: redis.Redis, settings: Settings, keys: Keys
) -> None:
    rng = np.random.default_rng(6)
    ticker = DetectionTicker(settings, redis_client, name="a")
    write_bucket(redis_client, keys, 0, rng)
    ticker.tick()
    assert int(redis_client.hget(keys.detector_state, "bucket") or 0) == T0
    redis_client.set(keys.detect_lock(T0 + 20), "someone-else")
    for k in range(1, 4):
        write_bucket(redis_client, keys, k, rng)
    ticker.tick()
    assert int(redis_client.hget(keys.detector_state, "bucket") or 0) == T0 + 10
    redis_client.delete(keys.detect_lock(T0 + 20))
    ticker.tick()
    assert int(redis_client.hget(keys.detector_state, "bucket") or 0) == T0 + 30
