"""What scaling out costs: the same events through 1, 2 and 4 workers on 1 and 3 shards.

The machine has two cores, so rates cannot show scaling; what it costs can be
measured.  One pre-generated set of simulator events (all four feeds) goes, for each
of 1 shard (a plain ``redis-server``, one partition: today's layout) and 3 shards
(a Redis Cluster of three masters, one partition each), through 1, 2 and 4 real
``gmd worker`` processes with the production defaults (every stage and ticker,
SQLite beside them).  Each configuration has its own servers; all six are started
and loaded first (the events written while their workers, already up, are stopped),
then they take turns in ``--chunk``-event windows until every event is counted, so a
busy neighbour on the shared machine slows each alike (``bench/support/scale_run.py``
says exactly what a window holds).  The default run took 8 minutes on this two-core
machine at a load average of 15, most of it starting 14 workers and writing the
events six times.

* **CPU seconds per 100,000 events**, summed over the workers and over the Redis
  servers (``psutil``: user + system);
* **overheads**: worker CPU per event with 4 workers over 1 (target ≤ 1.2), Redis
  CPU per event on 3 shards over 1 (target ≤ 1.3, with one worker each);
* **wall refresh**: the reads one refresh makes (:func:`dashboard.wall_data.load_wall`
  on a long-running wall with one queue breach open), the median of warm refreshes on
  1 and 3 shards taking turns (target: 3 shards ≤ 1.5 × 1);
* **lost / double**: the 1-hour contacts aggregates against the events written,
  over every run (target 0);
* the Redis memory each kind of key costs (``MEMORY USAGE``) on one shard, for the
  sizing in ``docs/scale.md``.

Last line: one JSON object.

    .venv/bin/python bench/scale.py [--events 100000] [--workers 1,2,4] [--shards 1,3]
"""

from __future__ import annotations

import argparse
import itertools
import json
import logging
import signal
import statistics
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Sequence
from contextlib import ExitStack
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from alerts.views import AlertView  # noqa: E402
from bench.support.scale_memory import usage_by_kind  # noqa: E402
from bench.support.scale_run import Deployment, Run, expected_contacts  # noqa: E402
from dashboard.history import HistoryCache  # noqa: E402
from dashboard.wall_data import load_wall  # noqa: E402
from datasources.aggregates import AggregateReader  # noqa: E402
from datasources.keys import Keys  # noqa: E402
from datasources.redis_conn import connect  # noqa: E402
from datasources.schemas import Event  # noqa: E402
from datasources.settings import Settings  # noqa: E402
from datasources.simulator import Simulator  # noqa: E402

PER = 100_000
"""CPU is reported per this many events."""


QUEUE_BREACH = AlertView(
    id=1, fingerprint="scale", series="queue:tmall_after_sale", kind="queue_breach",
    metric="pickup_rate", business_line="tmall", reason=None, channel=None, severity="major",
    status="open", raised_by="detector", count=1, first_seen=0.0, last_seen=0.0, onset=0.0,
    ended=None, observed=0.93, expected=0.999, trend=[], verbatims=[], anomaly_active=True,
    held_by=None, acked_by=None, acked_at=None, snoozed_until=None, silence_id=None,
    resolved_by=None, resolved_at=None, label=None, labelled_by=None, owner_team="ops",
    route="default", escalation_step=0, escalation_steps=1, next_escalation_at=None,
    updated_at=0.0,
)  # fmt: skip


class OneQueueBreach:
    """The wall's alert source with one queue breach open (its impact needs one more read
    of the aggregates).  Alerts live in the database, whose cost does not depend on the
    shards."""

    def list_alerts(self, status: Any = None, *args: Any, **kwargs: Any) -> list[AlertView]:
        return [QUEUE_BREACH] if status is not None else []


def generate(count: int, seed: int, rate: float) -> list[tuple[str, Event]]:
    """``count`` simulator events (every feed), ending about now."""
    start = time.time() - count / (rate * 1.6)
    simulator = Simulator(seed=seed, start=start, rate=rate, duration_s=None)
    return list(itertools.islice(simulator.events(), count))


class WallReads:
    """The reads of a long-running wall on one deployment (its history cache warm)."""

    def __init__(self, settings: Settings) -> None:
        assert settings.redis_url
        self.settings = settings
        self.client = connect(settings.redis_url)
        self.reader = AggregateReader(self.client, Keys.from_settings(settings), settings)
        self.history = HistoryCache()
        self.refresh()  # the first refresh reads the whole day: not what a wall repeats

    def refresh(self) -> float:
        """Milliseconds of one refresh's reads."""
        started = time.perf_counter()
        load_wall(
            self.reader, OneQueueBreach(), self.history, business_line=None,
            stale_after_s=self.settings.stale_after_s,
            obstacles_max=self.settings.screens.obstacles_max,
            verbatims_n=self.settings.screens.verbatims_per_obstacle,
        )  # fmt: skip
        return (time.perf_counter() - started) * 1000


def wall_read_ms(walls: dict[int, WallReads], runs: int) -> dict[int, float]:
    """Median milliseconds of a refresh's reads per deployment, the deployments taking
    turns so a busy neighbour slows each alike."""
    times: dict[int, list[float]] = {shards: [] for shards in walls}
    for _ in range(runs):
        for shards, wall in walls.items():
            times[shards].append(wall.refresh())
            time.sleep(0.01)
    for wall in walls.values():
        wall.client.close()
    return {shards: statistics.median(t) for shards, t in times.items()}


def report_memory(run: Run) -> dict[str, int]:
    """Print what each kind of key costs; returns bytes per stream entry and per bucket."""
    usage = usage_by_kind(run.client, run.keys)
    print("Redis memory by kind of key (1 shard, after every event was consumed):")
    for kind, use in usage.items():
        print(f"  {kind:<28} {use.keys:>7,} keys {use.bytes / 2**20:>8.2f} MB "
              f"{use.per_key:>10,.0f} B/key")  # fmt: skip
    written = run.memory["written"] - run.memory["empty"]
    consumed = run.memory["consumed"] - run.memory["written"]
    print(f"  used_memory: +{written / run.total:.0f} B/event written to the streams, "
          f"+{consumed / run.total:.0f} B/event by the workers")  # fmt: skip
    out = {"stream_bytes_per_event": round(written / run.total)}
    for kind in ("agg:contacts:1m", "agg:service:1m", "agg:queue:1m", "agg:voices:1m"):
        if kind in usage:
            out[kind.replace(":", "_") + "_bytes"] = round(usage[kind].per_key)
    return out


def summary(runs: Sequence[Run], walls: dict[int, float]) -> dict[str, Any]:
    by = {(r.deployment.shards, r.workers): r for r in runs}
    out: dict[str, Any] = {}
    for (shards, workers), r in sorted(by.items()):
        if shards == 1:
            out[f"worker_cpu_{workers}w"] = round(r.per_100k(r.worker_cpu_s), 2)
        if workers == 1:
            out[f"redis_cpu_{shards}s"] = round(r.per_100k(r.redis_cpu_s), 2)
            out[f"worker_cpu_1w_{shards}s"] = round(r.per_100k(r.worker_cpu_s), 2)
    one, four, three = by.get((1, 1)), by.get((1, 4)), by.get((3, 1))
    if one and four:
        out["overhead_4w"] = round(four.worker_cpu_s / one.worker_cpu_s, 3)
    if one and three:
        out["overhead_3s"] = round(three.redis_cpu_s / one.redis_cpu_s, 3)
    for shards, ms in walls.items():
        out[f"wall_ms_{shards}s"] = round(ms, 2)
    if 1 in walls and 3 in walls:
        out["wall_ratio"] = round(walls[3] / walls[1], 3)
    out["lost"] = sum(r.lost for r in runs)
    out["double"] = sum(r.double for r in runs)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--workers", default="1,2,4", help="worker counts, comma-separated")
    parser.add_argument("--shards", default="1,3", help="shard counts, comma-separated")
    parser.add_argument("--wall-runs", type=int, default=40, help="wall refreshes timed")
    parser.add_argument("--chunk", type=int, default=10_000, help="events per turn")
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--rate", type=float, default=400.0, help="simulated contacts/s")
    args = parser.parse_args()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # stop servers and workers
    logging.basicConfig(level=logging.WARNING)
    started = time.perf_counter()
    events = generate(args.events, args.seed, args.rate)
    expected: Counter[str] = expected_contacts(events)
    feeds = Counter(feed for feed, _ in events)
    print(f"generated {len(events):,} events ({dict(feeds)}) "
          f"in {time.perf_counter() - started:.1f}s")  # fmt: skip
    shard_counts = [int(x) for x in args.shards.split(",")]
    worker_counts = [int(x) for x in args.workers.split(",")]
    with tempfile.TemporaryDirectory(prefix="gmd-scale-") as tmp, ExitStack() as stack:
        runs = []
        for shards, workers in itertools.product(shard_counts, worker_counts):
            root = Path(tmp) / f"{shards}s-{workers}w"
            deployment = Deployment(root / "redis", shards).start()
            stack.callback(deployment.stop)
            runs.append(Run(deployment, workers, root / "work").launch(stack))
        for run in runs:
            run.load(events)
        print(f"{len(runs)} runs started, every event written", flush=True)
        for until in range(args.chunk, len(events) + args.chunk, args.chunk):
            for run in runs:
                run.turn(min(until, len(events)))
        for run in runs:
            run.finish(expected)
            print(
                f"{run.deployment.shards} shard(s), {run.workers} worker(s): "
                f"{run.seconds:6.1f} s, {len(events) / run.seconds:7,.0f} events/s; "
                f"CPU s per 100k events: workers {run.per_100k(run.worker_cpu_s):5.2f}, "
                f"redis {run.per_100k(run.redis_cpu_s):5.2f}; "
                f"lost {run.lost}, double {run.double}",
                flush=True,
            )
        first = {r.deployment.shards: r for r in reversed(runs)}  # the fewest workers
        first = dict(sorted(first.items()))
        extra = report_memory(first[1]) if 1 in first else {}
        walls = wall_read_ms({s: WallReads(r.settings) for s, r in first.items()}, args.wall_runs)
    for shards, ms in walls.items():
        print(f"wall refresh reads, {shards} shard(s): median {ms:.1f} ms")
    print(json.dumps({**summary(runs, walls), **extra}))


if __name__ == "__main__":
    main()
