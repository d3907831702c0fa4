"""Test helpers for qinting and the radio: events, a migrated database, an HTTP receiver."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from datasources.db import make_engine, make_sessionmaker
from datasources.migrate import upgrade
from datasources.schemas import ContactEvent, Utterance


def utterance(
    conversation_id: str,
    seq: int,
    text: str,
    *,
    speaker: str = "customer",
    ts: float | None = None,
    business_line: str = "tmall",
    reason: str = "refund",
    channel: str = "chat",
    skill_group: str = "tmall-aftersales",
    final: bool = False,
    customer_id: str | None = "c-1",
    agent_id: str | None = None,
) -> Utterance:
    return Utterance.model_validate(
        {
            "v": "1",
            "ts": round((ts if ts is not None else time.time()) * 1000),
            "conversation_id": conversation_id,
            "seq": seq,
            "speaker": speaker,
            "text": text,
            "business_line": business_line,
            "reason": reason,
            "channel": channel,
            "skill_group": skill_group,
            "final": final,
            "customer_id": customer_id,
            "agent_id": agent_id,
        }
    )


def contact(customer_id: str, ts: float, reason: str = "refund") -> ContactEvent:
    return ContactEvent.model_validate(
        {
            "v": "1",
            "ts": round(ts * 1000),
            "contact_id": f"k-{ts}",
            "channel": "hotline",
            "business_line": "tmall",
            "reason": reason,
            "skill_group": "tmall-aftersales",
            "handled_by": "agent",
            "waited_s": 12.5,
            "outcome": "answered",
            "customer_id": customer_id,
        }
    )


def migrated_sessions(url: str) -> sessionmaker[Session]:
    upgrade(url)
    return make_sessionmaker(make_engine(url))


class Receiver:
    """A real local HTTP server standing in for a chat tool (apprise ``json://``)."""

    def __init__(self) -> None:
        self.messages: list[dict[str, Any]] = []
        self.status = 200
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", 0))
                body = self.rfile.read(length)
                with receiver.lock:
                    status = receiver.status
                    if status == 200:
                        receiver.messages.append({"path": self.path, **json.loads(body or b"{}")})
                self.send_response(status)
                self.end_headers()

            def log_message(self, *args: object) -> None:
                return

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def port(self) -> int:
        return int(self.server.server_address[1])

    def url(self, path: str = "digest") -> str:
        return f"json://127.0.0.1:{self.port}/{path}"

    def wait_for(self, count: int, timeout_s: float = 10.0) -> list[dict[str, Any]]:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            with self.lock:
                if len(self.messages) >= count:
                    return list(self.messages)
            time.sleep(0.05)
        with self.lock:
            return list(self.messages)


@contextmanager
def running_receiver() -> Iterator[Receiver]:
    receiver = Receiver()
    receiver.thread.start()
    try:
        yield receiver
    finally:
        receiver.server.shutdown()
        receiver.server.server_close()
