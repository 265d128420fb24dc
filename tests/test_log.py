"""Log a ride-along: the form's checks, the write through the store's normal path, 'later'
debriefs, corrections and deletions and who may make them, the open debriefs, the debrief
sheet (queries, HTML, PDF), and the page in AppTest.

Figures are worked out by hand on tests/data/tiny.csv. Ana's calls in her order (date, then
observation_id as text: 'C10' < 'C9'):
  C1  02-02 Maria debrief yes  + asked good questions, - talked over customer (major),
                               + clear next steps
  C4  02-16 Tom   debrief no   - skipped agenda (minor), + built rapport
  C10 03-09 Maria debrief ?    - talked over customer (major)
  C9  03-09 Maria debrief no   + asked good questions
  C12 04-06 Tom   debrief yes  + asked good questions (twice), - talked over customer (minor)
  C13 04-20 Maria debrief no   - skipped agenda (minor), - talked over customer (major),
                               + built rapport
The only calls with an unknown debrief: C3 (02-04, Maria), C10 (03-09, Maria), C11 (04-07,
Tom). 14 calls, 11 with a known debrief, 5 of them debriefed (C1 C5 C8 C12 C14).
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest

from dashboard import debrief, logbook, metrics
from dashboard.access import EVERYTHING
from dashboard.store import Store
from tests import expected_tiny as ex

LOG = "views/log.py"
TODAY = dt.date(2026, 4, 20)
NOW = dt.datetime(2026, 4, 20, 17, 30)


@pytest.fixture
def tiny_db(tmp_path: Path) -> Path:
    path = tmp_path / "tiny.duckdb"
    with Store(path) as store:
        store.ingest([ex.TINY_CSV])
    return path


@pytest.fixture
def tiny(tiny_db: Path) -> Store:
    store = Store(tiny_db)
    yield store
    store.close()


def entry(**changes) -> logbook.Entry:
    base = logbook.Entry(
        manager="Maria",
        rep="Ana",
        observed_on=TODAY,
        manager_action="assisted",
        planned_role="participant",
        team="North",
        deal="Acme renewal",
        debrief="yes",
        notes=[
            logbook.Note("Asked good questions", "praise"),
            logbook.Note("Talked over customer", "criticism", "major"),
        ],
    )
    for key, value in changes.items():
        setattr(base, key, value)
    return base


def codes(problems: list[logbook.FormProblem]) -> list[tuple[str, str]]:
    return [(p.field, p.code) for p in problems]


def overall(store: Store) -> dict:
    return metrics.metrics_frame(store.con).row(0, named=True)


def imports(store: Store) -> list[dict]:
    return store.imports(50)


# ---- the form's checks ------------------------------------------------------------------


def test_a_complete_form_has_no_problems() -> None:
    assert logbook.validate(entry(), TODAY) == []


def test_a_form_without_a_rep_is_refused_naming_the_field() -> None:
    assert codes(logbook.validate(entry(rep="   "), TODAY)) == [("rep", "no_rep")]


def test_a_note_without_polarity_is_refused_naming_the_note_and_behaviour() -> None:
    notes = [logbook.Note("Built rapport", "praise"), logbook.Note("Skipped agenda", None)]
    problems = logbook.validate(entry(notes=notes), TODAY)
    assert codes(problems) == [("note 2", "note_without_polarity")]
    assert (
        str(problems[0]) == "note 2: 'Skipped agenda' has neither praise nor criticism: choose one"
    )


def test_a_future_date_is_refused_saying_what_today_is() -> None:
    problems = logbook.validate(entry(observed_on=TODAY + dt.timedelta(days=1)), TODAY)
    assert codes(problems) == [("observed_on", "future_date")]
    assert "2026-04-21" in str(problems[0]) and "today is 2026-04-20" in str(problems[0])


def test_every_problem_is_listed_at_once_and_blank_notes_are_ignored() -> None:
    form = entry(
        manager="",
        rep="",
        observed_on=None,
        manager_action=None,
        notes=[
            logbook.Note("", None),
            logbook.Note("", "praise"),
            logbook.Note("x" * 201, "praise"),
        ],
    )
    assert codes(logbook.validate(form, TODAY)) == [
        ("manager", "no_manager"),
        ("rep", "no_rep"),
        ("observed_on", "no_date"),
        ("manager_action", "no_action"),
        ("note 2", "note_without_behavior"),
        ("note 3", "too_long"),
    ]


def test_the_call_becomes_log_rows_one_per_note_or_one_without_notes() -> None:
    rows = logbook.rows(entry(debrief="later", rep="  Ana \n Lee "), "RA-1")
    assert [(r["behavior"], r["polarity"], r["severity"]) for r in rows] == [
        ("Asked good questions", "praise", ""),
        ("Talked over customer", "criticism", "major"),
    ]
    assert {r["rep"] for r in rows} == {"Ana Lee"}
    assert {r["debrief"] for r in rows} == {""}  # later is stored as unknown
    bare = logbook.rows(entry(notes=[logbook.Note()]), "RA-2")
    assert len(bare) == 1 and bare[0]["behavior"] == "" and bare[0]["debrief"] == "yes"
    # a severity left over on a note switched to praise is dropped
    praise = logbook.rows(entry(notes=[logbook.Note("Built rapport", "praise", "major")]), "RA-3")
    assert praise[0]["severity"] == ""


# ---- writing ------------------------------------------------------------------------------


def test_saving_writes_one_call_recorded_in_the_imports_log_as_from_the_form(tiny: Store) -> None:
    before = overall(tiny)
    saved = logbook.save(tiny, entry(), user="maria@example.com", today=TODAY, now=NOW)
    assert re.fullmatch(r"RA-20260420-173000-[0-9a-f]{4}", saved.observation_id)
    assert not saved.edited
    after = overall(tiny)
    # 14 calls + 1; 2 notes more, one praise, one criticism; debriefed 5 of 11 -> 6 of 12
    assert (before["calls"], after["calls"]) == (14, 15)
    assert after["notes"] == before["notes"] + 2
    assert after["praise"] == before["praise"] + 1
    assert after["criticism"] == before["criticism"] + 1
    assert (after["debriefed"], after["debrief_known"]) == (6, 12)
    last = imports(tiny)[0]
    assert last["source"] == "form"
    assert last["logged_by"] == "maria@example.com"
    assert last["file"] == f"Log a ride-along {saved.observation_id}"
    assert (last["rows"], last["calls"], last["notes"], last["calls_added"]) == (2, 1, 2, 1)
    call = tiny.con.execute(
        "select manager, rep, team, deal, planned_role, manager_action, debrief from calls "
        "where observation_id = ?",
        [saved.observation_id],
    ).fetchone()
    assert call == ("Maria", "Ana", "North", "Acme renewal", "participant", "assisted", True)


def test_a_debrief_later_counts_as_unknown_in_the_debrief_rate(tiny: Store) -> None:
    before = overall(tiny)
    logbook.save(tiny, entry(debrief="later"), user=None, today=TODAY, now=NOW)
    after = overall(tiny)
    assert after["calls"] == before["calls"] + 1
    assert (after["debriefed"], after["debrief_known"]) == (5, 11)  # unchanged
    assert after["debrief_rate"] == before["debrief_rate"] == pytest.approx(5 / 11)


def test_a_refused_form_writes_nothing(tiny: Store) -> None:
    version, log = tiny.version(), imports(tiny)
    with pytest.raises(logbook.FormInvalid) as caught:
        logbook.save(tiny, entry(rep=""), user=None, today=TODAY)
    assert codes(caught.value.problems) == [("rep", "no_rep")]
    assert tiny.version() == version and imports(tiny) == log
    assert overall(tiny)["calls"] == 14


def test_a_correction_replaces_the_call_by_its_observation_id_and_keeps_who_logged_it(
    tiny: Store,
) -> None:
    saved = logbook.save(tiny, entry(), user="maria@example.com", today=TODAY, now=NOW)
    form, logged = logbook.load(tiny.con, saved.call_key)
    assert logged == logbook.Logged("maria@example.com", NOW)
    assert form.notes == entry().notes and form.debrief == "yes"
    form.notes = [logbook.Note("Built rapport", "praise")]
    form.debrief = "later"
    again = logbook.save(
        tiny, form, user="maria@example.com", today=TODAY, now=NOW + dt.timedelta(days=3)
    )
    assert again.edited and again.observation_id == saved.observation_id
    assert overall(tiny)["calls"] == 15  # replaced, not added
    form2, logged2 = logbook.load(tiny.con, saved.call_key)
    assert form2.notes == [logbook.Note("Built rapport", "praise", None)]
    assert form2.debrief == "later"
    assert logged2 == logged  # first logging kept
    last = imports(tiny)[0]
    assert (last["source"], last["calls_added"], last["calls_replaced"]) == ("form", 0, 1)


def test_a_deletion_removes_the_call_and_is_recorded(tiny: Store) -> None:
    saved = logbook.save(tiny, entry(), user="maria@example.com", today=TODAY, now=NOW)
    logbook.delete(tiny, saved.call_key, user="maria@example.com", now=NOW)
    assert overall(tiny)["calls"] == 14
    assert logbook.load(tiny.con, saved.call_key) is None
    last = imports(tiny)[0]
    assert last["file"] == f"Log a ride-along {saved.observation_id} deleted (Ana, 2026-04-20)"
    assert (last["source"], last["logged_by"], last["calls_deleted"]) == (
        "form",
        "maria@example.com",
        1,
    )
    assert tiny.con.execute("select count(*) from logbook").fetchone()[0] == 0


def test_only_the_logger_may_change_a_call_for_14_days_and_an_admin_any_time(tiny: Store) -> None:
    logged = logbook.Logged("maria@example.com", NOW)
    day15 = NOW + dt.timedelta(days=14, minutes=1)
    assert logbook.may_change(logged, "maria@example.com", NOW + dt.timedelta(days=14))[0]
    assert logbook.may_change(logged, "MARIA@example.com", NOW)[0]
    allowed, why = logbook.may_change(logged, "tom@example.com", NOW)
    assert not allowed and why.startswith("maria@example.com logged this call")
    allowed, why = logbook.may_change(logged, "maria@example.com", day15)
    assert not allowed and "20 Apr 2026" in why and "14 days" in why
    assert logbook.may_change(logged, "boss@example.com", day15, admin=True)[0]
    # without sign-in anyone may, within the 14 days
    assert logbook.may_change(logged, None, NOW)[0]
    assert not logbook.may_change(logged, None, day15)[0]
    # a call from a file is corrected in the file
    assert not logbook.may_change(None, None, NOW, admin=True)[0]

    saved = logbook.save(tiny, entry(), user="maria@example.com", today=TODAY, now=NOW)
    with pytest.raises(logbook.NotAllowed):
        logbook.delete(tiny, saved.call_key, user="tom@example.com", now=NOW)
    with pytest.raises(logbook.NotAllowed):
        logbook.save(tiny, logbook.load(tiny.con, "C1")[0], user=None, today=TODAY, now=NOW)
    assert overall(tiny)["calls"] == 15


def test_admins_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RIDEALONG_ADMINS", "Boss@example.com, ops@example.com")
    assert logbook.is_admin("boss@example.com") and logbook.is_admin("ops@example.com")
    assert not logbook.is_admin("maria@example.com") and not logbook.is_admin(None)


def test_marking_a_later_debrief_held_saves_the_call_with_debrief_yes(tiny: Store) -> None:
    saved = logbook.save(tiny, entry(debrief="later"), user=None, today=TODAY, now=NOW)
    assert len(logbook.open_debriefs(tiny.con, "Maria", TODAY)) == 1
    logbook.mark_debrief_held(tiny, saved.call_key, user=None, today=TODAY, now=NOW)
    assert logbook.load(tiny.con, saved.call_key)[0].debrief == "yes"
    assert logbook.open_debriefs(tiny.con, "Maria", TODAY).is_empty()
    assert (overall(tiny)["debriefed"], overall(tiny)["debrief_known"]) == (6, 12)


def test_an_existing_store_gains_the_new_imports_columns_on_open(tmp_path: Path) -> None:
    import duckdb

    path = tmp_path / "old.duckdb"
    with Store(path) as store:
        store.ingest([ex.TINY_CSV])
    con = duckdb.connect(str(path))
    con.execute("alter table imports drop column logged_by")
    con.execute("alter table imports drop column calls_deleted")
    con.close()
    with Store(path, read_only=True) as old:  # read-only: listed as it is
        assert "logged_by" not in old.imports()[0]
    with Store(path) as store:
        row = store.imports()[0]
        assert row["logged_by"] is None and row["calls_deleted"] is None
        logbook.save(store, entry(), user="maria@example.com", today=TODAY, now=NOW)
        assert store.imports()[0]["logged_by"] == "maria@example.com"


# ---- open debriefs ------------------------------------------------------------------------


def test_open_debriefs_are_a_leaders_unknown_or_later_calls_of_the_last_14_days(
    tiny: Store,
) -> None:
    # 2026-04-07 .. 2026-04-20: of the unknown-debrief calls only C11 (04-07, Tom)
    assert logbook.open_debriefs(tiny.con, None, TODAY)["call_key"].to_list() == ["C11"]
    assert logbook.open_debriefs(tiny.con, "Tom", TODAY)["call_key"].to_list() == ["C11"]
    assert logbook.open_debriefs(tiny.con, "Maria", TODAY).is_empty()
    # a day later C11 is 14 days old: out
    assert logbook.open_debriefs(tiny.con, None, TODAY + dt.timedelta(days=1)).is_empty()
    # on 03-20 (03-07 .. 03-20): C10 (03-09, Maria)
    assert logbook.open_debriefs(tiny.con, None, dt.date(2026, 3, 20))["call_key"].to_list() == [
        "C10"
    ]
    later = logbook.save(
        tiny, entry(debrief="later", observed_on=dt.date(2026, 4, 10)), user=None, today=TODAY
    )
    unknown = logbook.save(
        tiny, entry(debrief=None, observed_on=dt.date(2026, 4, 8)), user=None, today=TODAY
    )
    logbook.save(tiny, entry(debrief="no"), user=None, today=TODAY)
    frame = logbook.open_debriefs(tiny.con, "Maria", TODAY)
    # oldest first: 04-08 (unknown), 04-10 (later)
    assert frame["call_key"].to_list() == [unknown.call_key, later.call_key]
    assert frame["debrief_state"].to_list() == ["unknown", "later"]
    assert frame["notes"].to_list() == [2, 2]
    assert frame["days_ago"].to_list() == [12, 10]
    assert len(logbook.open_debriefs(tiny.con, None, TODAY)) == 3  # and C11


# ---- the debrief sheet --------------------------------------------------------------------


def sheet_rows(store: Store, call_key: str, window: int = 3) -> list[tuple]:
    frame = metrics.run(
        store.con, "debrief_sheet", call_key=call_key, window=window, scope=EVERYTHING
    )
    return [
        (
            r["polarity"],
            r["behavior"],
            r["notes"],
            r["severity"],
            r["earlier_calls"],
            r["recognized_before"],
            r["came_back"],
            r["not_back"],
            r["too_soon"],
        )
        for r in frame.iter_rows(named=True)
    ]


def test_debrief_sheet_of_c12_counts_earlier_recognitions_and_earlier_mistakes(tiny: Store) -> None:
    # Asked good questions: praised before on C1 (debriefed: recognised) and C9 (not). C1 has
    # 5 later calls >= 3 and it was praised again 3 calls later (C9, the 4th) -> came back.
    # Talked over customer: criticised before on C1 and C10 -> 2 earlier calls.
    assert sheet_rows(tiny, "C12") == [
        ("praise", "Asked good questions", 2, None, 2, 1, 1, 0, 0),
        ("criticism", "Talked over customer", 1, "minor", 2, 1, 1, 0, 0),
    ]


def test_debrief_sheet_of_c13_and_the_too_soon_rule(tiny: Store) -> None:
    # Built rapport: praised on C4 (no debrief) -> 1 earlier call, never recognised.
    # Skipped agenda: C4. Talked over customer: C1, C10, C12 -> 3 earlier calls.
    rows = sheet_rows(tiny, "C13")
    assert [r[:5] for r in rows] == [
        ("praise", "Built rapport", 1, None, 1),
        ("criticism", "Skipped agenda", 1, "minor", 1),
        ("criticism", "Talked over customer", 1, "major", 3),
    ]
    # window 1 on C12: C1's recognition of "asked good questions" came back 3 calls later,
    # not within 1 -> not back
    assert sheet_rows(tiny, "C12", window=1)[0][5:] == (1, 0, 1, 0)
    assert sheet_rows(tiny, "no such call") == []


def test_the_sheet_says_it_in_words_praise_first(tiny: Store) -> None:
    sheet = debrief.build_sheet(tiny.con, "C12", window=3, made_on=TODAY)
    assert sheet.title == "Debrief: Ana, Mon 06 Apr 2026"
    assert sheet.facts == [
        "Ride-along by Tom · team North",
        "Planned role: observer · on the call: observed · debrief: held",
    ]
    assert sheet.went_well == [
        debrief.Point(
            "Asked good questions",
            "noted twice",
            "Praised on 2 earlier calls; recognised in a debrief once. It came back within 3 "
            "calls after 1 of 1 recognition.",
        )
    ]
    assert sheet.to_fix == [
        debrief.Point(
            "Talked over customer", "minor", "Noted on 2 earlier calls before, last on 09 Mar 2026."
        )
    ]
    c13 = debrief.build_sheet(tiny.con, "C13", made_on=TODAY)
    assert c13.went_well[0].history == (
        "Praised on 1 earlier call, never recognised in a debrief: say it out loud."
    )
    c1 = debrief.build_sheet(tiny.con, "C1", made_on=TODAY)
    assert c1.went_well[0].history == "First time praised for this: recognise it now."
    assert c1.to_fix[0].history == "Not noted on the rep's earlier calls."
    assert debrief.build_sheet(tiny.con, "nope") is None


def test_the_sheet_html_is_escaped_self_contained_and_has_a_line_for_the_next_step(
    tiny: Store,
) -> None:
    saved = logbook.save(
        tiny,
        entry(rep="<b>Ana</b>", notes=[logbook.Note("<script>alert(1)</script>", "praise")]),
        user=None,
        today=TODAY,
        now=NOW,
    )
    sheet = debrief.build_sheet(
        tiny.con, saved.call_key, made_on=TODAY, next_step="Pause after the price"
    )
    page = debrief.render_html(sheet)
    assert "<script>alert" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "&lt;b&gt;Ana&lt;/b&gt;" in page
    assert page.index("What went well") < page.index("What to fix") < page.index("Agreed next")
    assert '<div class="write-in">Pause after the price</div>' in page
    assert "http" not in page.replace('content="width=device-width', "")  # nothing fetched
    assert "A4 portrait" in page


def test_the_sheet_pdf_is_one_page(tiny: Store) -> None:
    sheet = debrief.build_sheet(tiny.con, "C13", made_on=TODAY)
    pdf = debrief.render_pdf(sheet)
    assert pdf.startswith(b"%PDF")
    assert len(re.findall(rb"/Type\s*/Page\b", pdf)) == 1
    # a core font when DejaVu is missing: the text is reduced to latin-1, still one page
    assert debrief.render_pdf(sheet, font_dir=None).startswith(b"%PDF")


def test_the_logbook_and_the_sheet_never_import_streamlit() -> None:
    import subprocess
    import sys

    code = "import sys, dashboard.logbook, dashboard.debrief; print('streamlit' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


# ---- the page (AppTest) -------------------------------------------------------------------
# The page logs calls dated by the real clock (today): tiny.csv ends in April 2026, so only
# what a test logs is ever an open debrief.


def fill(at, rep="Ana", day=None, action="observed", notes=(), debrief=None, manager="Maria"):
    """Fill the form as a leader would: the widgets by key, then Save."""
    if manager is not None:
        at.selectbox(key="log_manager").set_value(manager)
    if rep is not None:
        at.selectbox(key="log_rep").set_value(rep)
    if day is not None:
        at.date_input(key="log_date").set_value(day)
    if action is not None:
        at.radio(key="log_action").set_value(action)
    if debrief is not None:
        at.radio(key="log_debrief").set_value(debrief)
    at.run()
    for position, (behavior, polarity, severity) in enumerate(notes):
        if position > 0:
            at.button(key="add_note").click().run()
        note_id = at.session_state["_log_note_ids"][position]
        if behavior is not None:
            at.selectbox(key=f"log_b_{note_id}").set_value(behavior)
        if polarity is not None:
            at.button_group(key=f"log_p_{note_id}").set_value(polarity)
        at.run()
        if severity is not None:
            at.button_group(key=f"log_s_{note_id}").set_value(severity).run()
    at.button(key="log_save").click().run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def team(db: Path) -> Store:
    """The store the app under test holds open (one DuckDB connection per file and process)."""
    from dashboard.views import common

    return common.team_store(str(db))


def stored(db: Path) -> tuple[int, list[dict]]:
    store = team(db)
    return store.cursor().execute("select count(*) from calls").fetchone()[0], store.imports(50)


def test_log_page_saves_a_valid_ride_along_into_the_store_and_the_imports_log(app, tiny_db):
    at = app(tiny_db, page=LOG)
    assert not at.exception
    fill(
        at,
        notes=[
            ("Built rapport", "praise", None),
            ("Talked over customer", "criticism", "major"),
        ],
        debrief="yes",
    )
    today = dt.date.today()
    assert at.success[0].value.startswith(f"Saved: Ana, {today:%a %d %b %Y}, 2 notes (call RA-")
    assert not at.error
    # the form is cleared for the next call, the manager kept, the sheet shown
    assert at.selectbox(key="log_rep").value is None
    assert at.selectbox(key="log_manager").value == "Maria"
    assert f"Debrief: Ana, {today:%a %d %b %Y}" in [s.value for s in at.subheader]
    assert at.session_state["_log_sheet"].startswith("RA-")  # the call's sheet is open
    calls, log = stored(tiny_db)
    assert calls == 15
    assert (log[0]["source"], log[0]["logged_by"], log[0]["calls_added"]) == ("form", None, 1)
    notes = (
        team(tiny_db)
        .cursor()
        .execute(
            "select behavior, polarity, severity from notes n join calls c using (call_key) "
            "where c.observed_on = ? order by note_no",
            [today],
        )
        .fetchall()
    )
    assert notes == [
        ("Built rapport", "praise", None),
        ("Talked over customer", "criticism", "major"),
    ]


def test_saving_while_another_process_writes_waits_then_says_who_and_saves_nothing(
    app, tiny_db, monkeypatch
):
    from tests.test_store_sharing import another_writer

    monkeypatch.setenv("RIDEALONG_WAIT", "1")  # `serve --wait 1`
    at = app(tiny_db, page=LOG)
    before = stored(tiny_db)
    with another_writer(tiny_db) as holder:
        fill(at, notes=[("Built rapport", "praise", None)], debrief="yes")
    (said,) = [e.value for e in at.error]
    assert said.startswith(
        f"Nothing was saved: the team's store is being written by process {holder.pid} ("
    )
    assert said.endswith("which had not finished after 1 s. Try again when it has.")
    assert not at.success and stored(tiny_db) == before
    fill(at, notes=[("Built rapport", "praise", None)], debrief="yes")  # once it has finished
    assert at.success and stored(tiny_db)[0] == before[0] + 1


@pytest.mark.parametrize(
    ("form", "says"),
    [
        ({"rep": None}, "rep: is missing: choose or type the rep"),
        (
            {"notes": [("Built rapport", None, None)]},
            "note 1: 'Built rapport' has neither praise nor criticism",
        ),
        ({"day": dt.date.today() + dt.timedelta(days=1)}, "is in the future"),
    ],
    ids=["no rep", "note without polarity", "future date"],
)
def test_log_page_refuses_a_bad_form_says_why_and_writes_nothing(app, tiny_db, form, says):
    before = stored(tiny_db)
    at = app(tiny_db, page=LOG)
    fill(at, **form)
    assert not at.success
    assert at.error[0].value.startswith("Nothing was saved. Please fix:")
    assert says in at.error[0].value
    assert stored(tiny_db) == before  # no call, no line in the imports log
    assert at.selectbox(key="log_manager").value == "Maria"  # the form keeps what was typed


def test_a_new_rep_and_a_new_behaviour_can_be_typed(app, tiny_db):
    # What a leader types into a select box that accepts new options arrives as its value;
    # AppTest can only pick listed options, so the typed values are put in the session
    # before the page draws the boxes.
    at = app(tiny_db)  # the Overview
    at.session_state["log_rep"] = "Zoe New"
    at.session_state["_log_note_ids"] = [1]
    at.session_state["_log_next_note"] = 1
    at.session_state["log_b_1"] = "Listened well"
    at.switch_page(LOG)
    at.run()
    assert at.selectbox(key="log_rep").value == "Zoe New"
    fill(at, rep=None, notes=[(None, "praise", None)])
    assert at.success, [e.value for e in at.error]
    assert team(tiny_db).cursor().execute(
        "select c.rep, n.behavior from calls c join notes n using (call_key) "
        "where c.rep = 'Zoe New'"
    ).fetchall() == [("Zoe New", "Listened well")]


def test_a_later_debrief_is_open_and_its_sheet_marks_it_held(app, tiny_db):
    at = app(tiny_db, page=LOG)
    assert at.expander[0].label == "Open debriefs: 0"
    fill(at, notes=[("Built rapport", "praise", None)], debrief="later")
    assert at.expander[0].label == "Open debriefs: 1"
    at.button(key="sheet_close").click().run()
    assert "_log_sheet" not in at.session_state
    key = next(b.key for b in at.button if b.key and b.key.startswith("open_"))
    at.button(key=key).click().run()
    texts = " ".join(m.value for m in at.markdown)
    assert "**What went well**" in texts and "**Built rapport**" in texts
    assert "Praised on 2 earlier calls, never recognised in a debrief" in texts  # C4, C13
    at.text_input(key="log_next_step").set_value("Open with the agenda").run()
    downloads = at.get("download_button")
    assert len(downloads) == 2
    at.button(key="mark_held").click().run()
    assert at.success[0].value == "Debrief with Ana marked held."
    assert at.expander[0].label == "Open debriefs: 0"
    assert team(tiny_db).cursor().execute(
        "select debrief from calls where observation_id like 'RA-%'"
    ).fetchall() == [(True,)]


def test_a_logged_call_is_corrected_then_deleted_from_the_recent_list(app, tiny_db):
    at = app(tiny_db, page=LOG)
    fill(at, notes=[("Built rapport", "praise", None)], debrief="no")
    key = at.session_state["_log_sheet"]
    at.button(key=f"edit_{key}").click().run()
    assert at.selectbox(key="log_rep").value == "Ana"
    assert at.radio(key="log_debrief").value == "no"
    assert at.info[0].value.startswith(f"Correcting call {key}")
    at.radio(key="log_action").set_value("took_over").run()
    at.button(key="log_save").click().run()
    assert at.success[0].value.startswith("Corrected: Ana")
    calls, log = stored(tiny_db)
    assert calls == 15 and (log[0]["calls_added"], log[0]["calls_replaced"]) == (0, 1)
    assert team(tiny_db).cursor().execute(
        "select manager_action from calls where call_key = ?", [key]
    ).fetchone() == ("took_over",)
    at.button(key=f"delete_{key}").click().run()
    at.button(key=f"confirm_{key}").click().run()
    assert at.success[0].value.startswith("Deleted: Ana")
    calls, log = stored(tiny_db)
    assert calls == 14 and (log[0]["calls_deleted"], log[0]["source"]) == (1, "form")


def test_the_overview_links_the_open_debriefs_count(app, tiny_db):
    at = app(tiny_db, page=LOG)
    fill(at, notes=[], debrief="later")
    at.switch_page("views/overview.py")
    at.run()
    assert not at.exception
    link = at.get("page_link")[0].proto
    assert link.label == "Open debriefs: 1 call of the last 14 days"


def test_ridealong_imports_lists_who_logged_a_call_and_a_deletion(tiny_db: Path) -> None:
    from click.testing import CliRunner

    from dashboard.cli import main

    with Store(tiny_db) as store:
        saved = logbook.save(store, entry(), user="maria@example.com", today=TODAY, now=NOW)
        logbook.delete(store, saved.call_key, user="maria@example.com", now=NOW)
    out = CliRunner().invoke(main, ["imports", "--db", str(tiny_db)])
    assert out.exit_code == 0, out.output
    deleted, logged, tiny_csv = out.output.splitlines()
    assert deleted.endswith(
        "(Ana, 2026-04-20) (form): 0 rows, 0 calls, 0 added, 0 replaced (0 unchanged) "
        f"sha256 {deleted.split('sha256 ')[1][:12]}, 1 deleted, by maria@example.com"
    )
    assert "(form): 2 rows, 1 calls, 1 added" in logged and logged.endswith(
        ", by maria@example.com"
    )
    assert "tiny.csv (file)" in tiny_csv and " by " not in tiny_csv


class SignedIn(dict):
    """What st.user holds once sign-in (st.login) is configured and someone signed in."""


def test_signed_in_the_person_is_the_manager_and_the_logger(app, tiny_db, monkeypatch):
    import streamlit

    person = SignedIn(is_logged_in=True, name="Maria", email="maria@example.com")
    monkeypatch.setattr(streamlit, "user", person)
    at = app(tiny_db, page=LOG)
    assert not at.exception
    assert "log_manager" not in [s.key for s in at.selectbox]  # no one to choose
    assert any("Signed in as **Maria**" in c.value for c in at.caption)
    fill(at, manager=None, notes=[("Built rapport", "praise", None)], debrief="later")
    assert at.success, [e.value for e in at.error]
    _, log = stored(tiny_db)
    assert (log[0]["source"], log[0]["logged_by"]) == ("form", "maria@example.com")
    key = at.session_state["_log_sheet"]
    assert team(tiny_db).cursor().execute(
        "select manager from calls where call_key = ?", [key]
    ).fetchone() == ("Maria",)
    assert at.expander[0].label == "Open debriefs: 1"  # Maria's
    # someone else signed in is not offered the call to correct or delete
    monkeypatch.setattr(streamlit, "user", SignedIn(is_logged_in=True, name="Tom", email="tom@x"))
    at.run()
    assert f"edit_{key}" not in [b.key for b in at.button]
