"""The feed fuzzer: generated entries of the four feeds through a real ``gmd worker``.

Hypothesis draws a corpus of raw stream entries — valid, borderline and hostile
(:mod:`bench.support.fuzz_corpus`) — which is written over and over, each write with ids
of its own, to an embedded ``redis-server`` until ``--events`` entries are in, while a real
``gmd worker`` process (every stage and ticker: aggregates, transcripts, transcript
rules, detection, alert intake with its rings, on a SQLite database) consumes them.
The worker is watched: if it exits it is counted and started again, so one bad entry
cannot hide the rest.  Once the feeds are drained it measures
(:mod:`bench.support.fuzz_measure`):

* ``events`` — entries written; ``counted`` — events found in the stored state;
  ``deadlettered`` — entries in the dead-letter stream;
  ``lost`` = events − counted − deadlettered (negative would mean counted twice);
* ``worker_exits`` — times the worker process exited before it was asked to stop;
  ``stop_code`` — its exit code at the final SIGTERM (0: a clean stop; -9: killed after
  a minute); ``tracebacks`` — tracebacks in its log;
* ``pii_leaks`` — stored texts (Redis and database) in which personal data is readable.

Targets: lost = worker_exits = pii_leaks = 0.  Progress goes to stderr; the last line is
one JSON object.

    .venv/bin/python bench/fuzz.py [--events 100000] [--seed 11] [--corpus 3000]
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any, cast

import redis
from hypothesis import HealthCheck, Phase, given, seed
from hypothesis import settings as hypothesis_settings

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.support.fuzz_corpus import Template, templates
from bench.support.fuzz_measure import counted, database_texts, dead_letters, leaks, stored_texts
from datasources.child_process import die_with_parent
from datasources.keys import ALERTS_GROUP, FEED_GROUP, Keys
from datasources.redis_conn import EmbeddedRedis
from worker import groups

ROOT = Path(__file__).resolve().parents[1]
PREFIX = "fuzz"
WRITE_BATCH = 1000
DRAIN_TIMEOUT_S = 900.0


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def draw_corpus(size: int, seed_value: int, now: float) -> list[Template]:
    """``size`` entries drawn by Hypothesis, the same ones for the same seed and clock."""
    found: list[Template] = []

    @hypothesis_settings(
        max_examples=size,
        database=None,
        deadline=None,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @seed(seed_value)
    @given(templates(now))
    def collect(template: Template) -> None:
        found.append(template)

    collect()
    return found


class WatchedWorker:
    """A real ``gmd worker``, started again whenever it exits (each exit counted)."""

    def __init__(self, env: dict[str, str], log_path: Path) -> None:
        self.env = env
        self.log_path = log_path
        self.exits = 0
        self.process = self._start()

    def _start(self) -> subprocess.Popen[bytes]:
        with self.log_path.open("ab") as out:
            return subprocess.Popen(
                [sys.executable, "-m", "gmd", "worker", "--name", "fuzz", "--log-level", "INFO"],
                env=self.env, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT,
                preexec_fn=die_with_parent,
            )  # fmt: skip

    def check(self) -> None:
        code = self.process.poll()
        if code is not None:
            self.exits += 1
            log(f"the worker exited with code {code}; starting it again")
            self.process = self._start()

    def stop(self) -> int:
        """SIGTERM, then SIGKILL after a minute; the exit code (0: a clean stop)."""
        self.check()
        self.process.send_signal(signal.SIGTERM)
        try:
            code = self.process.wait(60)
        except subprocess.TimeoutExpired:
            self.process.kill()
            code = self.process.wait(10)
        if code != 0:
            log(f"the worker stopped with code {code}")
        return code

    def tracebacks(self) -> int:
        return self.log_path.read_text(errors="replace").count("Traceback")


def worker_env(url: str, root: Path, database_url: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GMD_")}
    env.update(
        GMD_REDIS_URL=url,
        GMD_REDIS_PREFIX=PREFIX,
        GMD_DATA_DIR=str(root / "data"),
        GMD_DATABASE_URL=database_url,
        GMD_WORKER__BLOCK_MS="50",
        GMD_QINTING__MAX_UTTERANCES="10000000",
        # Rings go to the shipped example's local receivers, which are not running: their
        # attempts are recorded (and scanned) quickly rather than retried for a minute
        # (a worker stopping waits for the rings it is sending).
        GMD_ALERTS__RING_ATTEMPTS="2",
        GMD_ALERTS__RING_BACKOFF_S="0.05",
        GMD_ALERTS__RING_BACKOFF_MAX_S="0.2",
    )
    return env


def write(raw: redis.Redis, keys: Keys, corpus: list[Template], events: int,
          between: Callable[[], None]) -> Counter[str]:  # fmt: skip
    """``events`` entries, the corpus over and over, each with ids of its own."""
    written: Counter[str] = Counter()
    pipe = raw.pipeline(transaction=False)
    for number in range(events):
        template = corpus[number % len(corpus)]
        pipe.xadd(keys.stream(template.feed), cast(Any, template.render(number)))
        written[template.feed] += 1
        if (number + 1) % WRITE_BATCH == 0 or number + 1 == events:
            pipe.execute()
            between()
        if (number + 1) % 10_000 == 0:
            log(f"written {number + 1:,} of {events:,}")
    return written


def settled(raw: redis.Redis, streams: list[str], group: str) -> bool:
    """Every entry of ``streams`` delivered to ``group`` and acknowledged."""
    for stream in streams:
        newest: Any = raw.xrevrange(stream, count=1)
        if not newest:
            continue
        found: Any = raw.xinfo_groups(stream)
        mine = [g for g in found if g["name"] == group.encode()]
        if not mine or mine[0]["pending"] or mine[0]["last-delivered-id"] != newest[0][0]:
            return False
    return True


def drain(raw: redis.Redis, keys: Keys, worker: WatchedWorker) -> None:
    """Wait for the worker to apply or dead-letter every entry, then for its alert intake
    to take every anomaly (their alerts and rings are in the database when it stops)."""
    feeds = list(keys.feed_streams.values())
    deadline = time.monotonic() + DRAIN_TIMEOUT_S
    last = 0.0
    while not (settled(raw, feeds, FEED_GROUP) and settled(raw, [keys.anomalies], ALERTS_GROUP)):
        worker.check()
        if time.monotonic() > deadline:
            raise TimeoutError("the worker did not drain the feeds in time")
        if time.monotonic() - last > 5:
            left = sum(int(cast(Any, raw.xpending(s, FEED_GROUP))["pending"]) for s in feeds)
            log(f"waiting for the worker ({left:,} entries pending)")
            last = time.monotonic()
        time.sleep(0.2)
    time.sleep(1.0)  # a ring being sent as the intake caught up records its attempt


def run(events: int, seed_value: int, corpus_size: int, root: Path) -> dict[str, Any]:
    """Fuzz one fresh deployment in ``root``; the figures (see the module's docstring)."""
    started = time.perf_counter()
    corpus = draw_corpus(corpus_size, seed_value, time.time())
    moods = Counter(t.mood for t in corpus)
    log(f"corpus: {len(corpus):,} entries drawn ({dict(moods)}) in "
        f"{time.perf_counter() - started:.1f}s")  # fmt: skip
    database_url = f"sqlite:///{(root / 'fuzz.db').resolve()}"
    with EmbeddedRedis(root / "redis") as server:
        raw = redis.Redis.from_url(server.url, socket_timeout=120)
        keys = Keys(PREFIX)
        groups.ensure_groups(raw, keys)
        worker = WatchedWorker(worker_env(server.url, root, database_url), root / "worker.log")
        try:
            written = write(raw, keys, corpus, events, worker.check)
            log(f"written at {time.perf_counter() - started:.1f}s")
            drain(raw, keys, worker)
            log(f"drained at {time.perf_counter() - started:.1f}s")
        finally:
            stop_code = worker.stop()
        seconds = time.perf_counter() - started
        stored = counted(raw, keys)
        dead = dead_letters(raw, keys)
        total_dead = int(raw.xlen(keys.deadletter))
        log("scanning every stored text for personal data")
        scanned, leaked, examples = leaks(stored_texts(raw, keys))
        rows, row_leaks, row_examples = leaks(database_texts(database_url))
        raw.close()
    for example in examples + row_examples:
        log(f"LEAK {example}")
    per_feed = {
        feed: {"written": written[feed], "counted": stored[feed], "deadlettered": dead[feed],
               "lost": written[feed] - stored[feed] - dead[feed]}
        for feed in keys.feed_streams
    }  # fmt: skip
    for feed, figures in per_feed.items():
        log(f"{feed:>13}: " + ", ".join(f"{k} {v:,}" for k, v in figures.items()))
    total = sum(written.values())
    count = sum(stored.values())
    return {
        "events": total,
        "counted": count,
        "deadlettered": total_dead,
        "lost": total - count - total_dead,
        "worker_exits": worker.exits,
        "pii_leaks": leaked + row_leaks,
        "tracebacks": worker.tracebacks(),
        "stop_code": stop_code,
        "texts_scanned": scanned + rows,
        "corpus": len(corpus),
        "seconds": round(seconds, 1),
        "per_feed": per_feed,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--corpus", type=int, default=3000, help="entries Hypothesis draws")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="gmd-fuzz-") as tmp:
        result = run(args.events, args.seed, args.corpus, Path(tmp))
    print(json.dumps(result))


if __name__ == "__main__":
    main()
