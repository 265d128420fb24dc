"""One store for the whole team: readers beside a writer, one writer at a time, faults.

The store file is never written in place: a write builds the next snapshot beside it and
renames it over the file (store.py, "snapshots"). These tests run real processes.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from dashboard import store as store_mod
from dashboard.cli import main
from dashboard.store import Store, StoreBusy

HEADER = "observation_id,observed_on,manager,rep,manager_action,debrief,behavior,polarity\n"
GOOD = HEADER + (
    "C1,2026-03-02,Dana,Eli,observed,yes,Asked good questions,praise\n"
    "C1,2026-03-02,Dana,Eli,observed,yes,Wrong price,criticism\n"
    "C2,2026-03-03,Dana,Fay,took_over,no,,\n"
)
MORE = HEADER + "C3,2026-03-04,Dana,Gus,observed,no,Asked good questions,praise\n"


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def big_log(path: Path, calls: int) -> Path:
    """`calls` calls of two notes each (C1000000...), big enough that ingest takes seconds."""
    with path.open("w", encoding="utf-8") as f:
        f.write(HEADER)
        for i in range(calls):
            day = f"2026-0{i % 6 + 1}-{i % 28 + 1:02d}"
            who = f"Manager {i % 7},Rep {i % 301}"
            f.write(f"B{i},{day},{who},observed,yes,Asked good questions,praise\n")
            f.write(f"B{i},{day},{who},observed,yes,Wrong price,criticism\n")
    return path


def state(store: Store) -> tuple:
    """What a reader sees, in one query: calls, derived calls, imports, version."""
    return (
        store.cursor()
        .execute(
            "select (select count(*) from calls), (select count(*) from call_facts), "
            "(select count(*) from imports), (select value from meta where key = 'version')"
        )
        .fetchone()
    )


def contents(db: Path) -> tuple:
    with Store(db, read_only=True) as s:
        return (
            state(s),
            s.cursor().execute("select * exclude (import_id) from calls order by 1").fetchall(),
            s.cursor().execute("select * from notes order by 1, 2").fetchall(),
        )


def ridealong(*args: str, **kwargs) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "dashboard.cli", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        **kwargs,
    )


def work_files(db: Path) -> list[str]:
    return sorted(p.name for p in db.parent.glob(f".{db.name}.writing-*"))


@pytest.fixture
def db(tmp_path: Path) -> Path:
    path = tmp_path / "team.duckdb"
    with Store(path) as store:
        store.ingest([write(tmp_path / "good.csv", GOOD)])
    return path


# ---- readers and one writer --------------------------------------------------------------------


def test_readers_see_the_store_before_or_after_an_import_never_between(
    db: Path, tmp_path: Path
) -> None:
    big = big_log(tmp_path / "big.csv", 60_000)
    reader = Store(db, read_only=True)
    before = state(reader)
    writer = ridealong("ingest", str(big), "--db", str(db))
    seen = set()
    try:
        while writer.poll() is None:
            reader.refresh()
            now = state(reader)
            seen.add(now)
            # another process reads too, through the CLI, while the import runs
            if len(seen) == 1 and writer.poll() is None:
                out = subprocess.run(
                    [sys.executable, "-m", "dashboard.cli", "metrics", "--db", str(db), "--json"],
                    capture_output=True,
                    text=True,
                    timeout=120,
                )
                assert out.returncode == 0, out.stderr
            time.sleep(0.05)
        _out, err = writer.communicate()
        assert writer.returncode == 0, err
        reader.refresh()
        after = state(reader)
        seen.add(after)
    finally:
        reader.close()
    assert after[0] == before[0] + 60_000 and after[0] == after[1]
    assert seen <= {before, after}, seen  # two states only: nothing half-written
    assert work_files(db) == []


def test_a_reader_opened_before_a_write_moves_to_the_new_snapshot(db: Path, tmp_path: Path) -> None:
    reader = Store(db, read_only=True)
    version = reader.version()
    with Store(db) as writer:
        writer.ingest([write(tmp_path / "more.csv", MORE)])
    assert state(reader)[0] == 2  # pinned to its snapshot until it looks again
    assert reader.refresh() is True and reader.refresh() is False
    assert state(reader)[0] == 3 and reader.version() == version + 1
    assert reader.changes_since(1) == (1, 0, 0)  # the dashboard says "Updated: 1 call added"
    reader.close()


def test_a_store_reads_what_a_snapshot_holds_once_and_afresh_after_a_write(
    db: Path, tmp_path: Path
) -> None:
    reads = []

    def read(con) -> int:
        reads.append(1)
        return con.execute("select count(*) from calls").fetchone()[0]

    reader = Store(db, read_only=True)
    assert reader.of_snapshot("calls", read) == reader.of_snapshot("calls", read) == 2
    assert len(reads) == 1  # a snapshot never changes
    with Store(db) as writer:
        writer.ingest([write(tmp_path / "more.csv", MORE)])
    assert reader.of_snapshot("calls", read) == 2  # pinned to its snapshot until it looks
    assert reader.refresh() is True
    assert reader.of_snapshot("calls", read) == 3 and len(reads) == 2
    reader.close()
    with Store() as memory:  # written in place: read every time
        assert memory.of_snapshot("calls", read) == memory.of_snapshot("calls", read) == 0
        assert len(reads) == 4


def test_what_the_banners_read_follows_each_snapshot(
    db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # the last import, empty, sample: read once per snapshot (Store.of_snapshot), as a page's
    # banners ask them on every run
    from dashboard import store as store_module

    reads = []
    real = store_module._read_last_import_id
    monkeypatch.setattr(
        store_module, "_read_last_import_id", lambda con: reads.append(1) or real(con)
    )
    reader = Store(db, read_only=True)
    assert (reader.last_import_id(), reader.is_empty(), reader.is_sample()) == (1, False, False)
    assert reader.last_import_id() == 1 and len(reads) == 1  # read once for this snapshot
    with Store(db) as writer:
        writer.ingest([write(tmp_path / "more.csv", MORE)])
        assert writer.last_import_id() == 2  # the writer sees its own write at once
    assert reader.last_import_id() == 1  # pinned to its snapshot until it looks
    assert reader.refresh() is True and reader.last_import_id() == 2
    reader.close()
    with Store(tmp_path / "new.duckdb") as fresh:
        assert fresh.is_empty() and fresh.last_import_id() == 0
        assert fresh.load_sample_if_empty()
        assert not fresh.is_empty() and fresh.is_sample() and fresh.last_import_id() == 1


@contextlib.contextmanager
def another_writer(db: Path) -> Iterator[subprocess.Popen]:
    """Another process holding the store's writer lock (a nightly `ridealong ingest`, say)
    for as long as the block runs."""
    holder = hold_writer_lock(db, 60)
    try:
        yield holder
    finally:
        holder.kill()
        holder.wait()


def hold_writer_lock(db: Path, seconds: float) -> subprocess.Popen:
    """Another process that holds the store's writer lock for `seconds`, as an import does."""
    code = (
        "import sys, time; from pathlib import Path; from dashboard.store import writer_lock\n"
        "with writer_lock(Path(sys.argv[1])):\n"
        "    print('holding', flush=True); time.sleep(float(sys.argv[2]))\n"
    )
    proc = subprocess.Popen(
        [sys.executable, "-c", code, str(db), str(seconds)], stdout=subprocess.PIPE, text=True
    )
    assert proc.stdout.readline().strip() == "holding"
    return proc


def test_a_second_writer_waits_then_gives_up_naming_the_holder(db: Path, tmp_path: Path) -> None:
    before = contents(db)
    holder = hold_writer_lock(db, 30)
    try:
        started = time.monotonic()
        result = CliRunner().invoke(
            main,
            ["ingest", str(write(tmp_path / "more.csv", MORE)), "--db", str(db), "--wait", "1"],
        )
        waited = time.monotonic() - started
        # readers are not turned away meanwhile
        assert CliRunner().invoke(main, ["imports", "--db", str(db)]).exit_code == 0
    finally:
        holder.kill()
        holder.wait()
    assert result.exit_code == 2, result.output
    assert "waiting for process" in result.stderr and "(up to 1 s)" in result.stderr
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith(f"ridealong: the store {db} is being written by process {holder.pid}")
    assert "waited 1 s" in last and "--wait SECONDS" in last
    assert 1 <= waited < 20 and "Traceback" not in result.output
    assert contents(db) == before


def test_a_second_writer_that_waits_long_enough_goes_ahead(db: Path, tmp_path: Path) -> None:
    holder = hold_writer_lock(db, 1.5)
    result = CliRunner().invoke(
        main, ["ingest", str(write(tmp_path / "more.csv", MORE)), "--db", str(db), "--wait", "60"]
    )
    holder.wait()
    assert result.exit_code == 0, result.output
    assert "waiting for process" in result.stderr
    assert state(Store(db, read_only=True))[0] == 3


def test_a_dashboard_write_says_which_process_it_waits_for_then_names_it(
    db: Path, tmp_path: Path
) -> None:
    before = contents(db)
    store = Store(db, wait=1)  # as the dashboard holds it: shared, no `waiting` of its own
    told: list[str] = []
    with another_writer(db) as holder, pytest.raises(StoreBusy) as busy:
        store_mod.locked_ingest(
            store, [write(tmp_path / "more.csv", MORE)], other_process=told.append
        )
    assert len(told) == 1 and told[0].startswith(f"process {holder.pid} (")
    assert busy.value.holder == told[0]  # what a page names in its own words
    assert store.waiting is None  # only that write was told
    store.close()
    assert contents(db) == before


def test_serve_wait_is_how_long_the_pages_writes_wait(
    db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from streamlit.web import cli as stcli

    from dashboard.views import common

    seen = []

    def started() -> int:
        seen.append(common.write_wait())
        return 0

    monkeypatch.setattr(stcli, "main", started)
    monkeypatch.delenv(store_mod.WAIT_ENV, raising=False)
    assert common.write_wait() == store_mod.DEFAULT_WAIT == 60
    for args, wait in (([], 60.0), (["--wait", "5"], 5.0), (["--wait", "0"], 0.0)):
        result = CliRunner().invoke(main, ["serve", "--db", str(db), *args])
        assert result.exit_code == 0, result.output
        assert seen.pop() == wait
    refused = CliRunner().invoke(main, ["serve", "--db", str(db), "--wait", "-1"])
    assert refused.exit_code == 2 and "--wait" in refused.output


def test_writers_in_one_process_take_turns_without_waiting_on_themselves(db: Path) -> None:
    with Store(db) as store, store.writing() as con:  # the dashboard: sessions share one Store
        con.execute("select 1")
        with store_mod.WRITE_LOCK:  # re-entrant for the writing thread
            pass
    # another Store in the same process is another writer
    with (
        pytest.raises(StoreBusy),
        Store(db, wait=0) as a,
        a.writing(),
        Store(db, wait=0) as b,
        b.writing(),
    ):
        pass


def test_a_store_held_by_another_program_fails_in_one_line(db: Path) -> None:
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, time, duckdb; c = duckdb.connect(sys.argv[1]); print('ok', flush=True);"
            " time.sleep(30)",
            str(db),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "ok"
        result = CliRunner().invoke(main, ["metrics", "--db", str(db)])
    finally:
        holder.kill()
        holder.wait()
    assert result.exit_code == 2
    assert result.stderr.startswith(f"ridealong: the store {db} is held by another program")
    assert f"process {holder.pid}" in result.stderr and len(result.stderr.splitlines()) == 1


def test_a_store_from_before_snapshots_keeps_working_with_db(tmp_path: Path) -> None:
    """--db PATH of a store written in place by an earlier Ridealong that died with its
    write-ahead log on disk: read as it is, and the next import carries everything over."""
    db = tmp_path / "old.duckdb"
    with Store(db) as store:
        store.ingest([write(tmp_path / "good.csv", GOOD)])
    code = (
        "import os, sys, duckdb; c = duckdb.connect(sys.argv[1]);"
        "c.execute(\"set checkpoint_threshold = '1TB'\");"
        "c.execute(\"update calls set team = 'North' where call_key = 'C1'\"); os._exit(0)"
    )
    subprocess.run([sys.executable, "-c", code, str(db)], check=True)
    assert db.with_name(db.name + ".wal").exists()
    with Store(db, read_only=True) as store:
        assert (
            store.cursor().execute("select team from calls where call_key = 'C1'").fetchone()[0]
            == "North"
        )
    result = CliRunner().invoke(
        main, ["ingest", str(write(tmp_path / "more.csv", MORE)), "--db", str(db)]
    )
    assert result.exit_code == 0, result.output
    assert not db.with_name(db.name + ".wal").exists()
    with Store(db, read_only=True) as store:
        teams = store.cursor().execute("select call_key, team from calls order by 1").fetchall()
    assert teams == [("C1", "North"), ("C2", None), ("C3", None)]


# ---- faults ------------------------------------------------------------------------------------


def _kill_when(proc: subprocess.Popen, ready, deadline_s: float = 120) -> bool:
    """kill -9 `proc` once ready() holds; False if it finished first."""
    deadline = time.monotonic() + deadline_s
    while not ready():
        if proc.poll() is not None:
            return False
        assert time.monotonic() < deadline
        time.sleep(0.005)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    return True


@pytest.mark.parametrize(
    "point",
    ["while validating", "while copying", "while writing", "after 0.3 s", "after 1.5 s"],
)
def test_kill_9_of_an_ingest_leaves_the_store_as_it_was(
    db: Path, tmp_path: Path, point: str
) -> None:
    # still importing 1.5 s in on a fast machine (40,000 calls took less there)
    big = big_log(tmp_path / "big.csv", 200_000)
    before = contents(db)
    proc = ridealong("ingest", str(big), "--db", str(db))
    work = db.with_name(f".{db.name}.writing-{proc.pid}")
    started = time.monotonic()

    def stage_exists() -> bool:
        return any(Path(os.environ.get("TMPDIR", "/tmp")).glob(f"ridealong-stage-{proc.pid}-*"))

    def work_growing() -> bool:
        return work.exists()

    def work_written() -> bool:  # the copy is done and DuckDB has the file open
        return work.exists() and work.stat().st_size >= db.stat().st_size and stage_exists()

    ready = {
        "while validating": stage_exists,
        "while copying": work_growing,
        "while writing": work_written,
        "after 0.3 s": lambda: time.monotonic() - started > 0.3,
        "after 1.5 s": lambda: time.monotonic() - started > 1.5,
    }[point]
    assert _kill_when(proc, ready), (
        f"the ingest finished before the kill ({point}): use a bigger file"
    )
    assert contents(db) == before  # opens, and shows exactly what it showed before
    # the next writer removes what the dead one left and works
    result = CliRunner().invoke(
        main, ["ingest", str(write(tmp_path / "more.csv", MORE)), "--db", str(db)]
    )
    assert result.exit_code == 0, result.output
    assert work_files(db) == []
    assert contents(db)[0][0] == before[0][0] + 1


def test_disk_full_while_importing_says_so_and_changes_nothing(
    db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = contents(db)
    real_copy = store_mod.shutil.copyfile

    def copy_until_full(src, dst, **kwargs):
        with open(src, "rb") as fin, open(dst, "wb") as fout:
            fout.write(fin.read(4096))  # part of it, then the disk is full
        raise OSError(28, "No space left on device", str(dst))

    monkeypatch.setattr(store_mod.shutil, "copyfile", copy_until_full)
    result = CliRunner().invoke(
        main, ["ingest", str(write(tmp_path / "more.csv", MORE)), "--db", str(db)]
    )
    monkeypatch.setattr(store_mod.shutil, "copyfile", real_copy)
    assert result.exit_code == 1
    (line,) = result.stderr.strip().splitlines()
    assert line.startswith("ridealong: No space left on device") and "nothing was written" in line
    assert contents(db) == before
    assert work_files(db) == []
    stage = Path(os.environ.get("TMPDIR", "/tmp")).glob(f"ridealong-stage-{os.getpid()}-*")
    assert list(stage) == []


def test_disk_full_while_saving_the_new_snapshot_changes_nothing(
    db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = contents(db)

    def full(con, work):
        con.close()
        raise OSError(28, "No space left on device", str(work))

    monkeypatch.setattr(store_mod, "_finish_snapshot", full)
    with Store(db) as store, pytest.raises(OSError, match="No space left"):
        store.ingest([write(tmp_path / "more.csv", MORE)])
    monkeypatch.undo()
    assert contents(db) == before and work_files(db) == []
