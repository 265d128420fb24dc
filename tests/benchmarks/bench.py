"""The scale benchmark (issue 8): generate a log, ingest it, time the metrics; print figures.

    python -m tests.benchmarks.bench --calls 4000000            # ~10 million notes
    python -m tests.benchmarks.bench --calls 300 --runs 1 --pandas-calls 300   # what CI runs

Every figure is the median of --runs runs (the one-off steps, sample and ingest, run once) and
is measured side by side with a reference in the same run:
- ingest against DuckDB's own `CREATE TABLE ... AS SELECT * FROM read_csv(...)` of the file;
- each metrics.sql figure against one hand-written SQL statement over the base tables (calls,
  notes) that does the look-ahead itself — its counts must equal metrics.sql's;
- metrics.sql against a straightforward pandas implementation (tests/benchmarks/pandas_metrics)
  at --pandas-calls calls, whose counts must also agree;
- peak memory (resident set size) of each subprocess, polled with psutil.
No assertion is made on time: the figures are printed, and written to OUT/bench.md and .json.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import duckdb
import psutil

from dashboard import metrics
from dashboard.store import Store

ROOT = Path(__file__).resolve().parents[2]
TARGETS = {"sample": 60.0, "ingest": 90.0, "overview": 0.5, "manager": 1.0, "behavior": 1.0}
COUNTS = [
    "calls",
    "notes",
    "praise",
    "criticism",
    "took_over",
    "debrief_known",
    "debriefed",
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
]

# One statement, written plainly over the base tables: the look-ahead is computed per query.
HAND_WRITTEN = """
with c as (
    select *,
        row_number() over (partition by rep
            order by observed_on, coalesce(observation_id, ''), manager, call_key) as seq,
        count(*) over (partition by rep) as n_calls
    from calls
),
e as (
    select n.call_key, n.behavior_key, n.polarity, count(*) as notes
    from notes as n group by all
),
ev as (
    select e.*, c.seq, c.n_calls - c.seq as later, c.manager, c.observed_on, c.manager_action,
        c.debrief,
        lead(c.seq) over (partition by c.rep, e.behavior_key, e.polarity order by c.seq)
            - c.seq as gap
    from e join c using (call_key)
),
sc as (select *, {grp} as grp from c where observed_on between $start and $end),
se as (select *, {grp} as grp, later >= 3 as ok, later >= 3 and gap <= 3 as hit
       from ev where observed_on between $start and $end),
cs as (
    select grp, count(*) as calls, count(*) filter (where manager_action = 'took_over')
        as took_over, count(debrief) as debrief_known, count(*) filter (where debrief)
        as debriefed
    from sc group by grp
),
es as (
    select grp, sum(notes) as notes,
        sum(notes) filter (where polarity = 'praise') as praise,
        sum(notes) filter (where polarity = 'criticism') as criticism,
        count(*) filter (where polarity = 'praise' and debrief and ok) as rec_eligible,
        count(*) filter (where polarity = 'praise' and debrief and hit) as rec_recurred,
        count(*) filter (where polarity = 'praise' and not debrief and ok) as unrec_eligible,
        count(*) filter (where polarity = 'praise' and not debrief and hit) as unrec_recurred,
        count(*) filter (where polarity = 'criticism' and manager_action = 'took_over' and ok)
            as mr_took_over_eligible,
        count(*) filter (where polarity = 'criticism' and manager_action = 'took_over' and hit)
            as mr_took_over_repeated,
        count(*) filter (where polarity = 'criticism' and manager_action = 'assisted' and ok)
            as mr_assisted_eligible,
        count(*) filter (where polarity = 'criticism' and manager_action = 'assisted' and hit)
            as mr_assisted_repeated,
        count(*) filter (where polarity = 'criticism' and manager_action = 'observed'
            and debrief is true and ok) as mr_observed_debriefed_eligible,
        count(*) filter (where polarity = 'criticism' and manager_action = 'observed'
            and debrief is true and hit) as mr_observed_debriefed_repeated,
        count(*) filter (where polarity = 'criticism' and manager_action = 'observed'
            and debrief is not true and ok) as mr_observed_only_eligible,
        count(*) filter (where polarity = 'criticism' and manager_action = 'observed'
            and debrief is not true and hit) as mr_observed_only_repeated
    from se group by grp
)
select * from cs full join es using (grp) order by grp
"""
GROUP_EXPR = {"all": "''", "manager": "manager", "month": "strftime(observed_on, '%Y-%m')"}


def measured(cmd: list[str], env: dict | None = None) -> tuple[float, int]:
    """Run a command; (wall seconds, peak RSS in bytes of it and its children)."""
    started = time.perf_counter()
    proc = psutil.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    peak = 0
    done = threading.Event()

    def poll() -> None:
        nonlocal peak
        while not done.is_set():
            try:
                procs = [proc, *proc.children(recursive=True)]
                peak = max(peak, sum(p.memory_info().rss for p in procs))
            except psutil.Error:
                pass
            time.sleep(0.05)

    watcher = threading.Thread(target=poll, daemon=True)
    watcher.start()
    _, err = proc.communicate()
    done.set()
    watcher.join()
    if proc.returncode:
        raise RuntimeError(f"{' '.join(cmd)} failed: {err.decode()[-2000:]}")
    return time.perf_counter() - started, peak


def median_time(fn, runs: int) -> float:
    times = []
    for i in range(runs):
        started = time.perf_counter()
        fn(i)
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def ridealong() -> str:
    return str(Path(sys.executable).parent / "ridealong")


def filters_for(i: int, first: dt.date, last: dt.date) -> metrics.Filters:
    """A different filter each run, so no cache can serve it: the range shrinks a day a run."""
    return metrics.Filters(start=first + dt.timedelta(days=i), end=last)


def counts_of(frame, keys=COUNTS) -> dict[str, dict[str, int]]:
    return {row["grp"]: {k: int(row[k] or 0) for k in keys} for row in frame.to_dicts()}


def bench_queries(db: Path, runs: int) -> dict:
    store = Store(db, read_only=True)
    con = store.con
    first, last = metrics.data_range(con)
    out: dict = {}

    def overview(i: int) -> None:
        f = filters_for(i, first, last)
        prev = metrics.previous_period(f.start, f.end)
        metrics.metrics_frame(con, f)
        metrics.metrics_frame(con, f.replace(start=prev[0], end=prev[1]))
        metrics.metrics_frame(con, f, "month")

    out["overview"] = {"seconds": median_time(overview, runs)}
    for by in ("manager", "behavior", "month"):
        out[by] = {
            "seconds": median_time(
                lambda i, by=by: metrics.metrics_frame(con, filters_for(i, first, last), by), runs
            )
        }
    # hand-written equivalents (all, manager, month), and agreement of their counts
    for by in ("all", "manager", "month"):
        sql = HAND_WRITTEN.format(grp=GROUP_EXPR[by])
        params = {"start": first, "end": last}
        hand = median_time(lambda i, s=sql, p=params: con.cursor().execute(s, p).fetchall(), runs)
        ours = median_time(
            lambda i, by=by: metrics.metrics_frame(con, metrics.Filters(first, last), by), runs
        )
        rows = con.cursor().execute(sql, params).fetchall()
        names = [d[0] for d in con.cursor().execute(sql, params).description]
        hand_counts = {
            r[names.index("grp")]: {k: int(r[names.index(k)] or 0) for k in COUNTS} for r in rows
        }
        ours_counts = counts_of(metrics.metrics_frame(con, metrics.Filters(first, last), by))
        out[f"hand_{by}"] = {
            "seconds": hand,
            "metrics_sql_seconds": ours,
            "agree": hand_counts == ours_counts,
        }
    store.close()
    return out


def bench_pandas(calls: int, runs: int, work: Path) -> dict:
    from tests.benchmarks import pandas_metrics as pdm

    log = work / "pandas_log.csv"
    subprocess.run(
        [ridealong(), "sample", "--calls", str(calls), "--seed", "2", "--out", str(log)],
        check=True,
        capture_output=True,
    )
    db = work / "pandas.duckdb"
    subprocess.run(
        [ridealong(), "ingest", str(log), "--db", str(db)], check=True, capture_output=True
    )
    started = time.perf_counter()
    raw = pdm.read(str(log))
    read_s = time.perf_counter() - started
    pandas_s = median_time(lambda i: pdm.aggregate(pdm.prepare(raw), "manager"), runs)
    theirs = pdm.aggregate(pdm.prepare(raw), "manager")
    store = Store(db, read_only=True)
    ours_s = median_time(
        lambda i: metrics.metrics_frame(store.con, metrics.Filters(), "manager"), runs
    )
    ours = counts_of(metrics.metrics_frame(store.con, metrics.Filters(), "manager"), pdm.COUNTS)
    notes = store.con.execute("select count(*) from notes").fetchone()[0]
    store.close()
    agree = {k: {c: int(v) for c, v in g.items()} for k, g in theirs.items()} == ours
    return {
        "calls": calls,
        "notes": notes,
        "read_csv_seconds": read_s,
        "pandas_seconds": pandas_s,
        "metrics_sql_seconds": ours_s,
        "agree": agree,
    }


def machine() -> dict:
    cpu = platform.processor()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    import pandas
    import polars

    return {
        "platform": platform.platform(),
        "cpu": cpu,
        "cores": os.cpu_count(),
        "ram_gb": round(psutil.virtual_memory().total / 2**30, 1),
        "python": platform.python_version(),
        "duckdb": duckdb.__version__,
        "polars": polars.__version__,
        "pandas": pandas.__version__,
    }


def run(calls: int, runs: int, work: Path, pandas_calls: int | None) -> dict:
    work.mkdir(parents=True, exist_ok=True)
    log, db, ctas_db = work / "log.csv", work / "store.duckdb", work / "ctas.duckdb"
    for path in (db, ctas_db):
        path.unlink(missing_ok=True)
    result: dict = {"machine": machine(), "when": dt.datetime.now().isoformat(timespec="seconds")}
    s, peak = measured(
        [ridealong(), "sample", "--calls", str(calls), "--seed", "1", "--out", str(log)]
    )
    result["sample"] = {"seconds": s, "peak_bytes": peak}
    s, peak = measured([ridealong(), "ingest", str(log), "--db", str(db)])
    result["ingest"] = {"seconds": s, "peak_bytes": peak}
    ctas = 'import duckdb, sys; duckdb.connect(sys.argv[1]).execute("create table t as select * from read_csv(?)", [sys.argv[2]])'  # noqa: E501
    s, peak = measured([sys.executable, "-c", ctas, str(ctas_db), str(log)])
    result["ctas"] = {"seconds": s, "peak_bytes": peak}
    with duckdb.connect(str(db), read_only=True) as con:
        n_calls, n_notes = con.execute(
            "select (select count(*) from calls), (select count(*) from notes)"
        ).fetchone()
    result["size"] = {
        "calls": n_calls,
        "notes": n_notes,
        "csv_mb": round(log.stat().st_size / 2**20, 1),
        "store_mb": round(db.stat().st_size / 2**20, 1),
    }
    result["queries"] = bench_queries(db, runs)
    if pandas_calls:
        result["pandas"] = bench_pandas(pandas_calls, runs, work)
    return result


def table(r: dict) -> str:
    m, size, q = r["machine"], r["size"], r["queries"]

    def mb(b: int) -> str:
        return f"{b / 2**20:,.0f} MB"

    def row(name, seconds, ref="", ratio="", target=None, peak=""):
        met = "" if target is None else ("yes" if seconds <= target else "NO")
        tgt = "" if target is None else f"≤ {target:g} s"
        return f"| {name} | {seconds:.3f} | {ref} | {ratio} | {tgt} | {met} | {peak} |"

    lines = [
        f"Machine: {m['cpu']}, {m['cores']} cores, {m['ram_gb']} GB RAM; {m['platform']}; "
        f"Python {m['python']}, DuckDB {m['duckdb']}, Polars {m['polars']}, pandas {m['pandas']}"
        f" ({r['when']})",
        "",
        f"Data: {size['calls']:,} calls, {size['notes']:,} notes; CSV {size['csv_mb']:,} MB, "
        f"store {size['store_mb']:,} MB. Queries: median of runs, a different filter each run.",
        "",
        "| step | seconds | reference (s) | ratio | target | met | peak memory |",
        "|---|---|---|---|---|---|---|",
        row(
            "sample (`ridealong sample`)",
            r["sample"]["seconds"],
            target=TARGETS["sample"],
            peak=mb(r["sample"]["peak_bytes"]),
        ),
        row(
            "ingest (`ridealong ingest`)",
            r["ingest"]["seconds"],
            f"{r['ctas']['seconds']:.1f} (DuckDB CTAS)",
            f"{r['ingest']['seconds'] / r['ctas']['seconds']:.1f}×",
            TARGETS["ingest"],
            f"{mb(r['ingest']['peak_bytes'])} (CTAS {mb(r['ctas']['peak_bytes'])})",
        ),
        row("Overview (3 metrics queries)", q["overview"]["seconds"], target=TARGETS["overview"]),
        row("metrics --by manager", q["manager"]["seconds"], target=TARGETS["manager"]),
        row("metrics --by behavior", q["behavior"]["seconds"], target=TARGETS["behavior"]),
        row("metrics --by month", q["month"]["seconds"]),
    ]
    for by in ("all", "manager", "month"):
        h = q[f"hand_{by}"]
        lines.append(
            row(
                f"metrics.sql by {by} vs hand-written SQL"
                + ("" if h["agree"] else " (COUNTS DIFFER)"),
                h["metrics_sql_seconds"],
                f"{h['seconds']:.3f}",
                f"{h['metrics_sql_seconds'] / h['seconds']:.2f}×",
            )
        )
    if "pandas" in r:
        p = r["pandas"]
        lines.append(
            row(
                f"metrics.sql by manager vs pandas at {p['notes']:,} notes"
                + ("" if p["agree"] else " (COUNTS DIFFER)"),
                p["metrics_sql_seconds"],
                f"{p['pandas_seconds']:.3f} (+{p['read_csv_seconds']:.1f} read)",
                f"{p['metrics_sql_seconds'] / p['pandas_seconds']:.3f}×",
            )
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=400_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--out-dir", type=Path, default=None)
    parser.add_argument("--pandas-calls", type=int, default=400_000)
    parser.add_argument("--skip-pandas", action="store_true")
    args = parser.parse_args(argv)
    work = args.out_dir or Path(tempfile.mkdtemp(prefix="ridealong-bench-"))
    result = run(args.calls, args.runs, work, None if args.skip_pandas else args.pandas_calls)
    text = table(result)
    print(text)
    (work / "bench.md").write_text(text + "\n", encoding="utf-8")
    (work / "bench.json").write_text(json.dumps(result, indent=2, default=str), encoding="utf-8")
    print(f"\nwritten to {work}/bench.md and bench.json")
    agree = all(v.get("agree", True) for v in result["queries"].values())
    agree = agree and result.get("pandas", {}).get("agree", True)
    return 0 if agree else 1


if __name__ == "__main__":
    sys.exit(main())
