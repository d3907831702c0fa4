"""One ``gmd run`` per data directory: an advisory lock held for the life of the process.

Two supervisors on one directory would each start a ``redis-server`` on the same
socket and append-only file (the trial saw the second replace the first's socket).
``flock`` is released by the kernel when the process ends, however it ends, so a
``kill -9`` never leaves a stale lock behind; the file also names the holder's pid.
"""

from __future__ import annotations

import fcntl
import os
from pathlib import Path
from typing import IO

LOCK_FILE = "gmd.lock"


class DataDirInUse(Exception):
    """Another process holds the data directory; the message is one line for the user."""


def lock_data_dir(data_dir: Path) -> IO[str]:
    """Lock ``data_dir`` for this process; keep the returned file open while running."""
    path = data_dir / LOCK_FILE
    handle = path.open("a+", encoding="utf-8")
    try:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.seek(0)
        holder = handle.read().strip() or "unknown"
        handle.close()
        raise DataDirInUse(
            f"{data_dir} is in use by another `gmd run` (pid {holder}); stop it, or give "
            "this one its own --data-dir"
        ) from None
    handle.seek(0)
    handle.truncate()
    handle.write(str(os.getpid()))
    handle.flush()
    return handle
