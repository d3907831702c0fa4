"""How long one wall refresh takes on the server, and whether that depends on traffic.

1. Two deployments (two key prefixes on one private redis-server) are filled through
   the real aggregate writer (:class:`BatchAggregate`):
   * *quiet*: one hour of simulator traffic at a low rate;
   * *peak*: a full Double-11 day at 10x the simulator's Double-11 rate (400
     contacts/s on the daily curve with its midnight surge: ~35 million contacts,
     every business line x reason x channel present in every minute), plus queue
     snapshots and voices.  Identical contacts of a minute are handed to the writer
     as one repeated event, so the day is written in minutes, not hours.
2. One refresh = exactly what the wall's fragment does: :func:`load_wall` (aggregates
   and open alerts) then :func:`build_wall` and :func:`show_wall` (HTML, figures,
   serialised by Streamlit), timed over many runs for each deployment (the server
   shares one build between sessions; here every refresh builds).
3. 50 wall sessions on one ``streamlit run`` process, each a websocket client
   speaking Streamlit's protocol and re-running the wall fragment when the server's
   ``auto_rerun`` says so; each refresh is timed from request to ``script_finished``.

Last line: ``{"quiet_ms", "peak_ms", "ratio", "p95_ms", "sessions", "max_refresh_s"}``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import statistics
import sys
import tempfile
import time
from itertools import repeat
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from alerts.masking import mask_pii  # noqa: E402
from bench.support.wall_clients import run_sessions  # noqa: E402
from dashboard.history import HistoryCache  # noqa: E402
from dashboard.wall_data import load_wall  # noqa: E402
from dashboard.widgets import build_wall, show_wall  # noqa: E402
from datasources.aggregates import AggregateReader  # noqa: E402
from datasources.aggregates_write import BatchAggregate, record_progress  # noqa: E402
from datasources.catalog import SKILL_GROUPS, skill_group_line  # noqa: E402
from datasources.keys import Keys  # noqa: E402
from datasources.schemas import (  # noqa: E402
    Channel,
    ContactEvent,
    HandledBy,
    Outcome,
    QueueSnapshot,
    VoiceEvent,
    VoiceSource,
)
from datasources.settings import Settings  # noqa: E402
from datasources.simulator.curve import load_factor  # noqa: E402
from datasources.simulator.mix import reason_rates, skill_group_for  # noqa: E402
from tests.browser_support import (  # noqa: E402
    Stack,
    alert_service,
    fill_history,
    open_alert,
    start_app,
)

BUCKET_S = 60
"""One writer bucket per minute carries that minute's contacts (the wall reads minutes)."""
CHANNELS = (Channel.ROBOT, Channel.CHAT, Channel.HOTLINE, Channel.APP_MESSAGE)
HANDLERS = (HandledBy.ROBOT, HandledBy.AGENT, HandledBy.CLOUD_AGENT)


def _contact(ts: float, line: str, reason: str, channel: Channel, handler: HandledBy,
             outcome: Outcome, waited: float) -> ContactEvent:  # fmt: skip
    return ContactEvent.model_construct(
        v="1", ts=ts, contact_id="bench", channel=channel, business_line=line, reason=reason,
        skill_group=skill_group_for(line, reason), handled_by=handler, waited_s=waited,
        outcome=outcome, verbatim=None, sentiment=None,
    )  # fmt: skip


def fill_peak_day(stack: Stack, settings: Settings, end: float, rate: float) -> int:
    """A day of ``rate`` contacts/s on the Double-11 curve, hour by hour, via the writer."""
    client = stack.client()
    keys = Keys.from_settings(settings)
    pairs = reason_rates()
    groups = [g for gs in SKILL_GROUPS.values() for g in gs]
    start = (int(end) - 86400) // BUCKET_S * BUCKET_S
    total = 0
    for hour_start in range(start, int(end), 3600):
        batch = BatchAggregate(settings, mask_pii)
        for b in range(hour_start, min(hour_start + 3600, int(end)), BUCKET_S):
            per_bucket = rate * load_factor(b + 5) * BUCKET_S
            for i, (line, reason, share) in enumerate(pairs):
                n = max(1, round(per_bucket * share))
                parts = [(CHANNELS[(i + k) % 4], HANDLERS[(i + k) % 3]) for k in range(3)]
                for k, (channel, handler) in enumerate(parts):
                    count = n // 3 + (1 if k < n % 3 else 0)
                    event = _contact(b + k, line, reason, channel, handler, Outcome.ANSWERED, k * 7)
                    batch.add_contacts(repeat(event, count))
                    total += count
                batch.add_contacts([_contact(b + 9, line, reason, Channel.CHAT, HandledBy.AGENT,
                                             Outcome.ABANDONED, 40.0)])  # fmt: skip
            batch.add_queue(
                QueueSnapshot.model_construct(
                    v="1",
                    ts=b + 1,
                    skill_group=g,
                    business_line=skill_group_line(g),
                    waiting=int(per_bucket / 50),
                    agents_available=40,
                    agents_busy=200,
                    cloud_agents_available=10,
                    cloud_agents_busy=90,
                    longest_wait_s=25.0,
                )
                for g in groups
            )
            for j, line in enumerate(SKILL_GROUPS):
                for source in VoiceSource:
                    voice = VoiceEvent.model_construct(
                        v="1", ts=b + 2, voice_id="bench", source=source, business_line=line,
                        text="双十一物流太慢了", sentiment=-0.6 if j % 2 else 0.3, reach=100,
                    )  # fmt: skip
                    batch.add_voices(repeat(voice, max(1, round(per_bucket * 0.01))))
        pipe = client.pipeline(transaction=False)
        batch.flush(keys, pipeline=pipe)
        last = min(hour_start + 3600, int(end)) - 1
        for feed in ("contacts", "queue", "voices"):
            record_progress(keys, feed, last, time.time(), pipeline=pipe)
        pipe.execute()
    client.close()
    return total


def add_alerts(settings: Settings, stack: Stack, now: float) -> None:
    service = alert_service(settings, stack.client())
    for line, reason in (("tmall", "refund"), ("taobao", "logistics_delay"),
                         ("alipay", "payment_failure"), ("eleme", "delivery_late")):  # fmt: skip
        open_alert(service, business_line=line, reason=reason, onset=now - 900,
                   verbatims=["退款三天没到账", "快递五天没动", "客服一直排队"])  # fmt: skip
    service.close(wait=False)


def time_refreshes(settings: Settings, stack: Stack, runs: int, gap_s: float) -> list[float]:
    """Milliseconds of ``runs`` refreshes ``gap_s`` apart: load_wall + build/show (bare
    mode), as a long-running wall does them (the first, cold one is not counted)."""
    client = stack.client()
    keys = Keys.from_settings(settings)
    reader = AggregateReader(client, keys, settings)
    service = alert_service(settings, client)
    history = HistoryCache()
    times: list[float] = []
    loads: list[float] = []
    for _ in range(runs + 1):
        time.sleep(gap_s)
        started = time.perf_counter()
        snapshot = load_wall(
            reader, service, history, business_line=None, stale_after_s=settings.stale_after_s,
            obstacles_max=settings.screens.obstacles_max,
            verbatims_n=settings.screens.verbatims_per_obstacle,
        )  # fmt: skip
        drawn = time.perf_counter()
        show_wall(build_wall(snapshot, None, None, "zh", settings))
        times.append((time.perf_counter() - started) * 1000)
        loads.append((drawn - started) * 1000)
    service.close(wait=False)
    reading = statistics.median(loads[1:])
    drawing = statistics.median(times[1:]) - reading
    print(f"  {settings.redis_prefix}: reading {reading:.1f} ms, drawing {drawing:.1f} ms")
    return times[1:]


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=40, help="refreshes timed per deployment")
    parser.add_argument("--gap", type=float, default=0.1, help="seconds between timed refreshes")
    parser.add_argument("--sessions", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=40.0, help="how long sessions run")
    parser.add_argument("--refresh", type=float, default=5.0, help="wall refresh_s")
    parser.add_argument("--peak-rate", type=float, default=400.0, help="contacts/s at peak")
    args = parser.parse_args()
    logging.disable(logging.WARNING)  # Streamlit's bare-mode warnings, failed demo rings
    with tempfile.TemporaryDirectory(prefix="gmd-render-") as tmp:
        root = Path(tmp)
        stack = Stack(root, f"sqlite:///{root / 'bench.db'}", prefix="quiet",
                      refresh_s=args.refresh, stale_after_s=60)  # fmt: skip
        stack.start()
        try:
            now = time.time()
            quiet = stack.settings()
            started = time.perf_counter()
            n = fill_history(stack.client(), Keys("quiet"), quiet, end=now, minutes=60, rate=2)
            print(f"quiet hour: {n:,} events written in {time.perf_counter() - started:.1f}s")
            add_alerts(quiet, stack, now)
            stack.prefix = "peak"
            peak = stack.settings()
            started = time.perf_counter()
            n = fill_peak_day(stack, peak, now, args.peak_rate)
            print(f"peak day: {n:,} contacts written in {time.perf_counter() - started:.1f}s")
            add_alerts(peak, stack, now)
            time_refreshes(quiet, stack, 3, 0)  # warm imports of both code paths
            quiet_ms = time_refreshes(quiet, stack, args.runs, args.gap)
            peak_ms = time_refreshes(peak, stack, args.runs, args.gap)
            q, p = statistics.median(quiet_ms), statistics.median(peak_ms)
            print(f"one refresh, median: quiet {q:.1f} ms, peak {p:.1f} ms, ratio {p / q:.2f}")
            print(f"p95: quiet {p95(quiet_ms):.1f} ms, peak {p95(peak_ms):.1f} ms")
            app = start_app(stack.env, root)
            try:
                refreshes = asyncio.run(
                    run_sessions(
                        app.url, "kiosk=1&token=wall-token-123", args.sessions, args.seconds
                    )
                )
            finally:
                app.stop()
        finally:
            stack.stop()
    flat = [r for per in refreshes for r in per]
    served = sum(1 for per in refreshes if per)
    worst = max(flat) if flat else float("inf")
    print(f"{served}/{args.sessions} sessions refreshed {len(flat)} times; "
          f"median {statistics.median(flat) * 1000:.0f} ms, max {worst * 1000:.0f} ms")  # fmt: skip
    result = {
        "quiet_ms": round(q, 1),
        "peak_ms": round(p, 1),
        "ratio": round(p / q, 3),
        "p95_ms": round(p95(peak_ms), 1),
        "sessions": served,
        "max_refresh_s": round(worst, 3),
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
