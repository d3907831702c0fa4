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
from alerts.detection_stall import stall_p
from datasources.settings import DetectionSettings, Targets
from tests.test_detection_unit import T0

NAN = float("nan")


def _rows(*values: list[float]) -> np.ndarray:
    return np.array([values[0]], dtype=np.float64) if len(values) == 1 else np.array(values)


@pytest.mark.parametrize(
    ("head", "free", "busy", "waiting", "stall_s"),
    [
        # Queue forms at t=10 and its head is never taken: its whole wait counts.
        ([0, 2, 12, 22], [5, 0, 0, 0], [100, 100, 100, 100], [0, 3, 8, 12], 22.0),
        # The head moves (a pick-up each interval): no stall however long the queue.
        ([0, 6, 5, 7], [0, 0, 0, 0], [100, 100, 100, 100], [9, 12, 14, 15], 0.0),
        # An agent is free: customers are being taken, not stalled.
        ([0, 2, 12, 22], [0, 0, 0, 1], [100, 100, 100, 100], [0, 3, 8, 12], 0.0),
        # Stalled for the last two intervals only, behind a queue that moved before.
        ([0, 6, 16, 26], [0, 0, 0, 0], [100, 100, 100, 100], [9, 12, 14, 15], 20.0),
        # A missing snapshot breaks the run.
        ([2, 12, NAN, 32], [0, 0, NAN, 0], [100, 100, NAN, 100], [3, 5, NAN, 9], 0.0),
    ],
    ids=["from-empty", "moving", "agent-free", "stalled-behind", "gap"],
)
def test_stall_length(
    head: list[float], free: list[float], busy: list[float], waiting: list[float], stall_s: float
) -> None:
    ts = [T0 + 10.0 * k for k in range(len(head))]
    ts = [t if not math.isnan(h) else NAN for t, h in zip(ts, head, strict=True)]
    p, length = stall_p(
        _rows(head), _rows(ts), _rows(free), _rows(busy), _rows(waiting), np.array([1 / 150])
    )
    assert length[0] == pytest.approx(stall_s)
    assert p[0] == pytest.approx(math.exp(-100 / 150 * stall_s))


def test_the_bigger_the_group_the_sooner_a_stall_is_unlikely() -> None:
    head = np.array([[0.0, 2.0, 12.0]] * 2)
    ts = np.array([[0.0, 10.0, 20.0]] * 2)
    free = np.zeros((2, 3))
    busy = np.array([[300.0] * 3, [20.0] * 3])
    waiting = np.array([[0.0, 4.0, 9.0]] * 2)
    p, _ = stall_p(head, ts, free, busy, waiting, np.full(2, 1 / 150))
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
        service["g1"]["agent"] = float(rng.poisson(busy * 10 / 150))
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
