"""Routing: first match wins, on-call rotation, frozen chains, and errors that name the line."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from alerts.routing import Routing
from alerts.routing_file import EXAMPLE_FILE, RoutingError, load_routing_spec

GOOD = """\
people:
  ann: {name: Ann, channels: ["json://127.0.0.1:9/ann"]}
  ben: {name: Ben, channels: ["json://127.0.0.1:9/ben", "mailto://ben:pw@example.com"]}
  cy: {name: Cy, channels: ["slack://T1JJ3T3L2/A1BRTD4JD/TIiajkdnlazkcOXrIdevi7FQ"]}
teams:
  logistics:
    name: 物流 Logistics
    members: [ann, ben]
    rotation: {every: weekly, start: "2026-11-02T09:00:00+08:00"}
  duty:
    name: 值班 Duty
    members: [cy]
policies:
  standard:
    steps:
      - ring: oncall
      - {wait_minutes: 5, ring: next}
      - {wait_minutes: 10, ring: "oncall:duty"}
    repeat: 1
    repeat_wait_minutes: 15
  loud:
    steps: [{ring: team}, {wait_minutes: 2, ring: "person:cy"}]
routes:
  - name: parcels
    match: {business_line: cainiao, reason: [logistics_delay, parcel_lost]}
    team: logistics
    policy: standard
  - name: critical
    match: {severity: critical}
    team: logistics
    policy: loud
default: {team: duty, policy: standard}
"""

MONDAY_10 = datetime(2026, 11, 2, 2, 0, tzinfo=UTC).timestamp()  # 10:00 in Shanghai


def load(tmp_path: Path, text: str) -> Routing:
    path = tmp_path / "routing.yaml"
    path.write_text(text, encoding="utf-8")
    return Routing(load_routing_spec(path))


def test_the_shipped_example_is_valid() -> None:
    spec = load_routing_spec(EXAMPLE_FILE)
    assert spec.default.team in spec.teams


@pytest.mark.parametrize(
    ("business_line", "reason", "severity", "route", "team", "policy"),
    [
        ("cainiao", "parcel_lost", "minor", "parcels", "logistics", "standard"),
        ("cainiao", "refund", "minor", "default", "duty", "standard"),
        ("tmall", "parcel_lost", "minor", "default", "duty", "standard"),
        ("tmall", "refund", "critical", "critical", "logistics", "loud"),
        ("cainiao", "logistics_delay", "critical", "parcels", "logistics", "standard"),
        (None, None, "info", "default", "duty", "standard"),
    ],
)
def test_first_matching_route_wins_and_default_catches_the_rest(
    tmp_path: Path,
    business_line: str | None,
    reason: str | None,
    severity: str,
    route: str,
    team: str,
    policy: str,
) -> None:
    routing = load(tmp_path, GOOD)
    decision = routing.route(
        business_line=business_line, reason=reason, kind="spike", severity=severity, at=MONDAY_10
    )
    assert (decision.route, decision.team, decision.policy) == (route, team, policy)


@pytest.mark.parametrize(
    ("days_later", "on_call", "next_up"),
    [
        (0, "ann", "ben"),
        (6.9, "ann", "ben"),
        (7, "ben", "ann"),
        (14, "ann", "ben"),
        (-1, "ben", "ann"),
    ],
)
def test_weekly_rotation_hands_over(
    tmp_path: Path, days_later: float, on_call: str, next_up: str
) -> None:
    routing = load(tmp_path, GOOD)
    at = MONDAY_10 + days_later * 86400
    assert (routing.on_call("logistics", at), routing.next_on_call("logistics", at)) == (
        on_call,
        next_up,
    )


def test_daily_rotation_hands_over_every_day(tmp_path: Path) -> None:
    routing = load(tmp_path, GOOD.replace("every: weekly", "every: daily"))
    assert [routing.on_call("logistics", MONDAY_10 + d * 86400) for d in range(3)] == [
        "ann",
        "ben",
        "ann",
    ]


def test_chain_is_frozen_flattened_and_scaled(tmp_path: Path) -> None:
    routing = load(tmp_path, GOOD)
    decision = routing.route(
        business_line="cainiao", reason="parcel_lost", kind="spike", severity="minor",
        at=MONDAY_10, time_scale=0.5,
    )  # fmt: skip
    steps = [(s.delay_s, [r.person for r in s.recipients]) for s in decision.chain]
    assert steps == [
        (0.0, ["ann"]),
        (150.0, ["ben"]),
        (300.0, ["cy"]),
        (450.0, ["ann"]),  # the repetition waits repeat_wait_minutes
        (150.0, ["ben"]),
        (300.0, ["cy"]),
    ]
    assert decision.chain[0].recipients[0].channels == ("json://127.0.0.1:9/ann",)


def test_team_and_person_targets(tmp_path: Path) -> None:
    routing = load(tmp_path, GOOD)
    decision = routing.route(
        business_line="x", reason="y", kind="spike", severity="critical", at=MONDAY_10
    )
    assert [[r.person for r in s.recipients] for s in decision.chain] == [["ann", "ben"], ["cy"]]


@pytest.mark.parametrize(
    ("edit", "line", "words"),
    [
        (
            ("members: [ann, ben]", "members: [ann, bne]"),
            8,
            "teams.logistics.members.1: unknown person 'bne'",
        ),
        (('"json://127.0.0.1:9/ann"', '"jsn://127.0.0.1/ann"'), 2, "not an apprise URL"),
        (("policy: loud", "policy: lod"), 31, "routes.1.policy: unknown policy 'lod'"),
        (('ring: "person:cy"', 'ring: "person:cyy"'), 22, "unknown person 'cyy'"),
        (("ring: team}", "ring: everyone}"), 22, "ring must be one of"),
        (
            ("{wait_minutes: 5, ring: next}", "{wait_minutes: -5, ring: next}"),
            17,
            "greater than or equal to 0",
        ),
        (("every: weekly", "every: hourly"), 9, "'daily' or 'weekly'"),
        (("    repeat: 1\n", "    repeat: 1\n    repat: 2\n"), 20, "repat: is not a known field"),
        (("default: {team: duty, policy: standard}\n", ""), 1, "default: is required"),
        (("  duty:\n    name: 值班 Duty", "  duty:\n    name: [值班"), 12, "not valid YAML"),
    ],
)
def test_errors_name_the_file_and_line(
    tmp_path: Path, edit: tuple[str, str], line: int, words: str
) -> None:
    broken = GOOD.replace(*edit)
    assert broken != GOOD
    with pytest.raises(RoutingError) as caught:
        load(tmp_path, broken)
    message = str(caught.value)
    assert f"routing.yaml:{line}:" in message, message
    assert words in message, message


def test_a_missing_file_is_one_clear_line(tmp_path: Path) -> None:
    with pytest.raises(RoutingError, match="cannot read the routing file"):
        load_routing_spec(tmp_path / "nope.yaml")
