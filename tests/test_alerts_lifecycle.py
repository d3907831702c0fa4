"""The lifecycle state machine as a table: every legal move and its rule, every refusal."""

from __future__ import annotations

import pytest

from alerts.lifecycle import Action, AlertStatus, IllegalTransition, transition

OP, A, S, SI, R = (
    AlertStatus.OPEN,
    AlertStatus.ACKNOWLEDGED,
    AlertStatus.SNOOZED,
    AlertStatus.SILENCED,
    AlertStatus.RESOLVED,
)


@pytest.mark.parametrize(
    ("status", "action", "held", "expected", "rule"),
    [
        (OP, Action.OPEN, False, OP, "OPEN-1"),
        (OP, Action.FOLD, False, OP, "FOLD-1"),
        (A, Action.FOLD, False, A, "FOLD-1"),
        (OP, Action.ACKNOWLEDGE, False, A, "ACK-1"),
        (S, Action.ACKNOWLEDGE, False, A, "ACK-2"),
        (SI, Action.ACKNOWLEDGE, False, A, "ACK-3"),
        (A, Action.ACK_EXPIRE, False, OP, "ACK-EXPIRE-1"),
        (OP, Action.SNOOZE, False, S, "SNOOZE-1"),
        (A, Action.SNOOZE, False, S, "SNOOZE-1"),
        (S, Action.SNOOZE, False, S, "SNOOZE-2"),
        (S, Action.WAKE, False, OP, "WAKE-1"),
        (OP, Action.SILENCE, False, SI, "SILENCE-1"),
        (A, Action.SILENCE, False, SI, "SILENCE-1"),
        (SI, Action.UNSILENCE, False, OP, "SILENCE-EXPIRE-1"),
        (OP, Action.RESOLVE, False, R, "RESOLVE-1"),
        (A, Action.RESOLVE, False, R, "RESOLVE-1"),
        (SI, Action.RESOLVE, False, R, "RESOLVE-1"),
        (OP, Action.AUTO_RESOLVE, False, R, "AUTO-RESOLVE-1"),
        (A, Action.AUTO_RESOLVE, False, R, "AUTO-RESOLVE-1"),
        (A, Action.AUTO_RESOLVE, True, A, "AUTO-HELD-1"),
        (OP, Action.HOLD, False, OP, "HOLD-1"),
        (A, Action.RELEASE, False, A, "HOLD-2"),
        (OP, Action.ESCALATE, False, OP, "ESCALATE-1"),
        (R, Action.LABEL, False, R, "LABEL-1"),
        (R, Action.NOTE, False, R, "NOTE-1"),
        (OP, Action.RING, False, OP, "RING-1"),
        (SI, Action.RING, False, SI, "RING-1"),
    ],
)
def test_legal_moves_carry_their_rule(
    status: AlertStatus, action: Action, held: bool, expected: AlertStatus, rule: str
) -> None:
    result = transition(status, action, held=held)
    assert (result.status, result.rule) == (expected, rule)
    assert result.changed == (expected != status or action is Action.OPEN)


@pytest.mark.parametrize(
    ("status", "action", "running", "expected", "rule"),
    [
        (OP, Action.RESOLVE, True, R, "RESOLVE-2"),
        (A, Action.RESOLVE, True, R, "RESOLVE-2"),
        (R, Action.FOLD, False, R, "QUIET-1"),
        (R, Action.AUTO_RESOLVE, False, R, "QUIET-END-1"),
    ],
)
def test_a_resolution_while_the_anomaly_runs_holds_it_quiet(
    status: AlertStatus, action: Action, running: bool, expected: AlertStatus, rule: str
) -> None:
    """Resolving a storm that still blows: later sightings fold into the resolved alert
    without a word (QUIET-1) until the anomaly ends (QUIET-END-1)."""
    result = transition(status, action, running=running)
    assert (result.status, result.rule) == (expected, rule)


@pytest.mark.parametrize(
    ("status", "action", "words"),
    [
        (A, Action.ACKNOWLEDGE, "already acknowledged"),
        (R, Action.ACKNOWLEDGE, "already resolved"),
        (R, Action.RESOLVE, "already resolved"),
        (R, Action.SNOOZE, "already resolved"),
        (R, Action.RING, "already resolved"),
        (OP, Action.ACK_EXPIRE, "not acknowledged"),
        (OP, Action.WAKE, "not snoozed"),
        (SI, Action.SNOOZE, "silenced"),
        (SI, Action.SILENCE, "already silenced"),
        (OP, Action.UNSILENCE, "not silenced"),
        (A, Action.ESCALATE, "acknowledged"),
        (S, Action.ESCALATE, "snoozed"),
        (OP, Action.LABEL, "only resolved"),
        (A, Action.LABEL, "only resolved"),
    ],
)
def test_illegal_moves_are_refused_in_one_bilingual_line(
    status: AlertStatus, action: Action, words: str
) -> None:
    with pytest.raises(IllegalTransition) as caught:
        transition(status, action)
    message = str(caught.value)
    assert words in message
    assert "\n" not in message
    assert " / cannot " in message  # Chinese first, then English
