"""Alert quality: precision and miss rate from people's labels, plus MTTA and MTTR.

The original experience engine was judged by *alert precision above 90 % and miss
rate below 10 %*; these are the same numbers, computed as pure functions over alert
snapshots and the count of missed incidents leads logged, for any period.

* precision = valid / labelled, where *noise* and *duplicate* count against it;
* miss rate = missed / (valid + missed): the share of real incidents we did not raise;
* MTTA / MTTR = mean seconds from an alert's first sighting to its acknowledgement /
  resolution (``None`` while nothing qualifies).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from statistics import fmean

from alerts.lifecycle import QualityLabel
from alerts.views import AlertView

PRECISION_TARGET = 0.90
MISS_RATE_TARGET = 0.10


@dataclass(frozen=True)
class QualityReport:
    alerts: int
    valid: int
    noise: int
    duplicate: int
    unlabelled: int
    missed: int
    precision: float | None
    miss_rate: float | None
    mtta_s: float | None
    mttr_s: float | None
    by_business_line: dict[str, int] = field(default_factory=dict)
    by_owner: dict[str, int] = field(default_factory=dict)

    @property
    def meets_targets(self) -> bool | None:
        """Precision ≥ 90 % and miss rate ≤ 10 %, or ``None`` while either is unknown."""
        if self.precision is None or self.miss_rate is None:
            return None
        return self.precision >= PRECISION_TARGET and self.miss_rate <= MISS_RATE_TARGET


def precision(valid: int, noise: int, duplicate: int) -> float | None:
    labelled = valid + noise + duplicate
    return valid / labelled if labelled else None


def miss_rate(valid: int, missed: int) -> float | None:
    real = valid + missed
    return missed / real if real else None


def mean_delay(pairs: Sequence[tuple[float, float | None]]) -> float | None:
    """Mean of ``end - start`` over pairs whose end is known."""
    delays = [end - start for start, end in pairs if end is not None]
    return fmean(delays) if delays else None


def quality_report(alerts: Sequence[AlertView], missed: int) -> QualityReport:
    labels = Counter(a.label for a in alerts)
    valid = labels[QualityLabel.VALID.value]
    noise = labels[QualityLabel.NOISE.value]
    duplicate = labels[QualityLabel.DUPLICATE.value]
    return QualityReport(
        alerts=len(alerts),
        valid=valid,
        noise=noise,
        duplicate=duplicate,
        unlabelled=labels[None],
        missed=missed,
        precision=precision(valid, noise, duplicate),
        miss_rate=miss_rate(valid, missed),
        mtta_s=mean_delay([(a.first_seen, a.acked_at) for a in alerts]),
        mttr_s=mean_delay([(a.first_seen, a.resolved_at) for a in alerts]),
        by_business_line=dict(Counter(a.business_line or "-" for a in alerts)),
        by_owner=dict(Counter(a.owner_team for a in alerts)),
    )
