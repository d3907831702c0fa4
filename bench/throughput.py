"""Worker throughput: the real worker against a bare consumer on the same data.

Pre-loads N simulated events (default 500,000; the simulator and producer, in a child
process so its memory is not counted) into an embedded Redis, then in the same run
drains the four feed streams three times, through three consumer groups taking turns
(``--chunk`` events each), so a busy neighbour slows both alike:

* **bare**: ``XREADGROUP … COUNT`` + ``XACK`` and nothing else — the ceiling;
* **worker**: the real :class:`worker.loop.Worker` with every registered stage and
  ticker (``worker.main.build_stages`` / ``build_tickers``) — the headline figure;
* **own**: the same worker with only its own stages (progress + aggregation), so
  the cost of the other parts' stages is visible.

Prints both rates, the ratio (target ≥ 0.5) and the worker's peak RSS after 100k
and after all events (target: flat).  Last line is one JSON object.

    .venv/bin/python bench/throughput.py [--events 500000] [--batch 2000]
"""

from __future__ import annotations

import argparse
import itertools
import json
import logging
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psutil

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from alerts.masking import mask_pii
from datasources.feeds import FeedWriter
from datasources.keys import Keys
from datasources.redis_conn import EmbeddedRedis, connect
from datasources.settings import Settings, load_settings
from datasources.simulator import Simulator
from worker.aggregate import AggregationStage, FeedProgressStage
from worker.loop import Worker, tune_gc
from worker.main import build_stages, build_tickers
from worker.stages import FeedStage


class BareConsumer:
    """The ceiling: ``XREADGROUP`` + ``XACK`` through its own group, nothing else."""

    def __init__(self, client: Any, keys: Keys, batch: int) -> None:
        self.client = client
        self.streams = list(keys.feed_streams.values())
        self.batch = batch
        self.events = 0
        for stream in self.streams:
            client.xgroup_create(stream, "bare", id="0", mkstream=True)

    def consume(self, until: int) -> None:
        while self.events < until:
            reply = self.client.xreadgroup(
                "bare", "bare-1", dict.fromkeys(self.streams, ">"), count=self.batch
            )
            if not reply:
                return
            pipe = self.client.pipeline(transaction=True)
            for stream, entries in reply:
                pipe.xack(stream, "bare", *(eid for eid, _ in entries))
                self.events += len(entries)
            pipe.execute()


class PeakRss:
    """Samples this process's RSS every 50 ms; ``take()`` is the peak so far, in MB.

    The process also runs the bare and own-stage consumers (small next to the worker);
    the simulator's memory is kept out by pre-loading in a child process."""

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


@dataclass
class Result:
    eps: dict[str, float]
    """Events per wall second: ``bare``, ``worker`` (every registered stage and ticker),
    ``own`` (the worker with only its own stages: progress and aggregation)."""
    cpu_eps: dict[str, float]
    rss_100k_mb: float
    rss_all_mb: float
    seconds: dict[str, float]
    """Where the full worker spent its time (``WorkerStats.seconds``)."""


def measure(settings: Settings, client: Any, total: int, chunk: int) -> Result:
    """The three consumers take turns over the same data, ``chunk`` events at a time, so
    a neighbour's load on a shared machine hits them alike.  Each has its own group."""
    keys = Keys.from_settings(settings)
    bare = BareConsumer(client, keys, settings.worker.batch_size)
    full = Worker(
        client,
        settings,
        build_stages(settings, client),
        build_tickers(settings, client, "bench"),
        "bench",
    )
    own_stages: list[FeedStage] = [
        FeedProgressStage(keys),
        AggregationStage(settings, keys, mask_pii),
    ]
    own = Worker(client, settings, own_stages, name="bench-own", group="bench-own")
    consumers: dict[str, tuple[Callable[[int], None], Callable[[], int]]] = {
        "bare": (bare.consume, lambda: bare.events),
        "worker": (_worker_step(full), lambda: full.stats.events),
        "own": (_worker_step(own), lambda: own.stats.events),
    }
    tune_gc()  # as `gmd worker` does (the bare consumer, same process, gains alike)
    rss = PeakRss()
    rss_100k = 0.0
    wall = dict.fromkeys(consumers, 0.0)
    cpu = dict.fromkeys(consumers, 0.0)
    done = 0
    while done < total:
        done = min(total, done + chunk)
        for name, (step, _count) in consumers.items():
            w0, c0 = time.perf_counter(), time.process_time()
            step(done)
            wall[name] += time.perf_counter() - w0
            cpu[name] += time.process_time() - c0
        if not rss_100k and full.stats.events >= min(100_000, total):
            rss_100k = rss.take()
    rss_all = rss.take()
    rss.running = False
    full.close()
    return Result(
        eps={name: count() / wall[name] for name, (_step, count) in consumers.items()},
        cpu_eps={name: count() / cpu[name] for name, (_step, count) in consumers.items()},
        rss_100k_mb=rss_100k,
        rss_all_mb=rss_all,
        seconds=full.stats.seconds,
    )


def _worker_step(worker: Worker) -> Callable[[int], None]:
    def step(until: int) -> None:
        worker.run(max_events=until)

    return step


def preload_child(url: str, events: int, seed: int, rate: float) -> None:
    """Runs in a child process, so the simulator's memory never counts as the worker's."""
    settings = bench_settings(url, Path(tempfile.gettempdir()), 2000)
    keys = Keys.from_settings(settings)
    client = connect(url, timeout_s=60)
    simulator = Simulator(seed=seed, start=time.time() - 86400, rate=rate, duration_s=None)
    writer = FeedWriter(client, keys, maxlen=max(settings.retention.stream_maxlen, events))
    writer.publish_mixed(itertools.islice(simulator.events(), events))


def bench_settings(url: str, data_dir: Path, batch: int) -> Settings:
    return load_settings(
        redis_url=url,
        redis_prefix="bench",
        data_dir=data_dir,
        worker={"batch_size": batch, "block_ms": 50},
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=500_000)
    parser.add_argument("--batch", type=int, default=2000)
    parser.add_argument("--chunk", type=int, default=25_000, help="events per turn")
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--rate", type=float, default=400.0, help="simulated contacts/s")
    parser.add_argument("--preload-into", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.preload_into:
        preload_child(args.preload_into, args.events, args.seed, args.rate)
        return
    logging.basicConfig(level=logging.WARNING)
    with tempfile.TemporaryDirectory() as tmp, EmbeddedRedis(Path(tmp)) as server:
        t = time.perf_counter()
        subprocess.run(
            [sys.executable, __file__, "--preload-into", server.url, "--events", str(args.events),
             "--seed", str(args.seed), "--rate", str(args.rate)],
            check=True,
        )  # fmt: skip
        client = connect(server.url, timeout_s=60)
        keys = Keys("bench")
        total = sum(int(client.xlen(s)) for s in keys.feed_streams.values())
        print(f"pre-loaded {total:,} simulated events in {time.perf_counter() - t:.1f}s")
        r = measure(bench_settings(server.url, Path(tmp), args.batch), client, total, args.chunk)
        client.close()
    bare, full, own = r.eps["bare"], r.eps["worker"], r.eps["own"]
    ratio = full / bare
    print(f"bare consumer (XREADGROUP + XACK):       {bare:>9,.0f} events/s")
    print(f"worker, every registered stage + ticker: {full:>9,.0f} events/s  ratio {ratio:.2f}")
    print(f"worker, own stages only (aggregation):   {own:>9,.0f} events/s  ratio {own / bare:.2f}")
    cpu = r.cpu_eps
    print(
        f"per CPU-second of this process: bare {cpu['bare']:,.0f}, worker {cpu['worker']:,.0f} "
        f"(ratio {cpu['worker'] / cpu['bare']:.2f}), own {cpu['own']:,.0f}"
    )
    total_s = sum(r.seconds.values()) or 1.0
    parts = sorted(r.seconds.items(), key=lambda kv: -kv[1])
    print("full worker time: " + ", ".join(f"{p} {100 * s / total_s:.0f}%" for p, s in parts))
    print(
        f"worker peak RSS: {r.rss_100k_mb:.0f} MB at 100k events, "
        f"{r.rss_all_mb:.0f} MB at {total:,}"
    )
    print(
        json.dumps(
            {
                "worker_eps": round(full),
                "bare_eps": round(bare),
                "ratio": round(ratio, 3),
                "rss_100k_mb": round(r.rss_100k_mb, 1),
                "rss_500k_mb": round(r.rss_all_mb, 1),
            }
        )
    )


if __name__ == "__main__":
    main()
