"""The importer: every alias, every kind of bad input, and the formats form tools write."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb
import polars as pl
import pytest
from click.testing import CliRunner

from dashboard import importer
from dashboard.cli import main
from dashboard.store import load_files

HEADER = "observation_id,observed_on,manager,rep,manager_action,behavior,polarity\n"


def write(tmp_path: Path, text: str, name: str = "export.csv", encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def problems_of(path: Path, **kwargs) -> list[str]:
    with pytest.raises(importer.ImportFailed) as failed:
        load_files([path], **kwargs)
    return [str(p) for p in failed.value.problems]


def calls_of(path: Path, **kwargs) -> list[tuple]:
    store, _ = load_files([path], **kwargs)
    rows = store.con.execute(
        "select call_key, observation_id, observed_on, manager, rep, team, planned_role, "
        "manager_action, debrief from calls order by call_key"
    ).fetchall()
    store.close()
    return rows


def notes_of(path: Path, **kwargs) -> list[tuple]:
    store, _ = load_files([path], **kwargs)
    rows = store.con.execute(
        "select call_key, note_no, behavior, behavior_key, polarity, severity, category "
        "from notes order by call_key, note_no"
    ).fetchall()
    store.close()
    return rows


# ---- headers ----------------------------------------------------------------------------------


@pytest.mark.parametrize(("alias", "field"), sorted(importer.HEADER_ALIASES.items()))
def test_every_header_alias_maps_to_its_field(alias: str, field: str) -> None:
    headers = ["observed_on", "manager", "rep", "manager_action"]
    headers = [h for h in headers if h != field] + [alias]
    mapping, ignored, problems = importer.map_headers(headers)
    assert problems == []
    assert headers[mapping[field]] == alias
    assert ignored == []


@pytest.mark.parametrize(
    ("written", "field"),
    [
        ("Observed On", "observed_on"),
        ("  MANAGER ", "manager"),
        ("Manager-Action", "manager_action"),
        ("Call ID", "observation_id"),
        ("Sales Leader", "manager"),
        ("Sales-Rep", "rep"),
        ("Debrief Held", "debrief"),
        ("Feedback Type", "polarity"),
        ("Behaviour", "behavior"),
        ("\ufeffobservation_id", "observation_id"),
    ],
)
def test_headers_match_case_spaces_and_hyphens(written: str, field: str) -> None:
    mapping, _, _ = importer.map_headers([written])
    assert mapping == {field: 0}


def test_two_columns_meaning_one_field_is_a_problem() -> None:
    _, _, problems = importer.map_headers(["coach", "manager", "rep"])
    assert problems == ["columns 'coach' and 'manager' both mean manager; keep one of them"]


def test_unknown_columns_are_ignored_and_listed(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "observed_on,manager,rep,manager_action,Weather,Mood\n"
        "2026-03-02,Dana,Eli,observed,sunny,ok\n",
    )
    store, result = load_files([path])
    assert result.files[0].ignored == ["Weather", "Mood"]
    assert "ignored columns nobody asked for: Weather, Mood" in result.summary()
    store.close()


def test_a_missing_required_column_is_named_with_the_headers_found(tmp_path: Path) -> None:
    path = write(tmp_path, "date,coach,action\n2026-03-02,Dana,observed\n")
    assert problems_of(path) == [
        "export.csv:1: missing required column 'rep' (headers found: 'date', 'coach', 'action')"
    ]


# ---- values -----------------------------------------------------------------------------------


def _one_call(tmp_path: Path, action: str = "observed", polarity: str = "praise") -> Path:
    return write(
        tmp_path,
        "observed_on,manager,rep,manager_action,debrief,behavior,polarity\n"
        f'2026-03-02,Dana,Eli,"{action}",yes,Asked good questions,"{polarity}"\n',
    )


@pytest.mark.parametrize(
    ("written", "value"),
    [
        *sorted(importer.ACTION_VALUES.items()),
        ("Took Over", "took_over"),
        ("TOOK_OVER", "took_over"),
        ("  Jumped In ", "took_over"),
        ("Observed", "observed"),
    ],
)
def test_every_manager_action_spelling_is_accepted(tmp_path: Path, written: str, value: str):
    assert calls_of(_one_call(tmp_path, action=written))[0][7] == value


@pytest.mark.parametrize(
    ("written", "value"),
    [*sorted(importer.POLARITY_VALUES.items()), ("Positive", "praise"), (" - ", "criticism")],
)
def test_every_polarity_spelling_is_accepted(tmp_path: Path, written: str, value: str) -> None:
    assert notes_of(_one_call(tmp_path, polarity=written))[0][4] == value


@pytest.mark.parametrize(
    ("written", "value"),
    [*sorted(importer.DEBRIEF_VALUES.items()), ("YES", True), ("", None), ("  ", None)],
)
def test_every_debrief_spelling_is_accepted(tmp_path: Path, written: str, value) -> None:
    path = write(
        tmp_path,
        f"observed_on,manager,rep,manager_action,debrief\n2026-03-02,Dana,Eli,observed,{written}\n",
    )
    assert calls_of(path)[0][8] is value


@pytest.mark.parametrize(
    ("written", "day"),
    [
        ("2026-03-02", dt.date(2026, 3, 2)),
        ("2026-3-2", dt.date(2026, 3, 2)),
        ("2026-03-02T14:30:00", dt.date(2026, 3, 2)),
        ("2026-03-02 14:30", dt.date(2026, 3, 2)),
        ("2026-03-02T14:30:00Z", dt.date(2026, 3, 2)),
        ("2026-03-02T14:30:00+02:00", dt.date(2026, 3, 2)),
        ("03/02/2026", dt.date(2026, 3, 2)),
        ("3/2/2026", dt.date(2026, 3, 2)),
        ("12/31/2026 9:15 AM", dt.date(2026, 12, 31)),
    ],
)
def test_dates_iso_with_optional_time_or_us_slashes(tmp_path: Path, written: str, day) -> None:
    path = write(tmp_path, f"observed_on,manager,rep,manager_action\n{written},Dana,Eli,observed\n")
    assert calls_of(path)[0][2] == day


def test_dayfirst_reads_slashes_as_day_month(tmp_path: Path) -> None:
    path = write(tmp_path, "observed_on,manager,rep,manager_action\n03/02/2026,Dana,Eli,observed\n")
    assert calls_of(path, dayfirst=True)[0][2] == dt.date(2026, 2, 3)
    path = write(tmp_path, "observed_on,manager,rep,manager_action\n31/12/2026,Dana,Eli,observed\n")
    assert calls_of(path, dayfirst=True)[0][2] == dt.date(2026, 12, 31)
    assert problems_of(path) == [
        "export.csv:2: observed_on: '31/12/2026' "
        "is not a date (YYYY-MM-DD, MM/DD/YYYY or DD.MM.YYYY)"
    ]


# ---- formats ----------------------------------------------------------------------------------


def test_a_form_tool_export_with_bom_crlf_quotes_aliases_and_us_dates(tmp_path: Path) -> None:
    text = (
        "\ufeffCall ID,Meeting Date,Coach,Seller,Team,Intervention,Debriefed,Note,Sentiment,"
        "Free text\r\n"
        'M-1,03/02/2026,Dana,Eli,East,Took over,Y,"Quoted ""wrong"" price, twice",negative,'
        '"said ""hi"", then left"\r\n'
        'M-1,03/02/2026,Dana,Eli,East,Took over,Y,"Great\r\nquestions",Positive,\r\n'
        "M-2,03/09/2026,Dana,Eli,East,silent,n,,,\r\n"
    )
    path = write(tmp_path, text)
    assert calls_of(path) == [
        ("M-1", "M-1", dt.date(2026, 3, 2), "Dana", "Eli", "East", None, "took_over", True),
        ("M-2", "M-2", dt.date(2026, 3, 9), "Dana", "Eli", "East", None, "observed", False),
    ]
    assert notes_of(path) == [
        (
            "M-1",
            0,  # note_no: the note's data row in the file
            'Quoted "wrong" price, twice',
            'quoted "wrong" price, twice',
            "criticism",
            None,
            None,
        ),
        ("M-1", 1, "Great\r\nquestions", "great questions", "praise", None, None),
    ]


def test_semicolon_and_tab_delimiters_are_sniffed(tmp_path: Path) -> None:
    semi = write(tmp_path, "observed_on;manager;rep;manager_action\n2026-03-02;Dana;Eli;observed\n")
    tab = write(
        tmp_path,
        "observed_on\tmanager\trep\tmanager_action\n2026-03-02\tDana\tEli\tobserved\n",
        name="export.tsv",
    )
    assert calls_of(semi)[0][3] == "Dana"
    assert calls_of(tab)[0][3] == "Dana"


def test_a_latin1_export_is_read(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "observed_on,manager,rep,manager_action\n2026-03-02,Zoë,José,observed\n",
        encoding="latin-1",
    )
    assert calls_of(path)[0][3:5] == ("Zoë", "José")


def test_xlsx_first_sheet_with_real_dates(tmp_path: Path) -> None:
    path = tmp_path / "export.xlsx"
    pl.DataFrame(
        {
            "Date": [dt.date(2026, 3, 2), dt.date(2026, 3, 3)],
            "Coach": ["Dana", "Dana"],
            "Seller": ["Eli", "Fay"],
            "Action": ["observe", "took over"],
            "Debriefed": [True, False],
            "Behaviour": ["Asked good questions", None],
            "Sentiment": ["positive", None],
        }
    ).write_excel(path)
    assert calls_of(path) == [
        ("2026-03-02|Dana|Eli", None, dt.date(2026, 3, 2), "Dana", "Eli", None, None,
         "observed", True),
        ("2026-03-03|Dana|Fay", None, dt.date(2026, 3, 3), "Dana", "Fay", None, None,
         "took_over", False),
    ]  # fmt: skip


def test_xlsx_problems_name_the_sheet_row(tmp_path: Path) -> None:
    path = tmp_path / "export.xlsx"
    pl.DataFrame(
        {"observed_on": ["2026-03-02", "2026-02-30"], "manager": ["D", "D"], "rep": ["E", "E"],
         "manager_action": ["observed", "observed"]}
    ).write_excel(path)  # fmt: skip
    assert problems_of(path) == [
        "export.xlsx:3: observed_on: '2026-02-30' "
        "is not a date (YYYY-MM-DD, MM/DD/YYYY or DD.MM.YYYY)"
    ]


def test_parquet_with_typed_columns(tmp_path: Path) -> None:
    path = tmp_path / "export.parquet"
    pl.DataFrame(
        {
            "observation_id": ["P1"],
            "observed_on": [dt.date(2026, 3, 2)],
            "manager": ["Dana"],
            "rep": ["Eli"],
            "manager_action": ["assisted"],
            "debrief": [True],
            "deal_value": [12500.5],
        }
    ).write_parquet(path)
    assert calls_of(path) == [
        ("P1", "P1", dt.date(2026, 3, 2), "Dana", "Eli", None, None, "assisted", True)
    ]


# ---- bad input --------------------------------------------------------------------------------


def test_every_problem_in_a_file_is_reported_in_one_pass(tmp_path: Path) -> None:
    text = (
        "observation_id,observed_on,manager,rep,manager_action,debrief,behavior,polarity,"
        "severity,planned_role,deal_value\n"
        "C1,2026-03-02,Dana,Eli,observed,yes,Asked good questions,praise,,observer,100\n"
        "C2,2026-02-30,Dana,Eli,observed,yes,,,,,\n"  # line 3: impossible date
        "C3,2026-03-04,Dana,Eli,danced,yes,,,,,\n"  # line 4: unknown action
        "C4,2026-03-05,Dana,Eli,observed,maybe,,,,,\n"  # line 5: bad debrief
        "C5,2026-03-06,Dana,Eli,observed,,Wrong price,meh,,,\n"  # line 6: bad polarity
        "C6,2026-03-07,Dana,Eli,observed,,Wrong price,,,,\n"  # line 7: behaviour, no polarity
        "C7,2026-03-08,Dana,Eli,observed,,,praise,,,\n"  # line 8: polarity, no behaviour
        "C8,2026-03-09,Dana,Eli,observed,,Wrong price,criticism,huge,boss,lots\n"  # line 9
        "C1,2026-03-03,Dana,Eli,took_over,yes,Wrong price,criticism,,observer,100\n"  # line 10
        "C9,,,Eli,observed,,,,,,\n"  # line 11: required values missing
    )
    path = write(tmp_path, text)
    assert problems_of(path) == [
        "export.csv:3: observed_on: '2026-02-30' "
        "is not a date (YYYY-MM-DD, MM/DD/YYYY or DD.MM.YYYY)",
        "export.csv:4: manager_action: 'danced' is not a manager action (observed, assisted or "
        "took_over; also observe, observer, observing, silent, assist, assisting, took over, "
        "take over, takeover, took-over, take-over, intervened, intervene, jumped in, jump in, "
        "jumped-in)",
        "export.csv:5: debrief: 'maybe' is not a yes/no value (yes/no, y/n, true/false, t/f, "
        "1/0; empty = unknown)",
        "export.csv:6: polarity: 'meh' is not a polarity (praise or criticism; also positive, +, "
        "recognition, strength, negative, -, mistake, improvement, correction, constructive)",
        "export.csv:7: polarity: is empty, but the row notes a behaviour: say praise or criticism",
        "export.csv:8: behavior: is empty, but the row has a polarity: name the behaviour, or "
        "clear the polarity",
        "export.csv:9: deal_value: 'lots' is not an amount (a number such as 12500 or $12,500.00)",
        "export.csv:9: planned_role: 'boss' is not a planned role (observer or participant; "
        "also observe, participate)",
        "export.csv:9: severity: 'huge' is not a severity (minor or major)",
        "export.csv:10: manager_action: 'took_over' disagrees with line 2 of the same call "
        "(observation_id 'C1', which says 'observed')",
        "export.csv:10: observed_on: '2026-03-03' disagrees with line 2 of the same call "
        "(observation_id 'C1', which says '2026-03-02')",
        "export.csv:11: manager: is required (the observing sales leader)",
        "export.csv:11: observed_on: is required (the date of the call)",
    ]


def test_rows_of_one_call_disagreeing_on_manager_or_rep(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "call_id,date,coach,seller,action\n"
        "A,2026-03-02,Dana,Eli,observed\n"
        "A,2026-03-02,Fred,Gus,observed\n",
    )
    assert problems_of(path) == [
        "export.csv:3: coach (manager): 'Fred' disagrees with line 2 of the same call "
        "(observation_id 'A', which says 'Dana')",
        "export.csv:3: seller (rep): 'Gus' disagrees with line 2 of the same call "
        "(observation_id 'A', which says 'Eli')",
    ]


def test_an_empty_team_role_or_debrief_on_some_rows_of_a_call_is_no_disagreement(
    tmp_path: Path,
) -> None:
    """Rows not all alike (an empty cell beside a filled one) are checked again, one call at
    a time (queries/import/disagree.sql): only the team disagrees, on call B."""
    path = write(
        tmp_path,
        "call_id,date,coach,seller,action,team,role,debrief\n"
        "A,2026-03-02,Dana,Eli,observed,North,observer,yes\n"  # line 2
        "A,2026-03-02,Dana,Eli,observed,,,\n"  # line 3: empty cells agree with any
        "B,2026-03-03,Dana,Eli,observed,,,no\n"  # line 4
        "B,2026-03-03,Dana,Eli,observed,North,,\n"  # line 5
        "B,2026-03-03,Dana,Eli,observed,South,,no\n",  # line 6: North on line 5
    )
    assert problems_of(path) == [
        "export.csv:6: team: 'South' disagrees with line 5 of the same call "
        "(observation_id 'B', which says 'North')",
    ]
    fixed = write(tmp_path, path.read_text().replace(",South,", ",North,"), "fixed.csv")
    assert calls_of(fixed) == [
        ("A", "A", dt.date(2026, 3, 2), "Dana", "Eli", "North", "observer", "observed", True),
        ("B", "B", dt.date(2026, 3, 3), "Dana", "Eli", "North", None, "observed", False),
    ]


def test_line_numbers_count_physical_lines_of_multiline_cells(tmp_path: Path) -> None:
    text = (
        HEADER + 'C1,2026-03-02,Dana,Eli,observed,"two\nlines",praise\n'  # lines 2-3
        "\n"  # line 4: blank
        "C2,2026-13-01,Dana,Eli,observed,,\n"  # line 5
    )
    assert problems_of(write(tmp_path, text)) == [
        "export.csv:5: observed_on: '2026-13-01' "
        "is not a date (YYYY-MM-DD, MM/DD/YYYY or DD.MM.YYYY)"
    ]


def test_rows_with_the_wrong_number_of_fields_are_reported(tmp_path: Path) -> None:
    text = HEADER + "C1,2026-03-02,Dana,Eli,observed,,\nC2,2026-03-03,Dana,Eli\n"
    assert problems_of(write(tmp_path, text)) == ["export.csv:3: has 4 fields; the header has 7"]


def test_only_the_first_50_problems_are_shown_with_a_count(tmp_path: Path) -> None:
    text = HEADER + "".join(f"C{i},2026-02-30,Dana,Eli,observed,,\n" for i in range(70))
    with pytest.raises(importer.ImportFailed) as failed:
        load_files([write(tmp_path, text)])
    assert len(failed.value.problems) == 70
    shown = importer.format_problems(failed.value.problems).splitlines()
    assert len(shown) == 51
    assert shown[-1] == "... and 20 more problems (70 in all)"


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("empty.csv", b"", "empty.csv: the file is empty"),
        ("notes.docx", b"PK", "notes.docx: is a .docx file; accepted: CSV"),
        ("broken.xlsx", b"not a zip", "broken.xlsx: cannot be read"),
        ("broken.parquet", b"PAR1 nonsense", "broken.parquet: cannot be read"),
    ],
)
def test_unreadable_files_get_a_clear_message(tmp_path: Path, name, content, message) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    [problem] = problems_of(path)
    assert problem.startswith(message)


def test_a_header_without_rows_imports_nothing_and_says_so(tmp_path: Path) -> None:
    store, result = load_files([write(tmp_path, HEADER)])
    assert result.files[0].calls == 0
    assert "the file has a header but no rows" in result.summary()
    store.close()


# ---- the CLI ----------------------------------------------------------------------------------


def test_ingest_of_a_bad_file_exits_2_with_problems_on_stderr_and_nothing_on_stdout(
    tmp_path: Path,
) -> None:
    bad = write(tmp_path, HEADER + "C1,2026-02-30,Dana,Eli,observed,,\n")
    db = tmp_path / "s.duckdb"
    result = CliRunner().invoke(main, ["ingest", str(bad), "--db", str(db)])
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr.splitlines() == [
        "export.csv:2: observed_on: '2026-02-30' "
        "is not a date (YYYY-MM-DD, MM/DD/YYYY or DD.MM.YYYY)",
        "ridealong: 1 problem found; nothing was written.",
    ]
    assert "Traceback" not in result.output


def test_ingest_summarises_on_the_terminal(tmp_path: Path, data_dir: Path) -> None:
    db = tmp_path / "s.duckdb"
    result = CliRunner().invoke(main, ["ingest", str(data_dir / "tiny.csv"), "--db", str(db)])
    assert result.exit_code == 0, result.output
    assert "tiny.csv: 25 rows, 14 calls, 23 notes: 14 calls added, 0 replaced" in result.stderr


# ---- a form's "went well" and "to fix" questions: two notes from one row ----------------------


def test_a_row_with_went_well_and_to_fix_gives_a_praise_and_a_criticism_on_the_same_call(tmp_path):
    """Hand-worked: row 2 has both answers -> 2 notes on call 2026-03-02|Maria|Ana; row 3 only
    "to fix" (its severity, major, goes with it); row 4 only "went well"; row 5 neither -> 4 calls,
    4 notes (2 praise, 2 criticism); the category of row 2 goes with both of its notes."""
    path = tmp_path / "form.csv"
    path.write_text(
        "Date,Manager,Rep,Action,Category,Severity,Went well,To fix\n"
        "2026-03-02,Maria,Ana,observed,Discovery,,Asked good questions,Talked over the customer\n"
        "2026-03-03,Tom,Ben,took over,,major,,Skipped the agenda\n"
        "2026-03-04,Maria,Cleo,assisted,,,Built rapport,\n"
        "2026-03-05,Tom,Ana,observed,,,,\n"
    )
    con = duckdb.connect()
    staged = importer.stage(con, path, "s")
    assert (staged.calls, staged.notes) == (4, 4)
    notes = con.execute(
        f"select call_key, behavior, behavior_key, polarity, severity, category "
        f"from {staged.notes_table} order by note_no, polarity"
    ).fetchall()
    assert notes == [
        ("2026-03-02|Maria|Ana", "Talked over the customer", "talked over the customer",
         "criticism", None, "Discovery"),
        ("2026-03-02|Maria|Ana", "Asked good questions", "asked good questions",
         "praise", None, "Discovery"),
        ("2026-03-03|Tom|Ben", "Skipped the agenda", "skipped the agenda",
         "criticism", "major", None),
        ("2026-03-04|Maria|Cleo", "Built rapport", "built rapport", "praise", None, None),
    ]  # fmt: skip


def test_a_problem_in_a_to_fix_answer_names_the_files_line(tmp_path):
    """A quoted answer spanning two lines moves the next row down: the control character in
    row 3's "To fix" is on line 4 of the file (header 1, row 2 on lines 2-3)."""
    path = tmp_path / "form.csv"
    path.write_text(
        "Date,Manager,Rep,Action,Went well,To fix\n"
        '2026-03-02,Maria,Ana,observed,"Asked good\nquestions",Talked over the customer\n'
        "2026-03-03,Tom,Ben,took over,,Skipped\x01 the agenda\n"
    )
    with pytest.raises(importer.ImportFailed) as info:
        importer.stage(duckdb.connect(), path, "s")
    [problem] = info.value.problems
    assert (problem.line, problem.column) == (4, "to_fix")
    assert "control character" in problem.message


def test_the_same_answers_as_went_well_to_fix_or_as_behaviour_and_polarity_fingerprint_alike(
    tmp_path,
):
    """A call noted with a went-well and a to-fix answer is the same call as one noted in two
    rows of behaviour + polarity: same notes, same fingerprint (a re-import changes nothing)."""
    form = tmp_path / "form.csv"
    form.write_text(
        "Date,Manager,Rep,Action,Went well,To fix\n2026-03-02,Maria,Ana,observed,Good,Bad\n"
    )
    log = tmp_path / "log.csv"
    log.write_text(
        "Date,Manager,Rep,Action,Behavior,Polarity\n"
        "2026-03-02,Maria,Ana,observed,Bad,criticism\n2026-03-02,Maria,Ana,observed,Good,praise\n"
    )
    con = duckdb.connect()
    a, b = importer.stage(con, form, "a"), importer.stage(con, log, "b")
    fingerprints = [
        con.execute(f"select fingerprint from {s.calls_table}").fetchall() for s in (a, b)
    ]
    assert fingerprints[0] == fingerprints[1]


# ---- dotted dates (German, Swiss... spreadsheets): always day first --------------------------


@pytest.mark.parametrize("dayfirst", [False, True])
def test_dotted_dates_are_read_day_first_with_or_without_a_time(tmp_path, dayfirst):
    """14.03.2026 is 14 March; 02.03.2026 10:30 is 2 March (never 3 February, whatever the
    day-first switch says: it is for slashes); 2.3.2026 the same day written short."""
    path = tmp_path / "de.csv"
    path.write_text(
        "Date,Manager,Rep,Action\n"
        "14.03.2026,Maria,Ana,observed\n"
        "02.03.2026 10:30,Tom,Ben,observed\n"
        "2.3.2026,Maria,Cleo,observed\n"
    )
    con = duckdb.connect()
    staged = importer.stage(con, path, "s", dayfirst=dayfirst)
    days = con.execute(f"select rep, observed_on from {staged.calls_table} order by rep").fetchall()
    assert days == [
        ("Ana", dt.date(2026, 3, 14)),
        ("Ben", dt.date(2026, 3, 2)),
        ("Cleo", dt.date(2026, 3, 2)),
    ]


def test_a_dotted_date_that_is_no_day_says_what_is_accepted(tmp_path):
    path = tmp_path / "de.csv"
    path.write_text("Date,Manager,Rep,Action\n31.02.2026,Maria,Ana,observed\n")
    with pytest.raises(importer.ImportFailed) as info:
        importer.stage(duckdb.connect(), path, "s")
    assert [str(p) for p in info.value.problems] == [
        "de.csv:2: Date (observed_on): '31.02.2026' "
        "is not a date (YYYY-MM-DD, MM/DD/YYYY or DD.MM.YYYY)"
    ]


def test_xlsx_problems_name_the_sheet_row_under_blank_rows(tmp_path: Path) -> None:
    """Blank rows stay counted: the header on sheet row 2 (row 1 blank), data on rows 3 and 5
    (row 4 blank), the bad date on row 5 and a missing rep on row 8 (rows 6-7 blank)."""
    import xlsxwriter

    path = tmp_path / "blank.xlsx"
    book = xlsxwriter.Workbook(path)
    sheet = book.add_worksheet()
    sheet.write_row(1, 0, ["observed_on", "manager", "rep", "manager_action"])
    sheet.write_row(2, 0, ["2026-03-02", "Dana", "Eli", "observed"])
    sheet.write_row(4, 0, ["2026-02-30", "Dana", "Eli", "observed"])
    sheet.write_row(7, 0, ["2026-03-04", "Dana", "", "observed"])
    book.close()
    assert [(p.line, p.column, p.value) for p in problems_of_xlsx(path)] == [
        (5, "observed_on", "2026-02-30"),
        (8, "rep", None),
    ]


def problems_of_xlsx(path: Path) -> list[importer.Problem]:
    with pytest.raises(importer.ImportFailed) as info:
        importer.stage(duckdb.connect(), path, "s")
    return info.value.problems


def test_a_debrief_disagreement_quotes_the_files_own_spelling_not_true_or_false(tmp_path):
    """Line 2 says 'N', line 3 'Yes' for the same call (date + manager + rep): line 3 is the
    problem, quoting line 2's 'N' as written (not 'false'), and its own 'Yes' (not 'true')."""
    path = tmp_path / "log.csv"
    path.write_text(
        "observed_on,manager,rep,manager_action,debrief\n"
        "2026-03-02,Dana,Eli,observed,N\n"
        "2026-03-02,Dana,Eli,observed,Yes\n"
    )
    with pytest.raises(importer.ImportFailed) as info:
        importer.stage(duckdb.connect(), path, "s")
    assert [str(p) for p in info.value.problems] == [
        "log.csv:3: debrief: 'Yes' disagrees with line 2 of the same call "
        "(call '2026-03-02|Dana|Eli', which says 'N')"
    ]


def test_problems_carry_their_field_and_a_code_and_messages_list_the_vocabulary(tmp_path):
    """Callers branch on the code, never the words; every spelling the importer accepts for a
    value is named in its message, so a list written by hand cannot fall behind."""
    path = tmp_path / "log.csv"
    path.write_text(
        "observed_on,manager,rep,manager_action,polarity,behavior,debrief\n"
        "2026-03-02,Dana,Eli,danced,meh,Asked,maybe\n"  # line 2: three unknown answers
        "2026-03-02,Dana,,observed,praise,Asked,yes\n"  # line 3: no rep
    )
    with pytest.raises(importer.ImportFailed) as info:
        importer.stage(duckdb.connect(), path, "s")
    got = {(p.line, p.field, p.code) for p in info.value.problems}
    assert got == {
        (2, "manager_action", "unknown_value"),
        (2, "polarity", "unknown_value"),
        (2, "debrief", "unknown_value"),
        (3, "rep", "required"),
    }
    by_field = {p.field: p.message for p in info.value.problems}
    for spelling in importer.ACTION_VALUES:
        assert spelling in by_field["manager_action"]
    for spelling in importer.POLARITY_VALUES:
        assert spelling in by_field["polarity"]
    for spelling in importer.DEBRIEF_VALUES:
        assert spelling in by_field["debrief"]
    missing = tmp_path / "missing.csv"
    missing.write_text("observed_on,manager\n2026-03-02,Dana\n")
    with pytest.raises(importer.ImportFailed) as info:
        importer.stage(duckdb.connect(), missing, "s")
    assert [(p.field, p.code) for p in info.value.problems] == [
        ("rep", "missing_column"),
        ("manager_action", "missing_column"),
    ]


# ---- the importer's SQL lives in queries/import/*.sql ----------------------------------------


@pytest.mark.parametrize("name", ["macros", "typed", "notes", "calls", "disagree"])
def test_each_import_query_opens_with_its_grain_and_documents_its_parameters(name):
    import re

    text = importer.import_sql(name)
    header = "\n".join(line for line in text.splitlines() if line.startswith("--"))
    assert text.startswith(f"-- import/{name}:")
    assert re.search(r"grain", header, re.I) and re.search(r"parameters", header, re.I)
    for param in set(re.findall(r"\$([a-z_]+)", text)):
        assert f"${param}" in header, f"{name}.sql does not document ${param}"


def test_the_behaviour_key_is_one_sql_macro_others_can_use():
    """The key the importer stores: lower case, inner runs of white space one space."""
    con = duckdb.connect()
    importer.define_macros(con)
    got = con.execute(
        "select behavior_key('Asked  good\tQuestions'), behavior_key('asked good questions')"
    ).fetchone()
    assert got == ("asked good questions", "asked good questions")
