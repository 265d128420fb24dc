"""The store's own SQL in queries/ (schema.sql, macros.sql, derive/*.sql): headers, the one
Wilson macro and the one 95% constant."""

from __future__ import annotations

import re

import pytest

from dashboard import effects, store
from dashboard.resources import queries_dir
from dashboard.store import Store

STORE_FILES = sorted(
    [
        queries_dir() / "schema.sql",
        queries_dir() / "macros.sql",
        *(queries_dir() / "derive").glob("*.sql"),
    ]
)


@pytest.mark.parametrize("path", STORE_FILES, ids=[p.name for p in STORE_FILES])
def test_each_store_sql_file_opens_with_its_name_grain_and_parameters(path) -> None:
    text = path.read_text(encoding="utf-8")
    name = re.sub(r"^\d+_", "", path.stem)
    header = "\n".join(line for line in text.splitlines() if line.startswith("--"))
    assert text.startswith(f"-- {name}: ")
    assert "Grain:" in header and "Parameters:" in header
    # the derivation's one parameter chooses its scope: every rep, or the reps a write touched
    if path.name == "02_derive_scope.sql":
        assert "Parameters: $everything (BOOLEAN)" in header
    else:
        assert "Parameters: none" in header and "$" not in text


def test_the_derivation_runs_its_files_in_order_and_knows_the_windows() -> None:
    assert [p.name for p in sorted((queries_dir() / "derive").glob("*.sql"))] == [
        "01_derived_tables.sql",
        "02_derive_scope.sql",
        "03_scope_cleared.sql",
        "04_rep_ids.sql",
        "05_calls_ordered.sql",
        "06_manager_ids.sql",
        "07_team_ids.sql",
        "08_behavior_spellings.sql",
        "09_behaviors.sql",
        "10_events.sql",
        "11_call_facts.sql",
        "12_event_facts.sql",
        "13_ids_without_calls.sql",
        "14_drop_scratch.sql",
    ]
    call_facts = (queries_dir() / "derive" / "11_call_facts.sql").read_text()
    assert f"range(1, {store.MAX_WINDOW + 1})" in call_facts
    assert call_facts.count(f"gap <= {store.MAX_WINDOW}") == 2


def test_the_95_percent_constant_is_written_once_in_sql_and_equals_pythons() -> None:
    texts = {str(p.relative_to(queries_dir())): p.read_text() for p in queries_dir().rglob("*.sql")}
    assert [n for n, t in texts.items() if "1.959963984540054" in t] == ["macros.sql"]
    with Store(None) as s:
        assert s.cursor().execute("select z95()").fetchone()[0] == effects.Z_95


@pytest.mark.parametrize(
    ("k", "n", "lo", "hi"),
    [
        # by hand: p = 1/2, z² = 3.8415: centre 0.5, half = z·sqrt(0.025 + 0.0096)/1.38415
        (5, 10, 0.236593, 0.763407),
        # k = 0: hi = (z²/20 + z·sqrt(z²/400)) / (1 + z²/10) = 2·0.192073 / 1.384146; lo is
        # exactly 0 (and at k = n, hi exactly 1: the mirror image)
        (0, 10, 0.0, 0.277533),
        (10, 10, 0.722467, 1.0),
        (0, 0, None, None),  # no trials: no interval
    ],
)
def test_the_wilson_macro_is_one_struct_equal_to_the_python_interval(k, n, lo, hi) -> None:
    with Store(None) as s:
        got = s.cursor().execute("select wilson(?::bigint, ?::bigint)", [k, n]).fetchone()[0]
    if n == 0:
        assert got is None
        return
    assert got == pytest.approx({"lo": lo, "hi": hi}, abs=1e-6)
    assert (got["lo"], got["hi"]) == pytest.approx(effects.wilson(k, n), abs=1e-12)
