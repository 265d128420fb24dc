"""Overview: is coaching balanced, who jumps in, does recognition come back — at a glance."""

from __future__ import annotations

import datetime as dt

import streamlit as st

from dashboard import charts, logbook, metrics, text
from dashboard.views import common

REFERENCE_HELP = (
    "A reference line for the praise-to-criticism ratio. 5.6:1 is the widely quoted figure "
    "(Losada and Heaphy's study of business teams); the mathematics behind it has since been "
    "disputed and partly retracted, so treat it as a conversation starter, not a target."
)

src, filters = common.page_start(
    "Overview", "Coaching at a glance: balance, interventions, debriefs and what comes back."
)

# Open debriefs (queries/open_debriefs.sql, as the Log a ride-along page lists them): the
# signed-in leader's, else the one manager in the filter, else everyone's.
if not src.explore:
    signed_in = bool(st.user.get("is_logged_in"))  # absent until sign-in is configured
    leader = (st.user.get("name") or st.user.get("email")) if signed_in else None
    leader = leader or (filters.managers[0] if len(filters.managers) == 1 else None)
    waiting = len(
        common.query("open_debriefs", manager=leader, today=dt.date.today(), days=logbook.OPEN_DAYS)
    )
    st.page_link(
        "views/log.py",
        label=f"Open debriefs: {waiting} call{'' if waiting == 1 else 's'} of the last "
        f"{logbook.OPEN_DAYS} days" + (f" ({leader})" if leader else ""),
        icon=":material/pending_actions:",
        help="Calls whose debrief is marked later or not recorded: open them on the Log a "
        "ride-along page.",
    )

# The period, the previous period and the trend, queried at once (the trend's grouping is the
# widget's value from the last run; the trend below reads it from the cache).
frames = common.metrics_frames(
    metrics.overview_requests(filters, st.session_state.get("trend_period") or "month")
)
current = frames[0].row(0, named=True)
previous = frames[1].row(0, named=True) if len(frames) == 3 else None
if previous is not None and previous["calls"] == 0:
    previous = None

if current["calls"] == 0:
    common.empty_message()
    st.stop()

reference = st.session_state.get("reference_ratio", 5.6)


def delta(name: str, fmt) -> str | None:
    if previous is None or current[name] is None or previous[name] is None:
        return None
    return fmt(current[name] - previous[name])


tiles = st.columns(5)
tiles[0].metric(
    "Calls observed",
    f"{current['calls']:,}",
    delta=None if previous is None else f"{current['calls'] - previous['calls']:+,}",
    help=metrics.DEFINITIONS["calls"] + " Change: against the previous period of equal length.",
)
tiles[1].metric(
    "Praise : criticism",
    text.ratio(current["praise_to_criticism"]),
    delta=delta("praise_to_criticism", lambda d: f"{d:+.1f}"),
    help=metrics.DEFINITIONS["praise_to_criticism"] + f" Reference: {reference:.1f}:1.",
)
tiles[2].metric(
    "Intervention rate",
    text.pct(current["intervention_rate"]),
    delta=delta("intervention_rate", lambda d: f"{d * 100:+.0f} pts"),
    delta_color="inverse",
    help=metrics.DEFINITIONS["intervention_rate"],
)
tiles[3].metric(
    "Debrief rate",
    text.pct(current["debrief_rate"]),
    delta=delta("debrief_rate", lambda d: f"{d * 100:+.0f} pts"),
    help=metrics.DEFINITIONS["debrief_rate"],
)
tiles[4].metric(
    "Recognition lift",
    "–" if current["lift"] is None else f"{current['lift']:.2f}×",
    delta=delta("lift", lambda d: f"{d:+.2f}"),
    help=metrics.DEFINITIONS["lift"],
)
ci = st.columns(5)
ci[1].caption(
    text.ratio_with_ci(
        current["praise_to_criticism"],
        [current["praise_to_criticism_lo"], current["praise_to_criticism_hi"]],
    )
    + (" · few notes" if current["ratio_small"] else "")
)
ci[2].caption(
    f"{current['took_over']} of {current['calls']} calls "
    + text.interval([current["intervention_rate_lo"], current["intervention_rate_hi"]])
)
ci[3].caption(
    f"{current['debriefed']} of {current['debrief_known']} known "
    + text.interval([current["debrief_rate_lo"], current["debrief_rate_hi"]])
)
lift_note = (
    f"recognised {text.pct(current['rec_rate'])} vs unrecognised {text.pct(current['unrec_rate'])}"
)
if current["rec_small"] or current["unrec_small"]:
    lift_note += " · small sample"
ci[4].caption(lift_note)
if previous is not None:
    st.caption(
        f"Changes compare {filters.start:%d %b %Y}–{filters.end:%d %b %Y} with the "
        f"{(filters.end - filters.start).days + 1} days before it ({previous['calls']:,} calls)."
    )

st.divider()
left, right = st.columns([3, 1])
period = (
    left.segmented_control("Trend by", ["month", "quarter"], default="month", key="trend_period")
    or "month"
)
right.number_input(
    "Reference ratio",
    min_value=0.5,
    max_value=20.0,
    step=0.1,
    value=5.6,
    key="reference_ratio",
    help=REFERENCE_HELP,
)
trend = common.metrics_frame(filters, by=period)
c1, c2 = st.columns(2)
with c1:
    common.chart(
        charts.ratio_trend(trend, period, st.session_state["reference_ratio"]),
        "praise_to_criticism",
        "ratio_trend",
    )
with c2:
    common.chart(charts.action_share(trend, period), "manager_actions", "action_share")

with st.expander(f"Figures by {period}"):
    table = trend.select(
        "grp",
        "calls",
        "praise",
        "criticism",
        "praise_to_criticism",
        "observed",
        "assisted",
        "took_over",
        "intervention_rate",
        "debrief_rate",
        "rec_rate",
        "unrec_rate",
        "lift",
    ).rename({"grp": period})
    st.dataframe(table, hide_index=True, width="stretch")
    common.download_csv(table, f"ridealong_by_{period}.csv", key="dl_trend")

st.caption(metrics.OBSERVATIONAL_NOTE)
