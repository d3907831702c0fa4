"""The anomaly: what detection (and transcript rules) hand to the alert engine.

Anomalies travel on the ``anomalies`` Redis stream as one JSON field plus the
contract version ``v``.  One ongoing incident is one fingerprint (series + kind):
the detector re-publishes it with ``status="ongoing"`` while it lasts and once
more with ``status="ended"`` when it subsides.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from enum import StrEnum
from typing import Any

ANOMALY_VERSION = "1"


class AnomalyKind(StrEnum):
    SPIKE = "spike"
    DROP = "drop"
    QUEUE_BREACH = "queue_breach"
    SENTIMENT_STORM = "sentiment_storm"
    TRANSCRIPT_FLAG = "transcript_flag"


class Severity(StrEnum):
    CRITICAL = "critical"
    MAJOR = "major"
    MINOR = "minor"
    INFO = "info"

    @property
    def rank(self) -> int:
        """0 is the most severe; sort ascending to put critical first."""
        return list(Severity).index(self)


class AnomalyStatus(StrEnum):
    ONGOING = "ongoing"
    ENDED = "ended"


@dataclass
class Anomaly:
    """One experience obstacle as detected: what, how big, since when, in whose words."""

    series: str
    kind: AnomalyKind
    status: AnomalyStatus
    onset: float
    """Epoch seconds (event time) when the incident started."""
    updated: float
    """Epoch seconds (event time) of the latest bucket that confirmed it."""
    observed: float
    expected: float
    severity: Severity
    score: float
    metric: str = "contacts_per_min"
    business_line: str | None = None
    reason: str | None = None
    channel: str | None = None
    skill_group: str | None = None
    source: str | None = None
    ended: float | None = None
    trend: list[float] = field(default_factory=list)
    verbatims: list[str] = field(default_factory=list)
    """Up to five sample customer verbatims, already masked."""
    detail: dict[str, Any] = field(default_factory=dict)

    @property
    def fingerprint(self) -> str:
        return f"{self.series}#{self.kind.value}"

    @property
    def ratio(self) -> float:
        """Observed over expected ("× expected" on the wall)."""
        return self.observed / self.expected if self.expected else float("inf")

    def to_fields(self) -> dict[str, str]:
        return {"v": ANOMALY_VERSION, "json": json.dumps(asdict(self), ensure_ascii=False)}

    @classmethod
    def from_fields(cls, fields: dict[str, str]) -> Anomaly:
        data = json.loads(fields["json"])
        data["kind"] = AnomalyKind(data["kind"])
        data["status"] = AnomalyStatus(data["status"])
        data["severity"] = Severity(data["severity"])
        return cls(**data)
