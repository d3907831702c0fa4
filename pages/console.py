"""The on-call console: the alert list, one alert's page, and the lead's buttons.

``/console?alert=ID`` (the link every ring carries) opens one alert.  Viewers may
look; only leads and admins see buttons, and :class:`~dashboard.actions.ConsoleActions`
refuses their actions anyway.  Only the actions the alert's state allows are offered
(no ring on a resolved alert, a label only once it is resolved).  Every action is
recorded under the signed-in name.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Sequence
from datetime import datetime
from zoneinfo import ZoneInfo

import streamlit as st

from alerts.lifecycle import Action, AlertStatus, allowed
from alerts.views import AlertView, EventView
from dashboard.actions import ConsoleActions
from dashboard.alert_tables import alerts_frame, timeline_frame
from dashboard.alert_words import alert_title, names_text, size_text
from dashboard.console_ui import (
    evidence,
    flash,
    rings_list,
    run_action,
    show_flash,
    show_verbatims,
)
from dashboard.i18n import t
from dashboard.page import page_setup
from dashboard.qinting import listen_link
from dashboard.services import ServiceDown, get_alert_service, get_reader, get_settings, guarded
from dashboard.wall_data import severity_rank
from datasources.catalog import codes, label

SEVERITIES = ("critical", "major", "minor", "info")
STATUSES = ("open", "acknowledged", "snoozed", "silenced", "resolved")
SNOOZES_MIN = (15, 30, 60, 240)

user, lang = page_setup("viewer")
settings = get_settings()
tz = settings.screens.timezone
service = get_alert_service()
actions = ConsoleActions(service, user)


def alert_list() -> None:
    st.title(t("page.console"))
    show_flash()
    c1, c2, c3, c4 = st.columns(4)
    statuses = c1.multiselect(
        t("col.status"), STATUSES, default=STATUSES[:4], format_func=lambda s: t(f"status.{s}")
    )
    line = c2.selectbox(
        t("col.business_line"), [None, *codes("business_line")],
        format_func=lambda c: t("console.all") if c is None else label("business_line", c, lang),
    )  # fmt: skip
    severity = c3.selectbox(
        t("col.severity"), [None, *SEVERITIES],
        format_func=lambda s: t("console.all") if s is None else t(f"severity.{s}"),
    )  # fmt: skip
    teams = guarded(service.teams)
    owner = c4.selectbox(
        t("col.owner"), [None, *teams],
        format_func=lambda o: t("console.all") if o is None else teams.get(o, o),
    )  # fmt: skip
    alerts = guarded(
        lambda: service.list_alerts(
            status=statuses or None, business_line=line, severity=severity, owner=owner, limit=500
        )
    )
    alerts.sort(key=lambda a: (severity_rank(a.severity), -a.first_seen))
    if not alerts:
        st.info(t("console.none"))
    else:
        st.caption(t("console.pick"))
        picked = st.dataframe(
            alerts_frame(alerts, lang, tz, teams), hide_index=True, width="stretch",
            on_select="rerun", selection_mode="single-row", key="alert-list",
        )  # fmt: skip
        rows = picked.selection.rows
        if rows:
            st.query_params["alert"] = str(alerts[rows[0]].id)
            st.rerun()
    if actions.can_act:
        missed_form()


def missed_form() -> None:
    with st.expander(t("btn.missed")), st.form("missed", clear_on_submit=True):
        now = datetime.now(ZoneInfo(tz))
        day = st.date_input(t("missed.when"), now.date())
        at = st.time_input(" ", now.time().replace(microsecond=0), label_visibility="collapsed")
        line = st.selectbox(
            t("col.business_line"), [None, *codes("business_line")],
            format_func=lambda c: "—" if c is None else label("business_line", c, lang),
        )  # fmt: skip
        reason = st.selectbox(
            t("col.reason"), [None, *codes("reason")],
            format_func=lambda c: "—" if c is None else label("reason", c, lang),
        )  # fmt: skip
        text = st.text_area(t("missed.what"))
        if st.form_submit_button(t("btn.missed")):
            when = datetime.combine(day, at, ZoneInfo(tz)).timestamp()
            new_id = run_action(lambda: actions.log_missed(when, text, line, reason), lang)
            if new_id is not None:
                flash(t("missed.logged", id=new_id))


@st.dialog(" ")
def ring_dialog(alert_id: int) -> None:
    """Who would be rung, then ring once; the dialog closes and the page says it rang."""
    st.subheader(t("ring.title"))
    key = f"gmd_ring_request_{alert_id}"
    request_id = st.session_state.setdefault(key, uuid.uuid4().hex)
    targets = run_action(lambda: actions.preview_ring(alert_id), lang)
    if targets is None:
        return
    if not targets:
        st.warning(t("ring.nobody"))
        return
    st.write(t("ring.will_ring"))
    for target in targets:
        st.text(f"{target.name}: {', '.join(target.channels)}")
    if st.button(t("btn.ring_now"), type="primary", key="ring-now"):
        receipt = run_action(lambda: actions.ring_owner(alert_id, request_id), lang)
        if receipt is not None:
            del st.session_state[key]  # the next click is a new ring
            names = names_text([r.name for r in receipt.targets], lang)
            status = t(f"ring.status.{receipt.status}")
            message = "ring.sent" if receipt.created else "ring.again"
            flash(t(message, names=names, status=status))


def buttons(alert: AlertView) -> None:
    """The lead's buttons: only those the alert's state allows, each doing what it says."""
    if not actions.can_act:
        st.caption(t("console.read_only"))
        return
    status = AlertStatus(alert.status)
    done = None
    row = st.container(horizontal=True, key="console-actions", vertical_alignment="center")
    if allowed(status, Action.ACKNOWLEDGE) and row.button(t("btn.ack"), type="primary", key="ack"):
        done = run_action(lambda: actions.acknowledge(alert.id), lang)
    if allowed(status, Action.RING) and row.button(t("btn.ring"), key="ring"):
        ring_dialog(alert.id)
    if allowed(status, Action.SNOOZE):
        with row.popover(t("btn.snooze")):
            minutes = st.selectbox(
                t("snooze.for"), SNOOZES_MIN, format_func=lambda m: t("dur.m", n=m)
            )
            if st.button(t("btn.snooze"), key="snooze"):
                until = time.time() + minutes * 60
                done = run_action(lambda: actions.snooze(alert.id, until), lang)
    if allowed(status, Action.RESOLVE):
        with row.popover(t("btn.resolve")):
            comment = st.text_input(t("resolve.comment"), key="resolve-comment")
            if st.button(t("btn.resolve"), type="primary", key="resolve"):
                done = run_action(lambda: actions.resolve(alert.id, comment), lang)
    if allowed(status, Action.LABEL):
        choice = row.segmented_control(
            t("btn.label"), ("valid", "noise", "duplicate"), default=alert.label,
            label_visibility="collapsed",
            format_func=lambda v: t(f"label.{v}"), key=f"label-{alert.id}",
        )  # fmt: skip
        if choice and choice != alert.label:
            done = run_action(lambda: actions.label(alert.id, choice), lang)
    if done is not None:
        st.rerun()


def alert_page(alert_id: int) -> None:
    if st.button(t("console.back")):
        del st.query_params["alert"]
        st.rerun()
    detail = run_action(lambda: service.get(alert_id), lang)
    if detail is None:
        return
    alert = detail.alert
    teams = guarded(service.teams)
    st.title(f"#{alert.id} {alert_title(alert, lang)}")
    facts = [t(f"severity.{alert.severity}"), t(f"status.{alert.status}"), size_text(alert, lang)]
    facts.append(t("console.owner", team=teams.get(alert.owner_team, alert.owner_team)))
    st.caption(" · ".join(f for f in facts if f))
    if alert.status == "resolved" and alert.anomaly_active and alert.kind != "transcript_flag":
        st.info(t("console.quiet"))
    show_flash()
    buttons(alert)
    left, right = st.columns([0.6, 0.4])
    with left:
        evidence(alert, lang, tz)
        st.subheader(t("console.timeline"))
        timeline = timeline_frame(detail.timeline, lang, tz)
        st.table(timeline.set_index(timeline.columns[0]))  # sentences wrap; a grid cuts them
    with right:
        st.subheader(t("console.verbatims"))
        recent = run_action(lambda: get_reader().recent_verbatims(alert.series, 5), lang) or []
        show_verbatims([*alert.verbatims, *recent][:8])
        listen = listen_link(alert.series, alert.business_line, alert.reason)
        if listen and alert.kind != "transcript_flag":
            st.link_button(t("listen.topic"), listen, icon=":material/headphones:")
        notes(alert, detail.notes)
        if detail.rings:
            st.subheader(t("console.rings"))
            rings_list(detail.rings, lang, tz)


def notes(alert: AlertView, written: Sequence[EventView]) -> None:
    st.subheader(t("console.notes"))
    for note in written:
        st.caption(f"{note.by} · {datetime.fromtimestamp(note.at, ZoneInfo(tz)):%m-%d %H:%M}")
        st.text(note.text)
    if actions.can_act:
        with st.form("note", clear_on_submit=True):
            text = st.text_area(t("console.note"))
            noted = st.form_submit_button(t("btn.note"))
        if noted and run_action(lambda: actions.add_note(alert.id, text), lang) is not None:
            st.rerun()


try:
    selected = st.query_params.get("alert")
    if selected and selected.isdigit():
        alert_page(int(selected))
    else:
        alert_list()
except ServiceDown as exc:
    st.error(t(f"banner.{exc.part}_down", time=datetime.now(ZoneInfo(tz)).strftime("%H:%M:%S")))
