"""Completeness: every file in queries/ states its grain and parameters, binds them, and runs."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from dashboard import access, metrics
from dashboard.resources import queries_dir
from dashboard.store import load_files
from tests import expected_tiny as ex

# A sample value for every parameter any query takes. A new parameter needs a line here.
PARAM_SAMPLES = {
    "by": "manager",
    "adjust_by": "rep",
    "start": dt.date(2026, 2, 1),
    "end": dt.date(2026, 4, 30),
    "teams": [],
    "managers": [],
    "reps": [],
    "window": 3,
    "min_n": 10,
    "rep": "Ana",
    "quarter": "2026-Q1",
    "previous_quarter": "2025-Q4",
    "quarter_start": dt.date(2026, 1, 1),
    "quarter_end": dt.date(2026, 3, 31),
    "prev_start": dt.date(2025, 10, 1),
    "prev_end": dt.date(2025, 12, 31),
    "z": 1.959963984540054,
    "steps": 50,
    "max_n": 20,
    "today": dt.date(2026, 11, 26),
    "share": 0.75,
    "lookback": 4,
    "manager": "Maria",
    "days": 14,
    "call_key": "C1",
    "logged_by": None,
    "since": dt.date(2026, 1, 1),
    "team": "North",
    "scope": access.EVERYTHING.param(),
    "min_group": 2,
}

QUERIES = metrics.query_names()


def test_there_are_queries() -> None:
    assert "metrics" in QUERIES and len(QUERIES) >= 2


@pytest.mark.parametrize("name", QUERIES)
def test_each_query_opens_with_its_grain_and_parameters(name: str) -> None:
    text = metrics.query_text(name)
    header = "\n".join(line for line in text.splitlines() if line.startswith("--"))
    assert text.startswith(f"-- {name}:"), f"{name}.sql should open with '-- {name}: what it is'"
    assert re.search(r"grain", header, re.I), f"{name}.sql does not state its grain"
    assert re.search(r"parameters", header, re.I), f"{name}.sql does not state its parameters"
    for param in set(re.findall(r"\$([a-z_]+)", text)):
        assert f"${param}" in header, f"{name}.sql does not document ${param}"


@pytest.mark.parametrize("name", QUERIES)
def test_each_query_runs_on_the_tiny_log(name: str) -> None:
    store, _ = load_files([ex.TINY_CSV])
    text = metrics.query_text(name)
    wanted = set(re.findall(r"\$([a-z_]+)", text))
    missing = wanted - PARAM_SAMPLES.keys()
    assert not missing, f"add sample values for {sorted(missing)} to PARAM_SAMPLES"
    frame = metrics.run(store.con, name, **{k: PARAM_SAMPLES[k] for k in wanted})
    assert frame.width > 0
    # no DECIMAL may reach a chart: measures are DOUBLE or integers
    assert not [c for c, t in frame.schema.items() if "Decimal" in str(t)], name
    store.close()


def test_queries_are_files_in_the_queries_folder() -> None:
    definitions = set(metrics.definition_names())
    assert {p.stem for p in queries_dir().glob("*.sql")} == set(QUERIES) | definitions
    assert {"selected_calls", "access_tables"} <= definitions
