"""Who owns an alert, who is on call, and the escalation chain to freeze onto it.

Pure functions over a validated :class:`~alerts.routing_file.RoutingSpec`: the
first route whose match accepts the alert's business line, reason, kind and
severity wins, and the default route catches the rest.  The policy's steps are
resolved to people and channels *now* and flattened with their repetitions, so the
alert carries a frozen chain (Grafana OnCall's idea): editing the file later does
not disturb an alert that is already escalating.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

from alerts.routing_file import (
    EXAMPLE_FILE,
    MatchSpec,
    PolicySpec,
    RoutingSpec,
    TeamSpec,
    load_routing_spec,
)

PERIODS = {"daily": timedelta(days=1), "weekly": timedelta(weeks=1)}


@dataclass(frozen=True)
class Recipient:
    person: str
    name: str
    channels: tuple[str, ...]


@dataclass(frozen=True)
class ChainStep:
    """One step of a frozen chain: wait ``delay_s`` after the previous one, then ring."""

    delay_s: float
    target: str
    recipients: tuple[Recipient, ...]

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ChainStep:
        people = tuple(
            Recipient(r["person"], r["name"], tuple(r["channels"])) for r in data["recipients"]
        )
        return cls(float(data["delay_s"]), str(data["target"]), people)


@dataclass(frozen=True)
class RouteDecision:
    route: str
    team: str
    team_name: str
    policy: str
    chain: tuple[ChainStep, ...]


def _accepts(allowed: str | list[str] | None, value: str | None) -> bool:
    if allowed is None:
        return True
    options = [allowed] if isinstance(allowed, str) else allowed
    return value is not None and value in options


def matches(match: MatchSpec, **values: str | None) -> bool:
    """Does a route's match accept these values (an absent field accepts anything)?"""
    return all(_accepts(getattr(match, field), value) for field, value in values.items())


class Routing:
    """A loaded routing file, answering "who owns this, and how do we escalate?"."""

    def __init__(self, spec: RoutingSpec) -> None:
        self.spec = spec

    @classmethod
    def load(cls, path: Path | None) -> Routing:
        """The file named by the settings, or the shipped example when none is set."""
        return cls(load_routing_spec(path or EXAMPLE_FILE))

    def on_call(self, team_id: str, at: float) -> str:
        """The person on call for ``team_id`` at epoch second ``at``."""
        team = self.spec.teams[team_id]
        order = team.rotation.order or team.members
        return order[self._shift(team, at) % len(order)]

    def next_on_call(self, team_id: str, at: float) -> str:
        """The person after the one on call (the usual second step of a chain)."""
        team = self.spec.teams[team_id]
        order = team.rotation.order or team.members
        return order[(self._shift(team, at) + 1) % len(order)]

    @staticmethod
    def _shift(team: TeamSpec, at: float) -> int:
        period = PERIODS[team.rotation.every].total_seconds()
        return int((at - team.rotation.start.timestamp()) // period)

    def route(
        self,
        *,
        business_line: str | None,
        reason: str | None,
        kind: str,
        severity: str,
        at: float,
        time_scale: float = 1.0,
    ) -> RouteDecision:
        """Pick the owning team and freeze its policy into a chain of recipients."""
        values = {"business_line": business_line, "reason": reason, "kind": kind}
        chosen: tuple[str, str, str] | None = None
        for index, route in enumerate(self.spec.routes):
            if matches(route.match, severity=severity, **values):
                chosen = (route.name or f"route-{index + 1}", route.team, route.policy)
                break
        name, team, policy = chosen or ("default", self.spec.default.team, self.spec.default.policy)
        chain = self.chain(team, self.spec.policies[policy], at, time_scale)
        return RouteDecision(name, team, self.spec.teams[team].name, policy, chain)

    def chain(
        self, team: str, policy: PolicySpec, at: float, time_scale: float = 1.0
    ) -> tuple[ChainStep, ...]:
        """The policy's steps, repeated ``repeat`` more times, with people resolved."""
        waits = [step.wait_minutes for step in policy.steps]
        restart = policy.repeat_wait_minutes or max(waits)
        steps: list[ChainStep] = []
        for lap in range(policy.repeat + 1):
            for index, step in enumerate(policy.steps):
                wait = restart if lap and index == 0 else step.wait_minutes
                people = self.recipients(step.ring, team, at)
                steps.append(ChainStep(wait * 60.0 * time_scale, step.ring, people))
        return tuple(steps)

    def recipients(self, target: str, team: str, at: float) -> tuple[Recipient, ...]:
        """Resolve a step's ``ring`` target to people, in order, without repeats."""
        kind, _, name = target.partition(":")
        if kind == "person":
            ids = [name]
        elif kind == "team":
            ids = list(self.spec.teams[name or team].members)
        elif kind == "next":
            ids = [self.next_on_call(team, at)]
        else:
            ids = [self.on_call(name or team, at)]
        unique = list(dict.fromkeys(ids))
        return tuple(self.recipient(pid) for pid in unique)

    def recipient(self, person_id: str) -> Recipient:
        person = self.spec.people[person_id]
        return Recipient(person_id, person.name, tuple(person.channels))
