"""Masking personal data in customer words before anything stores or shows them.

Verbatims reach the wall, the alert notifications and the business owners' phones,
so phone numbers, e-mail addresses, ID-card and bank-card numbers and street
addresses never leave the worker in clear.  The output stays readable — a manager
still sees *that* the customer left a phone number (``138****5678``) or an address
(``[地址]``), just not which.  When in doubt we mask: a long digit run is treated as
a card unless it is clearly an order number (``订单号…`` that fails the Luhn check).

Pure function, no I/O; the patterns run in a fixed order so that a longer, more
specific match (an e-mail, an ID card) is replaced before a shorter one could bite
into it.
"""

from __future__ import annotations

import re
from typing import Final

ID_LABEL: Final = "[身份证号]"
ADDRESS_LABEL: Final = "[地址]"
ADDRESS_LABEL_EN: Final = "[address]"

_NOT_DIGIT_BEFORE = r"(?<![0-9A-Za-z])"
_NOT_DIGIT_AFTER = r"(?![0-9A-Za-z])"

_DIGIT = re.compile(r"\d")
_EMAIL = re.compile(r"([A-Za-z0-9])[A-Za-z0-9._%+\-]*@([A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)+)")

_DATE = r"(?:19|20)\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])"
_ID_CARD = re.compile(
    _NOT_DIGIT_BEFORE
    + rf"(?:[1-8]\d{{5}}{_DATE}\d{{3}}[0-9Xx]"
    + r"|[1-8]\d{5}\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])\d{3})"
    + _NOT_DIGIT_AFTER
)

_CARD = re.compile(
    r"(?<![0-9A-Za-z+])"
    + r"(?:\d{4}(?:[ \-]\d{4}){2,3}(?:[ \-]\d{1,4})?|\d{13,19})"
    + _NOT_DIGIT_AFTER
)
_ORDER_HINT = re.compile(r"(?:订单|单号|order|Order|ORDER|no\.|No\.)[^0-9]{0,6}$")

_MOBILE = re.compile(
    r"(?:(?<=86)|(?<![0-9A-Za-z]))(1[3-9]\d)[\s\-]?(\d{4})[\s\-]?(\d{4})" + _NOT_DIGIT_AFTER
)
"""The number itself; a ``+86``/``0086`` prefix before it stays as written."""
_LANDLINE = re.compile(
    _NOT_DIGIT_BEFORE
    + r"(\(?0\d{2,3}\)?)[\s\-]?(\d{3,4})[\s\-]?(\d{4})(?:[\s\-]?(?:转|ext\.?|x)\s?\d{1,5})?"
    + _NOT_DIGIT_AFTER
)
_INTERNATIONAL = re.compile(
    r"(?<![0-9A-Za-z])\+(\d{1,3})[\s\-.]?(?:\(?\d{1,4}\)?[\s\-.]?){1,4}(\d{4})" + _NOT_DIGIT_AFTER
)
_US_STYLE = re.compile(r"\(\d{3}\)\s?\d{3}[\-.\s](\d{4})" + _NOT_DIGIT_AFTER)

_UNIT = r"(?:号楼|栋|幢|座|单元|层|楼|室|号|弄|户)"
_ADDRESS_CORE = re.compile(
    rf"(?<!\d)\d+(?:-\d+)?{_UNIT}(?:[A-Za-z0-9\u4e00-\u9fff]{{0,12}}?\d+(?:-\d+)?{_UNIT})*"
    r"(?:-?\d{1,5}(?!\d))?"
)
"""Street numbers and building/unit/room parts: ``478号华星大厦3栋2单元1101室``."""
_ADDRESS_LEFT = re.compile(
    r"[^\s\d，。,.:：；;！!？?、（）()\[\]【】是在到的了我你他她址和请帮发寄送住为给从往]{1,24}$"
)
"""What may precede the core: the province, city, district and road (stops at words
such as 是/在/到/住 that usually introduce an address)."""
_ADDRESS_WORD = re.compile(r"省|市|区|县|镇|乡|村|路|街|道|巷|胡同|小区|花园|公寓|大厦|苑|家园")
_CAPITALISED = re.compile(r"[A-Z][a-z]")
"""English addresses need a capitalised word; most Chinese verbatims have none."""
_EN_ADDRESS = re.compile(
    r"\b\d{1,5}\s+(?:[A-Z][A-Za-z'\-]*\s+){1,4}"
    r"(?:Street|St|Road|Rd|Avenue|Ave|Lane|Ln|Boulevard|Blvd|Drive|Dr|Way|Court|Ct|Place|Pl|Terrace)\b\.?"
    r"(?:,?\s*(?:Apt|Apartment|Unit|Suite|Flat|Room|Rm|Floor|Fl)\.?\s*#?\s*[A-Za-z0-9\-]+)?"
    r"|\b(?:Apt|Apartment|Flat|Suite|Room|Rm|Unit)\.?\s*#?\s*\d+[A-Za-z]?\b"
)


def luhn_valid(digits: str) -> bool:
    """The checksum bank cards carry (order numbers usually fail it)."""
    total = 0
    for index, char in enumerate(reversed(digits)):
        value = int(char)
        if index % 2 == 1:
            value *= 2
            value -= 9 if value > 9 else 0
        total += value
    return total % 10 == 0


def _mask_email(match: re.Match[str]) -> str:
    return f"{match.group(1)}***@{match.group(2)}"


def _mask_card(match: re.Match[str]) -> str:
    digits = re.sub(r"\D", "", match.group(0))
    before = match.string[max(0, match.start() - 12) : match.start()]
    if _ORDER_HINT.search(before) and not luhn_valid(digits):
        return match.group(0)
    return "**** **** **** " + digits[-4:]


def _mask_mobile(match: re.Match[str]) -> str:
    return f"{match.group(1)}****{match.group(3)}"


def _mask_landline(match: re.Match[str]) -> str:
    return f"{match.group(1)}-****{match.group(3)}"


def _mask_international(match: re.Match[str]) -> str:
    return f"+{match.group(1)} ****{match.group(2)}"


def _mask_us(match: re.Match[str]) -> str:
    return f"(***) ***-{match.group(1)}"


def _mask_cn_addresses(text: str) -> str:
    """Find building numbers, extend left over the place names, mask the whole.

    Anchoring on the numbers keeps this linear (a single big regex with optional
    province/city/district parts was 60 µs a verbatim); a lone "3楼" or "第2号" is
    left alone because nothing address-like surrounds it.
    """
    out: list[str] = []
    last = 0
    for match in _ADDRESS_CORE.finditer(text):
        left = _ADDRESS_LEFT.search(text, max(last, match.start() - 24), match.start())
        start = left.start() if left else match.start()
        whole = text[start : match.end()]
        units = len(re.findall(_UNIT, match.group(0)))
        if _ADDRESS_WORD.search(whole) is None and units < 2:
            continue
        out.append(text[last:start])
        out.append(ADDRESS_LABEL)
        last = match.end()
    if not out:
        return text
    out.append(text[last:])
    return "".join(out)


def mask_pii(text: str) -> str:
    """``text`` with personal data replaced by readable masks (idempotent)."""
    if not text:
        return text
    if "@" in text:
        text = _EMAIL.sub(_mask_email, text)
    if _DIGIT.search(text) is None:
        return text
    text = _ID_CARD.sub(ID_LABEL, text)
    text = _CARD.sub(_mask_card, text)
    text = _MOBILE.sub(_mask_mobile, text)
    if "+" in text:
        text = _INTERNATIONAL.sub(_mask_international, text)
    if "(" in text:
        text = _US_STYLE.sub(_mask_us, text)
    text = _LANDLINE.sub(_mask_landline, text)
    if _CAPITALISED.search(text):
        text = _EN_ADDRESS.sub(ADDRESS_LABEL_EN, text)
    return _mask_cn_addresses(text)
