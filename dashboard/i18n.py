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
    "obstacle.ratio": ("{ratio:.1f} 倍预期", "{ratio:.1f}× expected"),
    "obstacle.acked": ("{who} 已确认 · {ago}前", "acknowledged by {who} · {ago} ago"),
    "obstacle.unacked": ("尚无人确认", "not acknowledged yet"),
    "voices.negative_share": ("负面占比", "Negative share"),
    "voices.by_source": ("各来源声量（红色为负面）", "Volume by source (red: negative)"),
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
    # console
    "col.severity": ("级别", "Severity"),
    "col.status": ("状态", "Status"),
    "col.business_line": ("业务线", "Business line"),
    "col.reason": ("诉求", "Reason"),
    "col.kind": ("类型", "Kind"),
    "col.ratio": ("倍数", "× expected"),
    "col.onset": ("开始", "Onset"),
    "col.owner": ("负责团队", "Owner"),
    "col.acked_by": ("确认人", "Acknowledged by"),
    "col.at": ("时间", "Time"),
    "col.by": ("操作人", "By"),
    "col.action": ("动作", "Action"),
    "col.change": ("状态变化", "Change"),
    "col.rule": ("规则", "Rule"),
    "col.text": ("内容", "Text"),
    "console.filters": ("筛选", "Filters"),
    "console.all": ("全部", "All"),
    "console.pick": ("选择一条告警查看详情", "Select an alert to open it"),
    "console.none": ("没有符合条件的告警", "No alerts match"),
    "console.back": ("← 返回列表", "← Back to the list"),
    "console.chart": ("异常曲线", "Anomaly chart"),
    "console.verbatims": ("客户原声", "Customer verbatims"),
    "console.timeline": ("时间线", "Timeline"),
    "console.notes": ("备注", "Notes"),
    "console.rings": ("拉铃记录", "Rings"),
    "console.observed": (
        "实际 {observed:.0f} / 预期 {expected:.0f}",
        "observed {observed:.0f} / expected {expected:.0f}",
    ),
    "console.owner": ("负责团队：{team}", "Owner: {team}"),
    "console.read_only": (
        "只读：你的角色不能处理告警",
        "Read-only: your role cannot act on alerts",
    ),
    "btn.ack": ("确认", "Acknowledge"),
    "btn.ring": ("拉铃通知负责人", "Ring owner"),
    "btn.snooze": ("暂缓", "Snooze"),
    "btn.resolve": ("解决", "Resolve"),
    "btn.label": ("标注", "Label"),
    "btn.note": ("添加备注", "Add note"),
    "btn.ring_now": ("确认拉铃", "Ring now"),
    "btn.missed": ("登记漏报", "Log missed incident"),
    "label.valid": ("有效", "valid"),
    "label.noise": ("噪音", "noise"),
    "label.duplicate": ("重复", "duplicate"),
    "ring.title": ("拉铃", "Ring the owner"),
    "ring.will_ring": ("将通知以下人员：", "This will ring:"),
    "ring.nobody": ("没有可通知的人（检查路由文件）", "Nobody to ring (check the routing file)"),
    "ring.sent": ("已拉铃（#{id}，{status}）", "Rung (#{id}, {status})"),
    "ring.again": (
        "这次拉铃已经发出过（#{id}），不会重复通知",
        "Already rung for this request (#{id}); not sent twice",
    ),
    "snooze.for": ("暂缓时长", "Snooze for"),
    "note.text": ("备注内容", "Note"),
    "missed.when": ("发生时间", "When it happened"),
    "missed.what": ("描述", "What happened"),
    "missed.logged": ("已登记漏报 #{id}", "Missed incident #{id} logged"),
    "done": ("完成", "Done"),
    # review
    "review.period": ("统计区间", "Period"),
    "review.precision": ("准确率", "Precision"),
    "review.miss_rate": ("漏报率", "Miss rate"),
    "review.mtta": ("平均确认时长", "MTTA"),
    "review.mttr": ("平均解决时长", "MTTR"),
    "review.alerts": ("告警数", "Alerts"),
    "review.by_line": ("各业务线告警", "Alerts per business line"),
    "review.by_owner": ("各团队告警", "Alerts per owner"),
    "review.labels": (
        "有效 {valid} · 噪音 {noise} · 重复 {duplicate} · 未标注 {unlabelled} · 漏报 {missed}",
        "valid {valid} · noise {noise} · duplicate {duplicate} · "
        "unlabelled {unlabelled} · missed {missed}",
    ),
    "review.csv": ("下载 CSV", "Download CSV"),
    "review.targets": (
        "目标：准确率 ≥ 90%，漏报率 ≤ 10%",
        "Targets: precision ≥ 90 %, miss rate ≤ 10 %",
    ),
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
