"""Staying up through outages: one log line per outage, and threads that cannot die quietly.

A background thread that logs a traceback on every failed try drowns the log during an
outage (72 tracebacks in one trial run), and one that lets an exception escape dies
silently — the trial's ring-records thread did, and every ring it was recording was
sent again later.  :class:`OutageLog` turns a streak of failures into two lines (when
it starts, when it ends); :class:`KeptThread` runs a loop that survives any exception
and is restarted by :meth:`KeptThread.ensure_alive` should it die anyway.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable


class OutageLog:
    """Logs the first failure of a streak as one ERROR line, the rest at DEBUG, and one
    INFO line when an attempt succeeds again."""

    def __init__(self, log: logging.Logger, what: str) -> None:
        self.log = log
        self.what = what
        self.since: float | None = None
        self.failures = 0

    @property
    def down(self) -> bool:
        return self.since is not None

    def failed(self, exc: BaseException) -> None:
        self.failures += 1
        if self.since is None:
            self.since = time.monotonic()
            self.log.error("%s failed: %s: %s (retrying; one line per outage)",
                           self.what, type(exc).__name__, exc)  # fmt: skip
        else:
            self.log.debug("%s failed again: %s", self.what, exc)

    def ok(self) -> None:
        if self.since is not None:
            self.log.info("%s: back to normal after %.0f s (%d failed tries)",
                          self.what, time.monotonic() - self.since, self.failures)  # fmt: skip
            self.since = None
            self.failures = 0


class KeptThread:
    """A daemon thread running ``step`` until :meth:`stop`; an exception escaping ``step`` is
    logged (one line per streak, :class:`OutageLog`) and ``step`` runs again after
    ``retry_s``.  :meth:`ensure_alive` restarts the thread if it died anyway."""

    def __init__(
        self, name: str, step: Callable[[], None], log: logging.Logger, retry_s: float = 1.0
    ) -> None:
        self.name = name
        self.step = step
        self.log = log
        self.retry_s = retry_s
        self.outage = OutageLog(log, name)
        self.restarts = 0
        self._stopping = threading.Event()
        self._thread = self._start()

    def _start(self) -> threading.Thread:
        thread = threading.Thread(target=self._run, name=self.name, daemon=True)
        thread.start()
        return thread

    def _run(self) -> None:
        while not self._stopping.is_set():
            try:
                self.step()
                self.outage.ok()
            except Exception as exc:
                self.outage.failed(exc)
                self._stopping.wait(self.retry_s)

    @property
    def alive(self) -> bool:
        return self._thread.is_alive()

    def ensure_alive(self) -> bool:
        """Restart the thread if it died (it should not); True if it had to."""
        if self._stopping.is_set() or self._thread.is_alive():
            return False
        self.restarts += 1
        self.log.error("thread %s died; restarting it (restart %d)", self.name, self.restarts)
        self._thread = self._start()
        return True

    def stop(self, timeout_s: float | None = None) -> None:
        """Ask the loop to end and wait for the current step to finish."""
        self._stopping.set()
        self.join(timeout_s)

    def join(self, timeout_s: float | None = None) -> None:
        """Wait for the thread to end (a step may end the loop itself with :meth:`stop`)."""
        if self._thread is not threading.current_thread():
            self._thread.join(timeout_s)

    @property
    def stopping(self) -> bool:
        return self._stopping.is_set()

    def health(self) -> str:
        """``ok``, ``retrying`` (inside an outage) or ``dead``."""
        if not self._thread.is_alive():
            return "dead"
        return "retrying" if self.outage.down else "ok"
