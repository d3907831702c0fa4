"""Screenshots of the wall and the console at 1920x1080 and 3840x2160 for the docs.

By default this starts its own demo (a private redis-server and database, the past
day as a fresh ``gmd run`` fills it — the day's shape, then half an hour of
simulated traffic through the real writer — live traffic while it shoots, and
obstacles of every kind: spikes, a drop, a queue breach, a sentiment storm, one
acknowledged, and single-conversation flags) and the real app; ``--url`` shoots a
demo that is already running instead (``gmd run``: local visitors need no sign-in).
Shots: the wall (kiosk, Chinese) and the console of a spike and of a transcript flag.

The app serves its own Chinese font: no CJK font is needed on the machine.

    .venv/bin/python bench/screenshots.py            # writes docs/screenshots/*.png
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from alerts.anomaly import Anomaly, AnomalyKind, AnomalyStatus, Severity  # noqa: E402
from datasources.keys import Keys  # noqa: E402
from datasources.series import (  # noqa: E402
    contact_series,
    conversation_series,
    queue_series,
    voice_series,
)
from datasources.simulator import Simulator  # noqa: E402
from datasources.simulator.history import fill_day_shape  # noqa: E402
from tests.browser_support import (  # noqa: E402
    KIOSK_TOKEN,
    LiveFeed,
    Stack,
    alert_service,
    browser,
    fill_history,
    open_alert,
    sign_in,
    start_app,
    wait_ready,
)

SIZES = ((1920, 1080), (3840, 2160))
RATE = 20.0
SPIKES = (
    ("tmall", "refund", Severity.CRITICAL, 1500, 5.5,
     ["退款申请三天了还没到账，电话[电话]打不通", "商家同意退款了钱还没退回来", "客服一直排队"]),
    ("taobao", "logistics_delay", Severity.MAJOR, 900, 2.2,
     ["快递五天没动了", "物流信息一直不更新"]),
)  # fmt: skip
FLAGS = (
    ("tmall", "safety", "安全问题：起火/爆炸/受伤/中毒",
     "Safety: fire, explosion, injury, poisoning", "充电器用的时候起火了，孩子差点受伤",
     Severity.CRITICAL, 200),
    ("cainiao", "consumer_protection", "扬言投诉12315/消协",
     "Threatens a consumer-protection complaint", "再不解决我就打12315投诉你们",
     Severity.MAJOR, 420),
)  # fmt: skip


def anomaly(series: str, kind: AnomalyKind, onset: float, **fields: Any) -> Anomaly:
    base: dict[str, Any] = {
        "status": AnomalyStatus.ONGOING, "updated": onset + 60, "score": 9.0,
        "severity": Severity.MAJOR, "trend": [30, 31, 29, 33, 52, 70, 88],
    }  # fmt: skip
    return Anomaly(series=series, kind=kind, onset=onset, **{**base, **fields})


def seed_demo(stack: Stack) -> tuple[int, int]:
    """The past day and obstacles of every kind; returns a spike's and a flag's ids."""
    settings = stack.settings()
    client = stack.client()
    keys = Keys.from_settings(settings)
    now = time.time()
    shape = Simulator(seed=11, start=now, rate=RATE, incidents=0, duration_s=60)
    fill_day_shape(client, settings, shape, now - 86400, now - 1800)
    fill_history(client, keys, settings, end=now, minutes=30, rate=RATE)
    service = alert_service(settings, client)
    ids = [
        open_alert(service, business_line=line, reason=reason, severity=severity,
                   onset=now - ago, observed=30 * ratio, expected=30, verbatims=words).id
        for line, reason, severity, ago, ratio, words in SPIKES
    ]  # fmt: skip
    service.ingest([
        anomaly(contact_series("eleme"), AnomalyKind.DROP, now - 480, observed=60.0,
                expected=310.0, business_line="eleme", severity=Severity.CRITICAL,
                trend=[310, 305, 300, 120, 70, 62, 60]),
        anomaly(queue_series("alipay-payment"), AnomalyKind.QUEUE_BREACH, now - 360,
                observed=0.931, expected=0.999, metric="pickup_rate", business_line="alipay",
                skill_group="alipay-payment", severity=Severity.CRITICAL),
        anomaly(voice_series("hema"), AnomalyKind.SENTIMENT_STORM, now - 700, observed=21.0,
                expected=3.0, metric="negative_voices_per_min", business_line="hema",
                verbatims=["盒马送来的牛奶过期了，太让人失望了", "#盒马# 生鲜有一半烂了"]),
        *(anomaly(conversation_series(f"c-{line}-{rule}"), AnomalyKind.TRANSCRIPT_FLAG,
                  now - ago, observed=1.0, expected=0.0, metric="transcript_flag",
                  business_line=line, severity=severity, trend=[], verbatims=[words],
                  detail={"rule": rule, "rule_zh": zh, "rule_en": en, "phrase": words[:6]})
          for line, rule, zh, en, words, severity, ago in FLAGS),
    ])  # fmt: skip
    flag = next(a.id for a in service.list_alerts(status="open") if a.kind == "transcript_flag")
    service.acknowledge(ids[1], by="li")
    service.close(wait=False)
    return int(ids[0]), int(flag)


def shoot(
    chromium: Any, url: str, out: Path, size: tuple[int, int], lead: str | None, ready: str
) -> None:
    page = chromium.new_page(viewport={"width": size[0], "height": size[1]})
    if lead:
        sign_in(page, url, lead)
    else:
        page.goto(url)
        wait_ready(page)
    page.wait_for_selector(ready, timeout=90_000)  # a 4K Plotly chart on a busy machine
    page.wait_for_timeout(4_000)  # charts drawn, one refresh done
    page.screenshot(path=str(out))
    page.close()
    print(f"wrote {out}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", help="a running demo (default: start one)")
    parser.add_argument("--alert", type=int, default=1, help="alert id for the console shot")
    parser.add_argument("--flag", type=int, default=0, help="a transcript flag's alert id")
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshots")
    args = parser.parse_args()
    logging.disable(logging.WARNING)
    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="gmd-shots-") as tmp:
        stack = app = feed = None
        try:
            if args.url:
                base, token, lead = args.url.rstrip("/"), "", None
                alert_id, flag_id = args.alert, args.flag
            else:
                root = Path(tmp)
                stack = Stack(root, f"sqlite:///{root / 'demo.db'}", refresh_s=5, stale_after_s=30)
                stack.start()
                alert_id, flag_id = seed_demo(stack)
                feed = LiveFeed(stack, rate=RATE)
                feed.start()
                app = start_app({**stack.env, "GMD_LANGUAGE": "zh"}, root)
                base, token, lead = app.url, f"&token={KIOSK_TOKEN}", "li"
            with browser() as chromium:
                for size in SIZES:
                    tag = f"{size[0]}x{size[1]}"
                    shoot(chromium, f"{base}/?kiosk=1{token}", args.out / f"wall-{tag}.png",
                          size, None, ".gmd-chart-contacts img")  # fmt: skip
                    shoot(chromium, f"{base}/console?alert={alert_id}&lang=en",
                          args.out / f"console-{tag}.png", size, lead,
                          "[data-testid='stPlotlyChart']")  # fmt: skip
                    if flag_id:
                        shoot(chromium, f"{base}/console?alert={flag_id}&lang=en",
                              args.out / f"console-flag-{tag}.png", size, lead, "h1")  # fmt: skip
        finally:
            if feed is not None:
                feed.stop()
            if app is not None:
                app.stop()
            if stack is not None:
                stack.stop()
    shots = sorted(str(p.relative_to(args.out)) for p in args.out.glob("*.png"))
    print(json.dumps({"screenshots": shots, "directory": str(args.out)}))


if __name__ == "__main__":
    main()
