"""One series' values over a run of buckets (alert charts, sparklines, trends).

A series id may hold ``*`` wildcards; each case reads the cheapest hash that
answers it: per-line totals from the small ``lines`` family, a fully specified
contact series with one ``HGET`` per bucket, anything else by summing the matching
fields of each bucket's hash (all fetched in one call).  Cost: fixed per bucket (and
partition: :mod:`datasources.aggregates_merge` reads and merges every partition).
"""

from __future__ import annotations

import math

import redis

from datasources import aggregates_layout as lay
from datasources.aggregates_kpi import KPI_COLUMNS, kpis_from
from datasources.aggregates_merge import read_fields, read_hashes
from datasources.keys import Keys

NAN = math.nan
KEPT_FAMILIES = ("contacts", "queue", "voices")
"""Series families with aggregates; a conversation (a transcript flag, a bell) has none."""


def history_metric(series: str, alert_metric: str) -> str | None:
    """The measure to chart for an alert on ``series``: a queue's broken KPI, a storm's
    negative voices, a contact count (``None``: the family's default)."""
    family = series.split(":", 1)[0]
    if family == "queue":
        return alert_metric if alert_metric in (*lay.QUEUE_FIELDS, *KPI_COLUMNS) else None
    if family == "voices":
        return "negative"
    return None


def series_values(
    client: redis.Redis,
    keys: Keys,
    dims: dict[str, str],
    buckets: list[int],
    resolution: str,
    metric: str | None,
) -> list[float]:
    """Values of the series described by ``dims`` (see :func:`series.parse_series`)."""
    family = dims["family"]
    if family == "contacts":
        return _contacts(client, keys, dims, buckets, resolution)
    if family == "queue":
        return _queue(client, keys, dims["skill_group"], buckets, resolution, metric or "waiting")
    if family == "voices":
        return _voices(client, keys, dims, buckets, resolution, metric or "total")
    raise ValueError(f"no aggregates are kept for {family} series")


def _contacts(
    client: redis.Redis, keys: Keys, dims: dict[str, str], buckets: list[int], res: str
) -> list[float]:
    line, reason, channel = dims.get("business_line"), dims.get("reason"), dims.get("channel")
    if reason is None and channel is None:
        replies = read_hashes(client, keys, [(lay.LINES, res, b) for b in buckets])
        return [
            float(sum(int(n) for bl, n in reply.items() if line in (None, bl))) for reply in replies
        ]
    if line is not None and reason is not None and channel is not None:
        field = [lay.contact_field(line, reason, channel)]
        found = read_fields(client, keys, [(lay.CONTACTS, res, b, field) for b in buckets])
        return [float(v[0] or 0) for v in found]
    wanted = (line, reason, channel)
    values = []
    for reply in read_hashes(client, keys, [(lay.CONTACTS, res, b) for b in buckets]):
        total = 0
        for name, n in reply.items():
            parts = lay.split_field(name)
            if all(w is None or w == p for w, p in zip(wanted, parts, strict=True)):
                total += int(n)
        values.append(float(total))
    return values


def _queue(
    client: redis.Redis, keys: Keys, group: str, buckets: list[int], res: str, metric: str
) -> list[float]:
    known = (*lay.QUEUE_FIELDS, *lay.SERVICE_METRICS, *KPI_COLUMNS)
    if metric not in known:
        raise ValueError(f"unknown queue metric {metric!r}; expected one of {', '.join(known)}")
    fields = [lay.metric_field(group, m) for m in lay.SERVICE_METRICS]
    wanted = [(lay.QUEUE, res, b, [group]) for b in buckets]
    wanted += [(lay.SERVICE, res, b, fields) for b in buckets]
    replies = read_fields(client, keys, wanted)
    values = []
    for i, b in enumerate(buckets):
        raw, counters = replies[i][0], replies[len(buckets) + i]
        snap = lay.decode_snapshot(raw) if raw else None
        service = {
            m: float(v) for m, v in zip(lay.SERVICE_METRICS, counters, strict=True) if v is not None
        }
        value: float | str | None
        if metric in lay.QUEUE_FIELDS:
            value = snap[metric] if snap else None
        elif metric in lay.SERVICE_METRICS:
            value = service.get(metric, 0.0)
        else:
            value = getattr(kpis_from(b, service, [snap] if snap else []), metric)
        values.append(NAN if value is None else float(value))
    return values


def _voices(
    client: redis.Redis,
    keys: Keys,
    dims: dict[str, str],
    buckets: list[int],
    res: str,
    metric: str,
) -> list[float]:
    if metric not in (*lay.VOICE_METRICS, "negative_share"):
        raise ValueError(f"unknown voice metric {metric!r}")
    line, source = dims.get("business_line"), dims.get("source")
    values = []
    for reply in read_hashes(client, keys, [(lay.VOICES, res, b) for b in buckets]):
        sums = dict.fromkeys(lay.VOICE_METRICS, 0)
        for name, n in reply.items():
            bl, src, m = lay.split_field(name)
            if line in (None, bl) and source in (None, src):
                sums[m] += int(n)
        if metric == "negative_share":
            values.append(sums["negative"] / sums["total"] if sums["total"] else NAN)
        else:
            values.append(float(sums[metric]))
    return values
