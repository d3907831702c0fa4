"""Street addresses, Chinese and English, down to the house and room.

Chinese: anchored on the house and room numbers (``478号``, ``3栋2单元1101室``,
``三栋二单元``, ``A座``), extended leftwards over the province, city, district
and road; a lone ``3楼`` or ``5月20号`` is left alone because nothing
address-like surrounds it.  Anchoring on the numbers keeps this linear (one big
regex with optional province/city/district parts cost 60 µs a verbatim).

English: a house number, one to four words, and any street type of the USPS
list (Publication 28, appendix C1) or of British and Commonwealth use, so
``1600 Amphitheatre Parkway`` is found as well as ``260 Main Street``; written
in lower case only with an unmistakable type (``260 main street``), so that
"3 days on the road" stays a sentence.  Flats, suites, PO boxes and a trailing
``City, ST 94043`` go with it.
"""

from __future__ import annotations

import re
from typing import Final

from alerts.pii.spans import ADDRESS, Spans

# --- Chinese -------------------------------------------------------------------

_NUM = r"(?:\d+|[一二三四五六七八九十百零〇两]{1,4}|[A-Za-z]\d{0,2})"
_UNIT = r"(?:号楼|号院|栋|幢|座|单元|层|楼|室|号(?![线柜台窗店机车码位称])|弄|户|组|区)"
_CN_CORE: Final = re.compile(
    rf"(?<![\d]){_NUM}(?:-\d+)?{_UNIT}(?:[A-Za-z0-9\u4e00-\u9fff]{{0,12}}?{_NUM}(?:-\d+)?{_UNIT})*"
    r"(?:-?\d{1,5}(?!\d))?"
)
_CN_UNIT: Final = re.compile(_UNIT)
_CN_LEFT: Final = re.compile(
    r"[^\s\d，。,.:：；;！!？?、（）()\[\]【】是在到的了我你他她址和请帮发寄送住为给从往]{1,24}$"
)
"""What may precede the numbers: province, city, district, road (stops at words
such as 是/在/到/住 that usually introduce an address)."""
_CN_PLACE: Final = re.compile(
    r"省|市|区|县|镇|乡|村|路|街|道|巷|胡同|小区|花园|公寓|大厦|苑|家园|新村|广场|中心"
)
_CN_HINT: Final = re.compile(r"[号楼栋幢座单层室弄户组区]")
_CN_BOX: Final = re.compile(r"(?:邮政)?信箱\s*\d{1,6}(?:号|分箱)?")

# --- English -------------------------------------------------------------------


def _words(text: str) -> tuple[str, ...]:
    return tuple(text.split())


_STRONG_TYPES: Final = _words(
    """
    street st road rd avenue ave boulevard blvd lane ln drive dr parkway pkwy highway
    hwy expressway expy freeway fwy turnpike tpke terrace crescent cres circle cir
    causeway
    """
)
_OTHER_TYPES: Final = _words(
    """
    alley aly annex arcade bayou beach bend bluff bottom branch bridge brook burg bypass
    camp canyon cape center centre cliff club common corner course court ct courts cove
    creek crest crossing curve dale dam divide estate estates extension fall falls ferry
    field fields flat ford forest forge fork fort garden gardens gateway glen green
    grove harbor harbour haven heights hill hills hollow inlet island isle junction key
    knoll lake landing light loaf lock lodge loop mall manor meadow meadows mews mill
    mission motorway mount mountain neck orchard oval overpass park parks pass passage
    path pike pine place pl plain plaza plz point port prairie radial ramp ranch rapids
    rest ridge river route row rue run shoal shore skyway spring spur square sq station
    stravenue stream summit ter trace track trafficway trail trl tunnel underpass union
    valley viaduct view village ville vista walk wall way wells close gate approach quay
    wharf parade esplanade circus rise vale yard wynd broadway embankment
    """
)
_TYPES_TITLE = "|".join(sorted({t.title() for t in (*_STRONG_TYPES, *_OTHER_TYPES)}, key=len)[::-1])
_TYPES_STRONG = "|".join(sorted(_STRONG_TYPES, key=len, reverse=True))
_HOUSE = r"(?<![A-Za-z0-9_#/.,-])\d{1,6}[A-Za-z]?(?:[-/]\d{1,6}[A-Za-z]?)?,?\s+"
_DIRECTION = r"(?:(?:[NSEW]|NE|NW|SE|SW|North|South|East|West)\.?\s+)?"
_UNIT_EN = (
    r"(?:,?\s*(?:(?:Apt|Apartment|Unit|Suite|Ste|Flat|Room|Rm|Floor|Fl)\.?\s*#?\s*"
    r"[A-Za-z]?\d[A-Za-z0-9\-]*|#\s*\d[\d\-]*))?"
)
_CITY_ZIP = (
    r"(?:(?:,\s*[A-Z][A-Za-z.'\-]*(?:\s+[A-Z][A-Za-z.'\-]*){0,2}){1,2},?\s+[A-Z]{2}\s+"
    r"\d{5}(?:-\d{4})?|,?\s*[A-Z]{1,2}\d[A-Z\d]?\s*\d[A-Z]{2}\b)?"
)
_EN_STREET: Final = re.compile(
    _HOUSE
    + _DIRECTION
    + r"(?:(?:[A-Z][A-Za-z'’.\-]*|\d{1,3}(?:st|nd|rd|th))\s+){1,4}"
    + rf"(?:{_TYPES_TITLE}|{_TYPES_TITLE.upper()})\b(?:\.(?=,|\s+[A-Za-z#]))?"
    + _UNIT_EN
    + _CITY_ZIP
)
_EN_STREET_LOWER: Final = re.compile(
    _HOUSE
    + r"(?:(?!(?:the|a|an|on|in|at|of|to|for|and|my|your|our|by|from|down|up)\b)"
    + r"[a-z][a-z'\-]*\s+){1,2}"
    + rf"(?:{_TYPES_STRONG})\b(?:\.(?=,|\s+[A-Za-z#]))?",
    re.IGNORECASE,
)
_EN_TYPE_FIRST: Final = re.compile(
    _HOUSE
    + r"(?:[Rr]ue|Avenue|Boulevard|Chemin|Calle|Avenida|Viale|Piazza)\s+"
    + r"(?:(?:de|du|des|la|le|del|della|di|of|the)\s+)*[A-Z][\w'’\-]+"
)
"""Type first: ``45 rue de Rivoli``, ``1211 Avenue of the Americas``."""
_EN_NUMBER_AFTER: Final = re.compile(
    r"(?<![A-Za-z])[A-Z][a-zäöüß]+(?:straße|strasse|str\.|weg|gasse|platz|allee)\s+\d{1,4}[a-z]?\b"
)
_EN_UNIT: Final = re.compile(
    r"(?<![A-Za-z])(?:Apt|Apartment|Flat|Suite|Ste|Room|Rm|Unit)\.?\s*#?\s*\d+[A-Za-z]?\b"
    r"|(?<![\d/])\d{1,3}/F\b"
)
_PO_BOX: Final = re.compile(
    r"(?<![A-Za-z])(?:P\.?\s?O\.?|Post\s+Office|G\.?P\.?O\.?)\s*Box\s*#?\s*\d{1,8}\b", re.IGNORECASE
)
_HOUSE_HINT: Final = re.compile(r"\d[A-Za-z]?,?\s+[A-Za-z][\w'.\-]*\s+[A-Za-z0-9]")
"""A house number followed by two words: what every street pattern needs."""
_UNIT_HINT: Final = re.compile(
    r"box|str|weg|gasse|platz|allee|apt|apartment|flat|suite|ste|room|rm|unit|/f", re.IGNORECASE
)
_STREETS: Final = (_EN_STREET, _EN_STREET_LOWER, _EN_TYPE_FIRST)
_UNITS: Final = (_PO_BOX, _EN_NUMBER_AFTER, _EN_UNIT)


def _mask_chinese(probe: str, spans: Spans) -> None:
    for m in _CN_BOX.finditer(probe):
        spans.add(m.start(), m.end(), ADDRESS)
    last = 0
    for m in _CN_CORE.finditer(probe):
        left = _CN_LEFT.search(probe, max(last, m.start() - 24), m.start())
        start = left.start() if left else m.start()
        units = len(_CN_UNIT.findall(m.group(0)))
        place = _CN_PLACE.search(probe, start, m.start()) or _CN_PLACE.search(
            _CN_UNIT.sub("", m.group(0))
        )
        if place is None and units < 2:
            continue
        if spans.add(start, m.end(), ADDRESS):
            last = m.end()


def mask_addresses(probe: str, spans: Spans, *, latin: bool) -> None:
    """Add a span for every street address; ``latin``: the text has ASCII letters."""
    if latin:
        patterns = (_STREETS if _HOUSE_HINT.search(probe) else ()) + (
            _UNITS if _UNIT_HINT.search(probe) else ()
        )
        for pattern in patterns:
            for m in pattern.finditer(probe):
                spans.add(m.start(), m.end(), ADDRESS)
    if _CN_HINT.search(probe) or "信箱" in probe:
        _mask_chinese(probe, spans)
