"""Stores that belong to one browser session — an upload being checked or explored — closed
once their session has gone.

An explored upload lives in an in-memory DuckDB store held in the session's state (~100 MB for
a 27 MB export). Streamlit keeps a disconnected session for `server.disconnectedSessionTTL`
seconds (120 by default) so that a brief network blip can reconnect, and after that only
forgets it lazily, when another session disconnects, and without shutting it down (its state
and uploaded files stay). Twelve explored uploads therefore held 1.8 GB long after their
visitors had left. `SessionStores` closes each such store itself once its session has been
inactive for a while (views/common.py uses 80% of that TTL), and then has the runtime close the
session, which frees its uploaded files and state too; a session that does come back later
finds its exploration ended and is told so (`Store.closed`).

`SnapshotWatch` is the other thing a server keeps per session: which version of the team's
store each session's page shows. One thread per server process looks for a newer snapshot every
few seconds (another process's import, this dashboard's own upload) and has the runtime rerun
only the sessions still showing an older one. A session left open costs nothing between
imports — no timer in the browser, no fragment run on the server. The reruns are paced: the
next is asked for only while fewer than `AT_ONCE` of the watched pages are running, so that a
person's change does not wait behind twenty pages redrawn at once (the load benchmark's
slowest repaints were all in the seconds after an import; tests/benchmarks/RESULTS.md,
"Twenty people at once, during an import").

`Turns` keeps people's own page runs in order: at most `TURNS` of the filter pages run at once
in one server, the others wait their turn in the order they came. Python runs one thread at a
time, so twenty runs started within a second used to share it and all finish late together;
now they finish a couple at a time, in order.

The runtime is passed in (`is_active`, `rerun`, a run's `check`), so this module stays free of
Streamlit; the watcher is tested with a fake clock and fake sessions, the turns with threads.
"""

from __future__ import annotations

import atexit
import collections
import contextlib
import ctypes
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from dashboard.store import Store


@dataclass
class _Held:
    store: Store
    inactive_since: float | None = None


class SessionStores:
    """Per-session stores, closed `ttl` seconds after their session stopped being active."""

    def __init__(self, ttl: float, clock: Callable[[], float] = time.monotonic):
        self.ttl = ttl
        self._clock = clock
        self._lock = threading.Lock()
        self._held: dict[str, list[_Held]] = {}
        self._closed_last_sweep = False

    def keep(self, session_id: str, store: Store) -> None:
        """Hold `store` for `session_id` until that session has gone (or the store is closed)."""
        with self._lock:
            self._held.setdefault(session_id, []).append(_Held(store))

    def sweep(
        self, is_active: Callable[[str], bool], on_gone: Callable[[str], None] | None = None
    ) -> int:
        """Close the stores of sessions inactive for at least `ttl` seconds, and tell
        `on_gone` each such session; forget stores already closed by their page. Returns how
        many stores this call closed."""
        now = self._clock()
        closed = 0
        gone = []
        with self._lock:
            for session_id in list(self._held):
                held = [h for h in self._held[session_id] if not h.store.closed]
                if is_active(session_id):
                    for entry in held:
                        entry.inactive_since = None
                else:
                    for entry in held:
                        if entry.inactive_since is None:
                            entry.inactive_since = now
                        if now - entry.inactive_since >= self.ttl:
                            entry.store.close()
                            closed += 1
                            gone.append(session_id)
                    held = [h for h in held if not h.store.closed]
                if held:
                    self._held[session_id] = held
                else:
                    del self._held[session_id]
        for session_id in dict.fromkeys(gone) if on_gone else ():
            on_gone(session_id)
        # the runtime shuts a session down a moment later, on its own thread: trim again on
        # the next sweep too, once that memory is free
        if closed or self._closed_last_sweep:
            give_back_memory()
        self._closed_last_sweep = closed > 0
        return closed

    def count(self) -> int:
        """Stores held and still open."""
        with self._lock:
            return sum(not h.store.closed for hs in self._held.values() for h in hs)


def give_back_memory() -> None:
    """Ask the C allocator to return freed memory to the system (glibc's malloc_trim): a
    closed store's hundreds of MB otherwise stay in the process's arenas, reused later but
    shown as the server's memory meanwhile. A no-op where there is no glibc."""
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6").malloc_trim(0)


def sweep_every(
    stores: SessionStores,
    is_active: Callable[[str], bool],
    seconds: float,
    on_gone: Callable[[str], None] | None = None,
    stop: threading.Event | None = None,
) -> threading.Thread:
    """A daemon thread sweeping `stores` every `seconds` for as long as the process runs (or
    until `stop` is set)."""
    stop = stop or threading.Event()

    def run() -> None:
        while not stop.wait(seconds):
            # a sweep must never end the thread; the next one retries
            with contextlib.suppress(Exception):
                stores.sweep(is_active, on_gone)

    thread = threading.Thread(target=run, name="ridealong-session-stores", daemon=True)
    thread.start()
    _stop_at_exit(stop, thread)
    return thread


def _stop_at_exit(stop: threading.Event, thread: threading.Thread) -> None:
    """Stop a daemon thread before Python shuts down: one still inside DuckDB then (its C++
    code runs without the GIL) is killed as it comes back, and the process aborts."""

    def stop_and_join() -> None:
        stop.set()
        thread.join(timeout=5)

    atexit.register(stop_and_join)


AT_ONCE = 2  # the watcher's next rerun waits while this many pages are running (2 cores)
TOLD_S = 2.0  # a rerun told but not yet seen running counts as running for this long at most
POLL_S = 0.05  # how often the watcher looks while it waits
PACE_S = 2.0  # ... and it waits at most this long before each rerun


def _asks(is_busy: Callable[[str], bool], session_id: str) -> bool:
    try:
        return is_busy(session_id)
    except Exception:  # a session closing as it is asked about
        return False


class SnapshotWatch:
    """Which version of the team's store each session's page shows."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._lock = threading.Lock()
        self._clock = clock
        self._shown: dict[str, int | None] = {}  # None: a rerun asked for did not happen
        self._asked: set[str] = set()  # reruns asked for, not yet drawn
        self._told: dict[str, float] = {}  # reruns set going, not yet seen running: when

    def shown(self, session_id: str, version: int) -> None:
        """`session_id`'s page has just drawn the store at `version`."""
        with self._lock:
            self._shown[session_id] = version
            self._asked.discard(session_id)
            self._told.pop(session_id, None)

    def pending(self, session_id: str) -> bool:
        """A rerun `behind` named is still to draw (no run of the session's own drew a version
        since)."""
        with self._lock:
            return session_id in self._asked

    def told(self, session_id: str) -> None:
        """The rerun of `session_id` has been set going (its run begins on the event loop)."""
        with self._lock:
            self._told[session_id] = self._clock()

    def running(self, is_busy: Callable[[str], bool]) -> int:
        """The watched pages running now, or told to rerun less than TOLD_S ago and not yet
        seen running (a page that never calls `shown`, the audit log's, is done with once
        seen busy). A session `is_busy` cannot ask about counts as idle."""
        with self._lock:
            now = self._clock()
            told = {s for s, at in self._told.items() if now - at < TOLD_S}
            sessions = list(self._shown)
        busy = {s for s in sessions if _asks(is_busy, s)}
        with self._lock:
            for session_id in busy:
                self._told.pop(session_id, None)
        return len(busy | (told & set(sessions)))

    def behind(
        self,
        version: int,
        is_active: Callable[[str], bool],
        is_busy: Callable[[str], bool] = lambda _: False,
    ) -> list[str]:
        """The sessions whose page shows another version than `version` (an undo may go back
        to a lower number), each named once per version; sessions no longer active are
        forgotten (one that comes back draws its page afresh and says so again). A busy
        session (its page running, or what the run drew not all sent yet) is left for a later
        look: a rerun would interrupt a run that may already show `version`, and Streamlit
        drops what a run queued but did not send when the next starts (but for toasts)."""
        stale = []
        with self._lock:
            for session_id, seen in list(self._shown.items()):
                if not is_active(session_id):
                    del self._shown[session_id]
                    self._asked.discard(session_id)
                    self._told.pop(session_id, None)
                elif seen != version and not is_busy(session_id):
                    stale.append(session_id)
                    self._shown[session_id] = version
                    self._asked.add(session_id)
        return stale

    def again(self, session_id: str) -> None:
        """The rerun `behind` asked for `session_id` did not happen (a run of its own came
        first): name it at the next look, unless a run has drawn a version since the ask."""
        with self._lock:
            self._told.pop(session_id, None)
            if session_id in self._asked:
                self._shown[session_id] = None
                self._asked.discard(session_id)

    def count(self) -> int:
        with self._lock:
            return len(self._shown)


def rerun_paced(
    watch: SnapshotWatch,
    stale: list[str],
    rerun: Callable[[str], None],
    is_busy: Callable[[str], bool],
    wait: Callable[[float], bool],
) -> None:
    """Rerun each of the `stale` sessions, the next only once fewer than AT_ONCE watched pages
    are running or waiting for their turn (people's own runs included) or after PACE_S; one
    that has drawn a version by a run of its own meanwhile is left out, and one whose rerun
    could not be asked for is named again at the next look. `wait(seconds)` sleeps and says
    True to stop (a threading.Event's wait)."""
    for session_id in stale:
        for _ in range(round(PACE_S / POLL_S)):
            if watch.running(is_busy) < AT_ONCE:
                break
            if wait(POLL_S):
                return
        if not watch.pending(session_id):
            continue
        watch.told(session_id)
        try:
            rerun(session_id)
        except Exception:  # a session closing as it is told
            watch.again(session_id)


def watch_snapshots(
    watch: SnapshotWatch,
    version: Callable[[], int],
    is_active: Callable[[str], bool],
    rerun: Callable[[str], None],
    seconds: float,
    stop: threading.Event | None = None,
    alive: Callable[[], bool] = lambda: True,
    is_busy: Callable[[str], bool] = lambda _: False,
) -> threading.Thread:
    """A daemon thread asking `version()` every `seconds` (it opens a newer snapshot when one
    has appeared) and calling `rerun` for each session showing another version, paced
    (`rerun_paced`), for as long as the process runs and `alive()` says so (or until `stop` is
    set); a session `is_busy` says is busy is looked at again next time."""
    stop = stop or threading.Event()

    def run() -> None:
        while not stop.wait(seconds) and alive():
            # a failed look (a store being replaced, a session closing) must never end the
            # thread; the next one retries
            with contextlib.suppress(Exception):
                stale = watch.behind(version(), is_active, is_busy)
                rerun_paced(watch, stale, rerun, is_busy, stop.wait)

    thread = threading.Thread(target=run, name="ridealong-snapshot-watch", daemon=True)
    thread.start()
    _stop_at_exit(stop, thread)
    return thread


TURNS = AT_ONCE  # filter-page runs at once in one server (as many as the watcher's reruns)
PATIENCE_S = 10.0  # a run that has waited this long for its turn goes ahead anyway
TURN_POLL_S = 0.1  # how often a waiting run asks whether it is to stop (Streamlit's own wait)


class Turns:
    """At most `at_once` runs inside `turn()` at a time; the others wait, each handed a turn in
    the order it asked (first come, first served).

    A waiting run calls `check` every TURN_POLL_S: Streamlit's yield check, which raises when a
    newer change has replaced the run or its session has gone, so that such a run leaves the
    queue at once instead of holding a place for a page nobody will see. Two limits keep a
    stuck run (a query that does not end) from holding up every page: a run that has waited
    `patience` seconds goes ahead without a turn, and once no turn has changed hands for
    `patience` seconds every new run goes ahead at once, until one does."""

    def __init__(
        self,
        at_once: int = TURNS,
        patience: float = PATIENCE_S,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.patience = patience
        self._clock = clock
        self._lock = threading.Lock()
        self._free = at_once
        self._waiting: collections.deque[threading.Event] = collections.deque()
        self._moved = clock()  # when a turn was last taken or handed on

    @contextlib.contextmanager
    def turn(self, check: Callable[[], None] = lambda: None) -> Iterator[None]:
        handed = threading.Event()
        with self._lock:
            if self._free > 0:
                self._free -= 1
                self._moved = self._clock()
                handed.set()
            elif self._clock() - self._moved <= self.patience:
                self._waiting.append(handed)
        try:
            held = self._wait(handed, check)
            check()  # a stop asked for just as the turn came
        except BaseException:  # Streamlit stops a run with BaseExceptions
            with self._lock:
                if handed.is_set():
                    self._hand_on()
                elif handed in self._waiting:
                    self._waiting.remove(handed)
            raise
        try:
            yield
        finally:
            if held:
                with self._lock:
                    self._hand_on()

    def _wait(self, handed: threading.Event, check: Callable[[], None]) -> bool:
        """Wait for a turn: True once handed one; False if it goes ahead without (out of the
        queue, or never in it)."""
        deadline = self._clock() + self.patience
        while not handed.is_set():
            with self._lock:
                if handed not in self._waiting:  # not queued: the turns are stuck
                    return handed.is_set()
                if self._clock() >= deadline:
                    self._waiting.remove(handed)
                    return False
            if handed.wait(TURN_POLL_S):
                break
            check()
        return True

    def _hand_on(self) -> None:
        """A turn has ended (the lock held): to the run that has waited longest, or free."""
        self._moved = self._clock()
        if self._waiting:
            self._waiting.popleft().set()
        else:
            self._free += 1

    def waiting(self) -> int:
        """Runs waiting for a turn now."""
        with self._lock:
            return len(self._waiting)

    def free(self) -> int:
        """Turns no run holds now."""
        with self._lock:
            return self._free
