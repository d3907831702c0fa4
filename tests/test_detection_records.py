"""Salience of a lone series' move: its excess against the series' own recent records."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from alerts.detection.model import CountModel
from alerts.detection.records import RECORD_DAYS, ExcessRecords
from datasources.settings import DetectionSettings

DAY = 86400
BUCKET = 300
PER_DAY = DAY // BUCKET


def _feed(records: ExcessRecords, excess: list[float], first_bucket: int = 0) -> list[bool]:
    """Up-salience of one series for each bucket's excess, buckets of five minutes."""
    out = []
    for i, e in enumerate(excess):
        day = (first_bucket + i) * BUCKET // DAY
        up, _ = records.update(np.array([e]), np.array([True]), day)
        out.append(bool(up[0]))
    return out


def _records() -> ExcessRecords:
    records = ExcessRecords(BUCKET)
    records.grow(1)
    return records


def test_a_series_with_no_record_yet_is_salient() -> None:
    """With no history only the evidence can judge (the bar still applies)."""
    assert _feed(_records(), [5.0]) == [True]


def test_a_burst_smaller_than_a_recent_one_is_not_salient_a_larger_one_is() -> None:
    records = _records()
    quiet = [0.0] * (PER_DAY - 1)
    _feed(records, [100.0, *quiet])  # day 0: a burst of 100 extra
    later = _feed(records, [*quiet, 60.0, 0.0, 150.0], first_bucket=PER_DAY)
    assert later[-3:] == [False, False, True]


def test_a_record_is_forgotten_after_its_days() -> None:
    records = _records()
    _feed(records, [100.0] + [0.0] * (PER_DAY - 1))
    gap = [0.0] * (RECORD_DAYS * PER_DAY)  # days 1 .. RECORD_DAYS: day 0 falls out
    after = _feed(records, [*gap, 60.0], first_bucket=PER_DAY)
    assert after[-1] is True


def test_days_without_data_are_not_old_records() -> None:
    """A gap of several days clears the slots it skips: their old records do not linger."""
    records = _records()
    _feed(records, [100.0] + [0.0] * (PER_DAY - 1))
    records.update(np.array([0.0]), np.array([True]), RECORD_DAYS + 3)
    up, _ = records.update(np.array([1.0]), np.array([True]), RECORD_DAYS + 3)
    assert bool(up[0])


def test_a_slow_surge_is_salient_at_a_longer_scale() -> None:
    """Five extra a bucket for hours never sets a five-minute record of 100, but its
    half-day sum does."""
    records = _records()
    _feed(records, [100.0] + [0.0] * (PER_DAY - 1))
    surge = _feed(records, [5.0] * 144, first_bucket=PER_DAY)
    assert not any(surge[:10])
    assert surge[-1]


def test_falls_are_judged_by_their_own_records() -> None:
    records = _records()
    ok = np.array([True])
    for e in [-40.0] * 3 + [0.0] * 200:  # longer than the longest scale: the sums settle
        records.update(np.array([e]), ok, 0)
    _, down_small = records.update(np.array([-10.0]), ok, 1)
    up, down_big = records.update(np.array([-200.0]), ok, 1)
    assert not down_small[0] and down_big[0] and not up[0]


@settings(max_examples=40, deadline=None)
@given(st.lists(st.floats(-10, 50), min_size=5, max_size=60), st.integers(1, 4))
def test_model_state_round_trips_with_its_records(excess: list[float], series: int) -> None:
    """A restored model (the worker's snapshot) judges salience as the original would."""
    cfg = DetectionSettings(bucket_s=BUCKET)
    model = CountModel(cfg, normalise=False, sequential=True)
    ids = [f"k{i}" for i in range(series)]
    for i, e in enumerate(excess):
        model.step(i * BUCKET, ids, np.full(series, 10.0 + e))
    copy = CountModel(cfg, normalise=False, sequential=True)
    copy.restore(list(model.ids), {k: v.copy() for k, v in model.arrays().items()})
    probe = (np.full(series, 30.0), np.ones(series, dtype=bool), len(excess) * BUCKET // DAY)
    assert model.records is not None and copy.records is not None
    a, b = model.records.update(*probe), copy.records.update(*probe)
    assert np.array_equal(a[0], b[0]) and np.array_equal(a[1], b[1])


def test_the_live_model_keeps_no_records() -> None:
    """Thousands of live series at 10 s buckets would hold half a day of sums each."""
    model = CountModel(DetectionSettings(), normalise=True)
    model.step(0, ["a", "b"], np.array([3.0, 4.0]))
    assert model.records is None
    assert not any(k.startswith("record_") for k in model.arrays())
