"""Runs the SQL in queries/ with bound parameters; returns Polars frames and JSON-shaped dicts.

One definition per metric: the CLI, every dashboard page and the quarterly report call these
functions, which call the same .sql files.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import re
import warnings
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, TypeVar

import duckdb
import polars as pl

from dashboard import effects
from dashboard.access import EVERYTHING, Scope
from dashboard.resources import queries_dir
from dashboard.store import MAX_WINDOW  # the recurrence windows derived at ingest

# A filter, not warnings.catch_warnings() around the call: that one is not thread-safe, and
# queries run on several threads at once (concurrently).
ARROW_COPY_WARNING = "Arrow output on a DB-API result makes an extra copy"
warnings.filterwarnings("ignore", message=ARROW_COPY_WARNING, category=UserWarning)

BY_FIELDS = ("manager", "rep", "team", "month", "quarter", "behavior")
DEFAULT_WINDOW = 3
DEFAULT_MIN_N = 10
MISTAKE_RESPONSES = ("took_over", "assisted", "observed_debriefed", "observed_only")
REFERENCE_RESPONSE = "observed_debriefed"  # what each other response is compared with
COMPARED_RESPONSES = ("took_over", "assisted", "observed_only")
ADJUST_BY = ("rep", "manager")
DEFAULT_ADJUST_BY = "rep"

# One-line definitions, shown on hover in the dashboard and in `ridealong metrics --help`.
DEFINITIONS = {
    "calls": "Observed calls (a call on which nothing was noted still counts).",
    "notes": "Behaviours noted; the same behaviour noted twice on a call counts twice.",
    "praise_to_criticism": "Praise notes per criticism note; the interval is Wilson's 95% "
    "interval of the praise share, carried over to the ratio.",
    "intervention_rate": "Share of calls the manager took over. Assisting (answering a question "
    "and handing back) is not an intervention.",
    "debrief_rate": "Share of calls with a debrief, among calls whose debrief is known.",
    "planned_observer_took_over_rate": "Share of calls planned with the manager as observer "
    "that the manager took over anyway.",
    "recognized_rate": "Share of praised behaviours (on debriefed calls) noted again as praise "
    "on one of the rep's next K calls.",
    "unrecognized_rate": "The same for praise on calls without a debrief.",
    "lift": "Recognised recurrence divided by unrecognised recurrence. Observational: managers "
    "choose when to praise, and praise follows unusually good calls (regression to the mean).",
    "mistake_repeat": "Share of mistakes noted again on one of the rep's next K calls, by what "
    "the manager did on the call. Observational: managers choose when to step in.",
    "adjusted_lift": "Recognition lift within rep: recognised against unrecognised praise of the "
    "same rep, pooled over reps (Mantel–Haenszel risk ratio), so a manager who notes more is "
    "not mistaken for praise that works. 95% interval clustered by rep. Still observational.",
    "adjusted_ratio": "Repeat rate after this response divided by the rate after observe + "
    "debrief, within rep (Mantel–Haenszel risk ratio, 95% interval clustered by rep). Below 1: "
    "fewer repeats than after a debrief. Still observational.",
}
ADJUSTED_METHOD = (
    "Within-rep figures compare each rep with themselves (a Mantel–Haenszel risk ratio "
    "stratified by rep), so who watches and how much they note does not masquerade as an "
    "effect; the 95% interval allows for a rep's events being alike (clustered by rep). The "
    "crude figure pools everyone and is shown beside it, labelled crude."
)
OBSERVATIONAL_NOTE = (
    "These comparisons are observational, not experiments: managers choose when to step in and "
    "when to praise, and praise tends to follow unusually good calls (regression to the mean), "
    "so a difference is a reason to look closer, not proof of cause."
)


@dataclass(frozen=True)
class Filters:
    """What every page and command can narrow the data to; empty means everything. `scope`
    is what the session may see at all (access.Scope; the CLI: everything)."""

    start: dt.date | None = None
    end: dt.date | None = None
    teams: tuple[str, ...] = ()
    managers: tuple[str, ...] = ()
    reps: tuple[str, ...] = ()
    window: int = DEFAULT_WINDOW
    min_n: int = DEFAULT_MIN_N
    scope: Scope = EVERYTHING

    def __post_init__(self) -> None:
        if not 1 <= int(self.window) <= MAX_WINDOW:
            raise ValueError(f"the recurrence window is 1 to {MAX_WINDOW} calls, not {self.window}")

    def params(self) -> dict[str, Any]:
        return {
            "start": self.start,
            "end": self.end,
            "teams": list(self.teams),
            "managers": list(self.managers),
            "reps": list(self.reps),
            "window": int(self.window),
            "min_n": int(self.min_n),
            "scope": self.scope.param(),
        }

    def replace(self, **changes: Any) -> Filters:
        return dataclasses.replace(self, **changes)


@functools.cache
def query_text(name: str) -> str:
    path = queries_dir() / f"{name}.sql"
    return path.read_text(encoding="utf-8")


STORE_SQL = ("schema", "macros")  # the store's own definitions (store.py runs them), not queries


def query_names() -> list[str]:
    """The queries (not the files that define tables and macros: see definition_names)."""
    return sorted(set(_sql_files()) - set(definition_names()))


def definition_names() -> list[str]:
    """queries/*.sql files that create tables or macros rather than return rows."""
    files = _sql_files()
    return sorted(n for n, text in files.items() if _first_statement(text).startswith("create"))


def _sql_files() -> dict[str, str]:
    return {p.stem: query_text(p.stem) for p in queries_dir().glob("*.sql")}


def _first_statement(text: str) -> str:
    lines = [line for line in text.splitlines() if line.strip() and not line.startswith("--")]
    return "\n".join(lines).lstrip().lower()


def _used_params(sql: str) -> set[str]:
    return set(re.findall(r"\$([a-z_]+)", sql))


def run(con: duckdb.DuckDBPyConnection, name: str, **params: Any) -> pl.DataFrame:
    """Run queries/<name>.sql on a fresh cursor with the parameters it uses. Every query that
    reads calls takes `scope` (an access.Scope or its param()): there is no default, so a
    caller cannot forget it and show more than the session may see."""
    sql = query_text(name)
    if isinstance(params.get("scope"), Scope):
        params["scope"] = params["scope"].param()
    wanted = _used_params(sql)
    missing = wanted - params.keys()
    if missing:
        raise TypeError(f"query {name!r} needs parameters {sorted(missing)}")
    bound = {k: v for k, v in params.items() if k in wanted}
    # execute() binds the query once; the relation API (con.sql) binds it twice, which costs
    # more than the query itself on small data. Results are small: the Arrow copy DuckDB warns
    # about (ARROW_COPY_WARNING) is cheap.
    table = con.cursor().execute(sql, bound).to_arrow_table()
    return pl.from_arrow(table)  # type: ignore[return-value]


def metrics_frame(
    con: duckdb.DuckDBPyConnection, filters: Filters = Filters(), by: str = "all"
) -> pl.DataFrame:
    """queries/metrics.sql: one row per group (one row for by='all')."""
    if by != "all" and by not in BY_FIELDS:
        raise ValueError(f"by must be one of {', '.join(BY_FIELDS)}")
    return run(con, "metrics", by=by, **filters.params())


def _bucket(row: dict, prefix: str, hit: str) -> dict[str, Any]:
    return {
        "eligible": row[f"{prefix}_eligible"],
        hit: row[f"{prefix}_{hit}"],
        "rate": row[f"{prefix}_rate"],
        "rate_ci": _ci(row, f"{prefix}_rate"),
        "small_sample": row[f"{prefix}_small"],
    }


def _ci(row: dict, name: str) -> list[float] | None:
    lo, hi = row[f"{name}_lo"], row[f"{name}_hi"]
    if lo is None and hi is None:
        return None
    return [lo, hi]


def adjusted_json(adjusted: Adjusted | None) -> tuple[dict | None, dict | None]:
    """The "adjusted" objects of recurrence and mistake_repeat (None: not asked for)."""
    if adjusted is None:
        return None, None
    lift = adjusted.lift
    rec = {"by": adjusted.by, "lift": lift.ratio, "lift_ci": lift.ci_list(), "strata": lift.strata}
    mr: dict[str, Any] = {"by": adjusted.by, "reference": REFERENCE_RESPONSE}
    for response in COMPARED_RESPONSES:
        effect = adjusted.responses[response]
        mr[response] = {"ratio": effect.ratio, "ratio_ci": effect.ci_list()}
    return rec, mr


def to_json(row: dict, adjusted: Adjusted | None = None) -> dict[str, Any]:
    """One row of queries/metrics.sql -> the documented JSON object (plus intervals/flags)."""
    rec_adjusted, mr_adjusted = adjusted_json(adjusted)
    data = {
        "calls": row["calls"],
        "notes": row["notes"],
        "praise": row["praise"],
        "criticism": row["criticism"],
        "praise_to_criticism": row["praise_to_criticism"],
        "praise_to_criticism_ci": _ci(row, "praise_to_criticism"),
        "actions": {
            "observed": row["observed"],
            "assisted": row["assisted"],
            "took_over": row["took_over"],
        },
        "intervention_rate": row["intervention_rate"],
        "intervention_rate_ci": _ci(row, "intervention_rate"),
        "debrief_rate": row["debrief_rate"],
        "debrief_rate_ci": _ci(row, "debrief_rate"),
        "planned_observer_took_over": {
            "planned_observer": row["planned_observer"],
            "took_over": row["planned_observer_took_over"],
            "rate": row["planned_observer_took_over_rate"],
            "rate_ci": _ci(row, "planned_observer_took_over_rate"),
        },
        "recurrence": {
            "window": row["window"],
            "recognized": _bucket(row, "rec", "recurred"),
            "unrecognized": _bucket(row, "unrec", "recurred"),
            "lift": row["lift"],
            "lift_ci": _ci(row, "lift"),
        },
        "mistake_repeat": {
            response: _bucket(row, f"mr_{response}", "repeated") for response in MISTAKE_RESPONSES
        },
        "small_sample": row["calls_small"],
        "praise_to_criticism_small_sample": row["ratio_small"],
        "debrief_rate_small_sample": row["debrief_small"],
    }
    data["planned_observer_took_over"]["small_sample"] = row["planned_observer_small"]
    data["recurrence"]["lift_small_sample"] = row["rec_small"] or row["unrec_small"]
    if rec_adjusted is not None:
        data["recurrence"]["adjusted"] = rec_adjusted
        data["mistake_repeat"]["adjusted"] = mr_adjusted
    return data


def metrics_json(
    con: duckdb.DuckDBPyConnection,
    filters: Filters = Filters(),
    by: str | None = None,
    adjust_by: str = DEFAULT_ADJUST_BY,
) -> dict[str, Any]:
    """The `ridealong metrics --json` document."""
    frame = metrics_frame(con, filters, by or "all")
    adjusted = adjusted_from_strata(
        strata_frame(con, filters, by or "all", adjust_by), filters.min_n, adjust_by
    )
    rows = frame.to_dicts()
    if by is None:
        return to_json(rows[0], adjusted.get("") or empty_adjusted(adjust_by, filters.min_n))
    return {
        "by": by,
        "groups": {
            row["grp"]: to_json(
                row, adjusted.get(row["grp"]) or empty_adjusted(adjust_by, filters.min_n)
            )
            for row in rows
        },
    }


# ---- adjusted (within-rep) comparisons ------------------------------------------------------


@dataclass(frozen=True)
class Adjusted:
    """A group's within-stratum comparisons (dashboard/effects.py on queries/effect_strata.sql)."""

    by: str  # "rep" | "manager"
    lift: effects.Effect  # recognised against unrecognised recurrence
    responses: dict[str, effects.Effect]  # each response's mistake repeat against the reference
    unknown: dict[str, int]  # events whose call's debrief is unknown (see effect_strata.sql)


def strata_frame(
    con: duckdb.DuckDBPyConnection,
    filters: Filters = Filters(),
    by: str = "all",
    adjust_by: str = DEFAULT_ADJUST_BY,
) -> pl.DataFrame:
    """queries/effect_strata.sql: one row per group and stratum."""
    if by != "all" and by not in BY_FIELDS:
        raise ValueError(f"by must be one of {', '.join(BY_FIELDS)}")
    if adjust_by not in ADJUST_BY:
        raise ValueError(f"adjust_by must be one of {', '.join(ADJUST_BY)}")
    return run(con, "effect_strata", by=by, adjust_by=adjust_by, **filters.params())


UNKNOWN_COUNTS = (
    "rec_unknown_eligible",
    "rec_unknown_recurred",
    "mr_observed_unknown_eligible",
    "mr_observed_unknown_repeated",
)


def adjusted_from_strata(frame: pl.DataFrame, min_n: int, adjust_by: str) -> dict[str, Adjusted]:
    """Group -> its adjusted comparisons, from effect_strata rows."""
    out: dict[str, Adjusted] = {}
    if frame.is_empty():
        return out
    for (grp,), part in frame.group_by(["grp"], maintain_order=True):
        cols = {c: part[c].to_list() for c in part.columns}

        def effect(
            exposed: str, reference: str, hit: str, cols: dict[str, list] = cols
        ) -> effects.Effect:
            strata = zip(
                cols[f"{exposed}_{hit}"],
                cols[f"{exposed}_eligible"],
                cols[f"{reference}_{hit}"],
                cols[f"{reference}_eligible"],
                strict=True,
            )
            return effects.mantel_haenszel(strata, min_n)

        ref = f"mr_{REFERENCE_RESPONSE}"
        out[grp] = Adjusted(
            by=adjust_by,
            lift=effect("rec", "unrec", "recurred"),
            responses={r: effect(f"mr_{r}", ref, "repeated") for r in COMPARED_RESPONSES},
            unknown={c: int(sum(cols[c])) for c in UNKNOWN_COUNTS},
        )
    return out


def empty_adjusted(adjust_by: str, min_n: int) -> Adjusted:
    """The adjusted comparisons of a group with no eligible event."""
    none = effects.mantel_haenszel([], min_n)
    return Adjusted(
        adjust_by, none, {r: none for r in COMPARED_RESPONSES}, dict.fromkeys(UNKNOWN_COUNTS, 0)
    )


def adjusted(
    con: duckdb.DuckDBPyConnection,
    filters: Filters = Filters(),
    adjust_by: str = DEFAULT_ADJUST_BY,
) -> Adjusted:
    """The adjusted comparisons over everything `filters` selects."""
    found = adjusted_from_strata(
        strata_frame(con, filters, "all", adjust_by), filters.min_n, adjust_by
    )
    return found.get("") or empty_adjusted(adjust_by, filters.min_n)


def previous_period(start: dt.date, end: dt.date) -> tuple[dt.date, dt.date]:
    """The period of equal length that ends the day before `start`."""
    days = (end - start).days + 1
    prev_end = start - dt.timedelta(days=1)
    return prev_end - dt.timedelta(days=days - 1), prev_end


def overview_requests(filters: Filters, trend_by: str = "month") -> list[tuple[Filters, str]]:
    """What the Overview shows for `filters`, as (filters, by) for metrics_frame: the period,
    the previous period of equal length (when the period has both ends) and the trend."""
    requests = [(filters, "all")]
    if filters.start and filters.end:
        prev_start, prev_end = previous_period(filters.start, filters.end)
        requests.append((filters.replace(start=prev_start, end=prev_end), "all"))
    requests.append((filters, trend_by))
    return requests


Result = TypeVar("Result")
_POOL = ThreadPoolExecutor(max_workers=4, thread_name_prefix="ridealong-query")


def concurrently(
    fn: Callable[[Filters, str], Result], requests: Sequence[tuple[Filters, str]]
) -> list[Result]:
    """fn(filters, by) for every request at once; results in the order asked.

    Each query runs on a cursor of its own (see run). DuckDB plans a query on one thread, and
    planning metrics.sql takes about 50 ms: on two cores, while one query is planned another
    executes, and the Overview's three queries take about a fifth less time than in a row.
    """
    return list(_POOL.map(lambda request: fn(*request), requests))


def unscoped(con: duckdb.DuckDBPyConnection) -> Callable[..., pl.DataFrame]:
    """run on `con` over everything (the CLI: whoever runs it can read the store file)."""

    def runner(name: str, **params: Any) -> pl.DataFrame:
        return run(con, name, **{"scope": EVERYTHING, **params})

    return runner


def data_range(
    con: duckdb.DuckDBPyConnection, scope: Scope = EVERYTHING
) -> tuple[dt.date | None, dt.date | None]:
    row = run(con, "data_range", scope=scope).row(0, named=True)
    return row["first_day"], row["last_day"]


def with_adjusted(row: dict[str, Any], adjusted: Adjusted) -> dict[str, Any]:
    """A metrics.sql row with its adjusted comparisons as columns (adj_lift, adj_lift_lo/_hi,
    adj_lift_strata, adj_lift_exposed_n/_reference_n; the same for adj_<response>_ratio), the
    crude take-over vs debrief ratio and the unknown-debrief counts: what the pages and the
    report read."""
    out = dict(row)
    named = {"adj_lift": adjusted.lift}
    named |= {f"adj_{r}_ratio": effect for r, effect in adjusted.responses.items()}
    for key, effect in named.items():
        stem = key.removesuffix("_ratio")
        out[key] = effect.ratio
        out[f"{key}_lo"], out[f"{key}_hi"] = effect.ci if effect.ci else (None, None)
        out[f"{stem}_strata"] = effect.strata
        out[f"{stem}_exposed_n"] = effect.exposed_n
        out[f"{stem}_reference_n"] = effect.reference_n
        out[f"{stem}_small"] = effect.small
    out["adj_by"] = adjusted.by
    ref = row.get(f"mr_{REFERENCE_RESPONSE}_rate")
    took = row.get("mr_took_over_rate")
    out["took_over_vs_debrief"] = took / ref if took is not None and ref else None
    out |= adjusted.unknown
    return out


def shrunk_rates(frame: pl.DataFrame) -> pl.DataFrame:
    """Per-manager (or any group's) empirical-Bayes rates beside the raw ones: intervention,
    debrief and recognised recurrence, each pulled toward the selection's pooled rate
    (effects.shrink)."""
    pairs = {
        "intervention_rate_eb": ("took_over", "calls"),
        "debrief_rate_eb": ("debriefed", "debrief_known"),
        "rec_rate_eb": ("rec_recurred", "rec_eligible"),
    }
    return frame.with_columns(
        pl.Series(name, effects.shrink(frame[k].to_list(), frame[n].to_list()), pl.Float64)
        for name, (k, n) in pairs.items()
    )
