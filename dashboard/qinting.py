"""What the listening and radio pages share: their stores, labels and small renderers.

The stores are built once per process (``st.cache_resource``) on the same Redis
client and settings as the other pages.  Labels are bilingual like
:mod:`dashboard.i18n`; customer words are only ever drawn with ``st.text`` (plain
text, never Markdown or HTML), whatever they contain.
"""

from __future__ import annotations

from datetime import datetime
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

import streamlit as st
from sqlalchemy.orm import Session, sessionmaker

from dashboard.i18n import Language
from dashboard.services import DOWN_ERRORS, ServiceDown, get_keys, get_redis, get_settings
from datasources.catalog import label
from datasources.conversations import ConversationStore, StoredUtterance
from datasources.db import make_engine, make_sessionmaker
from datasources.qinting_store import ListeningStore
from datasources.radio_store import RadioStore

LABELS: dict[str, tuple[str, str]] = {
    "listen.title": ("亲听 · 实时会话", "Qinting · live conversations"),
    "listen.topic": ("亲听这个话题的客户", "Listen to customers on this topic"),
    "listen.none": ("当前没有符合条件的实时会话", "No live conversations match"),
    "listen.open": ("收听", "Listen"),
    "listen.back": ("← 返回会话列表", "← All live conversations"),
    "listen.ended": ("会话已结束", "The conversation has ended"),
    "listen.gone": ("这通会话已不在实时存储中", "This conversation is no longer in the live store"),
    "listen.context": ("会话背景", "Context"),
    "listen.wait": ("等待人工 {wait}", "waited {wait} for an agent"),
    "listen.waiting": ("尚无人工接待", "no agent yet"),
    "listen.handled_by": ("接待：{who}", "handled by {who}"),
    "listen.recent": ("该顾客近期进线", "This customer's recent contacts"),
    "listen.no_recent": ("无近期进线记录", "No recent contacts on record"),
    "listen.transcript": ("实时转写", "Live transcript"),
    "listen.since": ("开始于 {time}，最近一句 {ago}前", "started {time}, last words {ago} ago"),
    "filter.business_line": ("业务线", "Business line"),
    "filter.reason": ("诉求", "Reason"),
    "filter.channel": ("渠道", "Channel"),
    "filter.skill_group": ("技能组", "Skill group"),
    "filter.any": ("全部", "Any"),
    "note.title": ("笔记与标记", "Notes and tags"),
    "note.text": ("笔记", "Note"),
    "note.tag": ("标签", "Tag"),
    "note.moment": ("针对哪一句", "About which moment"),
    "note.whole": ("整通会话", "The whole conversation"),
    "note.save": ("保存笔记", "Save note"),
    "note.saved": ("笔记已保存", "Note saved"),
    "note.none": ("还没有笔记", "No notes yet"),
    "act.excerpt": ("摘录（顾客原话）", "Excerpt (the customer's words)"),
    "act.ring": ("拉铃：通知负责团队", "Ring the bell for the owning team"),
    "act.ring_comment": ("给负责人的一句话", "A line for the owner"),
    "act.rung": ("已拉铃：告警 #{id}（{team}）", "Bell rung: alert #{id} ({team})"),
    "act.already": (
        "这段摘录已拉过铃（告警 #{id}）",
        "Already rung for this excerpt (alert #{id})",
    ),
    "act.radio": ("推送到9点电台", "Send to the nine o'clock radio"),
    "act.channel": ("频道", "Channel"),
    "act.case_title": ("案例标题", "Case title"),
    "act.case_note": ("推荐理由", "Why it is worth hearing"),
    "act.proposed": (
        "已提交电台案例 #{id}，等待编辑审核",
        "Radio case #{id} proposed for curation",
    ),
    "act.need_excerpt": ("请先选择或填写摘录", "Pick or write an excerpt first"),
    "act.failed": ("操作失败：{error}", "That did not work: {error}"),
    "act.unavailable": (
        "实时数据或数据库暂不可用：{error}",
        "Live data or the database is unavailable: {error}",
    ),
    "sessions.title": ("本月亲听记录", "Listening sessions this month"),
    "sessions.mine": ("我的", "Mine"),
    "sessions.everyone": ("所有管理者", "Every manager"),
    "sessions.none": ("本月还没有亲听记录", "No listening sessions this month"),
    "col.listener": ("收听人", "Listener"),
    "col.sessions": ("次数", "Sessions"),
    "col.minutes": ("分钟", "Minutes"),
    "col.notes": ("笔记", "Notes"),
    "col.actions": ("行动", "Actions"),
    "col.started": ("开始", "Started"),
    "col.topic": ("话题", "Topic"),
    "col.conversation": ("会话", "Conversation"),
    "col.waited": ("等待", "Waited"),
    "col.handled_by": ("接待", "Handled by"),
    "radio.title": ("9点电台", "Nine o'clock radio"),
    "radio.channel": ("频道", "Channel"),
    "radio.day": ("日期", "Day"),
    "radio.digest": ("节目", "Programme"),
    "radio.queue": ("待审核", "Curation queue"),
    "radio.subscriptions": ("订阅", "Subscriptions"),
    "radio.channels": ("频道管理", "Channels"),
    "radio.queue_empty": ("没有待审核的案例", "Nothing waiting for an editor"),
    "radio.publish": ("发布", "Publish"),
    "radio.reject": ("拒绝", "Reject"),
    "radio.reject_reason": ("拒绝原因", "Why not"),
    "radio.published": ("已发布案例 #{id}", "Case #{id} published"),
    "radio.rejected": ("已拒绝案例 #{id}", "Case #{id} rejected"),
    "radio.proposed_by": ("{who} 于 {time} 推荐", "proposed by {who} at {time}"),
    "radio.not_editor": ("只有编辑（{role}）可以审核", "Only editors ({role}) curate"),
    "radio.subscribe": ("订阅此频道", "Subscribe to this channel"),
    "radio.unsubscribe": ("退订", "Unsubscribe"),
    "radio.url": (
        "通知地址（apprise URL，如 dingtalk://… 或 json://…）",
        "Where to send it (an apprise URL: dingtalk://…, json://…)",
    ),
    "radio.subscribed": (
        "已订阅，每天 {time} 收到前一天的节目",
        "Subscribed: yesterday's programme arrives daily at {time}",
    ),
    "radio.my_subs": ("我的订阅", "My subscriptions"),
    "radio.new_channel": ("新建话题频道", "New topic channel"),
    "radio.slug": ("频道代码", "Channel code"),
    "radio.name_zh": ("中文名", "Chinese name"),
    "radio.name_en": ("英文名", "English name"),
    "radio.create": ("创建", "Create"),
    "radio.similar": ("另有 {n} 个相似案例", "{n} similar cases"),
    "radio.schedule": (
        "每天 {time}（{tz}）推送前一天已发布的案例",
        "Sent daily at {time} ({tz}) with the previous day's published cases",
    ),
}


UNAVAILABLE: tuple[type[BaseException], ...] = (ServiceDown, *DOWN_ERRORS)
"""What a page catches around Redis and database reads: it shows :func:`unavailable`."""


def unavailable(exc: BaseException, lang: Language) -> None:
    """Redis or the database is down: one line on the page, never a traceback."""
    first = str(exc).splitlines()[0] if str(exc) else ""
    st.error(tr("act.unavailable", lang, error=f"{type(exc).__name__}: {first}"[:200]))


def tr(key: str, lang: Language, **values: object) -> str:
    pair = LABELS.get(key)
    if pair is None:
        return key
    text = pair[0] if lang == "zh" else pair[1]
    return text.format(**values) if values else text


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
    itself for a transcript flag, else the live conversations on its line and reason."""
    family, _, rest = series.partition(":")
    if family == "conversation" and rest:
        return listen_url(conversation=rest)
    if business_line and reason:
        return listen_url(business_line, reason)
    return None


def clock(ts: float, fmt: str = "%H:%M:%S") -> str:
    return datetime.fromtimestamp(ts, ZoneInfo(get_settings().screens.timezone)).strftime(fmt)


def utterance_line(u: StoredUtterance, lang: Language) -> str:
    """``14:02:11  顾客：…`` — drawn with ``st.text``, so the words stay inert."""
    return f"{clock(u.ts)}  {label('speaker', u.speaker, lang)}: {u.text}"


def topic(business_line: str | None, reason: str | None, lang: Language) -> str:
    parts = [
        label("business_line", business_line, lang) if business_line else "",
        label("reason", reason, lang) if reason else "",
    ]
    return " · ".join(p for p in parts if p)
