"""The embedded Redis killed (SIGKILL) under ``gmd run``'s supervisor, without a browser:
it is logged and restarted on its append-only file, every event the worker had
acknowledged is still counted, and the same worker process counts on.

The supervisor is ``gmd run``'s own (``gmd.run._services``: the embedded Redis as a
supervised service, and a real ``gmd worker``), in a process of its own; the web app
and the simulator are left out to keep it fast.  ``tests/test_run.py`` kills the Redis
of a whole ``gmd run`` and checks that the open wall comes back without a reload.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import psutil
import pytest
import redis

from datasources import aggregates_layout as lay
from datasources.keys import Keys
from datasources.redis_conn import EmbeddedRedis, connect
from tests.fault_support import wait_until
from tests.worker_support import publish, random_contacts, summed

pytestmark = [pytest.mark.integration, pytest.mark.embedded, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[1]
SUPERVISED = textwrap.dedent(
    """
    import logging, signal, sys
    from pathlib import Path
    from datasources.redis_conn import EmbeddedRedis
    from datasources.settings import load_settings
    from gmd.run import GMD, _services
    from gmd.supervisor import Child, Supervisor, child_env

    logging.basicConfig(level=logging.INFO, format="%(message)s")
    data = Path(sys.argv[1])
    logs = data / "logs"
    settings = load_settings(data_dir=data, redis_url=None)
    supervisor = Supervisor([], services=_services(settings, data, logs))
    signal.signal(signal.SIGTERM, supervisor.request_stop)
    supervisor.start_all()
    env = child_env(
        GMD_REDIS_URL=EmbeddedRedis(data / "redis").url, GMD_DATA_DIR=str(data),
        GMD_WORKER__BLOCK_MS="50",
    )
    worker = [*GMD, "worker", "--name", "steady", "--log-level", "INFO"]
    supervisor.children = [Child("worker-1", worker, logs, env)]
    supervisor.start_all()
    sys.exit(supervisor.watch(poll_s=0.2))
    """
)


@pytest.fixture
def supervised(tmp_path: Path) -> Iterator[tuple[subprocess.Popen[bytes], Path, Path]]:
    data = tmp_path / "data"
    log = tmp_path / "supervisor.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-c", SUPERVISED, str(data)],
            cwd=ROOT, stdout=out, stderr=subprocess.STDOUT,
            env={k: v for k, v in os.environ.items() if not k.startswith("GMD_")},
        )  # fmt: skip
    try:
        yield proc, data, log
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(40)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(10)


def _child(proc: subprocess.Popen[bytes], name: str) -> psutil.Process | None:
    for child in psutil.Process(proc.pid).children(recursive=True):
        try:
            if child.status() != psutil.STATUS_ZOMBIE and name in " ".join(child.cmdline()):
                return child
        except psutil.Error:
            continue
    return None


def _counted(url: str) -> int:
    try:
        with connect(url, timeout_s=1) as client:
            return int(client.hget(Keys("gmd").feed_counts, "contacts") or 0)
    except redis.RedisError:
        return -1


def test_a_killed_embedded_redis_is_restarted_and_no_acknowledged_event_is_lost(
    supervised: tuple[subprocess.Popen[bytes], Path, Path],
) -> None:
    proc, data, log = supervised
    url = EmbeddedRedis(data / "redis").url
    keys = Keys("gmd")
    wait_until(lambda: _child(proc, "gmd worker") is not None, 60, "the worker to start")
    wait_until(lambda: _counted(url) >= 0, 60, "Redis to answer")
    first, second = random_contacts(400, seed=7), random_contacts(300, seed=8)
    with connect(url) as client:
        publish(client, keys, "contacts", first)
    wait_until(lambda: _counted(url) == len(first), 60, "the worker to count the first events")
    server, worker = _child(proc, "redis-server"), _child(proc, "gmd worker")
    assert server is not None and worker is not None

    server.send_signal(signal.SIGKILL)
    wait_until(
        lambda: (s := _child(proc, "redis-server")) is not None and s.pid != server.pid,
        30,
        "the supervisor to restart Redis",
    )
    wait_until(lambda: _counted(url) >= 0, 30, "the restarted Redis to answer")
    assert _counted(url) == len(first), "acknowledged events lost with the server"
    with connect(url) as client:
        publish(client, keys, "contacts", second)
        wait_until(lambda: _counted(url) == len(first) + len(second), 60, "counting to go on")
        offered = summed(client, keys, lay.SERVICE_LINE, "1h")["*|offered"]
    assert offered == len(first) + len(second)
    assert _child(proc, "gmd worker") == worker, "the worker rode the outage out, not restarted"
    assert proc.poll() is None
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(40) == 0
    text = log.read_text(errors="replace")
    assert "redis exited with code -9" in text and "redis restarted" in text, text[-2000:]
