"""Who may see what, in a real Chromium against the real app: the kiosk token opens
the wall and nothing else, and demo mode gives lead rights to a browser on this
machine but not to a visitor who comes through a relay on the same host.

One app in demo mode (no users file, no OIDC) with a kiosk token, listening on
127.0.0.1 as ``.streamlit/config.toml`` says.  The relay is a TCP forwarder on
another loopback port — what ``socat`` or a reverse proxy on the same host does —
and Chromium reaches it under a name that is not loopback
(``--host-resolver-rules`` maps it to 127.0.0.1, so no packet leaves the machine),
as a visitor from the network would.
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.browser_support import (
    KIOSK_TOKEN,
    App,
    Stack,
    alert_service,
    browser,
    open_alert,
    start_app,
    wait_ready,
)
from tests.db_support import private_database

pytestmark = [pytest.mark.browser, pytest.mark.integration, pytest.mark.slow]

RELAY_NAME = "gmd-relay.test"
VERBATIM = "退款三天没到账，电话138****5678"
KIOSK_REFUSAL = "A wall token opens the wall only"


class TcpRelay(threading.Thread):
    """Forwards every connection on a loopback port to ``target`` byte for byte."""

    def __init__(self, target: int) -> None:
        super().__init__(daemon=True, name="tcp-relay")
        self.target = target
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = int(self.listener.getsockname()[1])

    def run(self) -> None:
        with contextlib.suppress(OSError):
            while True:
                client, _ = self.listener.accept()
                upstream = socket.create_connection(("127.0.0.1", self.target))
                for a, b in ((client, upstream), (upstream, client)):
                    threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    @staticmethod
    def _pipe(source: socket.socket, sink: socket.socket) -> None:
        with contextlib.suppress(OSError):
            while data := source.recv(65536):
                sink.sendall(data)
        with contextlib.suppress(OSError):
            sink.shutdown(socket.SHUT_WR)

    def close(self) -> None:
        self.listener.close()


@dataclass
class Running:
    app: App
    relay: TcpRelay
    browser: Any
    alert_id: int


@pytest.fixture(scope="module")
def running(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Running]:
    root = tmp_path_factory.mktemp("access")
    with private_database(root) as database_url:
        stack = Stack(root, database_url)
        stack.start()
        app: App | None = None
        relay: TcpRelay | None = None
        try:
            settings = stack.settings()
            client = stack.client()
            service = alert_service(settings, client)
            alert = open_alert(
                service, business_line="tmall", reason="refund", verbatims=[VERBATIM],
                onset=time.time() - 300,
            )  # fmt: skip
            env = {k: v for k, v in stack.env.items() if k != "GMD_USERS_FILE"}  # demo mode
            app = start_app(env, Path(root))
            relay = TcpRelay(int(app.url.rsplit(":", 1)[1]))
            relay.start()
            with browser([f"--host-resolver-rules=MAP {RELAY_NAME} 127.0.0.1"]) as chromium:
                yield Running(app, relay, chromium, alert.id)
        finally:
            if relay is not None:
                relay.close()
            if app is not None:
                app.stop()
            stack.stop()


def _open(running: Running, url: str) -> Any:
    page = running.browser.new_page(viewport={"width": 1400, "height": 900})
    page.goto(url)
    wait_ready(page)
    return page


def test_kiosk_token_opens_the_wall_only(running: Running) -> None:
    """The alert page a ring links to, and the radio (which has a kiosk view of its
    own), refuse the token in one line; the wall with it: tests/test_browser_screens."""
    token = KIOSK_TOKEN
    for path in (
        f"/console?alert={running.alert_id}&token={token}",
        f"/radio?kiosk=1&token={token}",
    ):
        page = _open(running, running.app.url + path)
        page.get_by_text(KIOSK_REFUSAL).wait_for(timeout=10_000)
        assert "退款三天没到账" not in page.inner_text("body"), path
        assert page.locator("[data-testid='stException']").count() == 0, path
        page.close()


def test_demo_browser_on_this_machine_is_lead(running: Running) -> None:
    page = _open(running, f"{running.app.url}/radio")
    sidebar = page.locator("[data-testid='stSidebar']")
    sidebar.get_by_text("The app listens on this machine only").wait_for(timeout=10_000)
    assert "demo (lead)" in sidebar.inner_text()
    page.close()


def test_demo_visitor_through_a_relay_is_a_viewer(running: Running) -> None:
    page = _open(running, f"http://{RELAY_NAME}:{running.relay.port}/radio")
    sidebar = page.locator("[data-testid='stSidebar']")
    sidebar.get_by_text("You came through the network or a proxy").wait_for(timeout=10_000)
    text = sidebar.inner_text()
    assert "guest (viewer)" in text
    assert "local visitors are" not in text
    page.close()
