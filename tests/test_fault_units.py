"""Small guarantees of the fault work, each a table: odd clocks, ids that spell keys,
worker names, and a watermark that cannot run ahead of the server's clock."""

from __future__ import annotations

import logging
import time
from typing import Any

import pytest
from typer.testing import CliRunner

from dashboard.widgets import clock
from datasources.batch import BatchWrites
from datasources.health import KeptThread, OutageLog
from datasources.keys import Keys, segment
from datasources.schemas import AHEAD_S, ContactEvent, parse_event
from datasources.schemas import EXAMPLE_FIELDS as VALID
from gmd.cli import app
from worker.aggregate import FeedProgressStage


@pytest.mark.parametrize("ts", [1e300, -1e300, 253402300800.0 * 10, float("nan")])
def test_the_wall_clock_shows_a_dash_for_a_time_no_calendar_holds(ts: float) -> None:
    assert clock(ts, "Asia/Shanghai", "%m-%d %H:%M:%S") == "—"


def test_the_wall_clock_shows_real_times() -> None:
    assert clock(1794326400.0, "Asia/Shanghai", "%m-%d %H:%M") == "11-11 00:00"


IDS = ["live", "meta:x", "utt:live", "live:tmall:refund", "{tag}", "%3A", ":", "a:b", "a%3Ab"]


def test_no_producer_id_can_spell_another_key() -> None:
    keys = Keys("gmd")
    internal = {keys.live_conversations, keys.live_conversations_on("tmall", "refund")}
    per_id = [
        (keys.conversation, keys.conversation_meta, keys.customer_contacts),
        (lambda i: keys.transcript_flag(i, "r1"),),
    ]
    made: dict[str, str] = {}
    for ident in IDS:
        for makers in per_id:
            for make in makers:
                key = make(ident)
                assert key not in internal, key
                assert "{" not in key and "}" not in key, key
                assert made.setdefault(key, ident) == ident, f"{ident} and {made[key]} share {key}"


@pytest.mark.parametrize(("given", "expected"), [("a:b", "a%3Ab"), ("%", "%25"), ("c-1", "c-1")])
def test_segment_escapes_separators_and_hash_tags(given: str, expected: str) -> None:
    assert segment(given) == expected


@pytest.mark.parametrize("name", ["fence:w1", "a b", "x" * 65, "{slot}"])
def test_a_worker_name_that_could_spell_a_key_is_one_line_and_exit_2(name: str) -> None:
    env = {"GMD_REDIS_URL": "redis://127.0.0.1:1/0"}
    result = CliRunner().invoke(app, ["worker", "--once", "--name", name], env=env)
    assert result.exit_code == 2
    assert "--name" in result.output and "Traceback" not in result.output


@pytest.mark.integration
def test_the_watermark_never_passes_the_clock_plus_tolerance(redis_client: Any, keys: Keys) -> None:
    valid = parse_event("contacts", VALID["contacts"])
    assert isinstance(valid, ContactEvent)
    # A future time that slipped past the contract (model_copy does not validate).
    future = valid.model_copy(update={"ts": time.time() + 10 * 365 * 86400})
    writes = BatchWrites()
    FeedProgressStage(keys).apply("contacts", [future], writes)
    writes.queue_on(redis_client)
    mark = float(redis_client.hget(keys.watermark, "contacts"))
    assert mark <= time.time() + AHEAD_S


def test_an_outage_is_two_log_lines_however_many_tries(caplog: pytest.LogCaptureFixture) -> None:
    log = logging.getLogger("test.outage")
    outage = OutageLog(log, "ringing")
    with caplog.at_level(logging.DEBUG, logger="test.outage"):
        for _ in range(72):
            outage.failed(TimeoutError("Timeout reading from socket"))
        outage.ok()
        outage.ok()
    loud = [r for r in caplog.records if r.levelno >= logging.INFO]
    assert [r.levelname for r in loud] == ["ERROR", "INFO"]
    assert not any(r.exc_info for r in caplog.records)
    assert "72 failed tries" in loud[1].getMessage()


@pytest.mark.filterwarnings("ignore::pytest.PytestUnhandledThreadExceptionWarning")
def test_a_kept_thread_survives_exceptions_and_is_restarted_if_it_dies() -> None:
    calls: list[str] = []

    def step() -> None:
        calls.append("x")
        if len(calls) == 1:
            raise RuntimeError("an outage")
        if len(calls) == 2:
            raise SystemExit  # escapes the loop: the thread dies
        time.sleep(0.01)

    kept = KeptThread("t", step, logging.getLogger("test.kept"), retry_s=0.01)
    deadline = time.monotonic() + 5
    while kept.alive and time.monotonic() < deadline:
        time.sleep(0.01)
    assert kept.health() == "dead" and len(calls) == 2
    assert kept.ensure_alive() and kept.restarts == 1
    while len(calls) < 4 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert kept.health() == "ok" and not kept.ensure_alive()
    kept.stop(5)
    assert not kept.alive
