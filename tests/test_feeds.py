"""The producer and the dead letter, on a real Redis."""

from __future__ import annotations

import json

import pytest
import redis

from datasources.catalog import BUSINESS_LINES, REASONS, SKILL_GROUPS, codes, label
from datasources.feeds import (
    DEAD_FIELDS_MAX,
    DEAD_VALUE_MAX,
    FeedWriter,
    dead_letter_fields,
    read_dead_letters,
    write_dead_letter,
)
from datasources.keys import Keys
from datasources.schemas import EXAMPLE_FIELDS as VALID
from datasources.schemas import InvalidEvent, QueueSnapshot, parse_event


@pytest.mark.integration
def test_publish_round_trips_through_the_stream(redis_client: redis.Redis, keys: Keys) -> None:
    writer = FeedWriter(redis_client, keys, maxlen=1000)
    events = {feed: parse_event(feed, fields) for feed, fields in VALID.items()}
    pipe = redis_client.pipeline(transaction=False)
    for feed, event in events.items():
        writer.publish(feed, event, pipeline=pipe)
    assert redis_client.xlen(keys.stream("contacts")) == 0  # only queued so far
    pipe.execute()
    for feed, event in events.items():
        entries: list[tuple[str, dict[str, str]]] = redis_client.xrange(keys.stream(feed))  # type: ignore[assignment]
        [(_entry_id, fields)] = entries
        assert parse_event(feed, fields) == event


@pytest.mark.integration
def test_publish_many_trims_approximately(redis_client: redis.Redis, keys: Keys) -> None:
    writer = FeedWriter(redis_client, keys, maxlen=1000)
    event = parse_event("queue", VALID["queue"])
    assert isinstance(event, QueueSnapshot)
    assert writer.publish_many("queue", [event] * 5000) == 5000
    length = redis_client.xlen(keys.stream("queue"))
    assert 1000 <= length < 5000


@pytest.mark.integration
def test_wrong_feed_is_refused(redis_client: redis.Redis, keys: Keys) -> None:
    writer = FeedWriter(redis_client, keys, maxlen=1000)
    with pytest.raises(ValueError, match="does not belong on feed 'voices'"):
        writer.publish("voices", parse_event("queue", VALID["queue"]))


@pytest.mark.integration
def test_dead_letter_keeps_original_fields_and_reason(
    redis_client: redis.Redis, keys: Keys
) -> None:
    bad = VALID["contacts"] | {"channel": "fax"}
    entry_id = redis_client.xadd(keys.stream("contacts"), bad)  # type: ignore[arg-type]
    with pytest.raises(InvalidEvent) as caught:
        parse_event("contacts", bad)
    with redis_client.pipeline(transaction=True) as pipe:
        write_dead_letter(pipe, keys, "contacts", str(entry_id), bad, str(caught.value))
        pipe.execute()
    [letter] = read_dead_letters(redis_client, keys)
    assert letter["dl_feed"] == "contacts"
    assert letter["dl_entry_id"] == entry_id
    assert letter["dl_reason"].startswith("channel:")
    assert letter["reason"] == "coupon_not_applied"  # the event's own field survives
    assert letter["verbatim"] == "优惠券用不了，我的手机138****5678"  # masked like all text
    kept = {k: v for k, v in letter.items() if not k.startswith("dl_") and k != "verbatim"}
    assert kept == {k: v for k, v in bad.items() if k != "verbatim"}


PHONE = "13812345678"


@pytest.mark.parametrize(
    ("fields", "reason", "expected"),
    [
        # Free text masked; a valid ts kept as sent (mask_pii would read 13 digits as a card).
        ({"ts": "1794326400000", "verbatim": f"电话{PHONE}"}, "r",
         {"ts": "1794326400000", "verbatim": "电话138****5678"}),
        # A phone where the time belongs is not a time: masked.
        ({"ts": PHONE}, "r", {"ts": "138****5678"}),
        # Bytes that are not UTF-8 (the reader keeps them as surrogates) shown as \xNN.
        ({"verb\udcffatim": "ab\udcfe\udc80 ok"}, "r", {"verb\\xffatim": "ab\\xfe\\x80 ok"}),
        # Inside a json field each value is masked, the shape and a valid ts survive.
        ({"json": f'{{"ts": 1794326400000, "customer_id": {PHONE}, "text": "{PHONE}"}}'}, "r",
         {"json": '{"ts": 1794326400000, "customer_id": "138****5678", "text": "138****5678"}'}),
        # Half a character escaped in JSON ("\ud800", here in a value and in a name) stays
        # the escape: decoded, no UTF-8 store could hold it (the feed fuzzer found the
        # worker stopping, again on every restart, writing such a dead letter).
        ({"json": '{"text": "a\\ud800b", "k\\udfff": 1}'}, "r",
         {"json": '{"text": "a\\ud800b", "k\\udfff": 1}'}),
        # A reason quoting personal data is masked too.
        ({}, f"channel: bad (got '{PHONE}')", {}),
    ],
)  # fmt: skip
def test_dead_letter_fields_are_masked_and_safe(
    fields: dict[str, str], reason: str, expected: dict[str, str]
) -> None:
    letter = dead_letter_fields("contacts", "1-0", fields, reason)
    assert {k: v for k, v in letter.items() if not k.startswith("dl_")} == expected
    assert all(text.encode() for pair in letter.items() for text in pair)
    assert PHONE not in letter["dl_reason"]
    assert letter["dl_feed"] == "contacts" and letter["dl_entry_id"] == "1-0"


@pytest.mark.parametrize("cut", [False, True])
def test_personal_data_in_ascii_escaped_json_is_masked_however_long_or_broken(cut: bool) -> None:
    """A producer writing ``ensure_ascii`` JSON sends ``\\u5230`` for 到, glued to the card
    number that follows; a json field too long to parse (or cut short) was masked as raw
    text, where the card reads as part of a longer run and stayed readable (found by
    bench/fuzz.py in the dead-letter stream)."""
    card = "6222 0212 3456 7890"
    body = json.dumps({"v": "1", "text": f"退款退到{card}", "pad": "很" * 3000})
    assert "\\u5230" + card in body and len(body) > 4 * DEAD_VALUE_MAX
    raw = body[: len(body) // 2] if cut else body
    letter = dead_letter_fields("voices", "1-0", {"json": raw}, "text: too long")
    assert card not in letter["json"] and "3456 7890" not in letter["json"], letter["json"][:200]
    assert "退款退到" in letter["json"]  # readable for the operator


def test_dead_letter_keeps_a_bounded_copy() -> None:
    fields = {f"f{n}": "很" * 5000 for n in range(100)}
    letter = dead_letter_fields("voices", "1-0", fields, "x" * 1000)
    assert letter["dl_more_fields"] == str(100 - DEAD_FIELDS_MAX)
    assert letter["f0"].endswith(f"…(+{5000 - DEAD_VALUE_MAX:,} characters)")
    assert len(letter["dl_reason"]) < 400


def test_catalog_is_big_enough_and_bilingual() -> None:
    assert len(BUSINESS_LINES) >= 6 and len(REASONS) >= 20
    assert all(line in SKILL_GROUPS for line in BUSINESS_LINES)
    assert label("reason", "refund", "zh") == "退款"
    assert label("reason", "refund", "en") == "Refund"
    assert label("skill_group", "tmall-presale", "zh") == "天猫售前"
    assert label("skill_group", "tmall-presale", "en") == "Tmall pre-sales"
    assert label("business_line", "*", "en") == "All"
    assert label("business_line", "newline", "en") == "newline"
    assert len(codes("skill_group")) == sum(len(g) for g in SKILL_GROUPS.values())


@pytest.mark.integration
def test_publish_mixed_routes_each_event_to_its_feed(redis_client: redis.Redis, keys: Keys) -> None:
    writer = FeedWriter(redis_client, keys, maxlen=1000)
    items = [(feed, parse_event(feed, fields)) for feed, fields in VALID.items()] * 3
    assert writer.publish_mixed(items) == 12
    assert all(redis_client.xlen(keys.stream(feed)) == 3 for feed in VALID)
    with pytest.raises(ValueError, match="does not belong"):
        writer.publish_mixed([("voices", items[0][1])])
