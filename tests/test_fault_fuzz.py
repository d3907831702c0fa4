"""The feed fuzzer, small: generated entries (valid, borderline, hostile) through a real
``gmd worker``; nothing lost, the worker never exits, no personal data stored in clear.

``bench/fuzz.py`` runs the same with 100,000 entries; this is its smoke test (a few
hundred entries drawn by Hypothesis, written a few times over).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from bench.fuzz import run

# The fuzzer starts its own embedded Redis and SQLite: on the production servers it
# would only repeat itself.
pytestmark = [pytest.mark.integration, pytest.mark.embedded, pytest.mark.slow]


def test_a_small_fuzz_run_loses_nothing_and_leaks_nothing(tmp_path: Path) -> None:
    result = run(events=1500, seed_value=5, corpus_size=300, root=tmp_path)
    assert result["events"] == 1500
    assert result["counted"] > 0 and result["deadlettered"] > 0
    assert (result["lost"], result["worker_exits"], result["pii_leaks"]) == (0, 0, 0), result
