"""Writes to a big store: what adding a small file costs, and that readers keep going.

    python -m tests.benchmarks.store_writes [--calls 400000] [--add 17] [--runs 3] [--dir DIR]

1. `ridealong sample --calls N --seed 1` and `ridealong ingest` of it into a fresh store (400,000
   calls is the 1-million-note store of the README; 4,000,000 the 10-million-note one: do not run
   that on a shared machine).
2. `--add` new calls (a log of its own, new observation_ids, existing reps) added with
   `ridealong ingest`, `--runs` times, each on the store the previous one left; each run is
   timed as a whole (a child process, Python start-up included) and split into the ingest's own
   steps (validate, copy the snapshot, write, derive, publish) as Store.ingest reports them.
3. While one more such add runs, a reader process queries the store in a loop: its slowest
   query and how many it ran (it never waits for the writer).

Figures are printed, never asserted (targets: the 17-call add to the 1-million-note store
<= 1 s; a 1,000-call add to the 10-million-note store <= 5 s).
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HEADER = "observation_id,observed_on,manager,rep,manager_action,debrief,behavior,polarity\n"

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

TIMED_ADD = """
import json, sys, time
from dashboard.store import Store
started = time.perf_counter()
with Store(sys.argv[1]) as store:
    result = store.ingest([sys.argv[2]])
print("\\n" + json.dumps({"total": time.perf_counter() - started, **result.timings}))
"""


def ridealong(*args: str) -> None:
    subprocess.run([sys.executable, "-m", "dashboard.cli", *args], check=True)


def small_log(path: Path, calls: int, run: int) -> Path:
    with path.open("w", encoding="utf-8") as f:
        f.write(HEADER)
        for i in range(calls):
            # five reps of their own: what a small form export brings
            f.write(f"ADD{run}-{i},2026-06-{i % 28 + 1:02d},M{i % 3},R{i % 5},observed,yes,")
            f.write("Asked good questions,praise\n")
    return path


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--calls", type=int, default=400_000)
    parser.add_argument("--add", type=int, default=17)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--dir", type=Path, default=None)
    args = parser.parse_args()
    folder = args.dir or Path(tempfile.mkdtemp(prefix="ridealong-bench-writes-"))
    folder.mkdir(parents=True, exist_ok=True)
    log, db = folder / "sample.csv", folder / "team.duckdb"
    if not log.exists():
        ridealong("sample", "--calls", str(args.calls), "--seed", "1", "--out", str(log))
    if not db.exists():
        started = time.perf_counter()
        ridealong("ingest", str(log), "--db", str(db))
        print(f"full ingest of {args.calls:,} calls: {time.perf_counter() - started:.1f} s")
    print(f"store: {db.stat().st_size / 2**20:,.0f} MiB")
    import json

    figures = []
    for run in range(args.runs):
        small = small_log(folder / f"add{run}.csv", args.add, run)
        out = subprocess.run(
            [sys.executable, "-c", TIMED_ADD, str(db), str(small)],
            check=True,
            capture_output=True,
            text=True,
        )
        figures.append(json.loads(out.stdout.strip().splitlines()[-1]))
        shown = ", ".join(f"{k} {v:.2f}" for k, v in figures[-1].items())
        print(f"add {args.add} calls, run {run + 1}: {shown}")
    totals = [f["total"] for f in figures]
    print(f"add {args.add} calls: median {statistics.median(totals):.2f} s (target <= 1 s at 1M)")
    reader = subprocess.Popen(
        [sys.executable, "-c", READER, str(db), "20"], stdout=subprocess.PIPE, text=True
    )
    time.sleep(1)
    small = small_log(folder / "add_during.csv", args.add, args.runs)
    ridealong("ingest", str(small), "--db", str(db))
    worst, runs = reader.communicate()[0].split()
    print(f"a reader during that add: {runs} queries, slowest {float(worst):.3f} s")


if __name__ == "__main__":
    main()
