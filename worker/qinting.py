"""Worker stages for qinting: keep live transcripts, and flag alarming words at once.

:class:`ConversationStage` stores each utterance masked (and each customer's recent
contacts) for the listening page.  :class:`TranscriptRuleStage` scans customer
utterances with the transcript rules and, for a match, adds a ``transcript_flag``
anomaly to the ``anomalies`` stream inside the same batch transaction — no bucket
to wait for, the alert intake turns it into a routed, rung alert within seconds.

"One flag per conversation and rule" is enforced in Redis by the batch script's
``xadd_once`` write: ``SET NX`` a marker, and ``XADD`` only if the marker was new.  A
batch redelivered after a crash therefore adds nothing twice, and two workers can
never both flag the same conversation for the same rule.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import redis

from alerts.radio import digest_due
from alerts.radio_digest import DigestRun, send_digests
from alerts.ringing import AppriseNotifier, Notifier
from alerts.transcript_rules import RuleFileError, RuleMatch, RuleSet, flag_anomaly, load_rules
from datasources.batch import BatchWrites
from datasources.conversations import ConversationStore
from datasources.db import make_engine, make_sessionmaker
from datasources.health import OutageLog
from datasources.keys import Keys
from datasources.radio_store import RadioStore
from datasources.schemas import ContactEvent, Utterance
from datasources.settings import ConfigError, Settings

log = logging.getLogger(__name__)


class ConversationStage:
    """Live transcripts (``conversations``) and customers' recent contacts (``contacts``)."""

    feeds = frozenset({"conversations", "contacts"})

    def __init__(self, store: ConversationStore) -> None:
        self.store = store

    @classmethod
    def from_settings(cls, settings: Settings, client: redis.Redis) -> ConversationStage:
        keys = Keys.from_settings(settings)
        return cls(ConversationStore(client, keys, settings.qinting))

    def apply(self, feed: str, events: Sequence[Any], writes: BatchWrites) -> None:
        if feed == "conversations":
            self.store.record_utterances(
                [e for e in events if isinstance(e, Utterance)], pipeline=writes
            )
        elif feed == "contacts":
            self.store.record_contacts(
                [e for e in events if isinstance(e, ContactEvent)], pipeline=writes
            )


class TranscriptRuleStage:
    """Flags a live conversation the moment a customer says a rule's words."""

    feeds = frozenset({"conversations"})

    def __init__(self, rules: RuleSet, keys: Keys, *, flag_ttl_s: int, maxlen: int) -> None:
        self.rules = rules
        self.keys = keys
        self.flag_ttl_s = flag_ttl_s
        self.maxlen = maxlen

    @classmethod
    def from_settings(cls, settings: Settings) -> TranscriptRuleStage:
        """The stage with the configured rules; a bad rules file is a :class:`ConfigError`."""
        try:
            rules = load_rules(settings.qinting.rules_file)
        except RuleFileError as exc:
            raise ConfigError(f"GMD_QINTING__RULES_FILE: {exc}") from None
        keys = Keys.from_settings(settings)
        return cls(
            rules,
            keys,
            flag_ttl_s=settings.qinting.flag_ttl_s,
            maxlen=settings.retention.stream_maxlen,
        )

    def apply(self, feed: str, events: Sequence[Any], writes: BatchWrites) -> None:
        for event in events:
            if not isinstance(event, Utterance):
                continue
            for match in self.rules.match(event.text, event.speaker.value):
                self.flag(event, match, writes)

    def flag(self, utterance: Utterance, match: RuleMatch, writes: BatchWrites) -> None:
        """Describe "add this anomaly unless this conversation was flagged for this rule"."""
        fields = flag_anomaly(utterance, match).to_fields()
        keys = self.keys.of(writes.partition)
        marker = keys.transcript_flag(utterance.conversation_id, match.rule.id)
        entry = {"v": fields["v"], "json": fields["json"]}
        writes.xadd_once(marker, self.flag_ttl_s, keys.anomalies, entry, self.maxlen)


class RadioTicker:
    """Sends the nine o'clock digests from the worker loop.

    Every ``interval_s`` it asks :func:`alerts.radio.digest_due` (APScheduler's cron
    trigger in ``radio.timezone``) whether today's digest time has passed; once per day
    per worker it then sends in a background thread, so a slow chat tool never stalls
    the feeds.  A worker that was down at 09:00 catches up when it returns, and several
    workers are harmless: each delivery is claimed in the database first.  A run that
    failed (the database away) is one log line and is tried again on the next tick.
    """

    interval_s = 30.0

    def __init__(self, settings: Settings, store: RadioStore, notifier: Notifier) -> None:
        self.settings = settings
        self.store = store
        self.notifier = notifier
        self.tz = ZoneInfo(settings.radio.timezone)
        self.done_for: date | None = None
        self._pool = ThreadPoolExecutor(1, thread_name_prefix="gmd-radio")
        self.running: Future[DigestRun] | None = None
        self._checked: Future[DigestRun] | None = None
        self._failures = OutageLog(log, "the nine o'clock digest")

    def health(self) -> str:
        return "retrying" if self._failures.down else "ok"

    @classmethod
    def from_settings(cls, settings: Settings) -> RadioTicker:
        engine = make_engine(settings.effective_database_url)
        notifier = AppriseNotifier(settings.alerts.ring_timeout_s)
        return cls(settings, RadioStore(make_sessionmaker(engine)), notifier)

    def tick(self) -> None:
        running = self.running
        if running is not None:
            if not running.done():
                return
            if running is not self._checked:
                self._checked = running
                failed = running.exception()
                if failed is not None:  # the database was away: try again on the next tick
                    self._failures.failed(failed)
                    self.done_for = None
                else:
                    self._failures.ok()
        now = datetime.now(self.tz)
        if not digest_due(now, self.settings.radio.digest_time, self.tz, self.done_for):
            return
        self.done_for = now.date()
        self.running = self._pool.submit(
            send_digests, self.store, self.notifier, self.settings, now=now.timestamp()
        )

    def stop(self) -> None:
        """Let a digest being sent finish (its deliveries are claimed), then stop."""
        self._pool.shutdown(wait=True)
