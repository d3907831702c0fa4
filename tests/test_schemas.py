"""The feed contract: every stream's schema, valid and invalid, in both wire forms."""

from __future__ import annotations

import json
from typing import Any

import pytest

from datasources.schemas import (
    EXAMPLE_FIELDS,
    FEEDS,
    Channel,
    ContactEvent,
    InvalidEvent,
    QueueSnapshot,
    Speaker,
    Utterance,
    VoiceEvent,
    feed_of,
    parse_event,
    to_epoch_s,
    to_fields,
    wire_bytes,
)

MIDNIGHT_S = 1794326400.0  # 2026-11-11T00:00:00+08:00
MIDNIGHT_ISO = "2026-11-10T16:00:00Z"
VALID = EXAMPLE_FIELDS

MODELS = {
    "contacts": ContactEvent,
    "queue": QueueSnapshot,
    "voices": VoiceEvent,
    "conversations": Utterance,
}


@pytest.mark.parametrize("feed", FEEDS)
def test_valid_plain_fields_parse_and_round_trip(feed: str) -> None:
    event = parse_event(feed, VALID[feed])
    assert isinstance(event, MODELS[feed])
    assert event.ts == MIDNIGHT_S
    assert feed_of(event) == feed
    assert parse_event(feed, to_fields(event)) == event


@pytest.mark.parametrize("feed", FEEDS)
def test_json_form_with_native_types_and_iso_time(feed: str) -> None:
    data: dict[str, Any] = dict(VALID[feed], ts=MIDNIGHT_ISO)
    for key, value in data.items():
        if key != "v" and value.lstrip("-").replace(".", "", 1).isdigit():
            data[key] = json.loads(value)
    plain = parse_event(feed, VALID[feed])
    assert parse_event(feed, {"json": json.dumps(data, ensure_ascii=False)}) == plain


def test_json_form_may_carry_v_beside_the_object() -> None:
    data = {k: v for k, v in VALID["voices"].items() if k != "v"}
    event = parse_event("voices", {"v": "1", "json": json.dumps(data)})
    assert isinstance(event, VoiceEvent)


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("1794326400000", MIDNIGHT_S),
        ("1794326400123.5", 1794326400.1235),
        (1794326400000, MIDNIGHT_S),
        ("2026-11-10T16:00:00Z", MIDNIGHT_S),
        ("2026-11-10T16:00:00+00:00", MIDNIGHT_S),
        ("2026-11-11T00:00:00+08:00", MIDNIGHT_S),
        ("2026-11-10T16:00:00", MIDNIGHT_S),
        ("2026-11-10T16:00:00.250Z", MIDNIGHT_S + 0.25),
    ],
)
def test_time_forms(given: object, expected: float) -> None:
    assert to_epoch_s(given) == pytest.approx(expected)


@pytest.mark.parametrize(
    ("feed", "change", "field"),
    [
        ("contacts", {"ts": "1794326400"}, "ts"),  # epoch seconds, not ms
        ("contacts", {"ts": "yesterday"}, "ts"),
        ("contacts", {"ts": "nan"}, "ts"),
        ("contacts", {"channel": "fax"}, "channel"),
        ("contacts", {"handled_by": "intern"}, "handled_by"),
        ("contacts", {"outcome": "maybe"}, "outcome"),
        ("contacts", {"waited_s": "-1"}, "waited_s"),
        ("contacts", {"waited_s": "inf"}, "waited_s"),
        ("contacts", {"sentiment": "1.5"}, "sentiment"),
        ("contacts", {"business_line": "tm:all"}, "business_line"),
        ("contacts", {"reason": "*"}, "reason"),
        ("contacts", {"v": "2"}, "v"),
        ("queue", {"waiting": "-3"}, "waiting"),
        ("queue", {"agents_busy": "many"}, "agents_busy"),
        ("queue", {"longest_wait_s": "-0.5"}, "longest_wait_s"),
        ("voices", {"source": "tiktok"}, "source"),
        ("voices", {"reach": "-1"}, "reach"),
        ("voices", {"sentiment": "-1.01"}, "sentiment"),
        ("conversations", {"speaker": "manager"}, "speaker"),
        ("conversations", {"seq": "x"}, "seq"),
        ("conversations", {"final": "perhaps"}, "final"),
    ],
)
def test_invalid_values_name_the_field(feed: str, change: dict[str, str], field: str) -> None:
    with pytest.raises(InvalidEvent) as caught:
        parse_event(feed, VALID[feed] | change)
    message = str(caught.value)
    assert message.startswith(f"{field}:")
    assert "\n" not in message


@pytest.mark.parametrize(
    ("feed", "field"),
    [(feed, field) for feed in FEEDS for field in ("v", "ts", "business_line")]
    + [("contacts", "reason"), ("voices", "text"), ("conversations", "conversation_id")],
)
def test_missing_required_field(feed: str, field: str) -> None:
    fields = {k: v for k, v in VALID[feed].items() if k != field}
    with pytest.raises(InvalidEvent, match=f"^{field}: missing$"):
        parse_event(feed, fields)


def test_empty_optional_fields_mean_absent() -> None:
    event = parse_event("contacts", VALID["contacts"] | {"verbatim": "", "sentiment": ""})
    assert isinstance(event, ContactEvent)
    assert event.verbatim is None and event.sentiment is None
    assert "verbatim" not in to_fields(event)


def test_unknown_fields_are_ignored_for_forward_compatibility() -> None:
    event = parse_event("contacts", VALID["contacts"] | {"region": "hangzhou"})
    assert isinstance(event, ContactEvent)


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"json": "{not json"}, "json: not valid JSON"),
        ({"json": "[1, 2]"}, "json: expected a JSON object"),
    ],
)
def test_bad_json_field(fields: dict[str, str], message: str) -> None:
    with pytest.raises(InvalidEvent, match=f"^{message}"):
        parse_event("contacts", fields)


def test_unknown_feed() -> None:
    with pytest.raises(InvalidEvent, match=r"^feed: unknown feed"):
        parse_event("orders", VALID["contacts"])


def test_enums_are_strings_and_flags_round_trip() -> None:
    event = parse_event("conversations", VALID["conversations"] | {"final": "true"})
    assert isinstance(event, Utterance)
    assert event.final is True and event.speaker is Speaker.CUSTOMER
    assert str(event.speaker) == "customer"
    assert event.channel is Channel.HOTLINE
    assert to_fields(event)["final"] == "1"


@pytest.mark.parametrize("feed", FEEDS)
def test_wire_bytes_match_to_fields(feed: str) -> None:
    event = parse_event(feed, VALID[feed] | {"verbatim": "", "final": "1"})
    args = [arg.decode() for arg in wire_bytes(event)]
    assert dict(zip(args[::2], args[1::2], strict=True)) == to_fields(event)


def test_json_numbers_are_accepted_for_text_fields() -> None:
    data = dict(VALID["contacts"], v=1, contact_id=12345, ts=1794326400000, waited_s=3)
    event = parse_event("contacts", {"json": json.dumps(data, ensure_ascii=False)})
    assert isinstance(event, ContactEvent)
    assert event.v == "1" and event.contact_id == "12345" and event.waited_s == 3.0
