"""Pure parts of the screens: tile colours, inert customer text, playlist, roles, users file."""

from __future__ import annotations

import base64
import re
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from dashboard.history import RollingFrame
from dashboard.i18n import duration, translate
from dashboard.kpis import Status, evaluate, kpi_specs
from dashboard.markup import obstacle_card_html, plain, sparkline_svg
from dashboard.playlist import PlaylistError, parse_playlist
from dashboard.services import _WallCache
from dashboard.svgcharts import Line, line_chart, nice_max, stacked_bars
from dashboard.users import (
    PermissionDenied,
    Role,
    User,
    UsersFileError,
    add_user,
    load_users,
    require,
    verify,
)
from dashboard.wall_charts import time_ticks
from datasources.settings import Targets

SPECS = {s.key: s for s in kpi_specs(Targets())}


@pytest.mark.parametrize(
    ("key", "value", "text", "status"),
    [
        ("pickup_rate", 0.9995, "99.95%", Status.GOOD),
        ("pickup_rate", 0.999, "99.90%", Status.GOOD),
        ("pickup_rate", 0.997, "99.70%", Status.WARN),
        ("pickup_rate", 0.95, "95.0%", Status.BAD),
        ("service_level", 0.85, "85.0%", Status.GOOD),
        ("service_level", 0.75, "75.0%", Status.WARN),
        ("service_level", 0.5, "50.0%", Status.BAD),
        ("longest_wait_s", 30, "30s", Status.GOOD),
        ("longest_wait_s", 100, "100s", Status.WARN),
        ("longest_wait_s", 200, "3m20s", Status.BAD),
        ("contacts_per_min", 12345.0, "12,345", Status.PLAIN),
        ("contacts_per_min", 3.25, "3.2", Status.PLAIN),
        ("robot_share", 0.62, "62.0%", Status.PLAIN),
        ("agents_on_duty", None, "—", Status.MISSING),
        ("waiting_now", float("nan"), "—", Status.MISSING),
    ],
)
def test_kpi_text_and_colour(key: str, value: float | None, text: str, status: Status) -> None:
    assert evaluate(SPECS[key], {key: value}) == (text, status)


def test_kpi_tiles_are_the_eight_the_wall_promises() -> None:
    assert list(SPECS) == [
        "contacts_per_min", "pickup_rate", "service_level", "waiting_now",
        "longest_wait_s", "robot_share", "agents_on_duty", "cloud_agents_on_duty",
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("raw", "forbidden"),
    [
        ("<script>alert(1)</script>", "<script"),
        ("**bold** and _it_", "*"),
        ("[link](http://evil)", "]("),
        ("$x^2$ costs", "$"),
        (":red[alarm] :smile:", ":red["),
        ('"><img src=x onerror=alert(1)>', "<img"),
        ("`code` # heading", "`"),
    ],
)
def test_plain_leaves_nothing_to_interpret(raw: str, forbidden: str) -> None:
    out = plain(raw)
    assert forbidden not in out
    assert not re.search(r"[<>*_\[\]$:`#\"&;]", re.sub(r"&#\d+;", "", out))


def test_plain_keeps_chinese_and_shortens() -> None:
    assert plain("快递三天没动 138") == "快递三天没动 138"
    assert plain("line one\nline two") == "line one line two"
    assert plain("abcdefghij", max_chars=5) == "abcd&#8230;"


def test_card_escapes_verbatims() -> None:
    html = obstacle_card_html(
        severity="critical", severity_label="紧急", title="天猫 · 退款", impact_text="+40",
        detail_text="3.0×", since_text="since 14:02", ack_text="—", acknowledged=False,
        trend=[1, 2, 3], verbatims=["<script>x</script> **b**"], alert_id="7",
    )  # fmt: skip
    assert "<script>" not in html and "**" not in html
    assert 'data-acknowledged="false"' in html


def _svg(img: str) -> str:
    encoded = re.search(r"base64,([A-Za-z0-9+/=]+)", img)
    assert encoded is not None
    return base64.b64decode(encoded.group(1)).decode()


def test_sparkline_scales_and_skips_gaps() -> None:
    svg = _svg(sparkline_svg([1.0, None, 3.0], "#fff", width=100, height=20))
    assert 'points="0.0,18.0 100.0,2.0"' in svg
    assert "polyline" not in _svg(sparkline_svg([5.0], "#fff"))


@pytest.mark.parametrize(
    ("playlist", "every", "line", "views", "every_s"),
    [
        (None, None, None, (None,), 30.0),
        (None, None, "tmall", ("tmall",), 30.0),
        ("all,tmall,taobao", "10", None, (None, "tmall", "taobao"), 10.0),
        ("tmall", None, None, ("tmall",), 30.0),
    ],
)
def test_playlist_parsing(
    playlist: str | None, every: str | None, line: str | None, views: tuple[str | None, ...],
    every_s: float,
) -> None:  # fmt: skip
    parsed = parse_playlist(playlist, every, line, 30.0)
    assert parsed.views == views and parsed.every_s == every_s


@pytest.mark.parametrize(("playlist", "every"), [(",,", None), ("all", "soon"), ("all", "1")])
def test_playlist_errors(playlist: str, every: str | None) -> None:
    with pytest.raises(PlaylistError):
        parse_playlist(playlist, every, None, 30.0)


def test_playlist_rotates_by_clock() -> None:
    playlist = parse_playlist("all,tmall", "30", None, 30.0)
    assert [playlist.view_at(t) for t in (0, 29, 30, 61)] == [None, None, "tmall", None]


@pytest.mark.parametrize(
    ("role", "needed", "allowed"),
    [
        (Role.VIEWER, Role.VIEWER, True),
        (Role.VIEWER, Role.LEAD, False),
        (Role.LEAD, Role.LEAD, True),
        (Role.LEAD, Role.ADMIN, False),
        (Role.ADMIN, Role.LEAD, True),
    ],
)
def test_role_order(role: Role, needed: Role, allowed: bool) -> None:
    assert role.allows(needed) is allowed
    user = User("x", role)
    if allowed:
        assert require(user, needed, "acknowledge") is user
    else:
        with pytest.raises(PermissionDenied, match="acknowledge"):
            require(user, needed, "acknowledge")


def test_users_file_round_trip(tmp_path: Path) -> None:
    path = tmp_path / "users.yaml"
    add_user(path, "alice", Role.LEAD, "s3cret")
    add_user(path, "bob@example.com", Role.ADMIN, None)
    entries = load_users(path)
    assert verify(entries, "alice", "s3cret") == User("alice", Role.LEAD, "local")
    assert verify(entries, "alice", "wrong") is None
    assert verify(entries, "bob@example.com", "") is None
    assert "s3cret" not in path.read_text()
    assert path.stat().st_mode & 0o077 == 0


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("users: [a, b]", "expected a mapping"),
        ("users:\n  a: {role: boss}", "expected viewer, lead or admin"),
        ("users: {a: [", "not valid YAML"),
    ],
)
def test_users_file_errors(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "users.yaml"
    path.write_text(text)
    with pytest.raises(UsersFileError, match=re.escape(message)):
        load_users(path)


@pytest.mark.parametrize(
    ("seconds", "zh", "en"),
    [(5, "5秒", "5s"), (125, "2分钟", "2 min"), (7500, "2小时5分", "2 h 5 min")],
)
def test_durations(seconds: float, zh: str, en: str) -> None:
    assert (duration(seconds, "zh"), duration(seconds, "en")) == (zh, en)
    assert translate("banner.stale", "en", feed="Queue", time="14:02:11") == (
        "Queue feed stale since 14:02:11"
    )


def _minutes(start: int, count: int, value: float) -> pd.DataFrame:
    times = pd.to_datetime([(start + i) * 60 for i in range(count)], unit="s", utc=True)
    return pd.DataFrame({"time": times, "v": [value] * count})


def test_rolling_history_rereads_only_recent_minutes_and_trims_the_window() -> None:
    frame = RollingFrame(window_minutes=10)
    reads: list[str] = []

    def recent(end: int) -> Callable[[int], pd.DataFrame]:
        def read(m: int) -> pd.DataFrame:
            reads.append(f"recent{m}")
            return _minutes(end - m + 1, m, float(end))

        return read

    def window(end: int) -> Callable[[], pd.DataFrame]:
        def read() -> pd.DataFrame:
            reads.append("window")
            return _minutes(end - 9, 10, 0.0)

        return read

    first = frame.update(recent(100), window(100))
    assert reads == ["recent3", "window"] and len(first) == 10
    second = frame.update(recent(101), window(101))
    assert reads[-1] == "recent3" and len(second) == 10
    assert second["v"].tolist() == [0.0] * 7 + [101.0] * 3
    frame.update(recent(120), window(120))  # a gap longer than the recent minutes
    assert reads[-1] == "window"


@pytest.mark.parametrize(
    ("value", "top"), [(0, 1.0), (0.7, 1.0), (3, 5.0), (12, 20.0), (230, 250.0), (999, 1000.0)]
)
def test_axis_tops_are_round(value: float, top: float) -> None:
    assert nice_max(value) == top


def test_svg_chart_draws_lines_markers_and_inert_labels() -> None:
    """Geometry in the SVG; labels and onset markers as HTML over it (page fonts,
    sizes a room can read), every label inert."""
    html = line_chart(
        [Line("<b>x</b>", "#fff", [1.0, 2.0, None, 3.0, 4.0], fill=True)],
        [(0, "<b>08:00</b>")], markers=[(2.0, "#f00")],
    )  # fmt: skip
    svg = _svg(html)
    assert svg.count("<polyline") == 2 and svg.count("<polygon") == 2  # a gap stays a gap
    assert "<text" not in svg and "08" not in svg
    assert 'class="gmd-xlabel" style="left:0.00%;top:100.00%">&#60;b&#62;08&#58;00' in html
    assert 'class="gmd-marker" style="left:50.00%;top:0.00%;color:#f00"' in html
    bars = stacked_bars([("<i>微博</i>", 3.0, 1.0)])
    assert "微博" in bars and "<i>微博" not in bars and "width:75.0%" in bars


def test_time_ticks_fall_on_round_local_times() -> None:
    start = 1_794_326_400  # 2026-11-11 00:00 Asia/Shanghai is 2026-11-10 16:00 UTC
    starts = list(range(start, start + 6 * 3600, 300))
    ticks = time_ticks(starts, 300, "Asia/Shanghai")
    assert [label for _, label in ticks] == ["00:00", "01:00", "02:00", "03:00", "04:00", "05:00"]


def test_walls_are_built_once_and_nobody_waits_for_a_build() -> None:
    cache: Any = _WallCache()  # walls are plain strings here
    first = cache.get_or_build(("*", "zh", 1, 10), lambda: ("snap1", "wall1"))
    assert cache.get_or_build(("*", "zh", 1, 10), lambda: ("x", "x")) == first
    release, started = threading.Event(), threading.Event()

    def slow() -> tuple[str, str]:
        started.set()
        release.wait(5)
        return ("snap2", "wall2")

    builder = threading.Thread(target=cache.get_or_build, args=(("*", "zh", 2, 11), slow))
    builder.start()
    started.wait(5)
    assert cache.get_or_build(("*", "zh", 2, 11), lambda: ("x", "x")) == first
    release.set()
    builder.join(5)
    assert cache.get_or_build(("*", "zh", 2, 11), lambda: ("x", "x")) == ("snap2", "wall2")
