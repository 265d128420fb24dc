"""The store: idempotent re-import, replacement, all-or-nothing, the imports log (sharing and
locking: test_store_sharing.py)."""

from __future__ import annotations

import csv
import datetime as dt
import string
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dashboard import importer
from dashboard.cli import main
from dashboard.store import Store

HEADER = "observation_id,observed_on,manager,rep,manager_action,debrief,behavior,polarity\n"
GOOD = HEADER + (
    "C1,2026-03-02,Dana,Eli,observed,yes,Asked good questions,praise\n"
    "C1,2026-03-02,Dana,Eli,observed,yes,Wrong price,criticism\n"
    "C2,2026-03-03,Dana,Fay,took_over,no,,\n"
)


def snapshot(store: Store) -> tuple:
    """Everything a user's data consists of, in a comparable form."""
    con = store.con
    return (
        con.execute("select * exclude (import_id) from calls order by call_key").fetchall(),
        con.execute("select * from notes order by call_key, note_no").fetchall(),
        con.execute("select count(*) from imports").fetchone(),
        con.execute("select count(*), sum(later_calls) from call_facts").fetchone(),
        con.execute("select count(*), sum(gap) from event_facts").fetchone(),
    )


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_reimporting_a_file_changes_nothing(tmp_path: Path) -> None:
    export = write(tmp_path / "export.csv", GOOD)
    with Store(tmp_path / "s.duckdb") as store:
        first = store.ingest([export])
        before = snapshot(store)
        again = store.ingest([export])
        after = snapshot(store)
    assert (first.added, first.replaced) == (2, 0)
    assert (again.added, again.replaced, again.files[0].unchanged) == (0, 2, 2)
    assert before[:2] == after[:2] and before[3:] == after[3:]
    # the same content again: the summary says so (issue 15)
    day = again.files[0].previous
    assert f"export.csv: already imported on {day:%Y-%m-%d}, nothing changed" in again.summary()


def test_a_corrected_export_replaces_all_notes_of_its_calls(tmp_path: Path) -> None:
    with Store(tmp_path / "s.duckdb") as store:
        store.ingest([write(tmp_path / "export.csv", GOOD)])
        corrected = HEADER + "C1,2026-03-02,Dana,Eli,assisted,yes,Built rapport,praise\n"
        result = store.ingest([write(tmp_path / "corrected.csv", corrected)])
        notes = store.con.execute("select call_key, behavior from notes order by 1").fetchall()
        actions = store.con.execute("select call_key, manager_action from calls order by 1")
        assert actions.fetchall() == [("C1", "assisted"), ("C2", "took_over")]
    assert (result.added, result.replaced, result.files[0].unchanged) == (0, 1, 0)
    assert notes == [("C1", "Built rapport")]


def test_a_file_with_one_bad_row_leaves_the_store_exactly_as_it_was(tmp_path: Path) -> None:
    with Store(tmp_path / "s.duckdb") as store:
        store.ingest([write(tmp_path / "export.csv", GOOD)])
        before = snapshot(store)
        version = store.version()
        bad = (
            GOOD.replace("C2,2026-03-03", "C2,2026-02-30") + "C3,2026-03-04,Dana,Gil,observed,,,\n"
        )
        with pytest.raises(importer.ImportFailed):
            store.ingest([write(tmp_path / "bad.csv", bad)])
        assert snapshot(store) == before
        assert store.version() == version


def test_several_files_are_all_or_nothing(tmp_path: Path) -> None:
    good = write(tmp_path / "good.csv", GOOD)
    bad = write(tmp_path / "bad.csv", HEADER + "C9,2026-03-04,Dana,Gil,dancing,,,\n")
    with Store(tmp_path / "s.duckdb") as store:
        with pytest.raises(importer.ImportFailed) as failed:
            store.ingest([good, bad])
        assert [p.file for p in failed.value.problems] == ["bad.csv"]
        assert store.is_empty()
        assert store.imports() == []


def test_a_later_file_in_one_ingest_wins_for_the_same_call(tmp_path: Path) -> None:
    first = write(tmp_path / "a.csv", GOOD)
    second = write(tmp_path / "b.csv", HEADER + "C2,2026-03-03,Dana,Fay,assisted,no,,\n")
    with Store(tmp_path / "s.duckdb") as store:
        result = store.ingest([first, second])
        action = store.con.execute("select manager_action from calls where call_key = 'C2'")
        assert action.fetchone() == ("assisted",)
    assert [(f.added, f.replaced) for f in result.files] == [(2, 0), (0, 1)]


def test_each_import_is_recorded(tmp_path: Path) -> None:
    export = write(tmp_path / "export.csv", GOOD)
    with Store(tmp_path / "s.duckdb") as store:
        store.ingest([export])
        store.ingest([export])
        log = store.imports()
    assert [r["import_id"] for r in log] == [2, 1]
    latest = log[0]
    assert latest["file"] == "export.csv"
    assert latest["source"] == "file"
    assert (latest["rows"], latest["calls"], latest["notes"]) == (3, 2, 2)
    assert (latest["calls_added"], latest["calls_replaced"], latest["calls_unchanged"]) == (0, 2, 2)
    assert len(latest["content_hash"]) == 64
    assert isinstance(latest["imported_at"], dt.datetime)


def test_real_data_replaces_the_bundled_sample(tmp_path: Path) -> None:
    with Store(tmp_path / "s.duckdb") as store:
        assert store.load_sample_if_empty() is True
        assert store.is_sample()
        assert store.load_sample_if_empty() is False
        result = store.ingest([write(tmp_path / "export.csv", GOOD)])
        assert result.removed_sample
        assert not store.is_sample()
        assert store.con.execute("select count(*) from calls").fetchone() == (2,)


def test_clear_empties_the_store_and_bumps_the_version(tmp_path: Path) -> None:
    with Store(tmp_path / "s.duckdb") as store:
        store.ingest([write(tmp_path / "export.csv", GOOD)])
        version = store.version()
        store.clear()
        assert store.is_empty() and store.version() == version + 1


def test_default_store_path_follows_the_environment(monkeypatch, tmp_path: Path) -> None:
    from dashboard.store import default_db_path

    monkeypatch.setenv("RIDEALONG_DB", str(tmp_path / "x.duckdb"))
    assert default_db_path() == tmp_path / "x.duckdb"
    monkeypatch.delenv("RIDEALONG_DB")
    assert default_db_path().name == "ridealong.duckdb"
    result = CliRunner().invoke(main, ["ingest", "--help"])
    assert "RIDEALONG_DB" in result.output


# ---- properties --------------------------------------------------------------------------------

NAMES = (
    st.text(string.ascii_letters + " éü'\",;-", min_size=1, max_size=12).map(str.strip).filter(bool)
)


@st.composite
def valid_logs(draw: st.DrawFn) -> list[dict]:
    calls = draw(st.integers(1, 12))
    rows = []
    for i in range(calls):
        call = {
            "observation_id": f"ID-{i}",
            "observed_on": dt.date(2025, 1, 1) + dt.timedelta(days=draw(st.integers(0, 700))),
            "manager": draw(NAMES),
            "rep": draw(NAMES),
            "team": draw(st.one_of(st.none(), NAMES)),
            "manager_action": draw(st.sampled_from(["observed", "assisted", "took_over"])),
            "debrief": draw(st.sampled_from([True, False, None])),
        }
        notes = draw(
            st.lists(st.tuples(NAMES, st.sampled_from(["praise", "criticism"])), max_size=3)
        )
        for behavior, polarity in notes or [(None, None)]:
            rows.append({**call, "behavior": behavior, "polarity": polarity})
    return rows


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(rows=valid_logs())
def test_random_valid_logs_survive_a_csv_round_trip_unchanged(tmp_path: Path, rows) -> None:
    path = tmp_path / "log.csv"
    fields = list(rows[0])
    with open(path, "w", newline="", encoding="utf-8") as handle:
        out = csv.writer(handle)
        out.writerow(fields)
        for r in rows:
            out.writerow(
                [
                    {True: "yes", False: "no", None: ""}[r[f]]
                    if f == "debrief"
                    else ("" if r[f] is None else r[f])
                    for f in fields
                ]
            )
    with Store(None) as store:
        store.ingest([path])
        calls = store.con.execute(
            "select observation_id, observed_on, manager, rep, team, manager_action, debrief "
            "from calls order by observation_id"
        ).fetchall()
        notes = store.con.execute(
            "select call_key, behavior, polarity from notes order by call_key, note_no"
        ).fetchall()
    want_calls = sorted(
        {
            (r["observation_id"], r["observed_on"], r["manager"], r["rep"], r["team"],
             r["manager_action"], r["debrief"])
            for r in rows
        }
    )  # fmt: skip
    want_notes = sorted(
        [(r["observation_id"], r["behavior"], r["polarity"]) for r in rows if r["behavior"]],
        key=lambda n: n[0],
    )
    assert calls == want_calls
    assert sorted(notes, key=lambda n: n[0]) == want_notes


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    body=st.text(alphabet=st.sampled_from(list('abc,;"\n\r\t 0123-/é')), max_size=300),
    header=st.sampled_from(["", HEADER, "date,coach,seller,action\n"]),
)
def test_random_malformed_files_end_in_a_clear_error_never_a_crash(
    tmp_path: Path, body: str, header: str
) -> None:
    path = tmp_path / "junk.csv"
    path.write_text(header + body, encoding="utf-8")
    with Store(None) as store:
        try:
            store.ingest([path])
        except importer.ImportFailed as failed:
            assert failed.problems
            for problem in failed.problems:
                assert problem.file == "junk.csv"
                assert str(problem).startswith("junk.csv")
