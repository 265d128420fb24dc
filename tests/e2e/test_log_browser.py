"""Log a ride-along in a browser as wide as a phone (390 px): the form is filled through its
widgets, the call is saved, the Overview counts it (and its open debrief), and after the
server stops `ridealong metrics --db` shows the same figures.

Expected numbers: the store holds tests/data/tiny.csv (14 calls; 11 with a known debrief, 5
debriefed). The logged call (debrief later) makes 15 calls, the debrief rate stays 5/11 =
45% (later counts as unknown), and it is the one open debrief.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from playwright.sync_api import expect

from dashboard.store import Store
from tests.e2e.browser import RUN_TIMEOUT, Tab, clean_env, kpis, ridealong
from tests.expected_tiny import TINY_CSV

PHONE = {"width": 390, "height": 844}


def choose(tab: Tab, label: str, text: str) -> None:
    """Type into the select box LABEL and take what was typed (or the option it finds)."""
    box = tab.main.get_by_test_id("stSelectbox").filter(has_text=label)
    box.click()
    tab.page.keyboard.type(text)
    tab.rerun(lambda: tab.page.keyboard.press("Enter"))


def pick(tab: Tab, label: str, option: str) -> None:
    """Click OPTION of the radio group LABEL."""
    group = tab.main.get_by_test_id("stRadio").filter(has_text=label)
    tab.rerun(lambda: group.get_by_text(option, exact=True).click())


def fits(tab: Tab) -> bool:
    """Nothing on the page is wider than the window (no sideways scrolling)."""
    return tab.page.evaluate(
        "() => [...document.querySelectorAll('[data-testid=stMain], html, body')]"
        ".every((e) => e.scrollWidth <= e.clientWidth + 1)"
    )


def test_a_ride_along_logged_on_a_phone_is_counted_on_the_overview_and_by_the_cli(
    own_server, browser, tmp_path: Path, screenshots: Path
):
    db = tmp_path / "team.duckdb"
    with Store(db) as store:
        store.ingest([TINY_CSV])
    server = own_server(db)
    context = browser.new_context(viewport=PHONE, accept_downloads=True, is_mobile=True)
    context.set_default_timeout(RUN_TIMEOUT)
    tab = Tab(context.new_page(), server.url)
    tab.watch()
    try:
        tab.open("/log")
        assert fits(tab)
        choose(tab, "You (the manager", "Maria")
        choose(tab, "Rep", "Ana")
        pick(tab, "What you did on the call", "Assisted")
        choose(tab, "Behaviour 1", "Built rapport")
        polarity = tab.main.get_by_test_id("stButtonGroup").first
        tab.rerun(lambda: polarity.get_by_text("Praise", exact=True).click())
        pick(tab, "Debrief held", "Later")
        save = tab.main.get_by_role("button", name="Save the ride-along")
        box = save.bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"]
        tab.rerun(lambda: save.click())
        expect(tab.main.get_by_test_id("stAlert").filter(has_text="Saved: Ana")).to_be_visible()
        expect(tab.main.get_by_text("Open debriefs: 1")).to_be_visible()
        # the form is empty again for the next call
        for label in ("What you did on the call", "Debrief held"):
            radios = tab.main.get_by_test_id("stRadio").filter(has_text=label)
            assert radios.locator("input:checked").count() == 0
        rep = tab.main.get_by_test_id("stSelectbox").filter(has_text="Rep")
        expect(rep).not_to_contain_text("Ana")
        assert fits(tab)
        tab.page.screenshot(path=screenshots / "log_390.png", full_page=True)

        tab.open("/")
        shown = tab.metrics()
        assert shown["Calls observed"] == "15"
        assert shown["Debrief rate"] == "45%"
        link = tab.main.get_by_role("link", name="Open debriefs: 1 call of the last 14 days")
        expect(link).to_be_visible()
        assert tab.exceptions() == []
        assert tab.problems() == []
        tab.rerun(lambda: link.click())  # the count opens the page that lists them
        expect(tab.main.get_by_role("heading", name="Log a ride-along")).to_be_visible()
    finally:
        context.close()

    server.stop()  # DuckDB lets one process write a store: the CLI reads it once it is free
    out = subprocess.run(
        [ridealong(), "metrics", "--json", "--db", str(db)],
        capture_output=True,
        text=True,
        check=True,
        env=clean_env(),
    )
    figures = json.loads(out.stdout)
    assert figures["calls"] == 15
    assert kpis(figures) == shown
    with Store(db, read_only=True) as store:
        last = store.imports(1)[0]
    assert (last["source"], last["calls_added"]) == ("form", 1)
