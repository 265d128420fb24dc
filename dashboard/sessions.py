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

The runtime is passed in (`is_active`), so this module stays free of Streamlit and is tested
with a fake clock.
"""

from __future__ import annotations

import contextlib
import ctypes
import threading
import time
from collections.abc import Callable
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
) -> threading.Thread:
    """A daemon thread sweeping `stores` every `seconds` for as long as the process runs."""

    def run() -> None:
        while True:
            time.sleep(seconds)
            # a sweep must never end the thread; the next one retries
            with contextlib.suppress(Exception):
                stores.sweep(is_active, on_gone)

    thread = threading.Thread(target=run, name="ridealong-session-stores", daemon=True)
    thread.start()
    return thread
