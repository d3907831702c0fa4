"""How aggregates are laid out in Redis: families, field names, bucket arithmetic.

Writers (:mod:`datasources.aggregates_write`) and readers
(:mod:`datasources.aggregates`) both spell fields through these functions, so
the two sides cannot drift.  One hash per *family × resolution × bucket*
(``keys.aggregate(family, res, bucket)``); a field's cardinality is bounded by
the dimensions (business lines, reasons, skill groups …), never by traffic,
which is what keeps every page read at a fixed cost.

=============  ===============================  ==========================================
family         field                            value
=============  ===============================  ==========================================
contacts       ``bl|reason|channel``            contacts (int)
lines          ``bl``                           contacts (int) — cheap per-line totals
service        ``skill_group|metric``           queue KPI counters of :data:`SERVICE_METRICS`
service_line   ``bl|metric`` (``*`` = total)    the same counters per business line and total
queue          ``skill_group``                  JSON of the newest snapshot in the bucket
voices         ``bl|source|metric``             total, negative, reach (int)
=============  ===============================  ==========================================
"""

from __future__ import annotations

import json
from typing import Final

from datasources.keys import RESOLUTIONS
from datasources.settings import Retention

CONTACTS: Final = "contacts"
LINES: Final = "lines"
SERVICE: Final = "service"
SERVICE_LINE: Final = "service_line"
QUEUE: Final = "queue"
VOICES: Final = "voices"

TOTAL: Final = "*"
"""The ``service_line`` scope that sums every business line."""

SERVICE_METRICS: Final = (
    "offered",
    "answered",
    "answered_in_sl",
    "abandoned",
    "wait_sum",
    "wait_max",
    "robot",
    "agent",
    "cloud_agent",
)
"""Counters per service scope.  ``offered`` is every contact (the robot picks up too:
that is how the pick-up rate is held at 99.9 %); ``wait_sum``/``wait_max`` are seconds."""

QUEUE_FIELDS: Final = (
    "waiting",
    "agents_available",
    "agents_busy",
    "cloud_agents_available",
    "cloud_agents_busy",
    "longest_wait_s",
)

VOICE_METRICS: Final = ("total", "negative", "reach")

NEGATIVE_SENTIMENT: Final = -0.3
"""A voice is negative when its sentiment is below this."""

SEP: Final = "|"


def bucket_start(ts: float, seconds: int) -> int:
    """Start (epoch seconds) of the bucket of width ``seconds`` holding time ``ts``."""
    return int(ts // seconds) * seconds


def ttl_of(resolution: str, retention: Retention) -> int:
    """How long a bucket of this resolution is kept (seconds after its last write)."""
    return {
        "10s": retention.bucket_10s_s,
        "1m": retention.bucket_1m_s,
        "1h": retention.bucket_1h_s,
    }[resolution]


def bucket_range(end: int, count: int, resolution: str) -> list[int]:
    """``count`` consecutive bucket starts ending with the bucket holding ``end``."""
    width = RESOLUTIONS[resolution]
    last = bucket_start(end, width)
    return [last - width * i for i in range(count - 1, -1, -1)]


def contact_field(business_line: str, reason: str, channel: str) -> str:
    return f"{business_line}{SEP}{reason}{SEP}{channel}"


def split_field(field: str) -> list[str]:
    return field.split(SEP)


def metric_field(scope: str, metric: str) -> str:
    """``service`` / ``service_line`` field: a skill group or business line, then a metric."""
    return f"{scope}{SEP}{metric}"


def voice_field(business_line: str, source: str, metric: str) -> str:
    return f"{business_line}{SEP}{source}{SEP}{metric}"


def encode_snapshot(values: dict[str, float | str]) -> str:
    """A queue snapshot as stored in the ``queue`` hash (includes ``ts`` for newest-wins)."""
    return json.dumps(values, separators=(",", ":"))


def decode_snapshot(raw: str) -> dict[str, float | str]:
    data: dict[str, float | str] = json.loads(raw)
    return data


def group_metrics(raw: dict[str, str]) -> dict[str, dict[str, float]]:
    """``{"g1|offered": "3"}`` → ``{"g1": {"offered": 3.0}}`` (service hashes)."""
    out: dict[str, dict[str, float]] = {}
    for field, value in raw.items():
        scope, _, metric = field.rpartition(SEP)
        out.setdefault(scope, {})[metric] = float(value)
    return out
