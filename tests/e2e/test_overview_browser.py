"""The Overview in a browser: the tiles show `ridealong metrics --json`, the charts are drawn,
and a filter lives in the URL."""

from __future__ import annotations

from urllib.parse import parse_qs, urlparse

from tests.e2e.browser import SAMPLE, cli_metrics, kpis


def test_overview_tiles_equal_the_cli_metrics_and_the_charts_draw_every_month(tab):
    tab.open("/")
    assert tab.metrics() == kpis(cli_metrics(str(SAMPLE)))

    months = cli_metrics(str(SAMPLE), "--by", "month")["groups"]
    assert len(months) == 24  # the sample runs from 2024-10 to 2026-09
    charts = tab.page.get_by_test_id("stVegaLiteChart")
    ratio = charts.filter(has_text="Praise-to-criticism ratio")
    assert ratio.locator("svg .mark-symbol.role-mark path").count() == len(months)  # a point each
    assert ratio.locator("svg .mark-line.role-mark path").count() == 1
    actions = charts.filter(has_text="What managers did on the call")
    # one stacked bar per month and action: observed, assisted, took over
    assert actions.locator("svg .mark-rect.role-mark path").count() == 3 * len(months)


def test_a_team_filter_changes_the_figures_and_the_url_and_that_url_opens_the_same_view(new_tab):
    first = new_tab().open("/")
    everyone = first.metrics()
    team = first.sidebar_widget("stMultiSelect", "Team")
    team.click()
    first.rerun(lambda: first.page.get_by_role("option", name="Enterprise", exact=True).click())
    first.page.keyboard.press("Escape")

    url = urlparse(first.page.url)
    assert parse_qs(url.query) == {"team": ["Enterprise"]}
    enterprise = kpis(cli_metrics(str(SAMPLE), "--team", "Enterprise"))
    assert first.metrics() == enterprise
    assert enterprise != everyone

    # a colleague opens the link: a new browser context, so a new session
    second = new_tab().open(f"{url.path}?{url.query}")
    assert second.metrics() == enterprise
    chosen = second.sidebar_widget("stMultiSelect", "Team").locator("[data-tag]:visible")
    assert chosen.all_inner_texts() == ["Enterprise"]
    assert parse_qs(urlparse(second.page.url).query) == {"team": ["Enterprise"]}
