"""Behaviours: which behaviours recur after they are recognised, and whether mistakes repeat
less after "let it happen, then debrief" than after a take-over."""

from __future__ import annotations

import polars as pl
import streamlit as st

from dashboard import charts, formatting, metrics
from dashboard.views import common

src, filters = common.page_start(
    "Behaviours",
    "Does recognised praise come back, and do mistakes repeat less when the manager lets the "
    "call run and debriefs?",
)

overall = common.metrics_frame(filters)
if overall["calls"][0] == 0:
    common.empty_message()
    st.stop()

DEFINITIONS = metrics.DEFINITIONS
window = filters.window
CI_HELP = (
    "Wilson 95% interval: the range the rate could plausibly have, given how many events it "
    "rests on."
)
SMALL_HELP = (
    f"Rates resting on fewer than {filters.min_n} eligible events are greyed in the charts and "
    "labelled here: read them with care."
)
pct_format = "%.0f%%"

strata = common.query("effect_strata", by="all", adjust_by="rep", **filters.params())
adjusted = metrics.adjusted_from_strata(strata, filters.min_n, "rep").get(
    ""
) or metrics.empty_adjusted("rep", filters.min_n)
row = metrics.with_adjusted(overall.row(0, named=True), adjusted)


def interval_texts(frame: pl.DataFrame, prefix: str) -> pl.Series:
    """'[lo–hi]' for each row of `<prefix>_rate_lo/_hi` ('' when there is no interval)."""
    pairs = zip(frame[f"{prefix}_rate_lo"], frame[f"{prefix}_rate_hi"], strict=True)
    return pl.Series([formatting.interval([a, b]) if a is not None else "" for a, b in pairs])


def small_texts(frame: pl.DataFrame, flags: dict[str, str]) -> pl.Series:
    """'small sample: …' naming the flagged rates of each row (only rates that exist)."""
    notes = []
    for row in frame.to_dicts():
        hit = [
            label
            for prefix, label in flags.items()
            if row[f"{prefix}_eligible"] > 0 and row[f"{prefix}_small"]
        ]
        notes.append("small sample: " + ", ".join(hit) if hit else "")
    return pl.Series(notes)


# ---- recurrence after recognition ---------------------------------------------------------
st.subheader("Which behaviours come back after they are recognised?")
st.caption(
    f"For each praised behaviour: how often the rep was praised for it again on one of their "
    f"next {window} calls, when the praise was given on a call with a debrief (recognised) and "
    f"when there was no debrief. Only praise with at least {window} later calls counts. Bars are "
    "95% intervals; faded points are small samples."
)
lift_cols = st.columns(3)
lift_cols[0].metric(
    "Recognition lift, within rep",
    formatting.times(row["adj_lift"]) + formatting.mark(row["adj_lift_small"]),
    help=DEFINITIONS["adjusted_lift"],
)
lift_cols[0].caption(
    formatting.interval([row["adj_lift_lo"], row["adj_lift_hi"]], formatting.times)
    + f" · {formatting.count(row['adj_lift_strata'])} reps with both kinds of praise"
    + (" · small sample" if row["adj_lift_small"] else "")
)
lift_cols[1].metric(
    "Recognition lift, crude",
    formatting.times(row["lift"]) + formatting.mark(row["rec_small"] or row["unrec_small"]),
    help=DEFINITIONS["lift"] + " Crude: pools every rep and manager.",
)
lift_cols[1].caption(
    formatting.interval([row["lift_lo"], row["lift_hi"]], formatting.times)
    + f" · recognised {formatting.pct(row['rec_rate'])} "
    f"({formatting.of(row['rec_recurred'], row['rec_eligible'], '/')})"
    + f" vs not {formatting.pct(row['unrec_rate'])} "
    f"({formatting.of(row['unrec_recurred'], row['unrec_eligible'], '/')})"
)
lift_cols[2].metric(
    "Praise with unknown debrief",
    f"{row['rec_unknown_eligible']:,}",
    help="Praise on calls whose debrief was not recorded: on neither side of the comparison.",
)
lift_cols[2].caption("left out of recognised and unrecognised alike")
st.caption(
    "Read the within-rep figure first: it compares each rep with themselves, so a manager who "
    "notes more (and debriefs more) does not pass for praise that works. "
    + metrics.OBSERVATIONAL_NOTE
)
by_behavior = common.metrics_frame(filters, by="behavior")
praised = by_behavior.filter(pl.col("rec_eligible") + pl.col("unrec_eligible") > 0)
if praised.is_empty():
    st.info(
        f"No praised behaviour in this selection has {window} later calls to look at yet. Widen "
        "the date range or shorten the recurrence window.",
        icon=":material/hourglass_empty:",
    )
else:
    common.chart(charts.recurrence_by_behavior(praised), "recurrence_by_behaviour", "recurrence")
    recurrence = praised.sort(["rec_rate", "grp"], descending=[True, False], nulls_last=True)
    table = recurrence.select(
        pl.col("grp").alias("behavior"),
        pl.col("praise").alias("praise_notes"),
        (pl.col("rec_rate") * 100).alias("rec"),
        interval_texts(recurrence, "rec").alias("rec_ci"),
        pl.col("rec_eligible").alias("rec_n"),
        (pl.col("unrec_rate") * 100).alias("unrec"),
        interval_texts(recurrence, "unrec").alias("unrec_ci"),
        pl.col("unrec_eligible").alias("unrec_n"),
        pl.col("lift"),
        small_texts(recurrence, {"rec": "recognised", "unrec": "not recognised"}).alias("note"),
    )
    with st.expander("Figures by behaviour", expanded=False):
        st.dataframe(
            table,
            hide_index=True,
            width="stretch",
            column_config={
                "behavior": st.column_config.TextColumn(
                    "Behaviour",
                    help="Behaviours noted the same way (case and spacing ignored), shown in "
                    "their most common spelling.",
                ),
                "praise_notes": common.count_column(
                    "Praise notes", help="Times this behaviour was noted as praise."
                ),
                "rec": st.column_config.NumberColumn(
                    "Recognised: came back",
                    format=pct_format,
                    help=DEFINITIONS["recognized_rate"].replace("next K", f"next {window}"),
                ),
                "rec_ci": st.column_config.TextColumn("95% CI", help=CI_HELP, width="small"),
                "rec_n": common.count_column(
                    "n",
                    help=f"Praise on debriefed calls with at least {window} later calls.",
                    width="small",
                ),
                "unrec": st.column_config.NumberColumn(
                    "Not recognised: came back",
                    format=pct_format,
                    help=DEFINITIONS["unrecognized_rate"].replace("next K", f"next {window}"),
                ),
                "unrec_ci": st.column_config.TextColumn("95% CI", help=CI_HELP, width="small"),
                "unrec_n": common.count_column(
                    "n",
                    help=f"Praise on calls without a debrief with at least {window} later calls.",
                    width="small",
                ),
                "lift": st.column_config.NumberColumn(
                    "Lift (crude)",
                    format="%.2f×",
                    help=DEFINITIONS["lift"] + " Crude: within one behaviour, every rep pooled.",
                ),
                "note": st.column_config.TextColumn("Note", help=SMALL_HELP),
            },
        )
        common.download_csv(
            recurrence.rename({"grp": "behavior"}).select(
                "behavior",
                "praise",
                "window",
                "rec_eligible",
                "rec_recurred",
                "rec_rate",
                "rec_rate_lo",
                "rec_rate_hi",
                "unrec_eligible",
                "unrec_recurred",
                "unrec_rate",
                "unrec_rate_lo",
                "unrec_rate_hi",
                "lift",
                "lift_lo",
                "lift_hi",
                "rec_small",
                "unrec_small",
            ),
            "ridealong_recurrence_by_behaviour.csv",
            key="dl_recurrence",
        )

# ---- mistake repeat by response -----------------------------------------------------------
st.divider()
st.subheader("Crash and burn, or jump in?")
st.caption(
    f"Each mistake (criticism) with at least {window} later calls, by what the manager did on the "
    f"call: how often the rep made it again on one of their next {window} calls (crude: everyone "
    "pooled; the within-rep ratios above come first)."
)
RESPONSES = charts.RESPONSE_LABELS
if row["mistakes_eligible"] == 0:
    st.info(
        f"No mistake in this selection has {window} later calls to look at yet. Widen the date "
        "range or shorten the recurrence window.",
        icon=":material/hourglass_empty:",
    )
else:
    within = pl.DataFrame(
        {
            "Response": [RESPONSES[k] for k in metrics.COMPARED_RESPONSES],
            "Within rep vs observe + debrief": [
                row[f"adj_{k}_ratio"] for k in metrics.COMPARED_RESPONSES
            ],
            "95% CI": [
                formatting.interval(
                    [row[f"adj_{k}_ratio_lo"], row[f"adj_{k}_ratio_hi"]], formatting.times
                )
                for k in metrics.COMPARED_RESPONSES
            ],
            "Reps": [row[f"adj_{k}_strata"] for k in metrics.COMPARED_RESPONSES],
            "Note": [
                "small sample" if row[f"adj_{k}_small"] else "" for k in metrics.COMPARED_RESPONSES
            ],
        },
        schema_overrides={"Within rep vs observe + debrief": pl.Float64},
    )
    st.dataframe(
        within,
        hide_index=True,
        width="stretch",
        column_config={
            "Within rep vs observe + debrief": st.column_config.NumberColumn(
                format="%.2f×", help=DEFINITIONS["adjusted_ratio"]
            ),
            "95% CI": st.column_config.TextColumn(
                help="Clustered by rep: a rep's mistakes are alike, so they count less than "
                "independent ones."
            ),
            "Reps": common.count_column(
                help="Reps with mistakes after both this response and observe + debrief."
            ),
            "Note": st.column_config.TextColumn(help=SMALL_HELP),
        },
    )
    st.caption(
        f"Above 1: mistakes repeat more after this response than after observe + debrief, "
        f"for the same rep. Unknown debriefs: {row['mr_observed_unknown_eligible']:,} mistakes "
        "on observed calls whose debrief was not recorded count as observed only (never as "
        "debriefed); take-overs and assists count whatever the debrief. The crude rates below "
        "pool everyone. " + metrics.OBSERVATIONAL_NOTE
    )
    common.chart(charts.mistake_repeat(overall), "mistake_repeat_by_response", "mistakes")
    headline = pl.DataFrame(
        {
            "Manager's response": [RESPONSES[k] for k in RESPONSES],
            "Mistakes (eligible)": [row[f"mr_{k}_eligible"] for k in RESPONSES],
            "Repeated": [row[f"mr_{k}_repeated"] for k in RESPONSES],
            "Repeat rate": [
                None if row[f"mr_{k}_rate"] is None else row[f"mr_{k}_rate"] * 100
                for k in RESPONSES
            ],
            "95% CI": [
                formatting.interval([row[f"mr_{k}_rate_lo"], row[f"mr_{k}_rate_hi"]])
                if row[f"mr_{k}_rate_lo"] is not None
                else ""
                for k in RESPONSES
            ],
            "Note": [
                "small sample" if row[f"mr_{k}_small"] and row[f"mr_{k}_eligible"] else ""
                for k in RESPONSES
            ],
        },
        schema_overrides={"Repeat rate": pl.Float64},
    )
    mistake_config = {
        "Manager's response": st.column_config.TextColumn(
            help="Took over: the manager ran the call. Assisted: answered a question and handed "
            "back. Observed + debrief: let it happen, then talked it through. Observed only: no "
            "debrief (or not recorded)."
        ),
        "Mistakes (eligible)": common.count_column(
            help=f"Criticism notes (one per call and behaviour) with at least {window} later calls."
        ),
        "Repeated": common.count_column(
            help=f"Of those, noted again as criticism on one of the rep's next {window} calls."
        ),
        "Repeat rate": st.column_config.NumberColumn(
            format=pct_format,
            help=DEFINITIONS["mistake_repeat"].replace("next K", f"next {window}"),
        ),
        "95% CI": st.column_config.TextColumn(help=CI_HELP),
        "Note": st.column_config.TextColumn(help=SMALL_HELP),
    }
    st.dataframe(headline, hide_index=True, width="stretch", column_config=mistake_config)
    common.download_csv(
        overall.select("window", "^mr_.*$"), "ridealong_mistake_repeat.csv", key="dl_mistakes"
    )

    mistakes = by_behavior.filter(pl.col("mistakes_eligible") > 0)
    with st.expander("By mistake"):
        per_mistake = mistakes.select(
            pl.col("grp").alias("Mistake"),
            pl.col("criticism").alias("Criticism notes"),
            *[
                expr
                for k, label in RESPONSES.items()
                for expr in (
                    (pl.col(f"mr_{k}_rate") * 100).alias(label),
                    pl.col(f"mr_{k}_eligible").alias(f"{label} (n)"),
                )
            ],
            small_texts(
                mistakes, {f"mr_{k}": label.lower() for k, label in RESPONSES.items()}
            ).alias("Note"),
        )
        st.dataframe(
            per_mistake,
            hide_index=True,
            width="stretch",
            column_config={
                "Mistake": st.column_config.TextColumn(
                    help="Behaviours noted as criticism, in their most common spelling."
                ),
                "Criticism notes": common.count_column(
                    help="Times this behaviour was noted as criticism in the selection."
                ),
                **{
                    label: st.column_config.NumberColumn(
                        format=pct_format,
                        help=f"Repeat rate after '{label}': "
                        + DEFINITIONS["mistake_repeat"].replace("next K", f"next {window}"),
                    )
                    for label in RESPONSES.values()
                },
                **{
                    f"{label} (n)": common.count_column(
                        "n",
                        help=f"Eligible mistakes after '{label}' (at least {window} later calls).",
                        width="small",
                    )
                    for label in RESPONSES.values()
                },
                "Note": st.column_config.TextColumn(help=SMALL_HELP),
            },
        )
        common.download_csv(
            mistakes.rename({"grp": "behavior"}).select(
                "behavior", "criticism", "window", "^mr_.*$"
            ),
            "ridealong_mistake_repeat_by_behaviour.csv",
            key="dl_mistakes_by_behavior",
        )
