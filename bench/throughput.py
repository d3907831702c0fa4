"""Worker throughput: the real worker against a bare consumer on the same data.

Pre-loads N simulated events (default 500,000; H1's simulator and producer) into an
embedded Redis, then in the same run
drains the four feed streams twice, through two consumer groups:

* **bare**: ``XREADGROUP … COUNT`` + ``XACK`` and nothing else — the ceiling;
* **worker**: the real :class:`worker.loop.Worker` with every registered stage and
  ticker (``worker.main.build_stages`` / ``build_tickers``).

Prints both rates, the ratio (target ≥ 0.5) and the worker's peak RSS after 100k
and after all events (target: flat).  Last line is one JSON object.

    .venv/bin/python bench/throughput.py [--events 500000] [--batch 2000]
"""

from __future__ import annotations

import argparse
import gc
import itertools
import json
import logging
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import psutil

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from datasources.feeds import FeedWriter
from datasources.keys import Keys
from datasources.redis_conn import EmbeddedRedis, connect
from datasources.settings import Settings, load_settings
from datasources.simulator import Simulator
from worker.loop import Worker
from worker.main import build_stages, build_tickers


def preload(client: Any, keys: Keys, settings: Settings, n: int, seed: int, rate: float) -> int:
    """Write the first ``n`` events of a simulated Double-11 with the project's producer."""
    simulator = Simulator(seed=seed, start=time.time() - 86400, rate=rate, duration_s=None)
    writer = FeedWriter(client, keys, maxlen=max(settings.retention.stream_maxlen, n))
    return writer.publish_mixed(itertools.islice(simulator.events(), n))


def bare_consumer(client: Any, keys: Keys, total: int, batch: int) -> float:
    """Events per second of XREADGROUP + XACK only, through its own group."""
    streams = list(keys.feed_streams.values())
    for s in streams:
        client.xgroup_create(s, "bare", id="0", mkstream=True)
    done = 0
    started = time.perf_counter()
    while done < total:
        reply = client.xreadgroup("bare", "bare-1", dict.fromkeys(streams, ">"), count=batch)
        pipe = client.pipeline(transaction=True)
        for stream, entries in reply:
            pipe.xack(stream, "bare", *(eid for eid, _ in entries))
            done += len(entries)
        pipe.execute()
    return done / (time.perf_counter() - started)


class PeakRss:
    """Samples this process's RSS every 50 ms; ``take()`` returns and resets the peak."""

    def __init__(self) -> None:
        self.process = psutil.Process()
        self.peak = 0
        self.running = True
        self.thread = threading.Thread(target=self._sample, daemon=True)
        self.thread.start()

    def _sample(self) -> None:
        while self.running:
            self.peak = max(self.peak, self.process.memory_info().rss)
            time.sleep(0.05)

    def take(self) -> float:
        peak = max(self.peak, self.process.memory_info().rss)
        return peak / 2**20


def run_worker(settings: Settings, client: Any, total: int) -> tuple[float, float, float]:
    worker = Worker(
        client, settings, build_stages(settings, client), build_tickers(settings, client), "bench"
    )
    gc.collect()
    rss = PeakRss()
    started = time.perf_counter()
    worker.run(max_events=min(100_000, total))
    rss_100k = rss.take()
    worker.run(max_events=total)
    elapsed = time.perf_counter() - started
    rss_all = rss.take()
    rss.running = False
    return worker.stats.events / elapsed, rss_100k, rss_all


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=500_000)
    parser.add_argument("--batch", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--rate", type=float, default=400.0, help="simulated contacts/s")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    with tempfile.TemporaryDirectory() as tmp, EmbeddedRedis(Path(tmp)) as server:
        client = connect(server.url, timeout_s=60)
        settings = load_settings(
            redis_url=server.url,
            redis_prefix="bench",
            data_dir=Path(tmp),
            worker={"batch_size": args.batch, "block_ms": 50},
        )
        keys = Keys(settings.redis_prefix, settings.streams)
        t = time.perf_counter()
        total = preload(client, keys, settings, args.events, args.seed, args.rate)
        print(f"pre-loaded {total:,} events in {time.perf_counter() - t:.1f}s")
        bare_eps = bare_consumer(client, keys, total, args.batch)
        print(f"bare consumer (XREADGROUP + XACK): {bare_eps:,.0f} events/s")
        worker_eps, rss_100k, rss_all = run_worker(settings, client, total)
        print(f"worker (all stages):              {worker_eps:,.0f} events/s")
        ratio = worker_eps / bare_eps
        print(f"ratio {ratio:.2f} (target >= 0.5)")
        print(f"worker peak RSS: {rss_100k:.0f} MB at 100k events, {rss_all:.0f} MB at {total:,}")
        client.close()
    print(
        json.dumps(
            {
                "worker_eps": round(worker_eps),
                "bare_eps": round(bare_eps),
                "ratio": round(ratio, 3),
                "rss_100k_mb": round(rss_100k, 1),
                "rss_500k_mb": round(rss_all, 1),
            }
        )
    )


if __name__ == "__main__":
    main()
