"""Child processes of ``gmd run``: started together, watched, restarted, stopped together.

Each child gets its own log file in ``<data dir>/logs``.  On Linux a child also
asks the kernel to kill it if the supervisor dies (``PR_SET_PDEATHSIG``), so even
a ``kill -9`` of ``gmd run`` leaves no orphans behind.
"""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import time
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from datasources.child_process import die_with_parent

log = logging.getLogger("gmd.run")

MAX_RESTARTS_PER_MINUTE = 5


@dataclass
class Child:
    """One long-running process of the product (worker, simulator, web app)."""

    name: str
    argv: Sequence[str]
    log_dir: Path
    env: dict[str, str]
    cwd: Path | None = None
    process: subprocess.Popen[bytes] | None = None
    restarts: deque[float] = field(default_factory=deque)

    @property
    def log_path(self) -> Path:
        return self.log_dir / f"{self.name}.log"

    def start(self) -> None:
        self.log_dir.mkdir(parents=True, exist_ok=True)
        with self.log_path.open("ab") as out:
            self.process = subprocess.Popen(
                list(self.argv),
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                env=self.env,
                cwd=self.cwd,
                preexec_fn=die_with_parent,
            )
        log.info("started %s (pid %s), log: %s", self.name, self.process.pid, self.log_path)

    def exited(self) -> int | None:
        return None if self.process is None else self.process.poll()

    def tail(self, lines: int = 15) -> str:
        try:
            text = self.log_path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return ""
        return "\n".join(text.splitlines()[-lines:])

    def restart_allowed(self, now: float) -> bool:
        """At most a few restarts a minute: a child that keeps crashing stops the product."""
        while self.restarts and now - self.restarts[0] > 60:
            self.restarts.popleft()
        self.restarts.append(now)
        return len(self.restarts) <= MAX_RESTARTS_PER_MINUTE

    def terminate(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)

    def wait_or_kill(self, deadline: float) -> None:
        if self.process is None:
            return
        try:
            self.process.wait(max(0.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            log.warning("%s did not stop in time; killing it", self.name)
            self.process.kill()
            self.process.wait()


class Supervisor:
    """Starts children in order, restarts crashed ones, stops all on a signal."""

    def __init__(self, children: Sequence[Child]) -> None:
        self.children = list(children)
        self.stopping = False

    def request_stop(self, signum: int, _frame: object) -> None:
        log.info("received %s, stopping", signal.Signals(signum).name)
        self.stopping = True

    def start_all(self) -> None:
        for child in self.children:
            child.start()

    def watch(self, poll_s: float = 0.5) -> int:
        """Block until asked to stop (exit 0) or a child crashes too often (exit 1)."""
        while not self.stopping:
            for child in self.children:
                code = child.exited()
                if code is None:
                    continue
                log.error("%s exited with code %s; last lines:\n%s", child.name, code, child.tail())
                if not child.restart_allowed(time.monotonic()):
                    log.error("%s keeps failing; stopping Guangmingding", child.name)
                    self.stop_all()
                    return 1
                child.start()
            time.sleep(poll_s)
        self.stop_all()
        return 0

    def stop_all(self, timeout_s: float = 15.0) -> None:
        for child in reversed(self.children):
            child.terminate()
        deadline = time.monotonic() + timeout_s
        for child in reversed(self.children):
            child.wait_or_kill(deadline)


PATH_SETTINGS = ("GMD_CONFIG", "GMD_ROUTING_FILE", "GMD_USERS_FILE", "GMD_QINTING__RULES_FILE")
"""Settings naming files: made absolute, since a child may run in another directory."""


def child_env(**extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(extra)
    env.setdefault("PYTHONUNBUFFERED", "1")
    for name in PATH_SETTINGS:
        if env.get(name):
            env[name] = str(Path(env[name]).resolve())
    return env
