"""The review's one outline: its sections, in order, each a list of blocks (text, tables,
charts). The page (views/quarterly.py), the HTML (html.py) and the PDF (pdf.py) render it."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import polars as pl

from dashboard import formatting, metrics
from dashboard.quarterly.changes import (
    DEBRIEF,
    INTERVENTION,
    PEOPLE,
    RESPONSES,
    Change,
    Group,
    Measure,
)
from dashboard.quarterly.highlights import highlights_rule
from dashboard.quarterly.model import Review, _num
from dashboard.quarterly.quarters import LOOKBACK_QUARTERS, USUAL_SHARE, team_label


@dataclass(frozen=True)
class Cell:
    text: str
    tone: int = 0  # +1 better (green), -1 worse (red), 0 plain
    muted: bool = False  # small sample, missing or within chance: drawn grey
    note: str = ""  # a second, smaller line


@dataclass(frozen=True)
class Table:
    header: list[str]
    rows: list[list[Cell]]
    align: str  # one letter a column: L(eft) or R(ight)
    groups: tuple[tuple[str, int], ...] = ()  # a heading row above: (label, columns spanned)

    def columns(self) -> list[str]:
        """Unique flat column names (group + heading), for a data frame."""
        if not self.groups:
            return list(self.header)
        names, column = [], 0
        for label, span in self.groups:
            for heading in self.header[column : column + span]:
                names.append(f"{label} {heading}".strip() if label else heading)
            column += span
        return names


def people_table(review: Review, groups: Sequence[Group], label: str) -> Table:
    """Name, then for each measure the quarter, the quarter before and the change."""
    quarter, previous = review.quarter.label, review.previous.label
    header = [label]
    spans: list[tuple[str, int]] = [("", 1)]
    for measure in PEOPLE:
        header += [quarter, previous, "change"]
        spans.append((measure.heading, 3))
    rows = []
    for name, changes in groups:
        row = [Cell(name)]
        for change in changes:
            tone = change.tone  # a test per call: thousands of rows in an organisation's review
            row += [
                _value_cell(change, change.now, people=True),
                _value_cell(change, change.before, people=True),
                Cell(change.change_text(), tone, tone == 0),
            ]
        rows.append(row)
    return Table(header, rows, "L" + "R" * (len(header) - 1), tuple(spans))


def _value_cell(change: Change, row: dict[str, Any], people: bool = False) -> Cell:
    shown = change.shown(row)
    if change.measure.kind == "count":
        return Cell(shown, muted=row["calls"] == 0)
    small = change.small(row)
    if change.value(row) is None:
        return Cell("–", muted=True)
    if people and change.measure.kind == "rate":
        shown = f"{shown} ({formatting.of(change.hits(row), change.base(row), '/')})"
    if people and change.measure.kind == "ratio":
        shown = f"{shown} ({formatting.of(row['praise'], row['criticism'], '/')})"
    return Cell(shown + formatting.mark(small), muted=small)


def headline_table(review: Review) -> Table:
    header = ["Measure", review.quarter.label, review.previous.label, "Change"]
    rows = []
    for change in review.headline:
        cells = [Cell(change.measure.label)]
        for row in (change.now, change.before):
            value = _value_cell(change, row)
            note = " · ".join(x for x in (change.detail(row), change.interval_text(row)) if x)
            cells.append(Cell(value.text, muted=value.muted, note=note))
        cells.append(
            Cell(change.change_text(), change.tone, change.tone == 0, note=change.chance_text())
        )
        rows.append(cells)
    return Table(header, rows, "LRRR")


def worked_table(review: Review) -> Table:
    header = [
        "Behaviour",
        "Praise notes",
        "Came back after recognition",
        "95% interval",
        "Came back without recognition",
        f"After recognition in {review.previous.label}",
    ]
    rows = []
    for behavior in review.worked.iter_rows(named=True):
        rows.append(
            [
                Cell(behavior["behaviour"]),
                Cell(f"{behavior['praise']:,}"),
                _share_cell(
                    behavior["rec_recurred"],
                    behavior["rec_eligible"],
                    behavior["rec_rate"],
                    behavior["rec_small"],
                ),
                Cell(
                    formatting.interval([behavior["rec_rate_lo"], behavior["rec_rate_hi"]]),
                    muted=True,
                ),
                _share_cell(
                    behavior["unrec_recurred"],
                    behavior["unrec_eligible"],
                    behavior["unrec_rate"],
                    behavior["unrec_small"],
                ),
                _share_cell(
                    behavior["rec_recurred_previous"],
                    behavior["rec_eligible_previous"],
                    behavior["rec_rate_previous"],
                    behavior["rec_eligible_previous"] < review.min_n,
                ),
            ]
        )
    return Table(header, rows, "LRRRRR")


def wrong_table(review: Review) -> Table:
    header = ["Mistake", "Criticism notes", "Came back (any response)", *RESPONSES.values()]
    rows = []
    for behavior in review.wrong.iter_rows(named=True):
        cells = [
            Cell(behavior["behaviour"]),
            Cell(f"{behavior['criticism']:,}"),
            Cell(
                formatting.of(behavior["repeated"], behavior["eligible"]),
                muted=behavior["eligible"] < review.min_n,
            ),
        ]
        for response in RESPONSES:
            prefix = f"mr_{response}"
            cells.append(
                _share_cell(
                    behavior[f"{prefix}_repeated"],
                    behavior[f"{prefix}_eligible"],
                    behavior[f"{prefix}_rate"],
                    behavior[f"{prefix}_small"],
                )
            )
        rows.append(cells)
    return Table(header, rows, "LRRRRRR")


def _share_cell(hits: int, base: int, rate: float | None, small: bool) -> Cell:
    if not base:
        return Cell("–", muted=True)
    return Cell(
        f"{formatting.pct(rate)} ({formatting.of(hits, base)}){formatting.mark(small)}",
        muted=small,
    )


def _day(value: dt.date) -> str:
    return f"{value.day} {value:%b %Y}"


def unobserved_table(review: Review) -> Table:
    header = [
        "Rep",
        "Team",
        f"Calls in the {LOOKBACK_QUARTERS} quarters before",
        "Last observed",
        "By",
    ]
    rows = [
        [
            Cell(r["rep"]),
            Cell(team_label(r["last_team"])),
            Cell(f"{r['calls_before']:,}"),
            Cell(_day(r["last_observed"])),
            Cell(r["last_manager"]),
        ]
        for r in review.reps_unobserved.iter_rows(named=True)
    ]
    return Table(header, rows, "LLRRL")


def coverage_table(review: Review) -> Table:
    header = [
        "Manager",
        f"Calls in {review.quarter.label}",
        "Usual a quarter",
        "Share of usual",
        "",
    ]
    rows = []
    for manager in review.managers_coverage.iter_rows(named=True):
        if manager["usual"] is None:
            usual = Cell("new this quarter", muted=True)
        else:
            compared = manager["quarters_compared"]
            usual = Cell(
                f"{manager['usual']:.1f} ({compared} quarter{'s' if compared != 1 else ''})"
            )
        rows.append(
            [
                Cell(manager["manager"]),
                Cell(f"{manager['calls']:,}"),
                usual,
                Cell(
                    formatting.pct(manager["share_of_usual"]),
                    muted=manager["share_of_usual"] is None,
                ),
                Cell("below usual", -1) if manager["below"] else Cell("", muted=True),
            ]
        )
    return Table(header, rows, "LRRRL")


def coverage_rule(reps_hidden: bool = False) -> str:
    reps = (
        ""
        if reps_hidden
        else f"Reps not observed: reps with at least one observed call in the {LOOKBACK_QUARTERS} "
        "quarters before this one and none in it (they may have left or moved team). "
    )
    return reps + (
        f"Managers below usual: fewer calls this quarter than {USUAL_SHARE:.0%} of their usual, "
        f"the average number of calls a quarter over the {LOOKBACK_QUARTERS} quarters before "
        "(counted from their first call among them, quarters without a call included)."
    )


# ---- charts ----------------------------------------------------------------------------------


def headline_chart_frame(review: Review) -> pl.DataFrame:
    """The headline's rates for both quarters, shaped for charts.period_comparison."""
    rows = []
    for change in review.headline:
        if change.measure.kind != "rate":
            continue
        for order, (label, row) in enumerate(
            ((review.previous.label, change.before), (review.quarter.label, change.now))
        ):
            lo, hi = change.interval(row) or [None, None]
            rows.append(
                {
                    "measure": change.measure.label,
                    "period": label,
                    "order": order,
                    "rate": _num(change.value(row)),
                    "lo": lo,
                    "hi": hi,
                    "n": change.base(row),
                    "small": change.small(row),
                }
            )
    return pl.DataFrame(rows, schema=_chart_schema("measure"))


MAX_CHARTED = 30  # the managers' charts show at most this many managers (a row each)


def busiest(groups: Sequence[Group], most: int) -> list[Group]:
    """`groups` (managers or reps, in the table's order) cut to the `most` with the most calls
    in the quarter (then in the quarter before, then by name), still in the table's order."""
    if len(groups) <= most:
        return list(groups)

    def calls(group: Group) -> tuple[int, int, str, str]:
        name, changes = group
        return (-changes[0].now["calls"], -changes[0].before["calls"], name.casefold(), name)

    chosen = {name for name, _changes in sorted(groups, key=calls)[:most]}
    return [group for group in groups if group[0] in chosen]


def charted_managers(review: Review) -> list[Group]:
    """The managers the review's charts show, in the table's order: every one when there are
    at most MAX_CHARTED, else the MAX_CHARTED with the most calls. A chart of thousands of
    rows is a wall of dots (8,339 managers at 10 million notes: 140,000 px tall)."""
    return busiest(review.managers, MAX_CHARTED)


def charted_note(review: Review) -> str:
    """What the managers' charts leave out, in words ('' when they show every manager)."""
    shown, every = len(charted_managers(review)), len(review.managers)
    if shown == every:
        return ""
    narrower = "" if review.teams else " Choose teams to chart theirs."
    return (
        f"The charts show the {shown} manager{'s' if shown != 1 else ''} with the most calls in "
        f"{review.quarter.label}, of {every:,}.{narrower}"
    )


def people_chart_frame(
    review: Review, groups: Sequence[Group], measure: Measure, label: str
) -> pl.DataFrame:
    rows = []
    for name, changes in groups:
        change = next(x for x in changes if x.measure is measure)
        for order, (period, row) in enumerate(
            ((review.previous.label, change.before), (review.quarter.label, change.now))
        ):
            lo, hi = change.interval(row) or [None, None]
            rows.append(
                {
                    label: name,
                    "period": period,
                    "order": order,
                    "rate": _num(change.value(row)),
                    "lo": lo,
                    "hi": hi,
                    "n": change.base(row),
                    "small": change.small(row),
                }
            )
    return pl.DataFrame(rows, schema=_chart_schema(label))


def _chart_schema(label: str) -> dict[str, Any]:
    return {
        label: pl.String,
        "period": pl.String,
        "order": pl.Int64,
        "rate": pl.Float64,
        "lo": pl.Float64,
        "hi": pl.Float64,
        "n": pl.Int64,
        "small": pl.Boolean,
    }


def review_charts(review: Review, width: int = 640) -> dict[str, Any]:
    """The review's Altair charts by name (the page draws them; the report inlines them)."""
    from dashboard import charts

    charted = charted_managers(review)
    out = {
        "headline": charts.period_comparison(
            headline_chart_frame(review),
            "measure",
            f"{review.quarter.label} against {review.previous.label}",
        ),
        "manager_intervention": charts.period_comparison(
            people_chart_frame(review, charted, INTERVENTION, "manager"),
            "manager",
            "Share of calls each manager took over",
            "Took over (95% interval)",
        ),
        "manager_debrief": charts.period_comparison(
            people_chart_frame(review, charted, DEBRIEF, "manager"),
            "manager",
            "Share of calls each manager debriefed",
            "Debriefed (95% interval)",
        ),
    }
    return {
        k: v.properties(width=width if k == "headline" else int(width * 0.68))
        for k, v in out.items()
    }


def header_lines(review: Review) -> tuple[str, str, str]:
    """The subtitle, the small print under it, and a warning ('' when none)."""
    calls = review.current["calls"]
    sub = (
        f"{review.quarter.span()} against {review.previous.label} ({review.previous.span()}) · "
        f"{review.scope} · {calls:,} calls observed"
    )
    meta = (
        f"Made on {_day(review.made_on)}"
        + (f" from {review.source}" if review.source else "")
        + f" · recurrence window {review.window} calls · fewer than {review.min_n} calls or "
        f"events: marked {formatting.SMALL} and grey · intervals are Wilson 95%"
    )
    warn = []
    if not review.complete:
        warn.append(
            f"{review.quarter.label} is not over and the data does not reach its last day yet: "
            "its figures are provisional."
        )
    if review.before["calls"] == 0:
        warn.append(f"There are no calls in {review.previous.label} to compare with.")
    return sub, meta, " ".join(warn)


NOTE_TERMS = (
    ("Calls observed", "calls"),
    ("Praise : criticism", "praise_to_criticism"),
    ("Intervention rate", "intervention_rate"),
    ("Debrief rate", "debrief_rate"),
    ("Recognised recurrence", "recognized_rate"),
    ("Recognition lift", "lift"),
    ("Mistake repeat", "mistake_repeat"),
)
CHANGE_LEGEND = (
    f"{formatting.UP} up, {formatting.DOWN} down. Green is better and red is worse, only when "
    "the change is beyond chance; grey when it is within chance or rests on too few calls."
)
PEOPLE_LEGEND = (
    "Took over and Debriefed: share of calls (calls/of calls). Praise : crit.: the ratio "
    f"(praise notes/criticism notes). {formatting.SMALL} fewer than the small-sample threshold. "
    + CHANGE_LEGEND
)
REPS_INTRO = (
    "Figures for the calls each rep was observed on: how many, how often the manager took over, "
    "how often there was a debrief, and the praise and criticism the rep received."
)
NO_HIGHLIGHTS = (
    "No change from the previous quarter is large enough to call out beyond chance, and coaching "
    "coverage held up."
)
FIGURES_NOTE = "Every figure is computed by the same queries as `ridealong metrics --by quarter`."
REPS_OFF = (
    "Per-rep detail is off by the store's privacy policy: no rep is named or shown on their own; "
    "reps count only in the team and manager figures."
)


def worked_intro(review: Review) -> str:
    return (
        "Behaviours praised on a debriefed call (recognised) and praised again on one of the "
        f"rep's next {review.window} calls, most often first; beside them the same behaviours "
        "praised without a debrief, and last quarter. These are crude per-behaviour figures; "
        "the headline's within-rep lift is the one to read first. " + metrics.OBSERVATIONAL_NOTE
    )


def wrong_intro(review: Review) -> str:
    return (
        f"Mistakes noted again on one of the rep's next {review.window} calls, most often first, "
        "and how often they came back after each kind of response from the manager (crude; "
        "the headline's within-rep ratio is the one to read first). " + metrics.OBSERVATIONAL_NOTE
    )


HEADLINE_CAVEAT = (
    "Within rep: each rep compared with themselves (Mantel–Haenszel, 95% interval clustered "
    "by rep); crude: everyone pooled, which mixes up who watches with what works. "
    + metrics.OBSERVATIONAL_NOTE
)


# ---- the outline -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Para:
    text: str
    kind: str = "legend"  # intro (before a table) | legend (after one) | rule | caveat


@dataclass(frozen=True)
class Heading:
    text: str
    level: int = 3


@dataclass(frozen=True)
class TableBlock:
    name: str  # also the name of its frame in Review.tables() (the CSV download)
    table: Table
    css: str = ""  # the HTML table's class
    main_cols: tuple[int, ...] = ()  # columns drawn large and bold


@dataclass(frozen=True)
class Charts:
    title: str  # the PDF puts charts on a page of their own under this heading
    names: tuple[str, ...]  # keys of review_charts()


@dataclass(frozen=True)
class Highlights:
    items: tuple[str, ...]
    empty: str  # shown when there are none
    rule: str  # how they are chosen


@dataclass(frozen=True)
class Definitions:
    items: tuple[tuple[str, str], ...]  # (term, definition)


@dataclass(frozen=True)
class Footer:
    text: str


Block = Para | Heading | TableBlock | Charts | Highlights | Definitions | Footer


@dataclass(frozen=True)
class Section:
    key: str
    title: str
    blocks: tuple[Block, ...]
    new_page: bool = False  # starts a new page when printed


def outline(review: Review, max_rows: int | None = None) -> list[Section]:
    """The review's sections in order; every form of the review renders this list. Under
    privacy mode a first section says what the policy changed, and with reps hidden there is
    no Reps section and no table of reps nobody observed.

    `max_rows` (the PDF's): a table of people (CUT_RULES) with more rows is cut to that many —
    the managers and reps with the most calls, the first rows of the coverage tables in their
    order — and a line after it says so; None keeps every row (the page, the HTML)."""
    quarter, previous = review.quarter.label, review.previous.label
    privacy = [Para(text, "rule") for text in (review.folded,) if text]
    if review.reps_hidden:
        privacy.append(Para(REPS_OFF, "rule"))
    reps_unobserved: tuple[Block, ...] = (
        ()
        if review.reps_hidden
        else (
            Heading("Reps nobody observed this quarter"),
            TableBlock("reps_not_observed", unobserved_table(review), "compact"),
        )
    )
    sections = [
        Section("privacy", "Privacy mode", tuple(privacy)),
        Section(
            "highlights",
            "Highlights",
            (Highlights(tuple(review.highlights), NO_HIGHLIGHTS, highlights_rule(review.min_n)),),
        ),
        Section(
            "headline",
            "The quarter at a glance",
            (
                TableBlock("headline", headline_table(review), "headline", (1, 2)),
                Para(CHANGE_LEGEND),
                Para(HEADLINE_CAVEAT),
                Charts(f"{quarter} against {previous}", ("headline",)),
            ),
        ),
        Section(
            "managers",
            "Managers",
            (
                TableBlock("managers", people_table(review, review.managers, "Manager")),
                Para(PEOPLE_LEGEND),
                Charts(
                    "Managers: take-overs and debriefs, with 95% intervals",
                    ("manager_intervention", "manager_debrief"),
                ),
                *(Para(note) for note in (charted_note(review),) if note),
            ),
            new_page=True,
        ),
        Section(
            "coverage",
            "Coaching coverage",
            (
                Para(coverage_rule(review.reps_hidden), "rule"),
                *reps_unobserved,
                Heading("Calls each manager observed, against their usual"),
                TableBlock("managers_coverage", coverage_table(review), "compact"),
            ),
        ),
        Section(
            "reps",
            "Reps",
            (
                Para(REPS_INTRO, "intro"),
                TableBlock("reps", people_table(review, review.reps, "Rep")),
                Para(PEOPLE_LEGEND),
            ),
            new_page=True,
        ),
        Section(
            "behaviours",
            "What worked",
            (
                Para(worked_intro(review), "intro"),
                TableBlock("what_worked", worked_table(review)),
                Heading("What keeps going wrong", 2),
                Para(wrong_intro(review), "intro"),
                TableBlock("keeps_going_wrong", wrong_table(review)),
            ),
            new_page=True,
        ),
        Section(
            "notes",
            "How to read this",
            (
                Definitions(tuple((term, metrics.DEFINITIONS[key]) for term, key in NOTE_TERMS)),
                Para(metrics.OBSERVATIONAL_NOTE, "caveat"),
                Footer(FIGURES_NOTE),
            ),
        ),
    ]
    # privacy mode: said first when it changes the review; the per-rep section goes entirely
    kept = [
        s
        for s in sections
        if (s.key != "privacy" or s.blocks) and (s.key != "reps" or not review.reps_hidden)
    ]
    return kept if max_rows is None else [_cut(s, review, max_rows) for s in kept]


# The tables that grow with the organisation, and what a cut one keeps: (the review's groups
# to choose the busiest from, else None: the table's first rows; what is kept, in words). The
# headline and the behaviours' tables have a few rows whatever the size.
CUT_RULES = {
    "managers": ("managers", "the {n} managers with the most calls in {quarter}"),
    "reps": ("reps", "the {n} reps with the most calls in {quarter}"),
    "managers_coverage": (None, "the first {n} managers: those below their usual, then by name"),
    "reps_not_observed": (None, "the {n} reps observed most recently"),
}


def _cut(section: Section, review: Review, max_rows: int) -> Section:
    """`section` with each table of more than `max_rows` rows cut, and a line saying so."""
    blocks: list[Block] = []
    for block in section.blocks:
        if (
            not isinstance(block, TableBlock)
            or block.name not in CUT_RULES
            or len(block.table.rows) <= max_rows
        ):
            blocks.append(block)
            continue
        people, words = CUT_RULES[block.name]
        table = block.table
        if people is not None:
            groups = getattr(review, people)
            label = table.header[0]
            table = people_table(review, busiest(groups, max_rows), label)
        else:
            table = Table(table.header, table.rows[:max_rows], table.align, table.groups)
        kept = words.format(n=f"{max_rows:,}", quarter=review.quarter.label)
        blocks.append(dataclasses.replace(block, table=table))
        blocks.append(
            Para(
                f"This PDF lists {kept}, of {len(block.table.rows):,}: the HTML review and the "
                "table's CSV on the Quarterly review page list every one.",
                "rule",
            )
        )
    return dataclasses.replace(section, blocks=tuple(blocks))
