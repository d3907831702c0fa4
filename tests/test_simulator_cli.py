"""``gmd simulate`` as a user runs it: a real process writing to a real Redis."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis

from datasources.keys import Keys

pytestmark = pytest.mark.integration


def _env(redis_url: str, key_prefix: str, tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GMD_")}
    env.update(
        GMD_REDIS_URL=redis_url, GMD_REDIS_PREFIX=key_prefix, GMD_DATA_DIR=str(tmp_path / "data")
    )
    return env


@pytest.fixture
def simulate(
    redis_url: str, key_prefix: str, tmp_path: Path, redis_client: redis.Redis
) -> Iterator[list[subprocess.Popen[str]]]:
    started: list[subprocess.Popen[str]] = []
    yield started
    for process in started:
        if process.poll() is None:
            process.kill()
            process.wait()


def _start(env: dict[str, str], *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "gmd", "simulate", *args],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_fast_run_writes_every_feed_and_the_labels(
    simulate: list[subprocess.Popen[str]],
    redis_url: str,
    key_prefix: str,
    tmp_path: Path,
    redis_client: redis.Redis,
    keys: Keys,
) -> None:
    labels = tmp_path / "labels.jsonl"
    process = _start(
        _env(redis_url, key_prefix, tmp_path),
        "--fast",
        "--duration",
        "20m",
        "--rate",
        "0.5",
        "--incidents",
        "1",
        "--labels",
        str(labels),
        "--seed",
        "3",
    )
    simulate.append(process)
    _, err = process.communicate(timeout=120)
    assert process.returncode == 0, err
    assert "done" in err
    for feed in ("contacts", "queue", "voices", "conversations"):
        assert redis_client.xlen(keys.stream(feed)) > 0, feed
    assert len(labels.read_text().splitlines()) == 1


def test_accelerated_run_stops_cleanly_on_sigterm(
    simulate: list[subprocess.Popen[str]],
    redis_url: str,
    key_prefix: str,
    tmp_path: Path,
    redis_client: redis.Redis,
    keys: Keys,
) -> None:
    process = _start(_env(redis_url, key_prefix, tmp_path), "--speed", "30", "--rate", "2")
    simulate.append(process)
    deadline = time.monotonic() + 60
    while redis_client.xlen(keys.stream("contacts")) == 0:
        assert process.poll() is None, process.communicate()[1]
        assert time.monotonic() < deadline
        time.sleep(0.2)
    process.send_signal(signal.SIGTERM)
    _, err = process.communicate(timeout=10)
    assert process.returncode == 0, err
    assert "Traceback" not in err


def test_missing_redis_url_is_one_line_and_exit_2(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from gmd.cli import app

    unset: dict[str, str | None] = {k: None for k in os.environ if k.startswith("GMD_")}
    result = CliRunner().invoke(
        app, ["simulate", "--fast"], env={**unset, "GMD_DATA_DIR": str(tmp_path)}
    )
    assert result.exit_code == 2
    assert result.output.strip().count("\n") == 0
    assert "GMD_REDIS_URL" in result.output
