"""Reading alerts for pages and the CLI: filtered lists, one alert in full, quality.

Plain functions over a session that return :mod:`alerts.views` snapshots, so
nothing a page holds is attached to a session.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from alerts.lifecycle import AlertStatus
from alerts.models import Alert, AlertEvent, MissedIncident, Ring, RingAttempt
from alerts.quality import QualityReport, quality_report
from alerts.views import AlertDetail, AlertView, EventView, RingView


def list_alerts(
    session: Session,
    status: str | Sequence[str] | None = None,
    business_line: str | None = None,
    severity: str | None = None,
    owner: str | None = None,
    since: float | None = None,
    limit: int = 200,
) -> list[AlertView]:
    """Newest first; ``status="active"`` means every status before resolution."""
    query = select(Alert).order_by(Alert.first_seen.desc(), Alert.id.desc()).limit(limit)
    if status == "active":
        query = query.where(Alert.status != AlertStatus.RESOLVED.value)
    elif isinstance(status, str):
        query = query.where(Alert.status == status)
    elif status is not None:
        query = query.where(Alert.status.in_(list(status)))
    if business_line:
        query = query.where(Alert.business_line == business_line)
    if severity:
        query = query.where(Alert.severity == severity)
    if owner:
        query = query.where(Alert.owner_team == owner)
    if since is not None:
        query = query.where(Alert.last_seen >= since)
    return [AlertView.of(row) for row in session.scalars(query)]


def alert_detail(session: Session, alert: Alert) -> AlertDetail:
    """The alert with its whole timeline and every ring with its attempts."""
    events = session.scalars(
        select(AlertEvent).where(AlertEvent.alert_id == alert.id).order_by(AlertEvent.id)
    ).all()
    rings = session.scalars(select(Ring).where(Ring.alert_id == alert.id).order_by(Ring.id)).all()
    attempts = session.scalars(
        select(RingAttempt)
        .where(RingAttempt.ring_id.in_([r.id for r in rings]))
        .order_by(RingAttempt.id)
    ).all()
    return AlertDetail(
        AlertView.of(alert),
        [EventView.of(e) for e in events],
        [RingView.of(r, [a for a in attempts if a.ring_id == r.id]) for r in rings],
    )


def quality(session: Session, start: float, end: float) -> QualityReport:
    """Precision, miss rate, MTTA and MTTR of alerts first seen in ``[start, end)``."""
    alerts = session.scalars(
        select(Alert).where(Alert.first_seen >= start, Alert.first_seen < end)
    ).all()
    missed = session.scalars(
        select(MissedIncident).where(
            MissedIncident.occurred_at >= start, MissedIncident.occurred_at < end
        )
    ).all()
    return quality_report([AlertView.of(a) for a in alerts], len(missed))
