"""Completeness: every file in queries/ states its grain and parameters, binds them, and runs."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest

from dashboard import access, metrics
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
    "phi": 1.5,
}

QUERIES = metrics.query_names()
EMPTY_ON_TINY = {
    "coverage_reps",  # every rep observed before 2026-02 is observed again in it
    "logged_calls",  # tiny.csv is imported, nothing was logged on the Log page
    "open_debriefs",  # ... so no logged call waits for its debrief
}


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
    # tiny.csv has calls in every filter above: only these have nothing to say about it
    assert frame.height > 0 or name in EMPTY_ON_TINY, f"{name} returned no rows on tiny.csv"
    # no DECIMAL may reach a chart: measures are DOUBLE or integers
    assert not [c for c, t in frame.schema.items() if "Decimal" in str(t)], name
    store.close()


def test_every_parameter_sample_is_a_parameter_of_some_query() -> None:
    used = {p for name in QUERIES for p in re.findall(r"\$([a-z_]+)", metrics.query_text(name))}
    assert set(PARAM_SAMPLES) == used, f"stale samples: {sorted(set(PARAM_SAMPLES) - used)}"


def test_every_query_is_run_by_the_code() -> None:
    # a query file no Python names is dead SQL (or a typo in a name that would fail at run time)
    source = "\n".join(
        path.read_text(encoding="utf-8")
        for path in (Path(__file__).parents[1] / "dashboard").rglob("*.py")
    )
    unused = [n for n in QUERIES if not re.search(rf"[\"']{n}(?:\.sql)?[\"']", source)]
    assert not unused, f"queries/ files no code runs: {unused}"


def test_the_filter_and_access_tables_are_definitions_not_queries() -> None:
    definitions = {"selected_calls", "access_tables", "schema", "macros"}
    assert definitions <= set(metrics.definition_names())
    assert not definitions & set(QUERIES)
