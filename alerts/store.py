"""Writing alerts inside one transaction: fold or open, transitions, escalation, rings.

Every function here takes an open :class:`Tx` and only touches the database
through its session; :class:`~alerts.service.AlertService` owns the transaction,
retries it when a concurrent writer won (the ``version`` column), and delivers the
rings collected in ``tx.rings`` after the commit, never before.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field, replace
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from alerts.lifecycle import QUIET_HOLD, Action, AlertStatus, Transition, transition
from alerts.message import RingCause, compose
from alerts.models import Alert, AlertEvent, Channel, Person, Ring, Silence, Team
from alerts.routing import ChainStep, Recipient, Routing
from datasources.settings import Settings

MATCHER_FIELDS = ("business_line", "reason", "kind", "severity", "series")
MAX_VERBATIMS = 5
QUIET_GAP_S = 900.0
"""A quietly held fingerprint whose anomaly went unseen this long is freed (the detector
re-publishes an ongoing anomaly every few buckets, so this only happens if it lost it)."""


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
    tx: Tx,
    alert: Alert,
    by: str,
    action: Action,
    tr: Transition | None,
    text: str = "",
    detail: dict[str, Any] | None = None,
) -> None:
    """Append one timeline row: who, when, what, the rule that allowed it, its facts
    (``detail``, put into words by the reader's language) and any words a person gave."""
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
            detail=detail or {},
        )
    )


def apply(
    tx: Tx,
    alert: Alert,
    action: Action,
    by: str,
    *,
    text: str = "",
    detail: dict[str, Any] | None = None,
    held: bool = False,
    running: bool = False,
) -> Transition:
    """Run the state machine, write the timeline row, and set the new status.

    A resolution frees the fingerprint for a new alert, except a resolution by hand
    while the anomaly still runs (:data:`~alerts.lifecycle.QUIET_HOLD`), which keeps
    it until the anomaly ends."""
    tr = transition(AlertStatus(alert.status), action, held=held, running=running)
    record(tx, alert, by, action, tr, text, detail)
    alert.status = tr.status.value
    alert.updated_at = tx.now
    if tr.status is AlertStatus.RESOLVED:
        stop_escalation(alert)
        if tr.rule != QUIET_HOLD:
            alert.open_fingerprint = None
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


def first_ring(tx: Tx, alert: Alert) -> Ring | None:
    """The first ring decided for ``alert`` (``None`` if it was silenced)."""
    query = select(Ring).where(Ring.alert_id == alert.id).order_by(Ring.id).limit(1)
    return tx.session.scalar(query)


def bell_message(alert: Alert) -> str:
    """The line a listener wrote for the owner when their bell opened ``alert``."""
    return str(alert.detail.get("comment") or "") if alert.metric == "qinting_bell" else ""


def add_ring(
    tx: Tx,
    alert: Alert,
    recipients: tuple[Recipient, ...],
    by: str,
    cause: RingCause,
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
    if not cause.message and (message := bell_message(alert)):
        cause = replace(cause, message=message)
    cfg = tx.settings
    names = [r.name for r in recipients]
    title, body = compose(
        alert,
        base_url=cfg.base_url,
        sender=cfg.instance_name or cfg.base_url,
        timezone=cfg.screens.timezone,
        now=tx.now,
        verbatims=cfg.alerts.sample_verbatims,
        cause=cause,
        names=names,
        owner=tx.team_names.get(alert.owner_team, alert.owner_team),
    )
    ring = Ring(
        alert_id=alert.id,
        idempotency_key=key,
        by=by,
        cause=cause.code,
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
    record(
        tx,
        alert,
        by,
        Action.RING,
        transition(AlertStatus(alert.status), Action.RING),
        cause.message,
        {"cause": cause.kind, "step": cause.step, "steps": cause.steps, "names": names},
    )
    return ring, True


def fire_step(tx: Tx, alert: Alert, by: str, cause: RingCause | None = None) -> None:
    """Ring the chain's current step (as ``cause`` if given) and arm the next one."""
    step = alert.escalation_step
    chain = chain_of(alert)
    add_ring(
        tx,
        alert,
        chain[step].recipients,
        by,
        cause or RingCause("step", step + 1, len(chain)),
        f"esc:{alert.active_escalation_id}:{step}",
        fresh=True,
    )
    schedule_step(alert, step + 1, tx.now)


def alert_values(alert: Alert) -> dict[str, str | None]:
    return {name: getattr(alert, name) for name in MATCHER_FIELDS}


def silence_matches(matcher: dict[str, str], values: dict[str, str | None]) -> bool:
    return all(values.get(name) == value for name, value in matcher.items())


def active_silence(tx: Tx, alert: Alert) -> Silence | None:
    if tx.silences is None:
        tx.silences = list(tx.session.scalars(select(Silence).where(Silence.expires_at > tx.now)))
    values = alert_values(alert)
    return next((s for s in tx.silences if silence_matches(s.matcher, values)), None)


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
