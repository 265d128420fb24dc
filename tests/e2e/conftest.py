"""The browser suite: `ridealong serve` driven by Debian's Chromium through Playwright.

Isolation: one browser and one server serve the whole session. The server's store starts
empty in a temporary folder, so `serve` fills it with the bundled sample — the same file
`ridealong metrics --json sample_data/ridealong_sample.csv` reads, which gives the expected
numbers. Every test gets fresh browser contexts (new user data, so a new Streamlit session).
Tests on the shared server never write to its store (an explored upload lives in the browser
session; a file with problems writes nothing). A test that writes starts a server of its own
on a store of its own (`own_server`).

Screenshots of every page go to a folder under the run's temporary directory (its path is
printed at the end). RIDEALONG_UPDATE_SCREENSHOTS=1 also rewrites the README's screenshots in
.github/screenshots/.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

if not Path("/usr/bin/chromium").exists():
    pytest.skip(
        "browser tests need Debian's Chromium: apt-get install -y chromium",
        allow_module_level=True,
    )

from playwright.sync_api import Browser, Playwright, sync_playwright

from tests.e2e.browser import (
    CHROMIUM,
    DATA,
    LAUNCH_ARGS,
    RUN_TIMEOUT,
    SAMPLE,
    VIEWPORT,
    Server,
    Tab,
    prefetch_cli_metrics,
    start_server,
)

# The `ridealong metrics --json` runs the tests compare pages with, started early to save time.
EXPECTED = [
    (str(SAMPLE),),
    (str(SAMPLE), "--team", "Enterprise"),
    (str(SAMPLE), "--start", "2026-01-01"),
    (str(SAMPLE), "--by", "quarter"),
    (str(DATA / "upload_form_export.csv"),),
    (str(DATA / "tiny_no_id.csv"),),
    (str(DATA / "tiny_no_id.csv"), str(DATA / "upload_form_export.csv")),
]


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """The shared server, on an empty store that `serve` fills with the sample. Tests using it
    must not write to the store."""
    prefetch_cli_metrics(*EXPECTED)
    folder = tmp_path_factory.mktemp("server")
    running = start_server(folder, folder / "team.duckdb", wait=False)  # ready when first used
    yield running
    running.stop()


@pytest.fixture
def own_server(tmp_path: Path) -> Iterator[Callable[[Path], Server]]:
    """`own_server(db)`: a server for this test alone, on DB; stopped at the end."""
    started: list[Server] = []

    def start(db: Path) -> Server:
        started.append(start_server(tmp_path, db))
        return started[-1]

    yield start
    for running in started:
        running.stop()


@pytest.fixture(scope="session")
def playwright() -> Iterator[Playwright]:
    with sync_playwright() as pw:
        yield pw


@pytest.fixture(scope="session")
def browser(playwright: Playwright) -> Iterator[Browser]:
    chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=LAUNCH_ARGS)
    yield chromium
    chromium.close()


@pytest.fixture
def new_tab(server: Server, browser: Browser) -> Iterator[Callable[..., Tab]]:
    """`new_tab(base=server.url)`: a page in a fresh browser context. When the test ends, no
    tab may have logged a console error, thrown an uncaught exception or sent a request
    off 127.0.0.1."""
    tabs: list[Tab] = []

    def make(base: str | None = None) -> Tab:
        if base is None:
            server.ready()
        context = browser.new_context(viewport=VIEWPORT, accept_downloads=True)
        context.set_default_timeout(RUN_TIMEOUT)
        tab = Tab(context.new_page(), base or server.url)
        tab.watch()
        tabs.append(tab)
        return tab

    yield make
    problems = [p for tab in tabs for p in tab.problems()]
    for tab in tabs:
        tab.page.context.close()
    assert problems == [], "the browser reported problems"


@pytest.fixture
def tab(new_tab: Callable[..., Tab]) -> Tab:
    return new_tab()


@pytest.fixture(scope="session")
def screenshots(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    folder = tmp_path_factory.mktemp("screenshots")
    yield folder
    print(f"\nScreenshots of every page: {folder}")


@pytest.fixture(scope="session")
def update_screenshots() -> bool:
    """RIDEALONG_UPDATE_SCREENSHOTS=1: rewrite the README's screenshots too."""
    return os.environ.get("RIDEALONG_UPDATE_SCREENSHOTS") == "1"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    here = Path(__file__).parent
    for item in items:
        if here in item.path.parents:
            item.add_marker(pytest.mark.e2e)
