"""The alert engine's tables, as typed SQLAlchemy 2 models.

Times are epoch seconds (``float``), the same clock the anomalies carry, so SQLite
and PostgreSQL store them identically and the quality maths is plain subtraction.
The schema itself is created by the Alembic revision ``0001`` in ``migrations/``;
these classes must stay in step with it.

Two columns carry the concurrency story:

* ``Alert.version`` is SQLAlchemy's ``version_id_col``: every ORM update is an
  ``UPDATE ... WHERE version = :seen``, so two leads pressing *Acknowledge* at once
  produce one transition and one refusal, on either database.
* ``Alert.open_fingerprint`` equals the fingerprint while the alert is not resolved
  and ``NULL`` afterwards; its unique index means two workers folding the same
  anomaly can never open two alerts (NULLs do not collide, so history is kept).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import JSON, Float, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from datasources.db import Base


class Alert(Base):
    """One experience obstacle that a team owns until it is resolved."""

    __tablename__ = "alerts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    fingerprint: Mapped[str] = mapped_column(String(300), index=True)
    open_fingerprint: Mapped[str | None] = mapped_column(String(300), unique=True)
    series: Mapped[str] = mapped_column(String(250))
    kind: Mapped[str] = mapped_column(String(40))
    metric: Mapped[str] = mapped_column(String(60), default="")
    business_line: Mapped[str | None] = mapped_column(String(80), index=True)
    reason: Mapped[str | None] = mapped_column(String(120))
    channel: Mapped[str | None] = mapped_column(String(40))
    severity: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(20), index=True)
    version: Mapped[int] = mapped_column(Integer, default=1)
    raised_by: Mapped[str] = mapped_column(String(120), default="detector")
    anomaly_active: Mapped[bool] = mapped_column(default=True)
    held_by: Mapped[str | None] = mapped_column(String(120))
    count: Mapped[int] = mapped_column(Integer, default=1)
    first_seen: Mapped[float] = mapped_column(Float, index=True)
    last_seen: Mapped[float] = mapped_column(Float)
    onset: Mapped[float] = mapped_column(Float)
    ended: Mapped[float | None] = mapped_column(Float)
    observed: Mapped[float] = mapped_column(Float, default=0.0)
    expected: Mapped[float] = mapped_column(Float, default=0.0)
    score: Mapped[float] = mapped_column(Float, default=0.0)
    trend: Mapped[list[float]] = mapped_column(JSON, default=list)
    verbatims: Mapped[list[str]] = mapped_column(JSON, default=list)
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    acked_by: Mapped[str | None] = mapped_column(String(120))
    acked_at: Mapped[float | None] = mapped_column(Float)
    snoozed_by: Mapped[str | None] = mapped_column(String(120))
    snoozed_until: Mapped[float | None] = mapped_column(Float)
    silence_id: Mapped[int | None] = mapped_column(ForeignKey("silences.id"))
    resolved_by: Mapped[str | None] = mapped_column(String(120))
    resolved_at: Mapped[float | None] = mapped_column(Float)
    label: Mapped[str | None] = mapped_column(String(20))
    labelled_by: Mapped[str | None] = mapped_column(String(120))
    labelled_at: Mapped[float | None] = mapped_column(Float)
    owner_team: Mapped[str] = mapped_column(String(80), index=True)
    route: Mapped[str] = mapped_column(String(80))
    escalation_chain: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    """The policy's steps with their recipients, frozen when the alert opened."""
    escalation_step: Mapped[int] = mapped_column(Integer, default=0)
    """Index in the frozen chain of the next step to fire."""
    active_escalation_id: Mapped[str | None] = mapped_column(String(40))
    """Id of the one pending escalation run; ``NULL`` stops escalation."""
    next_escalation_at: Mapped[float | None] = mapped_column(Float, index=True)
    updated_at: Mapped[float] = mapped_column(Float)

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012


class AlertEvent(Base):
    """The timeline: every state change, note, ring and escalation, with the rule id."""

    __tablename__ = "alert_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    alert_id: Mapped[int] = mapped_column(ForeignKey("alerts.id", ondelete="CASCADE"))
    at: Mapped[float] = mapped_column(Float)
    by: Mapped[str] = mapped_column(String(120))
    action: Mapped[str] = mapped_column(String(30))
    rule: Mapped[str] = mapped_column(String(30))
    from_status: Mapped[str | None] = mapped_column(String(20))
    to_status: Mapped[str | None] = mapped_column(String(20))
    text: Mapped[str] = mapped_column(Text, default="")
    """Words a person gave (a note, a comment, a reason, a bell's message), masked."""
    detail: Mapped[dict[str, Any] | None] = mapped_column(JSON, default=dict)
    """The facts behind the rule (a team, a time, a severity, who was rung), which the
    timeline puts into words in the reader's language; ``NULL`` on rows older than it."""
    alert: Mapped[Alert] = relationship()
    """Lets a new alert's first events be added before the alert has its id."""

    __table_args__ = (Index("ix_alert_events_alert_at", "alert_id", "at"),)


class Team(Base):
    """A team from the routing file (synced at start, so pages can list owners)."""

    __tablename__ = "teams"

    name: Mapped[str] = mapped_column(String(80), primary_key=True)
    display: Mapped[str] = mapped_column(String(200))
    rotation: Mapped[str] = mapped_column(String(10))
    members: Mapped[list[str]] = mapped_column(JSON, default=list)


class Person(Base):
    """Someone who can be rung; channels are apprise URLs."""

    __tablename__ = "people"

    id: Mapped[str] = mapped_column(String(120), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))


class Channel(Base):
    __tablename__ = "channels"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    person_id: Mapped[str] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"))
    url: Mapped[str] = mapped_column(Text)


class Silence(Base):
    """A matcher that keeps matching alerts quiet until it expires."""

    __tablename__ = "silences"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    matcher: Mapped[dict[str, str]] = mapped_column(JSON)
    created_by: Mapped[str] = mapped_column(String(120))
    reason: Mapped[str] = mapped_column(Text)
    created_at: Mapped[float] = mapped_column(Float)
    expires_at: Mapped[float] = mapped_column(Float, index=True)


class Ring(Base):
    """One decision to ring people about an alert (the outbox row).

    Written in the same transaction as the state change that caused it and
    delivered after the commit; ``idempotency_key`` is unique, so a double click,
    a retried request or a duplicate escalation run finds the existing ring.
    """

    __tablename__ = "rings"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    alert_id: Mapped[int] = mapped_column(ForeignKey("alerts.id", ondelete="CASCADE"))
    idempotency_key: Mapped[str] = mapped_column(String(200), unique=True)
    by: Mapped[str] = mapped_column(String(120))
    cause: Mapped[str] = mapped_column(String(40))
    recipients: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    title: Mapped[str] = mapped_column(Text)
    body: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(20), index=True)
    created_at: Mapped[float] = mapped_column(Float)
    claimed_at: Mapped[float | None] = mapped_column(Float)
    """When a deliverer took it; a stale claim (crashed process) is taken over."""
    finished_at: Mapped[float | None] = mapped_column(Float)


class RingAttempt(Base):
    """One try at delivering a ring to one channel, successful or not."""

    __tablename__ = "ring_attempts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    ring_id: Mapped[int] = mapped_column(ForeignKey("rings.id", ondelete="CASCADE"), index=True)
    person_id: Mapped[str] = mapped_column(String(120))
    channel: Mapped[str] = mapped_column(Text)
    """The apprise URL with secrets masked (what the console shows)."""
    attempt: Mapped[int] = mapped_column(Integer)
    ok: Mapped[bool] = mapped_column()
    error: Mapped[str] = mapped_column(Text, default="")
    at: Mapped[float] = mapped_column(Float)
    duration_s: Mapped[float] = mapped_column(Float)


class MissedIncident(Base):
    """An incident the engine did not raise, logged by a lead (the miss-rate numerator)."""

    __tablename__ = "missed_incidents"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    occurred_at: Mapped[float] = mapped_column(Float, index=True)
    logged_by: Mapped[str] = mapped_column(String(120))
    logged_at: Mapped[float] = mapped_column(Float)
    business_line: Mapped[str | None] = mapped_column(String(80))
    reason: Mapped[str | None] = mapped_column(String(120))
    description: Mapped[str] = mapped_column(Text, default="")
