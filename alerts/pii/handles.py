"""Personal data written with letters: e-mail addresses, WeChat ids, passports, plates.

E-mail addresses are found as written (``li.na@163.com``) and as people disguise
them from filters (``li.na at 163 dot com``, ``li.na(at)163.com``,
``li.na#163.com``, ``li.na艾特163点com``); the disguised forms need a common
top-level domain so that "look at google.Tomorrow" stays a sentence.  Each
address is found from its ``@`` (or disguise) outwards, which keeps the cost
linear.  WeChat ids and passports are found after a label (``微信``, ``vx``,
``护照``), except the forms that are unmistakable alone (``wxid_…``,
``E12345678``).  Every pattern runs only when a cheap substring test says it
could match.
"""

from __future__ import annotations

import re
from typing import Final

from alerts.pii.spans import PASSPORT, PLATE, WECHAT, Spans

_LOCAL_REVERSED: Final = re.compile(r"[A-Za-z0-9._%+\-]{0,63}[A-Za-z0-9]", re.ASCII)
"""The user name read backwards from the ``@``: it must start with a letter or digit."""
_DOMAIN: Final = re.compile(
    r"\s*([A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,24})(?![A-Za-z0-9])", re.ASCII
)
_AT: Final = re.compile(r"@|[(\[{<]\s*at\s*[)\]}>]|(?<=\s)at(?=\s)|#|艾特", re.IGNORECASE)
_DOT: Final = r"(?:\s*[(\[{<]\s*dot\s*[)\]}>]\s*|\s+dot\s+|\s*\.\s*|\s*点\s*)"
_TLD: Final = r"(?:com|net|org|edu|gov|cn|hk|tw|mo|sg|jp|uk|us|de|io|co|me|cc|top|info|biz)"
_DISGUISED_DOMAIN: Final = re.compile(
    rf"\s*((?:[A-Za-z0-9\-]+{_DOT})+{_TLD})(?![A-Za-z0-9])", re.IGNORECASE | re.ASCII
)
_SPLIT_DOT: Final = re.compile(_DOT, re.IGNORECASE | re.ASCII)

_WXID: Final = re.compile(r"wxid_[A-Za-z0-9_\-]{4,}", re.ASCII)
_WECHAT: Final = re.compile(
    r"(?:[微威薇维vVwW]信|(?<![A-Za-z])(?:vx|wx|weixin|wechat)(?=[\s:：=号是为]|id))"
    r"(?:号码?|号|账号|\s?id)?(?P<sep>[\s:：=]*(?:是|为|is)?[\s:：=]*)"
    r"(?P<id>[A-Za-z][A-Za-z0-9_\-]{5,19})(?![A-Za-z0-9_\-])",
    re.IGNORECASE,
)
_WECHAT_HINT: Final = re.compile(r"[微威薇维vVwW]信|vx|wx|wechat|weixin", re.IGNORECASE)
_PASSPORT_LABELLED: Final = re.compile(
    r"(?:护照|通行证|旅行证|passport)(?:号码?|号|\s?no\.?|\s?number|#)?[\s:：=]*(?:是|为|is)?[\s:：=]*"
    r"(?P<id>[A-Za-z]{0,2}\d{6,9})(?![A-Za-z0-9])",
    re.IGNORECASE,
)
_PASSPORT_HINT: Final = re.compile(r"护照|通行证|旅行证|passport", re.IGNORECASE)
_PASSPORT: Final = re.compile(r"E(?:\d{8}|[A-HJ-NP-Z]\d{7})(?![A-Za-z0-9])")
"""A mainland e-passport (``E12345678``, ``EA1234567``): recognisable without a label."""
_PLATE: Final = re.compile(
    r"[京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼][A-HJ-NP-Z][·•・.\s-]?"
    r"(?=[A-HJ-NP-Z0-9]{0,5}\d)[A-HJ-NP-Z0-9]{5,6}(?![A-Za-z0-9])"
)


def _glued(probe: str, start: int) -> bool:
    return start > 0 and probe[start - 1].isascii() and probe[start - 1].isalnum()


def _mask_emails(probe: str, spans: Spans) -> None:
    for at in _AT.finditer(probe):
        disguised = at.group(0) != "@"
        end = at.start()
        while end > 0 and probe[end - 1] == " ":
            end -= 1  # "chenjing @ gmail.com"
        local = _LOCAL_REVERSED.match(probe[max(0, end - 64) : end][::-1])
        domain = (_DISGUISED_DOMAIN if disguised else _DOMAIN).match(probe, at.end())
        if local is None or domain is None:
            continue
        start = end - local.end()
        name = domain.group(1)
        if disguised:
            name = ".".join(part for part in _SPLIT_DOT.split(name) if part).lower()
        spans.add(start, domain.end(), f"{probe[start]}***@{name}")


def mask_handles(probe: str, spans: Spans) -> None:
    """Add a span for every e-mail address, WeChat id, passport and plate."""
    if "@" in probe or "#" in probe or "艾特" in probe or "at" in probe or "AT" in probe:
        _mask_emails(probe, spans)
    if "wxid_" in probe:
        for m in _WXID.finditer(probe):
            if not _glued(probe, m.start()):
                spans.add(m.start(), m.end(), WECHAT)
    if _WECHAT_HINT.search(probe):
        for m in _WECHAT.finditer(probe):
            wechat_id, explicit = m.group("id"), m.group("sep").strip()
            english_label = m.group(0).lower().startswith(("wechat", "weixin"))
            if explicit or not english_label or re.search(r"[\d_\-]", wechat_id):
                spans.add(m.start("id"), m.end("id"), WECHAT)
    if _PASSPORT_HINT.search(probe):
        for m in _PASSPORT_LABELLED.finditer(probe):
            spans.add(m.start("id"), m.end("id"), PASSPORT)
    for m in _PASSPORT.finditer(probe):
        if not _glued(probe, m.start()):
            spans.add(m.start(), m.end(), PASSPORT)
    for m in _PLATE.finditer(probe):
        spans.add(m.start(), m.end(), PLATE)
