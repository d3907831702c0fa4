"""Fast detection: a queue whose agents vanish, and overwhelming evidence, open at once.

A queue breach must not wait a minute for the longest wait to pass its target
when the cause (agents gone, customers queueing) is visible in the very bucket;
normal heavy load, the surge's new agents and a slow evening ramp-down must stay
quiet.  A decisive signal opens its incident on the first bucket, a marginal one
still needs ``confirm_buckets``.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest

from alerts.anomaly import AnomalyKind, Severity
from alerts.detection import BucketObservation, Detector
from alerts.detection.incidents import IncidentTracker, Level, Signal
from datasources.settings import DetectionSettings, Targets
from tests.test_detection_unit import KEYS, T0, _idx

Queue = Callable[[int], tuple[float, float]]
"""bucket → (agents logged in, customers waiting)."""


def steady(_k: int) -> tuple[float, float]:
    return 40.0, 0.0


def collapse(k: int) -> tuple[float, float]:
    return (40.0, 1.0) if k < 40 else (12.0, 3.0 * (k - 39))


def collapse_quarter(k: int) -> tuple[float, float]:
    return (40.0, 0.0) if k < 40 else (30.0, 4.0 + k - 40)


def heavy_load(k: int) -> tuple[float, float]:
    return 40.0, float(np.random.default_rng(k).integers(0, 16))


def surge_staffing(k: int) -> tuple[float, float]:
    return (20.0 if k < 40 else 120.0), (0.0 if k < 40 else 10.0)


def ramp_down(k: int) -> tuple[float, float]:
    return 60.0 * 0.98 ** max(0, k - 30), 4.0


def ramp_down_fastest(k: int) -> tuple[float, float]:
    """The simulator's fastest planned ramp-down (a 300th of the plan a second)."""
    return 60.0 * (1 - 10 / 300) ** max(0, k - 30), 4.0


def collapse_nobody_waiting(k: int) -> tuple[float, float]:
    return (40.0 if k < 40 else 12.0), 0.0


def collapse_small_group(k: int) -> tuple[float, float]:
    return (3.0 if k < 40 else 0.0), 0.0 if k < 40 else float(k - 38)


def _run_queue(queue: Queue, *, agent_fields: bool = True, buckets: int = 60) -> list[float]:
    """Detection times (bucket end) of the queue incidents that opened."""
    detector = Detector(DetectionSettings(), Targets())
    opened: dict[float, float] = {}
    for k in range(buckets):
        agents, waiting = queue(k)
        snap = {"waiting": waiting, "longest_wait_s": 2.0 * waiting}
        if agent_fields:
            snap |= {"agents_available": 0.0, "agents_busy": agents}
        service = {"g1": {"offered": 20.0, "answered": 20.0, "answered_in_sl": 20.0}}
        obs = BucketObservation(T0 + 10 * k, service=service, queue={"g1": snap})
        for a in detector.step(obs):
            if a.kind is AnomalyKind.QUEUE_BREACH and a.status.value == "ongoing":
                opened.setdefault(a.onset, float(a.detail["detected_at"]))
    return list(opened.values())


@pytest.mark.parametrize(
    ("queue", "agent_fields", "within_buckets"),
    [
        (collapse, True, 1),  # agents to 30 % with customers queueing: the same bucket
        (collapse_quarter, True, 1),  # a quarter gone at once, a queue forming
        (collapse, False, None),  # no agent counts: only the longest-wait rule can tell
        (steady, True, None),
        (heavy_load, True, None),  # up to 15 waiting with everyone at work
        (surge_staffing, True, None),  # the midnight surge adds agents
        (ramp_down, True, None),  # 2 % fewer agents a bucket: planned, not an outage
        (ramp_down_fastest, True, None),  # 18 % fewer over a minute: still the plan
        (collapse_nobody_waiting, True, None),  # fewer agents, nobody waits yet
        (collapse_small_group, True, None),  # 3 agents is too few to call a collapse
    ],
)
def test_queue_collapse(queue: Queue, agent_fields: bool, within_buckets: int | None) -> None:
    opened = _run_queue(queue, agent_fields=agent_fields)
    first_collapse = T0 + 10 * 40
    early = [t for t in opened if t <= first_collapse + 10 * (within_buckets or 0)]
    if within_buckets is None:
        assert early == [] or not agent_fields
        assert all(t > first_collapse + 60 for t in opened)
    else:
        assert early == [first_collapse + 10]
        assert len(opened) == 1


def test_collapse_anomaly_says_why() -> None:
    detector = Detector(DetectionSettings(), Targets())
    found = []
    for k in range(42):
        agents, waiting = collapse(k)
        snap = {"waiting": waiting, "longest_wait_s": 0.0, "agents_busy": agents}
        found += detector.step(BucketObservation(T0 + 10 * k, queue={"g1": snap}))
    (anomaly,) = found
    assert anomaly.metric == "waiting" and anomaly.severity is Severity.CRITICAL
    assert anomaly.detail["breached"] == ["agents_collapse"]
    assert anomaly.detail["agents"] == 12
    assert anomaly.onset == T0 + 400


def _signal(decisive: bool) -> Signal:
    return Signal(
        series="contacts:line1:*:*",
        kind=AnomalyKind.SPIKE,
        level=Level.FIRING,
        observed=50.0,
        expected=5.0,
        score=12.0,
        severity=Severity.CRITICAL,
        metric="contacts_per_min",
        decisive=decisive,
    )


@pytest.mark.parametrize(("decisive", "opens_after"), [(True, 1), (False, 2)])
def test_decisive_signals_skip_confirmation(decisive: bool, opens_after: int) -> None:
    tracker = IncidentTracker(DetectionSettings(confirm_buckets=2))
    opened_at = [k for k in range(1, 4) if tracker.step(T0 + 10 * k, [_signal(decisive)])]
    assert opened_at[0] == opens_after


@pytest.mark.parametrize(("factor", "decisive"), [(10.0, True), (2.5, False)])
def test_overwhelming_spike_opens_in_its_first_bucket(factor: float, decisive: bool) -> None:
    """A tenfold spike is news in its first bucket; a 2.5× one waits for confirmation."""
    rng = np.random.default_rng(5)
    where = _idx("line1", "r2")
    base = np.where(where, 5.0, rng.gamma(2.0, 0.5, len(KEYS)) * 3.0)
    detector = Detector(DetectionSettings(), Targets())
    opened = []
    for k in range(140):
        mu = np.where(where, base * factor, base) if k >= 100 else base
        counts = rng.poisson(rng.gamma(25.0, mu / 25.0))
        obs = BucketObservation(T0 + 10 * k, dict(zip(KEYS, counts.tolist(), strict=True)))
        opened += [a for a in detector.step(obs) if a.status.value == "ongoing"]
    first = opened[0]
    assert first.series == "contacts:line1:r2:*"
    delay = float(first.detail["detected_at"]) - (T0 + 1000)
    assert (delay <= 10) is decisive
