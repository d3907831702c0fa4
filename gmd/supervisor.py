"""Child processes of ``gmd run``: started together, watched, restarted, stopped together.

Each child gets its own log file in ``<data dir>/logs``.  On Linux a child also
asks the kernel to kill it if the supervisor dies (``PR_SET_PDEATHSIG``), so even
a ``kill -9`` of ``gmd run`` leaves no orphans behind.  *Services* (the embedded
Redis) are children the others need: started first and ready before them, stopped
last, and restarted like any child when they die (Redis on its append-only file).
"""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import time
from collections import deque
from collections.abc import Callable, Sequence
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
    prepare: Callable[[], None] | None = None
    """Run before each start (the embedded Redis removes a dead server's socket)."""
    ready: Callable[[], None] | None = None
    """Run after each start; returns once the child serves, raises if it does not."""
    new_session: bool = False
    """Its own session, so a Ctrl-C meant for ``gmd run`` does not reach it first."""

    @property
    def log_path(self) -> Path:
        return self.log_dir / f"{self.name}.log"

    def start(self) -> None:
        self.log_dir.mkdir(parents=True, exist_ok=True)
        if self.prepare is not None:
            self.prepare()
        with self.log_path.open("ab") as out:
            self.process = subprocess.Popen(
                list(self.argv),
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                env=self.env,
                cwd=self.cwd,
                start_new_session=self.new_session,
                preexec_fn=die_with_parent,
            )
        log.info("started %s (pid %s), log: %s", self.name, self.process.pid, self.log_path)
        if self.ready is not None:
            self.ready()

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

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
    """Starts services then children, restarts crashed ones, stops all on a signal."""

    def __init__(self, children: Sequence[Child], services: Sequence[Child] = ()) -> None:
        self.services = list(services)
        self.children = list(children)
        self.stopping = False

    def request_stop(self, signum: int, _frame: object) -> None:
        log.info("received %s, stopping", signal.Signals(signum).name)
        self.stopping = True

    def start_all(self) -> None:
        """Start what is not running yet: services first (each ready before the next)."""
        for child in [*self.services, *self.children]:
            if not child.running:
                child.start()

    def watch(self, poll_s: float = 0.5) -> int:
        """Block until asked to stop (exit 0) or a child crashes too often (exit 1)."""
        while not self.stopping:
            for child in [*self.services, *self.children]:
                code = child.exited()
                if code is None:
                    continue
                log.error("%s exited with code %s; last lines:\n%s", child.name, code, child.tail())
                if not child.restart_allowed(time.monotonic()):
                    log.error("%s keeps failing; stopping Guangmingding", child.name)
                    self.stop_all()
                    return 1
                try:
                    child.start()
                except Exception as exc:  # not ready in time: the next poll sees it again
                    log.error("%s did not come back: %s", child.name, exc)
                else:
                    log.info("%s restarted", child.name)
            time.sleep(poll_s)
        self.stop_all()
        return 0

    def stop_all(self, timeout_s: float = 15.0) -> None:
        """Children first (they may still be writing), then the services."""
        for group in (self.children, self.services):
            for child in reversed(group):
                child.terminate()
            deadline = time.monotonic() + timeout_s
            for child in reversed(group):
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
