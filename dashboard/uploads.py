"""Uploads, without Streamlit: read each uploaded file once, check the mapping as a whole, check
the rows into an in-memory store (what Explore shows), add them to the team's store, and word
the problems. views/upload.py only draws these; the tests call them directly.

A fault of the server (its temporary folder full, out of memory) is a problem with code
"server", worded apart from the file's own problems: the file need not change.
"""

from __future__ import annotations

import dataclasses
import errno
import hashlib
import json
import re
import shutil
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import polars as pl

from dashboard import formatting, importer, mapping, metrics
from dashboard.store import (
    IngestResult,
    Store,
    drop_scratch,
    locked_ingest,
    new_scratch,
    write_turn,
)


@dataclass(frozen=True)
class Upload:
    file_id: str
    name: str
    size: int
    source: Any  # the UploadedFile; its bytes are copied only when needed

    @property
    def data(self) -> bytes:
        return self.source.getvalue()


@dataclass
class Read:
    """One uploaded file read once: its content hash, and its preview and columns (the values
    of its first mapping.PROFILE_ROWS rows) or why it cannot be read."""

    digest: str
    preview: importer.Preview | None
    problems: list[importer.Problem]
    columns: list[mapping.Column] = field(default_factory=list)


@dataclass
class Check:
    """The uploaded files checked with the current mapping: first the mapping as a whole
    (`open`: required columns without one, answers without a value), and only when nothing is
    open the rows, into an in-memory store or a list of problems."""

    signature: str
    store: Store | None
    result: IngestResult | None
    problems: list[importer.Problem]
    steps: list[tuple[str, float]] = field(default_factory=list)
    open: list[mapping.Choice] = field(default_factory=list)

    @property
    def rows_checked(self) -> bool:
        return not self.open

    def expired(self) -> bool:
        """Its store was closed after the session was left (common.keep_for_session)."""
        return self.store is not None and self.store.closed


class Steps:
    """Progress for st.status: a bar, and how long each step took."""

    def __init__(self, bar: Any):
        self.bar = bar
        self.steps: list[tuple[str, float]] = []
        self._last = time.perf_counter()

    def restart(self) -> None:
        self._last = time.perf_counter()

    def mark(self, label: str, fraction: float | None = None) -> None:
        now = time.perf_counter()
        self.steps.append((label, now - self._last))
        self._last = now
        if fraction is not None:
            self.bar.progress(min(max(fraction, 0.0), 1.0), text=formatting.plain(label))

    def ingest_progress(self, written: str, start: float, span: float) -> Callable:
        """A Store.ingest progress callback, its fractions placed in [start, start + span]."""

        def progress(message: str, fraction: float) -> None:
            label = written if message == "written" else re.sub("^validated ", "checked ", message)
            self.mark(label, start + span * fraction)

        return progress


def _suffix(name: str) -> str:
    suffix = Path(name).suffix.lower()
    return suffix if re.fullmatch(r"\.[a-z0-9]{1,10}", suffix) else ""


TEMP_PREFIX = "ridealong-upload-"  # store.new_scratch("upload") folders: ridealong-upload-<pid>-...
_TEMP_REST = re.compile(r"[^/\s'\"]+(?:/upload\d+(?:\.[a-z0-9]+)?)?", re.IGNORECASE)
_PATH_STOP = frozenset(" \t\n\r\f\v'\"")


def scrub(text: str) -> str:
    """A reader's message without the server's temporary path (the problem names the file).

    Linear in the text: a problem message can be megabytes (a file of NUL bytes), so no
    pattern here may rescan it; each path is found by its fixed prefix, then walked out."""
    out: list[str] = []
    done = 0
    while (at := text.find(TEMP_PREFIX, done)) >= 0:
        start = at
        while start > done and text[start - 1] not in _PATH_STOP:
            start -= 1  # back to where the path begins (never past the last replacement)
        rest = _TEMP_REST.match(text, at + len(TEMP_PREFIX))
        end = rest.end() if rest else at + len(TEMP_PREFIX)
        out += [text[done:start], "the uploaded file"]
        done = end
    out.append(text[done:])
    return "".join(out)


@contextmanager
def temp_files(uploads: Sequence[Upload]) -> Iterator[list[Path]]:
    """Each upload as a temporary file with its original suffix (never its name); all removed
    afterwards, whatever happens (a folder left by a killed server goes at the next start)."""
    folder = new_scratch("upload")
    try:
        paths = []
        for number, upload in enumerate(uploads):
            path = folder / f"upload{number}{_suffix(upload.name)}"
            path.write_bytes(upload.data)
            paths.append(path)
        try:
            yield paths
        except importer.ImportFailed as exc:
            raise importer.ImportFailed(
                [dataclasses.replace(p, message=scrub(p.message)) for p in exc.problems]
            ) from None
    finally:
        drop_scratch(folder)


def read_upload(upload: Upload) -> Read:
    data = upload.data
    digest = hashlib.sha256(data).hexdigest()
    try:
        with temp_files([upload]) as (path,):
            preview = importer.preview(path, mapping.PROFILE_ROWS, display_name=upload.name)
    except importer.ImportFailed as exc:
        return Read(digest, None, exc.problems)
    return Read(digest, preview, [], mapping.columns_of(preview.headers, preview.first))


def check_mapping(
    uploads: Sequence[Upload], reads: dict[str, Read], used: mapping.Mapping
) -> tuple[list[mapping.Choice], list[importer.Problem]]:
    """The mapping checked as a whole against every readable file, before any row: what is
    still open (a required column without one, an answer without a value) and the header
    problems (two columns read as one field)."""
    choices: list[mapping.Choice] = []
    problems: list[importer.Problem] = []
    for upload in uploads:
        read = reads[upload.file_id]
        if read.preview is None:
            continue
        for choice in mapping.open_choices(read.columns, used):
            if choice not in choices:
                choices.append(choice)
        _fields, header_problems = mapping.fields_of(read.preview.headers, used)
        problems += [
            importer.Problem(upload.name, 1, None, None, t, "header") for t in header_problems
        ]
        advice = mapping.titles_below(read.preview.headers, read.preview.first)
        if advice:  # a two-row header: no mapping helps, the file must change
            problems.append(importer.Problem(upload.name, 1, None, None, advice, "header"))
    return choices, problems


# what the server ran out of, by errno: no fault of the file
_SERVER_ERRNOS = {
    errno.ENOSPC: "room for temporary files",
    errno.EDQUOT: "disk quota for temporary files",
    errno.ENOMEM: "memory",
}


def server_fault(exc: BaseException) -> str | None:
    """What the server ran out of when `exc` is the server's fault ('memory', 'room for
    temporary files'), else None."""
    if isinstance(exc, MemoryError | duckdb.OutOfMemoryException):
        return "memory"
    if isinstance(exc, OSError) and exc.errno in _SERVER_ERRNOS:
        return _SERVER_ERRNOS[exc.errno]
    return None


def _unexpected(uploads: Sequence[Upload], exc: Exception) -> importer.Problem:
    names = ", ".join(u.name for u in uploads)
    lacking = server_fault(exc)
    if lacking is not None:
        message = (
            f"could not be checked: the server ran out of {lacking}. The file is not at fault: "
            "try again later, or ask whoever runs Ridealong to free some"
        )
        return importer.Problem(names, None, None, None, message, "server")
    text = scrub(str(exc)).strip()
    reason = text.splitlines()[0] if text else type(exc).__name__
    return importer.Problem(names, None, None, None, f"could not be read ({reason})")


def server_problems(problems: Sequence[importer.Problem]) -> list[importer.Problem]:
    """The problems that are the server's, not the file's (Problem.code "server")."""
    return [p for p in problems if p.code == "server"]


def checked_counts(store: Store) -> tuple[int, int]:
    """(calls, notes) in a checked upload's store: queries/store_counts.sql."""
    row = metrics.run(store.con, "store_counts").row(0, named=True)
    return row["calls"], row["notes"]


def receiving_room(limit_mb: int, folder: Path | None = None) -> str | None:
    """A warning when the server's temporary folder has less free space than the largest file
    it accepts (server.maxUploadSize): the browser would upload such a file and get an error
    500 back ("AxiosError: Request failed with status code 500") with no word of why."""
    where = folder or Path(tempfile.gettempdir())
    try:
        free_mb = shutil.disk_usage(where).free // (1024 * 1024)
    except OSError:
        return None
    if free_mb >= limit_mb:
        return None
    return (
        f"The server has only {free_mb:,} MB free for receiving files (its temporary folder), "
        f"less than the {limit_mb:,} MB a file may have: a larger file stops with an error "
        "(“AxiosError … 500”) — the file is not at fault. Whoever runs Ridealong can free space "
        "there, or point TMPDIR at a larger disk before `ridealong serve`."
    )


def check_uploads(
    uploads: Sequence[Upload],
    used: mapping.Mapping,
    signature: str,
    progress: Callable[[str, float], None] | None = None,
) -> Check:
    """Validate the uploads into a fresh in-memory store: the copy that Explore shows."""
    store = Store(None)
    try:
        with temp_files(uploads) as paths:
            result = store.ingest(paths, **_ingest_options(uploads, used, progress))
    except importer.ImportFailed as exc:
        store.close()
        return Check(signature, None, None, exc.problems)
    except Exception as exc:  # a user's file must never give a traceback
        store.close()
        return Check(signature, None, None, [_unexpected(uploads, exc)])
    return Check(signature, store, result, [])


def add_uploads(
    store: Store,
    uploads: Sequence[Upload],
    used: mapping.Mapping,
    progress: Callable[[str, float], None] | None = None,
    waiting: Callable[[bool], None] | None = None,
    logged_by: str | None = None,
    check: Check | None = None,
    other_process: Callable[[str], None] | None = None,
) -> IngestResult:
    """All-or-nothing upsert into the shared store, one session at a time (see locked_ingest),
    recorded in the imports log with `logged_by` (the signed-in email, when there is one).
    `waiting` and `other_process` are told of waits, as locked_ingest tells them.

    With a `check` of these uploads that still holds its store, the rows it checked are
    written (Store.ingest_checked): the files are not read or checked again. Otherwise (its
    store was closed, or one file replaced calls of another) they are ingested afresh.
    Raises importer.ImportFailed (nothing written)."""
    reusable = check is not None and check.result is not None and check.store is not None
    if reusable and not check.expired():
        with write_turn(waiting), store.telling_waits(other_process):
            try:
                return store.ingest_checked(
                    check.store,
                    check.result,
                    source="upload",
                    mapping_hash=used.digest(),
                    logged_by=logged_by,
                    progress=progress,
                )
            except ValueError:
                pass  # the checked store lacks some file's own rows: read them again
    with temp_files(uploads) as paths:
        return locked_ingest(
            store,
            paths,
            waiting=waiting,
            other_process=other_process,
            logged_by=logged_by,
            **_ingest_options(uploads, used, progress),
        )


def _ingest_options(
    uploads: Sequence[Upload],
    used: mapping.Mapping,
    progress: Callable[[str, float], None] | None,
) -> dict[str, Any]:
    """How Store.ingest reads uploads with this mapping: the same for the check and the add."""
    return {
        "dayfirst": used.dayfirst,
        "source": "upload",
        "display_names": [u.name for u in uploads],
        "header_overrides": used.header_overrides(),
        "value_overrides": used.value_overrides(),
        "progress": progress,
        "mapping_hash": used.digest(),
    }


def signature(uploads: Sequence[Upload], reads: dict[str, Read], used: mapping.Mapping) -> str:
    doc = {
        "files": [[u.name, reads[u.file_id].digest] for u in uploads],
        "mapping": used.document(),
    }
    return hashlib.sha256(json.dumps(doc, sort_keys=True).encode()).hexdigest()


def problems_frame(problems: Sequence[importer.Problem]) -> pl.DataFrame:
    """The problems as a table with no empty cell a browser would show as "None": a problem
    of the whole file has no line or column, a required cell left empty says "(empty)"."""
    rows = [
        {
            "file": p.file,
            "line": "" if p.line is None else str(p.line),
            "column": p.column or "",
            "value": p.value if p.value is not None else ("(empty)" if p.column else ""),
            "problem": p.message,
        }
        for p in problems
    ]
    return pl.DataFrame(
        rows,
        schema={n: pl.String for n in ("file", "line", "column", "value", "problem")},
        orient="row",
    )


def problems_csv_frame(problems: Sequence[importer.Problem]) -> pl.DataFrame:
    """The problems as downloaded: a line is a number, an empty cell is empty."""
    return pl.DataFrame(
        [p.as_dict() for p in problems],
        schema={
            "file": pl.String,
            "line": pl.Int64,
            "column": pl.String,
            "value": pl.String,
            "problem": pl.String,
        },
        orient="row",
    )
