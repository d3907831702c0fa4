"""The console's pieces: run an action and show its refusal, and what an alert rests on.

An action that fails — refused by role, illegal in the alert's state, or with the
database or Redis away — becomes one red line on the page, never a traceback.
What an alert rests on depends on its kind: a contact, queue or voice anomaly has
a chart of its series; a transcript flag or a listener's bell has a conversation
(the rule that matched, the words, who rang and what they wrote, and a link to
follow it live).  Customer words are drawn with ``st.text`` only.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import NoReturn, TypeVar
from zoneinfo import ZoneInfo

import streamlit as st

from alerts.lifecycle import AlertError
from alerts.views import AlertView, RingView
from dashboard import charts
from dashboard.alert_words import FLAG, flagged_as, is_bell, names_text, person
from dashboard.i18n import Language, t, translate
from dashboard.qinting import listen_link
from dashboard.services import ServiceDown, get_reader, guarded
from dashboard.users import PermissionDenied
from datasources.aggregates_series import KEPT_FAMILIES, history_metric

T = TypeVar("T")
FLASH = "gmd_console_flash"


def flash(message: str) -> NoReturn:
    """Say ``message`` at the top of the page after a fresh run (a dialog closed, a form
    collapsed: a confirmation inside them would be hidden or gone)."""
    st.session_state[FLASH] = message
    st.rerun()


def show_flash() -> None:
    if message := st.session_state.pop(FLASH, None):
        st.success(message)


def in_language(message: str, lang: Language) -> str:
    """The reader's half of an engine message written ``中文 / English``."""
    zh, sep, en = message.partition(" / ")
    return message if not sep else (zh if lang == "zh" else en)


def run_action(call: Callable[[], T], lang: Language) -> T | None:
    """``call()``'s result, or ``None`` after showing why it was refused (one line)."""
    try:
        return guarded(call)
    except (AlertError, PermissionDenied) as exc:
        st.error(in_language(str(exc), lang))
    except ServiceDown as exc:
        st.error(f"{t(f'banner.{exc.part}_down', time='—')} ({exc})")
    return None


def show_verbatims(verbatims: Sequence[str]) -> None:
    """Customer words as plain text (``st.text``): never Markdown, never HTML."""
    if not verbatims:
        st.caption("—")
    for text in dict.fromkeys(verbatims):
        st.text(f"“{text}”")


def evidence(alert: AlertView, lang: Language, tz: str) -> None:
    """The chart of the anomaly's series, or the conversation a flag or bell points at."""
    if alert.kind == FLAG or alert.series.split(":", 1)[0] not in KEPT_FAMILIES:
        conversation(alert, lang)
        return
    st.subheader(t("console.chart"))
    metric = history_metric(alert.series, alert.metric)
    history = run_action(
        lambda: get_reader().series_history(alert.series, minutes=180, metric=metric), lang
    )
    if history is not None:
        st.plotly_chart(
            charts.series_figure(history, "value", tz=tz, height=300, onset=alert.onset),
            key="alert-chart", width="stretch",
        )  # fmt: skip


def conversation(alert: AlertView, lang: Language) -> None:
    """A flag or a bell: what was flagged, in whose words, and where to listen."""
    st.subheader(t("flag.rule"))
    with st.container(key="gmd-flag"):
        st.text(flagged_as(alert, lang))
        detail = alert.detail
        if detail.get("phrase") and not is_bell(alert):
            st.caption(translate("flag.phrase", lang, phrase=detail["phrase"]))
        if is_bell(alert):
            st.caption(translate("flag.listener", lang, who=detail.get("listener", "—")))
            if detail.get("comment"):
                st.caption(t("act.ring_comment"))
                st.text(f"“{detail['comment']}”")
        link = listen_link(alert.series, alert.business_line, alert.reason)
        if link:
            st.link_button(t("flag.open"), link, icon=":material/headphones:")


def rings_list(rings: Sequence[RingView], lang: Language, tz: str) -> None:
    """Who was rung, when, by whom, and whether it arrived — in words."""
    for ring in rings:
        when = datetime.fromtimestamp(ring.at, ZoneInfo(tz)).strftime("%m-%d %H:%M:%S")
        status = translate(f"ring.status.{ring.status}", lang)
        who = person(ring.by, lang)
        st.text(f"{when} · {who} → {names_text(ring.recipients, lang)} · {status}")
