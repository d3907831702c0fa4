"""Masking personal data in every piece of free text before anything stores or shows it.

Verbatims reach the wall, the alert notifications and the business owners'
phones; notes, dead letters and radio excerpts are stored for weeks.  So phone
numbers, e-mail addresses, ID-card, bank-card and passport numbers, QQ numbers,
WeChat ids, licence plates and street addresses never leave the worker, a form
or a feed in clear: every caller passes free text through :func:`mask_pii`.

The output stays readable: a manager still sees *that* the customer left a
phone number (``138****5678``), a card (``**** **** **** 7890``), an e-mail
(``z***@qq.com``) or an address; whole items become one token per kind,
whatever the language of the text: ``[地址]``, ``[身份证号]``, ``[QQ号]``,
``[微信号]``, ``[护照号]``, ``[车牌号]``.  When in doubt we mask: a long digit
run is treated as a card unless it is clearly an order number (``订单号…`` that
fails the Luhn check).  Formats covered and known limits: docs/masking.md.

Pure function, no I/O, idempotent; look-alike characters (full-width digits,
digits in words, odd spaces and dashes) are read as ASCII, and what is not
masked is kept exactly as written.
"""

from __future__ import annotations

import re
from typing import Final

from alerts.pii.addresses import mask_addresses
from alerts.pii.handles import mask_handles
from alerts.pii.normalise import probe as _probe
from alerts.pii.numbers import luhn_valid, mask_numbers
from alerts.pii.spans import ADDRESS, ID_CARD, TOKENS, Spans

__all__ = ["ADDRESS_LABEL", "ID_LABEL", "TOKENS", "luhn_valid", "mask_pii"]

ID_LABEL: Final = ID_CARD
ADDRESS_LABEL: Final = ADDRESS

_WORTH_A_LOOK: Final = re.compile(
    r"\d|[@＠﹫#＃]|艾特|(?i:\sat\s|[\[(<{]\s*at\s*[\])>}])"
    r"|[〇零一二三四五六七八九幺](?:[\s\-－\u2010-\u2015]?[〇零一二三四五六七八九幺]){6}"
)
"""Every kind of personal data we mask has a digit of some script (or digits in
words), or is an e-mail address, perhaps disguised (``li at 163 dot com``); text
with none of these (most verbatims) is returned after this one scan."""
_LATIN: Final = re.compile(r"[A-Za-z]")
_MAX_PASSES: Final = 4


def mask_pii(text: str) -> str:
    """``text`` with personal data replaced by readable masks (idempotent).

    One pass masks what its detectors agree on; where two findings overlapped
    (an address glued to an e-mail, ``969号1 Infinite Loop``) the one dropped is
    looked for again over the text already masked, until a pass changes nothing,
    so masking the result again never changes it."""
    for _ in range(_MAX_PASSES):
        masked, collided = _mask_once(text)
        if not collided or masked == text:
            return masked
        text = masked
    return text


def _mask_once(text: str) -> tuple[str, bool]:
    """One pass; also whether a finding was dropped for overlapping another."""
    if not text or _WORTH_A_LOOK.search(text) is None:
        return text, False
    probe = _probe(text)
    spans = Spans()
    latin = _LATIN.search(probe) is not None
    if latin:  # every e-mail, WeChat id, passport and plate has an ASCII letter
        mask_handles(probe, spans)
    mask_numbers(probe, spans)
    mask_addresses(probe, spans, latin=latin)
    return (spans.apply(text) if spans else text), spans.collided
