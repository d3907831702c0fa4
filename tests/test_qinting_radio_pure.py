"""Radio grouping and digests: similar cases play once, days follow the radio's time zone."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from alerts.radio import (
    RadioCase,
    compose_digest,
    day_window,
    digest_day,
    digest_due,
    group_cases,
    jaccard,
    normalise_text,
    shingles,
)

SHANGHAI = ZoneInfo("Asia/Shanghai")


def case(i: int, excerpt: str, title: str = "", at: float = 0.0) -> RadioCase:
    return RadioCase(id=i, title=title, excerpt=excerpt, published_at=at or float(i))


@pytest.mark.parametrize(
    ("a", "b", "similar"),
    [
        ("快递三天了还没到，物流一直不更新", "快递三天还没到！物流一直不更新。", True),
        ("快递三天了还没到，物流一直不更新", "退款申请了一周还没有到账", False),
        (
            "My parcel is 3 days late and tracking never updates",
            "my parcel is 3 days late, tracking never updates!",
            True,
        ),
        ("My parcel is 3 days late", "The coupon was not applied at checkout", False),
        ("手机号 138****0000 收不到验证码", "手机号 139****1111 收不到验证码", True),
    ],
)
def test_similarity(a: str, b: str, similar: bool) -> None:
    assert (jaccard(shingles(a), shingles(b)) >= 0.5) is similar


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Ｈｅｌｌｏ，World 2026!", "helloworld0"),
        ("订单 [手机号] 未到", "订单未到"),
        ("***", ""),
        ("", ""),
    ],
)
def test_normalise(text: str, expected: str) -> None:
    assert normalise_text(text) == expected


def test_short_and_empty_shingles() -> None:
    assert shingles("ab") == frozenset({"ab"})
    assert shingles("!!") == frozenset()
    assert jaccard(frozenset(), frozenset()) == 1.0


def test_grouping_puts_the_biggest_topic_first() -> None:
    cases = [
        case(1, "退款申请了一周还没有到账"),
        case(2, "快递三天了还没到，物流一直不更新"),
        case(3, "快递三天还没到，物流一直不更新啊"),
        case(4, "快递三天了还没到!!物流一直不更新"),
        case(5, "优惠券结算时没有抵扣"),
    ]
    groups = group_cases(cases, 0.5)
    assert [g.lead.id for g in groups] == [2, 1, 5]
    assert [c.id for c in groups[0].similar] == [3, 4]
    assert [g.size for g in groups] == [3, 1, 1]


def test_threshold_one_keeps_everything_apart_except_identical() -> None:
    cases = [case(1, "快递没到"), case(2, "快递没到。"), case(3, "快递没有到")]
    assert [g.size for g in group_cases(cases, 1.0)] == [2, 1]


@pytest.mark.parametrize(
    ("now_utc", "expected"),
    [
        (datetime(2026, 11, 12, 1, 0, tzinfo=UTC), date(2026, 11, 11)),  # 09:00 Shanghai
        (datetime(2026, 11, 11, 17, 0, tzinfo=UTC), date(2026, 11, 11)),  # 01:00 on the 12th
        (datetime(2026, 11, 11, 15, 0, tzinfo=UTC), date(2026, 11, 10)),  # 23:00 on the 11th
    ],
)
def test_digest_covers_local_yesterday(now_utc: datetime, expected: date) -> None:
    assert digest_day(now_utc, SHANGHAI) == expected


def test_day_window_is_local_midnight_to_midnight() -> None:
    start, end = day_window(date(2026, 11, 11), SHANGHAI)
    assert datetime.fromtimestamp(start, UTC) == datetime(2026, 11, 10, 16, 0, tzinfo=UTC)
    assert end - start == 86400


def test_compose_digest_groups_and_links() -> None:
    cases = [
        RadioCase(
            1,
            "物流停滞",
            "快递三天了还没到，物流一直不更新",
            1.0,
            "taobao",
            "logistics_delay",
            "双11爆仓",
        ),
        RadioCase(
            2, "物流停滞", "快递三天还没到，物流一直不更新", 2.0, "taobao", "logistics_delay"
        ),
        RadioCase(3, "<b>退款</b>", "**退款** 一周没到账", 3.0),
    ]
    digest = compose_digest(
        "淘宝物流", date(2026, 11, 11), cases, threshold=0.5, max_groups=10, link="http://x/radio"
    )
    assert digest.title == "9点电台 · 淘宝物流 · 2026-11-11"
    assert digest.case_count == 3
    assert "1. 物流停滞（淘宝 · 物流延迟）" in digest.body
    assert "（另有 1 位客户说了相似的话）" in digest.body
    assert "— 双11爆仓" in digest.body
    assert "“**退款** 一周没到账”" in digest.body  # kept verbatim, never rendered
    assert digest.body.endswith("http://x/radio")


def test_empty_digest_and_english() -> None:
    digest = compose_digest(
        "Tmall", date(2026, 11, 11), [], threshold=0.5, max_groups=10, link="L", language="en"
    )
    assert "Nothing was published" in digest.body
    assert digest.title.startswith("Nine o'clock radio")


def test_max_groups_caps_the_programme() -> None:
    cases = [case(i, f"完全不同的话题编号{i}{'甲乙丙丁戊'[i % 5] * i}") for i in range(1, 8)]
    digest = compose_digest("c", date(2026, 1, 1), cases, threshold=0.9, max_groups=3, link="L")
    assert len(digest.groups) == 3


@pytest.mark.parametrize(
    ("now_local", "digest_time", "done_for", "due"),
    [
        (datetime(2026, 11, 12, 8, 59), "09:00", None, False),
        (datetime(2026, 11, 12, 9, 0), "09:00", None, True),
        (datetime(2026, 11, 12, 13, 30), "09:00", None, True),  # a worker back after an outage
        (datetime(2026, 11, 12, 13, 30), "09:00", date(2026, 11, 12), False),
        (datetime(2026, 11, 13, 9, 5), "09:00", date(2026, 11, 12), True),
        (datetime(2026, 11, 12, 7, 0), "07:30", None, False),
        (datetime(2026, 11, 12, 23, 59), "23:59", None, True),
    ],
)
def test_digest_due(
    now_local: datetime, digest_time: str, done_for: date | None, due: bool
) -> None:
    now = now_local.replace(tzinfo=SHANGHAI)
    assert digest_due(now, digest_time, SHANGHAI, done_for) is due
    assert digest_due(now.astimezone(UTC), digest_time, SHANGHAI, done_for) is due
