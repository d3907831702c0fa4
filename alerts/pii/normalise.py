"""Look-alike characters to ASCII, one character for one, before any pattern runs.

Customers type ``１３８ １２３４ ５６７８`` with a Chinese input method, paste
numbers with non-breaking or zero-width spaces, write ``一三八…`` in words, or
use dashes of every width.  The detectors match the *probe* made here, where all
of these are ASCII; because each character maps to exactly one character, a
position in the probe is the same position in the original text, so what is not
masked is kept exactly as written.

Only the characters that can be part of personal data are mapped (digits,
letters, ``+ - . @ # ( ) _`` and spaces): Chinese punctuation such as ``，`` or
``！`` stays, so most verbatims need no translation at all.
"""

from __future__ import annotations

import array
import re
import sys
import unicodedata
from typing import Final

_UTF16: Final = "utf-16-le" if sys.byteorder == "little" else "utf-16-be"
_FULL_WIDTH: Final = "＃（）＊＋－．０１２３４５６７８９＠＿" + "".join(
    chr(c) for c in (*range(0xFF21, 0xFF3B), *range(0xFF41, 0xFF5B))
)


def _table() -> dict[int, str]:
    table = {ord(char): chr(ord(char) - 0xFEE0) for char in _FULL_WIDTH}
    bmp = array.array("H", [*range(0x80, 0xD800), *range(0xE000, 0x10000)])
    maths = "".join(map(chr, range(0x1D7CE, 0x1D800)))  # 𝟏𝟑𝟖 from "fancy text" tools
    for char in re.findall(r"\d", bmp.tobytes().decode(_UTF16) + maths):
        table[ord(char)] = str(unicodedata.decimal(char))  # Arabic-Indic, Devanagari, …
    for code in (*range(0x2010, 0x2016), 0x2212, 0xFE58, 0xFE63):  # dashes, minus
        table[code] = "-"
    spaces = (0x00A0, 0x3000, *range(0x2000, 0x200E), 0x202F, 0x205F, 0x2060, 0xFEFF)
    for code in spaces:  # wide, thin, non-breaking and zero-width spaces
        table[code] = " "
    table[0xFE6B] = "@"  # small commercial at
    return table


_TABLE: Final = _table()
_LOOK_ALIKE: Final = re.compile(
    "[" + "".join(re.escape(chr(c)) for c in sorted(_TABLE) if not chr(c).isdigit()) + "]"
    r"|(?![0-9])\d"
)
_NUMERALS: Final = str.maketrans("〇零一二三四五六七八九幺", "001234567891")
_NUMERAL_RUN: Final = re.compile(
    r"[0-9〇零一二三四五六七八九幺](?:[ \-]?[0-9〇零一二三四五六七八九幺]){6,}"
)
"""Seven or more digits in words (``幺`` is how a 1 is read out in a phone number):
shorter runs are ordinary words such as 一二三 or 三五."""


def _numerals(match: re.Match[str]) -> str:
    return match.group(0).translate(_NUMERALS)


def probe(text: str) -> str:
    """``text`` with look-alikes in ASCII; same length, same positions."""
    if text.isascii():
        return text
    if _LOOK_ALIKE.search(text):
        text = text.translate(_TABLE)
    return _NUMERAL_RUN.sub(_numerals, text)
