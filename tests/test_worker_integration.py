"""The worker on a real Redis: events in → expected hashes, dead letters, sharing, fencing."""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

import pytest

from datasources import aggregates_layout as lay
from datasources.aggregates import AggregateReader
from datasources.keys import RESOLUTIONS, Keys
from datasources.schemas import Event
from datasources.settings import Settings
from tests.conftest import TOPOLOGIES
from tests.worker_support import (
    T0,
    contact,
    drained,
    expected_contacts,
    pending,
    publish,
    random_contacts,
    snapshot,
    summed,
    voice,
)
from worker import groups
from worker.aggregate import AggregationStage, FeedProgressStage
from worker.loop import Worker
from worker.main import build_stages, build_tickers
from worker.stages import FeedStage

pytestmark = [pytest.mark.integration, TOPOLOGIES]


def own_stages_worker(client: Any, settings: Settings, keys: Keys, name: str) -> Worker:
    from alerts.masking import mask_pii

    stages: list[FeedStage] = [FeedProgressStage(keys), AggregationStage(settings, keys, mask_pii)]
    return Worker(client, settings, stages, name=name)


def drain(*workers: Worker, client: Any, keys: Keys, rounds: int = 200) -> None:
    """Let the workers take turns until every entry is delivered and acked."""
    for _ in range(rounds):
        for w in workers:
            w.iteration()
        if drained(client, keys):
            return
    raise AssertionError("the workers did not drain the streams")


def test_events_in_expected_aggregates_out(
    redis_client: Any, settings: Settings, keys: Keys
) -> None:
    contacts = [
        contact(T0 + 1, waited_s=3.0, verbatim="我的手机13812345678，退款没到"),
        contact(T0 + 2, waited_s=30.0),
        contact(T0 + 3, outcome="abandoned", waited_s=45.0),
        contact(T0 + 61, channel="robot", handled_by="robot", waited_s=0.0),
    ]
    publish(redis_client, keys, "contacts", contacts)
    publish(
        redis_client, keys, "queue", [snapshot(T0 + 5, waiting=2), snapshot(T0 + 65, waiting=7)]
    )
    publish(redis_client, keys, "voices", [voice(T0 + 4, text="客服电话打不通 13912345678")])
    worker = Worker(redis_client, settings, build_stages(settings, redis_client), name="w1")
    worker.run(max_events=7)
    beat = keys.worker_heartbeat("w1")
    assert 0 < redis_client.ttl(beat) <= settings.worker.heartbeat_ttl_s
    worker.close()
    assert not redis_client.exists(beat)

    for res, width in RESOLUTIONS.items():
        key = keys.aggregate(lay.CONTACTS, res, lay.bucket_start(T0 + 1, width))
        assert int(redis_client.hget(key, "tmall|refund|chat") or 0) == 3, res
    hour = keys.aggregate(lay.SERVICE_LINE, "1h", int(T0))
    total = redis_client.hgetall(hour)
    assert {k: float(v) for k, v in total.items() if k.startswith("*|")} == {
        "*|offered": 4, "*|answered": 3, "*|abandoned": 1, "*|answered_in_sl": 2,
        "*|agent": 3, "*|robot": 1, "*|wait_sum": 78.0, "*|wait_max": 45.0,
    }  # fmt: skip
    for res in RESOLUTIONS:
        assert redis_client.ttl(keys.aggregate(lay.CONTACTS, res, int(T0))) > 0

    reader = AggregateReader(redis_client, keys, settings)
    assert reader.data_now() == T0 + 61
    fresh = reader.freshness()
    assert fresh["queue"].last_event_ts == T0 + 65 and fresh["queue"].last_seen_wall
    assert fresh["conversations"].last_seen_wall is None
    kpis = reader.kpis()
    assert kpis.minute == int(T0)
    assert (kpis.contacts_per_min, kpis.pickup_rate, kpis.abandonment) == (3, 2 / 3, 1 / 3)
    assert kpis.waiting_now == 7  # newest snapshot of the group, from the current minute
    assert reader.recent_verbatims("contacts:tmall:refund:chat") == [
        "我的手机138****5678，退款没到"
    ]
    (sample,) = reader.latest_negative_voices()
    assert "13912345678" not in sample.text and sample.source == "weibo"
    snap = reader.bucket_snapshot(int(T0))
    assert snap.contacts == {("tmall", "refund", "chat"): 3}
    assert snap.service["tmall_after_sale"]["offered"] == 3
    assert snap.queue["tmall_after_sale"]["waiting"] == 2
    assert snap.voices == {("tmall", "weibo"): (1, 1)}
    history = reader.series_history("contacts:tmall:*:*", minutes=2)
    assert history["value"].tolist() == [3.0, 1.0]
    chat = reader.series_history("contacts:tmall:refund:chat", minutes=2)
    assert chat["value"].tolist() == [3.0, 0.0]
    waited = reader.series_history("queue:tmall_after_sale", minutes=2, metric="longest_wait_s")
    assert waited["value"].tolist() == [12.0, 12.0]
    assert "contacts:tmall:refund:robot" in reader.known_series()
    lines = reader.contacts_by_business_line(hours=1)
    assert lines.groupby("business_line")["contacts"].sum().to_dict() == {"tmall": 4}
    voices = reader.voices_summary(minutes=2)
    assert voices[["source", "total", "negative", "negative_share"]].values.tolist() == [
        ["weibo", 1, 1, 1.0]
    ]
    sparkline = reader.kpi_history(minutes=3)
    assert sparkline["contacts_per_min"].tolist()[-1] == 3.0 and len(sparkline) == 3


def test_kpis_roll_over_the_last_six_ten_second_buckets(
    redis_client: Any, settings: Settings, keys: Keys
) -> None:
    """A wall started 25 s after the first contact already shows figures, and a contact
    older than a minute has left the rolling window."""
    publish(redis_client, keys, "contacts", [
        contact(T0 - 30, waited_s=1.0),
        contact(T0 + 41, waited_s=3.0),
        contact(T0 + 52, outcome="abandoned", waited_s=50.0),
        contact(T0 + 55, waited_s=2.0),
        contact(T0 + 64, waited_s=4.0),
    ])  # fmt: skip
    publish(redis_client, keys, "queue", [snapshot(T0 + 45, waiting=2)])
    worker = own_stages_worker(redis_client, settings, keys, "rolling")
    drain(worker, client=redis_client, keys=keys)
    kpis = AggregateReader(redis_client, keys, settings).kpis()
    assert kpis.minute == int(T0)  # window [T0, T0+60): the six buckets before T0+60
    assert (kpis.contacts_per_min, kpis.pickup_rate, kpis.abandonment) == (3, 2 / 3, 1 / 3)
    assert kpis.waiting_now == 2


def test_invalid_event_dead_lettered_once_and_consumer_goes_on(
    redis_client: Any, settings: Settings, keys: Keys
) -> None:
    publish(redis_client, keys, "contacts", [contact(T0 + 1)])
    redis_client.xadd(keys.stream("contacts"), {"v": "1", "ts": "yesterday"})
    publish(redis_client, keys, "contacts", [contact(T0 + 2)])
    worker = own_stages_worker(redis_client, settings, keys, "w1")
    worker.run(max_events=3)
    assert worker.stats.dead_letters == 1
    (letter,) = redis_client.xrange(keys.deadletter)
    assert letter[1]["dl_feed"] == "contacts" and "ts" in letter[1]["dl_reason"]
    assert summed(redis_client, keys, lay.CONTACTS, "10s") == {"tmall|refund|chat": 2}
    assert pending(redis_client, keys) == 0


def test_two_workers_share_the_group_and_count_each_event_once(
    redis_client: Any, settings: Settings, keys: Keys
) -> None:
    events = random_contacts(3000, seed=5)
    publish(redis_client, keys, "contacts", events)
    shared = settings.model_copy(
        update={"worker": settings.worker.model_copy(update={"batch_size": 200, "block_ms": 10})}
    )
    a = own_stages_worker(redis_client, shared, keys, "a")
    b = own_stages_worker(redis_client, shared, keys, "b")
    drain(a, b, client=redis_client, keys=keys)
    assert a.stats.events > 0 and b.stats.events > 0
    assert a.stats.events + b.stats.events == 3000
    for res in RESOLUTIONS:
        assert summed(redis_client, keys, lay.CONTACTS, res) == expected_contacts(events), res


def test_slow_worker_whose_batch_was_claimed_applies_nothing(
    redis_client: Any, settings: Settings, keys: Keys
) -> None:
    """A alive-but-slow: B claims its entries; A's commit does nothing (fence), B applies
    them once."""
    events = random_contacts(50, seed=9)
    publish(redis_client, keys, "contacts", events)
    fast = settings.model_copy(
        update={"worker": settings.worker.model_copy(update={"claim_idle_ms": 100})}
    )
    a = own_stages_worker(redis_client, fast, keys, "a")
    b = own_stages_worker(redis_client, fast, keys, "b")
    groups.ensure_groups(redis_client, keys)
    # A reads (a batch per partition), then stalls …
    fetched = [groups.read_new(redis_client, part, "a", 1000, 10) for part in keys.every()]
    held = [f for f in fetched if f.batch]
    assert sum(len(e) for f in held for e in f.batch.values()) == 50
    time.sleep(0.15)
    assert sum(b.iteration() for _ in keys.every()) == 50  # … B claims and applies them
    assert [a.commit(f) for f in held] == [0] * len(held)  # A wakes up: nothing applied
    assert a.stats.aborted == len(held)
    assert summed(redis_client, keys, lay.CONTACTS, "1m") == expected_contacts(events)
    assert pending(redis_client, keys) == 0


def test_all_registered_stages_and_tickers_build(redis_client: Any, settings: Settings) -> None:
    stages = build_stages(settings, redis_client)
    assert {"contacts", "queue", "voices"} <= set().union(*(s.feeds for s in stages))
    worker = Worker(redis_client, settings, stages, build_tickers(settings, redis_client, "w"))
    try:
        assert all(t.interval_s > 0 for t in worker.tickers)
        worker.iteration()  # every ticker runs once without raising into the loop
    finally:
        worker.close()


class FlakyStage:
    """Fails on its first batch (a stage bug), then behaves."""

    feeds = frozenset({"contacts"})

    def __init__(self) -> None:
        self.calls = 0

    def apply(self, feed: str, events: Sequence[Event], pipe: Any) -> None:
        self.calls += 1
        if self.calls == 1:
            raise RuntimeError("boom")


def test_stage_failure_commits_nothing_and_the_batch_is_retried(
    redis_client: Any, settings: Settings, keys: Keys, monkeypatch: pytest.MonkeyPatch
) -> None:
    from alerts.masking import mask_pii

    events = random_contacts(300, seed=3, lines=("tmall",))  # one partition: one batch
    publish(redis_client, keys, "contacts", events)
    stages: list[FeedStage] = [AggregationStage(settings, keys, mask_pii), FlakyStage()]
    worker = Worker(redis_client, settings, stages, name="w1")
    monkeypatch.setattr("worker.loop.STAGE_RETRY_S", 0.01)
    groups.ensure_groups(redis_client, keys)
    assert worker.iteration() == 0  # the stage raised: nothing applied, nothing acked
    assert summed(redis_client, keys, lay.CONTACTS, "10s") == {}
    assert pending(redis_client, keys) == 300
    drain(worker, client=redis_client, keys=keys)  # retried from its own pending list
    assert summed(redis_client, keys, lay.CONTACTS, "10s") == expected_contacts(events)


class PoisonStage:
    """A stage bug that only some events trigger: it raises whenever one is in the batch."""

    feeds = frozenset({"contacts"})

    def apply(self, feed: str, events: Sequence[Event], pipe: Any) -> None:
        if any(getattr(e, "verbatim", None) == "POISON" for e in events):
            raise RuntimeError("cannot handle POISON")


def test_a_poison_event_is_dead_lettered_after_the_tries_and_the_rest_are_applied(
    redis_client: Any, settings: Settings, keys: Keys, monkeypatch: pytest.MonkeyPatch
) -> None:
    from alerts.masking import mask_pii

    good = random_contacts(40, seed=5, lines=("tmall",))  # with the poison: one partition
    poison = contact(T0 + 1, verbatim="POISON", n=999)
    events = [*good[:20], poison, *good[20:]]
    publish(redis_client, keys, "contacts", events)
    stages: list[FeedStage] = [AggregationStage(settings, keys, mask_pii), PoisonStage()]
    worker = Worker(redis_client, settings, stages, name="w1")
    monkeypatch.setattr("worker.loop.STAGE_RETRY_S", 0.01)
    groups.ensure_groups(redis_client, keys)
    for _ in range(settings.worker.stage_attempts):
        assert worker.iteration() == 0  # the batch is retried whole, nothing applied
        assert pending(redis_client, keys) == len(events)
    assert worker.iteration() == len(events)  # then one by one
    assert pending(redis_client, keys) == 0
    assert summed(redis_client, keys, lay.CONTACTS, "10s") == expected_contacts(good)
    dead = redis_client.xrange(keys.deadletter)
    assert len(dead) == 1
    fields = dead[0][1]
    assert fields["contact_id"] == poison.contact_id
    assert fields["dl_reason"] == "stage PoisonStage failed: cannot handle POISON"
    assert worker.stats.dead_letters == 1
