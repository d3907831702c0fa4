"""Vectorised tail probabilities and multiple-testing control for the detector.

Contact counts are over-dispersed: a busy minute is busier than Poisson says,
because customers arrive in clumps.  We therefore test counts against a negative
binomial with variance ``mu + alpha * mu**2`` (``alpha`` estimated per series),
and proportions (pick-up rate, negative share) against a binomial.  Thousands
of series are tested every tick, so the per-tick family is controlled with
Benjamini–Hochberg; a plain per-series threshold would ring many times a day.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
from scipy import special

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]

_TINY = 1e-9


def nb_upper_p(observed: FloatArray, expected: FloatArray, alpha: FloatArray) -> FloatArray:
    """P(X >= observed) for X ~ NegBin(mean=expected, var=expected + alpha*expected²)."""
    n, p = _nb_params(expected, alpha)
    x = np.floor(np.maximum(observed, 0.0))
    # P(X >= x) = I_{1-p}(x, n) for x >= 1 (regularised incomplete beta).
    tail = special.betainc(np.maximum(x, 1.0), n, 1.0 - p)
    return np.asarray(np.where(x < 1, 1.0, np.clip(tail, 0.0, 1.0)), dtype=np.float64)


def nb_lower_p(observed: FloatArray, expected: FloatArray, alpha: FloatArray) -> FloatArray:
    """P(X <= observed) for the same negative binomial: I_p(n, x + 1)."""
    n, p = _nb_params(expected, alpha)
    x = np.floor(np.maximum(observed, 0.0))
    return np.asarray(np.clip(special.betainc(n, x + 1.0, p), 0.0, 1.0), dtype=np.float64)


def poisson_lower_p(observed: FloatArray, expected: FloatArray) -> FloatArray:
    """P(X <= observed) for X ~ Poisson(expected): "fewer than the agents should have done"."""
    k = np.floor(np.maximum(observed, 0.0))
    return np.asarray(special.pdtr(k, np.maximum(expected, 0.0)), dtype=np.float64)


def _nb_params(expected: FloatArray, alpha: FloatArray) -> tuple[FloatArray, FloatArray]:
    mu = np.maximum(expected, _TINY)
    n = 1.0 / np.maximum(alpha, 1e-6)
    return n, n / (n + mu)


def binom_upper_p(successes: FloatArray, trials: FloatArray, rate: FloatArray) -> FloatArray:
    """P(K >= successes) for K ~ Binomial(trials, rate): "more negatives than usual"."""
    n = np.floor(np.maximum(trials, 0.0))
    k = np.minimum(np.floor(np.maximum(successes, 0.0)), n)
    r = np.clip(rate, _TINY, 1 - _TINY)
    tail = special.betainc(np.maximum(k, 1.0), np.maximum(n - k + 1.0, 1.0), r)
    return np.asarray(np.where(k < 1, 1.0, np.clip(tail, 0.0, 1.0)), dtype=np.float64)


def binom_lower_p(successes: FloatArray, trials: FloatArray, rate: FloatArray) -> FloatArray:
    """P(K <= successes) for K ~ Binomial(trials, rate): "fewer answered than promised"."""
    n = np.floor(np.maximum(trials, 0.0))
    k = np.minimum(np.floor(np.maximum(successes, 0.0)), n)
    r = np.clip(rate, _TINY, 1 - _TINY)
    tail = special.betainc(np.maximum(n - k, 1.0), k + 1.0, 1.0 - r)
    return np.asarray(np.where(k >= n, 1.0, np.clip(tail, 0.0, 1.0)), dtype=np.float64)


def benjamini_hochberg(p_values: FloatArray, q: float) -> BoolArray:
    """Which hypotheses BH rejects at false-discovery rate ``q`` (NaN never rejects)."""
    p = np.asarray(p_values, dtype=np.float64)
    valid = ~np.isnan(p)
    reject = np.zeros(p.shape, dtype=np.bool_)
    m = int(valid.sum())
    if m == 0:
        return reject
    idx = np.flatnonzero(valid)
    order = np.argsort(p[idx], kind="stable")
    ranked = p[idx][order]
    passed = ranked <= q * np.arange(1, m + 1) / m
    if passed.any():
        cutoff = ranked[np.flatnonzero(passed).max()]
        reject[idx] = p[idx] <= cutoff
    return reject


def score_of(p_values: FloatArray) -> FloatArray:
    """-log10 p, capped: the anomaly's ``score`` (bigger is stronger evidence)."""
    return np.asarray(np.minimum(-np.log10(np.maximum(p_values, 1e-300)), 300.0))
