"""How long the Overview takes to repaint after a filter change, in a real browser.

    python -m tests.benchmarks.repaint --calls 400000 [--runs 5] [--out-dir DIR]
    python -m tests.benchmarks.repaint --csv LOG.csv [--runs 5] [--out-dir DIR]

The issue's target: at 1 million notes, a filter change in the browser repaints the Overview
within 1.5 s (400,000 generated calls hold about 1 million notes).

Steps:

1. `ridealong sample --calls N --seed 1` (unless --csv names a log), then `ridealong ingest` of
   the log into a fresh store.
2. `ridealong serve` on that store (tests/e2e/browser.py's `start_server`), and the Overview
   opened in Debian's Chromium through Playwright; its first run is drawn before timing starts.
3. RUNS times: open the sidebar's Team filter, type a team's name and click its option. Each
   run adds another team, so every run asks for figures no run asked for before (Streamlit's
   query cache cannot answer). The run is over when tests/e2e/browser.py's `Tab.settle` says
   so: the server finished the script run, no run in progress, nothing stale, every chart
   drawn, and the page unchanged and the browser idle.

Each run is timed on the page's own clock (performance.now), from the press on the option to
the last change inside the main area (the Overview's tiles, charts and tables; not the sidebar
or the list of teams): the repaint, the figure held against the target. It is split at the
changes of the stApp element's data-test-script-state, which the frontend sets from the
server's messages: "to start" (the press, the frontend's rerun request, the server starting the
script), "script run" (the server running the page script, its queries included; the frontend
draws the elements as they arrive) and "after" (what the main area still drew once the run had
finished). "settled" is the wall time until `Tab.settle` returned: the whole page quiet and the
browser idle, plus the quiet time it waits to be sure (an upper bound).
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from playwright.sync_api import sync_playwright

from dashboard import metrics
from dashboard.store import Store
from tests.e2e.browser import (
    CHROMIUM,
    LAUNCH_ARGS,
    RUN_TIMEOUT,
    VIEWPORT,
    Tab,
    clean_env,
    ridealong,
    start_server,
)

TARGET_S = 1.5
TARGET_NOTES = 1_000_000

# On the page's clock: the last press of a pointer, every change of the script state (stApp's
# data-test-script-state) and the last change inside the main area (the Overview itself, not
# the sidebar or the list of teams).
TIMELINE = """
window.__repaintStates = [];
addEventListener("pointerdown", () => { window.__repaintPressed = performance.now(); }, true);
new MutationObserver((changes) => {
  for (const c of changes) {
    window.__repaintStates.push([c.target.getAttribute(c.attributeName), performance.now()]);
  }
}).observe(document, {subtree: true, attributeFilter: ["data-test-script-state"]});
const inMain = (node) =>
  (node.nodeType === 1 ? node : node.parentElement)?.closest("[data-testid=stMain]");
new MutationObserver((changes) => {
  if (changes.some((c) => inMain(c.target))) window.__repaintMainChanged = performance.now();
}).observe(document, {subtree: true, childList: true, characterData: true, attributes: true});
"""
READ_TIMELINE = """
() => ({pressed: window.__repaintPressed, states: window.__repaintStates,
        changed: window.__repaintMainChanged})
"""


@dataclass
class Run:
    team: str
    calls_shown: str  # the "Calls observed" tile after the run
    repaint_s: float  # press -> the last change in the main area
    start_s: float  # press -> the script run started
    script_s: float  # the script run, started -> finished
    after_s: float  # finished -> the last change in the main area (0 if none after)
    settled_s: float  # wall time until Tab.settle returned


def ridealong_command(*args: str) -> None:
    """Run `ridealong ARGS...`; its output is shown only when it fails."""
    done = subprocess.run([ridealong(), *args], capture_output=True, text=True, env=clean_env())
    if done.returncode != 0:
        raise RuntimeError(f"ridealong {' '.join(args)} failed:\n{done.stdout}{done.stderr}")


def build_store(folder: Path, calls: int, csv: Path | None) -> Path:
    """A fresh store in FOLDER holding CSV, or else a log of CALLS calls generated there."""
    if csv is None:
        csv = folder / f"log-{calls}.csv"
        ridealong_command("sample", "--calls", str(calls), "--seed", "1", "--out", str(csv))
    db = folder / "store.duckdb"
    for old in (db, db.with_name(db.name + ".wal")):  # a kept --out-dir's previous store
        old.unlink(missing_ok=True)
    ridealong_command("ingest", str(csv), "--db", str(db))
    return db


def size_and_teams(db: Path) -> tuple[int, int, list[str]]:
    """Calls, notes and the team names in the store."""
    with Store(db, read_only=True) as store:
        everything = metrics.metrics_frame(store.con).row(0, named=True)
        teams = metrics.unscoped(store.con)("data_range").row(0, named=True)["teams"] or []
    return everything["calls"], everything["notes"], [t for t in teams if t]


def pick_teams(teams: list[str], runs: int) -> list[str]:
    """RUNS different teams, spread over the sorted list."""
    if runs > len(teams):
        raise SystemExit(f"--runs {runs}: the store has only {len(teams)} teams (one per run)")
    return [teams[i * len(teams) // runs] for i in range(runs)]


def add_team(tab: Tab, team: str) -> Run:
    """Add TEAM to the sidebar's Team filter and time the repaint that follows."""
    tab.sidebar_widget("stMultiSelect", "Team").locator("input").click()  # not on a chip
    tab.page.keyboard.type(team)
    option = tab.page.get_by_role("option", name=team, exact=True)
    option.wait_for()
    started = time.perf_counter()
    tab.rerun(option.click)
    settled = time.perf_counter() - started
    seen = tab.page.evaluate(READ_TIMELINE)
    pressed, changed = seen["pressed"], seen["changed"]
    states = [(state, t) for state, t in seen["states"] if t > pressed]
    # (a run too quick for the page to ever show it running starts at the press)
    running = next((t for state, t in states if state == "running"), pressed)
    finished = [t for state, t in states if state == "notRunning"][-1]
    run = Run(
        team=team,
        calls_shown=tab.metrics().get("Calls observed", "?"),
        repaint_s=(changed - pressed) / 1000,
        start_s=(running - pressed) / 1000,
        script_s=(finished - running) / 1000,
        after_s=max(changed - finished, 0) / 1000,  # the main area may be done before
        settled_s=settled,
    )
    tab.page.keyboard.press("Escape")  # close the list of teams
    return run


def measure(db: Path, folder: Path, teams: list[str]) -> tuple[list[Run], list[str]]:
    """Serve DB, open the Overview and add each of TEAMS in turn: the runs, and what went
    wrong (console errors, requests off 127.0.0.1, a run that left the tiles unchanged)."""
    server = start_server(folder, db)
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=LAUNCH_ARGS)
            try:
                context = browser.new_context(viewport=VIEWPORT)
                context.set_default_timeout(RUN_TIMEOUT)
                context.add_init_script(TIMELINE)
                tab = Tab(context.new_page(), server.url)
                tab.watch()
                shown = tab.open("/").metrics().get("Calls observed", "?")
                runs, problems = [], []
                for team in teams:
                    runs.append(add_team(tab, team))
                    if runs[-1].calls_shown == shown:
                        problems.append(f"adding {team} left the tiles at {shown} calls")
                    shown = runs[-1].calls_shown
                return runs, problems + tab.problems()
            finally:
                browser.close()
    finally:
        server.stop()


def table(calls: int, notes: int, runs: Sequence[Run]) -> str:
    """The printed report: one line per run, the medians and the verdict."""

    def median(seconds: Callable[[Run], float]) -> float:
        return statistics.median(seconds(r) for r in runs)

    width = max(len("filter: + team"), *(len(r.team) for r in runs)) + 2
    head = (
        f"{'run':>3}  {'filter: + team':<{width}}{'calls shown':>11}  {'repaint s':>9}  "
        f"{'to start s':>10}  {'script run s':>12}  {'after s':>7}  {'settled s':>9}"
    )
    lines = [
        "Overview repaint after a filter change (Chromium, `ridealong serve`)",
        f"data: {calls:,} calls, {notes:,} notes",
        "",
        head,
        "-" * len(head),
    ]
    for i, r in enumerate(runs, 1):
        lines.append(
            f"{i:>3}  {r.team:<{width}}{r.calls_shown:>11}  {r.repaint_s:>9.3f}  "
            f"{r.start_s:>10.3f}  {r.script_s:>12.3f}  {r.after_s:>7.3f}  {r.settled_s:>9.3f}"
        )
    repaint = median(lambda r: r.repaint_s)
    lines += [
        "-" * len(head),
        f"median repaint: {repaint:.3f} s (to start {median(lambda r: r.start_s):.3f} s, "
        f"script run {median(lambda r: r.script_s):.3f} s, after {median(lambda r: r.after_s):.3f}"
        f" s; settled {median(lambda r: r.settled_s):.3f} s)",
        f"target: within {TARGET_S} s at {TARGET_NOTES:,} notes: "
        + ("MET" if repaint <= TARGET_S else "NOT MET")
        + ("" if notes >= TARGET_NOTES else f" (this store holds {notes:,} notes)"),
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tests.benchmarks.repaint",
        description="Time the Overview's repaint in Chromium after a filter change.",
    )
    source = parser.add_mutually_exclusive_group()
    source.add_argument("--calls", type=int, default=400_000, help="calls to generate")
    source.add_argument("--csv", type=Path, help="a log to import instead of generating one")
    parser.add_argument("--runs", type=int, default=5, help="filter changes timed (median)")
    parser.add_argument(
        "--out-dir", type=Path, help="keep the log, the store and the server's log here"
    )
    args = parser.parse_args(argv)
    if not CHROMIUM.exists():
        print(f"needs Debian's Chromium at {CHROMIUM}: apt-get install -y chromium")
        return 2

    with tempfile.TemporaryDirectory(prefix="ridealong-repaint-") as scratch:
        folder = args.out_dir or Path(scratch)
        folder.mkdir(parents=True, exist_ok=True)
        db = build_store(folder, args.calls, args.csv)
        calls, notes, teams = size_and_teams(db)
        runs, problems = measure(db, folder, pick_teams(teams, args.runs))
    print(table(calls, notes, runs))
    if args.out_dir:
        print(f"Kept: {args.out_dir} (log, store, server log)")
    for problem in problems:
        print(f"PROBLEM: {problem}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
