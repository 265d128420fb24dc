"""What the CLI says is true: `metrics FILE` reads (stores nothing), an unknown filter value is
an error naming what exists, a backwards date range is an error, and a failed ingest leaves no
store file behind. tests/data/tiny.csv: 25 rows, 14 calls, 23 notes; teams North and South,
and a call without a team; managers Maria and Tom; reps Ana, Ben and Cleo (see
tests/expected_tiny.py)."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from dashboard.cli import main
from tests import expected_tiny as ex


def run(*args: str):
    return CliRunner().invoke(main, [str(a) for a in args])


def test_metrics_on_files_says_the_calls_were_read_not_added() -> None:
    result = run("metrics", ex.TINY_CSV, "--json")
    assert result.exit_code == 0, result.output
    assert "tiny.csv: 25 rows, 14 calls, 23 notes read (nothing is stored)" in result.stderr
    assert "added" not in result.stderr and "replaced" not in result.stderr


@pytest.mark.parametrize(
    ("option", "value", "named"),
    [
        ("--team", "Nowhere", "teams in the data: '' (no team), 'North', 'South'"),
        ("--manager", "Nobody", "managers in the data: 'Maria', 'Tom'"),
        ("--rep", "Zed", "reps in the data: 'Ana', 'Ben', 'Cleo'"),
    ],
)
def test_metrics_with_an_unknown_filter_value_names_what_exists(
    tmp_path: Path, option: str, value: str, named: str
) -> None:
    result = run("metrics", ex.TINY_CSV, option, value)
    assert result.exit_code == 2
    assert result.stdout == ""
    assert f"unknown {option.removeprefix('--')} '{value}'" in result.stderr
    assert named in result.stderr
    # the same from a store
    db = tmp_path / "s.duckdb"
    assert run("ingest", ex.TINY_CSV, "--db", db).exit_code == 0
    result = run("metrics", "--db", db, option, value, "--json")
    assert result.exit_code == 2 and result.stdout == ""
    assert named in result.stderr


def test_metrics_with_a_known_filter_value_still_works() -> None:
    result = run("metrics", ex.TINY_CSV, "--team", "North", "--rep", "Ana", "--json")
    assert result.exit_code == 0, result.output
    # Ana's calls are all North's: C1 C4 C9 C10 C12 C13
    assert '"calls": 6' in result.stdout


def test_metrics_with_start_after_end_is_an_error() -> None:
    result = run("metrics", ex.TINY_CSV, "--start", "2026-04-01", "--end", "2026-03-01")
    assert result.exit_code == 2
    assert result.stdout == ""
    assert "--start 2026-04-01 is after --end 2026-03-01" in result.stderr
    assert (
        run("metrics", ex.TINY_CSV, "--start", "2026-03-01", "--end", "2026-03-01").exit_code == 0
    )


def test_a_failed_ingest_leaves_no_store_file(tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text(
        "observed_on,manager,rep,manager_action\n2026-02-30,Dana,Eli,observed\n", encoding="utf-8"
    )
    db = tmp_path / "new" / "store.duckdb"
    result = run("ingest", bad, "--db", db)
    assert result.exit_code == 2
    assert "nothing was written" in result.stderr
    assert not db.exists()
    assert list(tmp_path.glob("new/*")) == []


def test_a_failed_ingest_into_an_existing_store_keeps_it(tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text(
        "observed_on,manager,rep,manager_action\n2026-02-30,Dana,Eli,observed\n", encoding="utf-8"
    )
    db = tmp_path / "store.duckdb"
    assert run("ingest", ex.TINY_CSV, "--db", db).exit_code == 0
    assert run("ingest", bad, "--db", db).exit_code == 2
    result = run("metrics", "--db", db, "--json")
    assert '"calls": 14' in result.stdout


def test_serve_imports_what_the_pages_import_before_the_server_starts(tmp_path: Path) -> None:
    """Sessions run their pages in threads: two first runs importing pandas at once let
    Altair see it half imported, and the first visitors after a start got an error page
    ("partially initialized module 'pandas' has no attribute 'Timestamp'"). In a fresh
    process (this one has imported everything already), with the server itself stubbed."""
    import subprocess
    import sys

    code = (
        "import sys\n"
        "from streamlit.web import cli as stcli\n"
        "from dashboard.cli import PAGE_IMPORTS, main\n"
        "before = [n for n in PAGE_IMPORTS if n in sys.modules]\n"
        "def started():\n"
        "    print('before', before)\n"
        "    print('at start', [n for n in PAGE_IMPORTS if n not in sys.modules])\n"
        "    return 0\n"
        "stcli.main = started\n"
        "main(['serve', '--db', sys.argv[1]])\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code, str(tmp_path / "team.duckdb")],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 0, out.stderr[-2000:]
    assert "before []" in out.stdout  # nothing of them was imported by the command itself
    assert "at start []" in out.stdout  # every one imported when the server starts


def test_serve_runs_streamlit_as_a_product_not_a_notebook() -> None:
    from dashboard.cli import streamlit_flags

    flags = streamlit_flags()
    assert "--client.toolbarMode=minimal" in flags  # no Deploy button
    assert "--client.showErrorDetails=none" in flags  # no tracebacks for visitors
    assert "--server.runOnSave=false" in flags
    assert "--server.fileWatcherType=none" in flags  # no module imported afresh mid-session
    # no full garbage collection after each run: a third of the server's CPU per filter change
    assert "--runner.postScriptGC=false" in flags
    from streamlit import config

    for flag in flags:  # every option is one this Streamlit knows (a misspelt one is ignored)
        config.get_option(flag.removeprefix("--").partition("=")[0])
