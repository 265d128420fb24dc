"""The adjusted figures, the small-sample marks, the beyond-chance colouring, the pooled rates
and the overdispersion factor as the pages show them (AppTest), against the core's figures."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from dashboard import effects, formatting, metrics, quarterly
from dashboard.store import Store

OVERVIEW = "views/overview.py"
BEHAVIOURS = "views/behaviours.py"
MANAGERS = "views/managers.py"


def everything(store_path: Path) -> dict:
    with Store(store_path) as store:
        return metrics.metrics_json(store.con, metrics.Filters())


def tiles(at) -> dict:
    return {m.label: m for m in at.metric}


def captions(at) -> str:
    return "\n".join(c.value for c in at.caption)


def test_overview_leads_with_the_within_rep_lift_and_shows_the_crude_beside_it(
    app, sample_store: Path
) -> None:
    m = everything(sample_store)
    at = app(sample_store)
    assert not at.exception
    shown = tiles(at)
    adjusted = m["recurrence"]["adjusted"]
    assert shown["Recognition lift, within rep"].value == f"{adjusted['lift']:.2f}×"
    assert "Recognition lift" not in shown  # no unlabelled crude lift
    lo, hi = adjusted["lift_ci"]
    assert f"[{lo:.2f}×–{hi:.2f}×] within {adjusted['strata']} reps" in captions(at)
    assert f"crude {m['recurrence']['lift']:.2f}×" in captions(at)
    assert "regression to the mean" in captions(at)


def test_overview_over_all_the_data_says_no_earlier_data_instead_of_a_change(
    app, sample_store: Path
) -> None:
    at = app(sample_store)
    assert all(t.delta in (None, "") for t in at.metric)
    assert "No earlier data" in captions(at)


def test_overview_changes_are_coloured_only_beyond_chance_with_their_interval(
    app, sample_store: Path
) -> None:
    now = metrics.Filters(start=dt.date(2026, 4, 1), end=dt.date(2026, 6, 30))
    prev_start, prev_end = metrics.previous_period(now.start, now.end)
    with Store(sample_store) as store:
        current = metrics.metrics_frame(store.con, now).row(0, named=True)
        before = metrics.metrics_frame(store.con, now.replace(start=prev_start, end=prev_end)).row(
            0, named=True
        )
    at = app(sample_store, query={"start": "2026-04-01", "end": "2026-06-30"})
    assert not at.exception
    shown = tiles(at)
    for measure in (quarterly.CALLS, quarterly.INTERVENTION, quarterly.DEBRIEF, quarterly.RATIO):
        c = quarterly.Change(measure, current, before, now.min_n)
        tile = shown[measure.label]
        assert tile.delta, measure.label
        assert c.chance_text() in tile.help
        if c.change_interval_text():
            assert c.change_interval_text() in tile.help
        # grey unless beyond chance (the quarterly review's test)
        assert ("color: GRAY" in str(tile.proto)) == (not c.beyond_chance), measure.label


def test_behaviours_page_shows_adjusted_figures_first_and_counts_unknown_debriefs(
    app, sample_store: Path
) -> None:
    at = app(sample_store, page=BEHAVIOURS)
    assert not at.exception
    with Store(sample_store) as store:
        filters = metrics.Filters(start=at.date_input(key="f_dates").value[0])
        filters = filters.replace(end=at.date_input(key="f_dates").value[1])
        adjusted = metrics.adjusted(store.con, filters)
        row = metrics.metrics_frame(store.con, filters).row(0, named=True)
    shown = tiles(at)
    labels = [m.label for m in at.metric]
    assert labels.index("Recognition lift, within rep") < labels.index("Recognition lift, crude")
    assert shown["Recognition lift, within rep"].value == formatting.times(adjusted.lift.ratio)
    assert shown["Recognition lift, crude"].value == formatting.times(row["lift"])
    assert shown["Praise with unknown debrief"].value == (
        f"{adjusted.unknown['rec_unknown_eligible']:,}"
    )
    assert adjusted.unknown["rec_unknown_eligible"] > 0  # the sample has unknown debriefs
    within = None
    for frame in at.dataframe:
        if "Within rep vs observe + debrief" in frame.value.columns:
            within = frame.value
    assert within is not None
    for record, key in zip(within.to_dict("records"), metrics.COMPARED_RESPONSES, strict=True):
        assert record["Within rep vs observe + debrief"] == pytest.approx(
            adjusted.responses[key].ratio
        )
        assert record["Reps"] == adjusted.responses[key].strata
    unknown = adjusted.unknown["mr_observed_unknown_eligible"]
    assert f"Unknown debriefs: {unknown:,} mistakes" in captions(at)


def test_managers_page_shows_pooled_rates_and_the_overdispersion_factor(
    app, sample_store: Path
) -> None:
    at = app(sample_store, page=MANAGERS)
    assert not at.exception
    with Store(sample_store) as store:
        by_manager = metrics.shrunk_rates(
            metrics.metrics_frame(store.con, metrics.Filters(), by="manager")
        )
        everyone = metrics.metrics_frame(store.con).row(0, named=True)
    phi = effects.overdispersion(
        by_manager["took_over"].to_list(), by_manager["calls"].to_list(),
        everyone["intervention_rate"],
    )  # fmt: skip
    assert tiles(at)["Overdispersion φ"].value == f"{phi:.2f}"
    assert phi > 1  # the sample's managers differ by style: more than binomial scatter
    table = None
    for frame in at.dataframe:
        if "intervention_eb" in frame.value.columns:
            table = frame.value
    expected = {r["grp"]: r for r in by_manager.iter_rows(named=True)}
    for record in table.to_dict("records"):
        e = expected[record["manager"]]
        assert record["intervention_eb"] == pytest.approx(e["intervention_rate_eb"] * 100)
        assert record["debrief_eb"] == pytest.approx(e["debrief_rate_eb"] * 100)
    assert "managers outside the 95% limits" in captions(at)


def test_the_funnel_toggle_draws_the_plain_binomial_limits(app, sample_store: Path) -> None:
    at = app(sample_store, page=MANAGERS)
    widened = next(c for c in captions(at).splitlines() if "outside the 95% limits" in c)
    at.toggle(key="funnel_unadjusted").set_value(True).run()
    assert not at.exception
    plain = next(c for c in captions(at).splitlines() if "outside the 95% limits" in c)
    assert plain.startswith("Plain binomial limits") and widened.startswith("Limits widened")
    outside = lambda line: int(line.split(": ")[1].split(" of ")[0])  # noqa: E731
    assert outside(plain) >= outside(widened)


def test_shrinkage_pulls_small_groups_most_and_keeps_the_pooled_rate_fixed() -> None:
    # three groups: 1 of 2, 30 of 100, 10 of 100 (pooled 41/202)
    eb = effects.shrink([1, 30, 10], [2, 100, 100])
    pooled = 41 / 202
    assert abs(eb[0] - pooled) < abs(0.5 - pooled)  # the two-call group is pulled hardest
    assert abs(eb[0] - 0.5) > abs(eb[1] - 0.30)
    assert effects.shrink([0], [0]) == [None]


def test_overdispersion_is_about_1_for_binomial_scatter_and_larger_beyond_it() -> None:
    # rates exactly at p0 give 0; rates 3 standard errors away give 9 (winsorised: all equal)
    assert effects.overdispersion([20, 20, 20], [100, 100, 100], 0.2) == 0.0
    se = (0.2 * 0.8 / 100) ** 0.5
    k = round((0.2 + 3 * se) * 100)
    assert effects.overdispersion([k, k, k], [100, 100, 100], 0.2) == pytest.approx(
        ((k / 100 - 0.2) / se) ** 2
    )


def test_an_infinite_ratio_is_shown_with_its_counts_not_as_no_notes() -> None:
    assert formatting.ratio_counts(4, 0, None) == "∞ (no criticism, 4 praise)"
    assert formatting.ratio_counts(0, 0, None) == "–"
    assert formatting.ratio_counts(6, 3, 2.0) == "2.0:1"


def test_the_ratio_trend_labels_the_reference_line_and_fades_small_periods(data_dir) -> None:
    from dashboard import charts
    from dashboard.store import load_files

    store, _ = load_files([data_dir / "strata.csv"])
    # one month of 15 notes: small under a threshold of 20
    trend = metrics.metrics_frame(store.con, metrics.Filters(min_n=20), by="month")
    store.close()
    spec = charts.ratio_trend(trend, "month", 5.6).to_dict()
    layers = spec["layer"]
    texts = [layer for layer in layers if layer["mark"]["type"] == "text"]
    assert texts, "the reference line has a label drawn in the chart (so exports carry it)"
    data = spec["datasets"]
    assert any("5.6:1 reference (Losada; disputed)" in str(rows) for rows in data.values())
    points = [layer for layer in layers if layer["mark"]["type"] == "point"]
    assert "ratio_small" in str(points[0]["encoding"]["opacity"])
    assert trend["ratio_small"].to_list() == [True]


def test_the_counts_under_the_overviews_tiles_carry_thousands_separators(
    app, sample_store: Path
) -> None:
    # "61105 of 400000 calls" beside "400,000" in the tile above it, at a million notes
    m = everything(sample_store)
    at = app(sample_store)
    assert m["calls"] >= 1000
    assert f"{m['actions']['took_over']:,} of {m['calls']:,} calls [" in captions(at)


def test_the_overviews_figures_by_month_are_metrics_by_month_in_percent(
    app, sample_store: Path
) -> None:
    import json

    with Store(sample_store, read_only=True) as store:
        by_month = metrics.metrics_frame(store.con, metrics.Filters(), by="month")
    at = app(sample_store)
    table = next(df for df in at.dataframe if "intervention_rate" in df.value.columns)
    shown = table.value
    assert shown["month"].tolist() == by_month["grp"].to_list()
    assert shown["calls"].tolist() == by_month["calls"].to_list()
    assert shown["took_over"].tolist() == by_month["took_over"].to_list()
    for ours, theirs in zip(shown["intervention_rate"], by_month["intervention_rate"], strict=True):
        assert ours == pytest.approx(float(theirs) * 100)
    config = json.loads(table.proto.columns)
    assert config["calls"]["type_config"]["format"] == "localized"
    assert config["intervention_rate"]["type_config"]["format"] == "%.0f%%"
    assert config["intervention_rate"]["label"] == "Intervention rate"
