"""A person on the dashboard without a browser: a Streamlit session driven over its websocket.

tests/benchmarks/load.py puts twenty people on one `ridealong serve`. Here their browsers run on
the server's own two cores, and Chromium drawing twenty pages takes most of them, which a real
team's browsers, each on its own computer, never do. A `WireSession` is the server's side of a
person without the drawing: it opens `/_stcore/stream` as the browser does and sends what
the browser sends when a filter changes (`BackMsg.rerun_script` with the page, the URL's query
and the filters' values, as read from Chromium's frames; the browser sends every widget's
value, this the three filters' only — a widget left out keeps its value on the server), and
times the run from that message to the server's `script_finished`. What the server does for it
is what it does for a browser: the same page script, queries and messages (sent whole: it
declares no cached messages, so the server's cache of them never spares a send; nor does it
send heartbeats, the browser's time-zone offset or whether it is embedded).

It also reads what a person would see in those messages: the options each filter offers, the
URL's query after a run, the toasts ("Updated: N calls added") and any exception shown.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import parse_qs, urlparse

from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import WebSocketException

from tests.e2e.browser import RUN_ENDED

# The sidebar's filters, by the key their widget ids end with (dashboard/views/common.py).
DATES, TEAM, MANAGER = "f_dates", "f_team", "f_manager"


class Failed(Exception):
    """What went wrong in a session (over the wire or in a browser, tests/benchmarks/load.py):
    KIND is how load.py counts it."""

    def __init__(self, kind: str, detail: str) -> None:
        super().__init__(f"{kind}: {detail}")
        self.kind, self.detail = kind, detail


@dataclass
class WireSession:
    """One Streamlit session on PATH of the server at BASE (http://host:port), over its
    websocket: `open()`, then `rerun()` with the filters' new values."""

    base: str
    path: str
    timeout_s: float = 60.0
    runs: int = 0  # script runs the server has finished for this session
    finished_at: float = 0.0  # monotonic: when the last of them was heard
    query: dict[str, list[str]] = field(default_factory=dict)  # the URL's, as the server set it
    options: dict[str, list[str]] = field(default_factory=dict)  # each filter's, by key
    values: dict[str, list[str]] = field(default_factory=dict)  # each filter's, as drawn
    toasts: list[tuple[str, float]] = field(default_factory=list)  # text, when (monotonic)
    problems: list[tuple[str, str]] = field(default_factory=list)  # (kind, detail)
    _ids: dict[str, str] = field(default_factory=dict)  # filter key -> widget id
    _page_hash: str = ""
    _query_string: str = ""
    _socket: ClientConnection | None = None
    _reader: asyncio.Task | None = None

    # -- the connection ------------------------------------------------------------------------

    async def open(self) -> float:
        """Connect and run the page without filters (a new Streamlit session, as a browser
        opening the page's URL); the seconds until the server finished that first run."""
        await self.close()
        self.runs, self.query, self.options, self.values = 0, {}, {}, {}
        self.toasts, self.problems = [], []  # a new session: what the last one said is gone
        self._ids, self._page_hash, self._query_string = {}, "", ""
        host = urlparse(self.base).netloc
        try:
            self._socket = await connect(
                f"ws://{host}/_stcore/stream",
                origin=self.base,  # the server refuses a socket from another origin
                subprotocols=["streamlit"],
                max_size=None,  # a page's messages: an option list of 8,000 names is larger
                open_timeout=self.timeout_s,
            )
        except (OSError, WebSocketException, TimeoutError) as e:
            raise Failed("connection", f"{self.base}: {e}") from e
        self._reader = asyncio.create_task(self._read())
        started = time.monotonic()
        await self._send(page_name=self.path.strip("/"))
        await self.wait_runs(1)
        return time.monotonic() - started

    async def close(self) -> None:
        if self._reader is not None:
            self._reader.cancel()
            self._reader = None
        if self._socket is not None:
            await self._socket.close()
            self._socket = None

    async def _send(self, widgets: dict[str, list[str]] | None = None, page_name: str = "") -> None:
        message = BackMsg()
        state = message.rerun_script
        state.query_string = self._query_string
        if page_name:
            state.page_name = page_name
        else:
            state.page_script_hash = self._page_hash
        for key, value in (widgets or {}).items():
            if key not in self._ids:
                raise Failed("widget step", f"the page shows no widget {key!r}")
            widget = state.widget_states.widgets.add()
            widget.id = self._ids[key]
            widget.string_array_value.data.extend(value)
        info = state.context_info
        info.timezone, info.locale, info.url = "UTC", "en-US", self.base + self.path
        info.color_scheme = "light"
        try:
            await self._socket.send(message.SerializeToString())
        except (WebSocketException, AttributeError) as e:
            raise Failed("connection", f"sending: {e}") from e

    async def _read(self) -> None:
        try:
            async for frame in self._socket:
                if isinstance(frame, bytes):
                    self._heard(frame)
        except WebSocketException as e:
            self.problems.append(("connection", f"closed: {e}"))
        else:
            self.problems.append(("connection", "the server closed the websocket"))

    def _heard(self, frame: bytes) -> None:
        message = ForwardMsg()
        message.ParseFromString(frame)
        kind = message.WhichOneof("type")
        if kind == "script_finished":
            if message.script_finished in RUN_ENDED:
                self.runs += 1
                self.finished_at = time.monotonic()
        elif kind == "navigation":
            wanted = self.path.strip("/")
            for page in message.navigation.app_pages:
                if page.url_pathname == wanted or (not wanted and page.is_default):
                    self._page_hash = page.page_script_hash
        elif kind == "page_info_changed":
            self._query_string = message.page_info_changed.query_string
            self.query = parse_qs(self._query_string)
        elif kind == "delta" and message.delta.WhichOneof("type") == "new_element":
            self._element(message.delta.new_element)

    def _element(self, element) -> None:
        kind = element.WhichOneof("type")
        if kind == "toast":
            self.toasts.append((element.toast.body, time.monotonic()))
        elif kind == "exception":
            self.problems.append(("Streamlit exception", element.exception.message[:300]))
        elif kind == "multiselect":
            self._widget(element.multiselect, list(element.multiselect.options))
        elif kind == "date_input":
            self._widget(element.date_input, None)

    def _widget(self, widget, options: list[str] | None) -> None:
        """A filter drawn: its id, options and value (what the browser would send back)."""
        key = widget.id.rsplit("-", 1)[-1]
        if key not in (DATES, TEAM, MANAGER):
            return
        self._ids[key] = widget.id
        if options is None:  # the date range
            chosen = widget.value if widget.set_value else widget.default
        else:  # a multiselect: its value by name when set, else by index
            self.options[key] = options
            chosen = widget.raw_values if widget.set_value else [options[i] for i in widget.default]
        self.values[key] = list(chosen)

    # -- a change ------------------------------------------------------------------------------

    async def wait_runs(
        self, runs: int, deadline: float | None = None, why: Callable[[], str] | None = None
    ) -> None:
        """Until the server has finished RUNS runs of this session's page (by DEADLINE, on the
        monotonic clock, or else a timeout that says WHY)."""
        deadline = deadline or time.monotonic() + self.timeout_s
        while self.runs < runs:
            if any(kind == "connection" for kind, _ in self.problems):
                raise Failed(*next(p for p in self.problems if p[0] == "connection"))
            if time.monotonic() > deadline:
                said = why() if why else f"no run finished within {self.timeout_s:.0f} s"
                raise Failed("timeout", said)
            await asyncio.sleep(0.01)

    async def rerun(self, query: dict[str, list[str]], **filters: list[str]) -> float:
        """Send the filters' new values (f_team=[...], ...; the others as they are drawn) as
        the browser does when one changes; the seconds until the server finished the run that
        put QUERY in the URL (a run the server started by itself, for a new version of the
        store, may end first: it does not count, as the browser's wait for the URL skips it)."""
        widgets = {key: self.values.get(key, []) for key in (DATES, TEAM, MANAGER)}
        widgets.update(filters)
        before = self.runs
        sent = time.monotonic()
        deadline = sent + self.timeout_s

        def why() -> str:
            if self.runs == before:
                return f"no run finished within {self.timeout_s:.0f} s"
            return f"the URL holds {self.query}, not {query}, {self.timeout_s:.0f} s on"

        await self._send(widgets)
        await self.wait_runs(before + 1, deadline, why)
        while self.query != query:
            await self.wait_runs(self.runs + 1, deadline, why)
        return self.finished_at - sent
