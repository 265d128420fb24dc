"""Quarterly review: a quarter against the one before, per manager and rep, coaching coverage,
what worked and what keeps going wrong — and the same review as HTML or PDF to hand around."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import polars as pl
import streamlit as st

from dashboard import metrics, report, text
from dashboard.text import plain
from dashboard.views import common

src = common.source()
st.title("Quarterly review")
st.caption(
    "The quarter against the one before, for a review with the team's managers. Every figure "
    "is the same as `ridealong metrics --by quarter`."
)
common.banners(src)

today = dt.date.today()
quarters = common.query("quarters", teams=[], today=today)
if quarters.height == 0:
    st.info("No calls in the data yet: upload a log first.", icon=":material/upload_file:")
    st.stop()
all_teams = common.query("data_range").row(0, named=True)["teams"] or []
labels = quarters["quarter"].to_list()[::-1]  # newest first
info = {r["quarter"]: r for r in quarters.iter_rows(named=True)}
default = quarters.filter(pl.col("is_default"))["quarter"][0]

# First visit: the quarter and teams a link carries (?quarter=2026-Q2&team=SMB), if they exist.
if "q_quarter" not in st.session_state:
    wanted = st.query_params.get("quarter")
    st.session_state["q_quarter"] = default
    if wanted:
        try:
            report.resolve(quarters, wanted, (), all_teams)
            st.session_state["q_quarter"] = report.Quarter.parse(wanted).label
        except report.ReviewError as exc:
            st.session_state["q_link_problem"] = f"The link asks for {wanted!r}: {exc}"
    st.session_state["q_teams"] = [t for t in st.query_params.get_all("team") if t in all_teams]
    # the window: the link's, else the one chosen in the other pages' sidebar
    try:
        window = int(st.query_params.get("window", st.session_state.get("f_window", 0)))
    except ValueError:
        window = 0
    st.session_state["q_window"] = (
        window if 1 <= window <= metrics.MAX_WINDOW else metrics.DEFAULT_WINDOW
    )
# The data may have changed since the choice was made (an upload, a cleared sample).
if st.session_state["q_quarter"] not in labels:
    st.session_state["q_quarter"] = default
st.session_state["q_teams"] = [t for t in st.session_state.get("q_teams", []) if t in all_teams]
problem = st.session_state.pop("q_link_problem", None)
if problem:
    st.warning(f"{plain(problem)} Showing {default} instead.", icon=":material/event_busy:")


def quarter_label(q: str) -> str:
    label = f"{q} · {report.Quarter.parse(q).span()}"
    return label if info[q]["complete"] else label + " (in progress)"


left, right, last = st.columns([2, 3, 2])
quarter = left.selectbox(
    "Quarter",
    labels,
    key="q_quarter",
    format_func=quarter_label,
    help="Default: the last complete quarter, the latest one the data reaches the end of (or "
    "that has ended).",
)
teams = right.multiselect(
    "Teams",
    all_teams,
    key="q_teams",
    format_func=report.team_label,
    placeholder="All teams",
)
window = last.slider(
    "Recurrence window (calls)",
    1,
    metrics.MAX_WINDOW,
    key="q_window",
    help="A behaviour counts as coming back when it is noted again on one of the rep's next K "
    "calls; only behaviours with at least K later calls are counted. "
    "`ridealong report --window K` prints the same review.",
)
url = {"quarter": [quarter], "team": teams}
url["window"] = [str(window)] if window != metrics.DEFAULT_WINDOW else []
for key, values in url.items():
    if st.query_params.get_all(key) != values:
        if values:
            st.query_params[key] = values
        elif key in st.query_params:
            del st.query_params[key]

try:
    review = report.build_review(
        src.store.con,
        quarter,
        teams,
        window,
        today=today,
        runner=common.query,
        source=report.SAMPLE_SOURCE if src.store.is_sample() else src.label,
    )
except report.ReviewError as exc:
    st.warning(
        f"Nothing to review: {plain(exc)} Choose another quarter or clear the team filter.",
        icon=":material/event_busy:",
    )
    st.stop()

sub, meta, warn = report.header_lines(review)
st.markdown(f"**{plain(sub)}**")
st.caption(plain(meta))
if warn:
    st.warning(plain(warn), icon=":material/hourglass_top:")

stem = review.file_stem
d1, d2, _ = st.columns([1, 1, 4])
d1.download_button(
    "Review as HTML",
    data=lambda: common.audited(report.render_html(review), f"review {stem}.html"),
    file_name=f"{stem}.html",
    mime="text/html",
    key="dl_review_html",
    on_click="ignore",
    icon=":material/description:",
    help="One self-contained file that opens offline and prints well.",
)
d2.download_button(
    "Review as PDF",
    data=lambda: common.audited(report.render_pdf(review), f"review {stem}.pdf"),
    file_name=f"{stem}.pdf",
    mime="application/pdf",
    key="dl_review_pdf",
    on_click="ignore",
    icon=":material/picture_as_pdf:",
    help="The same content on A4 landscape pages, to send ahead or project.",
)

TONE = {1: report.GOOD, -1: report.BAD}


def show(table: report.Table, frame: pl.DataFrame, name: str) -> None:
    """A review table with its colours (better green, worse red, small or within chance grey)
    and its figures as CSV."""
    if not table.rows:
        st.caption("None.")
        return
    columns = table.columns()
    cells = [[c.text + (f" · {c.note}" if c.note else "") for c in row] for row in table.rows]
    styles = [
        [
            f"color: {TONE[c.tone]}; font-weight: 600"
            if c.tone
            else (f"color: {report.MUTED}" if c.muted else "")
            for c in row
        ]
        for row in table.rows
    ]
    data = pd.DataFrame(cells, columns=columns)
    colours = pd.DataFrame(styles, columns=columns)
    st.dataframe(data.style.apply(lambda _: colours, axis=None), hide_index=True, width="stretch")
    common.download_csv(frame, f"{stem}_{name}.csv", key=f"dl_{name}")


tables = review.tables()
charts = report.review_charts(review)

st.subheader("Highlights")
if review.highlights:
    st.markdown("\n".join(f"- {plain(s)}" for s in review.highlights))
else:
    st.markdown(report.NO_HIGHLIGHTS)
st.caption(report.highlights_rule(review.min_n))

st.subheader(f"{review.quarter} against {review.previous}")


def delta(change: report.Change) -> str | None:
    d, kind = change.delta, change.measure.kind
    if d is None:
        return None
    if kind == "count":
        return f"{int(d):+,}"
    if kind == "rate":
        return f"{d * 100:+.0f} pts"
    return f"{d:+.1f}" if kind == "ratio" else f"{d:+.2f}"


st.caption(report.HEADLINE_CAVEAT)
for start in range(0, len(review.headline), 4):
    tiles = st.columns(4)
    for tile, c in zip(tiles, review.headline[start : start + 4], strict=False):
        colour = "off" if not c.clear else ("normal" if c.measure.better > 0 else "inverse")
        interval = c.change_interval_text()
        tile.metric(
            c.measure.label,
            c.shown(c.now) + text.mark(c.small(c.now)),
            delta=delta(c),
            delta_color=colour,
            delta_arrow="off" if c.change_text() == "same" else "auto",
            help=c.measure.help + (f" Change: {interval}." if interval else ""),
        )
        notes = [x for x in (c.detail(c.now), c.interval_text(c.now)) if x]
        before = f"{review.previous}: {c.shown(c.before)}"
        if c.measure.kind == "rate" and c.base(c.before):
            before += f" ({c.hits(c.before)} of {c.base(c.before)})"
        notes.append(before)
        if c.chance_text():
            notes.append(c.chance_text())
        tile.caption(" · ".join(notes))

common.chart(charts["headline"], f"{stem}_headline", "q_headline")
with st.expander("The headline as a table"):
    show(report.headline_table(review), tables["headline"], "headline")
st.caption(report.CHANGE_LEGEND)

st.subheader("Managers")
show(report.people_table(review, review.managers, "Manager"), tables["managers"], "managers")
st.caption(report.PEOPLE_LEGEND)
c1, c2 = st.columns(2)
with c1:
    common.chart(charts["manager_intervention"], f"{stem}_manager_took_over", "q_mgr_took")
with c2:
    common.chart(charts["manager_debrief"], f"{stem}_manager_debrief", "q_mgr_debrief")

st.subheader("Coaching coverage")
st.caption(report.coverage_rule())
st.markdown("**Reps nobody observed this quarter**")
show(report.unobserved_table(review), tables["reps_not_observed"], "reps_not_observed")
st.markdown("**Calls each manager observed, against their usual**")
show(report.coverage_table(review), tables["managers_coverage"], "managers_coverage")

st.subheader("Reps")
st.caption(report.REPS_INTRO)
show(report.people_table(review, review.reps, "Rep"), tables["reps"], "reps")

st.subheader("What worked")
st.caption(report.worked_intro(review))
show(report.worked_table(review), tables["what_worked"], "what_worked")

st.subheader("What keeps going wrong")
st.caption(report.wrong_intro(review))
show(report.wrong_table(review), tables["keeps_going_wrong"], "keeps_going_wrong")

st.caption(metrics.OBSERVATIONAL_NOTE)
