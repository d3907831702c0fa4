"""The vocabulary of the war room: business lines, contact reasons, skill groups, sources.

Feeds carry short codes (``tmall``, ``coupon_not_applied``, ``tmall-presale``); people
read labels.  Every screen, alert and notification asks :func:`label` for the Chinese
or English words, so one table decides what a code is called everywhere.  Codes not
in the catalog (an outside producer's new business line) are shown as themselves.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final, Literal

Lang = Literal["zh", "en"]
Kind = Literal[
    "business_line",
    "reason",
    "skill_group",
    "source",
    "channel",
    "handled_by",
    "outcome",
    "speaker",
]


@dataclass(frozen=True)
class Entry:
    code: str
    zh: str
    en: str


def _table(*rows: tuple[str, str, str]) -> dict[str, Entry]:
    return {code: Entry(code, zh, en) for code, zh, en in rows}


BUSINESS_LINES: Final = _table(
    ("taobao", "淘宝", "Taobao"),
    ("tmall", "天猫", "Tmall"),
    ("eleme", "饿了么", "Ele.me"),
    ("hema", "盒马", "Hema"),
    ("alipay", "支付宝", "Alipay"),
    ("cainiao", "菜鸟", "Cainiao"),
    ("fliggy", "飞猪", "Fliggy"),
)

REASONS: Final = _table(
    ("logistics_delay", "物流延迟", "Logistics delay"),
    ("refund", "退款", "Refund"),
    ("payment_failure", "支付失败", "Payment failure"),
    ("coupon_not_applied", "优惠券无法使用", "Coupon not applied"),
    ("account_locked", "账号被锁", "Account locked"),
    ("presale_deposit", "预售定金", "Pre-sale deposit"),
    ("price_protection", "价格保护", "Price protection"),
    ("order_cancel", "取消订单", "Order cancellation"),
    ("return_pickup", "退货上门取件", "Return pick-up"),
    ("wrong_item", "发错货", "Wrong item"),
    ("damaged_item", "商品破损", "Damaged item"),
    ("invoice", "发票", "Invoice"),
    ("address_change", "修改地址", "Address change"),
    ("delivery_late", "配送超时", "Late delivery"),
    ("missing_item", "少件漏送", "Missing item"),
    ("food_quality", "食品质量", "Food quality"),
    ("membership", "会员权益", "Membership benefits"),
    ("red_packet", "红包", "Red packet"),
    ("installment", "花呗分期", "Instalments"),
    ("fraud_report", "疑似诈骗", "Fraud report"),
    ("verification_code", "收不到验证码", "Verification code"),
    ("parcel_lost", "包裹丢失", "Lost parcel"),
    ("pickup_station", "驿站取件", "Pick-up station"),
    ("flight_change", "航班改签", "Flight change"),
    ("hotel_booking", "酒店预订", "Hotel booking"),
    ("ticket_refund", "机票退票", "Ticket refund"),
)

SKILL_GROUP_KINDS: Final = _table(
    ("presale", "售前", "pre-sales"),
    ("aftersales", "售后", "after-sales"),
    ("dispute", "纠纷", "disputes"),
    ("vip", "VIP", "VIP"),
    ("delivery", "配送", "delivery"),
    ("merchant", "商家", "merchants"),
    ("fresh", "生鲜", "fresh food"),
    ("payment", "支付", "payments"),
    ("security", "安全", "security"),
    ("parcel", "包裹", "parcels"),
    ("station", "驿站", "stations"),
    ("travel", "出行", "travel"),
)

SKILL_GROUPS: Final[dict[str, tuple[str, ...]]] = {
    "taobao": ("taobao-presale", "taobao-aftersales", "taobao-dispute"),
    "tmall": ("tmall-presale", "tmall-aftersales", "tmall-vip"),
    "eleme": ("eleme-delivery", "eleme-merchant"),
    "hema": ("hema-fresh", "hema-delivery"),
    "alipay": ("alipay-payment", "alipay-security"),
    "cainiao": ("cainiao-parcel", "cainiao-station"),
    "fliggy": ("fliggy-travel", "fliggy-aftersales"),
}
"""Business line → its skill groups (``{line}-{kind}``)."""

SOURCES: Final = _table(
    ("weibo", "微博", "Weibo"),
    ("douyin", "抖音", "Douyin"),
    ("xiaohongshu", "小红书", "Xiaohongshu"),
    ("review", "商品评价", "Reviews"),
    ("news", "新闻", "News"),
    ("forum", "论坛", "Forums"),
)

CHANNELS: Final = _table(
    ("robot", "智能机器人(小蜜)", "Service robot"),
    ("chat", "在线客服", "Online chat"),
    ("hotline", "热线电话", "Hotline"),
    ("app_message", "App 消息", "App message"),
    ("email", "邮件", "E-mail"),
)

HANDLERS: Final = _table(
    ("robot", "机器人", "Robot"),
    ("agent", "客服小二", "Agent"),
    ("cloud_agent", "云客服", "Cloud agent"),
)

OUTCOMES: Final = _table(
    ("answered", "已接起", "Answered"),
    ("abandoned", "放弃", "Abandoned"),
)

SPEAKERS: Final = _table(
    ("customer", "顾客", "Customer"),
    ("agent", "小二", "Agent"),
    ("robot", "机器人", "Robot"),
)

ALL_LABEL: Final = {"zh": "全部", "en": "All"}
"""How the series wildcard ``*`` reads."""

_TABLES: Final[dict[str, dict[str, Entry]]] = {
    "business_line": BUSINESS_LINES,
    "reason": REASONS,
    "source": SOURCES,
    "channel": CHANNELS,
    "handled_by": HANDLERS,
    "outcome": OUTCOMES,
    "speaker": SPEAKERS,
}


def skill_group_line(group: str) -> str:
    """The business line a skill group code belongs to (``tmall-presale`` → ``tmall``)."""
    return group.split("-", 1)[0]


def _skill_group_label(code: str, lang: Lang) -> str:
    line, _, kind = code.partition("-")
    entry = SKILL_GROUP_KINDS.get(kind)
    if line not in BUSINESS_LINES or entry is None:
        return code
    return (
        f"{label('business_line', line, lang)}{'' if lang == 'zh' else ' '}{getattr(entry, lang)}"
    )


def label(kind: Kind | str, code: str, lang: Lang | str = "zh") -> str:
    """The human name of a code in ``zh`` or ``en``; unknown codes come back unchanged."""
    language: Lang = "en" if lang == "en" else "zh"
    if code == "*":
        return ALL_LABEL[language]
    if kind == "skill_group":
        return _skill_group_label(code, language)
    entry = _TABLES.get(kind, {}).get(code)
    return code if entry is None else getattr(entry, language)


def codes(kind: Kind) -> tuple[str, ...]:
    """Every known code of one kind, in catalog order."""
    if kind == "skill_group":
        return tuple(g for groups in SKILL_GROUPS.values() for g in groups)
    return tuple(_TABLES[kind])
