"""One store, two dashboards and the command line at once: a dashboard that writes, a
read-only replica (`serve --read-only`), and `metrics`, `imports`, `report` and `ingest` run
while both serve. Both dashboards show the import afterwards without a restart.

Expected numbers: tests/data/tiny.csv holds 14 calls; the import adds 2 (N1, N2): 16.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

from dashboard.store import Store
from tests.e2e.browser import RUN_TIMEOUT, Tab, clean_env, ridealong, start_server
from tests.expected_tiny import TINY_CSV

HEADER = "observation_id,observed_on,manager,rep,manager_action,debrief,behavior,polarity\n"
TWO_MORE = HEADER + (
    "N1,2026-03-04,Dana,Gus,observed,no,Asked good questions,praise\n"
    "N2,2026-03-05,Dana,Gus,observed,no,,\n"
)


def cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [ridealong(), *args], capture_output=True, text=True, env=clean_env(), timeout=300
    )


def calls_shown(tab: Tab) -> str:
    return tab.metrics()["Calls observed"]


def test_two_dashboards_and_the_cli_share_one_store_while_an_import_runs(
    own_server, browser, tmp_path: Path
) -> None:
    db = tmp_path / "team.duckdb"
    with Store(db) as store:
        store.ingest([TINY_CSV])
    writer = own_server(db)
    replica = start_server(tmp_path, db, options=("--read-only",))
    tabs = []
    try:
        for server in (writer, replica):
            context = browser.new_context()
            context.set_default_timeout(RUN_TIMEOUT)
            tab = Tab(context.new_page(), server.url)
            tab.watch()
            tabs.append(tab.open("/"))
        assert [calls_shown(t) for t in tabs] == ["14", "14"]
        # the command line is not turned away while two dashboards serve the store
        assert cli("metrics", "--db", str(db), "--json").returncode == 0
        assert cli("imports", "--db", str(db)).returncode == 0
        review = tmp_path / "review.html"
        done = cli("report", "--db", str(db), "--quarter", "2026-Q1", "--out", str(review))
        assert done.returncode == 0 and review.stat().st_size > 0, done.stderr
        more = tmp_path / "more.csv"
        more.write_text(TWO_MORE, encoding="utf-8")
        added = cli("ingest", str(more), "--db", str(db))
        assert added.returncode == 0, added.stderr
        # each dashboard looks for a new snapshot every few seconds and redraws by itself
        for tab in tabs:
            tab.page.get_by_test_id("stMetricValue").first.filter(has_text="16").wait_for(
                timeout=30_000
            )
            tab.settle(tab.runs)
        assert [calls_shown(t) for t in tabs] == ["16", "16"]
        # (the "Updated: 2 calls added" toast fades within seconds: test_store_pages checks it)
        assert [p for t in tabs for p in t.problems()] == []
    finally:
        for tab in tabs:
            tab.page.context.close()
        replica.stop()
