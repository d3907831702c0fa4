"""Queue KPIs from aggregate counters: pure arithmetic, no I/O.

The wall's tiles and sparklines, the detector's queue rules and the tests all go
through :func:`kpis_from`, so "pick-up rate" means one thing everywhere:

* ``pickup_rate``   = answered / offered (the robot picks up too);
* ``service_level`` = answered within the threshold / offered;
* ``abandonment``   = abandoned / offered;
* ``avg_wait_s``    = total waited seconds / offered;
* ``robot_share``   = handled by the robot / offered;
* queue figures (waiting, longest wait, agents on duty) from the newest snapshot
  of each skill group.

A ratio with nothing offered is ``None`` ("–" on a tile), never 0 or 100 %.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from datasources.aggregates_layout import decode_snapshot

KPI_COLUMNS = (
    "contacts_per_min",
    "pickup_rate",
    "service_level",
    "abandonment",
    "waiting_now",
    "longest_wait_s",
    "avg_wait_s",
    "robot_share",
    "agents_on_duty",
    "cloud_agents_on_duty",
)


@dataclass(frozen=True)
class KpiSnapshot:
    """The wall's headline figures for one minute (``None`` = no data)."""

    minute: int | None
    """Epoch second the minute starts (``None`` when there is no data at all)."""
    contacts_per_min: float | None = None
    pickup_rate: float | None = None
    service_level: float | None = None
    abandonment: float | None = None
    waiting_now: float | None = None
    longest_wait_s: float | None = None
    avg_wait_s: float | None = None
    robot_share: float | None = None
    agents_on_duty: float | None = None
    cloud_agents_on_duty: float | None = None

    def as_dict(self) -> dict[str, float | None]:
        return {name: getattr(self, name) for name in KPI_COLUMNS}


def _ratio(numerator: float, denominator: float) -> float | None:
    return numerator / denominator if denominator > 0 else None


def newest_snapshots(
    hashes: Iterable[dict[str, str]], business_line: str | None = None
) -> list[dict[str, float | str]]:
    """The newest snapshot per skill group across ``queue`` hashes (optionally one line)."""
    newest: dict[str, dict[str, float | str]] = {}
    for reply in hashes:
        for group, raw in reply.items():
            snap = decode_snapshot(raw)
            if business_line is not None and snap.get("business_line") != business_line:
                continue
            held = newest.get(group)
            if held is None or float(held["ts"]) <= float(snap["ts"]):
                newest[group] = snap
    return list(newest.values())


def combine_metrics(parts: Iterable[dict[str, float]]) -> dict[str, float]:
    """Service counters of several buckets as one: sums, except maxima stay maxima."""
    total: dict[str, float] = {}
    for part in parts:
        for name, value in part.items():
            held = total.get(name, 0.0)
            total[name] = max(held, value) if name.endswith("_max") else held + value
    return total


def kpis_from(
    minute: int | None,
    service: dict[str, float],
    snapshots: list[dict[str, float | str]],
) -> KpiSnapshot:
    """KPIs from one scope's service counters and its skill groups' queue snapshots
    (the service-level threshold was applied when ``answered_in_sl`` was counted)."""
    offered = service.get("offered", 0.0)

    def total(name: str) -> float | None:
        if not snapshots:
            return None
        return float(sum(float(s[name]) for s in snapshots))

    longest = max((float(s["longest_wait_s"]) for s in snapshots), default=None)
    agents = total("agents_available")
    busy = total("agents_busy")
    cloud = total("cloud_agents_available")
    cloud_busy = total("cloud_agents_busy")
    return KpiSnapshot(
        minute=minute,
        contacts_per_min=offered if minute is not None else None,
        pickup_rate=_ratio(service.get("answered", 0.0), offered),
        service_level=_ratio(service.get("answered_in_sl", 0.0), offered),
        abandonment=_ratio(service.get("abandoned", 0.0), offered),
        waiting_now=total("waiting"),
        longest_wait_s=longest,
        avg_wait_s=_ratio(service.get("wait_sum", 0.0), offered),
        robot_share=_ratio(service.get("robot", 0.0), offered),
        agents_on_duty=None if agents is None or busy is None else agents + busy,
        cloud_agents_on_duty=None if cloud is None or cloud_busy is None else cloud + cloud_busy,
    )
