"""The pages' only way to the outside world: settings, Redis, the aggregate reader
and the alert service, built once per process with ``st.cache_resource``.

This is the service boundary the wall promises to hold: a dead Redis or database
becomes a :class:`ServiceDown` (one line for a banner), never a traceback.  The
wall's snapshot is shared between sessions for a short time so fifty screens cost
one read per refresh, while the alerts part is keyed by ``keys.alerts_changed`` so
an acknowledgement shows on every wall at its next refresh.
"""

from __future__ import annotations

import gc
import threading
import time
from collections.abc import Callable
from typing import TypeVar

import redis
import streamlit as st
from redis.backoff import ExponentialBackoff
from redis.retry import Retry
from sqlalchemy.exc import SQLAlchemyError

from alerts.service import AlertService
from dashboard.history import HistoryCache
from dashboard.i18n import Language
from dashboard.wall_data import WallSnapshot, load_wall
from dashboard.widgets import build_wall
from datasources.aggregates import AggregateReader
from datasources.db import make_engine
from datasources.keys import Keys
from datasources.redis_conn import connect
from datasources.settings import ConfigError, Settings, load_settings

T = TypeVar("T")

DOWN_ERRORS: tuple[type[BaseException], ...] = (redis.RedisError, OSError, SQLAlchemyError)


class ServiceDown(Exception):
    """Redis or the database cannot be reached; the message is one line."""

    def __init__(self, message: str, part: str = "redis") -> None:
        super().__init__(message)
        self.part = part
        """``redis`` or ``db``: which banner to show."""


@st.cache_resource(show_spinner=False)
def freeze_heap() -> bool:
    """Take everything imported so far (pandas, plotly, SQLAlchemy …) out of the
    garbage collector's generations, once per process.

    Every fragment re-run allocates enough to trigger collections, and a full
    collection walks the whole imported heap: measured on the wall, a re-run cost
    ~100 ms of pure collector time and ten walls queued behind each other for a
    second; frozen, a re-run costs a few milliseconds."""
    gc.freeze()
    return True


@st.cache_resource(show_spinner=False)
def get_settings() -> Settings:
    """The validated settings; a bad configuration stops the page with one line."""
    try:
        return load_settings()
    except ConfigError as exc:
        st.error(f"Configuration error: {exc}")
        st.stop()


def get_keys() -> Keys:
    settings = get_settings()
    return Keys.from_settings(settings)


@st.cache_resource(show_spinner=False)
def get_redis() -> redis.Redis:
    settings = get_settings()
    if not settings.redis_url:
        raise ServiceDown("GMD_REDIS_URL is not set (start the app with `gmd run`)")
    client = connect(settings.redis_url, timeout_s=2.0)
    # Fail fast: a wall must show "unavailable" within a refresh, not after redis-py's
    # default ten retries; the next refresh is the retry.
    client.set_retry(Retry(ExponentialBackoff(cap=0.2, base=0.05), 1))
    return client


@st.cache_resource(show_spinner=False)
def get_reader() -> AggregateReader:
    settings = get_settings()
    return AggregateReader(get_redis(), get_keys(), settings)


@st.cache_resource(show_spinner=False)
def get_alert_service() -> AlertService:
    """The alert engine (database + routing file); its rings leave from this process."""
    settings = get_settings()
    engine = make_engine(settings.effective_database_url)
    return AlertService(settings, engine, redis_client=get_redis())


def guarded(call: Callable[[], T]) -> T:
    """Run ``call``; turn an unreachable Redis or database into :class:`ServiceDown`."""
    try:
        return call()
    except DOWN_ERRORS as exc:
        raise ServiceDown(
            f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"
        ) from exc


class _Outage:
    """When the current outage began (shared by every session in the process)."""

    def __init__(self) -> None:
        self.since: float | None = None
        self.lock = threading.Lock()

    def failed(self) -> float:
        with self.lock:
            if self.since is None:
                self.since = time.time()
            return self.since

    def recovered(self) -> None:
        with self.lock:
            self.since = None


@st.cache_resource(show_spinner=False)
def _outage() -> _Outage:
    return _Outage()


WallKey = tuple[str, str, int, int]
"""(view, language, alerts version, time slot)."""


class _WallCache:
    """Recently built walls, shared by every session.  One session builds at a time;
    while it does, the others are served the newest wall already built for their
    view and language instead of queueing behind it (they get the new one at their
    next refresh), so fifty walls cost one build and nobody waits for it."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.building = threading.Lock()
        self.entries: dict[WallKey, tuple[WallSnapshot, str]] = {}

    def _newest(self, key: WallKey) -> tuple[WallSnapshot, str] | None:
        with self.lock:
            same = [k for k in self.entries if k[:2] == key[:2]]
            return self.entries[max(same, key=lambda k: (k[3], k[2]))] if same else None

    def get_or_build(
        self, key: WallKey, build: Callable[[], tuple[WallSnapshot, str]]
    ) -> tuple[WallSnapshot, str]:
        with self.lock:
            hit = self.entries.get(key)
        if hit is not None:
            return hit
        if not self.building.acquire(blocking=False):
            newest = self._newest(key)
            if newest is not None:
                return newest
            self.building.acquire()
        try:
            with self.lock:
                hit = self.entries.get(key)
            if hit is not None:
                return hit
            built = build()
            with self.lock:
                self.entries = {k: v for k, v in self.entries.items() if k[3] >= key[3] - 1}
                self.entries[key] = built
            return built
        finally:
            self.building.release()


@st.cache_resource(show_spinner=False)
def _history() -> HistoryCache:
    return HistoryCache()


@st.cache_resource(show_spinner=False)
def _walls() -> _WallCache:
    return _WallCache()


def alerts_version() -> int:
    raw = get_redis().get(get_keys().alerts_changed)
    return int(raw) if raw else 0


def wall(business_line: str | None, lang: Language) -> tuple[WallSnapshot, str]:
    """This refresh's wall for one view and language, shared between sessions for
    ``refresh_s / 2``, rebuilt at once when an alert changes (``alerts_changed``).

    Raises :class:`ServiceDown` when Redis or the database is unreachable and
    records when the outage began, for the banner."""
    settings = get_settings()
    slot_s = max(settings.refresh_s / 2, 0.5)

    def build() -> tuple[WallSnapshot, str]:
        snapshot = load_wall(
            get_reader(),
            get_alert_service(),
            _history(),
            business_line=business_line,
            stale_after_s=settings.stale_after_s,
            obstacles_max=settings.screens.obstacles_max,
            verbatims_n=settings.screens.verbatims_per_obstacle,
        )
        return snapshot, build_wall(snapshot, None, business_line, lang, settings)

    try:
        version = guarded(alerts_version)
        key = (business_line or "*", lang, version, int(time.time() / slot_s))
        built = guarded(lambda: _walls().get_or_build(key, build))
    except ServiceDown:
        _outage().failed()
        raise
    _outage().recovered()
    return built


def outage_since() -> float | None:
    return _outage().since
