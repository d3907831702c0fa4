"""Several workers' schedulers on one job store: a race over a finished job must not
kill a scheduler's thread (APScheduler 3 lets that JobLookupError escape)."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime

import pytest
from apscheduler.job import Job
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.date import DateTrigger

from alerts.escalation import SharedStoreScheduler
from datasources.db import make_engine

pytestmark = pytest.mark.integration

RUNS: list[int] = []
_lock = threading.Lock()


def record(n: int) -> None:
    with _lock:
        RUNS.append(n)


def _race(cls: type[BackgroundScheduler], database_url: str, jobs: int = 40) -> bool:
    """Start two schedulers on one store with many jobs due at once; True if both
    scheduler threads are still alive afterwards."""
    engine = make_engine(database_url)
    schedulers = [
        cls(jobstores={"default": SQLAlchemyJobStore(engine=engine)}, timezone=UTC)
        for _ in range(2)
    ]
    store = SQLAlchemyJobStore(engine=engine)
    store.start(schedulers[0], "default")
    now = datetime.now(UTC)
    for n in range(jobs):
        store.add_job(
            Job(
                schedulers[0],
                id=f"j{n}",
                func=record,
                args=[n],
                kwargs={},
                name=f"j{n}",
                trigger=DateTrigger(now),
                executor="default",
                misfire_grace_time=None,
                coalesce=True,
                max_instances=1,
                next_run_time=now,
            )
        )
    try:
        for scheduler in schedulers:
            scheduler.start()
        deadline = time.monotonic() + 10
        while len(set(RUNS)) < jobs and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(0.5)
        return all(s._thread is not None and s._thread.is_alive() for s in schedulers)
    finally:
        for scheduler in schedulers:
            scheduler.shutdown(wait=True)
        engine.dispose()


def test_both_schedulers_survive_racing_over_the_same_jobs(database_url: str) -> None:
    RUNS.clear()
    assert _race(SharedStoreScheduler, database_url)
    assert set(RUNS) == set(range(40))
