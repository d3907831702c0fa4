"""Alert review: was the engine right, and how fast did people act?

Precision and miss rate from the leads' labels (the original system promised
> 90 % and < 10 %), MTTA and MTTR, alerts per business line and per owner over a
chosen period, with plots and the alerts as CSV.  Leads and admins only.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import plotly.graph_objects as go
import streamlit as st

from dashboard.alert_tables import export_frame
from dashboard.charts import bar_figure
from dashboard.console_ui import run_action
from dashboard.i18n import duration, t
from dashboard.page import page_setup
from dashboard.services import get_alert_service, get_settings
from datasources.catalog import label

user, lang = page_setup("lead")
settings = get_settings()
tz = ZoneInfo(settings.screens.timezone)
service = get_alert_service()

st.title(t("page.review"))
today = datetime.now(tz).date()
period = st.date_input(t("review.period"), (today - timedelta(days=6), today), max_value=today)
if not isinstance(period, tuple) or len(period) != 2:
    st.stop()
start = datetime.combine(period[0], time.min, tz).timestamp()
end = datetime.combine(period[1] + timedelta(days=1), time.min, tz).timestamp()

report = run_action(lambda: service.quality(start, end), lang)
alerts = run_action(lambda: service.list_alerts(since=start, limit=100_000), lang)
if report is None or alerts is None:
    st.stop()
in_period = [a for a in alerts if start <= a.first_seen < end]


def pct(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.1f}%"


def secs(value: float | None) -> str:
    return "—" if value is None else duration(value, lang)


c1, c2, c3, c4, c5 = st.columns(5)
c1.metric(t("review.alerts"), report.alerts)
c2.metric(t("review.precision"), pct(report.precision))
c3.metric(t("review.miss_rate"), pct(report.miss_rate))
c4.metric(t("review.mtta"), secs(report.mtta_s))
c5.metric(t("review.mttr"), secs(report.mttr_s))
st.caption(
    t(
        "review.labels",
        valid=report.valid,
        noise=report.noise,
        duplicate=report.duplicate,
        unlabelled=report.unlabelled,
        missed=report.missed,
    )
    + " · "
    + t("review.targets")
)

left, right = st.columns(2)
lines = {label("business_line", k, lang): v for k, v in report.by_business_line.items()}
figure: go.Figure = bar_figure(lines, height=320)
left.subheader(t("review.by_line"))
left.plotly_chart(figure, key="review-lines", width="stretch")
right.subheader(t("review.by_owner"))
teams = service.teams()
owners = {teams.get(k, k): v for k, v in report.by_owner.items()}
right.plotly_chart(bar_figure(owners, height=320), key="review-owners", width="stretch")

st.download_button(
    t("review.csv"),
    export_frame(in_period).to_csv(index=False).encode("utf-8"),
    file_name=f"alerts-{period[0]}-{period[1]}.csv",
    mime="text/csv",
)
