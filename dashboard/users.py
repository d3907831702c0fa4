"""Roles, people and the local users file (bcrypt hashes) for sites without an IdP.

No Streamlit here: the file format, password checks and role rules are plain
functions, used by the sign-in form, by ``gmd users add`` and by the console's
action gate.  The file is YAML::

    users:
      alice:                       # signs in with the form
        role: lead
        password_hash: bcrypt-sha256$$2b$12$...
      bob@example.com:             # signs in through OIDC; only the role is looked up
        role: admin

Passwords of any length: bcrypt reads at most 72 bytes (and the library refuses
more), so a password is first reduced to ``base64(HMAC-SHA256(salt, password))``
— 44 bytes, no NUL — and that is hashed with bcrypt (passlib's ``bcrypt_sha256``
scheme; keying the HMAC with the bcrypt salt means a leaked unsalted SHA-256 of
the password does not open the hash).  Such hashes start with ``bcrypt-sha256$``;
plain ``$2b$…`` hashes written before keep working.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any, Final

import bcrypt
import yaml

from datasources.settings import Settings


class Role(StrEnum):
    """viewer: wall, read-only · lead: acknowledge, ring, resolve, label · admin: all."""

    VIEWER = "viewer"
    LEAD = "lead"
    ADMIN = "admin"

    def allows(self, needed: Role) -> bool:
        order = list(Role)
        return order.index(self) >= order.index(needed)


class PermissionDenied(Exception):
    """The person's role does not allow the action; the message says who and what."""


class UsersFileError(Exception):
    """The users file is unreadable or malformed; the message names the file and entry."""


@dataclass(frozen=True)
class User:
    """Who is looking: the name recorded on every action, the role, how they came in."""

    name: str
    role: Role
    via: str = "local"
    """``local`` (users file), ``oidc``, ``kiosk`` (token URL) or ``demo`` (no sign-in set up)."""


@dataclass(frozen=True)
class UserEntry:
    name: str
    role: Role
    password_hash: str | None = None


def users_path(settings: Settings) -> Path:
    """The configured users file, else ``<data_dir>/users.yaml`` (used when it exists)."""
    return settings.users_file or settings.data_dir / "users.yaml"


def load_users(path: Path) -> dict[str, UserEntry]:
    """Every entry of the users file; ``{}`` when the file does not exist."""
    if not path.is_file():
        return {}
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        raise UsersFileError(f"{path}: not valid YAML: {str(exc).splitlines()[0]}") from exc
    raw = data.get("users") if isinstance(data, dict) else None
    if not isinstance(raw, dict):
        raise UsersFileError(
            f"{path}: expected a mapping `users:` of name → {{role, password_hash}}"
        )
    entries = {}
    for name, spec in raw.items():
        if not isinstance(spec, dict):
            raise UsersFileError(f"{path}: user {name!r} must be a mapping with a role")
        try:
            role = Role(str(spec.get("role", "")))
        except ValueError:
            raise UsersFileError(
                f"{path}: user {name!r} has role {spec.get('role')!r}; "
                "expected viewer, lead or admin"
            ) from None
        entries[str(name)] = UserEntry(str(name), role, spec.get("password_hash"))
    return entries


PREHASHED: Final = "bcrypt-sha256$"
_SALT_LENGTH: Final = 29
"""``$2b$12$`` and 22 characters: the part of a bcrypt hash that is its salt."""


def _prehash(password: str, salt: bytes) -> bytes:
    digest = hmac.new(salt, password.encode("utf-8"), hashlib.sha256).digest()
    return base64.b64encode(digest)


def hash_password(password: str, rounds: int = 12) -> str:
    """A ``bcrypt-sha256$`` hash of ``password``, whatever its length (``rounds``:
    bcrypt's cost, 2^12 by default)."""
    salt = bcrypt.gensalt(rounds)
    return PREHASHED + bcrypt.hashpw(_prehash(password, salt), salt).decode("ascii")


def password_matches(password: str, stored: str) -> bool:
    """Whether ``password`` is the one ``stored`` was made from (either scheme).

    :class:`UsersFileError` when ``stored`` is not a bcrypt hash at all."""
    try:
        if stored.startswith(PREHASHED):
            hashed = stored[len(PREHASHED) :].encode("ascii")
            return bcrypt.checkpw(_prehash(password, hashed[:_SALT_LENGTH]), hashed)
        secret = password.encode("utf-8")
        if len(secret) > 72:
            return False  # a plain hash was made from at most 72 bytes: not this one
        return bcrypt.checkpw(secret, stored.encode("ascii"))
    except (ValueError, UnicodeEncodeError) as exc:
        raise UsersFileError(f"password_hash is not a bcrypt hash ({exc})") from None


def verify(entries: dict[str, UserEntry], name: str, password: str) -> User | None:
    """The signed-in user, or ``None`` for an unknown name or a wrong password."""
    entry = entries.get(name.strip())
    if entry is None or not entry.password_hash or not password:
        return None
    try:
        matches = password_matches(password, entry.password_hash)
    except UsersFileError as exc:
        raise UsersFileError(f"user {entry.name!r}: {exc}") from None
    return User(entry.name, entry.role, "local") if matches else None


def add_user(path: Path, name: str, role: Role, password: str | None) -> None:
    """Create or replace one entry (the file is created, readable by its owner only)."""
    if not name.strip():
        raise UsersFileError("a user needs a non-empty name")
    data: dict[str, Any] = {"users": {}}
    if path.is_file():
        load_users(path)  # refuse to rewrite a malformed file
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {"users": {}}
    spec: dict[str, str] = {"role": role.value}
    if password:
        spec["password_hash"] = hash_password(password)
    data["users"][name.strip()] = spec
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=True), encoding="utf-8")
    os.chmod(tmp, 0o600)
    tmp.replace(path)


def require(user: User | None, needed: Role, action: str) -> User:
    """The user if their role allows ``action``; otherwise :class:`PermissionDenied`."""
    if user is None:
        raise PermissionDenied(f"{action}: sign in first")
    if not user.role.allows(needed):
        raise PermissionDenied(f"{action}: {user.name} is {user.role.value}, needs {needed.value}")
    return user
