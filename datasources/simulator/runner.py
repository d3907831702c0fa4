"""``gmd simulate``: write simulated traffic to the feed streams.

Three paces: real time (event times are the wall clock — what ``gmd run`` uses for
a live demo, with ``--history 24h`` starting an empty deployment with the past day:
see :mod:`datasources.simulator.history`), accelerated (``--speed 60``: an hour a
minute, from the Double-11 midnight unless ``--start`` says otherwise) and ``--fast``
(a whole ``--duration`` as fast as Redis takes it, for benchmarks).  No pace writes an
event before its time: the feed contract refuses events from the future, so an
accelerated run that catches up with the clock goes on in real time.  Ground truth
goes to the labels file: all at once in ``--fast``, one line as each incident begins
otherwise.  Ctrl-C or SIGTERM stops after flushing what was already generated; a
Redis outage is waited out (:class:`Outbox`).
"""

from __future__ import annotations

import json
import re
import signal
import threading
import time
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from pathlib import Path
from types import FrameType
from typing import Annotated

import redis
import typer

from datasources.feeds import FeedWriter
from datasources.keys import Keys
from datasources.redis_conn import connect
from datasources.schemas import Event, to_epoch_s
from datasources.settings import Settings
from datasources.simulator.engine import Simulator
from datasources.simulator.history import fill_day_shape, has_data, replay_window
from datasources.simulator.incidents import Incident, write_labels
from gmd.errors import fail, settings_or_exit

FAST_START = "2026-11-10T16:00:00Z"
"""Midnight of 11 November in Shanghai: a --fast day starts with the surge."""
INCIDENTS_PER_DAY = 36
LIVE_WARMUP_S = 300.0
"""Live demos show their first obstacle after five minutes, not half an hour."""
PIPELINE = 1000
REDIS_DOWN = (redis.ConnectionError, redis.TimeoutError)
RETRY_MAX_S = 10.0


def parse_duration(text: str) -> float:
    """``90`` (seconds), ``15m``, ``2h``, ``1d`` → seconds."""
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([smhd]?)\s*", text)
    if not match:
        raise ValueError(f"expected a duration such as 600, 15m, 2h or 1d, got {text!r}")
    unit = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400}[match.group(2)]
    return float(match.group(1)) * unit


def parse_start(text: str) -> float:
    """UTC ISO-8601 or epoch milliseconds, like the feeds themselves."""
    return to_epoch_s(text)


class Stopper:
    """Turns SIGINT/SIGTERM into a flag the loops check, so they flush and exit."""

    def __init__(self) -> None:
        self.stopped = False

    def install(self) -> None:
        signal.signal(signal.SIGINT, self._stop)
        signal.signal(signal.SIGTERM, self._stop)

    def _stop(self, signum: int, frame: FrameType | None) -> None:
        self.stopped = True


class Outbox:
    """Events waiting to be written, sent :data:`PIPELINE` at a time.

    A Redis outage (refused, timed out, loading) is waited out with back-off, one line
    when it starts and one when it ends, and the same events are sent again: the
    simulator resumes where it was instead of exiting.  A batch cut off mid-send may
    be written twice (demo traffic: at least once).
    """

    def __init__(self, writer: FeedWriter, stopper: Stopper | None = None) -> None:
        self.writer = writer
        self.stopper = stopper
        self.items: list[tuple[str, Event]] = []
        self.down = False

    def add(self, feed: str, event: Event) -> None:
        self.items.append((feed, event))
        if len(self.items) >= PIPELINE:
            self.flush()

    def flush(self) -> None:
        wait = 0.2
        while self.items:
            try:
                self.writer.publish_mixed(self.items)
                self.items.clear()
            except REDIS_DOWN as exc:
                if not self.down:
                    typer.echo(f"simulate: Redis unavailable ({exc}); waiting for it", err=True)
                    self.down = True
                if self.stopper is not None and self.stopper.stopped:
                    return
                time.sleep(wait)
                wait = min(wait * 2, RETRY_MAX_S)
        if self.down:
            typer.echo("simulate: Redis is back; writing on", err=True)
            self.down = False


def publish_fast(
    items: Iterable[tuple[str, Event]],
    writer: FeedWriter,
    stopper: Stopper | None = None,
    progress: Callable[[int, float], None] | None = None,
) -> int:
    """Write every event as fast as possible (pipelined); returns how many."""
    outbox = Outbox(writer, stopper)
    count = 0
    last_report = time.monotonic()
    ts = 0.0
    for feed, event in items:
        outbox.add(feed, event)
        count += 1
        if count % PIPELINE == 0:
            ts = event.ts
            if stopper is not None and stopper.stopped:
                break
            if progress is not None and time.monotonic() - last_report > 2.0:
                progress(count, ts)
                last_report = time.monotonic()
    outbox.flush()
    if progress is not None:
        progress(count, ts)
    return count


def publish_paced(
    sim: Simulator,
    writer: FeedWriter,
    speed: float,
    stopper: Stopper,
    labels: Path | None,
) -> int:
    """Write each event when the (possibly accelerated) clock reaches its time.

    In real time the simulated clock *is* the wall clock, so an event is written at
    the moment its ``ts`` says; accelerated, the run starts now and goes ``speed``× faster,
    but never writes an event before its ``ts``.
    """
    origin = sim.start if speed == 1 else time.time()
    upcoming = list(sim.labels)
    outbox = Outbox(writer, stopper)
    count = 0
    for feed, event in sim.events():
        due = max(origin + (event.ts - sim.start) / speed, event.ts)
        while upcoming and upcoming[0].onset <= event.ts:
            _append_label(labels, upcoming.pop(0))
        if due > time.time():
            outbox.flush()
            while not stopper.stopped and (wait := due - time.time()) > 0:
                time.sleep(min(wait, 0.25))
        if stopper.stopped:
            break
        outbox.add(feed, event)
        count += 1
    outbox.flush()
    return count


def _append_label(path: Path | None, incident: Incident) -> None:
    if path is None:
        return
    with path.open("a", encoding="utf-8") as out:
        out.write(json.dumps(incident.label(), ensure_ascii=False) + "\n")


def fill_history(settings: Settings, sim: Simulator, start: float, end: float) -> None:
    """The day's shape before the replay (see :mod:`datasources.simulator.history`), on
    its own connection (it runs beside the replay)."""
    if end - start < 60 or not settings.redis_url:
        return
    began = time.monotonic()
    client = connect(settings.redis_url)

    def progress(share: float) -> None:
        typer.echo(f"simulate: the past day's shape {share:.0%}", err=True)

    try:
        contacts = fill_day_shape(client, settings, sim, start, end, progress)
    except REDIS_DOWN as exc:
        typer.echo(f"simulate: the past day's shape stopped: {exc}", err=True)
        return
    finally:
        client.close()
    typer.echo(
        f"simulate: the past day's shape, {contacts:,} contacts in "
        f"{time.monotonic() - began:.1f} s (the feeds replay from "
        f"{datetime.fromtimestamp(end, UTC).isoformat(timespec='seconds')} meanwhile)",
        err=True,
    )


def _report(count: int, ts: float) -> None:
    at = datetime.fromtimestamp(ts, UTC).isoformat(timespec="seconds") if ts else "-"
    typer.echo(f"simulate: {count:,} events written, simulated time {at}", err=True)


def simulate_command(
    seed: Annotated[int, typer.Option(help="Random seed: same seed, same events and labels.")] = 11,
    rate: Annotated[
        float, typer.Option(min=0.01, help="Mean contacts per second at normal daytime load.")
    ] = 40.0,
    speed: Annotated[
        float, typer.Option(min=0.01, help="Simulated seconds per wall second (1 = real time).")
    ] = 1.0,
    fast: Annotated[
        bool, typer.Option(help="Write the whole --duration as fast as possible.")
    ] = False,
    duration: Annotated[
        str | None, typer.Option(help="How much simulated time: 600, 15m, 2h, 1d (--fast: 1d).")
    ] = None,
    start: Annotated[
        str | None,
        typer.Option(
            help=f"Simulated start, UTC ISO-8601 or epoch ms (--fast, --speed > 1: {FAST_START};"
            " else now)."
        ),
    ] = None,
    incidents: Annotated[
        int | None,
        typer.Option(min=0, help="Incidents to inject (--fast: 36 a day; else one every ~12 min)."),
    ] = None,
    labels: Annotated[
        Path | None, typer.Option(help="Where to write ground-truth labels (JSON lines).")
    ] = None,
    history: Annotated[
        str | None,
        typer.Option(
            help="Real time into an empty deployment: start with this much past (24h): "
            "the day's shape, then the last half hour replayed through the feeds."
        ),
    ] = None,
) -> None:
    """Feed simulated Double-11 traffic (contacts, queues, voices, conversations) into Redis."""
    settings = settings_or_exit()
    if not settings.redis_url:
        fail("GMD_REDIS_URL is not set: point it at Redis, or use `gmd run`, which starts one")
    try:
        duration_s = parse_duration(duration) if duration else (86400.0 if fast else None)
        start_s = (
            parse_start(start)
            if start
            else (parse_start(FAST_START) if fast or speed > 1 else time.time())
        )
        history_s = parse_duration(history) if history else 0.0
    except ValueError as exc:
        fail(f"--duration/--start/--history: {exc}")
    if incidents is None and fast and duration_s is not None:
        incidents = max(1, round(INCIDENTS_PER_DAY * duration_s / 86400))
    warmup = LIVE_WARMUP_S if not fast else 1800.0
    client = connect(settings.redis_url)
    keys = Keys.from_settings(settings)
    live = not fast and speed == 1 and start is None
    shape_until = None
    if history_s > 0 and live and not has_data(client, keys):
        start_s = time.time() - min(history_s, replay_window(time.time(), rate))
        shape_until = start_s
    sim = Simulator(seed, start_s, rate, incidents, duration_s, warmup_s=warmup)
    if shape_until is not None:  # beside the replay, so live events flow from the start
        shape = Simulator(seed, shape_until, rate, incidents=0, duration_s=60)
        threading.Thread(
            target=fill_history, args=(settings, shape, shape_until - history_s, shape_until),
            name="day-shape", daemon=True,
        ).start()  # fmt: skip
    labels_path = labels or settings.data_dir / "simulator-labels.jsonl"
    labels_path.parent.mkdir(parents=True, exist_ok=True)
    writer = FeedWriter(client, keys, settings.retention.stream_maxlen)
    stopper = Stopper()
    stopper.install()
    began = time.monotonic()
    try:
        if fast:
            write_labels(sim.labels, labels_path)
            count = publish_fast(sim.events(), writer, stopper, _report)
        else:
            labels_path.write_text("", encoding="utf-8")
            count = publish_paced(sim, writer, speed, stopper, labels_path)
    finally:
        client.close()
    elapsed = max(time.monotonic() - began, 1e-9)
    typer.echo(
        f"simulate: done, {count:,} events in {elapsed:.1f} s ({count / elapsed:,.0f}/s); "
        f"labels in {labels_path}",
        err=True,
    )
