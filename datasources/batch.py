"""One batch's writes, applied by one script that checks every write before making any.

Redis has no rollback: inside ``MULTI/EXEC`` a command that fails leaves the others
applied (the ``XACK`` included), and a script that fails half-way keeps what it
already wrote.  So a batch's effects and its acknowledgement are made all-or-nothing
here by construction: the stages only *describe* their writes (:class:`BatchWrites`),
and :data:`APPLY` — one Lua script, atomic like every script — first runs every
write's check (the key holds the right type or none, a counter stays far from 2^63,
the consumer group exists), and writes nothing unless all pass; then it makes every
write, none of which can fail after those checks, and acknowledges the entries last.

A guard makes a commit safe to repeat and fenced (``docs/worker.md``): it runs only
if the worker's fence still has the value read with the batch (no other worker
claimed it since) and the batch's first entries are still pending for this consumer
(a commit whose reply was lost, then retried by redis-py, finds them acked and does
nothing).

Keys travel in ``KEYS`` (declared, as Redis Cluster will want), except the
per-conversation and per-customer keys inside the ``conv``/``cust`` payloads.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from datasources.batch_lua import APPLY

STATUS_OK = "ok"
STATUS_FENCED = "fenced"
"""Another worker claimed the batch since it was read: nothing was written."""
STATUS_DONE = "done"
"""The batch was already committed (a retried commit): nothing more was written."""
STATUS_REJECTED = "rejected"
"""A check failed: nothing was written; :attr:`Outcome.reason` says which and why."""


@dataclass(frozen=True)
class Guard:
    """What must still hold for a worker's commit to run (see the module docstring)."""

    fence_key: str
    fence: str
    group: str
    consumer: str
    firsts: dict[str, str]
    """stream key → id of the batch's first entry on it."""


@dataclass(frozen=True)
class Outcome:
    status: str
    reason: str = ""


@dataclass
class BatchWrites:
    """Writes described by the stages, in order; :meth:`commit` applies them at once."""

    ops: list[tuple[str, list[str], list[Any]]] = field(default_factory=list)
    partition: int = 0
    """The partition the batch came from: every key it writes is that partition's
    (``keys.of(writes.partition)``), so on a cluster the script runs on one node."""

    def add(self, kind: str, keys: Sequence[str], args: Sequence[Any]) -> None:
        """One write of a kind :data:`APPLY` knows (``hash``, ``list``, ``set``, ``conv``,
        ``cust``, ``xadd``, ``xadd_once``, ``ack``)."""
        self.ops.append((kind, list(keys), list(args)))

    def xadd(self, stream: str, fields: dict[str, str], maxlen: int) -> None:
        """Append an entry, trimming the stream to about ``maxlen``."""
        flat = [x for pair in fields.items() for x in pair]
        self.add("xadd", [stream], [maxlen, *flat])

    def xadd_once(
        self, marker: str, ttl_s: int, stream: str, fields: dict[str, str], maxlen: int
    ) -> None:
        """Append an entry unless ``marker`` exists; the marker is set for ``ttl_s``."""
        flat = [x for pair in fields.items() for x in pair]
        self.add("xadd_once", [marker, stream], [ttl_s, maxlen, *flat])

    def ack(self, stream: str, group: str, ids: Sequence[str]) -> None:
        self.add("ack", [stream], [group, *ids])

    def script_args(self, guard: Guard | None, plain: bool) -> list[Any]:
        """``EVAL`` arguments: the script, the key count, the keys, then the header and the
        writes' arguments."""
        keys: list[str] = []
        args: list[Any] = []
        header: dict[str, Any] = {"ops": [], "plain": plain}
        if guard is not None:
            keys += [guard.fence_key, *guard.firsts]
            header["guard"] = [guard.fence, guard.group, guard.consumer, *guard.firsts.values()]
        for kind, op_keys, op_args in self.ops:
            header["ops"].append([kind, len(op_keys), len(op_args)])
            keys += op_keys
            args += op_args
        return [APPLY, len(keys), *keys, json.dumps(header), *args]

    def commit(self, conn: Any, guard: Guard) -> Outcome:
        """Apply every write and nothing else, or none (see the module docstring)."""
        reply = conn.execute_command("EVAL", *self.script_args(guard, plain=False))
        status = str(reply[0])
        return Outcome(status, str(reply[2]) if status == STATUS_REJECTED else "")

    def queue_on(self, pipe: Any) -> None:
        """Send the writes through a plain client or pipeline (tests, benches, scripts):
        still checked first and all-or-nothing; a failed check is an error reply."""
        if self.ops:
            pipe.execute_command("EVAL", *self.script_args(None, plain=True))


Target = BatchWrites | Any
"""Where a writer puts its writes: a :class:`BatchWrites`, or a client or pipeline."""


@contextmanager
def writes_on(target: Target) -> Iterator[BatchWrites]:
    """The :class:`BatchWrites` to describe writes on: ``target`` itself, or a fresh one
    sent to the client or pipeline ``target`` at the end."""
    if isinstance(target, BatchWrites):
        yield target
        return
    writes = BatchWrites()
    yield writes
    writes.queue_on(target)
