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
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from typing import Protocol

import pandas as pd

from alerts.views import AlertView
from dashboard.history import HistoryCache
from dashboard.obstacles import (
    SINGLE_CONVERSATION_KINDS,
    Headline,
    Obstacle,
    headline_of,
    rank_obstacles,
    severity_rank,
    to_obstacle,
)
from datasources.aggregates import FeedFreshness, KpiSnapshot, VoiceSample

__all__ = ["Obstacle", "WallSnapshot", "load_wall", "severity_rank", "to_obstacle"]
"""``Obstacle``, ``severity_rank`` and ``to_obstacle`` live in :mod:`dashboard.obstacles`;
the console imports them from here too."""

FEEDS: tuple[str, ...] = ("contacts", "queue", "voices")
"""The feeds the wall depends on; each gets a banner when it goes stale."""

OBSTACLE_STATUSES: tuple[str, ...] = ("open", "acknowledged")
NEGATIVE_VOICES_SHOWN = 5
DAY_REREAD_S = 120.0
"""The day chart reads its whole day again every two minutes (one read of 1,440 small
hashes), so minutes written late — a fresh demo's past day — appear without a restart."""


class AggregateSource(Protocol):
    def data_now(self) -> float | None: ...
    def one_now(self) -> AbstractContextManager[float | None]: ...
    def freshness(self) -> dict[str, FeedFreshness]: ...
    def kpis(self, business_line: str | None = None) -> KpiSnapshot: ...
    def kpi_history(self, minutes: int = 60, business_line: str | None = None) -> pd.DataFrame: ...
    def contacts_by_business_line(
        self, hours: float = 24, resolution: str = "1m"
    ) -> pd.DataFrame: ...
    def voices_summary(
        self, minutes: int = 60, business_line: str | None = None
    ) -> pd.DataFrame: ...
    def latest_negative_voices(
        self, n: int = 10, business_line: str | None = None
    ) -> list[VoiceSample]: ...
    def waiting_by_group(self) -> dict[str, float]: ...


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
    """Line-wide obstacles, largest impact first, at most ``obstacles_max``."""
    voices: pd.DataFrame
    negative_voices: list[VoiceSample]
    contacts: pd.DataFrame
    onsets: list[tuple[float, str, str]] = field(default_factory=list)
    """(onset epoch seconds, business line, severity) of today's alerts."""
    conversations: list[Obstacle] = field(default_factory=list)
    """Single-conversation risks (transcript flags, bells), newest first."""
    headline: Headline = field(default_factory=lambda: headline_of([]))
    """Counts over every open obstacle of the view, shown or not."""


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


def load_obstacles(
    reader: AggregateSource,
    alerts: AlertSource,
    business_line: str | None,
    verbatims_n: int,
) -> list[Obstacle]:
    """Every open or acknowledged alert of the view, ranked by impact (a queue breach's
    impact needs the customers queueing in its group: one more read, only then)."""
    found = alerts.list_alerts(status=OBSTACLE_STATUSES, business_line=business_line, limit=200)
    waiting = reader.waiting_by_group() if any(a.kind == "queue_breach" for a in found) else {}
    return rank_obstacles([to_obstacle(a, verbatims_n, waiting) for a in found])


def load_onsets(alerts: AlertSource, since: float) -> list[tuple[float, str, str]]:
    """Onsets of alerts seen in the last day (the contacts chart marks them)."""
    return [
        (a.onset, a.business_line or "", a.severity)
        for a in alerts.list_alerts(since=since, limit=500)
        if a.onset >= since and a.kind not in SINGLE_CONVERSATION_KINDS
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
    with reader.one_now() as data_now:  # one clock for every panel of the refresh
        kpi_history = history.frame("kpis", line, 60).update(
            lambda m: reader.kpi_history(minutes=m, business_line=line),
            lambda: reader.kpi_history(minutes=60, business_line=line),
        )
        voices = history.frame("voices", line, 60).update(
            lambda m: reader.voices_summary(minutes=m, business_line=line),
            lambda: reader.voices_summary(minutes=60, business_line=line),
        )
        contacts = history.frame("contacts", None, 24 * 60, DAY_REREAD_S).update(
            lambda m: reader.contacts_by_business_line(hours=m / 60, resolution="1m"),
            lambda: reader.contacts_by_business_line(hours=24, resolution="1m"),
        )
        if line is not None:  # one line's view: that line's curve only
            contacts = contacts[contacts["business_line"] == line]
        everything = load_obstacles(reader, alerts, line, verbatims_n)
        wide = [o for o in everything if not o.single_conversation]
        single = sorted((o for o in everything if o.single_conversation), key=lambda o: -o.onset)
        return WallSnapshot(
            taken_wall=now_wall,
            data_now=data_now,
            business_line=line,
            kpis=reader.kpis(business_line=line).as_dict(),
            kpi_history=kpi_history,
            feeds=feed_states(reader.freshness(), now_wall, stale_after_s),
            obstacles=wide[:obstacles_max],
            voices=voices,
            negative_voices=reader.latest_negative_voices(NEGATIVE_VOICES_SHOWN, line),
            contacts=contacts,
            onsets=[o for o in load_onsets(alerts, (data_now or now_wall) - 24 * 3600)
                    if line is None or o[1] == line],
            conversations=single,
            headline=headline_of(everything),
        )  # fmt: skip
