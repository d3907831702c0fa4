"""The Double-11 traffic curve: how busy customer service is at any moment.

Load 1.0 is a normal daytime hour; ``--rate`` says how many contacts per second that
is.  On Double-11 the curve is dominated by the midnight surge (the sale opens at
00:00 Asia/Shanghai and contacts jump 10–15× within a minute, decaying over about an
hour), then a quiet night and three daytime humps.  Every series shares this shape,
so it is the *common mode* a detector must see through; incidents touch one series.
"""

from __future__ import annotations

import math
from typing import Final

SHANGHAI_OFFSET_S: Final = 8 * 3600
"""Asia/Shanghai is UTC+8 all year (no daylight saving)."""

SURGE_PEAK: Final = 11.5
"""Extra load at 00:00 on top of the late-evening level (peak ≈ 12.5×)."""

SURGE_DECAY_S: Final = 15 * 60.0
"""e-folding time of the surge: down to a few percent after an hour."""

_HUMPS: Final = ((10.5, 1.8, 0.75), (15.0, 2.2, 0.65), (21.0, 1.8, 0.9), (23.3, 0.8, 0.45))
"""(local hour, width in hours, height) of the daytime humps."""

NIGHT_FLOOR: Final = 0.2


def local_hour(ts: float) -> float:
    """Hour of the day in Shanghai, 0 ≤ h < 24."""
    return ((ts + SHANGHAI_OFFSET_S) % 86400) / 3600.0


def seconds_since_local_midnight(ts: float) -> float:
    return (ts + SHANGHAI_OFFSET_S) % 86400


def daily_shape(hour: float) -> float:
    """The seasonal part: night floor plus three Gaussian humps (circular in the hour)."""
    total = NIGHT_FLOOR
    for centre, width, height in _HUMPS:
        distance = min(abs(hour - centre), 24 - abs(hour - centre))
        total += height * math.exp(-0.5 * (distance / width) ** 2)
    return total


def surge(ts: float) -> float:
    """The midnight sale-opening surge: a step at 00:00 decaying exponentially."""
    return SURGE_PEAK * math.exp(-seconds_since_local_midnight(ts) / SURGE_DECAY_S)


def load_factor(ts: float) -> float:
    """Contacts relative to a normal daytime hour at epoch second ``ts``."""
    return daily_shape(local_hour(ts)) + surge(ts)
