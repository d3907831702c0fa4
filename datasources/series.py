"""Series identifiers: the names that link aggregates, detection, alerts and labels.

A series id is a colon-separated path with ``*`` for "all":

* ``contacts:{business_line}:{reason}:{channel}`` — contact counts, e.g.
  ``contacts:tmall:refund:*`` (every channel) or ``contacts:tmall:*:*``.
* ``queue:{skill_group}`` — the queue KPIs of one skill group.
* ``voices:{business_line}:{source}`` — external voices, e.g. ``voices:taobao:*``.
* ``conversation:{conversation_id}`` — one live conversation (transcript rules).

The simulator's labels file, the detector, the alert fingerprint and the pages
all use these functions, so the names can never drift apart.
"""

from __future__ import annotations

ALL = "*"


def contact_series(business_line: str = ALL, reason: str = ALL, channel: str = ALL) -> str:
    return f"contacts:{business_line}:{reason}:{channel}"


def queue_series(skill_group: str) -> str:
    return f"queue:{skill_group}"


def voice_series(business_line: str = ALL, source: str = ALL) -> str:
    return f"voices:{business_line}:{source}"


def conversation_series(conversation_id: str) -> str:
    return f"conversation:{conversation_id}"


def parse_series(series: str) -> dict[str, str]:
    """Split a series id into its named dimensions (``*`` parts are left out)."""
    family, *parts = series.split(":")
    names = {
        "contacts": ("business_line", "reason", "channel"),
        "queue": ("skill_group",),
        "voices": ("business_line", "source"),
        "conversation": ("conversation_id",),
    }.get(family)
    if names is None or len(parts) != len(names):
        raise ValueError(f"not a series id: {series!r}")
    dims = {"family": family}
    dims.update({n: v for n, v in zip(names, parts, strict=True) if v != ALL})
    return dims
