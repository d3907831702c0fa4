"""What a rung owner reads: what, how big, since when, in the customers' words, and a link.

Pure text composition (no I/O), bilingual because owners read it on a phone in
whatever chat tool their channel names.  Verbatims are already masked by the
feeds (the anomaly contract says so); they are quoted, never interpreted.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from alerts.models import Alert
from datasources.catalog import label

SEVERITY_LABELS = {
    "critical": "严重 critical",
    "major": "重大 major",
    "minor": "一般 minor",
    "info": "提示 info",
}
KIND_LABELS = {
    "spike": "进线激增 spike",
    "drop": "骤降 drop",
    "queue_breach": "排队超标 queue breach",
    "sentiment_storm": "负面舆情 sentiment storm",
    "transcript_flag": "通话风险 transcript flag",
}


def alert_link(base_url: str, alert_id: int) -> str:
    """Where the console shows this alert."""
    return f"{base_url.rstrip('/')}/console?alert={alert_id}"


def _what(alert: Alert) -> str:
    parts = []
    if alert.business_line:
        zh, en = (label("business_line", alert.business_line, lang) for lang in ("zh", "en"))
        parts.append(f"{zh} {en}" if zh != en else zh)
    if alert.reason:
        zh, en = (label("reason", alert.reason, lang) for lang in ("zh", "en"))
        parts.append(f"{zh} {en}" if zh != en else zh)
    return " · ".join(parts) or alert.series


def _size(alert: Alert) -> str:
    if alert.expected > 0:
        ratio = alert.observed / alert.expected
        return f"{alert.observed:,.0f} vs {alert.expected:,.0f} expected 预期 ({ratio:.1f}×)"
    return f"{alert.observed:,.0f}"


def _duration(seconds: float) -> str:
    minutes = max(0, int(seconds // 60))
    return f"{minutes // 60} h {minutes % 60} min" if minutes >= 60 else f"{minutes} min"


def compose(
    alert: Alert,
    *,
    base_url: str,
    timezone: str,
    now: float,
    verbatims: int,
    cause: str,
    owner: str,
) -> tuple[str, str]:
    """The ring's title and body for ``alert`` as it stands now."""
    severity = SEVERITY_LABELS.get(alert.severity, alert.severity)
    kind = KIND_LABELS.get(alert.kind, alert.kind)
    title = f"【光明顶 Guangmingding】{severity} · {_what(alert)} · {kind}"
    if alert.expected > 0:
        title += f" {alert.observed / alert.expected:.1f}×"
    onset = datetime.fromtimestamp(alert.onset, ZoneInfo(timezone))
    lines = [
        f"告警 Alert #{alert.id} — {alert.status} · {cause}",
        f"什么 What: {_what(alert)} ({alert.series})",
        f"多大 How big: {_size(alert)} {alert.metric}".rstrip(),
        f"从何时 Since: {onset:%m-%d %H:%M} ({timezone}), {_duration(now - alert.onset)}"
        f", seen {alert.count}×",
        f"负责 Owner: {owner}",
    ]
    samples = [v for v in alert.verbatims if v.strip()][:verbatims]
    if samples:
        lines.append("客户原声 Customers say:")
        lines.extend(f"  · “{text.strip()[:200]}”" for text in samples)
    lines.append(f"查看 Open: {alert_link(base_url, alert.id)}")
    return title, "\n".join(lines)
