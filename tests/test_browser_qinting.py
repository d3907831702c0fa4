"""Qinting and the radio in a real Chromium, against the real app, a real worker process,
a real Redis (private redis-server) and a real database.

One conversation is written to the ``conversations`` stream with the project's
producer; the worker (``python -m gmd worker``) stores it; the listening page follows
it live.  The tests then save a note, ring the bell (one message at the local
receiver, with the customer's words), and send the words to the radio, where an
editor publishes them and the next morning's digest reaches a subscriber.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from alerts.radio_digest import send_digests
from alerts.ringing import AppriseNotifier
from datasources.conversations import ConversationStore
from datasources.db import make_engine, make_sessionmaker
from datasources.feeds import FeedWriter
from datasources.keys import Keys
from datasources.qinting_store import ListeningStore
from datasources.radio_store import RadioStore
from datasources.settings import Settings
from tests.browser_support import App, Stack, browser, sign_in, start_app, start_worker, stop
from tests.db_support import private_database
from tests.qinting_support import utterance

pytestmark = [pytest.mark.browser, pytest.mark.integration, pytest.mark.slow]

CONVERSATION = "cv-browser-1"
COMPLAINT = "退款一周了还没到账，我的手机13812345678"
FOLLOW_UP = "双十一买的羽绒服到底什么时候能退回来"


@dataclass
class Running:
    stack: Stack
    settings: Settings
    app: App
    page: Any
    writer: FeedWriter
    keys: Keys

    def say(self, seq: int, text: str, speaker: str = "customer") -> None:
        event = utterance(CONVERSATION, seq, text, speaker=speaker, agent_id="a-7")
        self.writer.publish("conversations", event)

    def wait(self, condition: Any, timeout_s: float = 15.0) -> Any:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            found = condition()
            if found:
                return found
            time.sleep(0.1)
        raise AssertionError(f"timed out waiting for {condition}")


@pytest.fixture(scope="module")
def running(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Running]:
    root = tmp_path_factory.mktemp("qinting-browser")
    with private_database(root) as database_url:
        stack = Stack(root, database_url, prefix="gmdqinting")
        stack.start()
        env = {**stack.env, "GMD_QINTING__TRANSCRIPT_REFRESH_S": "1"}
        worker = start_worker(env, root / "worker.log")
        app: App | None = None
        try:
            settings = stack.settings()
            keys = Keys.from_settings(settings)
            client = stack.client()
            writer = FeedWriter(client, keys, maxlen=10_000)
            app = start_app(env, root)
            with browser() as chromium:
                page = chromium.new_page(viewport={"width": 1400, "height": 1800})
                yield Running(stack, settings, app, page, writer, keys)
        finally:
            if app is not None:
                app.stop()
            stop(worker)
            stack.stop()


def test_transcript_follows_the_conversation_live(running: Running) -> None:
    store = ConversationStore(running.stack.client(), running.keys, running.settings.qinting)
    running.say(0, COMPLAINT)
    running.wait(lambda: store.summary(CONVERSATION))
    sign_in(running.page, f"{running.app.url}/listen?business_line=tmall&reason=refund", "li")
    running.page.get_by_text(CONVERSATION).wait_for()
    running.page.get_by_role("button", name="Listen").first.click()
    transcript = running.page.locator(".st-key-qt-transcript")
    transcript.get_by_text("退款一周了还没到账", exact=False).wait_for(timeout=15_000)
    assert "13812345678" not in transcript.inner_text()
    running.say(1, "您好，我来帮您查一下", speaker="agent")
    running.say(2, FOLLOW_UP)
    transcript.get_by_text(FOLLOW_UP, exact=False).wait_for(timeout=15_000)
    lines = transcript.inner_text()
    assert lines.index("退款一周了") < lines.index("我来帮您查") < lines.index(FOLLOW_UP)


def test_a_note_is_saved(running: Running) -> None:
    page = running.page
    page.get_by_role("textbox", name="Note", exact=True).fill("客户已第三次来电")
    page.get_by_role("button", name="Save note").click()
    page.get_by_text("Note saved").wait_for(timeout=10_000)
    assert "客户已第三次来电" in page.locator(".st-key-qt-notes").inner_text()
    sessions = make_sessionmaker(make_engine(running.stack.database_url))
    rows = ListeningStore(sessions).this_month(time.time(), ZoneInfo("Asia/Shanghai"), "li")
    assert rows[0].conversation_id == CONVERSATION and rows[0].notes == 1


def test_ring_the_bell_rings_the_owner_once_with_the_excerpt(running: Running) -> None:
    page = running.page
    receiver = running.stack.receiver
    before = len(receiver.messages)
    page.locator(".st-key-qt-excerpt input").click()
    page.get_by_role("option", name=FOLLOW_UP, exact=False).click()
    page.keyboard.press("Escape")
    button = page.get_by_role("button", name="Ring the bell for the owning team")
    button.click()
    page.get_by_text("Bell rung: alert #").wait_for(timeout=15_000)
    button.click()  # a second press for the same words rings nobody again
    page.get_by_text("Already rung for this excerpt").wait_for(timeout=10_000)
    running.wait(lambda: len(receiver.messages) > before)
    time.sleep(1.5)
    rings = receiver.messages[before:]
    assert len(rings) == 1
    assert FOLLOW_UP in rings[0]["body"]["message"]


def test_radio_case_published_reaches_the_next_digest(running: Running) -> None:
    page = running.page
    page.get_by_role("textbox", name="Why it is worth hearing").fill("退款积压的真实声音")
    page.get_by_role("button", name="Send to the nine o'clock radio").click()
    page.get_by_text("proposed for curation").wait_for(timeout=10_000)

    sign_in(page, f"{running.app.url}/radio?channel=tmall", "li")  # a new page is a new session
    page.get_by_role("tab", name="Curation queue").click()
    page.get_by_role("button", name="Publish").first.click()
    page.get_by_text("Nothing waiting for an editor").wait_for(timeout=10_000)
    page.get_by_role("tab", name="Subscriptions").click()
    url = f"json://127.0.0.1:{running.stack.receiver.port}/digest/li"
    page.get_by_role("textbox", name="Where to send it", exact=False).fill(url)
    page.get_by_role("button", name="Subscribe to this channel").click()
    page.get_by_text("Subscribed").wait_for(timeout=10_000)

    tz = ZoneInfo(running.settings.radio.timezone)
    today = datetime.now(tz).date()
    nine = datetime.combine(today + timedelta(days=1), datetime.min.time(), tz) + timedelta(hours=9)
    store = RadioStore(make_sessionmaker(make_engine(running.stack.database_url)))
    run = send_digests(store, AppriseNotifier(5.0), running.settings, now=nine.timestamp())
    assert run.day == today and run.sent == ["li@tmall"]
    digests = [m for m in running.stack.receiver.messages if m["path"] == "/digest/li"]
    assert len(digests) == 1
    assert FOLLOW_UP in digests[0]["body"]["message"]
    assert "退款积压的真实声音" in digests[0]["body"]["message"]
    sign_in(page, f"{running.app.url}/radio?channel=tmall&day={date.isoformat(today)}", "li")
    page.locator(".st-key-radio-digest").get_by_text(FOLLOW_UP, exact=False).wait_for()
