"""The benchmark of issue 8: generate a log, import it, time every figure, print one table.

    python -m tests.benchmarks.bench --calls 400000 [--runs 5] [--out-dir DIR]
        [--build-runs N] [--handwritten-runs N] [--skip-pandas] [--pandas-calls 400000]
        [--skip-cli] [--skip-pages]

Steps (each figure is the median of its runs):

1. `ridealong sample --calls N --seed 1` (the real command, a child process).
2. `ridealong ingest` of that file into a fresh store (child process), and side by side DuckDB's
   own `create table t as select * from read_csv(...)` of the same file on a fresh database file
   (child process): ratio ingest / CTAS.
3. The metrics over the store, opened read-only (in a child process of their own, so that its
   peak memory is its own): the Overview set (metrics_frame for the period, the previous period
   and the trend by month), `by manager`, `by behavior`, `by month`; each run uses a different
   filter (a one-year window shifted by a month per run; "one team" also rotates the team), so
   nothing is served from a cache. Side by side, one hand-written SQL statement per figure over
   the base tables calls and notes, doing each rep's ordering and the look-ahead per query with
   window functions. Their counts must equal those of queries/metrics.sql (a mismatch is
   printed loudly and fails the run). Ratio = metrics.sql / hand-written. metrics_json (what
   the CLI computes) and the CLI itself (`ridealong metrics --json`, a child process, Python
   start-up included) are timed too.
4. The pages (unless --skip-pages): one visitor opens every page of the dashboard in turn
   (Streamlit's AppTest in a child process: the page script, its queries and Streamlit's
   marshalling, not the browser's drawing), each run twice (first, then again with its
   queries cached); and `ridealong report --out review.html` (a child process). A page that
   raises an exception or a review that cannot be written fails the run.
5. pandas (tests/benchmarks/pandas_metrics.py) at --pandas-calls calls on the same kind of log:
   read the CSV (reported apart), prepare (normalise, order, look ahead), then the filtered
   counts for all and by manager; its counts must equal metrics.sql's on a store built from the
   same file. Ratios against metrics.sql for the same filters.
6. One table (plain text on stdout, Markdown in DIR/bench.md) and every raw figure in
   DIR/bench.json.

Peak memory: of a child process, its maximum resident set size as reported by the kernel when it
is reaped (`os.wait4` rusage, ru_maxrss; includes the threads of DuckDB and Polars), started
through a small launcher process (see LAUNCHER) so the benchmark's own memory does not leak in.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

WINDOW = 3
MiB = 1024 * 1024

# The count columns of queries/metrics.sql compared with the hand-written SQL and pandas.
COUNTS = (
    "calls",
    "notes",
    "praise",
    "criticism",
    "observed",
    "assisted",
    "took_over",
    "debrief_known",
    "debriefed",
    "planned_observer",
    "planned_observer_took_over",
    "rec_eligible",
    "rec_recurred",
    "unrec_eligible",
    "unrec_recurred",
    "mr_took_over_eligible",
    "mr_took_over_repeated",
    "mr_assisted_eligible",
    "mr_assisted_repeated",
    "mr_observed_debriefed_eligible",
    "mr_observed_debriefed_repeated",
    "mr_observed_only_eligible",
    "mr_observed_only_repeated",
)

# Targets of issue 8, at 10 million notes (about 4 million calls).
TARGET_NOTES = 10_000_000
TARGET_CALLS = 4_000_000


# ---- child processes -------------------------------------------------------------------------


# A child's ru_maxrss starts from the high-water mark of the process that forked it (Linux
# carries it across fork and exec), so commands are started by this small launcher rather than by
# the benchmark itself (which holds DuckDB, Polars and pandas): the launcher reaps the command with
# os.wait4 and writes its wall time and rusage to the file named by its first argument.
LAUNCHER = """
import json, os, subprocess, sys, time
started = time.perf_counter()
proc = subprocess.Popen(sys.argv[2:])
_, status, usage = os.wait4(proc.pid, 0)
seconds = time.perf_counter() - started
code = os.waitstatus_to_exitcode(status)
with open(sys.argv[1], "w") as out:
    json.dump({"seconds": seconds, "maxrss_kib": usage.ru_maxrss, "user_s": usage.ru_utime,
               "sys_s": usage.ru_stime, "returncode": code}, out)
"""


def run_child(cmd: Sequence[str], *, check: bool = True) -> dict[str, Any]:
    """Run a command; its wall time, peak RSS (ru_maxrss of the reaped child) and output."""
    with (
        tempfile.TemporaryFile() as out,
        tempfile.TemporaryFile() as err,
        tempfile.TemporaryDirectory() as tmp,
    ):
        usage_file = Path(tmp) / "usage.json"
        launcher = [sys.executable, "-S", "-c", LAUNCHER, str(usage_file)]
        subprocess.run([*launcher, *cmd], stdout=out, stderr=err, check=False)
        out.seek(0)
        err.seek(0)
        stdout = out.read().decode("utf-8", "replace")
        stderr = err.read().decode("utf-8", "replace")
        if not usage_file.exists():
            raise RuntimeError(f"could not run {' '.join(cmd)}:\n{stderr[-4000:]}")
        usage = json.loads(usage_file.read_text())
    result = {
        "seconds": usage["seconds"],
        "peak_rss_mb": usage["maxrss_kib"] * 1024 / MiB,  # Linux reports KiB
        "user_s": usage["user_s"],
        "sys_s": usage["sys_s"],
        "returncode": usage["returncode"],
        "stdout": stdout,
        "stderr": stderr,
    }
    if check and usage["returncode"] != 0:
        raise RuntimeError(
            f"{' '.join(cmd)} exited with {usage['returncode']}:\n{stderr[-4000:]}\n"
            f"{stdout[-2000:]}"
        )
    return result


def ridealong() -> list[str]:
    """The installed `ridealong` command (the console script next to this Python)."""
    script = Path(sys.executable).parent / "ridealong"
    if script.exists():
        return [str(script)]
    found = shutil.which("ridealong")
    if found:
        return [found]
    return [sys.executable, "-c", "from dashboard.cli import main; main()"]


def _remove_db(path: Path) -> None:
    for p in (path, path.with_name(path.name + ".wal")):
        p.unlink(missing_ok=True)


CTAS = (
    "import duckdb, sys\n"
    "con = duckdb.connect(sys.argv[1])\n"
    "con.execute('set enable_progress_bar = false')\n"
    'path = sys.argv[2].replace("\'", "\'\'")\n'
    "con.execute(f\"create table t as select * from read_csv('{path}')\")\n"
    "print(con.execute('select count(*) from t').fetchone()[0])\n"
    "con.close()\n"
)


def median(values: Sequence[float]) -> float | None:
    return statistics.median(values) if values else None


def summarise(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """Median seconds and the largest peak RSS of some child-process runs."""
    return {
        "seconds": median([r["seconds"] for r in runs]),
        "runs_s": [r["seconds"] for r in runs],
        "peak_rss_mb": max(r["peak_rss_mb"] for r in runs),
        "cpu_s": median([r["user_s"] + r["sys_s"] for r in runs]),
    }


# ---- the machine -----------------------------------------------------------------------------


def machine() -> dict[str, Any]:
    import duckdb
    import pandas
    import polars

    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    ram_gb = None
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                ram_gb = int(line.split()[1]) / 1024 / 1024
                break
    except OSError:
        pass
    try:
        usable = len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        usable = os.cpu_count()
    con = duckdb.connect()
    threads = con.execute("select current_setting('threads')").fetchone()[0]
    con.close()
    return {
        "platform": platform.platform(),
        "cpu": cpu,
        "cores": os.cpu_count(),
        "usable_cores": usable,
        "ram_gb": None if ram_gb is None else round(ram_gb, 1),
        "python": platform.python_version(),
        "duckdb": duckdb.__version__,
        "duckdb_threads": threads,
        "polars": polars.__version__,
        "pandas": pandas.__version__,
        "load_average": list(os.getloadavg()),
    }


# ---- filters ---------------------------------------------------------------------------------


def filter_plan(first: dt.date, last: dt.date, teams: list[str], runs: int) -> list[dict]:
    """One filter per run: a one-year window (half the data if shorter) shifted by a month per
    run, and for the "one team" rows a different team each run."""
    span = (last - first).days
    width = min(364, max(span // 2, 1))
    room = max(span - width, 0)
    plan = []
    for i in range(runs):
        start = first + dt.timedelta(days=(30 * i) % (room + 1))
        plan.append(
            {
                "start": start.isoformat(),
                "end": (start + dt.timedelta(days=width)).isoformat(),
                "team": teams[(i * 7) % len(teams)] if teams else "",
            }
        )
    return plan


def _filters(entry: dict, *, one_team: bool = False):
    from dashboard import metrics

    return metrics.Filters(
        start=dt.date.fromisoformat(entry["start"]),
        end=dt.date.fromisoformat(entry["end"]),
        teams=(entry["team"],) if one_team else (),
        window=WINDOW,
    )


# ---- the hand-written SQL --------------------------------------------------------------------

_FILTER = """($start::date is null or observed_on >= $start::date)
        and ($end::date is null or observed_on <= $end::date)
        and (len($teams::varchar[]) = 0 or list_contains($teams::varchar[], team))
        and (len($managers::varchar[]) = 0 or list_contains($managers::varchar[], manager))
        and (len($reps::varchar[]) = 0 or list_contains($reps::varchar[], rep))"""

_HANDWRITTEN_BASE = f"""
with call_order as (
    -- each rep's calls in order, from the whole history (filters never shorten it)
    select
        c.call_key,
        c.observed_on,
        strftime(c.observed_on, '%Y-%m') as month,
        c.manager,
        c.rep,
        coalesce(c.team, '') as team,
        c.planned_role,
        c.manager_action,
        c.debrief,
        row_number() over (
            partition by c.rep
            order by c.observed_on, coalesce(c.observation_id, ''), c.manager, c.call_key
        ) as seq,
        count(*) over (partition by c.rep) as rep_calls
    from calls as c
),
events as (
    select n.call_key, n.behavior_key, n.polarity, count(*) as notes
    from notes as n
    group by n.call_key, n.behavior_key, n.polarity
),
looked_ahead as (
    select
        e.behavior_key,
        e.polarity,
        e.notes,
        o.*,
        o.rep_calls - o.seq >= $window as eligible,
        o.rep_calls - o.seq >= $window
            and coalesce(
                lead(o.seq) over (
                    partition by o.rep, e.behavior_key, e.polarity order by o.seq
                ) - o.seq <= $window,
                false
            ) as again
    from events as e
    inner join call_order as o on o.call_key = e.call_key
),
sel_calls as (
    select * from call_order
    where {_FILTER}
),
sel_events as (
    select * from looked_ahead
    where {_FILTER}
),
"""

_CALL_STATS = """
call_stats as (
    select
        {key} as grp,
        count(*) as calls,
        count(*) filter (where manager_action = 'observed') as observed,
        count(*) filter (where manager_action = 'assisted') as assisted,
        count(*) filter (where manager_action = 'took_over') as took_over,
        count(debrief) as debrief_known,
        count(*) filter (where debrief) as debriefed,
        count(*) filter (where planned_role = 'observer') as planned_observer,
        count(*) filter (where planned_role = 'observer' and manager_action = 'took_over')
            as planned_observer_took_over
    from {source}
    group by 1
),
"""

_EVENT_STATS = """
event_stats as (
    select
        {key} as grp,
        sum(notes) as notes,
        sum(notes) filter (where polarity = 'praise') as praise,
        sum(notes) filter (where polarity = 'criticism') as criticism,
        count(*) filter (where polarity = 'praise' and debrief and eligible) as rec_eligible,
        count(*) filter (where polarity = 'praise' and debrief and again) as rec_recurred,
        count(*) filter (where polarity = 'praise' and not debrief and eligible)
            as unrec_eligible,
        count(*) filter (where polarity = 'praise' and not debrief and again) as unrec_recurred,
        count(*) filter (where polarity = 'criticism' and manager_action = 'took_over'
            and eligible) as mr_took_over_eligible,
        count(*) filter (where polarity = 'criticism' and manager_action = 'took_over'
            and again) as mr_took_over_repeated,
        count(*) filter (where polarity = 'criticism' and manager_action = 'assisted'
            and eligible) as mr_assisted_eligible,
        count(*) filter (where polarity = 'criticism' and manager_action = 'assisted'
            and again) as mr_assisted_repeated,
        count(*) filter (where polarity = 'criticism' and manager_action = 'observed'
            and debrief is true and eligible) as mr_observed_debriefed_eligible,
        count(*) filter (where polarity = 'criticism' and manager_action = 'observed'
            and debrief is true and again) as mr_observed_debriefed_repeated,
        count(*) filter (where polarity = 'criticism' and manager_action = 'observed'
            and debrief is not true and eligible) as mr_observed_only_eligible,
        count(*) filter (where polarity = 'criticism' and manager_action = 'observed'
            and debrief is not true and again) as mr_observed_only_repeated
    from sel_events
    group by 1
),
"""

_BEHAVIOR_LABELS = """
behavior_calls as (
    select e.behavior_key, c.*
    from (select distinct behavior_key, call_key from sel_events) as e
    inner join sel_calls as c on c.call_key = e.call_key
),
spellings as (
    select n.behavior_key, n.behavior, count(*) as uses
    from notes as n
    inner join sel_calls as c on c.call_key = n.call_key
    group by n.behavior_key, n.behavior
),
labels as (
    select behavior_key, behavior as label
    from spellings
    qualify row_number() over (
        partition by behavior_key order by uses desc, behavior asc
    ) = 1
),
"""

_FINAL = """
counted as (
    select
        {label} as grp,
        coalesce(c.calls, 0) as calls,
        coalesce(e.notes, 0)::bigint as notes,
        coalesce(e.praise, 0)::bigint as praise,
        coalesce(e.criticism, 0)::bigint as criticism,
        coalesce(c.observed, 0) as observed,
        coalesce(c.assisted, 0) as assisted,
        coalesce(c.took_over, 0) as took_over,
        coalesce(c.debrief_known, 0) as debrief_known,
        coalesce(c.debriefed, 0) as debriefed,
        coalesce(c.planned_observer, 0) as planned_observer,
        coalesce(c.planned_observer_took_over, 0) as planned_observer_took_over,
        coalesce(e.rec_eligible, 0) as rec_eligible,
        coalesce(e.rec_recurred, 0) as rec_recurred,
        coalesce(e.unrec_eligible, 0) as unrec_eligible,
        coalesce(e.unrec_recurred, 0) as unrec_recurred,
        coalesce(e.mr_took_over_eligible, 0) as mr_took_over_eligible,
        coalesce(e.mr_took_over_repeated, 0) as mr_took_over_repeated,
        coalesce(e.mr_assisted_eligible, 0) as mr_assisted_eligible,
        coalesce(e.mr_assisted_repeated, 0) as mr_assisted_repeated,
        coalesce(e.mr_observed_debriefed_eligible, 0) as mr_observed_debriefed_eligible,
        coalesce(e.mr_observed_debriefed_repeated, 0) as mr_observed_debriefed_repeated,
        coalesce(e.mr_observed_only_eligible, 0) as mr_observed_only_eligible,
        coalesce(e.mr_observed_only_repeated, 0) as mr_observed_only_repeated
    from {groups} as g
    left join call_stats as c on c.grp = g.grp
    left join event_stats as e on e.grp = g.grp
    {label_join}
)
select
    *,
    case when criticism > 0 then praise::double / criticism end as praise_to_criticism,
    share_to_ratio(wilson(praise, praise + criticism).lo) as praise_to_criticism_lo,
    share_to_ratio(wilson(praise, praise + criticism).hi) as praise_to_criticism_hi,
    rate(took_over, calls) as intervention_rate,
    wilson(took_over, calls).lo as intervention_rate_lo,
    wilson(took_over, calls).hi as intervention_rate_hi,
    rate(debriefed, debrief_known) as debrief_rate,
    wilson(debriefed, debrief_known).lo as debrief_rate_lo,
    wilson(debriefed, debrief_known).hi as debrief_rate_hi,
    rate(rec_recurred, rec_eligible) as rec_rate,
    wilson(rec_recurred, rec_eligible).lo as rec_rate_lo,
    wilson(rec_recurred, rec_eligible).hi as rec_rate_hi,
    rate(unrec_recurred, unrec_eligible) as unrec_rate,
    wilson(unrec_recurred, unrec_eligible).lo as unrec_rate_lo,
    wilson(unrec_recurred, unrec_eligible).hi as unrec_rate_hi,
    rate(rec_recurred, rec_eligible) / nullif(rate(unrec_recurred, unrec_eligible), 0) as lift,
    rate(mr_took_over_repeated, mr_took_over_eligible) as mr_took_over_rate,
    wilson(mr_took_over_repeated, mr_took_over_eligible).lo as mr_took_over_rate_lo,
    wilson(mr_took_over_repeated, mr_took_over_eligible).hi as mr_took_over_rate_hi,
    rate(mr_assisted_repeated, mr_assisted_eligible) as mr_assisted_rate,
    wilson(mr_assisted_repeated, mr_assisted_eligible).lo as mr_assisted_rate_lo,
    wilson(mr_assisted_repeated, mr_assisted_eligible).hi as mr_assisted_rate_hi,
    rate(mr_observed_debriefed_repeated, mr_observed_debriefed_eligible)
        as mr_observed_debriefed_rate,
    rate(mr_observed_only_repeated, mr_observed_only_eligible) as mr_observed_only_rate
from counted
order by grp
"""


def handwritten_sql(by: str) -> str:
    """One plain SQL statement over calls and notes computing metrics.sql's figures for `by`
    (all, manager, month or behavior), the look-ahead done per query with window functions."""
    if by == "behavior":
        body = (
            _BEHAVIOR_LABELS
            + _CALL_STATS.format(key="behavior_key", source="behavior_calls")
            + _EVENT_STATS.format(key="behavior_key")
            + _FINAL.format(
                label="coalesce(l.label, g.grp)",
                groups="(select grp from call_stats)",
                label_join="left join labels as l on l.behavior_key = g.grp",
            )
        )
    else:
        key = {"all": "''", "manager": "manager", "month": "month"}[by]
        groups = "(select '' as grp)" if by == "all" else "(select grp from call_stats)"
        body = (
            _CALL_STATS.format(key=key, source="sel_calls")
            + _EVENT_STATS.format(key=key)
            + _FINAL.format(label="g.grp", groups=groups, label_join="")
        )
    return _HANDWRITTEN_BASE + body


def run_handwritten(con, filters, by: str):
    params = {k: v for k, v in filters.params().items() if k not in ("min_n", "scope")}
    return con.cursor().sql(handwritten_sql(by), params=params).pl()


def counts_of(frame) -> dict[str, list[int]]:
    """{group: [counts in COUNTS order]} of a metrics.sql-shaped frame."""
    return {
        str(row["grp"]): [int(row[c]) for c in COUNTS]
        for row in frame.select(["grp", *COUNTS]).to_dicts()
    }


def compare(expected: dict[str, list[int]], actual: dict[str, list[int]]) -> list[str]:
    """Differences between two counts tables, as readable lines (empty when they agree)."""
    out = []
    for grp in sorted(set(expected) | set(actual)):
        e, a = expected.get(grp), actual.get(grp)
        if e is None or a is None:
            out.append(f"group {grp!r}: only in {'metrics.sql' if a is None else 'the other'}")
            continue
        for name, x, y in zip(COUNTS, e, a, strict=True):
            if x != y:
                out.append(f"group {grp!r}: {name} metrics.sql={x} other={y}")
    return out


# ---- phase: metrics (a child process) ------------------------------------------------------

FIGURES = (
    # (row name, by, target seconds)
    ("overview", "overview", 0.5),
    ("overview, one team", "overview", 0.5),
    ("by manager", "manager", 1.0),
    ("by behavior", "behavior", 1.0),
    ("by month", "month", None),
)


def _overview(run: Callable, filters) -> list:
    """What the Overview page computes on a filter change, as the page does it: the period,
    the previous period of equal length and the trend by month, queried at once."""
    from dashboard import metrics

    return metrics.concurrently(run, metrics.overview_requests(filters, "month"))


def phase_metrics(store_path: str, plan: list[dict]) -> dict[str, Any]:
    from dashboard import metrics
    from dashboard.store import Store

    store = Store(store_path, read_only=True)
    con = store.con

    def sql(filters, by):
        return metrics.metrics_frame(con, filters, by)

    def hand(filters, by):
        return run_handwritten(con, filters, by)

    def as_json(filters, by):
        return metrics.metrics_json(con, filters, None if by == "all" else by)

    # warm-up (untimed): the first query of a process pays for reading the catalog
    sql(metrics.Filters(), "all")
    hand(metrics.Filters(), "all")

    results: dict[str, Any] = {}
    mismatches: list[str] = []
    for name, by, _target in FIGURES:
        times: dict[str, list[float]] = {"sql": [], "hand": [], "json": []}
        for i, entry in enumerate(plan):
            filters = _filters(entry, one_team=name.endswith("one team"))
            # alternate the order, so neither side always runs on the other's warm buffers
            order = ("sql", "hand", "json") if i % 2 == 0 else ("hand", "sql", "json")
            if not entry.get("handwritten", True):  # --handwritten-runs: fewer of the slow side
                order = ("sql", "json")
            frames: dict[str, list] = {}
            for side in order:
                fn = {"sql": sql, "hand": hand, "json": as_json}[side]
                started = time.perf_counter()
                if by == "overview":
                    frames[side] = _overview(fn, filters)
                else:
                    frames[side] = [fn(filters, by)]
                times[side].append(time.perf_counter() - started)
            pairs = zip(frames["sql"], frames["hand"], strict=True) if "hand" in frames else []
            for k, (a, b) in enumerate(pairs):
                for line in compare(counts_of(a), counts_of(b)):
                    mismatches.append(f"{name} run {i + 1} frame {k + 1}: {line}")
        results[name] = {
            "seconds": median(times["sql"]),
            "handwritten_s": median(times["hand"]),
            "json_s": median(times["json"]),
            "runs_s": times["sql"],
            "handwritten_runs_s": times["hand"],
            "json_runs_s": times["json"],
        }
    store.close()
    return {"figures": results, "mismatches": mismatches}


# ---- phase: pandas (a child process without DuckDB work) ------------------------------------


def phase_pandas(csv_path: str, plan: list[dict]) -> dict[str, Any]:
    from tests.benchmarks import pandas_metrics as pm

    started = time.perf_counter()
    raw = pm.read(csv_path)
    read_s = time.perf_counter() - started
    prepare_s, aggregate_s, counts = [], [], []
    for entry in plan:
        started = time.perf_counter()
        prepared = pm.prepare(raw, WINDOW)
        prepared_at = time.perf_counter()
        window = {
            "start": dt.date.fromisoformat(entry["start"]),
            "end": dt.date.fromisoformat(entry["end"]),
        }
        overall = pm.aggregate(prepared, "all", **window)
        by_manager = pm.aggregate(prepared, "manager", **window)
        done = time.perf_counter()
        prepare_s.append(prepared_at - started)
        aggregate_s.append(done - prepared_at)
        counts.append(
            {
                "all": {g: [v[c] for c in COUNTS] for g, v in overall.items()},
                "manager": {g: [v[c] for c in COUNTS] for g, v in by_manager.items()},
            }
        )
        del prepared
    return {
        "read_s": read_s,
        "rows": len(raw),
        "prepare_s": median(prepare_s),
        "aggregate_s": median(aggregate_s),
        "total_s": median([p + a for p, a in zip(prepare_s, aggregate_s, strict=True)]),
        "prepare_runs_s": prepare_s,
        "aggregate_runs_s": aggregate_s,
        "counts": counts,
    }


def phase_pandas_sql(store_path: str, plan: list[dict]) -> dict[str, Any]:
    """metrics.sql for all + by manager on the pandas data, for the same filters."""
    from dashboard import metrics
    from dashboard.store import Store

    store = Store(store_path, read_only=True)
    metrics.metrics_frame(store.con, metrics.Filters(), "all")  # warm-up
    times, counts = [], []
    for entry in plan:
        filters = _filters(entry)
        started = time.perf_counter()
        overall = metrics.metrics_frame(store.con, filters, "all")
        by_manager = metrics.metrics_frame(store.con, filters, "manager")
        times.append(time.perf_counter() - started)
        counts.append({"all": counts_of(overall), "manager": counts_of(by_manager)})
    store.close()
    return {"seconds": median(times), "runs_s": times, "counts": counts}


# ---- phase: the pages (a child process running the dashboard's scripts) ---------------------

PAGES = (
    ("Overview", "views/overview.py"),
    ("Managers", "views/managers.py"),
    ("Behaviours", "views/behaviours.py"),
    ("Reps", "views/reps.py"),
    ("Log a ride-along", "views/log.py"),
    ("Quarterly review", "views/quarterly.py"),
    ("Upload", "views/upload.py"),
)


def phase_pages(store_path: str, plan: list[dict]) -> dict[str, Any]:
    """Every page opened in turn by one visitor, through Streamlit's AppTest in this process:
    the page script, its queries and Streamlit's marshalling of what it draws (not the
    browser's drawing). "first": the page's first run, after the pages before it (its own
    queries not cached yet; what it shares with them, the filter choices, is); "again": the
    same page run again (cached queries, as after a click that changes none of them). An
    exception on a page is recorded as an error, which fails the benchmark: at 10 million
    notes the Quarterly review stopped with one (a table too long to colour, 3 December 2026).
    `plan` is unused: the pages open on their defaults."""
    os.environ["RIDEALONG_DB"] = store_path
    from streamlit import config
    from streamlit.testing.v1 import AppTest

    shown = config.get_option("client.showErrorDetails")
    config.set_option("client.showErrorDetails", "full")  # the error itself, not "redacted"
    try:
        app = str(Path(__file__).resolve().parents[2] / "dashboard" / "app.py")
        at = AppTest.from_file(app, default_timeout=900)
        results: dict[str, dict[str, float]] = {}
        errors: list[str] = []
        for index, (name, page) in enumerate(PAGES):
            times = []
            for attempt in range(2):
                if index and not attempt:
                    at.switch_page(page)
                started = time.perf_counter()
                at.run()
                times.append(time.perf_counter() - started)
                errors += [
                    f"{name}: {' '.join(exc.message.split())[:300]} "
                    f"({' / '.join(line.strip() for line in exc.stack_trace[-2:])})"
                    for exc in at.exception
                ]
            results[name] = {"first_s": times[0], "again_s": times[1]}
    finally:
        config.set_option("client.showErrorDetails", shown)
    return {"pages": results, "errors": errors}


PHASES = {
    "metrics": phase_metrics,
    "pandas": phase_pandas,
    "pandas_sql": phase_pandas_sql,
    "pages": phase_pages,
}


def run_phase(name: str, target: Path, plan: list[dict], work: Path) -> dict[str, Any]:
    """Run a phase in a child Python process; its result plus the child's time and peak RSS."""
    plan_file = work / f"plan_{name}.json"
    result_file = work / f"result_{name}.json"
    plan_file.write_text(json.dumps(plan))
    result_file.unlink(missing_ok=True)
    child = run_child(
        [
            sys.executable,
            "-m",
            "tests.benchmarks.bench",
            "--phase",
            name,
            "--target",
            str(target),
            "--plan",
            str(plan_file),
            "--result",
            str(result_file),
        ]
    )
    data = json.loads(result_file.read_text())
    data["process_s"] = child["seconds"]
    data["peak_rss_mb"] = child["peak_rss_mb"]
    return data


# ---- the steps -------------------------------------------------------------------------------


def data_size(csv: Path, store: Path) -> dict[str, Any]:
    import duckdb

    con = duckdb.connect(str(store), read_only=True)
    calls, notes, reps, managers, teams, first, last = con.execute(
        "select count(*), (select count(*) from notes), count(distinct rep), "
        "count(distinct manager), count(distinct coalesce(team, '')), min(observed_on), "
        "max(observed_on) from calls"
    ).fetchone()
    team_names = [
        r[0]
        for r in con.execute("select distinct coalesce(team, '') from calls order by 1").fetchall()
    ]
    events = con.execute(
        "select count(*) from (select distinct call_key, behavior_key, polarity from notes)"
    ).fetchone()[0]
    con.close()
    return {
        "calls": calls,
        "notes": notes,
        "events": events,
        "reps": reps,
        "managers": managers,
        "teams": teams,
        "first_day": first.isoformat(),
        "last_day": last.isoformat(),
        "csv_mb": csv.stat().st_size / MiB,
        "store_mb": store.stat().st_size / MiB,
        "team_names": team_names,
    }


def build(calls: int, runs: int, work: Path, *, with_ctas: bool, log: Callable) -> dict:
    """sample + ingest (+ CTAS) `runs` times each; the last store is kept."""
    csv = work / "log.csv"
    store = work / "store.duckdb"
    ctas_db = work / "ctas.duckdb"
    out: dict[str, Any] = {"csv": str(csv), "store": str(store)}
    sample_runs = []
    for i in range(runs):
        csv.unlink(missing_ok=True)
        log(f"sample {calls:,} calls, run {i + 1}/{runs}")
        sample_runs.append(
            run_child(
                [*ridealong(), "sample", "--calls", str(calls), "--seed", "1", "--out", str(csv)]
            )
        )
    out["sample"] = summarise(sample_runs)
    out["sample"]["message"] = sample_runs[-1]["stderr"].strip()
    ingest_runs, ctas_runs = [], []
    for i in range(runs):
        _remove_db(store)
        log(f"ingest, run {i + 1}/{runs}")
        ingest_runs.append(run_child([*ridealong(), "ingest", str(csv), "--db", str(store)]))
        if with_ctas:
            _remove_db(ctas_db)
            log(f"CTAS, run {i + 1}/{runs}")
            ctas_runs.append(run_child([sys.executable, "-c", CTAS, str(ctas_db), str(csv)]))
            _remove_db(ctas_db)
    out["ingest"] = summarise(ingest_runs)
    out["ingest"]["message"] = ingest_runs[-1]["stderr"].strip()
    if with_ctas:
        out["ctas"] = summarise(ctas_runs)
        out["ctas"]["rows"] = int(ctas_runs[-1]["stdout"].split()[-1])
    return out


def cli_times(store: Path, plan: list[dict], log: Callable) -> dict[str, dict[str, Any]]:
    """`ridealong metrics --json [--by X]` as a child process, per filter: what a user waits."""
    out = {}
    for name, by in (("overview", None), ("by manager", "manager"), ("by behavior", "behavior"),
                     ("by month", "month")):  # fmt: skip
        runs = []
        for entry in plan:
            cmd = [*ridealong(), "metrics", "--db", str(store), "--json"]
            cmd += ["--start", entry["start"], "--end", entry["end"]]
            if by:
                cmd += ["--by", by]
            runs.append(run_child(cmd))
        log(f"CLI {name}: {median([r['seconds'] for r in runs]):.2f} s")
        out[name] = summarise(runs)
    return out


# ---- the table -------------------------------------------------------------------------------


def _s(value: float | None, digits: int = 2) -> str:
    if value is None:
        return "–"
    if value < 0.1:
        return f"{value:.3f}"
    return f"{value:.{digits}f}"


def _ratio(a: float | None, b: float | None) -> str:
    if a is None or not b:
        return "–"
    return f"{a / b:.2f}×"


def _met(value: float | None, limit: float | None, full_size: bool) -> str:
    if value is None or limit is None:
        return "–"
    mark = "yes" if value <= limit else "NO"
    return mark if full_size else f"{mark}†"


TABLE_COLUMNS = (
    "step",
    "median s",
    "side by side s",
    "ratio",
    "json s",
    "CLI s",
    "target",
    "met",
    "peak RSS MB",
)


def _row(step: str, **cells: str) -> list[str]:
    """One line of the table: `cells` by column (spaces as underscores: median_s=...), the
    others blank."""
    named = {k.replace("_", " "): v for k, v in cells.items()}
    unknown = set(named) - set(TABLE_COLUMNS)
    if unknown:
        raise KeyError(f"not a column: {sorted(unknown)}")
    return [step] + [named.get(column, "") for column in TABLE_COLUMNS[1:]]


def table_rows(report: dict[str, Any]) -> tuple[list[str], list[list[str]]]:
    size = report["data"]
    full_notes = size["notes"] >= 0.9 * TARGET_NOTES
    full_calls = report["args"]["calls"] >= 0.9 * TARGET_CALLS
    build_ = report["build"]
    rows = []
    sample = build_["sample"]
    rows.append(
        _row(
            "sample (ridealong sample)",
            median_s=_s(sample["seconds"]),
            target="≤ 60 s at 4M calls",
            met=_met(sample["seconds"], 60, full_calls),
            peak_RSS_MB=f"{sample['peak_rss_mb']:.0f}",
        )
    )
    ingest = build_["ingest"]
    ctas = build_.get("ctas")
    ingest_ok = _met(ingest["seconds"], 60, full_notes)
    mem_ok = _met(ingest["peak_rss_mb"] / 1024, 2.5, full_notes)
    rows.append(
        _row(
            "ingest (ridealong ingest)",
            median_s=_s(ingest["seconds"]),
            side_by_side_s=_s(ctas["seconds"]) if ctas else "–",
            ratio=_ratio(ingest["seconds"], ctas["seconds"] if ctas else None),
            target="≤ 60 s, ≤ 2.5 GB",
            met=f"{ingest_ok} / {mem_ok}",
            peak_RSS_MB=f"{ingest['peak_rss_mb']:.0f}",
        )
    )
    if ctas:
        rows.append(
            _row(
                "  DuckDB CTAS read_csv",
                median_s=_s(ctas["seconds"]),
                peak_RSS_MB=f"{ctas['peak_rss_mb']:.0f}",
            )
        )
    phase = report["metrics"]
    cli = report.get("cli", {})
    for name, _by, target in FIGURES:
        fig = phase["figures"][name]
        cli_s = cli.get(name)
        rows.append(
            _row(
                f"{name} (metrics.sql)",
                median_s=_s(fig["seconds"], 3),
                side_by_side_s=_s(fig["handwritten_s"], 3),
                ratio=_ratio(fig["seconds"], fig["handwritten_s"]),
                json_s=_s(fig["json_s"], 3),
                CLI_s=_s(cli_s["seconds"]) if cli_s else "",
                target="" if target is None else f"≤ {target:g} s",
                met=_met(fig["seconds"], target, full_notes),
                peak_RSS_MB=f"{phase['peak_rss_mb']:.0f}" if name == "overview" else "″",
            )
        )
    pages = report.get("pages")
    if pages:
        failed = {line.split(":")[0] for line in pages["errors"]}
        for name, times in pages["pages"].items():
            rows.append(
                _row(
                    f"page {name} (first run; again)",
                    median_s=f"{_s(times['first_s'])}; {_s(times['again_s'])}",
                    met="ERROR" if name in failed else "",
                    peak_RSS_MB=f"{pages['peak_rss_mb']:.0f}" if name == "Overview" else "″",
                )
            )
    review = report.get("review")
    if review:
        rows.append(
            _row(
                "quarterly review as HTML (ridealong report)",
                CLI_s=_s(review["seconds"]),
                met="ERROR" if review["returncode"] else "",
                peak_RSS_MB=f"{review['peak_rss_mb']:.0f}",
            )
        )
    pandas = report.get("pandas")
    if pandas:
        sql_s = pandas["sql"]["seconds"]
        label = f"{pandas['calls']:,} calls, {pandas['notes']:,} notes"
        rows += [
            _row(
                f"pandas read CSV ({label})",
                median_s=_s(pandas["read_s"]),
                peak_RSS_MB=f"{pandas['peak_rss_mb']:.0f}",
            ),
            _row(
                "pandas prepare + all + by manager",
                median_s=_s(pandas["total_s"], 3),
                side_by_side_s=_s(sql_s, 3),
                ratio=_ratio(pandas["total_s"], sql_s),
                peak_RSS_MB="″",
            ),
            _row("  of which prepare (order, look-ahead)", median_s=_s(pandas["prepare_s"], 3)),
            _row(
                "  of which all + by manager (prepared)",
                median_s=_s(pandas["aggregate_s"], 3),
                side_by_side_s=_s(sql_s, 3),
                ratio=_ratio(pandas["aggregate_s"], sql_s),
            ),
        ]
    return list(TABLE_COLUMNS), rows


def _lines(report: dict[str, Any]) -> list[str]:
    m = report["machine"]
    d = report["data"]
    load = report["load_average"]
    return [
        f"Ridealong benchmark, {report['started']} – {report['finished']}",
        f"Machine: {m['cpu']}, {m['cores']} cores ({m['usable_cores']} usable), "
        f"{m['ram_gb']} GB RAM; {m['platform']}",
        f"Python {m['python']}, DuckDB {m['duckdb']} ({m['duckdb_threads']} threads), "
        f"Polars {m['polars']}, pandas {m['pandas']}",
        f"Load average (1 min) at start {load['start'][0]:.2f}, at end {load['end'][0]:.2f}",
        f"Data: {d['calls']:,} calls, {d['notes']:,} notes, {d['events']:,} events, "
        f"{d['reps']:,} reps, {d['managers']:,} managers, {d['teams']:,} teams, "
        f"{d['first_day']} to {d['last_day']}; CSV {d['csv_mb']:.0f} MB, "
        f"store {d['store_mb']:.0f} MB",
        f"Runs: {report['args']['runs']} per query figure (median), "
        f"{report['args']['build_runs']} per sample/ingest/CTAS, "
        f"{report['args']['handwritten_runs'] or report['args']['runs']} per hand-written "
        f"statement; window K = {WINDOW}",
    ]


NOTES = [
    "side by side: for ingest, DuckDB's own CREATE TABLE AS SELECT * FROM read_csv of the "
    "same file (ratio ingest / CTAS); for metrics, one hand-written SQL statement over calls "
    "and notes doing the look-ahead per query (ratio metrics.sql / hand-written; its counts "
    "are checked equal); for pandas, metrics.sql all + by manager for the same filters "
    "(ratio pandas / metrics.sql).",
    "overview = metrics for the period + the previous period + the trend by month, as the "
    "Overview page computes on a filter change; each run a different one-year window "
    '("one team": and a different team).',
    "json s: metrics.metrics_json (what the CLI computes); CLI s: `ridealong metrics --json` "
    "as a child process, Python start-up included (overview: without --by).",
    "peak RSS: ru_maxrss of each child process (os.wait4); the metrics rows share one child, "
    "the pages another.",
    "page: the page's script as Streamlit's AppTest runs it in one process (its queries, the "
    "script and Streamlit's marshalling; not the browser's drawing), one visitor opening each "
    "page in turn on its defaults: its first run, then the same page again (queries cached). "
    "ERROR: the page raised an exception (listed above the table and in bench.json).",
    "† data smaller than the targets' 10M notes / 4M calls: met or not at this size only.",
]


def render_text(report: dict[str, Any]) -> str:
    header, rows = table_rows(report)
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]

    def line(cells: list[str]) -> str:
        out = [cells[0].ljust(widths[0])]
        out += [c.rjust(w) for c, w in zip(cells[1:], widths[1:], strict=True)]
        return "  ".join(out).rstrip()

    sep = "-" * len(line(header))
    body = [line(header), sep, *(line(r) for r in rows)]
    text = [*_lines(report), "", *body, ""]
    text += [f"* {n}" for n in NOTES]
    text += [_agreement(report)]
    return "\n".join(text) + "\n"


def render_markdown(report: dict[str, Any]) -> str:
    header, rows = table_rows(report)
    out = [f"- {x}" for x in _lines(report)]
    out += ["", "| " + " | ".join(header) + " |"]
    out += ["|" + "|".join([":---"] + ["---:"] * (len(header) - 1)) + "|"]
    out += ["| " + " | ".join(c.replace("|", "\\|") for c in r) + " |" for r in rows]
    out += [""] + [f"- {n}" for n in NOTES] + [f"- {_agreement(report)}"]
    return "\n".join(out) + "\n"


def _agreement(report: dict[str, Any]) -> str:
    hand = report["metrics"]["mismatches"]
    parts = ["hand-written counts " + ("AGREE" if not hand else f"DISAGREE ({len(hand)})")]
    if report.get("pandas"):
        bad = report["pandas"]["mismatches"]
        parts.append("pandas counts " + ("AGREE" if not bad else f"DISAGREE ({len(bad)})"))
    text = "Checks: " + ", ".join(parts) + " with metrics.sql."
    if report.get("pages"):
        errors = report["pages"]["errors"]
        text += " Pages: " + (f"{len(errors)} ERRORS" if errors else "no errors") + "."
    return text


# ---- main ------------------------------------------------------------------------------------


def _log(message: str) -> None:
    print(f"[{dt.datetime.now():%H:%M:%S}] {message}", file=sys.stderr, flush=True)


def _save(work: Path, report: dict[str, Any]) -> None:
    """What is measured so far, in case a long run is interrupted."""
    text = json.dumps(report, indent=2, default=str)
    (work / "bench.partial.json").write_text(text, encoding="utf-8")


def benchmark(args: argparse.Namespace) -> dict[str, Any]:
    work = Path(args.out_dir).resolve()
    work.mkdir(parents=True, exist_ok=True)
    build_runs = args.build_runs or args.runs
    report: dict[str, Any] = {
        "started": dt.datetime.now().isoformat(timespec="seconds"),
        "args": {
            "calls": args.calls,
            "runs": args.runs,
            "build_runs": build_runs,
            "handwritten_runs": args.handwritten_runs,
            "pandas_calls": None if args.skip_pandas else args.pandas_calls,
            "out_dir": str(work),
        },
        "machine": machine(),
        "load_average": {"start": list(os.getloadavg())},
    }
    built = build(args.calls, build_runs, work, with_ctas=True, log=_log)
    report["build"] = built
    _save(work, report)
    csv, store = Path(built["csv"]), Path(built["store"])
    size = data_size(csv, store)
    report["data"] = {k: v for k, v in size.items() if k != "team_names"}
    plan = filter_plan(
        dt.date.fromisoformat(size["first_day"]),
        dt.date.fromisoformat(size["last_day"]),
        size["team_names"],
        args.runs,
    )
    report["plan"] = plan
    _log(f"metrics over {size['calls']:,} calls / {size['notes']:,} notes")
    hand_runs = args.runs if args.handwritten_runs is None else args.handwritten_runs
    metrics_plan = [dict(entry, handwritten=i < hand_runs) for i, entry in enumerate(plan)]
    report["metrics"] = run_phase("metrics", store, metrics_plan, work)
    _save(work, report)
    for line in report["metrics"]["mismatches"][:50]:
        _log(f"MISMATCH hand-written vs metrics.sql: {line}")
    if not args.skip_cli:
        report["cli"] = cli_times(store, plan, _log)
        _save(work, report)
    if not args.skip_pages:
        _log("the pages, each opened by a visitor; the quarterly review as HTML")
        report["pages"] = run_phase("pages", store, [], work)
        for line in report["pages"]["errors"]:
            _log(f"PAGE ERROR {line}")
        review = run_child(
            [*ridealong(), "report", "--db", str(store), "--out", str(work / "review.html")],
            check=False,
        )
        report["review"] = {k: review[k] for k in ("seconds", "peak_rss_mb", "returncode")}
        if review["returncode"]:
            report["review"]["stderr"] = review["stderr"][-2000:]
            _log(f"REPORT FAILED (exit {review['returncode']}): {review['stderr'][-2000:]}")
        _save(work, report)

    if not args.skip_pandas:
        if args.pandas_calls == args.calls:
            p_csv, p_store = csv, store
        else:
            p_work = work / "pandas"
            p_work.mkdir(exist_ok=True)
            p_built = build(args.pandas_calls, 1, p_work, with_ctas=False, log=_log)
            p_csv, p_store = Path(p_built["csv"]), Path(p_built["store"])
        p_size = data_size(p_csv, p_store)
        p_plan = filter_plan(
            dt.date.fromisoformat(p_size["first_day"]),
            dt.date.fromisoformat(p_size["last_day"]),
            p_size["team_names"],
            args.runs,
        )
        _log(f"pandas over {p_size['calls']:,} calls / {p_size['notes']:,} notes")
        pandas = run_phase("pandas", p_csv, p_plan, work)
        sql = run_phase("pandas_sql", p_store, p_plan, work)
        mismatches = []
        for i, (got, want) in enumerate(zip(pandas["counts"], sql["counts"], strict=True)):
            for by in ("all", "manager"):
                for line in compare(want[by], got[by]):
                    mismatches.append(f"run {i + 1} {by}: {line}")
        for line in mismatches[:50]:
            _log(f"MISMATCH pandas vs metrics.sql: {line}")
        report["pandas"] = {
            "calls": p_size["calls"],
            "notes": p_size["notes"],
            "csv_mb": p_size["csv_mb"],
            **{k: v for k, v in pandas.items() if k != "counts"},
            "sql": {k: v for k, v in sql.items() if k != "counts"},
            "mismatches": mismatches,
        }
    report["load_average"]["end"] = list(os.getloadavg())
    report["finished"] = dt.datetime.now().isoformat(timespec="seconds")
    report["ok"] = (
        not report["metrics"]["mismatches"]
        and not (report.get("pandas") and report["pandas"]["mismatches"])
        and not (report.get("pages") and report["pages"]["errors"])
        and not (report.get("review") and report["review"]["returncode"])
    )
    return report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tests.benchmarks.bench",
        description="Generate a log, import it, time every figure and print one table.",
    )
    parser.add_argument("--calls", type=int, default=400_000, help="calls to generate")
    parser.add_argument("--runs", type=int, default=5, help="runs per query figure (median)")
    parser.add_argument(
        "--build-runs",
        type=int,
        default=None,
        help="runs of sample, ingest and CTAS (default: --runs)",
    )
    parser.add_argument(
        "--handwritten-runs",
        type=int,
        default=None,
        help="runs of the hand-written SQL per figure (default: --runs; it is slow at 10M notes)",
    )
    parser.add_argument("--out-dir", default=None, help="where the log, store and results go")
    parser.add_argument("--skip-pandas", action="store_true")
    parser.add_argument("--pandas-calls", type=int, default=400_000)
    parser.add_argument(
        "--skip-cli", action="store_true", help="do not time `ridealong metrics` itself"
    )
    parser.add_argument(
        "--skip-pages",
        action="store_true",
        help="do not open the pages nor write the quarterly review",
    )
    # internal: run one phase in this (child) process
    parser.add_argument("--phase", choices=sorted(PHASES), help=argparse.SUPPRESS)
    parser.add_argument("--target", help=argparse.SUPPRESS)
    parser.add_argument("--plan", help=argparse.SUPPRESS)
    parser.add_argument("--result", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.phase:
        plan = json.loads(Path(args.plan).read_text())
        result = PHASES[args.phase](args.target, plan)
        Path(args.result).write_text(json.dumps(result))
        return 0

    if args.calls < 1 or args.runs < 1 or args.pandas_calls < 1:
        parser.error("--calls, --runs and --pandas-calls must be at least 1")
    if args.out_dir is None:
        args.out_dir = tempfile.mkdtemp(prefix="ridealong-bench-")
    report = benchmark(args)
    work = Path(args.out_dir)
    text = render_text(report)
    (work / "bench.md").write_text(render_markdown(report), encoding="utf-8")
    (work / "bench.json").write_text(json.dumps(report, indent=2, default=str), encoding="utf-8")
    print(text)
    print(f"Written: {work / 'bench.md'}, {work / 'bench.json'}")
    if not report["ok"]:
        print(
            "FAILED: a side-by-side implementation disagrees with metrics.sql (MISMATCH), a page "
            "raised an exception or the quarterly review could not be written (see above)"
        )
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
