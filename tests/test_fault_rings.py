"""Redis frozen, then killed, while a real ``gmd worker`` delivers rings: each ring is
delivered exactly once, every attempt is recorded, escalation steps firing during the
outages log one line per outage, and nothing in the worker dies.

The trial froze Redis (SIGSTOP) for 16 s while a ring was being delivered: the
ring-records thread died on the ``TimeoutError`` of the "alerts changed" callback, later
rings stayed ``sending`` and the sweep sent them again.  Here the receiver itself
freezes Redis (7 s: past the 5 s socket timeout) the moment the first ring reaches it,
and kills Redis (restarted on its append-only file a second later) when the second
one does.  A simulator writes real-time traffic to the same Redis throughout: it must
wait both outages out, not exit, and write again once Redis is back.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from functools import partial
from pathlib import Path
from typing import Any

import pytest
import redis
from sqlalchemy import select

from alerts.models import Ring
from alerts.receiver import WebhookReceiver
from datasources.db import make_engine, make_sessionmaker
from datasources.keys import Keys
from datasources.migrate import upgrade
from datasources.redis_conn import EmbeddedRedis, connect
from tests.alerts_support import anomaly, make_settings, routing_yaml
from tests.fault_support import wait_until, worker_process
from tests.worker_support import base_env

pytestmark = [pytest.mark.integration, pytest.mark.slow]

FREEZE_S = 7.0


class ActingReceiver(WebhookReceiver):
    """Runs the next queued action the moment a ring reaches it (before answering 200)."""

    actions: list[Callable[[], None]]

    def __init__(self) -> None:
        super().__init__()
        self.actions = []

    def _record(self, path: str, raw: bytes) -> None:
        super()._record(path, raw)
        if self.actions:
            self.actions.pop(0)()


@pytest.fixture
def private_redis(tmp_path: Path) -> Iterator[EmbeddedRedis]:
    server = EmbeddedRedis(tmp_path / "redis")
    server.start()
    try:
        yield server
    finally:
        if server.process is not None and server.process.poll() is None:
            os.kill(server.process.pid, signal.SIGCONT)
        server.stop()


def test_each_ring_is_delivered_once_through_a_redis_freeze_and_a_kill(
    private_redis: EmbeddedRedis, tmp_path: Path, database_url: str, key_prefix: str
) -> None:
    receiver = ActingReceiver()
    with receiver:
        settings = make_settings(
            tmp_path, private_redis.url, key_prefix, database_url,
            routing_yaml(receiver, wait_minutes=2, repeat=2), ring_attempts=3,
        )  # fmt: skip
        upgrade(database_url)
        keys = Keys(settings.redis_prefix, settings.streams)
        sessions = make_sessionmaker(make_engine(database_url))

        def freeze() -> None:
            pid = private_redis.process.pid  # type: ignore[union-attr]
            os.kill(pid, signal.SIGSTOP)
            threading.Timer(FREEZE_S, os.kill, (pid, signal.SIGCONT)).start()

        killed = threading.Event()

        def kill() -> None:  # restarted below, from this test's main thread: a server
            # started from a short-lived thread dies with it (PR_SET_PDEATHSIG)
            private_redis.process.kill()  # type: ignore[union-attr]
            private_redis.process.wait()  # type: ignore[union-attr]
            killed.set()

        env = base_env(settings) | {
            "GMD_ROUTING_FILE": str(settings.routing_file),
            "GMD_ALERTS__ESCALATION_TIME_SCALE": str(settings.alerts.escalation_time_scale),
            "GMD_ALERTS__SWEEP_S": "0.2",
            "GMD_ALERTS__RING_BACKOFF_S": "0.05",
            "GMD_ALERTS__RING_ATTEMPTS": "3",
        }
        simulator = subprocess.Popen(
            [sys.executable, "-m", "gmd", "simulate", "--rate", "2"],
            env=env, stdout=subprocess.DEVNULL, stderr=(tmp_path / "sim.log").open("wb"),
        )  # fmt: skip
        try:
            with worker_process(env, "ringer", tmp_path / "worker.log") as worker:
                client = connect(private_redis.url, timeout_s=2)
                client.xadd(keys.anomalies, anomaly("contacts:tmall:refund:*").to_fields())  # type: ignore[arg-type]
                wait_until(partial(_rung, receiver, 1), 60, "the first ring")
                time.sleep(1.0)  # frozen now, for FREEZE_S
                wait_until(lambda: _answers(client), 30, "Redis to thaw")
                receiver.actions.append(kill)  # the next ring to arrive kills Redis
                client.xadd(keys.anomalies, anomaly("contacts:eleme:refund:*").to_fields())  # type: ignore[arg-type]
                assert killed.wait(60), "no ring reached the receiver after the freeze"
                time.sleep(1.0)
                private_redis.start()  # on the same append-only file
                wait_until(lambda: _answers(client), 30, "Redis to come back")
                # Each alert's chain rings alice, bob 2 s later, then twice more: 12 rings.
                wait_until(lambda: _statuses(sessions) == ["delivered"] * 12, 90,
                           "every ring recorded as delivered")  # fmt: skip
                before = client.xlen(keys.stream("contacts"))
                wait_until(lambda: client.xlen(keys.stream("contacts")) > before, 30,
                           "the simulator to write again after the outages")  # fmt: skip
                assert worker.poll() is None, (tmp_path / "worker.log").read_text()[-3000:]
                wait_until(lambda: _threads(client, keys) == HEALTHY, 30, "a healthy heartbeat")
                assert simulator.poll() is None, (tmp_path / "sim.log").read_text()[-3000:]
        finally:
            simulator.terminate()
            simulator.wait(20)
    assert len(receiver.received()) == 12, [m.path for m in receiver.received()]
    log = (tmp_path / "worker.log").read_text()
    assert "Traceback" not in log, log[-3000:]
    assert log.count("escalation steps failed") <= 2, log[-3000:]  # one line per outage
    # redis-py's own retries may ride out a short outage unseen; one the simulator does
    # see is announced once and its end once (it waited instead of exiting).
    sim_log = (tmp_path / "sim.log").read_text()
    assert "Traceback" not in sim_log, sim_log[-3000:]
    assert sim_log.count("waiting for it") == sim_log.count("Redis is back"), sim_log[-3000:]


HEALTHY = {"ring-records": "ok", "intake": "ok", "escalation": "ok", "RadioTicker": "ok"}


def _threads(client: Any, keys: Keys) -> Any:
    raw = client.get(keys.worker_heartbeat("ringer"))
    return json.loads(raw)["threads"] if raw else None


def _rung(receiver: WebhookReceiver, count: int) -> bool:
    return len(receiver.received()) >= count


def _answers(client: Any) -> bool:
    try:
        return bool(client.ping())
    except redis.RedisError:
        return False


def _statuses(sessions: Any) -> list[str]:
    with sessions() as session:
        return [r.status for r in session.scalars(select(Ring).order_by(Ring.id))]
