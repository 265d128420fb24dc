"""Overview: is coaching balanced, who jumps in, does recognition come back — at a glance."""

from __future__ import annotations

import datetime as dt

import polars as pl
import streamlit as st

from dashboard import charts, formatting, logbook, metrics, quarterly
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
# signed-in leader's, else the one manager in the filter, else everyone's. An empty store says
# "No calls yet" below instead.
if not src.explore and not src.store.is_empty():
    signed_in = bool(st.user.get("is_logged_in"))  # absent until sign-in is configured
    leader = (st.user.get("name") or st.user.get("email")) if signed_in else None
    leader = leader or (filters.managers[0] if len(filters.managers) == 1 else None)
    waiting = len(
        common.query("open_debriefs", manager=leader, today=dt.date.today(), days=logbook.OPEN_DAYS)
    )
    st.page_link(
        "views/log.py",
        label=f"Open debriefs: {waiting} call{'' if waiting == 1 else 's'} of the last "
        f"{logbook.OPEN_DAYS} days" + (f" ({formatting.plain(leader)})" if leader else ""),
        icon=":material/pending_actions:",
        help="Calls whose debrief is marked later or not recorded: open them on the Log a "
        "ride-along page.",
    )

# The period, the previous period and the trend, queried at once (the trend's grouping is the
# widget's value from the last run; the trend below reads it from the cache).
frames = common.metrics_frames(
    metrics.overview_requests(filters, st.session_state.get("trend_period") or "month")
)
first_day = common.query("data_range").row(0, named=True)["first_day"]
current = frames[0].row(0, named=True)
previous = frames[1].row(0, named=True) if len(frames) == 3 else None
# A previous period that starts before the data would compare with part of a period
no_earlier = bool(
    previous is not None
    and first_day is not None
    and metrics.previous_period(filters.start, filters.end)[0] < first_day
)
if no_earlier or (previous is not None and previous["calls"] == 0):
    previous = None

if current["calls"] == 0:
    common.empty_message()
    st.stop()

reference = st.session_state.get("reference_ratio", 5.6)


def adjusted(selection: metrics.Filters) -> metrics.Adjusted:
    strata = common.query("effect_strata", by="all", adjust_by="rep", **selection.params())
    found = metrics.adjusted_from_strata(strata, selection.min_n, "rep")
    return found.get("") or metrics.empty_adjusted("rep", selection.min_n)


current = metrics.with_adjusted(current, adjusted(filters))
if previous is not None:
    prev_start, prev_end = metrics.previous_period(filters.start, filters.end)
    previous = metrics.with_adjusted(
        previous, adjusted(filters.replace(start=prev_start, end=prev_end))
    )


def tile(column, measure: quarterly.Measure, value: str, note: str) -> None:
    """A tile: the figure (marked when small), its change when beyond chance in colour (the
    quarterly review's test), grey otherwise, and the change's interval in the tooltip."""
    change = quarterly.Change(measure, current, previous or current, filters.min_n)
    small = change.small(current)
    shown = value + (formatting.mark(small) if value != "–" else "")
    help_text = measure.help
    delta, arrow = None, "auto"
    if previous is None:
        help_text += " " + ("No earlier data to compare with." if no_earlier else "")
    elif change.delta is not None:
        delta = change.signed_change_text()
        if change.change_text() == "same":
            arrow = "off"
        interval = change.change_interval_text()
        help_text += (
            f" Change against the previous period of equal length: {change.chance_text()}"
            + (f"; {interval}" if interval else "")
            + "."
        )
    colour = change.tile_colour if delta is not None else "off"
    column.metric(
        measure.label, shown, delta=delta, delta_color=colour, delta_arrow=arrow, help=help_text
    )
    column.caption(note + (" · small sample" if small else ""))


tiles = st.columns(5)
tile(
    tiles[0],
    quarterly.CALLS,
    f"{current['calls']:,}",
    "no earlier data" if no_earlier else "",
)
tile(
    tiles[1],
    quarterly.RATIO,
    formatting.ratio_counts(
        current["praise"], current["criticism"], current["praise_to_criticism"]
    ),
    formatting.interval(
        [current["praise_to_criticism_lo"], current["praise_to_criticism_hi"]], formatting.ratio
    )
    + f" · reference {reference:.1f}:1",
)
tile(
    tiles[2],
    quarterly.INTERVENTION,
    formatting.pct(current["intervention_rate"]),
    f"{formatting.of(current['took_over'], current['calls'])} calls "
    + formatting.interval([current["intervention_rate_lo"], current["intervention_rate_hi"]]),
)
tile(
    tiles[3],
    quarterly.DEBRIEF,
    formatting.pct(current["debrief_rate"]),
    f"{formatting.of(current['debriefed'], current['debrief_known'])} known "
    + formatting.interval([current["debrief_rate_lo"], current["debrief_rate_hi"]]),
)
tile(
    tiles[4],
    quarterly.ADJ_LIFT,
    formatting.times(current["adj_lift"]),
    formatting.interval([current["adj_lift_lo"], current["adj_lift_hi"]], formatting.times)
    + f" within {formatting.count(current['adj_lift_strata'])} reps"
    + f" · crude {formatting.times(current['lift'])} "
    + formatting.interval([current["lift_lo"], current["lift_hi"]], formatting.times),
)
if previous is not None:
    st.caption(
        f"Changes compare {filters.start:%d %b %Y}–{filters.end:%d %b %Y} with the "
        f"{(filters.end - filters.start).days + 1} days before it ({previous['calls']:,} calls). "
        "Coloured only when beyond chance (the quarterly review's test); grey within chance "
        "or resting on too few."
    )
elif no_earlier:
    st.caption("No earlier data: the period before this one starts before the first call.")
st.caption(
    "Recognition lift within rep compares each rep with themselves; the crude lift pools "
    "everyone, mixing up who watches with what works. " + metrics.OBSERVATIONAL_NOTE
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

RATES = ("intervention_rate", "debrief_rate", "rec_rate", "unrec_rate")

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
        "calls_small",
        "ratio_small",
    ).rename({"grp": period})
    # on the page: rates in percent, counts with separators; the CSV keeps the figures as they are
    shown = table.with_columns(pl.col(*RATES) * 100)
    rate = {"format": "%.0f%%"}
    st.dataframe(
        shown,
        hide_index=True,
        width="stretch",
        column_config={
            period: st.column_config.TextColumn(period.capitalize()),
            "calls": common.count_column("Calls"),
            "praise": common.count_column("Praise"),
            "criticism": common.count_column("Criticism"),
            "praise_to_criticism": st.column_config.NumberColumn(
                "Praise : criticism", format="%.1f:1"
            ),
            "observed": common.count_column("Observed"),
            "assisted": common.count_column("Assisted"),
            "took_over": common.count_column("Took over"),
            "intervention_rate": st.column_config.NumberColumn("Intervention rate", **rate),
            "debrief_rate": st.column_config.NumberColumn("Debrief rate", **rate),
            "rec_rate": st.column_config.NumberColumn("Recognised came back", **rate),
            "unrec_rate": st.column_config.NumberColumn("Unrecognised came back", **rate),
            "lift": st.column_config.NumberColumn("Lift (crude)", format="%.2f×"),
            "calls_small": st.column_config.CheckboxColumn("Few calls"),
            "ratio_small": st.column_config.CheckboxColumn("Few notes"),
        },
    )
    common.download_csv(table, f"ridealong_by_{period}.csv", key="dl_trend")
