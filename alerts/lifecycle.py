"""The alert lifecycle as a pure state machine (no I/O, no clock).

``open → acknowledged → resolved`` is the main road; an alert can also be
``snoozed`` until a time or ``silenced`` by a matcher.  Every legal move returns a
:class:`Transition` tagged with a rule id (``ACK-1``), which the timeline stores so
it says *why* the state changed, the way alerta's state machine does.  An illegal
move raises :class:`IllegalTransition`, whose message is one line in both
languages, fit to show on a page or print from the CLI.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class AlertStatus(StrEnum):
    OPEN = "open"
    ACKNOWLEDGED = "acknowledged"
    SNOOZED = "snoozed"
    SILENCED = "silenced"
    RESOLVED = "resolved"


class Action(StrEnum):
    OPEN = "open"
    FOLD = "fold"
    """Another anomaly with the same fingerprint: count and last-seen, no new alert."""
    ACKNOWLEDGE = "acknowledge"
    ACK_EXPIRE = "ack_expire"
    SNOOZE = "snooze"
    WAKE = "wake"
    SILENCE = "silence"
    UNSILENCE = "unsilence"
    RESOLVE = "resolve"
    AUTO_RESOLVE = "auto_resolve"
    """The anomaly ended; resolves unless a person holds the alert open."""
    HOLD = "hold"
    RELEASE = "release"
    NOTE = "note"
    RING = "ring"
    ESCALATE = "escalate"
    LABEL = "label"


QUIET_HOLD = "RESOLVE-2"
"""The rule of a resolution that keeps the fingerprint until the anomaly ends."""


class QualityLabel(StrEnum):
    VALID = "valid"
    NOISE = "noise"
    DUPLICATE = "duplicate"


ACTIVE = frozenset(
    {AlertStatus.OPEN, AlertStatus.ACKNOWLEDGED, AlertStatus.SNOOZED, AlertStatus.SILENCED}
)
"""Every status before resolution: the alert occupies its fingerprint (so does a
resolution under :data:`QUIET_HOLD` until its anomaly ends)."""


class AlertError(Exception):
    """A request about alerts that cannot be honoured; ``str(exc)`` is one bilingual line,
    Chinese then English separated by `` / `` (a page shows the reader's half)."""


class InvalidInput(AlertError, ValueError):
    """A value a person typed is unusable (empty note, snooze in the past, unknown label)."""


class IllegalTransition(AlertError):
    """The requested action is not allowed in the alert's current state.

    ``str(exc)`` is one bilingual line such as
    ``告警已解决 / cannot acknowledge: the alert is already resolved``.
    """

    def __init__(self, action: Action, status: AlertStatus, why: str, why_zh: str) -> None:
        self.action = action
        self.status = status
        super().__init__(f"{why_zh} / cannot {action.value.replace('_', ' ')}: {why}")


@dataclass(frozen=True)
class Transition:
    """The outcome of one legal action: the new status and the rule that allowed it."""

    status: AlertStatus
    rule: str
    changed: bool
    """False when the status stays as it was (a fold, a note, a held auto-resolve)."""


def _to(old: AlertStatus, new: AlertStatus, rule: str) -> Transition:
    return Transition(new, rule, new != old)


def _refuse(action: Action, status: AlertStatus, why: str, why_zh: str) -> IllegalTransition:
    return IllegalTransition(action, status, why, why_zh)


def transition(
    status: AlertStatus, action: Action, *, held: bool = False, running: bool = False
) -> Transition:
    """Apply ``action`` to an alert in ``status``; raise :class:`IllegalTransition` if refused.

    ``held`` says a person holds the alert open, which turns an automatic
    resolution into a timeline note (``AUTO-HELD-1``) instead of a resolution.
    ``running`` says the anomaly behind the alert has not ended: a person resolving
    it then means "I have this, stop telling me" (``RESOLVE-2``), so the alert keeps
    its fingerprint and later sightings fold into it quietly (``QUIET-1``) until the
    anomaly ends (``QUIET-END-1``); only an anomaly that starts again opens a new one.
    """
    resolved = status is AlertStatus.RESOLVED
    if action is Action.OPEN:
        return Transition(AlertStatus.OPEN, "OPEN-1", True)
    if resolved and action is Action.FOLD:
        return _to(status, status, "QUIET-1")
    if resolved and action is Action.AUTO_RESOLVE:
        return _to(status, status, "QUIET-END-1")
    if resolved and action is not Action.LABEL and action is not Action.NOTE:
        raise _refuse(action, status, "the alert is already resolved", "告警已解决")
    match action:
        case Action.FOLD:
            return _to(status, status, "FOLD-1")
        case Action.NOTE:
            return _to(status, status, "NOTE-1")
        case Action.RING:
            return _to(status, status, "RING-1")
        case Action.ACKNOWLEDGE:
            if status is AlertStatus.ACKNOWLEDGED:
                raise _refuse(action, status, "someone already acknowledged it", "已有人确认")
            rules = {AlertStatus.OPEN: "ACK-1", AlertStatus.SNOOZED: "ACK-2"}
            return _to(status, AlertStatus.ACKNOWLEDGED, rules.get(status, "ACK-3"))
        case Action.ACK_EXPIRE:
            if status is not AlertStatus.ACKNOWLEDGED:
                raise _refuse(action, status, "it is not acknowledged", "告警未被确认")
            return _to(status, AlertStatus.OPEN, "ACK-EXPIRE-1")
        case Action.SNOOZE:
            if status is AlertStatus.SILENCED:
                raise _refuse(action, status, "it is silenced", "告警已静默")
            rule = "SNOOZE-2" if status is AlertStatus.SNOOZED else "SNOOZE-1"
            return _to(status, AlertStatus.SNOOZED, rule)
        case Action.WAKE:
            if status is not AlertStatus.SNOOZED:
                raise _refuse(action, status, "it is not snoozed", "告警未暂停")
            return _to(status, AlertStatus.OPEN, "WAKE-1")
        case Action.SILENCE:
            if status is AlertStatus.SILENCED:
                raise _refuse(action, status, "it is already silenced", "告警已静默")
            return _to(status, AlertStatus.SILENCED, "SILENCE-1")
        case Action.UNSILENCE:
            if status is not AlertStatus.SILENCED:
                raise _refuse(action, status, "it is not silenced", "告警未静默")
            return _to(status, AlertStatus.OPEN, "SILENCE-EXPIRE-1")
        case Action.RESOLVE:
            return _to(status, AlertStatus.RESOLVED, "RESOLVE-2" if running else "RESOLVE-1")
        case Action.AUTO_RESOLVE:
            if held:
                return _to(status, status, "AUTO-HELD-1")
            return _to(status, AlertStatus.RESOLVED, "AUTO-RESOLVE-1")
        case Action.HOLD | Action.RELEASE:
            return _to(status, status, "HOLD-1" if action is Action.HOLD else "HOLD-2")
        case Action.ESCALATE:
            if status is not AlertStatus.OPEN:
                raise _refuse(action, status, f"the alert is {status.value}", "告警不在待处理状态")
            return _to(status, status, "ESCALATE-1")
        case Action.LABEL:
            if not resolved:
                raise _refuse(
                    action, status, "only resolved alerts are labelled", "仅可标注已解决告警"
                )
            return _to(status, status, "LABEL-1")
    raise _refuse(action, status, "unknown action", "未知操作")  # pragma: no cover


def allowed(status: AlertStatus, action: Action) -> bool:
    """Would ``action`` be accepted now?  Pages offer only the actions that would."""
    try:
        transition(status, action)
    except IllegalTransition:
        return False
    return True
