"""Property tests: the detector never crashes, is deterministic, resumes from its state,
and the backtest's ``detected`` uses nothing after it."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from alerts.anomaly import Anomaly
from alerts.detection import BucketObservation, Detector
from alerts.detection.backtest import Series, backtest
from datasources.settings import DetectionSettings, Targets

T0 = 1_794_300_000
CFG = DetectionSettings(warmup_buckets=3, windows=[1, 3], storm_windows=[2, 4])

names = st.sampled_from(["a", "b", "c"])
counts = st.one_of(st.integers(0, 50), st.integers(0, 10**6)).map(float)
contacts = st.dictionaries(st.tuples(names, names, names), counts, max_size=6)
service = st.dictionaries(
    names,
    st.fixed_dictionaries(
        {"offered": counts, "answered": counts, "answered_in_sl": counts, "wait_max": counts}
    ),
    max_size=2,
)
queue = st.dictionaries(names, st.fixed_dictionaries({"longest_wait_s": counts}), max_size=2)
voices = st.dictionaries(st.tuples(names, names), st.tuples(counts, counts), max_size=3)
bucket = st.builds(
    lambda gap, c, s, q, v: (gap, c, s, q, v),
    st.integers(1, 4),
    contacts,
    service,
    queue,
    voices,
)


def observations(raw: list[Any]) -> list[BucketObservation]:
    t, out = T0, []
    for gap, c, s, q, v in raw:
        t += 10 * gap
        out.append(BucketObservation(t, c, s, q, v))
    return out


def signature(anomalies: list[Anomaly]) -> list[str]:
    return [a.to_fields()["json"] for a in anomalies]


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(bucket, min_size=1, max_size=25))
def test_never_crashes_and_is_deterministic(raw: list[Any]) -> None:
    obs = observations(raw)
    runs = []
    for _ in range(2):
        detector = Detector(CFG, Targets())
        runs.append([signature(detector.step(o)) for o in obs])
    assert runs[0] == runs[1]
    for per_bucket in runs[0]:
        for text in per_bucket:
            assert "NaN" not in text


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(bucket, min_size=2, max_size=20), st.data())
def test_state_round_trip_resumes_identically(raw: list[Any], data: st.DataObject) -> None:
    obs = observations(raw)
    cut = data.draw(st.integers(1, len(obs) - 1))
    straight = Detector(CFG, Targets())
    expected = [signature(straight.step(o)) for o in obs]
    first = Detector(CFG, Targets())
    got = [signature(first.step(o)) for o in obs[:cut]]
    resumed = Detector.from_state(first.to_state(), CFG, Targets())
    got += [signature(resumed.step(o)) for o in obs[cut:]]
    assert got == expected


def test_unreadable_state_is_a_value_error() -> None:
    with pytest.raises(ValueError, match="unreadable detector state"):
        Detector.from_state(b"not a state", CFG, Targets())


# -- issue 15: ``detected`` never precedes the data that justified it -------------------
BACKTEST_CFG = DetectionSettings(warmup_buckets=10)
incident = st.tuples(
    st.integers(20, 150),  # first bucket
    st.integers(1, 30),  # buckets
    st.sampled_from([0.0, 0.3, 2.5, 6.0]),  # factor on the base rate
)


@st.composite
def grids(draw: st.DrawFn) -> Series:
    """A short series or two in buckets of 1 s to 1 min (below the 5 minutes at which the
    backtest may learn a daily profile), Poisson around a base, with incidents and gaps."""
    n = draw(st.integers(40, 180))
    keys = draw(st.sampled_from([[""], ["a", "b"]]))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    rates = np.full((n, len(keys)), draw(st.sampled_from([2.0, 15.0, 80.0])))
    for start, length, factor in draw(st.lists(incident, min_size=1, max_size=3)):
        rates[start : start + length, rng.integers(len(keys))] *= factor
    values = rng.poisson(rates).astype(float)
    for gap in draw(st.lists(st.integers(1, n - 1), max_size=3)):
        values[gap : gap + 3, 0] = np.nan
    interval = draw(st.sampled_from([1, 10, 60]))
    return Series(T0 + interval * np.arange(n), keys, values, interval)


def _anomalies(data: Series) -> set[tuple[str, ...]]:
    found = backtest(data, BACKTEST_CFG)
    keys = found["key"] if "key" in found.columns else [""] * len(found)
    return set(zip(keys, found["start"], found["detected"], found["direction"], strict=True))


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(grids())
def test_truncating_after_detected_yields_the_same_anomaly(data: Series) -> None:
    """Cut the series right after the bucket that opened an anomaly (``detected`` is that
    bucket's end): the shorter run must flag the same anomaly at the same time, with the
    same onset, so nothing after ``detected`` went into it."""
    for key, start, detected, direction in _anomalies(data):
        cut = int(np.searchsorted(data.times, pd.Timestamp(detected).timestamp()))
        short = Series(data.times[:cut], data.keys, data.values[:cut], data.interval_s)
        assert (key, start, detected, direction) in _anomalies(short)


def test_a_daily_profile_is_chosen_without_looking_ahead() -> None:
    """From 5-minute buckets the backtest learns a daily profile; whether it does must not
    depend on how much history follows (it once did: three days or more of file)."""
    rng = np.random.default_rng(3)
    t = np.arange(4 * 288)
    rates = 40.0 * (1.0 + 0.8 * np.sin(2 * np.pi * t / 288))
    rates[400:420] *= 3
    rates[700:720] *= 3
    data = Series(T0 + 300 * t, [""], rng.poisson(rates)[:, None].astype(float), 300)
    found = _anomalies(data)
    assert len(found) >= 2
    for key, start, detected, direction in found:
        cut = int(np.searchsorted(data.times, pd.Timestamp(detected).timestamp()))
        short = Series(data.times[:cut], data.keys, data.values[:cut], data.interval_s)
        assert (key, start, detected, direction) in _anomalies(short)


@st.composite
def lone_line(draw: st.DrawFn) -> np.ndarray:
    """Contacts of a one-line deployment in 10 s buckets: Poisson around a base, with
    incidents (a collapse to nothing, a fall, rises) and buckets with no contact at all."""
    n = draw(st.integers(60, 200))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    rates = np.full(n, draw(st.sampled_from([3.0, 15.0, 80.0])))
    for start, length, factor in draw(st.lists(incident, min_size=1, max_size=3)):
        rates[start : start + length] *= factor
    return np.asarray(rng.poisson(rates), dtype=float)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(lone_line())
def test_a_lone_line_live_and_in_the_backtest_give_the_same_anomalies(counts: np.ndarray) -> None:
    """A deployment with one business line has no other line to be a share of: the live
    detector judges that line on its own baseline with the backtest's model, so the
    worker and ``gmd backtest`` over the same buckets open the same anomalies, with the
    same onset and the same detection time."""
    times = T0 + 10 * np.arange(len(counts))
    live = Detector(BACKTEST_CFG, Targets())
    opened: dict[tuple[float, str], float] = {}
    for t, n in zip(times, counts, strict=True):
        contacts = {("tmall", "refund", "chat"): float(n)} if n else {}
        for a in live.step(BucketObservation(int(t), contacts)):
            assert a.series == "contacts:tmall:*:*"
            direction = "up" if a.kind.value == "spike" else "down"
            # An incident's first publication says when it was detected; updates re-date it.
            opened.setdefault((a.onset, direction), float(a.detail["detected_at"]))
    if not counts.any():
        assert not opened
        return
    first = int(np.flatnonzero(counts)[0])
    # The worker learns of a line at its first contact; the backtest's file starts there.
    found = backtest(Series(times[first:], [""], counts[first:, None], 10), BACKTEST_CFG)
    seconds = {
        col: (pd.to_datetime(found[col], utc=True) - pd.Timestamp(0, tz="UTC")).dt.total_seconds()
        for col in ("start", "detected")
    }
    expected = set(zip(seconds["start"], seconds["detected"], found["direction"], strict=True))
    assert {(onset, at, way) for (onset, way), at in opened.items()} == expected
