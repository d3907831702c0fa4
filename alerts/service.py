"""The alert engine's one entry point for pages, the CLI and the worker.

Each call is one database transaction retried when a concurrent writer won (the
``version`` column turns two simultaneous *Acknowledge* clicks into one transition
and one clear refusal).  Rings decided inside the transaction leave only after the
commit, and every change bumps the ``alerts_changed`` counter so walls refresh
their alert panel cheaply.  Errors meant for people are :class:`AlertError`
subclasses whose message is one bilingual line.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from typing import TypeVar

import redis
from sqlalchemy import Engine, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.orm.exc import StaleDataError

from alerts import folding, queries, store
from alerts.anomaly import Anomaly, AnomalyKind, AnomalyStatus
from alerts.lifecycle import Action, AlertError, AlertStatus, InvalidInput, QualityLabel
from alerts.masking import mask_pii
from alerts.message import RingCause
from alerts.models import Alert, MissedIncident, Ring, Silence
from alerts.quality import QualityReport
from alerts.ringing import AppriseNotifier, Notifier, Ringer, mask_channel
from alerts.routing import Recipient, Routing
from alerts.views import (
    AlertDetail,
    AlertView,
    RaiseReceipt,
    RingReceipt,
    RingTarget,
)
from datasources.db import make_sessionmaker
from datasources.keys import Keys
from datasources.settings import Settings

T = TypeVar("T")
RETRIES = 5


class UnknownAlert(AlertError):
    def __init__(self, alert_id: int) -> None:
        super().__init__(f"告警 #{alert_id} 不存在 / no alert #{alert_id}")


class AlertService:
    """Alerts for everyone: list, act, ring, silence, label, and take in anomalies."""

    def __init__(
        self,
        settings: Settings,
        db: Engine | sessionmaker[Session],
        redis_client: redis.Redis | None = None,
        notifier: Notifier | None = None,
        *,
        routing: Routing | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.settings = settings
        self.sessions = db if isinstance(db, sessionmaker) else make_sessionmaker(db)
        self.redis = redis_client
        self.keys = Keys.from_settings(settings)
        self.routing = routing or Routing.load(settings.routing_file)
        self.clock = clock
        self.ringer = Ringer(
            self.sessions,
            notifier or AppriseNotifier(settings.alerts.ring_timeout_s),
            settings.alerts,
            clock=clock,
            on_finished=self._changed,
        )

    def close(self, wait: bool = True) -> None:
        self.ringer.close(wait)

    # -- plumbing ---------------------------------------------------------------------

    def transaction(self, work: Callable[[store.Tx], T]) -> T:
        """Run ``work`` in a transaction, retrying lost races; send its rings after commit."""
        return self._transaction(work)[0]

    def _transaction(self, work: Callable[[store.Tx], T]) -> tuple[T, dict[int, Future[str]]]:
        for attempt in range(RETRIES):
            with self.sessions() as session:
                tx = store.Tx(session, self.clock(), self.settings, self.teams())
                try:
                    result = work(tx)
                    session.commit()
                except (StaleDataError, IntegrityError):
                    session.rollback()
                    if attempt == RETRIES - 1:
                        raise
                    continue
            futures = self.ringer.submit_many([ring.id for ring in tx.rings])
            if tx.changed:
                self._changed()
            return result, futures
        raise AssertionError("unreachable")  # pragma: no cover

    def _changed(self) -> None:
        if self.redis is not None:
            self.redis.incr(self.keys.alerts_changed)

    @staticmethod
    def _get(tx: store.Tx, alert_id: int) -> Alert:
        alert = tx.session.get(Alert, alert_id)
        if alert is None:
            raise UnknownAlert(alert_id)
        return alert

    def _act(self, alert_id: int, work: Callable[[store.Tx, Alert], None]) -> AlertView:
        def run(tx: store.Tx) -> AlertView:
            alert = self._get(tx, alert_id)
            work(tx, alert)
            tx.session.flush()
            return AlertView.of(alert)

        return self.transaction(run)

    # -- reading ----------------------------------------------------------------------

    def list_alerts(
        self,
        status: str | Sequence[str] | None = None,
        business_line: str | None = None,
        severity: str | None = None,
        owner: str | None = None,
        since: float | None = None,
        limit: int = 200,
    ) -> list[AlertView]:
        """Newest first; ``status="active"`` means every status before resolution."""
        with self.sessions() as session:
            return queries.list_alerts(
                session, status, business_line, severity, owner, since, limit
            )

    def get(self, alert_id: int) -> AlertDetail:
        """One alert with its timeline (notes included) and every ring attempt."""
        with self.sessions() as session:
            alert = session.get(Alert, alert_id)
            if alert is None:
                raise UnknownAlert(alert_id)
            return queries.alert_detail(session, alert)

    def sync_owners(self) -> None:
        """Copy the routing file's teams, people and channels into the database."""
        with self.sessions.begin() as session:
            store.sync_owners(session, self.routing)

    def teams(self) -> dict[str, str]:
        """Team id → display name, from the routing file (the console's owner filter)."""
        return {tid: team.name for tid, team in self.routing.spec.teams.items()}

    # -- acting -----------------------------------------------------------------------

    def acknowledge(self, alert_id: int, by: str) -> AlertView:
        def work(tx: store.Tx, alert: Alert) -> None:
            store.apply(tx, alert, Action.ACKNOWLEDGE, by)
            alert.acked_by, alert.acked_at, alert.snoozed_until = by, tx.now, None
            store.stop_escalation(alert)

        return self._act(alert_id, work)

    def add_note(self, alert_id: int, by: str, text: str) -> AlertView:
        clean = mask_pii(text.strip())
        if not clean:
            raise InvalidInput("备注不能为空 / a note needs some text")

        def work(tx: store.Tx, alert: Alert) -> None:
            store.apply(tx, alert, Action.NOTE, by, text=clean[:4000])

        return self._act(alert_id, work)

    def snooze(self, alert_id: int, by: str, until: float) -> AlertView:
        def work(tx: store.Tx, alert: Alert) -> None:
            if until <= tx.now:
                raise InvalidInput("暂停时间必须在未来 / snooze until a time in the future")
            store.apply(tx, alert, Action.SNOOZE, by, detail={"until": until})
            alert.snoozed_by, alert.snoozed_until = by, until
            store.stop_escalation(alert)

        return self._act(alert_id, work)

    def resolve(self, alert_id: int, by: str, comment: str = "") -> AlertView:
        """Resolve by hand.  While the anomaly still runs the alert keeps its fingerprint
        and stays quiet until the anomaly ends (``RESOLVE-2``): resolving a storm that
        is still blowing means "we have it", not "open it again at once"."""

        def work(tx: store.Tx, alert: Alert) -> None:
            running = alert.anomaly_active and alert.kind != AnomalyKind.TRANSCRIPT_FLAG.value
            text = mask_pii(comment.strip())[:4000]
            store.apply(tx, alert, Action.RESOLVE, by, text=text, running=running)
            alert.resolved_by, alert.resolved_at = by, tx.now

        return self._act(alert_id, work)

    def hold_open(self, alert_id: int, by: str, hold: bool = True) -> AlertView:
        """Keep an alert open after its anomaly ends (or stop keeping it)."""

        def work(tx: store.Tx, alert: Alert) -> None:
            store.apply(tx, alert, Action.HOLD if hold else Action.RELEASE, by)
            alert.held_by = by if hold else None

        return self._act(alert_id, work)

    def label(self, alert_id: int, by: str, label: str) -> AlertView:
        try:
            value = QualityLabel(label)
        except ValueError:
            raise InvalidInput(
                "标注须为 valid/noise/duplicate / "
                f"label must be valid, noise or duplicate, got {label!r}"
            ) from None

        def work(tx: store.Tx, alert: Alert) -> None:
            store.apply(tx, alert, Action.LABEL, by, detail={"label": value.value})
            alert.label, alert.labelled_by, alert.labelled_at = value.value, by, tx.now

        return self._act(alert_id, work)

    # -- ringing ----------------------------------------------------------------------

    def _owner_recipients(self, alert: Alert, now: float) -> tuple[Recipient, ...]:
        if alert.owner_team in self.routing.spec.teams:
            return self.routing.recipients("oncall", alert.owner_team, now)
        chain = store.chain_of(alert)
        return chain[0].recipients if chain else ()

    def preview_ring(self, alert_id: int) -> list[RingTarget]:
        """Who *Ring owner* would reach now, on which channels (shown before ringing)."""
        with self.sessions() as session:
            alert = session.get(Alert, alert_id)
            if alert is None:
                raise UnknownAlert(alert_id)
            people = self._owner_recipients(alert, self.clock())
        return [RingTarget(p.person, p.name, [mask_channel(u) for u in p.channels]) for p in people]

    def ring_owner(
        self, alert_id: int, by: str, request_id: str | None = None, *, wait: bool = False
    ) -> RingReceipt:
        """Ring the owning team's on-call now; the same request (or a double click) rings once."""

        def work(tx: store.Tx) -> tuple[Ring, bool]:
            alert = self._get(tx, alert_id)
            window = self.settings.alerts.manual_ring_window_s
            token = request_id or f"{by}:{int(tx.now // window) if window else tx.now}"
            people = self._owner_recipients(alert, tx.now)
            return store.add_ring(
                tx, alert, people, by, RingCause("manual"), f"manual:{alert_id}:{token}"
            )

        (ring, created), futures = self._transaction(work)
        status = futures[ring.id].result() if wait and ring.id in futures else ring.status
        targets = [
            RingTarget(r["person"], r["name"], [mask_channel(u) for u in r["channels"]])
            for r in ring.recipients
        ]
        return RingReceipt(ring.id, created, status, targets)

    # -- silences, misses, quality ----------------------------------------------------

    def silence(self, matcher: dict[str, str], by: str, reason: str, expires_at: float) -> int:
        """Silence every alert matching ``matcher`` (now and new ones) until ``expires_at``."""
        unknown = set(matcher) - set(store.MATCHER_FIELDS)
        if not matcher or unknown:
            raise InvalidInput(
                f"静默条件须为 {'/'.join(store.MATCHER_FIELDS)} / "
                f"a silence matches on {', '.join(store.MATCHER_FIELDS)}"
            )
        if not reason.strip():
            raise InvalidInput("静默需要原因 / a silence needs a reason")

        def work(tx: store.Tx) -> int:
            if expires_at <= tx.now:
                raise InvalidInput("静默到期时间必须在未来 / a silence must expire in the future")
            silence = Silence(
                matcher=dict(matcher),
                created_by=by,
                reason=mask_pii(reason.strip()),
                created_at=tx.now,
                expires_at=expires_at,
            )
            tx.session.add(silence)
            tx.changed = True
            tx.session.flush()
            active = [
                s.value for s in (AlertStatus.OPEN, AlertStatus.ACKNOWLEDGED, AlertStatus.SNOOZED)
            ]
            for alert in tx.session.scalars(select(Alert).where(Alert.status.in_(active))):
                if store.silence_matches(silence.matcher, store.alert_values(alert)):
                    store.apply(
                        tx,
                        alert,
                        Action.SILENCE,
                        by,
                        text=silence.reason,
                        detail={"silence": silence.id},
                    )
                    alert.silence_id = silence.id
                    store.stop_escalation(alert)
            return silence.id

        return self.transaction(work)

    def log_missed(
        self,
        by: str,
        occurred_at: float,
        description: str,
        business_line: str | None = None,
        reason: str | None = None,
    ) -> int:
        """Record an incident the engine did not raise (it counts against the miss rate)."""
        if not description.strip():
            raise InvalidInput("请描述漏报事件 / describe the missed incident")

        def work(tx: store.Tx) -> int:
            row = MissedIncident(
                occurred_at=occurred_at,
                logged_by=by,
                logged_at=tx.now,
                business_line=business_line,
                reason=reason,
                description=mask_pii(description.strip()),
            )
            tx.session.add(row)
            tx.changed = True
            tx.session.flush()
            return row.id

        return self.transaction(work)

    def quality(self, start: float, end: float) -> QualityReport:
        """Precision, miss rate, MTTA and MTTR of alerts first seen in ``[start, end)``."""
        with self.sessions() as session:
            return queries.quality(session, start, end)

    # -- intake -----------------------------------------------------------------------

    def ingest(self, anomalies: Sequence[Anomaly]) -> int:
        """Fold, open or end alerts for detected anomalies; returns how many alerts opened."""
        return self.transaction(lambda tx: folding.take_batch(tx, list(anomalies), self.routing))

    def raise_alert(self, anomaly: Anomaly, by: str, request_id: str | None = None) -> RaiseReceipt:
        """A person rings the bell: open an alert for the owning team, or join the open one."""

        def work(tx: store.Tx) -> RaiseReceipt:
            open_now = folding.open_alerts(tx.session, {anomaly.fingerprint})
            alert, opened = folding.take(tx, anomaly, by, open_now, self.routing)
            assert alert is not None
            bell = RingCause("bell", message=str(anomaly.detail.get("comment") or ""))
            folding.start_all(tx, [alert] if opened else [], by, bell)
            ring = tx.rings[0] if tx.rings else None
            if opened and request_id:
                # The request that opened it rang through the escalation's first step;
                # the same request again (a retry, a rerun) must not ring a second time.
                alert.detail = {**alert.detail, "bell_request": request_id}
            elif not opened and request_id and alert.detail.get("bell_request") == request_id:
                ring = store.first_ring(tx, alert)
            elif not opened:
                key = f"bell:{alert.id}:{request_id or f'{by}:{tx.now}'}"
                people = self._owner_recipients(alert, tx.now)
                ring, _ = store.add_ring(tx, alert, people, by, bell, key)
            tx.session.flush()
            return RaiseReceipt(AlertView.of(alert), opened, ring.id if ring else None)

        if anomaly.status is not AnomalyStatus.ONGOING:
            raise InvalidInput("拉铃须为进行中的问题 / ring the bell for an ongoing problem")
        return self.transaction(work)
