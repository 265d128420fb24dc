"""The audit log: who signed in, what they viewed (page and filters), downloaded, imported or
undid, and access changes, with times.

One JSON object per line in `<store>.audit.jsonl` beside the store, appended with O_APPEND:
a dashboard opens the store read-only, so the log must not need a write to the store, and
every server process and the CLI can append to it at once (each line is one write()).
"""

from __future__ import annotations

import datetime as dt
import getpass
import json
import os
from pathlib import Path
from typing import Any

import polars as pl

from dashboard import formatting

FIELDS = ("at", "email", "event", "page", "detail")
EVENTS = ("sign_in", "sign_out", "denied", "view", "download", "import", "undo", "access")


def log_path(store_path: str | Path) -> Path:
    store_path = Path(store_path)
    return store_path.with_name(store_path.name + ".audit.jsonl")


def record(
    store_path: str | Path | None,
    email: str | None,
    event: str,
    page: str | None = None,
    detail: dict[str, Any] | str | None = None,
    *,
    start: bool = True,
) -> None:
    """Append one event (nothing for an in-memory store: Explore mode has no file). With
    start=False only to a log that exists: a local single-user store (no `access` command
    run, no sign-in) gets no log file from its imports."""
    if store_path is None or (not start and not log_path(store_path).exists()):
        return
    if event not in EVENTS:
        raise ValueError(f"unknown audit event {event!r}")
    entry = {
        "at": dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "email": email,
        "event": event,
        "page": page,
        "detail": detail,
    }
    line = (json.dumps(entry, default=str, ensure_ascii=False) + "\n").encode()
    fd = os.open(log_path(store_path), os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        size = os.fstat(fd).st_size
        if size and os.pread(fd, 1, size - 1) != b"\n":
            line = b"\n" + line  # after a line a crash cut short: start a line of our own
        os.write(fd, line)
    finally:
        os.close(fd)


def read(
    store_path: str | Path, since: dt.date | None = None, email: str | None = None
) -> list[dict[str, Any]]:
    """The events, oldest first; from the day `since` (UTC) on, of `email` only if given.
    A line that is not JSON (a write cut short by a crash) is skipped."""
    path = log_path(store_path)
    if not path.exists():
        return []
    wanted = email.strip().lower() if email else None
    out = []
    with open(path, encoding="utf-8", errors="replace") as handle:
        for line in handle:
            try:
                entry = json.loads(line)
            except json.JSONDecodeError:
                continue
            if not isinstance(entry, dict):
                continue
            if since and str(entry.get("at", ""))[:10] < since.isoformat():
                continue
            if wanted and (entry.get("email") or "").lower() != wanted:
                continue
            out.append({f: entry.get(f) for f in FIELDS})
    return out


def detail_text(detail: Any) -> str:
    if detail is None:
        return ""
    if isinstance(detail, str):
        return detail
    return json.dumps(detail, ensure_ascii=False, sort_keys=True)


def to_csv(entries: list[dict[str, Any]]) -> str:
    """The events as CSV, every cell guarded against spreadsheet formulas (a page name, a
    filter or a file name comes from people: `=HYPERLINK(...)` must stay text)."""
    rows = [
        [e["at"], e["email"], e["event"], e["page"], detail_text(e["detail"]) or None]
        for e in entries
    ]
    frame = pl.DataFrame(rows, schema={f: pl.String for f in FIELDS}, orient="row")
    return formatting.csv_bytes(frame).decode("utf-8")


def effective_user() -> str:
    """The user this process runs as (cron and services have no login terminal, where
    os.getlogin() fails): the effective uid's name, else what getpass finds, else the uid."""
    try:
        import pwd  # POSIX only

        return pwd.getpwuid(os.geteuid()).pw_name
    except (ImportError, KeyError):  # Windows; a uid without a passwd entry (containers)
        try:
            return getpass.getuser()
        except OSError:
            return f"uid{os.geteuid()}" if hasattr(os, "geteuid") else "unknown"
