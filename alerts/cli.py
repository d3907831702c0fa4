"""``gmd alerts …`` and ``gmd db …``: the alert engine for scripts and leads without a browser.

Every command goes through :class:`~alerts.service.AlertService`, exactly like the
console, and records ``--by`` (default ``$USER``) as the person acting.  Problems a
person can fix (unknown id, illegal transition, bad routing file, unmigrated
database) are one line on stderr and exit code 1; a bad setting is exit code 2.
"""

from __future__ import annotations

import getpass
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Annotated
from zoneinfo import ZoneInfo

import typer
from sqlalchemy.exc import OperationalError, ProgrammingError

from alerts.lifecycle import AlertError
from alerts.receiver import WebhookReceiver
from alerts.routing import Routing
from alerts.routing_file import RoutingError, load_routing_spec
from alerts.service import AlertService
from alerts.views import AlertView
from dashboard.alert_words import (
    alert_title,
    change_text,
    event_sentence,
    person,
    ratio_text,
    size_text,
)
from dashboard.i18n import translate
from datasources.db import make_engine
from datasources.migrate import is_up_to_date, upgrade
from datasources.redis_conn import connect
from gmd.errors import fail, settings_or_exit

alerts_app: typer.Typer = typer.Typer(
    help="Alerts (告警): list, acknowledge, ring, resolve, silence, label."
)
db_app: typer.Typer = typer.Typer(help="The database (数据库): migrations.")

By = Annotated[str, typer.Option("--by", help="Who is acting (default: $USER).")]
AlertId = Annotated[int, typer.Argument(help="Alert number, as `gmd alerts list` shows it.")]


def _default_by() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "cli"


@contextmanager
def _service() -> Iterator[AlertService]:
    settings = settings_or_exit()
    url = settings.effective_database_url
    try:
        if not is_up_to_date(url):
            fail("the database is not migrated; run `gmd db upgrade` first", code=1)
        routing = Routing.load(settings.routing_file)
    except RoutingError as exc:
        fail(f"routing file: {exc}", code=1)
    except (OperationalError, ProgrammingError) as exc:
        fail(f"database unavailable: {str(exc.orig).splitlines()[0]}", code=1)
    client = connect(settings.redis_url) if settings.redis_url else None
    service = AlertService(settings, make_engine(url), client, routing=routing)
    try:
        yield service
    except AlertError as exc:
        fail(str(exc), code=1)
    finally:
        service.close()


def _when(ts: float | None, tz: str = "Asia/Shanghai") -> str:
    return "-" if ts is None else f"{datetime.fromtimestamp(ts, ZoneInfo(tz)):%m-%d %H:%M:%S}"


def _line(a: AlertView, service: AlertService) -> str:
    """One alert in the glossary's words (``GMD_LANGUAGE``), like the console's list."""
    lang = service.settings.language
    who = f" · {translate('col.acked_by', lang)} {a.acked_by}" if a.acked_by else ""
    team = service.teams().get(a.owner_team, a.owner_team)
    return (
        f"#{a.id:<5} {translate(f'status.{a.status}', lang)} · "
        f"{translate(f'severity.{a.severity}', lang)} · {alert_title(a, lang)} · "
        f"{ratio_text(a, lang)} · ×{a.count} · {team}{who}"
    )


@alerts_app.command("list")
def list_command(
    status: Annotated[str | None, typer.Option(help="open, acknowledged, …, or active.")] = None,
    business_line: Annotated[str | None, typer.Option()] = None,
    severity: Annotated[str | None, typer.Option()] = None,
    owner: Annotated[str | None, typer.Option(help="Owning team id.")] = None,
    limit: Annotated[int, typer.Option(min=1)] = 50,
) -> None:
    """List alerts, newest first."""
    with _service() as service:
        rows = service.list_alerts(status, business_line, severity, owner, limit=limit)
        for alert in rows:
            typer.echo(_line(alert, service))
        if not rows:
            typer.echo("no alerts / 暂无告警")


@alerts_app.command("show")
def show_command(alert_id: AlertId) -> None:
    """One alert: its numbers, verbatims, timeline and every ring attempt."""
    with _service() as service:
        detail = service.get(alert_id)
        tz = service.settings.screens.timezone
        typer.echo(_line(detail.alert, service))
        a = detail.alert
        lang = service.settings.language
        typer.echo(f"series {a.series}  since {_when(a.onset, tz)}  seen {_when(a.last_seen, tz)}")
        if size := size_text(a, lang):
            typer.echo(size)
        for text in a.verbatims:
            typer.echo(f"  “{text}”")
        typer.echo("timeline:")
        for e in detail.timeline:
            what = event_sentence(e.rule, e.detail, e.text, lang, tz)
            action = translate(f"action.{e.action}", lang)
            move = change_text(e.from_status, e.to_status, lang)
            parts = [person(e.by, lang), action, move, what]
            typer.echo(f"  {_when(e.at, tz)} " + " · ".join(p for p in parts if p))
        typer.echo("rings:")
        for r in detail.rings:
            status = translate(f"ring.status.{r.status}", lang)
            typer.echo(f"  ring {r.id} {status} · {', '.join(r.recipients)}")
            for t in r.attempts:
                mark = "ok" if t.ok else f"failed: {t.error}"
                typer.echo(f"    attempt {t.attempt} {t.channel} {_when(t.at, tz)} {mark}")


@alerts_app.command("ack")
def ack_command(alert_id: AlertId, by: By = "") -> None:
    """Acknowledge: you own it now, escalation stops."""
    with _service() as service:
        typer.echo(_line(service.acknowledge(alert_id, by or _default_by()), service))


@alerts_app.command("note")
def note_command(alert_id: AlertId, text: str, by: By = "") -> None:
    """Add a note to the alert's timeline."""
    with _service() as service:
        service.add_note(alert_id, by or _default_by(), text)
        typer.echo(f"note added to #{alert_id}")


@alerts_app.command("ring")
def ring_command(
    alert_id: AlertId,
    by: By = "",
    request_id: Annotated[
        str | None, typer.Option(help="Retrying with the same id rings once.")
    ] = None,
) -> None:
    """Ring the owning team's on-call now and wait for the delivery result."""
    with _service() as service:
        receipt = service.ring_owner(alert_id, by or _default_by(), request_id, wait=True)
        who = ", ".join(f"{t.name} ({', '.join(t.channels)})" for t in receipt.targets)
        fresh = "" if receipt.created else " (already rung for this request)"
        status = translate(f"ring.status.{receipt.status}", service.settings.language)
        typer.echo(f"ring {receipt.ring_id}: {status}{fresh} → {who}")
        if receipt.status == "failed":
            raise typer.Exit(1)


@alerts_app.command("resolve")
def resolve_command(alert_id: AlertId, by: By = "") -> None:
    """Resolve the alert."""
    with _service() as service:
        typer.echo(_line(service.resolve(alert_id, by or _default_by()), service))


@alerts_app.command("snooze")
def snooze_command(
    alert_id: AlertId, minutes: Annotated[float, typer.Option(min=0.01)] = 30.0, by: By = ""
) -> None:
    """Snooze the alert for some minutes (escalation pauses, then resumes)."""
    with _service() as service:
        until = time.time() + minutes * 60
        typer.echo(_line(service.snooze(alert_id, by or _default_by(), until), service))


@alerts_app.command("silence")
def silence_command(
    why: Annotated[str, typer.Option("--why", help="Reason, recorded with your name.")],
    hours: Annotated[float, typer.Option(min=0.01, help="Expires after this many hours.")] = 2.0,
    business_line: Annotated[str | None, typer.Option()] = None,
    reason: Annotated[str | None, typer.Option(help="Contact reason to match.")] = None,
    kind: Annotated[str | None, typer.Option()] = None,
    severity: Annotated[str | None, typer.Option()] = None,
    series: Annotated[str | None, typer.Option()] = None,
    by: By = "",
) -> None:
    """Silence alerts matching every given field until the silence expires."""
    fields = {"business_line": business_line, "reason": reason, "kind": kind}
    fields |= {"severity": severity, "series": series}
    matcher = {k: v for k, v in fields.items() if v}
    with _service() as service:
        expires = time.time() + hours * 3600
        silence_id = service.silence(matcher, by or _default_by(), why, expires)
        typer.echo(
            f"silence #{silence_id} until {_when(expires, service.settings.screens.timezone)}"
        )


@alerts_app.command("label")
def label_command(
    alert_id: AlertId,
    label: Annotated[str, typer.Argument(help="valid, noise or duplicate.")],
    by: By = "",
) -> None:
    """Label a resolved alert for the precision figure."""
    with _service() as service:
        typer.echo(_line(service.label(alert_id, by or _default_by(), label), service))


@alerts_app.command("missed")
def missed_command(
    description: str,
    minutes_ago: Annotated[float, typer.Option(min=0)] = 0.0,
    business_line: Annotated[str | None, typer.Option()] = None,
    reason: Annotated[str | None, typer.Option()] = None,
    by: By = "",
) -> None:
    """Log an incident the engine did not raise (counts in the miss rate)."""
    with _service() as service:
        at = time.time() - minutes_ago * 60
        row = service.log_missed(by or _default_by(), at, description, business_line, reason)
        typer.echo(f"missed incident #{row} logged")


@alerts_app.command("quality")
def quality_command(days: Annotated[float, typer.Option(min=0.01)] = 7.0) -> None:
    """Precision, miss rate, MTTA and MTTR over the last DAYS days."""
    with _service() as service:
        now = time.time()
        q = service.quality(now - days * 86400, now)

        def pct(v: float | None) -> str:
            return "-" if v is None else f"{v:.1%}"

        def mins(v: float | None) -> str:
            return "-" if v is None else f"{v / 60:.1f} min"

        typer.echo(
            f"alerts {q.alerts}: valid {q.valid}, noise {q.noise}, duplicate {q.duplicate}, "
            f"unlabelled {q.unlabelled}; missed {q.missed}"
        )
        typer.echo(
            f"precision {pct(q.precision)} (target ≥ 90%)  miss rate {pct(q.miss_rate)} "
            f"(target ≤ 10%)  MTTA {mins(q.mtta_s)}  MTTR {mins(q.mttr_s)}"
        )


@alerts_app.command("check-routing")
def check_routing_command(
    path: Annotated[Path | None, typer.Argument(help="Default: the configured file.")] = None,
) -> None:
    """Validate a routing file; problems are listed with their line numbers."""
    from alerts.routing_file import EXAMPLE_FILE

    target = path or settings_or_exit().routing_file or EXAMPLE_FILE
    try:
        spec = load_routing_spec(target)
    except RoutingError as exc:
        fail(str(exc), code=1)
    typer.echo(
        f"{target}: {len(spec.routes)} routes, {len(spec.teams)} teams, "
        f"{len(spec.people)} people, {len(spec.policies)} policies — OK"
    )


@alerts_app.command("receiver")
def receiver_command(port: Annotated[int, typer.Option()] = 8599) -> None:
    """Run a local webhook receiver that prints every ring (the example routing's target)."""
    with WebhookReceiver(port) as receiver:
        typer.echo(f"listening on {receiver.url('')} — Ctrl-C to stop")
        seen = 0
        try:
            while True:
                messages = receiver.wait_for(seen + 1, timeout_s=3600)
                for m in messages[seen:]:
                    typer.echo(f"--- {m.path}\n{m.title}\n{m.body}\n")
                seen = len(messages)
        except KeyboardInterrupt:
            return


@db_app.command("upgrade")
def upgrade_command(
    url: Annotated[str | None, typer.Option(help="Database URL (default: the settings).")] = None,
) -> None:
    """Apply every migration (idempotent): `gmd run` does this on start."""
    target = url or settings_or_exit().effective_database_url
    try:
        upgrade(target)
    except (OperationalError, ProgrammingError) as exc:
        fail(f"migration failed: {str(exc.orig).splitlines()[0]}", code=1)
    typer.echo("database up to date")
