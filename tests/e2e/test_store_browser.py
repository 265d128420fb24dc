"""One store, two dashboards and the command line at once: a dashboard that writes, a
read-only replica (`serve --read-only`), and `metrics`, `imports`, `report` and `ingest` run
while both serve. Both dashboards show the import afterwards without a restart.

Expected numbers: tests/data/tiny.csv holds 14 calls, 8 of them Maria's (C1, C3, C6, C7, C9,
C10, C13, C14); the import adds 2 more of Maria's (N1, N2): 16, and 10 of Maria's.
The Overview marks a count below the small-sample threshold with an asterisk (8*).
"""

from __future__ import annotations

import subprocess
from pathlib import Path

from dashboard.store import Store
from tests.e2e.browser import RUN_TIMEOUT, Tab, clean_env, ridealong, start_server
from tests.expected_tiny import TINY_CSV

HEADER = "observation_id,observed_on,manager,rep,manager_action,debrief,behavior,polarity\n"
TWO_MORE = HEADER + (
    "N1,2026-03-04,Maria,Gus,observed,no,Asked good questions,praise\n"
    "N2,2026-03-05,Maria,Gus,observed,no,,\n"
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
        # the writer's tab filtered on Maria (the filter is in the URL): the redraw keeps it
        for server, path in ((writer, "/?manager=Maria"), (replica, "/")):
            context = browser.new_context()
            context.set_default_timeout(RUN_TIMEOUT)
            tab = Tab(context.new_page(), server.url)
            tab.watch()
            tabs.append(tab.open(path))
        assert [calls_shown(t) for t in tabs] == ["8*", "14"]
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
        for tab, calls in zip(tabs, ("10", "16"), strict=True):
            tab.page.get_by_test_id("stMetricValue").first.filter(has_text=calls).wait_for(
                timeout=30_000
            )
            tab.settle(tab.runs)
        assert [calls_shown(t) for t in tabs] == ["10", "16"]
        assert "manager=Maria" in tabs[0].page.url
        # (the "Updated: 2 calls added" toast fades within seconds: test_store_pages checks it)
        assert [p for t in tabs for p in t.problems()] == []
    finally:
        for tab in tabs:
            tab.page.context.close()
        replica.stop()
