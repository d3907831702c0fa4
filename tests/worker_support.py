"""Helpers for the worker tests: deterministic events, expected counts, draining a group."""

from __future__ import annotations

import os
import random
from collections import Counter
from typing import Any

from datasources.keys import FEED_GROUP, Keys
from datasources.partitions import route
from datasources.schemas import ContactEvent, QueueSnapshot, VoiceEvent, to_fields
from datasources.settings import Settings

T0 = 1_794_326_400.0
"""2026-11-11 00:00 UTC: Double-11."""

LINES = ("taobao", "tmall", "eleme")
REASONS = ("refund", "logistics_delay", "coupon")
CHANNELS = ("robot", "chat", "hotline")


def contact(
    ts: float,
    line: str = "tmall",
    reason: str = "refund",
    channel: str = "chat",
    *,
    group: str = "tmall_after_sale",
    handled_by: str = "agent",
    waited_s: float = 5.0,
    outcome: str = "answered",
    verbatim: str | None = None,
    n: int = 0,
) -> ContactEvent:
    return ContactEvent(
        v="1", ts=ts * 1000, contact_id=f"c{n}-{ts}", channel=channel, business_line=line,
        reason=reason, skill_group=group, handled_by=handled_by, waited_s=waited_s,
        outcome=outcome, verbatim=verbatim, customer_id=f"u{n % 50}",
    )  # fmt: skip


def snapshot(
    ts: float, group: str = "tmall_after_sale", waiting: int = 3, **kw: Any
) -> QueueSnapshot:
    values: dict[str, Any] = dict(
        agents_available=4, agents_busy=6, cloud_agents_available=1, cloud_agents_busy=2,
        longest_wait_s=12.0,
    )  # fmt: skip
    values.update(kw)
    return QueueSnapshot(
        v="1", ts=ts * 1000, skill_group=group, business_line=group.split("_")[0],
        waiting=waiting, **values,
    )  # fmt: skip


def voice(ts: float, line: str = "tmall", source: str = "weibo", sentiment: float | None = -0.8,
          text: str = "双十一退款太慢了", reach: int = 100) -> VoiceEvent:  # fmt: skip
    return VoiceEvent(
        v="1", ts=ts * 1000, voice_id=f"v{ts}", source=source, business_line=line,
        text=text, sentiment=sentiment, reach=reach,
    )  # fmt: skip


def random_contacts(
    count: int, seed: int, span_s: float = 600.0, lines: tuple[str, ...] = LINES
) -> list[ContactEvent]:
    """Contacts over ``span_s`` from T0 (``lines``: one line keeps them in one partition)."""
    rnd = random.Random(seed)
    events = []
    for i in range(count):
        line, channel = rnd.choice(lines), rnd.choice(CHANNELS)
        events.append(
            contact(
                T0 + span_s * i / count,
                line,
                rnd.choice(REASONS),
                channel,
                group=f"{line}_g{rnd.randrange(3)}",
                handled_by="robot" if channel == "robot" else rnd.choice(["agent", "cloud_agent"]),
                waited_s=round(rnd.random() * 40, 3),
                outcome="answered" if rnd.random() < 0.95 else "abandoned",
                verbatim="手机13812345678，快递没到" if i % 7 == 0 else None,
                n=i,
            )
        )
    return events


def expected_contacts(events: list[ContactEvent]) -> Counter[str]:
    """``bl|reason|channel`` → count over all events (what every resolution must sum to)."""
    return Counter(f"{e.business_line}|{e.reason}|{e.channel}" for e in events)


def publish(client: Any, keys: Keys, feed: str, events: list[Any]) -> None:
    """``XADD`` each event to its feed in its partition (as any producer must)."""
    pipe = client.pipeline(transaction=False)
    for e in events:
        pipe.xadd(keys.of(route(feed, e, keys.partitions)).stream(feed), to_fields(e))
    pipe.execute()


def summed(client: Any, keys: Keys, family: str, resolution: str) -> Counter[str]:
    """Every field of one family at one resolution, summed over all its buckets and
    partitions."""
    total: Counter[str] = Counter()
    for part in keys.every():
        pattern = part.aggregate(family, resolution, 0).removesuffix("0") + "*"
        for key in client.scan_iter(match=pattern, count=1000):
            for name, value in client.hgetall(key).items():
                total[name] += int(float(value))
    return total


def feed_streams(keys: Keys) -> list[str]:
    """Every partition's four feed streams."""
    return [stream for part in keys.every() for stream in part.feed_streams.values()]


def pending(client: Any, keys: Keys) -> int:
    return sum(int(client.xpending(stream, FEED_GROUP)["pending"]) for stream in feed_streams(keys))


def drained(client: Any, keys: Keys) -> bool:
    """Every entry of every feed delivered to the group and acknowledged."""
    if pending(client, keys):
        return False
    for stream in feed_streams(keys):
        newest = client.xrevrange(stream, count=1)
        if not newest:
            continue
        groups = {g["name"]: g for g in client.xinfo_groups(stream)}
        if groups[FEED_GROUP]["last-delivered-id"] != newest[0][0]:
            return False
    return True


def base_env(settings: Settings) -> dict[str, str]:
    """The environment of a `gmd worker` subprocess on the test's own Redis prefix and
    database, with none of the caller's GMD_* settings leaking in."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("GMD_")}
    env.update(
        GMD_REDIS_URL=str(settings.redis_url),
        GMD_REDIS_PREFIX=settings.redis_prefix,
        GMD_DATA_DIR=str(settings.data_dir),
        GMD_DATABASE_URL=settings.effective_database_url,
        GMD_STREAMS__PARTITIONS=str(settings.streams.partitions),
        GMD_WORKER__BLOCK_MS="50",
    )
    return env


def worker_env(settings: Settings) -> dict[str, str]:
    """:func:`base_env` with small batches and quick claims, for the consumer tests."""
    env = base_env(settings)
    env.update(GMD_WORKER__BATCH_SIZE="300", GMD_WORKER__CLAIM_IDLE_MS="100")
    return env
