"""Incidents injected into the simulated day, and their ground truth (the labels).

Detection is scored against these labels: an incident counts as caught when an
anomaly on the same series and kind starts between its onset and onset + 120 s.
So every incident is a *step* at its onset, on exactly one series, big enough in
absolute volume to be visible within a minute or two (see ``docs/feeds.md``).
"""

from __future__ import annotations

import json
import random
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Final

from alerts.anomaly import AnomalyKind
from datasources.series import contact_series, queue_series, voice_series
from datasources.simulator.curve import load_factor
from datasources.simulator.mix import LINE_SHARE, REASON_WEIGHTS, reason_rates, skill_group_for

KINDS: Final = (
    AnomalyKind.SPIKE,
    AnomalyKind.DROP,
    AnomalyKind.QUEUE_BREACH,
    AnomalyKind.SENTIMENT_STORM,
)
MIN_DURATION_S: Final = 300.0
MAX_DURATION_S: Final = 1800.0
SAME_LINE_GAP_S: Final = 600.0
"""Incidents on one business line never overlap and are at least this far apart."""
WARMUP_S: Final = 1800.0
"""No incident in the first half hour: detectors need a baseline first."""
SPIKE_FLOOR_PER_RATE: Final = 0.01
"""A spike adds at least ``rate × 0.01`` contacts per second (0.4/s at rate 40)."""


@dataclass(frozen=True)
class Incident:
    """One injected obstacle; ``magnitude`` is the multiplier (spike, storm) or the
    share left (drop: of the line's volume, queue_breach: of the group's agents)."""

    id: str
    kind: AnomalyKind
    onset: float
    end: float
    business_line: str
    magnitude: float
    reason: str | None = None
    skill_group: str | None = None
    source: str | None = None

    @property
    def series(self) -> str:
        if self.kind is AnomalyKind.SPIKE:
            return contact_series(self.business_line, self.reason or "*")
        if self.kind is AnomalyKind.QUEUE_BREACH:
            return queue_series(self.skill_group or "*")
        if self.kind is AnomalyKind.SENTIMENT_STORM:
            return voice_series(self.business_line, self.source or "*")
        return contact_series(self.business_line)

    def active(self, ts: float) -> bool:
        return self.onset <= ts < self.end

    def label(self) -> dict[str, Any]:
        """The labels-file row: the fields of the contract, in a stable order."""
        row = asdict(self)
        row["kind"] = self.kind.value
        return {
            "id": row["id"],
            "kind": row["kind"],
            "series": self.series,
            "onset": row["onset"],
            "end": row["end"],
            "business_line": row["business_line"],
            "reason": row["reason"],
            "skill_group": row["skill_group"],
            "source": row["source"],
            "magnitude": row["magnitude"],
        }

    @classmethod
    def from_label(cls, row: dict[str, Any]) -> Incident:
        return cls(
            id=row["id"],
            kind=AnomalyKind(row["kind"]),
            onset=float(row["onset"]),
            end=float(row["end"]),
            business_line=row["business_line"],
            magnitude=float(row["magnitude"]),
            reason=row.get("reason"),
            skill_group=row.get("skill_group"),
            source=row.get("source"),
        )


def _top(weights: dict[str, float], n: int) -> list[str]:
    return sorted(weights, key=lambda k: -weights[k])[:n]


def _main_group(line: str) -> str:
    shares: dict[str, float] = {}
    for pair_line, reason, share in reason_rates():
        if pair_line == line:
            group = skill_group_for(line, reason)
            shares[group] = shares.get(group, 0.0) + share
    return _top(shares, 1)[0]


def _target(
    rng: random.Random, kind: AnomalyKind, line: str, onset: float, rate: float, number: int
) -> Incident:
    """Fill in what the incident hits and how hard, for a chosen line and onset."""
    ident = f"inc-{number:03d}"
    if kind is AnomalyKind.SPIKE:
        weights = REASON_WEIGHTS[line]
        reason = rng.choice(_top(weights, 3))
        base = (
            rate * load_factor(onset) * LINE_SHARE[line] * weights[reason] / sum(weights.values())
        )
        wanted = max(rng.uniform(3.0, 8.0), 1.0 + SPIKE_FLOOR_PER_RATE * rate / max(base, 1e-9))
        return Incident(ident, kind, onset, onset, line, round(min(wanted, 8.0), 2), reason=reason)
    if kind is AnomalyKind.DROP:
        return Incident(ident, kind, onset, onset, line, round(rng.uniform(0.05, 0.3), 2))
    if kind is AnomalyKind.QUEUE_BREACH:
        group = _main_group(line)
        return Incident(
            ident, kind, onset, onset, line, round(rng.uniform(0.05, 0.2), 2), skill_group=group
        )
    reason = rng.choice(_top(REASON_WEIGHTS[line], 3))
    return Incident(ident, kind, onset, onset, line, round(rng.uniform(5.0, 8.0), 2), reason=reason)


def schedule(
    seed: int, start: float, end: float, count: int, rate: float, warmup_s: float = WARMUP_S
) -> list[Incident]:
    """``count`` incidents spread over ``[start + warmup, end)``, kinds in rotation.

    Each one gets a slot of equal length; its onset falls early in the slot and it
    lasts 5–30 minutes (shorter when the slot or the run is short).  Business lines
    are chosen so that incidents on one line never overlap and keep 10 minutes apart.
    Lines with too little traffic for a kind (drops and storms need volume) are skipped.
    """
    rng = random.Random(f"incidents-{seed}")
    first = start + min(warmup_s, (end - start) / 4)
    if count <= 0 or end - first < MIN_DURATION_S:
        return []
    slot = (end - first) / count
    kinds = [KINDS[i % len(KINDS)] for i in range(count)]
    rng.shuffle(kinds)
    last_end = dict.fromkeys(LINE_SHARE, float("-inf"))
    incidents: list[Incident] = []
    for number, kind in enumerate(kinds):
        onset = float(round(first + number * slot + rng.uniform(0, min(0.2 * slot, 120.0))))
        duration = rng.uniform(MIN_DURATION_S, max(MIN_DURATION_S, min(MAX_DURATION_S, 0.9 * slot)))
        stop = float(round(min(onset + duration, end)))
        if stop - onset < MIN_DURATION_S:
            continue
        lines = [line for line in LINE_SHARE if last_end[line] + SAME_LINE_GAP_S <= onset]
        if kind in (AnomalyKind.DROP, AnomalyKind.SENTIMENT_STORM):
            lines = [line for line in lines if LINE_SHARE[line] >= 0.07] or lines
        if not lines:
            continue
        line = rng.choice(lines)
        incident = _target(rng, kind, line, onset, rate, len(incidents) + 1)
        incidents.append(_with_end(incident, stop))
        last_end[line] = stop
    return incidents


def _with_end(incident: Incident, end: float) -> Incident:
    data = asdict(incident)
    data["end"] = end
    return Incident(**data)


def write_labels(incidents: Iterable[Incident], path: Path) -> None:
    """Write ground truth as JSON lines (one incident per line)."""
    with path.open("w", encoding="utf-8") as out:
        for incident in incidents:
            out.write(json.dumps(incident.label(), ensure_ascii=False) + "\n")


def read_labels(path: Path) -> list[Incident]:
    lines = path.read_text(encoding="utf-8").splitlines()
    return [Incident.from_label(json.loads(line)) for line in lines if line.strip()]


def active_incidents(incidents: Sequence[Incident], ts: float) -> list[Incident]:
    return [incident for incident in incidents if incident.active(ts)]
