"""Uploads a session checked or explored are closed once the session has gone (hostile-input
issue, item 10: twelve explored 27 MB uploads held 1.8 GB after their visitors had left); the
snapshot watcher reruns only the sessions showing an older version of the store (shared-store
issue, item 1); the filter pages' runs take turns, first come first served (item 7)."""

from __future__ import annotations

import contextlib
import inspect
import threading
import time
from pathlib import Path

import pytest

from dashboard.sessions import SessionStores, SnapshotWatch, Turns, sweep_every, watch_snapshots
from dashboard.store import Store, load_files
from dashboard.views import common

DATA = Path(__file__).resolve().parent / "data"


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_store_is_closed_once_its_session_has_been_gone_for_the_ttl():
    clock = Clock()
    stores = SessionStores(ttl=120, clock=clock)
    gone, here = Store(None), Store(None)
    stores.keep("gone", gone)
    stores.keep("here", here)
    active = {"here"}

    assert stores.sweep(active.__contains__) == 0  # "gone" is first seen inactive now
    clock.now += 119
    assert stores.sweep(active.__contains__) == 0
    assert not gone.closed
    clock.now += 1
    assert stores.sweep(active.__contains__) == 1
    assert gone.closed and not here.closed
    assert stores.count() == 1
    clock.now += 10_000
    assert stores.sweep(active.__contains__) == 0
    assert not here.closed


def test_a_session_that_comes_back_within_the_ttl_keeps_its_store():
    clock = Clock()
    stores = SessionStores(ttl=120, clock=clock)
    store = Store(None)
    stores.keep("s", store)
    stores.sweep(lambda _: False)
    clock.now += 100
    stores.sweep(lambda _: True)  # reconnected: the countdown starts again when it next leaves
    clock.now += 100
    stores.sweep(lambda _: False)
    clock.now += 100
    assert stores.sweep(lambda _: False) == 0
    assert not store.closed
    clock.now += 20
    assert stores.sweep(lambda _: False) == 1


def test_stores_their_page_already_closed_are_forgotten():
    stores = SessionStores(ttl=1, clock=Clock())
    store = Store(None)
    stores.keep("s", store)
    store.close()
    assert stores.count() == 0
    assert stores.sweep(lambda _: False) == 0


def test_the_sweeping_thread_closes_a_gone_sessions_store_and_frees_its_data():
    store, _ = load_files([DATA / "tiny.csv"])
    stores = SessionStores(ttl=0)
    stores.keep("gone", store)
    stop = threading.Event()
    thread = sweep_every(stores, lambda _: False, seconds=0.01, stop=stop)
    thread.join(timeout=0.5)  # runs until stopped; half a second is dozens of sweeps
    assert thread.daemon and thread.is_alive()
    stop.set()
    thread.join(timeout=5)
    assert not thread.is_alive()
    assert store.closed
    assert stores.count() == 0


def test_a_session_back_after_its_exploration_was_closed_sees_the_team_store_and_why(
    app, sample_store
):
    at = app(sample_store, page="views/upload.py")
    at.file_uploader(key="upl_files").set_value(
        [("tiny.csv", (DATA / "tiny.csv").read_bytes(), "text/csv")]
    ).run()
    at.button(key="upl_explore").click().run()
    explored = at.session_state[common.EXPLORE_KEY][0]
    assert not explored.closed

    explored.close()  # what the sweep does once the session has been gone for the TTL
    at.switch_page("views/overview.py").run()
    assert not at.exception
    assert common.EXPLORE_KEY not in at.session_state
    assert any("ended when this page was left" in t.value for t in at.toast)
    assert next(m.value for m in at.metric if m.label == "Calls observed") == "3,000"


def test_an_upload_page_whose_checked_copy_was_closed_checks_the_files_again(app, sample_store):
    at = app(sample_store, page="views/upload.py")
    at.file_uploader(key="upl_files").set_value(
        [("tiny.csv", (DATA / "tiny.csv").read_bytes(), "text/csv")]
    ).run()
    first = at.session_state["upl_check"].store
    first.close()
    at.run()
    assert not at.exception
    check = at.session_state["upl_check"]
    assert check.store is not first and not check.expired()
    assert check.result.added == 14


def test_each_gone_session_is_reported_once_so_the_runtime_can_close_it():
    clock = Clock()
    stores = SessionStores(ttl=5, clock=clock)
    for _ in range(2):
        stores.keep("gone", Store(None))  # its check and an earlier one
    stores.keep("here", Store(None))
    told: list[str] = []
    stores.sweep(lambda session_id: session_id == "here", told.append)
    clock.now += 5
    assert stores.sweep(lambda session_id: session_id == "here", told.append) == 2
    assert told == ["gone"]
    clock.now += 5
    stores.sweep(lambda session_id: session_id == "here", told.append)
    assert told == ["gone"]


def test_the_snapshot_watch_names_each_session_behind_once_and_forgets_gone_ones():
    watch = SnapshotWatch()
    watch.shown("a", 3)
    watch.shown("b", 4)
    watch.shown("gone", 3)
    active = {"a", "b"}
    assert watch.behind(4, active.__contains__) == ["a"]
    assert watch.count() == 2  # "gone" forgotten
    assert watch.behind(4, active.__contains__) == []  # "a" was told once
    watch.shown("a", 4)  # its rerun drew version 4
    # an undo swaps back a snapshot with a lower version: everyone is behind it
    assert sorted(watch.behind(3, active.__contains__)) == ["a", "b"]
    # a run that started before the swap draws the old version after the watch looked
    watch.shown("b", 4)
    assert watch.behind(3, active.__contains__) == ["b"]


def test_the_snapshot_watch_leaves_a_busy_session_for_a_later_look():
    # a rerun would interrupt a run that may already draw the new version, and Streamlit drops
    # the messages a run queued but did not send (its "Updated" toast) when the next starts
    watch = SnapshotWatch()
    watch.shown("running", 1)
    watch.shown("idle", 1)
    busy = {"running"}
    assert watch.behind(2, lambda _: True, busy.__contains__) == ["idle"]
    assert watch.behind(2, lambda _: True, busy.__contains__) == []  # still running
    busy.clear()  # its run ended on version 1: rerun it now
    assert watch.behind(2, lambda _: True, busy.__contains__) == ["running"]
    watch.shown("running", 3)  # or its run drew the newer version itself: no rerun for it
    assert watch.behind(3, lambda _: True, busy.__contains__) == ["idle"]


def test_a_rerun_that_did_not_happen_is_asked_again_at_the_next_look():
    watch = SnapshotWatch()
    watch.shown("a", 1)
    assert watch.behind(2, lambda _: True) == ["a"]
    watch.again("a")  # a run of its own came first
    assert watch.behind(2, lambda _: True) == ["a"]
    watch.again("a")
    watch.shown("a", 2)  # that run drew the new version itself
    assert watch.behind(2, lambda _: True) == []
    # the run of its own drew the new version before the rerun was found skipped: no rerun
    watch.shown("a", 2)
    assert watch.behind(3, lambda _: True) == ["a"]
    watch.shown("a", 3)
    watch.again("a")
    assert watch.behind(3, lambda _: True) == []
    watch.again("gone")  # never seen: nothing to ask
    assert watch.count() == 1


def test_the_watchers_rerun_never_replaces_a_run_a_person_asked_for(monkeypatch):
    # The rerun reruns with the state of the session's last finished run. Asked for while a
    # person's change is under way or waiting (Streamlit's fast reruns replace it), it put the
    # old filter back; it now waits its turn on the event loop and skips a busy session.
    from streamlit import runtime

    from dashboard.views import common

    class Session:
        def __init__(self, runner):
            self._scriptrunner, self._client_state, self.asked = runner, "last run's state", []

        def request_rerun(self, state):
            self.asked.append(state)

        def _call_soon_on_event_loop(self, callback):
            self.on_loop = callback

    sessions = {"busy": Session(runner=object()), "idle": Session(runner=None)}

    class Manager:
        def get_active_session_info(self, session_id):
            return type("Info", (), {"session": sessions[session_id]})()

    monkeypatch.setattr(runtime, "exists", lambda: True)
    monkeypatch.setattr(runtime, "get_instance", lambda: type("R", (), {"_session_mgr": Manager()}))
    skipped = []
    for session_id, session in sessions.items():
        common._rerun(session_id, skipped=lambda s=session_id: skipped.append(s))
        assert session.asked == []  # nothing from the watcher's thread
        session.on_loop()  # the event loop's turn
    assert sessions["idle"].asked == ["last run's state"]
    assert sessions["busy"].asked == [] and skipped == ["busy"]


def test_the_snapshot_thread_reruns_the_sessions_behind_a_new_snapshot():
    watch = SnapshotWatch()
    version = [1]
    rerun: list[str] = []
    done = threading.Event()

    def told(session_id: str) -> None:
        rerun.append(session_id)
        if session_id == "fails":
            raise RuntimeError("a session closing as it is told")
        done.set()

    watch.shown("fails", 1)
    watch.shown("here", 1)
    stop = threading.Event()
    thread = watch_snapshots(
        watch, lambda: version[0], lambda _: True, told, seconds=0.01, stop=stop
    )
    time.sleep(0.1)
    assert rerun == [] and thread.daemon  # nothing changed: nobody reruns
    version[0] = 2
    assert done.wait(5)
    time.sleep(0.1)
    stop.set()
    thread.join(timeout=5)
    assert rerun.count("here") == 1  # told once, and a failure stops nobody
    assert rerun.count("fails") > 1  # a rerun that could not be asked for is asked again
    assert not thread.is_alive()


class _Pages:
    """Fake pages for rerun_paced: a rerun begins at the next tick (the event loop's turn),
    draws the new version, and runs for `ticks` ticks of 0.05 s."""

    def __init__(self, ticks: int):
        self.ticks, self.now = ticks, 0.0
        self.watch = SnapshotWatch(clock=lambda: self.now)
        self.left: dict[str, int] = {}  # page -> ticks still running
        self.starting: list[str] = []
        self.most = 0  # the most pages running at one tick
        self.asked: list[tuple[str, float]] = []

    def rerun(self, session_id: str) -> None:
        self.asked.append((session_id, round(self.now, 2)))
        self.starting.append(session_id)

    def is_busy(self, session_id: str) -> bool:
        return self.left.get(session_id, 0) > 0

    def wait(self, seconds: float) -> bool:
        self.now += seconds
        for s in self.starting:
            self.watch.shown(s, 2)
            self.left[s] = self.ticks
        self.starting = []
        self.most = max(self.most, sum(1 for s in self.left if self.is_busy(s)))
        for s in self.left:
            self.left[s] -= 1
        return False


def test_the_watcher_reruns_a_page_at_a_time_beside_a_persons_change():
    from dashboard import sessions

    pages = _Pages(ticks=4)
    watch = pages.watch
    for s in ("a", "b", "c", "drew"):
        watch.shown(s, 1)
    watch.shown("person", 1)
    pages.left["person"] = 6  # a person's change is running: the watcher leaves it be
    stale = watch.behind(2, lambda _: True, pages.is_busy)
    assert sorted(stale) == ["a", "b", "c", "drew"]
    real_shown = watch.shown

    def shown(session_id, version):  # "drew" changes a filter itself while "a" reruns
        real_shown(session_id, version)
        if session_id == "a":
            real_shown("drew", 2)

    watch.shown = shown
    sessions.rerun_paced(watch, stale, pages.rerun, pages.is_busy, pages.wait)
    assert [s for s, _ in pages.asked] == ["a", "b", "c"]  # "drew" drew the import itself
    assert pages.most == sessions.AT_ONCE  # never more pages running than the watcher allows
    # "b" waited for "a" (4 ticks) while the person's page ran; "c" ran beside "b" once the
    # person's page had ended (6 ticks)
    assert [t for _, t in pages.asked] == [0.0, 0.2, 0.3]


def test_the_watcher_waits_only_so_long_for_pages_that_keep_running():
    from dashboard import sessions

    pages = _Pages(ticks=1)
    watch = pages.watch
    for s in ("a", "b", "p", "q"):
        watch.shown(s, 1)
    pages.left.update(p=10_000, q=10_000)  # two people's pages that never end
    stale = watch.behind(2, lambda s: True, pages.is_busy)
    sessions.rerun_paced(watch, stale, pages.rerun, pages.is_busy, pages.wait)
    assert [s for s, _ in pages.asked] == ["a", "b"]
    assert [t for _, t in pages.asked] == [sessions.PACE_S, 2 * sessions.PACE_S]


def test_a_rerun_told_counts_as_running_until_seen_running_or_for_told_s_at_most():
    from dashboard import sessions

    now = [0.0]
    watch = SnapshotWatch(clock=lambda: now[0])
    for s in ("never", "begun"):
        watch.shown(s, 1)
    busy: set[str] = set()
    watch.told("never")  # its rerun never begins (a page gone meanwhile, say)
    watch.told("begun")
    assert watch.running(busy.__contains__) == 2
    busy.add("begun")  # its page is running: seen, it is no longer only told
    assert watch.running(busy.__contains__) == 2
    busy.clear()  # a page that never says what it drew (the audit log's) ended
    assert watch.running(busy.__contains__) == 1
    now[0] = sessions.TOLD_S  # the one never begun stops counting
    assert watch.running(busy.__contains__) == 0

    def closing(session_id: str) -> bool:
        raise RuntimeError("a session closing as it is asked about")

    assert watch.running(closing) == 0  # counted idle, and the watcher goes on


def test_the_streamlit_internals_the_rerun_uses_still_exist():
    # views/common._rerun does what Streamlit's runOnSave does; no public call exists for it
    from streamlit.runtime import Runtime
    from streamlit.runtime.app_session import AppSession
    from streamlit.runtime.session_manager import ActiveSessionInfo, SessionManager

    assert "self._session_mgr" in inspect.getsource(Runtime.__init__)
    assert "get_active_session_info" in dir(SessionManager)
    assert "session" in ActiveSessionInfo.__dataclass_fields__
    assert "self._client_state = ClientState()" in inspect.getsource(AppSession.__init__)
    assert "self.request_rerun(self._client_state)" in inspect.getsource(AppSession)
    # ... on the session's event loop, when it has no script runner (no run under way or asked)
    assert "self._scriptrunner: ScriptRunner | None = None" in inspect.getsource(AppSession)
    assert callable(AppSession._call_soon_on_event_loop)
    assert "self._scriptrunner = None" in inspect.getsource(AppSession)
    # views/common._session_busy: a run under way, or messages not yet sent
    from streamlit.runtime.app_session import AppSessionState
    from streamlit.runtime.forward_msg_queue import ForwardMsgQueue

    assert "self._state = AppSessionState.APP_IS_RUNNING" in inspect.getsource(AppSession)
    assert "self._browser_queue = ForwardMsgQueue()" in inspect.getsource(AppSession.__init__)
    assert AppSessionState.APP_IS_RUNNING and callable(ForwardMsgQueue.is_empty)


def test_a_snapshot_thread_ends_once_its_store_is_closed():
    alive = threading.Event()
    alive.set()
    thread = watch_snapshots(
        SnapshotWatch(), lambda: 1, lambda _: True, lambda _: None, 0.01, alive=alive.is_set
    )
    time.sleep(0.05)
    assert thread.is_alive()
    alive.clear()  # what a closed store says
    thread.join(timeout=5)
    assert not thread.is_alive()


def test_no_snapshot_thread_is_started_under_apptest(app, sample_store):
    # AppTest's runtime is a stand-in that reruns nothing: a watcher there would only poll
    # a store every few seconds for the rest of the test run
    at = app(sample_store)
    assert not at.exception
    assert not [t for t in threading.enumerate() if t.name == "ridealong-snapshot-watch"]


# ---- turns: at most TURNS filter-page runs at once, the others in the order they came ------


def _runs(turns: Turns, count: int, hold: threading.Event, log: list, inside: list) -> list:
    """`count` threads, started one after another, each taking a turn and holding it until
    `hold` is set; `log` gets each one's number as it enters, `inside` how many were in."""
    lock = threading.Lock()
    now_in = [0]

    def run(number: int) -> None:
        with turns.turn():
            with lock:
                now_in[0] += 1
                log.append(number)
                inside.append(now_in[0])
            hold.wait(30)
            with lock:
                now_in[0] -= 1

    threads = []
    for number in range(count):
        thread = threading.Thread(target=run, args=(number,))
        thread.start()
        threads.append(thread)
        deadline = time.monotonic() + 10  # the next asks only once this one is in or queued
        while len(log) + turns.waiting() < number + 1 and time.monotonic() < deadline:
            time.sleep(0.001)
    return threads


def _join(threads: list) -> None:
    for thread in threads:
        thread.join(30)
        assert not thread.is_alive()


def test_two_runs_at_once_and_the_others_wait():
    turns = Turns(at_once=2, patience=60)
    hold, log, inside = threading.Event(), [], []
    threads = _runs(turns, 6, hold, log, inside)
    assert log == [0, 1] and turns.waiting() == 4 and turns.free() == 0
    hold.set()
    _join(threads)
    assert sorted(log) == [0, 1, 2, 3, 4, 5]
    assert max(inside) == 2
    assert turns.waiting() == 0 and turns.free() == 2  # every turn came back, none made up


def test_turns_are_handed_on_in_the_order_the_runs_came():
    turns = Turns(at_once=1, patience=60)
    hold, log, inside = threading.Event(), [], []
    threads = _runs(turns, 5, hold, log, inside)
    assert log == [0] and turns.waiting() == 4
    hold.set()
    _join(threads)
    assert log == [0, 1, 2, 3, 4]  # one at a time: the order they entered is the order handed
    assert turns.free() == 1


class Stopped(BaseException):
    """What Streamlit raises to stop a run (StopException, RerunException: BaseExceptions)."""


def test_a_run_stopped_inside_its_turn_hands_the_turn_on():
    turns = Turns(at_once=1, patience=60)
    with pytest.raises(Stopped), turns.turn():
        raise Stopped
    assert turns.free() == 1
    hold, log, inside = threading.Event(), [], []
    hold.set()
    _join(_runs(turns, 1, hold, log, inside))
    assert log == [0] and turns.free() == 1


def test_a_waiting_run_told_to_stop_leaves_the_queue():
    # a newer change replaced the run (or its session went): Streamlit's check raises, and
    # the run must not keep a place in the queue for a page nobody will see
    turns = Turns(at_once=1, patience=60)
    hold, log, inside = threading.Event(), [], []
    holder = _runs(turns, 1, hold, log, inside)
    stop, outcome = threading.Event(), []

    def check() -> None:
        if stop.is_set():
            raise Stopped

    def waiting_run() -> None:
        try:
            with turns.turn(check):
                outcome.append("ran")
        except Stopped:
            outcome.append("stopped")

    waiter = threading.Thread(target=waiting_run)
    waiter.start()
    deadline = time.monotonic() + 10
    while turns.waiting() < 1 and time.monotonic() < deadline:
        time.sleep(0.001)
    assert turns.waiting() == 1
    stop.set()
    _join([waiter])
    assert outcome == ["stopped"] and turns.waiting() == 0
    hold.set()
    _join(holder)
    assert turns.free() == 1


def test_a_run_that_waited_its_patience_goes_ahead_without_a_turn():
    turns = Turns(at_once=1, patience=0.3)
    hold, log, inside = threading.Event(), [], []
    threads = _runs(turns, 1, hold, log, inside)  # one run holds the only turn
    started = time.monotonic()
    with turns.turn():
        waited = time.monotonic() - started
        assert turns.waiting() == 0  # it left the queue
    assert 0.25 < waited < 10
    assert turns.free() == 0  # going ahead took no turn, and gave none back
    hold.set()
    _join(threads)
    assert turns.free() == 1


def test_a_run_handed_its_turn_as_its_patience_ran_out_keeps_it():
    clock = Clock()
    turns = Turns(at_once=0, patience=10, clock=clock)  # no turn free: the run queues
    outcome = []

    def run() -> None:
        with turns.turn():
            outcome.append(turns.free())

    thread = threading.Thread(target=run)
    thread.start()
    deadline = time.monotonic() + 10
    while turns.waiting() < 1 and time.monotonic() < deadline:
        time.sleep(0.001)
    with turns._lock:  # at the same moment: its patience is up, and a run ends
        clock.now += 11
        turns._hand_on()
    _join([thread])
    assert outcome == [0]  # it ran holding the turn handed to it ...
    assert turns.free() == 1  # ... and handed it on: no turn lost, none made up


def test_when_no_turn_changes_hands_for_the_patience_new_runs_go_ahead_at_once():
    # two runs stuck (a query that does not end) must not make everyone wait the patience
    clock = Clock()
    turns = Turns(at_once=1, patience=10, clock=clock)
    hold, log, inside = threading.Event(), [], []
    stuck = _runs(turns, 1, hold, log, inside)
    clock.now += 11
    started = time.monotonic()
    with turns.turn():
        assert turns.waiting() == 0
    assert time.monotonic() - started < 5  # not the patience: at once
    hold.set()
    _join(stuck)
    assert turns.free() == 1
    with turns.turn():  # once a turn has changed hands, runs take turns again
        assert turns.free() == 0


def test_the_filter_pages_take_turns_and_the_others_do_not(app, sample_store, monkeypatch):
    entered = []

    @contextlib.contextmanager
    def counting_turn():
        entered.append(True)
        yield

    monkeypatch.setattr(common, "page_turn", counting_turn)
    at = app(sample_store)  # the Overview
    assert not at.exception and len(entered) == 1
    for page, takes_turn in (
        ("views/managers.py", True),
        ("views/behaviours.py", True),
        ("views/reps.py", True),
        ("views/log.py", False),
        ("views/quarterly.py", False),
        ("views/upload.py", False),
    ):
        before = len(entered)
        at.switch_page(page)
        at.run()
        assert not at.exception, page
        assert len(entered) - before == (1 if takes_turn else 0), page


def test_the_streamlit_check_a_waiting_run_uses_still_exists():
    from streamlit.runtime.scriptrunner_utils.script_run_context import get_run_yield_check

    assert get_run_yield_check() is None  # outside a script run: nothing to check
