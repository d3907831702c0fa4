"""``redis+cluster://`` URLs: the start-up nodes of a Redis Cluster, and its credentials.

redis-py reads single-server URLs itself; a cluster URL names several nodes, which no
URL parser takes, so it is read here (pure, so the settings can validate it at start):

    redis+cluster://[user[:password]@]host:port[,host:port …][/0]
    rediss+cluster://…   (TLS)

Any node that answers is enough for the client to learn the whole cluster; listing
several lets it start while one is down.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import unquote


@dataclass(frozen=True)
class ClusterUrl:
    nodes: tuple[tuple[str, int], ...]
    username: str | None = None
    password: str | None = None
    tls: bool = False


def cluster_nodes(url: str) -> ClusterUrl:
    """Parse a cluster URL; a malformed one raises ``ValueError`` saying what is wrong."""
    scheme, sep, rest = url.partition("://")
    if not sep or scheme not in ("redis+cluster", "rediss+cluster"):
        raise ValueError("a cluster URL starts with redis+cluster:// or rediss+cluster://")
    if "?" in rest or "#" in rest:
        raise ValueError("a cluster URL takes no query or fragment")
    credentials, at, hosts = rest.rpartition("@")
    hosts, slash, database = hosts.partition("/")
    if slash and database not in ("", "0"):
        raise ValueError("a Redis Cluster has only database 0")
    username = password = None
    if at:
        user, colon, secret = credentials.partition(":")
        username, password = unquote(user) or None, unquote(secret) if colon else None
    nodes = tuple(_node(part) for part in hosts.split(","))
    return ClusterUrl(nodes, username, password, tls=scheme == "rediss+cluster")


def _node(text: str) -> tuple[str, int]:
    host, colon, port = text.strip().rpartition(":")
    if not colon or not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise ValueError(f"expected host:port for each cluster node, got {text!r}")
    return host.strip("[]"), int(port)
