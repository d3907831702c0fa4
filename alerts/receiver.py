"""A local webhook receiver for apprise ``json://`` rings: demos, tests and the benchmark.

``gmd alerts receiver`` runs it on the port the shipped routing example rings
(8599) and prints every ring, so a fresh machine sees the bell without a chat
tool.  Tests and ``bench/alerts.py`` start it in a thread and can make it fail
(answer 500) or hang (answer after the caller's timeout) for the next N requests,
to prove retries deliver exactly one message once it recovers.  Only messages it
answered with 200 count as delivered.
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass(frozen=True)
class Received:
    path: str
    title: str
    body: str
    at: float


class WebhookReceiver:
    """An HTTP server on 127.0.0.1 that records JSON posts (apprise ``json://`` format)."""

    def __init__(self, port: int = 0, host: str = "127.0.0.1") -> None:
        self._lock = threading.Condition()
        self.messages: list[Received] = []
        self.refused = 0
        self._fail: list[tuple[str, float]] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                raw = self.rfile.read(length)
                mode = receiver._next_mode()
                if mode is not None:
                    kind, seconds = mode
                    if kind == "hang":
                        time.sleep(seconds)
                    self.send_response(500 if kind == "fail" else 503)
                    self.end_headers()
                    return
                receiver._record(self.path, raw)
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(b'{"ok": true}')

            def log_message(self, format: str, *args: Any) -> None:
                return

        self.server = ThreadingHTTPServer((host, port), Handler)
        self.server.daemon_threads = True
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def port(self) -> int:
        return int(self.server.server_address[1])

    def url(self, path: str = "ring") -> str:
        """The apprise URL that posts to ``path`` on this receiver."""
        return f"json://127.0.0.1:{self.port}/{path.lstrip('/')}"

    def start(self) -> WebhookReceiver:
        self._thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def __enter__(self) -> WebhookReceiver:
        return self.start()

    def __exit__(self, *_exc: object) -> None:
        self.stop()

    def fail_next(self, count: int) -> None:
        """Answer the next ``count`` posts with HTTP 500 (a broken chat gateway)."""
        with self._lock:
            self._fail.extend([("fail", 0.0)] * count)

    def hang_next(self, count: int, seconds: float) -> None:
        """Hold the next ``count`` posts for ``seconds`` before refusing (a timeout)."""
        with self._lock:
            self._fail.extend([("hang", seconds)] * count)

    def _next_mode(self) -> tuple[str, float] | None:
        with self._lock:
            if not self._fail:
                return None
            self.refused += 1
            return self._fail.pop(0)

    def _record(self, path: str, raw: bytes) -> None:
        try:
            data = json.loads(raw or b"{}")
        except ValueError:
            data = {"message": raw.decode("utf-8", "replace")}
        message = Received(
            path, str(data.get("title", "")), str(data.get("message", "")), time.time()
        )
        with self._lock:
            self.messages.append(message)
            self._lock.notify_all()

    def received(self, path: str | None = None) -> list[Received]:
        with self._lock:
            return [m for m in self.messages if path is None or m.path.rstrip("/").endswith(path)]

    def wait_for(
        self, count: int, timeout_s: float = 10.0, path: str | None = None
    ) -> list[Received]:
        """Block until at least ``count`` messages (to ``path``) arrived, or the timeout."""
        deadline = time.monotonic() + timeout_s
        with self._lock:
            while True:
                got = [
                    m for m in self.messages if path is None or m.path.rstrip("/").endswith(path)
                ]
                left = deadline - time.monotonic()
                if len(got) >= count or left <= 0:
                    return got
                self._lock.wait(left)
