"""What every page shares: the data source, cached queries, sidebar filters in the URL, banners,
downloads. Pages stay thin: read widgets, call these, draw charts."""

from __future__ import annotations

import contextlib
import copy
import datetime as dt
import functools
import os
import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import polars as pl
import streamlit as st
from streamlit.runtime.scriptrunner import add_script_run_ctx, get_script_run_ctx

from dashboard import access, audit, formatting, metrics
from dashboard.formatting import csv_bytes, csv_safe, plain  # noqa: F401 (csv_safe: tests)
from dashboard.sessions import SessionStores, SnapshotWatch, Turns, sweep_every, watch_snapshots
from dashboard.store import (
    DEFAULT_WAIT,
    READ_ONLY_ENV,
    REFRESH_SECONDS,
    WAIT_ENV,
    WRITE_LOCK,
    Store,
    StoreBusy,
    default_db_path,
)

if TYPE_CHECKING:
    import altair as alt

EXPLORE_KEY = "explore_store"  # session_state: an in-memory Store holding an uploaded file
SCOPE_KEY = "_scope"  # session_state: the signed-in person's access.Scope (views/signin.py)
AUTH_ENV = "RIDEALONG_AUTH"  # "1": `serve --auth` turned sign-in on


@st.cache_resource(show_spinner=False)
def team_store(path: str) -> Store:
    """The team's store, opened once per server process and shared by every session. It
    reads the newest snapshot (other processes may write one at any time); `serve
    --read-only` opens it for reading only."""
    if read_only():
        return Store(Path(path), read_only=True)
    store = Store(Path(path), wait=write_wait())
    store.load_sample_if_empty()
    return store


def write_wait() -> float:
    """How long an upload or a logged ride-along waits for another process writing the store
    (`serve --wait`), in seconds."""
    try:
        return max(float(os.environ.get(WAIT_ENV) or DEFAULT_WAIT), 0.0)
    except ValueError:
        return DEFAULT_WAIT


def read_only() -> bool:
    """`ridealong serve --read-only`: this dashboard never writes the store."""
    return bool(os.environ.get(READ_ONLY_ENV))


SEEN_IMPORT = "_seen_import"  # session_state: the last import this session has shown


def other_writer_text(holder: str, wait: float) -> str:
    """What a page says while its write waits for another process writing the store."""
    return (
        f"Waiting for {plain(holder)} to finish writing the team's store (writes take turns; "
        f"up to {wait:g} s)…"
    )


def busy_text(exc: StoreBusy, wait: float, what: str) -> str:
    """What a page says when its write gave up waiting for another process: nothing was
    WHAT ("saved", "written", "undone")."""
    return (
        f"Nothing was {what}: the team's store is being written by {plain(exc.holder)}, which "
        f"had not finished after {wait:g} s. Try again when it has."
    )


def store_updates(src: Source) -> None:
    """Say once when another process (or session) changed the store since this session last
    looked: "Updated: N calls added" (`updated_text`); and have the page rerun when a newer
    snapshot appears (the server's one snapshot watcher, below, does the looking)."""
    if src.explore:
        return
    last = src.store.last_import_id()
    seen = st.session_state.get(SEEN_IMPORT)
    said = (
        updated_text(*src.store.changes_since(seen)) if seen is not None and last > seen else None
    )
    if said:
        # a change made meanwhile (a filter) stops this run inside st.toast, before the toast
        # is queued; the import is marked seen only after, so the next run says it instead.
        # A queued toast survives the next run's start (streamlit#7740). Left: a change that
        # lands in the microseconds after st.toast's check, before its message reaches the
        # session's event loop, still drops it (the run it came from is no longer current).
        st.toast(said, icon=":material/sync:")
    st.session_state[SEEN_IMPORT] = last
    ctx = get_script_run_ctx()
    if ctx is not None and _serving():  # a server can rerun the page; AppTest cannot
        snapshot_watch(src.store).shown(ctx.session_id, src.version)


def updated_text(added: int, changed: int, undone: int) -> str | None:
    """What a page says when other writes changed the store: "Updated: 1,000 calls added, 3
    changed"; None for writes that changed nothing (a file imported again as it was)."""
    parts = [formatting.plural(added, "call") + " added"] if added else []
    if changed:
        parts.append(
            f"{changed:,} changed" if added else formatting.plural(changed, "call") + " changed"
        )
    if undone:
        parts.append("an import undone" if undone == 1 else f"{undone:,} imports undone")
    return "Updated: " + ", ".join(parts) if parts else None


def _serving() -> bool:
    """True in a Streamlit server; False in bare mode and under AppTest, whose runtime is a
    stand-in (a mock of Runtime) that reruns nothing."""
    from streamlit import runtime

    return runtime.exists() and type(runtime.get_instance()) is runtime.Runtime


@st.cache_resource(show_spinner=False)
def page_turns() -> Turns:
    """The server's one queue of filter-page runs (sessions.Turns): people's changes are drawn
    a couple at a time in the order they came, rather than all slowing down together."""
    return Turns()


@contextlib.contextmanager
def page_turn() -> Iterator[None]:
    """This run's turn (app.py, for the filter pages). While it waits, Streamlit's own check
    (the one its cache uses while another session computes a value) stops it when a newer
    change replaces it or its session has gone."""
    from streamlit.runtime.scriptrunner_utils.script_run_context import get_run_yield_check

    check = get_run_yield_check() or (lambda: None)
    with page_turns().turn(check):
        yield


@st.cache_resource(show_spinner=False)
def snapshot_watch(_store: Store) -> SnapshotWatch:
    """One thread per server process looks for a newer snapshot of the team's store every
    REFRESH_SECONDS + 1 and reruns the sessions whose page shows an older one, a page or two at
    a time beside people's own changes (sessions.rerun_paced): an import by cron or another
    dashboard appears within a few seconds, and an open page costs nothing while nothing
    changes (a timer per page, as an `st.fragment(run_every=…)` would be, kept two cores busy
    at twenty idle sessions)."""
    watch = SnapshotWatch()
    watch_snapshots(
        watch,
        _store.version,
        _session_active,
        lambda session_id: _rerun(session_id, skipped=lambda: watch.again(session_id)),
        REFRESH_SECONDS + 1,
        alive=lambda: not _store.closed,
        is_busy=_session_busy,
    )
    return watch


def _rerun(session_id: str, skipped: Callable[[], None] = lambda: None) -> None:
    """Rerun a session's page as it stands (its page, query string and widget values), the
    way Streamlit's own runOnSave does when a source file changes. Streamlit has no public
    call for this; tests/test_sessions.py checks that the names used here still exist.

    Done on the server's event loop, where a person's own changes arrive too, and only when
    the session has no run under way or asked for: the state it reruns with is its last
    finished run's, so a rerun asked from the watcher's thread just after a person changed a
    filter put the old filter back (Streamlit's fast reruns replace a run asked for; the load
    benchmark's sessions saw their start date undone). A session with a run of its own is
    `skipped()`: the watcher looks at it again."""
    from streamlit import runtime

    if not runtime.exists():
        return
    info = runtime.get_instance()._session_mgr.get_active_session_info(session_id)
    if info is None:
        return
    session = info.session

    def on_the_loop() -> None:
        if session._scriptrunner is not None:  # a run under way, or a person's just asked for
            skipped()
        else:
            session.request_rerun(session._client_state)

    session._call_soon_on_event_loop(on_the_loop)


def db_path() -> str:
    return str(Path(os.environ.get("RIDEALONG_DB") or default_db_path()).expanduser())


@dataclass
class Source:
    """Where this session's figures come from: the team's store or an uploaded file."""

    store: Store
    key: str  # part of every cache key: changes whenever the data does
    explore: bool
    label: str
    version: int = 0  # the team store's version the key names (0 for an upload)


@st.cache_resource(show_spinner=False)
def session_stores() -> SessionStores:
    """Uploads checked or explored by each session, closed (and the session with them) once
    the session has been gone for 80% of server.disconnectedSessionTTL (96 s by default)."""
    # Streamlit forgets a stored session once the TTL has passed, without shutting it down
    # (its state and uploaded files stay until another session happens to disconnect): close
    # it a little before, while the runtime can still shut it down properly.
    ttl = 0.8 * float(st.get_option("server.disconnectedSessionTTL"))
    stores = SessionStores(ttl)
    seconds = max(1.0, min(10.0, ttl / 4))
    sweep_every(stores, _session_active, seconds, on_gone=_close_session)
    return stores


def _session_busy(session_id: str) -> bool:
    """The session's page is running, or the messages its run drew are not all sent yet (the
    watcher waits for it: tests/test_sessions.py checks the Streamlit internals used here)."""
    from streamlit import runtime
    from streamlit.runtime.app_session import AppSessionState

    if not runtime.exists():
        return False
    info = runtime.get_instance()._session_mgr.get_active_session_info(session_id)
    if info is None:
        return False
    session = info.session
    return session._state == AppSessionState.APP_IS_RUNNING or not session._browser_queue.is_empty()


def _session_active(session_id: str) -> bool:
    from streamlit import runtime

    # without a server runtime (AppTest, bare mode) nothing can tell: keep every store
    return not runtime.exists() or runtime.get_instance().is_active_session(session_id)


def _close_session(session_id: str) -> None:
    """Close a session gone for longer than the TTL for good: Streamlit keeps it (its uploaded
    files, its state) until another session happens to disconnect. The runtime's
    clear_user_info_for_session is safe from any thread and closes a stored session on the
    event loop (what sign-out does)."""
    from streamlit import runtime

    if runtime.exists() and not runtime.get_instance().is_active_session(session_id):
        runtime.get_instance().clear_user_info_for_session(session_id)


def keep_for_session(store: Store) -> None:
    """Close `store` once this session has gone (see dashboard/sessions.py)."""
    ctx = get_script_run_ctx()
    if ctx is not None:
        session_stores().keep(ctx.session_id, store)


def source() -> Source:
    explore = st.session_state.get(EXPLORE_KEY)
    if explore is not None:
        store, label, ident = explore
        if not store.closed:
            return Source(store, f"explore:{ident}", True, label)
        st.session_state.pop(EXPLORE_KEY, None)
        st.toast(
            f"Exploring {plain(label)} ended when this page was left for a while; the pages "
            "show the team's store again. Upload the file again to explore it.",
            icon=":material/travel_explore:",
        )
    store = team_store(db_path())
    version = store.version()
    return Source(store, f"store:{store.path}:{version}", False, "team store", version)


@st.cache_data(show_spinner=False, max_entries=512)
def _cached(key: str, name: str, params: dict[str, Any], _store: Store) -> pl.DataFrame:
    # Streamlit hashes the parameters (dates, lists, numbers) as they are: the cache key
    return metrics.run(_store.con, name, **params)


@st.cache_data(show_spinner=False, max_entries=256)
def _scope(key: str, grant: access.Grant | None, policy: access.Policy, _store: Store):
    return access.scope_for(_store.cursor(), grant, policy)


def scope_of(store: Store, grant: access.Grant | None) -> access.Scope:
    """What a session with this grant (None: nobody signed in) may see in the team's store,
    under the store's privacy policy."""
    key = f"store:{store.path}:{store.version()}"
    return _scope(key, grant, store.of_snapshot("policy", access.policy), store)


def session_scope() -> access.Scope:
    """What this session's queries may read: everything of an upload it explores (its own
    file); in the team's store, its grant's scope (set by views/signin.py). With sign-in on,
    a session without a grant never gets here (and never gets everything)."""
    explore = st.session_state.get(EXPLORE_KEY)
    if explore is not None:
        return access.EVERYTHING
    scope = st.session_state.get(SCOPE_KEY)
    if scope is not None:
        return scope
    if os.environ.get(AUTH_ENV) == "1":
        raise RuntimeError("sign-in is on but this session has no grant")
    return scope_of(team_store(db_path()), None)


def signed_in_email() -> str | None:
    """The signed-in person's email (lowercase); None without sign-in."""
    if not st.user.get("is_logged_in"):
        return None
    return str(st.user.get("email") or "").strip().lower() or None


def may_write() -> bool:
    """May add to or clear the team's store: without sign-in (the local tool) anyone; with
    it, admins only."""
    if os.environ.get(AUTH_ENV) != "1":
        return True
    grant = st.session_state.get("_grant")
    return bool(grant and grant.admin)


def audit_event(event: str, page: str | None = None, detail: Any = None) -> None:
    """Append to the audit log beside the team's store: with sign-in on, everything; without
    it, only imports and undos, and only to a log an `access` command started."""
    signed_in = os.environ.get(AUTH_ENV) == "1"
    if not signed_in and event not in ("import", "undo"):
        return
    audit.record(db_path(), signed_in_email(), event, page, detail, start=signed_in)


def audited(data: bytes | str, what: str) -> bytes | str:
    audit_event("download", None, what)
    return data


def query(name: str, **params: Any) -> pl.DataFrame:
    """Run queries/<name>.sql, cached by (source and its version, query, parameters), within
    what this session may see: the scope is always the session's, whatever the caller passed
    (a report's Filters carry the CLI's everything)."""
    src = source()
    params["scope"] = session_scope().param()
    return _cached(src.key, name, params, src.store)


def metrics_frame(filters: metrics.Filters, by: str = "all") -> pl.DataFrame:
    return query("metrics", by=by, **filters.params())


def metrics_frames(requests: list[tuple[metrics.Filters, str]]) -> list[pl.DataFrame]:
    """metrics_frame for several (filters, by) at once (metrics.concurrently), each cached
    as metrics_frame caches it. The worker threads carry this run's context, as Streamlit
    asks of threads that use its caches."""
    ctx = get_script_run_ctx()

    def one(filters: metrics.Filters, by: str) -> pl.DataFrame:
        add_script_run_ctx(threading.current_thread(), ctx)
        return metrics_frame(filters, by)

    return metrics.concurrently(one, requests)


# ---- filters -------------------------------------------------------------------------------

FILTER_KEYS = ("start", "end", "team", "manager", "rep", "window")


def _choices() -> dict[str, Any]:
    row = query("data_range").row(0, named=True)
    return row


def _from_url(choices: dict[str, Any]) -> dict[str, Any]:
    """The view the URL's query parameters describe (unknown values are dropped)."""
    qp = st.query_params
    first, last = choices["first_day"], choices["last_day"]

    def day(key: str, default: dt.date | None) -> dt.date | None:
        try:
            return dt.date.fromisoformat(qp[key]) if key in qp else default
        except ValueError:
            return default

    start, end = day("start", first), day("end", last)
    if start and end and start > end:
        start, end = end, start
    try:
        window = int(qp.get("window", metrics.DEFAULT_WINDOW))
    except ValueError:
        window = metrics.DEFAULT_WINDOW
    return {
        "f_dates": (start, end) if start and end else (),
        "f_team": qp.get_all("team"),
        "f_manager": qp.get_all("manager"),
        "f_rep": qp.get_all("rep"),
        "f_window": min(max(window, 1), metrics.MAX_WINDOW),
    }


def narrowed(
    combos: pl.DataFrame, teams: Sequence[str], managers: Sequence[str]
) -> tuple[list[str], list[str]]:
    """The managers to offer once TEAMS are chosen, and the reps once TEAMS and MANAGERS are
    (everyone when nothing is chosen); `combos` is queries/filter_choices.sql."""
    in_teams = combos.filter(pl.col("team").is_in(list(teams))) if teams else combos
    of_managers = in_teams.filter(pl.col("manager").is_in(list(managers))) if managers else in_teams
    return sorted(set(in_teams["manager"])), sorted(set(of_managers["rep"]))


def _names(values: Sequence[str]) -> str:
    return ", ".join(v or "(no team)" for v in values)


def _prepare_state(choices: dict[str, Any]) -> dict[str, Any]:
    """Give the filter widgets their state: from the URL on a session's first page, then from
    what the session chose last (pages without filters drop widget state), kept valid for the
    data at hand. Team narrows Manager, and both narrow Rep: a choice that no longer fits is
    dropped. Returns the managers and reps to offer, and a note for each choice dropped."""
    saved = st.session_state.get("_filters")
    if saved is None:
        saved = _from_url(choices)
        st.session_state["_filters"] = saved
    for key, value in saved.items():
        if key not in st.session_state:
            st.session_state[key] = value
    notes = []
    teams = st.session_state["f_team"]
    kept_teams = [t for t in teams if t in set(choices["teams"] or [])]
    if kept_teams != teams:
        missing = [t for t in teams if t not in kept_teams]
        notes.append(f"Team {_names(missing)} left out: no calls in the data.")
    st.session_state["f_team"] = kept_teams
    combos = query("filter_choices")
    managers, _ = narrowed(combos, kept_teams, ())
    chosen = st.session_state["f_manager"]
    kept_managers = [m for m in chosen if m in set(managers)]
    if kept_managers != chosen:
        missing = [m for m in chosen if m not in kept_managers]
        where = f"in {_names(kept_teams)}" if kept_teams else "in the data"
        notes.append(f"Manager {', '.join(missing)} left out: no calls {where}.")
    st.session_state["f_manager"] = kept_managers
    _, reps = narrowed(combos, kept_teams, kept_managers)
    chosen = st.session_state["f_rep"]
    kept_reps = [r for r in chosen if r in set(reps)]
    if kept_reps != chosen:
        missing = [r for r in chosen if r not in kept_reps]
        scope = [_names(kept_teams)] if kept_teams else []
        scope += [", ".join(kept_managers)] if kept_managers else []
        where = f"with {' and '.join(scope)}" if scope else "in the data"
        notes.append(f"Rep {', '.join(missing)} left out: no calls {where}.")
    st.session_state["f_rep"] = kept_reps
    # re-assert the window too: a widget's state is dropped on a page that does not draw it
    st.session_state["f_window"] = st.session_state["f_window"]
    first, last = choices["first_day"], choices["last_day"]
    dates = tuple(st.session_state.get("f_dates") or ())
    # An end left at the edge of the data follows the data, as in the URL (which leaves it
    # out): a session showing everything still does after another session adds calls.
    shown = st.session_state.get("_f_range")
    if first is not None and shown and len(dates) == 2 and shown != (first, last):
        dates = (
            first if dates[0] == shown[0] else dates[0],
            last if dates[1] == shown[1] else dates[1],
        )
    st.session_state["_f_range"] = (first, last)
    if first is not None:
        if len(dates) != 2:
            dates = (dates[0], dates[0]) if dates else (first, last)
        start = min(max(dates[0], first), last)
        end = min(max(dates[1], first), last)
        st.session_state["f_dates"] = (start, end)
    else:
        st.session_state["f_dates"] = ()
    return {"managers": managers, "reps": reps, "notes": notes}


def _all_means_none(key: str, options: Sequence[str]) -> None:
    """A multiselect's "Select all" (or every option picked) means no filter: an empty list,
    not every name in the URL."""
    if len(options) > 1 and set(options) <= set(st.session_state[key]):
        st.session_state[key] = []


def sidebar_filters() -> metrics.Filters:
    """Date range, team, manager, rep and the recurrence window; kept in the URL."""
    choices = _choices()
    first, last = choices["first_day"], choices["last_day"]
    if first is None:
        with st.sidebar:
            st.markdown("### Filters")
            st.caption("No calls in the data yet.")
        return metrics.Filters()
    offered = _prepare_state(choices)
    with st.sidebar:
        st.markdown("### Filters")
        st.date_input(
            "Date range",
            key="f_dates",
            min_value=first,
            max_value=last,
            help="Calls observed on these days (inclusive). Type a date and press Enter, or "
            "pick the first and last day in the calendar.",
        )
        _enter_applies_dates()
        team_label = {"": "(no team)"}
        teams = choices["teams"] or []
        st.multiselect(
            "Team",
            teams,
            key="f_team",
            format_func=lambda team: team_label.get(team, team),
            placeholder="All teams",
            on_change=_all_means_none,
            args=("f_team", teams),
        )
        st.multiselect(
            "Manager",
            offered["managers"],
            key="f_manager",
            placeholder="All",
            help="Managers with calls in the chosen teams.",
            on_change=_all_means_none,
            args=("f_manager", offered["managers"]),
        )
        if not session_scope().hide_reps:  # privacy mode: no rep is chosen alone
            st.multiselect(
                "Rep",
                offered["reps"],
                key="f_rep",
                placeholder="All",
                help="Reps with calls in the chosen teams, observed by the chosen managers.",
                on_change=_all_means_none,
                args=("f_rep", offered["reps"]),
            )
        for note in offered["notes"]:
            st.info(formatting.plain(note), icon=":material/filter_alt_off:")
        st.slider(
            "Recurrence window (calls)",
            1,
            metrics.MAX_WINDOW,
            key="f_window",
            help="A behaviour counts as coming back when it is noted again on one of the "
            "rep's next K calls; only behaviours with at least K later calls are counted.",
        )
    dates = st.session_state.get("f_dates") or ()
    start = dates[0] if len(dates) > 0 else first
    end = dates[1] if len(dates) > 1 else start
    filters = metrics.Filters(
        start=start,
        end=end,
        teams=tuple(st.session_state["f_team"]),
        managers=tuple(st.session_state["f_manager"]),
        reps=tuple(st.session_state["f_rep"]),
        window=int(st.session_state["f_window"]),
    )
    st.session_state["_filters"] = {
        "f_dates": (start, end),
        "f_team": list(filters.teams),
        "f_manager": list(filters.managers),
        "f_rep": list(filters.reps),
        "f_window": filters.window,
    }
    _write_url(filters, first, last)
    return filters


# Streamlit's date field commits a typed date when focus moves elsewhere on the page, not on
# Enter: the range was shown but not applied. This listener (one per browser tab) moves the
# focus to the main area on Enter. (A plain blur() leaves no element taking the focus, and the
# field then keeps the date without committing it.)
ENTER_APPLIES_DATES_JS = """
export default function () {
  if (window.__ridealongEnterApplies) return;
  window.__ridealongEnterApplies = true;
  document.addEventListener("keydown", (event) => {
    const field = event.target.closest && event.target.closest('[data-testid="stDateInputField"]');
    if (event.key !== "Enter" || !field) return;
    const away = document.querySelector('[data-testid="stMain"]');
    if (away) away.focus({preventScroll: true}); else event.target.blur();
  }, true);
}
"""


@functools.cache
def _enter_component():
    return st.components.v2.component("ridealong_enter_applies_dates", js=ENTER_APPLIES_DATES_JS)


def _enter_applies_dates() -> None:
    _enter_component()(key="enter_applies_dates")


def _write_url(filters: metrics.Filters, first: dt.date, last: dt.date) -> None:
    wanted: dict[str, Any] = {}
    if filters.start and filters.start != first:
        wanted["start"] = filters.start.isoformat()
    if filters.end and filters.end != last:
        wanted["end"] = filters.end.isoformat()
    if filters.teams:
        wanted["team"] = list(filters.teams)
    if filters.managers:
        wanted["manager"] = list(filters.managers)
    if filters.reps:
        wanted["rep"] = list(filters.reps)
    if filters.window != metrics.DEFAULT_WINDOW:
        wanted["window"] = str(filters.window)
    current = {k: (st.query_params.get_all(k)) for k in st.query_params}
    normal = {k: (v if isinstance(v, list) else [v]) for k, v in wanted.items()}
    others = {k: v for k, v in current.items() if k not in FILTER_KEYS}
    if {k: v for k, v in current.items() if k in FILTER_KEYS} != normal:
        st.query_params.from_dict({**others, **wanted})


# ---- banners, downloads, small pieces --------------------------------------------------------


def banners(src: Source) -> None:
    store_updates(src)
    folded = None if src.explore else session_scope().folded_note()
    if folded:
        st.caption(folded)
    if src.explore:
        col1, col2 = st.columns([4, 1], vertical_alignment="center")
        col1.info(
            f"**Exploring {plain(src.label)}** — every page shows only this file; the team's "
            "store is untouched.",
            icon=":material/travel_explore:",
        )
        if col2.button("Back to the team's data", key="leave_explore", width="stretch"):
            st.session_state.pop(EXPLORE_KEY, None)
            reset_filters()
            st.rerun()
    elif src.store.is_sample():
        col1, col2 = st.columns([4, 1], vertical_alignment="center")
        col1.warning(
            "**You are looking at sample data** — a generated log bundled with Ridealong. Its "
            "coaching effects were planted by the generator: they are not evidence that "
            "anything works. Upload a real export on the Upload page (it replaces the sample), "
            "or clear the sample.",
            icon=":material/science:",
        )
        if (
            not read_only()
            and may_write()
            and col2.button("Clear the sample", key="clear_sample", width="stretch")
        ):
            st.session_state[CONFIRM_CLEAR] = True
        if st.session_state.get(CONFIRM_CLEAR):
            _confirm_clear(src.store)


CONFIRM_CLEAR = "_confirm_clear_sample"


def _confirm_clear(store: Store) -> None:
    """The second step of "Clear the sample": say what it does, then do it or not."""
    calls = _choices()["calls"]
    st.warning(
        f"**Clear the sample?** Its {calls:,} calls leave the team's store for everyone using "
        "it, and the store stays empty — also after the dashboard restarts — until a log is "
        "uploaded.",
        icon=":material/delete:",
    )
    row = st.container(horizontal=True, gap="small")
    if row.button("Yes, clear the sample", key="clear_sample_yes", type="primary"):
        st.session_state.pop(CONFIRM_CLEAR, None)
        with WRITE_LOCK:  # never while another session is writing
            store.clear()
        reset_filters()
        st.rerun()
    if row.button("Cancel", key="clear_sample_no"):
        st.session_state.pop(CONFIRM_CLEAR, None)
        st.rerun()


def page_start(title: str, caption: str | None = None) -> tuple[Source, metrics.Filters]:
    """Title, banners and sidebar filters: the top of every analysis page."""
    src = source()
    st.title(title)
    if caption:
        st.caption(caption)
    banners(src)
    filters = sidebar_filters()
    return src, filters


def download_csv(frame: pl.DataFrame, filename: str, key: str, label: str = "Download CSV") -> None:
    st.download_button(
        label,
        data=lambda: audited(csv_bytes(frame), f"CSV {formatting.slug(filename)}"),
        file_name=formatting.slug(filename),
        mime="text/csv",
        key=key,
        on_click="ignore",
        icon=":material/download:",
    )


# Where a team with no calls yet can start (the pages must be in app.py's navigation).
START_PAGES = [
    ("views/upload.py", "Upload a log", ":material/upload_file:"),
    ("views/log.py", "Log a ride-along", ":material/edit_note:"),
]


def empty_message(what: str = "calls") -> None:
    """Why a page has nothing to show: no calls at all yet (and where to add some), or none
    that match the filters."""
    if not _choices()["calls"]:
        st.info(
            "**No calls yet.** Upload an export of your ride-along log to see coaching figures "
            "here.",
            icon=":material/inbox:",
        )
        for page, label, icon in START_PAGES:
            st.page_link(page, label=label, icon=icon)
        return
    st.info(
        f"No {what} match these filters. Widen the date range or clear a team, manager or rep "
        "filter in the sidebar.",
        icon=":material/filter_alt_off:",
    )


def count_column(label: str | None = None, **options: Any) -> Any:
    """A table's column of counts, with thousands separators ("56,591", as the text beside the
    figures reads): Streamlit's plain number column printed 56591."""
    return st.column_config.NumberColumn(label, format="localized", **options)


def unvalidated(figure: alt.TopLevelMixin) -> alt.TopLevelMixin:
    """A copy of `figure` whose to_dict skips Altair's check of the spec against the Vega-Lite
    schema: what the page hands Streamlit (its one call on the chart is `to_dict()`). The
    check was 5-15% of a page's CPU per filter change at a million notes, and it finds
    nothing a builder did not already get right: the tests check every builder's spec
    (tests/test_chart_specs.py), and the PNG and SVG downloads still check theirs. Only this
    copy changes, not an Altair setting every thread shares."""
    served = copy.copy(figure)  # shares the figure's parts (Altair's copy rebuilds them: 2 ms)
    # object.__setattr__: an Altair object's own setattr would make "to_dict" part of the spec
    object.__setattr__(served, "to_dict", functools.partial(served.to_dict, validate=False))
    return served


def chart(figure, name: str, key: str) -> None:
    """An Altair chart with tooltips, and PNG/SVG downloads made only when clicked."""
    from dashboard import charts

    st.altair_chart(unvalidated(figure), width="stretch")
    row = st.container(horizontal=True, gap="small")
    row.download_button(
        "PNG",
        data=lambda: audited(charts.to_png(figure), f"PNG {formatting.slug(name)}.png"),
        file_name=f"{formatting.slug(name)}.png",
        mime="image/png",
        key=f"{key}_png",
        on_click="ignore",
        icon=":material/image:",
        help="Save this chart as a PNG image.",
    )
    row.download_button(
        "SVG",
        data=lambda: audited(charts.to_svg(figure), f"SVG {formatting.slug(name)}.svg"),
        file_name=f"{formatting.slug(name)}.svg",
        mime="image/svg+xml",
        key=f"{key}_svg",
        on_click="ignore",
        icon=":material/image:",
        help="Save this chart as an SVG (vector) image.",
    )


def reset_filters() -> None:
    """Forget this session's date, team, manager and rep choices (and the URL's), so the next
    page shows all of the data: for when the data changes wholesale (an upload explored or
    added). The recurrence window is kept."""
    saved = st.session_state.get("_filters")
    if saved is not None:
        st.session_state["_filters"] = {
            **saved,
            "f_dates": (),
            "f_team": [],
            "f_manager": [],
            "f_rep": [],
        }
    for key in ("f_dates", "f_team", "f_manager", "f_rep"):
        st.session_state.pop(key, None)
    for key in ("start", "end", "team", "manager", "rep"):
        if key in st.query_params:
            del st.query_params[key]
