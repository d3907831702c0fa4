"""Aggregation arithmetic without Redis: buckets, fields, roll-up, KPIs (tables)."""

from __future__ import annotations

import pytest

from datasources import aggregates_layout as lay
from datasources.aggregates import verbatim_series
from datasources.aggregates_kpi import combine_metrics, kpis_from, newest_snapshots
from datasources.aggregates_ops import HashUpdate, roll_up
from datasources.aggregates_write import BatchAggregate
from datasources.settings import load_settings
from tests.worker_support import T0, contact, snapshot, voice

SETTINGS = load_settings(redis_prefix="unit")


def batch() -> BatchAggregate:
    return BatchAggregate(SETTINGS, lambda text: text.replace("13812345678", "[手机]"))


@pytest.mark.parametrize(
    ("ts", "seconds", "start"),
    [
        (100.0, 10, 100),
        (109.999, 10, 100),
        (110.0, 10, 110),
        (119.5, 60, 60),
        (3599.9, 3600, 0),
        (T0 + 61.5, 60, int(T0) + 60),
    ],
)
def test_bucket_start(ts: float, seconds: int, start: int) -> None:
    assert lay.bucket_start(ts, seconds) == start


@pytest.mark.parametrize(
    ("end", "count", "res", "expected"),
    [(125, 3, "10s", [100, 110, 120]), (125, 2, "1m", [60, 120]), (59, 1, "1m", [0])],
)
def test_bucket_range(end: int, count: int, res: str, expected: list[int]) -> None:
    assert lay.bucket_range(end, count, res) == expected


def test_contacts_counted_once_per_field_and_bucket() -> None:
    agg = batch()
    agg.add_contacts(
        [
            contact(T0 + 1, waited_s=3.0),
            contact(T0 + 2, waited_s=30.0),  # answered, but outside the 20 s service level
            contact(T0 + 3, outcome="abandoned", waited_s=50.0),
            contact(T0 + 4, channel="robot", handled_by="robot", waited_s=0.0),
            contact(T0 + 12, line="taobao", group="taobao_pre_sale"),  # next 10 s bucket
        ]
    )
    fine = agg.updates()
    b0, b1 = int(T0), int(T0) + 10
    assert fine[lay.CONTACTS, b0].incr == {"tmall|refund|chat": 3, "tmall|refund|robot": 1}
    assert fine[lay.LINES, b0].incr == {"tmall": 4}
    assert fine[lay.LINES, b1].incr == {"taobao": 1}
    group = {k.split("|")[1]: v for k, v in fine[lay.SERVICE, b0].incr.items()}
    assert group == {
        "offered": 4, "answered": 3, "abandoned": 1, "answered_in_sl": 2, "agent": 3, "robot": 1,
    }  # fmt: skip
    total = fine[lay.SERVICE_LINE, b0]
    assert total.incr["*|offered"] == 4 and total.incr["tmall|offered"] == 4
    assert total.fincr["*|wait_sum"] == pytest.approx(83.0)
    assert total.maxes["*|wait_max"] == 50.0


@pytest.mark.parametrize(
    ("sentiment", "negative"), [(-0.8, 1), (-0.3, 0), (-0.31, 1), (0.5, 0), (None, 0)]
)
def test_voice_is_negative_below_threshold(sentiment: float | None, negative: int) -> None:
    agg = batch()
    agg.add_voices([voice(T0, sentiment=sentiment, reach=7)])
    counters = agg.updates()[lay.VOICES, int(T0)].incr
    assert counters == {
        "tmall|weibo|total": 1,
        "tmall|weibo|negative": negative,
        "tmall|weibo|reach": 7,
    }
    assert len(agg.negative) == negative


def test_newest_queue_snapshot_wins_within_a_bucket() -> None:
    agg = batch()
    agg.add_queue([snapshot(T0 + 8, waiting=9), snapshot(T0 + 1, waiting=1)])
    (ts, raw), = agg.updates()[lay.QUEUE, int(T0)].newer.values()  # fmt: skip
    assert ts == T0 + 8 and lay.decode_snapshot(raw)["waiting"] == 9


def test_roll_up_merges_counters_maxima_and_snapshots() -> None:
    a = HashUpdate(incr={"x": 1}, fincr={"w": 1.5}, maxes={"m": 3.0}, newer={"g": (5.0, "a")})
    b = HashUpdate(
        incr={"x": 2, "y": 1}, fincr={"w": 2.0}, maxes={"m": 1.0}, newer={"g": (9.0, "b")}
    )
    single = HashUpdate(incr={"z": 4})
    rolled = roll_up({("f", 0): a, ("f", 10): b, ("f", 60): single}, 60)
    merged = rolled["f", 0]
    assert merged.incr == {"x": 3, "y": 1}
    assert merged.fincr == {"w": 3.5}
    assert merged.maxes == {"m": 3.0}
    assert merged.newer == {"g": (9.0, "b")}
    assert rolled["f", 60] is single


def test_verbatims_are_kept_newest_last_and_masked_at_flush() -> None:
    agg = batch()
    texts = [f"第{i}条 13812345678" for i in range(25)]
    agg.add_contacts([contact(T0 + i, verbatim=t) for i, t in enumerate(texts)])
    assert agg.texts["contacts:tmall:refund:*"][-1] == texts[-1]
    assert agg.texts["contacts:tmall:*:*"] == texts


@pytest.mark.parametrize(
    ("series", "stored"),
    [
        ("contacts:tmall:refund:chat", "contacts:tmall:refund:*"),
        ("contacts:tmall:refund:*", "contacts:tmall:refund:*"),
        ("contacts:tmall:*:*", "contacts:tmall:*:*"),
        ("contacts:*:refund:*", None),
        ("voices:tmall:weibo", "voices:tmall:*"),
        ("queue:tmall_after_sale", None),
    ],
)
def test_verbatim_series(series: str, stored: str | None) -> None:
    assert verbatim_series(series) == stored


S = {"offered": 200.0, "answered": 198.0, "answered_in_sl": 150.0, "abandoned": 2.0,
     "wait_sum": 1000.0, "robot": 120.0}  # fmt: skip


@pytest.mark.parametrize(
    ("service", "name", "value"),
    [
        (S, "contacts_per_min", 200.0),
        (S, "pickup_rate", 0.99),
        (S, "service_level", 0.75),
        (S, "abandonment", 0.01),
        (S, "avg_wait_s", 5.0),
        (S, "robot_share", 0.6),
        ({}, "pickup_rate", None),  # nothing offered: no rate, not 0 % or 100 %
        ({}, "contacts_per_min", 0.0),
    ],
)
def test_kpis_from_counters(service: dict[str, float], name: str, value: float | None) -> None:
    assert getattr(kpis_from(60, service, []), name) == pytest.approx(value)


def test_queue_kpis_from_newest_snapshots_per_group() -> None:
    old = lay.encode_snapshot({"ts": 1.0, "business_line": "tmall", "waiting": 50,
                               "agents_available": 0, "agents_busy": 0, "cloud_agents_available": 0,
                               "cloud_agents_busy": 0, "longest_wait_s": 99.0})  # fmt: skip
    new = lay.encode_snapshot({"ts": 2.0, "business_line": "tmall", "waiting": 5,
                               "agents_available": 3, "agents_busy": 7, "cloud_agents_available": 1,
                               "cloud_agents_busy": 1, "longest_wait_s": 20.0})  # fmt: skip
    other = new.replace('"tmall"', '"taobao"')
    snaps = newest_snapshots([{"g1": new, "g2": other}, {"g1": old}])
    k = kpis_from(0, {}, snaps)
    assert (k.waiting_now, k.longest_wait_s, k.agents_on_duty, k.cloud_agents_on_duty) == (
        10.0, 20.0, 20.0, 4.0,
    )  # fmt: skip
    only = kpis_from(0, {}, newest_snapshots([{"g1": new, "g2": other}], "taobao"))
    assert only.waiting_now == 5.0
    assert kpis_from(0, {}, []).waiting_now is None


@pytest.mark.parametrize(
    ("parts", "combined"),
    [
        ([], {}),
        ([{"offered": 2.0}], {"offered": 2.0}),
        ([{"offered": 2.0, "wait_max": 9.0}, {"offered": 3.0, "wait_max": 4.0}],
         {"offered": 5.0, "wait_max": 9.0}),
        ([{"answered": 1.0}, {"abandoned": 1.0}], {"answered": 1.0, "abandoned": 1.0}),
    ],
)  # fmt: skip
def test_combine_metrics_sums_counters_and_keeps_maxima(
    parts: list[dict[str, float]], combined: dict[str, float]
) -> None:
    assert combine_metrics(parts) == combined
