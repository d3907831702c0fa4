"""Every page × every kind of alert × both languages × viewer and lead, in a real Chromium
against the real app, a real ``gmd worker``, a real Redis and a real database (issue 11).

One app and one worker serve the whole module; :func:`~tests.matrix_support.seed`
raises one alert of every kind through the worker once.  Two signed-in tabs (a viewer
and a lead) walk every page in both languages side by side; each visit is checked for
a Streamlit exception, a leaked identifier (:mod:`tests.raw_identifiers`), an
unmasked phone number, and the page's own promise (the forbidden line for a viewer,
the rule for a flag, the negative voices for a storm).  Then a lead acts on every kind
(each offered action must succeed), and a lead woken at 3 a.m. opens a ring's link on
a phone and acknowledges with one tap.
"""

from __future__ import annotations

import re
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest

from alerts.lifecycle import Action, AlertStatus, allowed
from alerts.service import AlertService
from dashboard.i18n import Language, translate
from tests.browser_support import App, Stack, alert_service, browser, start_app, start_worker, stop
from tests.db_support import private_database
from tests.matrix_support import (
    FLAG_CONVERSATION,
    KINDS,
    PHONE,
    Reading,
    Tab,
    seed,
    wait_for_alerts,
)
from tests.raw_identifiers import raw_identifiers

pytestmark = [pytest.mark.browser, pytest.mark.integration, pytest.mark.slow]

LANGS: tuple[Language, ...] = ("zh", "en")
ROLES = ("vera", "li")
"""A viewer and a lead (tests/browser_support.py's users file)."""
ROUTING_IDS = ("warroom", "duty.lead", "standard")
"""The matrix routing file's team, person and policy ids: names must show instead."""
POSITIVE_VOICES = ("体验还不错", "态度很好", "开心", "求推荐", "研究了半天")
BUTTONS = {
    Action.ACKNOWLEDGE: "btn.ack", Action.RING: "btn.ring", Action.SNOOZE: "btn.snooze",
    Action.RESOLVE: "btn.resolve",
}  # fmt: skip
LEAD_ONLY = {"review", "listen", "conversation"}
PAGES = ("wall", "review", "console", *(f"alert:{k}" for k in KINDS), "listen", "radio",
         "conversation")  # fmt: skip
"""In the order visited: a viewer's refused pages never follow each other (same text)."""


@dataclass
class World:
    stack: Stack
    app: App
    service: AlertService
    alerts: dict[str, int]
    chromium: Any
    tabs: dict[str, Tab] = field(default_factory=dict)
    """One signed-in tab per role, kept for the whole module."""
    first_navigation: str = ""
    """The sidebar's page list as the very first visitor (a deep link) saw it."""
    findings: dict[tuple[str, str, str], list[str]] = field(default_factory=dict)

    def path(self, page: str, lang: str) -> str:
        where = {
            "wall": "/?",
            "console": "/console?",
            "review": "/review?",
            "listen": "/listen?business_line=tmall&reason=refund&",
            "conversation": f"/listen?conversation={FLAG_CONVERSATION}&",
            "radio": "/radio?channel=cainiao&",
        }.get(page) or f"/console?alert={self.alerts[page.split(':')[1]]}&"
        return f"{where}lang={lang}"

    def landmark(self, page: str, lang: Language, role: str) -> str:
        """Text that proves ``page`` has loaded for ``role``."""
        if page in LEAD_ONLY and role == "vera":
            return translate("auth.forbidden", lang, role="@", needed="@").split("@")[1].strip()
        return {
            "wall": translate("panel.obstacles", lang),
            "console": translate("console.pick", lang),
            "review": translate("review.targets", lang),
            "listen": "cv-matrix-tmall",
            "conversation": translate("listen.transcript", lang),
            "radio": translate("radio.title", lang),
        }.get(page) or f"#{self.alerts[page.split(':')[1]]} "


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    root = tmp_path_factory.mktemp("matrix")
    with private_database(root) as database_url:
        stack = Stack(root, database_url, prefix="gmdmatrix")
        stack.start()
        app: App | None = None
        worker: subprocess.Popen[bytes] | None = None
        service: AlertService | None = None
        try:
            app = start_app(stack.env, root)
            with browser() as chromium:
                tabs = {}
                for role in ROLES:  # a deep link first (the page a ring opens) on a fresh app,
                    page = chromium.new_page(viewport={"width": 1440, "height": 1000})
                    tabs[role] = Tab(page, app.url, role)  # which warms up while it is fed
                    tabs[role].open(f"/console?lang={LANGS[0]}")
                env = {**stack.env, "GMD_BASE_URL": app.url, "GMD_INSTANCE_NAME": "光明顶-矩阵"}
                worker = start_worker(env, root / "worker.log")
                settings = stack.settings()
                service = alert_service(settings, stack.client())
                seed(settings, stack.client(), service)
                found = World(stack, app, service, wait_for_alerts(service), chromium, tabs)
                for tab in tabs.values():
                    tab.log_in(LANGS[0], found.landmark("console", LANGS[0], tab.role))
                nav = tabs[ROLES[0]].page.locator("[data-testid='stSidebarNav']")
                found.first_navigation = nav.inner_text()
                walk(found)
                yield found
        finally:
            if worker is not None:
                stop(worker)
            if app is not None:
                app.stop()
            if service is not None:
                service.close()
            stack.stop()


def walk(world: World) -> None:
    """Both roles side by side, every page in each language; findings per visit."""
    tabs = list(world.tabs.values())
    for lang in LANGS:
        for name in PAGES:
            for tab in tabs:
                tab.start(world.path(name, lang))
            for tab in tabs:
                try:
                    tab.finish(world.landmark(name, lang, tab.role))
                except AssertionError as exc:
                    world.findings[name, lang, tab.role] = [str(exc)]
                    continue
                world.findings[name, lang, tab.role] = check(world, tab, name, lang)


def check(world: World, tab: Tab, name: str, lang: Language) -> list[str]:
    """What is wrong with the page ``tab`` shows, in words (empty: nothing)."""
    seen = tab.read()
    problems = [f"exception: {e[:200]}" for e in seen.exceptions]
    problems += [
        f"raw identifier {w!r} in …{_around(seen.text, w)}…"
        for w in raw_identifiers(seen.text, lang, ROUTING_IDS)
    ]
    problems += ["an unmasked phone number"] if PHONE in seen.text else []
    if name in LEAD_ONLY and tab.role == "vera":
        if len(seen.errors) != 1 or "\n" in seen.errors[0]:
            problems.append(f"a refusal must be one clear line, got {seen.errors}")
    elif seen.errors:
        problems.append(f"errors on the page: {seen.errors}")
    if name.startswith("alert:"):
        problems += alert_page_promises(world, tab.role, name.split(":")[1], lang, seen)
    return problems


def _around(text: str, word: str, width: int = 40) -> str:
    at = text.find(word)
    return text[max(0, at - width) : at + len(word) + width].replace("\n", " ")


def alert_page_promises(
    world: World, role: str, kind: str, lang: Language, seen: Reading
) -> list[str]:
    problems = []
    status = AlertStatus(world.service.get(world.alerts[kind]).alert.status)
    for action, key in BUTTONS.items():
        shown = translate(key, lang) in seen.buttons
        if shown != (role == "li" and allowed(status, action)):
            problems.append(f"{action.value} {'offered' if shown else 'missing'} ({status.value})")
    if role == "vera" and translate("console.read_only", lang) not in seen.text:
        problems.append("no read-only line for a viewer")
    if kind in ("transcript_flag", "bell"):
        if translate("flag.open", lang) not in seen.text:
            problems.append("no link to the flagged conversation")
        if kind == "transcript_flag" and "安全问题" not in seen.text and "Safety" not in seen.text:
            problems.append("the flag is not named by its rule")
    if kind == "sentiment_storm":
        problems += [
            f"a positive voice as evidence: {w}" for w in POSITIVE_VOICES if w in seen.text
        ]
    return problems


CELLS = [(name, lang, role) for lang in LANGS for name in PAGES for role in ROLES]


@pytest.mark.parametrize(("name", "lang", "role"), CELLS, ids=["-".join(c) for c in CELLS])
def test_every_page_reads_cleanly(world: World, name: str, lang: str, role: str) -> None:
    assert world.findings[name, lang, role] == []


def test_a_deep_link_into_a_fresh_app_runs_the_real_page(world: World) -> None:
    """The first visitor after a start opened /console?…: the page ran inside the app
    (its navigation names the pages), not as a bare file."""
    assert "值班台 Console" in world.first_navigation, world.first_navigation


def test_a_lead_woken_at_3am_acknowledges_from_the_ring_on_a_phone(world: World) -> None:
    """The ring's own link, on a 390×844 touch screen: readable, no sideways scrolling,
    one tap on Acknowledge."""
    alert_id = world.alerts["queue_breach"]
    link = ring_link(world, alert_id)
    context = world.chromium.new_context(
        viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True,
        device_scale_factor=2,
    )  # fmt: skip
    phone = Tab(context.new_page(), world.app.url, "li")
    try:
        phone.sign_in(link.removeprefix(world.app.url), "en", f"#{alert_id} ")
        page = phone.page
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 390, f"the page scrolls sideways ({width} px)"
        ack = page.get_by_role("button", name=translate("btn.ack", "en"), exact=True)
        ack.wait_for(timeout=15_000)
        ack.tap()
        _status_shown(phone, "acknowledged", "en")
        assert world.service.get(alert_id).alert.acked_by == "li"
        assert phone.read().exceptions == []
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
    finally:
        context.close()


def ring_link(world: World, alert_id: int, timeout_s: float = 30.0) -> str:
    """The console link in the first ring the owner received for ``alert_id``."""
    pattern = re.compile(rf"(http://\S+/console\?alert={alert_id})\b")
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        for message in list(world.stack.receiver.messages):
            found = pattern.search(str(message["body"].get("message", "")))
            if found:
                assert "光明顶-矩阵" in message["body"]["message"]  # which instance rang
                return found.group(1)
        time.sleep(0.2)
    raise AssertionError(f"no ring for alert #{alert_id} reached the receiver")


LIFECYCLE = {"sentiment_storm": "zh", "bell": "en"}
"""Kinds a lead takes through every action (note, ring, acknowledge, snooze, resolve,
label); the others are acknowledged, each in one language."""


@pytest.mark.parametrize("kind", [k for k in KINDS if k != "queue_breach"])
def test_every_action_a_lead_is_offered_succeeds(world: World, kind: str) -> None:
    lang: Language = LIFECYCLE.get(kind, LANGS[KINDS.index(kind) % 2])  # type: ignore[assignment]
    alert_id = world.alerts[kind]
    tab = world.tabs["li"]
    tab.visit(f"/console?alert={alert_id}&lang={lang}", f"#{alert_id} ")
    for step in ACTIONS if kind in LIFECYCLE else (acknowledge,):
        step(tab, lang)
        seen = tab.read()
        assert (seen.exceptions, seen.errors) == ([], []), step.__name__
        assert PHONE not in seen.text, step.__name__
    after = world.service.get(alert_id).alert
    if kind in LIFECYCLE:
        assert (after.status, after.label, after.acked_by) == ("resolved", "noise", "li")
    else:
        assert (after.status, after.acked_by) == ("acknowledged", "li")


def _shows(tab: Tab, text: str) -> None:
    tab.page.locator("[data-testid='stMain'] :visible", has_text=text).last.wait_for(timeout=15_000)
    tab.settle()


def _status_shown(tab: Tab, status: str, lang: Language) -> None:
    caption = tab.page.locator("[data-testid='stCaptionContainer']").filter(
        has_text=translate(f"status.{status}", lang)
    )
    caption.first.wait_for(timeout=15_000)
    tab.settle()


def _click(tab: Tab, key: str, lang: Language) -> None:
    tab.page.get_by_role("button", name=translate(key, lang), exact=True).first.click()


def note(tab: Tab, lang: Language) -> None:
    tab.page.get_by_role("textbox", name=translate("console.note", lang)).fill(f"已回拨 {PHONE}")
    _click(tab, "btn.note", lang)
    _shows(tab, "已回拨 138")  # masked: 138****5678


def ring(tab: Tab, lang: Language) -> None:
    _click(tab, "btn.ring", lang)
    dialog = tab.page.get_by_role("dialog")
    dialog.get_by_role("button", name=translate("btn.ring_now", lang)).click()
    dialog.wait_for(state="detached", timeout=15_000)  # it closes once it rang
    tab.page.locator("[data-testid='stAlertContentSuccess']").first.wait_for(timeout=15_000)
    tab.settle()


def acknowledge(tab: Tab, lang: Language) -> None:
    _click(tab, "btn.ack", lang)
    _status_shown(tab, "acknowledged", lang)


def _in_popover(tab: Tab, key: str, lang: Language, fill: str = "") -> None:
    _click(tab, key, lang)
    popover = tab.page.locator("[data-testid='stPopoverBody']")
    if fill:
        popover.get_by_role("textbox").fill(fill)
    popover.get_by_role("button", name=translate(key, lang), exact=True).click()


def snooze(tab: Tab, lang: Language) -> None:
    _in_popover(tab, "btn.snooze", lang)
    _status_shown(tab, "snoozed", lang)


def resolve(tab: Tab, lang: Language) -> None:
    _in_popover(tab, "btn.resolve", lang, fill=f"已处理，客户 {PHONE}")
    _status_shown(tab, "resolved", lang)
    offered = tab.read().buttons
    for key in ("btn.ack", "btn.ring", "btn.snooze", "btn.resolve"):  # nothing senseless now
        assert translate(key, lang) not in offered, key


def label(tab: Tab, lang: Language) -> None:
    tab.page.get_by_role("radio", name=translate("label.noise", lang), exact=True).click()
    tab.page.wait_for_timeout(300)
    tab.settle()


ACTIONS = (note, ring, acknowledge, snooze, resolve, label)


def test_a_lead_logs_a_missed_incident(world: World) -> None:
    tab = world.tabs["li"]
    tab.visit("/console?lang=en", translate("console.pick", "en"))
    tab.page.get_by_text(translate("btn.missed", "en")).first.click()
    what = tab.page.get_by_role("textbox", name=translate("missed.what", "en"))
    what.fill(f"Refund page blank, customer {PHONE}")
    tab.page.locator("[data-testid='stFormSubmitButton'] button").click()
    _shows(tab, "Missed incident #")
    seen = tab.read()
    assert (seen.exceptions, seen.errors) == ([], [])


def test_listening_to_a_topic_from_an_alert_finds_its_conversations(world: World) -> None:
    """Each alert's "listen to customers on this topic" opens the listening page filtered
    to its topic, even straight after another topic (the URL decides, not the filters
    left over in the session)."""
    tab = world.tabs["li"]
    links = {}
    for kind in ("sentiment_storm", "spike"):
        alert_id = world.alerts[kind]
        tab.visit(f"/console?alert={alert_id}&lang=en", f"#{alert_id} ")
        link = tab.page.get_by_role("link", name=translate("listen.topic", "en"))
        links[kind] = str(link.get_attribute("href")).removeprefix(world.app.url)
    for kind, expected, other in (
        ("sentiment_storm", "cv-matrix-cainiao", "cv-matrix-tmall"),
        ("spike", "cv-matrix-tmall", "cv-matrix-cainiao"),
    ):
        tab.visit(links[kind], expected)
        seen = tab.read()
        assert other not in seen.text and seen.exceptions == [], kind
