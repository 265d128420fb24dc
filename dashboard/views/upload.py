"""Upload: an export from a colleague or another tool, seen now — checked, explored on its own,
or added to the team's store. Nothing is written while any problem remains.

States: no file (what to drop, a saved mapping, recent imports) -> files read, their columns and
answers mapped from suggestions (dashboard/mapping.py; unsure guesses marked), the mapping
checked as a whole, then the rows (preview, problems or a valid summary) -> Explore this file
(every page shows only the upload, in this session) or Add to the team's store (one
transaction, imports log with the mapping's hash).
"""

from __future__ import annotations

import copy
import re
from collections import Counter
from collections.abc import Sequence
from typing import Any

import polars as pl
import streamlit as st

from dashboard import importer, mapping
from dashboard.formatting import plain
from dashboard.store import IngestResult, StoreBusy
from dashboard.uploads import (
    Check,
    Read,
    Steps,
    Upload,
    add_uploads,
    check_mapping,
    check_uploads,
    checked_counts,
    problems_csv_frame,
    problems_frame,
    read_upload,
    receiving_room,
    scrub,
    server_fault,
    server_problems,
    signature,
)
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
COUNTED = "upl_counted"  # (files, signature, mapping, problems, why the count rose) last shown


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


def _field_label(field: str) -> str:
    if field == "":
        return "— not used —"
    return f"{field} (required)" if importer.FIELDS[field] else field


def _unique(headers: Sequence[str]) -> list[str]:
    out: list[str] = []
    for position, header in enumerate(headers):
        name = header.strip() or f"(column {position + 1})"
        candidate, suffix = name, 1
        while candidate in out:
            suffix += 1
            candidate = f"{name} ({suffix})"
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
            f"No column is read as **{choice.field}** ({_md(choice.why)}) yet."
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
        for position, header in enumerate(look):
            _header_select(grid[position % 3], header, columns)
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
            for position, header in enumerate(rest):
                _header_select(grid[position % 3], header, columns)
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
    from_rows = mapping.unrecognized(check.problems)
    entries: list[tuple[str, str, int]] = []  # (field, answer as written, rows)
    for fld in mapping.VALUE_FIELDS:
        seen: set[str] = set()
        answers: Counter = Counter()
        if fld in fields:
            answers.update(by_header[fields[fld]].values)
        answers.update(from_rows.get(fld, {}))
        for answer in list(used.values.get(fld, {})):
            answers.setdefault(answer, 0)
        for answer, rows in sorted(answers.items(), key=lambda item: (item[0].lower(), item[0])):
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
    for position, (fld, answer, rows) in enumerate(entries):
        folded = importer.fold_value(answer)
        key = f"upl_v:{fld}:{folded}"
        if key not in st.session_state:
            st.session_state[key] = chosen.get((fld, folded), "")
        check = _to_check(f"v:{fld}:{folded}") and bool(chosen.get((fld, folded)))
        guess = _guesses().get(f"v:{fld}:{folded}")
        why = f" Suggested because {guess.reason}." if guess is not None and guess.target else ""
        grid[position % 3].selectbox(
            # quoted: a code span in a widget label shows its backticks
            ("⚠ " if check else "") + f"{fld}: “{_md(answer)}”",
            ["", *mapping.VALUE_FIELDS[fld]],
            key=key,
            format_func=lambda value: "— no value: a problem —" if value == "" else value,
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
        count = len(used.headers) + sum(len(v) for v in used.values.values())
        left.download_button(
            "Download mapping",
            data=used.document(),
            file_name="ridealong_mapping.json",
            mime="application/json",
            key="upl_dl_mapping",
            on_click="ignore",
            icon=":material/download:",
            help=f"{count} choice(s) in this session.",
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


def _rise(uploads: Sequence[Upload], check: Check) -> str | None:
    """Why the problem count rose since the last check of the same files, kept for reruns."""
    files = tuple(u.file_id for u in uploads)
    last = st.session_state.get(COUNTED)
    if last is None or last[1] != check.signature:
        why = None
        if last is not None and last[0] == files:
            why = mapping.rise(last[3], check.problems, last[2], _mapping())
        last = (files, check.signature, copy.deepcopy(_mapping()), list(check.problems), why)
        st.session_state[COUNTED] = last
    return last[4]


def _show_check(uploads: Sequence[Upload], check: Check, columns: Sequence[mapping.Column]) -> None:
    st.subheader("Check")
    why = _rise(uploads, check)
    if why:
        st.warning(_md(why), icon=":material/trending_up:")
    if not check.rows_checked:
        _show_open(uploads, check)
        if not check.problems:
            return
    if server_problems(check.problems):
        st.error(
            f"**{_md(_what(uploads))} could not be checked: the server could not do it just "
            "now.** The file is not at fault and need not change: try again later, or ask "
            "whoever runs Ridealong to free space or memory on the server.",
            icon=":material/dns:",
        )
        for problem in server_problems(check.problems):
            st.caption(_md(str(problem)))
        _show_flash()
        return
    if check.problems:
        count = len(check.problems)
        st.error(
            f"**{count} problem{'s' if count != 1 else ''} in {_md(_what(uploads))}: nothing can "
            "be explored or added until every one is fixed.** Correct the file and upload it "
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
        if count > MAX_PROBLEMS_SHOWN:
            st.caption(f"The first {MAX_PROBLEMS_SHOWN:,} are shown; the CSV has all {count:,}.")
        common.download_csv(
            problems_csv_frame(check.problems),
            "ridealong_problems.csv",
            key="upl_dl_problems",
            label="Download problems",
        )
        _show_flash()
        return
    result = check.result
    rows = sum(done.rows for done in result.files)
    # distinct calls: a call in two files is one call (the later file's version)
    calls, notes = checked_counts(check.store)
    st.success(
        f"**{_md(_what(uploads))} passed the check**: {_n(rows, 'row')}, {_n(calls, 'call')}, "
        f"{_n(notes, 'note')}.",
        icon=":material/check_circle:",
    )
    for done in result.files:
        if len(result.files) > 1:
            st.caption(
                f"{_md(done.file)}: {_n(done.rows, 'row')}, {_n(done.calls, 'call')}, "
                f"{_n(done.notes, 'note')}."
            )
        for warning in done.warnings:
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
            disabled=bool(unsure) or common.read_only() or not common.may_write(),
        )
        if common.read_only():
            st.caption(_read_only_text())
        elif not common.may_write():
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
    failure = busy = None
    with st.status("Adding to the team's store…", expanded=True) as status:
        checking = f"Writing the checked rows of {_md(_what(uploads))} in one transaction"
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
                logged_by=common.signed_in_email(),
                check=check,
                other_process=lambda holder: bar.progress(
                    0.0, text=common.other_writer_text(holder, team.wait)
                ),
            )
        except importer.ImportFailed as exc:
            status.update(label="Nothing was written", state="error")
            st.session_state[CHECK] = Check(check.signature, None, None, exc.problems)
            _flash("error", "Nothing was written: the files have problems (listed above).")
            st.rerun()
        except StoreBusy as exc:
            status.update(label="Nothing was written", state="error")
            busy = common.busy_text(exc, team.wait, "written")
        except Exception as exc:  # disk full, store removed...: say so, never a traceback
            status.update(label="Nothing was written", state="error")
            lacking = server_fault(exc)
            if lacking is not None:
                failure = (
                    f"the server ran out of {lacking}; the file is not at fault: try again later, "
                    "or ask whoever runs Ridealong to free some"
                )
            else:
                text = scrub(str(exc)).strip()
                failure = text.splitlines()[0] if text else type(exc).__name__
    if busy is not None:
        st.error(busy, icon=":material/schedule:")
        return
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


def _read_only_text() -> str:
    path = common.db_path()
    return (
        "**This dashboard only reads the team's store** (`serve --read-only`): imports happen "
        f"where the store is written — `ridealong ingest FILE --db {path}` on that machine, or "
        "the Upload page of the dashboard that writes it. New data shows here within seconds. "
        "Exploring a file (nothing stored) works here too."
    )


UNDO_CONFIRM = "upl_undo_confirm"


def _offer_undo() -> None:
    """Undo the most recent import (store.Store.undo: only that one, once), after a second
    click that says what it does."""
    store = common.team_store(common.db_path())
    undoable = [] if common.read_only() or not common.may_write() else store.undoable()
    if not undoable:
        return
    rows = {r["import_id"]: r for r in store.imports(len(undoable) + 5)}
    last = undoable[-1]
    files = ", ".join(rows[i]["file"] for i in undoable if i in rows)
    numbers = ", ".join(str(i) for i in undoable)
    if not st.session_state.get(UNDO_CONFIRM):
        if st.button(
            f"Undo the last import: {plain(files)}", key="upl_undo", icon=":material/undo:"
        ):
            st.session_state[UNDO_CONFIRM] = last
            st.rerun()
        return
    st.warning(
        f"**Undo import {numbers} ({plain(files)})?** The team's store goes back to how it was "
        "before it, for everyone; the imports log keeps a line saying so.",
        icon=":material/undo:",
    )
    row = st.container(horizontal=True, gap="small")
    if row.button("Yes, undo it", key="upl_undo_yes", type="primary"):
        st.session_state.pop(UNDO_CONFIRM, None)
        told = st.empty()
        try:
            with store.telling_waits(
                lambda holder: told.info(
                    common.other_writer_text(holder, store.wait), icon=":material/hourglass_top:"
                )
            ):
                undone = store.undo(last)
        except StoreBusy as exc:
            _flash("error", common.busy_text(exc, store.wait, "undone"))
        except Exception as exc:  # refused (another write came first), disk full...
            _flash("error", f"Nothing was undone: {_md(scrub(str(exc)).splitlines()[0])}")
        else:
            calls = sum(r["calls"] or 0 for r in undone)
            common.audit_event(
                "undo", "Upload", {"imports": [r["import_id"] for r in undone], "calls": calls}
            )
            _flash("success", f"Undone: {plain(files)} ({_n(calls, 'call')}).")
            common.reset_filters()
        st.rerun()
    if row.button("Cancel", key="upl_undo_no"):
        st.session_state.pop(UNDO_CONFIRM, None)
        st.rerun()


def _show_imports() -> None:
    st.subheader("Recent imports into the team's store")
    _show_flash()
    _offer_undo()
    rows = common.team_store(common.db_path()).imports(10)
    if not rows:
        st.caption("No imports yet.")
        return
    frame = pl.DataFrame(rows)
    for column, kind in (("mapping_hash", pl.String), ("undone_by", pl.Int32)):
        if column not in frame.columns:
            frame = frame.with_columns(pl.lit(None, kind).alias(column))
    frame = frame.select(
        "import_id",
        "imported_at",
        "file",
        "source",
        "rows",
        "calls",
        "calls_added",
        "calls_replaced",
        "calls_unchanged",
        pl.col("mapping_hash").fill_null("—"),
        pl.format("#{}", "undone_by").fill_null("—").alias("undone_by"),
    )
    st.dataframe(
        frame,
        hide_index=True,
        width="stretch",
        column_config={
            "import_id": st.column_config.NumberColumn("#", format="%d"),
            "undone_by": st.column_config.TextColumn(
                "undone by", help="The undo that reverted this import (— for none)"
            ),
            "imported_at": st.column_config.DatetimeColumn(
                "imported at", format="YYYY-MM-DD HH:mm"
            ),
            "rows": common.count_column("rows"),
            "calls": common.count_column("calls"),
            "calls_added": common.count_column("added"),
            "calls_replaced": common.count_column("replaced"),
            "calls_unchanged": common.count_column("unchanged"),
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
        if check is not None and check.signature == sig and not check.expired():
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
        for position, upload in enumerate(new):
            reads[upload.file_id] = read_upload(upload)
            steps.mark(f"read {upload.name}", reading_share * (position + 1) / len(new))
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
    if check.store is not None:
        common.keep_for_session(check.store)
    return reads, check


# ---- the page --------------------------------------------------------------------------------

st.title("Upload")
st.caption(
    "See an export from a colleague or another tool now: check it, explore it on its own, or "
    "add it to the team's store."
)
common.banners(common.source())
if common.read_only():
    st.info(_read_only_text(), icon=":material/lock:")
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
room = receiving_room(limit)
if room:
    st.warning(_md(room), icon=":material/storage:")

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
