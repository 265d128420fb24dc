"""Quarterly review: a quarter against the one before, per manager and rep, coaching coverage,
what worked and what keeps going wrong — and the same review as HTML or PDF to hand around."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pandas as pd
import polars as pl
import streamlit as st

from dashboard import access, formatting, metrics, quarterly
from dashboard.formatting import plain
from dashboard.quarterly import sections
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
            quarterly.resolve(quarters, wanted, (), all_teams)
            st.session_state["q_quarter"] = quarterly.Quarter.parse(wanted).label
        except quarterly.ReviewError as exc:
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


def quarter_label(quarter: str) -> str:
    label = f"{quarter} · {quarterly.Quarter.parse(quarter).span()}"
    return label if info[quarter]["complete"] else label + " (in progress)"


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
    format_func=quarterly.team_label,
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


@st.cache_resource(show_spinner=False, max_entries=2, ttl=dt.timedelta(minutes=30))
def reviewed(
    key: str,
    quarter: str,
    teams: tuple[str, ...],
    window: int,
    today: dt.date,
    label: str,
    scope_key: str,
    _scope: access.Scope,
) -> tuple[quarterly.Review, list[sections.Section], dict[str, pl.DataFrame], dict[str, Any]]:
    """The review, its outline, its tables and its charts, worked out once for every session
    that asks for the same review of the same data (`key`: the store and its version) within
    the same scope (`scope_key`: all of it, the privacy policy's minimum group included). A
    whole organisation's review is slow to build in Python (at 10 million notes 6 s a run,
    queries cached) and large (about 340 MB): two are kept, for 30 minutes. Shared by every
    session that asks: read it, never change it."""
    review = quarterly.build_review(
        None,
        quarter,
        teams,
        window,
        today=today,
        runner=common.query,
        source=label,
        scope=_scope,  # privacy mode: which sections the review has
    )
    return review, quarterly.outline(review), review.tables(), quarterly.review_charts(review)


scope = common.session_scope()
try:
    review, outline, tables, drawn = reviewed(
        src.key,
        quarter,
        tuple(teams),
        window,
        today,
        quarterly.SAMPLE_SOURCE if src.store.is_sample() else src.label,
        repr(scope),  # a frozen dataclass: every field
        scope,
    )
except quarterly.ReviewError as exc:
    st.warning(
        f"Nothing to review: {plain(exc)} Choose another quarter or clear the team filter.",
        icon=":material/event_busy:",
    )
    st.stop()

sub, meta, warn = quarterly.header_lines(review)
st.markdown(f"**{plain(sub)}**")
st.caption(plain(meta))
if warn:
    st.warning(plain(warn), icon=":material/hourglass_top:")

stem = review.file_stem
d1, d2, _ = st.columns([1, 1, 4])
d1.download_button(
    "Review as HTML",
    data=lambda: common.audited(quarterly.render_html(review), f"review {stem}.html"),
    file_name=f"{stem}.html",
    mime="text/html",
    key="dl_review_html",
    on_click="ignore",
    icon=":material/description:",
    help="One self-contained file that opens offline and prints well.",
)
d2.download_button(
    "Review as PDF",
    data=lambda: common.audited(quarterly.render_pdf(review), f"review {stem}.pdf"),
    file_name=f"{stem}.pdf",
    mime="application/pdf",
    key="dl_review_pdf",
    on_click="ignore",
    icon=":material/picture_as_pdf:",
    help="The same content on A4 landscape pages, to send ahead or project.",
)

TONE = {1: quarterly.GOOD, -1: quarterly.BAD}
# the chart downloads' file names and widget keys, by chart
CHART_FILES = {
    "headline": ("headline", "q_headline"),
    "manager_intervention": ("manager_took_over", "q_mgr_took"),
    "manager_debrief": ("manager_debrief", "q_mgr_debrief"),
}


def show(table: quarterly.Table, frame: pl.DataFrame, name: str) -> None:
    """A review table with its colours (better green, worse red, small or within chance grey)
    and its figures as CSV."""
    if not table.rows:
        st.caption("None.")
        return
    columns = table.columns()
    cells = [[c.text + (f" · {c.note}" if c.note else "") for c in row] for row in table.rows]
    data = pd.DataFrame(cells, columns=columns)
    if data.size > pd.get_option("styler.render.max_elements"):
        # pandas styles at most this many cells (262,144 unless set; its max_rows and
        # max_columns, unset, would cut the table instead): the 32,042 reps of a quarter at
        # 10 million notes stopped the page
        st.dataframe(data, hide_index=True, width="stretch")
        narrower = "choose teams to see them coloured, or " if not teams else ""
        st.caption(
            f"{len(table.rows):,} rows: too many to colour here. The figures are the same; "
            f"{narrower}download the CSV for every figure."
        )
    else:
        styles = [
            [
                f"color: {TONE[c.tone]}; font-weight: 600"
                if c.tone
                else (f"color: {quarterly.MUTED}" if c.muted else "")
                for c in row
            ]
            for row in table.rows
        ]
        colours = pd.DataFrame(styles, columns=columns)
        st.dataframe(
            data.style.apply(lambda _: colours, axis=None), hide_index=True, width="stretch"
        )
    common.download_csv(frame, f"{stem}_{name}.csv", key=f"dl_{name}")


def show_charts(block: sections.Charts) -> None:
    columns = st.columns(len(block.names)) if len(block.names) > 1 else [st.container()]
    for column, name in zip(columns, block.names, strict=True):
        suffix, key = CHART_FILES[name]
        with column:
            common.chart(drawn[name], f"{stem}_{suffix}", key)


def headline_tiles(review: quarterly.Review) -> None:
    """The headline as metric tiles: each figure, its change (coloured only beyond chance), the
    counts and interval behind it."""
    for start in range(0, len(review.headline), 4):
        tiles = st.columns(4)
        for tile, change in zip(tiles, review.headline[start : start + 4], strict=False):
            now, before = change.now, change.before
            interval = change.change_interval_text()
            tile.metric(
                change.measure.label,
                change.shown(now) + formatting.mark(change.small(now)),
                delta=change.signed_change_text(),
                delta_color=change.tile_colour,
                delta_arrow="off" if change.change_text() == "same" else "auto",
                help=change.measure.help + (f" Change: {interval}." if interval else ""),
            )
            notes = [x for x in (change.detail(now), change.interval_text(now)) if x]
            earlier = f"{review.previous}: {change.shown(before)}"
            if change.measure.kind == "rate" and change.base(before):
                earlier += f" ({formatting.of(change.hits(before), change.base(before))})"
            notes.append(earlier)
            if change.chance_text():
                notes.append(change.chance_text())
            tile.caption(" · ".join(notes))


def show_headline(section: sections.Section) -> None:
    """The headline on the page: metric tiles, with the table folded away under them."""
    st.subheader(section.title)
    for block in section.blocks:
        if isinstance(block, sections.TableBlock):
            headline_tiles(review)
            with st.expander("The headline as a table"):
                show(block.table, tables[block.name], block.name)
        elif isinstance(block, sections.Para):
            st.caption(block.text)
        elif isinstance(block, sections.Charts):
            show_charts(block)


# The same outline as the HTML and the PDF; the page draws the headline as tiles.
for section in outline:
    if section.key == "headline":
        show_headline(section)
        continue
    if section.key == "privacy":  # the fold is said by the banner already
        said = [b.text for b in section.blocks if b.text != review.folded]
        if said:
            st.info(" ".join(said), icon=":material/shield_person:")
        continue
    if section.key != "notes":
        st.subheader(section.title)
    for block in section.blocks:
        if isinstance(block, sections.Highlights):
            if block.items:
                st.markdown("\n".join(f"- {plain(s)}" for s in block.items))
            else:
                st.markdown(block.empty)
            st.caption(block.rule)
        elif isinstance(block, sections.Para):
            st.caption(block.text)
        elif isinstance(block, sections.Heading):
            if block.level == 2:
                st.subheader(block.text)
            else:
                st.markdown(f"**{block.text}**")
        elif isinstance(block, sections.TableBlock):
            show(block.table, tables[block.name], block.name)
        elif isinstance(block, sections.Charts):
            show_charts(block)
        elif isinstance(block, sections.Definitions):
            with st.expander(section.title):
                st.markdown("\n".join(f"- **{term}**: {plain(d)}" for term, d in block.items))
