"""Per-minute history kept between wall refreshes, so a refresh costs the same on
a quiet night and at the end of a Double-11 day.

The wall shows an hour of KPI sparklines and voices, and a whole day of contacts
per business line.  Re-reading 1,440 minute buckets every five seconds would make a
refresh grow with the window and the traffic.  A minute the worker has moved past
does not change, so each refresh re-reads only the last few minutes (late events
land there) and keeps the rest; a cold start, or a gap longer than that, reads the
whole window once.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import pandas as pd

RECENT_MINUTES = 3
"""Minutes re-read on every refresh (the current one and the two before it)."""


class RollingFrame:
    """One query's rows (with a ``time`` column), window-trimmed, refreshed at its end."""

    def __init__(self, window_minutes: int, reread_every_s: float | None = None) -> None:
        self.window = pd.Timedelta(minutes=window_minutes)
        self.frame: pd.DataFrame | None = None
        self.lock = threading.Lock()
        self.reread_every_s = reread_every_s
        """Read the whole window again this often: minutes written long after their time
        (the past day a fresh ``gmd run`` fills while it starts) show up too."""
        self.read_at = 0.0

    def update(
        self, read_recent: Callable[[int], pd.DataFrame], read_window: Callable[[], pd.DataFrame]
    ) -> pd.DataFrame:
        with self.lock:
            fresh = read_recent(RECENT_MINUTES)
            held = self.frame
            due = self.reread_every_s is not None and (
                time.monotonic() - self.read_at > self.reread_every_s
            )
            if held is None or held.empty or fresh.empty or due or not self._joins(held, fresh):
                frame = read_window()
                self.read_at = time.monotonic()
            else:
                cutoff = fresh["time"].min()
                frame = pd.concat([held[held["time"] < cutoff], fresh], ignore_index=True)
            if not frame.empty:
                frame = frame[frame["time"] > frame["time"].max() - self.window]
            self.frame = frame.reset_index(drop=True)
            return self.frame

    @staticmethod
    def _joins(held: pd.DataFrame, fresh: pd.DataFrame) -> bool:
        """The fresh rows start no later than one minute after the held ones end."""
        return bool(fresh["time"].min() <= held["time"].max() + pd.Timedelta(minutes=1))


class HistoryCache:
    """The wall's rolling histories, by query and view (shared by every session)."""

    def __init__(self) -> None:
        self.frames: dict[tuple[str, str], RollingFrame] = {}
        self.lock = threading.Lock()

    def frame(
        self, name: str, view: str | None, window_minutes: int, reread_every_s: float | None = None
    ) -> RollingFrame:
        with self.lock:
            key = (name, view or "*")
            if key not in self.frames:
                self.frames[key] = RollingFrame(window_minutes, reread_every_s)
            return self.frames[key]
