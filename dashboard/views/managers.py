"""Managers: one row per manager, and a funnel plot of intervention rate instead of a league
table."""

from __future__ import annotations

import polars as pl
import streamlit as st

from dashboard import charts, effects, formatting, metrics
from dashboard.views import common

src, filters = common.page_start(
    "Managers",
    "How each manager rides along: how often they take the call over, debrief, and whether the "
    "praise they give comes back.",
)

by_manager = metrics.shrunk_rates(
    common.metrics_frame(filters, by="manager").filter(pl.col("calls") > 0)
)
if by_manager.is_empty():
    common.empty_message()
    st.stop()

DEFINITIONS = metrics.DEFINITIONS
CI_HELP = (
    "Wilson 95% interval: the range the rate could plausibly have, given how many calls or "
    "events it rests on."
)


def _interval(lo: str, hi: str, fmt=None) -> pl.Series:
    """'12–17%' (or '1.9–2.4' with FMT) for each row from two interval columns ('' when there
    is no interval): no brackets, the column is headed 95% CI, so the table fits the window."""
    pairs = zip(by_manager[lo], by_manager[hi], strict=True)
    return pl.Series([formatting.span(a, b, fmt) for a, b in pairs], dtype=pl.String)


def _small_note(row: dict) -> str:
    parts = []
    if row["calls_small"]:
        parts.append("calls")
    if row["ratio_small"]:
        parts.append("notes")
    if row["debrief_small"]:
        parts.append("debriefs known")
    if row["planned_observer_small"] and row["planned_observer"]:
        parts.append("planned as observer")
    if row["rec_small"]:
        parts.append("recurrence")
    return "small sample: " + ", ".join(parts) if parts else ""


# Internal column names are unique; several share the display label "95% CI".
table = by_manager.select(
    pl.col("grp").alias("manager"),
    pl.col("calls"),
    pl.col("praise_to_criticism").alias("ratio"),
    _interval(
        "praise_to_criticism_lo",
        "praise_to_criticism_hi",
        lambda value: formatting.rounded(value, 1),
    ).alias("ratio_ci"),
    (pl.col("intervention_rate") * 100).alias("intervention"),
    _interval("intervention_rate_lo", "intervention_rate_hi").alias("intervention_ci"),
    (pl.col("intervention_rate_eb") * 100).alias("intervention_eb"),
    (pl.col("planned_observer_took_over_rate") * 100).alias("observer_took_over"),
    _interval("planned_observer_took_over_rate_lo", "planned_observer_took_over_rate_hi").alias(
        "observer_took_over_ci"
    ),
    (pl.col("debrief_rate") * 100).alias("debrief"),
    _interval("debrief_rate_lo", "debrief_rate_hi").alias("debrief_ci"),
    (pl.col("debrief_rate_eb") * 100).alias("debrief_eb"),
    (pl.col("rec_rate") * 100).alias("recurs"),
    _interval("rec_rate_lo", "rec_rate_hi").alias("recurs_ci"),
    (pl.col("rec_rate_eb") * 100).alias("recurs_eb"),
    pl.Series("note", [_small_note(r) for r in by_manager.to_dicts()]),
)
if not (table["note"].str.len_chars() > 0).any():
    table = table.drop("note")
pct_format = "%.0f%%"


def ci_column() -> st.column_config.Column:
    return st.column_config.TextColumn("95% CI", help=CI_HELP, width=60)


# Pixel widths that fit the table in the main area of a 1,400-pixel window (938 px beside the
# sidebar) without a horizontal scroll bar; the headers show in full.
WIDTHS = {"calls": 52, "ratio": 112, "rates": 74, "observer": 126, "recurs": 96}


EB_HELP = (
    "Partially pooled: the manager's rate pulled toward the team's, more so the fewer calls or "
    "events it rests on (empirical Bayes, a beta-binomial fitted to all the managers shown). "
    "Read this one for a manager with few calls."
)


def eb_column(label: str) -> st.column_config.Column:
    return st.column_config.NumberColumn(label, format=pct_format, help=EB_HELP)


# The partially pooled rates get a table of their own, beside the raw rates they temper: in
# the main table they pushed it past the width of a 1,400-pixel window.
EB = ("intervention_eb", "debrief_eb", "recurs_eb")
pooled = table.select(
    "manager", "calls", "intervention", *EB[:1], "debrief", *EB[1:2], "recurs", *EB[2:]
)

st.subheader("Each manager")
st.dataframe(
    table.drop(EB),
    hide_index=True,
    width="stretch",
    column_config={
        "manager": st.column_config.TextColumn("Manager", help="The manager who rode along."),
        "calls": common.count_column("Calls", help=DEFINITIONS["calls"], width=WIDTHS["calls"]),
        "ratio": st.column_config.NumberColumn(
            "Praise : criticism",
            format="%.1f:1",
            help=DEFINITIONS["praise_to_criticism"],
            width=WIDTHS["ratio"],
        ),
        "ratio_ci": ci_column(),
        "intervention": st.column_config.NumberColumn(
            "Took over",
            format=pct_format,
            help=DEFINITIONS["intervention_rate"],
            width=WIDTHS["rates"],
        ),
        "intervention_ci": ci_column(),
        "observer_took_over": st.column_config.NumberColumn(
            "Observer took over",
            format=pct_format,
            help=DEFINITIONS["planned_observer_took_over_rate"],
            width=WIDTHS["observer"],
        ),
        "observer_took_over_ci": ci_column(),
        "debrief": st.column_config.NumberColumn(
            "Debriefed", format=pct_format, help=DEFINITIONS["debrief_rate"], width=WIDTHS["rates"]
        ),
        "debrief_ci": ci_column(),
        "recurs": st.column_config.NumberColumn(
            "Praise recurs",
            format=pct_format,
            help=DEFINITIONS["recognized_rate"].replace("next K", f"next {filters.window}"),
            width=WIDTHS["recurs"],
        ),
        "recurs_ci": ci_column(),
        "note": st.column_config.TextColumn(
            "Note",
            help=f"Figures resting on fewer than {filters.min_n} calls, notes or eligible "
            "events: read them with care.",
        ),
    },
)
common.download_csv(
    by_manager.rename({"grp": "manager"}).select(
        "manager",
        "calls",
        "praise",
        "criticism",
        "praise_to_criticism",
        "praise_to_criticism_lo",
        "praise_to_criticism_hi",
        "observed",
        "assisted",
        "took_over",
        "intervention_rate",
        "intervention_rate_lo",
        "intervention_rate_hi",
        "planned_observer",
        "planned_observer_took_over",
        "planned_observer_took_over_rate",
        "planned_observer_took_over_rate_lo",
        "planned_observer_took_over_rate_hi",
        "debrief_known",
        "debriefed",
        "debrief_rate",
        "debrief_rate_lo",
        "debrief_rate_hi",
        "window",
        "rec_eligible",
        "rec_recurred",
        "rec_rate",
        "rec_rate_lo",
        "rec_rate_hi",
        "calls_small",
        "ratio_small",
        "rec_small",
        "debrief_small",
        "planned_observer_small",
        "intervention_rate_eb",
        "debrief_rate_eb",
        "rec_rate_eb",
    ),
    "ridealong_managers.csv",
    key="dl_managers",
)
st.caption(
    f"Managers in alphabetical order: this is not a ranking. Recurrence looks {filters.window} "
    "calls ahead (the window in the sidebar)."
)

st.markdown("**Partially pooled rates**: for a manager with few calls, read these.")
st.dataframe(
    pooled,
    hide_index=True,
    column_config={
        "manager": st.column_config.TextColumn("Manager", help="The manager who rode along."),
        "calls": common.count_column("Calls", help=DEFINITIONS["calls"]),
        "intervention": st.column_config.NumberColumn(
            "Took over", format=pct_format, help=DEFINITIONS["intervention_rate"]
        ),
        "intervention_eb": eb_column("Took over, pooled"),
        "debrief": st.column_config.NumberColumn(
            "Debriefed", format=pct_format, help=DEFINITIONS["debrief_rate"]
        ),
        "debrief_eb": eb_column("Debriefed, pooled"),
        "recurs": st.column_config.NumberColumn(
            "Praise recurs",
            format=pct_format,
            help=DEFINITIONS["recognized_rate"].replace("next K", f"next {filters.window}"),
        ),
        "recurs_eb": eb_column("Praise recurs, pooled"),
    },
)

st.divider()
st.subheader("Who jumps in more than chance would explain?")
selection = {
    "start": filters.start,
    "end": filters.end,
    "teams": list(filters.teams),
    "managers": list(filters.managers),
    "reps": list(filters.reps),
}
plain_limits = common.query("funnel_limits", phi=None, **selection)
team = plain_limits.row(0, named=True)
phi = effects.overdispersion(
    by_manager["took_over"].to_list(), by_manager["calls"].to_list(), team["p0"] or 0.0
)
unadjusted = st.toggle(
    "Plain binomial limits",
    value=False,
    key="funnel_unadjusted",
    help="The limits chance alone would give if every manager shared the team's rate. "
    "Managers differ for many ordinary reasons (their reps, their deals), so by default the "
    "limits are widened by the overdispersion factor φ estimated from all managers "
    "(Spiegelhalter, 2005).",
)
widen = None if unadjusted else phi
limits = common.query("funnel_limits", phi=widen, **selection)  # = plain_limits without φ
places = common.query("funnel_managers", phi=widen, **selection)
outside = int(places["outside95"].sum())
left, right = st.columns([3, 2])
with left:
    common.chart(charts.funnel(by_manager, limits, places), "intervention_funnel", "funnel")
with right:
    st.metric(
        "Team intervention rate",
        formatting.pct(team["p0"], 1),
        help=DEFINITIONS["intervention_rate"]
        + " Over all the selected calls: the funnel's centre line.",
    )
    st.caption(f"{team['team_took_over']:,} of {team['team_calls']:,} selected calls taken over.")
    st.metric(
        "Overdispersion φ",
        "–" if phi is None else f"{phi:.2f}",
        help="Spiegelhalter's φ: the mean squared z-score of the managers' rates against the "
        "team rate (winsorised at 10%). 1 is binomial scatter; above 1 the managers differ "
        "more than chance, and the limits are widened by √φ.",
    )
    st.caption(
        (
            "Plain binomial limits"
            if unadjusted or not phi or phi <= 1
            else f"Limits widened by √φ = {phi**0.5:.2f}"
        )
        + f": {outside:,} of {by_manager.height:,} managers outside the 95% limits."
    )
    st.markdown(
        "**How to read it.** Each dot is a manager: calls observed across, share taken over up. "
        "The solid line is the team rate; the dashed and dotted curves are the 95% and 99.8% "
        "limits — where a manager's rate would fall by chance alone if they intervened at the "
        "team rate. The funnel narrows because more calls leave less room for chance. Limits: "
        "normal approximation to the binomial, clipped to 0–100%.\n\n"
        "A dot **outside** the limits differs from the team rate by more than chance would "
        "explain: worth a conversation. A dot inside does not. Neither is a ranking — a high "
        "rate can be right with new reps or big deals."
    )
    if by_manager["calls_small"].any():
        st.caption(f"Faded dots: fewer than {filters.min_n} calls (small sample).")

with st.expander("What each manager did on the call"):
    charted = charts.busiest(by_manager, charts.MAX_BARS)
    common.chart(charts.action_share(charted, "manager"), "manager_actions", "actions")
    if charted.height < by_manager.height:
        st.caption(
            f"The {charted.height} managers with the most calls, of {by_manager.height:,}; the "
            "table above lists every one."
        )
    common.download_csv(
        limits, "ridealong_funnel_limits.csv", key="dl_limits", label="Download funnel limits"
    )
