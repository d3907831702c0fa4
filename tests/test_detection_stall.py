"""A stalled queue: agents busy, nobody free, and the oldest customer not taken.

The tail probability comes from how many calls the busy agents should have
finished meanwhile; big groups are flagged in their first bucket, small ones need
longer, and a queue that keeps moving (pick-ups at its head) is never a stall.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from alerts.anomaly import AnomalyKind
from alerts.detection import BucketObservation, Detector
from alerts.detection.stall import stall_p
from datasources.settings import DetectionSettings, Targets
from tests.test_detection_unit import T0

NAN = float("nan")


def _rows(*values: list[float]) -> np.ndarray:
    return np.array([values[0]], dtype=np.float64) if len(values) == 1 else np.array(values)


PICKING = [5.0, 5.0, 5.0, 5.0]
"""Agents took customers in every bucket, as busy agents finishing calls would."""


@pytest.mark.parametrize(
    ("head", "free", "waiting", "picked", "stall_s", "p_range"),
    [
        # Queue forms at t=10 and nobody is taken: the head's wait before counts too
        # (100 busy agents should have freed ~15 in 22 s; three windows tested).
        ([0, 2, 12, 22], [5, 0, 0, 0], [0, 3, 8, 12], [5, 0, 0, 0], 22.0,
         (3 * math.exp(-100 / 150 * 22) * 0.999, 3 * math.exp(-100 / 150 * 22) * 1.001)),
        # A busy queue that keeps moving: about as many taken as agents free up.
        ([3, 6, 5, 7], [0, 0, 0, 0], [9, 12, 14, 15], PICKING, None, (0.1, 1.0)),
        # A few taken by the agents left: 3 in 30 s where 20 were due.
        ([3, 8, 12, 9], [0, 0, 0, 0], [9, 12, 14, 15], [5, 1, 1, 1], 30.0, (1e-6, 1e-4)),
        # An agent is free: customers are being taken, not stalled.
        ([0, 2, 12, 22], [0, 0, 0, 1], [0, 3, 8, 12], [5, 0, 0, 0], 0.0, (1.0, 1.0)),
        # A missing snapshot breaks the run.
        ([2, 12, NAN, 32], [0, 0, NAN, 0], [3, 5, NAN, 9], PICKING, 0.0, (1.0, 1.0)),
    ],
    ids=["from-empty", "moving", "few-taken", "agent-free", "gap"],
)  # fmt: skip
def test_stall_length_and_probability(
    head: list[float], free: list[float], waiting: list[float], picked: list[float],
    stall_s: float | None, p_range: tuple[float, float],
) -> None:  # fmt: skip
    ts = [T0 + 10.0 * k if not math.isnan(h) else NAN for k, h in enumerate(head)]
    busy = [100.0 if not math.isnan(h) else NAN for h in head]
    h, t, f, b, w, k = (_rows(v) for v in (head, ts, free, busy, waiting, picked))
    p, length = stall_p(h, t, f, b, w, k, np.array([1 / 150]))
    if stall_s is not None:
        assert length[0] == pytest.approx(stall_s)
    assert p_range[0] <= p[0] <= p_range[1]


def test_the_bigger_the_group_the_sooner_a_stall_is_unlikely() -> None:
    head = np.array([[0.0, 2.0, 12.0]] * 2)
    ts = np.array([[0.0, 10.0, 20.0]] * 2)
    free = np.zeros((2, 3))
    busy = np.array([[300.0] * 3, [20.0] * 3])
    waiting = np.array([[0.0, 4.0, 9.0]] * 2)
    picked = np.zeros((2, 3))
    p, _ = stall_p(head, ts, free, busy, waiting, picked, np.full(2, 1 / 150))
    assert p[0] < 1e-9 < 0.1 < p[1]


def _run(stalls_from: int | None, busy: float, buckets: int = 80) -> list[float]:
    """Detection times of queue breaches for one group: agents to spare for the first
    35 buckets (its pace is learned), then a busy queue whose head keeps moving, then
    from ``stalls_from`` a head nobody takes."""
    detector = Detector(DetectionSettings(), Targets())
    rng = np.random.default_rng(3)
    opened = []
    head = 0.0
    for k in range(buckets):
        since = k - stalls_from if stalls_from is not None else -1
        stalled, quiet = since >= 0, k < 35
        head = head + 10.0 if stalled else 0.0 if quiet else float(rng.uniform(0, 6))
        snap = {
            "waiting": 0.0 if quiet else 4.0 + since * 3 if stalled else 4.0,
            "longest_wait_s": head,
            "agents_available": 5.0 if quiet else 0.0,
            "agents_busy": busy,
            "ts": T0 + 10.0 * k + 9.5,
        }
        service = {"g1": {"offered": 20.0, "answered": 20.0, "answered_in_sl": 20.0}}
        service["g1"]["agent"] = 0.0 if stalled else float(rng.poisson(busy * 10 / 150))
        obs = BucketObservation(T0 + 10 * k, service=service, queue={"g1": snap})
        opened += [
            float(a.detail["detected_at"])
            for a in detector.step(obs)
            if a.kind is AnomalyKind.QUEUE_BREACH and a.status.value == "ongoing"
        ]
    return opened


@pytest.mark.parametrize(("busy", "within_buckets"), [(300.0, 1), (60.0, 3)])
def test_a_stalled_queue_opens_a_breach_as_soon_as_the_group_size_allows(
    busy: float, within_buckets: int
) -> None:
    opened = _run(stalls_from=50, busy=busy)
    stall_start = T0 + 10 * 49 + 9.5  # the last snapshot where the head still moved
    assert opened, "no breach"
    assert stall_start < opened[0] <= stall_start + 10 * within_buckets + 0.5


def test_a_busy_queue_that_keeps_moving_is_not_a_stall() -> None:
    assert _run(stalls_from=None, busy=300.0) == []


def test_buckets_without_the_answered_split_do_not_blind_the_stall_test() -> None:
    """A service entry that does not say who answered (robot, agent, cloud agent) must
    not poison the learned pace: the stall test still opens afterwards."""
    detector = Detector(DetectionSettings(), Targets())
    opened = []
    for k in range(60):
        stalled = k >= 50
        snap = {
            "waiting": 4.0 + k - 50 if stalled else 0.0,
            "longest_wait_s": 10.0 * (k - 49) if stalled else 0.0,
            "agents_available": 0.0 if stalled else 5.0,
            "agents_busy": 300.0,
            "ts": T0 + 10.0 * k + 9.5,
        }
        service = {"g1": {"offered": 20.0, "answered": 20.0, "answered_in_sl": 20.0}}
        if k % 2 or stalled:  # every other quiet bucket lacks the split
            service["g1"]["agent"] = 0.0 if stalled else 20.0
        obs = BucketObservation(T0 + 10 * k, service=service, queue={"g1": snap})
        opened += [a for a in detector.step(obs) if a.status.value == "ongoing"]
    assert np.isfinite(detector.queue.picked).all()
    assert opened and "queue_stalled" in opened[0].detail["breached"]
