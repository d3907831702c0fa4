"""The routing file's schema, and loading it with errors that name the line.

The file is YAML (see ``alerts/routing.example.yaml`` and ``docs/alerts.md``).  It
is validated twice: pydantic checks the shape, then :func:`_references` checks
that every team, person and policy it mentions exists and that every channel is
an apprise URL apprise understands.  Each problem is reported as
``file:line: path: message`` using the YAML node marks, so an admin finds a
typo without reading a stack trace.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

import apprise
import yaml
from pydantic import BaseModel, Field, ValidationError, field_validator

from datasources.settings import ConfigError

EXAMPLE_FILE = Path(__file__).resolve().parent / "routing.example.yaml"

TARGET_HELP = "oncall, next, team, person:ID, team:NAME or oncall:NAME"


class RoutingError(ConfigError):
    """The routing file is unusable; the message lists each problem with its line.

    A :class:`ConfigError`, so whatever reports bad settings in one line reports this too.
    """


class _Strict(BaseModel):
    model_config = {"extra": "forbid"}


class PersonSpec(_Strict):
    name: str
    channels: list[str] = Field(min_length=1)
    """apprise URLs: dingtalk://, lark://, wecom://, slack://, mailto://, json:// …"""


class RotationSpec(_Strict):
    every: Literal["daily", "weekly"] = "weekly"
    start: datetime = datetime(2024, 1, 1, 9, 0, tzinfo=UTC)
    """A hand-over moment; later hand-overs follow every day or week after it."""
    order: list[str] | None = None
    """Who is on call in turn; the team's members when omitted."""

    @field_validator("start")
    @classmethod
    def _aware(cls, value: datetime) -> datetime:
        return value if value.tzinfo else value.replace(tzinfo=UTC)


class TeamSpec(_Strict):
    name: str
    members: list[str] = Field(min_length=1)
    rotation: RotationSpec = RotationSpec()


class StepSpec(_Strict):
    wait_minutes: float = Field(0.0, ge=0)
    """Unacknowledged minutes after the previous step before this one rings."""
    ring: str


class PolicySpec(_Strict):
    steps: list[StepSpec] = Field(min_length=1)
    repeat: int = Field(0, ge=0, le=20)
    """How many more times the whole chain runs while nobody acknowledges."""
    repeat_wait_minutes: float | None = Field(None, gt=0)
    """Wait before a repetition restarts; the longest step wait when omitted."""


Matchable = str | list[str] | None


class MatchSpec(_Strict):
    business_line: Matchable = None
    reason: Matchable = None
    kind: Matchable = None
    severity: Matchable = None


class RouteSpec(_Strict):
    name: str | None = None
    match: MatchSpec = MatchSpec()
    team: str
    policy: str


class DefaultRouteSpec(_Strict):
    team: str
    policy: str


class RoutingSpec(_Strict):
    people: dict[str, PersonSpec]
    teams: dict[str, TeamSpec]
    policies: dict[str, PolicySpec]
    routes: list[RouteSpec] = []
    default: DefaultRouteSpec


def load_routing_spec(path: Path) -> RoutingSpec:
    """Read and validate a routing file, or raise :class:`RoutingError` naming lines."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise RoutingError(f"{path}: cannot read the routing file ({exc.strerror})") from None
    try:
        root = yaml.compose(text)
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f":{mark.line + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise RoutingError(f"{path}{line}: not valid YAML: {problem}") from None
    if not isinstance(data, dict) or root is None:
        raise RoutingError(f"{path}:1: expected a mapping with people, teams, policies, default")
    try:
        spec = RoutingSpec.model_validate(data)
    except ValidationError as exc:
        problems = [(tuple(err["loc"]), _message(err)) for err in exc.errors()]
        raise RoutingError(_report(path, root, problems)) from None
    problems = _references(spec)
    if problems:
        raise RoutingError(_report(path, root, problems))
    return spec


def _message(err: Any) -> str:
    if err["type"] == "extra_forbidden":
        return "is not a known field"
    if err["type"] == "missing":
        return "is required"
    return str(err["msg"]).removeprefix("Value error, ")


def _references(spec: RoutingSpec) -> list[tuple[tuple[Any, ...], str]]:
    """Cross-references pydantic cannot see: names that must exist, URLs apprise knows."""
    problems: list[tuple[tuple[Any, ...], str]] = []
    for pid, person in spec.people.items():
        for i, url in enumerate(person.channels):
            if not apprise.Apprise().add(url):
                problems.append((("people", pid, "channels", i), f"not an apprise URL: {url!r}"))
    for tid, team in spec.teams.items():
        for i, member in enumerate(team.members):
            if member not in spec.people:
                problems.append((("teams", tid, "members", i), f"unknown person {member!r}"))
        for i, member in enumerate(team.rotation.order or []):
            if member not in team.members:
                problems.append(
                    (("teams", tid, "rotation", "order", i), f"{member!r} is not a team member")
                )
    for name, policy in spec.policies.items():
        for i, step in enumerate(policy.steps):
            error = _target_error(step.ring, spec)
            if error:
                problems.append((("policies", name, "steps", i, "ring"), error))
        waits = [s.wait_minutes for s in policy.steps]
        if policy.repeat and policy.repeat_wait_minutes is None and max(waits) == 0:
            problems.append((("policies", name, "repeat"), "repeating needs repeat_wait_minutes"))
    routes: list[tuple[tuple[Any, ...], str, str]] = [
        (("routes", i), r.team, r.policy) for i, r in enumerate(spec.routes)
    ]
    routes.append((("default",), spec.default.team, spec.default.policy))
    for loc, team_id, policy_id in routes:
        if team_id not in spec.teams:
            problems.append(((*loc, "team"), f"unknown team {team_id!r}"))
        if policy_id not in spec.policies:
            problems.append(((*loc, "policy"), f"unknown policy {policy_id!r}"))
    return problems


def _target_error(target: str, spec: RoutingSpec) -> str | None:
    kind, _, name = target.partition(":")
    if not name and kind in ("oncall", "next", "team"):
        return None
    if kind == "person" and name in spec.people:
        return None
    if kind in ("team", "oncall") and name in spec.teams:
        return None
    if kind in ("person", "team", "oncall") and name:
        return f"unknown {kind.replace('oncall', 'team')} {name!r}"
    return f"ring must be one of {TARGET_HELP}, got {target!r}"


def _report(path: Path, root: yaml.Node, problems: list[tuple[tuple[Any, ...], str]]) -> str:
    lines = []
    for loc, message in problems:
        node = _node_at(root, loc)
        dotted = ".".join(str(p) for p in loc) or "(file)"
        lines.append(f"{path}:{node.start_mark.line + 1}: {dotted}: {message}")
    return "; ".join(lines)


def _node_at(root: yaml.Node, loc: tuple[Any, ...]) -> yaml.Node:
    """The deepest YAML node along ``loc`` (its parent when a key is missing)."""
    node = root
    for part in loc:
        if isinstance(node, yaml.MappingNode):
            children: dict[str, yaml.Node] = {str(k.value): v for k, v in node.value}
            if str(part) not in children:
                keys: dict[str, yaml.Node] = {str(k.value): k for k, _ in node.value}
                return keys.get(str(part), node)
            node = children[str(part)]
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int):
            if part >= len(node.value):
                return node
            item: yaml.Node = node.value[part]
            node = item
        else:
            return node
    return node
