"""Every digit run of a text, classified: phone, ID card, bank card, QQ number, or none.

A *run* is digits joined by at most three separators (space, dash, dot,
underscore, slash, parentheses), so ``138 1234 5678``, ``(0571)8888-6666`` and
``3301 0619 9001 0112 34`` are each one run whatever the spelling.  A run is
judged by its digits (length, leading digits, the birth date inside an ID card,
the Luhn check of a card) and by the words just before it (``QQ``, ``电话``,
``订单号``).  A run that is not one thing as a whole is cut at its separators
and each part tried (``13812345678 13987654321`` is two phones).

Runs glued to letters are codes, not numbers (``SF1234567890123``, ``iPhone15``,
``256GB``), unless the letters are a label (``tel13812345678``, ``QQ12345678``).
"""

from __future__ import annotations

import re
from typing import Final, NamedTuple

from alerts.pii.spans import ID_CARD, QQ, Spans

_RUN: Final = re.compile(
    r"[+(]{0,2}\d(?:[ \-._/()]{0,3}\d){4,}(?:[ \-]?[Xx](?![A-Za-z0-9]))?", re.ASCII
)
"""Five digits at least: nothing shorter is personal data (a QQ number has five),
and most numbers in verbatims (prices, counts) end here without Python work."""
_GROUP: Final = re.compile(r"\d+", re.ASCII)
_NOT_DIGIT: Final = re.compile(r"[^0-9]")
_WORD_END: Final = re.compile(r"[A-Za-z]+$")
_MOBILE: Final = re.compile(r"1[3-9]\d{9}", re.ASCII)
_ID_DATE: Final = re.compile(r"(?:19|20)\d\d(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])", re.ASCII)


def _ends_with(
    words: str, between: str = r"\s*(?:是|为|si)?[\s:：=]*(?:码号|号|号账|\.?on|rebmun|#)?"
) -> re.Pattern[str]:
    """A pattern for the *reversed* text before a run: it matches when that text
    ends with one of ``words`` (``|``-separated) and ``between`` (by default the
    ``号码``, ``:``, ``是`` people put between a label and a number, reversed).
    ``match`` on the reversed text looks at its start only, where ``search`` for
    ``label…$`` would try every position."""
    alternatives = [
        re.escape(word[::-1]) + ("(?![A-Za-z])" if word.isascii() else "")
        for word in sorted(words.split("|"), key=len, reverse=True)
    ]
    return re.compile(between + "(?:" + "|".join(alternatives) + ")", re.IGNORECASE)


_PHONE_LABEL: Final = _ends_with(
    "电话|手机|座机|联系方式|联系|致电|来电|回电|打给我|拨打|传真|tel|phone|mobile|cell|"
    "call|call me|call me at|call me on|call at|call on|whatsapp|fax"
)
_QQ_LABEL: Final = _ends_with("qq|q|扣扣|企鹅")
_ID_LABEL: Final = _ends_with("身份证|证件|身份号码|id|id card|idcard")
_ORDER_HINT: Final = _ends_with(
    "订单|单号|运单|快递|物流|流水|交易|编号|工单|order|tracking|no.", between=r"[^0-9]{0,6}?"
)
_LETTER_LABELS: Final = frozenset(
    {"tel", "phone", "mobile", "cell", "call", "qq", "q", "id", "whatsapp", "fax"}
)
_CALLING_CODES_2: Final = frozenset(
    re.findall(
        r"\d\d",
        "20 27 30 31 32 33 34 36 39 40 41 43 44 45 46 47 48 49 51 52 53 54 55 56 57 58 "
        "60 61 62 63 64 65 66 81 82 84 86 90 91 92 93 94 95 98",
    )
)
"""ITU country calling codes of two digits; ``1`` and ``7`` are the one-digit
codes and every other code has three (the set is prefix-free)."""
_HOTLINES: Final = ("400", "800")


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


class _Run(NamedTuple):
    start: int
    end: int
    text: str
    digits: str
    plus: bool
    check_x: bool

    def digit_at(self, index: int) -> int:
        """Offset in ``text`` of digit number ``index`` (a prefix is kept as written)."""
        seen = -1
        for offset, char in enumerate(self.text):
            seen += char.isdigit()
            if seen == index:
                return offset
        raise IndexError(index)

    @property
    def last_digit(self) -> int:
        """Position after the last digit (a trailing X belongs to ID cards only)."""
        return self.start + len(self.text.rstrip("Xx -"))


def _calling_code(digits: str) -> str:
    if digits[0] in "17":
        return digits[0]
    return digits[:2] if digits[:2] in _CALLING_CODES_2 else digits[:3]


def _id_card(run: _Run, back: str) -> bool:
    d = run.digits
    if 15 <= len(d) + run.check_x <= 18 and _ID_LABEL.match(back):
        return True
    if len(d) + run.check_x == 18:
        return d[0] != "0" and _ID_DATE.fullmatch(d[6:14]) is not None
    return len(d) == 15 and not run.check_x and _ID_DATE.fullmatch("19" + d[6:12]) is not None


def _phone(run: _Run, back: str) -> str | None:
    """The mask of a phone number, keeping a ``+86``/``0086`` prefix as written."""
    d = run.digits
    international = run.plus or (d.startswith("00") and len(d) >= 10)
    for prefix in ("86", "0086") if international else ("", "86"):
        rest = d[len(prefix) :]
        if d.startswith(prefix) and len(rest) == 11 and _MOBILE.fullmatch(rest):
            written = run.text[: run.digit_at(len(prefix))]
            return f"{written}{rest[:3]}****{rest[-4:]}"
    if international:
        number = d if run.plus else d[2:]
        return f"+{_calling_code(number)} ****{d[-4:]}" if len(number) >= 8 else None
    if d[0] == "0" and 10 <= len(d) <= 12:
        area = 3 if d[1] in "12" else 4
        return f"{d[:area]}-****{d[-4:]}" if 7 <= len(d) - area <= 8 else None
    if len(d) == 10 and d[0] in "23456789" and d[3] in "23456789":
        groups = [len(g) for g in _GROUP.findall(run.text)]
        if (groups == [3, 3, 4] or run.text.startswith("(")) and not d.startswith(_HOTLINES):
            return f"(***) ***-{d[-4:]}"
    if 7 <= len(d) <= 12 and _PHONE_LABEL.match(back) and not d.startswith(_HOTLINES):
        return None if _ORDER_HINT.match(back) else f"****{d[-4:]}"
    return None


def _card_grouping(text: str) -> bool:
    """Written as cards are: in one piece, by fours, or 4-6-5 / 4-6-4."""
    groups = [len(g) for g in _GROUP.findall(text)]
    if len(groups) == 1 or groups in ([4, 6, 5], [4, 6, 4]):
        return True
    return all(n == 4 for n in groups[:-1]) and 1 <= groups[-1] <= 4


def _mask(run: _Run, back: str, *, part: bool = False) -> tuple[int, str] | None:
    """``(end, mask)`` of a run that is personal data, or ``None``; ``back`` is
    the text before the run, reversed (see :func:`_ends_with`).  A ``part`` of a
    longer run is a card only when grouped like one (``555-2671 6222 0212…`` is a
    phone and a card, not one card)."""
    d = run.digits
    last_digit = run.last_digit
    if _id_card(run, back):
        return run.end, ID_CARD
    phone = _phone(run, back)
    if phone is not None:
        return last_digit, phone
    if 13 <= len(d) <= 19 and d[0] != "0" and (not part or _card_grouping(run.text)):
        if _ORDER_HINT.match(back) and not luhn_valid(d):
            return None
        return last_digit, "**** **** **** " + d[-4:]
    if 5 <= len(d) <= 11 and d[0] != "0" and _QQ_LABEL.match(back):
        return last_digit, QQ
    return None


def _make(probe: str, start: int, end: int) -> _Run:
    text = probe[start:end]
    digits = _NOT_DIGIT.sub("", text)
    return _Run(start, end, text, digits, text[:2].count("+") > 0, text[-1] in "Xx")


def _labelled_letters(before: str) -> bool:
    """Letters glued before a run are fine only when they are a label (``tel138…``)."""
    if not before or not (before[-1].isascii() and before[-1].isalpha()):
        return True
    word = _WORD_END.search(before)
    return word is None or word.group(0).lower() in _LETTER_LABELS


def mask_numbers(probe: str, spans: Spans) -> None:
    """Add a span for every digit run (or part of one) that is personal data."""
    for match in _RUN.finditer(probe):
        start, end = match.span()
        before = probe[max(0, start - 16) : start]
        if not _labelled_letters(before) or not spans.free(start, end):
            continue
        if probe[end : end + 1] == "*" or before.endswith("*"):
            continue  # the visible part of a mask made earlier (138****5678)
        run = _make(probe, start, end)
        glued_after = end < len(probe) and probe[end].isascii() and probe[end].isalpha()
        if glued_after and len(run.digits) < 11:
            continue  # 256GB, 5G, 12345678abc: a code or a quantity
        found = _mask(run, before[::-1])
        if found is not None:
            spans.add(start, found[0], found[1])
            continue
        _mask_parts(probe, run, spans)


def _mask_parts(probe: str, run: _Run, spans: Spans) -> None:
    """Cut a run that is nothing as a whole at its separators: from each group,
    the longest stretch of groups that is personal data is taken.  Only stretches
    that could be are tried — ten to nineteen digits (a phone, card or ID card),
    or five or more right after a label (a QQ number, a local phone number) — so
    a run of thousands of groups costs linear time, not cubic."""
    groups = [g.span() for g in _GROUP.finditer(run.text)]
    back = probe[max(0, run.start - 16) : run.start][::-1]
    labelled = _PHONE_LABEL.match(back) is not None or _QQ_LABEL.match(back) is not None
    i = 0
    while i < len(groups):
        least = 5 if i == 0 and labelled else 10
        stretches, digits = [], 0
        for j in range(i + 1, len(groups) + 1):
            digits += groups[j - 1][1] - groups[j - 1][0]
            if digits > 19:
                break
            if digits >= least and (i, j) != (0, len(groups)):
                stretches.append(j)
        for j in reversed(stretches):
            start = run.start + groups[i][0]
            end = run.end if j == len(groups) else run.start + groups[j - 1][1]
            back = probe[max(0, start - 16) : start][::-1]
            found = _mask(_make(probe, start, end), back, part=True)
            if found is not None and spans.add(start, found[0], found[1]):
                i = j
                break
        else:
            i += 1
