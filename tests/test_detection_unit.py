"""The detector on synthetic buckets: what must ring, what must stay quiet.

Each scenario is a seeded, over-dispersed background of 6 business lines × 8
reasons × 2 channels (Poisson–gamma counts) with something done to it; the
table says which anomalies (series, kind) must come out and nothing else.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest

from alerts.anomaly import Anomaly, AnomalyKind, AnomalyStatus, Severity
from alerts.detection import BucketObservation, Detector
from alerts.detection.contacts import explain_away
from alerts.detection.incidents import Level, Signal
from alerts.detection.significance import benjamini_hochberg, nb_lower_p, nb_upper_p
from datasources.settings import DetectionSettings, Targets

T0 = 1_794_300_000
LINES = [f"line{i}" for i in range(6)]
REASONS = [f"r{j}" for j in range(8)]
CHANNELS = ["robot", "chat"]
KEYS = [(b, r, c) for b in LINES for r in REASONS for c in CHANNELS]

Shape = Callable[[int, np.ndarray], np.ndarray]


def _idx(line: str, reason: str | None = None) -> np.ndarray:
    return np.array([k[0] == line and (reason is None or k[1] == reason) for k in KEYS])


def flat(_k: int, mu: np.ndarray) -> np.ndarray:
    return mu


def surge(k: int, mu: np.ndarray) -> np.ndarray:
    """Double-11 midnight: everything ×12 at once, decaying — must NOT alarm."""
    return mu * (1 + 11 * np.exp(-(k - 60) / 40)) if k >= 60 else mu


def spike(k: int, mu: np.ndarray) -> np.ndarray:
    return np.where(_idx("line1", "r2"), mu * 4, mu) if 80 <= k < 130 else mu


def drop(k: int, mu: np.ndarray) -> np.ndarray:
    return np.where(_idx("line0"), mu * 0.1, mu) if 80 <= k < 130 else mu


def spike_in_surge(k: int, mu: np.ndarray) -> np.ndarray:
    return spike(k, surge(k, mu))


def run(
    shape: Shape,
    *,
    buckets: int = 180,
    rate: float = 3.0,
    seed: int = 7,
    skip: frozenset[int] = frozenset(),
    service: Callable[[int], dict[str, dict[str, float]]] | None = None,
    voices: Callable[[int], dict[tuple[str, str], tuple[float, float]]] | None = None,
) -> list[Anomaly]:
    rng = np.random.default_rng(seed)
    base = rng.gamma(2.0, 0.5, len(KEYS)) * rate
    detector = Detector(DetectionSettings(), Targets())
    out: list[Anomaly] = []
    for k in range(buckets):
        mu = shape(k, base)
        counts = rng.poisson(rng.gamma(25.0, mu / 25.0))
        if k in skip:
            continue
        obs = BucketObservation(
            T0 + 10 * k,
            dict(zip(KEYS, counts.tolist(), strict=True)),
            service(k) if service else {},
            {},
            voices(k) if voices else {},
        )
        out += detector.step(obs)
    return out


def kinds(anomalies: list[Anomaly]) -> set[tuple[str, str]]:
    return {(a.series, a.kind.value) for a in anomalies}


@pytest.mark.parametrize(
    ("shape", "expected"),
    [
        (flat, set()),
        (surge, set()),
        (spike, {("contacts:line1:r2:*", "spike")}),
        (drop, {("contacts:line0:*:*", "drop")}),
        (spike_in_surge, {("contacts:line1:r2:*", "spike")}),
    ],
    ids=["flat", "global-surge", "reason-spike", "line-drop", "spike-during-surge"],
)
def test_count_scenarios(shape: Shape, expected: set[tuple[str, str]]) -> None:
    assert kinds(run(shape)) == expected


def test_low_counts_never_alarm() -> None:
    """A tenfold jump of a trickle is still a trickle: minimum volume holds it back."""

    def trickle_spike(k: int, mu: np.ndarray) -> np.ndarray:
        return np.where(_idx("line1", "r2"), mu * 10, mu) if 80 <= k < 130 else mu

    assert run(trickle_spike, rate=0.02) == []


def test_one_anomaly_per_incident_updated_then_ended() -> None:
    found = [a for a in run(spike) if a.series == "contacts:line1:r2:*"]
    assert len({(a.fingerprint, a.onset) for a in found}) == 1
    assert found[0].status is AnomalyStatus.ONGOING
    assert found[-1].status is AnomalyStatus.ENDED
    assert all(a.status is AnomalyStatus.ONGOING for a in found[:-1])
    assert T0 + 800 <= found[0].onset <= T0 + 820  # bucket 80, or its neighbour
    assert found[-1].ended is not None and T0 + 1300 <= found[-1].ended <= T0 + 1400
    first = found[0]
    assert first.observed > 2 * first.expected
    assert first.business_line == "line1" and first.reason == "r2"
    assert first.trend and first.score > 3
    assert first.detail["detected_at"] - first.onset <= 60


def test_cooldown_keeps_a_flapping_series_to_one_incident() -> None:
    def flapping(k: int, mu: np.ndarray) -> np.ndarray:
        on = 80 <= k < 100 or 108 <= k < 125
        return np.where(_idx("line1", "r2"), mu * 4, mu) if on else mu

    found = [a for a in run(flapping) if a.series == "contacts:line1:r2:*"]
    assert len({a.onset for a in found}) == 1


def test_missing_buckets_are_not_drops() -> None:
    """A feed hiccup (no bucket at all) is missing data, not zero contacts."""
    assert run(flat, skip=frozenset(range(90, 96))) == []


def _service(bad: range) -> Callable[[int], dict[str, dict[str, float]]]:
    def make(k: int) -> dict[str, dict[str, float]]:
        answered = 60.0 if k in bad else 200.0
        return {
            "g1": {"offered": 200.0, "answered": answered, "answered_in_sl": answered},
            "g2": {"offered": 200.0, "answered": 200.0, "answered_in_sl": 190.0},
        }

    return make


def test_queue_breach_one_anomaly_per_group() -> None:
    found = run(flat, service=_service(range(100, 140)))
    assert kinds(found) == {("queue:g1", "queue_breach")}
    first = found[0]
    assert first.metric == "pickup_rate" and first.expected == pytest.approx(0.999)
    assert first.detail["targets"]["pickup_rate"] == pytest.approx(0.999)
    assert first.skill_group == "g1"
    assert found[-1].status is AnomalyStatus.ENDED


def test_a_few_unanswered_are_bad_luck_not_a_breach() -> None:
    def make(k: int) -> dict[str, dict[str, float]]:
        return {"g1": {"offered": 300.0, "answered": 299.0 if k % 5 else 298.0,
                       "answered_in_sl": 290.0}}  # fmt: skip

    assert run(flat, service=make) == []


VoiceBucket = dict[tuple[str, str], tuple[float, float]]


def _voices(storm: range, volume_only: bool = False) -> Callable[[int], VoiceBucket]:
    rng = np.random.default_rng(3)

    def make(k: int) -> VoiceBucket:
        out: VoiceBucket = {}
        for line in LINES[:3]:
            total = float(rng.poisson(40))
            negative = float(rng.binomial(int(total), 0.15))
            if line == "line2" and k in storm:
                extra = float(rng.poisson(60))
                total += extra
                negative += extra * (0.15 if volume_only else 0.8)
            out[(line, "weibo")] = (total, negative)
        return out

    return make


def test_sentiment_storm_needs_volume_and_share() -> None:
    found = run(flat, voices=_voices(range(100, 150)))
    assert kinds(found) == {("voices:line2:*", "sentiment_storm")}
    assert found[0].detail["negative_share"] > found[0].detail["usual_share"] + 0.15
    assert run(flat, voices=_voices(range(100, 150), volume_only=True)) == []


@pytest.mark.parametrize(
    ("p", "q", "expected"),
    [
        ([0.001, 0.2, 0.5], 0.01, [True, False, False]),
        ([0.001, 0.008, 0.03, 0.5], 0.05, [True, True, True, False]),
        ([0.02, 0.03], 0.01, [False, False]),
        ([np.nan, 1e-9], 0.01, [False, True]),
    ],
)
def test_benjamini_hochberg(p: list[float], q: float, expected: list[bool]) -> None:
    assert benjamini_hochberg(np.array(p), q).tolist() == expected


def test_negative_binomial_tails_match_scipy() -> None:
    from scipy import stats

    x, mu, alpha = np.array([0.0, 3, 12, 40]), np.array([5.0, 5, 5, 20]), np.full(4, 0.1)
    n = 1 / alpha
    assert np.allclose(nb_upper_p(x, mu, alpha), stats.nbinom.sf(x - 1, n, n / (n + mu)))
    assert np.allclose(nb_lower_p(x, mu, alpha), stats.nbinom.cdf(x, n, n / (n + mu)))


def test_old_or_repeated_buckets_are_ignored() -> None:
    detector = Detector(DetectionSettings(), Targets())
    obs = BucketObservation(T0, {("a", "b", "c"): 5})
    detector.step(obs)
    assert detector.step(obs) == []
    assert detector.last_bucket == T0


def big_line_down(k: int, mu: np.ndarray) -> np.ndarray:
    """line0 carries two thirds of all contacts and is down to 5 % for 20 minutes."""
    big = np.where(_idx("line0"), mu * 10, mu)
    return np.where(_idx("line0"), big * 0.05, big) if 80 <= k < 200 else big


def test_a_big_line_down_rings_once_and_not_again_when_it_recovers() -> None:
    """While line0 is down its expected volume stands in for it in the other lines'
    reference (they must not look like spikes), and its reasons' baselines do not learn
    the outage (they must not all spike when it is over)."""
    found = run(big_line_down, buckets=320)
    assert kinds(found) == {("contacts:line0:*:*", "drop")}


def _sig(series: str, window_s: float, observed: float, expected: float) -> Signal:
    return Signal(
        series=series, kind=AnomalyKind.SPIKE, level=Level.FIRING, observed=observed,
        expected=expected, score=9.0, severity=Severity.MAJOR, metric="contacts_per_min",
        detail={"window_s": window_s},
    )  # fmt: skip


@pytest.mark.parametrize(
    ("reason_excess", "published"),
    [(19.0, "contacts:cainiao:parcel:*"), (4.0, "contacts:cainiao:*:*")],
)
def test_reason_and_line_are_compared_over_the_same_window(
    reason_excess: float, published: str
) -> None:
    """The reason's spike is clearest over 30 s, its line's over 10 s: per minute the
    reason looks smaller (its window dilutes it), over the same 30 s it carries most
    of the line's excess and is the news."""
    reason = _sig("contacts:cainiao:parcel:*", 30.0, 48.0, 9.6)
    line = _sig("contacts:cainiao:*:*", 10.0, 156.0, 40.0)
    over_30s = {reason.series: reason_excess, line.series: 25.0}

    def excess(series: str, window_s: float) -> float:
        assert window_s == 30.0
        return over_30s[series]

    signals = explain_away([reason, line], 0.5, set(), excess)
    assert [s.series for s in signals if s.level is Level.FIRING] == [published]
