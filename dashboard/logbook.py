"""Log a ride-along from the dashboard: a call typed into a form, checked, and written through
the store's normal write path (Store.ingest: all-or-nothing, recorded in the imports log with
source 'form' and who logged it), then corrected, deleted or marked debriefed within the
rules below. No Streamlit here: the page (views/log.py) only draws what this module returns.

Rules
- A call logged here is one file of one call: its rows are the log format of the README, so
  the importer checks it again and an edit replaces the call by its observation_id like any
  import.
- Debrief "later" is stored as unknown (calls.debrief null) with logbook.debrief_later set,
  so every debrief metric counts it as unknown; the open-debriefs list shows "later".
- The person who logged a call may correct or delete it for EDIT_DAYS days after logging it;
  an admin (RIDEALONG_ADMINS) at any time. Without sign-in there is no person to tell apart,
  so anyone may, within the same EDIT_DAYS days.
"""

from __future__ import annotations

import csv
import datetime as dt
import os
import re
import secrets
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

import duckdb
import polars as pl

from dashboard import importer, metrics
from dashboard.access import EVERYTHING, Scope
from dashboard.store import WRITE_LOCK, IngestResult, Store, locked_ingest

SOURCE = "form"
EDIT_DAYS = 14  # a logger may correct or delete a call this many days after logging it
OPEN_DAYS = 14  # open debriefs: calls of the last this many days, today included
MAX_TEXT = 200  # characters in a name, a deal or a behaviour

ROLES = {
    "observer": "Observer: you watch and take notes; the rep runs the whole call.",
    "participant": "Planned part: you agreed beforehand to take one part (a demo, pricing…).",
}
ACTIONS = {
    "observed": "Observed: you stayed silent for the whole call.",
    "assisted": "Assisted: you answered a question and handed control back to the rep.",
    "took_over": "Took over: you ran part of the call yourself and did not hand it back.",
}
DEBRIEFS = {
    "yes": "Yes: you talked the call through with the rep.",
    "no": "No: there was no debrief.",
    "later": "Later: you will debrief soon; the call waits in the open debriefs.",
}
POLARITIES = ("praise", "criticism")
SEVERITIES = ("minor", "major")


@dataclass
class Note:
    """One behaviour noted on the call; a note with neither behaviour nor polarity is blank."""

    behavior: str = ""
    polarity: str | None = None  # 'praise' or 'criticism'
    severity: str | None = None  # 'minor' or 'major'; criticism only

    def blank(self) -> bool:
        return not _clean(self.behavior) and self.polarity is None


@dataclass
class Entry:
    """What the form holds: one call and its notes."""

    manager: str = ""
    rep: str = ""
    observed_on: dt.date | None = None
    manager_action: str | None = None
    planned_role: str | None = None
    team: str = ""
    deal: str = ""
    debrief: str | None = None  # 'yes', 'no', 'later'; None: not said (unknown)
    notes: list[Note] = field(default_factory=list)
    observation_id: str | None = None  # set when correcting a call already logged


@dataclass(frozen=True)
class FormProblem:
    """One thing wrong with the form: which field, the value, what is accepted, and a code
    callers branch on (never the message)."""

    field: str  # 'rep', 'observed_on', 'note 2'...
    value: str | None
    message: str
    code: str

    def __str__(self) -> str:
        shown = "" if self.value in (None, "") else f" {self.value!r}"
        return f"{self.field}:{shown} {self.message}"


class FormInvalid(Exception):
    """Raised with every problem of the form; nothing was written."""

    def __init__(self, problems: list[FormProblem]):
        self.problems = problems
        super().__init__("; ".join(str(p) for p in problems))


class NotAllowed(Exception):
    """This person may not change this call (the message says why and who may)."""


@dataclass(frozen=True)
class Logged:
    """Who logged a call on this page and when (the first time)."""

    logged_by: str | None
    logged_at: dt.datetime


@dataclass
class Saved:
    observation_id: str
    call_key: str
    edited: bool
    result: IngestResult


def _clean(value: str | None) -> str:
    """Trimmed, with runs of white space (line breaks included) folded to one space."""
    return re.sub(r"\s+", " ", value or "").strip()


def now_utc() -> dt.datetime:
    """The time the logbook keeps: UTC, without a zone (as DuckDB's timestamp column)."""
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


def admins() -> set[str]:
    """Who may correct or delete any logged call at any time: RIDEALONG_ADMINS, a
    comma-separated list of signed-in names or e-mail addresses."""
    return {a.strip().lower() for a in os.environ.get("RIDEALONG_ADMINS", "").split(",") if a}


def is_admin(user: str | None) -> bool:
    return user is not None and user.strip().lower() in admins()


# ---- checking -----------------------------------------------------------------------------


def validate(entry: Entry, today: dt.date) -> list[FormProblem]:
    """Every problem with the form, in the order of its fields; [] when it can be saved."""
    problems: list[FormProblem] = []

    def text(name: str, label: str, value: str, required: bool) -> None:
        cleaned = _clean(value)
        if required and not cleaned:
            problems.append(
                FormProblem(name, None, f"is missing: choose or type the {label}", f"no_{name}")
            )
        elif len(cleaned) > MAX_TEXT:
            problems.append(
                FormProblem(
                    name, cleaned[:40] + "…", f"is longer than {MAX_TEXT} characters", "too_long"
                )
            )

    text("manager", "manager (who rode along)", entry.manager, True)
    text("rep", "rep you rode along with", entry.rep, True)
    if entry.observed_on is None:
        problems.append(
            FormProblem("observed_on", None, "is missing: give the call's date", "no_date")
        )
    elif entry.observed_on > today:
        problems.append(
            FormProblem(
                "observed_on",
                entry.observed_on.isoformat(),
                f"is in the future: a ride-along is logged on the day of the call or after "
                f"(today is {today.isoformat()})",
                "future_date",
            )
        )
    text("team", "team", entry.team, False)
    text("deal", "deal", entry.deal, False)
    if entry.planned_role is not None and entry.planned_role not in ROLES:
        problems.append(
            FormProblem(
                "planned_role", entry.planned_role, f"is not {importer.one_of(ROLES)}", "bad_value"
            )
        )
    if entry.manager_action is None:
        problems.append(
            FormProblem(
                "manager_action",
                None,
                "is missing: say what you did on the call (observed, assisted or took over)",
                "no_action",
            )
        )
    elif entry.manager_action not in ACTIONS:
        problems.append(
            FormProblem(
                "manager_action",
                entry.manager_action,
                f"is not {importer.one_of(ACTIONS)}",
                "bad_value",
            )
        )
    if entry.debrief is not None and entry.debrief not in DEBRIEFS:
        problems.append(
            FormProblem(
                "debrief", entry.debrief, f"is not {importer.one_of(DEBRIEFS)}", "bad_value"
            )
        )
    for number, note in enumerate(entry.notes, start=1):
        if note.blank():
            continue
        name, behavior = f"note {number}", _clean(note.behavior)
        if not behavior:
            problems.append(
                FormProblem(
                    name,
                    note.polarity,
                    "has no behaviour: say what the rep did",
                    "note_without_behavior",
                )
            )
        elif len(behavior) > MAX_TEXT:
            problems.append(
                FormProblem(
                    name, behavior[:40] + "…", f"is longer than {MAX_TEXT} characters", "too_long"
                )
            )
        if note.polarity is None:
            problems.append(
                FormProblem(
                    name,
                    behavior or None,
                    "has neither praise nor criticism: choose one",
                    "note_without_polarity",
                )
            )
        elif note.polarity not in POLARITIES:
            problems.append(
                FormProblem(
                    name, note.polarity, f"is not {importer.one_of(POLARITIES)}", "bad_value"
                )
            )
        if note.severity is not None and note.severity not in SEVERITIES:
            problems.append(
                FormProblem(
                    name,
                    note.severity,
                    f"severity is not {importer.one_of(SEVERITIES)}",
                    "bad_value",
                )
            )
    return problems


# ---- the call as log rows -----------------------------------------------------------------

COLUMNS = (
    "observation_id",
    "observed_on",
    "manager",
    "rep",
    "team",
    "deal",
    "planned_role",
    "manager_action",
    "debrief",
    "behavior",
    "polarity",
    "severity",
)


def new_observation_id(now: dt.datetime) -> str:
    """RA-<when logged>-<4 hex>: calls on one day follow the order they were logged in."""
    return f"RA-{now:%Y%m%d-%H%M%S}-{secrets.token_hex(2)}"


def rows(entry: Entry, observation_id: str) -> list[dict[str, str]]:
    """The call in the log format (README, "The observation log"): one row per note, or one
    row with empty behaviour and polarity when nothing was noted."""
    call = {
        "observation_id": observation_id,
        "observed_on": entry.observed_on.isoformat() if entry.observed_on else "",
        "manager": _clean(entry.manager),
        "rep": _clean(entry.rep),
        "team": _clean(entry.team),
        "deal": _clean(entry.deal),
        "planned_role": entry.planned_role or "",
        "manager_action": entry.manager_action or "",
        "debrief": {"yes": "yes", "no": "no"}.get(entry.debrief or "", ""),
    }
    notes = [n for n in entry.notes if not n.blank()]
    if not notes:
        return [{**call, "behavior": "", "polarity": "", "severity": ""}]
    return [
        {
            **call,
            "behavior": _clean(n.behavior),
            "polarity": n.polarity or "",
            "severity": (n.severity or "") if n.polarity == "criticism" else "",
        }
        for n in notes
    ]


# ---- reading ------------------------------------------------------------------------------


def load(
    con: duckdb.DuckDBPyConnection, call_key: str, scope: Scope = EVERYTHING
) -> tuple[Entry, Logged | None] | None:
    """The call as the form shows it, and who logged it here (None: it came from a file);
    None when there is no such call (or it is outside `scope`)."""
    frame = metrics.run(con, "logged_call", call_key=call_key, scope=scope)
    if frame.is_empty():
        return None
    first = frame.row(0, named=True)
    notes = [
        Note(r["behavior"], r["polarity"], r["severity"])
        for r in frame.iter_rows(named=True)
        if r["behavior"] is not None
    ]
    entry = Entry(
        manager=first["manager"],
        rep=first["rep"],
        observed_on=first["observed_on"],
        manager_action=first["manager_action"],
        planned_role=first["planned_role"],
        team=first["team"] or "",
        deal=first["deal"] or "",
        debrief=None if first["debrief_state"] == "unknown" else first["debrief_state"],
        notes=notes,
        observation_id=first["observation_id"],
    )
    logged = None if first["logged_at"] is None else Logged(first["logged_by"], first["logged_at"])
    return entry, logged


def open_debriefs(
    con: duckdb.DuckDBPyConnection,
    manager: str | None,
    today: dt.date,
    scope: Scope = EVERYTHING,
) -> pl.DataFrame:
    """queries/open_debriefs.sql: the manager's calls of the last OPEN_DAYS days with a debrief
    marked later or unknown, oldest first (manager None: everyone's)."""
    return metrics.run(
        con, "open_debriefs", manager=manager, today=today, days=OPEN_DAYS, scope=scope
    )


# ---- who may change a call ----------------------------------------------------------------


def may_change(
    logged: Logged | None, user: str | None, now: dt.datetime, admin: bool = False
) -> tuple[bool, str]:
    """(allowed, why not). `user` is the signed-in person (None without sign-in)."""
    if logged is None:
        return False, (
            "this call came from an imported file, not from this page: correct it in the file "
            "and import the file again"
        )
    if admin:
        return True, ""
    if user is not None and (logged.logged_by or "").lower() != user.lower():
        return (
            False,
            f"{logged.logged_by or 'someone else'} logged this call: only they or an admin "
            "can change it",
        )
    if now - logged.logged_at > dt.timedelta(days=EDIT_DAYS):
        return False, (
            f"this call was logged on {logged.logged_at:%d %b %Y}: a call can be corrected or "
            f"deleted for {EDIT_DAYS} days after it was logged (an admin can still)"
        )
    return True, ""


def _check_change(store: Store, call_key: str, user: str | None, now: dt.datetime, admin: bool):
    found = load(store.cursor(), call_key)
    if found is None:
        raise NotAllowed(f"there is no call {call_key!r} in the store (deleted meanwhile?)")
    allowed, why = may_change(found[1], user, now, admin)
    if not allowed:
        raise NotAllowed(why)
    return found


# ---- writing ------------------------------------------------------------------------------


def label(observation_id: str) -> str:
    """What the imports log calls a call logged on the page."""
    return f"Log a ride-along {observation_id}"


def save(
    store: Store,
    entry: Entry,
    *,
    user: str | None,
    today: dt.date,
    now: dt.datetime | None = None,
    admin: bool = False,
    waiting: Callable[[bool], None] | None = None,
    other_process: Callable[[str], None] | None = None,
) -> Saved:
    """Check the form and write the call: a new call, or (entry.observation_id set) a
    correction that replaces it. `user` is who logs it (the imports log keeps it; None
    without sign-in). Raises FormInvalid (nothing written) or NotAllowed."""
    now = now or now_utc()
    problems = validate(entry, today)
    if problems:
        raise FormInvalid(problems)
    edited = entry.observation_id is not None
    if edited:
        _check_change(store, entry.observation_id, user, now, admin)
    observation_id = entry.observation_id or new_observation_id(now)
    later = entry.debrief == "later"

    def record(con: duckdb.DuckDBPyConnection) -> None:
        # in the write's transaction: the first logging is kept, the debrief state follows
        known = con.execute(
            "select count(*) from logbook where call_key = ?", [observation_id]
        ).fetchone()[0]
        if known:
            con.execute(
                "update logbook set debrief_later = ? where call_key = ?", [later, observation_id]
            )
        else:
            con.execute(
                "insert into logbook values (?, ?, ?, ?)", [observation_id, user, now, later]
            )

    with tempfile.TemporaryDirectory(prefix="ridealong-form-") as folder:
        path = Path(folder) / "ride-along.csv"
        with path.open("w", newline="", encoding="utf-8") as handle:
            writer = csv.DictWriter(handle, fieldnames=COLUMNS)
            writer.writeheader()
            writer.writerows(rows(entry, observation_id))
        try:
            result = locked_ingest(
                store,
                [path],
                waiting=waiting,
                other_process=other_process,
                source=SOURCE,
                display_names=[label(observation_id)],
                logged_by=user,
                on_write=record,
            )
        except importer.ImportFailed as exc:
            # the form's own checks should have caught it; say what the importer said
            raise FormInvalid(
                [
                    FormProblem(p.column or "form", p.value, p.message, "import")
                    for p in exc.problems
                ]
            ) from None
    return Saved(observation_id, observation_id, edited, result)


def delete(
    store: Store,
    call_key: str,
    *,
    user: str | None,
    now: dt.datetime | None = None,
    admin: bool = False,
) -> None:
    """Delete a logged call and its notes, recorded in the imports log. Raises NotAllowed."""
    now = now or now_utc()
    entry, _ = _check_change(store, call_key, user, now, admin)
    what = f"{label(call_key)} deleted ({entry.rep}, {entry.observed_on:%Y-%m-%d})"
    with WRITE_LOCK:
        store.delete_calls([call_key], label=what, source=SOURCE, logged_by=user)


def mark_debrief_held(
    store: Store,
    call_key: str,
    *,
    user: str | None,
    today: dt.date,
    now: dt.datetime | None = None,
    admin: bool = False,
) -> Saved:
    """The debrief marked "later" (or unknown) took place: the call is saved again with
    debrief yes, a correction like any other."""
    found = load(store.cursor(), call_key)
    if found is None:
        raise NotAllowed(f"there is no call {call_key!r} in the store (deleted meanwhile?)")
    return save(
        store, replace(found[0], debrief="yes"), user=user, today=today, now=now, admin=admin
    )
