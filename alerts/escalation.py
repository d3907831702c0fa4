"""Escalation timers that survive restarts and fire once across several workers.

The alert row is the truth: ``active_escalation_id`` names the one pending step and
``next_escalation_at`` says when it is due (Grafana OnCall's design).  An APScheduler
3 ``BackgroundScheduler`` with a ``SQLAlchemyJobStore`` on the same database holds
one date job per pending step (id ``esc:<alert>:<escalation id>``), so a pending
"escalate in 5 minutes" outlives the worker that scheduled it.  When a job runs,
:func:`fire` re-reads the alert and acts only if the escalation id still matches
and the alert is still open; the step, the ring (outbox row) and the next step's
new id commit together under the ``version`` check, so a stale, duplicate or
concurrent run finds nothing to do.  A sweep every ``sweep_s`` seconds adds jobs
for steps armed elsewhere (a page's process has no scheduler), expires
acknowledgements, snoozes and silences, and re-sends rings a dead process left.
"""

from __future__ import annotations

import contextlib
import logging
from datetime import UTC, datetime
from typing import Any

from apscheduler.jobstores.base import ConflictingIdError, JobLookupError
from apscheduler.jobstores.memory import MemoryJobStore
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.background import BackgroundScheduler
from sqlalchemy import Engine, or_, select

from alerts import store
from alerts.lifecycle import Action, AlertStatus
from alerts.models import Alert, Ring, Silence
from alerts.service import AlertService
from datasources.health import OutageLog

log = logging.getLogger(__name__)

JOB_TABLE = "apscheduler_jobs"
RECHECK_AFTER_DUE_S = 15.0

_services: dict[str, AlertService] = {}
"""Service per scheduler name; job functions find theirs here (jobs store only ids)."""
_firing = OutageLog(log, "escalation steps")
"""During a database or Redis outage every due step fails: one line, not a traceback each."""


def fire(scheduler_name: str, alert_id: int, escalation_id: str) -> bool:
    """Run one escalation step if it is still the alert's active one; True if it rang."""
    service = _services.get(scheduler_name)
    if service is None:
        log.warning("escalation %s for alert %s: no service registered", escalation_id, alert_id)
        return False

    def work(tx: store.Tx) -> bool:
        alert = tx.session.get(Alert, alert_id)
        if alert is None or alert.active_escalation_id != escalation_id:
            return False
        if alert.status != AlertStatus.OPEN.value:
            store.stop_escalation(alert)
            return False
        store.fire_step(tx, alert, "escalation")
        return True

    try:
        rang = service.transaction(work)
    except Exception as exc:  # an outage, or a race lost after retries (another worker fired)
        _firing.failed(exc)
        return False
    _firing.ok()
    return rang


def expire_timers(service: AlertService) -> int:
    """Acknowledgements, snoozes and silences that ran out: back to open, chain resumes."""
    cfg = service.settings.alerts

    def work(tx: store.Tx) -> int:
        changed = 0
        if cfg.ack_expiry_minutes is not None:
            limit = tx.now - cfg.ack_expiry_minutes * 60.0 * cfg.escalation_time_scale
            acked = select(Alert).where(Alert.status == "acknowledged", Alert.acked_at < limit)
            for alert in tx.session.scalars(acked):
                store.apply(tx, alert, Action.ACK_EXPIRE, "system", detail={"who": alert.acked_by})
                store.resume(tx, alert)
                changed += 1
        woke = select(Alert).where(Alert.status == "snoozed", Alert.snoozed_until <= tx.now)
        for alert in tx.session.scalars(woke):
            store.apply(tx, alert, Action.WAKE, "system")
            alert.snoozed_until = None
            store.resume(tx, alert)
            changed += 1
        ended = select(Alert).join(Silence, Alert.silence_id == Silence.id)
        for alert in tx.session.scalars(
            ended.where(Alert.status == "silenced", Silence.expires_at <= tx.now)
        ):
            store.apply(tx, alert, Action.UNSILENCE, "system", detail={"silence": alert.silence_id})
            alert.silence_id = None
            store.resume(tx, alert)
            changed += 1
        return changed

    return service.transaction(work)


def pending_steps(service: AlertService) -> list[tuple[int, str, float]]:
    """(alert id, escalation id, due time) of every armed step of an open alert."""
    query = select(Alert.id, Alert.active_escalation_id, Alert.next_escalation_at).where(
        Alert.status == AlertStatus.OPEN.value, Alert.active_escalation_id.is_not(None)
    )
    with service.sessions() as session:
        return [(i, str(e), float(t or 0.0)) for i, e, t in session.execute(query)]


def stranded_rings(service: AlertService, grace_s: float = 5.0) -> list[int]:
    """Rings decided but never (or no longer) being delivered: their process died."""
    now = service.clock()
    query = select(Ring.id).where(
        or_(
            (Ring.status == "pending") & (Ring.created_at < now - grace_s),
            (Ring.status == "sending") & (Ring.claimed_at < now - service.ringer.stale_claim_s),
        )
    )
    with service.sessions() as session:
        return list(session.scalars(query))


class SharedStoreScheduler(BackgroundScheduler):  # type: ignore[misc]  # untyped library
    """A scheduler that tolerates other workers' schedulers on the same job store.

    APScheduler 3 assumes it owns its store: after running a date job it removes it,
    and a ``JobLookupError`` there (another worker ran and removed it first) escapes
    its main loop and silently kills the scheduler thread.  Here that is the normal
    outcome of a race that :func:`fire` already makes harmless.
    """

    def remove_job(self, job_id: str, jobstore: str | None = None) -> None:
        try:
            super().remove_job(job_id, jobstore)
        except JobLookupError:
            log.debug("job %s already removed by another worker", job_id)


class EscalationTimers:
    """The worker's scheduler: persistent escalation jobs plus a sweep of the other timers."""

    def __init__(self, service: AlertService, engine: Engine, name: str = "alerts") -> None:
        self.service = service
        self.name = name
        self.engine = engine
        self._armed: dict[str, float] = {}
        """Job id → when to look it up again (see :meth:`_arm`)."""
        self._sweeps = OutageLog(log, "alert timer sweep")
        self.restarts = 0
        self.scheduler = self._new_scheduler()

    def _new_scheduler(self) -> SharedStoreScheduler:
        return SharedStoreScheduler(
            jobstores={
                "default": SQLAlchemyJobStore(engine=self.engine, tablename=JOB_TABLE),
                "local": MemoryJobStore(),
            },
            job_defaults={"coalesce": True, "misfire_grace_time": None, "max_instances": 1},
            timezone=UTC,
        )

    def alive(self) -> bool:
        """The scheduler's thread runs (APScheduler keeps it in ``_thread``)."""
        thread = getattr(self.scheduler, "_thread", None)
        return bool(self.scheduler.running and thread is not None and thread.is_alive())

    def ensure_alive(self) -> bool:
        """A scheduler whose thread died (an exception escaping APScheduler's loop) is
        replaced by a new one on the same job store; True if it had to."""
        if not self.scheduler.running or self.alive():
            return False
        self.restarts += 1
        log.error("escalation scheduler thread died; restarting it (restart %d)", self.restarts)
        with contextlib.suppress(Exception):
            self.scheduler.shutdown(wait=False)
        self.scheduler = self._new_scheduler()
        self.start()
        return True

    def health(self) -> str:
        if self.scheduler.running and not self.alive():
            return "dead"
        return "retrying" if self._sweeps.down or _firing.down else "ok"

    def start(self) -> None:
        # One INFO line per sweep run would drown the worker's log; keep warnings.
        logging.getLogger("apscheduler.executors.default").setLevel(logging.WARNING)
        _services[self.name] = self.service
        self.scheduler.start()
        self.scheduler.add_job(
            self.sweep,
            "interval",
            seconds=self.service.settings.alerts.sweep_s,
            id="alerts-sweep",
            jobstore="local",
            next_run_time=datetime.now(UTC),
            replace_existing=True,
        )

    def stop(self) -> None:
        if self.scheduler.running:
            self.scheduler.shutdown(wait=True)
        _services.pop(self.name, None)

    def sweep(self) -> None:
        """Arm jobs for pending steps, expire timers, redeliver stranded rings."""
        try:
            expire_timers(self.service)
            for alert_id, escalation_id, due in pending_steps(self.service):
                self._arm(alert_id, escalation_id, due)
            for ring_id in stranded_rings(self.service):
                self.service.ringer.submit(ring_id)
        except Exception as exc:  # the next sweep tries again; never kill the scheduler thread
            self._sweeps.failed(exc)
            return
        self._sweeps.ok()

    def _arm(self, alert_id: int, escalation_id: str, due: float) -> None:
        """Make sure a job exists for this step.  Steps this process saw armed are not
        looked up again until well past their due time: if the alert still names the
        step then, its job ran without effect (or vanished) and is armed once more."""
        job_id = f"esc:{alert_id}:{escalation_id}"
        now = self.service.clock()
        if self._armed.get(job_id, -1.0) > now:
            return
        self._armed = {j: t for j, t in self._armed.items() if t > now}
        self._armed[job_id] = max(due, now) + RECHECK_AFTER_DUE_S
        if self.scheduler.get_job(job_id, jobstore="default") is not None:
            return
        kwargs: dict[str, Any] = {
            "scheduler_name": self.name,
            "alert_id": alert_id,
            "escalation_id": escalation_id,
        }
        try:
            self.scheduler.add_job(
                fire,
                "date",
                run_date=datetime.fromtimestamp(due, UTC),
                id=job_id,
                kwargs=kwargs,
                jobstore="default",
            )
        except ConflictingIdError:  # another worker armed it a moment ago
            return
