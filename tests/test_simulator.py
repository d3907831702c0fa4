"""The simulator: deterministic, realistic, and its labels match what it injected."""

from __future__ import annotations

import itertools
import json
from collections import Counter
from collections.abc import Iterator

import pytest

from alerts.anomaly import AnomalyKind
from alerts.masking import mask_pii
from datasources.catalog import REASONS
from datasources.schemas import (
    ContactEvent,
    Event,
    QueueSnapshot,
    Utterance,
    VoiceEvent,
    parse_event,
    to_fields,
)
from datasources.series import contact_series, queue_series, voice_series
from datasources.simulator import Incident, Simulator, read_labels
from datasources.simulator.curve import load_factor
from datasources.simulator.incidents import SAME_LINE_GAP_S, schedule

MIDNIGHT = 1794326400.0  # 2026-11-11T00:00:00+08:00
MORNING = MIDNIGHT + 10.5 * 3600  # 10:30 in Shanghai, a daytime hump
ONSET = MORNING + 300
END = ONSET + 300


def _window(
    events: list[tuple[str, Event]], start: float, end: float
) -> Iterator[tuple[str, Event]]:
    return ((feed, e) for feed, e in events if start <= e.ts < end)


@pytest.fixture(scope="module")
def incidents() -> list[Incident]:
    return [
        Incident("t-spike", AnomalyKind.SPIKE, ONSET, END, "tmall", 6.0, reason="refund"),
        Incident("t-drop", AnomalyKind.DROP, ONSET, END, "taobao", 0.2),
        Incident(
            "t-queue",
            AnomalyKind.QUEUE_BREACH,
            ONSET,
            END,
            "alipay",
            0.1,
            skill_group="alipay-payment",
        ),
        Incident("t-storm", AnomalyKind.SENTIMENT_STORM, ONSET, END, "eleme", 6.0),
    ]


@pytest.fixture(scope="module")
def day(incidents: list[Incident]) -> list[tuple[str, Event]]:
    """Fifteen daytime minutes at a modest rate, all four kinds injected at once."""
    sim = Simulator(seed=7, start=MORNING, rate=15, incidents=incidents, duration_s=900)
    return list(sim.events())


def test_same_seed_same_bytes_other_seed_differs() -> None:
    def run(seed: int) -> tuple[str, str]:
        sim = Simulator(seed=seed, start=MORNING, rate=3, incidents=2, duration_s=420, warmup_s=30)
        events = json.dumps([(f, to_fields(e)) for f, e in sim.events()], ensure_ascii=False)
        return events, json.dumps([i.label() for i in sim.labels])

    first, again, other = run(3), run(3), run(4)
    assert first == again
    assert first[0] != other[0]
    assert json.loads(first[1])  # incidents were scheduled


def test_events_are_in_time_order_and_valid(day: list[tuple[str, Event]]) -> None:
    times = [e.ts for _, e in day]
    assert times == sorted(times)
    assert {feed for feed, _ in day} == {"contacts", "queue", "voices", "conversations"}
    for feed, event in day[::97]:
        assert parse_event(feed, to_fields(event)) == event


def test_traffic_mix_is_rich(day: list[tuple[str, Event]]) -> None:
    contacts = [e for f, e in day if isinstance(e, ContactEvent)]
    assert len({e.reason for e in contacts}) >= 20
    assert {e.reason for e in contacts} <= set(REASONS)
    assert len({e.business_line for e in contacts}) >= 6
    handled = Counter(e.handled_by.value for e in contacts)
    assert handled["robot"] > 0.5 * len(contacts)  # the robot resolves most
    assert handled["agent"] > 0
    conversations = {e.conversation_id for _, e in day if isinstance(e, Utterance)}
    assert len(conversations) >= 3


def test_verbatims_carry_personal_data(day: list[tuple[str, Event]]) -> None:
    texts = [e.verbatim for _, e in day if isinstance(e, ContactEvent) and e.verbatim]
    changed = sum(mask_pii(t) != t for t in texts)
    assert changed > 0.3 * len(texts)


def _contacts(day: list[tuple[str, Event]], start: float, end: float, **match: str) -> int:
    return sum(
        1
        for _, e in _window(day, start, end)
        if isinstance(e, ContactEvent) and all(getattr(e, k) == v for k, v in match.items())
    )


def test_spike_and_drop_are_visible_from_onset(
    day: list[tuple[str, Event]], incidents: list[Incident]
) -> None:
    spike, drop = incidents[0], incidents[1]
    assert spike.series == contact_series("tmall", "refund")
    assert drop.series == contact_series("taobao")
    before = _contacts(day, ONSET - 240, ONSET, business_line="tmall", reason="refund")
    during = _contacts(day, ONSET, ONSET + 240, business_line="tmall", reason="refund")
    assert during > 3 * before
    # within the first minute already
    assert _contacts(day, ONSET, ONSET + 60, business_line="tmall", reason="refund") > 2 * (
        before / 4
    )
    before = _contacts(day, ONSET - 240, ONSET, business_line="taobao")
    during = _contacts(day, ONSET + 30, ONSET + 270, business_line="taobao")
    assert during < 0.4 * before


def test_queue_breach_builds_waiting_and_abandonment(day: list[tuple[str, Event]]) -> None:
    snaps = [
        e for _, e in day if isinstance(e, QueueSnapshot) and e.skill_group == "alipay-payment"
    ]
    before = [s for s in snaps if s.ts < ONSET]
    assert max(s.longest_wait_s for s in before) < 20
    early = [s for s in snaps if ONSET + 90 < s.ts <= ONSET + 120]
    assert early and min(s.longest_wait_s for s in early) > 60
    assert max(s.waiting for s in early) > 10
    group = [
        e
        for _, e in _window(day, ONSET, ONSET + 120)
        if isinstance(e, ContactEvent)
        and e.skill_group == "alipay-payment"
        and e.handled_by != "robot"
    ]
    abandoned = sum(e.outcome == "abandoned" for e in group)
    assert abandoned / len(group) > 0.001  # pick-up below 99.9 % within two minutes
    assert queue_series("alipay-payment") == "queue:alipay-payment"
    normal = [e for _, e in _window(day, MORNING, ONSET) if isinstance(e, ContactEvent)]
    assert sum(e.outcome == "abandoned" for e in normal) / len(normal) < 0.001


def test_sentiment_storm_raises_negative_volume_and_share(day: list[tuple[str, Event]]) -> None:
    def negatives(start: float, end: float) -> tuple[int, int]:
        voices = [
            e
            for _, e in _window(day, start, end)
            if isinstance(e, VoiceEvent) and e.business_line == "eleme"
        ]
        return sum((e.sentiment or 0) < 0 for e in voices), len(voices)

    neg_before, all_before = negatives(MORNING, ONSET)
    neg_during, all_during = negatives(ONSET, END)
    assert neg_during >= 4 * neg_before
    assert neg_during / all_during > 1.5 * neg_before / all_before
    assert voice_series("eleme") == "voices:eleme:*"


def test_midnight_surge_in_curve_and_events() -> None:
    assert load_factor(MIDNIGHT) > 10 * load_factor(MIDNIGHT - 1800) / 1.0 * 0.9
    assert load_factor(MIDNIGHT + 3600) < 0.15 * load_factor(MIDNIGHT)
    sim = Simulator(seed=1, start=MIDNIGHT - 120, rate=2, incidents=[], duration_s=240)
    contacts = [e for f, e in sim.events() if f == "contacts"]
    before = sum(e.ts < MIDNIGHT - 60 for e in contacts)
    after = sum(MIDNIGHT <= e.ts < MIDNIGHT + 60 for e in contacts)
    assert after > 8 * before


def test_a_day_of_incidents_respects_the_contract() -> None:
    labels = schedule(seed=5, start=MIDNIGHT, end=MIDNIGHT + 86400, count=36, rate=40)
    assert len(labels) == 36
    assert {i.kind for i in labels} == {
        AnomalyKind.SPIKE,
        AnomalyKind.DROP,
        AnomalyKind.QUEUE_BREACH,
        AnomalyKind.SENTIMENT_STORM,
    }
    by_line: dict[str, list[Incident]] = {}
    for incident in labels:
        assert 300 <= incident.end - incident.onset <= 1800
        by_line.setdefault(incident.business_line, []).append(incident)
    for items in by_line.values():
        items.sort(key=lambda i: i.onset)
        for earlier, later in itertools.pairwise(items):
            assert later.onset >= earlier.end + SAME_LINE_GAP_S
    spikes = [i for i in labels if i.kind is AnomalyKind.SPIKE]
    assert all(3 <= i.magnitude <= 8 for i in spikes)


def test_labels_file_round_trips(tmp_path: object, incidents: list[Incident]) -> None:
    from pathlib import Path

    assert isinstance(tmp_path, Path)
    sim = Simulator(seed=1, start=MORNING, rate=1, incidents=incidents, duration_s=60)
    path = tmp_path / "labels.jsonl"
    sim.write_labels(path)
    rows = [json.loads(line) for line in path.read_text().splitlines()]
    assert set(rows[0]) == {
        "id",
        "kind",
        "series",
        "onset",
        "end",
        "business_line",
        "reason",
        "skill_group",
        "source",
        "magnitude",
    }
    assert read_labels(path) == sim.labels


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("90", 90.0), ("15m", 900.0), ("2h", 7200.0), ("1d", 86400.0), ("1.5h", 5400.0)],
)
def test_parse_duration(text: str, seconds: float) -> None:
    from datasources.simulator.runner import parse_duration

    assert parse_duration(text) == seconds


@pytest.mark.parametrize("text", ["", "soon", "-5m", "3w"])
def test_parse_duration_rejects_nonsense(text: str) -> None:
    from datasources.simulator.runner import parse_duration

    with pytest.raises(ValueError, match="expected a duration"):
        parse_duration(text)


def test_live_conversations_come_from_recent_customers_and_some_are_flagged() -> None:
    """The demo shows what qinting is for: a customer's recent contacts beside the
    transcript, and now and then words that the transcript rules flag."""
    import random

    from alerts.transcript_rules import load_rules
    from datasources.simulator.build import EventBuilder

    rules = load_rules()
    builder = EventBuilder(random.Random(3), "t")
    customers = {
        c.customer_id
        for c in (
            builder.contact("tmall", "refund", "tmall-aftersales", MORNING) for _ in range(500)
        )
        if c.customer_id
    }
    flagged = 0
    for n in range(2000):
        turns = builder.conversation("tmall", "refund", "tmall-aftersales", MORNING + n)
        assert turns[0].customer_id in customers
        flagged += any(u.speaker.value == "customer" and rules.match(u.text) for u in turns)
    assert 0.01 < flagged / 2000 < 0.06


def test_every_incident_has_live_conversations_on_its_topic(
    day: list[tuple[str, Event]], incidents: list[Incident]
) -> None:
    """Listening to customers on an incident's topic finds conversations of its business
    line (and reason, or skill group) while the incident lasts."""
    during = [e for f, e in _window(day, ONSET, END) if isinstance(e, Utterance)]
    topics = {(u.business_line, u.reason, u.skill_group) for u in during}
    for incident in incidents:
        on_topic = [
            t for t in topics
            if t[0] == incident.business_line
            and (incident.reason is None or t[1] == incident.reason)
            and (incident.skill_group is None or t[2] == incident.skill_group)
        ]  # fmt: skip
        assert on_topic, incident.id


def test_cloud_agents_are_on_duty_at_any_hour() -> None:
    """Cloud agents work a share of every shift, not only the peaks (a whole quiet hour
    of the demo once showed 0 of them)."""
    for start in (MIDNIGHT + 4 * 3600, MORNING):
        sim = Simulator(seed=3, start=start, rate=10, incidents=0, duration_s=120)
        snaps = [e for f, e in sim.events() if isinstance(e, QueueSnapshot)]
        last = [s for s in snaps if s.ts >= start + 115]
        cloud = sum(s.cloud_agents_available + s.cloud_agents_busy for s in last)
        inhouse = sum(s.agents_available + s.agents_busy for s in last)
        assert 0.05 < cloud / (cloud + inhouse) < 0.3


def test_an_ordinary_night_has_no_queue_to_find() -> None:
    """With no incident, nobody queues: staffing covers a load's own random swings
    (square-root staffing), not only its mean.  With a margin alone, small groups at
    night filled up by chance every hour or so and the detector rightly reported
    queues that no label explained."""
    start = MIDNIGHT + 2 * 3600
    sim = Simulator(seed=11, start=start, rate=40, incidents=0, duration_s=3600)
    snaps = [e for _, e in sim.events() if isinstance(e, QueueSnapshot)]
    assert len({s.skill_group for s in snaps}) > 10
    assert max(s.waiting for s in snaps) <= 3
    assert max(s.longest_wait_s for s in snaps) < 20
