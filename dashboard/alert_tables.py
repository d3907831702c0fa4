"""Alerts as tables for the console list, the timeline and the review's CSV.

Pure functions from the alert service's views to DataFrames with labelled columns
in the reader's language; Streamlit shows DataFrame cells as plain text, so
customer words and names in notes stay inert.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from zoneinfo import ZoneInfo

import pandas as pd

from alerts.views import AlertView, EventView
from dashboard.i18n import Language, translate
from datasources.catalog import label


def _time(ts: float | None, tz: str) -> str:
    if not ts:
        return ""
    return datetime.fromtimestamp(ts, ZoneInfo(tz)).strftime("%m-%d %H:%M:%S")


def alerts_frame(alerts: Sequence[AlertView], lang: Language, tz: str) -> pd.DataFrame:
    """One row per alert, in the given order, for the console's list."""
    rows = [
        {
            "id": a.id,
            translate("col.severity", lang): translate(f"severity.{a.severity}", lang),
            translate("col.status", lang): translate(f"status.{a.status}", lang),
            translate("col.business_line", lang): label(
                "business_line", a.business_line or "*", lang
            ),
            translate("col.reason", lang): label("reason", a.reason, lang) if a.reason else "",
            translate("col.kind", lang): translate(f"kind.{a.kind}", lang),
            translate("col.ratio", lang): round(a.ratio, 1) if a.expected else None,
            translate("col.onset", lang): _time(a.onset, tz),
            translate("col.owner", lang): a.owner_team,
            translate("col.acked_by", lang): a.acked_by or "",
        }
        for a in alerts
    ]
    return pd.DataFrame(rows)


def timeline_frame(events: Sequence[EventView], lang: Language, tz: str) -> pd.DataFrame:
    """Every state change and note: when, who, what, and the rule that decided it."""
    return pd.DataFrame(
        [
            {
                translate("col.at", lang): _time(e.at, tz),
                translate("col.by", lang): e.by,
                translate("col.action", lang): e.action,
                translate("col.change", lang): (
                    f"{e.from_status or ''} → {e.to_status}" if e.to_status else ""
                ),
                translate("col.rule", lang): e.rule,
                translate("col.text", lang): e.text,
            }
            for e in events
        ]
    )


EXPORT_COLUMNS = (
    "id", "business_line", "reason", "kind", "severity", "status", "owner_team", "first_seen",
    "onset", "acked_by", "acked_at", "resolved_by", "resolved_at", "label", "labelled_by",
    "observed", "expected", "count",
)  # fmt: skip


def export_frame(alerts: Sequence[AlertView]) -> pd.DataFrame:
    """The review's CSV: stable English column names, epoch times as ISO UTC."""
    frame = pd.DataFrame([{c: getattr(a, c) for c in EXPORT_COLUMNS} for a in alerts])
    if frame.empty:
        return pd.DataFrame(columns=list(EXPORT_COLUMNS))
    for column in ("first_seen", "onset", "acked_at", "resolved_at"):
        frame[column] = pd.to_datetime(frame[column], unit="s", utc=True)
    return frame
