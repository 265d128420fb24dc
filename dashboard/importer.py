"""Observation-log files -> validated, normalised calls and notes, or a list of precise problems.

Strict about meaning, forgiving about format. A file is read as text (every cell a string) with
positional columns (c0, c1, ...), so nothing a user typed ever becomes SQL; headers and values are
matched against the accepted vocabulary below, and every problem in the file is collected in one
pass with its file, line, column, value and what is accepted. A CSV is typed straight from the
file into the caller's staging database (see stage()); its raw text is read again only when
there are problems to describe.

Line numbers: the header is line 1. For CSV they are physical line numbers (a quoted cell that
spans lines moves the following rows down); for XLSX the sheet's row number; for Parquet the
row's position plus one, as if it had a header line.
"""

from __future__ import annotations

import contextlib
import csv
import datetime as dt
import errno
import functools
import os
import re
import stat
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

import duckdb

from dashboard.resources import queries_dir

Result = TypeVar("Result")

# field -> required?
FIELDS: dict[str, bool] = {
    "observation_id": False,
    "observed_on": True,
    "manager": True,
    "rep": True,
    "team": False,
    "planned_role": False,
    "manager_action": True,
    "debrief": False,
    "behavior": False,
    "polarity": False,
    # a form's two free-text questions: each answer is a note of its own on the row's call
    "went_well": False,  # praise
    "to_fix": False,  # criticism
    "severity": False,
    "category": False,
    "deal": False,
    "deal_value": False,
    "outcome": False,
}

HEADER_ALIASES: dict[str, str] = {
    "call_id": "observation_id",
    "observation": "observation_id",
    "meeting_id": "observation_id",
    "id": "observation_id",
    "date": "observed_on",
    "call_date": "observed_on",
    "observed_at": "observed_on",
    "meeting_date": "observed_on",
    "observation_date": "observed_on",
    "sales_leader": "manager",
    "observer": "manager",
    "coach": "manager",
    "sales_manager": "manager",
    "leader": "manager",
    "salesperson": "rep",
    "sales_rep": "rep",
    "seller": "rep",
    "sales_person": "rep",
    "representative": "rep",
    "action": "manager_action",
    "intervention": "manager_action",
    "manager_response": "manager_action",
    "debriefed": "debrief",
    "debrief_held": "debrief",
    "behaviour": "behavior",
    "note": "behavior",
    "feedback": "behavior",
    "feedback_type": "polarity",
    "sentiment": "polarity",
    "type": "polarity",
    "role": "planned_role",
    "plan": "planned_role",
    "team_name": "team",
    "deal_name": "deal",
    "opportunity": "deal",
    "amount": "deal_value",
    "what_went_well": "went_well",
    "well_done": "went_well",
    "what_to_fix": "to_fix",
    "to_improve": "to_fix",
    "what_to_improve": "to_fix",
}

# Value vocabularies: normalised spelling -> canonical value. Values are matched after trimming,
# lower-casing and folding runs of spaces and underscores to one space.
ACTION_VALUES: dict[str, str] = {
    "observed": "observed",
    "observe": "observed",
    "observer": "observed",
    "observing": "observed",
    "silent": "observed",
    "assisted": "assisted",
    "assist": "assisted",
    "assisting": "assisted",
    "took over": "took_over",
    "take over": "took_over",
    "takeover": "took_over",
    "took-over": "took_over",
    "take-over": "took_over",
    "intervened": "took_over",
    "intervene": "took_over",
    "jumped in": "took_over",
    "jump in": "took_over",
    "jumped-in": "took_over",
}
POLARITY_VALUES: dict[str, str] = {
    "praise": "praise",
    "positive": "praise",
    "+": "praise",
    "recognition": "praise",
    "strength": "praise",
    "criticism": "criticism",
    "negative": "criticism",
    "-": "criticism",
    "mistake": "criticism",
    "improvement": "criticism",
    "correction": "criticism",
    "constructive": "criticism",
}
DEBRIEF_VALUES: dict[str, bool] = {
    "yes": True,
    "y": True,
    "true": True,
    "t": True,
    "1": True,
    "no": False,
    "n": False,
    "false": False,
    "f": False,
    "0": False,
}
ROLE_VALUES: dict[str, str] = {
    "observer": "observer",
    "observe": "observer",
    "participant": "participant",
    "participate": "participant",
}
SEVERITY_VALUES: dict[str, str] = {"minor": "minor", "major": "major"}

# Dotted dates (14.03.2026, as German, Swiss or Russian spreadsheets write them) are always day
# first: nobody writes the month first between dots. The day-first switch is for slashes.
DATE_ACCEPTED = "YYYY-MM-DD, MM/DD/YYYY or DD.MM.YYYY"
DATE_ACCEPTED_DAYFIRST = "YYYY-MM-DD, DD/MM/YYYY or DD.MM.YYYY"
MAX_SHOWN = 50
SUPPORTED_SUFFIXES = (".csv", ".tsv", ".txt", ".xlsx", ".parquet")
ENCODINGS = ("utf-8", "latin-1")  # tried in turn: spreadsheets on Windows write Latin-1


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an input file, precise enough to find and fix it."""

    file: str
    line: int | None
    column: str | None
    value: str | None
    message: str
    # What went wrong, for callers to branch on (never the message): one of CODES
    code: str = "file"
    field: str | None = None  # the Ridealong field of the column, when there is one

    def __str__(self) -> str:
        where = self.file if self.line is None else f"{self.file}:{self.line}"
        if self.column is None:
            return f"{where}: {self.message}"
        if self.value is None:
            return f"{where}: {self.column}: {self.message}"
        return f"{where}: {self.column}: {shown(self.value)} {self.message}"

    def as_dict(self) -> dict[str, object]:
        return {
            "file": self.file,
            "line": self.line,
            "column": self.column,
            "value": None
            if self.value is None
            else shown(self.value, SHOWN_CHARS * 4, quote=False),
            "problem": self.message,
        }


# Problem codes: "file" (the file as a whole cannot be read), "record" (a line that is not a
# record of the header's width), "header" (two columns for one field, a bad override),
# "missing_column" (a required field with no column), "required" (a required cell is empty),
# "unknown_value" (an answer no vocabulary or mapping knows), "bad_value" (not a date, an
# amount out of range...), "control_character", "disagrees" (rows of one call disagree),
# "same_file" (the same content twice in one go).
CODES = (
    "file",
    "record",
    "header",
    "missing_column",
    "required",
    "unknown_value",
    "bad_value",
    "control_character",
    "disagrees",
    "same_file",
    "server",  # not the file's fault: the server's temporary folder full, out of memory
)

# Characters no name or note contains: C0 controls but tab, newline and carriage return, and DEL.
# Refused at import (a NUL in a name crashed the chart renderer); escaped when quoted.
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
CONTROL_SQL = r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]"  # the same, for DuckDB (RE2)
# (The fields of free text, checked for them, are listed in queries/import/problems.sql.)
SHOWN_CHARS = 60  # a value quoted in a problem is cut to this many characters


def shown(value: str, limit: int = SHOWN_CHARS, *, quote: bool = True) -> str:
    """A value quoted in a message: control characters escaped, and cut short when long, so a
    50 MB cell or a file of NUL bytes makes a one-line message."""
    cut = value[:limit]
    text = repr(cut) if quote else CONTROL.sub(lambda match: f"\\x{ord(match.group()):02x}", cut)
    if len(value) > limit:
        text += f"… ({len(value):,} characters)"
    return text


class ImportFailed(Exception):
    """Raised with every problem found; nothing has been written."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__(format_problems(problems))


def format_problems(problems: list[Problem], limit: int = MAX_SHOWN) -> str:
    lines = [str(p) for p in problems[:limit]]
    if len(problems) > limit:
        lines.append(f"... and {len(problems) - limit} more problems ({len(problems)} in all)")
    return "\n".join(lines)


@dataclass
class Staged:
    """A validated file, held in temp tables `<name>_calls` and `<name>_notes`."""

    file: str
    name: str
    rows: int
    calls: int
    notes: int
    columns: dict[str, str]  # field -> header as written in the file
    ignored: list[str]
    warnings: list[str] = field(default_factory=list)
    db: str = "temp"  # the database that holds the staged tables

    @property
    def calls_table(self) -> str:
        return f"{self.db}.{self.name}_calls"

    @property
    def notes_table(self) -> str:
        return f"{self.db}.{self.name}_notes"


def normalise_header(header: str) -> str:
    name = header.strip().lstrip("\ufeff").strip().lower()
    name = re.sub(r"[\s\-]+", "_", name)
    return name


def fold_value(value: str) -> str:
    return re.sub(r"[\s_]+", " ", value.strip().lower())


def map_headers(
    headers: list[str], overrides: dict[str, str] | None = None
) -> tuple[dict[str, int], list[str], list[str]]:
    """Headers -> ({field: column index}, ignored headers, problems as text).

    `overrides` maps a header as written to a field (or to "" to ignore it): the Upload page's
    column mapping.
    """
    overrides = overrides or {}
    mapping: dict[str, int] = {}
    ignored: list[str] = []
    problems: list[str] = []
    for position, header in enumerate(headers):
        if header in overrides:
            target = overrides[header] or None
        else:
            key = normalise_header(header)
            target = key if key in FIELDS else HEADER_ALIASES.get(key)
        if target is None:
            if header.strip():
                ignored.append(header)
            continue
        if target not in FIELDS:
            problems.append(f"column {header!r} is mapped to {target!r}, which is not a field")
            continue
        if target in mapping:
            first = headers[mapping[target]]
            problems.append(
                f"columns {first!r} and {header!r} both mean {target}; keep one of them"
            )
            continue
        mapping[target] = position
    return mapping, ignored, problems


def _create(db: str, kind: str, obj: str) -> str:
    """`create or replace` a table or view `obj` in catalog `db` ("temp", or an attached one)."""
    if db == "temp":
        return f"create or replace temp {kind} {obj}"
    return f"create or replace {kind} {db}.{obj}"


def _read_raw(
    con: duckdb.DuckDBPyConnection,
    path: Path,
    raw: str,
    *,
    db: str = "temp",
    encodings: Sequence[str] = ENCODINGS,
    label: str | None = None,
) -> tuple[list[str], dict]:
    """Load a file into table `<db>.<raw>_t` and view `<db>.<raw>` (c0.., _row) of strings.

    Returns the headers and what was learnt reading it (encoding, rows DuckDB rejected). With
    `label`, a file that mixes UTF-8 and another encoding raises ImportFailed.
    """
    suffix = path.suffix.lower()
    info: dict = {"kind": suffix.lstrip(".")}
    if suffix == ".parquet":
        headers = [
            r[0]
            for r in con.execute(
                "select column_name from (describe select * from read_parquet(?))", [_literal(path)]
            ).fetchall()
        ]
        cols = ", ".join(f"#{i + 1}::varchar as c{i}" for i in range(len(headers)))
        con.execute(
            _create(db, "table", f"{raw}_t") + " as "
            f"select {cols}, (row_number() over () - 1)::bigint as _row from read_parquet(?)",
            [_literal(path)],
        )
        con.execute(_create(db, "view", raw) + f" as select * from {db}.{raw}_t")
        info["line_offset"] = 2
        return headers, info
    if suffix == ".xlsx":
        import fastexcel
        import polars as pl

        # fastexcel directly, not pl.read_excel: that drops blank rows, and a problem in the
        # row under a blank one would name the wrong sheet row. With skip_rows=0 the frame's
        # row i is the sheet's row i + 1, blank rows and blank rows above the header included.
        sheet = fastexcel.read_excel(path).load_sheet(
            0, header_row=None, dtypes="string", skip_rows=0
        )
        frame = pl.DataFrame(sheet.to_polars()).with_row_index("_sheet")
        cells = frame.columns[1:]
        frame = frame.filter(pl.any_horizontal(pl.col(cells).is_not_null()))
        if frame.height == 0 or not cells:
            raise _FileProblem("the first sheet is empty")
        top = frame.row(0)  # the header: the sheet's first row that is not blank
        headers = [("" if v is None else str(v)) for v in top[1:]]
        # _row counts from the row under the header, blank rows included
        frame = frame.slice(1).select(
            *(pl.col(c).alias(f"c{i}") for i, c in enumerate(cells)),
            (pl.col("_sheet").cast(pl.Int64) - top[0] - 1).alias("_row"),
        )
        con.register(f"{raw}_frame", frame)
        con.execute(_create(db, "table", f"{raw}_t") + f" as select * from {raw}_frame")
        con.execute(_create(db, "view", raw) + f" as select * from {db}.{raw}_t")
        con.unregister(f"{raw}_frame")
        info["line_offset"] = top[0] + 2  # line = the sheet's row number
        return headers, info
    # CSV and friends: DuckDB's sniffer finds the delimiter and quoting; header=false keeps the
    # header as row 0 so that columns stay positional.
    for encoding in encodings:
        _drop_rejects(con, raw)
        try:
            con.execute(
                _create(db, "table", f"{raw}_t") + f" as {import_sql('read_csv')}",
                _csv_params(path, raw, encoding),
            )
        except duckdb.Error as exc:
            if encoding != encodings[-1] and _another_encoding(exc, encoding):
                if label is not None:
                    _mixed_encoding(path, label)
                continue  # not UTF-8: spreadsheets on Windows write Latin-1 / cp1252
            raise _FileProblem(_duckdb_reason(exc)) from None
        if encoding == encodings[-1] or not _bad_encoding(con, raw):
            break
        if label is not None:
            _mixed_encoding(path, label)
    info["encoding"] = encoding
    info["rejects"] = _rejects(con, raw)
    info["rejected"] = len(info["rejects"])
    ncols = len(con.execute(f"select * from {db}.{raw}_t limit 0").description)
    renames = ", ".join(f"#{i + 1} as c{i}" for i in range(ncols))
    first = con.execute(f"select * from {db}.{raw}_t where rowid = 0").fetchone()
    if first is None:
        raise _FileProblem("the file is empty: expected a header line and rows")
    headers = [("" if v is None else v) for v in first]
    # a view, not a copy: at ten million rows a copy costs as much as reading the file
    con.execute(
        _create(db, "view", raw) + " as "
        f"select {renames}, (rowid - 1)::bigint as _row from {db}.{raw}_t where rowid > 0"
    )
    info["line_offset"] = None  # computed from the file when needed
    return headers, info


def _csv_params(path: Path, raw: str, encoding: str) -> dict[str, str]:
    """The parameters of queries/import/read_csv.sql: its rejected rows go to temp table
    `<raw>_rejects`."""
    return {
        "path": _literal(path),
        "encoding": encoding,
        "rejects_table": f"{raw}_rejects",
        "rejects_scan": f"{raw}_scan",
    }


def _drop_rejects(con: duckdb.DuckDBPyConnection, raw: str) -> None:
    # reject tables accumulate across reads in one connection: start each read afresh
    con.execute(f"drop table if exists {raw}_rejects")
    con.execute(f"drop table if exists {raw}_scan")


def _bad_encoding(con: duckdb.DuckDBPyConnection, raw: str) -> bool:
    return bool(
        con.execute(
            f"select count(*) from {raw}_rejects where error_type = 'INVALID ENCODING'"
        ).fetchone()[0]
    )


def _rejects(con: duckdb.DuckDBPyConnection, raw: str) -> list[tuple[int, str]]:
    return con.execute(
        f"select distinct line, error_message from {raw}_rejects order by line"
    ).fetchall()


def _csv_header(con: duckdb.DuckDBPyConnection, path: Path, raw: str, encoding: str) -> list[str]:
    """The first record of a CSV file, read with the options stage() reads the rest with (the
    sniffer decides the dialect the same way only when they are the same).

    Raises _WrongEncoding when it is not valid in `encoding`, _FileProblem when unreadable."""
    _drop_rejects(con, raw)
    try:
        first = con.execute(
            f"select * from ({import_sql('read_csv')}) limit 1", _csv_params(path, raw, encoding)
        ).fetchone()
    except duckdb.Error as exc:
        if _another_encoding(exc, encoding):
            raise _WrongEncoding from None
        raise _FileProblem(_duckdb_reason(exc)) from None
    if first is None:
        raise _FileProblem("the file is empty: expected a header line and rows")
    return [("" if v is None else v) for v in first]


def _duckdb_reason(exc: Exception, kind: str = "CSV") -> str:
    """DuckDB's error as a short reason: its first line, and for a CSV error the sentence that
    says what is wrong (never the offending line itself, which can be megabytes long)."""
    text = str(exc)
    head = text[:4000].strip().splitlines()
    first = re.sub(r"^[A-Za-z ]*Error: ", "", head[0]) if head else "unreadable"
    at = re.match(r"CSV Error on Line: (\d+)", first)
    if at:
        detail = next(
            (
                line.strip()
                for line in head[1:]
                if line.strip() and not line.startswith(("Original Line", "Possible Solution"))
            ),
            "",
        )
        size = re.search(r"Maximum line size of (\d+) bytes exceeded. Actual Size:\s*(\d+)", text)
        if size:
            detail = (
                f"it is {int(size[2]):,} bytes long; a record may be at most {int(size[1]):,} "
                "bytes (a quote left open makes the rest of the file one record)"
            )
        first = f"line {at[1]}: {detail}" if detail else f"line {at[1]}"
    return f"cannot be read as {kind} ({shown(first, 300, quote=False)})"


def _kind(path: Path) -> str:
    return {".xlsx": "Excel", ".parquet": "Parquet"}.get(path.suffix.lower(), "CSV")


class _FileProblem(Exception):
    pass


class _WrongEncoding(Exception):
    """The file is not valid in the encoding tried: stage() tries the next one."""


def _another_encoding(exc: Exception, encoding: str | None) -> bool:
    """DuckDB refused the bytes as `encoding`, and a later one of ENCODINGS may read them."""
    return encoding in ENCODINGS[:-1] and "unicode" in str(exc).lower()


def _csv_lines(
    con: duckdb.DuckDBPyConnection, path: Path, info: dict, width: int
) -> tuple[list[int], list[Problem]]:
    """Physical start line of every well-formed data record, and problems for the others.

    Only runs when something is wrong (it is a Python pass over the file).
    """
    delimiter, quote, escape = con.execute(
        import_sql("dialect"), {"path": _literal(path), "encoding": info["encoding"]}
    ).fetchone()
    encoding = "utf-8-sig" if info["encoding"] == "utf-8" else "latin-1"
    fmt: dict = {"delimiter": delimiter or ","}
    if quote and quote != "(empty)":
        fmt["quotechar"] = quote
        if escape and escape not in ("(empty)", quote):
            fmt["escapechar"] = escape
            fmt["doublequote"] = False
    else:
        fmt["quoting"] = csv.QUOTE_NONE
    starts: list[int] = []
    bad: list[Problem] = []
    with open(path, newline="", encoding=encoding, errors="replace") as handle:
        reader = csv.reader(handle, **fmt)
        line = 1
        header_seen = False
        for record in reader:
            start = line
            line = reader.line_num + 1
            if not record or (len(record) == 1 and record[0] == ""):
                continue
            if not header_seen:
                header_seen = True
                continue
            if len(record) != width:
                bad.append(
                    Problem(
                        path.name,
                        start,
                        None,
                        None,
                        f"has {len(record)} fields; the header has {width}",
                        "record",
                    )
                )
                continue
            starts.append(start)
    return starts, bad


def _read_or_fail(label: str, read: Callable[[], Result], kind: str = "CSV") -> Result:
    """read(), with whatever stops a file being read turned into a Problem naming it."""
    try:
        return read()
    except (_WrongEncoding, ImportFailed):
        raise
    except _FileProblem as exc:
        message = str(exc)
    except Exception as exc:  # an unreadable file: a user's file, not our bug
        if server_fault(exc):
            raise  # a full disk is the server's problem, not the file's
        if isinstance(exc, duckdb.Error):
            message = _duckdb_reason(exc, kind)
        else:
            text = str(exc).strip()
            reason = text[:4000].splitlines()[0] if text else type(exc).__name__
            message = f"cannot be read as {kind} ({shown(reason, 300, quote=False)})"
    raise ImportFailed([Problem(label, None, None, None, message)])


def server_fault(exc: BaseException) -> bool:
    """True when an error reading a file is the machine's (disk full, out of memory), not the
    file's: the user must not be told to correct their file."""
    if isinstance(exc, (MemoryError, duckdb.OutOfMemoryException)):
        return True
    if isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EDQUOT, errno.EROFS):
        return True
    text = str(exc)[:2000].lower()
    if "interrupted" in text:  # Ctrl-C or a signal stopped DuckDB: not the file's fault
        return True
    return isinstance(exc, (duckdb.IOException, OSError)) and any(
        s in text
        for s in ("no space left", "disk quota", "read-only file system", "could not write")
    )


def _literal(path: Path) -> str:
    """A path as DuckDB's readers take it, with no glob: `br[a].csv` must not read `bra.csv`,
    nor `x*.csv` every CSV beside it. DuckDB matches `[c]` as the character c."""
    return re.sub(r"([\[*?])", r"[\1]", str(path))


TEXT_SNIFF = 64 * 1024  # bytes read to decide a text file's encoding before DuckDB reads it


def check_file(path: Path, label: str) -> None:
    """The one gate every input passes before anything reads it: a supported suffix, a regular
    file (a named pipe or a device such as /dev/zero would hang the reader), and for text, bytes
    that can be text: a NUL byte (a binary file, or UTF-16) is refused here, with its line."""
    if path.suffix.lower() not in SUPPORTED_SUFFIXES:
        message = (
            f"is a {path.suffix or 'suffix-less'} file; accepted: CSV (.csv, .tsv, .txt), "
            "Excel (.xlsx, first sheet) and Parquet (.parquet)"
        )
        raise ImportFailed([Problem(label, None, None, None, message)])
    try:
        mode = os.stat(path).st_mode
    except OSError as exc:
        raise ImportFailed(
            [Problem(label, None, None, None, f"cannot be opened ({exc.strerror or exc})")]
        ) from None
    if not stat.S_ISREG(mode):
        kind = (
            "a folder"
            if stat.S_ISDIR(mode)
            else "a named pipe"
            if stat.S_ISFIFO(mode)
            else "a device"
            if stat.S_ISCHR(mode) or stat.S_ISBLK(mode)
            else "a socket"
            if stat.S_ISSOCK(mode)
            else "not a regular file"
        )
        raise ImportFailed(
            [Problem(label, None, None, None, f"is {kind}, not a file: only files are read")]
        )
    if path.suffix.lower() in (".xlsx", ".parquet"):
        return
    with open(path, "rb") as handle:
        head = handle.read(TEXT_SNIFF)
    utf16 = _utf16(head)
    if utf16:
        raise ImportFailed(
            [
                Problem(
                    label,
                    None,
                    None,
                    None,
                    f"is {utf16} text; accepted: text in UTF-8 (with or without a byte-order "
                    "mark) or Latin-1/Windows-1252. Save it again as CSV UTF-8 (in Excel: "
                    "File > Save As > CSV UTF-8)",
                )
            ]
        )
    # NUL bytes in the header, or many of them, make a binary file; a stray one in a cell is
    # left to the control-character check, which names its line and column
    nul = head.find(b"\x00")
    newline = head.find(b"\n")
    if nul >= 0 and (newline < 0 or nul < newline or 100 * head.count(0) > len(head)):
        line = head.count(b"\n", 0, nul) + 1
        column = nul - (head.rfind(b"\n", 0, nul) + 1) + 1
        raise ImportFailed(
            [
                Problem(
                    label,
                    line,
                    None,
                    None,
                    f"has a NUL byte at character {column}: a binary file, not CSV text "
                    "(accepted: CSV text, Excel .xlsx, Parquet)",
                )
            ]
        )


def _utf16(head: bytes) -> str | None:
    """'UTF-16' (or UTF-32) when the bytes are that, by byte-order mark or by the NUL bytes every
    other byte that UTF-16 gives Latin letters; None otherwise."""
    if head.startswith((b"\xff\xfe\x00\x00", b"\x00\x00\xfe\xff")):
        return "UTF-32"
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "UTF-16"
    sample = head[:4096]
    if len(sample) >= 4:
        even, odd = sample[0::2], sample[1::2]
        for zeros, other in ((even, odd), (odd, even)):
            if zeros.count(0) > 0.4 * len(zeros) and other.count(0) < 0.05 * len(other):
                return "UTF-16 (no byte-order mark)"
    return None


def _mixed_encoding(path: Path, label: str) -> None:
    """Raise ImportFailed when a file that is not UTF-8 has lines that are: it mixes encodings,
    and reading it as Latin-1 would store `JosÃ©` for the UTF-8 lines. Runs only when DuckDB
    has refused the file as UTF-8 (one pass in Python)."""
    first_utf8: int | None = None
    first_bad: tuple[int, int, int] | None = None  # line, character, byte
    line = 1
    with open(path, "rb") as handle:
        for raw in handle:
            if not raw.isascii():
                try:
                    raw.decode("utf-8")
                except UnicodeDecodeError as exc:
                    if first_bad is None:
                        first_bad = (line, exc.start + 1, raw[exc.start])
                else:
                    if first_utf8 is None:
                        first_utf8 = line
                if first_bad is not None and first_utf8 is not None:
                    bad_line, column, byte = first_bad
                    raise ImportFailed(
                        [
                            Problem(
                                label,
                                bad_line,
                                None,
                                None,
                                f"is not UTF-8 (byte 0x{byte:02X}, byte {column} of the line), "
                                f"but line {first_utf8} is: the file mixes two encodings, and "
                                "reading it as either would garble names. Save it again as CSV "
                                "UTF-8",
                            )
                        ]
                    )
            line += 1


def stage(
    con: duckdb.DuckDBPyConnection,
    path: str | Path,
    name: str,
    *,
    db: str = "temp",
    dayfirst: bool = False,
    display_name: str | None = None,
    header_overrides: dict[str, str] | None = None,
    value_overrides: dict[str, dict[str, str]] | None = None,
) -> Staged:
    """Validate one file into table `<db>.<name>_calls` and view `<db>.<name>_notes`.

    Raises ImportFailed with every problem found. `name` and `db` must be plain identifiers
    chosen by the caller (never user text): `db` is "temp" or a database the caller attached
    (a scratch file keeps ten million staged rows compressed and out of memory);
    `display_name` is what problems call the file.
    """
    path = Path(path)
    label = display_name or path.name
    for ident in (name, db):
        if not re.fullmatch(r"[a-z_][a-z0-9_]*", ident):
            raise ValueError(f"bad stage name {ident!r}")
    check_file(path, label)
    args = (con, path, name, db, label, dayfirst, header_overrides, value_overrides)
    if path.suffix.lower() in (".xlsx", ".parquet"):
        return _stage(*args, encoding=None)
    for encoding in ENCODINGS:
        try:
            return _stage(*args, encoding=encoding)
        except _WrongEncoding:
            # not UTF-8: spreadsheets on Windows write Latin-1 / cp1252; never both in one file
            _mixed_encoding(path, label)
            continue
    raise AssertionError("Latin-1 reads any bytes")


def _stage(
    con: duckdb.DuckDBPyConnection,
    path: Path,
    name: str,
    db: str,
    label: str,
    dayfirst: bool,
    header_overrides: dict[str, str] | None,
    value_overrides: dict[str, dict[str, str]] | None,
    *,
    encoding: str | None,
) -> Staged:
    """stage() for one encoding (None: a file that is not text). A CSV is typed straight from
    the file; its raw text is read again only when there are problems to describe."""
    qualified = f"{db}.{name}"
    raw = f"{name}_raw"
    if encoding is None:
        headers, info = _read_or_fail(label, lambda: _read_raw(con, path, raw, db=db), _kind(path))
        source, params = f"{db}.{raw}", {}
    else:
        headers = _read_or_fail(label, lambda: _csv_header(con, path, raw, encoding))
        info = {"kind": "csv", "encoding": encoding, "line_offset": None}
        renames = ", ".join(f"#{i + 1} as c{i}" for i in range(len(headers)))
        source = f"(select {renames}, null::bigint as _row from ({import_sql('read_csv')}))"
        params = _csv_params(path, raw, encoding)

    mapping, ignored, header_problems = map_headers(headers, header_overrides)
    problems = [Problem(label, 1, None, None, text, "header") for text in header_problems]
    missing = [field for field, required in FIELDS.items() if required and field not in mapping]
    if missing:
        found = ", ".join(repr(h) for h in headers) or "none"
        for field in missing:
            problems.append(
                Problem(
                    label,
                    1,
                    None,
                    None,
                    f"missing required column {field!r} (headers found: {found})",
                    "missing_column",
                    field,
                )
            )
    if problems:
        raise ImportFailed(problems)

    columns = {field: headers[i] for field, i in mapping.items()}
    vocab = _vocabulary(value_overrides)
    if encoding is not None:
        _drop_rejects(con, raw)
    try:
        _normalise(
            con,
            qualified,
            source,
            params,
            mapping,
            dayfirst,
            vocab,
            header_row=encoding is not None,
        )
    except duckdb.Error as exc:
        if _another_encoding(exc, encoding):
            raise _WrongEncoding from None
        if server_fault(exc):
            raise
        raise ImportFailed([Problem(label, None, None, None, _duckdb_reason(exc))]) from None
    if encoding is not None:
        if encoding != ENCODINGS[-1] and _bad_encoding(con, raw):
            raise _WrongEncoding
        info["rejects"] = _rejects(con, raw)
        info["rejected"] = len(info["rejects"])
    _finish(con, qualified)

    def describe() -> None:
        if encoding is not None:
            _read_raw(con, path, raw, db=db, encodings=(encoding,))
        _describe(con, qualified, f"{db}.{raw}", mapping, dayfirst, vocab)

    found = _find_problems(con, qualified, columns, dayfirst, describe)
    rows = con.execute(f"select count(*) from {qualified}_norm").fetchone()[0]

    structural: list[Problem] = []
    if info.get("line_offset") is None and (found or info.get("rejected")):
        starts, structural = _csv_lines(con, path, info, len(headers))
        if not structural and info.get("rejects"):
            # DuckDB refused rows the plain CSV reader accepts (e.g. a stray quote): say so
            structural = [
                Problem(label, line, None, None, f"cannot be read ({message.strip()})", "record")
                for line, message in info["rejects"]
            ]
        if len(starts) != rows and not structural:
            starts = []  # could not align the two readers; fall back to record numbers

        def line_of(row: int) -> int:
            return starts[row] if row < len(starts) else row + 2
    else:
        offset = info.get("line_offset") or 2

        def line_of(row: int) -> int:
            return row + offset

    if found or structural:
        out = list(structural)
        for row, column, value, message, other, key, first, fld, code in found:
            if other is not None:
                message = message.format(other=line_of(other), key=repr(key), first=repr(first))
            out.append(Problem(label, line_of(row), column, value, message, code, fld))
        out.sort(key=lambda problem: (problem.line or 0, problem.column or ""))
        raise ImportFailed(out)

    warnings = []
    if rows == 0:
        warnings.append(f"{label}: the file has a header but no rows")
    if ignored:
        warnings.append(f"{label}: ignored columns nobody asked for: {', '.join(ignored)}")
    calls, notes = con.execute(
        f"select (select count(*) from {qualified}_calls), (select count(*) from {qualified}_notes)"
    ).fetchone()
    # {q}_typed stays: {q}_notes reads it until the write (drop_staged removes it)
    drop_staged(con, [name], db=db, keep=("typed", "norm", "notes", "calls"))
    return Staged(
        file=label,
        name=name,
        rows=rows,
        calls=calls,
        notes=notes,
        columns=columns,
        ignored=ignored,
        warnings=warnings,
        db=db,
    )


def _vocabulary(overrides: dict[str, dict[str, str]] | None) -> dict[str, list[str]]:
    """Every accepted spelling of a value, as bound lists `$sp_<field>` -> `$val_<field>`."""
    params: dict[str, list[str]] = {}
    for fld, table in (
        ("manager_action", ACTION_VALUES),
        ("polarity", POLARITY_VALUES),
        ("planned_role", ROLE_VALUES),
        ("severity", SEVERITY_VALUES),
        ("debrief", {k: "true" if v else "false" for k, v in DEBRIEF_VALUES.items()}),
    ):
        merged = dict(table)
        for value in table.values():
            merged.setdefault(value, value)  # 'took_over' as written: found without folding
        for spelling, value in (overrides or {}).get(fld, {}).items():
            merged[fold_value(spelling)] = value
        params[f"sp_{fld}"] = list(merged)
        params[f"val_{fld}"] = list(merged.values())
    return params


# The fields as queries/import/typed.sql reads them from `projection` (raw text of the
# fields that are typed there keeps a _raw suffix).
PROJECTED = (
    ("observation_id", "observation_id"),
    ("observed_on", "observed_on_raw"),
    ("manager", "manager"),
    ("rep", "rep"),
    ("team", "team"),
    ("planned_role", "planned_role_raw"),
    ("manager_action", "manager_action_raw"),
    ("debrief", "debrief_raw"),
    ("behavior", "behavior"),
    ("went_well", "went_well"),
    ("to_fix", "to_fix"),
    ("polarity", "polarity_raw"),
    ("severity", "severity_raw"),
    ("category", "category"),
    ("deal", "deal"),
    ("deal_value", "deal_value_raw"),
    ("outcome", "outcome"),
)


@functools.cache
def import_sql(name: str) -> str:
    """The text of queries/import/<name>.sql."""
    return (queries_dir() / "import" / f"{name}.sql").read_text(encoding="utf-8")


def define_macros(con: duckdb.DuckDBPyConnection) -> None:
    """Create the importer's temp macros (queries/import/macros.sql) on `con`: among them
    `behavior_key(text)`, the key that tells two spellings of one behaviour apart or alike."""
    con.execute(import_sql("macros"))


def _typed(source: str, mapping: dict[str, int]) -> str:
    """SQL: queries/import/typed.sql over the one generated relation, `projection`: the
    columns of `source` (c0.., _row) renamed to the fields. Only column positions go into it."""
    cells = ", ".join(
        (f"nullif(import_trim(c{mapping[f]}), '')" if f in mapping else "null::varchar")
        + f" as {name}"
        for f, name in PROJECTED
    )
    return (
        f"with projection as (select _row, {cells} from {source}) "
        f"select * from ({import_sql('typed')})"
    )


def _typed_params(dayfirst: bool, vocab: dict[str, list[str]]) -> dict[str, object]:
    return {
        **vocab,
        "slash_format": "%d/%m/%Y" if dayfirst else "%m/%d/%Y",
        "money": MONEY,
        "max_amount": MAX_AMOUNT,
        "first_day": dt.date(FIRST_YEAR, 1, 1),
        "last_day": dt.date(LAST_YEAR, 12, 31),
        "control": CONTROL_SQL,
    }


def _normalise(
    con: duckdb.DuckDBPyConnection,
    table: str,
    source: str,
    params: dict[str, object],
    mapping: dict[str, int],
    dayfirst: bool,
    vocab: dict[str, list[str]],
    *,
    header_row: bool,
) -> None:
    """Table `<q>_typed`: the typed values of every row of `source` and a `bad` flag, written
    once; view `<q>_norm`: its data rows, each with `_row`.

    With `header_row` (a CSV read straight from the file) the table's first row is the header
    and a row's position in the table is its record number: `_row` is rowid - 1, which spares
    a copy of the raw text (at ten million rows that copy costs as much as reading the file).
    """
    db, name = table.split(".")
    define_macros(con)
    con.execute(
        _create(db, "table", f"{name}_typed")
        + f"""
        as select _row, call_key, observation_id is not null as has_id, observed_on, manager,
            rep, team, planned_role, manager_action, debrief, behavior, polarity, went_well,
            to_fix, severity, category, deal, deal_value, outcome, bad
        from ({_typed(source, mapping)})
        """,
        {**_typed_params(dayfirst, vocab), **params},
    )
    rows = (
        f"select * replace ((rowid - 1)::bigint as _row) from {table}_typed where rowid > 0"
        if header_row
        else f"select * from {table}_typed"
    )
    con.execute(_create(db, "view", f"{name}_norm") + f" as {rows}")


def _describe(
    con: duckdb.DuckDBPyConnection,
    table: str,
    raw: str,
    mapping: dict[str, int],
    dayfirst: bool,
    vocab: dict[str, list[str]],
) -> None:
    """Table `<q>_norm_v`: the rows of `raw` with their raw text beside the typed values, made
    only when there are problems to describe (the checks read it many times over)."""
    db, name = table.split(".")
    con.execute(
        _create(db, "table", f"{name}_norm_v") + f" as {_typed(raw, mapping)}",
        _typed_params(dayfirst, vocab),
    )


# An amount: digits with optional thousands commas in groups of three (`12,500`, not `1,2,3`),
# optional cents, a currency sign. Bound as $money in queries/import/typed.sql.
MONEY = r"\s*[$€£]?\s*-?([0-9]{1,3}(,[0-9]{3})+|[0-9]+)(\.[0-9]+)?\s*"
MAX_AMOUNT = 1e15  # larger amounts (400 digits would be stored as inf) are refused
# The years a call can be observed in: 0001-01-01 or 9999-12-31 is a typo, and dates beyond
# what Python's datetime can step past break the period arithmetic of every page. (Dates are
# read by import_parse_day in queries/import/macros.sql.)
FIRST_YEAR, LAST_YEAR = 1900, 2100


def one_of(values: Iterable[str]) -> str:
    """'a, b or c'."""
    values = list(values)
    return values[0] if len(values) == 1 else f"{', '.join(values[:-1])} or {values[-1]}"


def accepted(vocabulary: dict[str, str]) -> str:
    """What a vocabulary accepts, in words: its values, then its other spellings
    ("praise or criticism; also positive, +, ...")."""
    values = list(dict.fromkeys(vocabulary.values()))
    others = [k for k in vocabulary if k not in values]
    return one_of(values) + (f"; also {', '.join(others)}" if others else "")


def accepted_yes_no() -> str:
    """The yes/no spellings in pairs: "yes/no, y/n, true/false, t/f, 1/0"."""
    yes = [k for k, v in DEBRIEF_VALUES.items() if v]
    no = [k for k, v in DEBRIEF_VALUES.items() if not v]
    return ", ".join(f"{a}/{b}" for a, b in zip(yes, no, strict=True))


def check_messages(dayfirst: bool) -> dict[str, str]:
    """The message of each row check of queries/import/typed.sql (its `fails_<check>` flag;
    'control' for a control character), as queries/import/problems.sql binds them. The
    accepted spellings in messages come from the vocabularies above."""
    date_ok = DATE_ACCEPTED_DAYFIRST if dayfirst else DATE_ACCEPTED
    actions = one_of(list(dict.fromkeys(ACTION_VALUES.values())))
    return {
        "date_required": "is required (the date of the call)",
        "date_format": f"is not a date ({date_ok})",
        "date_years": f"is outside the years {FIRST_YEAR}–{LAST_YEAR} (a typo in the year?)",
        "control": "has a control character (shown as \\x..): names and notes must be plain text",
        "manager_required": "is required (the observing sales leader)",
        "rep_required": "is required (the salesperson observed)",
        "action_required": f"is required: {actions}",
        "action_known": f"is not a manager action ({accepted(ACTION_VALUES)})",
        "polarity_known": f"is not a polarity ({accepted(POLARITY_VALUES)})",
        "polarity_required": "is empty, but the row notes a behaviour: say praise or criticism",
        "behavior_required": (
            "is empty, but the row has a polarity: name the behaviour, or clear the polarity"
        ),
        "debrief_known": f"is not a yes/no value ({accepted_yes_no()}; empty = unknown)",
        "role_known": f"is not a planned role ({accepted(ROLE_VALUES)})",
        "severity_known": f"is not a severity ({accepted(SEVERITY_VALUES)})",
        "amount_format": "is not an amount (a number such as 12500 or $12,500.00)",
    }


def _find_problems(
    con: duckdb.DuckDBPyConnection,
    table: str,
    columns: dict[str, str],
    dayfirst: bool,
    describe: Callable[[], None],
) -> list[tuple]:
    """Every problem as (row, column label, value, message, other row, call key, other value,
    field, code): queries/import/problems.sql.

    The message of a disagreement names the other row: `{other}`, `{key}` and `{first}` are
    filled in once line numbers are known.
    """

    def label(field: str) -> str:
        header = columns.get(field)
        if header is None or normalise_header(header) == field:
            return field
        return f"{header} ({field})"

    # Fast path: the problem flag of each row and the calls whose rows are not all alike
    # (both computed on the way) say whether there is anything to report at all; only those
    # calls are read again to tell whether their rows disagree (queries/import/disagree.sql).
    bad, suspect = con.execute(
        f"""select
            (select count(*) from {table}_norm where bad),
            (select count(*) from {table}_calls where may_disagree and call_key is not null)"""
    ).fetchone()
    if suspect:
        (suspect,) = con.execute(
            f"with norm as (select * from {table}_norm), calls as (select * from "
            f"{table}_calls where call_key is not null) select * from ({import_sql('disagree')})"
        ).fetchone()
    if (bad, suspect) == (0, 0):
        return []
    describe()  # creates {q}_norm_v
    messages = check_messages(dayfirst)
    fields = list(FIELDS)
    return con.execute(
        f"with norm_v as (select * from {table}_norm_v) select * from ({import_sql('problems')})",
        {
            "fields": fields,
            "labels": [label(f) for f in fields],
            "checks": list(messages),
            "messages": list(messages.values()),
            "key_name": "observation_id" if "observation_id" in columns else "call",
            "control": CONTROL_SQL,
        },
    ).fetchall()


def _finish(con: duckdb.DuckDBPyConnection, table: str) -> None:
    """View `<q>_notes` (queries/import/notes.sql) and table `<q>_calls`
    (queries/import/calls.sql) over the staged rows `<q>_norm`; _find_problems reports the
    calls whose rows disagree."""
    db, name = table.split(".")
    for kind, what in (("view", "notes"), ("table", "calls")):
        statement = (
            _create(db, kind, f"{name}_{what}")
            + f" as with norm as (select * from {table}_norm) select * from ({import_sql(what)})"
        )
        # the calls come out of a hash aggregate, in no order of their own
        with any_row_order(con) if kind == "table" else contextlib.nullcontext():
            con.execute(statement)


@contextlib.contextmanager
def any_row_order(con: duckdb.DuckDBPyConnection) -> Iterator[None]:
    """Statements on `con` (this connection only) may write their rows in any order: for a
    table whose row order means nothing, which DuckDB then writes without buffering rows to
    keep their order (the calls of ten million rows: 12 s instead of 14-16 s on 2 cores, CPU
    23 s instead of 26-31 s)."""
    con.execute("set session preserve_insertion_order = false")
    try:
        yield
    finally:
        con.execute("reset session preserve_insertion_order")


STAGE_OBJECTS = {
    "raw": "view",
    "raw_t": "table",
    "typed": "table",
    "norm": "view",
    "norm_v": "table",
    "notes": "view",
    "calls": "table",
}


def drop_staged(
    con: duckdb.DuckDBPyConnection,
    names: Iterable[str],
    *,
    db: str = "temp",
    keep: Sequence[str] = (),
) -> None:
    """Drop what stage() made for each name (views first: they read the tables)."""
    for name in names:
        for kind in ("view", "table"):
            for suffix, what in STAGE_OBJECTS.items():
                if what == kind and suffix not in keep:
                    con.execute(f"drop {kind} if exists {db}.{name}_{suffix}")
        _drop_rejects(con, f"{name}_raw")


# ---- the Upload page's helpers: preview, unrecognised values, the mapping file ---------------


@dataclass
class Preview:
    """A file's headers, how they would be read, and its first rows — values not validated."""

    file: str
    headers: list[str]
    columns: dict[str, str]  # field -> header as written, with the overrides applied
    ignored: list[str]  # headers that are not read
    problems: list[str]  # header problems: duplicates, bad overrides, missing required columns
    rows: int  # data rows in the file
    first: list[tuple[str | None, ...]]  # the first data rows, every cell as text


def preview(
    path: str | Path,
    limit: int = 10,
    *,
    display_name: str | None = None,
    header_overrides: dict[str, str] | None = None,
) -> Preview:
    """Read a file as stage() does, but only report its headers, their mapping and first rows.

    Raises ImportFailed when the file cannot be read at all (wrong suffix, not a CSV, empty).
    """
    path = Path(path)
    label = display_name or path.name
    check_file(path, label)
    con = duckdb.connect()
    try:
        headers, _info = _read_or_fail(
            label, lambda: _read_raw(con, path, "preview_raw", label=label), _kind(path)
        )
        cells = ", ".join(f"c{i}" for i in range(len(headers))) or "null"
        first = con.execute(
            f"select {cells} from temp.preview_raw order by _row limit ?", [max(int(limit), 0)]
        ).fetchall()
        rows = con.execute("select count(*) from temp.preview_raw").fetchone()[0]
    finally:
        con.close()
    mapping, ignored, problems = map_headers(headers, header_overrides)
    problems += [
        f"missing required column {f!r}"
        for f, required in FIELDS.items()
        if required and f not in mapping
    ]
    return Preview(
        file=label,
        headers=headers,
        columns={f: headers[i] for f, i in mapping.items()},
        ignored=ignored,
        problems=problems,
        rows=rows,
        first=[tuple(r) for r in first],
    )
