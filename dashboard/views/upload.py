"""Upload: an export from a colleague or another tool, seen now — checked, explored on its own,
or added to the team's store. Nothing is written while any problem remains.

States: no file (what to drop, a saved mapping, recent imports) -> files read, their columns and
answers mapped from suggestions (dashboard/mapping.py; unsure guesses marked), the mapping
checked as a whole, then the rows (preview, problems or a valid summary) -> Explore this file
(every page shows only the upload, in this session) or Add to the team's store (one
transaction, imports log with the mapping's hash).
"""

from __future__ import annotations

import hashlib
import json
import re
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import polars as pl
import streamlit as st

from dashboard import importer, mapping
from dashboard.store import IngestResult, Store, drop_scratch, locked_ingest, new_scratch
from dashboard.text import plain
from dashboard.views import common

PREVIEW_ROWS = 10
MAX_PROBLEMS_SHOWN = 1000
FILE_TYPES = ["csv", "tsv", "txt", "xlsx", "parquet"]
REQUIRED = [f for f, required in importer.FIELDS.items() if required]

# session_state keys (all "upl_..."): the mapping outlives the uploaded files, for the session.
MAPPING = "upl_mapping"  # a mapping.Mapping: headers, answers' values, day-first dates
GUESSES = "upl_guesses"  # "h:<header>" / "v:<field>:<folded answer>" -> mapping.Guess
CONFIRMED = "upl_confirmed"  # keys of GUESSES the user chose or confirmed
DAYFIRST_WIDGET = "upl_dayfirst"
FILES = "upl_files"
MAPPING_FILE = "upl_mapping_file"
MAPPING_LOADED = "upl_mapping_loaded"  # file_id of the mapping file last applied
MAPPING_NOTE = "upl_mapping_note"  # (kind, text) about the mapping file last uploaded
MAPPING_HEADERS = "upl_mapping_headers"  # (file name, headers) the mapping file last loaded names
READS = "upl_reads"  # file_id -> Read
CHECK = "upl_check"  # the Check of the current files, mapping and date order
FLASH = "upl_flash"  # messages shown once, after a rerun
ADDED = "upl_added"  # signature of the last upload this session added to the team's store


# ---- the work: plain functions over uploaded bytes ------------------------------------------


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
            self.bar.progress(min(max(fraction, 0.0), 1.0), text=_md(label))

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
        for i, upload in enumerate(uploads):
            path = folder / f"upload{i}{_suffix(upload.name)}"
            path.write_bytes(upload.data)
            paths.append(path)
        try:
            yield paths
        except importer.ImportFailed as exc:
            raise importer.ImportFailed(
                [
                    importer.Problem(p.file, p.line, p.column, p.value, scrub(p.message), p.code)
                    for p in exc.problems
                ]
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
        problems += [importer.Problem(upload.name, 1, None, None, t) for t in header_problems]
    return choices, problems


def _unexpected(uploads: Sequence[Upload], exc: Exception) -> importer.Problem:
    text = scrub(str(exc)).strip()
    reason = text.splitlines()[0] if text else type(exc).__name__
    names = ", ".join(u.name for u in uploads)
    return importer.Problem(names, None, None, None, f"could not be read ({reason})")


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
            result = store.ingest(
                paths,
                dayfirst=used.dayfirst,
                source="upload",
                display_names=[u.name for u in uploads],
                header_overrides=used.header_overrides(),
                value_overrides=used.value_overrides(),
                progress=progress,
                mapping_hash=used.digest(),
            )
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
) -> IngestResult:
    """All-or-nothing upsert into the shared store, one session at a time (see locked_ingest).

    Raises importer.ImportFailed (nothing written)."""
    with temp_files(uploads) as paths:
        return locked_ingest(
            store,
            paths,
            waiting=waiting,
            dayfirst=used.dayfirst,
            source="upload",
            display_names=[u.name for u in uploads],
            header_overrides=used.header_overrides(),
            value_overrides=used.value_overrides(),
            progress=progress,
            mapping_hash=used.digest(),
            logged_by=common.signed_in_email(),
        )


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


# ---- session state ---------------------------------------------------------------------------


def _mapping() -> mapping.Mapping:
    if MAPPING not in st.session_state:
        st.session_state[MAPPING] = mapping.Mapping()
    return st.session_state[MAPPING]


def _guesses() -> dict[str, mapping.Guess]:
    return st.session_state.setdefault(GUESSES, {})


def _confirmed() -> set[str]:
    return st.session_state.setdefault(CONFIRMED, set())


def _to_check(key: str) -> bool:
    """A guess the user has not looked at yet and that is not sure."""
    guess = _guesses().get(key)
    return guess is not None and not guess.sure and key not in _confirmed()


def _unsure_now(columns: Sequence[mapping.Column]) -> list[str]:
    """The guesses still to check for these columns: headers, and answers given a value."""
    used = _mapping()
    keys = [f"h:{c.header}" for c in columns if c.header.strip() and _to_check(f"h:{c.header}")]
    fields, _problems = mapping.fields_of([c.header for c in columns], used)
    by_header = {c.header: c for c in columns}
    for fld in mapping.VALUE_FIELDS:
        if fld not in fields:
            continue
        chosen = {importer.fold_value(a) for a, v in used.values.get(fld, {}).items() if v}
        for answer in by_header[fields[fld]].values:
            key = f"v:{fld}:{importer.fold_value(answer)}"
            if importer.fold_value(answer) in chosen and _to_check(key) and key not in keys:
                keys.append(key)
    return keys


def _forget_mapping_widgets() -> None:
    for key in list(st.session_state):
        if isinstance(key, str) and key.startswith(("upl_h:", "upl_v:", DAYFIRST_WIDGET)):
            del st.session_state[key]


def _apply_mapping_file() -> None:
    """A newly uploaded mapping file replaces the session's mapping (once per file)."""
    uploaded = st.session_state.get(MAPPING_FILE)
    if uploaded is None:
        st.session_state.pop(MAPPING_NOTE, None)
        return
    if st.session_state.get(MAPPING_LOADED) == uploaded.file_id:
        return
    st.session_state[MAPPING_LOADED] = uploaded.file_id
    try:
        loaded = mapping.parse(uploaded.getvalue())
    except mapping.MappingError as exc:
        st.session_state[MAPPING_NOTE] = (
            "error",
            f"**{_md(uploaded.name)}** was not loaded: it {_md(str(exc))}. The mapping in use "
            "is unchanged.",
        )
        return
    st.session_state[MAPPING] = loaded
    st.session_state[MAPPING_HEADERS] = (uploaded.name, list(loaded.headers))
    # a saved mapping is the user's own choice: nothing in it is a guess to check
    _confirmed().update(f"h:{h}" for h in loaded.headers)
    _confirmed().update(
        f"v:{f}:{importer.fold_value(a)}" for f, answers in loaded.values.items() for a in answers
    )
    _forget_mapping_widgets()
    n_values = sum(len(v) for v in loaded.values.values())
    st.session_state[MAPPING_NOTE] = (
        "success",
        f"Loaded **{_md(uploaded.name)}**: {len(loaded.headers)} column(s) and {n_values} "
        "value(s) mapped.",
    )


def _drop_check() -> None:
    """Forget the last check, closing its in-memory store unless this session explores it."""
    old = st.session_state.pop(CHECK, None)
    explored = st.session_state.get(common.EXPLORE_KEY)
    exploring = explored is not None and old is not None and explored[0] is old.store
    if old is not None and old.store is not None and not exploring:
        old.store.close()


def _flash(kind: str, text: str, link: bool = False) -> None:
    st.session_state.setdefault(FLASH, []).append((kind, text, link))


def _show_flash() -> None:
    icons = {"success": ":material/check_circle:", "error": ":material/error:"}
    for kind, text, link in st.session_state.pop(FLASH, []):
        getattr(st, kind)(text, icon=icons.get(kind))
        if link:
            st.page_link(
                "views/overview.py", label="Open the Overview", icon=":material/dashboard:"
            )


# ---- drawing ---------------------------------------------------------------------------------


def _md(text: str) -> str:
    """Text shown as a label, with Markdown (and LaTeX $) disarmed."""
    return plain(text)


def _as_written(value: str | None) -> str | None:
    """A preview cell as the file shows it: a spreadsheet's date cell is read as a timestamp at
    midnight ('2026-01-05 00:00:00'), which the file shows as the date."""
    if value is not None and re.fullmatch(r"\d{4}-\d{2}-\d{2} 00:00:00", value):
        return value[:10]
    return value


def _field_label(f: str) -> str:
    if f == "":
        return "— not used —"
    return f"{f} (required)" if importer.FIELDS[f] else f


def _unique(headers: Sequence[str]) -> list[str]:
    out: list[str] = []
    for i, header in enumerate(headers):
        name = header.strip() or f"(column {i + 1})"
        candidate, n = name, 1
        while candidate in out:
            n += 1
            candidate = f"{name} ({n})"
        out.append(candidate)
    return out


def _examples(columns: Sequence[mapping.Column], header: str, limit: int = 3) -> list[str]:
    for col in columns:
        if col.header == header:
            return [v for v, _n in col.values.most_common(limit)]
    return []


def _n(count: int, word: str) -> str:
    """1 row, 2 rows, 1,200 calls."""
    return f"{count:,} {word}" + ("" if count == 1 else "s")


def _what(uploads: Sequence[Upload]) -> str:
    if len(uploads) == 1:
        return uploads[0].name
    return f"{len(uploads)} files"


def _steps_text(steps: Sequence[tuple[str, float]]) -> str:
    return " · ".join(f"{_md(label)} {seconds:.2f} s" for label, seconds in steps)


def _quoted(items: Sequence[str]) -> str:
    """'a', 'b' or 'c' — as Markdown-safe text."""
    quoted = [f"“{_md(i)}”" for i in items]
    if len(quoted) < 2:
        return "".join(quoted)
    return ", ".join(quoted[:-1]) + " or " + quoted[-1]


def _set_header(header: str, key: str) -> None:
    value = st.session_state[key]
    used = _mapping()
    headers = dict(used.headers)
    if value == mapping.auto_field(header):
        headers.pop(header, None)
    else:
        headers[header] = value
    used.headers = headers
    _confirmed().add(f"h:{header}")


def _header_select(where: Any, header: str, columns: Sequence[mapping.Column]) -> None:
    key = f"upl_h:{header}"
    auto = mapping.auto_field(header)
    if key not in st.session_state:
        st.session_state[key] = _mapping().headers.get(header, auto)
    guess = _guesses().get(f"h:{header}")
    examples = _examples(columns, header)
    hint = "Answers: " + ", ".join(repr(v) for v in examples) if examples else "Empty"
    if auto:
        hint += f". Read as {auto} by its name."
    elif guess is not None:
        target = guess.target or "not used"
        hint += f". Suggested: {target}, because {guess.reason}."
    check = _to_check(f"h:{header}")
    where.selectbox(
        ("⚠ " if check else "") + _md(header) + (" — check this guess" if check else ""),
        ["", *importer.FIELDS],
        key=key,
        format_func=_field_label,
        on_change=_set_header,
        args=(header, key),
        help=_md(hint),
    )


def _set_value(fld: str, answer: str, key: str) -> None:
    value = st.session_state[key]
    used = _mapping()
    values = {f: dict(v) for f, v in used.values.items()}
    answers = values.setdefault(fld, {})
    folded = importer.fold_value(answer)
    for other in [a for a in answers if importer.fold_value(a) == folded]:
        del answers[other]
    if value:
        answers[answer] = value
    used.values = values
    _confirmed().add(f"v:{fld}:{folded}")


def _set_dayfirst() -> None:
    _mapping().dayfirst = bool(st.session_state[DAYFIRST_WIDGET])


def _confirm_guesses(keys: Sequence[str]) -> None:
    _confirmed().update(keys)


def _show_preview(uploads: Sequence[Upload], reads: dict[str, Read]) -> None:
    used = _mapping()
    st.subheader("Preview")
    st.caption(
        f"The first {PREVIEW_ROWS} rows of each file as written, before any check, and the "
        "field each column is read as."
    )
    holders = st.tabs([_md(u.name) for u in uploads]) if len(uploads) > 1 else [st.container()]
    for upload, holder in zip(uploads, holders, strict=True):
        read = reads[upload.file_id]
        with holder:
            if read.preview is None:
                st.error(
                    f"**{_md(upload.name)}** cannot be read: "
                    + "; ".join(_md(p.message) for p in read.problems),
                    icon=":material/error:",
                )
                continue
            pv = read.preview
            found, _ignored, _problems = importer.map_headers(pv.headers, used.header_overrides())
            field_of = {i: f for f, i in found.items()}
            names = _unique(pv.headers)
            st.caption(
                f"**{_md(upload.name)}**: {_n(pv.rows, 'row')}, {_n(len(pv.headers), 'column')}."
            )
            columns = pl.DataFrame(
                {
                    "column in file": names,
                    "read as": [field_of.get(i, "— not used —") for i in range(len(pv.headers))],
                },
                schema={"column in file": pl.String, "read as": pl.String},
            )
            rows = pl.DataFrame(
                [[_as_written(v) or "" for v in r] for r in pv.first[:PREVIEW_ROWS]],
                schema={n: pl.String for n in names},
                orient="row",
            )
            left, right = st.columns([1, 2])
            left.dataframe(columns, hide_index=True, width="stretch")
            right.dataframe(rows, hide_index=True, width="stretch")


def _show_columns(columns: Sequence[mapping.Column], check: Check) -> None:
    """Every column with the field it is read as: first the ones that want a look (unsure
    guesses, columns nothing fits), then the rest in an expander."""
    used = _mapping()
    headers = [c.header for c in columns if c.header.strip()]
    fields, _problems = mapping.fields_of([c.header for c in columns], used)
    read_as = {h: f for f, h in fields.items()}
    unsure = [h for h in headers if _to_check(f"h:{h}")]
    # not read, not decided by the user, and no sure guess that it is not needed
    unknown = [
        h
        for h in headers
        if h not in read_as
        and h not in unsure
        and f"h:{h}" not in _confirmed()
        and not (_guesses().get(f"h:{h}") is not None and _guesses()[f"h:{h}"].sure)
    ]
    look = unsure + unknown
    st.subheader("Columns")
    required = ", ".join(REQUIRED)
    st.caption(
        "Ridealong suggests what each column means from its header and its answers. Choices "
        f"are remembered for this session, for every file with the same header. Required "
        f"fields: {required}."
    )
    missing = [c for c in check.open if not c.key]
    for choice in missing:
        could = _quoted(choice.candidates)
        st.warning(
            f"No column is read as **{choice.field}** (required) yet."
            + (f" It could be {could}." if could else "")
            + " Choose it below.",
            icon=":material/help:",
        )
    if unsure:
        st.markdown(
            f"**{len(unsure)} guess{'es' if len(unsure) != 1 else ''} to check** (marked ⚠): "
            "confirm or correct."
        )
    if unknown:
        st.markdown(
            f"Ridealong does not recognise **{len(unknown)}** column(s): "
            + ", ".join(f"“{_md(h)}”" for h in unknown)
            + ". They are not read unless you choose a field."
        )
    if look:
        grid = st.columns(3)
        for i, header in enumerate(look):
            _header_select(grid[i % 3], header, columns)
    if unsure:
        st.button(
            f"Confirm the {len(unsure)} guess{'es' if len(unsure) != 1 else ''} as shown",
            key="upl_confirm",
            icon=":material/done_all:",
            on_click=_confirm_guesses,
            args=([f"h:{h}" for h in unsure],),
        )
    rest = [h for h in headers if h not in look]
    if rest:
        if not look:
            st.caption(f"Every column is read: {len(read_as)} as fields, the rest not needed.")
        with st.expander(f"How the other {len(rest)} column(s) are read"):
            grid = st.columns(3)
            for i, header in enumerate(rest):
                _header_select(grid[i % 3], header, columns)
    if DAYFIRST_WIDGET not in st.session_state:
        st.session_state[DAYFIRST_WIDGET] = used.dayfirst
    st.checkbox(
        "Slashed dates are day first (DD/MM/YYYY)",
        key=DAYFIRST_WIDGET,
        on_change=_set_dayfirst,
        help="Dates like 03/04/2026 are read as MM/DD/YYYY (US) unless this is ticked; it is "
        "ticked for you when a date such as 13/03/2026 can only be day first. YYYY-MM-DD is "
        "always read as such.",
    )


def _show_values(columns: Sequence[mapping.Column], check: Check) -> None:
    """Select boxes for the answers Ridealong would not read as they are: unsure guesses and
    answers without a value first, the rest in an expander."""
    used = _mapping()
    fields, _problems = mapping.fields_of([c.header for c in columns], used)
    by_header = {c.header: c for c in columns}
    from_rows = mapping.unrecognised(check.problems)
    entries: list[tuple[str, str, int]] = []  # (field, answer as written, rows)
    for fld in mapping.VALUE_FIELDS:
        seen: set[str] = set()
        answers: Counter = Counter()
        if fld in fields:
            answers.update(by_header[fields[fld]].values)
        answers.update(from_rows.get(fld, {}))
        for answer in list(used.values.get(fld, {})):
            answers.setdefault(answer, 0)
        for answer, rows in sorted(answers.items(), key=lambda a: (a[0].lower(), a[0])):
            folded = importer.fold_value(answer)
            if mapping.known(fld, answer) or folded in seen:
                continue
            seen.add(folded)
            entries.append((fld, answer, rows))
    if not entries:
        return
    chosen = {
        (f, importer.fold_value(a)): v
        for f, answers in used.values.items()
        for a, v in answers.items()
    }
    unsure_keys = set(_unsure_now(columns))
    look = [
        e
        for e in entries
        if f"v:{e[0]}:{importer.fold_value(e[1])}" in unsure_keys
        or not chosen.get((e[0], importer.fold_value(e[1])))
    ]
    rest = [e for e in entries if e not in look]
    st.markdown("**Answers**: what each answer means in Ridealong's terms.")
    if look:
        unsure = [e for e in look if f"v:{e[0]}:{importer.fold_value(e[1])}" in unsure_keys]
        blank = len(look) - len(unsure)
        parts = []
        if blank:
            parts.append(f"{blank} answer{'s' if blank != 1 else ''} without a value")
        if unsure:
            parts.append(f"{len(unsure)} guess{'es' if len(unsure) != 1 else ''} to check (⚠)")
        st.markdown(" and ".join(parts) + ": choose or confirm.")
        _value_grid(look, chosen)
        if unsure:
            st.button(
                f"Confirm the {len(unsure)} answer guess{'es' if len(unsure) != 1 else ''}",
                key="upl_confirm_values",
                icon=":material/done_all:",
                on_click=_confirm_guesses,
                args=([f"v:{f}:{importer.fold_value(a)}" for f, a, _r in unsure],),
            )
    if rest:
        with st.expander(f"How the other {len(rest)} answer(s) are read"):
            _value_grid(rest, chosen)


def _value_grid(entries: Sequence[tuple[str, str, int]], chosen: dict) -> None:
    grid = st.columns(3)
    for i, (fld, answer, rows) in enumerate(entries):
        folded = importer.fold_value(answer)
        key = f"upl_v:{fld}:{folded}"
        if key not in st.session_state:
            st.session_state[key] = chosen.get((fld, folded), "")
        check = _to_check(f"v:{fld}:{folded}") and bool(chosen.get((fld, folded)))
        guess = _guesses().get(f"v:{fld}:{folded}")
        why = f" Suggested because {guess.reason}." if guess is not None and guess.target else ""
        grid[i % 3].selectbox(
            # quoted: a code span in a widget label shows its backticks
            ("⚠ " if check else "") + f"{fld}: “{_md(answer)}”",
            ["", *mapping.VALUE_FIELDS[fld]],
            key=key,
            format_func=lambda v: "— no value: a problem —" if v == "" else v,
            on_change=_set_value,
            args=(fld, answer, key),
            help=(f"On {rows} row(s)." if rows else "Mapped for this session.") + why,
        )


def _show_mapping_file(has_files: bool, columns: Sequence[mapping.Column] = ()) -> None:
    used = _mapping()
    loaded = st.session_state.get(MAPPING_HEADERS)
    if has_files and loaded is not None:
        name, named = loaded
        present = {c.header for c in columns}
        gone = [h for h in named if h not in present]
        if gone:
            st.warning(
                f"The mapping **{_md(name)}** does not fit these files: they have no column "
                + ", ".join(f"“{_md(h)}”" for h in gone)
                + ". Its other choices are used; check the columns above.",
                icon=":material/link_off:",
            )
    with st.expander("Save or load this mapping (JSON)", expanded=False):
        st.caption(
            "Save the column and answer choices as a small JSON file: load it with the next "
            "export of the same form, or give it to `ridealong ingest FILE --mapping "
            "mapping.json`."
        )
        left, right = st.columns([1, 2])
        n = len(used.headers) + sum(len(v) for v in used.values.values())
        left.download_button(
            "Download mapping",
            data=used.document(),
            file_name="ridealong_mapping.json",
            mime="application/json",
            key="upl_dl_mapping",
            on_click="ignore",
            icon=":material/download:",
            help=f"{n} choice(s) in this session.",
        )
        right.file_uploader(
            "Load a mapping file", type=["json"], key=MAPPING_FILE, label_visibility="collapsed"
        )
        note = st.session_state.get(MAPPING_NOTE)
        if note is not None:
            kind, text = note
            getattr(st, kind)(text)


def _show_open(uploads: Sequence[Upload], check: Check) -> None:
    """The mapping is not complete: say what is open; the rows wait."""
    missing = [c.field for c in check.open if not c.key]
    answers = [c for c in check.open if c.key]
    parts = []
    if missing:
        parts.append("no column for " + ", ".join(f"**{f}**" for f in missing))
    if answers:
        parts.append(f"{_n(len(answers), 'answer')} without a value")
    st.info(
        f"**The mapping of {_md(_what(uploads))} is not complete**: "
        + " and ".join(parts)
        + ". The rows are checked as soon as it is; nothing is counted as a problem before.",
        icon=":material/rule:",
    )
    _show_flash()


def _show_check(uploads: Sequence[Upload], check: Check, columns: Sequence[mapping.Column]) -> None:
    st.subheader("Check")
    if not check.rows_checked:
        _show_open(uploads, check)
        if not check.problems:
            return
    if check.problems:
        n = len(check.problems)
        st.error(
            f"**{n} problem{'s' if n != 1 else ''} in {_md(_what(uploads))}: nothing can be "
            "explored or added until every one is fixed.** Correct the file and upload it "
            "again, or map its columns and answers on this page.",
            icon=":material/error:",
        )
        frame = problems_frame(check.problems)
        st.dataframe(
            frame.head(MAX_PROBLEMS_SHOWN),
            hide_index=True,
            width="stretch",
            column_config={"problem": st.column_config.TextColumn("problem", width="large")},
        )
        if n > MAX_PROBLEMS_SHOWN:
            st.caption(f"The first {MAX_PROBLEMS_SHOWN:,} are shown; the CSV has all {n:,}.")
        common.download_csv(
            problems_csv_frame(check.problems),
            "ridealong_problems.csv",
            key="upl_dl_problems",
            label="Download problems",
        )
        _show_flash()
        return
    result = check.result
    rows = sum(f.rows for f in result.files)
    # distinct calls: a call in two files is one call (the later file's version)
    calls, notes = (
        check.store.cursor()
        .execute("select (select count(*) from calls), (select count(*) from notes)")
        .fetchone()
    )
    st.success(
        f"**{_md(_what(uploads))} passed the check**: {_n(rows, 'row')}, {_n(calls, 'call')}, "
        f"{_n(notes, 'note')}.",
        icon=":material/check_circle:",
    )
    for f in result.files:
        if len(result.files) > 1:
            st.caption(
                f"{_md(f.file)}: {_n(f.rows, 'row')}, {_n(f.calls, 'call')}, {_n(f.notes, 'note')}."
            )
        for warning in f.warnings:
            st.caption(_md(warning))
    if calls == 0:
        st.warning(
            "Nothing to explore or add: the upload has a header but no rows.",
            icon=":material/draft:",
        )
        return
    unsure = _unsure_now(columns)
    left, right = st.columns(2)
    with left:
        explored = st.session_state.get(common.EXPLORE_KEY)
        exploring = explored is not None and explored[2] == check.signature[:16]
        explore = st.button(
            ("Exploring" if exploring else "Explore")
            + (" this file" if len(uploads) == 1 else " these files"),
            key="upl_explore",
            type="primary",
            icon=":material/travel_explore:",
            width="stretch",
            disabled=exploring,
        )
        st.caption(
            "Every page shows only this upload, in this browser session, with a banner and a "
            "way back. The team's store is untouched."
        )
    with right:
        again = st.session_state.get(ADDED) == check.signature
        add = st.button(
            "Add to the team's store again" if again else "Add to the team's store",
            key="upl_add",
            icon=":material/database_upload:",
            width="stretch",
            disabled=bool(unsure) or not common.may_write(),
        )
        if not common.may_write():
            st.caption(
                "Only an admin adds to the team's store: explore the file here, and ask your "
                "Ridealong admin to add it."
            )
        elif unsure:
            st.caption(
                f"Confirm or correct the {_n(len(unsure), 'guess').replace('guesss', 'guesses')} "
                "marked ⚠ first: the team's store gets only what you have looked at."
            )
        elif again:
            st.caption(
                "You added this upload in this session. Adding it again replaces the same calls "
                "and is recorded in the imports log again."
            )
        else:
            st.caption(
                "All or nothing, recorded in the imports log. A call already in the store (same "
                "observation_id, or same date, manager and rep) is replaced by this file's "
                "version. Everyone sees the new data on their next click."
            )
        if common.team_store(common.db_path()).is_sample():
            st.caption(
                "**The team's store holds only the bundled sample: adding removes the sample "
                "first.**"
            )
    _show_flash()
    if explore:
        _explore(uploads, check)
    if add and common.may_write():
        _add(uploads, check)


def _explore(uploads: Sequence[Upload], check: Check) -> None:
    label = ", ".join(u.name for u in uploads)
    st.session_state[common.EXPLORE_KEY] = (check.store, label, check.signature[:16])
    common.reset_filters()
    _flash(
        "success",
        "**Ready to explore.** Open any page to see only this upload; “Back to the team's "
        "data” in the banner returns to the team's store.",
        link=True,
    )
    st.rerun()


def _added_text(result: IngestResult, steps: Steps) -> str:
    if all(f.nothing_changed for f in result.files):
        return "\n\n".join(
            f"**{_md(f.file)} was already imported on {f.previous:%Y-%m-%d}, nothing changed.**"
            for f in result.files
        )
    unchanged = sum(f.unchanged for f in result.files)
    lines = [
        f"**Added to the team's store: {_n(result.added, 'call')} added, {result.replaced:,} "
        "replaced**" + (f" ({unchanged:,} of them unchanged)." if result.replaced else ".")
    ]
    if len(result.files) > 1:
        lines += [
            f"- {_md(f.line())}"
            if f.nothing_changed
            else f"- {_md(f.file)}: {_n(f.rows, 'row')}, {f.added:,} added, {f.replaced:,} replaced"
            for f in result.files
        ]
    if result.removed_sample:
        lines.append(
            "The bundled sample data was removed: the team's store now holds only your data."
        )
    lines.append(
        "Every open session shows the new data on its next interaction. "
        f"Took {sum(s for _, s in steps.steps):.2f} s ({_steps_text(steps.steps)})."
    )
    return "\n\n".join(lines)


def _add(uploads: Sequence[Upload], check: Check) -> None:
    team = common.team_store(common.db_path())
    used = _mapping()
    failure = None
    with st.status("Adding to the team's store…", expanded=True) as status:
        checking = f"Checking {_md(_what(uploads))} again, then writing it in one transaction"
        bar = st.progress(0.0, text=checking)
        steps = Steps(bar)

        def waiting(now: bool) -> None:
            if now:
                bar.progress(0.0, text="Waiting for another session's upload to finish")
            else:
                steps.mark("waited for another upload", 0.0)
                bar.progress(0.0, text=checking)

        try:
            result = add_uploads(
                team,
                uploads,
                used,
                progress=steps.ingest_progress("written to the team's store", 0.0, 1.0),
                waiting=waiting,
            )
        except importer.ImportFailed as exc:
            status.update(label="Nothing was written", state="error")
            st.session_state[CHECK] = Check(check.signature, None, None, exc.problems)
            _flash("error", "Nothing was written: the files have problems (listed above).")
            st.rerun()
        except Exception as exc:  # disk full, store removed...: say so, never a traceback
            status.update(label="Nothing was written", state="error")
            text = scrub(str(exc)).strip()
            failure = text.splitlines()[0] if text else type(exc).__name__
    if failure is not None:
        st.error(f"Nothing was written: the team's store could not be updated ({_md(failure)}).")
        return
    st.session_state[ADDED] = check.signature
    common.audit_event(
        "import", "Upload", {"files": [f.file for f in result.files], "added": result.added}
    )
    common.reset_filters()
    _flash("success", _added_text(result, steps))
    st.rerun()


def _show_imports() -> None:
    st.subheader("Recent imports into the team's store")
    rows = common.team_store(common.db_path()).imports(10)
    if not rows:
        st.caption("No imports yet.")
        return
    frame = pl.DataFrame(rows)
    if "mapping_hash" not in frame.columns:
        frame = frame.with_columns(pl.lit(None, pl.String).alias("mapping_hash"))
    frame = frame.select(
        "imported_at",
        "file",
        "source",
        "rows",
        "calls",
        "calls_added",
        "calls_replaced",
        "calls_unchanged",
        pl.col("mapping_hash").fill_null("—"),
    )
    st.dataframe(
        frame,
        hide_index=True,
        width="stretch",
        column_config={
            "imported_at": st.column_config.DatetimeColumn(
                "imported at", format="YYYY-MM-DD HH:mm"
            ),
            "calls_added": "added",
            "calls_replaced": "replaced",
            "calls_unchanged": "unchanged",
            "mapping_hash": st.column_config.TextColumn(
                "mapping", help="The hash of the mapping used (— for none)"
            ),
        },
    )
    common.download_csv(frame, "ridealong_imports.csv", key="upl_dl_imports")


def _columns_of(uploads: Sequence[Upload], reads: dict[str, Read]) -> list[mapping.Column]:
    return mapping.merge_columns([reads[u.file_id].columns for u in uploads])


def _prepare(uploads: Sequence[Upload]) -> tuple[dict[str, Read], Check]:
    """Read new files, extend the mapping with suggestions for what they bring, check the
    mapping as a whole, then (when nothing is open) the rows, showing progress; reuse what this
    session already did for the same bytes and mapping."""
    reads: dict[str, Read] = st.session_state.setdefault(READS, {})
    for file_id in [f for f in reads if f not in {u.file_id for u in uploads}]:
        del reads[file_id]
    new = [u for u in uploads if u.file_id not in reads]
    check: Check | None = st.session_state.get(CHECK)
    if not new:
        st.session_state[MAPPING] = mapping.extend(
            _mapping(), _columns_of(uploads, reads), _guesses()
        )
        sig = signature(uploads, reads, _mapping())
        if check is not None and check.signature == sig:
            state = "error" if check.problems else "complete"
            took = sum(seconds for _, seconds in check.steps)
            label = f"Read and checked {_md(_what(uploads))} in {took:.2f} s"
            with st.status(label, state=state, expanded=False) as status:
                status.write(_steps_text(check.steps) or "Nothing to do.")
            return reads, check
    size = sum(u.size for u in uploads) / 1e6
    with st.status(
        f"Reading and checking {_md(_what(uploads))} ({size:,.1f} MB)…", expanded=True
    ) as status:
        bar = st.progress(0.0, text="Reading")
        steps = Steps(bar)
        reading_share = 0.4 if new else 0.0
        for i, upload in enumerate(new):
            reads[upload.file_id] = read_upload(upload)
            steps.mark(f"read {upload.name}", reading_share * (i + 1) / len(new))
        st.session_state[MAPPING] = mapping.extend(
            _mapping(), _columns_of(uploads, reads), _guesses()
        )
        used = _mapping()
        sig = signature(uploads, reads, used)
        steps.restart()
        choices, header_problems = check_mapping(uploads, reads, used)
        # a column still missing stops the check before the rows; an answer without a value
        # does not (it may be a typo to fix in the file): its rows are problems, and mapping
        # it only ever takes problems away
        missing = [c for c in choices if not c.key]
        unreadable = [p for u in uploads for p in reads[u.file_id].problems]
        if (missing or header_problems) and not unreadable:
            steps.mark("checked the mapping", 1.0)
            check = Check(sig, None, None, header_problems, open=missing)
        else:
            check = check_uploads(
                uploads,
                used,
                sig,
                steps.ingest_progress("built a copy to explore", reading_share, 1 - reading_share),
            )
        check.steps = steps.steps
        status.update(
            label=f"Read and checked {_md(_what(uploads))} in "
            f"{sum(s for _, s in steps.steps):.2f} s",
            state="error" if check.problems else "complete",
            expanded=False,
        )
        status.write(_steps_text(steps.steps))
    _drop_check()
    st.session_state[CHECK] = check
    return reads, check


# ---- the page --------------------------------------------------------------------------------

st.title("Upload")
st.caption(
    "See an export from a colleague or another tool now: check it, explore it on its own, or "
    "add it to the team's store."
)
common.banners(common.source())
_apply_mapping_file()

limit = st.get_option("server.maxUploadSize")
uploaded = st.file_uploader(
    "Observation logs: CSV, Excel (.xlsx, first sheet) or Parquet",
    type=FILE_TYPES,
    accept_multiple_files=True,
    key=FILES,
    help=f"Up to {limit} MB per file (the server's `server.maxUploadSize` setting in "
    ".streamlit/config.toml). One row per note; a call with several notes spans several rows.",
)
uploads = [Upload(f.file_id, f.name, f.size, f) for f in uploaded or []]

if not uploads:
    st.session_state.pop(READS, None)
    _drop_check()
    st.info(
        "Drop one or more exports above — a Google Forms or Microsoft Forms export too: "
        "Ridealong suggests what its questions and answers mean, you confirm or correct. "
        "Nothing is written until you choose to.\n\n"
        f"Required columns: **{', '.join(REQUIRED)}** (common names such as *date*, *coach*, "
        "*salesperson* or *action* are recognised). Optional: "
        + ", ".join(f for f, required in importer.FIELDS.items() if not required)
        + ".",
        icon=":material/upload_file:",
    )
    _show_mapping_file(has_files=False)
    _show_imports()
    st.stop()

reads, check = _prepare(uploads)
columns = _columns_of(uploads, reads)
_show_preview(uploads, reads)
_show_columns(columns, check)
_show_values(columns, check)
_show_mapping_file(has_files=True, columns=columns)
_show_check(uploads, check, columns)
st.divider()
_show_imports()
