"""Redis goes away under a running ``gmd worker``: one line per retry, no traceback,
and it carries on by itself when Redis returns; SIGTERM then exits 0.

Uses its own embedded Redis (it is stopped and restarted), whatever server the
rest of the suite runs on.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from datasources.keys import Keys
from datasources.redis_conn import EmbeddedRedis, connect
from datasources.settings import Settings
from tests.worker_support import T0, contact, publish, worker_env

pytestmark = [pytest.mark.integration, pytest.mark.slow]


@pytest.fixture
def private_redis(tmp_path: Path) -> Iterator[EmbeddedRedis]:
    server = EmbeddedRedis(tmp_path / "redis")
    server.start()
    try:
        yield server
    finally:
        server.stop()


def wait_until(condition: Any, timeout_s: float = 20.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def test_worker_rides_out_a_redis_outage_and_stops_warm(
    private_redis: EmbeddedRedis, settings: Settings, tmp_path: Path
) -> None:
    own = settings.model_copy(update={"redis_url": private_redis.url})
    keys = Keys.from_settings(own)
    client = connect(private_redis.url, timeout_s=2)
    publish(client, keys, "contacts", [contact(T0 + 1)])
    stderr = (tmp_path / "worker.err").open("w+b")
    proc = subprocess.Popen(
        [sys.executable, "-m", "gmd", "worker", "--name", "steady", "--log-level", "INFO"],
        env=worker_env(own),
        stdout=subprocess.DEVNULL,
        stderr=stderr,
    )
    try:
        wait_until(lambda: float(client.hget(keys.watermark, "contacts") or 0) == T0 + 1)
        private_redis.stop()
        time.sleep(2.5)  # a few retries with back-off
        private_redis.start()
        client = connect(private_redis.url, timeout_s=2)
        publish(client, keys, "contacts", [contact(T0 + 2)])
        # The worker backs off up to 10 s between reconnects; a loaded CI box adds more.
        back = lambda: float(client.hget(keys.watermark, "contacts") or 0) == T0 + 2  # noqa: E731
        wait_until(back, timeout_s=60)
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(20) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(10)
    stderr.seek(0)
    log = stderr.read().decode()
    assert "Traceback" not in log, log
    outage_lines = [line for line in log.splitlines() if "Redis unavailable" in line]
    assert 1 <= len(outage_lines) <= 10, log
    assert "Redis is back" in log
    assert "stopped after 2 events" in log
