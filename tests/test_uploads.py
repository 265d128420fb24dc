"""dashboard/uploads.py without the page: reading, checking, scrubbing and wording uploads.

tests/data/tiny.csv holds 14 calls and 23 notes (25 rows; C6 has none): tests/expected_tiny.py
tables them.
"""

from __future__ import annotations

import errno
from pathlib import Path
from types import SimpleNamespace

import pytest

from dashboard import importer, mapping, uploads
from dashboard.store import Store
from tests import expected_tiny as ex


def upload_of(path: Path, name: str | None = None) -> uploads.Upload:
    data = path.read_bytes()
    source = SimpleNamespace(getvalue=lambda: data)
    return uploads.Upload(f"id-{path.name}", name or path.name, len(data), source)


def test_a_checked_upload_counts_its_calls_and_notes() -> None:
    tiny = upload_of(ex.TINY_CSV)
    read = uploads.read_upload(tiny)
    assert read.preview is not None and not read.problems
    check = uploads.check_uploads([tiny], mapping.Mapping(), "sig")
    assert not check.problems and check.store is not None
    assert uploads.checked_counts(check.store) == (14, 23)
    check.store.close()


def test_a_full_temp_folder_is_the_servers_problem_not_the_files(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def full(self, *args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(Store, "ingest", full)
    check = uploads.check_uploads([upload_of(ex.TINY_CSV, "log.csv")], mapping.Mapping(), "s")
    [problem] = check.problems
    assert problem.code == "server" and uploads.server_problems(check.problems) == [problem]
    assert problem.file == "log.csv"
    assert "ran out of room for temporary files" in problem.message
    assert "not at fault" in problem.message


def test_a_file_the_reader_rejects_stays_the_files_problem(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def broken(self, *args, **kwargs):
        raise ValueError("bad bytes at /tmp/ridealong-upload-12-ab/upload0.csv")

    monkeypatch.setattr(Store, "ingest", broken)
    check = uploads.check_uploads([upload_of(ex.TINY_CSV, "log.csv")], mapping.Mapping(), "s")
    [problem] = check.problems
    assert problem.code == "file" and not uploads.server_problems(check.problems)
    assert problem.message == "could not be read (bad bytes at the uploaded file)"


@pytest.mark.parametrize(
    ("exc", "lacking"),
    [
        (MemoryError(), "memory"),
        (OSError(errno.ENOSPC, "No space left on device"), "room for temporary files"),
        (OSError(errno.ENOENT, "No such file"), None),
        (ValueError("x"), None),
    ],
)
def test_server_faults_are_told_apart_by_type_and_errno(exc: Exception, lacking) -> None:
    assert uploads.server_fault(exc) == lacking


def test_scrub_replaces_the_servers_temporary_path_with_the_uploaded_file() -> None:
    message = "cannot read '/tmp/ridealong-upload-4-x1/upload0.csv': bad"
    assert uploads.scrub(message) == "cannot read 'the uploaded file': bad"


def test_the_upload_page_warns_when_the_temp_folder_is_smaller_than_the_upload_limit(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    mb = 1024 * 1024
    usage = SimpleNamespace(total=500 * mb, used=450 * mb, free=50 * mb)
    monkeypatch.setattr(uploads.shutil, "disk_usage", lambda _where: usage)
    warning = uploads.receiving_room(200, tmp_path)
    assert warning is not None and "only 50 MB free" in warning and "200 MB" in warning
    assert "AxiosError" in warning  # the browser's own words, explained
    assert uploads.receiving_room(50, tmp_path) is None


def test_problems_frame_has_no_empty_cell_a_browser_would_show_as_none() -> None:
    problems = [
        importer.Problem("a.csv", None, None, None, "is empty"),
        importer.Problem("a.csv", 3, "rep", None, "is required"),
    ]
    frame = uploads.problems_frame(problems)
    assert frame.rows() == [
        ("a.csv", "", "", "", "is empty"),
        ("a.csv", "3", "rep", "(empty)", "is required"),
    ]


def test_the_upload_page_words_a_full_server_apart_from_a_bad_file(
    app, empty_store: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    at = app(empty_store, page="views/upload.py")

    def full(self, *args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(Store, "ingest", full)
    files = [("log.csv", ex.TINY_CSV.read_bytes(), "text/csv")]
    at.file_uploader(key="upl_files").set_value(files).run()
    assert not at.exception
    errors = " ".join(e.value for e in at.error)
    assert "could not be checked: the server could not do it just now" in errors
    assert "The file is not at fault" in errors
    assert "Correct the file" not in errors  # the file's own problems are worded that way
    assert not [d for d in at.dataframe if "problem" in d.value.columns]


def _contents(store: Store) -> dict[str, list[tuple]]:
    """What an add leaves in a store, but the times: calls, notes and the imports log."""
    con = store.cursor()
    return {
        "calls": con.execute("select * from calls order by call_key").fetchall(),
        "notes": con.execute("select * from notes order by call_key, note_no").fetchall(),
        "imports": con.execute(
            "select * exclude (imported_at) from imports order by import_id"
        ).fetchall(),
    }


def _plain_ingest(tmp_path: Path, files: list[Path], used: mapping.Mapping) -> Store:
    """The shared store as a plain ingest of `files` leaves it (after first.csv)."""
    store = Store(tmp_path / "plain.duckdb")
    store.ingest([tmp_path / "first.csv"], source="upload")
    store.ingest(files, source="upload", mapping_hash=used.digest(), logged_by="ana@example.com")
    return store


@pytest.fixture
def first_rows(tmp_path: Path) -> Path:
    """tiny.csv's header and first 8 rows (calls C1-C3, whole), already in the team's store: adding
    tiny.csv then replaces 3 calls (unchanged) and adds 11."""
    path = tmp_path / "first.csv"
    path.write_text("".join(ex.TINY_CSV.read_text().splitlines(keepends=True)[:9]))
    return path


def test_adding_a_checked_upload_writes_the_checked_rows_without_reading_the_file_again(
    tmp_path: Path, first_rows: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    used = mapping.Mapping()
    content = {"data": ex.TINY_CSV.read_bytes()}
    upload = uploads.Upload("id", "tiny.csv", 1, SimpleNamespace(getvalue=lambda: content["data"]))
    check = uploads.check_uploads([upload], used, "sig")
    assert check.store is not None and not check.problems
    team = Store(tmp_path / "team.duckdb")
    team.ingest([first_rows], source="upload")

    # after the check the file changes and cannot be read or staged any more
    content["data"] = b"observation_id\n"
    monkeypatch.setattr(importer, "stage", lambda *a, **k: pytest.fail("read again"))
    result = uploads.add_uploads(team, [upload], used, logged_by="ana@example.com", check=check)
    monkeypatch.undo()

    # 14 calls in tiny.csv: C1-C3 were in the store (unchanged), 11 are new
    [written] = result.files
    assert (written.rows, written.calls, written.notes) == (25, 14, 23)
    assert (written.added, written.replaced, written.unchanged) == (11, 3, 3)
    plain = _plain_ingest(tmp_path, [ex.TINY_CSV], used)
    assert _contents(team) == _contents(plain)
    assert team.last_import_id() == 2 and team.version() == plain.version()
    check.store.close()


def test_an_upload_whose_check_is_closed_is_read_again_when_added(
    tmp_path: Path, first_rows: Path
) -> None:
    used = mapping.Mapping()
    upload = upload_of(ex.TINY_CSV, "tiny.csv")
    check = uploads.check_uploads([upload], used, "sig")
    assert check.store is not None
    check.store.close()  # the session was left (common.keep_for_session)
    team = Store(tmp_path / "team.duckdb")
    team.ingest([first_rows], source="upload")
    result = uploads.add_uploads(team, [upload], used, logged_by="ana@example.com", check=check)
    assert (result.added, result.replaced) == (11, 3)
    assert _contents(team) == _contents(_plain_ingest(tmp_path, [ex.TINY_CSV], used))


def test_two_files_sharing_calls_are_added_as_a_plain_ingest_adds_them(
    tmp_path: Path, first_rows: Path
) -> None:
    # first.csv's 3 calls are in tiny.csv too: the check keeps only tiny.csv's version of
    # them, so the add reads both files again (their counts must be the plain ingest's)
    used = mapping.Mapping()
    pair = [upload_of(first_rows, "first.csv"), upload_of(ex.TINY_CSV, "tiny.csv")]
    check = uploads.check_uploads(pair, used, "sig")
    assert check.store is not None and not check.problems
    team = Store(tmp_path / "team.duckdb")
    team.ingest([first_rows], source="upload")
    result = uploads.add_uploads(team, pair, used, logged_by="ana@example.com", check=check)
    plain = _plain_ingest(tmp_path, [first_rows, ex.TINY_CSV], used)
    assert [(f.added, f.replaced) for f in result.files] == [(0, 3), (11, 3)]
    assert _contents(team) == _contents(plain)
    check.store.close()
