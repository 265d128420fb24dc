"""Reps: one rep's history — each observed call in order, who observed, what they did, the
praise and criticism noted, and which recognised behaviours came back."""

from __future__ import annotations

import polars as pl
import streamlit as st

from dashboard import charts, formatting, metrics
from dashboard.views import common

FOCUS = "focus"  # the URL's query parameter holding the chosen rep

src, filters = common.page_start(
    "Reps",
    "One rep's coaching history: every observed call in order, what the manager did, what was "
    "praised and criticised, and which recognised behaviours came back.",
)

# The reps with calls in the selection of dates, teams and managers. The picker and the
# sidebar's Rep filter are one choice: picking a rep here sets the filter (unless the rep is
# already in it), and a rep chosen in the sidebar is the one shown here.
by_rep = common.metrics_frame(filters.replace(reps=()), by="rep").filter(pl.col("calls") > 0)
options = by_rep["grp"].to_list()
if not options or (filters.reps and not set(filters.reps) & set(options)):
    common.empty_message()
    st.stop()


def _picked() -> None:
    rep = st.session_state["rep_focus"]
    if rep not in st.session_state.get("f_rep", []):
        st.session_state["f_rep"] = [rep]


wanted = st.query_params.get(FOCUS) or st.session_state.get("_rep_focus")
focus = st.session_state.get("rep_focus")
added = [r for r in filters.reps if r not in st.session_state.get("_rep_filter_seen", ())]
st.session_state["_rep_filter_seen"] = filters.reps
if added and added[-1] in options:
    focus = added[-1]  # just chosen in the sidebar
elif filters.reps and focus not in filters.reps:
    focus = [r for r in filters.reps if r in options][-1]
elif focus not in options:
    focus = wanted if wanted in options else options[0]
st.session_state["rep_focus"] = focus
rep = st.columns([2, 3])[0].selectbox(
    "Rep",
    options,
    key="rep_focus",
    on_change=_picked,
    help="Reps with observed calls in the dates, teams and managers chosen in the sidebar. "
    "Picking one here sets the sidebar's Rep filter too.",
)
st.session_state["_rep_focus"] = rep
if st.query_params.get(FOCUS) != rep:
    st.query_params[FOCUS] = rep

window = filters.window


def interval_text(bounds: list) -> str:
    """'[lo–hi]', or nothing when there is no interval (no calls or events to rest on)."""
    return formatting.interval(bounds) if bounds[0] is not None else ""


DEFINITIONS = metrics.DEFINITIONS
summary = common.metrics_frame(filters.replace(reps=(rep,))).row(0, named=True)
history = common.query(
    "rep_history",
    rep=rep,
    window=window,
    start=filters.start,
    end=filters.end,
    teams=list(filters.teams),
    managers=list(filters.managers),
)

tiles = st.columns(5)
tiles[0].metric("Calls observed", f"{summary['calls']:,}", help=DEFINITIONS["calls"])
tiles[1].metric(
    "Praise : criticism",
    formatting.ratio(summary["praise_to_criticism"]),
    help=DEFINITIONS["praise_to_criticism"],
)
tiles[2].metric(
    "Intervention rate",
    formatting.pct(summary["intervention_rate"]),
    help=DEFINITIONS["intervention_rate"],
)
tiles[3].metric(
    "Debrief rate", formatting.pct(summary["debrief_rate"]), help=DEFINITIONS["debrief_rate"]
)
tiles[4].metric(
    "Recognised praise recurs",
    formatting.pct(summary["rec_rate"]),
    help=DEFINITIONS["recognized_rate"].replace("next K", f"next {window}"),
)
ci = st.columns(5)
ci[0].caption(f"{summary['praise']} praise, {summary['criticism']} criticism notes")
ci[1].caption(
    formatting.with_interval(
        "ratio",
        summary["praise_to_criticism"],
        [summary["praise_to_criticism_lo"], summary["praise_to_criticism_hi"]],
    )
    + (" · small sample" if summary["ratio_small"] else "")
)
ci[2].caption(
    f"{formatting.of(summary['took_over'], summary['calls'])} calls "
    + interval_text([summary["intervention_rate_lo"], summary["intervention_rate_hi"]])
    + (" · small sample" if summary["calls_small"] else "")
)
ci[3].caption(
    f"{formatting.of(summary['debriefed'], summary['debrief_known'])} known "
    + interval_text([summary["debrief_rate_lo"], summary["debrief_rate_hi"]])
    + (" · small sample" if summary["debrief_small"] else "")
)
ci[4].caption(
    f"{formatting.of(summary['rec_recurred'], summary['rec_eligible'])} within {window} calls "
    + interval_text([summary["rec_rate_lo"], summary["rec_rate_hi"]])
    + (" · small sample" if summary["rec_small"] else "")
    if summary["rec_eligible"]
    else f"No recognised praise with {window} later calls yet."
)
if filters.managers:
    st.caption(
        "Only calls observed by "
        + ", ".join(formatting.plain(m) for m in filters.managers)
        + " (sidebar filter)."
    )

common.chart(
    charts.rep_timeline(history), f"ridealong_{formatting.slug(rep)}_timeline", "rep_timeline"
)

st.subheader(f"{formatting.plain(rep)}'s calls")
st.caption(
    f"Oldest first. Praise given on a debriefed call counts as recognised; it **came back** if "
    f"{formatting.plain(rep)} was praised for it again on one of the next {window} calls, and is "
    f"**too soon to tell** when {formatting.plain(rep)} has had fewer than {window} calls since. "
    "Later calls outside the date range count."
)
DEBRIEF = {True: "Yes", False: "No"}
# The behaviours as text ("; " between them), in rows tall enough for Streamlit to wrap them
# (it wraps text cells once a row is over 4rem tall): as pills they were cut off at the edge.
# Widths fit the main area of a 1,400-pixel window; the call ID is in the CSV download.
LISTS = {
    "praise_notes": ("Praise", 140, "Behaviours noted as praise on this call."),
    "criticism_notes": ("Criticism", 130, "Behaviours noted as criticism on this call."),
    "came_back": (
        "Came back",
        110,
        f"Recognised praise (debriefed call) noted again as praise within {window} calls.",
    ),
    "did_not_come_back": (
        "Did not come back",
        112,
        f"Recognised praise not noted again as praise within {window} calls.",
    ),
    "too_soon": (
        "Too soon to tell",
        75,
        f"Recognised praise with fewer than {window} later calls so far.",
    ),
}
table = history.select(
    pl.col("call_no").alias("Call no."),
    pl.col("observed_on").alias("Date"),
    pl.col("manager").alias("Observed by"),
    pl.col("manager_action")
    .replace_strict(charts.ACTION_LABELS, default=pl.col("manager_action"))
    .alias("What they did"),
    pl.col("debrief").replace_strict(DEBRIEF, default="Unknown").alias("Debrief"),
    *[pl.col(c).list.join("; ").alias(label) for c, (label, _w, _h) in LISTS.items()],
)
lines = max(
    [1, *(len(x) for c in LISTS for x in history[c].to_list())],
)
row_height = 35 if lines <= 1 else max(70, 14 + 20 * min(lines, 5))  # up to 5 lines
st.dataframe(
    table,
    hide_index=True,
    width="stretch",
    row_height=row_height,
    height=min(38 + row_height * table.height, 640),
    column_config={
        "Call no.": common.count_column(
            help=f"Position in {formatting.plain(rep)}'s whole history of observed calls (date, "
            "then call ID).",
            width=48,
        ),
        "Date": st.column_config.DateColumn(
            format="D MMM YYYY", help="Day the call was observed.", width=85
        ),
        "Observed by": st.column_config.TextColumn(help="The manager who rode along.", width=100),
        "What they did": st.column_config.TextColumn(
            help="Observed: let the call run. Assisted: answered a question and handed back. "
            "Took over: ran the call.",
            width=85,
        ),
        "Debrief": st.column_config.TextColumn(help="Whether the call had a debrief.", width=53),
        **{
            label: st.column_config.TextColumn(help=text_help, width=width)
            for label, width, text_help in LISTS.values()
        },
    },
)
common.download_csv(
    history.with_columns(
        pl.col(c).list.join("; ")
        for c in ("praise_notes", "criticism_notes", "came_back", "did_not_come_back", "too_soon")
    ).with_columns(pl.lit(rep).alias("rep")),
    f"ridealong_rep_history_{formatting.slug(rep)}.csv",
    key="dl_rep_history",
)
