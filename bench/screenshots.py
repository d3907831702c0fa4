"""Screenshots of the wall and the console at 1920x1080 and 3840x2160 for the docs.

By default this starts its own demo (a private redis-server and database, a day
of simulated traffic through the real writer, live traffic while it shoots, four
alerts of which one acknowledged) and the real app; ``--url`` shoots a demo that is
already running instead (``gmd run``: local visitors need no sign-in there).

Chinese text needs a CJK font in the browser's system (Debian: fonts-noto-cjk).

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

from alerts.anomaly import Severity  # noqa: E402
from datasources.keys import Keys  # noqa: E402
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
ALERTS = (
    ("tmall", "refund", Severity.CRITICAL, 1500, 4.0,
     ["退款申请三天了还没到账，电话138****1234打不通", "商家同意退款了钱还没退回来",
      "客服一直排队"]),
    ("taobao", "logistics_delay", Severity.MAJOR, 900, 2.2,
     ["快递五天没动了", "物流信息一直不更新"]),
    ("alipay", "payment_failure", Severity.MAJOR, 600, 2.6, ["付款一直失败，提示系统繁忙"]),
    ("eleme", "delivery_late", Severity.MINOR, 300, 1.8, ["骑手一直不动，饭都凉了"]),
)  # fmt: skip


def seed_demo(stack: Stack) -> int:
    """A day of traffic and four open alerts (the second acknowledged by a lead)."""
    settings = stack.settings()
    client = stack.client()
    keys = Keys.from_settings(settings)
    fill_history(client, keys, settings, end=time.time(), minutes=24 * 60, rate=4)
    service = alert_service(settings, client)
    now = time.time()
    ids = [
        open_alert(service, business_line=line, reason=reason, severity=severity,
                   onset=now - ago, observed=30 * ratio, expected=30, verbatims=words).id
        for line, reason, severity, ago, ratio, words in ALERTS
    ]  # fmt: skip
    service.acknowledge(ids[1], by="li")
    service.close(wait=False)
    return int(ids[0])


def shoot(chromium: Any, url: str, out: Path, size: tuple[int, int], lead: str | None) -> None:
    page = chromium.new_page(viewport={"width": size[0], "height": size[1]})
    if lead:
        sign_in(page, url, lead)
    else:
        page.goto(url)
        wait_ready(page)
    page.wait_for_selector("img.gmd-chart-contacts, [data-testid='stPlotlyChart']", timeout=30_000)
    page.wait_for_timeout(4_000)  # charts drawn, one refresh done
    page.screenshot(path=str(out))
    page.close()
    print(f"wrote {out}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", help="a running demo (default: start one)")
    parser.add_argument("--alert", type=int, default=1, help="alert id for the console shot")
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshots")
    args = parser.parse_args()
    logging.disable(logging.WARNING)
    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="gmd-shots-") as tmp:
        stack = app = feed = None
        try:
            if args.url:
                base, token, lead, alert_id = args.url.rstrip("/"), "", None, args.alert
            else:
                root = Path(tmp)
                stack = Stack(root, f"sqlite:///{root / 'demo.db'}", refresh_s=5, stale_after_s=30)
                stack.start()
                alert_id = seed_demo(stack)
                feed = LiveFeed(stack, rate=10)
                feed.start()
                app = start_app({**stack.env, "GMD_LANGUAGE": "zh"}, root)
                base, token, lead = app.url, f"&token={KIOSK_TOKEN}", "li"
            with browser() as chromium:
                for size in SIZES:
                    tag = f"{size[0]}x{size[1]}"
                    shoot(chromium, f"{base}/?kiosk=1{token}", args.out / f"wall-{tag}.png",
                          size, None)  # fmt: skip
                    shoot(chromium, f"{base}/console?alert={alert_id}&lang=en",
                          args.out / f"console-{tag}.png", size, lead)  # fmt: skip
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
