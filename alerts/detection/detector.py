"""The experience-obstacle detector: one closed 10 s bucket in, anomalies out.

Pure and I/O-free, so the worker, ``gmd backtest`` and the tests drive the very
same code.  Each :meth:`Detector.step` tests every series at once (numpy over
arrays, no loop per series):

* contact spikes and drops (:mod:`alerts.detection.contacts`), sentiment storms
  (:mod:`alerts.detection.voices`) — counts against robust, surge-proof share
  baselines with a negative-binomial test; each kind of test (spike, drop,
  storm) over all series is one Benjamini–Hochberg family per tick, so the
  number of series does not turn into a number of false alarms;
* queue KPI breaches against the service targets (:mod:`alerts.detection.queue`);
* incidents — open, update, end, cool down — in :mod:`alerts.detection.incidents`.

The detector's whole memory serialises with :meth:`Detector.to_state` so a
restarted worker resumes with warm baselines and its open incidents.
"""

from __future__ import annotations

import io
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from alerts.anomaly import Anomaly
from alerts.detection.contacts import (
    count_signals,
    explain_away,
    held_lines,
    is_line_series,
    lone_signals,
    open_lines,
    others_scale,
    rollup,
)
from alerts.detection.incidents import IncidentTracker, Signal
from alerts.detection.model import CountModel
from alerts.detection.queue import QueueModel
from alerts.detection.significance import benjamini_hochberg
from alerts.detection.voices import VoiceModel
from datasources.settings import DetectionSettings, Targets

STATE_VERSION = 4


@dataclass(frozen=True)
class BucketObservation:
    """Everything counted in one closed bucket (what the aggregates hold)."""

    bucket_start: int
    contacts: Mapping[tuple[str, str, str], float] = field(default_factory=dict)
    """``(business_line, reason, channel)`` → contacts."""
    service: Mapping[str, Mapping[str, float]] = field(default_factory=dict)
    """skill group → ``offered``, ``answered``, ``answered_in_sl``, ``wait_max`` …"""
    queue: Mapping[str, Mapping[str, float]] = field(default_factory=dict)
    """skill group → newest queue snapshot (``longest_wait_s``, ``waiting`` …)."""
    voices: Mapping[tuple[str, str], tuple[float, float]] = field(default_factory=dict)
    """``(business_line, source)`` → ``(total, negative)``."""

    @classmethod
    def from_snapshot(cls, snapshot: Any) -> BucketObservation:
        """From :class:`datasources.aggregates.BucketSnapshot` (or anything shaped like it)."""
        return cls(
            bucket_start=int(snapshot.bucket_start),
            contacts=dict(snapshot.contacts),
            service=dict(snapshot.service),
            queue=dict(snapshot.queue),
            voices=dict(snapshot.voices),
        )


class Detector:
    """Baselines and open incidents across buckets; step it once per closed bucket."""

    def __init__(self, cfg: DetectionSettings, targets: Targets) -> None:
        self.cfg = cfg
        self.targets = targets
        self.contacts = CountModel(cfg, normalise=True)
        self.lone = CountModel(cfg, normalise=False, sequential=True)
        """A business line with no other line to be a share of (a one-line deployment) is
        judged on its own learned baseline, by the model ``gmd backtest`` runs."""
        self.voices = VoiceModel(cfg)
        self.queue = QueueModel(cfg, targets)
        self.incidents = IncidentTracker(cfg)
        self.last_bucket: int | None = None

    def step(self, obs: BucketObservation) -> list[Anomaly]:
        """Detect on one closed bucket; buckets at or before the last one are ignored."""
        bucket = int(obs.bucket_start)
        if self.last_bucket is not None and bucket <= self.last_bucket:
            return []
        self.last_bucket = bucket
        open_series = set(self.incidents.open)
        ids, counts, total = rollup(obs.contacts)
        c_res = None
        if total > 0:
            troubled = open_lines(open_series, "contacts")
            scale = others_scale(self.contacts, ids, counts, total, troubled)
            held = held_lines(self.contacts.ids, troubled)
            c_res = self.contacts.step(bucket, ids, counts, scale=scale, held=held)
        lone = self._lone_line()
        v_total = sum(float(t) for t, _ in obs.voices.values())
        v_res = self.voices.test(bucket, obs.voices, open_series) if v_total > 0 else None
        family = {"up": c_res.p_up, "down": c_res.p_down} if c_res is not None else {}
        if v_res is not None:
            family["storm"] = v_res.p_up
        reject = self._benjamini_hochberg(family)
        signals: list[Signal] = []
        if c_res is not None:
            found = count_signals(
                self.contacts, c_res, reject["up"], reject["down"], open_series,
                metric="contacts_per_min",
            )  # fmt: skip
            signals += explain_away(
                [s for s in found if s.series != lone],
                self.cfg.child_explains, open_series, self.contacts.excess,
            )  # fmt: skip
        if lone is not None:
            count = float(counts[ids.index(lone)]) if lone in ids else 0.0  # none came: 0
            signals += self._judge_alone(bucket, lone, count, open_series)
        if v_res is not None:
            signals += self.voices.signals(v_res, reject["storm"], open_series)
        open_groups = {
            fp.split("#")[0].split(":", 1)[1] for fp in open_series if fp.startswith("queue:")
        }
        signals += self.queue.step(bucket, obs.service, obs.queue, open_groups)
        return self.incidents.step(bucket, signals)

    def _lone_line(self) -> str | None:
        """The business line's series when one and only one line has ever been seen (its
        share of itself says nothing); ``None`` otherwise."""
        lines = [s for s in self.contacts.ids if is_line_series(s)]
        return lines[0] if len(lines) == 1 else None

    def _judge_alone(
        self, bucket: int, series: str, count: float, open_series: set[str]
    ) -> list[Signal]:
        """A lone line against its own baseline, exactly as ``gmd backtest`` judges a series."""
        res = self.lone.step(bucket, [series], np.array([count]))
        return lone_signals(self.lone, res, open_series, metric="contacts_per_min")

    def _benjamini_hochberg(self, family: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        """Benjamini–Hochberg per kind of test (spikes, drops, storms) and, for contacts,
        per level: whether a business line moves and whether one of its reasons does are
        different questions, so a hundred reason series must not drown the seven lines
        (nor the contact series the handful of voice series)."""
        out: dict[str, np.ndarray] = {}
        lines = self._line_mask
        for name, p in family.items():
            if name == "storm":
                out[name] = benjamini_hochberg(p, self.cfg.fdr_q)
                continue
            reject = np.zeros(len(p), dtype=bool)
            for level in (lines, ~lines):
                reject[level] = benjamini_hochberg(p[level], self.cfg.fdr_q)
            out[name] = reject
        return out

    @property
    def _line_mask(self) -> np.ndarray:
        ids = self.contacts.ids
        return np.fromiter((is_line_series(s) for s in ids), dtype=bool, count=len(ids))

    # -- persistence -------------------------------------------------------------
    def to_state(self) -> bytes:
        """Everything the detector remembers, as one compressed ``.npz`` blob."""
        arrays: dict[str, np.ndarray] = {}
        for prefix, model in self._count_models().items():
            for name, arr in model.arrays().items():
                arrays[f"{prefix}.{name}"] = arr
        for name, arr in self.queue.arrays().items():
            arrays[f"queue.{name}"] = arr
        arrays["share.num"], arrays["share.den"] = self.voices.share_num, self.voices.share_den
        meta = {
            "version": STATE_VERSION,
            "last_bucket": self.last_bucket,
            "ids": {p: m.ids for p, m in self._count_models().items()},
            "groups": self.queue.groups,
            "incidents": self.incidents.to_json(),
        }
        arrays["meta"] = np.frombuffer(json.dumps(meta).encode(), dtype=np.uint8)
        buffer = io.BytesIO()
        np.savez_compressed(buffer, **arrays)  # type: ignore[arg-type]
        return buffer.getvalue()

    @classmethod
    def from_state(cls, blob: bytes, cfg: DetectionSettings, targets: Targets) -> Detector:
        """Rebuild a detector from :meth:`to_state`; raises ``ValueError`` if unreadable."""
        detector = cls(cfg, targets)
        try:
            with np.load(io.BytesIO(blob), allow_pickle=False) as data:
                arrays = {k: data[k] for k in data.files}
            meta = json.loads(arrays.pop("meta").tobytes().decode())
            if meta.get("version") != STATE_VERSION:
                raise ValueError(f"version {meta.get('version')} is not {STATE_VERSION}")

            def part(prefix: str) -> dict[str, np.ndarray]:
                return {k.split(".", 1)[1]: v for k, v in arrays.items() if k.startswith(prefix)}

            for prefix, model in detector._count_models().items():
                model.restore(meta["ids"][prefix], part(prefix + "."))
            detector.queue.restore(meta["groups"], part("queue."))
            detector.voices.share_num = arrays["share.num"]
            detector.voices.share_den = arrays["share.den"]
            detector.incidents.restore(meta["incidents"])
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise ValueError(f"unreadable detector state: {exc}") from exc
        detector.last_bucket = meta["last_bucket"]
        return detector

    def _count_models(self) -> dict[str, CountModel]:
        return {
            "contacts": self.contacts, "lone": self.lone,
            "neg": self.voices.negative, "tot": self.voices.total,
        }  # fmt: skip
