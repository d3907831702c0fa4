"""Benchmark: anomalies → fold / route / ring → a local webhook receiver.

Publishes ``--anomalies`` anomalies (default 10,000) on the anomalies stream at
``--rate`` per second, spread over ``--fingerprints`` distinct problems that appear
evenly through the run (so most anomalies fold into an open alert and each problem
rings its owner once), while the real
alert intake (the worker's ticker code) consumes them.  Rings go through apprise to
a local HTTP receiver.  Prints the intake's capacity (anomalies taken in per second
of intake busy time), the p95 time from an alert's first anomaly being published to
its ring arriving at the receiver, and as its last line one JSON object:
``{"alerts_per_s", "ring_p95_s", "rings_sent", "rings_expected"}``.

    .venv/bin/python bench/alerts.py                       # embedded Redis, SQLite
    .venv/bin/python bench/alerts.py --database-url postgresql+psycopg://postgres@127.0.0.1/bench
"""

from __future__ import annotations

import argparse
import json
import random
import re
import shutil
import statistics
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from alerts.anomaly import Anomaly, AnomalyKind, AnomalyStatus, Severity
from alerts.intake import AlertIntake
from alerts.receiver import WebhookReceiver
from alerts.service import AlertService
from datasources.catalog import codes
from datasources.db import make_engine
from datasources.keys import Keys
from datasources.migrate import upgrade
from datasources.redis_conn import EmbeddedRedis, connect
from datasources.settings import load_settings

ALERT_ID = re.compile(r"Alert #(\d+)")


def routing(receiver: WebhookReceiver) -> str:
    people = "\n".join(
        f'  p{i}: {{name: P{i}, channels: ["{receiver.url(f"p{i}")}"]}}' for i in range(8)
    )
    return f"""\
people:
{people}
teams:
  a: {{name: A, members: [p0, p1]}}
  b: {{name: B, members: [p2, p3]}}
  c: {{name: C, members: [p4, p5]}}
  d: {{name: D, members: [p6, p7]}}
policies:
  std:
    steps: [{{ring: oncall}}, {{wait_minutes: 30, ring: next}}]
routes:
  - {{match: {{business_line: [taobao, tmall]}}, team: a, policy: std}}
  - {{match: {{business_line: [eleme, hema]}}, team: b, policy: std}}
  - {{match: {{kind: queue_breach}}, team: c, policy: std}}
default: {{team: d, policy: std}}
"""


def make_anomalies(count: int, fingerprints: int) -> list[Anomaly]:
    """New problems appear evenly through the run; every other anomaly re-sights one
    of the problems already open (a fold), chosen at random but reproducibly."""
    lines, reasons = codes("business_line"), codes("reason")
    rng = random.Random(11)
    every = max(1, count // fingerprints)
    now = time.time()
    out = []
    for i in range(count):
        opened = min(fingerprints, i // every + 1)
        f = opened - 1 if i % every == 0 else rng.randrange(opened)
        line, reason = lines[f % len(lines)], reasons[(f // len(lines)) % len(reasons)]
        kind = AnomalyKind.QUEUE_BREACH if f % 7 == 0 else AnomalyKind.SPIKE
        out.append(
            Anomaly(
                series=f"contacts:{line}:{reason}:*:{f}",
                kind=kind,
                status=AnomalyStatus.ONGOING,
                onset=now - 60,
                updated=now,
                observed=300.0 + i % 50,
                expected=100.0,
                severity=Severity.MAJOR,
                score=5.0,
                business_line=line,
                reason=reason,
                verbatims=[f"客户原声 {i}"],
            )
        )
    return out


def run(args: argparse.Namespace) -> dict[str, Any]:
    tmp = Path(tempfile.mkdtemp(prefix="gmd-bench-alerts-"))
    embedded = None
    redis_url = args.redis_url
    if not redis_url:
        embedded = EmbeddedRedis(tmp / "redis")
        redis_url = embedded.start()
    database_url = args.database_url or f"sqlite:///{tmp / 'bench.db'}"
    receiver = WebhookReceiver().start()
    try:
        routing_file = tmp / "routing.yaml"
        routing_file.write_text(routing(receiver), encoding="utf-8")
        settings = load_settings(
            data_dir=tmp,
            redis_url=redis_url,
            redis_prefix=f"bench-{uuid.uuid4().hex[:8]}",
            database_url=database_url,
            routing_file=routing_file,
            alerts={"ack_expiry_minutes": None},
        )
        upgrade(database_url)
        client = connect(redis_url)
        keys = Keys.from_settings(settings)
        engine = make_engine(database_url)
        service = AlertService(settings, engine, client)
        intake = AlertIntake(service, client, "bench")
        intake.start()

        anomalies = make_anomalies(args.anomalies, args.fingerprints)
        first_published: dict[str, float] = {}
        busy = [0.0]
        taken = [0]
        done = threading.Event()

        def consume() -> None:
            while not (done.is_set() and taken[0] >= len(anomalies)):
                started = time.perf_counter()
                n = intake.take_batch()
                if n:
                    busy[0] += time.perf_counter() - started
                    taken[0] += n
                else:
                    time.sleep(0.002)

        consumer = threading.Thread(target=consume, daemon=True)
        consumer.start()
        began = time.perf_counter()
        step = 100
        for start in range(0, len(anomalies), step):
            chunk = anomalies[start : start + step]
            pipe = client.pipeline(transaction=False)
            now = time.time()
            for a in chunk:
                first_published.setdefault(a.fingerprint, now)
                fields: dict[Any, Any] = a.to_fields()
                pipe.xadd(keys.anomalies, fields)
            pipe.execute()
            target = began + (start + step) / args.rate
            time.sleep(max(0.0, target - time.perf_counter()))
        done.set()
        consumer.join(timeout=300)
        expected = len(first_published)
        messages = receiver.wait_for(expected, timeout_s=120)
        time.sleep(1.0)
        messages = receiver.received()

        fingerprint_of = {a.id: a.fingerprint for a in service.list_alerts(limit=expected * 2)}
        latencies = []
        for m in messages:
            match = ALERT_ID.search(m.body)
            if match and int(match.group(1)) in fingerprint_of:
                latencies.append(m.at - first_published[fingerprint_of[int(match.group(1))]])
        latencies.sort()
        p95 = latencies[int(0.95 * (len(latencies) - 1))] if latencies else float("nan")
        capacity = taken[0] / busy[0] if busy[0] else 0.0
        print(
            f"anomalies published   {len(anomalies):>8} at {args.rate:.0f}/s "
            f"over {expected} problems ({database_url.split(':')[0]})"
        )
        print(f"alerts opened         {len(fingerprint_of):>8}")
        print(f"intake capacity       {capacity:>8.0f} anomalies/s of busy time")
        print(f"rings delivered       {len(messages):>8} of {expected} expected")
        print(f"anomaly → ring p50    {statistics.median(latencies):>8.3f} s")
        print(f"anomaly → ring p95    {p95:>8.3f} s   (target ≤ 1 s)")
        intake.stop()
        engine.dispose()
        client.close()
        return {
            "alerts_per_s": round(capacity, 1),
            "ring_p95_s": round(p95, 3),
            "rings_sent": len(messages),
            "rings_expected": expected,
        }
    finally:
        receiver.stop()
        if embedded is not None:
            embedded.stop()
        shutil.rmtree(tmp, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--anomalies", type=int, default=10_000)
    parser.add_argument("--fingerprints", type=int, default=1_000)
    parser.add_argument("--rate", type=float, default=300.0, help="anomalies published per s")
    parser.add_argument("--redis-url", default=None, help="default: an embedded redis-server")
    parser.add_argument("--database-url", default=None, help="default: a SQLite file")
    result = run(parser.parse_args())
    print(json.dumps(result))


if __name__ == "__main__":
    main()
