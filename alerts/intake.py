"""The worker's alert intake: anomalies stream → alerts, then ``XACK`` after the commit.

A ticker in ``gmd worker`` (see ``worker/main.py``) whose work runs on a thread of its
own (a :class:`KeptThread`): it writes to the database, and a database that hangs must
not stop the feeds — on the worker's main loop every write waited out its timeout and
the wall's figures froze with it.  Each round reads a batch from
the ``anomalies`` stream of every partition (the detector's, in partition 0, and the
transcript flags of each) in the ``ALERTS_GROUP`` consumer group (first entries a
dead consumer left pending longer than ``claim_idle_ms``, then new ones), hands
them to :meth:`AlertService.ingest` in one transaction and acknowledges them only
after it committed.  A crash in between replays the batch; replaying is harmless
because an anomaly folds into the alert its fingerprint already opened.

The first tick migrates the database (before any other ticker reads it), starts the
intake thread and the escalation timers (APScheduler) in this process, so
every worker keeps escalations moving and a restarted worker picks them up.
"""

from __future__ import annotations

import json
import logging
import threading
from typing import Any

import redis

from alerts.anomaly import Anomaly
from alerts.escalation import EscalationTimers
from alerts.routing import Routing
from alerts.routing_file import RoutingError
from alerts.service import AlertService
from datasources.db import make_engine
from datasources.health import KeptThread
from datasources.keys import ALERTS_GROUP, Keys
from datasources.migrate import upgrade
from datasources.settings import ConfigError, Settings

log = logging.getLogger(__name__)

STOP_WAIT_S = 30.0
"""How long a stopping worker waits for the intake's current batch (a database that
hangs holds it up to its own timeout, then the batch is left pending for the next
worker, never lost)."""


def ensure_group(client: redis.Redis, keys: Keys) -> None:
    """Create the alerts consumer group (and the stream) of every partition if missing."""
    for part in keys.every():
        try:
            client.xgroup_create(part.anomalies, ALERTS_GROUP, id="0", mkstream=True)
        except redis.ResponseError as exc:
            if "BUSYGROUP" not in str(exc):
                raise


class AlertIntake:
    """Ticker: take anomalies into alerts; owns this process's escalation timers."""

    def __init__(
        self,
        service: AlertService,
        client: redis.Redis,
        consumer: str,
        timers: EscalationTimers | None = None,
        interval_s: float = 0.2,
    ) -> None:
        self.service = service
        self.client = client
        self.consumer = consumer
        self.timers = timers
        self._interval_s = interval_s
        self.keys = service.keys
        self._started = False
        self._thread: KeptThread | None = None
        self._stopping = threading.Event()

    @classmethod
    def from_settings(cls, settings: Settings, client: redis.Redis, consumer: str) -> AlertIntake:
        """The worker's intake; a bad routing file is a :class:`ConfigError` (one line)."""
        try:
            routing = Routing.load(settings.routing_file)
        except RoutingError as exc:
            raise ConfigError(f"GMD_ROUTING_FILE: {exc}") from None
        engine = make_engine(settings.effective_database_url)
        service = AlertService(settings, engine, client, routing=routing)
        return cls(service, client, consumer, EscalationTimers(service, engine))

    @property
    def interval_s(self) -> float:
        return self._interval_s

    def start(self) -> None:
        """Migrate (idempotent), sync owners, create the consumer group, start the timers."""
        upgrade(self.service.settings.effective_database_url)
        self.service.sync_owners()
        ensure_group(self.client, self.keys)
        if self.timers is not None:
            self.timers.start()
        self._started = True

    def stop(self) -> None:
        self._stopping.set()
        if self._thread is not None:
            self._thread.stop(timeout_s=STOP_WAIT_S)
        if self.timers is not None:
            self.timers.stop()
        self.service.close()
        self._started = False

    def tick(self) -> None:
        """On the worker's loop: start once, then only see that the threads are alive."""
        if not self._started:
            self.start()
        if self._thread is None:
            self._thread = KeptThread("gmd-alert-intake", self._round, log)
        self.keep_alive()

    def _round(self) -> None:
        """The intake thread's step: take every batch waiting, then rest an interval."""
        self.drain()
        self._stopping.wait(self._interval_s)

    def drain(self) -> int:
        """Take batches until one comes back short; returns the entries taken."""
        taken = 0
        while not self._stopping.is_set():
            n = self.take_batch()
            taken += n
            if n < self.service.settings.alerts.intake_batch:
                break
        return taken

    def keep_alive(self) -> None:
        """Restart a background thread of this process that died (each logs it)."""
        if self._thread is not None:
            self._thread.ensure_alive()
        self.service.ringer.records.ensure_alive()
        if self.timers is not None:
            self.timers.ensure_alive()

    def health(self) -> dict[str, str]:
        """Per background thread: ``ok``, ``retrying`` (inside an outage) or ``dead``."""
        out = {"ring-records": self.service.ringer.health()}
        if self._thread is not None:
            out["intake"] = self._thread.health()
        if self.timers is not None:
            out["escalation"] = self.timers.health()
        return out

    def _read(self) -> list[tuple[str, str, dict[str, str]]]:
        """``(stream, entry id, fields)`` from every partition's anomalies stream: entries
        a dead consumer left pending, else new ones (one pipeline for each kind)."""
        cfg = self.service.settings
        streams = [part.anomalies for part in self.keys.every()]
        pipe = self.client.pipeline(transaction=False)
        for stream in streams:
            pipe.xautoclaim(
                stream, ALERTS_GROUP, self.consumer,
                min_idle_time=cfg.worker.claim_idle_ms, count=cfg.alerts.intake_batch,
            )  # fmt: skip
        replies: list[Any] = pipe.execute()
        entries = [
            (s, i, f) for s, reply in zip(streams, replies, strict=True) for i, f in reply[1] if f
        ]
        if entries:
            return entries
        pipe = self.client.pipeline(transaction=False)
        for stream in streams:
            pipe.xreadgroup(
                ALERTS_GROUP, self.consumer, {stream: ">"}, count=cfg.alerts.intake_batch
            )
        return [
            (stream, i, f)
            for fresh in pipe.execute()
            for stream, items in fresh or []
            for i, f in items
            if f
        ]

    def take_batch(self) -> int:
        """Read, ingest and acknowledge one batch; returns how many entries it held."""
        entries = self._read()
        if not entries:
            return 0
        anomalies: list[Anomaly] = []
        for _stream, entry_id, fields in entries:
            try:
                anomalies.append(Anomaly.from_fields(fields))
            except (KeyError, ValueError, TypeError, json.JSONDecodeError) as exc:
                log.error("anomaly %s unreadable, skipped: %s", entry_id, exc)
        opened = self.service.ingest(anomalies)
        acks: dict[str, list[str]] = {}
        for stream, entry_id, _fields in entries:
            acks.setdefault(stream, []).append(entry_id)
        pipe = self.client.pipeline(transaction=False)
        for stream, ids in acks.items():
            pipe.xack(stream, ALERTS_GROUP, *ids)
        pipe.execute()
        if opened:
            log.info("alerts: %d anomalies taken in, %d alerts opened", len(anomalies), opened)
        return len(entries)
