"""The Upload page in a browser: files go through the real upload widget, explored uploads
reach the other pages, problems are listed and nothing is written, an added file reaches
another browser.

Expected numbers (see tests/test_upload.py for the fixtures worked out by hand):
- upload_form_export.csv: a form tool's export (BOM, CRLF, alias headers, US dates, an extra
  Timestamp column): 6 rows, 4 calls, 5 notes.
- upload_unknown_headers.csv: only Date is recognised by name; the suggestions read the rest
  (one of them, "Person coached" as rep, unsure); with them, or with upload_mapping.json:
  4 rows, 3 calls, 3 notes.
- form_microsoft.csv (see tests/test_mapping.py): 4 rows, 4 calls (one per response ID),
  3 notes; one unsure guess ("Name" as manager).
- upload_bad_rows.csv: 5 problems on lines 3 to 7 without a mapping; the page suggests
  'shadowed' (line 5) as observed, which leaves 4.
- tiny_no_id.csv: 8 calls.
"""

from __future__ import annotations

import csv
import re
from pathlib import Path
from urllib.parse import urlparse

from playwright.sync_api import Locator, expect

from dashboard.store import Store
from tests.e2e.browser import DATA, SAMPLE, Tab, cli_metrics, kpis


def choose_file(tab: Tab, path: Path, uploader: int = 0) -> None:
    """Pick PATH in the page's UPLOADER-th file uploader, as a person choosing a file does."""
    widget = tab.main.get_by_test_id("stFileUploader").nth(uploader)
    tab.rerun(lambda: widget.locator("input[type=file]").set_input_files(path))


def click(tab: Tab, name: str | re.Pattern) -> None:
    tab.rerun(lambda: tab.main.get_by_role("button", name=name).click())


def alert(tab: Tab, text: str) -> Locator:
    return tab.main.get_by_test_id("stAlert").filter(has_text=text)


def test_a_messy_export_is_read_with_its_columns_mapped_and_explored_on_the_overview(tab):
    tab.open("/upload")
    choose_file(tab, DATA / "upload_form_export.csv")
    expect(alert(tab, "passed the check")).to_contain_text(
        "upload_form_export.csv passed the check: 6 rows, 4 calls, 5 notes."
    )
    assert tab.grid("read as") == [
        ["column in file", "read as"],
        ["Timestamp", "— not used —"],
        ["Call Date", "observed_on"],
        ["Sales Leader", "manager"],
        ["Salesperson", "rep"],
        ["Team Name", "team"],
        ["Action", "manager_action"],
        ["Debriefed", "debrief"],
        ["Feedback", "behavior"],
        ["Feedback Type", "polarity"],
    ]

    click(tab, "Explore this file")
    expect(alert(tab, "Ready to explore")).to_be_visible()
    tab.rerun(lambda: tab.main.get_by_role("link", name="Open the Overview").click())
    assert tab.page.url == f"{tab.base}/"
    expect(alert(tab, "Exploring upload_form_export.csv")).to_be_visible()
    assert tab.metrics() == kpis(cli_metrics(str(DATA / "upload_form_export.csv")))
    assert tab.metrics()["Calls observed"] == "4*"  # marked: fewer than 10 calls

    # the team's store was never touched: back to it, the sample in full
    click(tab, "Back to the team's data")
    assert tab.metrics() == kpis(cli_metrics(str(SAMPLE)))


def test_a_microsoft_forms_export_is_mapped_in_one_action_and_added(new_tab, own_server, tmp_path):
    """Dropping the file is not an action; confirming the one unsure guess is: 1 <= 3."""
    server = own_server(tmp_path / "team.duckdb")
    tab = new_tab(server.url).open("/upload")
    choose_file(tab, DATA / "form_microsoft.csv")
    actions = 0
    expect(alert(tab, "passed the check")).to_contain_text(
        "form_microsoft.csv passed the check: 4 rows, 4 calls, 3 notes."
    )
    assert dict(tab.grid("read as")[1:])["Which rep?"] == "rep"
    expect(tab.main.get_by_text("1 guess to check")).to_be_visible()
    add = tab.main.get_by_role("button", name="Add to the team's store")
    expect(add).to_be_disabled()  # not before the guess is looked at
    click(tab, "Confirm the 1 guess as shown")
    actions += 1
    expect(add).to_be_enabled()
    click(tab, "Add to the team's store")
    expect(alert(tab, "Added to the team's store")).to_contain_text("4 calls added, 0 replaced")
    assert actions <= 3
    assert tab.problems() == []
    server.stop()
    with Store(tmp_path / "team.duckdb", read_only=True) as store:
        (row,) = [r for r in store.imports() if r["file"] == "form_microsoft.csv"]
    assert row["calls_added"] == 4 and row["mapping_hash"]


def test_unknown_columns_and_values_are_mapped_by_a_saved_mapping_file(tab):
    tab.open("/upload")
    choose_file(tab, DATA / "upload_unknown_headers.csv")
    expect(alert(tab, "passed the check")).to_contain_text("4 rows, 3 calls, 3 notes.")
    expect(tab.main.get_by_text("1 guess to check")).to_be_visible()

    tab.main.get_by_text("Save or load this mapping (JSON)").click()
    choose_file(tab, DATA / "upload_mapping.json", uploader=1)
    expect(alert(tab, "Loaded")).to_have_text(
        re.compile(r"Loaded upload_mapping\.json: 6 column\(s\) and 2 value\(s\) mapped\.")
    )
    expect(alert(tab, "passed the check")).to_contain_text("4 rows, 3 calls, 3 notes.")
    read_as = dict(tab.grid("read as")[1:])
    assert read_as["Reviewer"] == "manager" and read_as["Tone"] == "polarity"


def test_a_file_with_bad_rows_lists_every_problem_and_leaves_the_store_unchanged(tab):
    tab.open("/upload")
    imports_before = tab.grid("imported at")
    # (columns: #, imported at, file, ...)
    assert [row[2] for row in imports_before[1:]] == ["ridealong_sample.csv"]

    choose_file(tab, DATA / "upload_bad_rows.csv")
    expect(alert(tab, "problems in")).to_contain_text(
        "4 problems in upload_bad_rows.csv: nothing can be explored or added"
    )
    shown = [row[:4] for row in tab.grid("problem")]
    assert shown == [
        ["file", "line", "column", "value"],
        ["upload_bad_rows.csv", "3", "observed_on", "2026-13-45"],
        ["upload_bad_rows.csv", "4", "manager", "(empty)"],
        ["upload_bad_rows.csv", "6", "polarity", "meh"],
        ["upload_bad_rows.csv", "7", "manager_action", '=HYPERLINK("http://x")'],
    ]
    assert tab.main.get_by_role("button", name=re.compile("Explore|Add to")).count() == 0

    # the problems download, with the formula a spreadsheet would run defused
    with tab.page.expect_download() as download:
        tab.main.get_by_role("button", name="Download problems").click()
    assert download.value.suggested_filename == "ridealong_problems.csv"
    with open(download.value.path(), newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    assert [(r["line"], r["value"]) for r in rows] == [
        ("3", "2026-13-45"),
        ("4", ""),
        ("6", "meh"),
        ("7", '\'=HYPERLINK("http://x")'),
    ]

    # nothing was written: the imports log is as it was, and the Overview shows the sample
    assert tab.grid("imported at") == imports_before
    nav = tab.page.get_by_test_id("stSidebarNav")
    tab.rerun(lambda: nav.get_by_role("link", name="Overview").click())
    assert tab.metrics() == kpis(cli_metrics(str(SAMPLE)))


def test_a_file_added_to_the_store_reaches_another_browser_on_its_next_rerun(
    new_tab, own_server, tmp_path
):
    db = tmp_path / "team.duckdb"
    with Store(db) as store:  # a team store that already holds tiny_no_id.csv (8 calls)
        store.ingest([DATA / "tiny_no_id.csv"])
    server = own_server(db)

    reader = new_tab(server.url).open("/")
    assert reader.metrics() == kpis(cli_metrics(str(DATA / "tiny_no_id.csv")))
    assert reader.metrics()["Calls observed"] == "8*"  # marked: fewer than 10 calls

    writer = new_tab(server.url).open("/upload")
    choose_file(writer, DATA / "upload_form_export.csv")
    click(writer, "Add to the team's store")
    expect(alert(writer, "Added to the team's store")).to_contain_text(
        "Added to the team's store: 4 calls added, 0 replaced."
    )

    # the reader's next interaction reruns its page on the new data, all of it: the new calls
    # are older than the reader's first view, whose date range was the whole of the data
    reader.rerun(lambda: reader.main.get_by_role("radio", name="quarter").click())
    both = kpis(cli_metrics(str(DATA / "tiny_no_id.csv"), str(DATA / "upload_form_export.csv")))
    assert reader.metrics() == both
    assert both["Calls observed"] == "12"
    assert urlparse(reader.page.url).query == ""  # no date filter the reader never chose

    server.stop()  # the store is the server's until it stops
    with Store(db, read_only=True) as store:
        log = [(r["file"], r["source"], r["calls_added"]) for r in store.imports()]
    assert log == [("upload_form_export.csv", "upload", 4), ("tiny_no_id.csv", "file", 8)]
