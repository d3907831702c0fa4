"""Start the real app for browser tests, benchmarks and screenshots, and give it data.

* :func:`start_app` runs ``streamlit run app.py`` on a free port with the given
  ``GMD_*`` environment and stops it (process group) when done; :func:`start_worker`
  runs a real ``gmd worker`` beside it and :func:`stop` ends either.
* :class:`Stack` is a private, complete back end: its own ``redis-server``
  (:class:`EmbeddedRedis`, so a test may really stop it), a migrated database, a
  users file (viewer ``vera``, lead ``li``), a kiosk token, short refresh and
  stale limits.
* :func:`fill_history` writes simulator traffic through the real aggregate
  writer, and :func:`open_alert` raises an alert through the real alert service.
* :func:`browser` / :func:`wait_ready` drive Debian's Chromium.

Used by ``tests/test_browser_*.py`` (H5, H6, the lead), ``bench/render.py`` and
``bench/screenshots.py``.
"""

from __future__ import annotations

import contextlib
import http.server
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import redis

from alerts.anomaly import Anomaly, AnomalyKind, AnomalyStatus, Severity
from alerts.masking import mask_pii
from alerts.service import AlertService
from alerts.views import AlertView
from dashboard.users import Role, add_user
from datasources.aggregates_write import BatchAggregate, record_progress
from datasources.db import make_engine
from datasources.keys import Keys
from datasources.migrate import upgrade
from datasources.partitions import route
from datasources.redis_conn import EmbeddedRedis, connect
from datasources.schemas import ContactEvent, QueueSnapshot, VoiceEvent
from datasources.series import contact_series
from datasources.settings import Settings, load_settings
from datasources.simulator.engine import Simulator

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
READY = "[data-testid='stApp'][data-test-script-state='notRunning']"
USERS = {"vera": (Role.VIEWER, "vera-pass"), "li": (Role.LEAD, "li-pass")}
KIOSK_TOKEN = "wall-token-123"
FEEDS = ("contacts", "queue", "voices")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class App:
    """A running ``streamlit run app.py``."""

    url: str
    process: subprocess.Popen[bytes]
    log: Path

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()


def start_app(
    env: dict[str, str], log_dir: Path, timeout_s: float = 60.0, args: Sequence[str] = ()
) -> App:
    """Start the app with ``env`` added to this process's environment (and ``args``
    added to ``streamlit run``'s); wait for health."""
    port = free_port()
    log = log_dir / f"streamlit-{port}.log"
    command = [
        sys.executable, "-m", "streamlit", "run", str(ROOT / "app.py"),
        "--server.port", str(port), "--server.headless", "true",
        "--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none", *args,
    ]  # fmt: skip
    with log.open("wb") as out:
        process = subprocess.Popen(
            command, cwd=ROOT, env={**os.environ, **env}, stdout=out, stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip
    app = App(f"http://127.0.0.1:{port}", process, log)
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"streamlit exited: {log.read_text()[-2000:]}")
        health = f"{app.url}/_stcore/health"
        with contextlib.suppress(OSError), urllib.request.urlopen(health, timeout=1) as reply:
            if reply.read() == b"ok":
                return app
        time.sleep(0.2)
    app.stop()
    raise RuntimeError(f"streamlit did not become healthy in {timeout_s}s: {log}")


def start_worker(env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("wb") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "gmd", "worker", "--log-level", "WARNING"],
            cwd=ROOT,
            env={**os.environ, **env},
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


def stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


@dataclass
class Stack:
    """A private back end (own redis-server, migrated database, users) for the app."""

    root: Path
    database_url: str
    prefix: str = "gmdbrowser"
    refresh_s: float = 1.0
    stale_after_s: float = 4.0
    redis_server: EmbeddedRedis = field(init=False)

    def __post_init__(self) -> None:
        self.redis_server = EmbeddedRedis(self.root / "redis")
        self.users_file = self.root / "users.yaml"
        for name, (role, password) in USERS.items():
            add_user(self.users_file, name, role, password)
        self.receiver = Receiver()
        self.routing_file = self.root / "routing.yaml"
        self.routing_file.write_text(ROUTING.format(port=self.receiver.port))

    def start(self) -> None:
        self.redis_server.start()
        upgrade(self.database_url)

    def stop(self) -> None:
        self.redis_server.stop()
        self.receiver.close()

    @property
    def env(self) -> dict[str, str]:
        return {
            "GMD_REDIS_URL": self.redis_server.url,
            "GMD_DATABASE_URL": self.database_url,
            "GMD_REDIS_PREFIX": self.prefix,
            "GMD_DATA_DIR": str(self.root / "data"),
            "GMD_REFRESH_S": str(self.refresh_s),
            "GMD_STALE_AFTER_S": str(self.stale_after_s),
            "GMD_USERS_FILE": str(self.users_file),
            "GMD_KIOSK_TOKEN": KIOSK_TOKEN,
            "GMD_ROUTING_FILE": str(self.routing_file),
            "GMD_LANGUAGE": "en",
        }

    def settings(self) -> Settings:
        return load_settings(
            redis_url=self.redis_server.url, database_url=self.database_url,
            redis_prefix=self.prefix, data_dir=self.root / "data",
            routing_file=self.routing_file,
        )  # fmt: skip

    def client(self) -> redis.Redis:
        return connect(self.redis_server.url)


def write_events(
    client: redis.Redis, keys: Keys, settings: Settings, events: list[tuple[str, Any]]
) -> None:
    """What the worker's batches would write: aggregates and feed progress through the real
    writer, one batch per partition the events are routed to."""
    parts: dict[int, list[tuple[str, Any]]] = {}
    for feed, event in events:
        parts.setdefault(route(feed, event, keys.partitions), []).append((feed, event))
    for p, part_events in parts.items():
        _write_batch(client, keys.of(p), settings, part_events)


def _write_batch(
    client: redis.Redis, keys: Keys, settings: Settings, events: list[tuple[str, Any]]
) -> None:
    batch = BatchAggregate(settings, mask_pii)
    batch.add_contacts(e for f, e in events if f == "contacts" and isinstance(e, ContactEvent))
    batch.add_queue(e for f, e in events if f == "queue" and isinstance(e, QueueSnapshot))
    batch.add_voices(e for f, e in events if f == "voices" and isinstance(e, VoiceEvent))
    pipe = client.pipeline(transaction=True)
    batch.flush(keys, pipeline=pipe)
    wall = time.time()
    for feed in FEEDS:
        newest = max((e.ts for f, e in events if f == feed), default=None)
        if newest is not None:
            record_progress(keys, feed, newest, wall, pipeline=pipe)
    pipe.execute()


def fill_history(
    client: redis.Redis, keys: Keys, settings: Settings, *, end: float, minutes: int,
    rate: float = 8.0, seed: int = 11,
) -> int:  # fmt: skip
    """Simulated traffic for ``minutes`` up to ``end``, written minute by minute."""
    sim = Simulator(seed=seed, start=end - minutes * 60, rate=rate, incidents=0,
                    duration_s=minutes * 60)  # fmt: skip
    batch: list[tuple[str, Any]] = []
    count = 0
    minute = None
    for feed, event in sim.events():
        if feed == "conversations":
            continue
        this_minute = int(event.ts // 60)
        if minute is not None and this_minute != minute and batch:
            write_events(client, keys, settings, batch)
            count += len(batch)
            batch = []
        minute = this_minute
        batch.append((feed, event))
    if batch:
        write_events(client, keys, settings, batch)
        count += len(batch)
    return count


class LiveFeed(threading.Thread):
    """Plays the worker: simulated traffic up to "now", written every ``every_s``
    through the real writer.  A Redis outage drops that batch and carries on;
    :attr:`paused` set stops writing (a stalled worker) until it is cleared."""

    def __init__(
        self, stack: Stack, *, rate: float = 6.0, every_s: float = 0.5, seed: int = 12
    ) -> None:
        super().__init__(daemon=True, name="live-feed")
        self.stack, self.every_s = stack, every_s
        self.simulator = Simulator(seed=seed, start=time.time(), rate=rate, incidents=0,
                                   duration_s=None)  # fmt: skip
        self.stopped = threading.Event()
        self.paused = threading.Event()

    def run(self) -> None:
        settings = self.stack.settings()
        keys = Keys.from_settings(settings)
        client = self.stack.client()
        events = self.simulator.events()
        held: tuple[str, Any] | None = None
        while not self.stopped.wait(self.every_s):
            batch: list[tuple[str, Any]] = []
            now = time.time()
            while True:
                feed, event = held or next(events)
                held = None
                if event.ts > now:
                    held = (feed, event)
                    break
                if feed != "conversations":
                    batch.append((feed, event))
            if self.paused.is_set():
                continue
            with contextlib.suppress(redis.RedisError, OSError):
                write_events(client, keys, settings, batch)
        client.close()

    def stop(self) -> None:
        self.stopped.set()
        self.join(10)


class Receiver:
    """A local HTTP endpoint for apprise ``json://`` rings; keeps every message."""

    def __init__(self) -> None:
        self.messages: list[dict[str, Any]] = []
        received = self.messages

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", 0))
                body = self.rfile.read(length)
                received.append({"path": self.path, "body": json.loads(body or b"{}")})
                self.send_response(200)
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                return

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = int(self.server.server_address[1])
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


ROUTING = """
people:
  duty.lead: {{name: "Duty lead", channels: ["json://127.0.0.1:{port}/ring/duty.lead"]}}
teams:
  warroom: {{name: "War-room duty", members: [duty.lead]}}
policies:
  standard:
    steps:
      - ring: oncall
routes: []
default: {{team: warroom, policy: standard}}
"""


def alert_service(settings: Settings, client: redis.Redis) -> AlertService:
    return AlertService(settings, make_engine(settings.effective_database_url), redis_client=client)


def open_alert(
    service: AlertService, *, business_line: str, reason: str, verbatims: list[str],
    onset: float, severity: Severity = Severity.CRITICAL, observed: float = 120.0,
    expected: float = 30.0,
) -> AlertView:  # fmt: skip
    """Raise an alert the way detection does: an ongoing spike anomaly into ``ingest``."""
    anomaly = Anomaly(
        series=contact_series(business_line, reason), kind=AnomalyKind.SPIKE,
        status=AnomalyStatus.ONGOING, onset=onset, updated=onset + 60, observed=observed,
        expected=expected, severity=severity, score=9.0, business_line=business_line,
        reason=reason, trend=[30, 32, 29, 31, 60, 95, 120], verbatims=verbatims,
    )  # fmt: skip
    service.ingest([anomaly])
    found = service.list_alerts(status="open", business_line=business_line)
    return next(a for a in found if a.reason == reason)


@contextlib.contextmanager
def browser(args: Sequence[str] = ()) -> Iterator[Any]:
    """A headless Debian Chromium (never a downloaded browser), ``args`` added."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        instance = pw.chromium.launch(executable_path=CHROMIUM, args=[*CHROMIUM_ARGS, *args])
        try:
            yield instance
        finally:
            instance.close()


def wait_ready(page: Any, timeout_ms: float = 30_000) -> None:
    """Wait until Streamlit has finished running the script (its own tests' signal)."""
    page.wait_for_selector(READY, timeout=timeout_ms)


def sign_in(page: Any, url: str, name: str) -> None:
    """Open ``url`` and sign in with the local form as one of :data:`USERS` (the
    sign-in lasts for the tab's session; the page's query parameters are kept)."""
    page.goto(url)
    wait_ready(page)
    page.get_by_role("textbox", name="User name").fill(name)
    page.get_by_role("textbox", name="Password").fill(USERS[name][1])
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_timeout(300)
    wait_ready(page)
