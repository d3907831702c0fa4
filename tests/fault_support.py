"""Shared pieces of the fault suite: real ``gmd worker`` processes, hostile entries, and
a scan of everything a deployment stored for personal data.

The hostile entries are the trial's poison events, as raw stream fields (bytes, so an
entry can hold what no producer library would write: invalid UTF-8, a 50,000-deep
JSON array).  Each comes with the field its dead letter's reason must name.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from datasources.keys import Keys
from datasources.schemas import EXAMPLE_FIELDS

PHONE = "13812345678"
ID_CARD = "110101199003078515"
CARD = "6222021234567890128"
EMAIL = "zhang.san@example.com"
PLANTED = (PHONE, ID_CARD, CARD, EMAIL)
"""Personal data planted in hostile entries; none of it may be stored in clear."""
PII_TEXT = f"我的手机{PHONE}，身份证{ID_CARD}，卡号{CARD}，邮箱{EMAIL}"


@dataclass(frozen=True)
class Hostile:
    """One poison entry: where it goes, its raw fields, the field its reason names."""

    name: str
    feed: str
    fields: dict[bytes, bytes]
    reason: str
    """What the dead letter's reason must contain (the field, or ``UTF-8``)."""


def _raw(fields: dict[str, Any]) -> dict[bytes, bytes]:
    return {k.encode(): (v if isinstance(v, bytes) else str(v).encode()) for k, v in fields.items()}


def _plain(feed: str, **change: Any) -> dict[bytes, bytes]:
    return _raw({**EXAMPLE_FIELDS[feed], **change})


def _json(body: str) -> dict[bytes, bytes]:
    return {b"json": body.encode()}


def _example_json(feed: str, **change: Any) -> str:
    data: dict[str, Any] = dict(EXAMPLE_FIELDS[feed])
    data.update(change)
    return json.dumps(data, ensure_ascii=False)


SURROGATE = b'"\xed\xa0\x80"'
"""A JSON string holding an encoded surrogate: not UTF-8 (strict decoders refuse it)."""


def hostile_entries(now: float) -> list[Hostile]:
    """The trial's poison events, and a few of their cousins."""
    deep = "[" * 50_000 + "]" * 50_000
    nested = _example_json("contacts").rstrip("}") + ', "verbatim": ' + "[" * 5000 + "]" * 5000
    long_digits = _example_json("voices").rstrip("}") + ', "reach": ' + "1" * 5000 + "}"
    future_ms = str(round((now + 3600) * 1000))
    return [
        Hostile("deep JSON", "contacts", _json(deep), "json"),
        Hostile("deep JSON in a field", "contacts", _json(nested + "}"), "json"),
        Hostile("JSON number of 5,000 digits", "voices", _json(long_digits), "json"),
        Hostile(
            "invalid UTF-8 in a value",
            "contacts",
            _plain("contacts", verbatim=b"\xff\xfe\x80 " + PII_TEXT.encode()),
            "UTF-8",
        ),
        Hostile(
            "invalid UTF-8 in a field name",
            "queue",
            {**_plain("queue"), b"\xc3\x28oops": b"1"},
            "UTF-8",
        ),
        Hostile(
            "invalid UTF-8 inside the json field",
            "voices",
            {
                b"json": _example_json("voices", text="x")
                .encode()
                .replace(b'"x"', b'"\xed\xa0\x80"')
            },
            "UTF-8",
        ),
        Hostile(
            "a lone surrogate escaped inside the json field (found by bench/fuzz.py)",
            "voices",
            _json(_example_json("voices", text="x").replace('"x"', '"x\\ud800"')),
            "text",
        ),
        Hostile("reach 10^17", "voices", _plain("voices", reach=10**17), "reach"),
        Hostile("waited_s 1e308", "contacts", _plain("contacts", waited_s="1e308"), "waited_s"),
        Hostile("year 9999", "contacts", _plain("contacts", ts="9999-12-31T23:59:59Z"), "ts"),
        Hostile("year 1", "contacts", _plain("contacts", ts="0001-01-01T00:00:00Z"), "ts"),
        Hostile("year 1, +14:00", "queue", _plain("queue", ts="0001-01-01T00:00:00+14:00"), "ts"),
        Hostile("ts 1e300", "voices", _plain("voices", ts="1e300"), "ts"),
        Hostile("an hour ahead", "conversations", _plain("conversations", ts=future_ms), "ts"),
        Hostile(
            "bad channel with personal data",
            "contacts",
            _plain("contacts", channel="fax", verbatim=PII_TEXT),
            "channel",
        ),
        Hostile(
            "over-long text starting with a phone",
            "voices",
            _plain("voices", text=f"{PHONE} " + "很" * 9000),
            "text",
        ),
        Hostile(
            "personal data as a code",
            "contacts",
            _plain("contacts", business_line=PHONE + EMAIL),
            "business_line",
        ),
    ]


def settled(raw: Any, streams: list[str], group: str) -> bool:
    """Every entry of ``streams`` delivered to ``group`` and acknowledged (``raw``: a client
    returning bytes, since the entries may not be UTF-8)."""
    for stream in streams:
        newest = raw.xrevrange(stream, count=1)
        if not newest:
            continue
        if int(raw.xpending(stream, group)["pending"]):
            return False
        found = {g["name"].decode(): g for g in raw.xinfo_groups(stream)}
        if found[group]["last-delivered-id"] != newest[0][0]:
            return False
    return True


def stored_text(client: Any, keys: Keys) -> Iterator[tuple[str, str]]:
    """``(key, text)`` for every key name, value, field and member under the prefix, except
    the feed streams themselves (the producers' input, personal data included)."""
    feeds = set(keys.feed_streams.values())
    for key in client.scan_iter(match=f"{keys.prefix}:*", count=1000):
        if key in feeds:
            continue
        yield key, key
        kind = client.type(key)
        if kind == "string":
            yield key, client.get(key) or ""
        elif kind == "hash":
            for field, value in client.hgetall(key).items():
                yield key, f"{field}={value}"
        elif kind == "list":
            yield from ((key, item) for item in client.lrange(key, 0, -1))
        elif kind == "set":
            yield from ((key, member) for member in client.smembers(key))
        elif kind == "zset":
            yield from ((key, member) for member in client.zrange(key, 0, -1))
        elif kind == "stream":
            for _id, fields in client.xrange(key):
                yield from ((key, f"{f}={v}") for f, v in fields.items())


def leaks(texts: Iterator[tuple[str, str]], planted: tuple[str, ...] = PLANTED) -> list[str]:
    """Every stored text holding a planted piece of personal data in clear."""
    return [f"{key}: {text[:120]}" for key, text in texts if any(p in text for p in planted)]


def wait_until(condition: Callable[[], object], timeout_s: float = 30.0, what: str = "") -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what or condition}"
        time.sleep(0.05)


@contextmanager
def worker_process(env: dict[str, str], name: str, log: Path) -> Iterator[subprocess.Popen[bytes]]:
    """A real ``gmd worker`` writing its log to ``log``; SIGTERM (then SIGKILL) at the end."""
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "gmd", "worker", "--name", name, "--log-level", "INFO"],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
        try:
            yield proc
        finally:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
                try:
                    proc.wait(30)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait(10)
