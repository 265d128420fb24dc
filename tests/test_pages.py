"""The Managers, Behaviours and Reps pages, and the queries only they use (funnel_limits,
funnel_managers, rep_history).

Query tests run on tests/data/tiny.csv with figures worked out by hand (see the tables in
tests/expected_tiny.py); page tests run the app on the bundled sample and compare what each page
shows with queries/metrics.sql on the same store and filters.
"""

from __future__ import annotations

import datetime as dt
import math
from pathlib import Path

import polars as pl
import pytest

from dashboard import charts, formatting, metrics
from dashboard.access import EVERYTHING
from dashboard.store import Store, load_files
from tests import expected_tiny as ex

MANAGERS = "views/managers.py"
BEHAVIOURS = "views/behaviours.py"
REPS = "views/reps.py"
Z95 = 1.959963984540054
Z998 = 3.090232306167813
NO_FILTER = {
    "start": None,
    "end": None,
    "teams": [],
    "managers": [],
    "reps": [],
    "scope": EVERYTHING,
}


@pytest.fixture(scope="module")
def tiny() -> Store:
    store, _ = load_files([ex.TINY_CSV])
    return store


# ---- queries/funnel_limits.sql --------------------------------------------------------------


def limits(store: Store, **changes) -> pl.DataFrame:
    return metrics.run(store.con, "funnel_limits", **{**NO_FILTER, "phi": None, **changes})


def places(store: Store, **changes) -> pl.DataFrame:
    return metrics.run(store.con, "funnel_managers", **{**NO_FILTER, "phi": None, **changes})


@pytest.fixture(scope="module")
def funnel() -> Store:
    # tests/data/funnel.csv: Tom took over 5 of his 6 calls, Maria 1 of her 8 -> p0 = 6/14 = 3/7
    store, _ = load_files([Path(__file__).parent / "data" / "funnel.csv"])
    return store


def test_funnel_limits_grid_runs_to_the_busiest_managers_calls(tiny: Store) -> None:
    frame = limits(tiny)
    # Maria observed C1 C3 C6 C7 C9 C10 C13 C14 (8 calls), Tom C2 C4 C5 C8 C11 C12 (6).
    assert frame["n"].to_list() == list(range(1, 9))
    # 14 calls, taken over: C5 (Tom) and C10 (Maria) -> p0 = 2/14 = 1/7.
    assert frame["team_calls"].unique().to_list() == [14]
    assert frame["team_took_over"].unique().to_list() == [2]
    assert frame["p0"].unique().to_list() == pytest.approx([1 / 7])


def test_funnel_limits_match_hand_computed_binomial_limits(tiny: Store) -> None:
    rows = {r["n"]: r for r in limits(tiny).iter_rows(named=True)}
    # n = 8: p0(1 - p0) / n = (1/7)(6/7)/8 = 6/392, sqrt = 0.123718;
    #   95%:   1.959964 * 0.123718 = 0.242483 -> 0.142857 + 0.242483 = 0.385340, low 0 (clipped)
    #   99.8%: 3.090232 * 0.123718 = 0.382318 -> 0.525175, low 0 (clipped)
    assert rows[8]["hi95"] == pytest.approx(0.385340, abs=1e-6)
    assert rows[8]["lo95"] == 0.0
    assert rows[8]["hi998"] == pytest.approx(0.525175, abs=1e-6)
    assert rows[8]["lo998"] == 0.0
    # n = 1: sqrt(6/49) = 0.349927; 95%: 0.142857 + 0.685844 = 0.828701;
    #   99.8%: 0.142857 + 1.081357 = 1.224 -> clipped to 1.0
    assert rows[1]["hi95"] == pytest.approx(0.828701, abs=1e-6)
    assert rows[1]["hi998"] == 1.0


def test_funnel_limits_follow_the_filters(tiny: Store) -> None:
    north = limits(tiny, teams=["North"])
    # North: C1 C3 C4 C8 C9 C10 C12 C13 C14 = 9 calls, C10 taken over -> p0 = 1/9; Maria has
    # 6 of them (C1 C3 C9 C10 C13 C14), Tom 3 (C4 C8 C12) -> n = 1..6.
    assert north["n"].to_list() == list(range(1, 7))
    assert north["p0"][0] == pytest.approx(1 / 9)
    # n = 6: sqrt((1/9)(8/9)/6) = sqrt(8/486) = 0.128300; 0.111111 + 1.959964 * 0.128300
    #   = 0.111111 + 0.251463 = 0.362574
    assert north.filter(pl.col("n") == 6)["hi95"][0] == pytest.approx(0.362574, abs=1e-6)
    spring = limits(tiny, start=dt.date(2026, 4, 1))
    # April: C12 (Tom), C11 (Tom), C14 (Maria), C13 (Maria): none taken over -> p0 = 0, and a
    # zero-width funnel on the team rate.
    assert spring["n"].to_list() == [1, 2]
    assert spring["hi998"].to_list() == [0.0, 0.0]


def test_funnel_limits_are_empty_when_no_call_matches(tiny: Store) -> None:
    # Ana is in North, so no call is both South and Ana's.
    assert limits(tiny, teams=["South"], reps=["Ana"]).is_empty()


def test_funnel_limits_are_the_clipped_binomial_formula_on_every_row(tiny: Store) -> None:
    for row in limits(tiny, managers=["Tom"]).iter_rows(named=True):
        p0, count = row["p0"], row["n"]
        se = math.sqrt(p0 * (1 - p0) / count)
        assert row["lo95"] == pytest.approx(max(0.0, p0 - Z95 * se))
        assert row["hi95"] == pytest.approx(min(1.0, p0 + Z95 * se))
        assert row["lo998"] == pytest.approx(max(0.0, p0 - Z998 * se))
        assert row["hi998"] == pytest.approx(min(1.0, p0 + Z998 * se))


# ---- queries/rep_history.sql ----------------------------------------------------------------


def history(store: Store, rep: str, window: int = 3, **changes) -> list[dict]:
    params = {"start": None, "end": None, "teams": [], "managers": [], "scope": EVERYTHING}
    params |= changes
    return metrics.run(store.con, "rep_history", rep=rep, window=window, **params).to_dicts()


def test_rep_history_lists_the_reps_calls_in_rep_order(tiny: Store) -> None:
    rows = history(tiny, "Ana")
    # Ana: C1, C4, then the two 2026-03-09 calls as text ("C10" < "C9"), C12, C13.
    assert [r["observation_id"] for r in rows] == ["C1", "C4", "C10", "C9", "C12", "C13"]
    assert [r["call_no"] for r in rows] == [1, 2, 3, 4, 5, 6]
    assert [r["manager"] for r in rows] == ["Maria", "Tom", "Maria", "Maria", "Tom", "Maria"]
    assert [r["manager_action"] for r in rows] == [
        "observed",
        "assisted",
        "took_over",
        "observed",
        "observed",
        "observed",
    ]
    assert [r["debrief"] for r in rows] == [True, False, None, False, True, False]
    assert [r["later_calls"] for r in rows] == [5, 4, 3, 2, 1, 0]


def test_rep_history_lists_each_calls_notes_as_spelled(tiny: Store) -> None:
    rows = {r["observation_id"]: r for r in history(tiny, "Ana")}
    assert rows["C1"]["praise_notes"] == ["Asked good questions", "Clear next steps"]
    assert rows["C1"]["criticism_notes"] == ["Talked over customer"]
    assert rows["C4"]["criticism_notes"] == ["Skipped agenda"]  # " Skipped agenda", trimmed
    assert rows["C9"]["praise_notes"] == ["asked  good questions"]  # the spelling on C9
    # C12 noted AGQ twice: both notes listed (as both count), C10 has no praise.
    assert rows["C12"]["praise_notes"] == ["Asked good questions", "Asked good questions"]
    assert rows["C10"]["praise_notes"] == []
    assert rows["C13"]["criticism_notes"] == ["Skipped agenda", "Talked over customer"]
    assert [(r["praise"], r["criticism"]) for r in rows.values()] == [
        (2, 1),  # C1
        (1, 1),  # C4
        (0, 1),  # C10
        (1, 0),  # C9
        (2, 1),  # C12
        (1, 2),  # C13
    ]


def test_rep_history_window_3_says_which_recognised_praise_came_back(tiny: Store) -> None:
    rows = {r["observation_id"]: r for r in history(tiny, "Ana", 3)}
    # C1 (debriefed, 5 later calls): AGQ again as praise on C9, the 3rd later call (P1);
    # CNS never again (P2).
    assert rows["C1"]["came_back"] == ["Asked good questions"]
    assert rows["C1"]["did_not_come_back"] == ["Clear next steps"]
    assert rows["C1"]["too_soon"] == []
    # C12 (debriefed) has 1 later call < 3: too soon to tell, once although noted twice.
    assert rows["C12"]["too_soon"] == ["Asked good questions"]
    assert rows["C12"]["came_back"] == rows["C12"]["did_not_come_back"] == []
    # Praise on calls without a debrief (C4, C9, C13) is not recognised: no verdict.
    for call in ("C4", "C9", "C13", "C10"):
        assert rows[call]["came_back"] == rows[call]["did_not_come_back"] == []
        assert rows[call]["too_soon"] == []


def test_rep_history_window_1_looks_one_call_ahead(tiny: Store) -> None:
    rows = {r["observation_id"]: r for r in history(tiny, "Ana", 1)}
    # C1's next call is C4 (SA- BR+): neither AGQ nor CNS came back.
    assert rows["C1"]["did_not_come_back"] == ["Asked good questions", "Clear next steps"]
    assert rows["C1"]["came_back"] == []
    # C12's next call is C13 (SA- TOC- BR+): AGQ did not come back.
    assert rows["C12"]["did_not_come_back"] == ["Asked good questions"]
    assert rows["C12"]["too_soon"] == []


def test_rep_history_of_debriefed_calls_without_praise_has_no_verdicts(tiny: Store) -> None:
    ben = {r["observation_id"]: r for r in history(tiny, "Ben", 3)}
    # Ben's only debriefed call, C5, carries criticism only (HPO-).
    assert list(ben) == ["C2", "C5", "C7", "C11"]
    for row in ben.values():
        assert row["came_back"] == row["did_not_come_back"] == row["too_soon"] == []
    cleo = {r["observation_id"]: r for r in history(tiny, "Cleo", 3)}
    # C3's debrief is unknown (not recognised); C14 (debriefed) is Cleo's last call.
    assert cleo["C3"]["came_back"] == [] and cleo["C3"]["too_soon"] == []
    assert cleo["C14"]["too_soon"] == ["Asked good questions"]


def test_rep_history_filters_calls_but_looks_ahead_through_the_whole_history(tiny: Store) -> None:
    feb = history(tiny, "Ana", 3, end=dt.date(2026, 2, 28))
    assert [r["observation_id"] for r in feb] == ["C1", "C4"]
    # C1's AGQ came back on C9 (March), outside the date range: still counted.
    assert feb[0]["came_back"] == ["Asked good questions"]
    spring = history(tiny, "Ana", 3, start=dt.date(2026, 3, 1))
    assert [r["call_no"] for r in spring] == [3, 4, 5, 6]  # positions in the whole history
    toms = history(tiny, "Ana", 3, managers=["Tom"])
    assert [r["observation_id"] for r in toms] == ["C4", "C12"]
    assert history(tiny, "Ana", 3, teams=["South"]) == []
    assert history(tiny, "Nobody", 3) == []


def test_rep_history_recurrence_lists_add_up_to_metrics_by_rep(tiny: Store) -> None:
    for window in (1, 2, 3):
        by_rep = metrics.metrics_json(tiny.con, metrics.Filters(window=window), by="rep")
        for rep, figures in by_rep["groups"].items():
            rows = history(tiny, rep, window)
            rec = figures["recurrence"]["recognized"]
            assert sum(len(r["came_back"]) for r in rows) == rec["recurred"], (rep, window)
            assert (
                sum(len(r["came_back"]) + len(r["did_not_come_back"]) for r in rows)
                == (rec["eligible"])
            )
            assert len(rows) == figures["calls"]
            assert sum(len(r["praise_notes"]) for r in rows) == figures["praise"]
            assert sum(len(r["criticism_notes"]) for r in rows) == figures["criticism"]


# ---- chart helpers --------------------------------------------------------------------------


def test_funnel_managers_places_a_manager_outside_the_95_percent_limits(funnel: Store) -> None:
    # p0(1 - p0) = 12/49. Tom, n = 6: se = sqrt(12/49/6) = 0.202031; 95% limits 3/7 ±
    #   1.959964 * 0.202031 = 0.428571 ± 0.395973 -> [0.032598, 0.824544]: 5/6 = 0.833333 is
    #   above; 99.8%: 0.428571 + 3.090232 * 0.202031 = 1.052894 -> 1, so inside those.
    # Maria, n = 8: se = sqrt(12/49/8) = 0.174964; 95% low 0.428571 - 0.342922 = 0.085649:
    #   1/8 = 0.125 is inside.
    frame = places(funnel)
    assert frame.to_dicts() == [
        {
            "manager": "Maria",
            "calls": 8,
            "took_over": 1,
            "intervention_rate": 0.125,
            "position": "within chance of the team rate",
            "outside95": False,
        },
        {
            "manager": "Tom",
            "calls": 6,
            "took_over": 5,
            "intervention_rate": pytest.approx(5 / 6),
            "position": "outside the 95% limits",
            "outside95": True,
        },
    ]
    # widened by φ = 1.5: Tom's se = 0.202031 * sqrt(1.5) = 0.247436, 95% high 0.428571 +
    #   0.484966 = 0.913537: inside; φ below 1 leaves the plain limits
    assert not places(funnel, phi=1.5)["outside95"].any()
    assert places(funnel, phi=0.5).equals(frame)
    assert limits(funnel, phi=1.5).filter(pl.col("n") == 6)["hi95"][0] == pytest.approx(
        0.913537, abs=1e-6
    )
    assert limits(funnel, phi=0.5).equals(limits(funnel))


@pytest.mark.parametrize("phi", [None, 1.0, 1.5, 4.0])
@pytest.mark.parametrize("changes", [{}, {"teams": ["North"]}, {"start": dt.date(2026, 3, 1)}])
def test_funnel_managers_are_placed_against_the_funnel_limits_at_their_calls(
    tiny: Store, funnel: Store, phi: float | None, changes: dict
) -> None:
    for store in (tiny, funnel):
        at_n = {r["n"]: r for r in limits(store, phi=phi, **changes).iter_rows(named=True)}
        for row in places(store, phi=phi, **changes).iter_rows(named=True):
            lim, rate = at_n[row["calls"]], row["intervention_rate"]
            out998 = not lim["lo998"] <= rate <= lim["hi998"]
            out95 = not lim["lo95"] <= rate <= lim["hi95"]
            assert row["outside95"] == out95
            assert row["position"] == (
                "outside the 99.8% limits"
                if out998
                else "outside the 95% limits"
                if out95
                else "within chance of the team rate"
            )


def test_the_funnel_draws_each_manager_where_funnel_managers_places_them(funnel: Store) -> None:
    by_manager = metrics.metrics_frame(funnel.con, metrics.Filters(), by="manager")
    chart = charts.funnel(by_manager, limits(funnel), places(funnel))
    spec = chart.to_dict()
    assert spec["title"] == "Intervention rate against calls observed"
    points = chart.layer[-1].data  # the dots are drawn last
    assert dict(zip(points["manager"], points["position"], strict=True)) == {
        "Maria": "within chance of the team rate",
        "Tom": "outside the 95% limits",
    }
    widened = charts.funnel(by_manager, limits(funnel, phi=1.5), places(funnel, phi=1.5))
    assert set(widened.layer[-1].data["position"]) == {"within chance of the team rate"}


def test_funnel_labels_of_points_close_together_do_not_overlap() -> None:
    frame = pl.DataFrame({"calls": [100, 101, 102], "rate": [0.5, 0.5, 0.5]})
    placed = charts._place_labels(frame, "calls", "rate", x_span=100.0, y_span=1.0)
    boxes = [
        (x if side == "right" else x - 15, x + 15 if side == "right" else x, y)
        for x, y, side in zip(placed["calls"], placed["label_y"], placed["label_side"], strict=True)
    ]
    for index, (a1, b1, y1) in enumerate(boxes):
        for a2, b2, y2 in boxes[index + 1 :]:
            assert not (a1 < b2 and a2 < b1 and abs(y1 - y2) < 0.05)


def _managers(count: int) -> pl.DataFrame:
    """metrics by manager for COUNT managers (only the columns the funnel reads)."""
    calls = [10 + index for index in range(count)]
    return pl.DataFrame(
        {
            "grp": [f"Manager {index:03}" for index in range(count)],
            "calls": calls,
            "took_over": [index % 5 for index in range(count)],
            "intervention_rate": [(index % 5) / n for index, n in enumerate(calls)],
            "intervention_rate_lo": [0.0] * count,
            "intervention_rate_hi": [0.5] * count,
            "calls_small": [False] * count,
        }
    )


def _funnel_parts(count: int) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    managers = _managers(count)
    grid = pl.DataFrame({"n": [1, 100, 1000]}).with_columns(
        p0=pl.lit(0.2), lo95=pl.lit(0.1), hi95=pl.lit(0.3), lo998=pl.lit(0.05), hi998=pl.lit(0.4)
    )
    places = managers.select(pl.col("grp").alias("manager"), position=pl.lit("within"))
    return managers, grid, places


def test_the_funnel_names_a_few_managers_beside_their_dots() -> None:
    chart = charts.funnel(*_funnel_parts(charts.MAX_LABELLED))
    texts = [layer for layer in chart.layer if layer.to_dict()["mark"]["type"] == "text"]
    assert texts  # a halo and a name for each side in use
    assert set(texts[0].data["manager"]) == {f"Manager {i:03}" for i in range(charts.MAX_LABELLED)}


def test_the_funnel_of_many_managers_names_none_and_places_no_label(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # placing labels takes time growing with the cube of the managers: 7 s for the 834 of a
    # million notes, which the page spent on every run to then draw no label
    def placed(*args: object) -> None:
        raise AssertionError("labels placed for a funnel that shows none")

    monkeypatch.setattr(charts, "_place_labels", placed)
    chart = charts.funnel(*_funnel_parts(charts.MAX_LABELLED + 1))
    assert [layer.to_dict()["mark"]["type"] for layer in chart.layer] == ["line", "circle"]
    assert chart.layer[-1].data.height == charts.MAX_LABELLED + 1


def test_busiest_keeps_the_managers_with_the_most_calls_in_their_order() -> None:
    managers = _managers(5).with_columns(calls=pl.Series([30, 10, 30, 20, 40]))
    # 40 calls (Manager 004), then the two with 30, kept in the frame's order
    kept = charts.busiest(managers, 3)
    assert kept["grp"].to_list() == ["Manager 000", "Manager 002", "Manager 004"]
    assert charts.busiest(managers, 5).equals(managers)


def test_the_managers_actions_run_across_a_row_per_manager_tall_enough_for_names() -> None:
    # side by side, thirty names overlapped and Vega drew one in four (or one in two, slanted)
    frame = pl.DataFrame(
        {
            "grp": ["Ana", "Bo", "Cy"],
            "calls": [4, 2, 2],
            "observed": [2, 1, 0],
            "assisted": [1, 1, 1],
            "took_over": [1, 0, 1],
        }
    ).with_columns(
        (pl.col(action) / pl.col("calls")).alias(f"{action}_share")
        for action in ("observed", "assisted", "took_over")
    )
    spec = charts.action_share(frame, "manager").to_dict()
    assert spec["encoding"]["y"]["field"] == "manager"
    assert spec["encoding"]["y"]["sort"] == ["Ana", "Bo", "Cy"]
    assert spec["encoding"]["x"]["field"] == "share"
    assert spec["height"] == 3 * charts.BAR_PX + 170
    by_month = charts.action_share(frame, "month").to_dict()  # the Overview's, by period
    assert by_month["encoding"]["x"]["field"] == "month"


def test_the_managers_actions_chart_shows_the_busiest_and_says_so(
    app, sample_store: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import json

    import pyarrow as pa

    with Store(sample_store, read_only=True) as store:
        by_manager = metrics.metrics_frame(store.con, metrics.Filters(), by="manager")
    busiest = by_manager.sort(["calls", "grp"], descending=[True, False])["grp"][:3]
    monkeypatch.setattr(charts, "MAX_BARS", 3)  # the sample has 5 managers
    at = app(sample_store, page=MANAGERS)
    assert not at.exception
    chart = next(
        element
        for element in at.get("vega_lite_chart")
        if json.loads(element.proto.spec).get("title") == "What managers did on the call"
    )
    (dataset,) = chart.proto.datasets
    drawn = pa.ipc.open_stream(dataset.data.data).read_all()
    assert set(drawn.column("manager").to_pylist()) == set(busiest)
    assert (
        f"The 3 managers with the most calls, of {by_manager.height}; the table above lists "
        "every one."
    ) in [caption.value for caption in at.caption]


def test_charts_of_the_pages_carry_no_decimal_and_export(tiny: Store) -> None:
    by_behavior = metrics.metrics_frame(tiny.con, metrics.Filters(window=1), by="behavior")
    overall = metrics.metrics_frame(tiny.con, metrics.Filters(window=1))
    rows = metrics.run(
        tiny.con,
        "rep_history",
        rep="Ana",
        window=1,
        start=None,
        end=None,
        teams=[],
        managers=[],
        scope=EVERYTHING,
    )
    by_manager = metrics.metrics_frame(tiny.con, metrics.Filters(window=1), by="manager")
    figures = [
        charts.funnel(by_manager, limits(tiny), places(tiny)),
        charts.recurrence_by_behavior(by_behavior),
        charts.mistake_repeat(overall),
        charts.rep_timeline(rows),
    ]
    for figure in figures:
        assert "decimal" not in str(figure.to_dict()).lower()
        assert charts.to_svg(figure).startswith(b"<svg")
    # the mistake chart shows the four responses that have eligible mistakes at K = 1:
    # took over (C5, C10), assisted (C4, C7 x2), observed + debrief (C1, C12), observed only
    # (C2, C3)
    data = charts.mistake_repeat(overall).data  # shared by the layers
    assert sorted(data["bucket"]) == sorted(charts.RESPONSE_LABELS.values())
    assert dict(zip(data["bucket"], data["eligible"], strict=True)) == {
        "Took over": 2,
        "Assisted": 3,
        "Observed + debrief": 2,
        "Observed only": 2,
    }


# ---- pages ----------------------------------------------------------------------------------


def shown_filters(at) -> metrics.Filters:
    """The filters the sidebar shows (the figures on the page must follow them)."""
    start, end = at.date_input(key="f_dates").value
    return metrics.Filters(
        start=start,
        end=end,
        teams=tuple(at.multiselect(key="f_team").value),
        managers=tuple(at.multiselect(key="f_manager").value),
        reps=tuple(at.multiselect(key="f_rep").value),
        window=at.slider(key="f_window").value,
    )


def table_with(at, column: str):
    """The page's dataframe (pandas) that has `column`."""
    for frame in at.dataframe:
        if column in frame.value.columns:
            return frame.value
    raise AssertionError(f"no table with a {column!r} column")


def opened(store_path: Path) -> Store:
    """The store the app has open: a second connection in this process must use the same
    configuration as the app's (read-write), or DuckDB refuses it."""
    return Store(store_path)


def expected(store_path: Path, filters: metrics.Filters, by: str | None = None) -> dict:
    with opened(store_path) as store:
        return metrics.metrics_json(store.con, filters, by)


def pct(value: float | None) -> float | None:
    return None if value is None else value * 100


def same(shown, value) -> bool:
    if value is None:
        return shown is None or (isinstance(shown, float) and math.isnan(shown))
    return shown == pytest.approx(value)


@pytest.mark.parametrize("page", [MANAGERS, BEHAVIOURS, REPS])
def test_page_runs_without_exception(app, sample_store: Path, page: str) -> None:
    at = app(sample_store, page=page)
    assert not at.exception
    assert at.title[0].value in ("Managers", "Behaviours", "Reps")
    assert len(at.get("download_button")) >= 3  # a CSV and a chart's PNG and SVG


def check_managers_table(at, store_path: Path) -> dict:
    filters = shown_filters(at)
    groups = expected(store_path, filters, "manager")["groups"]
    table = table_with(at, "manager")
    assert sorted(table["manager"]) == sorted(g for g, m in groups.items() if m["calls"])
    for row in table.to_dict("records"):
        figures = groups[row["manager"]]
        assert row["calls"] == figures["calls"]
        assert same(row["intervention"], pct(figures["intervention_rate"]))
        assert same(row["debrief"], pct(figures["debrief_rate"]))
        assert same(row["observer_took_over"], pct(figures["planned_observer_took_over"]["rate"]))
        assert same(row["recurs"], pct(figures["recurrence"]["recognized"]["rate"]))
        assert same(row["ratio"], figures["praise_to_criticism"])
        lo, hi = figures["intervention_rate_ci"]
        assert row["intervention_ci"] == f"{formatting.pct(lo)[:-1]}–{formatting.pct(hi)}"
    return groups


def test_managers_table_equals_metrics_by_manager(app, sample_store: Path) -> None:
    at = app(sample_store, page=MANAGERS)
    groups = check_managers_table(at, sample_store)
    assert set(groups) == {
        "Amir Kaur",
        "Dmitri Vogel",
        "Fatima Bauer",
        "Hiro Reyes",
        "Quinn Romero",
    }
    everyone = expected(sample_store, shown_filters(at))
    team_rate = at.metric[0]
    assert team_rate.label == "Team intervention rate"
    assert team_rate.value == f"{everyone['intervention_rate'] * 100:.1f}%"
    # counts with thousands separators, in both tables of managers
    import json

    formats = [json.loads(df.proto.columns)["calls"]["type_config"] for df in at.dataframe[:2]]
    assert [f["format"] for f in formats] == ["localized", "localized"]


def test_choosing_a_team_narrows_the_managers_and_lands_in_the_url(app, sample_store: Path) -> None:
    at = app(sample_store, page=MANAGERS)
    at.multiselect(key="f_team").select("SMB").run()
    assert not at.exception
    groups = check_managers_table(at, sample_store)
    # SMB has two managers in the sample
    assert sorted(table_with(at, "manager")["manager"]) == ["Dmitri Vogel", "Quinn Romero"]
    assert set(g for g, m in groups.items() if m["calls"]) == {"Dmitri Vogel", "Quinn Romero"}
    assert at.query_params["team"] in ("SMB", ["SMB"])
    smb = expected(sample_store, shown_filters(at))
    assert at.metric[0].value == f"{smb['intervention_rate'] * 100:.1f}%"


def test_behaviours_page_figures_equal_metrics_by_behavior(app, sample_store: Path) -> None:
    at = app(sample_store, page=BEHAVIOURS)
    assert not at.exception
    filters = shown_filters(at)
    groups = expected(sample_store, filters, "behavior")["groups"]
    table = table_with(at, "behavior")
    praised = {
        g
        for g, m in groups.items()
        if m["recurrence"]["recognized"]["eligible"] + m["recurrence"]["unrecognized"]["eligible"]
    }
    assert set(table["behavior"]) == praised
    for row in table.to_dict("records"):
        rec = groups[row["behavior"]]["recurrence"]
        assert row["rec_n"] == rec["recognized"]["eligible"]
        assert row["unrec_n"] == rec["unrecognized"]["eligible"]
        assert same(row["rec"], pct(rec["recognized"]["rate"]))
        assert same(row["unrec"], pct(rec["unrecognized"]["rate"]))
        assert same(row["lift"], rec["lift"])
    overall = expected(sample_store, filters)["mistake_repeat"]
    headline = table_with(at, "Manager's response")
    for row, key in zip(headline.to_dict("records"), metrics.MISTAKE_RESPONSES, strict=True):
        assert row["Manager's response"] == charts.RESPONSE_LABELS[key]
        assert row["Mistakes (eligible)"] == overall[key]["eligible"]
        assert row["Repeated"] == overall[key]["repeated"]
        assert same(row["Repeat rate"], pct(overall[key]["rate"]))
    per_mistake = table_with(at, "Mistake")
    for row in per_mistake.to_dict("records"):
        mr = groups[row["Mistake"]]["mistake_repeat"]
        assert row["Took over (n)"] == mr["took_over"]["eligible"]
        assert same(row["Observed + debrief"], pct(mr["observed_debriefed"]["rate"]))
    # the caveat sits beside each comparison, not at the bottom
    assert sum(metrics.OBSERVATIONAL_NOTE in c.value for c in at.caption) >= 2


def test_changing_the_window_recomputes_the_behaviours(app, sample_store: Path) -> None:
    at = app(sample_store, page=BEHAVIOURS)
    at.slider(key="f_window").set_value(5).run()
    assert not at.exception
    assert at.query_params["window"] in ("5", ["5"])
    filters = shown_filters(at)
    assert filters.window == 5
    overall = expected(sample_store, filters)["mistake_repeat"]
    headline = table_with(at, "Manager's response")
    assert list(headline["Mistakes (eligible)"]) == [
        overall[k]["eligible"] for k in metrics.MISTAKE_RESPONSES
    ]


def check_rep_page(at, store_path: Path, rep: str) -> None:
    assert at.selectbox(key="rep_focus").value == rep
    filters = shown_filters(at).replace(reps=(rep,))
    figures = expected(store_path, filters)
    table = table_with(at, "Call no.")
    calls = list(table["Call no."])
    assert len(calls) == figures["calls"]
    assert calls == sorted(calls) and len(set(calls)) == len(calls)  # rep order
    assert list(table["Date"]) == sorted(table["Date"])

    def listed(cells) -> int:  # behaviours are listed with "; " between them
        return sum(len(x.split("; ")) for x in cells if x)

    assert listed(table["Praise"]) == figures["praise"]
    assert listed(table["Criticism"]) == figures["criticism"]
    recognized = figures["recurrence"]["recognized"]
    assert listed(table["Came back"]) == recognized["recurred"]
    assert listed(table["Came back"]) + listed(table["Did not come back"]) == recognized["eligible"]
    tiles = {t.label: t.value for t in at.metric}
    assert tiles["Calls observed"] == f"{figures['calls']:,}"
    assert at.query_params["focus"] in (rep, [rep])


def test_reps_page_shows_the_chosen_reps_calls_in_rep_order(app, sample_store: Path) -> None:
    at = app(sample_store, page=REPS, query={"focus": "Uma Petrov"})
    assert not at.exception
    check_rep_page(at, sample_store, "Uma Petrov")
    with opened(sample_store) as store:
        by_rep = metrics.metrics_json(store.con, shown_filters(at), "rep")["groups"]
    assert len(table_with(at, "Call no.")) == by_rep["Uma Petrov"]["calls"]
    # the whole history: call numbers run 1..n
    assert list(table_with(at, "Call no.")["Call no."]) == list(
        range(1, by_rep["Uma Petrov"]["calls"] + 1)
    )

    at.selectbox(key="rep_focus").select("Ivan Santos").run()
    assert not at.exception
    check_rep_page(at, sample_store, "Ivan Santos")


def test_reps_page_restores_team_and_rep_from_the_url(app, sample_store: Path) -> None:
    at = app(sample_store, page=REPS, query={"team": "Channel", "focus": "Ivan Santos"})
    assert not at.exception
    assert at.multiselect(key="f_team").value == ["Channel"]
    with opened(sample_store) as store:
        channel = metrics.metrics_frame(store.con, metrics.Filters(teams=("Channel",)), by="rep")
    assert at.selectbox(key="rep_focus").options == channel["grp"].to_list()
    check_rep_page(at, sample_store, "Ivan Santos")


def test_reps_page_defaults_to_the_one_rep_in_the_sidebar_filter(app, sample_store: Path) -> None:
    at = app(sample_store, page=REPS, query={"rep": "Oscar Brooks", "start": "2025-06-01"})
    assert not at.exception
    assert at.selectbox(key="rep_focus").value == "Oscar Brooks"
    check_rep_page(at, sample_store, "Oscar Brooks")
    # a date range that starts later: the call numbers keep their place in the whole history
    assert table_with(at, "Call no.")["Call no."].iloc[0] > 1


@pytest.mark.parametrize("page", [MANAGERS, BEHAVIOURS, REPS])
def test_an_empty_selection_shows_a_helpful_message(app, sample_store: Path, page: str) -> None:
    # Helen Mendes's first call is on 7 Oct 2025: none of hers ends by 30 Sep 2025.
    at = app(sample_store, page=page, query={"rep": "Helen Mendes", "end": "2025-09-30"})
    assert not at.exception
    assert any("No calls match these filters" in i.value for i in at.info)
    assert not at.dataframe
