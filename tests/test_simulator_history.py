"""The past day a fresh demo starts with: the day's shape goes through the worker's
aggregation code into the aggregates the wall reads, and detection never sees it."""

from __future__ import annotations

import pytest
import redis

from datasources.aggregates import AggregateReader
from datasources.keys import Keys
from datasources.settings import Settings
from datasources.simulator import Simulator
from datasources.simulator.history import fill_day_shape, has_data

pytestmark = pytest.mark.integration

START = 1_794_326_400.0 + 9 * 3600  # 09:00 on 11 November in Shanghai


def test_day_shape_reaches_the_day_chart_and_not_detection(
    redis_client: redis.Redis, settings: Settings, keys: Keys
) -> None:
    sim = Simulator(seed=5, start=START, rate=20, incidents=0, duration_s=60)
    written = fill_day_shape(redis_client, settings, sim, START - 1800, START)
    assert written > 20 * 1800 * 0.3  # the curve's morning load, give or take
    assert not has_data(redis_client, keys)  # no watermark: the detector starts later
    redis_client.hset(keys.watermark, "contacts", START)  # as the replay's first batch would
    frame = AggregateReader(redis_client, keys, settings).contacts_by_business_line(hours=1)
    per_minute = frame.groupby("time")["contacts"].sum()
    assert int(per_minute.sum()) == written and len(per_minute) == 30
    assert set(frame["business_line"]) == {
        "taobao", "tmall", "alipay", "eleme", "cainiao", "hema", "fliggy"
    }  # fmt: skip
