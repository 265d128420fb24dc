"""What only a browser shows of a new user's first hour: a typed date range applied on Enter,
the Managers table within a 1,400-pixel window, download names without spaces, and pages
opened by their own link (or on little data) without a console error or a Vega warning (the
`new_tab` fixture fails a test on either)."""

from __future__ import annotations

from urllib.parse import parse_qs, urlparse

from tests.e2e.browser import SAMPLE, cli_metrics, kpis


def test_a_date_range_typed_and_confirmed_with_enter_is_applied(tab):
    tab.open("/")
    everyone = tab.metrics()
    field = tab.page.get_by_test_id("stSidebar").get_by_test_id("stDateInputField")
    field.get_by_role("spinbutton").first.click()  # the start date's month
    tab.page.keyboard.type("20260101")  # the field reads YYYY/MM/DD: 1 Jan 2026
    tab.rerun(lambda: tab.page.keyboard.press("Enter"))
    assert parse_qs(urlparse(tab.page.url).query) == {"start": ["2026-01-01"]}
    assert tab.metrics() != everyone
    assert tab.metrics() == kpis(cli_metrics(str(SAMPLE), "--start", "2026-01-01"))


def test_the_managers_table_fits_a_1400_pixel_window(tab):
    tab.open("/managers")
    assert tab.exceptions() == []
    grid = tab.main.get_by_test_id("stDataFrame").filter(has_text="Praise recurs").first
    grid.locator("table tbody tr").first.wait_for(state="attached")
    scroll, visible = grid.locator(".dvn-scroller").first.evaluate(
        "s => [s.scrollWidth, s.clientWidth]"
    )
    assert scroll <= visible, f"the table is {scroll} px wide in {visible} px"


def test_a_reps_chart_downloads_under_a_name_without_spaces(tab):
    tab.open("/reps?focus=Adam+Quintero")
    with tab.page.expect_download() as download:
        tab.main.get_by_test_id("stDownloadButton").filter(has_text="PNG").first.click()
    assert download.value.suggested_filename == "ridealong_Adam-Quintero_timeline.png"


def test_the_upload_page_opens_by_its_own_link_without_an_unexplained_console_error(tab):
    tab.open("/upload")
    assert tab.main.locator("h1").first.inner_text() == "Upload"
    assert tab.problems() == []  # the two 404s of streamlit/streamlit#7074 only


def test_the_managers_page_on_one_manager_draws_without_a_vega_warning(tab):
    tab.open("/managers?team=Enterprise")
    assert tab.exceptions() == []
    assert tab.main.get_by_test_id("stVegaLiteChart").count() == 2
    assert tab.problems() == []
