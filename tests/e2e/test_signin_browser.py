"""Sign-in in a real browser: `ridealong serve --auth` against a local OpenID Connect provider
(oidc-provider-mock on 127.0.0.1). A one-team manager signs in, sees exactly what
`ridealong metrics --team` says of that team, cannot reach another team by editing the URL,
downloads a CSV of only that team; signs out; a person without a grant sees only that.
"""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.browser import (
    RUN_TIMEOUT,
    SAMPLE,
    VIEWPORT,
    Server,
    Tab,
    clean_env,
    cli_metrics,
    free_port,
    kpis,
    ridealong,
)

PROVIDER_CSS = "https://cdn.jsdelivr.net/npm/@picocss/"
TEAM = "Enterprise"
MANAGER_EMAIL = "lea@example.com"
STRANGER_EMAIL = "nobody@example.com"


def _wait_for(url: str, process: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and process.poll() is None:
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except OSError:
            time.sleep(0.2)
    process.terminate()
    raise RuntimeError(f"{url} did not answer:\n{log.read_text(errors='replace')[-3000:]}")


@pytest.fixture
def provider(tmp_path: Path) -> Iterator[str]:
    """oidc-provider-mock on a free port of 127.0.0.1; its users sign in by typing an email."""
    port = free_port()
    log = tmp_path / "oidc.log"
    claims = json.dumps({"sub": MANAGER_EMAIL, "email": MANAGER_EMAIL, "name": "Lea Manager"})
    with log.open("wb") as out:
        process = subprocess.Popen(
            [
                str(Path(sys.executable).parent / "oidc-provider-mock"),
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--user-claims",
                claims,
            ],
            stdout=out,
            stderr=subprocess.STDOUT,
            env=clean_env(),
        )
    url = f"http://127.0.0.1:{port}"
    _wait_for(f"{url}/.well-known/openid-configuration", process, log)
    yield url
    process.terminate()
    process.wait(15)


@pytest.fixture
def auth_server(tmp_path: Path, provider: str) -> Iterator[Server]:
    """`ridealong serve --auth` on a store holding the sample, MANAGER_EMAIL granted TEAM."""
    db = tmp_path / "team.duckdb"
    env = clean_env(tmp_path)
    for args in (
        ("ingest", str(SAMPLE)),
        ("access", "grant", MANAGER_EMAIL, "--team", TEAM),
    ):
        subprocess.run([ridealong(), *args, "--db", str(db)], check=True, env=env)
    port = free_port()
    auth = tmp_path / "auth.toml"
    auth.write_text(
        "[auth]\n"
        f'redirect_uri = "http://127.0.0.1:{port}/oauth2callback"\n'
        'cookie_secret = "a-long-random-secret-for-the-test-only"\n'
        'client_id = "ridealong"\n'
        'client_secret = "secret"\n'
        f'server_metadata_url = "{provider}/.well-known/openid-configuration"\n'
    )
    log = tmp_path / "server.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [ridealong(), "serve", "--db", str(db), "--port", str(port), "--auth", str(auth)],
            cwd=tmp_path,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    server = Server(f"http://127.0.0.1:{port}", db, log, process).ready()
    yield server
    server.stop()


def signed_in_tab(browser, server: Server, provider: str) -> Tab:
    context = browser.new_context(viewport=VIEWPORT, accept_downloads=True)
    context.set_default_timeout(RUN_TIMEOUT)
    tab = Tab(context.new_page(), server.url)
    tab.watch()
    # the identity provider is the one other address the page may go to (the last route wins);
    # its pages' stylesheet (a CDN) is answered with nothing, offline
    context.route(lambda url: url.startswith(provider), lambda route: route.continue_())
    context.route(
        lambda url: url.startswith(PROVIDER_CSS),
        lambda route: route.fulfill(status=200, content_type="text/css", body=""),
    )
    return tab


def sign_in(tab: Tab, email: str) -> None:
    tab.main.get_by_role("button", name="Sign in").click()
    tab.page.get_by_placeholder("sub").fill(email)
    tab.page.get_by_role("button", name="Authorize").click()
    tab.page.wait_for_url(f"{tab.base}/**")
    tab.settle(tab.runs)


def test_a_one_team_manager_sees_only_their_team_then_a_stranger_sees_nothing(
    browser, auth_server: Server, provider: str
) -> None:
    expected = kpis(cli_metrics(str(SAMPLE), "--team", TEAM))
    everyone = kpis(cli_metrics(str(SAMPLE)))
    other_team = kpis(cli_metrics(str(SAMPLE), "--team", "SMB"))
    tab = signed_in_tab(browser, auth_server, provider)
    tab.open("/")
    assert tab.main.locator("h1").first.inner_text() == "Ridealong"
    assert tab.metrics() == {}  # nothing before sign-in
    sign_in(tab, MANAGER_EMAIL)
    assert tab.metrics() == expected != everyone
    assert "Lea Manager" in tab.page.get_by_test_id("stSidebar").inner_text()

    # the URL edited to ask for another team: none of its figures
    tab.open("/?team=SMB")
    assert tab.metrics() == expected != other_team
    tab.open("/managers?team=SMB")
    managers = {
        name for name in cli_metrics(str(SAMPLE), "--team", TEAM, "--by", "manager")["groups"]
    }
    with tab.page.expect_download() as download:
        tab.main.get_by_test_id("stDownloadButton").filter(has_text="Download CSV").first.click()
    rows = list(csv.DictReader(io.StringIO(Path(download.value.path()).read_text())))
    assert rows and {r["manager"] for r in rows} <= managers

    # sign out: Streamlit ends the session at the provider too (its confirmation page)
    tab.page.get_by_test_id("stSidebar").get_by_role("button", name="Sign out").click()
    tab.page.get_by_role("button", name="End session").click()
    tab.page.wait_for_url(f"{tab.base}/**")
    tab.settle(tab.runs)
    assert tab.main.get_by_role("button", name="Sign in").is_visible()
    sign_in(tab, STRANGER_EMAIL)
    assert tab.main.locator("h1").first.inner_text() == "No access yet"
    assert tab.metrics() == {}
    assert tab.problems() == []
