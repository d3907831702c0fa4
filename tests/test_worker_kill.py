"""SIGKILL a real ``gmd worker`` mid-batch; a second worker completes the aggregates exactly.

The first worker is killed while it holds delivered-but-unacked entries (its batch
was read, its transaction not yet committed).  The second worker claims them after
``claim_idle_ms`` and drains the rest.  Every resolution must then hold exactly the
counts of the events published — nothing lost, nothing counted twice — each
invalid event must be dead-lettered exactly once, and nothing may stay pending.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from typing import Any

import pytest

from datasources import aggregates_layout as lay
from datasources.keys import FEED_GROUP, RESOLUTIONS, Keys
from datasources.settings import Settings
from tests.conftest import TOPOLOGIES
from tests.worker_support import (
    drained,
    expected_contacts,
    publish,
    random_contacts,
    summed,
    worker_env,
)
from worker.loop import Worker
from worker.main import build_stages

pytestmark = [pytest.mark.integration, pytest.mark.slow, TOPOLOGIES]

EVENTS = 8_000
INVALID = 5


@pytest.fixture
def start_worker(settings: Settings) -> Iterator[list[subprocess.Popen[bytes]]]:
    """Started ``gmd worker`` processes; whatever is still running is killed afterwards."""
    started: list[subprocess.Popen[bytes]] = []
    yield started
    for proc in started:
        if proc.poll() is None:
            proc.kill()
        proc.wait(10)


def owned_by(client: Any, keys: Keys, consumer: str) -> int:
    """Entries delivered to ``consumer`` and not acked, in every partition."""
    held = 0
    for part in keys.every():
        summary = client.xpending(part.stream("contacts"), FEED_GROUP)
        held += int(dict((c["name"], c["pending"]) for c in summary["consumers"]).get(consumer, 0))
    return held


def test_sigkill_mid_batch_loses_nothing_and_counts_nothing_twice(
    redis_client: Any,
    settings: Settings,
    keys: Keys,
    start_worker: list[subprocess.Popen[bytes]],
) -> None:
    events = random_contacts(EVENTS, seed=21)
    publish(redis_client, keys, "contacts", events[: EVENTS // 2])
    for n in range(INVALID):
        redis_client.xadd(keys.stream("contacts"), {"v": "1", "ts": f"broken-{n}"})
    publish(redis_client, keys, "contacts", events[EVENTS // 2 :])

    proc = subprocess.Popen(
        [sys.executable, "-m", "gmd", "worker", "--name", "doomed", "--log-level", "WARNING"],
        env=worker_env(settings),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    start_worker.append(proc)
    deadline = time.monotonic() + 60
    killed_holding = 0
    while time.monotonic() < deadline and proc.poll() is None:
        # Wait until it has committed some batches and holds an unacked one, then kill.
        if any(redis_client.hexists(p.watermark, "contacts") for p in keys.every()) and owned_by(
            redis_client, keys, "doomed"
        ):
            proc.send_signal(signal.SIGKILL)
            proc.wait(10)
            killed_holding = owned_by(redis_client, keys, "doomed")
            break
        time.sleep(0.005)
    assert proc.returncode == -signal.SIGKILL, proc.stderr.read().decode() if proc.stderr else ""
    assert killed_holding > 0, "the worker was not killed mid-batch"
    assert not drained(redis_client, keys), "killed too late to prove anything"

    time.sleep(0.15)  # past claim_idle_ms: the dead worker's batch may now be claimed
    fast = settings.model_copy(
        update={"worker": settings.worker.model_copy(update={"claim_idle_ms": 100, "block_ms": 20})}
    )
    # Feed stages only: the tickers ran in the killed process; here they would only add time.
    survivor = Worker(redis_client, fast, build_stages(fast, redis_client), name="survivor")
    try:
        for _ in range(500):
            survivor.iteration()
            if drained(redis_client, keys):
                break
    finally:
        survivor.close()
    assert drained(redis_client, keys)
    assert survivor.stats.events >= killed_holding  # it claimed the dead worker's batch

    expected = expected_contacts(events)
    for res in RESOLUTIONS:
        assert summed(redis_client, keys, lay.CONTACTS, res) == expected, res
    offered = summed(redis_client, keys, lay.SERVICE_LINE, "1h")
    assert offered["*|offered"] == EVENTS
    assert offered["*|answered"] + offered["*|abandoned"] == EVENTS
    assert sum(redis_client.xlen(part.deadletter) for part in keys.every()) == INVALID
