"""The feed contract: one versioned schema per Redis stream.

Producers in any language write plain field/value pairs (``XADD key * v 1 ts …``)
or one ``json`` field holding the whole object.  Times are UTC ISO-8601 strings or
epoch milliseconds; inside the product every ``ts`` is a float of epoch seconds.
:func:`parse_event` is the only door into the product: it turns raw stream fields
into a typed event or raises :class:`InvalidEvent` whose message is one line naming
the offending field, which the worker files in the dead-letter stream.

Parsing is on the worker's hot path (every event, tens of thousands per second), so
validation is pydantic-core's compiled lax mode with one small Python hook for
times; no per-field Python code otherwise.  ``docs/feeds.md`` is the human contract.

Every value has a bounded range: a time inside the accepted window (from 2000 to a
few minutes ahead of this server's clock), finite numbers no larger than what the
aggregates can sum (a 64-bit counter per bucket).  Whatever a producer writes, the
outcome is an event or :class:`InvalidEvent`, never another exception: one entry
must cost only itself.
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Mapping
from datetime import UTC, datetime
from enum import StrEnum
from functools import lru_cache
from typing import Annotated, Any, Final, get_args, get_origin

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
    ValidationInfo,
)

from alerts.masking import mask_pii

SCHEMA_VERSION: Final = "1"

FEEDS: Final = ("contacts", "queue", "voices", "conversations")
"""Logical names of the input streams, in the order the worker reads them."""

MIN_EPOCH_MS: Final = 1e11
"""Epoch values below this (1973) are surely seconds sent where milliseconds belong."""
EARLIEST_S: Final = 946_684_800.0
"""2000-01-01T00:00:00Z: older times are a producer's bug, not a late event."""
AHEAD_S: Final = 300.0
"""How far ahead of this server's clock an event may be stamped (producers' clocks
drift).  No event can move a watermark — the pages' "now" — further than this."""
MAX_SECONDS: Final = 86_400.0
"""Longest wait a contact or queue may report: a day."""
MAX_COUNT: Final = 1_000_000_000
"""Largest queue count or sequence number."""
MAX_REACH: Final = 10_000_000_000
"""Largest reach of one voice (more than anyone's audience).  Reach is summed per bucket
in a 64-bit counter: 9.2e18 / 1e10 leaves room for 900 million voices in one bucket."""
MAX_JSON_DEPTH: Final = 64
"""Deepest nesting a ``json`` field may have (an event is one flat object; unknown fields
may hold structures of their own)."""
TEXT_FIELDS: Final = frozenset({"verbatim", "text"})
"""Free text: a reason never quotes it (it may hold personal data)."""
QUOTE_MAX: Final = 40
"""A reason quotes a rejected value only when it is this short (else its length)."""


class InvalidEvent(ValueError):
    """An event broke the contract; the message is one line naming the field."""


class Channel(StrEnum):
    ROBOT = "robot"
    CHAT = "chat"
    HOTLINE = "hotline"
    APP_MESSAGE = "app_message"
    EMAIL = "email"


class HandledBy(StrEnum):
    ROBOT = "robot"
    AGENT = "agent"
    CLOUD_AGENT = "cloud_agent"


class Outcome(StrEnum):
    ANSWERED = "answered"
    ABANDONED = "abandoned"


class Speaker(StrEnum):
    CUSTOMER = "customer"
    AGENT = "agent"
    ROBOT = "robot"


class VoiceSource(StrEnum):
    WEIBO = "weibo"
    DOUYIN = "douyin"
    XIAOHONGSHU = "xiaohongshu"
    REVIEW = "review"
    NEWS = "news"
    FORUM = "forum"


def to_epoch_s(value: Any) -> float:
    """Epoch seconds from epoch milliseconds (number or digits) or a UTC ISO-8601 string.

    Naive ISO times are taken as UTC.  Epoch *seconds* are refused on purpose: a
    10-digit number read as milliseconds would silently land in 1970.  The common
    case (digits) is one ``float()`` call: this runs for every event.
    """
    if isinstance(value, bool):
        raise ValueError("expected UTC ISO-8601 or epoch milliseconds")
    try:
        ms = float(value)
    except (TypeError, ValueError):
        return _iso_to_epoch_s(value)
    except OverflowError:  # an int too large for a float
        raise ValueError("outside the accepted window") from None
    if not MIN_EPOCH_MS <= ms < math.inf:
        raise ValueError("expected epoch milliseconds (this looks like seconds or is invalid)")
    return ms / 1000.0


def _timestamp(value: Any, info: ValidationInfo) -> float:
    """:func:`to_epoch_s`, then — for events coming through :func:`parse_event`, whose
    context holds the window's end — the accepted window.  Events the product builds
    itself (the simulator schedules a conversation's later turns ahead) skip it."""
    ts = to_epoch_s(value)
    if info.context is None:
        return ts
    if ts < EARLIEST_S:
        raise ValueError("before 2000-01-01, outside the accepted window")
    if ts > info.context[LATEST]:
        raise ValueError(f"more than {AHEAD_S:.0f} s ahead of the server's clock")
    return ts


def _iso_to_epoch_s(value: Any) -> float:
    if isinstance(value, datetime):
        parsed = value
    elif isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value.strip())
        except ValueError:
            raise ValueError("expected UTC ISO-8601 or epoch milliseconds") from None
    else:
        raise ValueError("expected UTC ISO-8601 or epoch milliseconds")
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    try:
        return parsed.timestamp()
    except (OverflowError, OSError, ValueError):  # year 1 at +14:00 is before year 1
        raise ValueError("outside the accepted window") from None


LATEST: Final = "latest"
"""Validation-context key: the latest time an event may carry (clock + :data:`AHEAD_S`)."""
Timestamp = Annotated[float, BeforeValidator(_timestamp)]


@lru_cache(maxsize=4096)
def _not_personal(code: str) -> str:
    """Codes are stored as sent (series ids, key names, every wall), so one the masking
    would change — a phone number as a business line — is refused.  Cached: a
    deployment has a few hundred codes."""
    if mask_pii(code) != code:
        raise ValueError("looks like personal data; codes are shown unmasked")
    return code


Code = Annotated[
    str, StringConstraints(pattern=r"^[A-Za-z0-9_.\-]{1,64}$"), AfterValidator(_not_personal)
]
"""Business lines, reasons, skill groups: they become parts of series ids, so no ``:``."""
Ident = Annotated[str, StringConstraints(min_length=1, max_length=128)]
Text = Annotated[str, StringConstraints(max_length=8000)]
Sentiment = Annotated[float, Field(ge=-1.0, le=1.0, allow_inf_nan=False)]
Seconds = Annotated[float, Field(ge=0.0, le=MAX_SECONDS, allow_inf_nan=False)]
Count = Annotated[int, Field(ge=0, le=MAX_COUNT)]
Reach = Annotated[int, Field(ge=0, le=MAX_REACH)]


class _Event(BaseModel):
    """Shared configuration: immutable, unknown fields ignored (forward compatible)."""

    model_config = ConfigDict(frozen=True, extra="ignore", coerce_numbers_to_str=True)

    v: str = Field(pattern=f"^{SCHEMA_VERSION}$")
    ts: Timestamp


class ContactEvent(_Event):
    """One customer contact, whoever handled it (stream ``contacts``)."""

    contact_id: Ident
    channel: Channel
    business_line: Code
    reason: Code
    skill_group: Code
    handled_by: HandledBy
    waited_s: Seconds
    outcome: Outcome
    customer_id: Ident | None = None
    verbatim: Text | None = None
    sentiment: Sentiment | None = None


class QueueSnapshot(_Event):
    """Periodic state of one skill group's queue (stream ``queue``)."""

    skill_group: Code
    business_line: Code
    waiting: Count
    agents_available: Count
    agents_busy: Count
    cloud_agents_available: Count
    cloud_agents_busy: Count
    longest_wait_s: Seconds


class VoiceEvent(_Event):
    """One public voice outside the platform (stream ``voices``)."""

    voice_id: Ident
    source: VoiceSource
    business_line: Code
    text: Text
    sentiment: Sentiment | None = None
    reach: Reach


class Utterance(_Event):
    """One turn of a live conversation (stream ``conversations``)."""

    conversation_id: Ident
    seq: Count
    speaker: Speaker
    text: Text
    business_line: Code
    reason: Code
    channel: Channel
    skill_group: Code
    customer_id: Ident | None = None
    agent_id: Ident | None = None
    final: bool = False


Event = ContactEvent | QueueSnapshot | VoiceEvent | Utterance

MODELS: Final[dict[str, type[_Event]]] = {
    "contacts": ContactEvent,
    "queue": QueueSnapshot,
    "voices": VoiceEvent,
    "conversations": Utterance,
}
FEED_OF: Final[dict[type[_Event], str]] = {model: feed for feed, model in MODELS.items()}


def _describe(exc: ValidationError) -> str:
    """Pydantic's report as one line: ``field: what is wrong (got …)``."""
    err = exc.errors(include_url=False)[0]
    field = ".".join(str(part) for part in err["loc"]) or "event"
    message = err["msg"].removeprefix("Value error, ")
    if err["type"] == "missing":
        return f"{field}: missing"
    more = f" (+{exc.error_count() - 1} more)" if exc.error_count() > 1 else ""
    return f"{field}: {message} (got {_shown(field, err.get('input'))}){more}"


def _shown(field: str, got: Any) -> str:
    """A rejected value as a reason may show it: short scalars quoted, anything else (free
    text, long values, structures) only by its type and size — a reason never carries
    the customer's words."""
    if isinstance(got, str):
        if field in TEXT_FIELDS or len(got) > QUOTE_MAX:
            return f"text of {len(got):,} characters"
        return repr(got)
    if got is None or isinstance(got, bool | float):
        return repr(got)
    if isinstance(got, int):
        return repr(got) if abs(got) < 10**QUOTE_MAX else "a number too large to show"
    return f"a JSON {'object' if isinstance(got, dict) else type(got).__name__}"


def parse_event(feed: str, fields: Mapping[str, str]) -> Event:
    """Validate raw stream fields (plain pairs or one ``json`` field) into an event, its
    time inside the accepted window.

    Empty strings in the plain form mean "absent" (optional fields can be sent empty).
    """
    model = MODELS.get(feed)
    if model is None:
        raise InvalidEvent(f"feed: unknown feed {feed!r}; expected one of {', '.join(FEEDS)}")
    raw = fields.get("json")
    data: Mapping[str, Any]
    if raw is not None:
        loaded = _load_json(raw)
        if not isinstance(loaded, dict):
            raise InvalidEvent("json: expected a JSON object")
        if "v" not in loaded and "v" in fields:
            loaded["v"] = fields["v"]
        data = loaded
    elif "" in fields.values():
        data = {k: v for k, v in fields.items() if v != ""}
    else:
        data = fields
    try:
        window = {LATEST: time.time() + AHEAD_S}
        event: Event = model.model_validate(data, context=window)  # type: ignore[assignment]
    except ValidationError as exc:
        raise InvalidEvent(_describe(exc)) from None
    except Exception as exc:  # the contract's promise: one entry costs only itself
        raise InvalidEvent(f"event: cannot be read ({type(exc).__name__})") from None
    return event


def json_too_deep(raw: str) -> bool:
    """Whether JSON text nests more than :data:`MAX_JSON_DEPTH` levels (brackets inside
    strings do not count).  Checked before decoding: decoding 50,000 levels runs Python
    to its recursion limit, where the garbage collector's finalizers that happen to run
    fail too (urllib3's logged "Exception ignored" tracebacks in the fuzzer's worker)."""
    if raw.count("[") + raw.count("{") <= MAX_JSON_DEPTH:
        return False
    depth, in_string, escaped = 0, False, False
    for char in raw:
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "[{":
            depth += 1
            if depth > MAX_JSON_DEPTH:
                return True
        elif char in "]}":
            depth -= 1
    return False


def _load_json(raw: str) -> Any:
    """The ``json`` field decoded, or :class:`InvalidEvent` saying why not."""
    if json_too_deep(raw):
        raise InvalidEvent(f"json: nested too deeply (more than {MAX_JSON_DEPTH} levels)")
    try:
        return json.loads(raw)
    except json.JSONDecodeError as exc:
        raise InvalidEvent(f"json: not valid JSON ({exc.msg} at char {exc.pos})") from None
    except RecursionError:
        raise InvalidEvent("json: nested too deeply") from None
    except ValueError:  # a number of more than 4,300 digits
        raise InvalidEvent("json: a number has too many digits") from None


EXAMPLE_FIELDS: Final[dict[str, dict[str, str]]] = {
    "contacts": {
        "v": "1",
        "ts": "1794326400000",
        "contact_id": "c-1",
        "channel": "chat",
        "business_line": "tmall",
        "reason": "coupon_not_applied",
        "skill_group": "tmall-presale",
        "handled_by": "cloud_agent",
        "waited_s": "12.5",
        "outcome": "answered",
        "customer_id": "u-9",
        "verbatim": "优惠券用不了，我的手机13812345678",
        "sentiment": "-0.6",
    },
    "queue": {
        "v": "1",
        "ts": "1794326400000",
        "skill_group": "tmall-presale",
        "business_line": "tmall",
        "waiting": "42",
        "agents_available": "3",
        "agents_busy": "120",
        "cloud_agents_available": "0",
        "cloud_agents_busy": "40",
        "longest_wait_s": "75.2",
    },
    "voices": {
        "v": "1",
        "ts": "1794326400000",
        "voice_id": "w-1",
        "source": "weibo",
        "business_line": "eleme",
        "text": "外卖超时两个小时了",
        "sentiment": "-0.9",
        "reach": "15000",
    },
    "conversations": {
        "v": "1",
        "ts": "1794326400000",
        "conversation_id": "conv-1",
        "seq": "3",
        "speaker": "customer",
        "text": "我的包裹还没到",
        "business_line": "cainiao",
        "reason": "logistics_delay",
        "channel": "hotline",
        "skill_group": "cainiao-parcel",
        "final": "0",
    },
}
"""One valid event per feed in the plain wire form (docs, tests, other helpers' fixtures)."""


def format_ts(ts: float) -> str:
    """Epoch seconds as the wire's epoch milliseconds (integer digits)."""
    return str(round(ts * 1000))


def _base_types(annotation: Any) -> set[Any]:
    """``float`` from ``Annotated[float, …] | None`` and the like."""
    args = get_args(annotation)
    if not args:
        return {annotation}
    if get_origin(annotation) is Annotated:
        return _base_types(args[0])
    return set().union(*(_base_types(arg) for arg in args))


def _wire_fields(model: type[_Event]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Per model: the fields ``str()`` must convert (numbers) and the boolean ones."""
    numeric, flags = [], []
    for name, info in model.model_fields.items():
        if name == "ts":
            continue
        if info.annotation is bool:
            flags.append(name)
        elif {int, float} & _base_types(info.annotation):
            numeric.append(name)
    return tuple(numeric), tuple(flags)


_WIRE: Final = {model: _wire_fields(model) for model in MODELS.values()}


def to_fields(event: Event) -> dict[str, str]:
    """The plain field/value form of an event, as producers write it (``None`` left out).

    Tuned for the producer's hot path: enum members are ``str`` already, so only the
    time, the numbers and the flags need converting.
    """
    out: dict[str, str] = {k: v for k, v in event.__dict__.items() if v is not None}
    out["ts"] = format_ts(event.ts)
    numeric, flags = _WIRE[type(event)]
    for name in numeric:
        if name in out:
            out[name] = str(out[name])
    for name in flags:
        out[name] = "1" if out[name] else "0"
    return out


_TEXT, _NUMBER, _FLAG, _TIME = range(4)


def _byte_spec(model: type[_Event]) -> tuple[tuple[str, bytes, int], ...]:
    """Per model, in field order: (name, name as bytes, how to encode the value)."""
    numeric, flags = _WIRE[model]
    spec = []
    for name in model.model_fields:
        kind = (
            _TIME
            if name == "ts"
            else _FLAG
            if name in flags
            else _NUMBER
            if name in numeric
            else _TEXT
        )
        spec.append((name, name.encode(), kind))
    return tuple(spec)


_BYTE_SPECS: Final = {model: _byte_spec(model) for model in MODELS.values()}


def wire_bytes(event: Event) -> list[bytes]:
    """The event as a flat ``field, value, …`` list of UTF-8 bytes for ``XADD``.

    The producer's hot path.  Handing redis-py bytes skips its per-argument encoder,
    which costs more than this whole function: the project's producer outruns a
    bare ``xadd()`` of ready-made dicts (``bench/ingest.py``).  Same wire text as
    :func:`to_fields`.
    """
    values = event.__dict__
    out: list[bytes] = []
    append = out.append
    for name, key, kind in _BYTE_SPECS[type(event)]:
        value = values[name]
        if value is None:
            continue
        append(key)
        if kind == _TEXT:
            append(value.encode())
        elif kind == _NUMBER:
            append(repr(value).encode())
        elif kind == _TIME:
            append(str(round(value * 1000)).encode())
        else:
            append(b"1" if value else b"0")
    return out


def feed_of(event: Event) -> str:
    """The stream an event belongs on."""
    return FEED_OF[type(event)]
