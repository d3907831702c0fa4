"""Who is a lead in demo mode, and passwords of any length (pure tables and the real
``gmd users`` command; the browser side is tests/test_browser_access.py)."""

from __future__ import annotations

from pathlib import Path

import bcrypt
import pytest
import yaml
from typer.testing import CliRunner

from dashboard.demo import DemoAccess, demo_access, is_loopback
from dashboard.users import (
    PREHASHED,
    Role,
    UserEntry,
    UsersFileError,
    hash_password,
    load_users,
    password_matches,
    verify,
)
from gmd.cli import app as gmd_app


@pytest.mark.parametrize(
    ("host", "loopback"),
    [
        (None, True),
        ("127.0.0.1", True),
        ("127.8.9.10", True),
        ("::1", True),
        ("[::1]", True),
        ("::ffff:127.0.0.1", True),  # Chromium on http://127.0.0.1 through a dual-stack socket
        ("localhost", True),
        ("app.localhost", True),
        ("0.0.0.0", False),
        ("::", False),
        ("::ffff:10.1.2.3", False),
        ("192.168.1.20", False),
        ("wall.example.com", False),
        ("", False),
    ],
)
def test_loopback(host: str | None, loopback: bool) -> None:
    assert is_loopback(host) is loopback


LOCAL_HEADERS = {"host": "127.0.0.1:8501", "origin": "http://127.0.0.1:8501"}


@pytest.mark.parametrize(
    ("bind", "peer", "headers", "access"),
    [
        ("127.0.0.1", None, LOCAL_HEADERS, DemoAccess.LOCAL),
        ("127.0.0.1", "::ffff:127.0.0.1", LOCAL_HEADERS, DemoAccess.LOCAL),
        ("localhost", None, {"host": "localhost:8501", "origin": "http://localhost:8501"},
         DemoAccess.LOCAL),
        ("::1", None, {"host": "[::1]:8501", "origin": "http://[::1]:8501"}, DemoAccess.LOCAL),
        ("127.0.0.1", None, {}, DemoAccess.LOCAL),
        # listening on the network: nobody is a lead, not even a local browser
        (None, None, LOCAL_HEADERS, DemoAccess.NETWORK),
        ("", None, LOCAL_HEADERS, DemoAccess.NETWORK),
        ("0.0.0.0", None, LOCAL_HEADERS, DemoAccess.NETWORK),
        ("::", None, LOCAL_HEADERS, DemoAccess.NETWORK),
        ("192.168.1.20", None, LOCAL_HEADERS, DemoAccess.NETWORK),
        # a visitor from elsewhere, or through a relay or proxy on this host
        ("127.0.0.1", "10.0.0.7", LOCAL_HEADERS, DemoAccess.REMOTE),
        ("127.0.0.1", None, {"host": "wall.example.com", "origin": "https://wall.example.com"},
         DemoAccess.REMOTE),
        ("127.0.0.1", None, {"host": "127.0.0.1:8501", "origin": "http://192.168.1.20:8080"},
         DemoAccess.REMOTE),
        ("127.0.0.1", None, {**LOCAL_HEADERS, "x-forwarded-for": "203.0.113.9"},
         DemoAccess.REMOTE),
        ("127.0.0.1", None, {**LOCAL_HEADERS, "forwarded": "for=203.0.113.9"}, DemoAccess.REMOTE),
        ("127.0.0.1", None, {**LOCAL_HEADERS, "x-real-ip": "203.0.113.9"}, DemoAccess.REMOTE),
        ("127.0.0.1", None, {"host": "gmd-relay.test:9000"}, DemoAccess.REMOTE),
    ],
)  # fmt: skip
def test_demo_access(
    bind: str | None, peer: str | None, headers: dict[str, str], access: DemoAccess
) -> None:
    assert demo_access(bind, peer, headers) is access


# --- passwords ------------------------------------------------------------------

LONG = "长密码-" * 30  # 330 bytes in UTF-8: bcrypt alone refuses more than 72


def test_any_length_of_password_signs_in() -> None:
    stored = hash_password(LONG, rounds=4)
    assert stored.startswith(PREHASHED)
    entries = {"alice": UserEntry("alice", Role.LEAD, stored)}
    assert verify(entries, "alice", LONG) is not None
    assert verify(entries, "alice", LONG[:-1]) is None
    assert verify(entries, "alice", LONG + "x") is None
    assert verify(entries, "alice", LONG[:72]) is None  # no silent truncation


def test_hashes_written_before_keep_working() -> None:
    legacy = bcrypt.hashpw(b"s3cret", bcrypt.gensalt(rounds=4)).decode("ascii")
    entries = {"bob": UserEntry("bob", Role.VIEWER, legacy)}
    assert verify(entries, "bob", "s3cret") is not None
    assert verify(entries, "bob", "wrong") is None
    assert verify(entries, "bob", LONG) is None  # longer than any plain hash could hold
    assert password_matches("s3cret", legacy)


def test_a_broken_hash_is_one_clear_line() -> None:
    entries = {"eve": UserEntry("eve", Role.LEAD, "not-a-hash")}
    with pytest.raises(UsersFileError, match="user 'eve': password_hash is not a bcrypt hash"):
        verify(entries, "eve", "anything")


def test_gmd_users_add_takes_a_long_password(tmp_path: Path) -> None:
    users = tmp_path / "users.yaml"
    result = CliRunner().invoke(
        gmd_app, ["users", "add", "carol", "--role", "admin", "--file", str(users)],
        input=f"{LONG}\n{LONG}\n",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "Traceback" not in result.output
    raw = yaml.safe_load(users.read_text(encoding="utf-8"))
    assert raw["users"]["carol"]["role"] == "admin"
    assert raw["users"]["carol"]["password_hash"].startswith(PREHASHED)
    assert verify(load_users(users), "carol", LONG) is not None
