"""Reading aggregates of every partition and merging them into one view.

With one partition these are exactly the reads the pages always made.  With N, each
read goes to every partition — one script call or ``HMGET`` run per partition, in
one pipeline (on a cluster redis-py sends each node its share and reads the replies
together) — and the replies are merged as the writer would have merged them had it
been one partition: counters add, maxima (``wait_max``) keep the larger, float sums
(``wait_sum``) add, queue snapshots keep the newer by their ``ts``.  Merged values are
strings, as Redis returns them, so the readers' arithmetic does not change.

A reader's cost is therefore N times a fixed number of hashes, whatever the traffic.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from datasources import aggregates_layout as lay
from datasources.aggregates_ops import HGETALL_SCRIPT, decode_hgetall_many, hgetall_many
from datasources.keys import Keys

Bucket = tuple[str, str, int]
"""``(family, resolution, bucket start)``: one aggregate hash (in every partition)."""


def read_hashes(client: Any, keys: Keys, wanted: Sequence[Bucket]) -> list[dict[str, str]]:
    """Each wanted hash, merged over the partitions (``{}`` where none holds it)."""
    parts = keys.every()
    if len(parts) == 1:
        return hgetall_many(client, [keys.aggregate(*w) for w in wanted])
    if not wanted:
        return []
    pipe = client.pipeline(transaction=False)
    for part in parts:
        names = [part.aggregate(*w) for w in wanted]
        pipe.execute_command("EVAL", HGETALL_SCRIPT, len(names), *names)
    replies = [decode_hgetall_many(raw) for raw in pipe.execute()]
    return [merge_hashes(w[0], [r[i] for r in replies]) for i, w in enumerate(wanted)]


def read_fields(
    client: Any, keys: Keys, wanted: Sequence[tuple[str, str, int, Sequence[str]]]
) -> list[list[str | None]]:
    """``HMGET`` of the given fields of each wanted hash, merged over the partitions."""
    parts = keys.every()
    pipe = client.pipeline(transaction=False)
    for part in parts:
        for family, res, bucket, fields in wanted:
            pipe.hmget(part.aggregate(family, res, bucket), list(fields))
    replies = pipe.execute()
    if len(parts) == 1:
        return [list(r) for r in replies]
    n = len(wanted)
    merged = []
    for i, (family, _res, _bucket, fields) in enumerate(wanted):
        values = [replies[p * n + i] for p in range(len(parts))]
        merged.append(
            [_merge_values(family, f, [v[j] for v in values]) for j, f in enumerate(fields)]
        )
    return merged


def merge_hashes(family: str, hashes: Sequence[dict[str, str]]) -> dict[str, str]:
    """One family's hashes of the same bucket from several partitions, as one."""
    present = [h for h in hashes if h]
    if len(present) < 2:
        return present[0] if present else {}
    merged = dict(present[0])
    for other in present[1:]:
        for name, value in other.items():
            held = merged.get(name)
            merged[name] = value if held is None else combine(family, name, held, value)
    return merged


def combine(family: str, name: str, a: str, b: str) -> str:
    """Two partitions' values of one field (see the module docstring)."""
    if family == lay.QUEUE:
        return a if json.loads(a).get("ts", 0) >= json.loads(b).get("ts", 0) else b
    metric = name.rpartition(lay.SEP)[2]
    if metric == "wait_max":
        return a if float(a) >= float(b) else b
    if metric == "wait_sum":
        return repr(float(a) + float(b))
    return str(int(a) + int(b))


def _merge_values(family: str, name: str, values: list[str | None]) -> str | None:
    present = [v for v in values if v is not None]
    if not present:
        return None
    merged = present[0]
    for value in present[1:]:
        merged = combine(family, name, merged, value)
    return merged
