"""`gmd run` on a fresh data directory: the product comes up by itself within a minute,
survives its embedded Redis being killed, refuses a second `gmd run` on its data, and
stops every process on SIGTERM.

Embedded defaults only (its own redis-server, a SQLite file, the simulator), exactly
what `make run` does on a user's machine.  One `gmd run` serves every check (starting
one costs a good part of a minute on the CI machine).
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psutil
import pytest
import redis

from datasources.keys import Keys
from datasources.redis_conn import connect
from tests.browser_support import browser, wait_ready

ROOT = Path(__file__).resolve().parent.parent

pytestmark = [pytest.mark.browser, pytest.mark.embedded, pytest.mark.slow]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _healthy(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=2) as r:
            return bool(r.read().strip() == b"ok")
    except OSError:
        return False


@dataclass
class Running:
    process: subprocess.Popen[bytes]
    port: int
    data_dir: Path
    started: float
    log: Path
    env: dict[str, str]

    @property
    def redis_url(self) -> str:
        return f"unix://{self.data_dir.resolve() / 'redis' / 'redis.sock'}"

    def redis_server(self) -> psutil.Process:
        """The live redis-server child (a killed one may linger as a zombie a moment)."""
        for child in psutil.Process(self.process.pid).children(recursive=True):
            try:
                if child.status() != psutil.STATUS_ZOMBIE and "redis-server" in child.name():
                    return child
            except psutil.Error:
                continue
        raise LookupError("no redis-server running under gmd run")


@pytest.fixture
def running(tmp_path: Path) -> Iterator[Running]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GMD_")}
    env["HOME"] = str(tmp_path)
    port = _free_port()
    data_dir = tmp_path / "data"
    log = tmp_path / "run.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "gmd", "run", "--port", str(port), "--data-dir", str(data_dir)],
            env=env,
            cwd=tmp_path,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        yield Running(process, port, data_dir, time.monotonic(), log, env)
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(40)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def _tile_values(page: Any) -> list[str]:
    return [str(v) for v in page.locator(".gmd-tile-value").all_inner_texts()]


def _wall_moves(page: Any, timeout_s: float) -> None:
    """The wall shows a non-zero contacts-per-minute figure, and the figures move."""
    deadline = time.monotonic() + timeout_s
    while True:
        values = _tile_values(page)
        if values and any(ch in "123456789" for ch in values[0]):
            break
        assert time.monotonic() < deadline, f"no live contacts figure on the wall: {values}"
        page.wait_for_timeout(1000)
    first = values
    while _tile_values(page) == first:
        assert time.monotonic() < deadline, f"wall figures did not change: {first}"
        page.wait_for_timeout(1000)


def test_gmd_run_comes_up_survives_a_redis_kill_refuses_a_twin_and_stops_cleanly(
    running: Running,
) -> None:
    deadline = running.started + 60
    while not _healthy(running.port):
        assert running.process.poll() is None, "gmd run exited early"
        assert time.monotonic() < deadline, "no /_stcore/health ok within 60 s"
        time.sleep(0.5)

    client = connect(running.redis_url)
    contacts = Keys("gmd").stream("contacts")
    while client.xlen(contacts) == 0:
        assert time.monotonic() < deadline, "no contact event within 60 s"
        time.sleep(0.5)
    first = client.xlen(contacts)
    time.sleep(3)
    assert client.xlen(contacts) > first, "the contacts stream does not grow"

    _a_second_run_on_the_same_data_is_refused(running)
    with browser() as chromium:
        page = chromium.new_page(viewport={"width": 1920, "height": 1080})
        page.goto(f"http://127.0.0.1:{running.port}/?kiosk=1")
        wait_ready(page)
        _wall_moves(page, timeout_s=120)
        page.evaluate("window.__gmd_same_page = 1")
        _killed_redis_comes_back_with_its_data(running)
        _wall_moves(page, timeout_s=60)  # no reload: the same page carries on
        page.wait_for_selector("[data-banner='down']", state="detached", timeout=30_000)
        assert page.evaluate("window.__gmd_same_page") == 1

    children = psutil.Process(running.process.pid).children(recursive=True)
    started = " ".join(" ".join(p.cmdline()) for p in children)
    for part in ("redis-server", "gmd worker", "gmd simulate", "streamlit run"):
        assert part in started, f"gmd run did not start {part}"
    (web,) = [p for p in children if "streamlit" in " ".join(p.cmdline())]
    assert Path(web.cwd()) == ROOT, "Streamlit reads .streamlit/config.toml only from its cwd"
    running.process.send_signal(signal.SIGTERM)
    assert running.process.wait(40) == 0
    _gone, alive = psutil.wait_procs(children, timeout=10)
    assert not alive, f"orphaned processes: {[p.cmdline() for p in alive]}"


def _a_second_run_on_the_same_data_is_refused(running: Running) -> None:
    """Two supervisors on one directory would run two redis-servers on one append-only
    file: the second is refused in one line, and the first is untouched."""
    second = subprocess.run(
        [sys.executable, "-m", "gmd", "run", "--port", str(_free_port()),
         "--data-dir", str(running.data_dir)],
        env=running.env, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert second.returncode == 1, second.stderr
    lines = [line for line in second.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "in use by another `gmd run`" in lines[0], second.stderr
    assert running.process.poll() is None


def _killed_redis_comes_back_with_its_data(running: Running) -> None:
    """SIGKILL the embedded redis-server: gmd run logs it and restarts it on the same
    append-only file; every entry Redis acknowledged before the kill is still there, and
    the worker's count of applied events goes on from where it was."""
    client = connect(running.redis_url, timeout_s=2)
    probe = "gmd:faulttest:probe"
    acknowledged = [client.xadd(probe, {"n": str(n)}) for n in range(50)]
    counted = _counted(running.redis_url)
    old = running.redis_server()
    old.send_signal(signal.SIGKILL)
    deadline = time.monotonic() + 30
    while not _restarted(running, old.pid):
        assert time.monotonic() < deadline, "gmd run did not restart Redis"
        time.sleep(0.2)
    assert "redis exited with code -9" in running.log.read_text(errors="replace")
    client = connect(running.redis_url, timeout_s=2)
    entries: Any = client.xrange(probe)
    assert set(acknowledged) <= {entry_id for entry_id, _ in entries}, "acknowledged data lost"
    assert _counted(running.redis_url) >= counted
    while _counted(running.redis_url) <= counted:
        assert time.monotonic() < deadline + 30, "the worker did not count again"
        time.sleep(0.5)


def _counted(url: str) -> int:
    try:
        values: Any = connect(url, timeout_s=1).hvals(Keys("gmd").feed_counts)
    except redis.RedisError:
        return 0
    return sum(int(v) for v in values)


def _restarted(running: Running, old_pid: int) -> bool:
    try:
        if running.redis_server().pid == old_pid:
            return False
        return bool(connect(running.redis_url, timeout_s=1).ping())
    except (LookupError, redis.RedisError):
        return False
