"""Scoring a backtest against labelled anomalies, event by event (``--labels``).

The rule is the one the tuning data's README states (NAB's windows, scored on the
time the detector *knew*, i.e. the ``detected`` column, never the back-dated onset):

* a labelled window is *caught* when an anomaly is detected inside it (ends included);
* an anomaly detected outside every window is a *false alarm*; false alarms detected
  within one hour of the first false alarm of a run count once;
* anomalies detected in the first 15 % of a series' rows (the learning period) are not
  scored, and a window that ends inside the learning period is not counted either (no
  detector could catch it);
* precision = caught / (caught + false alarms), recall = caught / windows, over every
  series together; false alarms per series per day over the scored part of each series;
* time to detect = the first detection in a caught window minus the window's labelled
  time (its start when only a window is given), zero when flagged before that time.

Labels come as times or windows, in JSON (``{"name": {"labels": [...], "windows":
[[start, end], ...]}}`` as in the tuning data, or ``{"name": [time, ...]}``) or CSV
(``start,end`` or ``time`` columns, optionally ``key``).  Times alone get NAB's windows:
a tenth of the series' span divided by its number of labels, centred on each label.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

LEARNING_SHARE = 0.15
FALSE_ALARM_RUN_S = 3600.0
WINDOW_SHARE = 0.1
DAY_S = 86400.0


class LabelError(ValueError):
    """The labels file cannot be read; the message is one line for the user."""


@dataclass(frozen=True)
class LabelSet:
    """One series' labelled anomalies: exact times and/or windows (epoch seconds)."""

    times: tuple[float, ...] = ()
    windows: tuple[tuple[float, float], ...] = ()


@dataclass(frozen=True)
class Span:
    """The part of a series that is scored: from the end of its learning period to its end."""

    scored_from: float
    end: float
    span_s: float


@dataclass
class Score:
    caught: int = 0
    windows: int = 0
    false_alarms: int = 0
    series_days: float = 0.0
    ttd_s: list[float] = field(default_factory=list)
    missed: list[tuple[str, float, float]] = field(default_factory=list)
    false: list[tuple[str, float]] = field(default_factory=list)

    @property
    def precision(self) -> float:
        found = self.caught + self.false_alarms
        return self.caught / found if found else 1.0

    @property
    def recall(self) -> float:
        return self.caught / self.windows if self.windows else 1.0

    @property
    def fa_per_series_day(self) -> float:
        return self.false_alarms / self.series_days if self.series_days else 0.0

    @property
    def ttd_median_min(self) -> float | None:
        return float(np.median(self.ttd_s)) / 60.0 if self.ttd_s else None

    def add(self, other: Score) -> Score:
        return Score(
            self.caught + other.caught, self.windows + other.windows,
            self.false_alarms + other.false_alarms, self.series_days + other.series_days,
            self.ttd_s + other.ttd_s, self.missed + other.missed, self.false + other.false,
        )  # fmt: skip

    def summary(self) -> dict[str, float | None]:
        ttd = self.ttd_median_min
        return {
            "precision": round(self.precision, 4),
            "recall": round(self.recall, 4),
            "fa_per_series_day": round(self.fa_per_series_day, 4),
            "ttd_median_min": None if ttd is None else round(ttd, 1),
        }


def span_of(times: np.ndarray, interval_s: int) -> Span:
    """The scored span of one series from its measured times (sorted epoch seconds)."""
    first_scored = times[int(np.floor(LEARNING_SHARE * len(times)))]
    end = float(times[-1] + interval_s)
    return Span(float(first_scored), end, end - float(times[0]))


def score_series(key: str, detected: Sequence[float], labels: LabelSet, span: Span) -> Score:
    """Score one series' detection times against its labels."""
    windows = list(labels.windows) or _windows_from(labels.times, span.span_s)
    windows = [(s, e) for s, e in windows if e >= span.scored_from]
    flags = sorted(t for t in detected if t >= span.scored_from)
    out = Score(windows=len(windows), series_days=max(span.end - span.scored_from, 0.0) / DAY_S)
    inside = np.zeros(len(flags), dtype=bool)
    for start, end in windows:
        hits = [i for i, t in enumerate(flags) if start <= t <= end]
        inside[hits] = True
        if not hits:
            out.missed.append((key, start, end))
            continue
        out.caught += 1
        within = [t for t in labels.times if start <= t <= end]
        reference = min(within) if within else start
        out.ttd_s.append(max(0.0, flags[hits[0]] - reference))
    run_start: float | None = None
    for t, hit in zip(flags, inside, strict=True):
        if hit or (run_start is not None and t - run_start <= FALSE_ALARM_RUN_S):
            continue
        run_start = t
        out.false_alarms += 1
        out.false.append((key, t))
    return out


def _windows_from(times: Sequence[float], span_s: float) -> list[tuple[float, float]]:
    if not times:
        return []
    half = WINDOW_SHARE * span_s / len(times) / 2.0
    return [(t - half, t + half) for t in sorted(times)]


def score_all(
    detected: Mapping[str, Sequence[float]],
    labels: Mapping[str, LabelSet],
    spans: Mapping[str, Span],
) -> Score:
    """Every series together; a series without labels still counts its false alarms."""
    total = Score()
    for key, span in spans.items():
        total = total.add(
            score_series(key, detected.get(key, ()), labels.get(key, LabelSet()), span)
        )
    return total


# -- reading labels ------------------------------------------------------------------
def read_labels(path: Path) -> dict[str, LabelSet]:
    """Labels by series name (the JSON's names or the CSV's ``key``; ``""`` for none)."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise LabelError(f"cannot read labels {path}: {exc}") from exc
    if path.suffix.lower() == ".json":
        return _from_json(text, path)
    return _from_csv(path)


def _from_json(text: str, path: Path) -> dict[str, LabelSet]:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise LabelError(f"labels {path} is not JSON: {exc}") from exc
    if isinstance(data, list):
        data = {"": data}
    if not isinstance(data, dict):
        raise LabelError(f"labels {path}: expected an object of series names")
    out = {}
    for name, entry in data.items():
        if isinstance(entry, dict):
            times, windows = entry.get("labels", []), entry.get("windows", [])
        elif all(isinstance(x, list) for x in entry):
            times, windows = [], entry
        else:
            times, windows = entry, []
        out[str(name)] = LabelSet(
            tuple(_seconds(t) for t in times),
            tuple((_seconds(s), _seconds(e)) for s, e in windows),
        )
    return out


def _from_csv(path: Path) -> dict[str, LabelSet]:
    try:
        frame = pd.read_csv(path)
    except (pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise LabelError(f"cannot read labels {path} as CSV: {str(exc).splitlines()[0]}") from exc
    has_windows = {"start", "end"} <= set(frame.columns)
    if not has_windows and "time" not in frame.columns:
        raise LabelError(f"labels {path}: need columns start,end or time (optionally key)")
    keys = frame["key"].astype(str) if "key" in frame.columns else pd.Series("", frame.index)
    out = {}
    for key, rows in frame.groupby(keys):
        if has_windows:
            pairs = zip(rows["start"], rows["end"], strict=True)
            out[str(key)] = LabelSet(windows=tuple((_seconds(s), _seconds(e)) for s, e in pairs))
        else:
            out[str(key)] = LabelSet(times=tuple(_seconds(t) for t in rows["time"]))
    return out


def _seconds(value: object) -> float:
    try:
        if isinstance(value, int | float):
            return float(value) / (1000.0 if abs(value) > 1e11 else 1.0)
        stamp = pd.Timestamp(str(value))
    except (ValueError, TypeError) as exc:
        raise LabelError(f"labels: cannot parse {value!r} as a time") from exc
    if stamp.tzinfo is None:
        stamp = stamp.tz_localize("UTC")
    return float(stamp.timestamp())


def match_labels(
    labels: Mapping[str, LabelSet], keys: Sequence[str], source_name: str
) -> dict[str, LabelSet]:
    """Labels for each series: by key; a lone series also by the CSV's file name, or the
    labels file's only entry."""
    if keys == [""]:
        for name in (source_name, Path(source_name).stem, ""):
            if name in labels:
                return {"": labels[name]}
        if len(labels) == 1:
            return {"": next(iter(labels.values()))}
        raise LabelError(f"labels: no entry for {source_name} (have: {', '.join(labels)})")
    return {k: labels[k] for k in keys if k in labels}
