"""The Overview page on its own: its tiles are metrics.sql's figures for the sidebar's filters,
and its trend follows the period chosen."""

from __future__ import annotations

from pathlib import Path

from dashboard import formatting
from tests.test_pages import expected, shown_filters, table_with

OVERVIEW = "views/overview.py"


def tiles(at) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def test_overview_tiles_are_the_metrics_of_the_selection(app, sample_store: Path) -> None:
    at = app(sample_store, page=OVERVIEW)
    assert not at.exception
    assert at.title[0].value == "Overview"
    figures = expected(sample_store, shown_filters(at))
    shown = tiles(at)
    mark = formatting.mark(figures["small_sample"])  # the sample's period is not small
    assert shown["Calls observed"] == f"{figures['calls']:,}{mark}"
    assert shown["Intervention rate"].startswith(formatting.pct(figures["intervention_rate"]))
    assert shown["Debrief rate"].startswith(formatting.pct(figures["debrief_rate"]))


def test_choosing_quarters_for_the_trend_shows_metrics_by_quarter(app, sample_store: Path) -> None:
    at = app(sample_store, page=OVERVIEW)
    by_month = table_with(at, "month")
    at.segmented_control(key="trend_period").set_value("quarter").run()
    assert not at.exception
    table = table_with(at, "quarter")
    groups = expected(sample_store, shown_filters(at), by="quarter")["groups"]
    assert list(table["quarter"]) == sorted(groups)
    assert list(table["calls"]) == [groups[q]["calls"] for q in sorted(groups)]
    assert table["calls"].sum() == by_month["calls"].sum()  # the same calls, grouped anew
