"""A stalled queue: the oldest customer is not taken although agents keep finishing.

When every agent of a group is busy and customers queue, each call that ends frees
an agent who takes the customer at the head of the queue.  Between two snapshots
the head's wait therefore grows by exactly the time between them *only if no call
ended*.  With ``B`` busy agents each finishing at ``mu`` calls per second, no call
ending for ``T`` seconds has probability ``exp(-mu * B * T)``: in a group of three
hundred agents ten seconds without a single pick-up is a one-in-a-billion event
— unless the agents are gone or cannot take calls, which is the incident.  So the
test is as fast as the group is large: big groups are flagged in the first bucket,
small ones when the evidence is there.  ``mu`` is learned per group from quiet
buckets (human pick-ups per busy agent-second), so no handle time is configured.
"""

from __future__ import annotations

import numpy as np

from alerts.detection_stats import FloatArray

PRIOR_RATE = 1.0 / 600
"""Calls finished per busy agent per second before a group has taught us its own
(a ten-minute handle time: slower than any real team, so a new group is judged
conservatively)."""
_SLACK_S = 1.0
"""Snapshot timing jitter tolerated when comparing the head's growth to the interval."""


def stall_p(
    head: FloatArray,
    ts: FloatArray,
    free: FloatArray,
    busy: FloatArray,
    waiting: FloatArray,
    rate: FloatArray,
) -> tuple[FloatArray, FloatArray]:
    """Per group (rows; columns = buckets, oldest first, NaN = no snapshot): the tail
    probability of the trailing stall and its length in seconds (0 when none).

    A stall is the trailing run of intervals in which the head's wait grew by the
    whole interval with no agent free and customers waiting at both ends.  If the
    queue was empty just before the run, the head has waited unserved since it
    arrived, so its whole wait counts.
    """
    with np.errstate(invalid="ignore"):
        dt = np.diff(ts, axis=1)
        grew = np.diff(head, axis=1)
        stalled = (
            (dt > 0)
            & (grew >= dt - _SLACK_S)
            & (free[:, 1:] == 0)
            & (waiting[:, 1:] > 0)
            & (waiting[:, :-1] > 0)
        )
    # Length of the trailing run of stalled intervals.
    run = np.cumprod(stalled[:, ::-1], axis=1).sum(axis=1).astype(np.intp)
    groups, cols = head.shape
    start = cols - 1 - run  # the snapshot where the run begins
    rows = np.arange(groups)
    now = head[:, -1]
    before = np.where(start > 0, waiting[rows, np.maximum(start - 1, 0)], np.nan)
    from_empty = (start > 0) & (before == 0)
    stall_s = np.where(from_empty, now, now - head[rows, start])
    stall_s = np.where(run > 0, np.nan_to_num(stall_s), 0.0)
    masked = np.where(np.arange(cols)[None, :] >= start[:, None], busy, np.inf)
    agents = np.where(run > 0, np.nan_to_num(masked.min(axis=1), posinf=0.0), 0.0)
    p = np.exp(-rate * agents * stall_s)
    return np.asarray(p), np.asarray(stall_s)
