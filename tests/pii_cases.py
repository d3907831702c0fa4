"""Personal data as customers really write it, text that is not personal data, and a
detector of personal data left in clear — for the masking tests and for anything
that counts leaks in stored or shown text (the feed fuzzer, the wall browse).

* ``POSITIVE``: :class:`PiiCase` ``(kind, text, secret)``; each secret (a phone,
  ID card, card, e-mail, QQ number, WeChat id, passport, plate or street address in
  one of its real spellings) placed in Chinese and English sentences.
* ``NEGATIVE``: sentences with numbers that are not personal data (order and
  tracking numbers, prices, dates, times, quantities, hotlines); masking must keep
  them as they are.
* :func:`find_pii` ``(text) -> list[str]``: the personal data still readable in
  ``text`` — by shape (an 11-digit mobile, an ID card with a birth date, a card
  passing Luhn and grouped like one, an e-mail with its user name, a labelled
  QQ/WeChat id, a street and house number) and every ``POSITIVE`` secret of 7+
  characters, however spaced or wide its digits.  It is written independently of
  ``alerts.masking`` (a second opinion), finds nothing in ``NEGATIVE`` nor in masked
  text, and finds the secret of every ``POSITIVE`` case before masking.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Final


@dataclass(frozen=True)
class PiiCase:
    kind: str
    text: str
    secret: str


def _place(kind: str, secrets: list[str], contexts: list[str]) -> list[PiiCase]:
    return [PiiCase(kind, c.format(s), s) for s in secrets for c in contexts]


_MOBILES = [
    "13812345678", "138 1234 5678", "138-1234-5678", "138.1234.5678", "1381234 5678",
    "+86 13912345678", "+86-139-1234-5678", "+8615012345678", "0086 15112345678",
    "(+86)15212345678", "86-17712345678", "１３８１２３４５６７８", "１５９　８７６５　４３２１",
    "＋８６ １８６１２３４５６７８", "一三八一二三四五六七八", "幺三八 幺二三四 五六七八",
    "1 8 8 1 2 3 4 5 6 7 8", "199\u200b1234\u200b5678", "181—2345—6789", "１３８-１２３４-５６７８",
]  # fmt: skip
_PHONE_CONTEXTS = [
    "{}", "我的手机号是{}，麻烦回电", "电话：{}", "联系方式 {} 谢谢", "打{}找我",
    "call me at {} please", "my number is {}.", "有问题请联系{}！",
]  # fmt: skip
_LANDLINES = [
    "0571-88886666", "0571 8888 6666", "(0571)88886666", "（０５７１）８８８８６６６６",
    "010-62345678", "021 6123 4567", "0755-86001234转123", "028-85123456",
]  # fmt: skip
_INTERNATIONAL = [
    "+1 415 555 2671", "+1 (415) 555-2671", "+14155552671", "+44 20 7946 0958",
    "+44 7911 123456", "+852 9123 4567", "+886 912 345 678", "+65 9123 4567",
    "+81 90-1234-5678", "+49 30 12345678", "0044 20 7946 0958", "(415) 555-2671",
    "415-555-2671", "415.555.2671",
]  # fmt: skip
_LABELLED_LOCAL = ["电话 8888 6666", "座机88886666", "call me on 9123 4567", "手机：6123 4567"]
_IDS = [
    "330106199001011234", "33010619900101123X", "11010519851231002x", "440305 19880808 1234",
    "3301 0619 9001 0112 34", "330106-19900101-1234", "３３０１０６１９９００１０１１２３４",
    "51010719950615567Ｘ", "330106900101123", "320106 200012 31 0018",
]  # fmt: skip
_ID_CONTEXTS = [
    "{}",
    "身份证号{}",
    "身份证号码：{}，请核实",
    "ID {} ",
    "证件号 {}。",
    "my ID is {}",
]
_CARDS = [
    "6222021234567890", "6222 0212 3456 7890", "6222-0212-3456-7890", "4111111111111111",
    "4111 1111 1111 1111", "6217000010001234567", "6222 0212 3456 7890 123",
    "3782 822463 10005", "６２２２０２１２３４５６７８９０", "5555 5555 5555 4444",
    "6228481234567890125",
]  # fmt: skip
_CARD_CONTEXTS = ["{}", "卡号{}", "退款退到{}这张卡", "银行卡：{}，谢谢", "card number {} please"]
_EMAILS = [
    "zhangwei88@qq.com", "John.Smith@example.co.uk", "li_na+shop@163.com",
    "wangfang88＠126.com", "chenjing @ gmail.com", "liuyang at qq dot com",
    "zhao.lei(at)163(dot)com", "zhaolei[at]aliyun[dot]com", "sunli88#qq.com",
    "zhouqi艾特163点com", "1234567890@qq.com", "mike AT gmail DOT com",
]  # fmt: skip
_EMAIL_CONTEXTS = ["{}", "邮箱{}", "发到{}谢谢", "email me at {}.", "我的邮箱是 {} ，尽快回复"]
_QQS = ["2876543210", "98765432", "31415926", "１０２４２０４８", "5201 3148", "10086 1234"]
_QQ_CONTEXTS = [
    "QQ {}", "qq：{}", "QQ号是{}", "加我QQ {} 详聊", "扣扣 {}", "我的Q号{}", "ＱＱ：{}",
    "QQ号码: {}",
]  # fmt: skip
_WECHATS = ["zhangwei_88", "wxid_8a7b6c5d4e3f", "lisi-1988", "Chen_Jing2020", "abc123def"]
_WECHAT_CONTEXTS = [
    "微信 {}", "微信号：{}", "加我vx {}", "VX：{}", "wx: {}", "v信{}", "WeChat: {}",
    "my wechat id is {}", "威信 {}",
]  # fmt: skip
_PASSPORTS = ["E12345678", "EA7654321", "G87654321", "P1234567", "ＥＢ１２３４５６７"]
_PASSPORT_CONTEXTS = ["护照号 {}", "passport no. {}", "我的护照{}", "护照号码：{}", "Passport: {}"]
_PLATES = ["浙A12345", "粤B·D12345", "京AD12345", "沪C 8K888", "苏E-5J2Q7"]
_PLATE_CONTEXTS = ["车牌{}", "我的车是{}", "{} 被拖走了", "车牌号：{}，麻烦查一下"]
_CN_ADDRESSES = [
    "浙江省杭州市西湖区文三路478号华星科技大厦3栋2单元1101室",
    "上海市浦东新区张江路12号5栋3单元601室", "北京市朝阳区建国路88号",
    "杭州市余杭区文一西路969号", "阳光花园3栋2单元101室", "幸福小区三栋二单元402室",
    "广东省深圳市南山区科技园南路111号25栋2单元2606室", "朝阳区望京街道10号院3号楼2单元502",
    "北京市海淀区中关村大街1号", "江苏省南京市鼓楼区中山北路30号",
    "上海市徐汇区漕溪北路100弄5号601室",
    "广州市天河区天河路385号太古汇一座2801", "成都市武侯区天府大道北段1700号环球中心E1区1201",
    "文三路４７８号", "四川省成都市武侯区天府大道1700号", "河南省郑州市金水区花园路12号3号楼",
    "湖北省武汉市洪山区珞喻路1037号", "石桥镇李家村3组15号", "邮政信箱1024号",
]  # fmt: skip
_EN_ADDRESSES = [
    "260 Main Street", "1600 Amphitheatre Parkway", "1 Infinite Loop", "221B Baker Street",
    "350 Fifth Avenue", "10 Downing St", "742 Evergreen Terrace", "1234 N. Elm Dr.",
    "88 Nathan Road", "4059 Mt Lee Drive", "500 E 5th St, Apt 3", "33 Orchard Rd #05-01",
    "P.O. Box 1234", "PO Box 567", "12 Kings Close", "9 Market Square", "77 Sunset Boulevard",
    "1211 Avenue of the Americas", "45 rue de Rivoli", "Hauptstraße 5", "260 main street",
    "100 Pine St., Suite 1200, San Francisco, CA 94111", "1600 amphitheatre pkwy",
    "8 Finance Street", "1 Harbour Road", "12 Orchard Circle", "3200 Cherry Creek Highway",
    "Flat 3B, 88 Nathan Road", "15 Willow Crescent", "900 Lakeshore Trail",
]  # fmt: skip
_ADDRESS_CONTEXTS = [
    "{}",
    "收货地址：{}",
    "寄到{}，谢谢",
    "我住在{}",
    "ship to {} please",
    "my address is {}.",
]

POSITIVE: Final[tuple[PiiCase, ...]] = (
    *_place("phone", _MOBILES + _LANDLINES + _INTERNATIONAL, _PHONE_CONTEXTS),
    *_place("phone", _LABELLED_LOCAL, ["{}", "{}，谢谢"]),
    *_place("id_card", _IDS, _ID_CONTEXTS),
    *_place("card", _CARDS, _CARD_CONTEXTS),
    *_place("email", _EMAILS, _EMAIL_CONTEXTS),
    *_place("qq", _QQS, _QQ_CONTEXTS),
    *_place("wechat", _WECHATS, _WECHAT_CONTEXTS),
    *_place("passport", _PASSPORTS, _PASSPORT_CONTEXTS),
    *_place("passport", ["E12345678", "EA7654321"], ["{}", "证件 {} 过期了"]),
    *_place("plate", _PLATES, _PLATE_CONTEXTS),
    *_place("address", _CN_ADDRESSES + _EN_ADDRESSES, _ADDRESS_CONTEXTS),
)

NEGATIVE: Final[tuple[str, ...]] = (
    "退款500元什么时候到", "双十一买了3件", "放在3楼门口", "我在杭州市，快递到了吗",
    "订单号5825494957597101492，还没发货", "满300减50的券用不了", "2026-11-11 00:00 开抢",
    "客服热线 95188", "订单 1234567890123456 没到", "金额12345678元", "时间2026-11-11 00:00:01",
    "价格 ¥1,299.00，优惠后 1,099", "11/11/2026 10:30 AM", "2026年11月11日下单", "5月20号到货",
    "坐地铁2号线到了", "第2号窗口排队", "iPhone 15 Pro Max 256GB", "尺码42码，1米8",
    "12期免息", "版本 10.3.2 闪退", "好评率99.9%", "3.5kg 的包裹", "等了45分钟",
    "顺丰单号SF1234567890123", "中通快递 YT7512345678901", "菜鸟单号 LP00123456789012",
    "运单号 773123456789011", "交易号 2026111122001412345678901234", "客服电话 400-820-8820",
    "打了3次电话都没人接", "充值了Q币 10000", "QQ音乐会员到期了", "qq邮箱登不上",
    "wechat pay failed twice", "微信支付不了", "用微信付款了 3 次", "WeChat account is locked",
    "I bought 3 Apple Watches", "waited 2 days on the road", "Model 3 Long Range",
    "rated 5 stars", "order #123456 is late", "Order No. 20261111123456 missing",
    "一二三四五六七都试过了", "第一百二十三号", "共 12 件，合计 1,234 元",
    "快递放在小区门口了", "12:30 到 14:00 之间送", "退款 88.88 元", "5G 信号差",
    "型号 EA8500 路由器", "会员等级 VIP3", "优惠券 CP20261111", "", "   ",
)  # fmt: skip

# --- the detector --------------------------------------------------------------

_NUMERAL_RUN: Final = re.compile(
    r"[〇零一二三四五六七八九幺](?:[ \-]?[〇零一二三四五六七八九幺]){6,}"
)
_NUMERALS: Final = str.maketrans("〇零一二三四五六七八九幺", "001234567891")
_INVISIBLE: Final = dict.fromkeys((0x200B, 0x200C, 0x200D, 0x2060, 0xFEFF), " ")
_DIGIT_RUN: Final = re.compile(
    r"(?<![A-Za-z0-9*])\+?\(?\d(?:[ \-.)]{0,2}\d)*(?:[ \-]?[Xx](?![A-Za-z]))?"
)
_DATE: Final = re.compile(r"(?:19|20)\d\d(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])")
_BY_SHAPE: Final = (
    re.compile(r"[A-Za-z0-9._%+\-]{2,}@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)+"),
    re.compile(
        r"[A-Za-z0-9._\-]{2,}\s*(?:\(at\)|\[at\]|\sat\s|#|艾特)\s*[A-Za-z0-9\-]+\s*"
        r"(?:\.|\(dot\)|\[dot\]|\sdot\s|点)\s*(?:com|cn|net|org)\b",
        re.IGNORECASE,
    ),
    re.compile(
        r"(?:qq|扣扣|(?<![A-Za-z])q)(?:号码?)?\s*[:：]?\s*(?:是\s*)?\d(?:\s?\d){4,10}", re.I
    ),
    re.compile(r"wxid_[A-Za-z0-9]{4,}"),
    re.compile(
        r"(?:微信|威信|vx|wx|v信)(?:号)?\s*[:：]?\s*(?:是)?\s*[A-Za-z][A-Za-z0-9_\-]{5,19}"
        r"|wechat(?:\s?id)?\s*(?::|is)\s*[A-Za-z][A-Za-z0-9_\-]{5,19}",
        re.IGNORECASE,
    ),
    re.compile(r"(?<![A-Za-z0-9])E(?:\d{8}|[A-Z]\d{7})(?![A-Za-z0-9])"),
    re.compile(r"(?:护照|passport)(?:号码?|\s?no\.?)?\s*[:：]?\s*[A-Z]{0,2}\d{6,9}", re.IGNORECASE),
    re.compile(
        r"[京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼][A-Z][·\s-]?"
        r"(?=[A-Z0-9]{0,5}\d)[A-Z0-9]{5,6}(?![A-Za-z0-9])"
    ),
    re.compile(
        r"\d{1,5}[A-Z]?\s+(?:[A-Z][A-Za-z'.]*\s+){1,3}(?:Street|St|Road|Rd|Avenue|Ave|Parkway|"
        r"Boulevard|Blvd|Lane|Drive|Dr|Way|Court|Place|Terrace|Circle|Highway|Square|Loop|"
        r"Trail|Close|Crescent)\b"
        r"|\d{1,5}\s+[a-z]+\s+(?:street|road|avenue|parkway|pkwy|boulevard)\b"
        r"|P\.?O\.?\s*Box\s*\d+|\d+\s+rue\s|[A-Z][a-z]+straße\s+\d"
    ),
    re.compile(
        r"(?:路|街|道|巷|弄|胡同)\d+号|\d+(?:栋|幢|号楼)\d+单元|\d+单元\d+|\d{3,4}室"
        r"|[一二三四五六七八九十]+栋[一二三四五六七八九十]+单元|信箱\d+"
    ),
)


def _normalise(text: str) -> str:
    text = unicodedata.normalize("NFKC", text).translate(_INVISIBLE)
    return _NUMERAL_RUN.sub(lambda m: m.group(0).translate(_NUMERALS), text)


def _core(text: str) -> str:
    return re.sub(r"[\s\-.()·（）]", "", _normalise(text)).lower()


def _luhn(digits: str) -> bool:
    total = 0
    for index, char in enumerate(reversed(digits)):
        value = int(char) * (2 if index % 2 else 1)
        total += value - 9 if value > 9 else value
    return total % 10 == 0


def _number_leak(run: str) -> bool:
    """A digit run that is a phone, an ID card or a card, whatever its context (a
    card is written in one piece or by fours, so chart ticks such as
    ``100 200 300 400 500`` that happen to pass Luhn are not taken for one)."""
    digits = re.sub(r"[^0-9Xx]", "", run)
    plain = digits.rstrip("Xx")
    if run.startswith("+"):
        return len(plain) >= 8
    if len(digits) == 18 or (len(plain) == 15 and plain == digits):
        date = digits[6:14] if len(digits) == 18 else "19" + digits[6:12]
        if digits[0] != "0" and _DATE.fullmatch(date):
            return True
    if plain != digits:
        return False
    if re.fullmatch(r"(?:86|0086)?1[3-9]\d{9}", plain):
        return True
    if plain.startswith("0") and not plain.startswith("00") and 10 <= len(plain) <= 12:
        return True
    groups = [len(g) for g in re.findall(r"\d+", run)]
    card_like = len(groups) == 1 or groups in ([4, 6, 5], [4, 6, 4])
    card_like = card_like or (all(n == 4 for n in groups[:-1]) and groups[-1] <= 4)
    return 13 <= len(plain) <= 19 and plain[0] != "0" and card_like and _luhn(plain)


_SECRETS: Final = tuple({_core(c.secret) for c in POSITIVE if len(_core(c.secret)) >= 7})


def find_pii(text: str) -> list[str]:
    """Personal data readable in ``text`` (empty when it is safe to store or show)."""
    norm = _normalise(text)
    leaks = [m.group(0) for m in _DIGIT_RUN.finditer(norm) if _number_leak(m.group(0))]
    for pattern in _BY_SHAPE:
        leaks.extend(m.group(0) for m in pattern.finditer(norm))
    core = _core(text)
    leaks.extend(secret for secret in _SECRETS if secret in core)
    return leaks
