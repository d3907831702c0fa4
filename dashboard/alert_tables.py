"""Alerts as tables for the console list, the timeline and the review's CSV.

Pure functions from the alert service's views to DataFrames with labelled columns
in the reader's language; Streamlit shows DataFrame cells as plain text, so
customer words and names in notes stay inert.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from zoneinfo import ZoneInfo

import pandas as pd

from alerts.views import AlertView, EventView
from dashboard.alert_words import alert_title, change_text, event_sentence, person, ratio_text
from dashboard.i18n import Language, translate


def _time(ts: float | None, tz: str) -> str:
    if not ts:
        return ""
    return datetime.fromtimestamp(ts, ZoneInfo(tz)).strftime("%m-%d %H:%M:%S")


def alerts_frame(
    alerts: Sequence[AlertView], lang: Language, tz: str, teams: Mapping[str, str]
) -> pd.DataFrame:
    """One row per alert, in the given order, for the console's list (every cell is
    words or a number: team names, not ids; ``—`` where a ratio means nothing)."""
    rows = [
        {
            "#": a.id,
            translate("col.severity", lang): translate(f"severity.{a.severity}", lang),
            translate("col.status", lang): translate(f"status.{a.status}", lang),
            translate("col.what", lang): alert_title(a, lang),
            translate("col.ratio", lang): ratio_text(a, lang),
            translate("col.onset", lang): _time(a.onset, tz),
            translate("col.owner", lang): teams.get(a.owner_team, a.owner_team),
            translate("col.acked_by", lang): a.acked_by or "",
        }
        for a in alerts
    ]
    return pd.DataFrame(rows)


def timeline_frame(events: Sequence[EventView], lang: Language, tz: str) -> pd.DataFrame:
    """Every state change and note in the reader's language: when, who, what happened,
    how the status moved, and why (the rule's sentence with its facts and any words a
    person gave)."""
    return pd.DataFrame(
        [
            {
                translate("col.at", lang): _time(e.at, tz),
                translate("col.by", lang): person(e.by, lang),
                translate("col.action", lang): translate(f"action.{e.action}", lang),
                translate("col.change", lang): change_text(e.from_status, e.to_status, lang),
                translate("col.text", lang): event_sentence(e.rule, e.detail, e.text, lang, tz),
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
