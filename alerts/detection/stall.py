"""A stalled queue: customers wait, every agent is busy, and hardly anyone is taken.

When every agent of a group is busy and customers queue, each call that ends frees
an agent who takes the customer at the head of the queue.  With ``B`` busy agents
each finishing ``mu`` calls a second, ``T`` seconds of such a queue should see about
``mu * B * T`` pick-ups; seeing ``k`` of them has Poisson tail probability
``P(X <= k)``.  In a group of three hundred agents ten seconds with one pick-up is
a one-in-a-million event — unless the agents are gone or cannot take calls, which
is the incident.  So the test is as fast as the group is large: big groups are
flagged in their first bucket, small ones when the evidence is there.  ``mu`` is
learned per group from quiet buckets (human pick-ups per busy agent-second), so no
handle time is configured.  If the queue was empty just before, its head has waited
unserved since it arrived, and that wait counts too.
"""

from __future__ import annotations

import numpy as np

from alerts.detection.significance import FloatArray, poisson_lower_p

PRIOR_RATE = 1.0 / 600
"""Calls finished per busy agent per second before a group has taught us its own
(a ten-minute handle time: slower than any real team, so a new group is judged
conservatively)."""


_SLACK_S = 1.0
"""Snapshot timing jitter tolerated when comparing the head's growth to the interval."""
WINDOWS = (1, 2, 3, 6, 12)
"""Trailing intervals tested (Bonferroni over them): a long busy queue that stalls
now must not have its last ten seconds diluted by the hour it flowed before."""


def stall_p(
    head: FloatArray,
    ts: FloatArray,
    free: FloatArray,
    busy: FloatArray,
    waiting: FloatArray,
    picked: FloatArray,
    rate: FloatArray,
) -> tuple[FloatArray, FloatArray]:
    """Per group (rows; columns = buckets, oldest first, NaN = no snapshot; ``picked``
    = human pick-ups in each bucket, NaN = not known): the tail probability of the
    trailing stall and its length in seconds (0 when none).

    A stall is within the trailing run of intervals between snapshots with no agent
    free and customers waiting at both ends; the last 1, 2, 3, 6 and 12 intervals of
    it are each tested and the most telling one is kept.
    """
    with np.errstate(invalid="ignore"):
        dt = np.diff(ts, axis=1)
        starved = (
            (dt > 0)
            & ~np.isnan(picked[:, 1:])
            & (free[:, 1:] == 0)
            & (waiting[:, 1:] > 0)
            & (waiting[:, :-1] > 0)
        )
        # A head that waited the whole interval longer was not taken, whatever the
        # bucket's pick-up count says (those may predate the queue).
        untouched = np.diff(head, axis=1) >= dt - _SLACK_S
    taken_each = np.where(untouched, 0.0, np.nan_to_num(picked[:, 1:]))
    run = np.cumprod(starved[:, ::-1], axis=1).sum(axis=1).astype(np.intp)
    groups, cols = head.shape
    rows = np.arange(groups)
    # Sums over the last L intervals, newest first: column L-1 covers L intervals.
    spent = np.cumsum(np.nan_to_num(dt[:, ::-1]), axis=1)
    taken = np.cumsum(taken_each[:, ::-1], axis=1)
    fewest = np.minimum.accumulate(np.nan_to_num(busy[:, ::-1], nan=np.inf), axis=1)
    best_p, best_s = np.ones(groups), np.zeros(groups)
    tested = [w for w in WINDOWS if w < cols]
    for w in tested:
        ok = run >= w
        start = cols - 1 - w
        before = waiting[rows, max(start - 1, 0)]
        from_empty = ok & (run == w) & (start > 0) & (before == 0)
        length = spent[:, w - 1] + np.where(from_empty, np.nan_to_num(head[:, start]), 0.0)
        agents = np.where(np.isfinite(fewest[:, w]), fewest[:, w], 0.0)
        p = np.where(ok, poisson_lower_p(taken[:, w - 1], rate * agents * length), 1.0)
        better = p < best_p
        best_p = np.where(better, p, best_p)
        best_s = np.where(better, length, best_s)
    return np.minimum(1.0, best_p * max(1, len(tested))), best_s
