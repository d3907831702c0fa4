"""The read API the pages and the detector use: aggregates only, never raw events.

Every method is a fixed number of reads (``HGETALL``/``HMGET``/``LRANGE`` over a
fixed number of buckets; many hashes at once through one script returning JSON),
so drawing the wall costs the same on a quiet night and on Double-11 at 10× volume.
With several partitions each read is made in every partition, in one pipeline, and
merged (:mod:`datasources.aggregates_merge`): N times the reads, still flat in traffic.
"Now" is the data's own clock — the contacts watermark — so a simulator running
accelerated or replaying a past day shows a consistent screen; a feed that stops
is reported by :meth:`freshness`.

The layout (families, fields) is in :mod:`datasources.aggregates_layout`; the
arithmetic turning counters into KPIs in :mod:`datasources.aggregates_kpi`.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pandas as pd
import redis

from datasources import aggregates_layout as lay
from datasources.aggregates_kpi import (
    KPI_COLUMNS,
    KpiSnapshot,
    combine_metrics,
    kpis_from,
    newest_snapshots,
)
from datasources.aggregates_merge import read_fields, read_hashes
from datasources.aggregates_series import series_values
from datasources.keys import RESOLUTIONS, Keys
from datasources.series import ALL, contact_series, parse_series, voice_series
from datasources.settings import Settings

__all__ = [
    "KPI_COLUMNS",
    "AggregateReader",
    "BucketSnapshot",
    "FeedFreshness",
    "KpiSnapshot",
    "VoiceSample",
]

FEEDS = ("contacts", "queue", "voices", "conversations")


@dataclass(frozen=True)
class FeedFreshness:
    """When a feed was last processed (wall clock) and its newest event time."""

    feed: str
    last_seen_wall: float | None
    last_event_ts: float | None


@dataclass(frozen=True)
class VoiceSample:
    """One negative external voice, already masked."""

    ts: float
    business_line: str
    source: str
    text: str
    sentiment: float | None
    reach: int


@dataclass(frozen=True)
class BucketSnapshot:
    """One 10 s bucket's raw numbers, for the detector."""

    bucket_start: int
    contacts: dict[tuple[str, str, str], int] = field(default_factory=dict)
    """``(business_line, reason, channel)`` → contacts."""
    service: dict[str, dict[str, float]] = field(default_factory=dict)
    """skill group → ``{metric: value}`` for :data:`aggregates_layout.SERVICE_METRICS`."""
    service_lines: dict[str, dict[str, float]] = field(default_factory=dict)
    """business line (``*`` = total) → ``{metric: value}``."""
    queue: dict[str, dict[str, float]] = field(default_factory=dict)
    """skill group → newest snapshot in the bucket (:data:`QUEUE_FIELDS` and ``ts``)."""
    voices: dict[tuple[str, str], tuple[int, int]] = field(default_factory=dict)
    """``(business_line, source)`` → ``(total, negative)``."""


def _times(buckets: list[int]) -> pd.DatetimeIndex:
    return pd.DatetimeIndex(pd.to_datetime(buckets, unit="s", utc=True))


class AggregateReader:
    """Reads aggregates for one deployment (one key prefix)."""

    def __init__(self, client: redis.Redis, keys: Keys, settings: Settings) -> None:
        self.client = client
        self.keys = keys
        self.settings = settings
        self.parts = keys.every()
        self._pinned: tuple[float | None] | None = None
        """The "now" of an open :meth:`one_now` block."""

    def _each(self, command: Callable[[Any, Keys], object]) -> list[Any]:
        """``command`` (one or more) per partition, in one pipeline; the replies in order."""
        pipe = self.client.pipeline(transaction=False)
        for part in self.parts:
            command(pipe, part)
        return list(pipe.execute())

    # -- clocks ------------------------------------------------------------------

    def data_now(self) -> float | None:
        """Newest contact event time any worker has processed (the pages' "now")."""
        if self._pinned is not None:
            return self._pinned[0]
        return data_now(self.client, self.keys)

    @contextlib.contextmanager
    def one_now(self) -> Iterator[float | None]:
        """Inside the block every read uses the "now" read once on entry: a refresh's
        panels agree on the minute they show, and the clock costs one read instead of one
        per panel (on a cluster each is a trip to every partition's node)."""
        self._pinned = (data_now(self.client, self.keys),)
        try:
            yield self._pinned[0]
        finally:
            self._pinned = None

    def freshness(self) -> dict[str, FeedFreshness]:
        """Per feed: wall-clock time last processed and newest event time (stale banners),
        the newest over the partitions."""
        replies = self._each(
            lambda pipe, part: pipe.hgetall(part.feed_seen).hgetall(part.watermark)
        )
        seen, marks = _newest(replies[0::2]), _newest(replies[1::2])
        return {feed: FeedFreshness(feed, seen.get(feed), marks.get(feed)) for feed in FEEDS}

    def _last_minute(self) -> int | None:
        now = self.data_now()
        return None if now is None else lay.bucket_start(now, 60) - 60

    # -- KPIs --------------------------------------------------------------------

    def kpis(self, business_line: str | None = None) -> KpiSnapshot:
        """Queue KPIs over the rolling minute: the six newest complete 10 s buckets, so
        the wall moves every 10 s and shows figures within seconds of a start (queue
        figures: newest snapshots)."""
        now = self.data_now()
        if now is None:
            return KpiSnapshot(minute=None)
        start = lay.bucket_start(now, 10) - 60
        buckets = lay.bucket_range(start + 50, 6, "10s")
        scope = business_line or lay.TOTAL
        fields = [lay.metric_field(scope, m) for m in lay.SERVICE_METRICS]
        counters = read_fields(
            self.client, self.keys, [(lay.SERVICE_LINE, "10s", b, fields) for b in buckets]
        )
        queues = read_hashes(
            self.client, self.keys, [(lay.QUEUE, "10s", b) for b in (*buckets, start + 60)]
        )
        service = combine_metrics(_metrics(values) for values in counters)
        return kpis_from(start, service, newest_snapshots(queues, business_line))

    def waiting_by_group(self) -> dict[str, float]:
        """Customers queueing now per skill group (the newest snapshot of each group in
        the last minute): how many customers a queue breach is keeping waiting."""
        now = self.data_now()
        if now is None:
            return {}
        buckets = lay.bucket_range(int(now), 7, "10s")
        replies = read_hashes(self.client, self.keys, [(lay.QUEUE, "10s", b) for b in buckets])
        newest: dict[str, tuple[float, float]] = {}
        for reply in replies:
            for group, raw in reply.items():
                snap = lay.decode_snapshot(raw)
                ts, waiting = float(snap["ts"]), float(snap["waiting"])
                if group not in newest or newest[group][0] <= ts:
                    newest[group] = (ts, waiting)
        return {group: waiting for group, (_, waiting) in newest.items()}

    def kpi_history(self, minutes: int = 60, business_line: str | None = None) -> pd.DataFrame:
        """One row per complete minute (oldest first): ``time`` and :data:`KPI_COLUMNS`."""
        last = self._last_minute()
        if last is None:
            return pd.DataFrame(columns=["time", *KPI_COLUMNS])
        buckets = lay.bucket_range(last, minutes, "1m")
        scope = business_line or lay.TOTAL
        fields = [lay.metric_field(scope, m) for m in lay.SERVICE_METRICS]
        wanted = [(lay.SERVICE_LINE, "1m", b) for b in buckets]
        wanted += [(lay.QUEUE, "1m", b) for b in buckets]
        replies = read_hashes(self.client, self.keys, wanted)
        rows = []
        for i, b in enumerate(buckets):
            snapshots = newest_snapshots([replies[len(buckets) + i]], business_line)
            service = _metrics([replies[i].get(f) for f in fields])
            snap = kpis_from(b, service, snapshots)
            rows.append([getattr(snap, c) for c in KPI_COLUMNS])
        frame = pd.DataFrame(rows, columns=list(KPI_COLUMNS), dtype="float64")
        frame.insert(0, "time", _times(buckets))
        return frame

    # -- contacts and series -------------------------------------------------------

    def contacts_by_business_line(self, hours: float = 24, resolution: str = "1m") -> pd.DataFrame:
        """Long frame ``time, business_line, contacts`` up to the current bucket."""
        now = self.data_now()
        if now is None:
            return pd.DataFrame(columns=["time", "business_line", "contacts"])
        count = max(1, int(hours * 3600 // RESOLUTIONS[resolution]))
        buckets = lay.bucket_range(int(now), count, resolution)
        replies = read_hashes(self.client, self.keys, [(lay.LINES, resolution, b) for b in buckets])
        records = [
            (b, line, int(n))
            for b, reply in zip(buckets, replies, strict=True)
            for line, n in reply.items()
        ]
        frame = pd.DataFrame(records, columns=["time", "business_line", "contacts"])
        frame["time"] = pd.to_datetime(frame["time"], unit="s", utc=True)
        return frame

    def series_history(
        self,
        series: str,
        minutes: int = 60,
        resolution: str = "1m",
        metric: str | None = None,
    ) -> pd.DataFrame:
        """``time, value`` for a contact, queue or voice series id (``*`` = all).

        ``metric``: contacts are counted; queue series default to ``waiting`` (any of
        :data:`QUEUE_FIELDS`, or a KPI such as ``pickup_rate`` from the service
        counters); voice series default to ``total`` (or ``negative``,
        ``negative_share``, ``reach``).
        """
        now = self.data_now()
        width = RESOLUTIONS[resolution]
        count = max(1, minutes * 60 // width)
        if now is None:
            return pd.DataFrame(columns=["time", "value"])
        buckets = lay.bucket_range(int(now), count, resolution)
        dims = parse_series(series)
        values = series_values(self.client, self.keys, dims, buckets, resolution, metric)
        return pd.DataFrame({"time": _times(buckets), "value": values})

    def known_series(self) -> set[str]:
        """Every contact, queue and voice series id seen so far (in any partition)."""
        found = self._each(lambda pipe, part: pipe.smembers(part.series_index))
        return {str(s) for members in found for s in members}

    # -- voices and verbatims ------------------------------------------------------

    def voices_summary(self, minutes: int = 60, business_line: str | None = None) -> pd.DataFrame:
        """Per minute and source: ``total, negative, negative_share`` (of one business
        line, or of all)."""
        now = self.data_now()
        columns = ["time", "source", "total", "negative", "negative_share"]
        if now is None:
            return pd.DataFrame(columns=columns)
        buckets = lay.bucket_range(int(now), minutes, "1m")
        replies = read_hashes(self.client, self.keys, [(lay.VOICES, "1m", b) for b in buckets])
        sums: dict[tuple[int, str], list[int]] = {}
        for b, reply in zip(buckets, replies, strict=True):
            for name, value in reply.items():
                line, source, metric = lay.split_field(name)
                if metric in ("total", "negative") and business_line in (None, line):
                    slot = sums.setdefault((b, source), [0, 0])
                    slot[metric == "negative"] += int(value)
        rows = [
            (b, source, total, neg, neg / total if total else 0.0)
            for (b, source), (total, neg) in sorted(sums.items())
        ]
        frame = pd.DataFrame(rows, columns=columns)
        frame["time"] = pd.to_datetime(frame["time"], unit="s", utc=True)
        return frame

    def latest_negative_voices(
        self, n: int = 10, business_line: str | None = None
    ) -> list[VoiceSample]:
        """The newest negative external voices, newest first (masked); for one business
        line, those of that line among the kept ones (one list per partition)."""
        stop = max(0, n - 1) if business_line is None else -1
        lists = self._each(lambda pipe, part: pipe.lrange(part.negative_voices, 0, stop))
        samples = [VoiceSample(**json.loads(item)) for items in lists for item in items]
        if len(lists) > 1:
            samples.sort(key=lambda v: v.ts, reverse=True)
        if business_line is not None:
            samples = [s for s in samples if s.business_line == business_line]
        return samples[:n]

    def recent_verbatims(self, series: str, n: int = 5) -> list[str]:
        """Newest masked verbatims behind a series, the evidence an alert on it shows:
        contacts of its line and reason (or line), the *negative* voices of its line
        (what a sentiment storm is made of); a finer series falls back to the level
        that is kept, a queue or a conversation has none here."""
        stored = verbatim_series(series)
        if stored is None:
            return []
        last = max(0, n - 1)
        lists = self._each(lambda pipe, part: pipe.lrange(part.verbatims(stored), 0, last))
        return [str(t) for items in lists for t in items][:n]

    # -- detector ----------------------------------------------------------------

    def bucket_snapshot(self, bucket_start: int) -> BucketSnapshot:
        """One 10 s bucket's raw counters (five ``HGETALL`` in one call)."""
        families = (lay.CONTACTS, lay.SERVICE, lay.SERVICE_LINE, lay.QUEUE, lay.VOICES)
        wanted = [(family, "10s", bucket_start) for family in families]
        contacts, service, service_lines, queue, voices = read_hashes(
            self.client, self.keys, wanted
        )
        pairs: dict[tuple[str, str], list[int]] = {}
        for name, value in voices.items():
            line, source, metric = lay.split_field(name)
            if metric in ("total", "negative"):
                pairs.setdefault((line, source), [0, 0])[metric == "negative"] = int(value)
        return BucketSnapshot(
            bucket_start=bucket_start,
            contacts={_triple(k): int(v) for k, v in contacts.items()},
            service=lay.group_metrics(service),
            service_lines=lay.group_metrics(service_lines),
            queue={
                sg: {
                    k: float(v) for k, v in lay.decode_snapshot(raw).items() if k != "business_line"
                }
                for sg, raw in queue.items()
            },
            voices={k: (v[0], v[1]) for k, v in pairs.items()},
        )


def data_now(client: redis.Redis, keys: Keys) -> float | None:
    """Newest contact event time any worker has processed, in any partition."""
    pipe = client.pipeline(transaction=False)
    for part in keys.every():
        pipe.hget(part.watermark, "contacts")
    return max((float(m) for m in pipe.execute() if m is not None), default=None)


def _newest(hashes: list[dict[str, str]]) -> dict[str, float]:
    """Field → the largest value any of the hashes holds for it."""
    out: dict[str, float] = {}
    for values in hashes:
        for name, raw in values.items():
            out[name] = max(out.get(name, float(raw)), float(raw))
    return out


def _triple(name: str) -> tuple[str, str, str]:
    line, reason, channel = lay.split_field(name)
    return line, reason, channel


def _metrics(values: list[str | None]) -> dict[str, float]:
    return {m: float(v) for m, v in zip(lay.SERVICE_METRICS, values, strict=True) if v is not None}


def verbatim_series(series: str) -> str | None:
    """The series whose verbatim list holds ``series``'s verbatims (or ``None``)."""
    dims = parse_series(series)
    line = dims.get("business_line")
    if dims["family"] == "contacts" and line:
        return contact_series(line, dims.get("reason", ALL))
    if dims["family"] == "voices" and line:
        return voice_series(line)
    return None
