"""The browser matrix's world: one alert of every kind, raised through the real worker,
and a way to walk a signed-in tab from page to page without signing in again.

:func:`seed` writes what production would: anomalies on the ``anomalies`` stream and
a threatening utterance on the ``conversations`` stream (the worker's intake and
transcript rules turn them into alerts), a listener's bell through the alert service
(what the listening page calls), a missed incident, live conversations on the
alerts' topics, a published radio case, and a few minutes of traffic for the charts.

:class:`Tab` is one signed-in browser tab.  :meth:`Tab.visit` moves it to another URL
the way the browser's back button does (``history.pushState`` + ``popstate``, which
Streamlit follows within the same session), so one sign-in serves every visit;
:meth:`Tab.start` and :meth:`Tab.finish` split a visit so several tabs load at once.
"""

from __future__ import annotations

import contextlib
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import redis
from playwright.sync_api import Error as PlaywrightError

from alerts.anomaly import Anomaly, AnomalyKind, AnomalyStatus, Severity
from alerts.service import AlertService
from alerts.transcript_rules import bell_anomaly
from dashboard.i18n import Language, translate
from datasources.db import make_engine, make_sessionmaker
from datasources.feeds import FeedWriter
from datasources.keys import Keys
from datasources.radio_store import Proposal, RadioStore
from datasources.settings import Settings
from tests.browser_support import USERS, fill_history
from tests.qinting_support import utterance
from worker.detect import publish

KINDS = ("spike", "drop", "queue_breach", "sentiment_storm", "transcript_flag", "bell")
PHONE = "13812345678"
FIRE = f"充电器用的时候起火了，孩子差点受伤，打我电话{PHONE}"
FLAG_CONVERSATION = "cv-matrix-fire"
BELL_CONVERSATION = "cv-matrix-bell"
TOPICS = (("tmall", "refund"), ("cainiao", "parcel_lost"), ("taobao", "logistics_delay"))
"""Live conversations the deep links from the spike, the storm and the drop must find."""


def _anomaly(series: str, kind: AnomalyKind, metric: str, **more: Any) -> Anomaly:
    now = time.time()
    base: dict[str, Any] = {
        "status": AnomalyStatus.ONGOING, "onset": now - 600, "updated": now, "score": 9.0,
        "severity": Severity.CRITICAL, "observed": 600.0, "expected": 150.0,
    }  # fmt: skip
    return Anomaly(series=series, kind=kind, metric=metric, **{**base, **more})


def detected() -> dict[str, Anomaly]:
    """What the detector would publish for the four kinds it raises."""
    return {
        "spike": _anomaly(
            "contacts:tmall:refund:*", AnomalyKind.SPIKE, "contacts_per_min",
            business_line="tmall", reason="refund",
            verbatims=["退款一周了还没到账，我的手机138****5678", "退款页面一直转圈"],
        ),
        "drop": _anomaly(
            "contacts:taobao:*:*", AnomalyKind.DROP, "contacts_per_min", business_line="taobao",
            observed=40.0, expected=200.0, severity=Severity.MAJOR,
        ),
        "queue_breach": _anomaly(
            "queue:tmall-presale", AnomalyKind.QUEUE_BREACH, "pickup_rate",
            business_line="tmall", skill_group="tmall-presale", observed=0.93, expected=0.999,
            detail={"kpis": {"pickup_rate": 0.93}, "targets": {"pickup_rate": 0.999}},
        ),
        "sentiment_storm": _anomaly(
            "voices:cainiao:*", AnomalyKind.SENTIMENT_STORM, "negative_voices_per_min",
            business_line="cainiao", observed=42.0, expected=6.0,
            verbatims=["菜鸟驿站关门了取不了件，太失望了", "曝光一下菜鸟：包裹丢了！"],
        ),
    }  # fmt: skip


def seed(settings: Settings, client: redis.Redis, service: AlertService) -> None:
    """Write everything the worker and the pages need (see the module docstring)."""
    keys = Keys(settings.redis_prefix, settings.streams)
    fill_history(client, keys, settings, end=time.time(), minutes=12, rate=4)
    with client.pipeline(transaction=True) as pipe:
        publish(keys, list(detected().values()), pipeline=pipe)  # as the detector publishes
        pipe.execute()
    writer = FeedWriter(client, keys, maxlen=10_000)
    writer.publish_many(
        "conversations",
        [
            utterance(FLAG_CONVERSATION, 0, "我买的充电器有问题", reason="coupon_not_applied"),
            utterance(FLAG_CONVERSATION, 1, FIRE, reason="coupon_not_applied"),
            utterance(BELL_CONVERSATION, 0, "红包用不了，付款一直失败", business_line="alipay",
                      reason="red_packet", skill_group="alipay-payment"),
            *(utterance(f"cv-matrix-{line}", 0, "还没处理好吗？", business_line=line,
                        reason=reason) for line, reason in TOPICS),
        ],
    )  # fmt: skip
    service.raise_alert(
        bell_anomaly(
            conversation_id=BELL_CONVERSATION, business_line="alipay", reason="red_packet",
            channel="chat", skill_group="alipay-payment", excerpt=["红包用不了，付款一直失败"],
            listener="li", comment=f"客户已经第三次来电，请今天回电 {PHONE}", now=time.time(),
        ),
        by="li",
        request_id="matrix-bell",
    )  # fmt: skip
    service.log_missed("li", time.time() - 3600, f"退款页白屏未告警，客户 {PHONE}", "tmall")
    radio = RadioStore(make_sessionmaker(make_engine(settings.effective_database_url)))
    yesterday = datetime.now(ZoneInfo(settings.radio.timezone)) - timedelta(days=1)
    channel = radio.ensure_channel("cainiao", "菜鸟", "Cainiao", now=yesterday.timestamp(),
                                   business_line="cainiao")  # fmt: skip
    case = radio.propose(
        channel.id,
        Proposal("包裹丢了没人管", "快递显示签收但我没收到", business_line="cainiao",
                 reason="parcel_lost"),
        by="li", now=yesterday.timestamp(),
    )  # fmt: skip
    radio.publish(case, by="li", now=yesterday.timestamp())


def wait_for_alerts(service: AlertService, timeout_s: float = 60.0) -> dict[str, int]:
    """Alert id by kind, once the worker has taken every seeded anomaly and utterance in."""
    deadline = time.monotonic() + timeout_s
    while True:
        found: dict[str, int] = {}
        for alert in service.list_alerts(limit=50):
            kind = "bell" if alert.metric == "qinting_bell" else alert.kind
            found.setdefault(kind, alert.id)
        if set(KINDS) <= set(found):
            return found
        assert time.monotonic() < deadline, f"the worker raised only {sorted(found)}"
        time.sleep(0.2)


_WATCH = """() => {
  const app = document.querySelector("[data-testid='stApp']");
  window.__gmdSawRun = app.dataset.testScriptState === 'running';
  if (!window.__gmdWatch) {
    window.__gmdWatch = new MutationObserver(changes => {
      const states = [app.dataset.testScriptState, ...changes.map(c => c.oldValue)];
      if (states.includes('running')) window.__gmdSawRun = true;
    });
    window.__gmdWatch.observe(app, {
      attributes: true, attributeOldValue: true, attributeFilter: ['data-test-script-state'],
    });
  }
}"""
_STATE = "() => document.querySelector(\"[data-testid='stApp']\").dataset.testScriptState"
_NAVIGATE = "p => { history.pushState({}, '', p); dispatchEvent(new PopStateEvent('popstate')); }"
_SETTLED = """() => document.querySelector("[data-testid='stApp']").dataset.testScriptState
  === 'notRunning' && !document.querySelector('[data-stale="true"]')"""
_READ = """() => {
  const parts = [];
  for (const sel of ["[data-testid='stMain']", "[data-testid='stSidebar']"]) {
    const node = document.querySelector(sel);
    if (!node) continue;
    const copy = node.cloneNode(true);
    copy.querySelectorAll('style, script, [data-testid="stIconMaterial"]').forEach(n => n.remove());
    parts.push(copy.textContent);
  }
  const texts = sel => [...document.querySelectorAll(sel)].map(n => n.innerText.trim());
  return {
    text: parts.join('\\n'),
    exceptions: texts("[data-testid='stException']"),
    errors: texts("[data-testid='stAlertContentError']"),
    buttons: [...document.querySelectorAll("[data-testid='stMain'] button")].map(b =>
      (b.querySelector("[data-testid='stMarkdownContainer']") || b).innerText.trim()),
  };
}"""


@dataclass(frozen=True)
class Reading:
    """What a person sees on the page, read in one go."""

    text: str
    """Main area and sidebar, tables included, no styles or icon ligatures."""
    exceptions: list[str]
    errors: list[str]
    buttons: list[str]


@dataclass
class Tab:
    """One signed-in tab (a person in a role) walking through pages."""

    page: Any
    base: str
    role: str

    def sign_in(self, path: str, lang: Language, landmark: str) -> None:
        """Open ``path`` (a page in ``lang``), sign in on the form it shows, and wait
        for the page itself (``landmark``: text only it shows)."""
        self.open(path)
        self.log_in(lang, landmark)

    def open(self, path: str) -> None:
        """Start loading ``path`` and return at once (the app renders meanwhile)."""
        self.page.goto(self.base + path, wait_until="commit")

    def log_in(self, lang: Language, landmark: str) -> None:
        """Sign in on the form the page shows, then wait for the page itself."""
        self.page.get_by_role("textbox", name=translate("auth.username", lang)).fill(self.role)
        password = translate("auth.password", lang)
        self.page.get_by_role("textbox", name=password).fill(USERS[self.role][1])
        self.page.get_by_role("button", name=translate("auth.sign_in", lang)).click()
        self.page.get_by_text(landmark, exact=False).first.wait_for(timeout=30_000)
        self.settle()

    def start(self, path: str) -> None:
        """Begin moving to ``path`` in this session (returns at once)."""
        self.page.evaluate(_WATCH)
        self.page.evaluate(_NAVIGATE, path)

    def finish(self, landmark: str) -> None:
        """Wait for the move begun by :meth:`start` to have run and to show ``landmark``
        (text only that page shows); a move Streamlit dropped is made once more."""
        with contextlib.suppress(PlaywrightError):
            self.page.wait_for_function("() => window.__gmdSawRun === true", timeout=5_000)
        shown = self.page.get_by_text(landmark, exact=False).first
        try:
            shown.wait_for(timeout=15_000)
        except PlaywrightError:
            self.page.evaluate(_NAVIGATE, self.page.url.removeprefix(self.base))
            try:
                shown.wait_for(timeout=15_000)
            except PlaywrightError as exc:
                raise AssertionError(
                    f"{self.role}: {landmark!r} never appeared at {self.page.url} "
                    f"({self.page.evaluate(_STATE)}): {self.read().text[:300]!r}"
                ) from exc
        self.settle()

    def visit(self, path: str, landmark: str) -> None:
        self.start(path)
        self.finish(landmark)

    def settle(self, timeout_ms: float = 30_000) -> None:
        """Streamlit has finished running and no element is left from the last run."""
        self.page.wait_for_function(_SETTLED, timeout=timeout_ms)

    def read(self) -> Reading:
        return Reading(**self.page.evaluate(_READ))
