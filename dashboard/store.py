"""The DuckDB store: schema, all-or-nothing upsert of calls, derived tables, the imports log.

Tables
- calls:  one row per observed call, keyed by call_key (the observation_id, or
          "observed_on|manager|rep" for logs without one).
- notes:  one row per note (a behaviour noted on a call).
- imports: one row per imported file.
- call_facts, event_facts, behaviors, rep_ids, manager_ids, team_ids: derived after every
  write, so that the metric queries in queries/ only run filtered aggregates (each rep's call
  order and each event's look-ahead do not depend on filters; see DERIVE).
"""

from __future__ import annotations

import atexit
import datetime as dt
import hashlib
import os
import re
import shutil
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from dashboard import importer
from dashboard.mapping import same_content

SCHEMA_VERSION = "1"
MEMORY_LIMIT = "2GB"
STAGE_DB = "ridealong_stage"  # the scratch database ingest attaches for staged rows

SCHEMA = """
create table if not exists meta (key varchar, value varchar);
create type if not exists polarity_t as enum ('praise', 'criticism');
create type if not exists action_t as enum ('observed', 'assisted', 'took_over');
create table if not exists imports (
    import_id integer,
    file varchar,
    content_hash varchar,
    imported_at timestamp,
    source varchar,            -- 'file', 'upload', 'sample' or 'form' (Log a ride-along)
    rows bigint,
    calls bigint,
    notes bigint,
    calls_added bigint,
    calls_replaced bigint,
    calls_unchanged bigint
);
-- Calls logged on the Log a ride-along page: who logged them and when (first logged; an edit
-- keeps both), and a debrief the leader will hold later. calls.debrief stays null (unknown)
-- for such a call, so every debrief metric counts "later" as unknown.
create table if not exists logbook (
    call_key varchar not null,
    logged_by varchar,
    logged_at timestamp not null,
    debrief_later boolean not null default false
);
create table if not exists calls (
    call_key varchar not null,
    observation_id varchar,
    observed_on date not null,
    manager varchar not null,
    rep varchar not null,
    team varchar,
    planned_role varchar,
    manager_action varchar not null,
    debrief boolean,
    deal varchar,
    deal_value double,
    outcome varchar,
    fingerprint ubigint,     -- hash of the call and its notes: tells unchanged re-imports
    import_id integer
);
create table if not exists notes (
    call_key varchar not null,
    note_no bigint not null,   -- the row of the file it came from: orders notes in a call
    behavior varchar not null,
    behavior_key varchar not null,
    polarity varchar not null,
    severity varchar,
    category varchar
);
-- Wilson score interval for k successes in n trials at 95%; null when n = 0.
create or replace macro wilson_lo(k, n) as
    case when n > 0 then
        case when k = 0 then 0.0 else
            ((k / n) + 1.959963984540054 ** 2 / (2 * n)
             - 1.959963984540054 * sqrt((k / n) * (1 - k / n) / n
                                        + 1.959963984540054 ** 2 / (4 * n ** 2)))
            / (1 + 1.959963984540054 ** 2 / n)
        end
    end::double;
create or replace macro wilson_hi(k, n) as
    case when n > 0 then
        case when k = n then 1.0 else
            ((k / n) + 1.959963984540054 ** 2 / (2 * n)
             + 1.959963984540054 * sqrt((k / n) * (1 - k / n) / n
                                        + 1.959963984540054 ** 2 / (4 * n ** 2)))
            / (1 + 1.959963984540054 ** 2 / n)
        end
    end::double;
-- a share p carried over to the ratio p / (1 - p); null when p = 1 (no upper bound).
create or replace macro share_to_ratio(p) as
    case when p < 1 then p / (1 - p) end::double;
create or replace macro rate(k, n) as case when n > 0 then k::double / n end;
"""

# Columns added to the imports log after version 1: an existing store gains them on open.
IMPORTS_ADDED = """
alter table imports add column if not exists mapping_hash varchar;  -- the --mapping used
alter table imports add column if not exists logged_by varchar;
alter table imports add column if not exists calls_deleted bigint;
"""

MAX_WINDOW = 10  # recurrence windows offered: 1 .. MAX_WINDOW calls


def _cumulative(gaps: str) -> str:
    """From a call's list of gaps (each <= MAX_WINDOW) to [how many are <= 1, <= 2, ...,
    <= MAX_WINDOW]. A list per call and one pass over it is cheaper at ingest than twenty
    filtered counts (4 s less at 10 million notes)."""
    return (
        f"list_transform(range(1, {MAX_WINDOW + 1}), "
        f"lambda k: len(list_filter(coalesce({gaps}, []), lambda g: g <= k)))::integer[]"
    )


DERIVE = [
    # Integer codes for the people and teams: the derivation sorts and joins on them, and
    # event_facts (ten rows for every four calls) carries them instead of names.
    """
    create or replace table rep_ids as
    select row_number() over (order by rep)::integer as rep_id, rep
    from (select distinct rep from calls)
    """,
    """
    create or replace table manager_ids as
    select row_number() over (order by manager)::integer as manager_id, manager
    from (select distinct manager from calls)
    """,
    """
    create or replace table team_ids as
    select row_number() over (order by team)::integer as team_id, team
    from (select distinct coalesce(team, '') as team from calls)
    """,
    # Each rep's calls in order: observed_on, then observation_id as text (without one: manager,
    # then rep). call_id numbers all calls rep by rep in that order, so a rep's calls are the
    # consecutive ids call_id - rep_seq + 1 ... call_id + later_calls.
    """
    create or replace temp table calls_ordered as
    with numbered as (
        select
            row_number() over (
                order by r.rep_id, c.observed_on, coalesce(c.observation_id, ''), c.manager,
                    c.call_key
            )::integer as call_id,
            r.rep_id,
            c.call_key,
            c.observation_id,
            c.observed_on,
            c.manager,
            c.rep,
            coalesce(c.team, '') as team,
            c.planned_role,
            c.manager_action,
            c.debrief
        from calls as c
        inner join rep_ids as r on r.rep = c.rep
    ),
    reps as (
        select rep_id, min(call_id) as first_id, max(call_id) as last_id
        from numbered
        group by rep_id
    )
    select
        n.*,
        n.call_id - r.first_id + 1 as rep_seq,
        r.last_id - r.first_id + 1 as rep_calls
    from numbered as n
    inner join reps as r on r.rep_id = n.rep_id
    """,
    # One row per behaviour key: its id and its label, the most common trimmed spelling among
    # its notes (ties: the smallest by code point).
    """
    create or replace table behaviors as
    with spellings as (
        select behavior_key, behavior, count(*) as uses
        from notes
        group by behavior_key, behavior
    )
    select
        row_number() over (order by behavior_key)::integer as behavior_id,
        behavior_key,
        first(behavior order by uses desc, behavior asc) as label
    from spellings
    group by behavior_key
    """,
    # Events with integer keys (notes meet their calls by call_key once) and their look-ahead:
    # `gap` is how many calls later the rep was next noted for the same behaviour with the same
    # polarity (null if never), so an event recurred within window K exactly when gap <= K.
    # Within a partition ordered by call_id, the next event is the rep's own only if it falls in
    # the rep's id range.
    """
    create or replace temp table events as
    with keyed as (
        select o.call_id, o.rep_calls - o.rep_seq as later_calls, b.behavior_id, n.polarity
        from notes as n
        inner join calls_ordered as o on o.call_key = n.call_key
        inner join behaviors as b on b.behavior_key = n.behavior_key
    ),
    on_call as (
        -- one row per behaviour noted on a call, with its notes of each polarity
        select call_id, behavior_id, any_value(later_calls) as later_calls,
            count(*) filter (where polarity = 'praise') as praise_notes,
            count(*) filter (where polarity = 'criticism') as criticism_notes
        from keyed
        group by call_id, behavior_id
    ),
    distinct_events as (
        -- an event is a behaviour and a polarity on a call; first_of_call marks one event per
        -- behaviour on a call (its praise, else its criticism), to count the call once
        select call_id, behavior_id, 'praise'::polarity_t as polarity, later_calls,
            praise_notes as notes, true as first_of_call
        from on_call
        where praise_notes > 0
        union all
        select call_id, behavior_id, 'criticism'::polarity_t as polarity, later_calls,
            criticism_notes as notes, praise_notes = 0 as first_of_call
        from on_call
        where criticism_notes > 0
    )
    select
        call_id, behavior_id, polarity, notes,
        case
            when lead(call_id) over w <= call_id + later_calls
            then lead(call_id) over w - call_id
        end as gap,
        first_of_call
    from distinct_events
    window w as (partition by behavior_id, polarity order by call_id)
    """,
    # One row per call with everything the metrics need, its events summarised: for each
    # polarity the number of events and, per window K = 1..10, how many recurred within K.
    # Rows are stored by date, so a date filter skips whole row groups: at 4M calls this costs
    # the ingest about 5 s and takes the Overview from 0.45 s to 0.36 s.
    f"""
    create or replace table call_facts as
    with per_call as (
        select
            call_id,
            sum(notes) as notes,
            sum(notes) filter (where polarity = 'praise') as praise,
            sum(notes) filter (where polarity = 'criticism') as criticism,
            count(*) filter (where polarity = 'praise') as praise_events,
            count(*) filter (where polarity = 'criticism') as criticism_events,
            list(gap) filter (where polarity = 'praise' and gap <= {MAX_WINDOW}) as praise_gaps,
            list(gap) filter (where polarity = 'criticism' and gap <= {MAX_WINDOW})
                as criticism_gaps
        from events
        group by call_id
    )
    select
        o.call_id,
        o.call_key,
        o.observation_id,
        o.observed_on,
        strftime(o.observed_on, '%Y-%m') as month,
        year(o.observed_on)::varchar || '-Q' || quarter(o.observed_on)::varchar as quarter,
        o.manager,
        o.rep,
        o.team,
        m.manager_id,
        o.rep_id,
        t.team_id,
        o.planned_role,
        o.manager_action::action_t as manager_action,
        o.debrief,
        coalesce(n.notes, 0)::bigint as notes,
        coalesce(n.praise, 0)::bigint as praise,
        coalesce(n.criticism, 0)::bigint as criticism,
        coalesce(n.praise_events, 0)::integer as praise_events,
        coalesce(n.criticism_events, 0)::integer as criticism_events,
        {_cumulative("n.praise_gaps")} as praise_recurred,
        {_cumulative("n.criticism_gaps")} as criticism_repeated,
        o.rep_seq,
        o.rep_calls - o.rep_seq as later_calls
    from calls_ordered as o
    inner join manager_ids as m on m.manager = o.manager
    inner join team_ids as t on t.team = o.team
    left join per_call as n on n.call_id = o.call_id
    order by o.observed_on
    """,
    # One row per event (call, behaviour, polarity) with its call's fields as integer codes:
    # what the behaviour grouping and the rep history read.
    """
    create or replace table event_facts as
    select
        e.call_id,
        e.behavior_id,
        e.polarity,
        e.notes,
        e.first_of_call,
        f.observed_on,
        f.manager_id,
        f.rep_id,
        f.team_id,
        f.planned_role,
        f.manager_action,
        f.debrief,
        f.rep_seq,
        f.later_calls,
        e.gap
    from events as e
    inner join call_facts as f on f.call_id = e.call_id
    """,
    "drop table if exists events",
    "drop table if exists calls_ordered",
]


def default_db_path() -> Path:
    """--db, else $RIDEALONG_DB, else the per-user data directory."""
    env = os.environ.get("RIDEALONG_DB")
    if env:
        return Path(env).expanduser()
    from platformdirs import user_data_dir

    return Path(user_data_dir("ridealong", appauthor=False)) / "ridealong.duckdb"


class StoreError(Exception):
    """The store cannot be opened (not a DuckDB file, damaged, not writable): the message
    says which file and why, in a line."""


class StoreBusy(StoreError):
    """The store file is locked by another process."""


# ---- scratch folders ---------------------------------------------------------------------------
# Ingest stages rows in a scratch database; the Upload page writes uploads to a temp folder.
# Their names carry the owning process id (ridealong-<kind>-<pid>-<random>): they are removed when
# the work ends, at exit (atexit; the CLI turns SIGTERM and SIGHUP into a normal exit), and a
# process that died without cleaning up (kill -9, power cut) leaves them for the next process to
# remove once it sees that pid is gone.

SCRATCH_KINDS = ("stage", "upload", "explore")
_SCRATCH_NAME = re.compile(r"ridealong-(?:stage|upload|explore)-(\d+)-[^/]*")
_scratch: set[Path] = set()  # this process's live scratch folders
_scratch_lock = threading.Lock()


def new_scratch(kind: str) -> Path:
    """A fresh scratch folder of this process, removed by drop_scratch (or at exit)."""
    if kind not in SCRATCH_KINDS:
        raise ValueError(f"unknown scratch kind {kind!r}")
    remove_stale_scratch()
    path = Path(tempfile.mkdtemp(prefix=f"ridealong-{kind}-{os.getpid()}-"))
    with _scratch_lock:
        _scratch.add(path)
    return path


def drop_scratch(path: Path) -> None:
    shutil.rmtree(path, ignore_errors=True)
    with _scratch_lock:
        _scratch.discard(path)


@atexit.register
def _drop_all_scratch() -> None:
    for path in list(_scratch):
        drop_scratch(path)


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # another user's live process
    return True


def remove_stale_scratch(folder: str | Path | None = None) -> list[Path]:
    """Remove the scratch folders of processes that are gone; returns what was removed. A live
    process's folders (this one's, another ingest's, a running server's) are left alone."""
    removed = []
    try:
        entries = list(Path(folder or tempfile.gettempdir()).iterdir())
    except OSError:
        return removed
    for entry in entries:
        match = _SCRATCH_NAME.fullmatch(entry.name)
        if match and not _alive(int(match[1])) and entry.is_dir() and not entry.is_symlink():
            shutil.rmtree(entry, ignore_errors=True)
            removed.append(entry)
    return removed


@dataclass
class FileResult:
    file: str
    content_hash: str
    rows: int
    calls: int
    notes: int
    added: int
    replaced: int
    unchanged: int
    ignored: list[str]
    warnings: list[str] = field(default_factory=list)
    seconds: float = 0.0
    mapping_hash: str | None = None
    previous: dt.datetime | None = None  # an earlier import of the same content and mapping

    @property
    def nothing_changed(self) -> bool:
        """The same content was imported before and every call in it is as it was."""
        return self.previous is not None and self.added == 0 and self.unchanged == self.calls

    def line(self) -> str:
        if self.nothing_changed:
            return f"{self.file}: already imported on {self.previous:%Y-%m-%d}, nothing changed"
        unchanged = f" ({self.unchanged} unchanged)" if self.replaced else ""
        return (
            f"{self.file}: {self.rows} rows, {self.calls} calls, {self.notes} notes: "
            f"{self.added} calls added, {self.replaced} replaced{unchanged}"
        )


@dataclass
class IngestResult:
    files: list[FileResult]
    removed_sample: bool = False
    timings: dict[str, float] = field(default_factory=dict)

    @property
    def added(self) -> int:
        return sum(f.added for f in self.files)

    @property
    def replaced(self) -> int:
        return sum(f.replaced for f in self.files)

    def summary(self) -> str:
        lines = []
        if self.removed_sample:
            lines.append("The bundled sample data was removed: the store now holds your data.")
        for f in self.files:
            lines.append(f.line())
            if not f.nothing_changed:
                lines += [f"  note: {w}" for w in f.warnings]
        return "\n".join(lines)


def _file_hash(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


class Store:
    """One DuckDB database (a file, or in memory when path is None)."""

    def __init__(self, path: str | Path | None = None, *, read_only: bool = False):
        self.path = None if path is None else Path(path)
        target = ":memory:" if self.path is None else str(self.path)
        if self.path is not None and not read_only:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        if read_only and self.path is not None and not self.path.exists():
            raise FileNotFoundError(
                f"no store at {self.path}: import a log first with `ridealong ingest FILE`"
            )
        # DuckDB takes 80% of RAM by default; a bound keeps a big import within a laptop's
        # means (it spills to disk instead). RIDEALONG_MEMORY_LIMIT overrides it.
        config = {"memory_limit": os.environ.get("RIDEALONG_MEMORY_LIMIT", MEMORY_LIMIT)}
        if self.path is not None and self.path.is_dir():
            raise StoreError(f"the store {self.path} is a folder; --db names a file")
        try:
            self.con = duckdb.connect(target, read_only=read_only, config=config)
        except duckdb.Error as exc:
            if isinstance(exc, duckdb.IOException) and "lock" in str(exc).lower():
                raise StoreBusy(
                    f"the store {self.path} is open in another process "
                    f"({_lock_holder(str(exc))}). DuckDB lets one process write a store at a "
                    "time: add the file from the dashboard's Upload page, or stop the dashboard "
                    "(`ridealong serve`), run the command, and start it again."
                ) from None
            raise StoreError(_open_failure(self.path, exc, read_only)) from None
        self.read_only = read_only
        if not read_only:
            try:
                self._init_schema()
            except duckdb.Error as exc:
                self.con.close()
                raise StoreError(_open_failure(self.path, exc, read_only)) from None

    def _init_schema(self) -> None:
        self.con.execute(SCHEMA)
        self.con.execute(IMPORTS_ADDED)
        if self.con.execute("select count(*) from meta").fetchone()[0] == 0:
            self.con.execute(
                "insert into meta values ('schema', ?), ('version', '0')", [SCHEMA_VERSION]
            )
            self.rebuild_derived()
        # the one filter every query reads calls through (queries/selected_calls.sql)
        from dashboard.resources import queries_dir

        self.con.execute((queries_dir() / "selected_calls.sql").read_text(encoding="utf-8"))

    def close(self) -> None:
        self.con.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def cursor(self) -> duckdb.DuckDBPyConnection:
        """A cursor of its own for each query: a connection is not safe across threads."""
        return self.con.cursor()

    def version(self) -> int:
        """Goes up by one with every write; caches key on it."""
        row = self.cursor().execute("select value from meta where key = 'version'").fetchone()
        return int(row[0]) if row else 0

    def rebuild_derived(self, con: duckdb.DuckDBPyConnection | None = None) -> None:
        con = con or self.con
        for statement in DERIVE:
            con.execute(statement)

    def is_sample(self) -> bool:
        """True when everything in the store came from the bundled sample."""
        return _only_sample(self.cursor())

    def is_empty(self) -> bool:
        return self.cursor().execute("select count(*) from calls").fetchone()[0] == 0

    def imports(self, limit: int = 20) -> list[dict]:
        # every column there is: a store opened read-only may predate IMPORTS_ADDED
        cur = self.cursor()
        rows = cur.execute("select * from imports order by import_id desc limit ?", [limit])
        names = [d[0] for d in rows.description]
        return [dict(zip(names, r, strict=True)) for r in rows.fetchall()]

    def ingest(
        self,
        paths: Sequence[str | Path],
        *,
        dayfirst: bool = False,
        source: str = "file",
        display_names: Sequence[str] | None = None,
        header_overrides: dict[str, str] | None = None,
        value_overrides: dict[str, dict[str, str]] | None = None,
        progress: Callable[[str, float], None] | None = None,
        mapping_hash: str | None = None,
        logged_by: str | None = None,
        on_write: Callable[[duckdb.DuckDBPyConnection], None] | None = None,
    ) -> IngestResult:
        """Validate every file, then write them all in one transaction (or nothing).

        `mapping_hash` names the mapping the overrides came from, and `logged_by` who sent the
        data (the imports log keeps both); `on_write(con)` runs inside the transaction once calls
        and notes are written, before the derived tables are rebuilt (the Log a ride-along page
        records its logbook row there). Raises importer.ImportFailed with every problem of every
        file (and a file whose content is another's in the same go); the store is untouched.
        """
        if self.read_only:
            raise RuntimeError("store opened read-only")
        paths = [Path(p) for p in paths]
        names = list(display_names) if display_names else [p.name for p in paths]
        # before anything opens them (the checksum thread too): a named pipe or a device
        # would block a reader forever
        refused: list[importer.Problem] = []
        for path, label in zip(paths, names, strict=True):
            try:
                importer.check_file(path, label)
            except importer.ImportFailed as exc:
                refused += exc.problems
        if refused:
            raise importer.ImportFailed(refused)
        timings: dict[str, float] = {}
        staged: list[importer.Staged] = []
        problems: list[importer.Problem] = []
        con = self.con
        # Staged rows go to a scratch database file, not temp tables: its tables are
        # compressed and can leave memory, where ten million rows of temp tables would spill
        # uncompressed (and cost three times as long to read back).
        scratch = new_scratch("stage")
        con.execute(f"detach database if exists {STAGE_DB}")
        con.execute(f"attach ? as {STAGE_DB}", [str(scratch / "stage.duckdb")])
        # the files' checksums (for the imports log), worked out while DuckDB reads them
        hashing = ThreadPoolExecutor(max_workers=1, thread_name_prefix="ridealong-hash")
        hashes = hashing.submit(lambda: [_file_hash(p) for p in paths])
        try:
            for i, (path, label) in enumerate(zip(paths, names, strict=True)):
                started = time.perf_counter()
                try:
                    staged.append(
                        importer.stage(
                            con,
                            path,
                            f"stage{i}",
                            db=STAGE_DB,
                            dayfirst=dayfirst,
                            display_name=label,
                            header_overrides=header_overrides,
                            value_overrides=value_overrides,
                        )
                    )
                except importer.ImportFailed as exc:
                    problems += exc.problems
                timings[f"validate {label}"] = time.perf_counter() - started
                if progress:
                    progress(f"validated {label}", (i + 1) / (len(paths) + 1))
            digests = hashes.result()
            problems += same_content(names, digests)
            if problems:
                raise importer.ImportFailed(problems)
            started = time.perf_counter()
            result = self._write(
                staged, digests, source, timings, mapping_hash, logged_by, on_write
            )
            timings["write"] = time.perf_counter() - started
            result.timings = timings
            if progress:
                progress("written", 1.0)
            return result
        finally:
            hashing.shutdown(cancel_futures=True)
            importer.drop_staged(con, [f"stage{i}" for i in range(len(paths))], db=STAGE_DB)
            con.execute(f"detach database if exists {STAGE_DB}")
            drop_scratch(scratch)

    def _write(
        self,
        staged: list[importer.Staged],
        hashes: list[str],
        source: str,
        timings: dict[str, float],
        mapping_hash: str | None = None,
        logged_by: str | None = None,
        on_write: Callable[[duckdb.DuckDBPyConnection], None] | None = None,
    ) -> IngestResult:
        con = self.con
        begun = time.perf_counter()
        con.execute("begin transaction")
        try:
            removed_sample = False
            if source != "sample" and _only_sample(con):
                _clear(con)
                removed_sample = True
            results = []
            next_id = con.execute("select coalesce(max(import_id), 0) + 1 from imports").fetchone()[
                0
            ]
            for s, digest in zip(staged, hashes, strict=True):
                started = time.perf_counter()
                (previous,) = con.execute(
                    "select max(imported_at) from imports where content_hash = ? "
                    "and mapping_hash is not distinct from ?",
                    [digest, mapping_hash],
                ).fetchone()
                added, replaced, unchanged = con.execute(
                    f"""
                    select
                        count(*) filter (where c.call_key is null),
                        count(*) filter (where c.call_key is not null),
                        count(*) filter (where c.fingerprint = s.fingerprint)
                    from {s.calls_table} s left join calls c using (call_key)
                    """
                ).fetchone()
                con.execute(
                    f"delete from notes where call_key in (select call_key from {s.calls_table})"
                )
                con.execute(
                    f"delete from calls where call_key in (select call_key from {s.calls_table})"
                )
                con.execute(
                    f"""
                    insert into calls
                    select call_key, observation_id, observed_on, manager, rep, team,
                        planned_role, manager_action, debrief, deal, deal_value, outcome,
                        fingerprint, ?
                    from {s.calls_table}
                    """,
                    [next_id],
                )
                con.execute(
                    f"""
                    insert into notes
                    select call_key, note_no, behavior, behavior_key, polarity, severity, category
                    from {s.notes_table}
                    """
                )
                con.execute(
                    "insert into imports (import_id, file, content_hash, imported_at, source, "
                    "rows, calls, notes, calls_added, calls_replaced, calls_unchanged, "
                    "mapping_hash, logged_by) values (?, ?, ?, current_timestamp::timestamp, "
                    "?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    [
                        next_id,
                        s.file,
                        digest,
                        source,
                        s.rows,
                        s.calls,
                        s.notes,
                        added,
                        replaced,
                        unchanged,
                        mapping_hash,
                        logged_by,
                    ],
                )
                results.append(
                    FileResult(
                        s.file,
                        digest,
                        s.rows,
                        s.calls,
                        s.notes,
                        added,
                        replaced,
                        unchanged,
                        s.ignored,
                        s.warnings,
                        time.perf_counter() - started,
                        mapping_hash,
                        previous,
                    )
                )
                next_id += 1
            if on_write is not None:
                on_write(con)
            timings["write calls and notes"] = time.perf_counter() - begun
            started = time.perf_counter()
            self.rebuild_derived(con)
            timings["derive"] = time.perf_counter() - started
            _bump_version(con)
            con.execute("commit")
        except BaseException:
            con.execute("rollback")
            raise
        return IngestResult(results, removed_sample)

    def was_cleared(self) -> bool:
        """True once someone cleared the store on purpose (Clear the sample): it then stays
        empty rather than getting the sample back when the dashboard starts again."""
        row = self.cursor().execute("select count(*) from meta where key = 'cleared'").fetchone()
        return bool(row[0])

    def delete_calls(
        self, call_keys: Sequence[str], *, label: str, source: str, logged_by: str | None
    ) -> int:
        """Delete these calls and their notes in one transaction, recorded in the imports log
        (calls_deleted) under `label`. Returns how many calls there were to delete."""
        if self.read_only:
            raise RuntimeError("store opened read-only")
        con = self.con
        keys = list(call_keys)
        con.execute("begin transaction")
        try:
            found = con.execute(
                "select count(*) from calls where list_contains(?::varchar[], call_key)", [keys]
            ).fetchone()[0]
            for table in ("notes", "calls", "logbook"):
                con.execute(
                    f"delete from {table} where list_contains(?::varchar[], call_key)", [keys]
                )
            digest = hashlib.sha256("\n".join(sorted(keys)).encode()).hexdigest()
            con.execute(
                "insert into imports (import_id, file, content_hash, imported_at, source, rows, "
                "calls, notes, calls_added, calls_replaced, calls_unchanged, logged_by, "
                "calls_deleted) select coalesce(max(import_id), 0) + 1, ?, ?, "
                "current_timestamp::timestamp, ?, 0, 0, 0, 0, 0, 0, ?, ? from imports",
                [label, digest, source, logged_by, found],
            )
            self.rebuild_derived(con)
            _bump_version(con)
            con.execute("commit")
        except BaseException:
            con.execute("rollback")
            raise
        return found

    def load_sample_if_empty(self) -> bool:
        """Fill an empty store with the bundled sample (marked as such), unless it was cleared
        on purpose. True if it did."""
        if (
            not self.is_empty()
            or self.cursor().execute("select count(*) from imports").fetchone()[0]
            or self.was_cleared()
        ):
            return False
        from dashboard.resources import sample_log

        self.ingest([sample_log()], source="sample")
        return True

    def clear(self) -> None:
        """Remove every call, note and import record (one transaction), and remember that the
        store was cleared on purpose (see was_cleared)."""
        con = self.con
        con.execute("begin transaction")
        try:
            _clear(con)
            con.execute("delete from meta where key = 'cleared'")
            con.execute("insert into meta values ('cleared', current_timestamp::varchar)")
            self.rebuild_derived(con)
            _bump_version(con)
            con.execute("commit")
        except BaseException:
            con.execute("rollback")
            raise


def _only_sample(con: duckdb.DuckDBPyConnection) -> bool:
    sources = {r[0] for r in con.execute("select distinct source from imports").fetchall()}
    return sources == {"sample"}


def _clear(con: duckdb.DuckDBPyConnection) -> None:
    con.execute("delete from notes")
    con.execute("delete from calls")
    con.execute("delete from logbook")
    con.execute("delete from imports")


def _bump_version(con: duckdb.DuckDBPyConnection) -> None:
    con.execute("update meta set value = (value::integer + 1)::varchar where key = 'version'")


def _open_failure(path: Path | None, exc: Exception, read_only: bool) -> str:
    """Why a store could not be opened, in a line."""
    text = str(exc).strip()
    reason = re.sub(r"^[A-Za-z ]*Error: ", "", text.splitlines()[0]) if text else type(exc).__name__
    lowered = text.lower()
    if "not a valid duckdb database" in lowered or "magic" in lowered:
        return (
            f"{path} is not a Ridealong store (not a DuckDB database file); give another "
            "--db, or move the file away and import again"
        )
    if "permission denied" in lowered or "operation not permitted" in lowered:
        how = "read" if read_only else "write"
        return f"cannot {how} the store {path} (permission denied)"
    return (
        f"cannot open the store {path}: it may be damaged or from another program ({reason[:300]})"
    )


def _lock_holder(message: str) -> str:
    match = re.search(r"PID (\d+)", message)
    return f"process {match.group(1)}" if match else "another program holds its lock"


def load_files(
    paths: Sequence[str | Path],
    *,
    dayfirst: bool = False,
    display_names: Sequence[str] | None = None,
    **options,
) -> tuple[Store, IngestResult]:
    """An in-memory store holding just these files (for `metrics FILE...` and Explore mode).
    `options` go to Store.ingest (header_overrides, value_overrides...)."""
    store = Store(None)
    result = store.ingest(paths, dayfirst=dayfirst, display_names=display_names, **options)
    return store, result


# One write at a time in this process: the dashboard's sessions share one Store (and its
# connection, where ingest stages its temp tables), so two uploads must not interleave.
WRITE_LOCK = threading.Lock()


def locked_ingest(
    store: Store,
    paths: Sequence[str | Path],
    *,
    waiting: Callable[[bool], None] | None = None,
    **kwargs,
) -> IngestResult:
    """Store.ingest under WRITE_LOCK: for a Store shared by threads (the dashboard's sessions).

    Validation and the write run while the lock is held; the write itself is one transaction,
    so another session sees all of the new data or none of it. `waiting(True)` is called when
    another write holds the lock, `waiting(False)` once this one has it.
    """
    if not WRITE_LOCK.acquire(blocking=False):
        if waiting:
            waiting(True)
        WRITE_LOCK.acquire()
        if waiting:
            waiting(False)
    try:
        return store.ingest(paths, **kwargs)
    finally:
        WRITE_LOCK.release()
