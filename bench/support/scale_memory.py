"""What the keys of one deployment cost in Redis memory, by kind (``docs/scale.md``).

Kinds are the key name with the prefix, the partition tag and the variable parts cut
off: ``agg:contacts:1m`` for every 1-minute contacts bucket, ``stream:contacts``,
``conv:utt`` for every conversation's utterance list, and so on.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from datasources.keys import Keys

_TAG = re.compile(r"^\{[^}]*\}:")

_KIND_SEGMENTS = {"agg": 3, "stream": 2, "conv": 2, "feed": 2, "detect": 2, "worker": 2}
"""Leading segments that name a kind (``agg:contacts:1m``); other keys: the first one."""


def kind_of(key: str, prefix: str) -> str:
    """``scale:{p0}:agg:contacts:1m:1794326400`` → ``agg:contacts:1m``."""
    rest = _TAG.sub("", key.removeprefix(prefix + ":"))
    parts = rest.split(":")
    return ":".join(parts[: _KIND_SEGMENTS.get(parts[0], 1)])


@dataclass(frozen=True)
class KindUsage:
    keys: int
    bytes: int

    @property
    def per_key(self) -> float:
        return self.bytes / self.keys if self.keys else 0.0


def usage_by_kind(client: Any, keys: Keys) -> dict[str, KindUsage]:
    """``MEMORY USAGE`` (every element counted: ``SAMPLES 0``) of every key, by kind."""
    found: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    names = list(client.scan_iter(match=keys.all_keys_pattern, count=1000))
    for start in range(0, len(names), 500):
        chunk = names[start : start + 500]
        pipe = client.pipeline(transaction=False)
        for name in chunk:
            pipe.memory_usage(name, samples=0)
        for name, size in zip(chunk, pipe.execute(), strict=True):
            entry = found[kind_of(name, keys.prefix)]
            entry[0] += 1
            entry[1] += int(size or 0)
    return {kind: KindUsage(n, size) for kind, (n, size) in sorted(found.items())}
