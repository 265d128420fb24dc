"""The Upload page (issue 5) and the helpers it adds to the importer, the store and common.

Expected numbers are worked out by hand from the fixtures:
- tiny.csv: 25 rows, 14 calls, 23 notes (see tests/expected_tiny.py).
- tiny_no_id.csv: 12 rows, 8 calls, 11 notes (see tests/expected_tiny.py).
- upload_form_export.csv (a form tool's export: UTF-8 BOM, CRLF line ends, alias headers,
  US dates, a Timestamp column nobody asked for, a quoted comma): 6 rows; calls are keyed by
  date + manager + rep:
      03/02/2026 Maria Lopez / Ana Ruiz   Observed   2 notes: Asked good questions (Positive),
                                                     Talked over customer (Negative)
      03/03/2026 Tom Berg / Ben Okafor    Took over  1 note: Skipped agenda (Negative)
      03/12/2026 Maria Lopez / Cleo Park  jumped in  no notes
      3/13/2026  Tom Berg / Ana Ruiz      assist     2 notes: Built rapport (+),
                                                     "Clear next steps, agreed" (praise)
  -> 4 calls, 5 notes (3 praise, 2 criticism); took_over 2 (Took over, jumped in), assisted 1,
  observed 1. Read day-first, 3/13/2026 has no month 13: lines 6 and 7 are not dates.
- upload_bad_rows.csv: line 3 date 2026-13-45, line 4 no manager, line 5 action 'shadowed',
  line 6 polarity 'meh', line 7 action '=HYPERLINK("http://x")' -> 5 problems without a
  mapping; on the page 'shadowed' is suggested as observed, which leaves 4.
- upload_unknown_headers.csv: only Date is recognised; Reviewer, Person coached, What the
  leader did, Comment, Tone map to manager, rep, manager_action, behavior, polarity. Then
  'Shadowed' (line 4) and 'shadowed' (line 5) are one unknown action, 'kudos' (line 4) an
  unknown polarity. Mapped: 4 rows, 3 calls (R1 twice, R2, R3 keyed by date+manager+rep),
  3 notes.
"""

from __future__ import annotations

import datetime as dt
import tempfile
import threading
from pathlib import Path

import polars as pl
import pytest

from dashboard import importer, mapping, metrics
from dashboard.store import Store, locked_ingest
from dashboard.views import common

DATA = Path(__file__).resolve().parent / "data"
PAGE = "views/upload.py"
UNKNOWN_HEADERS = {
    "Reviewer": "manager",
    "Person coached": "rep",
    "What the leader did": "manager_action",
    "Comment": "behavior",
    "Tone": "polarity",
}


# ---- helpers -------------------------------------------------------------------------------


def upload(at, *names: str, content: dict[str, bytes] | None = None):
    """Drop files from tests/data (or given bytes) on the page's uploader and rerun."""
    content = content or {}
    files = [(n, content.get(n) or (DATA / n).read_bytes(), "text/csv") for n in names]
    at.file_uploader(key="upl_files").set_value(files).run()
    assert not at.exception, at.exception
    return at


def texts(elements) -> list[str]:
    return [e.value for e in elements]


def problems_shown(at) -> list[tuple]:
    """(file, line, column, value) of the problems table on the page. No cell is empty (a
    browser shows an empty cell as "None"): no line or column is "", an empty value
    "(empty)"."""
    frame = next(d.value for d in at.dataframe if "problem" in d.value.columns)
    assert not frame.isna().any().any(), frame
    return [
        (r.file, int(r.line) if r.line else None, r.column or None, r.value or None)
        for r in frame.itertuples()
    ]


def team(db: Path) -> Store:
    """The team's store as the page sees it (the Store shared by every session)."""
    return common.team_store(str(db))


def calls_in(store: Store) -> int:
    return store.cursor().execute("select count(*) from calls").fetchone()[0]


def metric(at, label: str) -> str:
    return next(m.value for m in at.metric if m.label == label)


# ---- shared helpers: formula escaping, preview, unknown values, mapping file, lock ---------


def test_csv_safe_escapes_cells_that_a_spreadsheet_would_run_as_formulas():
    frame = pl.DataFrame(
        {
            "value": ["=1+1", "+SUM(A1)", "-2", "@cmd", "plain", "a=b", None],
            "n": [1, 2, -3, 4, 5, 6, 7],
        }
    )
    safe = common.csv_safe(frame)
    assert safe["value"].to_list() == ["'=1+1", "'+SUM(A1)", "'-2", "'@cmd", "plain", "a=b", None]
    assert safe["n"].to_list() == [1, 2, -3, 4, 5, 6, 7]  # numbers are not text: untouched
    lines = common.csv_bytes(frame).decode().splitlines()
    assert lines[0] == "value,n"
    assert lines[1:5] == ["'=1+1,1", "'+SUM(A1),2", "'-2,-3", "'@cmd,4"]


def test_preview_reports_headers_mapping_ignored_columns_and_first_rows_unvalidated():
    pv = importer.preview(DATA / "upload_unknown_headers.csv", 3)
    assert pv.headers == [
        "Ride ID",
        "Date",
        "Reviewer",
        "Person coached",
        "What the leader did",
        "Comment",
        "Tone",
    ]
    assert pv.columns == {"observed_on": "Date"}
    assert pv.ignored == [h for h in pv.headers if h != "Date"]
    assert pv.problems == [
        "missing required column 'manager'",
        "missing required column 'rep'",
        "missing required column 'manager_action'",
    ]
    assert pv.rows == 4
    assert pv.first[2] == ("R2", "2026-06-02", "Tom", "Ben", "Shadowed", "Built rapport", "kudos")
    assert len(pv.first) == 3

    mapped = importer.preview(
        DATA / "upload_unknown_headers.csv", 1, header_overrides=UNKNOWN_HEADERS
    )
    assert mapped.columns["manager"] == "Reviewer"
    assert mapped.ignored == ["Ride ID"]
    assert mapped.problems == []


def test_preview_of_the_form_export_strips_the_bom_and_finds_the_aliases():
    pv = importer.preview(DATA / "upload_form_export.csv")
    assert pv.headers[0] == "Timestamp"
    assert pv.columns == {
        "observed_on": "Call Date",
        "manager": "Sales Leader",
        "rep": "Salesperson",
        "team": "Team Name",
        "manager_action": "Action",
        "debrief": "Debriefed",
        "behavior": "Feedback",
        "polarity": "Feedback Type",
    }
    assert pv.ignored == ["Timestamp"]
    assert pv.first[5][7] == "Clear next steps, agreed"


def test_preview_of_an_unsupported_file_names_the_file_and_what_is_accepted(tmp_path):
    path = tmp_path / "log.docx"
    path.write_bytes(b"nope")
    with pytest.raises(importer.ImportFailed) as caught:
        importer.preview(path, display_name="Q3 log.docx")
    (problem,) = caught.value.problems
    assert problem.file == "Q3 log.docx"
    assert "accepted: CSV" in problem.message


def test_unrecognised_answers_list_each_spelling_once_with_its_rows():
    """From the importer's problems (their field and code, not their words): "Shadowed" on
    2 rows, "kudos" on 1. (The mapping file's round trip and its errors: tests/test_mapping.py.)"""
    store = Store(None)
    with pytest.raises(importer.ImportFailed) as caught:
        store.ingest([DATA / "upload_unknown_headers.csv"], header_overrides=UNKNOWN_HEADERS)
    found = mapping.unrecognized(caught.value.problems)
    assert {f: v for f, v in found.items() if v} == {
        "manager_action": {"Shadowed": 2},
        "polarity": {"kudos": 1},
    }


def test_locked_ingest_lets_two_threads_write_one_shared_store_in_turn(tmp_path):
    store = Store(tmp_path / "shared.duckdb")
    results, errors = {}, []

    def add(name: str) -> None:
        try:
            results[name] = locked_ingest(store, [DATA / name], source="upload")
        except Exception as exc:  # pragma: no cover - the failure this test looks for
            errors.append(exc)

    threads = [threading.Thread(target=add, args=(n,)) for n in ("tiny.csv", "tiny_no_id.csv")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert results["tiny.csv"].added == 14
    assert results["tiny_no_id.csv"].added == 8
    assert calls_in(store) == 14 + 8
    assert sorted(r["file"] for r in store.imports()) == ["tiny.csv", "tiny_no_id.csv"]
    store.close()


def test_locked_ingest_says_when_it_waits_for_another_write(tmp_path):
    from dashboard.store import WRITE_LOCK

    store = Store(tmp_path / "shared.duckdb")
    told, asked_to_wait = [], threading.Event()

    def waiting(now: bool) -> None:
        told.append(now)
        if now:
            asked_to_wait.set()

    WRITE_LOCK.acquire()  # another session is writing
    writer = threading.Thread(
        target=locked_ingest, args=(store, [DATA / "tiny.csv"]), kwargs={"waiting": waiting}
    )
    writer.start()
    try:
        assert asked_to_wait.wait(timeout=60)
        assert calls_in(store) == 0  # nothing written while the other write holds the lock
    finally:
        WRITE_LOCK.release()
    writer.join()
    assert told == [True, False]
    assert calls_in(store) == 14
    store.close()


def test_an_upload_stopped_mid_way_writes_nothing_and_frees_the_lock(tmp_path):
    """A closed tab stops the session's script at its next Streamlit call: here, the progress
    callback after validation."""
    store = Store(tmp_path / "shared.duckdb")
    version = store.version()

    def closed_tab(message: str, fraction: float) -> None:
        raise KeyboardInterrupt("the session went away")

    with pytest.raises(KeyboardInterrupt):
        locked_ingest(store, [DATA / "tiny.csv"], progress=closed_tab)
    assert calls_in(store) == 0 and store.version() == version and store.imports() == []
    result = locked_ingest(store, [DATA / "tiny.csv"])  # the lock was released
    assert result.added == 14
    store.close()


# ---- the page ------------------------------------------------------------------------------


def test_upload_page_without_files_explains_what_to_drop_and_lists_recent_imports(
    app, sample_store
):
    at = app(sample_store, page=PAGE)
    assert not at.exception
    assert any("Required columns" in t for t in texts(at.info))
    uploader = at.file_uploader(key="upl_files")
    assert uploader.accept_multiple_files
    assert set(uploader.allowed_type) >= {".csv", ".xlsx", ".parquet"}
    assert "200 MB" in uploader.help and "server.maxUploadSize" in uploader.help
    (imports,) = [d.value for d in at.dataframe]
    assert imports["file"].tolist() == ["ridealong_sample.csv"]
    assert imports["calls"].tolist() == [3000]


def test_a_clean_file_shows_its_preview_and_mapping_and_passes_the_check(app, sample_store):
    at = upload(app(sample_store, page=PAGE), "tiny.csv")
    assert texts(at.error) == []
    (passed,) = texts(at.success)
    assert "25 rows, 14 calls, 23 notes" in passed
    mapping = next(d.value for d in at.dataframe if "read as" in d.value.columns)
    assert mapping["read as"].tolist() == mapping["column in file"].tolist()  # all by name
    rows = next(d.value for d in at.dataframe if "observation_id" in d.value.columns)
    assert len(rows) == 10 and rows["observation_id"].tolist()[:4] == ["C1", "C1", "C1", "C2"]
    assert at.button(key="upl_explore").label == "Explore this file"
    assert at.button(key="upl_add").label == "Add to the team's store"
    (status,) = at.status
    assert status.label.startswith("Read and checked tiny.csv in ")
    assert status.state == "complete"


def test_a_messy_form_export_is_read_with_its_aliases_us_dates_bom_and_crlf(app, sample_store):
    at = upload(app(sample_store, page=PAGE), "upload_form_export.csv")
    (passed,) = texts(at.success)
    assert "6 rows, 4 calls, 5 notes" in passed
    assert any("ignored columns nobody asked for: Timestamp" in c for c in texts(at.caption))
    at.button(key="upl_explore").click().run()
    store = at.session_state[common.EXPLORE_KEY][0]
    calls = store.cursor().sql(
        "select observed_on, manager, rep, manager_action, debrief from calls order by 1"
    )
    assert calls.fetchall() == [
        (dt.date(2026, 3, 2), "Maria Lopez", "Ana Ruiz", "observed", True),
        (dt.date(2026, 3, 3), "Tom Berg", "Ben Okafor", "took_over", False),
        (dt.date(2026, 3, 12), "Maria Lopez", "Cleo Park", "took_over", False),
        (dt.date(2026, 3, 13), "Tom Berg", "Ana Ruiz", "assisted", True),
    ]
    notes = store.cursor().sql("select behavior, polarity from notes order by behavior")
    assert notes.fetchall() == [
        ("Asked good questions", "praise"),
        ("Built rapport", "praise"),
        ("Clear next steps, agreed", "praise"),
        ("Skipped agenda", "criticism"),
        ("Talked over customer", "criticism"),
    ]


def test_day_first_dates_are_read_when_ticked_and_impossible_ones_are_problems(app, sample_store):
    at = upload(app(sample_store, page=PAGE), "upload_form_export.csv")
    at.checkbox(key="upl_dayfirst").check().run()
    assert not at.exception
    shown = problems_shown(at)
    assert [(line, column, value) for _f, line, column, value in shown] == [
        (6, "Call Date (observed_on)", "3/13/2026"),
        (7, "Call Date (observed_on)", "3/13/2026"),
    ]
    assert "upl_explore" not in [b.key for b in at.button]


def test_a_change_that_raises_the_problem_count_is_named_and_undoing_it_clears_it(
    app, sample_store
):
    """Ticking day first on upload_form_export.csv (month-first dates, two rows on 3/13/2026)
    reads the file differently: 0 -> 2 problems, and the page says which change did it."""
    at = upload(app(sample_store, page=PAGE), "upload_form_export.csv")
    assert not [t for t in texts(at.warning) if "Up from" in t]
    at.checkbox(key="upl_dayfirst").check().run()
    (why,) = [t for t in texts(at.warning) if "Up from" in t]
    assert why.startswith("Up from 0 to 2 after your change (slashed dates read day first)")
    assert "the new problems are in Call Date (observed\\_on)" in why
    at.checkbox(key="upl_dayfirst").uncheck().run()
    assert not [t for t in texts(at.warning) if "Up from" in t]
    assert not [t for t in texts(at.error) if "problem" in t]


def test_a_file_with_bad_rows_lists_every_problem_and_the_store_is_unchanged(app, sample_store):
    at = app(sample_store, page=PAGE)
    version = team(sample_store).version()
    upload(at, "upload_bad_rows.csv")
    (message,) = texts(at.error)
    assert message.startswith("**4 problems in ")
    assert problems_shown(at) == [
        ("upload_bad_rows.csv", 3, "observed_on", "2026-13-45"),
        ("upload_bad_rows.csv", 4, "manager", "(empty)"),
        ("upload_bad_rows.csv", 6, "polarity", "meh"),
        ("upload_bad_rows.csv", 7, "manager_action", '=HYPERLINK("http://x")'),
    ]
    assert at.get("download_button")  # the problems as CSV
    assert "upl_dl_problems" in [b.key for b in at.get("download_button")]
    keys = [b.key for b in at.button]
    assert "upl_explore" not in keys and "upl_add" not in keys  # nothing can be written
    assert team(sample_store).version() == version
    assert calls_in(team(sample_store)) == 3000
    assert [r["file"] for r in team(sample_store).imports()] == ["ridealong_sample.csv"]
    # the unknown values can be mapped; 'shadowed' was suggested, 'meh' has no value yet
    assert at.selectbox(key="upl_v:manager_action:shadowed").value == "observed"
    assert at.selectbox(key="upl_v:polarity:meh").value == ""


def test_the_problems_download_escapes_a_value_that_starts_a_formula():
    frame = pl.DataFrame(
        [importer.Problem("x.csv", 7, "manager_action", '=HYPERLINK("http://x")', "bad").as_dict()]
    )
    assert "'=HYPERLINK" in common.csv_bytes(frame).decode()


def test_unknown_headers_start_from_suggestions_and_the_unsure_ones_are_marked(app, sample_store):
    at = upload(app(sample_store, page=PAGE), "upload_unknown_headers.csv")
    # every column suggested: the file passes at once
    assert "4 rows, 3 calls, 3 notes" in texts(at.success)[0]
    for header, fld in UNKNOWN_HEADERS.items():
        assert at.selectbox(key=f"upl_h:{header}").value == fld
    assert at.selectbox(key="upl_v:manager_action:shadowed").value == "observed"
    assert at.selectbox(key="upl_v:polarity:kudos").value == "praise"
    # one guess is unsure: marked, and the team's store waits until it is looked at
    marked = [s.key for s in at.selectbox if s.label.startswith("⚠")]
    assert marked == ["upl_h:Person coached"]
    assert "1 guess to check" in " ".join(texts(at.markdown))
    assert at.button(key="upl_add").disabled
    at.button(key="upl_confirm").click().run()  # one action confirms it
    assert not at.exception
    assert not [s for s in at.selectbox if s.label.startswith("⚠")]
    assert not at.button(key="upl_add").disabled
    expected = {**UNKNOWN_HEADERS, "Ride ID": "observation_id"}
    assert at.session_state["upl_mapping"].headers == expected
    # remembered for the session: the same file dropped again passes at once, nothing to check
    at.file_uploader(key="upl_files").clear().run()
    upload(at, "upload_unknown_headers.csv")
    assert "3 calls" in texts(at.success)[0]
    assert not at.button(key="upl_add").disabled


def test_the_google_forms_export_of_the_issue_is_mapped_with_no_action(app, sample_store):
    """The issue's export: 27 actions by hand; here none — every guess is sure and right."""
    at = upload(app(sample_store, page=PAGE), "form_google.csv")
    assert texts(at.error) == []
    assert "6 rows, 4 calls, 5 notes" in texts(at.success)[0]
    assert not [s for s in at.selectbox if s.label.startswith("⚠")]
    assert not any("does not recognise" in t for t in texts(at.markdown))
    assert at.selectbox(key="upl_h:What did you do during the call?").value == "manager_action"
    assert at.selectbox(key="upl_v:manager_action:i took over").value == "took_over"
    at.button(key="upl_add").click().run()
    (added,) = [t for t in texts(at.success) if "Added to the team's store" in t]
    assert "4 calls added" in added
    digest = at.session_state["upl_mapping"].digest()
    assert digest is not None
    assert team(sample_store).imports()[0]["mapping_hash"] == digest


def test_while_mapping_the_problem_count_never_goes_up_and_a_missing_column_names_candidates(
    app, sample_store
):
    at = upload(app(sample_store, page=PAGE), "form_google.csv")
    # undo two suggestions, as a user who starts from nothing would have them
    at.selectbox(key="upl_h:Well done or to improve?").set_value("").run()
    at.selectbox(key="upl_h:What did you do during the call?").set_value("").run()

    def count() -> int:
        errors = [t for t in texts(at.error) if "problem" in t]
        return int(errors[0].split()[0].strip("*")) if errors else 0

    # the mapping is incomplete: it says which column is missing and what could be it, and
    # no row is counted before it is complete
    (missing,) = [t for t in texts(at.warning) if "No column is read as **manager" in t]
    assert "**manager\\_action** (required)" in missing or "**manager_action**" in missing
    assert "“What did you do during the call?”" in missing
    assert any("not complete" in t for t in texts(at.info))
    counts = [count()]
    at.selectbox(key="upl_h:What did you do during the call?").set_value("manager_action").run()
    counts.append(count())
    (needs,) = [t for t in texts(at.warning) if "No column is read as" in t]
    assert "**polarity** (required: “What did you notice?” is read as behavior)" in needs
    at.selectbox(key="upl_h:Well done or to improve?").set_value("polarity").run()
    counts.append(count())
    assert not at.exception
    # notes with no polarity column leave the mapping open (not 5 row problems) until it is
    # mapped: the count never rises
    assert counts == [0, 0, 0]
    assert "6 rows, 4 calls, 5 notes" in texts(at.success)[0]


def test_mapping_an_answer_only_takes_problems_away(app, sample_store):
    at = upload(app(sample_store, page=PAGE), "upload_bad_rows.csv")
    before = problems_shown(at)
    at.selectbox(key="upl_v:polarity:meh").set_value("criticism").run()
    after = problems_shown(at)
    assert len(after) == len(before) - 1 and set(after) < set(before)


def test_a_saved_mapping_file_is_loaded_and_a_bad_one_says_why(app, sample_store):
    at = upload(app(sample_store, page=PAGE), "upload_unknown_headers.csv")
    at.selectbox(key="upl_h:Reviewer").set_value("").run()  # a wrong turn the file corrects
    assert [t for t in texts(at.warning) if "manager" in t]
    mapping_json = (DATA / "upload_mapping.json").read_bytes()
    at.file_uploader(key="upl_mapping_file").set_value(
        ("tool_mapping.json", mapping_json, "application/json")
    ).run()
    assert not at.exception
    loaded = "Loaded **tool\\_mapping.json**: 6 column(s) and 2 value(s) mapped."  # _ escaped
    assert loaded in texts(at.success)
    assert any("3 calls" in t for t in texts(at.success))
    assert at.selectbox(key="upl_h:Reviewer").value == "manager"
    assert at.get("download_button")[0].key == "upl_dl_mapping"
    assert not [s for s in at.selectbox if s.label.startswith("⚠")]  # the user's own file

    bad = (DATA / "upload_bad_mapping.json").read_bytes()
    at.file_uploader(key="upl_mapping_file").set_value(("bad.json", bad, "application/json")).run()
    assert not at.exception
    (error,) = texts(at.error)
    assert "bad.json" in error and "'Reviewer' is mapped to 'boss'" in error
    assert at.session_state["upl_mapping"].headers["Reviewer"] == "manager"  # unchanged
    assert any("3 calls" in t for t in texts(at.success))


def test_explore_shows_only_the_upload_on_every_page_and_leaves_the_store_untouched(
    app, sample_store
):
    at = upload(app(sample_store, page=PAGE), "tiny.csv")
    version = team(sample_store).version()
    at.button(key="upl_explore").click().run()
    assert not at.exception
    assert any("Ready to explore" in t for t in texts(at.success))
    assert any("Exploring tiny.csv" in t for t in texts(at.info))  # the banner
    assert at.button(key="upl_explore").disabled
    explore = at.session_state[common.EXPLORE_KEY][0]

    at.switch_page("views/overview.py").run()
    assert not at.exception
    assert any("Exploring tiny.csv" in t for t in texts(at.info))
    expected = metrics.metrics_frame(explore.con, metrics.Filters()).row(0, named=True)
    assert expected["calls"] == 14
    assert metric(at, "Calls observed") == "14"
    assert metric(at, "Praise : criticism").startswith(f"{expected['praise_to_criticism']:.1f}")
    assert team(sample_store).version() == version
    assert calls_in(team(sample_store)) == 3000

    at.button(key="leave_explore").click().run()  # the way back
    assert common.EXPLORE_KEY not in at.session_state
    assert not any("Exploring" in t for t in texts(at.info))
    assert any("sample data" in t for t in texts(at.warning))
    # Leaving resets the date filter to the team's whole range (the sample's two years),
    # so the team's figures are shown in full again.
    start, end = at.session_state["f_dates"]
    assert (start, end) == (dt.date(2024, 10, 1), dt.date(2026, 9, 30))
    assert metric(at, "Calls observed") == "3,000"


def test_add_upserts_into_the_team_store_and_says_how_many_calls(app, sample_store):
    at = upload(app(sample_store, page=PAGE), "tiny.csv")
    at.button(key="upl_add").click().run()
    assert not at.exception
    (added,) = [t for t in texts(at.success) if "Added to the team's store" in t]
    assert "14 calls added, 0 replaced" in added
    assert "sample data was removed" in added
    store = team(sample_store)
    assert calls_in(store) == 14
    (last,) = store.imports()
    assert (last["file"], last["source"], last["rows"], last["calls_added"]) == (
        "tiny.csv",
        "upload",
        25,
        14,
    )
    imports = next(d.value for d in at.dataframe if "calls_added" in d.value.columns)
    assert imports["file"].tolist() == ["tiny.csv"]

    assert at.button(key="upl_add").label == "Add to the team's store again"
    at.button(key="upl_add").click().run()
    (again,) = [t for t in texts(at.success) if "already imported" in t]
    day = store.imports()[1]["imported_at"]
    assert f"tiny.csv was already imported on {day:%Y-%m-%d}, nothing changed." in again
    assert calls_in(store) == 14
    assert [r["calls_replaced"] for r in store.imports()] == [14, 0]


def test_adding_while_another_process_writes_says_who_and_writes_nothing(
    app, sample_store, monkeypatch
):
    from tests.test_store_sharing import another_writer

    monkeypatch.setenv("RIDEALONG_WAIT", "1")  # `serve --wait 1`
    at = upload(app(sample_store, page=PAGE), "tiny.csv")
    with another_writer(sample_store) as holder:
        at.button(key="upl_add").click().run()
    assert not at.exception
    (said,) = [t for t in texts(at.error) if t.startswith("Nothing was written")]
    assert said.startswith(
        f"Nothing was written: the team's store is being written by process {holder.pid} ("
    )
    assert "had not finished after 1 s. Try again when it has." in said
    assert calls_in(team(sample_store)) == 3000  # the sample, untouched
    at.button(key="upl_add").click().run()  # once it has finished
    assert calls_in(team(sample_store)) == 14


def test_two_sessions_one_adds_and_the_other_sees_it_on_its_next_interaction(app, sample_store):
    reader = app(sample_store)  # the Overview
    writer = app(sample_store, page=PAGE)
    reader.run()
    assert metric(reader, "Calls observed") == "3,000"
    assert any("sample data" in t for t in texts(reader.warning))
    upload(writer, "tiny.csv").button(key="upl_add").click().run()
    assert not writer.exception
    reader.run()
    assert not reader.exception
    assert metric(reader, "Calls observed") == "14"
    assert not any("sample data" in t for t in texts(reader.warning))


def test_parquet_and_xlsx_uploads_are_checked_together(app, sample_store, tmp_path):
    frame = pl.read_csv(DATA / "tiny_no_id.csv", infer_schema_length=0)
    frame.write_parquet(tmp_path / "log.parquet")
    pl.read_csv(DATA / "tiny.csv", infer_schema_length=0).write_excel(tmp_path / "log.xlsx")
    at = app(sample_store, page=PAGE)
    at.file_uploader(key="upl_files").set_value(
        [
            ("May log.parquet", (tmp_path / "log.parquet").read_bytes(), "application/octet"),
            ("Q1 log.xlsx", (tmp_path / "log.xlsx").read_bytes(), "application/octet"),
        ]
    ).run()
    assert not at.exception
    (passed,) = texts(at.success)
    assert "2 files passed the check**: 37 rows, 22 calls, 34 notes" in passed
    assert [t.label for t in at.tabs] == ["May log.parquet", "Q1 log.xlsx"]


def test_uploads_leave_no_temporary_files(app, sample_store, tmp_path, monkeypatch):
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    at = upload(app(sample_store, page=PAGE), "upload_bad_rows.csv")
    upload(at, "tiny.csv").button(key="upl_add").click().run()
    assert not at.exception
    assert [p.name for p in scratch.iterdir() if p.name.startswith("ridealong-upload")] == []


def test_a_file_with_a_header_but_no_rows_offers_nothing_to_add_and_keeps_the_sample(
    app, sample_store
):
    header = b"observed_on,manager,rep,manager_action\n"
    at = app(sample_store, page=PAGE)
    upload(at, "upload_header_only.csv", content={"upload_header_only.csv": header})
    assert "0 rows, 0 calls, 0 notes" in texts(at.success)[0]
    assert any("no rows" in t for t in texts(at.warning))
    keys = [b.key for b in at.button]
    assert "upl_explore" not in keys and "upl_add" not in keys
    assert calls_in(team(sample_store)) == 3000  # adding it would have removed the sample


def test_an_unreadable_file_is_named_as_uploaded_without_the_server_temp_path(app, sample_store):
    garbage = bytes(range(256)) * 20
    at = upload(app(sample_store, page=PAGE), "Q3 export.csv", content={"Q3 export.csv": garbage})
    (shown,) = problems_shown(at)
    assert shown[0] == "Q3 export.csv"
    frame = next(d.value for d in at.dataframe if "problem" in d.value.columns)
    message = frame["problem"][0]
    assert message.startswith("has a NUL byte at character 1: a binary file")  # bytes 0..255
    assert "ridealong-upload" not in message and "upload0" not in message


def test_the_same_content_twice_in_one_go_is_reported(app, sample_store):
    at = app(sample_store, page=PAGE)
    tiny = (DATA / "tiny.csv").read_bytes()
    upload(at, "tiny.csv", "tiny again.csv", content={"tiny again.csv": tiny})
    (shown,) = problems_shown(at)
    assert shown == ("tiny again.csv", None, None, None)
    frame = next(d.value for d in at.dataframe if "problem" in d.value.columns)
    assert frame["problem"][0].startswith("is the same file twice: its content is that of tiny.csv")
    assert "upl_add" not in [b.key for b in at.button]


def test_a_loaded_mapping_that_names_a_column_the_file_lacks_says_which(app, sample_store):
    at = upload(app(sample_store, page=PAGE), "form_google.csv")
    other = b'{"version": 1, "headers": {"Region": "team", "Your name": "manager"}}'
    at.file_uploader(key="upl_mapping_file").set_value(
        ("old_form.json", other, "application/json")
    ).run()
    assert not at.exception
    (gone,) = [t for t in texts(at.warning) if "does not fit" in t]
    assert "no column “Region”" in gone


def test_a_spanish_form_is_read_day_first_with_its_answers_suggested(app, sample_store):
    """form_spanish.csv: 13/03/2026 can only be day first; Sí, Solo observé, A mejorar...
    are suggested: 4 rows, 3 calls, 4 notes with no action."""
    at = upload(app(sample_store, page=PAGE), "form_spanish.csv")
    assert at.checkbox(key="upl_dayfirst").value is True
    assert "4 rows, 3 calls, 4 notes" in texts(at.success)[0]
    assert at.selectbox(key="upl_v:debrief:sí").value == "yes"
    assert not at.button(key="upl_add").disabled
