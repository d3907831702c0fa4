"""Precision, miss rate, MTTA and MTTR as the review page and the CLI report them."""

from __future__ import annotations

from dataclasses import replace

import pytest

from alerts.quality import mean_delay, miss_rate, precision, quality_report
from alerts.views import AlertView

BASE = AlertView(
    id=1, fingerprint="s#spike", series="s", kind="spike", metric="m", business_line="tmall",
    reason="refund", channel=None, severity="major", status="resolved", raised_by="detector",
    count=1, first_seen=1000.0, last_seen=1000.0, onset=990.0, ended=None, observed=10.0,
    expected=5.0, trend=[], verbatims=[], anomaly_active=False, held_by=None, acked_by=None,
    acked_at=None, snoozed_until=None, silence_id=None, resolved_by="x", resolved_at=None,
    label=None, labelled_by=None, owner_team="ops", route="default", escalation_step=0,
    escalation_steps=2, next_escalation_at=None, updated_at=1000.0,
)  # fmt: skip


@pytest.mark.parametrize(
    ("valid", "noise", "duplicate", "expected"),
    [(9, 1, 0, 0.9), (9, 0, 1, 0.9), (0, 0, 0, None), (3, 1, 0, 0.75), (0, 2, 0, 0.0)],
)
def test_precision_counts_noise_and_duplicates_against(
    valid: int, noise: int, duplicate: int, expected: float | None
) -> None:
    assert precision(valid, noise, duplicate) == expected


@pytest.mark.parametrize(
    ("valid", "missed", "expected"), [(9, 1, 0.1), (0, 0, None), (0, 3, 1.0), (4, 0, 0.0)]
)
def test_miss_rate_is_missed_over_real_incidents(
    valid: int, missed: int, expected: float | None
) -> None:
    assert miss_rate(valid, missed) == expected


def test_mean_delay_ignores_pairs_without_an_end() -> None:
    assert mean_delay([(0, 60), (10, None), (0, 120)]) == 90
    assert mean_delay([(0, None)]) is None


def test_report_over_labelled_alerts() -> None:
    alerts = [
        replace(BASE, id=1, label="valid", acked_at=1060.0, resolved_at=1600.0),
        replace(BASE, id=2, label="valid", acked_at=1180.0, resolved_at=2200.0),
        replace(BASE, id=3, label="noise", resolved_at=1100.0, business_line="eleme"),
        replace(BASE, id=4, label="duplicate", resolved_at=1300.0, owner_team="risk"),
        replace(BASE, id=5, status="open"),
    ]
    report = quality_report(alerts, missed=1)
    assert (report.valid, report.noise, report.duplicate, report.unlabelled) == (2, 1, 1, 1)
    assert report.precision == 0.5
    assert report.miss_rate == pytest.approx(1 / 3)
    assert report.mtta_s == 120.0
    assert report.mttr_s == pytest.approx((600 + 1200 + 100 + 300) / 4)
    assert report.by_business_line == {"tmall": 4, "eleme": 1}
    assert report.by_owner == {"ops": 4, "risk": 1}
    assert report.meets_targets is False


def test_targets_met_at_ninety_percent_precision_and_ten_percent_misses() -> None:
    alerts = [replace(BASE, id=i, label="valid") for i in range(9)]
    alerts.append(replace(BASE, id=99, label="noise"))
    assert quality_report(alerts, missed=1).meets_targets is True
    assert quality_report([], missed=0).meets_targets is None
