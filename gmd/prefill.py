"""``gmd run``'s console while the simulator fills the past day (``--history``).

Shows how far the worker has got through the replayed part, from the contacts
watermark, until the data is live (see :mod:`datasources.simulator.history`).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from datetime import datetime

import redis

from datasources.keys import Keys
from datasources.redis_conn import connect
from datasources.settings import Settings
from datasources.simulator.history import wait_caught_up

log = logging.getLogger("gmd.run")


def report_prefill(redis_url: str, settings: Settings, stop: Callable[[], bool]) -> None:
    """Log the pre-fill's progress every few seconds; return once the data is live."""
    client = connect(redis_url)
    began = time.monotonic()
    log.info("pre-filling the past day: its shape, then the last half hour through the worker")

    def report(share: float, mark: float) -> None:
        at = datetime.fromtimestamp(mark).strftime("%H:%M:%S")
        log.info("pre-filling the past day: %3.0f %% (data at %s)", share * 100, at)

    try:
        if wait_caught_up(client, Keys.from_settings(settings), report, stop):
            log.info("the past day is in: live data after %.0f s", time.monotonic() - began)
    except (redis.RedisError, OSError) as exc:  # the product runs on; only the report stops
        log.warning("cannot follow the pre-fill: %s", str(exc).splitlines()[0])
    finally:
        client.close()
