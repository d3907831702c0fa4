"""Listening sessions (亲听) in the database: who listened, to what, how long, what they did.

Qinting is a standing mechanism, not an event, so every session is recorded and the
listening page shows each manager's sessions this month.  A session starts when a
transcript is opened and its ``last_seen_at`` is bumped while it stays open (the
page's live fragment does it), so its duration survives a closed tab.  Notes, tags
on a moment, rung bells and radio proposals are rows of one timeline per session.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import case, func, or_, select, update
from sqlalchemy.orm import Session, sessionmaker

from alerts.masking import mask_pii
from alerts.radio_models import ListeningSession, SessionNote
from datasources.conversations import ConversationSummary

NOTE, RING, RADIO = "note", "ring", "radio"
RESUME_S = 600.0
"""A listener back on the same conversation within this long (a reload, a second tab,
a return from the console) continues their session instead of starting another."""
MIN_SESSION_S = 30.0
"""Shorter than this, with no note and no action, a session was a glance, not a listen:
it is kept but not counted."""


@dataclass(frozen=True)
class SessionRow:
    """One session as the "this month" table shows it."""

    id: int
    listener: str
    conversation_id: str
    business_line: str | None
    reason: str | None
    started_at: float
    duration_s: float
    notes: int
    actions: int


def month_start(now: float, tz: ZoneInfo) -> float:
    """Epoch seconds of the first midnight of the current month in ``tz``."""
    local = datetime.fromtimestamp(now, tz)
    return local.replace(day=1, hour=0, minute=0, second=0, microsecond=0).timestamp()


class ListeningStore:
    """Every read and write of sessions and their notes."""

    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self.sessions = sessions

    def start(self, listener: str, conversation: ConversationSummary, *, now: float) -> int:
        """The listener's session on this conversation: the one they were in a moment ago
        (within :data:`RESUME_S`), else a new one.  A session is what a person did, not
        a page load."""
        with self.sessions() as s:
            recent = s.scalar(
                select(ListeningSession)
                .where(
                    ListeningSession.listener == listener,
                    ListeningSession.conversation_id == conversation.conversation_id,
                    ListeningSession.last_seen_at >= now - RESUME_S,
                    ListeningSession.started_at <= now,
                )
                .order_by(ListeningSession.last_seen_at.desc())
                .limit(1)
            )
            if recent is not None:
                recent.last_seen_at = max(recent.last_seen_at, now)
                s.commit()
                return recent.id
            row = ListeningSession(
                listener=listener,
                conversation_id=conversation.conversation_id,
                business_line=conversation.business_line or None,
                reason=conversation.reason or None,
                channel=conversation.channel or None,
                skill_group=conversation.skill_group or None,
                started_at=now,
                last_seen_at=now,
            )
            s.add(row)
            s.commit()
            return row.id

    def touch(self, session_id: int, *, now: float) -> None:
        """The listener is still here (never moves time backwards)."""
        with self.sessions() as s:
            s.execute(
                update(ListeningSession)
                .where(ListeningSession.id == session_id, ListeningSession.last_seen_at < now)
                .values(last_seen_at=now)
            )
            s.commit()

    def add(
        self,
        session_id: int,
        *,
        author: str,
        kind: str,
        now: float,
        text: str = "",
        tag: str | None = None,
        seq: int | None = None,
        utterance_ts: float | None = None,
        ref: str | None = None,
    ) -> int:
        """Record a note (kind ``note``) or an action (``ring``, ``radio``) in the session."""
        if kind == NOTE and not text.strip() and not tag:
            raise ValueError("a note needs some text or a tag")
        with self.sessions() as s:
            note = SessionNote(
                session_id=session_id,
                kind=kind,
                author=author,
                created_at=now,
                text=mask_pii(text.strip()),
                tag=(tag or "").strip() or None,
                seq=seq,
                utterance_ts=utterance_ts,
                ref=ref,
            )
            s.add(note)
            s.execute(
                update(ListeningSession)
                .where(ListeningSession.id == session_id, ListeningSession.last_seen_at < now)
                .values(last_seen_at=now)
            )
            s.commit()
            return note.id

    def notes(self, session_id: int) -> list[SessionNote]:
        with self.sessions() as s:
            query = select(SessionNote).where(SessionNote.session_id == session_id)
            return list(s.scalars(query.order_by(SessionNote.created_at, SessionNote.id)))

    def get(self, session_id: int) -> ListeningSession | None:
        with self.sessions() as s:
            return s.get(ListeningSession, session_id)

    def this_month(self, now: float, tz: ZoneInfo, listener: str | None = None) -> list[SessionRow]:
        """Sessions since the start of this month (everyone's, or one listener's), newest
        first, with how many notes and actions each produced; a glance (shorter than
        :data:`MIN_SESSION_S` with nothing written or done) is not counted."""
        since = month_start(now, tz)
        is_note = func.sum(case((SessionNote.kind == NOTE, 1), else_=0))
        is_action = func.sum(case((SessionNote.kind.in_((RING, RADIO)), 1), else_=0))
        query = (
            select(ListeningSession, is_note, is_action)
            .outerjoin(SessionNote, SessionNote.session_id == ListeningSession.id)
            .where(ListeningSession.started_at >= since)
            .group_by(ListeningSession.id)
            .having(
                or_(
                    ListeningSession.last_seen_at - ListeningSession.started_at >= MIN_SESSION_S,
                    func.count(SessionNote.id) > 0,
                )
            )
            .order_by(ListeningSession.started_at.desc())
        )
        if listener is not None:
            query = query.where(ListeningSession.listener == listener)
        with self.sessions() as s:
            return [
                SessionRow(
                    id=row.id,
                    listener=row.listener,
                    conversation_id=row.conversation_id,
                    business_line=row.business_line,
                    reason=row.reason,
                    started_at=row.started_at,
                    duration_s=row.duration_s,
                    notes=int(notes or 0),
                    actions=int(actions or 0),
                )
                for row, notes, actions in s.execute(query)
            ]
