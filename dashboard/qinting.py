"""What the listening and radio pages share: their stores and small renderers.

The stores are built once per process (``st.cache_resource``) on the same Redis
client and settings as the other pages.  Their words are in the glossary
(:mod:`dashboard.i18n`) like every page's; customer words are only ever drawn with
``st.text`` (plain text, never Markdown or HTML), whatever they contain.
"""

from __future__ import annotations

from datetime import datetime
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

import streamlit as st
from sqlalchemy.orm import Session, sessionmaker

from dashboard.i18n import Language, translate
from dashboard.services import DOWN_ERRORS, ServiceDown, get_keys, get_redis, get_settings
from datasources.catalog import label
from datasources.conversations import ConversationStore, StoredUtterance
from datasources.db import make_engine, make_sessionmaker
from datasources.qinting_store import ListeningStore
from datasources.radio_store import RadioStore

UNAVAILABLE: tuple[type[BaseException], ...] = (ServiceDown, *DOWN_ERRORS)
"""What a page catches around Redis and database reads: it shows :func:`unavailable`."""


def unavailable(exc: BaseException, lang: Language) -> None:
    """Redis or the database is down: one line on the page, never a traceback."""
    first = str(exc).splitlines()[0] if str(exc) else ""
    st.error(translate("act.unavailable", lang, error=f"{type(exc).__name__}: {first}"[:200]))


@st.cache_resource(show_spinner=False)
def get_db_sessions() -> sessionmaker[Session]:
    return make_sessionmaker(make_engine(get_settings().effective_database_url))


def conversation_store() -> ConversationStore:
    return ConversationStore(get_redis(), get_keys(), get_settings().qinting)


def listening_store() -> ListeningStore:
    return ListeningStore(get_db_sessions())


def radio_store() -> RadioStore:
    return RadioStore(get_db_sessions())


def listen_url(business_line: str | None = None, reason: str | None = None, **more: str) -> str:
    """The listening page's link for a topic: ``/listen?business_line=…&reason=…``."""
    query = {"business_line": business_line, "reason": reason, **more}
    return "/listen?" + urlencode({k: v for k, v in query.items() if v})


def listen_link(series: str, business_line: str | None, reason: str | None) -> str | None:
    """Where "listen to customers on this topic" goes from an alert: the conversation
    itself for a transcript flag or a bell, the live conversations of a queue's skill
    group, else those on the alert's business line (and reason, when it has one)."""
    family, _, rest = series.partition(":")
    if family == "conversation" and rest:
        return listen_url(conversation=rest)
    if family == "queue" and rest:
        return listen_url(skill_group=rest)
    if business_line:
        return listen_url(business_line, reason)
    return None


def clock(ts: float, fmt: str = "%H:%M:%S") -> str:
    return datetime.fromtimestamp(ts, ZoneInfo(get_settings().screens.timezone)).strftime(fmt)


def utterance_line(u: StoredUtterance, lang: Language) -> str:
    """``14:02:11  顾客：…`` — drawn with ``st.text``, so the words stay inert."""
    return f"{clock(u.ts)}  {label('speaker', u.speaker, lang)}: {u.text}"
