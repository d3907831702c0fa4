"""The radio's persistence: channels, the curation queue, subscriptions, deliveries.

Cases move ``proposed → published`` or ``proposed → rejected``; an editor may edit a
proposed case's title, words and note as they publish it.  Anything else (publishing
twice, editing a rejected case) is refused with :class:`CaseStateError`, whose message
a page shows as it is.  A digest delivery is *claimed* by inserting its row (unique
per subscription and day) before anything is sent, so it leaves once.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import and_, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from alerts.masking import mask_pii
from alerts.radio import RadioCase
from alerts.radio_models import RadioCaseRecord, RadioChannel, RadioDelivery, RadioSubscription
from datasources.catalog import BUSINESS_LINES

PROPOSED, PUBLISHED, REJECTED = "proposed", "published", "rejected"
STALE_CLAIM_S = 600.0
"""A delivery still "sending" after this long was abandoned (its worker died)."""


class CaseStateError(ValueError):
    """The case is not in a state that allows this (message is one line for people)."""


@dataclass(frozen=True)
class Proposal:
    """What a listener or agent sends to the radio."""

    title: str
    excerpt: str
    note: str = ""
    business_line: str | None = None
    reason: str | None = None
    conversation_id: str | None = None
    session_id: int | None = None


class RadioStore:
    """Every radio read and write; pages and the digest sender go through it."""

    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self.sessions = sessions

    # channels -------------------------------------------------------------------
    def ensure_channel(
        self,
        slug: str,
        name_zh: str,
        name_en: str,
        *,
        now: float,
        business_line: str | None = None,
        reason: str | None = None,
    ) -> RadioChannel:
        """The channel with this slug, created if missing (safe to call concurrently)."""
        with self.sessions() as s:
            found = s.scalar(select(RadioChannel).where(RadioChannel.slug == slug))
            if found is not None:
                return found
            channel = RadioChannel(
                slug=slug,
                name_zh=name_zh,
                name_en=name_en,
                business_line=business_line,
                reason=reason,
                created_at=now,
            )
            s.add(channel)
            try:
                s.commit()
            except IntegrityError:
                s.rollback()
                return s.scalars(select(RadioChannel).where(RadioChannel.slug == slug)).one()
            return channel

    def ensure_business_line_channels(self, now: float) -> None:
        """One channel per known business line, so a fresh install has somewhere to publish."""
        for code, entry in BUSINESS_LINES.items():
            self.ensure_channel(code, entry.zh, entry.en, now=now, business_line=code)

    def channels(self) -> list[RadioChannel]:
        with self.sessions() as s:
            return list(s.scalars(select(RadioChannel).order_by(RadioChannel.slug)))

    def channel(self, channel_id: int) -> RadioChannel | None:
        with self.sessions() as s:
            return s.get(RadioChannel, channel_id)

    # curation -------------------------------------------------------------------
    def propose(self, channel_id: int, proposal: Proposal, *, by: str, now: float) -> int:
        """Queue a case for the editors; every text is masked (the words again, belt and
        braces: a title or a note typed by a person may carry a phone number too)."""
        if not proposal.title.strip() or not proposal.excerpt.strip():
            raise CaseStateError("a case needs a title and the customer's words")
        with self.sessions() as s:
            if s.get(RadioChannel, channel_id) is None:
                raise CaseStateError(f"there is no radio channel #{channel_id}")
            case = RadioCaseRecord(
                channel_id=channel_id,
                status=PROPOSED,
                title=mask_pii(proposal.title.strip())[:200],
                excerpt=mask_pii(proposal.excerpt.strip()),
                note=mask_pii(proposal.note.strip()),
                business_line=proposal.business_line,
                reason=proposal.reason,
                conversation_id=proposal.conversation_id,
                session_id=proposal.session_id,
                proposed_by=by,
                proposed_at=now,
            )
            s.add(case)
            s.commit()
            return case.id

    def queue(self, channel_id: int | None = None) -> list[RadioCaseRecord]:
        """Proposed cases waiting for an editor, oldest first."""
        query = select(RadioCaseRecord).where(RadioCaseRecord.status == PROPOSED)
        if channel_id is not None:
            query = query.where(RadioCaseRecord.channel_id == channel_id)
        with self.sessions() as s:
            return list(s.scalars(query.order_by(RadioCaseRecord.proposed_at)))

    def publish(
        self,
        case_id: int,
        *,
        by: str,
        now: float,
        title: str | None = None,
        excerpt: str | None = None,
        note: str | None = None,
    ) -> None:
        """Publish a proposed case, with the editor's changes if any."""
        values: dict[str, object] = {
            "status": PUBLISHED,
            "curated_by": by,
            "curated_at": now,
            "published_at": now,
        }
        if title is not None and title.strip():
            values["title"] = mask_pii(title.strip())[:200]
        if excerpt is not None and excerpt.strip():
            values["excerpt"] = mask_pii(excerpt.strip())
        if note is not None:
            values["note"] = mask_pii(note.strip())
        self._transition(case_id, values, "publish")

    def reject(self, case_id: int, *, by: str, now: float, reason: str = "") -> None:
        values: dict[str, object] = {
            "status": REJECTED,
            "curated_by": by,
            "curated_at": now,
            "reject_reason": mask_pii(reason.strip()),
        }
        self._transition(case_id, values, "reject")

    def _transition(self, case_id: int, values: dict[str, object], verb: str) -> None:
        """``UPDATE … WHERE status = 'proposed'``: two editors at once make one decision."""
        with self.sessions() as s:
            done = s.execute(
                update(RadioCaseRecord)
                .where(RadioCaseRecord.id == case_id, RadioCaseRecord.status == PROPOSED)
                .values(**values)
            )
            s.commit()
            if done.rowcount == 1:  # type: ignore[attr-defined]
                return
            case = s.get(RadioCaseRecord, case_id)
        if case is None:
            raise CaseStateError(f"there is no radio case #{case_id}")
        raise CaseStateError(f"case #{case_id} is already {case.status}; cannot {verb} it")

    def published_between(self, channel_id: int, start: float, end: float) -> list[RadioCase]:
        """Published cases of one channel in ``[start, end)``, as the digest needs them."""
        with self.sessions() as s:
            rows = s.scalars(
                select(RadioCaseRecord)
                .where(
                    RadioCaseRecord.channel_id == channel_id,
                    RadioCaseRecord.status == PUBLISHED,
                    RadioCaseRecord.published_at >= start,
                    RadioCaseRecord.published_at < end,
                )
                .order_by(RadioCaseRecord.published_at)
            )
            return [
                RadioCase(
                    id=r.id,
                    title=r.title,
                    excerpt=r.excerpt,
                    published_at=r.published_at or r.proposed_at,
                    business_line=r.business_line,
                    reason=r.reason,
                    note=r.note,
                )
                for r in rows
            ]

    # subscriptions and deliveries ----------------------------------------------------
    def subscribe(self, channel_id: int, subscriber: str, url: str, *, now: float) -> None:
        """Subscribe (or change where the digest goes); one subscription per person."""
        if not url.strip():
            raise CaseStateError("a subscription needs a notification URL (apprise)")
        with self.sessions() as s:
            found = s.scalar(
                select(RadioSubscription).where(
                    RadioSubscription.channel_id == channel_id,
                    RadioSubscription.subscriber == subscriber,
                )
            )
            if found is None:
                s.add(
                    RadioSubscription(
                        channel_id=channel_id,
                        subscriber=subscriber,
                        url=url.strip(),
                        created_at=now,
                    )
                )
            else:
                found.url = url.strip()
            s.commit()

    def unsubscribe(self, channel_id: int, subscriber: str) -> None:
        with self.sessions() as s:
            for row in s.scalars(
                select(RadioSubscription).where(
                    RadioSubscription.channel_id == channel_id,
                    RadioSubscription.subscriber == subscriber,
                )
            ):
                s.delete(row)
            s.commit()

    def subscriptions(self, subscriber: str | None = None) -> list[RadioSubscription]:
        query = select(RadioSubscription).order_by(RadioSubscription.id)
        if subscriber is not None:
            query = query.where(RadioSubscription.subscriber == subscriber)
        with self.sessions() as s:
            return list(s.scalars(query))

    def claim_delivery(self, subscription_id: int, day: str, *, now: float) -> int | None:
        """Claim one morning's digest for one subscription; ``None`` if already claimed.
        A failed delivery may be claimed again, and so may one left "sending" for
        :data:`STALE_CLAIM_S` by a worker that died in the middle of it."""
        with self.sessions() as s:
            retried = s.execute(
                update(RadioDelivery)
                .where(
                    RadioDelivery.subscription_id == subscription_id,
                    RadioDelivery.day == day,
                    or_(
                        RadioDelivery.status == "failed",
                        and_(
                            RadioDelivery.status == "sending",
                            RadioDelivery.claimed_at < now - STALE_CLAIM_S,
                        ),
                    ),
                )
                .values(status="sending", claimed_at=now, error=None)
                .returning(RadioDelivery.id)
            ).scalar()
            if retried is not None:
                s.commit()
                return int(retried)
            row = RadioDelivery(
                subscription_id=subscription_id, day=day, status="sending", claimed_at=now
            )
            s.add(row)
            try:
                s.commit()
            except IntegrityError:
                s.rollback()
                return None
            return row.id

    def finish_delivery(
        self, delivery_id: int, *, ok: bool, now: float, cases: int, error: str | None = None
    ) -> None:
        with self.sessions() as s:
            row = s.get(RadioDelivery, delivery_id)
            if row is None:
                return
            row.status = "sent" if ok else "failed"
            row.sent_at = now if ok else None
            row.cases = cases
            row.error = error
            s.commit()

    def deliveries(self, day: str) -> list[RadioDelivery]:
        with self.sessions() as s:
            query = select(RadioDelivery).where(RadioDelivery.day == day)
            return list(s.scalars(query.order_by(RadioDelivery.id)))
