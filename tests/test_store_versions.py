"""Store layouts: a newer Ridealong upgrades an older store by itself, saying so in a line; an
older Ridealong refuses a newer store, naming both versions.

tests/data/stores/ holds stores written by earlier Ridealongs (gzipped: each is a DuckDB file of
about 2 MB, mostly empty blocks). Each holds tests/data/tiny.csv, ingested by the store.py of
the commit in its name, run with this repository's DuckDB:

    git worktree add /tmp/old COMMIT
    PYTHONPATH=/tmp/old .venv/bin/python -c "from dashboard.store import Store; \\
        Store('layout1-COMMIT.duckdb').ingest(['tests/data/tiny.csv'])"

- layout1-4d19b51: derived tables call_facts/event_facts/behaviors of 2026-11-27, no integer
  id tables, no logbook, the imports log without mapping_hash/logged_by/calls_deleted.
- layout1-b894b3d: the last layout before the imports log gained the mapping's hash.
Neither records a layout or derived-tables version (meta 'schema' = '1'): layout 1, derived 0.
"""

from __future__ import annotations

import gzip
import json
import shutil
from pathlib import Path

import duckdb
import pytest
from click.testing import CliRunner

from dashboard.cli import main
from dashboard.store import DERIVED_VERSION, LAYOUT_VERSION, Store
from tests import expected_tiny as ex

STORES = Path(__file__).parent / "data" / "stores"
OLD = sorted(STORES.glob("layout1-*.duckdb.gz"))


def unpack(fixture: Path, folder: Path) -> Path:
    db = folder / fixture.name.removesuffix(".gz")
    with gzip.open(fixture) as src, db.open("wb") as out:
        shutil.copyfileobj(src, out)
    return db


def metrics_of(*args: str) -> tuple[dict, str]:
    result = CliRunner().invoke(main, ["metrics", "--json", *args])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout), result.stderr


def test_the_old_store_fixtures_are_there() -> None:
    assert [p.name for p in OLD] == ["layout1-4d19b51.duckdb.gz", "layout1-b894b3d.duckdb.gz"]


@pytest.mark.parametrize("fixture", OLD, ids=[p.name for p in OLD])
def test_an_older_store_is_upgraded_by_itself_with_one_line(fixture: Path, tmp_path: Path) -> None:
    db = unpack(fixture, tmp_path)
    fresh, _ = metrics_of(str(ex.TINY_CSV))
    upgraded, said = metrics_of("--db", str(db))
    assert said.strip().splitlines() == [
        f"ridealong: upgraded the store {db} from layout 1 (derived tables 0) to layout "
        f"{LAYOUT_VERSION} (derived tables {DERIVED_VERSION})"
    ]
    assert upgraded == fresh  # the same figures as the file it holds
    again, said = metrics_of("--db", str(db))
    assert again == fresh and said == ""  # once
    with Store(db) as store:
        assert store.layout() == (LAYOUT_VERSION, DERIVED_VERSION)
        (old,) = store.imports()
        assert old["file"] == "tiny.csv" and old["calls_added"] == 14 and old["logged_by"] is None
        extra = tmp_path / "extra.csv"
        extra.write_text(
            "observation_id,observed_on,manager,rep,manager_action,debrief,behavior,polarity\n"
            "X1,2026-03-04,Maria,Ana,observed,no,Asked good questions,praise\n",
            encoding="utf-8",
        )
        assert store.ingest([extra]).added == 1
        assert store.cursor().execute("select count(*) from call_facts").fetchone() == (15,)


def test_derived_tables_of_an_older_build_are_rebuilt_on_open(tmp_path: Path) -> None:
    db = tmp_path / "s.duckdb"
    with Store(db) as store:
        store.ingest([ex.TINY_CSV])
    con = duckdb.connect(str(db))  # as an older build left it: a derived table it lacked
    con.execute("drop table event_facts")
    con.execute("update meta set value = '0' where key = 'derived'")
    con.close()
    said = []
    with Store(db, notice=said.append) as store:
        assert store.cursor().execute("select count(*) from event_facts").fetchone()[0] > 0
    assert said == [
        f"upgraded the store {db} from layout {LAYOUT_VERSION} (derived tables 0) to layout "
        f"{LAYOUT_VERSION} (derived tables {DERIVED_VERSION})"
    ]


@pytest.mark.parametrize(("key", "value"), [("layout", LAYOUT_VERSION + 1), ("derived", 99)])
def test_a_store_from_a_newer_ridealong_is_refused_naming_both_versions(
    tmp_path: Path, key: str, value: int
) -> None:
    db = tmp_path / "s.duckdb"
    with Store(db) as store:
        store.ingest([ex.TINY_CSV])
    con = duckdb.connect(str(db))
    con.execute("update meta set value = ? where key = ?", [str(value), key])
    con.close()
    before = db.read_bytes()
    layout = value if key == "layout" else LAYOUT_VERSION
    derived = value if key == "derived" else DERIVED_VERSION
    for args in (["metrics", "--db", str(db)], ["ingest", str(ex.TINY_CSV), "--db", str(db)]):
        result = CliRunner().invoke(main, args)
        assert result.exit_code == 1
        assert result.stderr.strip() == (
            f"ridealong: the store {db} was written by a newer Ridealong (store layout "
            f"{layout}, derived tables {derived}); this Ridealong reads layout {LAYOUT_VERSION}, "
            f"derived tables {DERIVED_VERSION}: upgrade Ridealong (pip install -U ridealong)"
        )
    assert db.read_bytes() == before
