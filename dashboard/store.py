"""The DuckDB store: schema, all-or-nothing upsert of calls, derived tables, the imports log.

Tables
- calls:  one row per observed call, keyed by call_key (the observation_id, or
          "observed_on|manager|rep" for logs without one).
- notes:  one row per note (a behaviour noted on a call).
- imports: one row per imported file.
- call_facts, event_facts, behaviors, behavior_spellings, rep_ids, manager_ids, team_ids:
  derived after every write, so that the metric queries in queries/ only run filtered
  aggregates (each rep's call order and each event's look-ahead do not depend on filters).
  A write re-derives only the reps it touches, each with its whole history (derive()).
"""

from __future__ import annotations

import atexit
import contextlib
import datetime as dt
import fcntl
import glob
import hashlib
import os
import re
import shutil
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import duckdb

from dashboard import importer
from dashboard.mapping import same_content
from dashboard.resources import queries_dir

Read = TypeVar("Read")

MEMORY_LIMIT = "2GB"
STAGE_DB = "ridealong_stage"  # the scratch database ingest attaches for staged rows


def _sql(name: str) -> str:
    return (queries_dir() / name).read_text(encoding="utf-8")


# The store's own SQL, in queries/: its tables (idempotent: `create ... if not exists`, and the
# columns added since layout 1), its macros, and the derived tables rebuilt after every write.
SCHEMA = _sql("schema.sql")
MACROS = _sql("macros.sql")
# The derivation, in file order: the first file creates the derived tables empty (a full
# derivation only); the others derive the reps of the temporary table derive_scope (every rep,
# or the reps a write touched) into them.
_DERIVE_FILES = [_sql(f"derive/{p.name}") for p in sorted((queries_dir() / "derive").glob("*.sql"))]
DERIVED_TABLES, DERIVE_SCOPE, *DERIVE = _DERIVE_FILES[0], _DERIVE_FILES[1], *_DERIVE_FILES[2:]
# The one filter every query reads calls through: table macros over the derived tables, so
# (re)created after them
FILTER = _sql("selected_calls.sql")

MAX_WINDOW = 10  # recurrence windows derived: 1 .. MAX_WINDOW calls (queries/derive/call_facts)
# Once the calls re-derived since the last full derivation (a write's own included) come to
# more than this share of the store's calls, the write re-derives everything: as quick as
# re-deriving most rows one by one, and it stores call_facts by date again (see derive()).
FULL_DERIVE_SHARE = 0.5
MAX_CALL_ID = 2**31 - 1  # call_id is an INTEGER; new ids are handed out after the largest


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
    """The store file is locked by another process: `holder` describes it (a page says so in
    its own words; the message speaks to the command line)."""

    def __init__(self, message: str, holder: str = "another process") -> None:
        super().__init__(message)
        self.holder = holder


# ---- snapshots ---------------------------------------------------------------------------------
# A file store is a DuckDB file that is never written in place. A write copies it to a work file
# beside it (.NAME.writing-PID), writes and checkpoints that, keeps the current file as
# .NAME.previous (for undo) and renames the work file over NAME: a reader sees the store before
# or after a write, never in between, and a writer killed at any moment leaves NAME as it was
# (its work file is removed by the next writer). Readers open NAME read-only (DuckDB lets many
# processes do that; a process that renamed a new file in never holds NAME open) and move to
# a new snapshot when the file's identity changes. Writers take turns on .NAME.lock (flock),
# which says who holds it.

LAYOUT_VERSION = 2  # tables and columns; 1: before versions were recorded (meta 'schema' = '1')
DERIVED_VERSION = 2  # the derived tables and macros; a store without a recorded one is re-derived
# (2: behavior_spellings, ids kept across writes and re-derived per rep; recurrence_counts macro)
DEFAULT_WAIT = 60.0  # seconds a write waits for another process's write
REFRESH_SECONDS = 2.0  # version() looks for a newer snapshot at most this often
READ_ONLY_ENV = "RIDEALONG_READ_ONLY"  # set by `serve --read-only`: the dashboard never writes
WAIT_ENV = "RIDEALONG_WAIT"  # set by `serve --wait`: how long the dashboard's writes wait


def _config() -> dict[str, str]:
    # DuckDB takes 80% of RAM by default; a bound keeps a big import within a laptop's
    # means (it spills to disk instead). RIDEALONG_MEMORY_LIMIT overrides it.
    return {"memory_limit": os.environ.get("RIDEALONG_MEMORY_LIMIT", MEMORY_LIMIT)}


def lock_path(path: Path) -> Path:
    return path.with_name(f".{path.name}.lock")


def previous_path(path: Path) -> Path:
    """The snapshot before the last write (what undo puts back)."""
    return path.with_name(f".{path.name}.previous")


def _work_path(path: Path) -> Path:
    return path.with_name(f".{path.name}.writing-{os.getpid()}")


def _identity(path: Path) -> tuple[int, int, int, int]:
    st = os.stat(path)
    return (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns)


class _Snapshot:
    """A read-only view of one snapshot file. The file is attached to an in-memory database
    of its own (not opened by name: DuckDB would hand back the instance of the file that
    had that name before the swap); every cursor starts in it."""

    def __init__(self, con: duckdb.DuckDBPyConnection):
        self._con = con

    @classmethod
    def open(cls, path: Path) -> _Snapshot:
        con = duckdb.connect(":memory:", config=_config())
        try:
            con.execute("attach ? as store (read_only)", [str(path)])
            con.execute("use store")
        except BaseException:
            con.close()
            raise
        return cls(con)

    def cursor(self) -> _Snapshot:
        cur = self._con.cursor()
        cur.execute("use store")
        return _Snapshot(cur)  # whose own cursors start there too

    def close(self) -> None:
        self._con.close()

    def __getattr__(self, name: str):
        return getattr(self._con, name)


def _holder(lock: Path) -> str:
    try:
        text = lock.read_text(encoding="utf-8").strip()
    except OSError:
        text = ""
    pid, _, command = text.partition(" ")
    if not pid.isdigit():
        return "another process"
    return f"process {pid}" + (f" ({command})" if command else "")


@contextlib.contextmanager
def writer_lock(
    path: Path, wait: float = DEFAULT_WAIT, waiting: Callable[[str], None] | None = None
) -> Iterator[None]:
    """Hold the store's writer lock: one writer at a time across processes. Waits up to
    `wait` seconds (telling `waiting` who holds it, once), then raises StoreBusy."""
    lock = lock_path(path)
    try:
        fd = os.open(lock, os.O_RDWR | os.O_CREAT, 0o666)
    except OSError as exc:
        raise StoreError(_open_failure(path, exc, False)) from None
    try:
        deadline = time.monotonic() + wait
        told = False
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                holder = _holder(lock)
                if time.monotonic() >= deadline:
                    raise StoreBusy(
                        f"the store {path} is being written by {holder}; waited {wait:g} s. "
                        "Try again when it has finished (or wait longer: --wait SECONDS)",
                        holder,
                    ) from None
                if not told and waiting is not None:
                    waiting(holder)
                    told = True
                time.sleep(0.1)
        command = " ".join([Path(sys.argv[0]).name, *sys.argv[1:]])[:200] if sys.argv else ""
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()} {command}\n".encode(), 0)
        try:
            yield
        finally:
            os.ftruncate(fd, 0)
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


def _discard(work: Path) -> None:
    for leftover in (work, work.with_name(work.name + ".wal")):
        with contextlib.suppress(OSError):
            leftover.unlink()


def _remove_dead_work(path: Path) -> None:
    """Work files of writers that died (only called while holding the writer lock, so no
    live writer has one)."""
    for leftover in path.parent.glob(f".{glob.escape(path.name)}.writing-*"):
        with contextlib.suppress(OSError):
            leftover.unlink()


def _begin_snapshot(path: Path) -> tuple[duckdb.DuckDBPyConnection, Path]:
    """A copy of the current snapshot, open read-write."""
    _remove_dead_work(path)
    work = _work_path(path)
    try:
        shutil.copyfile(path, work)
        wal = path.with_name(path.name + ".wal")  # a store left by an older Ridealong
        if wal.exists():
            shutil.copyfile(wal, work.with_name(work.name + ".wal"))
        con = duckdb.connect(str(work), config=_config())
    except BaseException as exc:
        _discard(work)
        if isinstance(exc, duckdb.Error):
            raise StoreError(_open_failure(path, exc, False)) from None
        raise
    return con, work


def _finish_snapshot(con: duckdb.DuckDBPyConnection, work: Path) -> None:
    con.execute("checkpoint")
    con.close()
    with open(work, "rb+") as handle:
        os.fsync(handle.fileno())


def _publish(path: Path, work: Path, *, keep_previous: bool = True) -> None:
    """Swap the work file in; the current one becomes .previous."""
    if keep_previous and path.exists():
        previous = previous_path(path)
        tmp = previous.with_name(previous.name + ".tmp")
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
        try:
            os.link(path, tmp)
        except OSError:  # a file system without hard links
            shutil.copyfile(path, tmp)
        os.replace(tmp, previous)
    os.replace(work, path)
    with contextlib.suppress(FileNotFoundError):
        path.with_name(path.name + ".wal").unlink()  # replayed into the new snapshot
    with contextlib.suppress(OSError):
        folder = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(folder)
        finally:
            os.close(folder)


def _read_layout(con) -> tuple[int, int]:
    """(layout, derived) recorded in meta; a store from before versions: (1, 0); a DuckDB
    file without Ridealong's tables: (0, 0)."""
    try:
        meta = dict(
            con.cursor()
            .execute("select key, value from meta where key in ('schema', 'layout', 'derived')")
            .fetchall()
        )
    except duckdb.CatalogException:
        return (0, 0)
    layout = int(meta.get("layout") or (1 if "schema" in meta else 0))
    return layout, int(meta.get("derived") or 0)


def _lacks_columns(con) -> bool:
    """True if the imports log lacks a column schema.sql adds (a store edited by hand)."""
    wanted = set(re.findall(r"add column if not exists (\w+)", SCHEMA))
    have = {
        r[0]
        for r in con.cursor()
        .execute(
            "select column_name from information_schema.columns "
            "where table_catalog = current_database() and table_name = 'imports'"
        )
        .fetchall()
    }
    return not wanted <= have


def _stamp_layout(con: duckdb.DuckDBPyConnection) -> None:
    con.execute("delete from meta where key in ('schema', 'layout', 'derived')")
    con.execute(
        "insert into meta values ('schema', ?), ('layout', ?), ('derived', ?)",
        [str(LAYOUT_VERSION), str(LAYOUT_VERSION), str(DERIVED_VERSION)],
    )


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
    derived: str = ""  # what the write re-derived, in words (derive())

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
        for file in self.files:
            lines.append(file.line())
            if not file.nothing_changed:
                lines += [f"  note: {w}" for w in file.warnings]
        return "\n".join(lines)


def _file_hash(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


class Store:
    """One DuckDB database: a file (see the module docstring: snapshots swapped whole), or in
    memory when path is None.

    `con` reads the current snapshot (read-only, for a file). Every write (ingest,
    delete_calls, clear, undo) builds the next snapshot under the writer lock and swaps it in;
    `refresh()` moves `con` to the newest snapshot (`version()` does so at most every
    REFRESH_SECONDS). `wait` is how long a write waits for another process's write; `waiting`
    is told (with the holder's description) once when it starts waiting; `notice` is told
    what an automatic upgrade did, in a line.
    """

    def __init__(
        self,
        path: str | Path | None = None,
        *,
        read_only: bool = False,
        wait: float = DEFAULT_WAIT,
        waiting: Callable[[str], None] | None = None,
        notice: Callable[[str], None] | None = None,
    ):
        self.path = None if path is None else Path(path)
        self.closed = False
        self.read_only = read_only
        self.wait = wait
        self.waiting = waiting
        self.notice = notice
        self._checked = 0.0  # when refresh() last looked at the file
        self._identity: tuple | None = None
        self._con: duckdb.DuckDBPyConnection | None = None
        self._snapshot: _Snapshot | None = None
        self._read: tuple[_Snapshot | None, dict[str, Any]] = (None, {})  # see of_snapshot()
        if self.path is None:
            self._con = duckdb.connect(":memory:", config=_config())
            self._con.execute(SCHEMA)
            self._con.execute(MACROS)
            _stamp_layout(self._con)
            self.rebuild_derived(self._con)
            return
        if self.path.is_dir():
            raise StoreError(f"the store {self.path} is a folder; --db names a file")
        if not self.path.exists():
            if read_only:
                raise FileNotFoundError(
                    f"no store at {self.path}: import a log first with `ridealong ingest FILE`"
                )
            self._create()
        self._open_snapshot()
        if not read_only and (
            self.layout() != (LAYOUT_VERSION, DERIVED_VERSION) or _lacks_columns(self.con)
        ):
            self.upgrade()

    # ---- reading ----------------------------------------------------------------------------

    @property
    def con(self) -> duckdb.DuckDBPyConnection:
        """The connection that reads the current snapshot (pinned until refresh())."""
        if self._snapshot is not None:
            return self._snapshot  # type: ignore[return-value]
        if self._con is None:
            raise StoreError(f"the store {self.path} is closed")
        return self._con

    def cursor(self) -> duckdb.DuckDBPyConnection:
        """A cursor of its own for each query: a connection is not safe across threads."""
        return self.con.cursor()

    def _open_snapshot(self) -> None:
        assert self.path is not None
        try:
            identity = _identity(self.path)  # before opening: a swap in between is seen later
            snapshot = _Snapshot.open(self.path)
        except duckdb.Error as exc:
            if isinstance(exc, duckdb.IOException) and "lock" in str(exc).lower():
                raise StoreBusy(
                    f"the store {self.path} is held by another program "
                    f"({_lock_holder(str(exc))}) that opened it for writing outside Ridealong; "
                    "stop it and try again"
                ) from None
            raise StoreError(_open_failure(self.path, exc, True)) from None
        except FileNotFoundError:
            raise StoreError(f"the store {self.path} is gone (moved or deleted)") from None
        self._snapshot, self._identity, self._checked = snapshot, identity, time.monotonic()
        layout = _read_layout(snapshot)
        if layout[0] > LAYOUT_VERSION or layout[1] > DERIVED_VERSION:
            self._snapshot = None
            snapshot.close()
            raise StoreError(
                f"the store {self.path} was written by a newer Ridealong (store layout "
                f"{layout[0]}, derived tables {layout[1]}); this Ridealong reads layout "
                f"{LAYOUT_VERSION}, derived tables {DERIVED_VERSION}: upgrade Ridealong "
                "(pip install -U ridealong)"
            )

    def refresh(self) -> bool:
        """Move to the newest snapshot if another write swapped one in; True if it did.
        Queries already running finish on the snapshot they started on."""
        if self.path is None or self._snapshot is None:
            return False
        self._checked = time.monotonic()
        try:
            now = _identity(self.path)
        except FileNotFoundError:
            return False  # a replace in flight (never on POSIX) or gone: keep what we have
        if now == self._identity:
            return False
        self._open_snapshot()
        return True

    def layout(self) -> tuple[int, int]:
        """(layout version, derived-tables version) of the current snapshot."""
        return _read_layout(self.con)

    def close(self) -> None:
        if self._con is not None:
            self._con.close()
            self._con = None
        if self._snapshot is not None:
            self._snapshot.close()
            self._snapshot = None
        self.closed = True

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def of_snapshot(self, name: str, read: Callable[[duckdb.DuckDBPyConnection], Read]) -> Read:
        """`read(cursor)` on the current snapshot, read once per snapshot of a file store and
        remembered as `name` (a snapshot never changes: every write swaps in a new one); read
        every time from a store in memory, which is written in place. A page asks the version
        and the privacy policy before each of its queries: 1-2 ms each time, a sixth of a
        page's CPU at a million notes; its banners the last import and whether the store is
        empty or the sample's. One `name`, one `read`: the value is kept by name."""
        snapshot = self._snapshot
        if snapshot is None:
            return read(self.cursor())
        seen, values = self._read
        if seen is not snapshot:  # the first read since refresh() moved on (or ever)
            values = {}
            self._read = (snapshot, values)
        if name not in values:
            values[name] = read(snapshot.cursor())  # type: ignore[arg-type]
        return values[name]

    def version(self) -> int:
        """Goes up by one with every write; caches key on it. Looks for a newer snapshot at
        most every REFRESH_SECONDS."""
        if self.path is not None and time.monotonic() - self._checked > REFRESH_SECONDS:
            self.refresh()
        return self.of_snapshot("version", _read_version)

    def rebuild_derived(self, con: duckdb.DuckDBPyConnection | None = None) -> None:
        """Derive every rep's rows afresh (a new store, an upgrade, a clear)."""
        derive(con or self.con, everything=True)

    def is_sample(self) -> bool:
        """True when everything in the store came from the bundled sample."""
        return self.of_snapshot("is_sample", _only_sample)

    def is_empty(self) -> bool:
        return self.of_snapshot("is_empty", _no_calls)

    def imports(self, limit: int = 20) -> list[dict]:
        cur = self.cursor()
        rows = cur.execute("select * from imports order by import_id desc limit ?", [limit])
        names = [d[0] for d in rows.description]
        return [dict(zip(names, r, strict=True)) for r in rows.fetchall()]

    def changes_since(self, import_id: int) -> tuple[int, int, int]:
        """What the writes after `import_id` did: calls added, calls whose notes changed (a
        call imported again, not as it was), and imports undone (what "Updated: …" says)."""
        row = (
            self.cursor()
            .execute(
                "select coalesce(sum(calls_added), 0), "
                "coalesce(sum(calls_replaced - calls_unchanged), 0), count(*) filter "
                "(where source = 'undo') from imports where import_id > ?",
                [import_id],
            )
            .fetchone()
        )
        return int(row[0]), int(row[1]), int(row[2])

    def last_import_id(self) -> int:
        return self.of_snapshot("last_import_id", _read_last_import_id)

    # ---- writing ----------------------------------------------------------------------------

    @contextlib.contextmanager
    def telling_waits(self, waiting: Callable[[str], None] | None) -> Iterator[None]:
        """Writes in this block tell `waiting` (with the holder's description, once) when
        another process is writing the store and they wait for it — not `self.waiting`, which
        a Store shared by the dashboard's sessions leaves unset. Holds this process's write
        turn (WRITE_LOCK), so no other thread's write is told instead."""
        if waiting is None:
            yield
            return
        with WRITE_LOCK:
            before, self.waiting = self.waiting, waiting
            try:
                yield
            finally:
                self.waiting = before

    @contextlib.contextmanager
    def writing(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """A read-write connection on the next snapshot, published when the block ends
        without an error (discarded otherwise). One writer at a time across processes: waits
        up to `wait` seconds for another, then raises StoreBusy naming it."""
        if self.read_only:
            raise RuntimeError("store opened read-only")
        if self.path is None:
            assert self._con is not None
            yield self._con
            return
        with WRITE_LOCK, writer_lock(self.path, self.wait, self.waiting):
            con, work = _begin_snapshot(self.path)
            try:
                yield con
                _finish_snapshot(con, work)
                _publish(self.path, work)
            except BaseException:
                with contextlib.suppress(Exception):
                    con.close()
                _discard(work)
                raise
        self.refresh()

    def _create(self) -> None:
        """A new, empty store at self.path (under the writer lock: two creators make one)."""
        assert self.path is not None
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StoreError(_open_failure(self.path, exc, False)) from None
        with WRITE_LOCK, writer_lock(self.path, self.wait, self.waiting):
            if self.path.exists():
                return
            work = _work_path(self.path)
            try:
                con = duckdb.connect(str(work), config=_config())
                con.execute(SCHEMA)
                con.execute(MACROS)
                _stamp_layout(con)
                con.execute("insert into meta values ('version', '0')")
                self.rebuild_derived(con)
                _finish_snapshot(con, work)
                _publish(self.path, work, keep_previous=False)
            except BaseException:
                _discard(work)
                raise

    def upgrade(self) -> None:
        """Bring an older store to this layout and re-derive its tables (one snapshot), and
        say so in a line (to `notice`)."""
        before = self.layout()
        with self.writing() as con:
            if _read_layout(con) == (LAYOUT_VERSION, DERIVED_VERSION) and not _lacks_columns(con):
                return  # another process upgraded it meanwhile
            con.execute("begin transaction")
            con.execute(SCHEMA)
            con.execute(MACROS)
            _stamp_layout(con)
            if con.execute("select count(*) from meta where key = 'version'").fetchone()[0] == 0:
                con.execute("insert into meta values ('version', '0')")
            self.rebuild_derived(con)
            _bump_version(con)
            con.execute("commit")
        if self.notice:
            self.notice(
                f"upgraded the store {self.path} from layout {before[0]} (derived tables "
                f"{before[1]}) to layout {LAYOUT_VERSION} (derived tables {DERIVED_VERSION})"
            )

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
        started = time.perf_counter()
        with self.writing() as con:
            timings["lock and copy the store"] = time.perf_counter() - started
            result = self._stage_and_write(
                con,
                paths,
                names,
                dayfirst,
                source,
                header_overrides,
                value_overrides,
                progress,
                mapping_hash,
                logged_by,
                on_write,
                timings,
            )
            written = time.perf_counter()
        timings["save and swap in"] = time.perf_counter() - written
        return result

    def ingest_checked(
        self,
        checked: Store,
        result: IngestResult,
        *,
        source: str = "upload",
        mapping_hash: str | None = None,
        logged_by: str | None = None,
        progress: Callable[[str, float], None] | None = None,
    ) -> IngestResult:
        """Write what an ingest into the in-memory store `checked` validated (`result`: what
        it returned) as that ingest would write it here, without reading the files again:
        each file's calls and notes go through _write, all or nothing, with its imports row.

        Raises ValueError when a call of one file was replaced by a later file of the same
        ingest: `checked` then no longer holds that file's own rows (ingest the files)."""
        if self.read_only:
            raise RuntimeError("store opened read-only")
        reader = checked.cursor()
        files = reader.execute(
            "select i.import_id, i.content_hash, i.calls, count(c.call_key) "
            "from imports i left join calls c using (import_id) "
            "group by all order by i.import_id"
        ).fetchall()
        if len(files) != len(result.files) or any(kept != n for _i, _h, n, kept in files):
            raise ValueError("the checked store does not hold every file's calls")
        timings: dict[str, float] = {}
        started = time.perf_counter()
        with self.writing() as con:
            timings["lock and copy the store"] = time.perf_counter() - started
            staged: list[importer.Staged] = []
            try:
                for number, (row, done) in enumerate(zip(files, result.files, strict=True)):
                    name = f"checked{number}"
                    calls = reader.sql(
                        "select * exclude (import_id) from calls where import_id = ?",
                        params=[row[0]],
                    ).to_arrow_table()
                    notes = reader.sql(
                        "select n.* from notes n semi join calls c "
                        "on c.call_key = n.call_key and c.import_id = ?",
                        params=[row[0]],
                    ).to_arrow_table()
                    # views in `temp`, where Staged's tables are by default
                    con.register(f"{name}_calls", calls)
                    con.register(f"{name}_notes", notes)
                    staged.append(
                        importer.Staged(
                            file=done.file,
                            name=name,
                            rows=done.rows,
                            calls=done.calls,
                            notes=done.notes,
                            columns={},
                            ignored=done.ignored,
                            warnings=done.warnings,
                        )
                    )
                written = time.perf_counter()
                out = self._write(
                    con, staged, [r[1] for r in files], source, timings, mapping_hash, logged_by
                )
                timings["write"] = time.perf_counter() - written
            finally:
                for name in (f"{s.name}_{kind}" for s in staged for kind in ("calls", "notes")):
                    con.unregister(name)
            saved = time.perf_counter()
        timings["save and swap in"] = time.perf_counter() - saved
        out.timings = timings
        if progress:
            progress("written", 1.0)
        return out

    def _stage_and_write(
        self,
        con: duckdb.DuckDBPyConnection,
        paths: list[Path],
        names: list[str],
        dayfirst: bool,
        source: str,
        header_overrides: dict[str, str] | None,
        value_overrides: dict[str, dict[str, str]] | None,
        progress: Callable[[str, float], None] | None,
        mapping_hash: str | None,
        logged_by: str | None,
        on_write: Callable[[duckdb.DuckDBPyConnection], None] | None,
        timings: dict[str, float],
    ) -> IngestResult:
        staged: list[importer.Staged] = []
        problems: list[importer.Problem] = []
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
            with _scratch_compression(con):
                for position, (path, label) in enumerate(zip(paths, names, strict=True)):
                    started = time.perf_counter()
                    try:
                        staged.append(
                            importer.stage(
                                con,
                                path,
                                f"stage{position}",
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
                        progress(f"validated {label}", (position + 1) / (len(paths) + 1))
            digests = hashes.result()
            problems += same_content(names, digests)
            if problems:
                raise importer.ImportFailed(problems)
            started = time.perf_counter()
            result = self._write(
                con, staged, digests, source, timings, mapping_hash, logged_by, on_write
            )
            timings["write"] = time.perf_counter() - started
            result.timings = timings
            if progress:
                progress("written", 1.0)
            return result
        finally:
            hashing.shutdown(cancel_futures=True)
            importer.drop_staged(
                con, [f"stage{position}" for position in range(len(paths))], db=STAGE_DB
            )
            con.execute(f"detach database if exists {STAGE_DB}")
            drop_scratch(scratch)

    def _write(
        self,
        con: duckdb.DuckDBPyConnection,
        staged: list[importer.Staged],
        hashes: list[str],
        source: str,
        timings: dict[str, float],
        mapping_hash: str | None = None,
        logged_by: str | None = None,
        on_write: Callable[[duckdb.DuckDBPyConnection], None] | None = None,
    ) -> IngestResult:
        begun = time.perf_counter()
        con.execute("begin transaction")
        try:
            track_changes(con)
            removed_sample = False
            if source != "sample" and _only_sample(con):
                _clear(con)
                removed_sample = True
            results = []
            next_id = con.execute("select coalesce(max(import_id), 0) + 1 from imports").fetchone()[
                0
            ]
            first_id = next_id
            for part, digest in zip(staged, hashes, strict=True):
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
                    from {part.calls_table} s left join calls c using (call_key)
                    """
                ).fetchone()
                # the reps of the calls that change: their rep before and after (a call the
                # same as before, by fingerprint, changes no derived row)
                con.execute(
                    f"""
                    insert into touched_reps
                    select distinct unnest([s.rep, c.rep])
                    from {part.calls_table} s left join calls c using (call_key)
                    where c.fingerprint is distinct from s.fingerprint
                    """
                )
                con.execute(
                    f"delete from notes where call_key in (select call_key from {part.calls_table})"
                )
                con.execute(
                    f"delete from calls where call_key in (select call_key from {part.calls_table})"
                )
                con.execute(
                    f"""
                    insert into calls
                    select call_key, observation_id, observed_on, manager, rep, team,
                        planned_role, manager_action, debrief, deal, deal_value, outcome,
                        fingerprint, ?
                    from {part.calls_table}
                    """,
                    [next_id],
                )
                con.execute(
                    f"""
                    insert into notes
                    select call_key, note_no, behavior, behavior_key, polarity, severity, category
                    from {part.notes_table}
                    """
                )
                con.execute(
                    "insert into imports (import_id, file, content_hash, imported_at, source, "
                    "rows, calls, notes, calls_added, calls_replaced, calls_unchanged, "
                    "mapping_hash, logged_by) values (?, ?, ?, current_timestamp::timestamp, "
                    "?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    [
                        next_id,
                        part.file,
                        digest,
                        source,
                        part.rows,
                        part.calls,
                        part.notes,
                        added,
                        replaced,
                        unchanged,
                        mapping_hash,
                        logged_by,
                    ],
                )
                results.append(
                    FileResult(
                        part.file,
                        digest,
                        part.rows,
                        part.calls,
                        part.notes,
                        added,
                        replaced,
                        unchanged,
                        part.ignored,
                        part.warnings,
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
            derived = derive(con, everything=removed_sample)
            timings["derive"] = time.perf_counter() - started
            _bump_version(con, list(range(first_id, next_id)))
            con.execute("commit")
        except BaseException:
            con.execute("rollback")
            raise
        return IngestResult(results, removed_sample, derived=derived)

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
        keys = list(call_keys)
        with self.writing() as con:
            return self._delete_calls(con, keys, label, source, logged_by)

    def _delete_calls(
        self,
        con: duckdb.DuckDBPyConnection,
        keys: list[str],
        label: str,
        source: str,
        logged_by: str | None,
    ) -> int:
        con.execute("begin transaction")
        try:
            track_changes(con)
            found = con.execute(
                "select count(*) from calls where list_contains(?::varchar[], call_key)", [keys]
            ).fetchone()[0]
            con.execute(
                "insert into touched_reps "
                "select rep from calls where list_contains(?::varchar[], call_key)",
                [keys],
            )
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
            derive(con, everything=False)
            (written,) = con.execute("select max(import_id) from imports").fetchone()
            _bump_version(con, [written])
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

    def undoable(self) -> list[int]:
        """The imports the last write recorded, which undo can revert (empty: none)."""
        if self.path is None or not previous_path(self.path).exists():
            return []
        last = _meta(self.con, "last_write") or ""
        return [int(i) for i in last.split(",") if i]

    def undo(self, import_id: int, *, logged_by: str | None = None) -> list[dict]:
        """Put the store back as it was before import `import_id`, which must be (one of the
        files of) the most recent write: the snapshot kept before that write comes back,
        with the imports log saying which imports were undone and when. Returns the undone
        imports' rows. Raises UndoRefused otherwise."""
        if self.read_only or self.path is None:
            raise UndoRefused("undo needs a store file opened for writing")
        path = self.path
        with WRITE_LOCK, writer_lock(path, self.wait, self.waiting):
            current = _Snapshot.open(path)
            try:
                return self._undo(current, import_id, logged_by)
            finally:
                current.close()
                self.refresh()

    def _undo(self, current: _Snapshot, import_id: int, logged_by: str | None) -> list[dict]:
        path = self.path
        assert path is not None
        cur = current.cursor()
        known = cur.execute("select file from imports where import_id = ?", [import_id]).fetchone()
        last = [int(i) for i in (_meta(current, "last_write") or "").split(",") if i]
        if known is None:
            raise UndoRefused(f"there is no import #{import_id} in the store {path}")
        previous = previous_path(path)
        if import_id not in last or not previous.exists():
            what = f"#{last[-1]}" if last and previous.exists() else "nothing"
            raise UndoRefused(
                f"import #{import_id} ({known[0]}) cannot be undone: only the most recent "
                f"import can be undone, once (now: {what})"
            )
        version = int(_meta(current, "version") or 0)
        before = _Snapshot.open(previous)
        try:
            ok = int(_meta(before, "version") or -1) == version - 1
        finally:
            before.close()
        if not ok:
            raise UndoRefused(
                f"import #{import_id} cannot be undone: the copy of the store before it is "
                "gone (the store was written since)"
            )
        names = [d[0] for d in cur.execute("select * from imports limit 0").description]
        undone = [
            dict(zip(names, r, strict=True))
            for r in cur.execute(
                "select * from imports where list_contains(?::integer[], import_id) "
                "order by import_id",
                [last],
            ).fetchall()
        ]
        undo_id = max(r["import_id"] for r in undone) + 1
        work = _work_path(path)
        _remove_dead_work(path)
        try:
            shutil.copyfile(previous, work)
            con = duckdb.connect(str(work), config=_config())
            try:
                con.execute("begin transaction")
                con.execute(SCHEMA)  # the previous copy may predate an upgrade
                con.execute(MACROS)
                for row in undone:  # the undone imports stay in the log, marked
                    row = {**row, "undone_by": undo_id}
                    con.execute(
                        f"insert into imports ({', '.join(row)}) "
                        f"values ({', '.join('?' for _ in row)})",
                        list(row.values()),
                    )
                files = ", ".join(f"#{r['import_id']} {r['file']}" for r in undone)
                con.execute(
                    "insert into imports (import_id, file, content_hash, imported_at, source, "
                    "rows, calls, notes, calls_added, calls_replaced, calls_unchanged, "
                    "logged_by) values (?, ?, '', current_timestamp::timestamp, 'undo', "
                    "0, 0, 0, 0, 0, 0, ?)",
                    [undo_id, f"undo of {files}", logged_by],
                )
                _set_meta(con, "version", str(version + 1))
                _set_meta(con, "last_write", "")
                con.execute("commit")
                _finish_snapshot(con, work)
            except BaseException:
                with contextlib.suppress(Exception):
                    con.close()
                raise
            _publish(path, work)
        except BaseException:
            _discard(work)
            raise
        return undone

    def clear(self) -> None:
        """Remove every call, note and import record (one transaction), and remember that the
        store was cleared on purpose (see was_cleared)."""
        with self.writing() as con:
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


@contextlib.contextmanager
def _scratch_compression(con: duckdb.DuckDBPyConnection) -> Iterator[None]:
    """While files are staged: DuckDB compresses what it writes without FSST (the string
    compression that costs most to write and to read back; the scratch file comes out the same
    size). The scratch file holds its rows for a minute; the store's own tables are written
    after, with every method. Ten million rows on 2 cores, staging and the copy into the store
    alone: 60 s -> 46 s and 13 s -> 10 s (CPU 112 s -> 88 s and 24 s -> 19 s).
    (A setting of the DuckDB instance: no other write runs meanwhile, see WRITE_LOCK.)"""
    con.execute("set disabled_compression_methods = 'fsst'")
    try:
        yield
    finally:
        con.execute("reset disabled_compression_methods")


def track_changes(con: duckdb.DuckDBPyConnection) -> None:
    """Start a write's record of the reps it touches (the temporary table touched_reps that
    derive(everything=False) reads): the write adds the rep of every call it adds, changes or
    deletes, before and after the change."""
    con.execute("create or replace temp table touched_reps (rep varchar)")


def derive(con: duckdb.DuckDBPyConnection, *, everything: bool) -> str:
    """Bring the derived tables up to date with calls and notes, in the write's transaction.

    everything=False re-derives only the reps in touched_reps (see track_changes), each with
    its whole history, and leaves every other rep's rows as they are. It derives everything
    instead when the calls re-derived since the last full derivation, these reps' included,
    come to more than FULL_DERIVE_SHARE of the calls: re-derived rows are appended, out of
    call_facts' date order, and a full derivation puts them back in it. Either way the tables
    hold what a full derivation would, up to the integer ids (queries/derive/04_rep_ids.sql).
    Returns what it derived, in words."""
    con.execute("create temp table if not exists touched_reps (rep varchar)")
    if not everything:
        con.execute(DERIVE_SCOPE, {"everything": False})
        # the calls those reps had (call_facts as the last derivation left it), how many
        # calls there are and the largest call id
        reps, held, derived, calls, top = con.execute(
            "select (select count(*) from derive_scope), count(*) filter (where f.rep_id in ("
            "select r.rep_id from rep_ids as r semi join derive_scope as s on s.rep = r.rep)), "
            "count(*), (select count(*) from calls), coalesce(max(f.call_id), 0) "
            "from call_facts as f"
        ).fetchone()
        (since,) = con.execute(
            "select coalesce(max(value::bigint), 0) from meta where key = 'rederived'"
        ).fetchone()
        everything = (
            derived == 0  # nothing derived yet: the same work either way
            or since + held > FULL_DERIVE_SHARE * derived
            or top + calls > MAX_CALL_ID
        )
    if everything:
        con.execute(DERIVED_TABLES)
        con.execute(DERIVE_SCOPE, {"everything": True})
        (reps,) = con.execute("select count(*) from derive_scope").fetchone()
        since = top = 0
    for statement in DERIVE:
        con.execute(statement)
    if not everything:  # what this write appended: the rows numbered after `top`
        (appended,) = con.execute(
            "select count(*) from call_facts where call_id > ?", [top]
        ).fetchone()
        since += appended
    _set_meta(con, "rederived", str(since))
    con.execute("drop table touched_reps")
    con.execute(FILTER)
    return "every rep" if everything else f"{reps:,} rep{'' if reps == 1 else 's'}"


def _read_version(con: duckdb.DuckDBPyConnection) -> int:
    row = con.execute("select value from meta where key = 'version'").fetchone()
    return int(row[0]) if row else 0


def _read_last_import_id(con: duckdb.DuckDBPyConnection) -> int:
    return int(con.execute("select coalesce(max(import_id), 0) from imports").fetchone()[0])


def _no_calls(con: duckdb.DuckDBPyConnection) -> bool:
    return con.execute("select count(*) from calls").fetchone()[0] == 0


def _only_sample(con: duckdb.DuckDBPyConnection) -> bool:
    sources = {r[0] for r in con.execute("select distinct source from imports").fetchall()}
    return sources == {"sample"}


def _clear(con: duckdb.DuckDBPyConnection) -> None:
    con.execute("delete from notes")
    con.execute("delete from calls")
    con.execute("delete from logbook")
    con.execute("delete from imports")


def _bump_version(con: duckdb.DuckDBPyConnection, imports: Sequence[int] = ()) -> None:
    """A new version; `imports`: the imports this write recorded (what undo may undo)."""
    con.execute("update meta set value = (value::integer + 1)::varchar where key = 'version'")
    _set_meta(con, "last_write", ",".join(str(i) for i in imports))


def _set_meta(con: duckdb.DuckDBPyConnection, key: str, value: str) -> None:
    con.execute("delete from meta where key = ?", [key])
    con.execute("insert into meta values (?, ?)", [key, value])


def _meta(con, key: str) -> str | None:
    row = con.cursor().execute("select value from meta where key = ?", [key]).fetchone()
    return row[0] if row else None


class UndoRefused(StoreError):
    """Undo cannot put the store back as asked: the message says why and what can be undone."""


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
WRITE_LOCK = threading.RLock()


def locked_ingest(
    store: Store,
    paths: Sequence[str | Path],
    *,
    waiting: Callable[[bool], None] | None = None,
    other_process: Callable[[str], None] | None = None,
    **kwargs,
) -> IngestResult:
    """Store.ingest under WRITE_LOCK: for a Store shared by threads (the dashboard's sessions).

    Validation and the write run while the lock is held; the write itself is one transaction,
    so another session sees all of the new data or none of it. `waiting(True)` is called when
    another write of this process holds the lock, `waiting(False)` once this one has it;
    `other_process(holder)` when another process is writing the store and this write waits
    for it (Store.telling_waits).
    """
    with write_turn(waiting), store.telling_waits(other_process):
        return store.ingest(paths, **kwargs)


@contextlib.contextmanager
def write_turn(waiting: Callable[[bool], None] | None = None) -> Iterator[None]:
    """This process's one write at a time (WRITE_LOCK): `waiting(True)` when another write
    holds it, `waiting(False)` once this one has it."""
    if not WRITE_LOCK.acquire(blocking=False):
        if waiting:
            waiting(True)
        WRITE_LOCK.acquire()
        if waiting:
            waiting(False)
    try:
        yield
    finally:
        WRITE_LOCK.release()
