"""The wall's KPI tiles: which figures, how they are written, and their target colour.

Pure functions, no Streamlit: a tile's colour is a judgement against the service
targets in the settings (pick-up rate against 99.9 %, service level, longest
wait), so it is tested with a table and shared by the wall and the benchmark.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import StrEnum

from datasources.settings import Targets


class Status(StrEnum):
    """Tile colour: green, amber, red, or plain when the figure has no target."""

    GOOD = "good"
    WARN = "warn"
    BAD = "bad"
    PLAIN = "plain"
    MISSING = "missing"


def _pct(value: float) -> str:
    return f"{value * 100:.2f}%" if value >= 0.99 else f"{value * 100:.1f}%"


def _count(value: float) -> str:
    return f"{value:,.0f}"


def _rate(value: float) -> str:
    return f"{value:,.0f}" if value >= 100 else f"{value:,.1f}"


def _seconds(value: float) -> str:
    if value < 120:
        return f"{value:.0f}s"
    return f"{int(value // 60)}m{int(value % 60):02d}s"


Figures = Mapping[str, object]
Judge = Callable[[float, Figures], Status]

WAITING_PER_AGENT = 0.05
"""Customers waiting per agent on duty (in-house and cloud) still green: with every
agent busy, a queue that long is taken within seconds of the next agents freeing up."""
WAITING_WARN_FACTOR = 3.0


def _at_least(target: float, warn_gap: float) -> Judge:
    def judge(value: float, _figures: Figures) -> Status:
        if value >= target:
            return Status.GOOD
        return Status.WARN if value >= target - warn_gap else Status.BAD

    return judge


def _at_most(target: float, warn_factor: float) -> Judge:
    def judge(value: float, _figures: Figures) -> Status:
        if value <= target:
            return Status.GOOD
        return Status.WARN if value <= target * warn_factor else Status.BAD

    return judge


def _waiting(value: float, figures: Figures) -> Status:
    """Waiting customers against the staff on duty (so a one-line view and the whole
    deployment are judged alike); plain while the staff is unknown."""
    staff = sum(_usable(figures.get(k)) or 0.0 for k in ("agents_on_duty", "cloud_agents_on_duty"))
    if staff <= 0:
        return Status.PLAIN
    return _at_most(WAITING_PER_AGENT * staff, WAITING_WARN_FACTOR)(value, figures)


@dataclass(frozen=True)
class KpiSpec:
    """One tile: the aggregate's field name, how to write it, and how to judge it."""

    key: str
    fmt: Callable[[float], str]
    judge: Judge | None = None
    target_text: str | None = None
    """The target as figures, the same in every language (``None``: see ``target_key``)."""
    target_key: str | None = None
    """A glossary key for a target said in words."""


def kpi_specs(targets: Targets) -> list[KpiSpec]:
    """The eight wall tiles in display order, judged against ``targets``."""
    pickup_gap = (1 - targets.pickup_rate) * 4
    return [
        KpiSpec("contacts_per_min", _rate),
        KpiSpec(
            "pickup_rate",
            _pct,
            _at_least(targets.pickup_rate, pickup_gap),
            _pct(targets.pickup_rate),
        ),
        KpiSpec(
            "service_level",
            _pct,
            _at_least(targets.service_level, 0.10),
            f"{_pct(targets.service_level)} / {targets.service_level_threshold_s:.0f}s",
        ),
        KpiSpec("waiting_now", _count, _waiting, target_key="kpi.waiting_target"),
        KpiSpec(
            "longest_wait_s",
            _seconds,
            _at_most(targets.longest_wait_s, 2.0),
            f"≤ {_seconds(targets.longest_wait_s)}",
        ),
        KpiSpec("robot_share", _pct),
        KpiSpec("agents_on_duty", _count),
        KpiSpec("cloud_agents_on_duty", _count),
    ]


def _usable(value: object) -> float | None:
    if value is None or isinstance(value, bool):
        return None
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    return None if math.isnan(number) else number


def evaluate(spec: KpiSpec, figures: Figures) -> tuple[str, Status]:
    """The tile's text and colour from the snapshot's figures; "—" and MISSING when
    there is no figure yet."""
    number = _usable(figures.get(spec.key))
    if number is None:
        return "—", Status.MISSING
    status = spec.judge(number, figures) if spec.judge else Status.PLAIN
    return spec.fmt(number), status


def format_figure(key: str, value: float) -> str:
    """A KPI-named figure written as its tile writes it (a queue breach's metric)."""
    formats: dict[str, Callable[[float], str]] = {
        "pickup_rate": _pct, "service_level": _pct, "longest_wait_s": _seconds,
    }  # fmt: skip
    return formats.get(key, _rate)(value)
