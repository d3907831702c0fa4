"""The supervisor of `gmd run`: restarts crashed children, gives up on a crash loop,
and stops every child on request."""

from __future__ import annotations

import os
import signal
import sys
import threading
import time
from pathlib import Path

import psutil
import pytest

from gmd.supervisor import MAX_RESTARTS_PER_MINUTE, Child, Supervisor, child_env


def _child(name: str, code: str, tmp_path: Path) -> Child:
    return Child(name, [sys.executable, "-c", code], tmp_path / "logs", child_env())


def test_crash_loop_stops_the_product(tmp_path: Path) -> None:
    crasher = _child("crasher", "import sys; print('boom'); sys.exit(3)", tmp_path)
    sleeper = _child("sleeper", "import time; time.sleep(60)", tmp_path)
    supervisor = Supervisor([sleeper, crasher])
    supervisor.start_all()
    assert supervisor.watch(poll_s=0.05) == 1
    assert len(crasher.restarts) == MAX_RESTARTS_PER_MINUTE + 1
    assert "boom" in crasher.tail()
    assert sleeper.process is not None and sleeper.process.poll() is not None


def test_stop_request_terminates_all_children(tmp_path: Path) -> None:
    children = [_child(f"s{n}", "import time; time.sleep(60)", tmp_path) for n in range(3)]
    supervisor = Supervisor(children)
    supervisor.start_all()
    pids = [c.process.pid for c in children if c.process]
    threading.Timer(0.3, supervisor.request_stop, args=(signal.SIGTERM, None)).start()
    assert supervisor.watch(poll_s=0.05) == 0
    assert not [pid for pid in pids if psutil.pid_exists(pid) and _alive(pid)]


def test_child_ignoring_sigterm_is_killed(tmp_path: Path) -> None:
    stubborn = _child(
        "stubborn",
        "import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); time.sleep(60)",
        tmp_path,
    )
    supervisor = Supervisor([stubborn])
    supervisor.start_all()
    time.sleep(0.3)
    started = time.monotonic()
    supervisor.stop_all(timeout_s=1.0)
    assert time.monotonic() - started < 5
    assert stubborn.exited() == -signal.SIGKILL


def test_children_die_with_the_supervisor(tmp_path: Path) -> None:
    """kill -9 of `gmd run` leaves no orphan: children carry PR_SET_PDEATHSIG."""
    root = str(Path(__file__).resolve().parent.parent)
    logs = str(tmp_path / "logs")
    code = (
        f"import sys, time; sys.path.insert(0, {root!r});"
        "from gmd.supervisor import Child, child_env; from pathlib import Path;"
        "c = Child('kid', [sys.executable, '-c', 'import time; time.sleep(60)'],"
        f" Path({logs!r}), child_env()); c.start(); print(c.process.pid, flush=True);"
        " time.sleep(60)"
    )
    parent = psutil.Popen([sys.executable, "-c", code], stdout=-1, text=True)
    assert parent.stdout is not None
    kid = int(parent.stdout.readline())
    os.kill(parent.pid, signal.SIGKILL)
    parent.wait()
    deadline = time.monotonic() + 5
    while _alive(kid) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not _alive(kid)


def _alive(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def test_children_get_absolute_file_settings_and_their_own_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("GMD_CONFIG", "gmd.toml")
    env = child_env(GMD_ROUTING_FILE="routes.yaml")
    assert env["GMD_CONFIG"] == str(tmp_path / "gmd.toml")
    assert env["GMD_ROUTING_FILE"] == str(tmp_path / "routes.yaml")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    child = Child("pwd", [sys.executable, "-c", "import os; print(os.getcwd())"], tmp_path, env)
    child.cwd = elsewhere
    child.start()
    assert child.process is not None and child.process.wait(10) == 0
    assert child.tail().strip() == str(elsewhere)
