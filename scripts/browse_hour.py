"""Browse a simulated hour of ``gmd run`` as its people would, and count what went wrong.

Starts ``gmd run`` on a free port and a fresh data directory, fast-forwarded
(``--speed 4``: the Double-11 midnight hour in 15 minutes), and every simulated
minute (the data's own clock, the contacts watermark) opens the wall and the
console page of every alert that is new or changed since the last look, in Chinese
and English by turns; at the end every alert's page once more in both languages.
On each page it counts Streamlit exception elements, personal data a person can
read unmasked (``tests/pii_cases.find_pii``, the masking tests' detector) and raw
identifiers (``tests/raw_identifiers``, the browser matrix's list).

It lives in ``scripts/`` rather than ``bench/``: it is an end-to-end check of what
people see, not a performance figure against a reference, and ``make bench`` should
not spend a quarter of an hour on it.  It prints figures as it goes and, last, one
JSON line ``{"minutes", "rounds", "pages_opened", "alerts", "error_elements",
"pii_leaks", "raw_identifiers", ...}``; the exit code is 1 if any count is not 0.

    .venv/bin/python scripts/browse_hour.py [--speed 4] [--minutes 60]
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from alerts.service import AlertService  # noqa: E402
from datasources.db import make_engine  # noqa: E402
from datasources.keys import Keys  # noqa: E402
from datasources.redis_conn import connect  # noqa: E402
from datasources.settings import load_settings  # noqa: E402
from tests.browser_support import browser, free_port, wait_ready  # noqa: E402
from tests.pii_cases import find_pii  # noqa: E402
from tests.raw_identifiers import raw_identifiers  # noqa: E402

ERRORS = "[data-testid='stException']"
LANGS = ("zh", "en")


@dataclass
class Tally:
    pages: int = 0
    errors: int = 0
    pii: Counter[str] = field(default_factory=Counter)
    raw: Counter[str] = field(default_factory=Counter)
    where: list[str] = field(default_factory=list)
    """One line per page with a finding, for the person reading the output."""


def routing_ids() -> list[str]:
    """Team and person ids of the shipped routing file: codes nobody should read."""
    routing = yaml.safe_load((ROOT / "alerts" / "routing.example.yaml").read_text("utf-8"))
    return [*routing.get("teams", {}), *routing.get("people", {})]


def look(page: Any, url: str, lang: str, ready: str, tally: Tally, extra: list[str]) -> None:
    """Open ``url``, let it settle, and count what a person would see wrong there."""
    page.goto(url)
    wait_ready(page, 60_000)
    page.wait_for_selector(ready, timeout=30_000)
    page.wait_for_timeout(800)  # a fragment's first refresh
    text = page.locator("body").inner_text()
    errors = page.locator(ERRORS).count()
    pii = find_pii(text)
    raw = raw_identifiers(text, lang, extra)
    tally.pages += 1
    tally.errors += errors
    tally.pii.update(pii)
    tally.raw.update(raw)
    if errors or pii or raw:
        tally.where.append(f"{url}: {errors} errors, pii {pii[:3]}, raw {raw[:5]}")


def start(port: int, data_dir: Path, speed: float) -> subprocess.Popen[bytes]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GMD_")}
    log = (data_dir.parent / "gmd-run.log").open("wb")
    command = [sys.executable, "-m", "gmd", "run", "--port", str(port),
               "--data-dir", str(data_dir), "--speed", str(speed)]  # fmt: skip
    return subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
                            start_new_session=True)  # fmt: skip


def stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(40)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def browse(args: argparse.Namespace, data_dir: Path, base: str) -> dict[str, Any]:
    settings = load_settings(data_dir=data_dir)
    keys = Keys.from_settings(settings)
    client = connect(f"unix://{data_dir / 'redis' / 'redis.sock'}")
    service = AlertService(settings, make_engine(settings.effective_database_url))
    extra, tally = routing_ids(), Tally()
    seen: dict[int, str] = {}
    first_minute = last_minute = None
    rounds = 0
    began = time.monotonic()
    with browser() as chromium:
        page = chromium.new_page(viewport={"width": 1920, "height": 1080})
        while time.monotonic() - began < args.timeout_s:
            mark = client.hget(keys.watermark, "contacts")
            minute = int(float(mark) // 60) if mark else None
            if minute is None or minute == last_minute:
                time.sleep(0.5)
                continue
            first_minute = minute if first_minute is None else first_minute
            last_minute = minute
            lang = LANGS[rounds % 2]
            rounds += 1
            look(page, f"{base}/?lang={lang}", lang, "[data-testid='gmd-wall']", tally, extra)
            for alert in service.list_alerts(limit=500):
                if seen.get(alert.id) != alert.status:
                    seen[alert.id] = alert.status
                    url = f"{base}/console?alert={alert.id}&lang={lang}"
                    look(page, url, lang, "h1", tally, extra)
            print(f"minute {minute - first_minute:3d}: {tally.pages} pages, {len(seen)} alerts, "
                  f"{tally.errors} errors, {sum(tally.pii.values())} pii, "
                  f"{sum(tally.raw.values())} raw", flush=True)  # fmt: skip
            if minute - first_minute >= args.minutes:
                break
        for alert_id in sorted(seen):  # every alert once more, in both languages
            for lang in LANGS:
                url = f"{base}/console?alert={alert_id}&lang={lang}"
                look(page, url, lang, "h1", tally, extra)
    kinds = Counter(a.kind for a in service.list_alerts(limit=500))
    client.close()
    service.close(wait=False)
    for line in tally.where[:30]:
        print("  " + line)
    return {
        "minutes": (last_minute or 0) - (first_minute or 0),
        "rounds": rounds,
        "pages_opened": tally.pages,
        "alerts": len(seen),
        "alert_kinds": dict(kinds),
        "error_elements": tally.errors,
        "pii_leaks": sum(tally.pii.values()),
        "raw_identifiers": sum(tally.raw.values()),
        "pii_examples": sorted(tally.pii)[:5],
        "raw_examples": sorted(tally.raw)[:10],
        "wall_s": round(time.monotonic() - began, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--speed", type=float, default=4.0, help="simulated seconds per second")
    parser.add_argument("--minutes", type=int, default=60, help="simulated minutes to browse")
    parser.add_argument("--timeout-s", type=float, default=3600.0, help="give up after this")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="gmd-browse-") as tmp:
        data_dir = Path(tmp) / "data"
        port = free_port()
        process = start(port, data_dir, args.speed)
        try:
            base = f"http://127.0.0.1:{port}"
            deadline = time.monotonic() + 120
            while not (data_dir / "guangmingding.db").exists() or process.poll() is not None:
                if time.monotonic() > deadline or process.poll() is not None:
                    sys.exit(f"gmd run did not start: {(Path(tmp) / 'gmd-run.log').read_text()}")
                time.sleep(1)
            result = browse(args, data_dir, base)
        finally:
            stop(process)
    print(json.dumps(result, ensure_ascii=False))
    counts = ("error_elements", "pii_leaks", "raw_identifiers")
    sys.exit(1 if any(result[k] for k in counts) else 0)


if __name__ == "__main__":
    main()
