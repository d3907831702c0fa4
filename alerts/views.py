"""Read-only snapshots of alerts for pages and the CLI (plain data, no session attached).

The service returns these instead of ORM rows so a page can cache or compare
them freely and never triggers a lazy load on a closed session.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from alerts.models import Alert, AlertEvent, Ring, RingAttempt


@dataclass(frozen=True)
class AlertView:
    id: int
    fingerprint: str
    series: str
    kind: str
    metric: str
    business_line: str | None
    reason: str | None
    channel: str | None
    severity: str
    status: str
    raised_by: str
    count: int
    first_seen: float
    last_seen: float
    onset: float
    ended: float | None
    observed: float
    expected: float
    trend: list[float]
    verbatims: list[str]
    anomaly_active: bool
    held_by: str | None
    acked_by: str | None
    acked_at: float | None
    snoozed_until: float | None
    silence_id: int | None
    resolved_by: str | None
    resolved_at: float | None
    label: str | None
    labelled_by: str | None
    owner_team: str
    route: str
    escalation_step: int
    escalation_steps: int
    next_escalation_at: float | None
    updated_at: float
    detail: dict[str, Any] = field(default_factory=dict)
    """What detection or a rule attached: the rule that matched, a queue's KPIs, a bell's
    listener and message."""

    @property
    def ratio(self) -> float:
        """Observed over expected (the wall's "× expected")."""
        return self.observed / self.expected if self.expected else float("inf")

    @classmethod
    def of(cls, row: Alert) -> AlertView:
        return cls(
            **{name: getattr(row, name) for name in _ALERT_FIELDS},
            escalation_steps=len(row.escalation_chain),
        )


_ALERT_FIELDS = [
    name for name in AlertView.__dataclass_fields__ if name not in ("escalation_steps",)
]


@dataclass(frozen=True)
class EventView:
    at: float
    by: str
    action: str
    rule: str
    from_status: str | None
    to_status: str | None
    text: str
    detail: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def of(cls, row: AlertEvent) -> EventView:
        return cls(
            row.at, row.by, row.action, row.rule, row.from_status, row.to_status, row.text,
            dict(row.detail or {}),
        )  # fmt: skip


@dataclass(frozen=True)
class AttemptView:
    person: str
    channel: str
    attempt: int
    ok: bool
    error: str
    at: float

    @classmethod
    def of(cls, row: RingAttempt) -> AttemptView:
        return cls(row.person_id, row.channel, row.attempt, row.ok, row.error, row.at)


@dataclass(frozen=True)
class RingView:
    id: int
    at: float
    by: str
    cause: str
    status: str
    recipients: list[str]
    """The people rung, by name."""
    attempts: list[AttemptView] = field(default_factory=list)

    @classmethod
    def of(cls, row: Ring, attempts: list[RingAttempt]) -> RingView:
        people = [str(r["name"]) for r in row.recipients]
        return cls(
            row.id,
            row.created_at,
            row.by,
            row.cause,
            row.status,
            people,
            [AttemptView.of(a) for a in attempts],
        )


@dataclass(frozen=True)
class AlertDetail:
    """One alert with its timeline (notes included) and its rings with every attempt."""

    alert: AlertView
    timeline: list[EventView]
    rings: list[RingView]

    @property
    def notes(self) -> list[EventView]:
        return [e for e in self.timeline if e.action == "note"]


@dataclass(frozen=True)
class RingTarget:
    """Who a ring would reach, and on which channels (secrets masked)."""

    person: str
    name: str
    channels: list[str]


@dataclass(frozen=True)
class RingReceipt:
    ring_id: int
    created: bool
    """False when the idempotency key matched an earlier ring (nothing new was sent)."""
    status: str
    targets: list[RingTarget]


@dataclass(frozen=True)
class RaiseReceipt:
    alert: AlertView
    opened: bool
    """True when a new alert opened; False when the bell joined an open one."""
    ring_id: int | None
