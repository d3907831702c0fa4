"""``gmd run``: the whole product with one command.

Starts the embedded Redis (unless ``GMD_REDIS_URL`` is set), migrates the
database, then the worker, the simulator and the Streamlit app, and stops them
all cleanly on Ctrl-C or SIGTERM.
"""

from __future__ import annotations

import logging
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Annotated

import typer

from datasources.redis_conn import EmbeddedRedis, RedisUnavailable, wait_for
from gmd.errors import fail, settings_or_exit
from gmd.prefill import report_prefill
from gmd.supervisor import Child, Supervisor, child_env

log = logging.getLogger("gmd.run")

ROOT = Path(__file__).resolve().parent.parent
APP_FILE = ROOT / "app.py"


def _wait_healthy(host: str, port: int, supervisor: Supervisor, timeout_s: float) -> bool:
    probe = "127.0.0.1" if host in ("0.0.0.0", "::", "") else host
    url = f"http://{f'[{probe}]' if ':' in probe else probe}:{port}/_stcore/health"
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline and not supervisor.stopping:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.read().strip() == b"ok":
                    return True
        except OSError:
            pass
        time.sleep(0.5)
    return False


def run_command(
    port: Annotated[int, typer.Option(help="Port of the web app.")] = 8501,
    host: Annotated[
        str,
        typer.Option(
            help="Address the web app listens on: this machine only by default; 0.0.0.0 "
            "for the network (demo mode then gives everyone read-only access)."
        ),
    ] = "127.0.0.1",
    data_dir: Annotated[
        Path | None, typer.Option(help="Where the SQLite file, embedded Redis and logs live.")
    ] = None,
    simulate: Annotated[
        bool, typer.Option(help="Feed simulated Double-11 traffic (off when real feeds write).")
    ] = True,
    speed: Annotated[float, typer.Option(help="Simulated clock speed (1 = real time).")] = 1.0,
    workers: Annotated[int, typer.Option(min=1, help="Worker processes sharing the feeds.")] = 1,
    history: Annotated[
        str, typer.Option(help="Past to simulate first into an empty data dir (0: none).")
    ] = "24h",
) -> None:
    """Run the whole product: Redis, database, worker, simulator and the war room on PORT."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s gmd run: %(message)s")
    overrides: dict[str, object] = {"data_dir": data_dir} if data_dir else {}
    settings = settings_or_exit(**overrides)
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    data = settings.data_dir.resolve()

    embedded: EmbeddedRedis | None = None
    redis_url = settings.redis_url
    try:
        if redis_url is None:
            embedded = EmbeddedRedis(data / "redis")
            redis_url = embedded.start()
            log.info("embedded Redis listening on %s", redis_url)
        else:
            wait_for(redis_url, timeout_s=5)
    except RedisUnavailable as exc:
        fail(str(exc), code=1)

    # Rings link back to the port actually served unless GMD_BASE_URL says otherwise.
    served = (
        {}
        if "base_url" in settings.model_fields_set
        else {"GMD_BASE_URL": f"http://localhost:{port}"}
    )
    env = child_env(GMD_REDIS_URL=redis_url, GMD_DATA_DIR=str(data), **served)
    gmd = [sys.executable, "-m", "gmd"]
    migrated = subprocess.run([*gmd, "db", "upgrade"], env=env, check=False)
    if migrated.returncode != 0:
        if embedded:
            embedded.stop()
        fail("database migration failed; see the message above", code=1)

    logs = data / "logs"
    children = [
        Child(f"worker-{n}", [*gmd, "worker", "--name", f"worker-{n}"], logs, env)
        for n in range(1, workers + 1)
    ]
    if simulate:
        argv = [*gmd, "simulate", "--speed", str(speed), "--history", history]
        children.append(Child("simulator", argv, logs, env))
    children.append(
        Child(
            "web",
            [
                sys.executable,
                "-m",
                "streamlit",
                "run",
                str(APP_FILE),
                "--server.port",
                str(port),
                "--server.address",
                host,
                "--server.headless",
                "true",
                "--browser.gatherUsageStats",
                "false",
            ],
            logs,
            env,
            cwd=ROOT,  # Streamlit reads .streamlit/config.toml (theme) from its cwd
        )
    )
    supervisor = Supervisor(children)
    signal.signal(signal.SIGINT, supervisor.request_stop)
    signal.signal(signal.SIGTERM, supervisor.request_stop)
    code = 1
    try:
        supervisor.start_all()
        if _wait_healthy(host, port, supervisor, timeout_s=60):
            log.info("Guangmingding is up: http://localhost:%s  (logs in %s)", port, logs)
        if simulate and history not in ("0", "0s") and speed == 1:
            report_prefill(redis_url, settings, lambda: supervisor.stopping)
        code = supervisor.watch()
    finally:
        supervisor.stop_all()
        if embedded:
            embedded.stop()
        log.info("stopped")
    raise typer.Exit(code)
