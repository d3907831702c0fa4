"""Child processes that must not outlive the process that started them."""

from __future__ import annotations

import ctypes
import signal
import sys


def die_with_parent() -> None:  # pragma: no cover - runs in the child, before exec
    """``preexec_fn`` for ``subprocess.Popen``: on Linux the kernel sends the child
    SIGTERM when its parent dies (``PR_SET_PDEATHSIG``), even by ``kill -9``, so an
    embedded redis-server or a worker is never left behind holding its files."""
    if sys.platform.startswith("linux"):
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
