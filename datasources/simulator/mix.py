"""Who contacts whom about what: the traffic mix behind the simulator.

Each business line has its own share of contacts and its own reasons, weighted the
way Double-11 looks (Tmall is about pre-sale deposits and coupons, Ele.me about late
delivery, Alipay about payments).  A reason is routed to one of its line's skill
groups; the service robot resolves most robot-channel contacts and transfers the rest.
"""

from __future__ import annotations

import math
from typing import Final

from datasources.catalog import SKILL_GROUPS

LINE_SHARE: Final[dict[str, float]] = {
    "taobao": 0.28,
    "tmall": 0.25,
    "alipay": 0.12,
    "eleme": 0.12,
    "cainiao": 0.10,
    "hema": 0.07,
    "fliggy": 0.06,
}

REASON_WEIGHTS: Final[dict[str, dict[str, float]]] = {
    "taobao": {
        "logistics_delay": 18,
        "refund": 16,
        "coupon_not_applied": 12,
        "order_cancel": 9,
        "return_pickup": 8,
        "wrong_item": 6,
        "damaged_item": 6,
        "address_change": 7,
        "price_protection": 8,
        "invoice": 4,
        "red_packet": 6,
    },
    "tmall": {
        "presale_deposit": 16,
        "coupon_not_applied": 15,
        "refund": 13,
        "logistics_delay": 12,
        "price_protection": 10,
        "membership": 8,
        "invoice": 5,
        "order_cancel": 7,
        "damaged_item": 5,
        "return_pickup": 5,
        "red_packet": 4,
    },
    "alipay": {
        "payment_failure": 25,
        "account_locked": 14,
        "installment": 16,
        "red_packet": 12,
        "verification_code": 12,
        "fraud_report": 8,
        "refund": 13,
    },
    "eleme": {
        "delivery_late": 30,
        "missing_item": 18,
        "food_quality": 14,
        "refund": 16,
        "red_packet": 10,
        "order_cancel": 12,
    },
    "cainiao": {
        "logistics_delay": 30,
        "parcel_lost": 14,
        "pickup_station": 22,
        "address_change": 14,
        "return_pickup": 12,
        "damaged_item": 8,
    },
    "hema": {
        "delivery_late": 22,
        "food_quality": 20,
        "missing_item": 16,
        "refund": 18,
        "membership": 10,
        "coupon_not_applied": 14,
    },
    "fliggy": {
        "flight_change": 26,
        "hotel_booking": 22,
        "ticket_refund": 24,
        "payment_failure": 10,
        "coupon_not_applied": 10,
        "membership": 8,
    },
}

_GROUP_BY_KIND: Final[dict[str, tuple[str, ...]]] = {
    "presale": ("presale_deposit", "coupon_not_applied", "price_protection", "red_packet"),
    "vip": ("membership",),
    "delivery": ("delivery_late",),
    "dispute": ("wrong_item", "damaged_item"),
    "merchant": ("food_quality", "missing_item"),
    "fresh": ("food_quality", "missing_item", "membership", "coupon_not_applied"),
    "security": ("account_locked", "verification_code", "fraud_report"),
    "station": ("pickup_station", "address_change"),
    "travel": ("flight_change", "hotel_booking"),
}


def skill_group_for(line: str, reason: str) -> str:
    """The group a human contact goes to: a specialised group if the line has one for
    the reason, otherwise the line's first (general) group."""
    groups = SKILL_GROUPS[line]
    for group in groups:
        kind = group.split("-", 1)[1]
        if reason in _GROUP_BY_KIND.get(kind, ()):
            return group
    if "aftersales" in " ".join(groups) and reason not in _GROUP_BY_KIND["presale"]:
        return f"{line}-aftersales"
    return groups[0]


CHANNEL_SHARE: Final[dict[str, float]] = {
    "robot": 0.70,
    "chat": 0.15,
    "hotline": 0.09,
    "app_message": 0.04,
    "email": 0.02,
}

ROBOT_RESOLVES: Final = 0.85
"""Share of robot-channel contacts the robot resolves; the rest transfer to a human."""

HANDLE_TIME_S: Final = 150.0
"""Mean human handling time (exponential)."""

STAFFING_MARGIN: Final = 1.3
"""Agents on duty ÷ agents the expected load needs, at least (keeps pick-up ≥ 99.9%)."""

STAFFING_SAFETY: Final = 4.0
"""Square-root staffing (Halfin–Whitt): at least ``load + 4·√load`` agents.  A margin
alone is thin for a small group at night (60 busy on average out of 78 reaches 78 by
chance every hour or so, and customers queue); √load is the size of a Poisson load's
own swings, and four of them are exceeded about once in 30,000 moments."""


def agents_needed(load: float) -> int:
    """Agents to staff for an offered ``load`` (arrival rate × handling time, in agents)."""
    return math.ceil(max(load * STAFFING_MARGIN, load + STAFFING_SAFETY * math.sqrt(load)) + 2)


VERBATIM_SHARE: Final = 0.25
"""Contacts that carry the customer's own words."""

VOICE_SHARE: Final = 0.1
"""External voices per contact at normal load (they follow the square root of the curve)."""

NEGATIVE_SHARE: Final = 0.25
"""Share of external voices that are negative on a normal day."""

CONVERSATION_SHARE: Final = 0.004
"""Live conversations started per contact (capped), for the listening page."""

QUEUE_SNAPSHOT_S: Final = 5
"""Seconds between two snapshots of every skill group's queue."""


HUMAN_SHARE: Final = 1 - CHANNEL_SHARE["robot"] * ROBOT_RESOLVES
"""Contacts that reach a human queue (robot transfers plus the human channels)."""


def reason_rates() -> list[tuple[str, str, float]]:
    """(line, reason, share of all contacts) for every pair, shares summing to 1."""
    rows: list[tuple[str, str, float]] = []
    for line, share in LINE_SHARE.items():
        weights = REASON_WEIGHTS[line]
        total = sum(weights.values())
        rows.extend((line, reason, share * w / total) for reason, w in weights.items())
    return rows
