"""The radio and listening sessions on a real database, digests to a real HTTP receiver."""

from __future__ import annotations

import time
from datetime import date, datetime, timedelta
from datetime import time as dtime
from zoneinfo import ZoneInfo

import pytest

from alerts.radio import day_window
from alerts.radio_digest import ATTEMPTS, send_digests
from alerts.receiver import WebhookReceiver
from alerts.ringing import AppriseNotifier
from datasources.conversations import ConversationSummary
from datasources.qinting_store import NOTE, RADIO, RING, ListeningStore, month_start
from datasources.radio_store import CaseStateError, Proposal, RadioStore
from datasources.settings import Settings
from tests.qinting_support import migrated_sessions
from worker.qinting import RadioTicker

pytestmark = pytest.mark.integration
SHANGHAI = ZoneInfo("Asia/Shanghai")
DAY = date(2026, 11, 11)
NOON = day_window(DAY, SHANGHAI)[0] + 12 * 3600


def test_curation_publish_and_digest_once(settings: Settings, database_url: str) -> None:
    store = RadioStore(migrated_sessions(database_url))
    store.ensure_business_line_channels(NOON)
    tmall = store.ensure_channel("tmall", "天猫", "Tmall", now=NOON)
    assert store.ensure_channel("tmall", "x", "y", now=NOON).id == tmall.id
    words = [
        "退款申请一周了还没到账，电话13812345678",
        "退款申请一周了还没到账!!",
        "优惠券结算时不能用",
    ]
    ids = [
        store.propose(tmall.id, Proposal(f"case {i}", w, business_line="tmall"), by="mgr", now=NOON)
        for i, w in enumerate(words)
    ]
    assert [c.id for c in store.queue(tmall.id)] == ids
    assert "13812345678" not in store.queue()[0].excerpt
    store.publish(ids[0], by="editor", now=NOON + 1, note="双11退款积压")
    store.publish(ids[1], by="editor", now=NOON + 2)
    store.reject(ids[2], by="editor", now=NOON + 3, reason="not a customer voice")
    with pytest.raises(CaseStateError, match="already published"):
        store.publish(ids[0], by="other", now=NOON + 4)
    with pytest.raises(CaseStateError, match="no radio case"):
        store.reject(999, by="other", now=NOON)
    with pytest.raises(CaseStateError, match="title"):
        store.propose(tmall.id, Proposal(" ", "x"), by="mgr", now=NOON)
    assert store.queue() == []

    morning = NOON + 21 * 3600  # 09:00 the next day in Shanghai
    with WebhookReceiver() as receiver:
        store.subscribe(tmall.id, "owner", receiver.url("owner"), now=NOON)
        store.subscribe(tmall.id, "owner", receiver.url("owner"), now=NOON)  # still one
        taobao = store.ensure_channel("taobao", "淘宝", "Taobao", now=NOON)
        store.subscribe(taobao.id, "owner", receiver.url("quiet"), now=NOON)
        run = send_digests(store, AppriseNotifier(2.0), settings, now=morning)
        assert run.day == DAY
        assert (run.sent, run.empty) == (["owner@tmall"], ["owner@taobao"])
        (message,) = receiver.wait_for(1)
        assert message.path == "/owner"
        assert "9点电台 · 天猫 · 2026-11-11" in message.title
        assert "另有 1 位客户" in message.body and "双11退款积压" in message.body
        assert "优惠券" not in message.body
        again = send_digests(store, AppriseNotifier(2.0), settings, now=morning + 60)
        assert (again.sent, again.already) == ([], ["owner@tmall"])
        assert len(receiver.wait_for(2, timeout_s=0.5)) == 1
    (delivery,) = store.deliveries("2026-11-11")
    assert (delivery.status, delivery.cases) == ("sent", 2)


def test_failed_digest_is_retried_by_the_next_run(settings: Settings, database_url: str) -> None:
    store = RadioStore(migrated_sessions(database_url))
    channel = store.ensure_channel("topic-fire", "安全", "Safety", now=NOON)
    case = store.propose(channel.id, Proposal("起火", "充电宝起火了"), by="mgr", now=NOON)
    store.publish(case, by="editor", now=NOON)
    with WebhookReceiver() as receiver:
        store.subscribe(channel.id, "owner", receiver.url(), now=NOON)
        receiver.fail_next(ATTEMPTS)
        failed = send_digests(
            store, AppriseNotifier(2.0), settings, day=DAY, now=NOON, backoff_s=0.01
        )
        assert failed.failed == ["owner@topic-fire"]
        assert store.deliveries(DAY.isoformat())[0].status == "failed"
        retried = send_digests(store, AppriseNotifier(2.0), settings, day=DAY, now=NOON)
        assert retried.sent == ["owner@topic-fire"]
        assert len(receiver.wait_for(1)) == 1
    (subscription,) = store.subscriptions("owner")
    assert store.claim_delivery(subscription.id, "2026-11-12", now=NOON) is not None
    assert store.claim_delivery(subscription.id, "2026-11-12", now=NOON + 60) is None
    assert store.claim_delivery(subscription.id, "2026-11-12", now=NOON + 601) is not None  # died


def test_sessions_record_notes_actions_and_this_month(database_url: str) -> None:
    store = ListeningStore(migrated_sessions(database_url))
    convo = ConversationSummary("cv-1", "tmall", "refund", "chat", "tmall-aftersales", 0, 0, False)
    now = time.time()
    first = store.start("mgr.li", convo, now=now - 600)
    store.add(
        first,
        author="mgr.li",
        kind=NOTE,
        now=now - 500,
        text="客户第三次来电 13812345678",
        tag="pain",
        seq=3,
        utterance_ts=now - 550,
    )
    store.add(first, author="mgr.li", kind=RING, now=now - 400, ref="alert#1")
    store.add(first, author="mgr.li", kind=RADIO, now=now - 300, ref="case#1")
    with pytest.raises(ValueError, match="needs some text"):
        store.add(first, author="mgr.li", kind=NOTE, now=now)
    wang = store.start("mgr.wang", convo, now=now - 100)
    store.touch(wang, now=now - 40)
    store.start("mgr.zhao", convo, now=now - 30)  # opened and left: a glance, not counted
    store.start("mgr.li", convo, now=month_start(now, SHANGHAI) - 10)  # last month
    store.touch(first, now=now - 200)
    store.touch(first, now=now - 250)  # never backwards
    assert store.start("mgr.li", convo, now=now - 190) == first  # a reload resumes it
    rows = store.this_month(now, SHANGHAI)
    assert [r.listener for r in rows] == ["mgr.wang", "mgr.li"]
    li = rows[1]
    assert (li.notes, li.actions) == (1, 2)
    assert li.duration_s == pytest.approx(410)
    assert [r.id for r in store.this_month(now, SHANGHAI, listener="mgr.li")] == [first]
    (note, *_rest) = store.notes(first)
    assert "13812345678" not in note.text and note.seq == 3


def test_worker_tickers_send_yesterdays_digest_once(settings: Settings, database_url: str) -> None:
    """Two workers' radio tickers past the digest time: one message, the other sees it sent."""
    store = RadioStore(migrated_sessions(database_url))
    radio = settings.radio.model_copy(update={"digest_time": "00:00"})
    settings = settings.model_copy(update={"radio": radio})
    tz = ZoneInfo(radio.timezone)
    yesterday = datetime.combine(datetime.now(tz).date() - timedelta(days=1), dtime(12), tz)
    channel = store.ensure_channel("hema", "盒马", "Hema", now=yesterday.timestamp())
    case = store.propose(
        channel.id, Proposal("生鲜", "榴莲坏了"), by="mgr", now=yesterday.timestamp()
    )
    store.publish(case, by="editor", now=yesterday.timestamp())
    with WebhookReceiver() as receiver:
        store.subscribe(channel.id, "owner", receiver.url("owner"), now=yesterday.timestamp())
        first, second = (RadioTicker(settings, store, AppriseNotifier(2.0)) for _ in range(2))
        first.tick()
        assert first.running is not None
        assert first.running.result(10).sent == ["owner@hema"]
        done = first.running
        first.tick()  # already done today: nothing new
        assert first.running is done
        second.tick()
        assert second.running is not None
        assert second.running.result(10).already == ["owner@hema"]
        (message,) = receiver.wait_for(1)
        assert "榴莲坏了" in message.body
        assert len(receiver.wait_for(2, timeout_s=0.5)) == 1
