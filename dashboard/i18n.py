"""Chinese and English labels for everything a person reads on the screens.

Every visible string goes through :func:`translate` (pure, testable) or :func:`t`
(the current visitor's language, kept in the session and defaulting to
``settings.language``).  Domain codes (business lines, reasons, sources) get their
names from the feed catalog, so the wall and the simulator never disagree.
"""

from __future__ import annotations

from typing import Literal

import streamlit as st

Language = Literal["zh", "en"]
LANGUAGES: tuple[Language, ...] = ("zh", "en")
LANG_KEY = "gmd_lang"

LABELS: dict[str, tuple[str, str]] = {
    # navigation and chrome
    "app.title": ("光明顶 · 客户体验作战室", "Guangmingding · Customer-experience war room"),
    "page.wall": ("作战大屏", "War-room wall"),
    "page.console": ("值班台", "On-call console"),
    "page.review": ("告警复盘", "Alert review"),
    "lang.switch": ("语言", "Language"),
    "all_lines": ("全部业务线", "All business lines"),
    "updated_at": ("更新于 {time}", "Updated {time}"),
    # KPI tiles
    "kpi.contacts_per_min": ("每分钟进线", "Contacts / min"),
    "kpi.pickup_rate": ("接起率", "Pick-up rate"),
    "kpi.service_level": ("服务水平", "Service level"),
    "kpi.waiting_now": ("排队中", "Waiting now"),
    "kpi.longest_wait_s": ("最长等待", "Longest wait"),
    "kpi.robot_share": ("机器人占比", "Robot share"),
    "kpi.agents_on_duty": ("在岗小二", "Agents on duty"),
    "kpi.cloud_agents_on_duty": ("在岗云客服", "Cloud agents on duty"),
    "kpi.target": ("目标 {target}", "target {target}"),
    # panels
    "panel.obstacles": ("体验障碍", "Experience obstacles"),
    "panel.voices": ("外部声音", "External voices"),
    "panel.contacts": (
        "近24小时各业务线每分钟进线（▼ 告警开始）",
        "Contacts per minute by business line, last 24 h (▼ alert onset)",
    ),
    "obstacles.none": ("当前没有未关闭的体验障碍", "No open experience obstacles"),
    "obstacle.since": ("始于 {time}（{ago}前）", "since {time} ({ago} ago)"),
    "obstacle.ratio": ("{ratio:.1f}× 预期", "{ratio:.1f}× expected"),
    "obstacle.acked": ("{who} 已确认 · {ago}前", "acknowledged by {who} · {ago} ago"),
    "obstacle.unacked": ("尚无人确认", "not acknowledged yet"),
    "voices.negative_share": ("负面占比", "Negative share"),
    "voices.by_source": ("各来源声量", "Volume by source"),
    "voices.latest": ("最新负面声音", "Latest negative voices"),
    "voices.none": ("暂无负面声音", "No negative voices"),
    "chart.onset": ("告警", "alert"),
    "chart.no_data": ("暂无数据", "No data yet"),
    # alerts
    "severity.critical": ("紧急", "critical"),
    "severity.major": ("严重", "major"),
    "severity.minor": ("一般", "minor"),
    "severity.info": ("提示", "info"),
    "kind.spike": ("进线激增", "spike"),
    "kind.drop": ("进线骤降", "drop"),
    "kind.queue_breach": ("排队超标", "queue breach"),
    "kind.sentiment_storm": ("舆情风暴", "sentiment storm"),
    "kind.transcript_flag": ("会话风险", "transcript flag"),
    "status.open": ("未处理", "open"),
    "status.acknowledged": ("已确认", "acknowledged"),
    "status.snoozed": ("已暂缓", "snoozed"),
    "status.silenced": ("已静默", "silenced"),
    "status.resolved": ("已解决", "resolved"),
    # banners
    "banner.stale": ("{feed}数据流自 {time} 起中断", "{feed} feed stale since {time}"),
    "banner.never": ("{feed}数据流尚未收到数据", "{feed} feed has sent no data yet"),
    "banner.redis_down": (
        "实时数据存储不可用（自 {time} 起），显示的是最后一次数据",
        "Live data store unavailable since {time}; showing the last data received",
    ),
    "banner.db_down": (
        "告警数据库不可用（自 {time} 起），显示的是最后一次数据",
        "Alert database unavailable since {time}; showing the last data received",
    ),
    "banner.not_ready": ("{part} 尚未就绪", "{part} is not available yet"),
    "feed.contacts": ("进线", "Contacts"),
    "feed.queue": ("排队", "Queue"),
    "feed.voices": ("外部声音", "Voices"),
    "feed.conversations": ("会话", "Conversations"),
    # sign-in
    "auth.sign_in": ("登录", "Sign in"),
    "auth.sign_out": ("退出", "Sign out"),
    "auth.sso": ("使用企业账号登录", "Sign in with your company account"),
    "auth.username": ("用户名", "User name"),
    "auth.password": ("密码", "Password"),
    "auth.bad_credentials": ("用户名或密码错误", "Wrong user name or password"),
    "auth.forbidden": (
        "你的角色（{role}）无权访问此页面，需要 {needed}",
        "Your role ({role}) may not open this page; it needs {needed}",
    ),
    "auth.signed_in_as": ("{name}（{role}）", "{name} ({role})"),
    "auth.demo": (
        "演示模式：未配置用户文件，本机访问者为 {role}",
        "Demo mode: no users file configured; local visitors are {role}",
    ),
    "role.viewer": ("只读", "viewer"),
    "role.lead": ("值班负责人", "lead"),
    "role.admin": ("管理员", "admin"),
    # durations
    "dur.s": ("{n}秒", "{n}s"),
    "dur.m": ("{n}分钟", "{n} min"),
    "dur.h": ("{n}小时{m}分", "{n} h {m} min"),
}


def translate(key: str, lang: Language, **values: object) -> str:
    """The label in ``lang`` with ``values`` filled in; the key itself if unknown."""
    pair = LABELS.get(key)
    if pair is None:
        return key
    text = pair[0] if lang == "zh" else pair[1]
    return text.format(**values) if values else text


def current_language(default: Language) -> Language:
    """The visitor's chosen language (sidebar switch or ``?lang=en`` on a kiosk URL),
    else the configured default."""
    chosen = st.session_state.get(LANG_KEY) or st.query_params.get("lang")
    return chosen if chosen in LANGUAGES else default


def t(key: str, **values: object) -> str:
    """Translate for the current visitor (``settings.language`` unless they switched)."""
    from dashboard.services import get_settings

    return translate(key, current_language(get_settings().language), **values)


def duration(seconds: float, lang: Language) -> str:
    """A short human duration: 45s, 12 min, 2 h 5 min."""
    s = max(0, int(seconds))
    if s < 60:
        return translate("dur.s", lang, n=s)
    if s < 3600:
        return translate("dur.m", lang, n=s // 60)
    return translate("dur.h", lang, n=s // 3600, m=(s % 3600) // 60)


def language_switch(default: Language) -> None:
    """Sidebar radio that stores the visitor's language in their session."""
    current = current_language(default)
    choice = st.sidebar.radio(
        translate("lang.switch", current),
        LANGUAGES,
        index=LANGUAGES.index(current),
        format_func=lambda code: "中文" if code == "zh" else "English",
        horizontal=True,
    )
    if choice != current:
        st.session_state[LANG_KEY] = choice
        st.rerun()
