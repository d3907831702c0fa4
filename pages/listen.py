"""Qinting (亲听): follow a live customer conversation, take notes, act on what you hear.

Deep link from an obstacle: ``/listen?business_line=tmall&reason=refund`` lists the
live conversations on that topic (also ``channel=``, ``skill_group=``); add
``&conversation=ID`` to open one.  The transcript follows the conversation with a
fragment re-run every ``qinting.transcript_refresh_s`` that reads only what was
appended since the last run.  Customer words are drawn with ``st.text`` only.
"""

from __future__ import annotations

import time

import streamlit as st

from dashboard import qinting as q
from dashboard.alert_words import topic
from dashboard.i18n import Language, duration, translate
from dashboard.page import page_setup
from dashboard.qinting_actions import actions_panel, notes_panel
from dashboard.services import get_settings
from dashboard.users import User
from datasources.catalog import Kind, codes, label
from datasources.conversations import ConversationSummary, StoredUtterance, merge_transcript

FILTERS: tuple[Kind, ...] = ("business_line", "reason", "channel", "skill_group")

settings = get_settings()
user, lang = page_setup(settings.qinting.listen_role)


def _follow_url(name: str, key: str) -> None:
    """A selector changed: write it into the URL, which the next run reads back."""
    value = st.session_state[key]
    if value:
        st.query_params[name] = value
    elif name in st.query_params:
        del st.query_params[name]


def filters_row(lang: Language) -> dict[str, str | None]:
    """Four selectors bound to the URL's query parameters: the URL decides (a deep link
    from an alert, a reload, browser navigation), a change of selector rewrites it."""
    chosen: dict[str, str | None] = {}
    for column, name in zip(st.columns(len(FILTERS)), FILTERS, strict=True):
        options: list[str] = ["", *codes(name)]
        current = st.query_params.get(name, "")
        if current and current not in options:
            options.append(current)
        key = f"qt-filter-{name}"
        st.session_state[key] = current

        def show(code: str, kind: str = name) -> str:
            return label(kind, code, lang) if code else translate("filter.any", lang)

        with column:
            st.selectbox(
                translate(f"filter.{name}", lang),
                options,
                format_func=show,
                key=key,
                on_change=_follow_url,
                args=(name, key),
            )
        chosen[name] = current or None
    return chosen


def open_conversation(conversation_id: str | None) -> None:
    if conversation_id:
        st.query_params["conversation"] = conversation_id
    elif "conversation" in st.query_params:
        del st.query_params["conversation"]
    st.rerun()


@st.fragment(run_every=settings.refresh_s)
def live_list(chosen: dict[str, str | None], lang: Language) -> None:
    now = time.time()
    try:
        rows = q.conversation_store().live(now, limit=50, **chosen)
    except q.UNAVAILABLE as exc:
        q.unavailable(exc, lang)
        return
    if not rows:
        st.info(translate("listen.none", lang))
        return
    for row in rows:
        left, middle, right = st.columns([0.55, 0.3, 0.15], vertical_alignment="center")
        left.text(f"{topic(row.business_line, row.reason, lang)}  ·  {row.conversation_id}")
        since = translate(
            "listen.since", lang, time=q.clock(row.started), ago=duration(now - row.last_ts, lang)
        )
        where = (
            f"{label('channel', row.channel, lang)} · {label('skill_group', row.skill_group, lang)}"
        )
        middle.caption(f"{where} · {since}")
        if right.button(translate("listen.open", lang), key=f"qt-open-{row.conversation_id}"):
            open_conversation(row.conversation_id)


def sessions_panel(user: User, lang: Language) -> None:
    """Each manager's sessions this month: qinting is a habit, so it is counted."""
    st.subheader(translate("sessions.title", lang))
    from zoneinfo import ZoneInfo

    rows = q.listening_store().this_month(time.time(), ZoneInfo(settings.screens.timezone))
    if not rows:
        st.caption(translate("sessions.none", lang))
        return
    per: dict[str, list[float]] = {}
    for r in rows:
        acc = per.setdefault(r.listener, [0, 0.0, 0, 0])
        acc[0] += 1
        acc[1] += r.duration_s / 60
        acc[2] += r.notes
        acc[3] += r.actions
    st.caption(translate("sessions.everyone", lang))
    st.dataframe(
        [
            {
                translate("col.listener", lang): who,
                translate("col.sessions", lang): int(a[0]),
                translate("col.minutes", lang): round(a[1], 1),
                translate("col.notes", lang): int(a[2]),
                translate("col.actions", lang): int(a[3]),
            }
            for who, a in sorted(per.items())
        ],
        hide_index=True,
    )
    st.caption(translate("sessions.mine", lang))
    st.dataframe(
        [
            {
                translate("col.started", lang): q.clock(r.started_at, "%m-%d %H:%M"),
                translate("col.topic", lang): topic(r.business_line, r.reason, lang),
                translate("col.conversation", lang): r.conversation_id,
                translate("col.minutes", lang): round(r.duration_s / 60, 1),
                translate("col.notes", lang): r.notes,
                translate("col.actions", lang): r.actions,
            }
            for r in rows
            if r.listener == user.name
        ],
        hide_index=True,
    )


def context_panel(summary: ConversationSummary, lang: Language) -> None:
    st.subheader(translate("listen.context", lang))
    wait = summary.wait_s
    handled = summary.handled_by
    if handled == "robot":
        handled = label("handled_by", "robot", lang)
    st.text(
        "  ·  ".join(
            [
                topic(summary.business_line, summary.reason, lang),
                label("channel", summary.channel, lang),
                label("skill_group", summary.skill_group, lang),
                translate("listen.wait", lang, wait=duration(wait, lang))
                if wait is not None
                else translate("listen.waiting", lang),
                *([translate("listen.handled_by", lang, who=handled)] if handled else []),
            ]
        )
    )
    st.caption(translate("listen.recent", lang))
    recent = (
        q.conversation_store().recent_contacts(summary.customer_id or "")
        if summary.customer_id
        else []
    )
    if not recent:
        st.caption(translate("listen.no_recent", lang))
        return
    st.dataframe(
        [
            {
                translate("col.started", lang): q.clock(c.ts, "%m-%d %H:%M"),
                translate("col.topic", lang): topic(c.business_line, c.reason, lang),
                translate("filter.channel", lang): label("channel", c.channel, lang),
                translate("col.waited", lang): duration(c.waited_s, lang),
                translate("col.handled_by", lang): label("handled_by", c.handled_by, lang),
            }
            for c in recent
        ],
        hide_index=True,
    )


def follow_state(conversation_id: str) -> dict[str, object]:
    state = st.session_state.setdefault(f"qt-follow-{conversation_id}", {"offset": 0, "shown": []})
    assert isinstance(state, dict)
    return state


@st.fragment(run_every=settings.qinting.transcript_refresh_s)
def live_transcript(conversation_id: str, session_id: int, lang: Language) -> None:
    """Read only what was appended since the last run, and keep the session alive."""
    state = follow_state(conversation_id)
    try:
        store = q.conversation_store()
        offset, new = store.follow(conversation_id, int(state["offset"]))  # type: ignore[call-overload]
        summary = store.summary(conversation_id)
        q.listening_store().touch(session_id, now=time.time())
    except q.UNAVAILABLE as exc:
        q.unavailable(exc, lang)
        new, offset, summary = [], int(state["offset"]), None  # type: ignore[call-overload]
    shown: list[StoredUtterance] = merge_transcript(state["shown"], new)  # type: ignore[arg-type]
    state["offset"], state["shown"] = offset, shown
    with st.container(height=360, key="qt-transcript"):
        for u in shown:
            st.text(q.utterance_line(u, lang))
    if summary is not None and summary.final:
        st.info(translate("listen.ended", lang))


def transcript_view(conversation_id: str, user: User, lang: Language) -> None:
    if st.button(translate("listen.back", lang), key="qt-back"):
        open_conversation(None)
    summary = q.conversation_store().summary(conversation_id)
    if summary is None:
        st.warning(translate("listen.gone", lang))
        return
    sessions = st.session_state.setdefault("qt-sessions", {})
    if conversation_id not in sessions:
        sessions[conversation_id] = q.listening_store().start(user.name, summary, now=time.time())
    session_id = int(sessions[conversation_id])
    context_panel(summary, lang)
    st.subheader(translate("listen.transcript", lang))
    live_transcript(conversation_id, session_id, lang)
    shown = follow_state(conversation_id)["shown"]
    assert isinstance(shown, list)
    left, right = st.columns(2, gap="large")
    with left:
        notes_panel(session_id, shown, user, lang)
    with right:
        actions_panel(summary, session_id, shown, user, lang)


st.title(translate("listen.title", lang))
conversation = st.query_params.get("conversation")
try:
    if conversation:
        transcript_view(conversation, user, lang)
    else:
        chosen = filters_row(lang)
        live_list(chosen, lang)
        sessions_panel(user, lang)
except q.UNAVAILABLE as exc:
    q.unavailable(exc, lang)
