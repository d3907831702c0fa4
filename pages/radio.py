"""The nine o'clock radio (9点电台): the programme, the curation queue, subscriptions.

``/radio?channel=tmall&day=2026-11-11`` shows the digest that channel's subscribers
received (or will receive) for that day — the very text the worker sends at 09:00.
Editors (``radio.editor_role``) publish, edit or reject proposed cases; anyone signed
in subscribes with an apprise URL.  Customer words are drawn with ``st.text`` only.
"""

from __future__ import annotations

import time
from datetime import date, datetime
from zoneinfo import ZoneInfo

import streamlit as st

from alerts.radio import digest_day
from alerts.radio_digest import channel_digest
from dashboard import qinting as q
from dashboard.alert_words import topic
from dashboard.i18n import Language, translate
from dashboard.page import page_setup
from dashboard.services import get_settings
from dashboard.users import Role, User
from datasources.radio_store import CaseStateError

settings = get_settings()
user, lang = page_setup("viewer")
tz = ZoneInfo(settings.radio.timezone)
store = q.radio_store()


def pick_channel(lang: Language) -> int:
    channels = store.channels()
    slugs = [c.slug for c in channels]
    wanted = st.query_params.get("channel", slugs[0])
    index = slugs.index(wanted) if wanted in slugs else 0
    names = {c.slug: c.name(lang) for c in channels}
    left, right = st.columns([0.6, 0.4])
    slug = left.selectbox(
        translate("radio.channel", lang),
        slugs,
        index=index,
        format_func=lambda s: names[s],
        key="radio-channel",
    )
    st.query_params["channel"] = slug
    default_day = digest_day(datetime.now(tz), tz)
    try:
        day_value = date.fromisoformat(st.query_params.get("day", default_day.isoformat()))
    except ValueError:
        day_value = default_day
    chosen = right.date_input(translate("radio.day", lang), value=day_value, key="radio-day")
    st.query_params["day"] = chosen.isoformat()
    st.session_state["radio-day-value"] = chosen
    return next(c.id for c in channels if c.slug == slug)


def programme(channel_id: int, day: date, lang: Language) -> None:
    channel = store.channel(channel_id)
    assert channel is not None
    digest = channel_digest(store, channel, day, settings, lang)
    st.caption(
        translate(
            "radio.schedule", lang, time=settings.radio.digest_time, tz=settings.radio.timezone
        )
    )
    st.text(digest.title)
    with st.container(key="radio-digest"):
        st.text(digest.body)


def is_editor(user: User, lang: Language) -> bool:
    """Editors curate and create channels; anyone else is told who may."""
    role = settings.radio.editor_role
    if user.role.allows(Role(role)):
        return True
    st.info(translate("radio.not_editor", lang, role=translate(f"role.{role}", lang)))
    return False


def curation(channel_id: int, user: User, lang: Language) -> None:
    if not is_editor(user, lang):
        return
    waiting = store.queue(channel_id)
    if not waiting:
        st.caption(translate("radio.queue_empty", lang))
    for case in waiting:
        with st.container(border=True, key=f"radio-case-{case.id}"):
            st.caption(
                f"#{case.id} · "
                + translate(
                    "radio.proposed_by",
                    lang,
                    who=case.proposed_by,
                    time=q.clock(case.proposed_at, "%m-%d %H:%M"),
                )
                + (
                    f" · {topic(case.business_line, case.reason, lang)}"
                    if case.business_line
                    else ""
                )
            )
            st.text(case.excerpt)
            title = st.text_input(
                translate("act.case_title", lang), case.title, key=f"rt-{case.id}"
            )
            words = st.text_area(translate("act.excerpt", lang), case.excerpt, key=f"rx-{case.id}")
            note = st.text_input(translate("act.case_note", lang), case.note, key=f"rn-{case.id}")
            why = st.text_input(translate("radio.reject_reason", lang), key=f"rr-{case.id}")
            publish, reject = st.columns(2)
            try:
                if publish.button(
                    translate("radio.publish", lang), key=f"rp-{case.id}", type="primary"
                ):
                    store.publish(
                        case.id,
                        by=user.name,
                        now=time.time(),
                        title=title,
                        excerpt=words,
                        note=note,
                    )
                    st.toast(translate("radio.published", lang, id=case.id))
                    st.rerun()
                if reject.button(translate("radio.reject", lang), key=f"rj-{case.id}"):
                    store.reject(case.id, by=user.name, now=time.time(), reason=why)
                    st.toast(translate("radio.rejected", lang, id=case.id))
                    st.rerun()
            except CaseStateError as exc:
                st.error(str(exc))


def subscriptions(channel_id: int, user: User, lang: Language) -> None:
    mine = {s.channel_id: s for s in store.subscriptions(user.name)}
    current = mine.get(channel_id)
    with st.form("radio-subscribe"):
        url = st.text_input(translate("radio.url", lang), value=current.url if current else "")
        done = st.form_submit_button(translate("radio.subscribe", lang))
    if done:
        try:
            store.subscribe(channel_id, user.name, url, now=time.time())
            st.success(translate("radio.subscribed", lang, time=settings.radio.digest_time))
        except CaseStateError as exc:
            st.error(str(exc))
    if current and st.button(translate("radio.unsubscribe", lang), key="radio-unsubscribe"):
        store.unsubscribe(channel_id, user.name)
        st.rerun()
    names = {c.id: c.name(lang) for c in store.channels()}
    st.caption(translate("radio.my_subs", lang))
    for sub in store.subscriptions(user.name):
        st.text(f"{names.get(sub.channel_id, sub.channel_id)}  →  {sub.url}")


def new_channel(user: User, lang: Language) -> None:
    if not is_editor(user, lang):
        return
    with st.form("radio-new-channel", clear_on_submit=True):
        slug = st.text_input(translate("radio.slug", lang), max_chars=60)
        name_zh = st.text_input(translate("radio.name_zh", lang))
        name_en = st.text_input(translate("radio.name_en", lang))
        made = st.form_submit_button(translate("radio.create", lang))
    if made and slug.strip():
        store.ensure_channel(slug.strip(), name_zh or slug, name_en or slug, now=time.time())
        st.rerun()


st.title(translate("radio.title", lang))
try:
    store.ensure_business_line_channels(time.time())
    channel_id = pick_channel(lang)
    tabs = st.tabs(
        [
            translate(k, lang)
            for k in ("radio.digest", "radio.queue", "radio.subscriptions", "radio.channels")
        ]
    )
    with tabs[0]:
        programme(channel_id, st.session_state["radio-day-value"], lang)
    with tabs[1]:
        curation(channel_id, user, lang)
    with tabs[2]:
        subscriptions(channel_id, user, lang)
    with tabs[3]:
        new_channel(user, lang)
except q.UNAVAILABLE as exc:
    q.unavailable(exc, lang)
