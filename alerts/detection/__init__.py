"""The experience-obstacle detector, in one room.

* :mod:`~alerts.detection.detector`: :class:`Detector`, one closed bucket in,
  anomalies out;
* :mod:`~alerts.detection.model`: count baselines, what "normal" is per series;
* :mod:`~alerts.detection.significance`: tail probabilities, false-discovery control;
* :mod:`~alerts.detection.contacts`, :mod:`~alerts.detection.voices`: contact
  spikes and drops, sentiment storms;
* :mod:`~alerts.detection.queue`, :mod:`~alerts.detection.stall`: queue breaches
  and stalled queues;
* :mod:`~alerts.detection.incidents`: from signals to one anomaly per incident;
* :mod:`~alerts.detection.backtest`, :mod:`~alerts.detection.cli`: ``gmd backtest``.

Everything here is pure (no I/O but the CLI's file reading), so the worker, the
backtest and the tests drive the same code.
"""

from alerts.detection.detector import BucketObservation, Detector

__all__ = ["BucketObservation", "Detector"]
