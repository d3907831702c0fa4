"""Headless wall sessions: websocket clients speaking Streamlit's own protocol.

Each client opens ``/_stcore/stream`` like a browser tab, asks for the page with
the kiosk query string, and then does what the browser does for
``@st.fragment(run_every=…)``: when the server sends ``auto_rerun`` (interval,
fragment id) it re-runs that fragment every interval.  The time from sending the
re-run to receiving ``script_finished`` is one refresh as the server serves it,
without a renderer's CPU in the way — so fifty of them fit on a small machine.
"""

from __future__ import annotations

import asyncio
import contextlib
import time

import websockets
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from websockets.typing import Origin, Subprotocol


def _rerun(query: str, page_hash: str, fragment_id: str = "") -> bytes:
    msg = BackMsg()
    msg.rerun_script.query_string = query
    msg.rerun_script.page_script_hash = page_hash
    if fragment_id:
        msg.rerun_script.fragment_id = fragment_id
        msg.rerun_script.is_auto_rerun = True
    return bytes(msg.SerializeToString())


async def wall_session(base_url: str, query: str, seconds: float) -> list[float]:
    """Refresh durations (seconds) of one wall session held for ``seconds``."""
    ws_url = base_url.replace("http://", "ws://") + "/_stcore/stream"
    durations: list[float] = []
    async with websockets.connect(
        ws_url, subprotocols=[Subprotocol("streamlit")], origin=Origin(base_url), max_size=None
    ) as ws:
        await ws.send(_rerun(query, ""))
        page_hash, fragment_id, interval = "", "", 0.0
        sent_at: float | None = None
        next_at = float("inf")
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            wait = max(0.01, min(next_at, deadline) - time.monotonic())
            try:
                raw = await asyncio.wait_for(ws.recv(), timeout=wait)
            except TimeoutError:
                if fragment_id and sent_at is None and time.monotonic() >= next_at:
                    sent_at = time.monotonic()
                    await ws.send(_rerun(query, page_hash, fragment_id))
                continue
            msg = ForwardMsg()
            msg.ParseFromString(raw if isinstance(raw, bytes) else raw.encode())
            kind = msg.WhichOneof("type")
            if kind == "new_session":
                page_hash = msg.new_session.page_script_hash
            elif kind == "page_info_changed" or kind == "navigation":
                page_hash = getattr(msg.navigation, "page_script_hash", "") or page_hash
            elif kind == "auto_rerun":
                fragment_id, interval = msg.auto_rerun.fragment_id, msg.auto_rerun.interval
                next_at = time.monotonic() + interval
            elif kind == "script_finished":
                if sent_at is not None:
                    durations.append(time.monotonic() - sent_at)
                    sent_at = None
                if interval:
                    next_at = time.monotonic() + interval
        with contextlib.suppress(Exception):
            await ws.close()
    return durations


async def run_sessions(
    base_url: str, query: str, sessions: int, seconds: float
) -> list[list[float]]:
    """``sessions`` concurrent walls on one server; each one's refresh durations."""

    async def one(index: int) -> list[float]:
        await asyncio.sleep(index * 0.05)  # tabs open one after another, as on a real wall
        try:
            return await wall_session(base_url, query, seconds)
        except (OSError, websockets.WebSocketException):
            return []

    return list(await asyncio.gather(*(one(i) for i in range(sessions))))
