"""Who may act in demo mode (no users file, no OIDC): only a browser on the very
machine that serves the app, and only while the app serves that machine alone.

A loopback peer address is not enough: behind a reverse proxy or a ``socat``
relay on the same host every visitor arrives from ``127.0.0.1``.  So a visitor is
*local* only when all of these hold:

1. the server listens on a loopback interface (``server.address`` 127.0.0.1,
   ``::1`` or ``localhost`` — what ``gmd run`` and ``.streamlit/config.toml`` set
   unless told otherwise); listening on all interfaces makes everyone a viewer;
2. the connection comes from a loopback address (``::ffff:127.0.0.1`` included,
   which is how Chromium on ``http://127.0.0.1`` arrives on a dual-stack socket);
3. the browser addressed the app by a loopback name (the ``Origin`` and ``Host``
   headers): a relay forwards a visitor who typed another address;
4. no proxy says it forwards someone (``X-Forwarded-For``, ``Forwarded``,
   ``X-Real-IP``).

Pure functions; ``dashboard.auth`` reads the inputs from Streamlit.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from enum import StrEnum
from typing import Final
from urllib.parse import urlsplit

FORWARDING_HEADERS: Final = ("x-forwarded-for", "forwarded", "x-real-ip")


class DemoAccess(StrEnum):
    """Why a demo visitor has the rights they have (the sidebar says it)."""

    LOCAL = "local"
    """A browser on this machine, app listening on this machine only: the demo role."""
    NETWORK = "network"
    """The app listens on the network: every visitor is a viewer."""
    REMOTE = "remote"
    """The app listens on loopback but this visitor came through a relay: a viewer."""


def is_loopback(host: str | None) -> bool:
    """``127.0.0.0/8``, ``::1``, ``::ffff:127.x.y.z`` or ``localhost``; ``None`` is
    how Streamlit reports a loopback peer (``st.context.ip_address``)."""
    if host is None:
        return True
    name = host.strip().strip("[]").lower()
    if name == "localhost" or name.endswith(".localhost"):
        return True
    try:
        address = ipaddress.ip_address(name.split("%")[0])
    except ValueError:
        return False
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped.is_loopback
    return address.is_loopback


def _host_of(value: str, *, url: bool) -> str | None:
    """The host name of an ``Origin`` URL or a ``Host`` header (port dropped)."""
    try:
        return urlsplit(value if url else f"//{value}").hostname
    except ValueError:
        return None


def demo_access(
    bind_address: str | None, peer: str | None, headers: Mapping[str, str]
) -> DemoAccess:
    """The rights of a demo visitor; ``headers`` are the request's, keys lower-case."""
    if not bind_address or not is_loopback(bind_address):
        return DemoAccess.NETWORK
    if not is_loopback(peer) or any(headers.get(name) for name in FORWARDING_HEADERS):
        return DemoAccess.REMOTE
    for name, url in (("origin", True), ("host", False)):
        value = headers.get(name)
        if value and value != "null" and not is_loopback(_host_of(value, url=url) or "?"):
            return DemoAccess.REMOTE
    return DemoAccess.LOCAL
