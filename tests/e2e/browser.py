"""What the browser tests share: a `ridealong serve` process, the CLI's numbers, and a browser
tab that knows when Streamlit has finished a run."""

from __future__ import annotations

import functools
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from playwright.sync_api import ConsoleMessage, Locator, Page, Request
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "tests" / "data"
SAMPLE = ROOT / "sample_data" / "ridealong_sample.csv"
CHROMIUM = Path("/usr/bin/chromium")
LAUNCH_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
VIEWPORT = {"width": 1400, "height": 900}
STARTUP_TIMEOUT = 60  # seconds for `ridealong serve` to answer /_stcore/health
RUN_TIMEOUT = 60_000  # ms for a script run (and its charts) to finish
LOADS = {"document", "script", "stylesheet", "fetch", "xhr", "image", "font"}

# The page's favicon is `page_icon=":material/directions_car:"`, which Streamlit's frontend
# fetches from Google's icon CDN. The test machine is offline, so that one URL is answered
# with a blank icon; any other request leaving 127.0.0.1 is recorded and fails the test.
FAVICON = "https://fonts.gstatic.com/s/i/short-term/release/materialsymbolsrounded/"
BLANK_SVG = '<svg xmlns="http://www.w3.org/2000/svg" width="24" height="24"/>'

# The only console errors ignored. Opening a page other than the first by its own URL
# (/managers, /upload...) makes Streamlit's frontend probe /<page>/_stcore/health and
# /<page>/_stcore/host-config first, taking the page's path for the app's base path, before it
# tries /_stcore/...: two 404s by design of the frontend, harmless, and not fixable from the app
# (Streamlit's issue https://github.com/streamlit/streamlit/issues/7074, open since 2023).
# Exactly those two requests, for the app's own pages, are ignored.
PAGE_PATHS = sorted(
    p.stem for p in (ROOT / "dashboard" / "views").glob("*.py") if p.stem != "common"
)
IGNORED_404 = re.compile(
    rf"^http://127\.0\.0\.1:\d+/({'|'.join(PAGE_PATHS)})/_stcore/(health|host-config)$"
)

# Vega and Vega-Lite report a spec they had to change or could not draw as a console warning
# starting "WARN" (e.g. "WARN Dropping ... fit-y", "WARN Infinite extent for field ..."): each
# fails the test like a console error.
VEGA_WARNING = re.compile(r"^WARN\b")

# When the page last changed (a MutationObserver over the whole document).
WATCH_CHANGES = """
window.__ridealongChanged = performance.now();
new MutationObserver(() => { window.__ridealongChanged = performance.now(); }).observe(
  document, {subtree: true, childList: true, characterData: true, attributes: true},
);
"""
# A frame asked for at every frame, for as long as the page is open: headless Chromium with
# nothing to draw can go seconds without the idle periods requestIdleCallback (IDLE below)
# waits for. It costs about 5% of a core per open page (measured: an idle Overview 0.5 CPU-s
# in 10 s with it, 0.0 without), so the load benchmark, with twenty pages open, leaves it out
# and relies on IDLE asking for frames while it waits.
TICK_FRAMES = "(function tick() { requestAnimationFrame(tick); })();"
QUIET_MS = 200  # how long the page must stay unchanged to count as drawn
STILL_MS = 2000  # ... and to count as drawn while the browser stays busy (an animation)

# Drawn: no run in progress, nothing stale, a title, every chart with its marks, and nothing
# on the page changed for `quietMs`.
DRAWN = """
(quietMs) => {
  const app = document.querySelector('[data-testid="stApp"]');
  if (!app || app.getAttribute("data-test-script-state") !== "notRunning") return false;
  if (document.querySelector('[data-stale="true"]')) return false;
  if (!document.querySelector('[data-testid="stMain"] h1')) return false;
  const charts = document.querySelectorAll('[data-testid="stVegaLiteChart"]');
  if (![...charts].every((c) => c.querySelector("svg .role-mark, canvas"))) return false;
  return performance.now() - window.__ridealongChanged >= quietMs;
}
"""

# "idle" when the page's main thread falls idle without the page changing meanwhile (else
# "busy" or "changed"). React draws a run's elements in slices of work that leave the page
# untouched until the end, so a quiet page may still be drawing; it is not idle then.
IDLE = """
() => new Promise((resolve) => {
  const before = window.__ridealongChanged;
  let waiting = true;
  (function tick() { if (waiting) requestAnimationFrame(tick); })();
  requestIdleCallback((d) => {
    waiting = false;
    resolve(d.didTimeout ? "busy" : window.__ridealongChanged === before ? "idle" : "changed");
  }, {timeout: 1000});
})
"""

# A run of the page's script has ended (the server's ForwardMsg.script_finished). A run that
# stops early because the script asked for a rerun (st.rerun) does not count: the next does.
# Nor does a fragment's run (Ridealong has none: the store is watched on the server, and a new
# snapshot reruns the whole page, which does count).
RUN_ENDED = {
    ForwardMsg.FINISHED_SUCCESSFULLY,
    ForwardMsg.FINISHED_WITH_COMPILE_ERROR,
}


def console_problem(message: ConsoleMessage) -> str | None:
    """What a console message says went wrong: a console error (but for the two 404s above),
    or a Vega warning; None for anything else."""
    if message.type == "warning" and VEGA_WARNING.match(message.text):
        return f"Vega warning: {message.text}"
    if message.type != "error":
        return None
    where = message.location.get("url", "")
    if "status of 404" in message.text and IGNORED_404.match(where):
        return None
    return f"console error: {message.text} ({where})"


# ---- the server ------------------------------------------------------------------------------


@dataclass
class Server:
    url: str
    db: Path
    log: Path
    process: subprocess.Popen
    healthy: bool = False

    def ready(self) -> Server:
        """Wait until /_stcore/health says ok (once)."""
        deadline = time.monotonic() + STARTUP_TIMEOUT
        while not self.healthy and time.monotonic() < deadline and self.process.poll() is None:
            try:
                with urllib.request.urlopen(f"{self.url}/_stcore/health", timeout=2) as answer:
                    self.healthy = answer.read().strip() == b"ok"
            except OSError:
                time.sleep(0.2)
        if not self.healthy:
            self.stop()
            raise RuntimeError(
                f"`ridealong serve` did not answer /_stcore/health within {STARTUP_TIMEOUT} s:\n"
                + self.log.read_text(errors="replace")[-3000:]
            )
        return self

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(15)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def ridealong() -> str:
    """The `ridealong` of the interpreter running the tests (the venv's)."""
    beside = Path(sys.executable).parent / "ridealong"
    return str(beside) if beside.exists() else (shutil.which("ridealong") or "ridealong")


def clean_env(home: Path | None = None) -> dict[str, str]:
    """The environment without any Streamlit or Ridealong setting; with HOME, a private home
    (so no ~/.streamlit/config.toml of whoever runs the tests)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("STREAMLIT_", "RIDEALONG_"))}
    if home is not None:
        env["HOME"] = str(home)
    env["STREAMLIT_BROWSER_GATHER_USAGE_STATS"] = "false"
    return env


def start_server(
    folder: Path, db: Path, wait: bool = True, options: tuple[str, ...] = (), nice: int = 0
) -> Server:
    """`ridealong serve --db DB [OPTIONS]` on a free port of 127.0.0.1, started in FOLDER (not
    in the repository: only the packaged settings apply). WAIT: return once it is ready. NICE:
    the server's scheduling priority (negative: ahead of everything else; root only)."""
    home = folder / "home"
    home.mkdir(exist_ok=True)
    port = free_port()
    log = folder / f"server-{port}.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [
                *(ridealong(), "serve", "--db", str(db), "--port", str(port)),
                *("--host", "127.0.0.1", *options),
            ],
            cwd=folder,
            env=clean_env(home),
            stdout=out,
            stderr=subprocess.STDOUT,
            preexec_fn=(lambda: os.nice(nice)) if nice else None,
        )
    server = Server(f"http://127.0.0.1:{port}", db, log, process)
    return server.ready() if wait else server


# ---- what the pages must show ----------------------------------------------------------------


_CLI = ThreadPoolExecutor(max_workers=2)


@functools.cache
def _cli_run(*args: str) -> Future:
    return _CLI.submit(
        subprocess.run,
        [ridealong(), "metrics", "--json", *args],
        capture_output=True,
        text=True,
        check=True,
        env=clean_env(),
    )


def prefetch_cli_metrics(*calls: tuple[str, ...]) -> None:
    """Start `ridealong metrics --json` for each of CALLS in the background (two at a time)."""
    for args in calls:
        _cli_run(*args)


def cli_metrics(*args: str) -> dict[str, Any]:
    """`ridealong metrics --json ARGS...` (run once per distinct ARGS)."""
    return json.loads(_cli_run(*args).result().stdout)


def kpis(m: dict[str, Any]) -> dict[str, str]:
    """The Overview's five tiles for a `ridealong metrics --json` document, written as a reader
    sees them: 3,000 · 2.4:1 · 17% · 61% · 1.31× (the lift within rep; – when there is nothing
    to divide by)."""

    from dashboard.formatting import mark, pct, ratio_counts, times

    lift = m["recurrence"]["adjusted"]["lift"]
    shown_ratio = ratio_counts(m["praise"], m["criticism"], m["praise_to_criticism"])
    return {
        "Calls observed": f"{m['calls']:,}" + mark(m["small_sample"]),
        "Praise : criticism": shown_ratio
        + (mark(m["praise_to_criticism_small_sample"]) if shown_ratio != "–" else ""),
        "Intervention rate": pct(m["intervention_rate"]) + mark(m["small_sample"]),
        "Debrief rate": pct(m["debrief_rate"]) + mark(m["debrief_rate_small_sample"]),
        "Recognition lift, within rep": times(lift)
        + (mark(m["recurrence"]["lift_small_sample"]) if lift is not None else ""),
    }


# ---- the browser tab -------------------------------------------------------------------------


@dataclass
class Tab:
    """A page in a browser context of its own (so a Streamlit session of its own), with what
    went wrong in it: console errors, uncaught exceptions, requests that left 127.0.0.1."""

    page: Page
    base: str
    errors: list[str] = field(default_factory=list)
    external: list[str] = field(default_factory=list)
    loading: set[Request] = field(default_factory=set)
    runs: int = 0  # script runs the server has finished for this page

    def watch(self) -> None:
        self.page.context.add_init_script(WATCH_CHANGES)
        self.page.context.add_init_script(TICK_FRAMES)
        self.page.context.route(lambda url: not url.startswith(self.base), self._outside)
        self.page.on("console", self._console)
        self.page.on("pageerror", lambda e: self.errors.append(f"uncaught: {e}"))
        self.page.on("request", self._started)
        self.page.on("requestfinished", lambda r: self.loading.discard(r))
        self.page.on("requestfailed", lambda r: self.loading.discard(r))
        self.page.on("websocket", lambda ws: ws.on("framereceived", self._message))

    def _message(self, frame: bytes | str) -> None:
        """Count the script runs the server reports finished (the frames are ForwardMsgs)."""
        if isinstance(frame, str):
            return
        message = ForwardMsg()
        message.ParseFromString(frame)
        if message.WhichOneof("type") == "script_finished" and message.script_finished in RUN_ENDED:
            self.runs += 1

    def _started(self, request: Request) -> None:
        # what a page needs to draw itself (a download is none of these)
        if request.resource_type in LOADS:
            self.loading.add(request)

    def _outside(self, route: Any) -> None:
        if route.request.url.startswith(FAVICON):
            route.fulfill(status=200, content_type="image/svg+xml", body=BLANK_SVG)
        else:
            self.external.append(route.request.url)
            route.abort()

    def _console(self, message: ConsoleMessage) -> None:
        problem = console_problem(message)
        if problem:
            self.errors.append(problem)

    def problems(self) -> list[str]:
        """Console errors, uncaught exceptions and requests off 127.0.0.1 so far."""
        return self.errors + [f"request left 127.0.0.1: {u}" for u in self.external]

    # -- waiting -------------------------------------------------------------------------------

    def settle(self, runs: int) -> Tab:
        """Wait until the server has finished RUNS runs of the script for this page, and the
        page has drawn the last one: no run in progress, nothing stale, every chart drawn,
        nothing loading (Streamlit fetches the code of a kind of element the first time a
        page shows one), the page unchanged for QUIET_MS and the browser idle — or, when an
        animation keeps the browser busy, the page unchanged for STILL_MS."""
        deadline = time.monotonic() + RUN_TIMEOUT / 1000
        while self.runs < runs:
            if time.monotonic() > deadline:
                raise TimeoutError(f"the server finished {self.runs} runs, not {runs}")
            self.page.wait_for_timeout(50)  # frames are read while Playwright waits
        while True:
            left = max(deadline - time.monotonic(), 1) * 1000
            self.page.wait_for_function(DRAWN, arg=QUIET_MS, timeout=left, polling=100)
            state = "loading" if self.loading else self.page.evaluate(IDLE)
            if state == "idle" or (state == "busy" and self.page.evaluate(DRAWN, STILL_MS)):
                return self
            if time.monotonic() > deadline:
                raise TimeoutError(f"the page did not settle: {state} {self.loading or ''}")
            self.page.wait_for_timeout(50)

    def open(self, path: str = "/") -> Tab:
        """Go to PATH and wait until its first run is drawn."""
        before = self.runs
        self.page.goto(self.base + path)
        return self.settle(before + 1)

    def rerun(self, action: Callable[[], object]) -> Tab:
        """Do ACTION (a click, a file chosen...) and wait until the run it starts is drawn."""
        before = self.runs
        action()
        return self.settle(before + 1)

    # -- reading -------------------------------------------------------------------------------

    @property
    def main(self) -> Locator:
        return self.page.get_by_test_id("stMain")

    def metrics(self) -> dict[str, str]:
        """{label: value} of the st.metric tiles in the main area."""
        tiles = self.main.get_by_test_id("stMetric")
        shown = {}
        for i in range(tiles.count()):
            label = tiles.nth(i).get_by_test_id("stMetricLabel").inner_text().strip()
            shown[label] = tiles.nth(i).get_by_test_id("stMetricValue").inner_text().strip()
        return shown

    def sidebar_widget(self, testid: str, label: str) -> Locator:
        return self.page.get_by_test_id("stSidebar").get_by_test_id(testid).filter(has_text=label)

    def grid(self, has_text: str) -> list[list[str]]:
        """The st.dataframe that holds HAS_TEXT as rows of text, header first (read from the
        accessible table the data grid keeps beside its canvas: the rows in view)."""
        frame = self.main.get_by_test_id("stDataFrame").filter(has_text=has_text)
        frame.locator("table tbody tr").first.wait_for(state="attached")  # after the canvas
        return frame.locator("table tr").evaluate_all(
            "rows => rows.map(r => [...r.querySelectorAll('th, td')].map(c => c.innerText))"
        )

    def exceptions(self) -> list[str]:
        return self.page.get_by_test_id("stException").all_inner_texts()

    # -- screenshots ---------------------------------------------------------------------------

    def screenshot(self, path: Path, whole: bool = True) -> None:
        """A PNG of the page. WHOLE: all of it — the main area scrolls inside the window, so
        the window is made as tall as the page first, and restored afterwards."""
        # hover nothing (a corner of the main area): no tooltip, no sidebar button
        self.page.mouse.move(VIEWPORT["width"] - 5, VIEWPORT["height"] - 5)
        if not whole:
            self.page.screenshot(path=path, type="png")
            return
        height = self.page.evaluate(
            "() => Math.max(...[...document.querySelectorAll("
            "'[data-testid=stMain], [data-testid=stMainBlockContainer]')]"
            ".map((e) => e.scrollHeight))"
        )
        self.page.set_viewport_size({"width": VIEWPORT["width"], "height": max(height, 900)})
        self.settle(self.runs)  # the charts draw themselves again at the new size
        self.page.screenshot(path=path, full_page=True, type="png")
        self.page.set_viewport_size(VIEWPORT)
