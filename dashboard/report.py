"""The quarterly team review: a quarter against the one before, as data, HTML and PDF.

`build_review()` gathers every figure from queries/: metrics.sql for all coaching metrics (the
same figures as `ridealong metrics --by quarter`), quarters.sql for the quarters in the data,
coverage_reps.sql and coverage_managers.sql for coaching coverage. `render_html()` and
`render_pdf()` only lay the figures out; `highlights()` turns them into a few guarded sentences.
The CLI (`ridealong report`) and the Quarterly review page both use this module; it never
imports Streamlit (only the page does).
"""

from __future__ import annotations

import datetime as dt
import html
import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import polars as pl

from dashboard import effects, metrics, text
from dashboard.effects import Z_95, count_z, two_proportion_z  # the one beyond-chance test
from dashboard.importer import FIRST_YEAR, LAST_YEAR

LOOKBACK_QUARTERS = 4  # "usual" and "observed before" look at this many quarters back
USUAL_SHARE = 0.75  # a manager is below usual with fewer calls than this share of usual
MAX_CHANGE_HIGHLIGHTS = 6
TOP_BEHAVIOURS = 8
DEJAVU = Path("/usr/share/fonts/truetype/dejavu")

UP, DOWN = "▲", "▼"
GOOD, BAD, MUTED = "#1e7b53", "#c0392b", "#6b7684"

SAMPLE_SOURCE = "the bundled sample data, not a real team's"

Runner = Callable[..., pl.DataFrame]


class ReviewError(ValueError):
    """A quarter or team the data cannot review; the message says what exists instead."""


# ---- quarters --------------------------------------------------------------------------------

_QUARTER = re.compile(r"(\d{4})\s*-?\s*Q([1-4])", re.IGNORECASE)


@dataclass(frozen=True, order=True)
class Quarter:
    year: int
    q: int

    @classmethod
    def parse(cls, value: str) -> Quarter:
        match = _QUARTER.fullmatch(value.strip())
        if not match:
            raise ReviewError(
                f"{value!r} is not a quarter: write the year, a dash, Q and the quarter's number, "
                "e.g. 2026-Q3."
            )
        year = int(match[1])
        if not FIRST_YEAR <= year <= LAST_YEAR:
            raise ReviewError(
                f"{value!r} is not a quarter with calls: years {FIRST_YEAR}–{LAST_YEAR} are "
                "accepted, e.g. 2026-Q3."
            )
        return cls(year, int(match[2]))

    @property
    def label(self) -> str:
        return f"{self.year}-Q{self.q}"

    @property
    def start(self) -> dt.date:
        return dt.date(self.year, 3 * self.q - 2, 1)

    @property
    def end(self) -> dt.date:
        following = self.following()
        return dt.date(following.year, 3 * following.q - 2, 1) - dt.timedelta(days=1)

    def previous(self) -> Quarter:
        return Quarter(self.year - 1, 4) if self.q == 1 else Quarter(self.year, self.q - 1)

    def following(self) -> Quarter:
        return Quarter(self.year + 1, 1) if self.q == 4 else Quarter(self.year, self.q + 1)

    def span(self) -> str:
        """'1 Jul – 30 Sep 2026'."""
        return f"{self.start.day} {self.start:%b} – {self.end.day} {self.end:%b %Y}"

    def __str__(self) -> str:
        return self.label


def team_label(team: str) -> str:
    return team if team else "(no team)"


def teams_text(teams: Sequence[str]) -> str:
    if not teams:
        return "All teams"
    names = [team_label(t) for t in teams]
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


# ---- what is compared ------------------------------------------------------------------------


@dataclass(frozen=True)
class Measure:
    """One figure of queries/metrics.sql compared between two quarters."""

    key: str  # the figure's column in metrics.sql
    label: str
    kind: str  # "count" | "rate" | "ratio" | "lift"
    better: int  # +1: higher is better; -1: lower is better
    hits: str | None = None  # the rate's numerator column
    base: str | None = None  # the rate's denominator column
    unit: str = "calls"  # what the denominator counts, in words
    help: str = ""
    short: str = ""  # a column heading
    sides: tuple[str, str] | None = None  # a ratio's two event counts (default: recognition's)

    @property
    def heading(self) -> str:
        return self.short or self.label


CALLS = Measure(
    "calls", "Calls observed", "count", +1, help=metrics.DEFINITIONS["calls"], short="Calls"
)
RATIO = Measure(
    "praise_to_criticism",
    "Praise : criticism",
    "ratio",
    +1,
    "praise",
    None,
    "notes",
    metrics.DEFINITIONS["praise_to_criticism"],
    "Praise : crit.",
)
INTERVENTION = Measure(
    "intervention_rate",
    "Intervention rate",
    "rate",
    -1,
    "took_over",
    "calls",
    "calls",
    metrics.DEFINITIONS["intervention_rate"],
    "Took over",
)
DEBRIEF = Measure(
    "debrief_rate",
    "Debrief rate",
    "rate",
    +1,
    "debriefed",
    "debrief_known",
    "calls with a known debrief",
    metrics.DEFINITIONS["debrief_rate"],
    "Debriefed",
)
ADJ_LIFT = Measure(
    "adj_lift",
    "Recognition lift, within rep",
    "lift",
    +1,
    unit="praised behaviours",
    help=metrics.DEFINITIONS["adjusted_lift"],
    short="Lift within rep",  # small by the crude lift's rule, as in the JSON
)
LIFT = Measure(
    "lift",
    "Recognition lift, crude",
    "lift",
    +1,
    unit="praised behaviours",
    help=metrics.DEFINITIONS["lift"] + " Crude: pools every rep and manager.",
    short="Lift, crude",
)
ADJ_TOOK_OVER = Measure(
    "adj_took_over_ratio",
    "Repeats after a take-over vs debrief, within rep",
    "lift",
    -1,
    unit="mistakes",
    help=metrics.DEFINITIONS["adjusted_ratio"],
    short="Take-over vs debrief",
    sides=("adj_took_over_exposed_n", "adj_took_over_reference_n"),
)
MR_TOOK_OVER = Measure(
    "mr_took_over_rate",
    "Mistakes repeat: took over",
    "rate",
    -1,
    "mr_took_over_repeated",
    "mr_took_over_eligible",
    "mistakes",
    metrics.DEFINITIONS["mistake_repeat"],
)
MR_OBSERVED_DEBRIEFED = Measure(
    "mr_observed_debriefed_rate",
    "Mistakes repeat: observe + debrief",
    "rate",
    -1,
    "mr_observed_debriefed_repeated",
    "mr_observed_debriefed_eligible",
    "mistakes",
    metrics.DEFINITIONS["mistake_repeat"],
)
HEADLINE = (
    CALLS,
    RATIO,
    INTERVENTION,
    DEBRIEF,
    ADJ_LIFT,
    LIFT,
    ADJ_TOOK_OVER,
    MR_TOOK_OVER,
    MR_OBSERVED_DEBRIEFED,
)
PEOPLE = (CALLS, INTERVENTION, DEBRIEF, RATIO)
RESPONSES = {
    "took_over": "After a take-over",
    "assisted": "After assisting",
    "observed_debriefed": "After observe + debrief",
    "observed_only": "After observing only",
}


@dataclass(frozen=True)
class Change:
    """A measure in the quarter (`now`) and the quarter before (`before`): two metrics.sql rows."""

    measure: Measure
    now: dict[str, Any]
    before: dict[str, Any]
    min_n: int

    def value(self, row: dict[str, Any]) -> float | None:
        return row.get(self.measure.key)

    def hits(self, row: dict[str, Any]) -> int | None:
        m = self.measure
        return row["calls"] if m.kind == "count" else (row.get(m.hits) if m.hits else None)

    def base(self, row: dict[str, Any]) -> int | None:
        m = self.measure
        if m.kind == "count":
            return row["calls"]
        if m.kind == "ratio":
            return row["praise"] + row["criticism"]
        if m.kind == "lift":
            first, second = m.sides or ("rec_eligible", "unrec_eligible")
            if row.get(first) is None or row.get(second) is None:
                return None
            return min(row[first], row[second])
        return row[m.base]

    def interval(self, row: dict[str, Any]) -> list[float | None] | None:
        if self.measure.kind == "count":
            return None
        lo, hi = row.get(f"{self.measure.key}_lo"), row.get(f"{self.measure.key}_hi")
        return None if lo is None and hi is None else [lo, hi]

    def small(self, row: dict[str, Any]) -> bool:
        return effects.small(self.base(row), self.min_n)

    @property
    def delta(self) -> float | None:
        a, b = self.value(self.now), self.value(self.before)
        return None if a is None or b is None else a - b

    @property
    def direction(self) -> int:
        d = self.delta
        if d is None or abs(d) < 1e-12:
            return 0
        return 1 if d > 0 else -1

    @property
    def z(self) -> float | None:
        m = self.measure
        if m.kind == "count":
            return count_z(self.now["calls"], self.before["calls"])
        if m.kind in ("rate", "ratio"):
            return two_proportion_z(
                self.hits(self.now),
                self.base(self.now),
                self.hits(self.before),
                self.base(self.before),
            )
        return effects.log_ratio_z(
            self.value(self.now),
            self.interval(self.now),
            self.value(self.before),
            self.interval(self.before),
        )

    @property
    def clear(self) -> bool:
        """Beyond chance: both periods rest on at least min_n, and the change passes the one
        test (effects.beyond_chance: |z| >= 1.96; a lift or risk ratio by its log difference)."""
        if self.direction == 0 or self.small(self.now) or self.small(self.before):
            return False
        return effects.beyond_chance(self.z)

    def change_interval(self) -> tuple[float, float] | None:
        """The 95% interval of the change: a difference of rates (Newcombe), of counts
        (Poisson), of praise shares for the ratio, or the ratio of two lifts."""
        m, now, before = self.measure, self.now, self.before
        if self.delta is None:
            return None
        if m.kind == "count":
            half = Z_95 * math.sqrt(now["calls"] + before["calls"])
            return self.delta - half, self.delta + half
        if m.kind in ("rate", "ratio"):
            hits_now, hits_before = self.hits(now), self.hits(before)
            base_now, base_before = self.base(now), self.base(before)
            if None in (hits_now, hits_before, base_now, base_before):
                return None
            return effects.difference_interval(hits_now, base_now, hits_before, base_before)
        z = self.z
        if not z:
            return None
        log_change = math.log(self.value(now)) - math.log(self.value(before))
        se = log_change / z
        return math.exp(log_change - Z_95 * se), math.exp(log_change + Z_95 * se)

    def change_interval_text(self) -> str:
        ci = self.change_interval()
        if ci is None:
            return ""
        kind = self.measure.kind
        if kind == "count":
            return f"change {self.delta:+,.0f}, 95% interval {ci[0]:+,.0f} to {ci[1]:+,.0f}"
        if kind == "rate":
            return (
                f"change {self.delta * 100:+.1f} pts, 95% interval {ci[0] * 100:+.1f} to "
                f"{ci[1] * 100:+.1f} pts"
            )
        if kind == "ratio":
            return (
                f"praise share changed by a 95% interval of {ci[0] * 100:+.1f} to "
                f"{ci[1] * 100:+.1f} pts"
            )
        return f"now ÷ before: 95% interval {ci[0]:.2f}× to {ci[1]:.2f}×"

    @property
    def tone(self) -> int:
        """+1 better, -1 worse, 0 not beyond chance (drawn grey)."""
        return self.direction * self.measure.better if self.clear else 0

    # -- words --

    def shown(self, row: dict[str, Any]) -> str:
        m, v = self.measure, self.value(row)
        if m.kind == "count":
            return f"{v:,}"
        if m.kind == "rate":
            return text.pct(v)
        if m.kind == "ratio":
            return text.ratio_counts(row["praise"], row["criticism"], v).split(" (")[0]
        return "–" if v is None else f"{v:.2f}×"

    def detail(self, row: dict[str, Any]) -> str:
        m = self.measure
        if m.kind == "count":
            return ""
        if m.kind == "rate":
            base = self.base(row)
            return f"{self.hits(row):,} of {base:,} {m.unit}" if base else f"no {m.unit}"
        if m.kind == "ratio":
            if not row["praise"] + row["criticism"]:
                return "no notes"
            if not row["criticism"]:
                return f"no criticism, {row['praise']:,} praise"
            return f"{row['praise']:,} praise, {row['criticism']:,} criticism"
        if m.key.startswith("adj_"):
            stem = m.key.removesuffix("_ratio")
            strata = row.get(f"{stem}_strata") or 0
            crude = row.get("lift") if m.key == "adj_lift" else row.get("took_over_vs_debrief")
            crude_text = "–" if crude is None else f"{crude:.2f}×"
            return f"within {strata:,} reps; crude {crude_text}"
        if row["rec_eligible"] or row["unrec_eligible"]:
            return (
                f"came back {text.pct(row['rec_rate'])} recognised vs "
                f"{text.pct(row['unrec_rate'])} not"
            )
        return "no praise old enough to judge"

    def interval_text(self, row: dict[str, Any]) -> str:
        ci = self.interval(row)
        if not ci or self.value(row) is None:
            return ""
        if self.measure.kind == "rate":
            return text.interval(ci)
        fmt = text.ratio if self.measure.kind == "ratio" else (lambda v: f"{v:.2f}×")
        return text.interval(ci, fmt)

    def change_text(self) -> str:
        """'▲ 4 pts', '▼ 31', '▲ 0.2'; 'same' when the change rounds to nothing as shown."""
        d, m = self.delta, self.measure
        if d is None:
            return "–"
        if m.kind == "count":
            size = f"{abs(int(d)):,}"
        elif m.kind == "rate":
            size = f"{abs(d) * 100:.0f} pts"
        elif m.kind == "ratio":
            size = f"{abs(d):.1f}"
        else:
            size = f"{abs(d):.2f}"
        if self.direction == 0 or not any(ch in "123456789" for ch in size):
            return "same"
        return f"{UP if self.direction > 0 else DOWN} {size}"

    def chance_text(self) -> str:
        if self.delta is None or self.direction == 0:
            return ""
        if self.small(self.now) or self.small(self.before):
            return "too few to tell"
        return "beyond chance" if self.clear else "within chance"


Group = tuple[str, list[Change]]


# ---- the review --------------------------------------------------------------------------------


@dataclass
class Review:
    """Everything the quarterly review shows; every figure comes from queries/."""

    quarter: Quarter
    previous: Quarter
    teams: tuple[str, ...]
    window: int
    min_n: int
    complete: bool
    made_on: dt.date
    quarters: pl.DataFrame  # quarters.sql
    current: dict[str, Any]  # metrics.sql, by='all', the quarter
    before: dict[str, Any]  # metrics.sql, by='all', the previous quarter
    headline: list[Change]
    managers: list[Group]
    reps: list[Group]
    worked: pl.DataFrame
    wrong: pl.DataFrame
    reps_unobserved: pl.DataFrame  # coverage_reps.sql
    managers_coverage: pl.DataFrame  # coverage_managers.sql
    highlights: list[str] = field(default_factory=list)
    source: str = ""

    @property
    def scope(self) -> str:
        return teams_text(self.teams)

    @property
    def title(self) -> str:
        return f"Quarterly coaching review {self.quarter.label}"

    @property
    def file_stem(self) -> str:
        suffix = (
            ""
            if not self.teams
            else "_" + "_".join(re.sub(r"\W+", "-", t) or "none" for t in self.teams)
        )
        return f"ridealong_review_{self.quarter.label}{suffix}"

    def tables(self) -> dict[str, pl.DataFrame]:
        """The review's tables as frames (CSV downloads), named by what they hold."""
        return {
            "headline": headline_frame(self),
            "managers": comparison_frame(self.managers, "manager"),
            "reps": comparison_frame(self.reps, "rep"),
            "what_worked": self.worked,
            "keeps_going_wrong": self.wrong,
            "reps_not_observed": self.reps_unobserved,
            "managers_coverage": self.managers_coverage,
        }


def _runner(con: duckdb.DuckDBPyConnection) -> Runner:
    return metrics.unscoped(con)


def _metrics(run: Runner, filters: metrics.Filters, by: str) -> pl.DataFrame:
    return run("metrics", by=by, **filters.params())


def _adjusted(run: Runner, filters: metrics.Filters) -> metrics.Adjusted:
    """The within-rep comparisons (queries/effect_strata.sql through dashboard/effects.py)."""
    by = metrics.DEFAULT_ADJUST_BY
    frame = run("effect_strata", by="all", adjust_by=by, **filters.params())
    found = metrics.adjusted_from_strata(frame, filters.min_n, by)
    return found.get("") or metrics.empty_adjusted(by, filters.min_n)


def _zero_row(frame: pl.DataFrame, grp: str) -> dict[str, Any]:
    """A metrics.sql row for a group without calls: counts 0, rates null, flagged small."""
    row: dict[str, Any] = {}
    for name, dtype in frame.schema.items():
        if name == "grp":
            row[name] = grp
        elif dtype == pl.Boolean:
            row[name] = True
        elif dtype.is_integer():
            row[name] = 0
        else:
            row[name] = None
    return row


def _groups(
    now: pl.DataFrame, before: pl.DataFrame, measures: Sequence[Measure], min_n: int
) -> list[Group]:
    now_rows = {r["grp"]: r for r in now.to_dicts()}
    before_rows = {r["grp"]: r for r in before.to_dicts()}
    out = []
    for name in sorted(set(now_rows) | set(before_rows), key=lambda s: (s.casefold(), s)):
        a = now_rows.get(name) or _zero_row(now, name)
        b = before_rows.get(name) or _zero_row(before, name)
        out.append((name, [Change(m, a, b, min_n) for m in measures]))
    return out


def available_quarters(
    con: duckdb.DuckDBPyConnection | None,
    teams: Sequence[str] = (),
    today: dt.date | None = None,
    runner: Runner | None = None,
) -> pl.DataFrame:
    """queries/quarters.sql: the quarters holding calls of these teams, oldest first."""
    run = runner or _runner(con)
    return run("quarters", teams=list(teams), today=today or dt.date.today())


def resolve(
    quarters: pl.DataFrame, quarter: str | None, teams: Sequence[str], known_teams: Sequence[str]
) -> Quarter:
    """The quarter to review, or a ReviewError naming what exists."""
    unknown = [t for t in teams if t not in known_teams]
    if unknown:
        names = ", ".join(repr(t) for t in unknown)
        have = ", ".join(repr(t) for t in known_teams) or "none"
        raise ReviewError(f"unknown team {names}; teams in the data: {have}.")
    if quarters.height == 0:
        raise ReviewError("there are no calls in the data yet: import a log first.")
    if quarter is None:
        return Quarter.parse(quarters.filter(pl.col("is_default"))["quarter"][0])
    where = "" if not teams else f" for {teams_text(teams)}"
    have = f"Quarters with calls{where}: {', '.join(quarters['quarter'].to_list())}."
    try:
        chosen = Quarter.parse(quarter)
    except ReviewError as exc:
        raise ReviewError(f"{exc} {have}") from None
    if chosen.label not in quarters["quarter"].to_list():
        raise ReviewError(f"no calls{where} in {chosen.label}. {have}")
    return chosen


def build_review(
    con: duckdb.DuckDBPyConnection | None,
    quarter: str | None = None,
    teams: Sequence[str] = (),
    window: int = metrics.DEFAULT_WINDOW,
    *,
    min_n: int = metrics.DEFAULT_MIN_N,
    today: dt.date | None = None,
    runner: Runner | None = None,
    source: str = "",
) -> Review:
    """The review of `quarter` ('YYYY-Qn'; None = the last complete quarter) for `teams`
    (empty = all), against the quarter before. `runner(name, **params)` runs a query (default:
    metrics.run on `con`; the page passes its cached runner). Raises ReviewError for a malformed
    quarter, an unknown team or a quarter without calls."""
    run = runner or _runner(con)
    teams = tuple(teams)
    today = today or dt.date.today()
    quarters = available_quarters(con, teams, today, run)
    known = run("data_range").row(0, named=True)["teams"] or []
    q = resolve(quarters, quarter, teams, known)
    prev = q.previous()
    base = metrics.Filters(teams=teams, window=window, min_n=min_n)
    this_f = base.replace(start=q.start, end=q.end)
    prev_f = base.replace(start=prev.start, end=prev.end)

    now_all, before_all = _metrics(run, this_f, "all"), _metrics(run, prev_f, "all")
    current = metrics.with_adjusted(now_all.row(0, named=True), _adjusted(run, this_f))
    before = metrics.with_adjusted(before_all.row(0, named=True), _adjusted(run, prev_f))
    headline = [Change(m, current, before, min_n) for m in HEADLINE]
    managers = _groups(
        _metrics(run, this_f, "manager"), _metrics(run, prev_f, "manager"), PEOPLE, min_n
    )
    reps = _groups(_metrics(run, this_f, "rep"), _metrics(run, prev_f, "rep"), PEOPLE, min_n)
    behaviours_now = _metrics(run, this_f, "behavior")
    behaviours_before = _metrics(run, prev_f, "behavior")
    coverage = {"start": q.start, "end": q.end, "lookback": LOOKBACK_QUARTERS, "teams": list(teams)}
    reps_unobserved = run("coverage_reps", **coverage)
    managers_coverage = run("coverage_managers", share=USUAL_SHARE, **coverage)
    row = quarters.filter(pl.col("quarter") == q.label).row(0, named=True)
    review = Review(
        quarter=q,
        previous=prev,
        teams=teams,
        window=window,
        min_n=min_n,
        complete=bool(row["complete"]),
        made_on=today,
        quarters=quarters,
        current=current,
        before=before,
        headline=headline,
        managers=managers,
        reps=reps,
        worked=what_worked(behaviours_now, behaviours_before, min_n),
        wrong=keeps_going_wrong(behaviours_now, min_n),
        reps_unobserved=reps_unobserved,
        managers_coverage=managers_coverage,
        source=source,
    )
    review.highlights = highlights(
        headline, managers, reps_unobserved, managers_coverage, min_n, window
    )
    return review


# ---- behaviours --------------------------------------------------------------------------------


def _behaviour_key(col: str) -> pl.Expr:
    # the behaviour's key (lower-cased, inner spaces collapsed), to match spellings across quarters
    return pl.col(col).str.to_lowercase().str.replace_all(r"\s+", " ").str.strip_chars()


def what_worked(now: pl.DataFrame, before: pl.DataFrame, min_n: int) -> pl.DataFrame:
    """Recognised behaviours (praised on a debriefed call) that came back most this quarter:
    metrics.sql by behaviour, with last quarter's recognised recurrence beside it."""
    previous = before.select(
        _behaviour_key("grp").alias("_key"),
        pl.col("rec_eligible").alias("rec_eligible_previous"),
        pl.col("rec_recurred").alias("rec_recurred_previous"),
        pl.col("rec_rate").alias("rec_rate_previous"),
    )
    return (
        now.filter(pl.col("rec_eligible") > 0)
        .with_columns(_behaviour_key("grp").alias("_key"))
        .join(previous, on="_key", how="left")
        .sort(["rec_recurred", "rec_rate", "grp"], descending=[True, True, False])
        .head(TOP_BEHAVIOURS)
        .select(
            pl.col("grp").alias("behaviour"),
            "praise",
            "rec_eligible",
            "rec_recurred",
            "rec_rate",
            "rec_rate_lo",
            "rec_rate_hi",
            "rec_small",
            "unrec_eligible",
            "unrec_recurred",
            "unrec_rate",
            "unrec_small",
            pl.col("rec_eligible_previous").fill_null(0),
            pl.col("rec_recurred_previous").fill_null(0),
            "rec_rate_previous",
        )
    )


def keeps_going_wrong(now: pl.DataFrame, min_n: int) -> pl.DataFrame:
    """Mistakes (criticised behaviours) that repeated most this quarter, with the repeat by
    the manager's response (metrics.sql by behaviour). `repeated` and `eligible` add up the
    four responses, which split every mistake: took over, assisted, observed with a debrief,
    observed without one."""
    prefixes = [f"mr_{r}" for r in RESPONSES]
    return (
        now.filter(pl.col("criticism") > 0)
        .with_columns(
            pl.sum_horizontal([f"{p}_repeated" for p in prefixes]).alias("repeated"),
            pl.sum_horizontal([f"{p}_eligible" for p in prefixes]).alias("eligible"),
        )
        .filter(pl.col("eligible") > 0)
        .sort(["repeated", "criticism", "grp"], descending=[True, True, False])
        .head(TOP_BEHAVIOURS)
        .select(
            pl.col("grp").alias("behaviour"),
            "criticism",
            "repeated",
            "eligible",
            *[
                pl.col(f"{p}_{part}")
                for p in prefixes
                for part in ("repeated", "eligible", "rate", "small")
            ],
        )
    )


# ---- highlights ------------------------------------------------------------------------------


def highlights_rule(min_n: int) -> str:
    return (
        "How highlights are chosen: a change is written up only when both quarters rest on at "
        f"least {min_n} calls, notes or events, and it is larger than chance easily produces: a "
        "two-proportion z-test for rates and the praise share, a Poisson test for call counts "
        "(|z| ≥ 1.96, the 5% level), non-overlapping 95% intervals for the lift. The same rule "
        "colours changes in the tables; grey means within chance or too few to tell. Team-wide "
        "figures and each manager's calls, take-overs, debriefs and praise share are tested; "
        f"coverage sentences need at least {min_n} calls before. Among many comparisons about one "
        "in twenty passes by chance, so a highlight is a question to ask, not a verdict."
    )


def _from(c: Change, row: dict[str, Any]) -> str:
    return f"{c.hits(row):,} of {c.base(row):,}"


def sentence(change: Change, who: str | None) -> str:
    """One plain sentence for a change; `who` is a manager, None for everyone in the review."""
    c, key = change, change.measure.key
    now, before = c.now, c.before
    up = c.direction > 0
    updown = "up" if up else "down"
    subject = who or "Managers"
    if key == "calls":
        return f"{subject} observed {now['calls']:,} calls, {updown} from {before['calls']:,}."
    if key == "intervention_rate":
        return (
            f"{subject} took over {_from(c, now)} calls ({text.pct(c.value(now))}), "
            f"{updown} from {_from(c, before)} ({text.pct(c.value(before))})."
        )
    if key == "debrief_rate":
        return (
            f"{subject} debriefed {_from(c, now)} calls ({text.pct(c.value(now))}), "
            f"{updown} from {_from(c, before)} ({text.pct(c.value(before))})."
        )
    if key == "praise_to_criticism":
        owner = f"{who}'s" if who else "The"
        return (
            f"{owner} praise-to-criticism ratio {'rose' if up else 'fell'} from "
            f"{text.ratio(c.value(before))} to {text.ratio(c.value(now))} "
            f"({now['praise']:,} praise and {now['criticism']:,} criticism notes this quarter)."
        )
    if key == "adj_lift":
        return (
            f"Recognition lift within rep {'rose' if up else 'fell'} from {c.shown(before)} to "
            f"{c.shown(now)} (each rep's recognised praise against their own unrecognised "
            f"praise, over {now['adj_lift_strata']:,} reps; observational)."
        )
    if key == "adj_took_over_ratio":
        return (
            f"Within rep, mistakes after a take-over repeated {c.shown(now)} as often as after "
            f"observe + debrief, {'up' if up else 'down'} from {c.shown(before)} "
            "(observational)."
        )
    if key == "lift":
        return (
            f"Crude recognition lift {'rose' if up else 'fell'} from {c.shown(before)} to "
            f"{c.shown(now)}: recognised praise came back {text.pct(now['rec_rate'])} of the "
            f"time, unrecognised {text.pct(now['unrec_rate'])}."
        )
    what = {
        "mr_took_over_rate": "Mistakes the manager took over",
        "mr_observed_debriefed_rate": "Mistakes left to the rep and then debriefed",
    }[key]
    return (
        f"{what} came back {_from(c, now)} times ({text.pct(c.value(now))}), {updown} from "
        f"{_from(c, before)} ({text.pct(c.value(before))})."
    )


def _names(names: list[str]) -> str:
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def highlights(
    headline: Sequence[Change],
    managers: Sequence[Group],
    reps_unobserved: pl.DataFrame,
    managers_coverage: pl.DataFrame,
    min_n: int,
    window: int,
) -> list[str]:
    """A few plain sentences, only where the numbers support them (see highlights_rule)."""
    out = [sentence(c, None) for c in headline if c.clear]
    personal = sorted(
        ((abs(c.z or 0.0), name, c) for name, changes in managers for c in changes if c.clear),
        key=lambda t: (-t[0], t[1]),
    )
    out += [sentence(c, name) for _, name, c in personal]
    extra = len(out) - MAX_CHANGE_HIGHLIGHTS
    if extra > 0:
        out = out[:MAX_CHANGE_HIGHLIGHTS]
        out.append(
            f"{extra} more change{'s' if extra > 1 else ''} beyond chance: see the coloured "
            "figures in the tables."
        )
    missed = reps_unobserved.filter(pl.col("calls_before") >= min_n)
    if missed.height:
        names = missed["rep"].to_list()
        verb = "was" if len(names) == 1 else "were"
        out.append(
            f"{_names(names)} {verb} not observed this quarter, after at least {min_n} observed "
            f"calls in the {LOOKBACK_QUARTERS} quarters before."
        )
    below = managers_coverage.filter(pl.col("below") & (pl.col("usual") >= min_n))
    for r in below.iter_rows(named=True):
        out.append(
            f"{r['manager']} observed {r['calls']:,} calls, below {USUAL_SHARE:.0%} of a usual "
            f"{r['usual']:.0f} a quarter."
        )
    return out


# ---- tables as frames (CSV) ------------------------------------------------------------------


def headline_frame(review: Review) -> pl.DataFrame:
    rows = []
    for c in review.headline:
        a, b = c.interval(c.now) or [None, None], c.interval(c.before) or [None, None]
        rows.append(
            {
                "measure": c.measure.label,
                "quarter": review.quarter.label,
                "value": _num(c.value(c.now)),
                "value_lo": a[0],
                "value_hi": a[1],
                "based_on": c.base(c.now),
                "previous_quarter": review.previous.label,
                "previous": _num(c.value(c.before)),
                "previous_lo": b[0],
                "previous_hi": b[1],
                "previous_based_on": c.base(c.before),
                "change": c.delta,
                "beyond_chance": c.clear,
            }
        )
    return pl.DataFrame(rows, schema_overrides={"value": pl.Float64, "previous": pl.Float64})


def _num(value: Any) -> float | None:
    return None if value is None else float(value)


def comparison_frame(groups: Sequence[Group], label: str) -> pl.DataFrame:
    """One row per manager or rep: each measure this quarter, the quarter before and the change,
    with the counts behind rates."""
    rows = []
    for name, changes in groups:
        row: dict[str, Any] = {label: name}
        for c in changes:
            m = c.measure
            if m.kind in ("rate", "ratio"):
                row[f"{m.hits}"] = c.hits(c.now)
                row[f"{m.hits}_previous"] = c.hits(c.before)
                if m.kind == "rate":
                    row[m.base] = c.base(c.now)
                    row[f"{m.base}_previous"] = c.base(c.before)
                else:
                    row["criticism"] = c.now["criticism"]
                    row["criticism_previous"] = c.before["criticism"]
            row[m.key] = _num(c.value(c.now))
            if m.kind != "count":
                row[f"{m.key}_previous"] = _num(c.value(c.before))
                row[f"{m.key}_change"] = c.delta
            else:
                row[f"{m.key}_previous"] = c.value(c.before)
                row[f"{m.key}_change"] = c.delta
            row[f"{m.key}_beyond_chance"] = c.clear
        rows.append(row)
    if not rows:
        return pl.DataFrame({label: []}, schema={label: pl.String})
    return pl.DataFrame(rows, infer_schema_length=None)


# ---- tables: one layout for the page, the HTML and the PDF -----------------------------------


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
        names, i = [], 0
        for label, span in self.groups:
            for h in self.header[i : i + span]:
                names.append(f"{label} {h}".strip() if label else h)
            i += span
        return names


def people_table(review: Review, groups: Sequence[Group], label: str) -> Table:
    """Name, then for each measure the quarter, the quarter before and the change."""
    q, p = review.quarter.label, review.previous.label
    header = [label]
    spans: list[tuple[str, int]] = [("", 1)]
    for m in PEOPLE:
        header += [q, p, "change"]
        spans.append((m.heading, 3))
    rows = []
    for name, changes in groups:
        row = [Cell(name)]
        for c in changes:
            row += [
                _value_cell(c, c.now, people=True),
                _value_cell(c, c.before, people=True),
                Cell(c.change_text(), c.tone, c.tone == 0),
            ]
        rows.append(row)
    return Table(header, rows, "L" + "R" * (len(header) - 1), tuple(spans))


def _value_cell(c: Change, row: dict[str, Any], people: bool = False) -> Cell:
    shown = c.shown(row)
    if c.measure.kind == "count":
        return Cell(shown, muted=row["calls"] == 0)
    small = c.small(row)
    if c.value(row) is None:
        return Cell("–", muted=True)
    if people and c.measure.kind == "rate":
        shown = f"{shown} ({c.hits(row)}/{c.base(row)})"
    if people and c.measure.kind == "ratio":
        shown = f"{shown} ({row['praise']}/{row['criticism']})"
    return Cell(shown + (text.SMALL if small else ""), muted=small)


def headline_table(review: Review) -> Table:
    header = ["Measure", review.quarter.label, review.previous.label, "Change"]
    rows = []
    for c in review.headline:
        cells = [Cell(c.measure.label)]
        for row in (c.now, c.before):
            value = _value_cell(c, row)
            note = " · ".join(x for x in (c.detail(row), c.interval_text(row)) if x)
            cells.append(Cell(value.text, muted=value.muted, note=note))
        cells.append(Cell(c.change_text(), c.tone, c.tone == 0, note=c.chance_text()))
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
    for r in review.worked.iter_rows(named=True):
        rows.append(
            [
                Cell(r["behaviour"]),
                Cell(f"{r['praise']:,}"),
                _share_cell(r["rec_recurred"], r["rec_eligible"], r["rec_rate"], r["rec_small"]),
                Cell(text.interval([r["rec_rate_lo"], r["rec_rate_hi"]]), muted=True),
                _share_cell(
                    r["unrec_recurred"], r["unrec_eligible"], r["unrec_rate"], r["unrec_small"]
                ),
                _share_cell(
                    r["rec_recurred_previous"],
                    r["rec_eligible_previous"],
                    r["rec_rate_previous"],
                    r["rec_eligible_previous"] < review.min_n,
                ),
            ]
        )
    return Table(header, rows, "LRRRRR")


def wrong_table(review: Review) -> Table:
    header = ["Mistake", "Criticism notes", "Came back (any response)", *RESPONSES.values()]
    rows = []
    for r in review.wrong.iter_rows(named=True):
        cells = [
            Cell(r["behaviour"]),
            Cell(f"{r['criticism']:,}"),
            Cell(f"{r['repeated']} of {r['eligible']}", muted=r["eligible"] < review.min_n),
        ]
        for response in RESPONSES:
            p = f"mr_{response}"
            cells.append(
                _share_cell(r[f"{p}_repeated"], r[f"{p}_eligible"], r[f"{p}_rate"], r[f"{p}_small"])
            )
        rows.append(cells)
    return Table(header, rows, "LRRRRRR")


def _share_cell(hits: int, base: int, rate: float | None, small: bool) -> Cell:
    if not base:
        return Cell("–", muted=True)
    return Cell(f"{text.pct(rate)} ({hits} of {base}){text.SMALL if small else ''}", muted=small)


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
    for r in review.managers_coverage.iter_rows(named=True):
        if r["usual"] is None:
            usual = Cell("new this quarter", muted=True)
        else:
            n = r["quarters_compared"]
            usual = Cell(f"{r['usual']:.1f} ({n} quarter{'s' if n != 1 else ''})")
        rows.append(
            [
                Cell(r["manager"]),
                Cell(f"{r['calls']:,}"),
                usual,
                Cell(text.pct(r["share_of_usual"]), muted=r["share_of_usual"] is None),
                Cell("below usual", -1) if r["below"] else Cell("", muted=True),
            ]
        )
    return Table(header, rows, "LRRRL")


def coverage_rule() -> str:
    return (
        f"Reps not observed: reps with at least one observed call in the {LOOKBACK_QUARTERS} "
        "quarters before this one and none in it (they may have left or moved team). Managers "
        f"below usual: fewer calls this quarter than {USUAL_SHARE:.0%} of their usual, the average "
        f"number of calls a quarter over the {LOOKBACK_QUARTERS} quarters before (counted from "
        "their first call among them, quarters without a call included)."
    )


# ---- charts ----------------------------------------------------------------------------------


def headline_chart_frame(review: Review) -> pl.DataFrame:
    """The headline's rates for both quarters, shaped for charts.period_comparison."""
    rows = []
    for c in review.headline:
        if c.measure.kind != "rate":
            continue
        for order, (label, row) in enumerate(
            ((review.previous.label, c.before), (review.quarter.label, c.now))
        ):
            lo, hi = c.interval(row) or [None, None]
            rows.append(
                {
                    "measure": c.measure.label,
                    "period": label,
                    "order": order,
                    "rate": _num(c.value(row)),
                    "lo": lo,
                    "hi": hi,
                    "n": c.base(row),
                    "small": c.small(row),
                }
            )
    return pl.DataFrame(rows, schema=_chart_schema("measure"))


def people_chart_frame(
    review: Review, groups: Sequence[Group], measure: Measure, label: str
) -> pl.DataFrame:
    rows = []
    for name, changes in groups:
        c = next(x for x in changes if x.measure is measure)
        for order, (period, row) in enumerate(
            ((review.previous.label, c.before), (review.quarter.label, c.now))
        ):
            lo, hi = c.interval(row) or [None, None]
            rows.append(
                {
                    label: name,
                    "period": period,
                    "order": order,
                    "rate": _num(c.value(row)),
                    "lo": lo,
                    "hi": hi,
                    "n": c.base(row),
                    "small": c.small(row),
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

    out = {
        "headline": charts.period_comparison(
            headline_chart_frame(review),
            "measure",
            f"{review.quarter.label} against {review.previous.label}",
        ),
        "manager_intervention": charts.period_comparison(
            people_chart_frame(review, review.managers, INTERVENTION, "manager"),
            "manager",
            "Share of calls each manager took over",
            "Took over (95% interval)",
        ),
        "manager_debrief": charts.period_comparison(
            people_chart_frame(review, review.managers, DEBRIEF, "manager"),
            "manager",
            "Share of calls each manager debriefed",
            "Debriefed (95% interval)",
        ),
    }
    return {
        k: v.properties(width=width if k == "headline" else int(width * 0.68))
        for k, v in out.items()
    }


# ---- HTML ------------------------------------------------------------------------------------

_CSS = (
    """
:root { --ink:#1d2430; --soft:#5b6b7f; --line:#dfe3e8; --good:@GOOD@; --bad:@BAD@;
        --muted:@MUTED@; --band:#f5f7fa; }
* { box-sizing: border-box; }
body { margin: 0; color: var(--ink); background: #fff;
       font: 15px/1.45 Inter, "Segoe UI", Helvetica, Arial, sans-serif; }
main { max-width: 1280px; margin: 0 auto; padding: 32px 40px 48px; }
header.cover { border-bottom: 3px solid var(--ink); padding-bottom: 14px; margin-bottom: 18px; }
.eyebrow { text-transform: uppercase; letter-spacing: .08em; color: var(--soft); font-size: 12px;
           margin: 0 0 4px; }
h1 { font-size: 30px; margin: 0 0 6px; }
h2 { font-size: 21px; margin: 30px 0 10px; border-bottom: 1px solid var(--line);
     padding-bottom: 4px; }
h3 { font-size: 16px; margin: 20px 0 6px; }
.sub { font-size: 16px; margin: 0; }
.meta, .rule, .legend { color: var(--soft); font-size: 12.5px; margin: 6px 0; max-width: 80em; }
.warning { background: #fff6e0; border-left: 4px solid #e0a100; padding: 8px 12px; }
ul.highlights { padding-left: 20px; margin: 8px 0; }
ul.highlights li { margin: 5px 0; font-size: 16px; }
table { border-collapse: collapse; width: 100%; margin: 8px 0 6px; font-size: 13.5px; }
th { font-weight: 600; color: var(--soft); border-bottom: 2px solid var(--line);
     padding: 6px 8px; vertical-align: bottom; font-size: 12.5px; }
th.group { text-align: center; color: var(--ink); border-bottom: 1px solid var(--soft); }
th.group + th.group, td.start, th.start { border-left: 1px solid var(--line); }
td { border-bottom: 1px solid var(--line); padding: 6px 8px; vertical-align: top; }
tbody tr:nth-child(even) td { background: var(--band); }
.L { text-align: left; }
.R { text-align: right; white-space: nowrap; }
td:first-child { white-space: nowrap; }
td .note { display: block; color: var(--soft); font-size: 12px; font-weight: normal; }
table.headline { max-width: 1000px; }
table.compact { width: auto; min-width: 60%; }
table.headline td { font-size: 15px; }
table.headline td .main { font-size: 18px; font-weight: 600; }
.good { color: var(--good); font-weight: 600; }
.bad { color: var(--bad); font-weight: 600; }
.muted { color: var(--muted); }
.chart { margin: 12px 0 4px; }
.chart svg { max-width: 100%; height: auto; }
.charts2 { display: flex; gap: 12px 36px; }
.charts2 > .chart { flex: 1 1 0; min-width: 0; }
dl.definitions dt { font-weight: 600; margin-top: 6px; }
dl.definitions dd { margin: 0 0 4px; color: #3b4451; }
footer { margin-top: 28px; border-top: 1px solid var(--line); padding-top: 8px;
         color: var(--soft); font-size: 12px; }
@page { size: A4 landscape; margin: 12mm; }
@media print {
  body { font-size: 10pt; }
  main { max-width: none; padding: 0; }
  h1 { font-size: 20pt; }
  h2 { font-size: 14pt; margin-top: 14pt; }
  ul.highlights li { font-size: 11pt; }
  table { font-size: 9pt; }
  th, td { padding: 3pt 5pt; }
  table.headline td { font-size: 10pt; }
  table.headline td .main { font-size: 12pt; }
  td .note { font-size: 8pt; }
  #headline .chart svg { max-width: 62%; }
  section.page { break-before: page; }
  h2, h3 { break-after: avoid; }
  tr, .chart, li { break-inside: avoid; }
  thead { display: table-header-group; }
  * { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
}
""".replace("@GOOD@", GOOD)
    .replace("@BAD@", BAD)
    .replace("@MUTED@", MUTED)
)


def _e(value: Any) -> str:
    return html.escape(str(value), quote=True)


def _cell_html(cell: Cell, align: str, main: bool, start: bool) -> str:
    tone = {1: "good", -1: "bad"}.get(cell.tone, "muted" if cell.muted else "")
    classes = " ".join(x for x in (tone, "main" if main else "") if x)
    inner = f'<span class="{classes}">{_e(cell.text)}</span>' if classes else _e(cell.text)
    if cell.note:
        inner += f'<span class="note">{_e(cell.note)}</span>'
    return f'<td class="{align}{" start" if start else ""}">{inner}</td>'


def _table_html(table: Table, css: str = "", main_cols: Sequence[int] = ()) -> str:
    if not table.rows:
        return '<p class="muted">None.</p>'
    starts = set()
    head = ""
    if table.groups:
        i = 0
        cells = []
        for label, span in table.groups:
            if label:
                starts.add(i)
                cells.append(f'<th class="group" colspan="{span}">{_e(label)}</th>')
            else:
                cells.append(f'<th colspan="{span}"></th>')
            i += span
        head = "<tr>" + "".join(cells) + "</tr>"
    head += (
        "<tr>"
        + "".join(
            f'<th class="{a}{" start" if i in starts else ""}">{_e(h)}</th>'
            for i, (h, a) in enumerate(zip(table.header, table.align, strict=True))
        )
        + "</tr>"
    )
    body = "".join(
        "<tr>"
        + "".join(
            _cell_html(c, table.align[i], i in main_cols, i in starts) for i, c in enumerate(row)
        )
        + "</tr>"
        for row in table.rows
    )
    cls = f' class="{css}"' if css else ""
    return f"<table{cls}><thead>{head}</thead><tbody>{body}</tbody></table>"


def _svg(chart: Any, prefix: str) -> str:
    """The chart as inline SVG; ids prefixed so several charts can share one page."""
    from dashboard import charts

    svg = charts.to_svg(chart).decode("utf-8")
    svg = re.sub(r"<\?xml[^>]*\?>", "", svg)
    ids = set(re.findall(r'\bid="([^"]+)"', svg))
    for ident in sorted(ids, key=len, reverse=True):
        svg = svg.replace(f'id="{ident}"', f'id="{prefix}-{ident}"')
        svg = svg.replace(f"url(#{ident})", f"url(#{prefix}-{ident})")
        svg = svg.replace(f'href="#{ident}"', f'href="#{prefix}-{ident}"')
    return svg


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
        f"events: marked {text.SMALL} and grey · intervals are Wilson 95%"
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
    f"{UP} up, {DOWN} down. Green is better and red is worse, only when the change is beyond "
    "chance; grey when it is within chance or rests on too few calls."
)
PEOPLE_LEGEND = (
    "Took over and Debriefed: share of calls (calls/of calls). Praise : crit.: the ratio "
    f"(praise notes/criticism notes). {text.SMALL} fewer than the small-sample threshold. "
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


def render_html(review: Review) -> str:
    """The review as one self-contained HTML file: inline CSS, charts as inline SVG, nothing
    fetched from anywhere; prints on A4 landscape, each major section on a new page."""
    charts_ = review_charts(review)
    sub, meta, warn = header_lines(review)
    q = review.quarter.label
    parts = [
        "<!doctype html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{_e(review.title)} · {_e(review.scope)}</title>",
        f"<style>{_CSS}</style></head><body><main>",
        '<header class="cover"><p class="eyebrow">Ridealong · quarterly coaching review</p>',
        f"<h1>{_e(q)} against {_e(review.previous.label)} · {_e(review.scope)}</h1>",
        f'<p class="sub">{_e(sub)}</p><p class="meta">{_e(meta)}</p></header>',
    ]
    if warn:
        parts.append(f'<p class="warning">{_e(warn)}</p>')
    parts.append('<section id="highlights"><h2>Highlights</h2>')
    if review.highlights:
        items = "".join(f"<li>{_e(s)}</li>" for s in review.highlights)
        parts.append(f'<ul class="highlights">{items}</ul>')
    else:
        parts.append(f"<p>{_e(NO_HIGHLIGHTS)}</p>")
    parts += [
        f'<p class="rule">{_e(highlights_rule(review.min_n))}</p></section>',
        '<section id="headline"><h2>The quarter at a glance</h2>',
        _table_html(headline_table(review), "headline", main_cols=(1, 2)),
        f'<p class="legend">{_e(CHANGE_LEGEND)}</p>',
        f'<p class="legend">{_e(HEADLINE_CAVEAT)}</p>',
        f'<div class="chart">{_svg(charts_["headline"], "c1")}</div></section>',
        '<section id="managers" class="page"><h2>Managers</h2>',
        _table_html(people_table(review, review.managers, "Manager")),
        f'<p class="legend">{_e(PEOPLE_LEGEND)}</p>',
        '<div class="charts2">',
        f'<div class="chart">{_svg(charts_["manager_intervention"], "c2")}</div>',
        f'<div class="chart">{_svg(charts_["manager_debrief"], "c3")}</div>',
        "</div></section>",
        '<section id="coverage"><h2>Coaching coverage</h2>',
        f'<p class="rule">{_e(coverage_rule())}</p>',
        "<h3>Reps nobody observed this quarter</h3>",
        _table_html(unobserved_table(review), "compact"),
        "<h3>Calls each manager observed, against their usual</h3>",
        _table_html(coverage_table(review), "compact"),
        "</section>",
        '<section id="reps" class="page"><h2>Reps</h2>',
        f'<p class="legend">{_e(REPS_INTRO)}</p>',
        _table_html(people_table(review, review.reps, "Rep")),
        f'<p class="legend">{_e(PEOPLE_LEGEND)}</p></section>',
        '<section id="behaviours" class="page"><h2>What worked</h2>',
        f'<p class="legend">{_e(worked_intro(review))}</p>',
        _table_html(worked_table(review)),
        "<h2>What keeps going wrong</h2>",
        f'<p class="legend">{_e(wrong_intro(review))}</p>',
        _table_html(wrong_table(review)),
        "</section>",
        '<section id="notes"><h2>How to read this</h2><dl class="definitions">',
    ]
    for term, key in NOTE_TERMS:
        parts.append(f"<dt>{_e(term)}</dt><dd>{_e(metrics.DEFINITIONS[key])}</dd>")
    parts += [
        "</dl>",
        f'<p class="rule">{_e(metrics.OBSERVATIONAL_NOTE)}</p>',
        f"<footer>{_e(review.title)} · {_e(review.scope)} · Ridealong. {_e(FIGURES_NOTE)}</footer>",
        "</section></main></body></html>",
    ]
    return "\n".join(parts)


# ---- PDF -------------------------------------------------------------------------------------

_LATIN1 = str.maketrans(
    {
        "–": "-",
        "—": "-",
        "→": "->",
        "∞": "inf",
        "≥": ">=",
        "≤": "<=",
        "▲": "+",
        "▼": "-",
        "’": "'",
        "‘": "'",
        "“": '"',
        "”": '"',
        "…": "...",
        "•": "-",
    }
)


def latin1(value: str) -> str:
    """Text a core PDF font can draw: a few symbols replaced, anything else outside latin-1 '?'."""
    return value.translate(_LATIN1).encode("latin-1", "replace").decode("latin-1")


def _rgb(hex_colour: str) -> tuple[int, int, int]:
    h = hex_colour.lstrip("#")
    return int(h[0:2], 16), int(h[2:4], 16), int(h[4:6], 16)


INK, SOFT = (29, 36, 48), _rgb(MUTED)


def use_dejavu(pdf, font_dir: Path | None) -> None:
    """Write PDF with DejaVu Sans (every character) when `font_dir` has it; else the PDF keeps
    its core font and `pdf.t` folds text to Latin-1. Shared by the review and the debrief sheet."""
    if font_dir is None:
        return
    regular, bold = font_dir / "DejaVuSans.ttf", font_dir / "DejaVuSans-Bold.ttf"
    if regular.exists() and bold.exists():
        pdf.add_font("DejaVu", "", str(regular))
        pdf.add_font("DejaVu", "B", str(bold))
        pdf.family, pdf.unicode = "DejaVu", True


def _pdf(review: Review, font_dir: Path | None):
    from fpdf import FPDF

    class ReviewPDF(FPDF):
        family = "Helvetica"
        unicode = False

        def t(self, value: str) -> str:
            return value if self.unicode else latin1(value)

        def footer(self) -> None:
            self.set_y(-11)
            self.set_font(self.family, "", 7.5)
            self.set_text_color(*SOFT)
            left = (
                f"{review.title} · {review.scope} · Observational figures: a difference is a "
                "reason to look closer, not proof of cause."
            )
            self.cell(0, 5, self.t(left), align="L")
            self.set_x(self.l_margin)
            self.cell(0, 5, self.t(f"Page {self.page_no()} of {{nb}}"), align="R")

    pdf = ReviewPDF(orientation="L", unit="mm", format="A4")
    pdf.set_margins(12, 12, 12)
    pdf.set_auto_page_break(True, margin=15)
    use_dejavu(pdf, font_dir)
    return pdf


class _Writer:
    """Draws the review's parts on an fpdf2 document."""

    def __init__(self, pdf: Any):
        self.pdf = pdf
        self.t = pdf.t
        self.fam = pdf.family
        self.width = pdf.epw

    def room(self, mm: float) -> None:
        pdf = self.pdf
        if pdf.get_y() + mm > pdf.h - pdf.b_margin:
            pdf.add_page()

    def h2(self, title: str) -> None:
        pdf = self.pdf
        self.room(30)
        pdf.start_section(self.t(title))
        pdf.set_font(self.fam, "B", 14)
        pdf.set_text_color(*INK)
        pdf.cell(0, 9, self.t(title), new_x="LMARGIN", new_y="NEXT")
        pdf.set_draw_color(223, 227, 232)
        pdf.line(pdf.l_margin, pdf.get_y(), pdf.l_margin + self.width, pdf.get_y())
        pdf.ln(2)

    def h3(self, title: str, table: Table | None = None) -> None:
        """A small heading, kept on the page of the (short) table that follows it."""
        self.room(25 if table is None else min(17 + 5 * len(table.rows), 70))
        self.pdf.set_font(self.fam, "B", 10.5)
        self.pdf.set_text_color(*INK)
        self.pdf.cell(0, 7, self.t(title), new_x="LMARGIN", new_y="NEXT")

    def para(self, body: str, size: float = 8.5, colour=SOFT, height: float = 4.2) -> None:
        self.pdf.set_font(self.fam, "", size)
        self.pdf.set_text_color(*colour)
        self.pdf.multi_cell(0, height, self.t(body), new_x="LMARGIN", new_y="NEXT")
        self.pdf.ln(1)

    def table(
        self,
        table: Table,
        widths: Sequence[float],
        size: float = 8.5,
        main_cols: Sequence[int] = (),
        width: float | None = None,
    ) -> None:
        from fpdf.fonts import FontFace

        pdf, t = self.pdf, self.t
        if not table.rows:
            self.para("None.")
            return
        self.room(min(10 + 5 * len(table.rows), 60))  # a short table stays on one page
        total = min(width or self.width, self.width)
        widths = [w * total / sum(widths) for w in widths]
        pdf.set_font(self.fam, "", size)
        pdf.set_text_color(*INK)
        heading = FontFace(emphasis="B", color=SOFT, size_pt=size - 0.5)
        align = tuple({"L": "LEFT", "R": "RIGHT"}[a] for a in table.align)
        with pdf.table(
            col_widths=tuple(widths),
            width=total,
            align="LEFT",
            text_align=align,
            borders_layout="HORIZONTAL_LINES",
            line_height=size * 0.46,
            padding=(1.1, 1.4),
            headings_style=heading,
            num_heading_rows=2 if table.groups else 1,
            v_align="TOP",
        ) as tbl:
            if table.groups:
                row = tbl.row()
                for label, span in table.groups:
                    row.cell(t(label), colspan=span, align="CENTER")
            row = tbl.row()
            for h in table.header:
                row.cell(t(h))
            for cells in table.rows:
                row = tbl.row()
                for i, c in enumerate(cells):
                    colour = {1: _rgb(GOOD), -1: _rgb(BAD)}.get(c.tone, SOFT if c.muted else INK)
                    bold = c.tone != 0 or i in main_cols
                    body = c.text + (f"\n{c.note}" if c.note else "")
                    row.cell(t(body), style=FontFace(emphasis="B" if bold else "", color=colour))
        pdf.ln(2)

    def image(self, png: bytes, w: float, x: float | None = None, y: float | None = None) -> float:
        """Draw a PNG `w` mm wide; returns its height in mm."""
        info = self.pdf.image(png, x=x, y=y, w=w)
        return float(info.rendered_height)


def split_notes(table: Table, cols: Sequence[int]) -> Table:
    """`table` with the notes of columns `cols` moved to a column of their own after each."""
    header, align, rows = [], "", [[] for _ in table.rows]
    for i, h in enumerate(table.header):
        header.append(h)
        align += table.align[i]
        if i in cols:
            header.append("")
            align += "L"
        for out, row in zip(rows, table.rows, strict=True):
            c = row[i]
            if i in cols:
                out += [Cell(c.text, c.tone, c.muted), Cell(c.note, muted=True)]
            else:
                out.append(c)
    return Table(header, rows, align)


PEOPLE_WIDTHS = (32, 16, 16, 13, 22, 22, 17, 22, 22, 17, 25, 25, 14)


def render_pdf(review: Review, font_dir: Path | None = DEJAVU) -> bytes:
    """The review as a PDF on A4 landscape. Page 1: title, highlights, the headline table; then
    the headline chart and the managers; the manager charts and coaching coverage; reps; what
    worked and what keeps going wrong; how to read it. Charts are PNGs at 3x; every page has a
    footer with the page number and the observational caveat. DejaVu Sans when `font_dir` has
    it, else a core font with the text reduced to latin-1."""
    from dashboard import charts

    pdf = _pdf(review, font_dir)
    w = _Writer(pdf)
    t = w.t
    pdf.set_title(t(f"{review.title} · {review.scope}"))
    pdf.set_author("Ridealong")
    pdf.set_creation_date(dt.datetime.combine(review.made_on, dt.time(), dt.UTC))
    charts_ = review_charts(review)
    sub, meta, warn = header_lines(review)

    pdf.add_page()
    pdf.set_font(w.fam, "", 8)
    pdf.set_text_color(*SOFT)
    pdf.cell(0, 5, t("RIDEALONG · QUARTERLY COACHING REVIEW"), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(w.fam, "B", 20)
    pdf.set_text_color(*INK)
    title = f"{review.quarter.label} against {review.previous.label} · {review.scope}"
    pdf.multi_cell(0, 10, t(title), new_x="LMARGIN", new_y="NEXT")
    w.para(sub, 10.5, INK, 5)
    w.para(meta, 8)
    pdf.set_draw_color(*INK)
    pdf.set_line_width(0.6)
    pdf.line(pdf.l_margin, pdf.get_y(), pdf.l_margin + w.width, pdf.get_y())
    pdf.set_line_width(0.2)
    pdf.ln(3)
    if warn:
        w.para(warn, 9.5, (138, 90, 0), 4.6)
    w.h2("Highlights")
    for s in review.highlights or [NO_HIGHLIGHTS]:
        pdf.set_font(w.fam, "", 10)
        pdf.set_text_color(*INK)
        pdf.set_x(pdf.l_margin + 2)
        bullet = "•  " if review.highlights else ""
        pdf.multi_cell(w.width - 2, 5, t(bullet + s), new_x="LMARGIN", new_y="NEXT")
        pdf.ln(0.8)
    w.para(highlights_rule(review.min_n), 7.5, SOFT, 3.5)
    w.h2("The quarter at a glance")
    w.table(
        split_notes(headline_table(review), (1, 2, 3)),
        (54, 20, 66, 20, 66, 20, 27),
        size=9,
        main_cols=(1, 3),
    )
    w.para(CHANGE_LEGEND, 7.5, SOFT, 3.5)
    w.para(HEADLINE_CAVEAT, 7.5, SOFT, 3.5)

    pdf.add_page()
    w.h2(f"{review.quarter.label} against {review.previous.label}")
    w.image(charts.to_png(charts_["headline"], scale=3), 200)
    pdf.ln(3)
    w.h2("Managers")
    w.table(people_table(review, review.managers, "Manager"), PEOPLE_WIDTHS, size=7.8)
    w.para(PEOPLE_LEGEND, 7.5, SOFT, 3.5)

    pdf.add_page()
    w.h2("Managers: take-overs and debriefs, with 95% intervals")
    y, half = pdf.get_y(), (w.width - 30) / 2
    heights = [
        w.image(charts.to_png(charts_[name], scale=3), half, pdf.l_margin + i * (half + 30), y)
        for i, name in enumerate(("manager_intervention", "manager_debrief"))
    ]
    pdf.set_y(y + max(heights) + 4)
    w.h2("Coaching coverage")
    w.para(coverage_rule(), 8, SOFT, 3.8)
    unobserved, coverage = unobserved_table(review), coverage_table(review)
    w.h3("Reps nobody observed this quarter", unobserved)
    w.table(unobserved, (60, 50, 60, 50, 53), width=190)
    w.h3("Calls each manager observed, against their usual", coverage)
    w.table(coverage, (60, 50, 60, 50, 53), width=190)

    pdf.add_page()
    w.h2("Reps")
    w.para(REPS_INTRO)
    w.table(people_table(review, review.reps, "Rep"), PEOPLE_WIDTHS, size=7.8)
    w.para(PEOPLE_LEGEND, 7.5, SOFT, 3.5)

    pdf.add_page()
    w.h2("What worked")
    w.para(worked_intro(review))
    w.table(worked_table(review), (75, 25, 50, 35, 50, 45))
    w.h2("What keeps going wrong")
    w.para(wrong_intro(review))
    w.table(wrong_table(review), (65, 24, 34, 38, 38, 38, 38))
    w.room(75)
    w.h2("How to read this")
    for term, key in NOTE_TERMS:
        pdf.set_font(w.fam, "B", 8)
        pdf.set_text_color(*INK)
        pdf.cell(0, 4.2, t(term), new_x="LMARGIN", new_y="NEXT")
        w.para(metrics.DEFINITIONS[key], 8, SOFT, 3.8)
    w.para(metrics.OBSERVATIONAL_NOTE, 8, INK, 3.8)
    w.para(FIGURES_NOTE, 8, SOFT, 3.8)
    return bytes(pdf.output())
