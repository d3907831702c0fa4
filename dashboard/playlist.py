"""The wall's playlist: rotate between views (all lines, one business line) by clock.

``?playlist=all,tmall,taobao&every=30`` shows each view for 30 seconds.  The view
is chosen from the wall clock rather than a per-session counter, so every screen
in the room shows the same view at the same moment and a reload does not restart
the rotation.
"""

from __future__ import annotations

from dataclasses import dataclass

ALL_VIEW = "all"


class PlaylistError(ValueError):
    """The playlist parameters are malformed; the message says what is expected."""


@dataclass(frozen=True)
class Playlist:
    views: tuple[str | None, ...]
    """``None`` is all business lines; otherwise a business-line code."""
    every_s: float

    def view_at(self, now: float) -> str | None:
        return self.views[int(now // self.every_s) % len(self.views)]


def parse_playlist(
    playlist: str | None, every: str | None, line: str | None, default_every_s: float
) -> Playlist:
    """The playlist from URL parameters; a single ``line=`` (or nothing) is a one-view list."""
    if playlist:
        names = [part.strip() for part in playlist.split(",") if part.strip()]
        if not names:
            raise PlaylistError("playlist: expected comma-separated views such as all,tmall")
        views = tuple(None if n == ALL_VIEW else n for n in names)
    else:
        views = (None if not line or line == ALL_VIEW else line,)
    every_s = default_every_s
    if every:
        try:
            every_s = float(every)
        except ValueError:
            raise PlaylistError(f"every: expected seconds, got {every!r}") from None
        if every_s < 5:
            raise PlaylistError(f"every: expected at least 5 seconds, got {every!r}")
    return Playlist(views, every_s)
