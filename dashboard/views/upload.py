"""Upload: an export from a colleague or another tool, seen now — checked, explored on its own,
or added to the team's store. Nothing is written while any problem remains.

States: no file (what to drop, a saved mapping, recent imports) -> files read and checked
(preview, column mapping, problems or a valid summary) -> Explore this file (every page shows
only the upload, in this session) or Add to the team's store (one transaction, imports log).
"""

from __future__ import annotations

import hashlib
import json
import re
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import polars as pl
import streamlit as st

from dashboard import importer
from dashboard.store import IngestResult, Store, drop_scratch, locked_ingest, new_scratch
from dashboard.text import plain
from dashboard.views import common

PREVIEW_ROWS = 10
MAX_PROBLEMS_SHOWN = 1000
FILE_TYPES = ["csv", "tsv", "txt", "xlsx", "parquet"]
REQUIRED = [f for f, required in importer.FIELDS.items() if required]

# session_state keys (all "upl_..."): the mapping outlives the uploaded files, for the session.
MAPPING = "upl_mapping"  # {"headers": {header: field or ""}, "values": {field: {spelling: v}}}
DAYFIRST = "upl_dayfirst_saved"
DAYFIRST_WIDGET = "upl_dayfirst"
FILES = "upl_files"
MAPPING_FILE = "upl_mapping_file"
MAPPING_LOADED = "upl_mapping_loaded"  # file_id of the mapping file last applied
MAPPING_NOTE = "upl_mapping_note"  # (kind, text) about the mapping file last uploaded
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
    """One uploaded file read once: its content hash, and its preview or why it cannot be read."""

    digest: str
    preview: importer.Preview | None
    problems: list[importer.Problem]


@dataclass
class Check:
    """The uploaded files validated with the current mapping: an in-memory store, or problems."""

    signature: str
    store: Store | None
    result: IngestResult | None
    problems: list[importer.Problem]
    steps: list[tuple[str, float]] = field(default_factory=list)


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
            preview = importer.preview(path, PREVIEW_ROWS, display_name=upload.name)
    except importer.ImportFailed as exc:
        return Read(digest, None, exc.problems)
    return Read(digest, preview, [])


def header_overrides(mapping: dict) -> dict[str, str] | None:
    return dict(mapping["headers"]) or None


def value_overrides(mapping: dict) -> dict[str, dict[str, str]] | None:
    return {f: dict(v) for f, v in mapping["values"].items() if v} or None


def _unexpected(uploads: Sequence[Upload], exc: Exception) -> importer.Problem:
    text = scrub(str(exc)).strip()
    reason = text.splitlines()[0] if text else type(exc).__name__
    names = ", ".join(u.name for u in uploads)
    return importer.Problem(names, None, None, None, f"could not be read ({reason})")


def check_uploads(
    uploads: Sequence[Upload],
    mapping: dict,
    dayfirst: bool,
    signature: str,
    progress: Callable[[str, float], None] | None = None,
) -> Check:
    """Validate the uploads into a fresh in-memory store: the copy that Explore shows."""
    store = Store(None)
    try:
        with temp_files(uploads) as paths:
            result = store.ingest(
                paths,
                dayfirst=dayfirst,
                source="upload",
                display_names=[u.name for u in uploads],
                header_overrides=header_overrides(mapping),
                value_overrides=value_overrides(mapping),
                progress=progress,
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
    mapping: dict,
    dayfirst: bool,
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
            dayfirst=dayfirst,
            source="upload",
            display_names=[u.name for u in uploads],
            header_overrides=header_overrides(mapping),
            value_overrides=value_overrides(mapping),
            progress=progress,
        )


def signature(
    uploads: Sequence[Upload], reads: dict[str, Read], mapping: dict, dayfirst: bool
) -> str:
    doc = {
        "files": [[u.name, reads[u.file_id].digest] for u in uploads],
        "mapping": mapping,
        "dayfirst": dayfirst,
    }
    return hashlib.sha256(json.dumps(doc, sort_keys=True).encode()).hexdigest()


def problems_frame(problems: Sequence[importer.Problem]) -> pl.DataFrame:
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


def auto_field(header: str) -> str | None:
    """The field a header means with no mapping (its name or a known alias), or None."""
    found = importer.map_headers([header])[0]
    return next(iter(found), None)


# ---- session state ---------------------------------------------------------------------------


def _mapping() -> dict:
    if MAPPING not in st.session_state:
        st.session_state[MAPPING] = {
            "headers": {},
            "values": {f: {} for f in importer.MAPPABLE_VALUES},
        }
    return st.session_state[MAPPING]


def _forget_mapping_widgets() -> None:
    for key in list(st.session_state):
        if isinstance(key, str) and key.startswith(("upl_h:", "upl_v:")):
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
        headers, values = importer.parse_mapping(uploaded.getvalue())
    except ValueError as exc:
        st.session_state[MAPPING_NOTE] = (
            "error",
            f"**{_md(uploaded.name)}** was not loaded: it {exc}. The mapping in use is unchanged.",
        )
        return
    st.session_state[MAPPING] = {
        "headers": headers,
        "values": {f: dict(values.get(f, {})) for f in importer.MAPPABLE_VALUES},
    }
    _forget_mapping_widgets()
    n_values = sum(len(v) for v in values.values())
    st.session_state[MAPPING_NOTE] = (
        "success",
        f"Loaded **{_md(uploaded.name)}**: {len(headers)} column(s) and {n_values} value(s) "
        "mapped.",
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


def _code(text: str) -> str:
    """Text shown verbatim as inline code (no Markdown, links or LaTeX inside)."""
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * (longest + 1)
    return f"{fence} {text} {fence}" if longest else f"{fence}{text}{fence}"


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


def _examples(reads: Sequence[Read], header: str, limit: int = 3) -> list[str]:
    seen: list[str] = []
    for read in reads:
        if read.preview is None or header not in read.preview.headers:
            continue
        i = read.preview.headers.index(header)
        for row in read.preview.first:
            value = row[i]
            if value is not None and value.strip() and value not in seen:
                seen.append(value)
            if len(seen) >= limit:
                return seen
    return seen


def _n(count: int, word: str) -> str:
    """1 row, 2 rows, 1,200 calls."""
    return f"{count:,} {word}" + ("" if count == 1 else "s")


def _what(uploads: Sequence[Upload]) -> str:
    if len(uploads) == 1:
        return uploads[0].name
    return f"{len(uploads)} files"


def _steps_text(steps: Sequence[tuple[str, float]]) -> str:
    return " · ".join(f"{_md(label)} {seconds:.2f} s" for label, seconds in steps)


def _set_header(header: str, auto: str | None, key: str) -> None:
    value = st.session_state[key]
    headers = _mapping()["headers"]
    if value == (auto or ""):
        headers.pop(header, None)
    else:
        headers[header] = value


def _header_select(where: Any, header: str, auto: str | None, reads: Sequence[Read]) -> None:
    key = f"upl_h:{header}"
    if key not in st.session_state:
        st.session_state[key] = _mapping()["headers"].get(header, auto or "")
    examples = _examples(reads, header)
    hint = "First values: " + ", ".join(repr(v) for v in examples) if examples else "Empty"
    where.selectbox(
        _md(header),
        ["", *importer.FIELDS],
        key=key,
        format_func=_field_label,
        on_change=_set_header,
        args=(header, auto, key),
        help=_md(hint) + (f". Recognised as {auto}." if auto else "."),
    )


def _set_value(fld: str, spelling: str, key: str) -> None:
    value = st.session_state[key]
    spellings = _mapping()["values"].setdefault(fld, {})
    folded = importer.fold_value(spelling)
    for other in [s for s in spellings if importer.fold_value(s) == folded]:
        del spellings[other]
    if value:
        spellings[spelling] = value


def _set_dayfirst() -> None:
    st.session_state[DAYFIRST] = bool(st.session_state[DAYFIRST_WIDGET])


def _show_preview(uploads: Sequence[Upload], reads: dict[str, Read]) -> None:
    overrides = header_overrides(_mapping())
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
            found, _ignored, _problems = importer.map_headers(pv.headers, overrides)
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
                [list(r) for r in pv.first],
                schema={n: pl.String for n in names},
                orient="row",
            )
            left, right = st.columns([1, 2])
            left.dataframe(columns, hide_index=True, width="stretch")
            right.dataframe(rows, hide_index=True, width="stretch")


def _show_columns(reads: Sequence[Read]) -> None:
    headers: list[str] = []
    for read in reads:
        if read.preview is not None:
            headers += [h for h in read.preview.headers if h.strip() and h not in headers]
    auto = {h: auto_field(h) for h in headers}
    unknown = [h for h in headers if auto[h] is None]
    known = [h for h in headers if auto[h] is not None]
    st.subheader("Columns")
    required = ", ".join(REQUIRED)
    if unknown:
        st.markdown(
            f"Ridealong does not recognise **{len(unknown)}** column(s); they are not read unless "
            f"you choose a field. Required fields: {required}. The choice is remembered for this "
            "session, for every file with the same header."
        )
        grid = st.columns(3)
        for i, header in enumerate(unknown):
            _header_select(grid[i % 3], header, None, reads)
    elif headers:
        st.caption(f"Every column was recognised. Required fields: {required}.")
    if known:
        with st.expander(f"Change how the {len(known)} recognised column(s) are read"):
            grid = st.columns(3)
            for i, header in enumerate(known):
                _header_select(grid[i % 3], header, auto[header], reads)
    if DAYFIRST_WIDGET not in st.session_state:
        st.session_state[DAYFIRST_WIDGET] = st.session_state.get(DAYFIRST, False)
    st.checkbox(
        "Slashed dates are day first (DD/MM/YYYY)",
        key=DAYFIRST_WIDGET,
        on_change=_set_dayfirst,
        help="Dates like 03/04/2026 are read as MM/DD/YYYY (US) unless this is ticked. "
        "YYYY-MM-DD is always read as such.",
    )


def _show_values(check: Check) -> None:
    """Select boxes for manager_action and polarity values the vocabulary does not know."""
    found = importer.unrecognised_values(check.problems)
    mapped = _mapping()["values"]
    shown: dict[str, dict[str, int | None]] = {}
    for fld in importer.MAPPABLE_VALUES:
        entries: dict[str, int | None] = dict(found[fld])
        folded = {importer.fold_value(s) for s in entries}
        for spelling in mapped.get(fld, {}):
            if importer.fold_value(spelling) not in folded:
                entries[spelling] = None
                folded.add(importer.fold_value(spelling))
        if entries:
            shown[fld] = entries
    if not shown:
        return
    st.markdown("**Values Ridealong does not recognise**: choose what each one means.")
    grid = st.columns(3)
    i = 0
    for fld, entries in shown.items():
        accepted = importer.accepted_values(fld)
        current_of = {importer.fold_value(s): v for s, v in mapped.get(fld, {}).items()}
        for spelling, rows in entries.items():
            key = f"upl_v:{fld}:{importer.fold_value(spelling)}"
            if key not in st.session_state:
                st.session_state[key] = current_of.get(importer.fold_value(spelling), "")
            grid[i % 3].selectbox(
                f"{fld}: {_code(spelling)}",
                ["", *accepted],
                key=key,
                format_func=lambda v: "— leave as a problem —" if v == "" else v,
                on_change=_set_value,
                args=(fld, spelling, key),
                help="Mapped for this session." if rows is None else f"On {rows} row(s).",
            )
            i += 1


def _show_mapping_file(has_files: bool) -> None:
    mapping = _mapping()
    with st.expander("Save or load this mapping (JSON)", expanded=False):
        st.caption(
            "Save the column and value choices as a small JSON file, and load it with the next "
            "export of the same tool."
        )
        left, right = st.columns([1, 2])
        n = len(mapping["headers"]) + sum(len(v) for v in mapping["values"].values())
        left.download_button(
            "Download mapping",
            data=importer.mapping_document(mapping["headers"], mapping["values"]),
            file_name="ridealong_mapping.json",
            mime="application/json",
            key="upl_dl_mapping",
            on_click="ignore",
            icon=":material/download:",
            help=f"{n} choice(s) made in this session.",
        )
        right.file_uploader(
            "Load a mapping file", type=["json"], key=MAPPING_FILE, label_visibility="collapsed"
        )
        note = st.session_state.get(MAPPING_NOTE)
        if note is not None:
            kind, text = note
            getattr(st, kind)(text)


def _show_check(uploads: Sequence[Upload], check: Check) -> None:
    st.subheader("Check")
    if check.problems:
        n = len(check.problems)
        st.error(
            f"**{n} problem{'s' if n != 1 else ''} in {_md(_what(uploads))}: nothing can be "
            "explored or added until every one is fixed.** Correct the file and upload it "
            "again, or map its columns and values on this page.",
            icon=":material/error:",
        )
        frame = problems_frame(check.problems)
        st.dataframe(
            frame.head(MAX_PROBLEMS_SHOWN),
            hide_index=True,
            width="stretch",
            column_config={
                "line": st.column_config.NumberColumn("line", format="%d"),
                "problem": st.column_config.TextColumn("problem", width="large"),
            },
        )
        if n > MAX_PROBLEMS_SHOWN:
            st.caption(f"The first {MAX_PROBLEMS_SHOWN:,} are shown; the CSV has all {n:,}.")
        common.download_csv(
            frame, "ridealong_problems.csv", key="upl_dl_problems", label="Download problems"
        )
        _show_flash()
        _show_values(check)
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
    _show_values(check)
    if calls == 0:
        st.warning(
            "Nothing to explore or add: the upload has a header but no rows.",
            icon=":material/draft:",
        )
        return
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
        )
        if again:
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
    _show_flash()
    if explore:
        _explore(uploads, check)
    if add:
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


def _add(uploads: Sequence[Upload], check: Check) -> None:
    team = common.team_store(common.db_path())
    mapping = _mapping()
    dayfirst = bool(st.session_state.get(DAYFIRST, False))
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
                mapping,
                dayfirst,
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
    unchanged = sum(f.unchanged for f in result.files)
    lines = [
        f"**Added to the team's store: {_n(result.added, 'call')} added, {result.replaced:,} "
        "replaced**" + (f" ({unchanged:,} of them unchanged)." if result.replaced else ".")
    ]
    if len(result.files) > 1:
        lines += [
            f"- {_md(f.file)}: {_n(f.rows, 'row')}, {f.added:,} added, {f.replaced:,} replaced"
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
    st.session_state[ADDED] = check.signature
    common.reset_filters()
    _flash("success", "\n\n".join(lines))
    st.rerun()


def _show_imports() -> None:
    st.subheader("Recent imports into the team's store")
    rows = common.team_store(common.db_path()).imports(10)
    if not rows:
        st.caption("No imports yet.")
        return
    frame = pl.DataFrame(rows).select(
        "imported_at",
        "file",
        "source",
        "rows",
        "calls",
        "calls_added",
        "calls_replaced",
        "calls_unchanged",
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
        },
    )
    common.download_csv(frame, "ridealong_imports.csv", key="upl_dl_imports")


def _prepare(uploads: Sequence[Upload]) -> tuple[dict[str, Read], Check]:
    """Read new files and check them with the current mapping, showing progress; reuse what this
    session already did for the same bytes, mapping and date order."""
    reads: dict[str, Read] = st.session_state.setdefault(READS, {})
    for file_id in [f for f in reads if f not in {u.file_id for u in uploads}]:
        del reads[file_id]
    mapping = _mapping()
    dayfirst = bool(st.session_state.get(DAYFIRST, False))
    new = [u for u in uploads if u.file_id not in reads]
    check: Check | None = st.session_state.get(CHECK)
    if not new:
        sig = signature(uploads, reads, mapping, dayfirst)
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
        sig = signature(uploads, reads, mapping, dayfirst)
        steps.restart()
        check = check_uploads(
            uploads,
            mapping,
            dayfirst,
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
        "Drop one or more exports above. Nothing is written until you choose to: first you see "
        "the first rows, how each column is read and every problem, by file, line and column.\n\n"
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
_show_preview(uploads, reads)
_show_columns([reads[u.file_id] for u in uploads])
_show_mapping_file(has_files=True)
_show_check(uploads, check)
st.divider()
_show_imports()
