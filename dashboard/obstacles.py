"""Which obstacles the wall shows first, and the one-line answer to "is anything on
fire, and is someone on it".

Pure functions over :class:`~alerts.views.AlertView`: no Streamlit, no Redis.  An
obstacle's *impact* is the number of customers it touches per minute, in the unit
its detector measured: extra contacts for a spike, contacts that no longer get
through for a drop, extra negative posts for a sentiment storm, customers queueing
in the skill group for a queue breach.  A transcript flag (or a listener's bell) is
one conversation: it is shown in its own compact strip, never as a card competing
with a line-wide incident.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from alerts.views import AlertView
from datasources.series import parse_series

SINGLE_CONVERSATION_KINDS: frozenset[str] = frozenset({"transcript_flag"})
SEVERITIES: tuple[str, ...] = ("critical", "major", "minor", "info")


@dataclass(frozen=True)
class Obstacle:
    """An open alert as the wall shows it (masked words, who acknowledged)."""

    alert_id: int
    severity: str
    kind: str
    business_line: str | None
    reason: str | None
    series: str
    ratio: float | None
    onset: float
    status: str
    acked_by: str | None
    acked_at: float | None
    trend: list[float]
    verbatims: list[str]
    metric: str = ""
    observed: float = 0.0
    expected: float = 0.0
    impact: float = 0.0
    """Customers touched per minute (see the module docstring); 1 for one conversation."""
    detail: dict[str, Any] = field(default_factory=dict)
    """What a rule or the detector attached (a flag's rule names it)."""

    @property
    def single_conversation(self) -> bool:
        return self.kind in SINGLE_CONVERSATION_KINDS


def severity_rank(severity: str) -> int:
    return SEVERITIES.index(severity) if severity in SEVERITIES else len(SEVERITIES)


def skill_group_of(series: str) -> str | None:
    """The skill group of a queue series (``None`` for any other family)."""
    try:
        return parse_series(series).get("skill_group")
    except ValueError:
        return None


def impact_of(alert: AlertView, waiting: Mapping[str, float]) -> float:
    """Customers per minute the alert touches; ``waiting`` is customers queueing now
    per skill group (a queue breach's impact)."""
    if alert.kind in SINGLE_CONVERSATION_KINDS:
        return 1.0
    if alert.kind == "queue_breach":
        group = skill_group_of(alert.series)
        return float(waiting.get(group, 0.0)) if group else 0.0
    if alert.kind == "drop":
        return max(alert.expected - alert.observed, 0.0)
    return max(alert.observed - alert.expected, 0.0)


def to_obstacle(
    alert: AlertView, verbatims_n: int, waiting: Mapping[str, float] | None = None
) -> Obstacle:
    rated = alert.kind in ("spike", "drop", "sentiment_storm") and alert.expected > 0
    return Obstacle(
        alert_id=alert.id,
        severity=alert.severity,
        kind=alert.kind,
        business_line=alert.business_line,
        reason=alert.reason,
        series=alert.series,
        ratio=alert.observed / alert.expected if rated else None,
        onset=alert.onset,
        status=alert.status,
        acked_by=alert.acked_by,
        acked_at=alert.acked_at,
        trend=[float(v) for v in alert.trend][-60:],
        verbatims=[str(v) for v in alert.verbatims][:verbatims_n],
        metric=alert.metric,
        observed=alert.observed,
        expected=alert.expected,
        impact=impact_of(alert, waiting or {}),
        detail=dict(alert.detail),
    )


def rank_obstacles(obstacles: Sequence[Obstacle]) -> list[Obstacle]:
    """Largest impact first; then the more severe, then the unacknowledged."""
    return sorted(
        obstacles, key=lambda o: (-o.impact, severity_rank(o.severity), o.status != "open")
    )


@dataclass(frozen=True)
class Headline:
    """The wall's verdict over every open obstacle of the view (not just those shown)."""

    critical: int
    unacknowledged: int
    handled: int
    conversations: int
    critical_unacknowledged: int

    @property
    def total(self) -> int:
        return self.unacknowledged + self.handled

    @property
    def state(self) -> str:
        """``fire`` (a critical obstacle nobody has taken), ``waiting`` (something not
        yet acknowledged), ``handled`` (everything open has someone on it) or ``clear``."""
        if self.critical_unacknowledged:
            return "fire"
        if self.unacknowledged:
            return "waiting"
        return "handled" if self.handled else "clear"


def headline_of(obstacles: Sequence[Obstacle]) -> Headline:
    """The verdict over the line-wide obstacles; single-conversation risks are counted
    beside it (forty threats in a busy hour must not keep the wall red: each has a
    line in the strip, and its owner was rung)."""
    wide = [o for o in obstacles if not o.single_conversation]
    unacked = [o for o in wide if o.acked_by is None]
    return Headline(
        critical=sum(o.severity == "critical" for o in wide),
        unacknowledged=len(unacked),
        handled=len(wide) - len(unacked),
        conversations=len(obstacles) - len(wide),
        critical_unacknowledged=sum(o.severity == "critical" for o in unacked),
    )
