"""Ingest benchmark: the project's producer against a bare redis-py XADD loop.

Both write the same 200,000 simulated events (Double-11 midnight traffic) into
Redis in the same run: the producer from typed events (conversion plus
``XADD … MAXLEN ~``, as ``gmd simulate`` does), the bare loop from field dicts
prepared in advance (redis-py ``xadd`` only), both pipelined 1,000 at a time.
The two alternate slice by slice (5,000 events) so noise from other processes
hits both alike; the figures are totals over all rounds.  Target: ratio ≥ 0.8.

Redis: an embedded server in a temporary directory, or ``GMD_REDIS_URL``.
Last line: ``{"producer_eps": …, "bare_eps": …, "ratio": …}``.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import redis

from datasources.feeds import BATCH, FeedWriter
from datasources.keys import Keys
from datasources.redis_conn import EmbeddedRedis, connect
from datasources.schemas import Event, to_fields
from datasources.simulator import Simulator

MIDNIGHT = 1794326400.0
CHUNK = 5000


def generate(count: int, seed: int) -> list[tuple[str, Event]]:
    """The first ``count`` events of a Double-11 midnight (the busiest minutes)."""
    events: list[tuple[str, Event]] = []
    sim = Simulator(seed=seed, start=MIDNIGHT, rate=40.0, incidents=[], duration_s=3600)
    for item in sim.events():
        events.append(item)
        if len(events) >= count:
            break
    return events


def run_producer(writer: FeedWriter, events: list[tuple[str, Event]]) -> float:
    began = time.perf_counter()
    writer.publish_mixed(events)
    return time.perf_counter() - began


def run_bare(client: redis.Redis, rows: list[tuple[str, dict[Any, Any]]]) -> float:
    began = time.perf_counter()
    pipe = client.pipeline(transaction=False)
    for count, (key, fields) in enumerate(rows, 1):
        pipe.xadd(key, fields)
        if count % BATCH == 0:
            pipe.execute()
    pipe.execute()
    return time.perf_counter() - began


def clear(client: redis.Redis, keys: Keys) -> None:
    client.delete(*keys.feed_streams.values())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=200_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seed", type=int, default=11)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="gmd-ingest-") as tmp:
        server: EmbeddedRedis | None = None
        url = os.environ.get("GMD_REDIS_URL")
        if not url:
            server = EmbeddedRedis(Path(tmp))
            url = server.start()
        try:
            measure(url, args.events, args.rounds, args.seed)
        finally:
            if server is not None:
                server.stop()


def measure(url: str, count: int, rounds: int, seed: int) -> None:
    client = connect(url, timeout_s=30)
    keys = Keys(f"bench-ingest-{uuid.uuid4().hex[:8]}")
    print(f"generating {count:,} simulated events …", flush=True)
    events = generate(count, seed)
    bare_keys = Keys(keys.prefix + "-bare")
    streams = bare_keys.feed_streams
    rows: list[tuple[str, dict[Any, Any]]] = [(streams[f], to_fields(e)) for f, e in events]
    writer = FeedWriter(client, keys, maxlen=max(count * 2, 1000))
    print(f"Redis: {url}; {len(events):,} events, {rounds} alternating rounds each", flush=True)
    producer_times: list[float] = []
    bare_times: list[float] = []
    try:
        for round_number in range(rounds):
            producer = bare = 0.0
            # Slices of CHUNK events alternate between the two, so a burst of load
            # from other processes on the machine hits both about equally.
            for index, start in enumerate(range(0, len(events), CHUNK)):
                if index % 2 == 0:
                    producer += run_producer(writer, events[start : start + CHUNK])
                    bare += run_bare(client, rows[start : start + CHUNK])
                else:
                    bare += run_bare(client, rows[start : start + CHUNK])
                    producer += run_producer(writer, events[start : start + CHUNK])
            for name, target in (("producer", keys), ("bare", bare_keys)):
                written = sum(client.xlen(k) for k in target.feed_streams.values())
                assert written == len(events), f"{name} wrote {written} of {len(events)}"
            clear(client, keys)
            clear(client, bare_keys)
            producer_times.append(producer)
            bare_times.append(bare)
            print(
                f"  round {round_number + 1}: producer {len(events) / producer:,.0f}/s, "
                f"bare {len(events) / bare:,.0f}/s, ratio {bare / producer:.3f}",
                flush=True,
            )
    finally:
        clear(client, keys)
        clear(client, bare_keys)
        client.close()
    producer_eps = len(events) * rounds / sum(producer_times)
    bare_eps = len(events) * rounds / sum(bare_times)
    ratio = producer_eps / bare_eps
    print(f"producer (typed events, MAXLEN ~): {producer_eps:,.0f} events/s")
    print(f"bare redis-py pipelined XADD:       {bare_eps:,.0f} events/s")
    print(f"ratio: {ratio:.3f} (target >= 0.8)")
    print(
        json.dumps(
            {
                "producer_eps": round(producer_eps),
                "bare_eps": round(bare_eps),
                "ratio": round(ratio, 3),
            }
        )
    )


if __name__ == "__main__":
    main()
