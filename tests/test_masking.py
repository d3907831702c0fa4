"""Personal data never survives masking; ordinary words and numbers do.

Three levels: exact outputs for one example of each format (what a manager
reads), the whole corpus of ``tests/pii_cases.py`` (every spelling in Chinese and
English sentences, and the sentences that must stay as they are), and generated
data (hypothesis): phones, ID cards, cards, e-mails, QQ numbers and street
addresses in random spellings never survive, and masking is idempotent on any
text at all.
"""

from __future__ import annotations

import re

import pytest
from hypothesis import assume, example, given, settings
from hypothesis import strategies as st

from alerts.masking import TOKENS, luhn_valid, mask_pii
from alerts.pii.addresses import _OTHER_TYPES, _STRONG_TYPES
from datasources.simulator.pii import luhn_complete
from tests.pii_cases import NEGATIVE, POSITIVE, _core, find_pii

MASKED = [
    ("我的手机号是13812345678，麻烦回电", "我的手机号是138****5678，麻烦回电"),
    ("电话 138 1234 5678", "电话 138****5678"),
    ("电话 １３８ １２３４ ５６７８", "电话 138****5678"),
    ("电话：幺三八　一二三四－五六七八", "电话：138****5678"),
    ("call +86 138-1234-5678 please", "call +86 138****5678 please"),
    ("0086 13812345678", "0086 138****5678"),
    ("(+86)13812345678", "(+86)138****5678"),
    ("13812345678 13987654321", "138****5678 139****4321"),
    ("座机0571-88886666", "座机0571-****6666"),
    ("打 010 12345678 找我", "打 010-****5678 找我"),
    ("(0755)86001234转123", "0755-****1234转123"),
    ("座机 8888 6666", "座机 ****6666"),
    ("my number is +1 415 555 2671", "my number is +1 ****2671"),
    ("UK: +44 20 7946 0958", "UK: +44 ****0958"),
    ("call (415) 555-2671 now", "call (***) ***-2671 now"),
    ("邮箱zhangwei88@qq.com", "邮箱z***@qq.com"),
    ("email me at John.Smith@example.co.uk.", "email me at J***@example.co.uk."),
    ("邮箱 zhao.lei(at)163(dot)com", "邮箱 z***@163.com"),
    ("mail: liuyang at qq dot com", "mail: l***@qq.com"),
    ("sunli88#qq.com", "s***@qq.com"),
    ("身份证号330106199001011234", "身份证号[身份证号]"),
    ("身份证 330106 19900101 123X 核实", "身份证 [身份证号] 核实"),
    ("ID 11010519851231002x", "ID [身份证号]"),
    ("老身份证330106900101123", "老身份证[身份证号]"),
    ("卡号6222 0212 3456 7890", "卡号**** **** **** 7890"),
    ("card 4111-1111-1111-1111", "card **** **** **** 1111"),
    ("我的卡6222-0212-3456-7890-123", "我的卡**** **** **** 0123"),
    ("QQ 12345678", "QQ [QQ号]"),
    ("加我扣扣：1234 5678", "加我扣扣：[QQ号]"),
    ("微信 zhangwei_88", "微信 [微信号]"),
    ("加我vx abc123def", "加我vx [微信号]"),
    ("WeChat: john_doe88", "WeChat: [微信号]"),
    ("护照号 E12345678", "护照号 [护照号]"),
    ("车牌浙A·D12345被拖走了", "车牌[车牌号]被拖走了"),
    (
        "收货地址是浙江省杭州市西湖区文三路478号华星科技大厦3栋2单元1101室，谢谢",
        "收货地址是[地址]，谢谢",
    ),
    ("寄到阳光花园三栋二单元101室", "寄到[地址]"),
    ("我家在朝阳区望京街道10号院3号楼2单元502", "我家在[地址]"),
    ("I live at 260 Main Street, Apt 5", "I live at [地址]"),
    ("ship to 1600 Amphitheatre Parkway, Mountain View, CA 94043 please", "ship to [地址] please"),
    ("Flat 3B, 88 Nathan Road", "[地址]"),
    ("Room 1203, 88 Queen's Road Central", "[地址] Central"),
    ("寄到 PO Box 1234", "寄到 [地址]"),
    ("260 main street", "[地址]"),
]


@pytest.mark.parametrize(("text", "expected"), MASKED)
def test_masks_each_format_readably(text: str, expected: str) -> None:
    assert mask_pii(text) == expected


def test_one_token_per_kind_whatever_the_language() -> None:
    assert mask_pii("I live at 260 Main Street") == "I live at " + TOKENS["address"]
    assert mask_pii("我住在文三路478号") == "我住在" + TOKENS["address"]
    assert len(set(TOKENS.values())) == len(TOKENS)
    for token in TOKENS.values():
        assert mask_pii(token) == token


KINDS = sorted({case.kind for case in POSITIVE})


@pytest.mark.parametrize("kind", KINDS)
def test_corpus_leaves_nothing_readable(kind: str) -> None:
    """Every spelling of every secret of this kind, in every sentence (one test per
    kind: a thousand cases as separate tests cost more in pytest than in masking)."""
    failures = []
    for case in (c for c in POSITIVE if c.kind == kind):
        masked = mask_pii(case.text)
        if (
            not find_pii(case.text)
            or find_pii(masked)
            or _core(case.secret) in _core(masked)
            or mask_pii(masked) != masked
        ):
            failures.append(f"{case.text!r} -> {masked!r}")
    assert failures == []


@pytest.mark.parametrize("text", NEGATIVE)
def test_ordinary_numbers_and_words_are_kept(text: str) -> None:
    assert mask_pii(text) == text
    assert find_pii(text) == []


def test_luhn() -> None:
    assert luhn_valid("4111111111111111")
    assert not luhn_valid("4111111111111112")
    assert luhn_valid(luhn_complete("622202123456789"))


# --- generated data ------------------------------------------------------------

FULL_WIDTH = str.maketrans("0123456789+-()X", "０１２３４５６７８９＋－（）Ｘ")
BEFORE = st.sampled_from(
    ["", "我的", "联系", "请打", "call ", "号码：", "卡：", "是 ", "ID ", "\n"]
)
AFTER = st.sampled_from(["", "，谢谢", "。", " please", "！！", "，麻烦尽快", "\t"])
SEPARATOR = st.sampled_from(["", " ", "-", ".", "\u3000", "\u200b", " - "])


@st.composite
def spelled(draw: st.DrawFn, digits: str) -> str:
    """``digits`` split anywhere by separators, sometimes in full-width characters."""
    cuts = sorted(draw(st.sets(st.integers(1, len(digits) - 1), max_size=4)))
    sep = draw(SEPARATOR)
    parts = [digits[a:b] for a, b in zip([0, *cuts], [*cuts, len(digits)], strict=True)]
    text = sep.join(parts)
    return text.translate(FULL_WIDTH) if draw(st.booleans()) else text


@st.composite
def mobiles(draw: st.DrawFn) -> str:
    digits = draw(st.from_regex(r"\A1[3-9][0-9]{9}\Z"))
    prefix = draw(st.sampled_from(["", "+86 ", "+86", "0086 ", "(+86)", "+86-"]))
    return prefix + draw(spelled(digits))


@st.composite
def id_cards(draw: st.DrawFn) -> str:
    region = draw(st.from_regex(r"\A[1-8][0-9]{5}\Z"))
    born = f"{draw(st.integers(1930, 2025))}{draw(st.integers(1, 12)):02d}"
    born += f"{draw(st.integers(1, 28)):02d}"
    tail = draw(st.from_regex(r"\A[0-9]{3}[0-9Xx]\Z"))
    return draw(spelled(region + born + tail))


@st.composite
def bank_cards(draw: st.DrawFn) -> str:
    length = draw(st.integers(13, 19))
    digits = draw(st.from_regex(rf"\A[3-6][0-9]{{{length - 2}}}\Z"))
    number = luhn_complete(digits) if draw(st.booleans()) else digits + "7"
    return draw(spelled(number))


@settings(max_examples=150, deadline=None)
@given(before=BEFORE, value=st.one_of(mobiles(), id_cards(), bank_cards()), after=AFTER)
@example(before="", value="１３８\u200b１２３４\u200b５６７８", after="")
def test_generated_numbers_never_survive(before: str, value: str, after: str) -> None:
    masked = mask_pii(before + value + after)
    assert find_pii(masked) == [], masked
    assert _core(value) not in _core(masked)
    assert mask_pii(masked) == masked


@settings(max_examples=50, deadline=None)
@given(
    user=st.from_regex(r"\A[a-z][a-z0-9._]{2,12}\Z"),
    domain=st.sampled_from(["qq.com", "163.com", "gmail.com", "alibaba-inc.com"]),
    at=st.sampled_from(["@", "＠", " @ ", "(at)", " at ", "#", "艾特"]),
    after=AFTER,
)
def test_generated_emails_never_survive(user: str, domain: str, at: str, after: str) -> None:
    if at != "@" and domain.endswith("-inc.com"):
        domain = "aliyun.com"
    masked = mask_pii(f"邮箱 {user}{at}{domain}{after}")
    assert f"{user}{at}" not in masked
    assert "***@" + domain in masked


@settings(max_examples=50, deadline=None)
@given(
    label=st.sampled_from(["QQ ", "qq：", "QQ号是", "扣扣 ", "Q号", "ＱＱ"]),
    number=st.from_regex(r"\A[1-9][0-9]{4,10}\Z"),
    after=AFTER,
)
def test_generated_qq_numbers_never_survive(label: str, number: str, after: str) -> None:
    masked = mask_pii(label + number + after)
    assert number not in masked
    assert TOKENS["qq"] in masked or "****" in masked


@settings(max_examples=60, deadline=None)
@given(
    house=st.integers(1, 99999),
    names=st.lists(st.from_regex(r"\A[A-Z][a-z]{2,9}\Z"), min_size=1, max_size=3),
    street_type=st.sampled_from(_STRONG_TYPES + _OTHER_TYPES),
    before=st.sampled_from(["", "I live at ", "ship to ", "寄到", "地址："]),
)
def test_generated_english_streets_never_survive(
    house: int, names: list[str], street_type: str, before: str
) -> None:
    street = f"{house} {' '.join(names)} {street_type.title()}"
    masked = mask_pii(before + street + ", thanks")
    assert masked == before + TOKENS["address"] + ", thanks"


@settings(max_examples=200, deadline=None)
@given(text=st.text(max_size=80))
@example(text="电话：0086 15112345678")
def test_masking_is_idempotent_on_any_text(text: str) -> None:
    once = mask_pii(text)
    assert mask_pii(once) == once


NOT_PERSONAL = st.characters(
    exclude_categories=["Nd"], exclude_characters="@＠﹫#＃〇零一二三四五六七八九幺"
)


@settings(max_examples=200, deadline=None)
@given(text=st.text(alphabet=NOT_PERSONAL, max_size=80))
def test_text_without_digits_or_mail_is_kept(text: str) -> None:
    assume(re.search(r"(?i)\sat\s|[\[(<{]\s*at|艾特", text) is None)
    assert mask_pii(text) == text


@pytest.mark.timeout(30)
@pytest.mark.parametrize(
    "hostile",
    [
        " ".join("1234567890" * 300),  # 6,000 one-digit groups: cut apart, never cubic
        " ".join(["12"] * 3000),
        "13812345678 " * 2000,  # thousands of findings in one text
        "a dot " * 3000 + "com",
        ("杭州市西湖区文三路" + "1栋2单元") * 600,
    ],
    ids=["spaced-digits", "digit-pairs", "many-phones", "dots", "addresses"],
)
def test_hostile_text_is_masked_in_linear_time(hostile: str) -> None:
    """A poison verbatim must not stall the worker: each of these took minutes when
    a long run was cut apart by trying every stretch of groups."""
    masked = mask_pii(hostile)
    assert mask_pii(masked) == masked
    assert "13812345678" not in masked
