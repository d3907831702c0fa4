"""From per-tick signals to one anomaly per incident: open, update, end, cool down.

A test that fires on consecutive buckets is one incident, not a storm of alerts.
The tracker opens an incident when a signal *fires* (the strict, false-alarm
controlled test) on ``confirm_buckets`` buckets in a row — a one-bucket burst,
such as a queue's backlog answered all at once, is not an incident — or at once
when the signal is *decisive* (overwhelming evidence: waiting for a second
bucket would only add ten seconds to the time to detect), keeps
it open while the signal is merely *elevated* (a looser bar: hysteresis, so an
incident hovering near the threshold does not flap),
re-publishes it every few buckets while it lasts, and ends it after
``end_after_buckets`` calm buckets.  After an end the same fingerprint stays
quiet for ``cooldown_s``.  Only signals that fire or belong to an open incident
reach this loop, so its cost does not grow with the number of series.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from enum import StrEnum
from typing import Any

from alerts.anomaly import Anomaly, AnomalyKind, AnomalyStatus, Severity
from datasources.settings import DetectionSettings


class Level(StrEnum):
    FIRING = "firing"
    ELEVATED = "elevated"
    CALM = "calm"


@dataclass
class Signal:
    """What a model says about one series this bucket (the anomaly's payload)."""

    series: str
    kind: AnomalyKind
    level: Level
    observed: float
    expected: float
    score: float
    severity: Severity
    metric: str
    onset_back_s: float = 0.0
    decisive: bool = False
    """Evidence so strong (see ``decisive_p``) that one bucket opens the incident."""
    dims: dict[str, str] = field(default_factory=dict)
    trend: list[float] = field(default_factory=list)
    detail: dict[str, Any] = field(default_factory=dict)

    @property
    def fingerprint(self) -> str:
        return f"{self.series}#{self.kind.value}"


@dataclass
class Incident:
    onset: float
    last_published: float
    calm_run: int = 0
    peak_score: float = 0.0
    worst: str = Severity.MINOR.value
    last: dict[str, Any] = field(default_factory=dict)


class IncidentTracker:
    """Open incidents by fingerprint, plus when each fingerprint last ended."""

    def __init__(self, cfg: DetectionSettings) -> None:
        self.cfg = cfg
        self.open: dict[str, Incident] = {}
        self.ended_at: dict[str, float] = {}
        self.pending: dict[str, tuple[float, int]] = {}
        """Fired but not yet confirmed: fingerprint → (onset, buckets fired in a row)."""

    def step(self, bucket: float, signals: list[Signal]) -> list[Anomaly]:
        """Fold one bucket's signals into incidents; return the anomalies to publish."""
        out: list[Anomaly] = []
        by_fp = {s.fingerprint: s for s in signals}
        for fp in sorted(set(by_fp) | set(self.open) | set(self.pending)):
            sig = by_fp.get(fp)
            incident = self.open.get(fp)
            if incident is None:
                if sig is None or sig.level is not Level.FIRING or self._cooling(fp, bucket):
                    self.pending.pop(fp, None)
                    continue
                onset, run = self.pending.get(fp, (bucket - sig.onset_back_s, 0))
                if sig.decisive or run + 1 >= self.cfg.confirm_buckets:
                    self.pending.pop(fp, None)
                    out.append(self._open(fp, onset, bucket, sig))
                else:
                    self.pending[fp] = (onset, run + 1)
                continue
            if sig is not None and sig.level is not Level.CALM:
                published = self._update(incident, bucket, sig)
                if published is not None:
                    out.append(published)
                continue
            incident.calm_run += 1
            if sig is not None:
                incident.last = _payload(sig)
            if incident.calm_run >= self.cfg.end_after_buckets:
                out.append(self._end(fp, incident, bucket))
        self._forget_old_cooldowns(bucket)
        return out

    def _cooling(self, fp: str, bucket: float) -> bool:
        ended = self.ended_at.get(fp)
        return ended is not None and bucket - ended < self.cfg.cooldown_s

    def _open(self, fp: str, onset: float, bucket: float, sig: Signal) -> Anomaly:
        self.open[fp] = Incident(
            onset=onset,
            last_published=bucket,
            peak_score=sig.score,
            worst=sig.severity.value,
            last=_payload(sig),
        )
        return _anomaly(self.open[fp], bucket, AnomalyStatus.ONGOING, self.cfg)

    def _update(self, incident: Incident, bucket: float, sig: Signal) -> Anomaly | None:
        incident.calm_run = 0
        incident.last = _payload(sig)
        incident.peak_score = max(incident.peak_score, sig.score)
        worse = sig.severity.rank < Severity(incident.worst).rank
        if worse:
            incident.worst = sig.severity.value
        due = bucket - incident.last_published >= self.cfg.update_every_buckets * self.cfg.bucket_s
        if not (due or worse):
            return None
        incident.last_published = bucket
        return _anomaly(incident, bucket, AnomalyStatus.ONGOING, self.cfg)

    def _end(self, fp: str, incident: Incident, bucket: float) -> Anomaly:
        del self.open[fp]
        ended = bucket - (incident.calm_run - 1) * self.cfg.bucket_s
        self.ended_at[fp] = ended
        anomaly = _anomaly(incident, bucket, AnomalyStatus.ENDED, self.cfg)
        anomaly.ended = ended
        return anomaly

    def _forget_old_cooldowns(self, bucket: float) -> None:
        stale = [fp for fp, t in self.ended_at.items() if bucket - t >= self.cfg.cooldown_s]
        for fp in stale:
            del self.ended_at[fp]

    def to_json(self) -> str:
        return json.dumps(
            {
                "open": {fp: asdict(i) for fp, i in self.open.items()},
                "ended_at": self.ended_at,
                "pending": self.pending,
            },
            ensure_ascii=False,
            sort_keys=True,
        )

    def restore(self, text: str) -> None:
        data = json.loads(text)
        self.open = {fp: Incident(**i) for fp, i in data["open"].items()}
        self.ended_at = {fp: float(t) for fp, t in data["ended_at"].items()}
        self.pending = {fp: (float(o), int(n)) for fp, (o, n) in data["pending"].items()}


def _payload(sig: Signal) -> dict[str, Any]:
    data = asdict(sig)
    data["kind"] = sig.kind.value
    data["severity"] = sig.severity.value
    data["level"] = sig.level.value
    return data


def _anomaly(
    incident: Incident, bucket: float, status: AnomalyStatus, cfg: DetectionSettings
) -> Anomaly:
    p = incident.last
    detail = dict(p["detail"])
    detail.update(
        detected_at=bucket + cfg.bucket_s,
        peak_score=round(incident.peak_score, 2),
        bucket_s=cfg.bucket_s,
    )
    return Anomaly(
        series=p["series"],
        kind=AnomalyKind(p["kind"]),
        status=status,
        onset=incident.onset,
        updated=bucket,
        observed=float(p["observed"]),
        expected=float(p["expected"]),
        severity=Severity(incident.worst),
        score=round(float(p["score"]), 3),
        metric=p["metric"],
        trend=list(p["trend"]),
        detail=detail,
        **p["dims"],
    )
