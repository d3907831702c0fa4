"""The detection ticker: closed 10 s buckets → detector → ``anomalies`` stream.

A bucket is *closed* once every active feed's watermark (newest event time a
worker committed; a feed is active while some worker saw it within
``stale_after_s``) is past the bucket's end plus ``detection.grace_s``.  Only the
contacts, queue and voices feeds count: conversations do not feed detection.  With
several partitions every partition's active feeds must be past it, and the detector
reads the bucket summed over the partitions (:class:`AggregateReader`); its state and
the anomalies it publishes live in partition 0 (one slot, so one transaction).

Several workers run this ticker; exactly one detects each bucket, in order, with
the detector's memory kept in Redis (``keys.detector_state``: a hash holding the
last detected bucket and the serialized detector).  A worker detects bucket
``B`` only if the stored state ends at the bucket before ``B`` (reloading it if
another worker wrote it) and it wins ``SET NX EX`` on ``keys.detect_lock(B)``.
It may claim a whole run of closed buckets that way — the replay of a day in
``--fast`` mode is thousands of buckets per tick — and then publishes the run's
anomalies and the new state in one transaction, so a worker killed mid-run
leaves nothing half-written and its locks expire for another worker to redo.
"""

from __future__ import annotations

import base64
import logging
import math
import time
from typing import Any

import redis

from alerts.anomaly import Anomaly
from alerts.detection import BucketObservation, Detector
from datasources.aggregates import AggregateReader
from datasources.keys import Keys
from datasources.settings import Settings

log = logging.getLogger(__name__)

DETECTION_FEEDS = ("contacts", "queue", "voices")
MAX_RUN = 720
"""Buckets claimed per run (two hours of data): bounds the time locks are held."""
LOCK_TTL_S = 120
ANOMALIES_MAXLEN = 100_000
MAX_VERBATIMS = 5


def closed_until(
    watermarks: dict[str, str], seen: dict[str, str], now: float, settings: Settings
) -> float | None:
    """Event time up to which every active detection feed has been committed."""
    active = [
        float(watermarks[f])
        for f in DETECTION_FEEDS
        if f in watermarks and now - float(seen.get(f, 0.0)) <= settings.stale_after_s
    ]
    if not active:
        return None
    return min(active) - settings.detection.grace_s


def load_state(client: redis.Redis, keys: Keys) -> tuple[int | None, str | None]:
    raw: dict[str, str] = client.hgetall(keys.detector_state)  # type: ignore[assignment]
    if not raw:
        return None, None
    return int(raw["bucket"]), raw.get("state")


def save_state(keys: Keys, bucket: int, blob: bytes, *, pipeline: Any) -> None:
    pipeline.hset(
        keys.detector_state,
        mapping={"bucket": bucket, "state": base64.b64encode(blob).decode("ascii")},
    )


def publish(keys: Keys, anomalies: list[Anomaly], *, pipeline: Any) -> None:
    for anomaly in anomalies:
        pipeline.xadd(
            keys.anomalies, anomaly.to_fields(), maxlen=ANOMALIES_MAXLEN, approximate=True
        )


class DetectionTicker:
    """Runs the detector over every newly closed bucket (see the module docstring)."""

    def __init__(self, settings: Settings, client: redis.Redis, name: str = "") -> None:
        self.settings = settings
        self.cfg = settings.detection
        self.client = client
        self.keys = Keys.from_settings(settings)
        self.reader = AggregateReader(client, self.keys, settings)
        self.name = name or "detector"
        self.detector = Detector(self.cfg, settings.targets)

    @property
    def interval_s(self) -> float:
        return 1.0

    def tick(self) -> None:
        """Detect every closed bucket not yet detected by anyone (in order)."""
        while self._run() >= MAX_RUN:
            pass

    def _run(self) -> int:
        pipe = self.client.pipeline(transaction=False)
        for part in self.keys.every():
            pipe.hgetall(part.watermark)
            pipe.hgetall(part.feed_seen)
        replies = pipe.execute()
        now = time.time()
        pairs = zip(replies[::2], replies[1::2], strict=True)
        each = (closed_until(marks, seen, now, self.settings) for marks, seen in pairs)
        until = min((u for u in each if u is not None), default=None)
        if until is None:
            return 0
        step = self.cfg.bucket_s
        last_closed = math.floor(until / step) * step - step
        stored_bucket, blob = load_state(self.client, self.keys)
        if stored_bucket != self.detector.last_bucket:
            self._reload(blob)
        first = last_closed if stored_bucket is None else stored_bucket + step
        buckets = []
        for bucket in range(first, last_closed + 1, step)[:MAX_RUN]:
            if not self.client.set(
                self.keys.detect_lock(bucket), self.name, nx=True, ex=LOCK_TTL_S
            ):
                break
            buckets.append(bucket)
        if buckets:
            self._detect(buckets)
        return len(buckets)

    def _reload(self, blob: str | None) -> None:
        if blob is None:
            self.detector = Detector(self.cfg, self.settings.targets)
            return
        try:
            state = base64.b64decode(blob)
            self.detector = Detector.from_state(state, self.cfg, self.settings.targets)
        except ValueError as exc:
            log.error("detector state unreadable (%s); starting with fresh baselines", exc)
            self.detector = Detector(self.cfg, self.settings.targets)

    def _detect(self, buckets: list[int]) -> None:
        found: list[Anomaly] = []
        for bucket in buckets:
            snapshot = self.reader.bucket_snapshot(bucket)
            found += self.detector.step(BucketObservation.from_snapshot(snapshot))
        for anomaly in found:
            anomaly.verbatims = self.reader.recent_verbatims(anomaly.series, MAX_VERBATIMS)
        with self.client.pipeline(transaction=True) as pipe:
            publish(self.keys, found, pipeline=pipe)
            save_state(self.keys, buckets[-1], self.detector.to_state(), pipeline=pipe)
            pipe.execute()
        if found:
            log.info("detection: %d buckets, %d anomaly updates", len(buckets), len(found))
