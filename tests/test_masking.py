"""Personal data never survives masking; ordinary words and numbers do."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from alerts.masking import luhn_valid, mask_pii
from datasources.simulator.pii import luhn_complete

MASKED = [
    # Chinese mobiles, every way people type them
    ("我的手机号是13812345678，麻烦回电", "我的手机号是138****5678，麻烦回电"),
    ("电话 138 1234 5678", "电话 138****5678"),
    ("电话138-1234-5678谢谢", "电话138****5678谢谢"),
    ("call +86 138-1234-5678 please", "call +86 138****5678 please"),
    ("0086 13812345678", "0086 138****5678"),
    ("(+86)13812345678", "(+86)138****5678"),
    ("+8613812345678", "+86138****5678"),
    # landlines and international numbers
    ("座机0571-88886666", "座机0571-****6666"),
    ("打 010 12345678 找我", "打 010-****5678 找我"),
    ("(0755)86001234转123", "(0755)-****1234"),
    ("my number is +1 415 555 2671", "my number is +1 ****2671"),
    ("UK: +44 20 7946 0958", "UK: +44 ****0958"),
    ("call (415) 555-2671 now", "call (***) ***-2671 now"),
    # e-mail
    ("邮箱zhangwei88@qq.com", "邮箱z***@qq.com"),
    ("email me at John.Smith@example.co.uk.", "email me at J***@example.co.uk."),
    # ID cards (18 with digit or X check, old 15-digit)
    ("身份证号330106199001011234", "身份证号[身份证号]"),
    ("身份证 33010619900101123X 核实", "身份证 [身份证号] 核实"),
    ("ID 11010519851231002x", "ID [身份证号]"),
    ("老身份证330106900101123", "老身份证[身份证号]"),
    # bank cards: grouped or not, 13–19 digits
    ("卡号6222 0212 3456 7890", "卡号**** **** **** 7890"),
    ("卡号6222021234567890123", "卡号**** **** **** 0123"),
    ("card 4111-1111-1111-1111", "card **** **** **** 1111"),
    ("退到6217000010001234567", "退到**** **** **** 4567"),
    ("visa 4012888888881881 ok", "visa **** **** **** 1881 ok"),
    # addresses
    (
        "收货地址是浙江省杭州市西湖区文三路478号华星科技大厦3栋2单元1101室，谢谢",
        "收货地址是[地址]，谢谢",
    ),
    ("我住在上海市浦东新区张江路12号5栋3单元601室", "我住在[地址]"),
    ("地址：北京市朝阳区建国路88号", "地址：[地址]"),
    ("送到杭州市余杭区文一西路969号", "送到[地址]"),
    ("寄到阳光花园3栋2单元101室", "寄到[地址]"),
    ("广东省深圳市南山区科技园南路111号25栋2单元2606室", "[地址]"),
    ("我家在朝阳区望京街道10号院3号楼2单元502", "我家在[地址]"),
    ("I live at 12 Main Street, Apt 5", "I live at [address]"),
    ("ship to 221 Baker Street please", "ship to [address] please"),
    ("Flat 3B, 88 Nathan Road", "[address], [address]"),
    ("Room 1203, 88 Queen's Road Central", "[address], [address] Central"),
    ("浙江省杭州市余杭区五常街道文一西路969号", "[地址]"),
    ("北京市海淀区中关村大街1号", "[地址]"),
    ("tel: +86-138-1234-5678", "tel: +86-138****5678"),
    ("身份证：110101199003077777。", "身份证：[身份证号]。"),
    ("我的卡6222-0212-3456-7890-123", "我的卡**** **** **** 0123"),
]

KEPT = [
    "退款500元什么时候到",
    "双十一买了3件",
    "放在3楼门口",
    "我在杭州市，快递到了吗",
    "订单号5825494957597101492，还没发货",  # an order number failing Luhn is kept
    "满300减50的券用不了",
    "2026-11-11 00:00 开抢",
    "客服热线 95188",
    "订单 1234567890123456 没到",
    "金额12345678元",
    "时间2026-11-11 00:00:01",
    "",
]


@pytest.mark.parametrize(("text", "expected"), MASKED)
def test_masks_realistic_formats(text: str, expected: str) -> None:
    assert mask_pii(text) == expected


@pytest.mark.parametrize("text", KEPT)
def test_keeps_ordinary_text(text: str) -> None:
    assert mask_pii(text) == text


@pytest.mark.parametrize(("text", "_expected"), MASKED)
def test_masking_is_idempotent(text: str, _expected: str) -> None:
    once = mask_pii(text)
    assert mask_pii(once) == once


def test_luhn() -> None:
    assert luhn_valid("4111111111111111")
    assert not luhn_valid("4111111111111112")
    assert luhn_valid(luhn_complete("622202123456789"))


# --- property tests: generated personal data never survives in clear -------------

WORDS_BEFORE = st.sampled_from(
    ["", "我的", "联系", "请打", "call ", "号码：", "卡：", "是 ", "ID "]
)
WORDS_AFTER = st.sampled_from(["", "，谢谢", "。", " please", "！！", "，麻烦尽快"])
SEPARATOR = st.sampled_from(["", " ", "-"])


@st.composite
def mobiles(draw: st.DrawFn) -> str:
    head = draw(st.sampled_from(["13", "14", "15", "16", "17", "18", "19"]))
    digits = head + draw(st.from_regex(r"\A[0-9]{9}\Z"))
    sep = draw(SEPARATOR)
    prefix = draw(st.sampled_from(["", "+86 ", "+86", "0086 ", "(+86)"]))
    return prefix + sep.join((digits[:3], digits[3:7], digits[7:]))


@st.composite
def id_cards(draw: st.DrawFn) -> str:
    region = draw(st.from_regex(r"\A[1-8][0-9]{5}\Z"))
    year = draw(st.integers(1930, 2025))
    month = draw(st.integers(1, 12))
    day = draw(st.integers(1, 28))
    tail = draw(st.from_regex(r"\A[0-9]{3}[0-9Xx]\Z"))
    return f"{region}{year}{month:02d}{day:02d}{tail}"


@st.composite
def bank_cards(draw: st.DrawFn) -> str:
    length = draw(st.integers(13, 19))
    digits = draw(st.from_regex(rf"\A[3-6][0-9]{{{length - 2}}}\Z"))
    number = luhn_complete(digits) if draw(st.booleans()) else digits + "7"
    if draw(st.booleans()):
        sep = draw(st.sampled_from([" ", "-"]))
        return sep.join(number[i : i + 4] for i in range(0, len(number), 4))
    return number


def _digits(text: str) -> str:
    return re.sub(r"[^0-9Xx]", "", text)


@settings(max_examples=150, deadline=None)
@given(before=WORDS_BEFORE, value=st.one_of(mobiles(), id_cards(), bank_cards()), after=WORDS_AFTER)
def test_generated_numbers_never_survive(before: str, value: str, after: str) -> None:
    text = before + value + after
    masked = mask_pii(text)
    assert value not in masked
    assert len(_digits(masked)) <= len(_digits(text)) - 4, masked  # at least 4 digits hidden


@settings(max_examples=50, deadline=None)
@given(
    user=st.from_regex(r"\A[a-z][a-z0-9._]{2,12}\Z"),
    domain=st.sampled_from(["qq.com", "163.com", "gmail.com", "alibaba-inc.com"]),
    after=WORDS_AFTER,
)
def test_generated_emails_never_survive(user: str, domain: str, after: str) -> None:
    masked = mask_pii(f"邮箱{user}@{domain}{after}")
    assert f"{user}@" not in masked
    assert "***@" + domain in masked
