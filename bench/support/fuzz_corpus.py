"""The feed fuzzer's corpus: Hypothesis strategies for raw stream entries of the four feeds.

An entry is drawn as a :class:`Template`: the raw fields (bytes, so it can hold what no
producer library writes) in the plain or the ``json`` form, with markers where an id
goes.  :meth:`Template.render` fills the markers with a number unique to each written
entry, so a corpus of a few thousand drawn entries can be written many times over
without two writes sharing an id (nor two queue snapshots one skill group: the queue
aggregate keeps the newest snapshot per group and bucket, and the fuzzer counts them).

Each entry is drawn in one of three moods:

* **valid** — every field inside the contract, free text mixing random Unicode with
  personal data in the formats of ``tests/pii_cases.py`` and transcript-rule words;
* **borderline** — still valid, at the edges: the window's first second and old
  times, a few seconds ahead of the clock, longest ids and texts, largest numbers,
  ids spelling internal keys (``live``, ``meta:x``, ``{tag}``), JSON numbers where
  text is due, unknown and many extra fields;
* **hostile** — one or two fields broken (missing, wrong type, out of range, ``NaN``,
  ``inf``, 10^17, numbers of thousands of digits, times in year 1 or 9999, over-long
  texts starting with personal data, invalid UTF-8, lone surrogates) or the whole
  entry (JSON nested 50,000 deep, not an object, cut short, invalid UTF-8 in a name).

The mood is recorded for the report only: the fuzzer never predicts an entry's fate,
it counts what the worker stored and what it dead-lettered.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Final

from hypothesis import strategies as st

from datasources.schemas import EARLIEST_S, MAX_COUNT, MAX_REACH, MAX_SECONDS
from tests.pii_cases import NEGATIVE, POSITIVE

ID_MARK: Final = "@@ID@@"
"""Where an id takes the written entry's number (``~123``)."""
CODE_MARK: Final = "@@CODE@@"
"""Where a skill group takes it (``-123``: codes allow no ``~``)."""

LINES: Final = ("taobao", "tmall", "eleme", "cainiao", "alipay", "hema", "fliggy")
REASONS: Final = ("refund", "logistics_delay", "coupon_not_applied", "payment_failed")
GROUPS: Final = ("tmall-presale", "cainiao-parcel", "eleme-rider", "taobao_after_sale")
CHANNELS: Final = ("robot", "chat", "hotline", "app_message", "email")
HANDLERS: Final = ("robot", "agent", "cloud_agent")
OUTCOMES: Final = ("answered", "abandoned")
SOURCES: Final = ("weibo", "douyin", "xiaohongshu", "review", "news", "forum")
SPEAKERS: Final = ("customer", "agent", "robot")
KEYLIKE_IDS: Final = ("live", "meta:x", "utt:live", "{tag}", "%41", "conv:live", "*", "a:b:c")
TRIGGERS: Final = ("我要打12315投诉", "找记者曝光你们", "我要起诉", "家里着火了", "the media")
PII_TEXTS: Final = tuple(case.text for case in POSITIVE)
CODE_CHARS: Final = r"[a-dfgh-prstuyzA-DFGH-PRSTUYZ_.\-]"
"""What a valid drawn code is made of: the contract's characters but digits and the
letters that make the leak detector read an id as personal data (``wx…`` a WeChat id,
``q12345`` a QQ number, ``E1234…`` a passport, long digit runs a phone or a card).
Valid codes are stored as sent, unmasked by design; hostile ones (dead-lettered,
masked) use every character."""

TEXT_ALPHABET: Final = st.characters(
    blacklist_categories=("Cs", "Nd"),
    blacklist_characters="0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz",
)
"""Random text around the planted sentences: any Unicode but digits and Latin letters,
so it cannot glue itself to a planted phone number and change what it is."""


@dataclass(frozen=True)
class Template:
    feed: str
    mood: str
    fields: tuple[tuple[bytes, bytes], ...]

    def render(self, number: int) -> dict[bytes, bytes]:
        """The entry to ``XADD``, its markers filled with ``number``."""
        ident, code = f"~{number}".encode(), f"-{number}".encode()
        out: dict[bytes, bytes] = {}
        for name, value in self.fields:
            out[name] = value.replace(ID_MARK.encode(), ident).replace(CODE_MARK.encode(), code)
        return out


class Missing:
    """A field left out of the entry."""


MISSING: Final = Missing()


class Raw(bytes):
    """A value written as these exact bytes (invalid UTF-8 included), even in ``json``."""


# -- field values: valid, borderline, hostile ----------------------------------------


def _ms(ts: float) -> str:
    return str(round(ts * 1000))


def times(now: float, mood: str) -> st.SearchStrategy[Any]:
    recent = st.floats(now - 3 * 86400, now + 60).map(_ms)
    if mood == "valid":
        return recent
    if mood == "borderline":
        return st.one_of(
            st.sampled_from([_ms(EARLIEST_S), "2000-01-01T00:00:00Z", _ms(now + 240)]),
            st.floats(EARLIEST_S, now - 30 * 86400).map(_ms),
            st.floats(now - 86400, now).map(lambda t: f"{t * 1000:.3f}"),
            st.sampled_from(["2026-11-11T00:00:00+08:00", "2026-11-10T16:00:00"]),
            st.integers(int(now - 86400) * 1000, int(now) * 1000),  # a JSON number
        )
    return st.one_of(
        st.sampled_from(
            [
                "9999-12-31T23:59:59Z",
                "0001-01-01T00:00:00Z",
                "0001-01-01T00:00:00+14:00",
                "1e300",
                "-1e300",
                "nan",
                "NaN",
                "inf",
                "-inf",
                "0",
                "-1",
                "",
                "soon",
                "2026-13-45T25:61:00Z",
                _ms(now + 3600),
                str(int(now)),
                _ms(EARLIEST_S - 1),
            ]
        ),
        st.floats(allow_nan=True, allow_infinity=True),
        st.booleans(),
        st.none(),
        st.lists(st.integers(), max_size=2),
        st.integers(min_value=10**20, max_value=10**40),
    )


def codes(known: tuple[str, ...], mood: str) -> st.SearchStrategy[Any]:
    valid = st.one_of(
        st.sampled_from(known), st.from_regex(f"{CODE_CHARS}{{1,40}}", fullmatch=True)
    )
    if mood == "valid":
        return st.sampled_from(known)
    if mood == "borderline":
        return st.one_of(valid, st.just("x" * 64), st.just("A.b_c-9"))
    return st.one_of(
        st.sampled_from(["", "a:b", "tmall:*", "x" * 65, "天猫", "tmall ", "13812345678@qq.com"]),
        st.sampled_from(PII_TEXTS),
        st.integers(),
        st.none(),
        st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
    )


def groups(mood: str) -> st.SearchStrategy[Any]:
    """A skill group: when valid, made unique per written entry (``CODE_MARK``)."""
    prefix = st.one_of(
        st.sampled_from(GROUPS), st.from_regex(f"{CODE_CHARS}{{1,50}}", fullmatch=True)
    )
    if mood == "hostile":
        return st.one_of(prefix.map(lambda p: p + CODE_MARK), codes(GROUPS, "hostile"))
    return prefix.map(lambda p: p + CODE_MARK)


def ids(mood: str) -> st.SearchStrategy[Any]:
    """An id: when valid, made unique per written entry (``ID_MARK``)."""
    prefix = st.one_of(
        st.sampled_from(("c", "conv", "w", *KEYLIKE_IDS)),
        st.text(TEXT_ALPHABET, min_size=1, max_size=20),
    )
    if mood == "valid":
        return prefix.map(lambda p: p + ID_MARK)
    if mood == "borderline":
        return st.one_of(
            prefix.map(lambda p: p + ID_MARK),
            st.just("键" * 110 + ID_MARK),
            st.sampled_from(KEYLIKE_IDS),  # the same id on every write
            st.integers(0, 10**6),  # a JSON number where text is due
        )
    return st.one_of(
        st.just("x" * 129),
        st.just(""),
        st.none(),
        st.lists(st.text(max_size=3), max_size=2),
        st.text(TEXT_ALPHABET, min_size=130, max_size=140),
    )


def free_text(mood: str) -> st.SearchStrategy[Any]:
    """Customers' words: random Unicode around personal data and transcript-rule words."""
    piece = st.one_of(
        st.text(TEXT_ALPHABET, max_size=30),
        st.sampled_from(PII_TEXTS),
        st.sampled_from(NEGATIVE),
    )
    # A transcript-rule word in one text of fifty: each flags its conversation (an alert
    # with its rings); in every text, alerts would be most of the worker's work.
    trigger = st.integers(0, 49).flatmap(
        lambda n: st.sampled_from(TRIGGERS) if n == 0 else st.just("")
    )
    sentence = st.tuples(st.lists(piece, min_size=1, max_size=5), trigger).map(
        lambda t: "，".join([*t[0], t[1]]) if t[1] else "，".join(t[0])
    )
    if mood == "valid":
        return sentence
    if mood == "borderline":
        return st.one_of(
            sentence,
            st.just(""),
            st.tuples(st.sampled_from(PII_TEXTS), st.integers(0, 7900)).map(
                lambda t: (t[0] + " " + "很" * t[1])[:8000]
            ),
            st.sampled_from(PII_TEXTS).map(lambda t: (t + " " + "啊" * 8000)[:8000]),
        )
    return st.one_of(
        st.tuples(st.sampled_from(PII_TEXTS), st.integers(8001, 30000)).map(
            lambda t: t[0] + " " + "很" * t[1]
        ),
        st.tuples(sentence, st.binary(min_size=1, max_size=8)).map(
            lambda t: Raw(b"\xff\xfe" + t[1] + b"\x80 " + t[0].encode())
        ),
        sentence.map(lambda s: Raw(s.encode() + b"\xed\xa0\x80")),  # an encoded surrogate
        sentence.map(lambda s: Raw(s.encode() + b"\\ud800")),  # in JSON: a lone surrogate
        st.integers(),
        st.lists(sentence, max_size=3),
        st.dictionaries(st.sampled_from(["phone", "text"]), sentence, max_size=2),
    )


def seconds(mood: str) -> st.SearchStrategy[Any]:
    valid = st.floats(0, MAX_SECONDS)
    if mood == "valid":
        return valid
    if mood == "borderline":
        return st.one_of(st.sampled_from([0, 0.0, -0.0, MAX_SECONDS, "86400", "1e2"]), valid)
    return st.one_of(
        st.sampled_from(["1e308", "-1", "NaN", "inf", "-inf", "abc", "", MAX_SECONDS + 0.001]),
        st.floats(allow_nan=True, allow_infinity=True).filter(lambda f: not 0 <= f <= MAX_SECONDS),
        st.integers(10**18, 10**400),
        st.booleans(),
    )


def counts(limit: int, mood: str) -> st.SearchStrategy[Any]:
    valid = st.integers(0, limit)
    if mood == "valid":
        return valid
    if mood == "borderline":
        return st.one_of(st.sampled_from([0, limit, str(limit), "7"]), valid)
    return st.one_of(
        st.sampled_from([-1, limit + 1, 10**17, 2**63, 2**64, "1e3", "1.5", 1.5, "", "many"]),
        st.integers(min_value=limit + 1),
        st.integers(max_value=-1),
        st.floats(allow_nan=True, allow_infinity=True),
        st.just("1" * 5000),
    )


def sentiments(mood: str) -> st.SearchStrategy[Any]:
    valid = st.one_of(st.floats(-1, 1), st.just(MISSING))
    if mood != "hostile":
        return valid if mood == "valid" else st.one_of(valid, st.sampled_from([-1, 1, "-1.0"]))
    return st.one_of(
        st.sampled_from([1.0001, -1.5, "NaN", "inf", "nan", "x"]),
        st.floats(allow_nan=True, allow_infinity=True).filter(lambda f: not -1 <= f <= 1),
    )


def enums(values: tuple[str, ...], mood: str) -> st.SearchStrategy[Any]:
    if mood != "hostile":
        return st.sampled_from(values)
    return st.one_of(
        st.sampled_from(["fax", "", "CHAT", "Robot", " chat", "chat\x00"]),
        st.integers(),
        st.none(),
    )


def flags(mood: str) -> st.SearchStrategy[Any]:
    valid = st.one_of(st.sampled_from(["1", "0", "true", "false"]), st.booleans(), st.just(MISSING))
    if mood != "hostile":
        return valid
    return st.one_of(st.sampled_from(["maybe", "2", "-1"]), st.lists(st.booleans(), max_size=2))


@lru_cache(maxsize=64)
def fields_of(feed: str, now: float, mood: str) -> dict[str, st.SearchStrategy[Any]]:
    """Per field of ``feed``, the strategy of its value in ``mood`` (built once: Hypothesis
    spends more on building a strategy than on drawing from it)."""
    common = {"v": st.just("1") if mood != "hostile" else st.sampled_from(["2", "", "1.0"]),
              "ts": times(now, mood)}  # fmt: skip
    if feed == "contacts":
        return common | {
            "contact_id": ids(mood), "channel": enums(CHANNELS, mood),
            "business_line": codes(LINES, mood), "reason": codes(REASONS, mood),
            "skill_group": codes(GROUPS, mood), "handled_by": enums(HANDLERS, mood),
            "waited_s": seconds(mood), "outcome": enums(OUTCOMES, mood),
            "customer_id": st.one_of(ids(mood), st.just(MISSING)),
            "verbatim": st.one_of(free_text(mood), st.just(MISSING)),
            "sentiment": sentiments(mood),
        }  # fmt: skip
    if feed == "queue":
        return common | {
            "skill_group": groups(mood), "business_line": codes(LINES, mood),
            "waiting": counts(MAX_COUNT, mood), "agents_available": counts(MAX_COUNT, mood),
            "agents_busy": counts(MAX_COUNT, mood),
            "cloud_agents_available": counts(MAX_COUNT, mood),
            "cloud_agents_busy": counts(MAX_COUNT, mood), "longest_wait_s": seconds(mood),
        }  # fmt: skip
    if feed == "voices":
        return common | {
            "voice_id": ids(mood), "source": enums(SOURCES, mood),
            "business_line": codes(LINES, mood), "text": free_text(mood),
            "sentiment": sentiments(mood), "reach": counts(MAX_REACH, mood),
        }  # fmt: skip
    return common | {
        "conversation_id": ids(mood), "seq": counts(MAX_COUNT, mood),
        "speaker": enums(SPEAKERS, mood), "text": free_text(mood),
        "business_line": codes(LINES, mood), "reason": codes(REASONS, mood),
        "channel": enums(CHANNELS, mood), "skill_group": codes(GROUPS, mood),
        "customer_id": st.one_of(ids(mood), st.just(MISSING)),
        "agent_id": st.one_of(ids(mood), st.just(MISSING)),
        "final": flags(mood),
    }  # fmt: skip


# -- whole entries ----------------------------------------------------------------------

FEEDS: Final = ("contacts", "queue", "voices", "conversations")
MOODS: Final = ("valid",) * 5 + ("borderline",) * 2 + ("hostile",) * 3
SHAPES: Final = (
    "deep",
    "deep_field",
    "not_object",
    "cut_short",
    "bad_name",
    "digits",
    "empty_json",
)


@st.composite
def templates(draw: st.DrawFn, now: float) -> Template:
    """One raw entry of any feed, in any mood."""
    feed = draw(st.sampled_from(FEEDS))
    mood = draw(st.sampled_from(MOODS))
    valid = fields_of(feed, now, "valid")
    chosen = dict(fields_of(feed, now, mood))
    names = list(valid)
    if mood == "hostile":
        broken = set(draw(st.lists(st.sampled_from(names), min_size=1, max_size=2)))
        if draw(st.booleans()):  # or a required field left out
            broken = set()
            for name in draw(st.lists(st.sampled_from(names), min_size=1, max_size=2)):
                chosen[name] = st.just(MISSING)
                broken.add(name)
        data = {n: draw(chosen[n] if n in broken else valid[n]) for n in names}
    else:
        data = {n: draw(chosen[n]) for n in names}
    if mood == "borderline" and draw(st.booleans()):
        extra = draw(st.integers(1, 80))
        data.update({f"x_{i}": "额外" for i in range(extra)})
    data = {k: v for k, v in data.items() if v is not MISSING}
    if mood == "hostile" and draw(st.integers(0, 3)) == 0:
        return Template(feed, "hostile", _shaped(draw(st.sampled_from(SHAPES)), data))
    as_json = draw(st.booleans()) or not all(isinstance(v, str | Raw) for v in data.values())
    fields = _json_fields(data, draw(st.booleans())) if as_json else _plain_fields(data)
    return Template(feed, mood, fields)


def _plain_fields(data: dict[str, Any]) -> tuple[tuple[bytes, bytes], ...]:
    return tuple((k.encode(), _plain_value(v)) for k, v in data.items()) or ((b"v", b"1"),)


def _plain_value(value: Any) -> bytes:
    if isinstance(value, Raw):
        return bytes(value)
    return str(value).encode("utf-8", "surrogatepass")


def _json_fields(data: dict[str, Any], ascii_only: bool) -> tuple[tuple[bytes, bytes], ...]:
    """The ``json`` form; raw bytes go in as they are (invalid UTF-8 inside the JSON)."""
    raws: dict[str, bytes] = {}
    clean: dict[str, Any] = {}
    for k, v in data.items():
        if isinstance(v, Raw):
            raws[k] = bytes(v)
            clean[k] = f"@@RAW{len(raws)}@@"
        else:
            clean[k] = v
    text = json.dumps(clean, ensure_ascii=ascii_only, allow_nan=True)
    body = text.encode("utf-8", "surrogatepass")
    for n, raw in enumerate(raws.values(), 1):
        body = body.replace(f"@@RAW{n}@@".encode(), raw.replace(b'"', b"'"))
    return ((b"json", body),)


def _shaped(shape: str, data: dict[str, Any]) -> tuple[tuple[bytes, bytes], ...]:
    """Entries broken as a whole."""
    plain = {k: v for k, v in data.items() if isinstance(v, str) and not isinstance(v, Raw)}
    body = json.dumps(plain, ensure_ascii=False)
    if shape == "deep":
        return ((b"json", b"[" * 50_000 + b"]" * 50_000),)
    if shape == "deep_field":
        nested = body.rstrip("}") + (", " if plain else "") + '"text": ' + "[" * 3000 + "]" * 3000
        return ((b"json", (nested + "}").encode()),)
    if shape == "not_object":
        return ((b"json", b'["v", "1"]'), (b"v", b"1"))
    if shape == "cut_short":
        return ((b"json", body[: len(body) // 2].encode()),)
    if shape == "bad_name":
        return (*_plain_fields(plain), (b"\xc3\x28name", b"1"))
    if shape == "digits":
        return ((b"json", (body.rstrip("}") + ', "reach": ' + "9" * 5000 + "}").encode()),)
    return ((b"json", b"{}"),)
