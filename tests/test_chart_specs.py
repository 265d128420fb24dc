"""Chart specs a new user met: the ratio trend of one rep (a month of few notes reached 150:1
and flattened the line), specs Vega warned about ("Dropping fit-y", "Infinite extent"), and
charts of an organisation's thousands of managers drawn to files."""

from __future__ import annotations

import datetime as dt
import inspect
from pathlib import Path

import altair as alt
import polars as pl
import pytest
from altair import MaxRowsError

from dashboard import charts, metrics, quarterly
from dashboard.access import EVERYTHING
from dashboard.store import Store


def months(*rows: tuple[str, int, int, float | None, float, float | None]) -> pl.DataFrame:
    """metrics by month: (month, praise, criticism, ratio, interval low, interval high)."""
    return pl.DataFrame(
        rows,
        schema=[
            ("grp", pl.String),
            ("praise", pl.Int64),
            ("criticism", pl.Int64),
            ("praise_to_criticism", pl.Float64),
            ("praise_to_criticism_lo", pl.Float64),
            ("praise_to_criticism_hi", pl.Float64),
        ],
        orient="row",
    ).with_columns(pl.lit(False).alias("ratio_small"))


def test_the_ratio_trend_is_on_a_log_scale_with_a_one_to_one_line() -> None:
    frame = months(
        ("2026-01", 4, 2, 2.0, 0.5, 9.0),
        ("2026-02", 6, 1, 6.0, 1.1, 150.0),  # one criticism: the interval reaches 150:1
        ("2026-03", 3, 0, None, 0.9, None),  # no criticism: no ratio, no upper bound
    )
    spec = charts.ratio_trend(frame, "month", reference=5.6).to_dict()
    band = spec["layer"][1]
    assert band["encoding"]["y"]["scale"]["type"] == "log"
    # the axis spans the ratios (2 and 6), 1:1 and the reference, a factor 2 beyond
    assert band["encoding"]["y"]["scale"]["domain"] == [0.5, 12.0]
    data = charts.ratio_trend(frame, "month", reference=5.6).layer[1].data
    assert data["hi_at"].to_list() == [9.0, 12.0, 12.0]  # cut at the edge
    assert data["cut"].to_list() == [False, True, True]
    assert data["interval_text"].to_list() == ["[0.5:1–9.0:1]", "[1.1:1–150.0:1]", "[0.9:1–∞]"]
    assert "cut there" in spec["title"]["subtitle"][0]
    assert charts.ratio_trend(frame, "month").layer[0].data["at"].to_list() == [1.0]


def test_a_trend_within_the_axis_says_nothing_is_cut() -> None:
    frame = months(("2026-01", 4, 2, 2.0, 0.9, 3.5))
    spec = charts.ratio_trend(frame, "month", reference=None).to_dict()
    # no subtitle at all: an empty one pushed the title half out of the chart in the browser
    assert spec["title"] == {"text": "Praise-to-criticism ratio"}


def test_charts_with_a_height_per_row_give_it_as_a_number() -> None:
    frame = pl.DataFrame(
        {
            "manager": ["A", "A"],
            "period": ["Q1", "Q2"],
            "order": [0, 1],
            "rate": [0.2, 0.3],
            "lo": [0.1, 0.2],
            "hi": [0.3, 0.4],
            "n": [20, 20],
            "small": [False, False],
        }
    )
    spec = charts.period_comparison(frame, "manager", "Took over").to_dict()
    # a step height ({"step": 17}) makes Vega drop Streamlit's fit-y with a warning
    assert spec["height"] == charts.ROW_PX + charts.FRAME_PX  # one manager


def test_the_funnel_of_one_manager_draws_no_layer_without_rows() -> None:
    managers = pl.DataFrame(
        {
            "grp": ["Fatima"],
            "calls": [534],
            "took_over": [26],
            "intervention_rate": [26 / 534],
            "intervention_rate_lo": [0.03],
            "intervention_rate_hi": [0.07],
            "calls_small": [False],
        }
    )
    n = list(range(1, 535))
    limits = pl.DataFrame(
        {"n": n, "p0": [26 / 534] * 534, "lo95": [0.0] * 534, "hi95": [0.1] * 534}
    ).with_columns(pl.col("lo95").alias("lo998"), pl.col("hi95").alias("hi998"))
    places = pl.DataFrame({"manager": ["Fatima"], "position": ["within chance of the team rate"]})
    chart = charts.funnel(managers, limits, places)
    for layer in chart.layer:
        data = layer.data if isinstance(layer.data, pl.DataFrame) else None
        filters = [t for t in layer.to_dict().get("transform", []) if "filter" in t]
        if data is not None and filters:
            side = filters[0]["filter"].split("'")[1]
            assert side in set(data["label_side"]), f"a layer for '{side}' labels has no rows"


def test_a_name_with_control_characters_is_drawn_not_a_crash() -> None:
    # vl-convert panics on a character XML forbids and aborts the process: names imported
    # before the importer refused them must still draw (in a subprocess, so a panic fails the
    # test instead of killing pytest)
    import subprocess
    import sys

    code = (
        "import altair as alt, polars as pl\n"
        "from dashboard import charts\n"
        "frame = pl.DataFrame({'name': ['Ana\\x00Bo', 'Cy\\x07'], 'v': [1, 2]})\n"
        "chart = alt.Chart(frame).mark_bar().encode(x='name:N', y='v:Q').properties(\n"
        "    title='Rep \\x1b')\n"
        "png = charts.to_png(chart)\n"
        "svg = charts.to_svg(chart).decode()\n"
        "assert png.startswith(b'\\x89PNG') and len(png) > 1000\n"
        "assert 'Ana\\u2400Bo' in svg and '\\x00' not in svg\n"
        "print('drawn')\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 0 and out.stdout.strip() == "drawn", out.stderr[-2000:]


def test_a_chart_of_more_rows_than_altair_allows_still_draws() -> None:
    """Altair refuses more than 5,000 rows by default; the Managers page's funnel at 10 million
    notes has 8,339 managers, and its PNG and SVG downloads stopped there. to_png/to_svg
    inline every row without changing Altair's setting, which every thread shares."""
    frame = pl.DataFrame({"x": list(range(6000)), "y": [i % 7 for i in range(6000)]})
    points = alt.Chart(frame).mark_point().encode(x="x:Q", y="y:Q")
    chart = alt.layer(points, points.mark_line())
    with pytest.raises(MaxRowsError):
        chart.to_dict()  # Altair's own limit, still in force for everything else
    svg = charts.to_svg(chart).decode()
    assert svg.count("<path") >= 6000  # every point drawn
    assert charts.to_png(chart, scale=1).startswith(b"\x89PNG")
    with pytest.raises(MaxRowsError):
        chart.to_dict()  # and left as it was


def test_every_chart_builder_draws_a_spec_the_vega_lite_schema_accepts(
    sample_store_master: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The pages hand Streamlit their charts without Altair's check against the Vega-Lite
    schema (views/common.py `unvalidated`: the check was 5-15% of a page's CPU at a million
    notes). The check is made here instead, for every chart builder in charts.py, on the
    bundled sample as the pages and the quarterly review build them. And no builder gives an
    encoding as a string or a dict, which Altair converts at a cost (charts.py, above faded)."""

    def converted(cls, dct, validate=True):
        raise AssertionError(f"an encoding given as {dct!r}: give it as a channel object")

    with Store(sample_store_master, read_only=True) as store:
        con, everything = store.con, metrics.Filters()
        by = {g: metrics.metrics_frame(con, everything, by=g) for g in metrics.BY_FIELDS}
        overall = metrics.metrics_frame(con, everything)
        selection = {"start": None, "end": None, "teams": [], "managers": [], "reps": []}
        funnel_parts = [
            metrics.run(con, name, phi=phi, scope=EVERYTHING, **selection)
            for phi in (None, 1.5)
            for name in ("funnel_limits", "funnel_managers")
        ]
        rep = by["rep"]["grp"][0]
        history = metrics.run(con, "rep_history", rep=rep, window=3, scope=EVERYTHING, **selection)
        review = quarterly.build_review(con, None, today=dt.date(2030, 1, 1))
        monkeypatch.setattr(alt.SchemaBase, "from_dict", classmethod(converted))
        drawn = {
            "ratio_trend": [
                charts.ratio_trend(by["month"], "month", 5.6),
                charts.ratio_trend(by["quarter"], "quarter", None),
            ],
            "action_share": [
                charts.action_share(by["month"], "month"),
                charts.action_share(by["quarter"], "quarter"),
                charts.action_share(charts.busiest(by["manager"], 3), "manager"),
            ],
            "funnel": [
                charts.funnel(by["manager"], *funnel_parts[:2]),  # names beside the dots
                charts.funnel(by["manager"], *funnel_parts[2:]),
            ],
            "recurrence_by_behavior": [charts.recurrence_by_behavior(by["behavior"])],
            "mistake_repeat": [charts.mistake_repeat(overall)],
            "rep_timeline": [charts.rep_timeline(history)],
            "period_comparison": list(quarterly.review_charts(review).values()),
        }
    monkeypatch.undo()
    builders = {
        name
        for name, function in inspect.getmembers(charts, inspect.isfunction)
        if function.__module__ == charts.__name__
        and not name.startswith("_")
        and "Chart" in str(inspect.signature(function).return_annotation)
    }
    assert set(drawn) == builders  # a new builder is checked here too
    for name, figures in drawn.items():
        for figure in figures:
            assert figure.to_dict(validate=True)["$schema"], name  # raises when invalid


def test_the_chart_a_page_hands_streamlit_is_the_same_spec_without_the_check() -> None:
    from dashboard.views import common

    frame = pl.DataFrame({"x": [1, 2], "y": [3, 4]})
    figure = alt.layer(alt.Chart(frame).mark_point().encode(x="x:Q", y="y:Q"))
    served = common.unvalidated(figure)
    assert type(served) is type(figure)
    assert served.to_dict() == figure.to_dict()
    figure.height = "tall"  # no such height: Altair's check refuses it
    with pytest.raises(alt.utils.schemapi.SchemaValidationError):
        figure.to_dict()  # the figure itself (and its PNG, SVG downloads) still checks
    assert served.to_dict()["height"] == "tall"  # the copy Streamlit is handed does not
    # ... on the path Streamlit takes with it (st.altair_chart's conversion, 1.67)
    from streamlit.elements import vega_charts

    spec = vega_charts._convert_altair_to_vega_lite_spec(served)
    assert spec["height"] == "tall" and spec["datasets"]  # the data still goes as Arrow
    with pytest.raises(alt.utils.schemapi.SchemaValidationError):
        vega_charts._convert_altair_to_vega_lite_spec(figure)
