"""Writes to a big store: what adding a small file costs, and that readers keep going.

    python -m tests.benchmarks.store_writes [--calls 400000] [--add 17] [--reps N] [--runs 3]
        [--dir DIR]

1. `ridealong sample --calls N --seed 1` and `ridealong ingest` of it into a fresh store (400,000
   calls is the 1-million-note store of the README; 4,000,000 the 10-million-note one: do not run
   that on a shared machine). The full ingest is timed and split into its steps (validate, write
   calls and notes, derive, save), with its peak memory.
2. `--add` new calls (a log of its own: new observation_ids, two notes each, on reps already in
   the store — `--reps` of them, one per call by default, the most a file of that size can
   touch — on dates across the store's range) added `--runs` times, each on the store the
   previous one left. Each run is timed as a whole (a child process, Python start-up included)
   and split into the ingest's own steps (validate, copy the snapshot, write, derive, publish)
   as Store.ingest reports them, with what the write re-derived (the reps it touched).
3. While one more such add runs, a reader process queries the store in a loop: its slowest
   query and how many it ran (it never waits for the writer).

Without --dir the work folder is a temporary one, removed at the end. Figures are printed,
never asserted (targets: the 17-call add to the 1-million-note store <= 1 s; a 1,000-call add to
the 10-million-note store <= 5 s; the full ingest of 10 million notes <= 60 s).
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import datetime as dt
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HEADER = [
    "observation_id",
    "observed_on",
    "team",
    "manager",
    "rep",
    "manager_action",
    "debrief",
    "behavior",
    "polarity",
]

READER = """
import sys, time
from dashboard.store import Store
store = Store(sys.argv[1], read_only=True)
worst, runs, end = 0.0, 0, time.monotonic() + float(sys.argv[2])
while time.monotonic() < end:
    started = time.perf_counter()
    store.refresh()
    store.cursor().execute("select count(*), sum(notes) from call_facts").fetchone()
    worst, runs = max(worst, time.perf_counter() - started), runs + 1
print(f"{worst:.3f} {runs}")
"""

TIMED_INGEST = """
import json, resource, sys, time
from dashboard.store import Store
started = time.perf_counter()
with Store(sys.argv[1]) as store:
    result = store.ingest([sys.argv[2]])
figures = {"total": time.perf_counter() - started, **result.timings}
figures["peak memory GB"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20
print("\\n" + json.dumps({"figures": figures, "derived": result.derived}))
"""

# reps already in the store (a fixed pseudo-random choice), with a manager and team of theirs;
# the store's date range; its behaviour labels
ROSTER = """
select rep, any_value(manager), any_value(team)
from call_facts group by rep order by hash(rep) limit ?
"""


def ridealong(*args: str) -> None:
    subprocess.run([sys.executable, "-m", "dashboard.cli", *args], check=True)


def timed_ingest(db: Path, log: Path) -> tuple[dict[str, float], str]:
    """Store.ingest of `log` in a child process: its timings and what it re-derived."""
    out = subprocess.run(
        [sys.executable, "-c", TIMED_INGEST, str(db), str(log)],
        check=True,
        capture_output=True,
        text=True,
    )
    found = json.loads(out.stdout.strip().splitlines()[-1])
    return found["figures"], found["derived"]


def shown(figures: dict[str, float]) -> str:
    return ", ".join(f"{k} {v:.2f}" for k, v in figures.items())


def small_log(db: Path, path: Path, calls: int, reps: int, run: int) -> Path:
    """`calls` new calls on `reps` existing reps, dates spread over the store's range."""
    from dashboard.store import Store

    with Store(db, read_only=True) as store:
        cur = store.cursor()
        roster = cur.execute(ROSTER, [reps]).fetchall()
        first, last = cur.execute(
            "select min(observed_on), max(observed_on) from call_facts"
        ).fetchone()
        found = cur.execute("select label from behaviors order by label").fetchall()
    labels = [r[0] for r in found]
    days = (last - first).days
    with path.open("w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(HEADER)
        for i in range(calls):
            rep, manager, team = roster[i % len(roster)]
            day = first + dt.timedelta(days=(i * 7919 + run * 31) % (days + 1))
            for polarity, label in (
                ("praise", labels[i % len(labels)]),
                ("criticism", labels[(i * 7 + 3) % len(labels)]),
            ):
                row = [f"ADD{run}-{i}", day.isoformat(), team or "", manager, rep]
                writer.writerow([*row, "observed", "yes" if i % 2 else "no", label, polarity])
    return path


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--calls", type=int, default=400_000)
    parser.add_argument("--add", type=int, default=17)
    parser.add_argument("--reps", type=int, default=None, help="reps the added calls go to")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--dir", type=Path, default=None)
    parser.add_argument("--reader-seconds", type=float, default=20.0)
    args = parser.parse_args()
    with contextlib.ExitStack() as stack:
        if args.dir is None:
            temp = stack.enter_context(tempfile.TemporaryDirectory(prefix="ridealong-bench-"))
            folder = Path(temp)
        else:
            folder = args.dir
            folder.mkdir(parents=True, exist_ok=True)
        run(folder, args)


def run(folder: Path, args: argparse.Namespace) -> None:
    log, db = folder / "sample.csv", folder / "team.duckdb"
    if not log.exists():
        ridealong("sample", "--calls", str(args.calls), "--seed", "1", "--out", str(log))
    if not db.exists():
        figures, _ = timed_ingest(db, log)
        print(f"full ingest of {args.calls:,} calls: {shown(figures)}")
    print(f"store: {db.stat().st_size / 2**20:,.0f} MiB")
    reps = args.reps or args.add
    figures = []
    for number in range(args.runs):
        small = small_log(db, folder / f"add{number}.csv", args.add, reps, number)
        found, derived = timed_ingest(db, small)
        figures.append(found)
        print(f"add {args.add} calls, run {number + 1}: {shown(found)}; re-derived {derived}")
    totals = [f["total"] for f in figures]
    derives = [f["derive"] for f in figures]
    print(
        f"add {args.add} calls on {reps} reps: median {statistics.median(totals):.2f} s, "
        f"derive {statistics.median(derives):.2f} s "
        "(targets: 17 calls at 1M notes <= 1 s; 1,000 calls at 10M notes <= 5 s)"
    )
    reader = subprocess.Popen(
        [sys.executable, "-c", READER, str(db), str(args.reader_seconds)],
        stdout=subprocess.PIPE,
        text=True,
    )
    time.sleep(1)
    small = small_log(db, folder / "add_during.csv", args.add, reps, args.runs)
    ridealong("ingest", str(small), "--db", str(db))
    worst, runs = reader.communicate()[0].split()
    print(f"a reader during that add: {runs} queries, slowest {float(worst):.3f} s")


if __name__ == "__main__":
    main()
