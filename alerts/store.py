"""Writing alerts inside one transaction: fold or open, transitions, escalation, rings.

Every function here takes an open :class:`Tx` and only touches the database
through its session; :class:`~alerts.service.AlertService` owns the transaction,
retries it when a concurrent writer won (the ``version`` column), and delivers the
rings collected in ``tx.rings`` after the commit, never before.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import cast

from sqlalchemy import Table, bindparam, delete, select, update
from sqlalchemy.orm import Session

from alerts.anomaly import Anomaly, AnomalyStatus, Severity
from alerts.lifecycle import Action, AlertStatus, Transition, transition
from alerts.message import compose
from alerts.models import Alert, AlertEvent, Channel, Person, Ring, Silence, Team
from alerts.routing import ChainStep, Recipient, RouteDecision, Routing
from datasources.settings import Settings

MATCHER_FIELDS = ("business_line", "reason", "kind", "severity", "series")
MAX_VERBATIMS = 5


@dataclass
class Tx:
    """One unit of work: the session, its clock reading, and rings to send after commit."""

    session: Session
    now: float
    settings: Settings
    team_names: dict[str, str] = field(default_factory=dict)
    rings: list[Ring] = field(default_factory=list)
    changed: bool = False
    """Set by anything people would see change; the wall's counter is bumped only then."""
    silences: list[Silence] | None = None
    """Active silences, loaded once per transaction when first needed."""


def record(
    tx: Tx, alert: Alert, by: str, action: Action, tr: Transition | None, text: str = ""
) -> None:
    """Append one timeline row (who, when, what, and the rule that allowed it)."""
    tx.changed = True
    tx.session.add(
        AlertEvent(
            alert=alert,
            at=tx.now,
            by=by,
            action=action.value,
            rule=tr.rule if tr else action.value.upper(),
            from_status=alert.status,
            to_status=tr.status.value if tr else alert.status,
            text=text,
        )
    )


def apply(
    tx: Tx, alert: Alert, action: Action, by: str, *, text: str = "", held: bool = False
) -> Transition:
    """Run the state machine, write the timeline row, and set the new status."""
    tr = transition(AlertStatus(alert.status), action, held=held)
    record(tx, alert, by, action, tr, text)
    alert.status = tr.status.value
    alert.updated_at = tx.now
    if tr.status is AlertStatus.RESOLVED:
        alert.open_fingerprint = None
        stop_escalation(alert)
    return tr


def chain_of(alert: Alert) -> list[ChainStep]:
    return [ChainStep.from_json(step) for step in alert.escalation_chain]


def schedule_step(alert: Alert, step: int, now: float) -> None:
    """Arm the escalation at ``step`` with a fresh id (a stale timer no longer matches)."""
    chain = alert.escalation_chain
    alert.escalation_step = step
    if step >= len(chain):
        stop_escalation(alert)
        return
    alert.active_escalation_id = uuid.uuid4().hex
    alert.next_escalation_at = now + float(chain[step]["delay_s"])


def stop_escalation(alert: Alert) -> None:
    alert.active_escalation_id = None
    alert.next_escalation_at = None


def add_ring(
    tx: Tx,
    alert: Alert,
    recipients: tuple[Recipient, ...],
    by: str,
    cause: str,
    key: str,
    *,
    fresh: bool = False,
) -> tuple[Ring, bool]:
    """The ring for ``key``: the existing one if already decided, else a new pending row.

    ``fresh`` skips the lookup for keys that cannot exist yet (a just-armed step);
    the unique index still refuses a duplicate at commit.
    """
    if not fresh:
        existing = tx.session.scalar(select(Ring).where(Ring.idempotency_key == key))
        if existing is not None:
            return existing, False
    cfg = tx.settings
    title, body = compose(
        alert,
        base_url=cfg.base_url,
        timezone=cfg.screens.timezone,
        now=tx.now,
        verbatims=cfg.alerts.sample_verbatims,
        cause=cause,
        owner=tx.team_names.get(alert.owner_team, alert.owner_team),
    )
    ring = Ring(
        alert_id=alert.id,
        idempotency_key=key,
        by=by,
        cause=cause,
        recipients=[
            {"person": r.person, "name": r.name, "channels": list(r.channels)} for r in recipients
        ],
        title=title,
        body=body,
        status="pending",
        created_at=tx.now,
    )
    tx.session.add(ring)
    tx.rings.append(ring)
    names = ", ".join(f"{r.name} ({r.person})" for r in recipients) or "nobody"
    record(
        tx,
        alert,
        by,
        Action.RING,
        transition(AlertStatus(alert.status), Action.RING),
        f"{cause} → {names}",
    )
    return ring, True


def fire_step(tx: Tx, alert: Alert, by: str) -> None:
    """Ring the chain's current step and arm the next one."""
    step = alert.escalation_step
    chain = chain_of(alert)
    current = chain[step]
    cause = f"escalation step {step + 1}/{len(chain)}: {current.target}"
    add_ring(
        tx,
        alert,
        current.recipients,
        by,
        cause,
        f"esc:{alert.active_escalation_id}:{step}",
        fresh=True,
    )
    schedule_step(alert, step + 1, tx.now)


def open_alerts(session: Session, fingerprints: set[str]) -> dict[str, Alert]:
    """The unresolved alert of each fingerprint that has one."""
    if not fingerprints:
        return {}
    query = select(Alert).where(Alert.open_fingerprint.in_(sorted(fingerprints)))
    return {alert.fingerprint: alert for alert in session.scalars(query)}


def alert_values(alert: Alert) -> dict[str, str | None]:
    return {name: getattr(alert, name) for name in MATCHER_FIELDS}


def silence_matches(matcher: dict[str, str], values: dict[str, str | None]) -> bool:
    return all(values.get(name) == value for name, value in matcher.items())


def active_silence(tx: Tx, alert: Alert) -> Silence | None:
    if tx.silences is None:
        tx.silences = list(tx.session.scalars(select(Silence).where(Silence.expires_at > tx.now)))
    values = alert_values(alert)
    return next((s for s in tx.silences if silence_matches(s.matcher, values)), None)


def open_alert(tx: Tx, anomaly: Anomaly, decision: RouteDecision, by: str) -> Alert:
    """A new alert for ``anomaly`` with its chain frozen; :func:`start` it after a flush."""
    alert = Alert(
        fingerprint=anomaly.fingerprint,
        open_fingerprint=anomaly.fingerprint,
        series=anomaly.series,
        kind=anomaly.kind.value,
        metric=anomaly.metric,
        business_line=anomaly.business_line,
        reason=anomaly.reason,
        channel=anomaly.channel,
        severity=anomaly.severity.value,
        status=AlertStatus.OPEN.value,
        raised_by=by,
        anomaly_active=True,
        count=1,
        first_seen=tx.now,
        last_seen=tx.now,
        onset=anomaly.onset,
        observed=anomaly.observed,
        expected=anomaly.expected,
        score=anomaly.score,
        trend=list(anomaly.trend),
        verbatims=list(anomaly.verbatims[:MAX_VERBATIMS]),
        detail=dict(anomaly.detail),
        owner_team=decision.team,
        route=decision.route,
        escalation_chain=[step.to_json() for step in decision.chain],
        escalation_step=0,
        updated_at=tx.now,
    )
    tx.session.add(alert)
    tr = transition(AlertStatus.OPEN, Action.OPEN)
    record(tx, alert, by, Action.OPEN, tr, f"route {decision.route} → team {decision.team_name}")
    return alert


def start(tx: Tx, alert: Alert, by: str) -> None:
    """A just-opened (and flushed) alert: silenced by a matching silence, or its chain
    armed and its first step rung at once when that step has no wait."""
    silence = active_silence(tx, alert)
    if silence is not None:
        alert.silence_id = silence.id
        apply(tx, alert, Action.SILENCE, "system", text=f"silence #{silence.id}: {silence.reason}")
        return
    schedule_step(alert, 0, tx.now)
    chain = alert.escalation_chain
    if chain and float(chain[0]["delay_s"]) == 0:
        fire_step(tx, alert, by)


def fold(tx: Tx, alert: Alert, anomaly: Anomaly) -> None:
    """Another sighting of an open alert's anomaly: counts, size, words; no new alert."""
    tx.changed = True
    alert.count += 1
    alert.last_seen = tx.now
    alert.observed = anomaly.observed
    alert.expected = anomaly.expected
    alert.score = anomaly.score
    alert.anomaly_active = True
    alert.ended = None
    if anomaly.trend:
        alert.trend = list(anomaly.trend)
    merged = list(dict.fromkeys([*anomaly.verbatims, *alert.verbatims]))
    alert.verbatims = merged[:MAX_VERBATIMS]
    alert.updated_at = tx.now
    new = Severity(anomaly.severity)
    if new.rank < Severity(alert.severity).rank:
        tr = transition(AlertStatus(alert.status), Action.FOLD)
        record(tx, alert, "detector", Action.FOLD, tr, f"severity {alert.severity} → {new.value}")
        alert.severity = new.value


def plain_folds(alert: Alert, anomalies: list[Anomaly]) -> bool:
    """Sightings that change only counters and numbers (no end, no severity rise)."""
    rank = Severity(alert.severity).rank
    return all(
        a.status is AnomalyStatus.ONGOING and Severity(a.severity).rank >= rank for a in anomalies
    )


_ALERTS = cast(Table, Alert.__table__)
_FOLD_MANY = (
    update(_ALERTS)
    .where(_ALERTS.c.id == bindparam("_id"))
    .values(
        count=_ALERTS.c.count + bindparam("_n"),
        version=_ALERTS.c.version + 1,
        last_seen=bindparam("_now"),
        updated_at=bindparam("_now"),
        observed=bindparam("_observed"),
        expected=bindparam("_expected"),
        score=bindparam("_score"),
        trend=bindparam("_trend"),
        verbatims=bindparam("_verbatims"),
        anomaly_active=True,
        ended=None,
    )
)


def fold_many(tx: Tx, folds: list[tuple[Alert, list[Anomaly]]]) -> None:
    """:func:`fold` for many alerts in one executemany UPDATE (a burst of re-sightings).

    Only for :func:`plain_folds`; the version still moves, so a lead's concurrent
    action on one of these alerts retries instead of overwriting it.
    """
    if not folds:
        return
    tx.changed = True
    params = []
    for alert, anomalies in folds:
        last = anomalies[-1]
        words = [v for a in reversed(anomalies) for v in a.verbatims]
        trend = next((a.trend for a in reversed(anomalies) if a.trend), alert.trend)
        params.append(
            {
                "_id": alert.id,
                "_n": len(anomalies),
                "_now": tx.now,
                "_observed": last.observed,
                "_expected": last.expected,
                "_score": last.score,
                "_trend": list(trend),
                "_verbatims": list(dict.fromkeys([*words, *alert.verbatims]))[:MAX_VERBATIMS],
            }
        )
    tx.session.connection().execute(_FOLD_MANY, params)


def end(tx: Tx, alert: Alert, anomaly: Anomaly) -> Transition:
    """The anomaly subsided: resolve the alert unless a person holds it open."""
    alert.anomaly_active = False
    alert.ended = anomaly.ended or anomaly.updated
    held = alert.held_by is not None
    text = f"anomaly ended; held open by {alert.held_by}" if held else "anomaly ended"
    tr = apply(tx, alert, Action.AUTO_RESOLVE, "system", text=text, held=held)
    if tr.status is AlertStatus.RESOLVED:
        alert.resolved_by = "system"
        alert.resolved_at = tx.now
    return tr


def resume(tx: Tx, alert: Alert) -> None:
    """Back to open after an expiry: continue the chain where it stopped."""
    schedule_step(alert, alert.escalation_step, tx.now)


def sync_owners(session: Session, routing: Routing) -> None:
    """Mirror the routing file's teams, people and channels into their tables.

    The file stays the source of truth; the tables let pages and reports join alerts
    to owners without reading YAML.  Replaced whole: a few rows, changed rarely.
    """
    spec = routing.spec
    session.execute(delete(Channel))
    session.execute(delete(Person))
    session.execute(delete(Team))
    session.add_all(Person(id=pid, name=p.name) for pid, p in spec.people.items())
    session.flush()
    session.add_all(
        Channel(person_id=pid, url=url) for pid, p in spec.people.items() for url in p.channels
    )
    session.add_all(
        Team(name=tid, display=t.name, rotation=t.rotation.every, members=list(t.members))
        for tid, t in spec.teams.items()
    )
