"""One ``gmd run`` per data directory, without a browser: a second one is refused in one
line while the first holds the directory, and a holder killed by SIGKILL leaves no
stale lock behind.  (``tests/test_run.py`` checks the same against a whole running
product, in the browser suite.)"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from gmd.lock import lock_data_dir

pytestmark = [pytest.mark.integration, pytest.mark.embedded]

ROOT = Path(__file__).resolve().parents[1]
HOLDER = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    from gmd.lock import lock_data_dir
    held = lock_data_dir(Path(sys.argv[1]))
    print("locked", flush=True)
    time.sleep(60)
    """
)


def test_a_second_run_is_refused_and_a_killed_holder_leaves_no_stale_lock(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(data)], stdout=subprocess.PIPE, cwd=ROOT
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == b"locked"
        env = {k: v for k, v in os.environ.items() if not k.startswith("GMD_")}
        second = subprocess.run(
            [sys.executable, "-m", "gmd", "run", "--port", "1", "--data-dir", str(data)],
            env=env, cwd=tmp_path, capture_output=True, text=True, timeout=60,
        )  # fmt: skip
        assert second.returncode == 1, second.stderr
        lines = [line for line in second.stderr.splitlines() if line.strip()]
        assert len(lines) == 1, second.stderr
        assert "in use by another `gmd run`" in lines[0] and f"pid {holder.pid}" in lines[0]
        assert not (data / "redis").exists(), "the refused run must not start anything"
        assert holder.poll() is None
    finally:
        holder.send_signal(signal.SIGKILL)
        holder.wait(10)
    lock_data_dir(data).close()  # the kernel released the killed holder's lock
