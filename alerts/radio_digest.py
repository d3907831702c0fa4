"""Sending the nine o'clock digests: one per subscriber, once per morning.

:func:`send_digests` is what the worker's 09:00 job and ``gmd radio send-digest``
both run.  For each subscription it *claims* the (subscription, day) delivery row
first — so several workers, a restart or a second manual run never send twice —
then composes the channel's digest of yesterday (the same text the radio page shows)
and hands it to the notifier, recording sent or failed.  A failed delivery can be
claimed again by the next run.  Channels with nothing published yesterday send
nothing: an empty programme at 09:00 only teaches people to ignore the radio.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import date, datetime
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from tenacity import Retrying, retry_if_result, stop_after_attempt, wait_exponential

from alerts.radio import Digest, compose_digest, day_window, digest_day
from alerts.radio_models import RadioChannel
from alerts.ringing import Delivery, Notifier
from datasources.radio_store import RadioStore
from datasources.settings import Settings

log = logging.getLogger(__name__)

ATTEMPTS = 3


def deliver(notifier: Notifier, url: str, title: str, body: str, backoff_s: float) -> Delivery:
    """One digest to one URL through the alerts' notifier, retried with back-off."""
    retrying = Retrying(
        stop=stop_after_attempt(ATTEMPTS),
        wait=wait_exponential(multiplier=backoff_s, max=backoff_s * 8),
        retry=retry_if_result(lambda d: not d.ok),
        retry_error_callback=lambda state: state.outcome.result(),  # type: ignore[union-attr]
    )
    delivery: Delivery = retrying(lambda: notifier.send([url], title, body)[0])
    return delivery


@dataclass
class DigestRun:
    """What one run did, for the log line and the CLI."""

    day: date
    sent: list[str] = field(default_factory=list)
    already: list[str] = field(default_factory=list)
    empty: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)


def radio_link(base_url: str, channel: str, day: date) -> str:
    """The radio page showing this channel's digest for this day."""
    query = urlencode({"channel": channel, "day": day.isoformat()})
    return f"{base_url.rstrip('/')}/radio?{query}"


def channel_digest(
    store: RadioStore, channel: RadioChannel, day: date, settings: Settings, language: str
) -> Digest:
    """The digest of one channel for one local day (page and delivery share this)."""
    tz = ZoneInfo(settings.radio.timezone)
    start, end = day_window(day, tz)
    return compose_digest(
        channel.name(language),
        day,
        store.published_between(channel.id, start, end),
        threshold=settings.radio.similarity,
        max_groups=settings.radio.max_groups,
        link=radio_link(settings.base_url, channel.slug, day),
        language=language,
    )


def send_digests(
    store: RadioStore,
    notifier: Notifier,
    settings: Settings,
    *,
    now: float,
    day: date | None = None,
    backoff_s: float = 1.0,
) -> DigestRun:
    """Send every subscriber their channel's digest of ``day`` (default: yesterday)."""
    tz = ZoneInfo(settings.radio.timezone)
    day = day or digest_day(datetime.fromtimestamp(now, tz), tz)
    run = DigestRun(day)
    channels = {c.id: c for c in store.channels()}
    digests: dict[int, Digest] = {}
    for sub in store.subscriptions():
        channel = channels.get(sub.channel_id)
        if channel is None:
            continue
        who = f"{sub.subscriber}@{channel.slug}"
        if sub.channel_id not in digests:
            digests[sub.channel_id] = channel_digest(
                store, channel, day, settings, settings.language
            )
        digest = digests[sub.channel_id]
        if not digest.groups:
            run.empty.append(who)
            continue
        delivery = store.claim_delivery(sub.id, day.isoformat(), now=now)
        if delivery is None:
            run.already.append(who)
            continue
        result = deliver(notifier, sub.url, digest.title, digest.body, backoff_s)
        store.finish_delivery(
            delivery, ok=result.ok, now=now, cases=digest.case_count, error=result.error or None
        )
        if result.ok:
            run.sent.append(who)
        else:
            log.warning("radio digest to %s failed: %s", who, result.error)
            run.failed.append(who)
    log.info(
        "radio digests for %s: %d sent, %d already sent, %d empty, %d failed",
        day,
        len(run.sent),
        len(run.already),
        len(run.empty),
        len(run.failed),
    )
    return run
