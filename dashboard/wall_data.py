"""Everything one wall refresh shows, gathered into one value.

:func:`load_wall` is the whole data side of a refresh: it reads only aggregates
(through H2's :class:`~datasources.aggregates.AggregateReader`) and the open
alerts (through H4's alert service), never raw events, so its cost does not grow
with traffic.  The page renders a :class:`WallSnapshot`; ``bench/render.py`` times
this same function.  Reader and alert service are described by protocols so the
wall depends on what it calls, not on how they are built.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import pandas as pd

from alerts.views import AlertView
from dashboard.history import HistoryCache
from datasources.aggregates import FeedFreshness, KpiSnapshot, VoiceSample

FEEDS: tuple[str, ...] = ("contacts", "queue", "voices")
"""The feeds the wall depends on; each gets a banner when it goes stale."""

OBSTACLE_STATUSES: tuple[str, ...] = ("open", "acknowledged")


class AggregateSource(Protocol):
    def data_now(self) -> float | None: ...
    def freshness(self) -> dict[str, FeedFreshness]: ...
    def kpis(self, business_line: str | None = None) -> KpiSnapshot: ...
    def kpi_history(self, minutes: int = 60, business_line: str | None = None) -> pd.DataFrame: ...
    def contacts_by_business_line(
        self, hours: float = 24, resolution: str = "1m"
    ) -> pd.DataFrame: ...
    def voices_summary(self, minutes: int = 60) -> pd.DataFrame: ...
    def latest_negative_voices(self, n: int = 10) -> list[VoiceSample]: ...


class AlertSource(Protocol):
    def list_alerts(
        self,
        status: str | Sequence[str] | None = None,
        business_line: str | None = None,
        severity: str | None = None,
        owner: str | None = None,
        since: float | None = None,
        limit: int = 200,
    ) -> list[AlertView]: ...


@dataclass(frozen=True)
class FeedState:
    feed: str
    last_seen_wall: float | None
    stale: bool


@dataclass(frozen=True)
class Obstacle:
    """An open alert as the wall shows it (masked words, who acknowledged)."""

    alert_id: int
    severity: str
    kind: str
    business_line: str | None
    reason: str | None
    series: str
    ratio: float | None
    onset: float
    status: str
    acked_by: str | None
    acked_at: float | None
    trend: list[float]
    verbatims: list[str]
    metric: str = ""
    detail: dict[str, Any] = field(default_factory=dict)
    """What a rule or the detector attached (a flag's rule names the card)."""


@dataclass
class WallSnapshot:
    taken_wall: float
    data_now: float | None
    """The data's own clock (newest contact processed); ``None`` before any data."""
    business_line: str | None
    kpis: dict[str, float | None]
    kpi_history: pd.DataFrame
    feeds: list[FeedState]
    obstacles: list[Obstacle]
    voices: pd.DataFrame
    negative_voices: list[VoiceSample]
    contacts: pd.DataFrame
    onsets: list[tuple[float, str, str]] = field(default_factory=list)
    """(onset epoch seconds, business line, severity) of today's alerts."""


def feed_states(
    freshness: dict[str, FeedFreshness], now_wall: float, stale_after_s: float
) -> list[FeedState]:
    """One state per wall feed: stale when never seen or last processed too long ago."""
    states = []
    for feed in FEEDS:
        info = freshness.get(feed)
        seen = info.last_seen_wall if info is not None else None
        stale = seen is None or now_wall - seen > stale_after_s
        states.append(FeedState(feed, seen, stale))
    return states


def severity_rank(severity: str) -> int:
    order = ("critical", "major", "minor", "info")
    return order.index(severity) if severity in order else len(order)


def to_obstacle(alert: AlertView, verbatims_n: int) -> Obstacle:
    return Obstacle(
        alert_id=alert.id,
        severity=alert.severity,
        kind=alert.kind,
        business_line=alert.business_line,
        reason=alert.reason,
        series=alert.series,
        ratio=alert.observed / alert.expected if alert.expected > 0 else None,
        onset=alert.onset,
        status=alert.status,
        acked_by=alert.acked_by,
        acked_at=alert.acked_at,
        trend=[float(v) for v in alert.trend][-60:],
        verbatims=[str(v) for v in alert.verbatims][:verbatims_n],
        metric=alert.metric,
        detail=dict(alert.detail),
    )


def rank_obstacles(obstacles: list[Obstacle]) -> list[Obstacle]:
    """Most severe first, then unacknowledged before acknowledged, then largest."""
    return sorted(
        obstacles,
        key=lambda o: (severity_rank(o.severity), o.status != "open", -(o.ratio or 0.0)),
    )


def load_obstacles(
    alerts: AlertSource, business_line: str | None, limit: int, verbatims_n: int
) -> list[Obstacle]:
    found = alerts.list_alerts(status=OBSTACLE_STATUSES, business_line=business_line, limit=200)
    return rank_obstacles([to_obstacle(a, verbatims_n) for a in found])[:limit]


def load_onsets(alerts: AlertSource, since: float) -> list[tuple[float, str, str]]:
    """Onsets of alerts seen in the last day (the contacts chart marks them)."""
    return [
        (a.onset, a.business_line or "", a.severity)
        for a in alerts.list_alerts(since=since, limit=500)
        if a.onset >= since
    ]


def load_wall(
    reader: AggregateSource,
    alerts: AlertSource,
    history: HistoryCache,
    *,
    business_line: str | None,
    stale_after_s: float,
    obstacles_max: int,
    verbatims_n: int,
    now_wall: float | None = None,
) -> WallSnapshot:
    """Read one refresh's worth of aggregates and alerts: a fixed number of reads,
    however long the day and however heavy the traffic (``history`` keeps closed
    minutes).  Raises on a dead Redis or database; the caller shows a banner."""
    now_wall = time.time() if now_wall is None else now_wall
    line = business_line
    data_now = reader.data_now()
    kpi_history = history.frame("kpis", line, 60).update(
        lambda m: reader.kpi_history(minutes=m, business_line=line),
        lambda: reader.kpi_history(minutes=60, business_line=line),
    )
    voices = history.frame("voices", None, 60).update(
        lambda m: reader.voices_summary(minutes=m), lambda: reader.voices_summary(minutes=60)
    )
    contacts = history.frame("contacts", None, 24 * 60).update(
        lambda m: reader.contacts_by_business_line(hours=m / 60, resolution="1m"),
        lambda: reader.contacts_by_business_line(hours=24, resolution="1m"),
    )
    return WallSnapshot(
        taken_wall=now_wall,
        data_now=data_now,
        business_line=line,
        kpis=reader.kpis(business_line=line).as_dict(),
        kpi_history=kpi_history,
        feeds=feed_states(reader.freshness(), now_wall, stale_after_s),
        obstacles=load_obstacles(alerts, line, obstacles_max, verbatims_n),
        voices=voices,
        negative_voices=reader.latest_negative_voices(5),
        contacts=contacts,
        onsets=load_onsets(alerts, (data_now or now_wall) - 24 * 3600),
    )
