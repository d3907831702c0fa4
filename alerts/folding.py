"""Anomalies into alerts: fold re-sightings, open new problems, end subsided ones.

The intake's half of :mod:`alerts.store`.  A batch is one transaction: the open
alerts of every fingerprint in it are read once; a fingerprint whose sightings only
move numbers is folded with a single executemany UPDATE; the rest go through the
state machine one anomaly at a time; new alerts get their ids in one flush and are
then silenced or rung (their first escalation step).
"""

from __future__ import annotations

from typing import cast

from sqlalchemy import Table, bindparam, select, update
from sqlalchemy.orm import Session

from alerts.anomaly import Anomaly, AnomalyStatus, Severity
from alerts.lifecycle import Action, AlertStatus, Transition, transition
from alerts.message import RingCause
from alerts.models import Alert
from alerts.routing import RouteDecision, Routing
from alerts.store import (
    MAX_VERBATIMS,
    QUIET_GAP_S,
    Tx,
    active_silence,
    apply,
    fire_step,
    record,
    schedule_step,
)


def open_alerts(session: Session, fingerprints: set[str]) -> dict[str, Alert]:
    """The unresolved alert of each fingerprint that has one."""
    if not fingerprints:
        return {}
    query = select(Alert).where(Alert.open_fingerprint.in_(sorted(fingerprints)))
    return {alert.fingerprint: alert for alert in session.scalars(query)}


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
    record(tx, alert, by, Action.OPEN, tr, detail={"team": decision.team_name})
    return alert


def start(tx: Tx, alert: Alert, by: str, cause: RingCause | None = None) -> None:
    """A just-opened (and flushed) alert: silenced by a matching silence, or its chain
    armed and its first step rung at once when that step has no wait (as ``cause``
    when given: a listener's bell rings the first step as their bell)."""
    silence = active_silence(tx, alert)
    if silence is not None:
        alert.silence_id = silence.id
        apply(tx, alert, Action.SILENCE, "system", text=f"silence #{silence.id}: {silence.reason}")
        return
    schedule_step(alert, 0, tx.now)
    chain = alert.escalation_chain
    if chain and float(chain[0]["delay_s"]) == 0:
        fire_step(tx, alert, by, cause)


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
    quiet = alert.status == AlertStatus.RESOLVED.value
    if new.rank < Severity(alert.severity).rank and not quiet:
        tr = transition(AlertStatus(alert.status), Action.FOLD)
        record(tx, alert, "detector", Action.FOLD, tr, detail={"severity": new.value})
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
    detail = {"who": alert.held_by} if held else {}
    tr = apply(tx, alert, Action.AUTO_RESOLVE, "system", detail=detail, held=held)
    if tr.changed and tr.status is AlertStatus.RESOLVED:
        alert.resolved_by = "system"
        alert.resolved_at = tx.now
    return tr


def release(tx: Tx, alert: Alert) -> None:
    """A quiet hold whose anomaly has not been seen for :data:`QUIET_GAP_S`: the detector
    lost it without an end (a reset), so the fingerprint is freed for a new alert
    rather than kept quiet for good."""
    alert.anomaly_active = False
    apply(
        tx, alert, Action.AUTO_RESOLVE, "system", detail={"gap_s": round(tx.now - alert.last_seen)}
    )


def take(
    tx: Tx, anomaly: Anomaly, by: str, open_now: dict[str, Alert], routing: Routing
) -> tuple[Alert | None, bool]:
    """Fold, end or open for one anomaly; ``open_now`` maps fingerprints to open alerts."""
    fingerprint = anomaly.fingerprint
    alert = open_now.get(fingerprint)
    quiet = alert is not None and alert.status == AlertStatus.RESOLVED.value
    if alert is not None and quiet and tx.now - alert.last_seen > QUIET_GAP_S:
        release(tx, alert)
        del open_now[fingerprint]
        alert = None
    if anomaly.status is AnomalyStatus.ENDED:
        if alert is not None and end(tx, alert, anomaly).status is AlertStatus.RESOLVED:
            del open_now[fingerprint]
        return alert, False
    if alert is not None:
        fold(tx, alert, anomaly)
        return alert, False
    decision = routing.route(
        business_line=anomaly.business_line,
        reason=anomaly.reason,
        kind=anomaly.kind.value,
        severity=anomaly.severity.value,
        at=tx.now,
        time_scale=tx.settings.alerts.escalation_time_scale,
    )
    open_now[fingerprint] = open_alert(tx, anomaly, decision, by)
    return open_now[fingerprint], True


def take_batch(tx: Tx, anomalies: list[Anomaly], routing: Routing, by: str = "detector") -> int:
    """A batch of detected anomalies; returns how many alerts opened."""
    groups: dict[str, list[Anomaly]] = {}
    for anomaly in anomalies:
        groups.setdefault(anomaly.fingerprint, []).append(anomaly)
    open_now = open_alerts(tx.session, set(groups))
    plain = [
        (open_now[fp], group)
        for fp, group in groups.items()
        if fp in open_now and plain_folds(open_now[fp], group)
    ]
    fold_many(tx, plain)
    folded = {alert.fingerprint for alert, _ in plain}
    opened: list[Alert] = []
    with tx.session.no_autoflush:
        for fp, group in groups.items():
            if fp in folded:
                continue
            for anomaly in group:
                alert, new = take(tx, anomaly, by, open_now, routing)
                if new and alert is not None:
                    opened.append(alert)
    start_all(tx, opened, by)
    return len(opened)


def start_all(tx: Tx, opened: list[Alert], by: str, cause: RingCause | None = None) -> None:
    """One flush gives every new alert its id; then silence or ring each that is still
    open.  An intake that fell behind can open and end an alert in one batch: ringing
    its owner for a problem already over would be refused, and the refused batch
    would block every alert behind it."""
    tx.session.flush()
    for alert in opened:
        if alert.status == AlertStatus.OPEN.value:
            start(tx, alert, by, cause)
