"""The sequential evidence of lone series: the CUSUM bank and each series' own bar."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from alerts.detection.model import CountModel
from alerts.detection.sequential import TAIL_BASE, nb_llr, tail_threshold
from datasources.settings import DetectionSettings


@given(
    x=st.integers(0, 200),
    mu=st.floats(0.5, 100.0),
    ratio=st.sampled_from([0.2, 0.5, 1.5, 2.0, 3.0]),
)
def test_nb_llr_tends_to_the_poisson_ratio(x: int, mu: float, ratio: float) -> None:
    """With (almost) no over-dispersion the step is the Poisson CUSUM's own."""
    got = nb_llr(np.array([float(x)]), np.array([mu]), ratio, np.array([1e-6]))[0]
    poisson = x * np.log(ratio) - (ratio - 1.0) * mu
    assert abs(got - poisson) <= 1e-2 * (1.0 + abs(poisson))


def test_over_dispersion_weakens_the_evidence() -> None:
    x, mu = np.array([30.0]), np.array([10.0])
    strict = nb_llr(x, mu, 2.0, np.array([1e-4]))[0]
    loose = nb_llr(x, mu, 2.0, np.array([0.5]))[0]
    assert 0 < loose < strict


@given(
    peaks=st.floats(0.0, 1000.0),
    theta=st.floats(0.5, 5.0),
    days=st.floats(0.1, 60.0),
    per_day=st.floats(0.001, 1.0),
)
def test_tail_bar_is_above_the_base_and_falls_with_the_budget(
    peaks: float, theta: float, days: float, per_day: float
) -> None:
    args = (np.array([peaks]), np.array([peaks * theta]), np.array([days]))
    bar = tail_threshold(*args, per_day)[0]
    looser = tail_threshold(*args, per_day * 2)[0]
    assert bar >= TAIL_BASE
    assert looser <= bar


def test_tail_bar_follows_the_series_scale() -> None:
    """Heavier excursions (a burstier series) raise the bar, in proportion."""
    days = np.array([30.0, 30.0])
    bar = tail_threshold(np.array([300.0, 300.0]), np.array([300.0, 900.0]), days, 0.1)
    assert bar[1] - TAIL_BASE > 2.5 * (bar[0] - TAIL_BASE)


def _run(counts: np.ndarray, bucket_s: int = 10) -> tuple[np.ndarray, np.ndarray]:
    """Fire flags (up, down) of a sequential model over series × buckets."""
    cfg = DetectionSettings(bucket_s=bucket_s)
    model = CountModel(cfg, normalise=False, sequential=True)
    ids = [f"k{i}" for i in range(counts.shape[0])]
    up = np.zeros(counts.shape, dtype=bool)
    down = np.zeros(counts.shape, dtype=bool)
    for t in range(counts.shape[1]):
        result = model.step(t * bucket_s, ids, counts[:, t])
        up[:, t], down[:, t] = result.p_up < 1, result.p_down < 1
    return up, down


def _incidents(fired: np.ndarray, end_after: int) -> int:
    """Runs of firing buckets per series, as the incident tracker would open them: a run
    ends only after ``end_after`` quiet buckets (a flag may flicker inside one)."""
    count = 0
    for row in fired:
        at = np.flatnonzero(row)
        count += int(len(at) > 0) + int((np.diff(at) > end_after).sum())
    return count


@settings(max_examples=3, deadline=None)
@given(seed=st.integers(0, 2**31 - 1))
def test_poisson_series_stay_quiet_and_a_doubling_is_found(seed: int) -> None:
    """Known dispersion (none): 39 calm series × 3 hours (five series-days) raise about
    the budget of 0.1 false alarm a series-day, and a doubling after warm-up is found
    fast."""
    rng = np.random.default_rng(seed)
    n, steps, change = 40, 1080, 700
    rates = np.full((n, steps), 8.0)
    rates[0, change : change + 120] *= 2.0
    up, down = _run(rng.poisson(rates).astype(float))
    fired = up[1:] | down[1:]
    assert _incidents(fired, DetectionSettings().end_after_buckets) <= 3
    first = np.flatnonzero(up[0, change:])
    assert len(first) and first[0] <= 30


def test_over_dispersed_series_learn_their_dispersion() -> None:
    """Gamma-Poisson counts (alpha 0.2): the model estimates it instead of a floor."""
    rng = np.random.default_rng(4)
    counts = rng.poisson(rng.gamma(5.0, 20.0 / 5.0, (10, 3000))).astype(float)
    model = CountModel(DetectionSettings(), normalise=False, sequential=True)
    ids = [f"k{i}" for i in range(10)]
    for t in range(counts.shape[1]):
        model.step(t * 10, ids, counts[:, t])
    assert 0.1 <= float(np.median(model.dispersion)) <= 0.3
