"""The glossary: Chinese and English words for everything a person reads, anywhere.

Pages, rings, the radio digests and the CLI all take their words from :data:`LABELS`
through :func:`translate` (pure, testable) or, on a page, :func:`t` (the current
visitor's language, kept in the session and defaulting to ``settings.language``), so
a severity, a kind or a status is called the same on the wall, in a ring and in a
terminal.  Domain codes (business lines, reasons, sources) get their names from the
feed catalog, so the wall and the simulator never disagree.  Importing this module
does not import Streamlit: the worker and the CLI use the same glossary.
"""

from __future__ import annotations

from typing import Literal

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
    # wall: headline, ranking, single-conversation strip (added by the wall)
    "obstacles.ranked": ("按影响客户数排序", "most customers affected first"),
    "impact.spike": ("+{n} 进线/分", "+{n} contacts/min"),
    "impact.drop": ("−{n} 进线/分", "−{n} contacts/min"),
    "impact.sentiment_storm": ("+{n} 负面/分", "+{n} negative/min"),
    "impact.queue_breach": ("{n} 人排队", "{n} waiting"),
    "impact.transcript_flag": ("1 个会话", "1 conversation"),
    "headline.fire": ("紧急且无人确认：{n} 个", "Critical and not acknowledged: {n}"),
    "headline.waiting": ("待确认的障碍：{n} 个", "Waiting for acknowledgement: {n}"),
    "headline.handled": ("{total} 个障碍均已有人处理", "Someone is on every obstacle ({total})"),
    "headline.clear": ("一切正常：没有未关闭的障碍", "All clear: no open obstacles"),
    "chip.critical": ("紧急", "critical"),
    "chip.unacknowledged": ("未确认", "not acknowledged"),
    "chip.handled": ("处理中", "being handled"),
    "chip.conversations": ("会话风险", "conversation risks"),
    "panel.conversations": ("单个会话风险（{n}）", "Single-conversation risks ({n})"),
    "conversations.more": ("另有 {n} 条见值班台", "{n} more in the console"),
    "conversations.none": ("暂无会话风险", "No conversation risks"),
    "kpi.waiting_target": ("目标 ≤ 在岗 5%", "target ≤ 5 % of agents"),
    "banner.behind": (
        "数据追赶中：已到 {time}，落后 {ago}",
        "Catching up: data reaches {time}, {ago} behind",
    ),
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
    "col.what": ("问题", "What"),
    "col.ratio": ("倍数", "× expected"),
    "col.onset": ("开始", "Onset"),
    "col.owner": ("负责团队", "Owner"),
    "col.acked_by": ("确认人", "Acknowledged by"),
    "col.at": ("时间", "Time"),
    "col.by": ("操作人", "By"),
    "col.action": ("动作", "Action"),
    "col.change": ("状态变化", "Change"),
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
    "ring.sent": ("已拉铃：{names}（{status}）", "Rung {names} ({status})"),
    "ring.again": (
        "这次拉铃已经发出过（{names}），不会重复通知",
        "Already rung {names} for this request; not sent twice",
    ),
    "snooze.for": ("暂缓时长", "Snooze for"),
    "resolve.comment": ("解决说明（可选）", "What was done (optional)"),
    "console.quiet": (
        "已手动解决，但异常仍在持续：结束之前不再告警，之后再出现将开启新告警",
        "Resolved by hand while the anomaly still runs: it stays quiet until the anomaly "
        "ends; if it starts again, a new alert opens",
    ),
    "console.note": ("备注内容", "Note"),
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
        "演示模式：未配置用户。应用只在本机监听，本机浏览器为{role}；网络上的访问者只读",
        "Demo mode: no users configured. The app listens on this machine only: a browser "
        "here is {role}; visitors from the network are viewers",
    ),
    "auth.demo_network": (
        "演示模式：未配置用户，应用在网络上监听，所有访问者只读。"
        "用 gmd users add 添加用户后可登录操作",
        "Demo mode: no users configured and the app listens on the network, so every "
        "visitor is a viewer. Add users with gmd users add to sign in and act",
    ),
    "auth.demo_remote": (
        "演示模式：未配置用户，只有本机上的浏览器可以操作；你经网络或代理访问，只读",
        "Demo mode: no users configured; only a browser on the machine running the app may "
        "act. You came through the network or a proxy, so you are a viewer",
    ),
    "auth.kiosk_wall_only": (
        "大屏令牌只能打开作战大屏；请不带令牌打开此页面并登录",
        "A wall token opens the wall only; open this page without it and sign in",
    ),
    "role.viewer": ("只读", "viewer"),
    "role.lead": ("值班负责人", "lead"),
    "role.admin": ("管理员", "admin"),
    # durations
    "dur.s": ("{n}秒", "{n}s"),
    "dur.m": ("{n}分钟", "{n} min"),
    "dur.h": ("{n}小时{m}分", "{n} h {m} min"),
    # listening (亲听) and the nine o'clock radio
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
    "session.note": ("笔记", "note"),
    "session.ring": ("拉铃", "bell"),
    "session.radio": ("电台", "radio"),
    "session.ref.alert": ("告警 #{id}", "alert #{id}"),
    "session.ref.case": ("电台案例 #{id}", "radio case #{id}"),
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
    # an alert in words (dashboard/alert_words.py): pages, rings, the CLI
    "app.name": ("光明顶", "Guangmingding"),
    "kind.bell": ("亲听拉铃", "bell from a listening session"),
    "by.system": ("系统", "system"),
    "by.detector": ("检测引擎", "detector"),
    "by.escalation": ("升级规则", "escalation"),
    "metric.contacts_per_min": ("每分钟进线", "contacts per minute"),
    "metric.negative_voices_per_min": ("每分钟负面声音", "negative voices per minute"),
    "metric.pickup_rate": ("接起率", "pick-up rate"),
    "metric.service_level": ("服务水平", "service level"),
    "metric.longest_wait_s": ("最长等待", "longest wait"),
    "metric.waiting": ("排队人数", "customers waiting"),
    "metric.transcript_flag": ("会话风险", "transcript flag"),
    "metric.qinting_bell": ("亲听拉铃", "bell from a listening session"),
    "size.count": (
        "{metric}：实际 {observed}，预期 {expected}（{ratio:.1f} 倍）",
        "{metric}: {observed} against {expected} expected ({ratio:.1f}×)",
    ),
    "size.only": ("{metric}：{observed}", "{metric}: {observed}"),
    "size.target": (
        "{metric}：实际 {observed}，目标 {expected}",
        "{metric}: {observed}, target {expected}",
    ),
    "action.open": ("开启", "opened"),
    "action.fold": ("再次出现", "seen again"),
    "action.acknowledge": ("确认", "acknowledged"),
    "action.ack_expire": ("确认过期", "acknowledgement expired"),
    "action.snooze": ("暂缓", "snoozed"),
    "action.wake": ("暂缓结束", "snooze over"),
    "action.silence": ("静默", "silenced"),
    "action.unsilence": ("静默结束", "silence over"),
    "action.resolve": ("解决", "resolved"),
    "action.auto_resolve": ("异常结束", "anomaly ended"),
    "action.hold": ("保持开启", "held open"),
    "action.release": ("取消保持开启", "released"),
    "action.note": ("备注", "note"),
    "action.ring": ("拉铃", "rang"),
    "action.escalate": ("升级", "escalated"),
    "action.label": ("标注", "labelled"),
    "rule.OPEN-1": ("负责团队：{team}", "owner: {team}"),
    "rule.FOLD-1": ("级别升为{severity}", "severity raised to {severity}"),
    "rule.ACK-EXPIRE-1": ("确认后久未解决，回到未处理", "acknowledged too long ago; open again"),
    "rule.SNOOZE-1": ("暂缓至 {until}", "snoozed until {until}"),
    "rule.SNOOZE-2": ("暂缓至 {until}", "snoozed until {until}"),
    "rule.WAKE-1": ("暂缓到期，回到未处理", "snooze over; open again"),
    "rule.SILENCE-1": ("按静默规则 #{silence} 静默", "silenced by silence #{silence}"),
    "rule.SILENCE-EXPIRE-1": ("静默到期，回到未处理", "silence expired; open again"),
    "rule.RESOLVE-1": ("手动解决", "resolved by hand"),
    "rule.RESOLVE-2": (
        "手动解决；异常仍在持续，结束之前不再告警，之后再出现将开启新告警",
        "resolved by hand while the anomaly still runs: kept quiet until it ends; "
        "if it starts again, a new alert opens",
    ),
    "rule.AUTO-RESOLVE-1": ("自动解决", "resolved automatically"),
    "rule.AUTO-HELD-1": ("{who} 要求保持开启", "{who} keeps it open"),
    "rule.QUIET-END-1": ("再次出现将开启新告警", "if it starts again, a new alert opens"),
    "rule.HOLD-1": ("异常结束后也保持开启", "kept open after the anomaly ends"),
    "rule.HOLD-2": ("不再保持开启", "no longer kept open"),
    "rule.LABEL-1": ("标注为{label}", "labelled {label}"),
    "ring.cause.manual": ("拉铃通知：{names}", "rang {names}"),
    "ring.cause.bell": ("亲听拉铃，通知：{names}", "bell from a listening session to {names}"),
    "ring.cause.step": (
        "升级第 {step}/{steps} 步，通知：{names}",
        "escalation step {step} of {steps}: rang {names}",
    ),
    "ring.nobody_short": ("无人", "nobody"),
    "ring.status.pending": ("待发送", "waiting to be sent"),
    "ring.status.sending": ("发送中", "sending"),
    "ring.status.taken": ("发送中", "sending"),
    "ring.status.delivered": ("已送达", "delivered"),
    "ring.status.partial": ("部分送达", "partly delivered"),
    "ring.status.failed": ("发送失败", "not delivered"),
    "ring.msg.alert": ("告警 #{id}，{status}", "Alert #{id}, {status}"),
    "ring.msg.what": ("什么", "What"),
    "ring.msg.rule": ("命中规则", "Rule"),
    "ring.msg.size": ("多大", "How big"),
    "ring.msg.since": ("从何时", "Since"),
    "ring.msg.since_value": (
        "{time}（{tz}），已持续 {elapsed}，出现 {count} 次",
        "{time} ({tz}), {elapsed} ago, seen {count}×",
    ),
    "ring.msg.owner": ("负责", "Owner"),
    "ring.msg.customers": ("客户原声", "Customers say"),
    "ring.msg.open": ("查看", "Open"),
    "ring.msg.from": ("来自", "Sent by"),
    "flag.rule": ("命中规则", "Rule that matched"),
    "flag.phrase": ("触发词：{phrase}", "Matched words: {phrase}"),
    "flag.excerpt": ("会话摘录", "From the conversation"),
    "flag.listener": ("拉铃人：{who}", "Rung by {who}"),
    "flag.open": ("打开这通会话", "Open the conversation"),
    "digest.title": ("9点电台 · {channel} · {day}", "Nine o'clock radio · {channel} · {day}"),
    "digest.empty": (
        "昨天这个频道没有发布的案例。",
        "Nothing was published on this channel yesterday.",
    ),
    "digest.similar": (
        "（另有 {n} 位客户说了相似的话）",
        "({n} more customers said much the same)",
    ),
    "digest.listen": ("在电台页收听：{link}", "Listen on the radio page: {link}"),
    "digest.count": ("{cases} 个案例，{groups} 个话题", "{cases} cases, {groups} topics"),
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
    import streamlit as st

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
    import streamlit as st

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
