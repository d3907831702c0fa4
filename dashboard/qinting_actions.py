"""The listener's side of a session: notes and tags on moments, ringing the bell, the radio.

Each action goes through a service (alerts for the bell, the radio store for a case)
and is written into the session's timeline, so "who listened and what came of it" is
answerable later.  A bell carries a request id derived from the session and excerpt:
a double click, or a rerun of the page, rings once.
"""

from __future__ import annotations

import hashlib
import time

import streamlit as st

from alerts.lifecycle import AlertError
from alerts.transcript_rules import bell_anomaly
from dashboard import qinting as q
from dashboard.alert_words import topic
from dashboard.i18n import Language, translate
from dashboard.services import get_alert_service
from dashboard.users import User
from datasources.catalog import label
from datasources.conversations import ConversationSummary, StoredUtterance
from datasources.qinting_store import NOTE, RADIO, RING
from datasources.radio_store import CaseStateError, Proposal

TAGS = ("", "痛点 pain point", "好做法 good practice", "流程问题 process gap", "情绪 emotion")


def moment_label(seq: int | None, shown: list[StoredUtterance], lang: Language) -> str:
    if seq is None:
        return translate("note.whole", lang)
    for u in shown:
        if u.seq == seq:
            line = q.utterance_line(u, lang)
            return line if len(line) <= 60 else line[:59] + "…"
    return f"#{seq}"


def notes_panel(session_id: int, shown: list[StoredUtterance], user: User, lang: Language) -> None:
    """Timestamped notes, optionally tagged and pinned to one utterance."""
    st.subheader(translate("note.title", lang))
    moments: list[int | None] = [None, *[u.seq for u in shown]]
    with st.form("qt-note", clear_on_submit=True):
        text = st.text_area(translate("note.text", lang), height=80)
        tag = st.selectbox(translate("note.tag", lang), TAGS, accept_new_options=True)
        moment = st.selectbox(
            translate("note.moment", lang),
            moments,
            index=len(moments) - 1,
            format_func=lambda seq: moment_label(seq, shown, lang),
        )
        saved = st.form_submit_button(translate("note.save", lang))
    store = q.listening_store()
    if saved:
        at = next((u.ts for u in shown if u.seq == moment), None)
        try:
            store.add(
                session_id,
                author=user.name,
                kind=NOTE,
                now=time.time(),
                text=text,
                tag=tag or None,
                seq=moment,
                utterance_ts=at,
            )
            st.success(translate("note.saved", lang))
        except ValueError as exc:
            st.error(str(exc))
    notes = store.notes(session_id)
    if not notes:
        st.caption(translate("note.none", lang))
    with st.container(key="qt-notes"):
        for n in notes:
            where = f" @{q.clock(n.utterance_ts)}" if n.utterance_ts else ""
            kind = translate(f"session.{n.kind}", lang)
            head = f"{q.clock(n.created_at)} {n.author} [{kind}{where}]"
            extra = " ".join(p for p in (f"#{n.tag}" if n.tag else "", n.text) if p)
            st.text(f"{head} {extra}" + (f" → {reference(n.ref, lang)}" if n.ref else ""))


def reference(ref: str, lang: Language) -> str:
    """What an action led to, in words: ``alert#12`` → ``告警 #12``, ``case#3`` → ``案例 #3``."""
    what, _, number = ref.partition("#")
    return translate(f"session.ref.{what}", lang, id=number)


def _request_id(session_id: int, excerpt: list[str]) -> str:
    digest = hashlib.sha1("\n".join(excerpt).encode()).hexdigest()[:12]
    return f"qinting:{session_id}:{digest}"


def actions_panel(
    summary: ConversationSummary,
    session_id: int,
    shown: list[StoredUtterance],
    user: User,
    lang: Language,
) -> None:
    """Pick the customer's words once; ring the owner with them or propose them to the radio."""
    customer = [u for u in shown if u.speaker == "customer"]
    picked = st.multiselect(
        translate("act.excerpt", lang),
        [u.seq for u in customer],
        default=[customer[-1].seq] if customer else [],
        format_func=lambda seq: moment_label(seq, shown, lang),
        key="qt-excerpt",
    )
    excerpt = [u.text for u in customer if u.seq in picked]

    st.subheader(translate("act.ring", lang))
    comment = st.text_input(translate("act.ring_comment", lang), key="qt-ring-comment")
    if st.button(translate("act.ring", lang), type="primary", key="qt-ring"):
        ring_the_bell(summary, session_id, excerpt, comment, user, lang)

    st.subheader(translate("act.radio", lang))
    radio_form(summary, session_id, excerpt, user, lang)


def ring_the_bell(
    summary: ConversationSummary,
    session_id: int,
    excerpt: list[str],
    comment: str,
    user: User,
    lang: Language,
) -> None:
    if not excerpt:
        st.error(translate("act.need_excerpt", lang))
        return
    request_id = _request_id(session_id, excerpt)
    rung: dict[str, int] = st.session_state.setdefault("qt-rung", {})
    if request_id in rung:
        st.info(translate("act.already", lang, id=rung[request_id]))
        return
    now = time.time()
    anomaly = bell_anomaly(
        conversation_id=summary.conversation_id,
        business_line=summary.business_line or None,
        reason=summary.reason or None,
        channel=summary.channel or None,
        skill_group=summary.skill_group or None,
        excerpt=excerpt,
        listener=user.name,
        comment=comment,
        now=now,
    )
    try:
        receipt = get_alert_service().raise_alert(anomaly, by=user.name, request_id=request_id)
    except AlertError as exc:
        st.error(translate("act.failed", lang, error=str(exc)))
        return
    except q.UNAVAILABLE as exc:
        q.unavailable(exc, lang)
        return
    alert = receipt.alert
    rung[request_id] = alert.id
    q.listening_store().add(
        session_id,
        author=user.name,
        kind=RING,
        now=now,
        text=" / ".join([comment, *excerpt]).strip(" /"),
        ref=f"alert#{alert.id}",
    )
    team = get_alert_service().teams().get(alert.owner_team, alert.owner_team)
    st.success(translate("act.rung", lang, id=alert.id, team=team))


def radio_form(
    summary: ConversationSummary,
    session_id: int,
    excerpt: list[str],
    user: User,
    lang: Language,
) -> None:
    store = q.radio_store()
    store.ensure_business_line_channels(time.time())
    channels = store.channels()
    ids = [c.id for c in channels]
    names = {c.id: c.name(lang) for c in channels}
    default = next(
        (i for i, c in enumerate(channels) if c.business_line == summary.business_line), 0
    )
    with st.form("qt-radio", clear_on_submit=True):
        channel_id = st.selectbox(
            translate("act.channel", lang), ids, index=default, format_func=lambda i: names[i]
        )
        title = st.text_input(
            translate("act.case_title", lang),
            value=topic(summary.business_line, summary.reason, lang),
        )
        words = st.text_area(translate("act.excerpt", lang), value="\n".join(excerpt), height=90)
        note = st.text_input(translate("act.case_note", lang))
        sent = st.form_submit_button(translate("act.radio", lang))
    if not sent:
        return
    proposal = Proposal(
        title=title,
        excerpt=words,
        note=note,
        business_line=summary.business_line or None,
        reason=summary.reason or None,
        conversation_id=summary.conversation_id,
        session_id=session_id,
    )
    try:
        case_id = store.propose(channel_id, proposal, by=user.name, now=time.time())
    except CaseStateError as exc:
        st.error(str(exc))
        return
    q.listening_store().add(
        session_id,
        author=user.name,
        kind=RADIO,
        now=time.time(),
        text=f"{label('business_line', summary.business_line, lang)}: {title}",
        ref=f"case#{case_id}",
    )
    st.success(translate("act.proposed", lang, id=case_id))
