"""Benchmarks, one script per performance target of an issue.

Each script runs its measurement side by side with its reference in the same run
(a ratio, never a timed unit test), prints readable figures, and prints its figures
as one JSON object (``json.dumps``) on its last line.  Run one with
``.venv/bin/python bench/NAME.py``, all with ``make bench``.  ``bench/support/`` holds
what they share and is not a benchmark (the websocket client ``render.py`` uses to
hold 50 walls).
"""
