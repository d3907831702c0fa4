"""Transcript rules end to end: from a customer's alarming words to an alert row.

10,000 simulated conversations (about 40,000 utterances, interleaved like live
traffic, a few percent with a phrase a transcript rule catches — 12315, a reporter,
a lawyer, a fire) are written to the ``conversations`` stream with the project's
producer while a real worker process runs every registered stage
(``worker.main.build_stages``, which includes the transcript-rule stage) and the
alert intake (``alerts.intake.AlertIntake``) against an embedded Redis and a SQLite
database, ringing a local webhook receiver.  For each flagged conversation the
bench takes the server time of the flagged utterance's ``XADD`` (its entry id) and
the moment the alert's row is visible in the database (polled every 50 ms).

Prints p50/p95/max of that delay (target p95 ≤ 2 s), how many conversations were
flagged and how many the rules say should have been; the last line is one JSON object.

    .venv/bin/python bench/rules.py [--conversations 10000] [--rate 1000]
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import random
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import select

from alerts.models import Alert
from alerts.receiver import WebhookReceiver
from alerts.transcript_rules import load_rules
from datasources.db import make_engine
from datasources.feeds import FeedWriter
from datasources.keys import Keys
from datasources.migrate import upgrade
from datasources.redis_conn import EmbeddedRedis, connect
from datasources.schemas import Utterance
from datasources.settings import load_settings

OPENINGS = ["我的退款还没到账", "快递三天没更新了", "优惠券用不了", "付款一直失败", "账号被锁了"]
FOLLOW_UPS = ["能帮我查一下吗", "我等了很久了", "什么时候能处理好", "好的我再等等"]
ALARMING = [
    "再不处理我就打12315投诉",
    "我朋友是记者，我要曝光你们",
    "我已经找了律师准备起诉",
    "充电宝起火了，孩子受伤了",
    "I will report this to consumer protection",
]
LINES = [("tmall", "refund"), ("taobao", "logistics_delay"), ("eleme", "delivery_late")]


def conversation(i: int, flagged: bool, rng: random.Random) -> list[dict[str, Any]]:
    """Four turns; a flagged one has the alarming words in the customer's second turn."""
    line, reason = LINES[i % len(LINES)]
    second = rng.choice(ALARMING) if flagged else rng.choice(FOLLOW_UPS)
    turns = [
        ("customer", rng.choice(OPENINGS)),
        ("agent", "您好，我来帮您查一下"),
        ("customer", second),
        ("agent", "已为您登记，稍后回复您"),
    ]
    return [
        {
            "conversation_id": f"bench-{i}",
            "seq": seq,
            "speaker": speaker,
            "text": text,
            "business_line": line,
            "reason": reason,
            "channel": "chat",
            "skill_group": f"{line}-aftersales",
            "customer_id": f"c-{i}",
            "agent_id": "a-1" if speaker == "agent" else None,
            "final": seq == 3,
        }
        for seq, (speaker, text) in enumerate(turns)
    ]


def interleaved(n: int, share: float, seed: int) -> Iterator[dict[str, Any]]:
    """Turns of ``n`` conversations, ~500 open at a time, in a live-looking order."""
    rng = random.Random(seed)
    pending = [conversation(i, rng.random() < share, rng) for i in range(n)]
    active: list[list[dict[str, Any]]] = []
    while pending or active:
        while pending and len(active) < 500:
            active.append(pending.pop(0))
        turns = rng.choice(active)
        yield turns.pop(0)
        if not turns:
            active.remove(turns)


def routing_file(path: Path, receiver: WebhookReceiver) -> Path:
    path.write_text(
        f"""people:
  risk.lead: {{name: 风控值班, channels: ["{receiver.url("risk")}"]}}
teams:
  risk: {{name: Risk, members: [risk.lead]}}
policies:
  once: {{steps: [{{ring: oncall}}]}}
default: {{team: risk, policy: once}}
""",
        encoding="utf-8",
    )
    return path


def worker_main() -> None:
    """The worker process: every registered stage, plus the alert intake as its ticker."""
    from alerts.intake import AlertIntake
    from worker.loop import Worker
    from worker.main import build_stages

    logging.basicConfig(level=logging.WARNING)
    settings = load_settings()
    client = connect(settings.redis_url or "")
    intake = AlertIntake.from_settings(settings, client, "bench-intake")
    worker = Worker(client, settings, build_stages(settings, client), [intake], name="bench-worker")
    worker.install_signal_handlers()
    try:
        worker.run()
    finally:
        intake.stop()


class AlertWatcher(threading.Thread):
    """Polls the alerts table; remembers when each conversation's alert became visible."""

    def __init__(self, database_url: str) -> None:
        super().__init__(daemon=True)
        self.engine = make_engine(database_url)
        self.seen: dict[str, float] = {}
        self.stop = threading.Event()

    def run(self) -> None:
        last = 0
        while not self.stop.is_set():
            with self.engine.connect() as conn:
                rows = conn.execute(
                    select(Alert.id, Alert.series).where(Alert.id > last).order_by(Alert.id)
                ).all()
            now = time.time()
            for alert_id, series in rows:
                last = max(last, alert_id)
                self.seen.setdefault(series.split(":", 1)[1], now)
            self.stop.wait(0.05)


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--conversations", type=int, default=10_000)
    parser.add_argument("--share", type=float, default=0.03, help="share with alarming words")
    parser.add_argument("--rate", type=float, default=1000, help="utterances per second")
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker_main()
        return

    rules = load_rules()
    with tempfile.TemporaryDirectory(prefix="gmd-bench-rules-") as tmp, WebhookReceiver() as rx:
        root = Path(tmp)
        server = EmbeddedRedis(root / "redis")
        url = server.start()
        database_url = f"sqlite:///{root / 'bench.db'}"
        upgrade(database_url)
        env = {
            **os.environ,
            "GMD_REDIS_URL": url,
            "GMD_REDIS_PREFIX": "bench-rules",
            "GMD_DATABASE_URL": database_url,
            "GMD_DATA_DIR": str(root / "data"),
            "GMD_ROUTING_FILE": str(routing_file(root / "routing.yaml", rx)),
        }
        settings = load_settings(redis_url=url, redis_prefix="bench-rules")
        keys = Keys.from_settings(settings)
        client = connect(url)
        worker = subprocess.Popen([sys.executable, __file__, "--worker"], env=env)
        watcher = AlertWatcher(database_url)
        try:
            deadline = time.monotonic() + 30
            while not client.exists(keys.worker_heartbeat("bench-worker")):
                if worker.poll() is not None or time.monotonic() > deadline:
                    raise SystemExit("the bench worker did not start")
                time.sleep(0.1)
            watcher.start()
            xadd_at, expected = produce(client, keys, args, rules)
            wait_until = time.monotonic() + 30
            while len(watcher.seen) < len(expected) and time.monotonic() < wait_until:
                time.sleep(0.1)
            time.sleep(0.5)
        finally:
            watcher.stop.set()
            worker.terminate()
            try:
                worker.wait(15)
            except subprocess.TimeoutExpired:
                worker.kill()
                worker.wait()
            client.close()
            server.stop()
        report(xadd_at, expected, watcher.seen, len(rx.received()))


def produce(
    client: Any, keys: Keys, args: argparse.Namespace, rules: Any
) -> tuple[dict[str, float], set[str]]:
    """Write the conversations at ``args.rate``; return each flagged conversation's XADD
    time (server clock, from the entry id) and the set the rules say must be flagged."""
    writer = FeedWriter(client, keys, maxlen=1_000_000)
    xadd_at: dict[str, float] = {}
    expected: set[str] = set()
    chunk = max(1, int(args.rate / 10))
    turns = list(interleaved(args.conversations, args.share, args.seed))
    started = time.monotonic()
    print(f"producing {len(turns)} utterances of {args.conversations} conversations …")
    for first in range(0, len(turns), chunk):
        part = turns[first : first + chunk]
        pipe = client.pipeline(transaction=False)
        events = []
        for raw in part:
            event = Utterance.model_validate({"v": "1", "ts": round(time.time() * 1000), **raw})
            writer.publish("conversations", event, pipeline=pipe)
            events.append(event)
        ids = pipe.execute()
        for event, entry_id in zip(events, ids, strict=True):
            cid = event.conversation_id
            if cid not in expected and rules.match(event.text, event.speaker.value):
                expected.add(cid)
                xadd_at[cid] = int(entry_id.split("-")[0]) / 1000
        ahead = started + (first + len(part)) / args.rate - time.monotonic()
        if ahead > 0:
            time.sleep(ahead)
    took = time.monotonic() - started
    print(f"produced in {took:.1f} s ({len(turns) / took:,.0f} utterances/s)")
    return xadd_at, expected


def report(
    xadd_at: dict[str, float], expected: set[str], seen: dict[str, float], rings: int
) -> None:
    delays = [seen[c] - xadd_at[c] for c in expected if c in seen]
    flagged = len(set(seen) & expected)
    unexpected = len(set(seen) - expected)
    p50, p95 = percentile(delays, 0.5), percentile(delays, 0.95)
    print(f"conversations flagged: {flagged} of {len(expected)} expected ({unexpected} unexpected)")
    print(f"rings delivered to the receiver: {rings}")
    worst = max(delays, default=float("nan"))
    print(f"utterance XADD → alert row: p50 {p50:.3f} s, p95 {p95:.3f} s, max {worst:.3f} s")
    print(f"target p95 ≤ 2 s: {'met' if p95 <= 2 else 'NOT met'}")
    print(json.dumps({"p95_s": round(p95, 3), "flagged": flagged, "expected": len(expected)}))


if __name__ == "__main__":
    main()
