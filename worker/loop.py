"""The worker loop: fetch a batch, apply every stage and ack in one checked script, tick.

Exactly-once effects (the full argument is in ``docs/worker.md``): each iteration
fetches a batch together with this worker's fence, lets every stage describe its
writes (:class:`~datasources.batch.BatchWrites`), adds the ``XACK`` and commits them
in one script call that checks every write before making any.  A script runs whole,
so a worker killed at any point either applied-and-acked a batch or did neither (the
entries stay pending and are reclaimed); a check that fails writes nothing, and the
batch is then committed one entry at a time, so only the entries storage refuses are
dead-lettered.  A slow-but-alive worker whose entries were claimed by another one
finds its fence bumped: its commit does nothing, and the claimer applies the batch once.

With several partitions (``GMD_STREAMS__PARTITIONS``) a batch holds one partition's
entries and writes only that partition's keys, so on a Redis Cluster its script runs on
one node; the worker takes the partitions in turn, each with its own fence.

Nothing important lives only in this process: aggregates, watermarks, detector
state and open anomalies are in Redis, so a restarted worker just carries on.
"""

from __future__ import annotations

import contextlib
import gc
import json
import logging
import os
import signal
import socket
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from types import FrameType
from typing import Any

import redis
from tenacity import RetryCallState, Retrying, retry_if_exception_type, wait_exponential

from datasources.batch import STATUS_FENCED, STATUS_REJECTED, BatchWrites, Guard
from datasources.feeds import write_dead_letter
from datasources.keys import FEED_GROUP, Keys
from datasources.schemas import Event, InvalidEvent, parse_event
from datasources.settings import Settings
from worker import groups
from worker.stages import FeedStage, Ticker

log = logging.getLogger("gmd.worker")

REDIS_DOWN = (redis.ConnectionError, redis.TimeoutError)
"""What "Redis went away" looks like (redis-py wraps socket errors; loading is a
ConnectionError too): waited out with back-off, never a traceback."""


class StorageRefused(redis.RedisError):
    """Redis refuses even a dead letter for an entry (a key of ours holds the wrong type,
    the group was deleted): waited out like an outage, the entry stays pending."""


REDIS_TROUBLE = (*REDIS_DOWN, redis.ResponseError)
"""Outages, and refusals by the server (out of memory, disk full for the AOF, a read-only
replica, :class:`StorageRefused`): waited out with back-off, one line per retry."""
CLAIM_MAX = 1000
"""Entries claimed per stream per round (the claim script unpacks them as arguments)."""
STAGE_RETRY_S = 1.0


def default_name() -> str:
    return f"{socket.gethostname()}-{os.getpid()}"


def tune_gc() -> tuple[int, int, int]:
    """Fewer, cheaper garbage collections for a process that allocates a batch's worth of
    short-lived objects every few milliseconds.

    ``freeze()`` moves everything alive after start-up (modules, settings, stages)
    out of the collector's sight, and a larger first-generation threshold stops it
    from walking the heap dozens of times per batch.  Measured: ~25 % less CPU per
    event for the full worker.  Call once, after the stages and tickers are built;
    returns the previous thresholds.
    """
    previous = gc.get_threshold()
    gc.collect()
    gc.freeze()
    gc.set_threshold(20_000, 50, 100)
    return previous


@dataclass
class WorkerStats:
    events: int = 0
    batches: int = 0
    dead_letters: int = 0
    aborted: int = 0
    started: float = field(default_factory=time.time)
    seconds: dict[str, float] = field(default_factory=dict)
    """Time spent per part: ``read``, ``parse``, ``stage:<Name>``, ``exec``, ``tick:<Name>``
    (cheap to keep; tells which stage or ticker a slow worker spends its time in)."""

    def spent(self, part: str, since: float) -> float:
        """Add the time since ``since`` (``perf_counter``) to ``part``; returns now."""
        now = time.perf_counter()
        self.seconds[part] = self.seconds.get(part, 0.0) + now - since
        return now


class Worker:
    """One consumer in the feed group, running ``stages`` per batch and ``tickers`` between.

    ``group`` is the feed group (``gmd-workers``); only the throughput bench uses another.
    """

    def __init__(
        self,
        client: redis.Redis,
        settings: Settings,
        stages: Sequence[FeedStage],
        tickers: Sequence[Ticker] = (),
        name: str | None = None,
        group: str = FEED_GROUP,
    ) -> None:
        self.client = client
        self.group = group
        self.settings = settings
        self.keys = Keys.from_settings(settings)
        self.name = name or default_name()
        self.stages = list(stages)
        self.tickers = list(tickers)
        self.stats = WorkerStats()
        self._stop = threading.Event()
        self.parts = self.keys.every()
        self._next_tick = [0.0] * len(self.tickers)
        self._next_claim = [0.0] * len(self.parts)
        self._rotation = 0
        self._next_beat = 0.0
        self._outage = False
        self._previous_handlers: dict[int, Any] = {}
        self._failures: dict[tuple[int, str, str], int] = {}
        """(partition, feed, first entry id) of a batch a stage failed on → failed tries."""
        self._by_feed = {
            feed: [s for s in self.stages if feed in s.feeds] for feed in self.keys.feed_streams
        }

    # -- lifecycle ---------------------------------------------------------------

    def stop(self) -> None:
        """Finish the current batch, then leave :meth:`run` (warm shutdown)."""
        self._stop.set()

    def install_signal_handlers(self) -> None:
        """SIGTERM/SIGINT finish the batch, then :meth:`run` returns (:meth:`close` restores
        the previous handlers)."""

        def handler(signum: int, _frame: FrameType | None) -> None:
            log.info(
                "worker %s: %s received, finishing the batch", self.name, signal.strsignal(signum)
            )
            self.stop()

        for signum in (signal.SIGTERM, signal.SIGINT):
            self._previous_handlers[signum] = signal.signal(signum, handler)

    def run(self, max_events: int | None = None, once: bool = False) -> WorkerStats:
        """Consume until stopped (or ``max_events`` processed, or after one batch with
        ``once``).  Redis outages are waited out with back-off, one log line per retry.
        The caller calls :meth:`close` afterwards."""
        retrying = Retrying(
            retry=retry_if_exception_type(REDIS_TROUBLE),
            wait=wait_exponential(multiplier=0.2, max=10),
            stop=lambda _state: self._stop.is_set(),
            sleep=self._pause,
            before_sleep=self._log_outage,
            reraise=True,
        )
        log.info("worker %s: consuming %s in %d partition(s)",
                 self.name, ", ".join(self.keys.feed_streams), len(self.parts))  # fmt: skip
        while not self._stop.is_set():
            try:
                for attempt in retrying:
                    with attempt:
                        processed = self.iteration()
            except REDIS_TROUBLE:
                break  # asked to stop while Redis was away
            if self._outage:
                log.info("worker %s: Redis is back", self.name)
                self._outage = False
            if once and processed:
                break
            if max_events is not None and self.stats.events >= max_events:
                break
        parts = sorted(self.stats.seconds.items(), key=lambda kv: -kv[1])
        spent = ", ".join(f"{part} {sec:.1f}s" for part, sec in parts[:6])
        log.info("worker %s: stopped after %d events (%s)", self.name, self.stats.events, spent)
        return self.stats

    def _pause(self, seconds: float) -> None:
        """Sleep between retries, but wake at once on SIGTERM."""
        self._stop.wait(seconds)

    def _log_outage(self, state: RetryCallState) -> None:
        exc = state.outcome.exception() if state.outcome else None
        wait = state.next_action.sleep if state.next_action else 0.0
        self._outage = True
        log.error("worker %s: Redis unavailable (%s); retrying in %.1fs", self.name, exc, wait)

    def close(self) -> None:
        """Stop tickers that own threads (their optional ``stop()``), drop the heartbeat,
        restore signal handlers."""
        for ticker in self.tickers:
            stop = getattr(ticker, "stop", None)
            if callable(stop):
                try:
                    stop()
                except Exception as exc:
                    log.error(
                        "worker %s: stopping %s failed: %s", self.name, type(ticker).__name__, exc
                    )
        with contextlib.suppress(*REDIS_DOWN):
            self.client.delete(self.keys.worker_heartbeat(self.name))
        for signum, previous in self._previous_handlers.items():
            signal.signal(signum, previous)
        self._previous_handlers.clear()

    # -- one iteration ------------------------------------------------------------

    def iteration(self) -> int:
        """Fetch and commit one batch, then run due tickers; returns events processed."""
        self._heartbeat()
        try:
            fetched = self._fetch()
        except redis.ResponseError as exc:
            if "NOGROUP" not in str(exc):
                raise
            log.info("worker %s: creating the consumer group on the feed streams", self.name)
            groups.ensure_groups(self.client, self.keys, self.group)
            return 0
        processed = self.commit(fetched) if fetched.batch else 0
        self._run_tickers()
        return processed

    def _fetch(self) -> groups.Fetched:
        started = time.perf_counter()
        fetched = self._next_batch(self.client)
        if fetched.batch:
            self.stats.spent("read", started)
        return fetched

    def _next_batch(self, conn: Any) -> groups.Fetched:
        """The next batch, from the next partition in turn that has work (one partition
        per batch, so its writes stay in one hash slot): its own pending entries, else
        claimed ones, else new ones.  Only when a whole round found nothing does the last
        read wait up to ``block_ms`` for new entries (on that partition: one blocking read
        cannot span cluster slots, so an idle worker notices work elsewhere within
        ``block_ms``)."""
        size, group = self.settings.worker.batch_size, self.group
        for turn in range(len(self.parts), 0, -1):
            keys = self.parts[self._rotation]
            self._rotation = (self._rotation + 1) % len(self.parts)
            fetched = groups.read_own_pending(conn, keys, self.name, size, group)
            if not fetched.batch:
                block = self.settings.worker.block_ms if turn == 1 else 0
                fetched = self._claim(conn, keys) or groups.read_new(
                    conn, keys, self.name, size, block, group
                )
            if fetched.batch:
                break
        return fetched

    def _claim(self, conn: Any, keys: Keys) -> groups.Fetched | None:
        now = time.monotonic()
        if now < self._next_claim[keys.partition]:
            return None
        idle, size = self.settings.worker.claim_idle_ms, self.settings.worker.batch_size
        self._next_claim[keys.partition] = now + idle / 4000
        fetched = groups.claim_idle(conn, keys, self.name, idle, min(size, CLAIM_MAX), self.group)
        if not fetched.batch:
            return None
        log.info("worker %s: claimed %d idle entries", self.name, _count(fetched.batch))
        return fetched

    def _guard(self, fetched: groups.Fetched, firsts: dict[str, str]) -> Guard:
        fence_key = self.parts[fetched.partition].worker_fence(self.name)
        return Guard(fence_key, fetched.fence, self.group, self.name, firsts)

    def commit(self, fetched: groups.Fetched) -> int:
        """Apply the batch and ack it in one checked script call; returns the entries
        committed, 0 if the fence aborted it (or a stage failed and it waits for a retry)."""
        streams = self.parts[fetched.partition].feed_streams
        writes = BatchWrites(partition=fetched.partition)
        dead = 0
        for feed, entries in fetched.batch.items():
            parsed, invalid = self._parse(feed, entries, writes)
            dead += invalid
            if parsed:
                tried = (fetched.partition, feed, entries[0][0])
                if self._failures.get(tried, 0) >= self.settings.worker.stage_attempts:
                    self._failures = {k: n for k, n in self._failures.items() if k[:2] != tried[:2]}
                    return self._commit_each(fetched)
                if not self._apply_stages(feed, [event for _, _, event in parsed], writes):
                    self._failures[tried] = self._failures.get(tried, 0) + 1
                    return 0
                self._failures.pop(tried, None)
            writes.ack(streams[feed], self.group, [eid for eid, _ in entries])
        started = time.perf_counter()
        firsts = {streams[feed]: entries[0][0] for feed, entries in fetched.batch.items()}
        outcome = writes.commit(self.client, self._guard(fetched, firsts))
        self.stats.spent("exec", started)
        if outcome.status == STATUS_REJECTED:
            log.error("worker %s: storage refused a batch (%s); committing it entry by entry",
                      self.name, outcome.reason)  # fmt: skip
            return self._commit_each(fetched)
        if outcome.status == STATUS_FENCED:
            return self._fenced()
        return self._committed(_count(fetched.batch), dead)

    def _committed(self, count: int, dead: int) -> int:
        self.stats.events += count
        self.stats.batches += 1
        self.stats.dead_letters += dead
        return count

    def _fenced(self) -> int:
        self.stats.aborted += 1
        log.warning("worker %s: batch not committed (claimed by another worker)", self.name)
        return 0

    def _parse(
        self, feed: str, entries: groups.Entries, writes: BatchWrites
    ) -> tuple[list[tuple[str, dict[str, str], Event]], int]:
        """The feed's valid events; the others are dead-lettered on ``writes``."""
        parsed: list[tuple[str, dict[str, str], Event]] = []
        dead = 0
        keys = self.parts[writes.partition]
        started = time.perf_counter()
        for entry_id, fields in entries:
            if fields is None:
                continue  # trimmed from the stream before anyone read it: just ack
            if isinstance(fields, groups.Undecodable):
                write_dead_letter(writes, keys, feed, entry_id, fields, fields.reason())
                dead += 1
                continue
            try:
                parsed.append((entry_id, fields, parse_event(feed, fields)))
            except InvalidEvent as exc:
                write_dead_letter(writes, keys, feed, entry_id, fields, str(exc))
                dead += 1
        self.stats.spent("parse", started)
        return parsed, dead

    def _apply_stages(self, feed: str, events: list[Event], writes: BatchWrites) -> bool:
        """Describe every stage's writes; on a stage bug, log one line, keep the entries
        pending (retried after a pause, from this consumer's pending list), commit nothing."""
        for stage in self._by_feed[feed]:
            started = time.perf_counter()
            try:
                stage.apply(feed, events, writes)
                self.stats.spent(f"stage:{type(stage).__name__}", started)
            except Exception as exc:
                log.error("worker %s: stage %s failed on %s: %s; retrying the batch",
                          self.name, type(stage).__name__, feed, exc)  # fmt: skip
                log.debug("stage failure", exc_info=True)
                self._stop.wait(STAGE_RETRY_S)
                return False
        return True

    def _commit_each(self, fetched: groups.Fetched) -> int:
        """Commit the batch one entry at a time (each its own checked script call): an entry
        a stage keeps failing on, or whose writes storage refuses, is dead-lettered with
        why; the others are applied.  Returns the entries committed."""
        keys = self.parts[fetched.partition]
        streams = keys.feed_streams
        done = dead = 0
        every = [(feed, entry) for feed, entries in fetched.batch.items() for entry in entries]
        for feed, (entry_id, fields) in every:
            writes = BatchWrites(partition=fetched.partition)
            reason = self._describe_one(feed, entry_id, fields, writes)
            guard = self._guard(fetched, {streams[feed]: entry_id})
            writes.ack(streams[feed], self.group, [entry_id])
            outcome = writes.commit(self.client, guard)
            if outcome.status == STATUS_REJECTED:
                reason = f"storage refused its writes ({outcome.reason})"
                writes = BatchWrites(partition=fetched.partition)
                write_dead_letter(writes, keys, feed, entry_id, fields or {}, reason)
                writes.ack(streams[feed], self.group, [entry_id])
                outcome = writes.commit(self.client, guard)
            if outcome.status == STATUS_REJECTED:
                raise StorageRefused(f"even a dead letter was refused: {outcome.reason}")
            if outcome.status == STATUS_FENCED:
                self._fenced()
                break
            done += 1
            dead += reason is not None
        if dead:
            log.error("worker %s: %d entries dead-lettered one by one", self.name, dead)
        return self._committed(done, dead)

    def _describe_one(
        self, feed: str, entry_id: str, fields: dict[str, str] | None, writes: BatchWrites
    ) -> str | None:
        """One entry's writes on ``writes``; returns the reason when it is a dead letter."""
        if fields is None:
            return None
        parsed, dead = self._parse(feed, [(entry_id, fields)], writes)
        if dead:
            return "invalid"
        event = parsed[0][2]
        scratch = BatchWrites(partition=writes.partition)
        for stage in self._by_feed[feed]:
            try:
                stage.apply(feed, [event], scratch)
            except Exception as exc:
                reason = f"stage {type(stage).__name__} failed: {exc}"
                keys = self.parts[writes.partition]
                write_dead_letter(writes, keys, feed, entry_id, fields, reason)
                return reason
        writes.ops += scratch.ops
        return None

    def _heartbeat(self) -> None:
        now = time.monotonic()
        if now < self._next_beat:
            return
        ttl = self.settings.worker.heartbeat_ttl_s
        self._next_beat = now + ttl / 3
        beat = {
            "pid": os.getpid(),
            "at": time.time(),
            "events": self.stats.events,
            "threads": self.health(),
        }
        self.client.set(self.keys.worker_heartbeat(self.name), json.dumps(beat), ex=ttl)

    def health(self) -> dict[str, str]:
        """Each background thread's health (``ok``, ``retrying``, ``dead``), as the tickers
        that own threads report it through their optional ``health()``."""
        out: dict[str, str] = {}
        for ticker in self.tickers:
            health = getattr(ticker, "health", None)
            if not callable(health):
                continue
            try:
                value = health()
            except Exception as exc:
                value = f"unknown ({type(exc).__name__})"
            out.update(value if isinstance(value, dict) else {type(ticker).__name__: value})
        return out

    def _run_tickers(self) -> None:
        now = time.monotonic()
        for i, ticker in enumerate(self.tickers):
            if now < self._next_tick[i]:
                continue
            self._next_tick[i] = now + ticker.interval_s
            started = time.perf_counter()
            try:
                ticker.tick()
                self.stats.spent(f"tick:{type(ticker).__name__}", started)
            except REDIS_DOWN:
                raise
            except Exception as exc:
                log.error("worker %s: %s failed: %s", self.name, type(ticker).__name__, exc)
                log.debug("ticker failure", exc_info=True)


def _count(batch: groups.Batch) -> int:
    return sum(len(entries) for entries in batch.values())
