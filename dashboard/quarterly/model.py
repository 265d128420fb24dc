"""The review as data: `build_review()` gathers every figure from queries/ (metrics.sql, the
same figures as `ridealong metrics --by quarter`; quarters.sql; coverage_reps.sql and
coverage_managers.sql) into a `Review`; its tables as frames for CSV downloads."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import duckdb
import polars as pl

from dashboard import metrics
from dashboard.access import EVERYTHING, Scope
from dashboard.quarterly.changes import (
    HEADLINE,
    PEOPLE,
    RESPONSES,
    Change,
    Group,
    Measure,
)
from dashboard.quarterly.highlights import highlights
from dashboard.quarterly.quarters import (
    LOOKBACK_QUARTERS,
    TOP_BEHAVIORS,
    USUAL_SHARE,
    Quarter,
    ReviewError,
    teams_text,
)

Runner = Callable[..., pl.DataFrame]


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
    # privacy mode (the scope the review was read under, dashboard/access.py): no per-rep
    # table, row or rep-named sentence when reps are hidden; the fold said when groups fold
    reps_hidden: bool = False
    folded: str | None = None

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
        frames = {
            "headline": headline_frame(self),
            "managers": comparison_frame(self.managers, "manager"),
            "reps": comparison_frame(self.reps, "rep"),
            "what_worked": self.worked,
            "keeps_going_wrong": self.wrong,
            "reps_not_observed": self.reps_unobserved,
            "managers_coverage": self.managers_coverage,
        }
        if self.reps_hidden:  # privacy mode: no per-rep table, not even an empty one
            del frames["reps"], frames["reps_not_observed"]
        return frames


def _runner(con: duckdb.DuckDBPyConnection, scope: Scope) -> Runner:
    def run(name: str, **params: Any) -> pl.DataFrame:
        # the review's scope wins over the one its Filters carry (metrics.Filters' default)
        return metrics.run(con, name, **{**params, "scope": scope})

    return run


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
    for name in sorted(
        set(now_rows) | set(before_rows), key=lambda label: (label.casefold(), label)
    ):
        now_row = now_rows.get(name) or _zero_row(now, name)
        before_row = before_rows.get(name) or _zero_row(before, name)
        out.append((name, [Change(m, now_row, before_row, min_n) for m in measures]))
    return out


def available_quarters(
    con: duckdb.DuckDBPyConnection | None,
    teams: Sequence[str] = (),
    today: dt.date | None = None,
    runner: Runner | None = None,
) -> pl.DataFrame:
    """queries/quarters.sql: the quarters holding calls of these teams, oldest first."""
    run = runner or _runner(con, EVERYTHING)
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
    scope: Scope = EVERYTHING,
) -> Review:
    """The review of `quarter` ('YYYY-Qn'; None = the last complete quarter) for `teams`
    (empty = all), against the quarter before, as `scope` may see it (dashboard/access.py:
    under privacy mode groups fold into 'other' and, with reps hidden, the review has no
    per-rep table, row or sentence). `runner(name, **params)` runs a query (default:
    metrics.run on `con` under `scope`; the page passes its cached runner, which binds the
    session's scope, and the same scope here). Raises ReviewError for a malformed quarter, an
    unknown team or a quarter without calls."""
    run = runner or _runner(con, scope)
    hidden = scope.hide_reps
    teams = tuple(teams)
    today = today or dt.date.today()
    quarters = available_quarters(con, teams, today, run)
    known = run("data_range").row(0, named=True)["teams"] or []
    chosen = resolve(quarters, quarter, teams, known)
    prev = chosen.previous()
    base = metrics.Filters(teams=teams, window=window, min_n=min_n, scope=scope)
    this_f = base.replace(start=chosen.start, end=chosen.end)
    prev_f = base.replace(start=prev.start, end=prev.end)

    now_all, before_all = _metrics(run, this_f, "all"), _metrics(run, prev_f, "all")
    current = metrics.with_adjusted(now_all.row(0, named=True), _adjusted(run, this_f))
    before = metrics.with_adjusted(before_all.row(0, named=True), _adjusted(run, prev_f))
    headline = [Change(m, current, before, min_n) for m in HEADLINE]
    managers = _groups(
        _metrics(run, this_f, "manager"), _metrics(run, prev_f, "manager"), PEOPLE, min_n
    )
    reps = (
        []
        if hidden
        else _groups(_metrics(run, this_f, "rep"), _metrics(run, prev_f, "rep"), PEOPLE, min_n)
    )
    behaviors_now = _metrics(run, this_f, "behavior")
    behaviors_before = _metrics(run, prev_f, "behavior")
    coverage = {
        "start": chosen.start,
        "end": chosen.end,
        "lookback": LOOKBACK_QUARTERS,
        "teams": list(teams),
    }
    reps_unobserved = run("coverage_reps", **coverage)
    if hidden:  # every name reads '(hidden)': keep the columns, drop the rows
        reps_unobserved = reps_unobserved.clear()
    managers_coverage = run("coverage_managers", share=USUAL_SHARE, **coverage)
    row = quarters.filter(pl.col("quarter") == chosen.label).row(0, named=True)
    review = Review(
        quarter=chosen,
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
        worked=what_worked(behaviors_now, behaviors_before, min_n),
        wrong=keeps_going_wrong(behaviors_now, min_n),
        reps_unobserved=reps_unobserved,
        managers_coverage=managers_coverage,
        source=source,
        reps_hidden=hidden,
        folded=scope.folded_note(),
    )
    review.highlights = highlights(
        headline, managers, reps_unobserved, managers_coverage, min_n, window
    )
    return review


# ---- behaviours --------------------------------------------------------------------------------


def what_worked(now: pl.DataFrame, before: pl.DataFrame, min_n: int) -> pl.DataFrame:
    """Recognised behaviours (praised on a debriefed call) that came back most this quarter:
    metrics.sql by behaviour, with last quarter's recognised recurrence beside it. Both
    quarters name a behaviour by the store's one label for its key (queries/metrics.sql reads
    it from `behaviors`), so the two match on that name."""
    previous = before.select(
        "grp",
        pl.col("rec_eligible").alias("rec_eligible_previous"),
        pl.col("rec_recurred").alias("rec_recurred_previous"),
        pl.col("rec_rate").alias("rec_rate_previous"),
    )
    return (
        now.filter(pl.col("rec_eligible") > 0)
        .join(previous, on="grp", how="left")
        .sort(["rec_recurred", "rec_rate", "grp"], descending=[True, True, False])
        .head(TOP_BEHAVIORS)
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
    the manager's response (metrics.sql by behaviour). `repeated` and `eligible` are all
    four responses, which split every mistake: took over, assisted, observed with a debrief,
    observed without one (metrics.sql's mistakes_repeated and mistakes_eligible)."""
    prefixes = [f"mr_{r}" for r in RESPONSES]
    return (
        now.filter(pl.col("criticism") > 0)
        .rename({"mistakes_repeated": "repeated", "mistakes_eligible": "eligible"})
        .filter(pl.col("eligible") > 0)
        .sort(["repeated", "criticism", "grp"], descending=[True, True, False])
        .head(TOP_BEHAVIORS)
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


def headline_frame(review: Review) -> pl.DataFrame:
    rows = []
    for change in review.headline:
        now_ci, before_ci = (
            change.interval(change.now) or [None, None],
            change.interval(change.before) or [None, None],
        )
        rows.append(
            {
                "measure": change.measure.label,
                "quarter": review.quarter.label,
                "value": _num(change.value(change.now)),
                "value_lo": now_ci[0],
                "value_hi": now_ci[1],
                "based_on": change.base(change.now),
                "previous_quarter": review.previous.label,
                "previous": _num(change.value(change.before)),
                "previous_lo": before_ci[0],
                "previous_hi": before_ci[1],
                "previous_based_on": change.base(change.before),
                "change": change.delta,
                "beyond_chance": change.beyond_chance,
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
        for change in changes:
            measure = change.measure
            if measure.kind in ("rate", "ratio"):
                row[f"{measure.hits}"] = change.hits(change.now)
                row[f"{measure.hits}_previous"] = change.hits(change.before)
                if measure.kind == "rate":
                    row[measure.base] = change.base(change.now)
                    row[f"{measure.base}_previous"] = change.base(change.before)
                else:
                    row["criticism"] = change.now["criticism"]
                    row["criticism_previous"] = change.before["criticism"]
            row[measure.key] = _num(change.value(change.now))
            if measure.kind != "count":
                row[f"{measure.key}_previous"] = _num(change.value(change.before))
                row[f"{measure.key}_change"] = change.delta
            else:
                row[f"{measure.key}_previous"] = change.value(change.before)
                row[f"{measure.key}_change"] = change.delta
            row[f"{measure.key}_beyond_chance"] = change.beyond_chance
        rows.append(row)
    if not rows:
        return pl.DataFrame({label: []}, schema={label: pl.String})
    return pl.DataFrame(rows, infer_schema_length=None)
