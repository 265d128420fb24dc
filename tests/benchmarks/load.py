"""Twenty people on the dashboard while an import runs: repaint times and errors.

    python -m tests.benchmarks.load --calls 400000 --sessions 20 --seconds 60
    python -m tests.benchmarks.load --calls 20000 --sessions 3 --seconds 30 --dir DIR

The issue's target (#13, item 7): 20 concurrent browser sessions on the 1-million-note store
(400,000 generated calls), changing filters in a loop while an import runs: p95 repaint
<= 2 s, no errors.

Steps:

1. `ridealong sample --calls N --seed 1` and `ridealong ingest` of it into a fresh store, in a
   temporary folder removed at the end (--dir: in DIR, kept). The files to import while the
   sessions work: --import-calls calls of that log each, under new observation ids (the teams,
   managers, reps and dates of the store: what a week's CRM export brings), one per --imports.
2. `ridealong serve` on the store (--servers N: and N - 1 `ridealong serve --read-only`
   replicas beside it, the sessions spread over them in turn).
3. SESSIONS browser contexts in one Chromium (Playwright, Debian's /usr/bin/chromium), each a
   Streamlit session of its own, open the Overview, Managers and Behaviours pages in turn
   (--arrivals at a time) and wait for their first run to be drawn (the warm-up, not timed;
   a session whose page never opens is counted as an error and left out); then all sit idle
   for --idle seconds (what an open page costs while nobody clicks). --browsers K: only the
   first K sessions are browser contexts; the others are people whose browsers are on other
   computers, as in a real team: they open the same pages and make the same changes over
   Streamlit's websocket, sending what Chromium sends (tests/benchmarks/wire.py), so the
   server works for twenty people while only K pages are drawn on its cores.
4. For SECONDS, each session repeats six filter changes through the sidebar's widgets, as a
   person would: add a team, add one of its managers, move the start date, remove the manager,
   remove the team, start date back to the first day (teams, managers and dates drawn at random,
   seeded per session); --think S: reading the page 0.5-1.5 x S seconds before each change
   (the first too: people who opened the dashboard do not all click in the same second; by
   default none: each change right after the last is drawn, more than twenty people would
   click). A quarter of the way in, `ridealong ingest` of the import files runs in
   a separate process, one file after the other. The sessions go on until the imports have
   finished and every session has had time to show them (the server looks every 3 s).

A session over the wire times the server's part: from the change sent to the end of the run
that put it in the URL. The target is judged on the repaints drawn in a browser.

A repaint is timed on the page's own clock, as tests/benchmarks/repaint.py times it: from the
last key or pointer press of the change (the option clicked, Enter on the date) to the last
change inside the main area. It is over when the server has finished a run of the script for
the session, the URL holds the new filter, nothing is stale, every chart is drawn, nothing is
loading and the page is idle (tests/e2e/browser.py's `Tab.settle`, whose wall time is printed
as "settled": an upper bound, with the 200 ms it waits to be sure). "Served" is the server's
part, on the driver's clock: from the press to the moment the driver hears the server say the
run finished (it hears late when Playwright itself waits for a core). --server-first runs the
servers ahead of everything else on the machine (nice -10), so that the browsers, which here
share the server's two cores, take only what the server leaves.

Errors, by kind: uncaught page exceptions; console errors and Vega warnings (the browser
suite's rule, tests/e2e/browser.py: the two 404s of streamlit#7074 aside); requests that left
127.0.0.1; Streamlit exception elements on the page; repaints not over within --timeout; widget
steps that failed (an option that never showed up). A session that hits one is reloaded and
goes on. The import is seen when a session's "Updated: N calls added" toasts add up to the calls
imported.

What used the machine's cores, idle and in the loop, is printed too (CPU seconds of the
dashboard servers, of Chromium, of this driver, and of the rest of the machine: the import, and
whatever else runs there), since the browsers here share the server's machine.

Figures are printed, never asserted; the exit status is 1 when there were errors, an import
failed or a session never showed the import.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import os
import random
import re
import statistics
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import polars as pl
import psutil
from playwright.async_api import Browser, Page, Request, Route, async_playwright
from playwright.async_api import Error as PlaywrightError
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

from dashboard import metrics
from dashboard.store import Store
from tests.benchmarks.repaint import build_store
from tests.benchmarks.wire import DATES, MANAGER, TEAM, Failed, WireSession
from tests.e2e.browser import (
    BLANK_SVG,
    CHROMIUM,
    DRAWN,
    FAVICON,
    IDLE,
    LAUNCH_ARGS,
    LOADS,
    QUIET_MS,
    RUN_ENDED,
    STILL_MS,
    VIEWPORT,
    WATCH_CHANGES,
    Server,
    clean_env,
    console_problem,
    ridealong,
    start_server,
)

TARGET_P95_S = 2.0
SERVER_FIRST = -10  # --server-first: the servers' nice
TARGET_NOTES = 1_000_000
PAGES = {"/": "Overview", "/managers": "Managers", "/behaviours": "Behaviours"}
SEEN_S = 10.0  # after the last import: time for every session to show it (watcher: 3 s)
GIVE_UP_S = 600.0  # imports still running this long after --seconds: stop anyway
WARM_UP_S = 600.0  # for the first page of every session, all opened at once

# On the page's clock: the last press of a key or pointer, and the last change inside the main
# area (the page itself, not the sidebar or an open list of options). And every toast shown,
# kept to read its text later (a toast fades within seconds), with when it appeared.
TIMELINE = """
window.__loadPressed = 0;
window.__loadMainChanged = 0;
window.__loadToasts = new Map();
// The last presses, what they landed on, and each change of the sidebar's filters as drawn:
// for the message of a widget step that failed (a Manager list that offered nothing)
window.__loadEvents = [];
const said = (what) => {
  window.__loadEvents.push(`${(performance.now() / 1000).toFixed(2)} s ${what}`);
  if (window.__loadEvents.length > 30) window.__loadEvents.shift();
};
const named = (node) => {
  const role = node.closest?.("[role=option]");
  if (role) return `option "${role.textContent.slice(0, 40)}"`;
  const widget = node.closest?.("[data-testid=stMultiSelect], [data-testid=stDateInput]");
  const label = widget?.querySelector("label")?.textContent;
  return `${node.tagName?.toLowerCase()}${label ? ` in ${label}` : ""}`;
};
for (const kind of ["pointerdown", "keydown"]) {
  addEventListener(kind, (event) => {
    window.__loadPressed = performance.now();
    said(`${kind}${event.key ? ` ${event.key}` : ""} on ${named(event.target)}`);
  }, true);
}
const chips = () =>
  [...document.querySelectorAll("[data-testid=stSidebar] [data-testid=stMultiSelect]")]
    .map((w) => w.innerText.split(String.fromCharCode(10)).filter((t) => t.trim()).join(" | "))
    .join("; ");
const inSidebar = (node) =>
  (node.nodeType === 1 ? node : node.parentElement)?.closest("[data-testid=stSidebar]");
let lastChips = "";
const inMain = (node) =>
  (node.nodeType === 1 ? node : node.parentElement)?.closest("[data-testid=stMain]");
new MutationObserver((changes) => {
  if (changes.some((c) => inSidebar(c.target))) {  // read the filters once a batch
    const now = chips();
    if (now !== lastChips) { lastChips = now; said(`filters ${now}`); }
  }
  for (const c of changes) {
    if (inMain(c.target)) window.__loadMainChanged = performance.now();
    for (const n of c.addedNodes) {
      if (n.nodeType !== 1) continue;
      const toasts = n.matches("[data-testid=stToast]") ? [n]
        : n.querySelectorAll("[data-testid=stToast]");
      for (const t of toasts) {
        if (!window.__loadToasts.has(t)) window.__loadToasts.set(t, Date.now());
      }
    }
  }
}).observe(document, {subtree: true, childList: true, characterData: true, attributes: true});
"""
# Why a page is not drawn yet (DRAWN's conditions), for a timeout's message.
STATE = """
() => {
  const app = document.querySelector('[data-testid="stApp"]');
  const charts = [...document.querySelectorAll('[data-testid="stVegaLiteChart"]')];
  return `script ${app && app.getAttribute("data-test-script-state")}, `
    + `${document.querySelectorAll('[data-stale="true"]').length} stale elements, `
    + `${charts.filter((c) => !c.querySelector("svg .role-mark, canvas")).length} of `
    + `${charts.length} charts not drawn`;
}
"""
READ_TIMELINE = "() => [window.__loadPressed, window.__loadMainChanged]"
READ_EVENTS = "() => (window.__loadEvents || []).join('; ')"
READ_TOASTS = "() => [...window.__loadToasts].map(([t, at]) => [t.textContent, at])"
NO_OPTIONS = "No results"  # what a multiselect's open list says when it offers nothing
TYPING_TRIES = 3  # a date typed into the start field and not taken: type it again
RELIST_S = 3.0  # a list showing nothing to choose this long: close it and open it again
LIST_MS = 5000  # a list of options not shown this long after the click: click again
UPDATED = re.compile(r"Updated: ([\d,]+) calls? added")


@dataclass
class Repaint:
    session: int
    page: str
    change: str
    started: float  # monotonic, when the change began (its widget steps included)
    ended: float
    repaint_s: float | None  # press -> the last change in the main area (None: it failed)
    settled_s: float  # the press -> settled, wall time
    error: str | None = None
    served_s: float | None = None  # press -> the server said the run finished (driver's clock)
    drawn: bool = True  # False: a session over the wire (no browser: the server's part only)

    def line(self, origin: float = 0.0) -> str:
        """One line for --verbose; ORIGIN: the monotonic time its clock starts from."""
        took = f"{self.repaint_s:6.2f} s" if self.repaint_s is not None else "  failed"
        served = f"{self.served_s:6.2f} s" if self.served_s is not None else "     -  "
        return (
            f"{self.started - origin:7.1f} s  session {self.session:>2} {self.page:<10} "
            f"{self.change:<16} {took}  served {served}  settled {self.settled_s:6.2f} s"
            + (f"  {self.error}" if self.error else "")
        )


@dataclass
class Import:
    file: Path
    calls: int
    started: float = 0.0
    ended: float = 0.0
    status: int | None = None
    said: str = ""


@dataclass
class Data:
    calls: int
    notes: int
    first: dt.date
    last: dt.date
    teams: list[str]


# ---- one browser session ---------------------------------------------------------------------


@dataclass
class Session:
    """One person: a browser context of its own (so a Streamlit session of its own) on one
    page, with its filters as it set them, and what went wrong in it."""

    number: int
    path: str
    base: str
    page: Page
    rng: random.Random
    timeout_s: float
    runs: int = 0  # script runs the server has finished for this page
    finished_at: float = 0.0  # monotonic: when the driver heard of the last of them
    opened: float = 0.0  # monotonic: when this page was (re)opened (a new Streamlit session)
    problems: list[tuple[str, str]] = field(default_factory=list)  # (kind, detail), not yet counted
    loading: set[Request] = field(default_factory=set)
    relisted: list[str] = field(default_factory=list)  # lists opened again: what they showed
    team: str | None = None
    manager: str | None = None
    start: dt.date | None = None

    @property
    def name(self) -> str:
        return PAGES[self.path]

    async def watch(self) -> None:
        context = self.page.context
        await context.add_init_script(WATCH_CHANGES)
        await context.add_init_script(TIMELINE)
        await context.route(lambda url: not url.startswith(self.base), self._outside)
        self.page.on("console", self._console)
        self.page.on("pageerror", lambda e: self.problems.append(("page exception", str(e))))
        self.page.on("crash", lambda _: self.problems.append(("page crash", self.path)))
        self.page.on("request", self._started)
        self.page.on("requestfinished", lambda r: self.loading.discard(r))
        self.page.on("requestfailed", lambda r: self.loading.discard(r))
        self.page.on("websocket", lambda ws: ws.on("framereceived", self._message))

    def _console(self, message) -> None:
        problem = console_problem(message)
        if problem:
            self.problems.append(("console error", problem))

    def _started(self, request: Request) -> None:
        if request.resource_type in LOADS:
            self.loading.add(request)

    async def _outside(self, route: Route) -> None:
        if route.request.url.startswith(FAVICON):
            await route.fulfill(status=200, content_type="image/svg+xml", body=BLANK_SVG)
        else:
            self.problems.append(("request off 127.0.0.1", route.request.url))
            await route.abort()

    def _message(self, frame: bytes | str) -> None:
        """Count the script runs the server reports finished (tests/e2e/browser.py's
        RUN_ENDED)."""
        if isinstance(frame, str) or len(frame) > 1000:  # script_finished is a few bytes
            return
        message = ForwardMsg()
        message.ParseFromString(frame)
        if message.WhichOneof("type") == "script_finished" and message.script_finished in RUN_ENDED:
            self.runs += 1
            self.finished_at = time.monotonic()

    # -- waiting -------------------------------------------------------------------------------

    async def settle(
        self, runs: int, query: dict[str, list[str]] | None, timeout_s: float | None = None
    ) -> None:
        """Wait until the server has finished RUNS runs for this page, the URL holds QUERY
        (None: any), and the page has drawn the last run (tests/e2e/browser.py's Tab.settle)."""
        timeout_s = timeout_s or self.timeout_s
        deadline = time.monotonic() + timeout_s

        def left_ms(why: Callable[[], str] | str) -> float:
            left = deadline - time.monotonic()
            if left <= 0:
                said = why if isinstance(why, str) else why()
                raise Failed("timeout", f"not drawn within {timeout_s:.0f} s: {said}")
            return left * 1000

        def waiting() -> str:
            if self.runs < runs:
                return f"the server finished {self.runs - runs + 1} runs of 1"
            return f"the URL holds {self._query()}, not {query}"

        while self.runs < runs or (query is not None and self._query() != query):
            left_ms(waiting)
            if any(kind == "page crash" for kind, _ in self.problems):
                raise Failed("page crash", "the browser's page crashed")
            await asyncio.sleep(0.05)
        while True:
            try:
                await self.page.wait_for_function(
                    DRAWN, arg=QUIET_MS, timeout=left_ms("drawing"), polling=100
                )
            except PlaywrightError as e:
                if "Timeout" in str(e):
                    state = await self.page.evaluate(STATE)
                    why = f"not drawn within {timeout_s:.0f} s: {state}"
                    raise Failed("timeout", why) from e
                raise
            state = "loading" if self.loading else await self.page.evaluate(IDLE)
            if state == "idle" or (state == "busy" and await self.page.evaluate(DRAWN, STILL_MS)):
                return
            left_ms(f"the page stayed {state}")
            await asyncio.sleep(0.05)

    def _query(self) -> dict[str, list[str]]:
        return parse_qs(urlparse(self.page.url).query)

    async def open(self, timeout_s: float | None = None) -> None:
        """(Re)open this session's page without filters: a new Streamlit session."""
        before = self.runs
        self.team = self.manager = self.start = None
        self.opened = time.monotonic()
        await self.page.goto(self.base + self.path, timeout=(timeout_s or self.timeout_s) * 1000)
        await self.settle(before + 1, None, timeout_s)
        # counted like a change's (the warm-up's errors too: twenty first runs at once once
        # met a half-imported pandas, unseen until the server's log was read)
        shown = await self.page.get_by_test_id("stException").all_inner_texts()
        if shown:
            self.problems.append(
                ("Streamlit exception", shown[0].splitlines()[0] if shown[0] else "")
            )

    # -- the widgets ---------------------------------------------------------------------------

    def multiselect(self, label: str):
        sidebar = self.page.get_by_test_id("stSidebar")
        return sidebar.get_by_test_id("stMultiSelect").filter(has_text=label)

    async def open_list(self, label: str) -> None:
        """Click LABEL's field until its list of options shows, as a person would: a run that
        redraws the sidebar meanwhile (the server's own, after an import) closes a list just
        opened."""
        deadline = time.monotonic() + self.timeout_s
        while True:
            await self.multiselect(label).locator("input").click()
            try:
                await self.page.get_by_role("option").first.wait_for(timeout=LIST_MS)
                return
            except PlaywrightError as e:
                if time.monotonic() > deadline:
                    raise Failed(
                        "widget step", f"the {label} list never opened in {self.timeout_s:g} s"
                    ) from e
                await self.page.keyboard.press("Escape")

    async def choose(self, label: str, name: str | None) -> Callable[[], Awaitable]:
        """Open LABEL's list and find the option NAME (None: one of those offered, at random):
        the click on it, to time."""
        await self.open_list(label)
        options = self.page.get_by_role("option")
        if name is None:
            # the list may still be the one of the run before (a manager list narrowed by the
            # team just added arrives with that run): "No results" is no option to choose
            offered: list[str] = []
            shown: list[str] = []
            # as long as a repaint may take: the list comes with a run, which waits its turn
            waited = time.monotonic() + self.timeout_s
            empty_since = time.monotonic()
            events = ""  # the page's last presses and filters when the list first showed nothing
            while not offered and time.monotonic() < waited:
                if not await options.count():  # a run closed the list meanwhile
                    await self.open_list(label)
                shown = await options.all_inner_texts()
                offered = [o for o in shown if not o.startswith("Select ") and o != NO_OPTIONS]
                if not offered and not events:
                    events = await self.page.evaluate(READ_EVENTS)
                if not offered and time.monotonic() - empty_since > RELIST_S:
                    # a list showing only "No results": a person would close it and look again
                    # (a Manager list did so for a minute under load: Streamlit's list had chosen
                    # its one manager on the click that opened it, as pages reran; RESULTS.md)
                    self.relisted.append(f"{label} list showed {shown[:3]} for {RELIST_S:g} s")
                    await self.page.keyboard.press("Escape")
                    await self.open_list(label)
                    empty_since = time.monotonic()
                elif not offered:
                    await self.page.wait_for_timeout(200)
            if not offered:
                field = await self.multiselect(label).locator("input").input_value()
                drawn = " | ".join((await self.multiselect(label).inner_text()).split("\n"))
                raise Failed(
                    "widget step",
                    f"no {label.lower()} offered in {self.timeout_s:g} s (team {self.team!r}; "
                    f"the list showed {shown[:5]}, its field held {field!r}, the widget read "
                    f"{drawn[:200]!r}; the URL {self._query()}; the page's last presses and "
                    f"filters as it first showed nothing: {events})",
                )
            name = self.rng.choice(offered)
        else:
            await self.page.keyboard.type(name)
        option = self.page.get_by_role("option", name=name, exact=True)
        await option.wait_for()
        if label == "Team":
            self.team = name
        else:
            self.manager = name
        return option.click

    async def remove(self, label: str) -> Callable[[], Awaitable]:
        name = self.team if label == "Team" else self.manager
        if label == "Team":
            self.team = None
        else:
            self.manager = None
        return self.multiselect(label).get_by_role("button", name=f"Remove {name}").click

    async def type_start(self, day: dt.date) -> Callable[[], Awaitable]:
        """Type DAY into the date range's start (the field reads YYYY/MM/DD); Enter applies."""
        field = self.page.get_by_test_id("stSidebar").get_by_test_id("stDateInputField")
        parts = field.get_by_role("spinbutton")
        wanted = [str(day.year), str(day.month), str(day.day)]
        for _ in range(TYPING_TRIES):
            await parts.first.click()
            await self.page.keyboard.type(day.strftime("%Y%m%d"))
            # look at what the field holds before pressing Enter, as a person would (a key
            # taken while the sidebar redraws may be lost; not seen so far: the one start
            # date seen undone was the server's rerun putting the old filter back, since fixed)
            if [await parts.nth(i).get_attribute("aria-valuenow") for i in range(3)] == wanted:
                break
        else:
            raise Failed("widget step", f"the start field never took {day} as typed")
        self.start = day
        return lambda: self.page.keyboard.press("Enter")

    # -- one change, timed ---------------------------------------------------------------------

    async def change(self, step: int, data: Data) -> Repaint:
        """Make the STEP-th change of the cycle and time its repaint."""
        kind = CYCLE[step % len(CYCLE)]
        started = time.monotonic()
        pressed_at = started
        try:
            if kind == "add team":
                act = await self.choose("Team", self.rng.choice(data.teams))
            elif kind == "add manager":
                act = await self.choose("Manager", None)
            elif kind in ("remove manager", "remove team"):
                act = await self.remove(kind.split()[1].capitalize())
            elif kind == "move start date":
                act = await self.type_start(start_day(self.rng, data))
            else:  # start date back
                act = await self.type_start(data.first)
            query = expected_query(self.team, self.manager, self.start, data.first)
            before = self.runs
            pressed_at = time.monotonic()
            await act()
            await self.settle(before + 1, query)
            settled = time.monotonic() - pressed_at
            served = self.finished_at - pressed_at
            pressed, changed = await self.page.evaluate(READ_TIMELINE)
            shown = await self.page.get_by_test_id("stException").all_inner_texts()
            if shown:
                raise Failed("Streamlit exception", shown[0].splitlines()[0] if shown[0] else "")
            if self.problems:
                raise Failed(*self.problems.pop(0))
            await self.page.keyboard.press("Escape")  # close a list of options
            repaint = (changed - pressed) / 1000 if changed > pressed else settled
            return Repaint(
                self.number, self.name, kind, started, time.monotonic(), repaint, settled,
                served_s=served,
            )  # fmt: skip
        except (Failed, PlaywrightError) as e:
            failed = e if isinstance(e, Failed) else Failed("widget step", str(e).splitlines()[0])
            return Repaint(
                self.number,
                self.name,
                kind,
                started,
                time.monotonic(),
                None,
                time.monotonic() - pressed_at,
                f"{failed.kind}: {failed.detail}",
            )

    async def toasts(self) -> list[tuple[str, float]]:
        """Each toast shown: its text, and when it appeared (monotonic, the driver's clock)."""
        since_epoch = time.time() - time.monotonic()
        shown = await self.page.evaluate(READ_TOASTS)
        return [(text, at / 1000 - since_epoch) for text, at in shown]


CYCLE = (
    "add team",
    "add manager",
    "move start date",
    "remove manager",
    "remove team",
    "start date back",
)


def expected_query(
    team: str | None, manager: str | None, start: dt.date | None, first: dt.date
) -> dict[str, list[str]]:
    """What the URL's query says after a change (the page writes the filters into it)."""
    query = {}
    if start is not None and start != first:
        query["start"] = [start.isoformat()]
    if team is not None:
        query["team"] = [team]
    if manager is not None:
        query["manager"] = [manager]
    return query


def start_day(rng: random.Random, data: Data) -> dt.date:
    """A start date for "move start date": within the first three quarters of the data."""
    span = (data.last - data.first).days
    return data.first + dt.timedelta(days=rng.randrange(1, max(span * 3 // 4, 2)))


# ---- one session over the wire ---------------------------------------------------------------


@dataclass
class WirePerson:
    """One person whose browser is elsewhere (--browsers): the same page and the same cycle of
    changes as a `Session`, with the same random choices, but the change is sent over the
    websocket as the browser sends it (tests/benchmarks/wire.py), and timed from that message to
    the end of the run that put the new filters in the URL: the server's part of a repaint.
    Drawing the page is left to the person's own computer."""

    number: int
    path: str
    base: str
    rng: random.Random
    timeout_s: float
    opened: float = 0.0
    team: str | None = None
    manager: str | None = None
    start: dt.date | None = None
    wire: WireSession = field(init=False)

    def __post_init__(self) -> None:
        self.wire = WireSession(self.base, self.path, self.timeout_s)

    @property
    def name(self) -> str:
        return PAGES[self.path]

    @property
    def problems(self) -> list[tuple[str, str]]:
        return self.wire.problems

    async def open(self, timeout_s: float | None = None) -> None:
        """(Re)open this person's page without filters: a new Streamlit session."""
        self.team = self.manager = self.start = None
        self.opened = time.monotonic()
        self.wire.timeout_s = timeout_s or self.timeout_s
        try:
            await self.wire.open()
        finally:
            self.wire.timeout_s = self.timeout_s

    async def change(self, step: int, data: Data) -> Repaint:
        """Make the STEP-th change of the cycle and time the server's part of it."""
        kind = CYCLE[step % len(CYCLE)]
        started = time.monotonic()
        end = self.wire.values.get(DATES, [None, data.last.isoformat()])[-1]
        try:
            if kind == "add team":
                self.team = self.rng.choice(data.teams)
                filters = {TEAM: [self.team]}
            elif kind == "add manager":
                offered = self.wire.options.get(MANAGER, [])
                if not offered:
                    raise Failed("widget step", "no manager offered")
                self.manager = self.rng.choice(offered)
                filters = {MANAGER: [self.manager]}
            elif kind == "remove manager":
                self.manager = None
                filters = {MANAGER: []}
            elif kind == "remove team":
                self.team = None
                filters = {TEAM: []}
            else:  # move start date, start date back
                day = start_day(self.rng, data) if kind == "move start date" else data.first
                self.start = day
                filters = {DATES: [day.isoformat(), end]}
            query = expected_query(self.team, self.manager, self.start, data.first)
            served = await self.wire.rerun(query, **filters)
            if self.problems:
                raise Failed(*self.problems.pop(0))
            return Repaint(
                self.number, self.name, kind, started, time.monotonic(), served, served,
                served_s=served, drawn=False,
            )  # fmt: skip
        except Failed as e:
            return Repaint(
                self.number, self.name, kind, started, time.monotonic(), None,
                time.monotonic() - started, f"{e.kind}: {e.detail}", drawn=False,
            )  # fmt: skip

    async def toasts(self) -> list[tuple[str, float]]:
        return self.wire.toasts


# ---- the run ---------------------------------------------------------------------------------


def describe(db: Path) -> Data:
    with Store(db, read_only=True) as store:
        everything = metrics.metrics_frame(store.con).row(0, named=True)
        span = metrics.unscoped(store.con)("data_range").row(0, named=True)
    return Data(
        everything["calls"],
        everything["notes"],
        span["first_day"],
        span["last_day"],
        [t for t in span["teams"] or [] if t],
    )


def import_files(log: Path, folder: Path, files: int, calls: int) -> list[Import]:
    """FILES logs of CALLS calls each, taken from LOG (spread over it) under new
    observation ids: existing teams, managers, reps and dates."""
    rows = pl.read_csv(log, infer_schema=False)
    ids = rows.get_column("observation_id").unique(maintain_order=True)
    calls = min(calls, len(ids) // (files + 1))
    step = len(ids) // files
    made = []
    for n in range(files):
        chosen = ids.slice(n * step, calls)
        path = folder / f"import-{n + 1}.csv"
        rows.filter(pl.col("observation_id").is_in(chosen.implode())).with_columns(
            ("LOAD" + str(n + 1) + "-" + pl.col("observation_id")).alias("observation_id")
        ).write_csv(path)
        made.append(Import(path, calls))
    return made


async def run_imports(imports: list[Import], db: Path, start_at: float) -> None:
    """`ridealong ingest` of each file in turn, in a process of its own, from START_AT."""
    await asyncio.sleep(max(start_at - time.monotonic(), 0))
    for job in imports:
        job.started = time.monotonic()
        process = await asyncio.create_subprocess_exec(
            ridealong(),
            *("ingest", str(job.file), "--db", str(db)),
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
            env=clean_env(),
        )
        out, _ = await process.communicate()
        job.ended, job.status = time.monotonic(), process.returncode
        job.said = out.decode(errors="replace").strip()


async def open_person(
    browser: Browser | None, number: int, base: str, args: argparse.Namespace
) -> Session | WirePerson:
    """Session NUMBER on its page, drawn: a context of BROWSER, or with None a person whose
    browser is elsewhere (over the wire, tests/benchmarks/wire.py)."""
    path = list(PAGES)[number % len(PAGES)]
    rng = random.Random(args.seed + number)
    if browser is None:
        person: Session | WirePerson = WirePerson(number, path, base, rng, args.timeout)
    else:
        context = await browser.new_context(viewport=VIEWPORT)
        context.set_default_timeout(args.timeout * 1000)
        person = Session(number, path, base, await context.new_page(), rng, args.timeout)
        await person.watch()
    started = time.monotonic()
    await person.open(WARM_UP_S)
    if args.verbose:
        how = "in Chromium" if browser else "over the wire"
        print(f"session {number:>2} {person.name:<10} open {how} in "
              f"{time.monotonic() - started:.1f} s", flush=True)  # fmt: skip
    return person


async def work(
    session: Session | WirePerson,
    data: Data,
    until: Callable[[], bool],
    verbose: bool,
    think: float = 0,
    origin: float = 0.0,
) -> list[Repaint]:
    """Change filters until UNTIL says stop; after a failed change, reopen the page. THINK:
    before each change, read the page for 0.5-1.5 x THINK seconds (0: at once). VERBOSE:
    print each change, timed from ORIGIN (the loop's start)."""
    done = []
    step = 0
    while not until():
        if think:
            await asyncio.sleep(think * session.rng.uniform(0.5, 1.5))
        done.append(await session.change(step, data))
        if verbose:
            print(done[-1].line(origin), flush=True)
        step += 1
        if done[-1].error is not None:
            session.problems.clear()  # counted with the change that met them
            try:
                await session.open()
                step = 0
            except (Failed, PlaywrightError) as e:
                kind = e.kind if isinstance(e, Failed) else "widget step"
                now = time.monotonic()
                done.append(
                    Repaint(session.number, session.name, "reopen", now, now, None, 0, kind)
                )
    return done


@dataclass
class Result:
    data: Data
    sessions: list[Session | WirePerson]
    warmup_s: float
    left_out: int  # sessions whose first page never opened
    idle_s: float  # --idle: seconds every session sat idle after the warm-up
    idle: dict[str, float]  # CPU seconds used meanwhile (cpu_seconds)
    loop_started: float
    loop_s: float
    repaints: list[Repaint]
    imports: list[Import]
    toasts: list[list[tuple[str, float]]]  # each session's: text, when shown (monotonic)
    cpu: dict[str, float]  # CPU seconds used in the loop, by whom (cpu_seconds)
    load_before: tuple[float, float, float]
    load_after: tuple[float, float, float]


async def measure(
    servers: list[Server], db: Path, data: Data, imports: list[Import], args: argparse.Namespace
) -> Result:
    async with async_playwright() as pw:
        browser = (
            await pw.chromium.launch(executable_path=str(CHROMIUM), args=LAUNCH_ARGS)
            if args.browsers
            else None
        )
        try:
            opened = time.monotonic()
            arriving = asyncio.Semaphore(args.arrivals)

            async def arrive(number: int) -> Session | WirePerson | Repaint:
                async with arriving:
                    try:
                        url = servers[number % len(servers)].url
                        drawn = browser if number < args.browsers else None
                        return await open_person(drawn, number, url, args)
                    except (Failed, PlaywrightError) as e:
                        kind = e.kind if isinstance(e, Failed) else "widget step"
                        now = time.monotonic()
                        page = PAGES[list(PAGES)[number % len(PAGES)]]
                        return Repaint(number, page, "open", now, now, None, 0, f"{kind}: {e}")

            arrived = await asyncio.gather(*(arrive(i) for i in range(args.sessions)))
            sessions = [s for s in arrived if not isinstance(s, Repaint)]
            warmup = time.monotonic() - opened
            warm = [r for r in arrived if isinstance(r, Repaint)] + [
                Repaint(s.number, s.name, "open", opened, opened, None, 0, f"{kind}: {detail}")
                for s in sessions
                for kind, detail in s.problems
            ]
            for s in sessions:
                s.problems.clear()
            quiet = cpu_seconds(servers)
            await asyncio.sleep(args.idle)
            cpu_before, load_before = cpu_seconds(servers), os.getloadavg()
            idle = {k: v - quiet[k] for k, v in cpu_before.items()}
            began = time.monotonic()
            importing = asyncio.create_task(run_imports(imports, db, began + args.seconds / 4))

            def until() -> bool:
                now = time.monotonic()
                if now < began + args.seconds:
                    return False
                if not importing.done():
                    return now > began + args.seconds + GIVE_UP_S
                return now > max((j.ended for j in imports), default=began) + SEEN_S

            worked = await asyncio.gather(
                *(work(s, data, until, args.verbose, args.think, began) for s in sessions)
            )
            loop_s = time.monotonic() - began
            cpu = {k: v - cpu_before[k] for k, v in cpu_seconds(servers).items()}
            if not importing.done():
                importing.cancel()
            toasts = [await s.toasts() for s in sessions]
            for s in sessions:
                if isinstance(s, WirePerson):
                    await s.wire.close()
            repaints = warm + [r for done in worked for r in done]
            return Result(
                data, sessions, warmup, len(arrived) - len(sessions), args.idle, idle, began,
                loop_s, repaints, imports, toasts, cpu, load_before, os.getloadavg(),
            )  # fmt: skip
        finally:
            if browser is not None:
                await browser.close()


def cpu_seconds(servers: list[Server]) -> dict[str, float]:
    """CPU seconds (user + system) used so far: by the dashboard servers (and their children),
    by Chromium, by this driver and Playwright's, and by the whole machine."""

    def own(process: psutil.Process) -> float:
        try:
            times = process.cpu_times()
        except psutil.Error:
            return 0.0
        return times.user + times.system

    me = psutil.Process()
    mine = me.children(recursive=True)
    served: set[int] = set()
    server = 0.0
    for running in servers:
        tree = [psutil.Process(running.process.pid)]
        tree += tree[0].children(recursive=True)
        served |= {p.pid for p in tree}
        server += sum(own(p) for p in tree)
    ours = [p for p in mine if p.pid not in served]
    chromium = sum(own(p) for p in ours if "chrom" in p.name())
    driver = own(me) + sum(own(p) for p in ours if p.name() == "node")
    total = psutil.cpu_times()
    busy = sum(total) - total.idle - getattr(total, "iowait", 0.0)
    return {"server": server, "chromium": chromium, "driver": driver, "machine": busy}


# ---- the printout ----------------------------------------------------------------------------


def cpu_shares(cpu: dict[str, float], seconds: float) -> str:
    """Who used the machine's cores for SECONDS (CPU from cpu_seconds), in core-seconds."""
    cores = (os.cpu_count() or 1) * seconds
    others = cpu["machine"] - cpu["server"] - cpu["chromium"] - cpu["driver"]
    return f"{os.cpu_count()} cores × {seconds:.0f} s = {cores:.0f} core-s: " + ", ".join(
        f"{who} {used:.0f} ({used / cores:.0%})"
        for who, used in (
            ("dashboard server", cpu["server"]),
            ("Chromium", cpu["chromium"]),
            ("this driver and Playwright", cpu["driver"]),
            ("the imports and all else on the machine", others),
            ("idle", max(cores - cpu["machine"], 0)),
        )
    )


def importing(repaint: Repaint, imports: list[Import]) -> bool:
    """Whether REPAINT was made while one of IMPORTS ran."""
    return any(
        j.started and j.started < repaint.ended and repaint.started < (j.ended or repaint.ended)
        for j in imports
    )


def times(repaints: list[Repaint], imports: list[Import] | None = None) -> list[float]:
    """The repaints' times (with IMPORTS: of those made while one of them ran)."""
    return [
        r.repaint_s
        for r in repaints
        if r.repaint_s is not None and (imports is None or importing(r, imports))
    ]


def breakdown(repaints: list[Repaint], imports: list[Import], pages: Counter) -> list[str]:
    """Lines: REPAINTS' times while an import ran and otherwise, by page and by change."""
    lines = [
        f"  while an import ran: {figures(times(repaints, imports))}",
        f"  otherwise: {figures(times([r for r in repaints if not importing(r, imports)]))}",
    ]
    for name in pages:
        lines.append(f"  {name}: {figures(times([r for r in repaints if r.page == name]))}")
    for kind in CYCLE:
        lines.append(f"  {kind}: {figures(times([r for r in repaints if r.change == kind]))}")
    return lines


def percentile(values: list[float], p: int) -> float:
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[p - 1]


def figures(values: list[float]) -> str:
    if not values:
        return "none"
    return (
        f"p50 {percentile(values, 50):.2f} s, p95 {percentile(values, 95):.2f} s, "
        f"max {max(values):.2f} s (n={len(values)})"
    )


def report(
    result: Result,
    store_mb: float,
    servers: int,
    think: float = 0,
    first: bool = False,
    browsers: int | None = None,
) -> tuple[str, bool]:
    """The printed figures, and whether all went well (no errors, imports done and seen).
    BROWSERS: how many sessions were asked to be browser contexts (None: all)."""
    data, repaints = result.data, result.repaints
    ok = [r for r in repaints if r.repaint_s is not None]
    drawn = [r for r in ok if r.drawn]
    wired = [r for r in ok if not r.drawn]
    pages = Counter(s.name for s in result.sessions)
    asked = len(result.sessions) + result.left_out
    browsers = asked if browsers is None else browsers
    who = (
        f"{asked} browser sessions (one Chromium)"
        if browsers >= asked
        else f"{asked} sessions: {browsers} browser contexts (one Chromium) and "
        f"{asked - browsers} over the websocket without a browser (tests/benchmarks/wire.py: "
        "their browsers would be on other computers)"
    )
    lines = [
        f"Load: {who} on "
        + (
            "`ridealong serve`"
            if servers == 1
            else f"`ridealong serve` and {servers - 1} `serve --read-only`"
        )
        + ", filters changed in a loop while `ridealong ingest` adds calls"
        + (
            f" (each session reads the page {think:g} s on average before each change)"
            if think
            else " (each change right after the last is drawn)"
        ),
        f"data: {data.calls:,} calls, {data.notes:,} notes (store {store_mb:,.0f} MiB); "
        + "pages: "
        + ", ".join(f"{name} ×{n}" for name, n in pages.items()),
        f"machine: {os.cpu_count()} cores; load average (1 min) {result.load_before[0]:.1f} "
        f"when the loop began, {result.load_after[0]:.1f} when it ended"
        + (f"; the servers at nice {SERVER_FIRST} (the cores go to them first)" if first else ""),
        f"warm-up: {len(result.sessions)} sessions opened their page in {result.warmup_s:.1f} s"
        + (f"; {result.left_out} never did (left out)" if result.left_out else ""),
    ]
    if result.idle_s:
        shares = cpu_shares(result.idle, result.idle_s)
        lines.append(f"CPU while every session sat idle (no one clicking): {shares}")
    imported = 0
    for n, job in enumerate(result.imports, 1):
        if job.status is None:
            lines.append(f"import {n}: {job.calls:,} calls: NOT FINISHED")
            continue
        imported += job.calls if job.status == 0 else 0
        lines.append(
            f"import {n}: {job.calls:,} calls, `ridealong ingest` {job.ended - job.started:.1f} s "
            f"(from {job.started - result.loop_started:.1f} s into the loop), exit {job.status}"
            + ("" if job.status == 0 else f": {job.said[-300:]}")
        )
    lines.append(
        f"changes: {len(ok):,} in {result.loop_s:.1f} s ({len(ok) / result.loop_s:.1f} a second)"
        + (f", {len(drawn):,} of them drawn in a browser" if wired and drawn else "")
    )
    if drawn:
        lines.append(f"repaint (press -> last change in the main area): {figures(times(drawn))}")
        lines += breakdown(drawn, result.imports, pages)
    if wired:
        lines.append(
            "over the wire (the change sent -> the server finished the run that put it in the "
            f"URL: the server's part of a repaint, nothing drawn): {figures(times(wired))}"
        )
        if not drawn:
            lines += breakdown(wired, result.imports, pages)
        else:
            lines.append(f"  while an import ran: {figures(times(wired, result.imports))}")
    lines.append(f"CPU in the loop: {cpu_shares(result.cpu, result.loop_s)}")
    if drawn:
        served = [r.served_s for r in drawn if r.served_s is not None]
        lines.append(
            "served, in the browsers (press -> the server said the page's run finished, on the "
            f"driver's clock: the server's part of a repaint): {figures(served)}"
        )
        lines.append(
            f"settled (press -> drawn and idle, wall time): {figures([r.settled_s for r in drawn])}"
        )
    errors = Counter(r.error.split(":")[0] for r in repaints if r.error)
    kinds = (
        "page exception",
        "console error",
        "request off 127.0.0.1",
        "page crash",
        "Streamlit exception",
        "timeout",
        "widget step",
        "connection",
    )
    lines.append(
        f"errors: {sum(errors.values())} ("
        + ", ".join(f"{kind} {errors[kind]}" for kind in kinds)
        + ")"
    )
    for r in [r for r in repaints if r.error][:10]:
        # long enough for a widget step's record of the page's last 30 presses and filters,
        # which follows its message (cut at 300 characters, the record never showed)
        lines.append(f"  session {r.session} ({r.page}, {r.change}): {r.error[:3000]}")
    seen, fresh, unseen, after = 0, 0, [], []
    ended = sorted(j.ended for j in result.imports if j.status == 0)
    for session, shown in zip(result.sessions, result.toasts, strict=True):
        toasts = [text for text, _ in shown]
        # how long after the import's end the session's first "Updated" appeared (the
        # watcher's part): after the last import that had ended by then, or before the first
        # (the driver hears of an import's end after the server may have)
        said = [at for text, at in shown if UPDATED.search(text)]
        if said and ended:
            after.append(said[0] - max([e for e in ended if e <= said[0]] or ended[:1]))
        # a session reopened after an error is a new one: it shows what was there then
        due = sum(j.calls for j in result.imports if j.status == 0 and j.ended > session.opened)
        fresh += due < imported
        added = sum(int(m.group(1).replace(",", "")) for t in toasts if (m := UPDATED.search(t)))
        seen += added == due
        if added != due:
            kind = "over the wire" if isinstance(session, WirePerson) else "in Chromium"
            unseen.append(
                f"  session {session.number} ({session.name}, {kind}): said {added:,} calls "
                f"added, not {due:,}; its toasts: {toasts}"
            )
    lines.append(
        f"the import seen: {seen} of {len(result.sessions)} sessions showed "
        f'"Updated: N calls added" for the {imported:,} calls imported'
        + (f" ({fresh} reopened after an error expected less)" if fresh else "")
        + (
            f", {percentile(after, 50):.1f} s after the import ended at the median, the last "
            f"{max(after):.1f} s after"
            if after
            else ""
        )
    )
    lines += unseen
    relisted = [(s.number, said) for s in result.sessions for said in getattr(s, "relisted", [])]
    if relisted:
        lines.append(
            f"lists of options opened again after showing nothing to choose: {len(relisted)} ("
            + "; ".join(f"session {n}: {said}" for n, said in relisted[:5])
            + ")"
        )
    # the target is a repaint: judged on the sessions that drew their page
    p95 = percentile(times(drawn), 95) if drawn else float("inf")
    met = p95 <= TARGET_P95_S and not errors
    lines.append(
        f"target: p95 <= {TARGET_P95_S} s and 0 errors at {TARGET_NOTES:,} notes: "
        + (
            ("MET" if met else "NOT MET")
            + (f" (the {len(drawn):,} repaints drawn in a browser)" if wired else "")
            if drawn
            else "NOT JUDGED (no session drew its page in a browser)"
        )
        + ("" if data.notes >= TARGET_NOTES else f" (this store holds {data.notes:,} notes)")
    )
    finished = all(j.status == 0 for j in result.imports)
    return "\n".join(lines), not errors and finished and seen == len(result.sessions)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tests.benchmarks.load",
        description="Repaint times and errors of many browser sessions while an import runs.",
    )
    parser.add_argument("--calls", type=int, default=400_000, help="calls in the store")
    parser.add_argument("--sessions", type=int, default=20, help="sessions (people) at once")
    parser.add_argument(
        "--browsers",
        type=int,
        help="of the sessions, how many are browser contexts in Chromium (default: all); the "
        "others go over the websocket without a browser (tests/benchmarks/wire.py), as if "
        "their browsers ran on other computers",
    )
    parser.add_argument("--seconds", type=float, default=60, help="how long they change filters")
    parser.add_argument(
        "--arrivals", type=int, default=5, help="sessions opening their first page at once"
    )
    parser.add_argument("--imports", type=int, default=1, help="files imported meanwhile")
    parser.add_argument("--import-calls", type=int, default=1000, help="calls in each file")
    parser.add_argument("--servers", type=int, default=1, help="1 + read-only replicas")
    parser.add_argument("--timeout", type=float, default=60, help="seconds for one repaint")
    parser.add_argument("--seed", type=int, default=1, help="the sessions' random choices")
    parser.add_argument(
        "--idle", type=float, default=10, help="seconds idle after the warm-up (CPU measured)"
    )
    parser.add_argument(
        "--think",
        type=float,
        default=0,
        help="seconds a session reads the page before each change (0.5-1.5 x; 0: at once)",
    )
    parser.add_argument(
        "--server-first",
        action="store_true",
        help=f"run the dashboard servers at nice {SERVER_FIRST} (needs root), so that they "
        "have the cores before the browsers, as they would with each browser on its own "
        "computer (Chromium sets its own renderers' priority: lowering it does not hold)",
    )
    parser.add_argument("--verbose", action="store_true", help="print every repaint")
    parser.add_argument("--dir", type=Path, help="work (and keep the store and logs) here")
    args = parser.parse_args(argv)
    if args.browsers is None or args.browsers > args.sessions:
        args.browsers = args.sessions
    if args.browsers and not CHROMIUM.exists():
        print(f"needs Debian's Chromium at {CHROMIUM}: apt-get install -y chromium")
        return 2

    with tempfile.TemporaryDirectory(prefix="ridealong-load-") as scratch:
        folder = args.dir or Path(scratch)
        folder.mkdir(parents=True, exist_ok=True)
        built = time.monotonic()
        db = build_store(folder, args.calls, None)
        print(f"store built in {time.monotonic() - built:.1f} s", flush=True)
        data = describe(db)
        imports = import_files(
            folder / f"log-{args.calls}.csv", folder, args.imports, args.import_calls
        )
        store_mb = db.stat().st_size / 2**20
        nice = SERVER_FIRST if args.server_first else 0
        servers = [start_server(folder, db, nice=nice)]
        try:
            servers += [
                start_server(folder, db, options=("--read-only",), nice=nice)
                for _ in range(args.servers - 1)
            ]
            result = asyncio.run(measure(servers, db, data, imports, args))
        finally:
            for server in servers:
                server.stop()
    printed, well = report(
        result, store_mb, args.servers, args.think, args.server_first, args.browsers
    )
    print(printed)
    if args.dir:
        print(f"Kept: {args.dir} (log, store, import files, server logs)")
    return 0 if well else 1


if __name__ == "__main__":
    sys.exit(main())
