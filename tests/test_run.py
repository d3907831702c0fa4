"""`gmd run` on a fresh data directory: the product comes up by itself within a minute.

Embedded defaults only (its own redis-server, a SQLite file, the simulator), exactly
what `make run` does on a user's machine; then SIGTERM stops every process.
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


@pytest.fixture
def running(tmp_path: Path) -> Iterator[Running]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GMD_")}
    env["HOME"] = str(tmp_path)
    port = _free_port()
    data_dir = tmp_path / "data"
    process = subprocess.Popen(
        [sys.executable, "-m", "gmd", "run", "--port", str(port), "--data-dir", str(data_dir)],
        env=env,
        cwd=tmp_path,
    )
    try:
        yield Running(process, port, data_dir, time.monotonic())
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


def _assert_wall_shows_live_numbers(url: str, timeout_s: float = 120) -> None:
    """The kiosk wall shows a non-zero contacts-per-minute figure, and the figures move."""
    with browser() as chromium:
        page = chromium.new_page(viewport={"width": 1920, "height": 1080})
        page.goto(url)
        wait_ready(page)
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


def test_gmd_run_brings_the_war_room_up_and_stops_cleanly(running: Running) -> None:
    deadline = running.started + 60
    while not _healthy(running.port):
        assert running.process.poll() is None, "gmd run exited early"
        assert time.monotonic() < deadline, "no /_stcore/health ok within 60 s"
        time.sleep(0.5)

    client = connect(f"unix://{running.data_dir.resolve() / 'redis' / 'redis.sock'}")
    contacts = Keys("gmd").stream("contacts")
    while client.xlen(contacts) == 0:
        assert time.monotonic() < deadline, "no contact event within 60 s"
        time.sleep(0.5)
    first = client.xlen(contacts)
    time.sleep(3)
    assert client.xlen(contacts) > first, "the contacts stream does not grow"

    _assert_wall_shows_live_numbers(f"http://127.0.0.1:{running.port}/?kiosk=1")
    client.close()

    children = psutil.Process(running.process.pid).children(recursive=True)
    started = " ".join(" ".join(p.cmdline()) for p in children)
    for part in ("redis-server", "gmd worker", "gmd simulate", "streamlit run"):
        assert part in started, f"gmd run did not start {part}"
    (web,) = [p for p in children if "streamlit" in " ".join(p.cmdline())]
    assert Path(web.cwd()) == ROOT, "Streamlit reads .streamlit/config.toml only from its cwd"
    (worker,) = [p for p in children if "gmd worker" in " ".join(p.cmdline())]
    served = f"http://localhost:{running.port}"
    assert worker.environ()["GMD_BASE_URL"] == served, "rings must link to the port served"
    running.process.send_signal(signal.SIGTERM)
    assert running.process.wait(40) == 0
    _gone, alive = psutil.wait_procs(children, timeout=10)
    assert not alive, f"orphaned processes: {[p.cmdline() for p in alive]}"
