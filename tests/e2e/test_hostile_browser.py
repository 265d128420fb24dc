"""Hostile input in a browser (issue 18): a file of NUL bytes uploaded through the widget is
refused in seconds while the server keeps answering its health check (it used to pin a core
for minutes), and Markdown, links and images put in every query parameter of every page draw
as text: no link or image to another site, and no request leaves 127.0.0.1 (the `tab`
fixture fails the test on any such request, console error or uncaught exception).
"""

from __future__ import annotations

import time
import urllib.request
from pathlib import Path
from urllib.parse import quote

import pytest

from tests.e2e.browser import Tab
from tests.e2e.test_upload_browser import alert, choose_file

PAYLOAD = (
    "[Session expired - sign in again](https://evil.example/login) "
    "![b](http://evil.example/beacon.png) <img src=http://evil.example/x.png> **bold** $x$"
)
PAGES = ["/", "/managers", "/behaviours", "/reps", "/quarterly", "/upload"]
PARAMS = ["quarter", "team", "manager", "rep", "start", "end", "window"]


def health(base: str) -> str:
    with urllib.request.urlopen(base + "/_stcore/health", timeout=10) as response:
        return response.read().decode()


def test_a_file_of_nul_bytes_is_refused_and_the_server_keeps_answering(
    tab: Tab, tmp_path: Path
) -> None:
    nul = tmp_path / "zeros.csv"
    nul.write_bytes(b"\x00" * 100_000)
    tab.open("/upload")
    started = time.monotonic()
    choose_file(tab, nul)
    assert time.monotonic() - started < 60
    assert alert(tab, "zeros.csv").count() >= 1
    assert "has a NUL byte at character 1" in tab.main.inner_text()
    assert health(tab.base) == "ok"


@pytest.mark.parametrize("path", PAGES)
def test_markdown_and_links_in_every_query_parameter_draw_as_text(tab: Tab, path: str) -> None:
    query = "&".join(f"{p}={quote(PAYLOAD)}" for p in PARAMS)
    tab.open(f"{path}?{query}")
    page = tab.page
    # links to this page carry the query (with "evil" in it): none may lead to another site
    assert page.locator("a[href^='http://evil'], a[href^='https://evil']").count() == 0
    assert page.locator("img[src*='evil.example']").count() == 0
    assert page.get_by_test_id("stException").count() == 0
