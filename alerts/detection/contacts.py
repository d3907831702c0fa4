"""Contact spikes and drops per business line and per business line × reason.

Counts are rolled up to ``contacts:{bl}:{reason}:*`` and ``contacts:{bl}:*:*``
and tested as shares of the bucket's total (see :mod:`alerts.detection.model`).
One incident is usually visible at both levels: a refund spike on Tmall also
lifts Tmall's total.  To publish it once, a parent whose excess is mostly
(``child_explains``) carried by one of its reasons is demoted to "elevated"
(the reason is the news), and reasons that explain little of a moving parent
are demoted instead (the whole line is the news).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Collection, Mapping

import numpy as np

from alerts.anomaly import AnomalyKind, Severity
from alerts.detection.incidents import Level, Signal
from alerts.detection.model import CountModel, CountResult
from alerts.detection.significance import BoolArray, FloatArray, benjamini_hochberg, score_of
from datasources.series import ALL, contact_series, parse_series

_ELEVATED_Z = 2.0
_IMPUTE_MIN = 5.0
"""Expected contacts a bucket below which a line's count is trusted as it is."""
_IMPUTE_MAX_SHARE = 0.8
"""Above this share of the volume imputed, the rest cannot carry the reference."""


def rollup(
    contacts: Mapping[tuple[str, str, str], float],
) -> tuple[list[str], FloatArray, float]:
    """Counts per reason-level and line-level series id, plus the bucket's total."""
    sums: dict[str, float] = {}
    total = 0.0
    for (line, reason, _channel), n in contacts.items():
        for series in _parents(line, reason):
            sums[series] = sums.get(series, 0.0) + n
        total += n
    return list(sums), np.fromiter(sums.values(), dtype=np.float64, count=len(sums)), total


def others_scale(
    model: CountModel,
    ids: list[str],
    values: FloatArray,
    total: float,
    troubled: Collection[str] = (),
) -> FloatArray:
    """Each series' reference: the bucket's total minus its own business line's count.

    Judging a line (and its reasons) against the *other* lines keeps an incident
    from dragging its own expectation along: a line dropping to a fifth also cuts
    the grand total, which would otherwise make the drop look smaller.  For the same
    reason a line that is ``troubled`` (an open incident) or far from its usual share
    this bucket counts at its expected volume in everyone else's reference: Taobao
    down to 5 % must not make Tmall's ordinary evening look like a spike.  (Counting
    an ordinary line at its expectation only takes noise out of the reference.)
    """
    line_totals = {_line_of(s): v for s, v in zip(ids, values, strict=True) if _is_line(s)}
    known = model.register(ids)
    line_totals = _impute(model, line_totals, total, troubled)
    total = sum(line_totals.values())
    own = np.fromiter((line_totals.get(_line_of(s), 0.0) for s in known), np.float64, len(known))
    others = total - own
    return np.where(others > 0, others, total)


def _impute(
    model: CountModel, observed: dict[str, float], total: float, troubled: Collection[str]
) -> dict[str, float]:
    """Line totals with the unreliable lines replaced by their expected share of a total
    estimated from the reliable ones (``T = O / (1 - Σ shares)``).

    A line is unreliable when it has an open incident or its count is off by more than
    2× from its share of the median total the lines imply (``count / share``): the
    median, because a big line that collapses drags the plain total with it.
    """
    shares: dict[str, float] = {}
    for line in set(observed) | set(troubled):
        i = model.position_of(contact_series(line))
        if i is not None and model.seen[i] >= model.cfg.warmup_buckets:
            shares[line] = float(model.level[i]) / (1.0 + float(model.level[i]))
    implied = [observed.get(line, 0.0) / a for line, a in shares.items() if a > 0]
    if len(implied) < 3:
        return observed
    typical = float(np.median(implied))
    off = {
        line
        for line, a in shares.items()
        if line in troubled
        or (a * typical >= _IMPUTE_MIN and not 0.5 <= observed.get(line, 0.0) / (a * typical) <= 2)
    }
    reliable = sum(v for line, v in observed.items() if line not in off)
    imputed_share = sum(shares[line] for line in off)
    if not off or imputed_share > _IMPUTE_MAX_SHARE or reliable <= 0:
        return observed
    estimate = reliable / (1.0 - imputed_share)
    return {**observed, **{line: shares[line] * estimate for line in off}}


def open_lines(open_series: Collection[str], family: str) -> set[str]:
    """Business lines with an open incident on a series of ``family`` (``contacts`` …)."""
    return {_line_of(fp.split("#", 1)[0]) for fp in open_series if fp.startswith(f"{family}:")}


def held_lines(ids: list[str], lines: Collection[str]) -> BoolArray:
    """Series (aligned with ``ids``) on one of ``lines``: their baselines must not learn
    an open incident as the new normal."""
    return np.fromiter((_line_of(s) in lines for s in ids), dtype=bool, count=len(ids))


@functools.lru_cache(maxsize=65536)
def _line_of(series: str) -> str:
    return series.split(":", 2)[1]


def is_line_series(series: str) -> bool:
    """A whole business line's series (not one of its reasons)."""
    return _is_line(series)


@functools.lru_cache(maxsize=65536)
def _is_line(series: str) -> bool:
    return series.endswith(f":{ALL}:{ALL}") or (series.count(":") == 2 and series.endswith(ALL))


@functools.lru_cache(maxsize=65536)
def _parents(line: str, reason: str) -> tuple[str, str]:
    return contact_series(line, reason), contact_series(line)


def severity_of(ratio: float, spike: bool) -> Severity:
    if spike:
        return Severity.CRITICAL if ratio >= 3 else Severity.MAJOR if ratio >= 2 else Severity.MINOR
    return Severity.CRITICAL if ratio <= 0.2 else Severity.MAJOR if ratio <= 0.4 else Severity.MINOR


def count_signals(
    model: CountModel,
    result: CountResult,
    reject_up: BoolArray,
    reject_down: BoolArray,
    open_series: set[str],
    *,
    metric: str,
    spike_kind: AnomalyKind = AnomalyKind.SPIKE,
    drop_kind: AnomalyKind | None = AnomalyKind.DROP,
) -> list[Signal]:
    """Signals for series that fire, are elevated, or carry an open incident."""
    cfg = model.cfg
    z, ratio_long = result.z_long, result.obs_long / np.maximum(result.exp_long, 1e-9)
    if result.elevated is not None:
        elev_up, elev_down = result.elevated
    else:
        elev_up = (z >= _ELEVATED_Z) & (ratio_long >= 1 + (cfg.min_spike_ratio - 1) / 2)
        elev_down = (z <= -_ELEVATED_Z) & (ratio_long <= (1 + cfg.max_drop_ratio) / 2)
    kinds: list[tuple[AnomalyKind, BoolArray, BoolArray, bool]] = [
        (spike_kind, reject_up, elev_up, True)
    ]
    if drop_kind is not None:
        kinds.append((drop_kind, reject_down, elev_down, False))
    out = []
    for kind, fire, elev, spike in kinds:
        opened = np.array([f"{s}#{kind.value}" in open_series for s in result.ids], dtype=bool)
        for i in np.flatnonzero(fire | elev | opened):
            level = Level.FIRING if fire[i] else Level.ELEVATED if elev[i] else Level.CALM
            out.append(_signal(model, result, int(i), kind, level, spike, metric))
    return out


def lone_signals(
    model: CountModel, result: CountResult, open_series: set[str], *, metric: str
) -> list[Signal]:
    """Signals of a lone-series (sequential) model's tick: the one judgement ``gmd
    backtest`` and the live one-line fallback share, so both open the same anomalies."""
    n = len(result.ids)
    reject = benjamini_hochberg(np.concatenate([result.p_up, result.p_down]), model.cfg.fdr_q)
    return count_signals(model, result, reject[:n], reject[n:], open_series, metric=metric)


def _signal(
    model: CountModel,
    r: CountResult,
    i: int,
    kind: AnomalyKind,
    level: Level,
    spike: bool,
    metric: str,
) -> Signal:
    bucket_s = model.cfg.bucket_s
    obs, exp = (r.obs_up, r.exp_up) if spike else (r.obs_down, r.exp_down)
    win = int((r.win_up if spike else r.win_down)[i])
    per_min = 60.0 / (win * bucket_s)
    observed, expected = float(obs[i]) * per_min, float(exp[i]) * per_min
    ratio = observed / expected if expected > 0 else float("inf")
    p = (r.p_up if spike else r.p_down)[i]
    if level is not Level.FIRING:
        back = 0.0
    elif r.onset_back is not None:
        back = float(r.onset_back[0 if spike else 1][i])
        back *= bucket_s
    else:
        back = model.onset_offset(i, win, spike) * bucket_s
    cfg = model.cfg
    decisive = (
        level is Level.FIRING
        and p <= cfg.decisive_p
        and (ratio >= cfg.decisive_ratio if spike else ratio <= 1.0 / cfg.decisive_ratio)
    )
    dims = _dims(r.ids[i])
    return Signal(
        series=r.ids[i],
        kind=kind,
        level=level,
        observed=round(observed, 2),
        expected=round(expected, 2),
        score=float(score_of(np.array([p]))[0]),
        severity=severity_of(ratio, spike),
        metric=metric,
        onset_back_s=float(back),
        decisive=bool(decisive),
        dims=dims,
        trend=[round(v * 60.0 / bucket_s, 2) for v in model.trend(i)],
        detail={"window_s": win * bucket_s, "ratio": round(ratio, 3), "p_value": float(p)},
    )


def _dims(series: str) -> dict[str, str]:
    """The anomaly's dimension fields; a backtest key is not a series id and has none."""
    try:
        return {k: v for k, v in parse_series(series).items() if k != "family"}
    except ValueError:
        return {}


def explain_away(
    signals: list[Signal],
    share: float,
    open_series: Collection[str],
    excess: Callable[[str, float], float],
) -> list[Signal]:
    """Publish one incident once: demote the level (line or reason) that explains less.

    ``excess(series, window_s)`` is a series' extra (or missing) contacts over the last
    ``window_s``; a reason and its line are compared over the longer of their two
    windows, so a reason whose spike is best seen over half a minute is not judged
    per minute against a line judged on ten seconds.  While a whole line's incident
    is open, its reasons moving the same way are that incident, not new ones.
    """
    active = {(s.series, s.kind): s for s in signals if s.level is not Level.CALM}

    def explains(child: Signal, parent: Signal) -> bool:
        window = max(child.detail["window_s"], parent.detail["window_s"])
        return excess(child.series, window) >= share * excess(parent.series, window)

    for sig in signals:
        dims = parse_series(sig.series)
        if sig.level is not Level.FIRING or dims["family"] != "contacts":
            continue
        line = dims.get("business_line")
        if line is None:
            continue
        if "reason" in dims:
            if f"{contact_series(line)}#{sig.kind.value}" in open_series:
                sig.level = Level.ELEVATED
                continue
            parent = active.get((contact_series(line), sig.kind))
            if parent is not None and not explains(sig, parent):
                sig.level = Level.ELEVATED
        else:
            children = [
                s
                for (series, kind), s in active.items()
                if kind == sig.kind and series.startswith(f"contacts:{line}:")
                and series != contact_series(line) and series.endswith(f":{ALL}")
            ]  # fmt: skip
            if any(explains(c, sig) for c in children):
                sig.level = Level.ELEVATED
    return signals
