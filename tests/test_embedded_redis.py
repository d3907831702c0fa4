"""The embedded redis-server dies with the process that started it, even by kill -9:
a second `gmd run` must never find the first one's server still writing its files."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

pytestmark = [pytest.mark.integration, pytest.mark.embedded]

OWNER = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    from datasources.redis_conn import EmbeddedRedis
    server = EmbeddedRedis(Path(sys.argv[1]))
    server.start()
    print(server.process.pid, flush=True)
    time.sleep(60)
    """
)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    stat = Path(f"/proc/{pid}/stat")
    return not (stat.exists() and stat.read_text().split(") ")[1].startswith("Z"))


def test_the_embedded_server_dies_with_its_owner_killed_by_sigkill(tmp_path: Path) -> None:
    owner = subprocess.Popen(
        [sys.executable, "-c", OWNER, str(tmp_path / "redis")],
        stdout=subprocess.PIPE,
        cwd=Path(__file__).resolve().parents[1],
    )
    assert owner.stdout is not None
    server_pid = int(owner.stdout.readline())
    try:
        assert _alive(server_pid)
        owner.send_signal(signal.SIGKILL)
        owner.wait(10)
        deadline = time.monotonic() + 10
        while _alive(server_pid):
            assert time.monotonic() < deadline, "redis-server outlived its owner"
            time.sleep(0.05)
    finally:
        if owner.poll() is None:
            owner.kill()
        if _alive(server_pid):
            os.kill(server_pid, signal.SIGKILL)
