"""What the detectors found, as non-overlapping spans, and the masked text they make.

Detectors run in a fixed order (e-mail before the digits inside it, an ID card
before the phone-like digits inside it); a span that overlaps one already taken
is dropped, so the more specific finding wins.  Spans are positions in the
probe (see :mod:`alerts.pii.normalise`) and therefore in the original text.
"""

from __future__ import annotations

import bisect
import re
from typing import Final

ADDRESS: Final = "[地址]"
ID_CARD: Final = "[身份证号]"
QQ: Final = "[QQ号]"
WECHAT: Final = "[微信号]"
PASSPORT: Final = "[护照号]"
PLATE: Final = "[车牌号]"
TOKENS: Final = {
    "address": ADDRESS,
    "id_card": ID_CARD,
    "qq": QQ,
    "wechat": WECHAT,
    "passport": PASSPORT,
    "plate": PLATE,
}
"""One token per kind whatever the language of the text (phones, cards and
e-mails keep a readable partial mask instead: ``138****5678``)."""

_JOINER: Final = re.compile(r"[\s,，、]*")


class Spans:
    """Replacements ``(start, end, mask)``, kept sorted by start (thousands of
    findings in one hostile text still cost ``log n`` each)."""

    def __init__(self) -> None:
        self._starts: list[int] = []
        self._found: list[tuple[int, int, str]] = []
        self.collided = False
        """Whether a finding was dropped for overlapping an earlier one (it may be
        found again, whole or in part, once the earlier one is masked)."""

    def __bool__(self) -> bool:
        return bool(self._found)

    def free(self, start: int, end: int) -> bool:
        at = bisect.bisect_right(self._starts, start)
        if at > 0 and self._found[at - 1][1] > start:
            return False
        return at == len(self._found) or self._found[at][0] >= end

    def add(self, start: int, end: int, mask: str) -> bool:
        """Take ``[start, end)`` unless an earlier finding overlaps it."""
        if start >= end:
            return False
        if not self.free(start, end):
            self.collided = True
            return False
        at = bisect.bisect_right(self._starts, start)
        self._starts.insert(at, start)
        self._found.insert(at, (start, end, mask))
        return True

    def apply(self, text: str) -> str:
        """``text`` with every span replaced; neighbouring address parts
        (``Flat 3B, 88 Nathan Road``) become one token."""
        out: list[str] = []
        last = 0
        for start, end, mask in self._found:
            gap = text[last:start]
            if mask == ADDRESS and out and out[-1] == ADDRESS and _JOINER.fullmatch(gap):
                last = end
                continue
            out.append(gap)
            out.append(mask)
            last = end
        out.append(text[last:])
        return "".join(out)
