"""Qinting on a real Redis: live transcripts, customers' contacts, transcript flags once."""

from __future__ import annotations

import time
from typing import Any

import pytest
import redis

from alerts.anomaly import Anomaly, AnomalyKind, Severity
from alerts.transcript_rules import load_rules
from datasources.batch import BatchWrites
from datasources.conversations import ConversationStore, merge_transcript
from datasources.keys import Keys
from datasources.settings import Settings
from tests.qinting_support import contact, utterance
from worker.qinting import ConversationStage, TranscriptRuleStage

pytestmark = pytest.mark.integration


def apply(stage: Any, feed: str, events: list[Any], client: redis.Redis) -> None:
    """Run a stage the way the worker does: its writes described, then applied at once."""
    writes = BatchWrites()
    stage.apply(feed, events, writes)
    writes.queue_on(client)


def test_transcript_is_masked_followed_and_listed(
    settings: Settings, keys: Keys, redis_client: redis.Redis
) -> None:
    store = ConversationStore(redis_client, keys, settings.qinting)
    stage = ConversationStage(store)
    now = time.time()
    apply(
        stage,
        "conversations",
        [
            utterance("cv-1", 0, "我的手机13812345678收不到退款", ts=now - 30),
            utterance("cv-1", 1, "您好，我来帮您查", speaker="agent", agent_id="a-7", ts=now - 20),
            utterance("cv-2", 0, "红包用不了", reason="red_packet", channel="robot", ts=now - 10),
            utterance("cv-2", 1, "小蜜为您服务", speaker="robot", channel="robot", ts=now - 9),
        ],
        redis_client,
    )
    transcript = store.transcript("cv-1")
    assert [u.speaker for u in transcript] == ["customer", "agent"]
    assert "13812345678" not in transcript[0].text
    summary = store.summary("cv-1")
    assert summary is not None
    assert (summary.agent_id, summary.customer_id) == ("a-7", "c-1")
    assert summary.wait_s == pytest.approx(10, abs=0.01)
    assert summary.handled_by == "a-7"
    robot_only = store.summary("cv-2")
    assert robot_only is not None
    assert (robot_only.handled_by, robot_only.wait_s) == ("robot", None)
    assert [s.conversation_id for s in store.live(now)] == ["cv-2", "cv-1"]
    assert [s.conversation_id for s in store.live(now, business_line="tmall", reason="refund")] == [
        "cv-1"
    ]
    assert [s.conversation_id for s in store.live(now, channel="robot")] == ["cv-2"]
    assert store.live(now, skill_group="taobao-presale") == []
    assert store.live(now + settings.qinting.live_window_s + 11) == []

    offset, first = store.follow("cv-1", 0)
    apply(
        stage,
        "conversations",
        [utterance("cv-1", 2, "好的谢谢", ts=now - 5, final=True)],
        redis_client,
    )
    offset, more = store.follow("cv-1", offset)
    assert (offset, [u.seq for u in more]) == (3, [2])
    assert [u.seq for u in merge_transcript(first, [*more, *more])] == [0, 1, 2]
    assert [
        s.conversation_id for s in store.live(now, business_line="tmall", reason="refund")
    ] == []
    assert store.summary("cv-1").final  # type: ignore[union-attr]
    redis_client.delete(keys.conversation("cv-1"))
    assert store.follow("cv-1", offset) == (0, [])


def test_recent_contacts_are_capped_newest_first(
    settings: Settings, keys: Keys, redis_client: redis.Redis
) -> None:
    store = ConversationStore(
        redis_client, keys, settings.qinting.model_copy(update={"customer_contacts": 3})
    )
    events = [contact("c-9", 1_700_000_000 + i, reason=f"r{i}") for i in range(5)]
    apply(ConversationStage(store), "contacts", events, redis_client)
    assert [c.reason for c in store.recent_contacts("c-9")] == ["r4", "r3", "r2"]
    assert store.recent_contacts("nobody") == []


def test_rule_flags_once_per_conversation_and_rule(
    settings: Settings, keys: Keys, redis_client: redis.Redis
) -> None:
    stage = TranscriptRuleStage(load_rules(), keys, flag_ttl_s=600, maxlen=10_000)
    batch = [
        utterance("cv-3", 0, "再不处理我就打12315，电话13812345678"),
        utterance("cv-3", 1, "您可以拨打12315", speaker="agent"),
        utterance("cv-3", 2, "我还要找记者曝光"),
        utterance("cv-3", 3, "我真的会打12315的"),
        utterance("cv-4", 0, "包裹什么时候到"),
    ]
    apply(stage, "conversations", batch, redis_client)
    apply(stage, "conversations", batch, redis_client)  # a redelivered batch adds nothing
    entries: Any = redis_client.xrange(keys.anomalies)
    anomalies = [Anomaly.from_fields(fields) for _, fields in entries]
    assert sorted(a.detail["rule"] for a in anomalies) == ["consumer_protection", "media"]
    first = next(a for a in anomalies if a.detail["rule"] == "consumer_protection")
    assert first.kind is AnomalyKind.TRANSCRIPT_FLAG
    assert first.series == "conversation:cv-3"
    assert first.severity is Severity.MAJOR
    assert (first.business_line, first.reason, first.detail["seq"]) == ("tmall", "refund", 0)
    assert "13812345678" not in first.verbatims[0] and "12315" in first.verbatims[0]
