"""``gmd run``: the whole product with one command.

Locks the data directory (one ``gmd run`` per directory), starts the embedded Redis
(unless ``GMD_REDIS_URL`` is set), migrates the database, then the worker, the
simulator and the Streamlit app; restarts any of them that dies, Redis included;
and stops them all cleanly on Ctrl-C or SIGTERM.
"""

from __future__ import annotations

import logging
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated

import typer

from datasources.redis_conn import EmbeddedRedis, RedisUnavailable, wait_for
from datasources.settings import Settings
from gmd.errors import fail, settings_or_exit
from gmd.lock import DataDirInUse, lock_data_dir
from gmd.prefill import report_prefill
from gmd.supervisor import Child, Supervisor, child_env

log = logging.getLogger("gmd.run")

ROOT = Path(__file__).resolve().parent.parent
APP_FILE = ROOT / "app.py"
GMD = [sys.executable, "-m", "gmd"]
WILDCARD_HOSTS = ("0.0.0.0", "::", "")
"""Addresses meaning "every interface"."""


def _wait_healthy(host: str, port: int, supervisor: Supervisor, timeout_s: float) -> bool:
    probe = "127.0.0.1" if host in WILDCARD_HOSTS else host
    url = f"http://{f'[{probe}]' if ':' in probe else probe}:{port}/_stcore/health"
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline and not supervisor.stopping:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.read().strip() == b"ok":
                    return True
        except OSError:
            pass
        time.sleep(0.5)
    return False


def run_command(
    port: Annotated[int, typer.Option(help="Port of the web app.")] = 8501,
    host: Annotated[
        str,
        typer.Option(
            help="Address the web app listens on: this machine only by default; 0.0.0.0 "
            "for the network (demo mode then gives everyone read-only access)."
        ),
    ] = "127.0.0.1",
    data_dir: Annotated[
        Path | None, typer.Option(help="Where the SQLite file, embedded Redis and logs live.")
    ] = None,
    simulate: Annotated[
        bool, typer.Option(help="Feed simulated Double-11 traffic (off when real feeds write).")
    ] = True,
    speed: Annotated[float, typer.Option(help="Simulated clock speed (1 = real time).")] = 1.0,
    workers: Annotated[int, typer.Option(min=1, help="Worker processes sharing the feeds.")] = 1,
    history: Annotated[
        str, typer.Option(help="Past to simulate first into an empty data dir (0: none).")
    ] = "24h",
) -> None:
    """Run the whole product: Redis, database, worker, simulator and the war room on PORT."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s gmd run: %(message)s")
    overrides: dict[str, object] = {"data_dir": data_dir} if data_dir else {}
    settings = settings_or_exit(**overrides)
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    data = settings.data_dir.resolve()
    try:
        lock = lock_data_dir(data)
    except DataDirInUse as exc:
        fail(str(exc), code=1)
    with lock:
        code = _run(settings, data, Product(host, port, simulate, speed, workers, history))
    raise typer.Exit(code)


@dataclass(frozen=True)
class Product:
    """What ``gmd run`` was asked to start besides Redis."""

    host: str
    port: int
    simulate: bool
    speed: float
    workers: int
    history: str


def served_base_url(host: str, port: int, hostname: Callable[[], str]) -> str:
    """Where rings link to when ``GMD_BASE_URL`` is not set: the address actually served.

    Loopback stays ``localhost``; listening on every interface, the owners reading a ring
    elsewhere need this machine's name (``hostname()``, asked only then: a name lookup
    can be slow), not ``localhost``."""
    if host in ("127.0.0.1", "localhost", "::1"):
        return f"http://localhost:{port}"
    name = hostname() if host in WILDCARD_HOSTS else host
    return f"http://[{name}]:{port}" if ":" in name else f"http://{name}:{port}"


def _run(settings: Settings, data: Path, product: Product) -> int:
    port = product.port
    logs = data / "logs"
    supervisor = Supervisor([], services=_services(settings, data, logs))
    signal.signal(signal.SIGINT, supervisor.request_stop)
    signal.signal(signal.SIGTERM, supervisor.request_stop)
    code = 1
    try:
        try:
            supervisor.start_all()
            redis_url = settings.redis_url or EmbeddedRedis(data / "redis").url
            wait_for(redis_url, timeout_s=5)
        except RedisUnavailable as exc:
            fail(str(exc), code=1)
        base_url = (
            settings.base_url
            if "base_url" in settings.model_fields_set
            else served_base_url(product.host, port, socket.getfqdn)
        )
        env = child_env(GMD_REDIS_URL=redis_url, GMD_DATA_DIR=str(data), GMD_BASE_URL=base_url)
        migrated = subprocess.run([*GMD, "db", "upgrade"], env=env, check=False)
        if migrated.returncode != 0:
            fail("database migration failed; see the message above", code=1)
        supervisor.children = _children(env, logs, product)
        supervisor.start_all()
        if _wait_healthy(product.host, port, supervisor, timeout_s=60):
            log.info("Guangmingding is up: %s  (logs in %s)", base_url, logs)
        if product.simulate and product.history not in ("0", "0s") and product.speed == 1:
            report_prefill(redis_url, settings, lambda: supervisor.stopping)
        code = supervisor.watch()
    finally:
        supervisor.stop_all()
        log.info("stopped")
    return code


def _services(settings: Settings, data: Path, logs: Path) -> list[Child]:
    """The embedded Redis, supervised like the other children (restarted on its
    append-only file), unless ``GMD_REDIS_URL`` points at a Redis of its own."""
    if settings.redis_url is not None:
        return []
    embedded = EmbeddedRedis(data / "redis")
    return [
        Child(
            "redis",
            embedded.argv(),
            logs,
            child_env(),
            prepare=embedded.prepare,
            ready=lambda: wait_for(embedded.url, timeout_s=10),
            new_session=True,  # a Ctrl-C meant for `gmd run` must not reach it first
        )
    ]


def _children(env: dict[str, str], logs: Path, product: Product) -> list[Child]:
    children = [
        Child(f"worker-{n}", [*GMD, "worker", "--name", f"worker-{n}"], logs, env)
        for n in range(1, product.workers + 1)
    ]
    if product.simulate:
        simulate = [*GMD, "simulate", "--speed", str(product.speed), "--history", product.history]
        children.append(Child("simulator", simulate, logs, env))
    web = [sys.executable, "-m", "streamlit", "run", str(APP_FILE),
           "--server.port", str(product.port), "--server.address", product.host,
           "--server.headless", "true", "--browser.gatherUsageStats", "false"]  # fmt: skip
    # Streamlit reads .streamlit/config.toml (theme) from its cwd.
    children.append(Child("web", web, logs, env, cwd=ROOT))
    return children
