"""Tables of the qinting sessions and the nine o'clock radio (Alembic revision ``0002``).

Times are epoch seconds (``float``) like the alert tables.  Two constraints carry the
guarantees people rely on:

* ``radio_deliveries`` is unique per (subscription, day): a worker *claims* a digest
  by inserting its row before sending, so several workers, a restart or a manual
  ``gmd radio send-digest`` never send one subscriber the same morning twice;
* ``radio_subscriptions`` is unique per (channel, subscriber): subscribing twice is
  one subscription.
"""

from __future__ import annotations

from sqlalchemy import Float, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from datasources.db import Base


class ListeningSession(Base):
    """One manager listening to one conversation (亲听): who, what, how long."""

    __tablename__ = "qinting_sessions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    listener: Mapped[str] = mapped_column(String(120), index=True)
    conversation_id: Mapped[str] = mapped_column(String(128), index=True)
    business_line: Mapped[str | None] = mapped_column(String(80))
    reason: Mapped[str | None] = mapped_column(String(120))
    channel: Mapped[str | None] = mapped_column(String(40))
    skill_group: Mapped[str | None] = mapped_column(String(80))
    started_at: Mapped[float] = mapped_column(Float, index=True)
    last_seen_at: Mapped[float] = mapped_column(Float)
    """Bumped while the transcript is open, so a closed tab still has a duration."""

    @property
    def duration_s(self) -> float:
        return max(0.0, self.last_seen_at - self.started_at)


class SessionNote(Base):
    """A timestamped note, tag or action during a session (kind ``note``/``ring``/``radio``)."""

    __tablename__ = "qinting_notes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("qinting_sessions.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    author: Mapped[str] = mapped_column(String(120))
    created_at: Mapped[float] = mapped_column(Float)
    text: Mapped[str] = mapped_column(Text, default="")
    tag: Mapped[str | None] = mapped_column(String(60))
    seq: Mapped[int | None] = mapped_column(Integer)
    """The utterance the note is about (a "moment"), when the listener picked one."""
    utterance_ts: Mapped[float | None] = mapped_column(Float)
    ref: Mapped[str | None] = mapped_column(String(60))
    """What an action produced: the alert id rung, the radio case id proposed."""


class RadioChannel(Base):
    """A channel of the radio: one business line, or a topic across lines."""

    __tablename__ = "radio_channels"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    slug: Mapped[str] = mapped_column(String(60), unique=True)
    name_zh: Mapped[str] = mapped_column(String(120))
    name_en: Mapped[str] = mapped_column(String(120))
    business_line: Mapped[str | None] = mapped_column(String(80))
    reason: Mapped[str | None] = mapped_column(String(120))
    created_at: Mapped[float] = mapped_column(Float)

    def name(self, language: str) -> str:
        return self.name_zh if language == "zh" else self.name_en


class RadioCaseRecord(Base):
    """A customer's words proposed for a channel; an editor publishes, edits or rejects it."""

    __tablename__ = "radio_cases"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    channel_id: Mapped[int] = mapped_column(ForeignKey("radio_channels.id"), index=True)
    status: Mapped[str] = mapped_column(String(20), index=True)
    title: Mapped[str] = mapped_column(String(200))
    excerpt: Mapped[str] = mapped_column(Text)
    note: Mapped[str] = mapped_column(Text, default="")
    business_line: Mapped[str | None] = mapped_column(String(80))
    reason: Mapped[str | None] = mapped_column(String(120))
    conversation_id: Mapped[str | None] = mapped_column(String(128))
    session_id: Mapped[int | None] = mapped_column(ForeignKey("qinting_sessions.id"))
    proposed_by: Mapped[str] = mapped_column(String(120))
    proposed_at: Mapped[float] = mapped_column(Float)
    curated_by: Mapped[str | None] = mapped_column(String(120))
    curated_at: Mapped[float | None] = mapped_column(Float)
    published_at: Mapped[float | None] = mapped_column(Float, index=True)
    reject_reason: Mapped[str | None] = mapped_column(Text)


class RadioSubscription(Base):
    """Someone who starts the day with a channel, and where their digest goes (apprise URL)."""

    __tablename__ = "radio_subscriptions"
    __table_args__ = (UniqueConstraint("channel_id", "subscriber", name="uq_radio_subscription"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    channel_id: Mapped[int] = mapped_column(ForeignKey("radio_channels.id"), index=True)
    subscriber: Mapped[str] = mapped_column(String(120))
    url: Mapped[str] = mapped_column(Text)
    created_at: Mapped[float] = mapped_column(Float)


class RadioDelivery(Base):
    """One morning's digest to one subscription: claimed, then sent or failed."""

    __tablename__ = "radio_deliveries"
    __table_args__ = (UniqueConstraint("subscription_id", "day", name="uq_radio_delivery"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    subscription_id: Mapped[int] = mapped_column(ForeignKey("radio_subscriptions.id"))
    day: Mapped[str] = mapped_column(String(10))
    status: Mapped[str] = mapped_column(String(20))
    cases: Mapped[int] = mapped_column(Integer, default=0)
    claimed_at: Mapped[float] = mapped_column(Float)
    sent_at: Mapped[float | None] = mapped_column(Float)
    error: Mapped[str | None] = mapped_column(Text)
