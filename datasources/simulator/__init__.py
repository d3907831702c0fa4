"""Simulated Double-11 traffic for every feed, with labelled incidents.

``Simulator(seed, start, rate, incidents, duration_s).events()`` yields
``(feed, event)`` in time order; ``.labels`` is the ground truth.  ``gmd simulate``
(:mod:`datasources.simulator.runner`) writes it to Redis in real time, accelerated
or as fast as possible.
"""

from datasources.simulator.engine import Simulator
from datasources.simulator.incidents import Incident, read_labels, write_labels

__all__ = ["Incident", "Simulator", "read_labels", "write_labels"]
