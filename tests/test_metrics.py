"""queries/metrics.sql against hand-computed figures and an independent reference implementation."""

from __future__ import annotations

import csv
import datetime as dt
import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dashboard import effects, metrics
from dashboard.cli import main
from dashboard.store import Store, load_files
from tests import expected_tiny as ex
from tests.reference import reference_metrics


def project(actual: object, expected: object) -> object:
    """`actual` cut down to the keys `expected` has (our JSON adds intervals and flags)."""
    if isinstance(expected, dict) and isinstance(actual, dict):
        return {k: project(actual[k], v) if k in actual else None for k, v in expected.items()} | {
            k: actual[k] for k in actual if k.endswith("_ci")
        }
    return actual


def _rounded(value: object) -> object:
    """Floats to 12 significant digits (interval arithmetic differs in the last bits)."""
    if isinstance(value, float):
        return float(f"{value:.12g}")
    if isinstance(value, list):
        return [_rounded(v) for v in value]
    if isinstance(value, dict):
        return {k: _rounded(v) for k, v in value.items()}
    return value


def check(actual: dict, expected: dict) -> None:
    ex.assert_matches_expected(_rounded(project(actual, expected)), _rounded(expected))


@pytest.fixture(scope="module")
def tiny() -> Store:
    store, _ = load_files([ex.TINY_CSV])
    return store


@pytest.fixture(scope="module")
def tiny_no_id() -> Store:
    store, _ = load_files([ex.TINY_NO_ID_CSV])
    return store


def test_tiny_overall_window_3_matches_hand_computed(tiny: Store) -> None:
    check(metrics.metrics_json(tiny.con, metrics.Filters(window=3)), ex.TINY_EXPECTED_W3)


def test_tiny_overall_window_1_matches_hand_computed(tiny: Store) -> None:
    check(metrics.metrics_json(tiny.con, metrics.Filters(window=1)), ex.TINY_EXPECTED_W1)


@pytest.mark.parametrize("by", metrics.BY_FIELDS)
def test_tiny_by_every_field_matches_hand_computed(tiny: Store, by: str) -> None:
    expected = ex.TINY_BY_EXPECTED[by]
    actual = metrics.metrics_json(tiny.con, metrics.Filters(window=3), by)
    assert actual["by"] == by
    assert set(actual["groups"]) == set(expected["groups"])
    for key, group in expected["groups"].items():
        check(actual["groups"][key], group)


def test_log_without_observation_id_orders_same_day_calls_by_manager(tiny_no_id: Store) -> None:
    check(
        metrics.metrics_json(tiny_no_id.con, metrics.Filters(window=1)), ex.TINY_NO_ID_EXPECTED_W1
    )
    check(
        metrics.metrics_json(tiny_no_id.con, metrics.Filters(window=2)), ex.TINY_NO_ID_EXPECTED_W2
    )


def test_intervals_are_wilson_and_ratio_interval_is_carried_over(tiny: Store) -> None:
    m = metrics.metrics_json(tiny.con, metrics.Filters(window=3))
    # 2 of 14 calls taken over (C5, C10). Wilson 95% by hand, p = 1/7, n = 14, z = 1.96:
    # centre (p + z²/2n) / (1 + z²/n) = (0.142857 + 0.137195) / 1.274390 = 0.219754,
    # half-width z·sqrt(p(1-p)/n + z²/4n²) / (1 + z²/n)
    #   = 1.959964 · sqrt(0.0087464 + 0.0048998) / 1.274390 = 0.179660
    # -> [0.0401, 0.3994]
    assert m["actions"]["took_over"] == 2
    lo, hi = m["intervention_rate_ci"]
    assert lo == pytest.approx(0.0401, abs=5e-4) and hi == pytest.approx(0.3994, abs=5e-4)
    ref = reference_metrics(_rows(ex.TINY_CSV), 3)
    assert m["intervention_rate_ci"] == pytest.approx(ref["intervention_rate_ci"], rel=1e-9)
    assert m["praise_to_criticism_ci"] == pytest.approx(ref["praise_to_criticism_ci"], rel=1e-9)
    for bucket in ("recognized", "unrecognized"):
        got = m["recurrence"][bucket]["rate_ci"]
        want = ref["recurrence"][bucket].get("rate_ci")
        assert got == (pytest.approx(want, rel=1e-9) if want else None)


# Each interval column of metrics.sql and the (k, n) it is Wilson's interval of.
INTERVALS = {
    "intervention_rate": ("took_over", "calls"),
    "debrief_rate": ("debriefed", "debrief_known"),
    "planned_observer_took_over_rate": ("planned_observer_took_over", "planned_observer"),
    "rec_rate": ("rec_recurred", "rec_eligible"),
    "unrec_rate": ("unrec_recurred", "unrec_eligible"),
    **{f"mr_{r}_rate": (f"mr_{r}_repeated", f"mr_{r}_eligible") for r in metrics.MISTAKE_RESPONSES},
}


def test_every_interval_column_is_wilsons_interval_of_its_own_counts(
    sample_store: Path,
) -> None:
    # metrics.sql computes the intervals in one list keyed by rate name: a key that named the
    # wrong rate, or none, would show here as another rate's interval or a null.
    with Store(sample_store, read_only=True) as store:
        frame = metrics.metrics_frame(store.con, metrics.Filters(window=3), "manager")
    lo_cols = {c.removesuffix("_lo") for c in frame.columns if c.endswith("_lo")}
    assert lo_cols == set(INTERVALS) | {"praise_to_criticism", "lift"}
    checked = 0
    for row in frame.iter_rows(named=True):
        for rate, (k, n) in INTERVALS.items():
            if row[n] == 0:
                assert row[f"{rate}_lo"] is None and row[f"{rate}_hi"] is None
                continue
            want = effects.wilson(row[k], row[n])
            assert (row[f"{rate}_lo"], row[f"{rate}_hi"]) == pytest.approx(want, rel=1e-9), rate
            checked += 1
        n = row["praise"] + row["criticism"]
        if n > 0:
            p_lo, p_hi = effects.wilson(row["praise"], n)
            assert row["praise_to_criticism_lo"] == pytest.approx(p_lo / (1 - p_lo), rel=1e-9)
            if p_hi < 1:
                assert row["praise_to_criticism_hi"] == pytest.approx(p_hi / (1 - p_hi), rel=1e-9)
    assert checked >= 2 * len(INTERVALS)  # each rate, on more than one row


def test_small_samples_are_flagged(tiny: Store) -> None:
    m = metrics.metrics_json(tiny.con, metrics.Filters(window=3, min_n=10))
    assert m["recurrence"]["recognized"]["small_sample"] is True
    m = metrics.metrics_json(tiny.con, metrics.Filters(window=3, min_n=1))
    assert m["recurrence"]["recognized"]["small_sample"] is (
        ex.TINY_EXPECTED_W3["recurrence"]["recognized"]["eligible"] < 1
    )


def test_filters_select_events_but_look_ahead_uses_whole_history(tiny: Store) -> None:
    # Only February: Ana's C1 praise "asked good questions" recurs on C9 (March), which is
    # outside the filter; the look-ahead still sees it.
    feb = metrics.metrics_json(
        tiny.con, metrics.Filters(window=3, start=dt.date(2026, 2, 1), end=dt.date(2026, 2, 28))
    )
    by_month = metrics.metrics_json(tiny.con, metrics.Filters(window=3), "month")
    check(feb, ex.TINY_BY_EXPECTED["month"]["groups"]["2026-02"])
    assert feb["calls"] == by_month["groups"]["2026-02"]["calls"]


def test_an_empty_selection_gives_zeros_and_nulls(tiny: Store) -> None:
    m = metrics.metrics_json(tiny.con, metrics.Filters(teams=("Nowhere",)))
    assert m["calls"] == 0 and m["notes"] == 0
    assert m["praise_to_criticism"] is None and m["intervention_rate"] is None
    assert m["actions"] == {"observed": 0, "assisted": 0, "took_over": 0}
    assert m["recurrence"]["lift"] is None
    by = metrics.metrics_json(tiny.con, metrics.Filters(teams=("Nowhere",)), "manager")
    assert by == {"by": "manager", "groups": {}}


# ---- the CLI ----------------------------------------------------------------------------------


def test_metrics_json_from_files_prints_only_json(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["metrics", str(ex.TINY_CSV), "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    check(data, ex.TINY_EXPECTED_W3)
    assert "tiny.csv" in result.stderr  # the import summary goes to stderr


def test_metrics_json_by_and_window_from_the_store(tmp_path: Path) -> None:
    db = tmp_path / "s.duckdb"
    runner = CliRunner()
    assert runner.invoke(main, ["ingest", str(ex.TINY_CSV), "--db", str(db)]).exit_code == 0
    result = runner.invoke(main, ["metrics", "--db", str(db), "--by", "rep", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    for key, group in ex.TINY_BY_EXPECTED["rep"]["groups"].items():
        check(data["groups"][key], group)
    result = runner.invoke(main, ["metrics", "--db", str(db), "--window", "1", "--json"])
    check(json.loads(result.stdout), ex.TINY_EXPECTED_W1)


def test_metrics_table_is_readable(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["metrics", str(ex.TINY_CSV)])
    assert result.exit_code == 0
    assert "Calls observed" in result.stdout and "14" in result.stdout
    result = CliRunner().invoke(main, ["metrics", str(ex.TINY_CSV), "--by", "manager"])
    assert "Maria" in result.stdout and "Tom" in result.stdout


def test_metrics_on_a_bad_file_exits_2_with_the_problems(tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text(
        "observed_on,manager,rep,manager_action\n2026-02-30,Dana,Eli,observed\n", encoding="utf-8"
    )
    result = CliRunner().invoke(main, ["metrics", str(bad), "--json"])
    assert result.exit_code == 2
    assert result.stdout == ""
    assert "bad.csv:2: observed_on: '2026-02-30' is not a date" in result.stderr


# ---- against the independent reference on random logs ------------------------------------------


def _rows(path: Path) -> list[dict]:
    """tests/data CSV -> the reference's normalised rows (ISO dates, yes/no/empty debriefs)."""
    rows = []
    with open(path, newline="", encoding="utf-8") as handle:
        for r in csv.DictReader(handle):
            rows.append(
                {
                    "observation_id": r.get("observation_id") or None,
                    "observed_on": dt.date.fromisoformat(r["observed_on"]),
                    "manager": r["manager"],
                    "rep": r["rep"],
                    "team": r.get("team") or None,
                    "planned_role": r.get("planned_role") or None,
                    "manager_action": r["manager_action"],
                    "debrief": {"yes": True, "no": False}.get(r.get("debrief", "")),
                    "behavior": r.get("behavior") or None,
                    "polarity": r.get("polarity") or None,
                }
            )
    return rows


BEHAVIOURS = ["Asked good questions", "asked  good questions", "Wrong price", "Clear next steps"]


@st.composite
def logs(draw: st.DrawFn) -> tuple[list[dict], bool]:
    with_id = draw(st.booleans())
    n_calls = draw(st.integers(1, 14))
    calls = []
    seen = set()
    for i in range(n_calls):
        day = dt.date(2026, 1, 1) + dt.timedelta(days=draw(st.integers(0, 120)))
        manager = draw(st.sampled_from(["Dana", "Eli"]))
        rep = draw(st.sampled_from(["Ann", "Bob", "Cy"]))
        if not with_id and (day, manager, rep) in seen:
            continue
        seen.add((day, manager, rep))
        call = {
            "observation_id": f"K{draw(st.integers(0, 999))}-{i}" if with_id else None,
            "observed_on": day,
            "manager": manager,
            "rep": rep,
            "team": draw(st.sampled_from([None, "East", "West"])),
            "planned_role": draw(st.sampled_from([None, "observer", "participant"])),
            "manager_action": draw(st.sampled_from(["observed", "assisted", "took_over"])),
            "debrief": draw(st.sampled_from([True, False, None])),
        }
        notes = draw(
            st.lists(
                st.tuples(st.sampled_from(BEHAVIOURS), st.sampled_from(["praise", "criticism"])),
                max_size=3,
            )
        )
        if not notes:
            calls.append({**call, "behavior": None, "polarity": None})
        for behavior, polarity in notes:
            calls.append({**call, "behavior": behavior, "polarity": polarity})
    return calls, with_id


def _write(rows: list[dict], path: Path, with_id: bool) -> None:
    fields = [
        "observed_on",
        "manager",
        "rep",
        "team",
        "planned_role",
        "manager_action",
        "debrief",
        "behavior",
        "polarity",
    ]
    if with_id:
        fields.insert(0, "observation_id")
    with open(path, "w", newline="", encoding="utf-8") as handle:
        out = csv.writer(handle)
        out.writerow(fields)
        for r in rows:
            values = dict(r)
            values["debrief"] = {True: "yes", False: "no", None: ""}[r["debrief"]]
            out.writerow(["" if values[f] is None else values[f] for f in fields])


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(log=logs(), window=st.integers(1, 4), by=st.sampled_from([None, *metrics.BY_FIELDS]))
def test_sql_agrees_with_the_reference_on_random_logs(
    tmp_path: Path, log: tuple[list[dict], bool], window: int, by: str | None
) -> None:
    rows, with_id = log
    path = tmp_path / "random.csv"
    _write(rows, path, with_id)
    store, _ = load_files([path])
    try:
        got = metrics.metrics_json(store.con, metrics.Filters(window=window), by)
    finally:
        store.close()
    want = reference_metrics(rows, window, by)
    check(got, want)


# ---- the shipped sample tells the story -----------------------------------------------------


def test_shipped_sample_shows_the_built_in_effects(bundled_sample: Path) -> None:
    store, _ = load_files([bundled_sample])
    m = metrics.metrics_json(store.con, metrics.Filters(window=3))
    store.close()
    rec, unrec = m["recurrence"]["recognized"], m["recurrence"]["unrecognized"]
    # recognised praise recurs clearly more: the intervals do not even overlap
    assert rec["rate_ci"][0] > unrec["rate_ci"][1]
    assert m["recurrence"]["lift"] > 1.3
    mr = m["mistake_repeat"]
    # mistakes repeat less after observe-and-debrief than after a take-over
    assert mr["observed_debriefed"]["rate_ci"][1] < mr["took_over"]["rate_ci"][0]
    assert 2000 <= m["calls"] <= 5000
