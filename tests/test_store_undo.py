"""`ridealong undo IMPORT_ID`: the most recent import (all the files of that one write) can be
undone, once; the store comes back exactly as it was before it, and the undo is recorded."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from dashboard.cli import main
from dashboard.store import Store

HEADER = "observation_id,observed_on,manager,rep,manager_action,debrief,behavior,polarity\n"
FIRST = HEADER + (
    "C1,2026-03-02,Dana,Eli,observed,yes,Asked good questions,praise\n"
    "C2,2026-03-03,Dana,Fay,took_over,no,,\n"
)
# C2 corrected (a praise note added) and C3 new
SECOND = HEADER + (
    "C2,2026-03-03,Dana,Fay,took_over,no,Asked good questions,praise\n"
    "C3,2026-03-04,Dana,Gus,observed,no,Wrong price,criticism\n"
)


def everything(db: Path) -> tuple:
    with Store(db, read_only=True) as s:
        cur = s.cursor()
        return tuple(
            cur.execute(f"select * from {table} order by all").fetchall()
            for table in ("calls", "notes", "call_facts", "event_facts", "behaviors", "logbook")
        )


def ridealong(*args: str):
    return CliRunner().invoke(main, list(args))


def test_undo_puts_the_store_back_as_before_the_last_import_and_is_recorded(
    tmp_path: Path,
) -> None:
    db = tmp_path / "team.duckdb"
    first, second = tmp_path / "first.csv", tmp_path / "second.csv"
    first.write_text(FIRST, encoding="utf-8")
    second.write_text(SECOND, encoding="utf-8")
    assert ridealong("ingest", str(first), "--db", str(db)).exit_code == 0
    before = everything(db)
    assert ridealong("ingest", str(second), "--db", str(db)).exit_code == 0
    assert everything(db) != before

    result = ridealong("undo", "2", "--db", str(db))
    assert result.exit_code == 0, result.output
    assert "Undid import #2 second.csv (2 calls)" in result.stderr
    assert everything(db) == before

    listed = ridealong("imports", "--db", str(db)).stdout.splitlines()
    assert listed[0].endswith(" undo of #2 second.csv") and listed[0].startswith("#3 ")
    assert listed[1].startswith("#2 ") and listed[1].endswith("[undone by #3]")
    assert listed[2].startswith("#1 ") and "first.csv" in listed[2]


def test_only_the_most_recent_import_can_be_undone_and_only_once(tmp_path: Path) -> None:
    db = tmp_path / "team.duckdb"
    first, second = tmp_path / "first.csv", tmp_path / "second.csv"
    first.write_text(FIRST, encoding="utf-8")
    second.write_text(SECOND, encoding="utf-8")
    ridealong("ingest", str(first), "--db", str(db))
    ridealong("ingest", str(second), "--db", str(db))
    older = ridealong("undo", "1", "--db", str(db))
    assert older.exit_code == 2
    assert older.stderr.strip() == (
        "ridealong: import #1 (first.csv) cannot be undone: only the most recent import can "
        "be undone, once (now: #2)"
    )
    assert ridealong("undo", "2", "--db", str(db)).exit_code == 0
    twice = ridealong("undo", "2", "--db", str(db))
    assert twice.exit_code == 2 and "(now: nothing)" in twice.stderr
    unknown = ridealong("undo", "9", "--db", str(db))
    assert unknown.exit_code == 2
    assert unknown.stderr.strip() == f"ridealong: there is no import #9 in the store {db}"
    nowhere = ridealong("undo", "1", "--db", str(tmp_path / "none.duckdb"))
    assert nowhere.exit_code == 2 and not (tmp_path / "none.duckdb").exists()


def test_an_undo_after_the_store_changed_again_is_refused(tmp_path: Path) -> None:
    """The copy before import 2 is replaced by the next write (here: a clear), so undoing 2
    would lose that write: refused."""
    db = tmp_path / "team.duckdb"
    first = tmp_path / "first.csv"
    first.write_text(FIRST, encoding="utf-8")
    ridealong("ingest", str(first), "--db", str(db))
    with Store(db) as store:
        assert store.undoable() == [1]
        store.clear()
        assert store.undoable() == []
    result = ridealong("undo", "1", "--db", str(db))
    assert result.exit_code == 2
