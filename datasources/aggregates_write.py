"""Writing aggregates: accumulate a batch in memory, then flush it in two script calls.

Per event the worker only bumps a Python counter keyed by the event's dimensions
and its 10 s bucket.  :meth:`BatchAggregate.flush` expands those counters into the
families' fields once, rolls the 10 s updates up into 1 min and 1 h (that *is*
the roll-up: every resolution is written directly, never recomputed from another)
and queues them with :mod:`datasources.aggregates_ops` — one ``HINCRBY`` per field
per bucket inside Redis, not one command per event — plus the capped verbatim
lists.  Everything goes into the caller's pipeline, so the worker commits a
batch's effects and its ``XACK`` in one ``MULTI/EXEC``.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Callable, Iterable
from typing import Any

from datasources import aggregates_layout as lay
from datasources.aggregates_ops import (
    HashUpdate,
    Updates,
    add_hash_updates,
    add_list_pushes,
    roll_up,
)
from datasources.batch import BatchWrites, Target, writes_on
from datasources.keys import RESOLUTIONS, Keys
from datasources.schemas import ContactEvent, Outcome, QueueSnapshot, VoiceEvent
from datasources.series import contact_series, queue_series, voice_series
from datasources.settings import Settings

VERBATIMS_KEPT = 20
"""Recent masked verbatims kept per series."""
NEGATIVE_VOICES_KEPT = 50
"""Latest negative external voices kept (one list for the whole deployment)."""

Mask = Callable[[str], str]


def record_progress(
    keys: Keys, feed: str, max_ts: float, wall: float, *, pipeline: Target, events: int = 0
) -> None:
    """Raise the feed's watermark (event time) and last-seen (wall clock), atomically max,
    and add ``events`` to the feed's count of events applied."""
    updates = [
        (keys.watermark, 0, HashUpdate(maxes={feed: max_ts})),
        (keys.feed_seen, 0, HashUpdate(maxes={feed: wall})),
    ]
    if events:
        updates.append((keys.feed_counts, 0, HashUpdate(incr={feed: events})))
    with writes_on(pipeline) as writes:
        add_hash_updates(writes, updates)


class BatchAggregate:
    """One batch's aggregates, accumulated per 10 s bucket, flushed at all resolutions."""

    def __init__(self, settings: Settings, mask: Mask) -> None:
        self.threshold = settings.targets.service_level_threshold_s
        self.retention = settings.retention
        self.mask = mask
        # (bucket, line, reason, channel, group, handled_by, outcome, in_sl) -> contacts
        self.contacts: dict[tuple[Any, ...], int] = {}
        # (bucket, group, line) -> [wait_sum, wait_max]
        self.waits: dict[tuple[int, str, str], list[float]] = {}
        self.snapshots: dict[tuple[int, str], QueueSnapshot] = {}
        # (bucket, line, source) -> [total, negative, reach]
        self.voices: dict[tuple[int, str, str], list[int]] = {}
        self.texts: dict[str, list[str]] = defaultdict(list)
        self.negative: list[VoiceEvent] = []

    # -- accumulate (hot path: no Redis, no allocation beyond one tuple per event) --

    def add_contacts(self, events: Iterable[ContactEvent]) -> None:
        counts, waits, texts, threshold = self.contacts, self.waits, self.texts, self.threshold
        answered = Outcome.ANSWERED
        for e in events:
            b = int(e.ts // 10) * 10
            ok = e.outcome is answered
            key = (b, e.business_line, e.reason, e.channel, e.skill_group, e.handled_by, ok,
                   ok and e.waited_s <= threshold)  # fmt: skip
            counts[key] = counts.get(key, 0) + 1
            wkey = (b, e.skill_group, e.business_line)
            held = waits.get(wkey)
            if held is None:
                waits[wkey] = [e.waited_s, e.waited_s]
            else:
                held[0] += e.waited_s
                if e.waited_s > held[1]:
                    held[1] = e.waited_s
            if e.verbatim:
                texts[contact_series(e.business_line, e.reason)].append(e.verbatim)
                texts[contact_series(e.business_line)].append(e.verbatim)

    def add_contact_copies(self, event: ContactEvent, n: int, at: float) -> None:
        """The counters of ``n`` contacts like ``event`` at time ``at``, in one step (what
        :meth:`add_contacts` of ``n`` such copies gives, verbatims aside: the
        simulator's day-shape fill, :mod:`datasources.simulator.history`, has none)."""
        e = event
        b = int(at // 10) * 10
        ok = e.outcome is Outcome.ANSWERED
        key = (b, e.business_line, e.reason, e.channel, e.skill_group, e.handled_by, ok,
               ok and e.waited_s <= self.threshold)  # fmt: skip
        self.contacts[key] = self.contacts.get(key, 0) + n
        held = self.waits.setdefault((b, e.skill_group, e.business_line), [0.0, 0.0])
        held[0] += e.waited_s * n
        held[1] = max(held[1], e.waited_s)

    def add_queue(self, events: Iterable[QueueSnapshot]) -> None:
        for e in events:
            key = (int(e.ts // 10) * 10, e.skill_group)
            held = self.snapshots.get(key)
            if held is None or held.ts <= e.ts:
                self.snapshots[key] = e

    def add_voices(self, events: Iterable[VoiceEvent]) -> None:
        for e in events:
            key = (int(e.ts // 10) * 10, e.business_line, e.source)
            slot = self.voices.setdefault(key, [0, 0, 0])
            negative = e.sentiment is not None and e.sentiment < lay.NEGATIVE_SENTIMENT
            slot[0] += 1
            slot[1] += negative
            slot[2] += e.reach
            if negative:  # a line's voice verbatims are a storm's evidence: negative only
                self.texts[voice_series(e.business_line)].append(e.text)
                self.negative.append(e)

    # -- flush -------------------------------------------------------------------

    def flush(self, keys: Keys, *, pipeline: Target) -> None:
        """Describe everything accumulated on ``pipeline`` (a :class:`BatchWrites`, or a
        client or pipeline the writes are sent to)."""
        fine = self.updates()
        batch: list[tuple[str, int, HashUpdate]] = []
        for res, width in RESOLUTIONS.items():
            ttl = lay.ttl_of(res, self.retention)
            rolled = fine if width == 10 else roll_up(fine, width)
            batch += [(keys.aggregate(fam, res, b), ttl, u) for (fam, b), u in rolled.items()]
        with writes_on(pipeline) as writes:
            add_hash_updates(writes, batch)
            self._push_lists(keys, writes)
            series = {contact_series(k[1], k[2], k[3]) for k in self.contacts}
            series |= {queue_series(group) for _, group in self.snapshots}
            series |= {voice_series(line, source) for _, line, source in self.voices}
            if series:
                writes.add("set", [keys.series_index], [json.dumps(sorted(series))])

    def updates(self) -> Updates:
        """The batch's hash updates per (family, 10 s bucket) — pure, no Redis."""
        fine: Updates = {}
        self._contact_updates(fine)
        self._queue_updates(fine)
        self._voice_updates(fine)
        return fine

    def _contact_updates(self, out: Updates) -> None:
        def update(family: str, b: int) -> HashUpdate:
            held = out.get((family, b))
            if held is None:
                held = out[family, b] = HashUpdate()
            return held

        for (b, line, reason, channel, group, handled, ok, in_sl), n in self.contacts.items():
            counters = update(lay.CONTACTS, b).incr
            name = lay.contact_field(line, reason, channel)
            counters[name] = counters.get(name, 0) + n
            counters = update(lay.LINES, b).incr
            counters[line] = counters.get(line, 0) + n
            metrics = ["offered", "answered" if ok else "abandoned", handled]
            if in_sl:
                metrics.append("answered_in_sl")
            for family, scope in ((lay.SERVICE, group), (lay.SERVICE_LINE, line),
                                  (lay.SERVICE_LINE, lay.TOTAL)):  # fmt: skip
                counters = update(family, b).incr
                for metric in metrics:
                    name = lay.metric_field(scope, metric)
                    counters[name] = counters.get(name, 0) + n
        for (b, group, line), (total, longest) in self.waits.items():
            for family, scope in ((lay.SERVICE, group), (lay.SERVICE_LINE, line),
                                  (lay.SERVICE_LINE, lay.TOTAL)):  # fmt: skip
                u = update(family, b)
                name = lay.metric_field(scope, "wait_sum")
                u.fincr[name] = u.fincr.get(name, 0.0) + total
                name = lay.metric_field(scope, "wait_max")
                u.maxes[name] = max(u.maxes.get(name, longest), longest)

    def _queue_updates(self, out: Updates) -> None:
        for (b, group), snap in self.snapshots.items():
            values: dict[str, float | str] = {f: getattr(snap, f) for f in lay.QUEUE_FIELDS}
            values["ts"] = snap.ts
            values["business_line"] = snap.business_line
            update = out.setdefault((lay.QUEUE, b), HashUpdate())
            update.newer[group] = (snap.ts, lay.encode_snapshot(values))

    def _voice_updates(self, out: Updates) -> None:
        for (b, line, source), values in self.voices.items():
            counters = out.setdefault((lay.VOICES, b), HashUpdate()).incr
            for metric, value in zip(lay.VOICE_METRICS, values, strict=True):
                counters[lay.voice_field(line, source, metric)] = value

    def _push_lists(self, keys: Keys, writes: BatchWrites) -> None:
        """Newest verbatims per series and the latest negative voices, masked on the way."""
        masked: dict[str, str] = {}

        def mask(text: str) -> str:
            if text not in masked:
                masked[text] = self.mask(text)
            return masked[text]

        ttl = self.retention.bucket_10s_s
        pushes = [
            (
                keys.verbatims(series),
                ttl,
                VERBATIMS_KEPT,
                [mask(t) for t in texts[-VERBATIMS_KEPT:]],
            )
            for series, texts in self.texts.items()
        ]
        negative = self.negative[-NEGATIVE_VOICES_KEPT:]
        samples = [_voice_sample(e, mask(e.text)) for e in negative]
        pushes.append((keys.negative_voices, 0, NEGATIVE_VOICES_KEPT, samples))
        add_list_pushes(writes, pushes)


def _voice_sample(e: VoiceEvent, text: str) -> str:
    """JSON matching :class:`datasources.aggregates.VoiceSample`."""
    return json.dumps(
        {
            "ts": e.ts,
            "business_line": e.business_line,
            "source": str(e.source),
            "text": text,
            "sentiment": e.sentiment,
            "reach": e.reach,
        },
        ensure_ascii=False,
    )
