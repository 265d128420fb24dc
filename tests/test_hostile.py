"""Hostile input (issue 18): the corpus in tests/data/hostile/ and files made here (a file of
NUL bytes, a 3 MB line, a million columns, a named pipe, a device, glob characters in names)
through `metrics`, `ingest`, `report` and the Upload page: each gives its exit status and a
one-line message naming the file (and line and column when there is one), in bounded time,
and the store is unchanged. Then scratch folders, signals, store errors and atomic outputs.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from dashboard import importer
from dashboard import store as store_mod
from dashboard.cli import main
from dashboard.store import Store

HOSTILE = Path(__file__).parent / "data" / "hostile"
SECONDS = 240  # a hang bound: each file takes seconds at most (generous: a loaded machine)
HEADER = "observed_on,manager,rep,manager_action,behavior,polarity,deal_value\n"


def _big(name: str, tmp: Path) -> Path:
    path = tmp / name
    if name == "nul_bytes.csv":
        path.write_bytes(b"\x00" * 100_000)
    elif name == "long_line.csv":
        path.write_text(HEADER + "2026-02-02," + "x" * 3_000_000 + ",Ana,observed,,,\n")
    elif name == "million_columns.csv":
        path.write_text(",".join(f"c{i}" for i in range(1_000_000)) + "\n")
    elif name == "named_pipe.csv":
        os.mkfifo(path)
    elif name == "device.csv":
        path.symlink_to("/dev/zero")
    elif name == "br[a].csv":  # `bra.csv` beside it must not be read instead
        (tmp / "bra.csv").write_text(HEADER + "2026-02-02,Maria,Ana,observed,,,\n")
        path.write_text("nothing,useful\n1,2\n")
    else:
        raise AssertionError(name)
    return path


# (file, line, what the message must say). Lines worked out from the files (header = line 1).
CASES = [
    ("nul_in_name.csv", 3, "manager: 'Ma\\x00ria' has a control character"),
    ("years_1_and_9999.csv", 2, "observed_on: '0001-02-02' is outside the years 1900–2100"),
    ("years_1_and_9999.csv", 3, "observed_on: '9999-12-31' is outside the years 1900–2100"),
    ("hour_25.csv", 2, "observed_on: '2026-02-02T25:99' is not a date"),
    ("mixed_encodings.csv", 3, "but line 2 is: the file mixes two encodings"),
    ("utf16.csv", None, "is UTF-16 text; accepted: text in UTF-8"),
    ("amount_commas.csv", 2, "deal_value: '$1,2,3' is not an amount"),
    ("amount_400_digits.csv", 2, "deal_value: '999999999"),
    ("not_parquet.parquet", None, "cannot be read as Parquet"),
    (
        "debrief_disagrees.csv",
        3,
        "disagrees with line 2 of the same call (observation_id 'C1', which says 'no')",
    ),
    ("nul_bytes.csv", 1, "has a NUL byte at character 1: a binary file, not CSV text"),
    ("long_line.csv", None, "a record may be at most 2,000,000 bytes"),
    ("million_columns.csv", None, "a record may be at most 2,000,000 bytes"),
    ("named_pipe.csv", None, "is a named pipe, not a file"),
    ("device.csv", None, "is a device, not a file"),
    ("br[a].csv", 1, "missing required column 'observed_on' (headers found: 'nothing', 'useful')"),
]
BIG = {
    "nul_bytes.csv",
    "long_line.csv",
    "million_columns.csv",
    "named_pipe.csv",
    "device.csv",
    "br[a].csv",
}


def hostile(name: str, tmp: Path) -> Path:
    return _big(name, tmp) if name in BIG else HOSTILE / name


def expected_line(name: str, line: int | None, message: str) -> str:
    shown = Path(name).name
    return f"{shown}:{line}: " if line is not None else f"{shown}: "


@pytest.fixture
def base_store(tmp_path: Path) -> Path:
    db = tmp_path / "store.duckdb"
    with Store(db) as s:
        s.ingest([HOSTILE / "ok_base.csv"])
    return db


def contents(db: Path) -> tuple:
    with Store(db, read_only=True) as s:
        return contents_of(s)


def contents_of(s: Store) -> tuple:
    return (
        s.cursor()
        .execute(
            "select (select count(*) from calls), (select count(*) from notes), "
            "(select count(*) from imports), (select value from meta where key = 'version'), "
            "(select string_agg(manager || '/' || rep, ',' order by call_key) from calls)"
        )
        .fetchone()
    )


def run(*args: str) -> tuple[int, str, str, float]:
    started = time.perf_counter()
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.stdout, result.stderr, time.perf_counter() - started


@pytest.mark.parametrize(("name", "line", "message"), CASES, ids=[f"{c[0]}:{c[1]}" for c in CASES])
def test_metrics_refuses_a_hostile_file_with_one_located_line(
    tmp_path: Path, name: str, line: int | None, message: str
) -> None:
    path = hostile(name, tmp_path)
    code, out, err, seconds = run("metrics", str(path), "--json")
    assert code == 2, err
    assert out == ""
    assert any(
        row.startswith(expected_line(name, line, message)) and message in row
        for row in err.splitlines()
    ), err
    assert "Traceback" not in err
    assert max(len(row) for row in err.splitlines()) < 600  # never megabytes of escapes
    assert seconds < SECONDS


@pytest.mark.parametrize(("name", "line", "message"), CASES, ids=[f"{c[0]}:{c[1]}" for c in CASES])
def test_ingest_refuses_a_hostile_file_and_the_store_is_unchanged(
    tmp_path: Path, base_store: Path, name: str, line: int | None, message: str
) -> None:
    before = contents(base_store)
    path = hostile(name, tmp_path)
    code, _out, err, seconds = run("ingest", str(path), "--db", str(base_store))
    assert code == 2, err
    assert message in err and "nothing was written" in err
    assert seconds < SECONDS
    assert contents(base_store) == before
    # and the review still renders from the untouched store
    out = tmp_path / "review.html"
    code, _out, err, _ = run("report", "--db", str(base_store), "--out", str(out))
    assert code == 0, err
    assert out.read_text().startswith("<!")


def test_a_file_with_markdown_and_html_in_names_imports_and_reports_as_text(
    tmp_path: Path, base_store: Path
) -> None:
    code, _out, err, _ = run("ingest", str(HOSTILE / "markdown_names.csv"), "--db", str(base_store))
    assert code == 0, err
    out = tmp_path / "review.html"
    code, _out, err, _ = run(
        "report", "--db", str(base_store), "--quarter", "2026-Q1", "--out", str(out)
    )
    assert code == 0, err
    html = out.read_text()
    assert "<script>alert(1)" not in html and 'href="https://evil' not in html
    assert 'src="http://evil' not in html


def test_a_glob_in_a_file_name_reads_that_file_only(tmp_path: Path, base_store: Path) -> None:
    (tmp_path / "bra.csv").write_text(HEADER + "2026-03-03,Zed,Zoe,observed,,,\n")
    wanted = tmp_path / "br[a].csv"
    wanted.write_text(HEADER + "2026-03-04,Maria,Ana,observed,,,\n")
    code, _out, err, _ = run("ingest", str(wanted), "--db", str(base_store))
    assert code == 0, err
    assert "Zed" not in contents(base_store)[4]
    star = tmp_path / "x*.csv"  # was a traceback
    code, _out, err, _ = run("metrics", str(star))
    assert code == 2 and "does not exist" in err and "Traceback" not in err


# ---- dates, amounts, messages --------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "ok"),
    [
        ("1900-01-01", True),
        ("2100-12-31", True),
        ("1899-12-31", False),
        ("2101-01-01", False),
        ("2026-02-02T23:59:59Z", True),
        ("2026-02-02 00:00", True),
        ("3/2/2026 12:59 PM", True),
        ("3/2/2026 13:00 PM", False),
        ("2026-02-02T24:00", False),
        ("2026-02-02T12:60", False),
        ("2026-02-02T12:00:61", False),
        ("2026-02-02T12:00+25:00", False),
    ],
)
def test_dates_are_years_1900_to_2100_with_a_real_time_of_day(
    tmp_path: Path, value: str, ok: bool
) -> None:
    path = tmp_path / "d.csv"
    path.write_text(HEADER + f"{value},Maria,Ana,observed,,,\n")
    code, _out, err, _ = run("metrics", str(path), "--json")
    assert (code == 0) == ok, err


@pytest.mark.parametrize(
    ("amount", "stored"),
    [
        ("12500", 12500.0),
        ("$12,500.00", 12500.0),
        ("1,234,567", 1234567.0),
        ("-3", -3.0),
        ("$1,2,3", None),
        ("12,50", None),
        ("1e309", None),
        ("9" * 16, None),
    ],
)
def test_amounts_are_numbers_with_commas_only_between_thousands(
    amount: str, stored: float | None, tmp_path: Path
) -> None:
    path = tmp_path / "a.csv"
    path.write_text(HEADER + f'2026-02-02,Maria,Ana,observed,,,"{amount}"\n')
    s = Store(None)
    if stored is None:
        with pytest.raises(importer.ImportFailed, match="is not an amount"):
            s.ingest([path])
    else:
        s.ingest([path])
        assert s.cursor().execute("select deal_value from calls").fetchone()[0] == stored


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["metrics", "--start", "2026-05-01", "--end", "2026-04-01"],
            "--start 2026-05-01 is after",
        ),
        (["imports", "--limit", "-1"], "Invalid value for '--limit'"),
        (["serve", "--port", "99999"], "Invalid value for '--port'"),
        (["report", "--quarter", "0000-Q1", "--out", "x.html"], "years 1900–2100 are accepted"),
        (["ingest", "--db", "", "x.csv"], "is empty or a folder"),
    ],
)
def test_bad_options_give_one_line_and_exit_2(
    base_store: Path, tmp_path: Path, args: list[str], message: str
) -> None:
    (tmp_path / "x.csv").write_text(HEADER)
    if "--db" not in args:
        args = [*args[:1], "--db", str(base_store), *args[1:]] if args[0] != "serve" else args
    cwd = os.getcwd()
    os.chdir(tmp_path)
    try:
        code, _out, err, _ = run(*args)
    finally:
        os.chdir(cwd)
    assert code == 2, err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("ridealong: ") and message in lines[0], err


@pytest.mark.parametrize(
    "content",
    [b"this is not a database\n" * 100, bytes(range(256)) * 64, None],
    ids=["text", "random bytes", "truncated store"],
)
def test_a_store_that_is_not_a_store_gives_one_line(
    base_store: Path, tmp_path: Path, content: bytes | None
) -> None:
    db = tmp_path / "bad.duckdb"
    if content is None:
        data = base_store.read_bytes()
        db.write_bytes(data[: len(data) // 3])
    else:
        db.write_bytes(content)
    for args in (
        ["metrics", "--db", str(db)],
        ["ingest", str(HOSTILE / "ok_base.csv"), "--db", str(db)],
    ):
        code, _out, err, _ = run(*args)
        assert code == 1, err
        lines = err.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("ridealong: "), err


def test_a_store_that_cannot_be_written_gives_one_line(base_store: Path) -> None:
    if os.geteuid() == 0:
        pytest.skip("root writes read-only files")
    base_store.chmod(0o444)
    code, _out, err, _ = run("ingest", str(HOSTILE / "ok_base.csv"), "--db", str(base_store))
    assert code == 1 and err.startswith("ridealong: ") and len(err.strip().splitlines()) == 1


def test_report_and_sample_replace_their_output_whole_or_not_at_all(
    base_store: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from dashboard import quarterly
    from dashboard import sample as sample_mod

    out = tmp_path / "review.html"
    out.write_text("the earlier good review")

    def full_disk(*_args, **_kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(quarterly, "render_html", lambda review: "x" * 1000)
    monkeypatch.setattr(
        Path,
        "write_bytes",
        lambda self, data: (_ for _ in ()).throw(OSError(28, "No space left on device")),
    )
    code, _out, err, _ = run(
        "report", "--db", str(base_store), "--quarter", "2026-Q1", "--out", str(out)
    )
    monkeypatch.undo()
    assert code == 1 and "No space left on device" in err and "nothing was written" in err
    assert out.read_text() == "the earlier good review"
    monkeypatch.setattr(sample_mod, "write", full_disk)
    sample = tmp_path / "s.csv"
    code, _out, err, _ = run("sample", "--calls", "5", "--out", str(sample))
    assert code == 1 and "No space left on device" in err
    assert not sample.exists()
    # (the store's hidden lock file and previous snapshot are the store's own)
    visible = sorted(p.name for p in tmp_path.iterdir() if not p.name.startswith("."))
    assert visible == ["review.html", "store.duckdb"]


# ---- scratch folders and signals --------------------------------------------------------------


def test_scratch_of_a_dead_process_is_removed_and_a_live_ones_kept(tmp_path: Path) -> None:
    dead = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        capture_output=True,
        text=True,
        check=True,
    )
    dead_pid = int(dead.stdout)
    stale = tmp_path / f"ridealong-stage-{dead_pid}-abc"
    live = tmp_path / f"ridealong-upload-{os.getpid()}-def"
    other = tmp_path / "ridealong-stage-notapid"
    for folder in (stale, live, other):
        folder.mkdir()
        (folder / "stage.duckdb").write_bytes(b"x" * 10)
    assert store_mod.remove_stale_scratch(tmp_path) == [stale]
    assert not stale.exists() and live.exists() and other.exists()


def _own_scratch() -> set[str]:
    return {p.name for p in Path(tempfile.gettempdir()).glob("ridealong-stage-*")}


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGHUP])
def test_a_signal_during_ingest_rolls_back_and_removes_the_scratch(
    tmp_path: Path, base_store: Path, signum: int
) -> None:
    """A log big enough to take a few seconds; the signal arrives while it is being read."""
    big = tmp_path / "big.csv"
    row = "2026-02-{d:02d},Manager {m},Rep {r},observed,Asked good questions,praise,100\n"
    with big.open("w") as f:
        f.write(HEADER)
        for i in range(400_000):
            f.write(row.format(d=i % 28 + 1, m=i % 7, r=i % 301))
    before = contents(base_store)
    proc = subprocess.Popen(
        [sys.executable, "-m", "dashboard.cli", "ingest", str(big), "--db", str(base_store)],
        stderr=subprocess.PIPE,
        text=True,
    )
    mine = f"ridealong-stage-{proc.pid}-"
    deadline = time.monotonic() + 60
    while not any(n.startswith(mine) for n in _own_scratch()) and proc.poll() is None:
        assert time.monotonic() < deadline
        time.sleep(0.02)
    proc.send_signal(signum)
    _out, err = proc.communicate(timeout=60)
    if proc.returncode == 0:
        pytest.skip("the ingest finished before the signal arrived")
    assert proc.returncode == 128 + signum, err
    assert f"stopped by {signal.Signals(signum).name}" in err and "Traceback" not in err
    assert not any(n.startswith(mine) for n in _own_scratch())
    assert contents(base_store) == before


# ---- the Upload page ----------------------------------------------------------------------------

UPLOAD_CASES = [c for c in CASES if c[0] not in {"named_pipe.csv", "device.csv", "br[a].csv"}]


@pytest.mark.parametrize(
    ("name", "line", "message"), UPLOAD_CASES, ids=[f"{c[0]}:{c[1]}" for c in UPLOAD_CASES]
)
def test_the_upload_page_lists_the_problem_of_a_hostile_file_and_writes_nothing(
    app, base_store: Path, tmp_path: Path, name: str, line: int | None, message: str
) -> None:
    data = hostile(name, tmp_path).read_bytes()
    before = contents(base_store)
    at = app(base_store, page="views/upload.py")
    started = time.perf_counter()
    at.file_uploader(key="upl_files").set_value([(name, data, "text/csv")]).run()
    assert time.perf_counter() - started < SECONDS
    assert not at.exception, at.exception
    frame = next(d.value for d in at.dataframe if "problem" in d.value.columns)
    rows = [
        f"{r.column + ': ' if isinstance(r.column, str) else ''}"
        f"{repr(r.value) + ' ' if isinstance(r.value, str) else ''}{r.problem}"
        for r in frame.itertuples()
    ]
    key = message.split(": ", 1)[-1] if ": '" not in message else message.split("' ", 1)[-1]
    assert any(key in row for row in rows), rows
    assert all(len(r) < 2000 for r in rows)
    assert "add" not in [b.key for b in at.button if b.key == "upl_add"]
    from dashboard.views import common

    # the page's own connection to the store (a second one in this process would conflict)
    assert contents_of(common.team_store(str(base_store))) == before
