"""Every Redis key and stream name, from templates in one place.

Nothing else in the code base spells a key by hand: build a :class:`Keys` from
the settings' prefix and ask it.  Tests give each run its own prefix, so a shared
Redis server is never polluted and cleaning up is one ``SCAN`` on ``prefix:*``.

An id a producer chose (a conversation or customer id) is one key segment, escaped
(:func:`segment`), and sits behind a fixed segment of its own (``conv:utt:<id>``), so
no id can spell another key: a conversation called ``live`` is ``conv:utt:live``,
never the ``conv:live`` index.  Escaping ``{`` and ``}`` also keeps ids from choosing
a Redis Cluster hash slot.

Partitions (:mod:`datasources.partitions`): a :class:`Keys` names the keys of one
partition (:meth:`Keys.of`; 0 unless asked).  With one partition on one server the
names are ``<prefix>:<rest>``; otherwise every key a batch from partition ``p`` writes
is ``<prefix>:{<tag of p>}:<rest>``, so all of them share one cluster hash slot.  Keys
no batch writes — heartbeats, the alerts counter — carry no tag; the detector's state,
locks and anomalies are partition 0's.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from datasources.partitions import partition_tags
from datasources.settings import Settings, StreamNames

RESOLUTIONS: dict[str, int] = {"10s": 10, "1m": 60, "1h": 3600}
"""Aggregate bucket resolutions, name → seconds."""

FEED_GROUP = "gmd-workers"
"""Consumer group shared by every worker reading the feed streams."""

ALERTS_GROUP = "gmd-alerts"
"""Consumer group reading the ``anomalies`` stream into alerts."""

_ESCAPES = str.maketrans({"%": "%25", ":": "%3A", "{": "%7B", "}": "%7D"})


def segment(value: str) -> str:
    """A producer's id as one key segment: ``%``, ``:``, ``{`` and ``}`` percent-encoded,
    so it can neither add segments nor name a hash slot."""
    return value.translate(_ESCAPES)


@dataclass(frozen=True)
class Keys:
    """Key templates bound to one prefix (``gmd`` in production)."""

    prefix: str
    streams: StreamNames = field(default_factory=StreamNames)
    cluster: bool = False
    """On a Redis Cluster every partition's keys carry its hash tag, even with one."""
    partition: int = 0
    """The partition these templates name."""

    @classmethod
    def from_settings(cls, settings: Settings) -> Keys:
        """The deployment's keys (partition 0; :meth:`every` for all of them)."""
        return cls(settings.redis_prefix, settings.streams, cluster=settings.redis_cluster)

    @property
    def partitions(self) -> int:
        """How many partitions the deployment has."""
        return self.streams.partitions

    def of(self, partition: int) -> Keys:
        """The same templates, for another partition."""
        return replace(self, partition=partition)

    def every(self) -> tuple[Keys, ...]:
        """One :class:`Keys` per partition, in order (readers merge what they read)."""
        return tuple(self.of(p) for p in range(self.partitions))

    @property
    def scope(self) -> str:
        """What the keys of this partition start with (the prefix, and the hash tag)."""
        if self.partitions == 1 and not self.cluster:
            return self.prefix
        return f"{self.prefix}:{{{partition_tags(self.partitions)[self.partition]}}}"

    def stream(self, name: str) -> str:
        """A stream by its logical name (``contacts``, ``queue``, ``anomalies`` …)."""
        return f"{self.scope}:stream:{getattr(self.streams, name)}"

    @property
    def feed_streams(self) -> dict[str, str]:
        """Logical name → key of the four input feeds."""
        return {n: self.stream(n) for n in ("contacts", "queue", "voices", "conversations")}

    @property
    def deadletter(self) -> str:
        return self.stream("deadletter")

    @property
    def anomalies(self) -> str:
        return self.stream("anomalies")

    def aggregate(self, family: str, resolution: str, bucket: int) -> str:
        """Hash of one aggregate family (``contacts``, ``service``, ``queue``, ``voices``)
        for the bucket starting at epoch second ``bucket``."""
        return f"{self.scope}:agg:{family}:{resolution}:{bucket}"

    @property
    def watermark(self) -> str:
        """Hash: feed name → latest event time (epoch seconds) seen by any worker."""
        return f"{self.scope}:watermark"

    @property
    def feed_counts(self) -> str:
        """Hash: feed name → events applied since the deployment began (the worker's own
        count, committed with each batch: applied + dead-lettered = read)."""
        return f"{self.scope}:feed:counted"

    @property
    def deadletter_counts(self) -> str:
        """Hash: feed name → entries dead-lettered, committed with each batch."""
        return f"{self.scope}:feed:deadlettered"

    @property
    def feed_seen(self) -> str:
        """Hash: feed name → wall-clock time a worker last processed one of its events."""
        return f"{self.scope}:feed:seen"

    def worker_heartbeat(self, worker: str) -> str:
        """Key with a TTL, present while the named worker is alive."""
        return f"{self.prefix}:worker:{worker}"

    def worker_fence(self, worker: str) -> str:
        """Counter bumped when another worker claims this worker's pending entries of this
        partition; the commit script checks it, so a batch the worker no longer owns is
        never applied twice."""
        return f"{self.scope}:worker:fence:{worker}"

    @property
    def worker_fence_prefix(self) -> str:
        """``worker_fence(name)`` is this prefix plus the name (the claim script builds it)."""
        return f"{self.scope}:worker:fence:"

    @property
    def negative_voices(self) -> str:
        """Capped list (newest first) of the latest negative external voices, masked JSON."""
        return f"{self.scope}:voices:negative"

    def verbatims(self, series: str) -> str:
        """Capped list of recent masked verbatims behind one series."""
        return f"{self.scope}:verbatims:{series}"

    @property
    def series_index(self) -> str:
        """Set of every series id seen, so detection and pages know what exists."""
        return f"{self.scope}:series"

    @property
    def detector_state(self) -> str:
        """Serialized detector baselines, so a restarted worker resumes where it was (in
        partition 0, beside the anomalies stream the detector publishes to: one slot)."""
        return f"{self.scope}:detector:state"

    def detect_lock(self, bucket: int) -> str:
        """``SET NX`` lock: exactly one worker runs detection for one closed bucket (in
        partition 0 with the detector's state, so a failover that rolls one back rolls
        back both)."""
        return f"{self.scope}:detect:lock:{bucket}"

    @property
    def open_anomalies(self) -> str:
        """Hash: anomaly fingerprint → JSON of the anomaly while it is ongoing."""
        return f"{self.prefix}:anomalies:open"

    def conversation(self, conversation_id: str) -> str:
        """Stream-like list of one live conversation's masked utterances."""
        return f"{self.scope}:conv:utt:{segment(conversation_id)}"

    @property
    def live_conversations(self) -> str:
        """Sorted set: conversation id → last utterance time (live = recent)."""
        return f"{self.scope}:conv:live"

    def conversation_meta(self, conversation_id: str) -> str:
        """Hash of one conversation's context (business line, reason, channel, group …)."""
        return f"{self.scope}:conv:meta:{segment(conversation_id)}"

    def live_conversations_on(self, business_line: str, reason: str) -> str:
        """Sorted set like :attr:`live_conversations`, for one business line and reason
        (the "listen to customers on this topic" deep link reads it directly)."""
        return f"{self.scope}:conv:live:{business_line}:{reason}"

    def customer_contacts(self, customer_id: str) -> str:
        """Capped list of one customer's recent contacts (JSON), newest first."""
        return f"{self.scope}:customer:contacts:{segment(customer_id)}"

    def transcript_flag(self, conversation_id: str, rule: str) -> str:
        """``SET NX`` marker: this conversation was already flagged by this rule."""
        return f"{self.scope}:conv:flag:{segment(conversation_id)}:{segment(rule)}"

    @property
    def alerts_changed(self) -> str:
        """Counter bumped on every alert change so walls refresh the alert panel cheaply."""
        return f"{self.prefix}:alerts:version"

    @property
    def all_keys_pattern(self) -> str:
        return f"{self.prefix}:*"
