"""The alert database stops answering under a running ``gmd worker``: the worker stays up
with no traceback, the feeds are counted *during* the outage (the wall does not freeze),
and the anomaly that arrived during it becomes exactly one alert once the database is back.

The outage is SQLite's: another process holds the write lock (``BEGIN EXCLUSIVE``), so
every write of the worker waits its busy timeout and fails with "database is locked" —
what a database that hangs looks like to its clients.  Anomalies go through the worker's
alert intake, which runs on a thread of its own: on the worker's main loop, every write
waited out its timeout there and the feeds stood still for the whole outage.
"""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path
from typing import Any

import pytest
import redis
from sqlalchemy.engine import make_url

from alerts.anomaly import Anomaly
from datasources.keys import ALERTS_GROUP, Keys
from datasources.settings import Settings
from tests.alerts_support import anomaly
from tests.fault_support import wait_until, worker_process
from tests.worker_support import publish, random_contacts, worker_env

pytestmark = [pytest.mark.integration, pytest.mark.slow]

OUTAGE_S = 8.0


def _alerts(path: str, fingerprint: str) -> int:
    """Alerts of the anomaly the test published (the worker's own detector may open
    others: one line's contacts an hour apart are a drop and a spike of that line)."""
    with sqlite3.connect(path, timeout=30) as conn:
        query = "SELECT count(*) FROM alerts WHERE fingerprint = ?"
        return int(conn.execute(query, (fingerprint,)).fetchone()[0])


def _intake_ready(client: Any, keys: Keys) -> bool:
    try:
        return any(g["name"] == ALERTS_GROUP for g in client.xinfo_groups(keys.anomalies))
    except redis.ResponseError:
        return False


def _publish(client: Any, keys: Keys, item: Anomaly) -> None:
    fields: dict[Any, Any] = item.to_fields()
    client.xadd(keys.anomalies, fields)


def test_a_database_outage_delays_alerts_and_loses_nothing(
    redis_client: Any, settings: Settings, keys: Keys, tmp_path: Path
) -> None:
    url = make_url(settings.effective_database_url)
    if url.get_backend_name() != "sqlite":
        pytest.skip("the outage is made with SQLite's write lock")
    path = str(url.database)
    log = tmp_path / "worker.log"
    before = random_contacts(200, seed=3, lines=("tmall",))
    during = [
        e.model_copy(update={"ts": e.ts + 3600, "contact_id": f"late-{n}"})
        for n, e in enumerate(before)
    ]
    with worker_process(worker_env(settings), "steady", log) as proc:
        publish(redis_client, keys, "contacts", before)
        wait_until(lambda: _intake_ready(redis_client, keys), 60, "the alert intake to start")
        wait_until(lambda: _counted(redis_client, keys) == len(before), 30, "the first contacts")

        published = anomaly()
        lock = sqlite3.connect(path, isolation_level=None)
        lock.execute("BEGIN EXCLUSIVE")
        started = time.monotonic()
        try:
            _publish(redis_client, keys, published)
            time.sleep(1.0)  # the intake has taken it and waits on the locked database
            publish(redis_client, keys, "contacts", during)
            total = len(before) + len(during)
            wait_until(lambda: _counted(redis_client, keys) == total, OUTAGE_S, "contacts counted")
            counted_s = time.monotonic() - started
            time.sleep(max(0.0, OUTAGE_S - counted_s))
            assert proc.poll() is None, log.read_text(errors="replace")[-3000:]
            assert int(lock.execute("SELECT count(*) FROM alerts").fetchone()[0]) == 0  # none
        finally:
            lock.execute("ROLLBACK")
            lock.close()
        ours = published.fingerprint
        wait_until(lambda: _alerts(path, ours) == 1, 60, "the alert after the outage")
        late_s = time.monotonic() - started
        wait_until(
            lambda: redis_client.xpending(keys.anomalies, ALERTS_GROUP)["pending"] == 0,
            30,
            "the anomaly acknowledged",
        )
        time.sleep(1.0)
        assert _alerts(path, ours) == 1
        assert proc.poll() is None
    text = log.read_text(errors="replace")
    assert proc.returncode == 0, text[-3000:]
    assert "Traceback" not in text, text[-3000:]
    print(f"every contact counted {counted_s:.1f}s into the outage ({OUTAGE_S:.0f}s long), "
          f"the alert {late_s:.1f}s after it began")  # fmt: skip


def _counted(client: Any, keys: Keys) -> int:
    return int(client.hget(keys.feed_counts, "contacts") or 0)
