"""Every page opens in a browser on the sample without an error element or a console error;
each is photographed (and, with RIDEALONG_UPDATE_SCREENSHOTS=1, the README's two are
rewritten)."""

from __future__ import annotations

from tests.e2e.browser import ROOT

PAGES = {  # name: (URL path, title, charts drawn on the sample)
    "overview": ("/", "Overview", 2),
    "managers": ("/managers", "Managers", 2),
    "behaviours": ("/behaviours", "Behaviours", 2),
    "reps": ("/reps", "Reps", 1),
    "log": ("/log", "Log a ride-along", 0),
    "quarterly": ("/quarterly", "Quarterly review", 3),
    "upload": ("/upload", "Upload", 0),
}
README_SHOTS = ROOT / ".github" / "screenshots"
README_PAGES = ("overview", "behaviours")
MAX_README_SHOT = 300_000  # bytes


def test_every_page_opens_without_an_error_element_or_a_console_error(
    tab, screenshots, update_screenshots
):
    """A visitor follows a link to the Managers page, then opens every page from the sidebar's
    navigation, in one session."""
    tab.open("/managers")
    nav = tab.page.get_by_test_id("stSidebarNav")
    found = {}
    for name, (_path, title, _charts) in PAGES.items():
        tab.rerun(lambda title=title: nav.get_by_role("link", name=title).click())
        found[name] = {
            "url": tab.page.url.split("?")[0].removeprefix(tab.base) or "/",
            "title": tab.main.locator("h1").first.inner_text(),
            "charts": tab.main.get_by_test_id("stVegaLiteChart").count(),
            "exceptions": tab.exceptions(),
            "browser problems": tab.problems(),
        }
        if update_screenshots and name in README_PAGES:
            README_SHOTS.mkdir(parents=True, exist_ok=True)
            tab.screenshot(README_SHOTS / f"{name}.png", whole=False)  # the window, 1400 x 900
        tab.screenshot(screenshots / f"{name}.png")
    assert found == {
        name: {
            "url": path,
            "title": title,
            "charts": charts,
            "exceptions": [],
            "browser problems": [],
        }
        for name, (path, title, charts) in PAGES.items()
    }
    if update_screenshots:
        for name in README_PAGES:
            assert (README_SHOTS / f"{name}.png").stat().st_size < MAX_README_SHOT
