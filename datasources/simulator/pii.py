"""Realistic personal data for simulated verbatims — which the product must mask.

Customers type their phone number, address, ID-card or bank-card number into chats
all the time; the generators below produce the formats seen in practice (spaced,
dashed, with country codes; ID cards with a valid check digit, bank cards passing
Luhn) so the masking tests and the worker face the real thing.
"""

from __future__ import annotations

import random
from typing import Final

_MOBILE_PREFIXES: Final = (
    "130",
    "131",
    "132",
    "135",
    "136",
    "137",
    "138",
    "139",
    "150",
    "151",
    "152",
    "155",
    "157",
    "158",
    "159",
    "166",
    "176",
    "177",
    "178",
    "180",
    "181",
    "186",
    "187",
    "188",
    "189",
    "191",
    "198",
    "199",
)
_ID_REGIONS: Final = ("330106", "330102", "110105", "310115", "440305", "510107", "320106")
_ID_WEIGHTS: Final = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK: Final = "10X98765432"
_CARD_BINS: Final = ("622202", "621700", "622848", "620522", "622588", "628288")
_EMAIL_NAMES: Final = ("zhangwei", "li.na", "wangfang88", "liuyang", "chenjing", "zhao_lei")
_EMAIL_DOMAINS: Final = ("qq.com", "163.com", "126.com", "gmail.com", "aliyun.com", "sina.com")
_PROVINCES: Final = (
    ("浙江省", "杭州市", "西湖区", "文三路"),
    ("浙江省", "杭州市", "余杭区", "文一西路"),
    ("上海市", "", "浦东新区", "张江路"),
    ("北京市", "", "朝阳区", "建国路"),
    ("广东省", "深圳市", "南山区", "科技园南路"),
    ("四川省", "成都市", "武侯区", "天府大道"),
    ("江苏省", "南京市", "鼓楼区", "中山北路"),
)
_EN_STREETS: Final = ("Main Street", "Nathan Road", "Orchard Road", "Queen's Road", "Park Avenue")


def mobile(rng: random.Random) -> str:
    """A Chinese mobile number in one of the ways people write it."""
    digits = rng.choice(_MOBILE_PREFIXES) + f"{rng.randrange(10**8):08d}"
    style = rng.randrange(5)
    if style == 1:
        return f"{digits[:3]} {digits[3:7]} {digits[7:]}"
    if style == 2:
        return f"{digits[:3]}-{digits[3:7]}-{digits[7:]}"
    if style == 3:
        return f"+86 {digits}"
    return digits


def landline(rng: random.Random) -> str:
    area = rng.choice(("0571", "021", "010", "0755", "028"))
    return f"{area}-{rng.randrange(2 * 10**7, 9 * 10**7):08d}"


def id_card(rng: random.Random) -> str:
    """An 18-digit resident ID with a valid ISO 7064 check character."""
    body = (
        rng.choice(_ID_REGIONS)
        + f"{rng.randrange(1960, 2005)}{rng.randrange(1, 13):02d}{rng.randrange(1, 29):02d}"
        + f"{rng.randrange(1000):03d}"
    )
    check = _ID_CHECK[sum(int(d) * w for d, w in zip(body, _ID_WEIGHTS, strict=True)) % 11]
    return body + check


def luhn_complete(partial: str) -> str:
    """Append the Luhn check digit."""
    total = 0
    for index, char in enumerate(reversed(partial)):
        digit = int(char)
        if index % 2 == 0:
            digit *= 2
            digit -= 9 if digit > 9 else 0
        total += digit
    return partial + str((10 - total % 10) % 10)


def bank_card(rng: random.Random) -> str:
    """A UnionPay-style card number (16 or 19 digits), sometimes grouped by four."""
    length = rng.choice((16, 19))
    partial = rng.choice(_CARD_BINS) + "".join(str(rng.randrange(10)) for _ in range(length - 7))
    number = luhn_complete(partial)
    if rng.random() < 0.4:
        return " ".join(number[i : i + 4] for i in range(0, len(number), 4))
    return number


def email(rng: random.Random) -> str:
    return f"{rng.choice(_EMAIL_NAMES)}{rng.randrange(100)}@{rng.choice(_EMAIL_DOMAINS)}"


def address(rng: random.Random) -> str:
    """A Chinese street address down to the room (or, rarely, an English one)."""
    if rng.random() < 0.1:
        return f"{rng.randrange(1, 300)} {rng.choice(_EN_STREETS)}, Apt {rng.randrange(1, 40)}"
    province, city, district, road = rng.choice(_PROVINCES)
    building, unit = rng.randrange(1, 30), rng.randrange(1, 6)
    room = f"{rng.randrange(1, 33)}0{rng.randrange(1, 9)}"
    number = rng.randrange(1, 999)
    return f"{province}{city}{district}{road}{number}号{building}栋{unit}单元{room}室"


def order_number(rng: random.Random) -> str:
    """Order numbers are long digit strings too; masking may hide them (that is fine)."""
    return f"{rng.randrange(10**18, 10**19)}"


GENERATORS: Final = {
    "phone": mobile,
    "landline": landline,
    "id_card": id_card,
    "bank_card": bank_card,
    "email": email,
    "address": address,
}
