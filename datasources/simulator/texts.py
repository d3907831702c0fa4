"""Chinese customer words: verbatims, public voices and conversation turns.

Sentences are composed from small parts (what went wrong for this reason, a detail
with personal data, an emotion), so a day of traffic reads varied without a corpus.
About half of all verbatims carry personal data, as real chat logs do.
"""

from __future__ import annotations

import random
from typing import Final

from datasources.catalog import label
from datasources.simulator.pii import GENERATORS, order_number

PROBLEMS: Final[dict[str, tuple[str, ...]]] = {
    "logistics_delay": ("我的快递三天了还没发货", "物流信息一直不更新", "说好次日达现在还没到"),
    "refund": ("退款申请提交了还没到账", "商家同意退款了钱还没退回来", "退款被驳回了不知道为什么"),
    "payment_failure": ("付款一直失败提示系统繁忙", "扣了钱订单却显示未支付", "支付的时候卡住了"),
    "coupon_not_applied": ("领的满减券下单时用不了", "跨店满减没有生效", "优惠券显示不可用"),
    "account_locked": ("账号突然被锁定登录不了", "账号被冻结了要怎么解封", "登录提示账号异常"),
    "presale_deposit": ("定金付了尾款付不了", "预售定金能不能退", "尾款时间到了却付不了款"),
    "price_protection": ("刚买完就降价了要求价保", "价保申请失败", "双十一前买的能不能补差价"),
    "order_cancel": ("想取消订单但是按钮是灰的", "订单被莫名其妙取消了", "取消订单后优惠券没退回"),
    "return_pickup": ("预约了上门取件没人来", "退货快递员一直不来取", "取件码收不到"),
    "wrong_item": ("收到的颜色和尺码都不对", "发错货了我买的不是这个", "型号发错了"),
    "damaged_item": ("收到的东西外包装都破了", "屏幕有裂痕", "商品到手就坏了"),
    "invoice": ("发票一直开不出来", "电子发票抬头错了", "要开增值税专票"),
    "address_change": ("下单后想改收货地址", "地址填错了能改吗", "改地址一直提示失败"),
    "delivery_late": ("外卖超时一个小时还没送到", "骑手一直不动", "预计送达时间过了很久了"),
    "missing_item": ("外卖少送了一份", "收到的东西少了两件", "赠品没有送"),
    "food_quality": ("送来的菜是坏的", "水果有一半烂了", "吃了以后肚子不舒服"),
    "membership": ("88VIP 权益用不了", "会员券没有到账", "会员续费扣了两次钱"),
    "red_packet": ("红包用不了", "抢到的红包消失了", "红包过期了能不能补"),
    "installment": ("花呗分期免息没生效", "分期手续费算错了", "花呗额度突然降了"),
    "fraud_report": ("有人冒充客服让我转账", "收到可疑短信说要退款给我", "好像被骗了"),
    "verification_code": ("收不到验证码", "验证码一直提示错误", "短信验证码很久才到"),
    "parcel_lost": ("包裹显示签收了但我没收到", "快递丢了", "物流显示异常件"),
    "pickup_station": ("驿站说找不到我的包裹", "驿站关门了取不了件", "取件码无效"),
    "flight_change": ("航班取消了要改签", "改签费用太高了", "航班延误能不能退"),
    "hotel_booking": ("到酒店说没有我的预订", "酒店订单确认不了", "房型和预订的不一样"),
    "ticket_refund": ("机票退票一直在审核", "退票手续费不合理", "退票款还没到"),
}

_DETAILS: Final = (
    ("phone", "我的手机号是{v}，麻烦回个电话"),
    ("phone", "联系电话{v}"),
    ("landline", "打我座机{v}也行"),
    ("address", "收货地址是{v}"),
    ("address", "我住在{v}"),
    ("id_card", "身份证号{v}，核实一下"),
    ("bank_card", "钱退到我的银行卡{v}"),
    ("bank_card", "卡号是{v}"),
    ("email", "有结果发我邮箱{v}"),
)
_EMOTIONS_NEG: Final = ("，太失望了！", "，急死了！！", "，再不解决我就投诉了", "，请尽快处理")
_EMOTIONS_MILD: Final = ("，谢谢", "，麻烦看一下", "。", "，在线等")
_OPENERS: Final = ("你好，", "", "客服你好，", "在吗？", "")

DETAIL_SHARE: Final = 0.55


def verbatim(rng: random.Random, reason: str, negative: bool) -> str:
    """One customer verbatim about ``reason``, often with personal data inside."""
    parts = [rng.choice(_OPENERS), rng.choice(PROBLEMS.get(reason, ("有个问题要咨询",)))]
    if rng.random() < 0.3:
        parts.append(f"，订单号{order_number(rng)}")
    if rng.random() < DETAIL_SHARE:
        kind, template = rng.choice(_DETAILS)
        parts.append("，" + template.format(v=GENERATORS[kind](rng)))
    parts.append(rng.choice(_EMOTIONS_NEG if negative else _EMOTIONS_MILD))
    return "".join(parts)


_VOICE_NEG: Final = (
    "{line}双十一{problem}，客服也联系不上，真的无语",
    "曝光一下{line}：{problem}！大家小心",
    "{line}这次太让人失望了，{problem}",
    "#{line}# {problem}，有没有人一样的？",
)
_VOICE_OTHER: Final = (
    "{line}今年双十一体验还不错，发货很快",
    "在{line}抢到了想要的东西，开心",
    "{line}客服态度很好，问题很快解决了",
    "{line}的活动规则有点复杂，研究了半天",
    "大家在{line}买了什么？求推荐",
)


def voice_text(rng: random.Random, line: str, reason: str, negative: bool) -> str:
    """A public post about a business line (negative ones name a problem)."""
    template = rng.choice(_VOICE_NEG if negative else _VOICE_OTHER)
    problem = rng.choice(PROBLEMS.get(reason, ("出问题了",)))
    return template.format(line=label("business_line", line, "zh"), problem=problem)


ALARMING_SHARE: Final = 0.03
"""Share of conversations in which the customer says something a transcript rule flags."""

_ALARMING: Final = (
    "再不解决我就打12315投诉你们",
    "我要找媒体曝光你们",
    "我已经咨询律师了，准备起诉",
    "充电器用的时候起火了，孩子差点受伤",
    "I will report this to consumer protection",
)


def conversation_turns(rng: random.Random, reason: str) -> list[tuple[str, str]]:
    """(speaker, text) turns of one service conversation, robot hand-over included;
    in a few (:data:`ALARMING_SHARE`) the customer threatens a complaint, the media,
    a lawsuit or reports a safety problem, as real customers sometimes do."""
    kind, template = rng.choice(_DETAILS)
    detail = template.format(v=GENERATORS[kind](rng))
    problem = rng.choice(PROBLEMS.get(reason, ("有个问题",)))
    turns = [
        ("robot", "您好，我是智能客服小蜜，请问有什么可以帮您？"),
        ("customer", f"{problem}"),
        (
            "robot",
            f"小蜜理解您遇到了「{label('reason', reason, 'zh')}」的问题，正在为您转接人工客服",
        ),
        ("agent", "您好，我是客服小二，很抱歉让您久等了，请问订单号是多少？"),
        ("customer", f"订单号{order_number(rng)}，{detail}"),
        ("agent", "好的，已经帮您查到了，我这边马上为您加急处理"),
    ]
    if rng.random() < 0.5:
        turns += [
            (
                "customer",
                rng.choice(("这已经是第三次联系你们了", "到底什么时候能解决？", "能不能快一点")),
            ),
            ("agent", "非常理解您的心情，已经帮您升级到专员处理，24小时内给您答复"),
        ]
    if rng.random() < ALARMING_SHARE:
        turns += [
            ("customer", rng.choice(_ALARMING)),
            ("agent", "非常抱歉给您带来这样的体验，我马上请主管来跟进"),
        ]
    turns += [
        ("customer", rng.choice(("好的，谢谢", "行吧，尽快", "希望这次真的能解决"))),
        ("agent", "感谢您的耐心，祝您生活愉快，再见"),
    ]
    return turns
