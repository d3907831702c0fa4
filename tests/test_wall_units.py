"""The wall's judgements as tables: which obstacle comes first, the headline's verdict,
the waiting tile's colour, the fonts it serves, and the pre-fill's replay window."""

from __future__ import annotations

from dataclasses import replace

import pandas as pd
import pytest

from alerts.views import AlertView
from dashboard import charts, wall_charts
from dashboard.fonts import FONT_DIR, served_characters
from dashboard.kpis import Status, evaluate, kpi_specs
from dashboard.obstacles import headline_of, rank_obstacles, to_obstacle
from dashboard.wall_data import WallSnapshot
from dashboard.wall_panels import impact_texts
from datasources.settings import Targets
from datasources.simulator.curve import load_factor
from datasources.simulator.history import REPLAY_MAX_S, REPLAY_MIN_S, replay_window

ALERT = AlertView(
    id=1, fingerprint="f", series="contacts:tmall:refund:*", kind="spike",
    metric="contacts_per_min", business_line="tmall", reason="refund", channel=None,
    severity="major", status="open", raised_by="detector", count=1, first_seen=1000.0,
    last_seen=1000.0, onset=990.0, ended=None, observed=120.0, expected=30.0, trend=[],
    verbatims=[], anomaly_active=True, held_by=None, acked_by=None, acked_at=None,
    snoozed_until=None, silence_id=None, resolved_by=None, resolved_at=None, label=None,
    labelled_by=None, owner_team="ops", route="default", escalation_step=0,
    escalation_steps=1, next_escalation_at=None, updated_at=1000.0,
)  # fmt: skip
WAITING = {"alipay-payment": 85.0}


@pytest.mark.parametrize(
    ("changes", "impact"),
    [
        ({}, 90.0),  # 120 contacts a minute where 30 were expected
        ({"kind": "drop", "observed": 5.0, "expected": 80.0}, 75.0),
        ({"kind": "sentiment_storm", "observed": 14.0, "expected": 2.0}, 12.0),
        ({"kind": "queue_breach", "series": "queue:alipay-payment", "observed": 0.93,
          "expected": 0.999, "metric": "pickup_rate"}, 85.0),
        ({"kind": "queue_breach", "series": "queue:eleme-delivery"}, 0.0),
        ({"kind": "transcript_flag", "series": "conversation:c1", "observed": 1.0,
          "expected": 0.0}, 1.0),
    ],
)  # fmt: skip
def test_impact_is_customers_touched_per_minute(changes: dict[str, object], impact: float) -> None:
    assert to_obstacle(replace(ALERT, **changes), 3, WAITING).impact == impact  # type: ignore[arg-type]


def test_a_big_spike_outranks_critical_single_conversations() -> None:
    """Five conversation flags took five of six cards once: the spike touching 90
    customers a minute comes first, and the flags are not cards at all."""
    flags = [
        to_obstacle(replace(ALERT, id=i, kind="transcript_flag", severity="critical",
                            series=f"conversation:c{i}", observed=1.0, expected=0.0), 3)
        for i in range(2, 7)
    ]  # fmt: skip
    small = to_obstacle(replace(ALERT, id=8, severity="critical", observed=40.0), 3)
    ranked = rank_obstacles([*flags, small, to_obstacle(ALERT, 3)])
    assert [o.alert_id for o in ranked[:2]] == [1, 8]
    assert all(o.single_conversation for o in ranked[2:])


@pytest.mark.parametrize(
    ("alerts", "state", "counts"),
    [
        ([], "clear", (0, 0, 0, 0)),
        ([{"acked_by": "li"}], "handled", (0, 0, 1, 0)),
        ([{}, {"acked_by": "li", "severity": "critical"}], "waiting", (1, 1, 1, 0)),
        ([{"severity": "critical"}, {"kind": "transcript_flag"}], "fire", (1, 1, 0, 1)),
        ([{"kind": "transcript_flag", "severity": "critical"}], "clear", (0, 0, 0, 1)),
    ],
)
def test_headline_says_whether_anything_is_on_fire_and_someone_is_on_it(
    alerts: list[dict[str, object]], state: str, counts: tuple[int, int, int, int]
) -> None:
    head = headline_of([to_obstacle(replace(ALERT, **a), 0) for a in alerts])  # type: ignore[arg-type]
    assert head.state == state
    assert (head.critical, head.unacknowledged, head.handled, head.conversations) == counts


def test_card_says_how_big_and_the_queue_figure_against_its_target() -> None:
    queue = to_obstacle(
        replace(ALERT, kind="queue_breach", series="queue:alipay-payment", reason=None,
                business_line="alipay", observed=0.931, expected=0.999, metric="pickup_rate"),
        0, WAITING,
    )  # fmt: skip
    assert impact_texts(queue, "en") == ("85 waiting", "Pick-up rate 93.1% (target 99.90%)")
    assert impact_texts(to_obstacle(ALERT, 0), "zh") == ("+90 进线/分", "4.0 倍预期")


@pytest.mark.parametrize(
    ("waiting", "agents", "cloud", "status"),
    [
        (40, 900, 100, Status.GOOD),  # 4 % of the agents on duty
        (120, 900, 100, Status.WARN),
        (400, 900, 100, Status.BAD),
        (30, None, None, Status.PLAIN),  # staff unknown: no judgement
    ],
)
def test_waiting_now_is_judged_against_the_staff_on_duty(
    waiting: float, agents: float | None, cloud: float | None, status: Status
) -> None:
    spec = next(s for s in kpi_specs(Targets()) if s.key == "waiting_now")
    figures = {"waiting_now": waiting, "agents_on_duty": agents, "cloud_agents_on_duty": cloud}
    assert evaluate(spec, figures)[1] is status


def test_the_served_fonts_hold_every_character_the_product_shows() -> None:
    """A new label with a character the fonts lack fails here: run
    scripts/subset_cjk_font.py again (see its docstring)."""
    from fontTools.ttLib import TTFont

    def cmap(name: str) -> set[str]:
        return {chr(c) for c in TTFont(str(FONT_DIR / name)).getBestCmap()}

    for face in ("regular", "bold"):
        missing = served_characters() - cmap(f"gmd-sans-sc-{face}.woff2")
        assert not missing, f"{face} lacks {''.join(sorted(missing))}"


@pytest.mark.parametrize(("local_hour"), [0.1, 4.0, 10.5, 21.0])
def test_replay_window_shrinks_with_traffic_within_bounds(local_hour: float) -> None:
    now = 1_794_326_400 + local_hour * 3600  # hours after midnight in Shanghai
    window = replay_window(now, rate=40)
    assert REPLAY_MIN_S <= window <= REPLAY_MAX_S
    if load_factor(now) > 5:  # the midnight surge: the shortest replay
        assert window == REPLAY_MIN_S


def _day_snapshot(minutes: int, last_minute: int, tmall_at_10: int = 5) -> WallSnapshot:
    base = pd.Timestamp("2026-11-11 00:00", tz="UTC")
    rows = [
        {"time": base + pd.Timedelta(minutes=m), "business_line": line, "contacts": n}
        for m in range(minutes)
        for line, n in (("tmall", tmall_at_10 if m == 10 else 5), ("taobao", 9))
    ]
    rows.append({"time": base + pd.Timedelta(minutes=minutes), "business_line": "tmall",
                 "contacts": last_minute})  # fmt: skip
    empty = pd.DataFrame()
    return WallSnapshot(0.0, None, None, {}, empty, [], [], empty, [], pd.DataFrame(rows))


def test_the_day_chart_is_drawn_once_per_completed_minute(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Every session's refresh shares one drawing until a completed minute changes; the
    minute still filling is not drawn, so its counts do not cost a redraw."""
    drawn: list[int] = []
    real = charts.per_minute_by_line

    def counting(frame: pd.DataFrame, bin_s: int) -> pd.DataFrame:
        drawn.append(len(frame))
        return real(frame, bin_s)

    monkeypatch.setattr(wall_charts, "per_minute_by_line", counting)
    first = wall_charts.contacts_chart(_day_snapshot(120, last_minute=3), "zh", "Asia/Shanghai")
    again = wall_charts.contacts_chart(_day_snapshot(120, last_minute=40), "zh", "Asia/Shanghai")
    assert again == first and len(drawn) == 1
    late = wall_charts.contacts_chart(
        _day_snapshot(120, last_minute=3, tmall_at_10=50), "zh", "Asia/Shanghai"
    )
    assert late != first and len(drawn) == 2  # a late event in a completed minute
    wall_charts.contacts_chart(_day_snapshot(120, last_minute=3), "en", "Asia/Shanghai")
    assert len(drawn) == 3  # another language is another drawing
