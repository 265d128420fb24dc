"""The `ridealong` command."""

from __future__ import annotations

import contextlib
import datetime as dt
import importlib
import json
import os
import signal
import sys
import tempfile
import tomllib
from collections.abc import Callable
from pathlib import Path

import click

from dashboard import access, audit, importer, metrics
from dashboard import mapping as mapping_mod
from dashboard.store import (
    DEFAULT_WAIT,
    DERIVED_VERSION,
    LAYOUT_VERSION,
    READ_ONLY_ENV,
    WAIT_ENV,
    Store,
    StoreBusy,
    StoreError,
    UndoRefused,
    default_db_path,
    load_files,
    lock_path,
    remove_stale_scratch,
)

DB_HELP = (
    "The store (a DuckDB file). Default: $RIDEALONG_DB, else the per-user data directory "
    f"(here: {default_db_path()})."
)


def _db_option(command):
    return click.option(
        "--db",
        "db",
        type=click.Path(dir_okay=False, path_type=Path),
        default=None,
        help=DB_HELP,
    )(command)


def _dayfirst_option(command):
    return click.option(
        "--dayfirst",
        is_flag=True,
        help="Read slashed dates as DD/MM/YYYY instead of MM/DD/YYYY.",
    )(command)


def _db_path(db: Path | None) -> Path:
    if db is not None and (not str(db).strip() or db.is_dir()):
        _fail(f"--db {str(db)!r} is empty or a folder: give the store's file name", 2)
    return db if db is not None else default_db_path()


def _fail(message: str, code: int = 1) -> None:
    click.echo(f"ridealong: {message}", err=True)
    sys.exit(code)


def _problems(exc: importer.ImportFailed) -> None:
    """Every problem on stderr, one line each; exit status 2; nothing was written."""
    click.echo(importer.format_problems(exc.problems), err=True)
    count = len(exc.problems)
    click.echo(
        f"ridealong: {count} problem{'s' if count != 1 else ''} found; nothing was written.",
        err=True,
    )
    if any(p.code == "missing_column" for p in exc.problems):
        click.echo(
            "ridealong: for a form export, `ridealong map FILE --out mapping.json` suggests "
            "what its columns mean; review it, then pass --mapping mapping.json.",
            err=True,
        )
    sys.exit(2)


def _mapping_option(command):
    return click.option(
        "--mapping",
        "mapping_file",
        type=click.Path(exists=True, dir_okay=False, path_type=Path),
        default=None,
        help="A mapping file (JSON, from `ridealong map` or the Upload page) saying what the "
        "files' columns and answers mean.",
    )(command)


def _load_mapping(mapping_file: Path | None, files: tuple[str, ...]) -> mapping_mod.Mapping:
    """The mapping file, checked against every file's headers; a problem exits 2."""
    if mapping_file is None:
        return mapping_mod.Mapping()
    try:
        loaded = mapping_mod.load(mapping_file)
    except mapping_mod.MappingError as exc:
        _fail(f"--mapping {exc}", 2)
    except OSError as exc:
        _fail(f"--mapping {mapping_file}: cannot be read ({exc.strerror or exc})", 2)
    problems = []
    for file in files:
        try:
            headers = importer.preview(file, 0).headers
        except importer.ImportFailed as exc:
            _problems(exc)
        gone = loaded.missing_headers(headers)
        if gone:
            problems.append(
                importer.Problem(
                    Path(file).name,
                    1,
                    None,
                    None,
                    f"does not fit the mapping {mapping_file.name}: it has no column "
                    + ", ".join(repr(h) for h in gone)
                    + " (its headers: "
                    + ", ".join(repr(h) for h in headers)
                    + ")",
                )
            )
    if problems:
        _problems(importer.ImportFailed(problems))
    return loaded


def _wait_option(
    command=None,
    *,
    words: str = "If another process is writing the store, wait this long for it, then give up "
    "(exit status 2).",
):
    """--wait SECONDS (DEFAULT_WAIT); `@_wait_option(words=...)`: its help for one command."""

    def add(command):
        return click.option(
            "--wait",
            type=click.FloatRange(0),
            default=DEFAULT_WAIT,
            show_default=True,
            metavar="SECONDS",
            help=words,
        )(command)

    return add if command is None else add(command)


def _waiting(wait: float) -> Callable[[str], None]:
    def say(holder: str) -> None:
        click.echo(
            f"ridealong: waiting for {holder} to finish writing the store (up to {wait:g} s)...",
            err=True,
        )

    return say


def _notice(line: str) -> None:
    click.echo(f"ridealong: {line}", err=True)


def _open_store(db: Path | None, *, read_only: bool = False, wait: float = DEFAULT_WAIT) -> Store:
    """The store; a reader of a store from an older Ridealong upgrades it first (a write,
    so it waits its turn like one) unless the file cannot be written."""
    path = _db_path(db)
    try:
        if read_only:
            store = Store(path, read_only=True)
            layout = store.layout()
            if layout == (LAYOUT_VERSION, DERIVED_VERSION):
                return store
            store.close()
            if not os.access(path.parent, os.W_OK):
                _fail(
                    f"the store {path} is from an older Ridealong (layout {layout[0]}, derived "
                    f"tables {layout[1]}; this one reads layout {LAYOUT_VERSION}, derived tables "
                    f"{DERIVED_VERSION}) and its folder cannot be written here to upgrade it: "
                    "run any ridealong command once where it can",
                    1,
                )
        store = Store(path, wait=wait, waiting=_waiting(wait), notice=_notice)  # upgrades
        if read_only:
            store.close()
            store = Store(path, read_only=True)
        return store
    except StoreBusy as exc:
        _fail(str(exc), 2)
    except (StoreError, FileNotFoundError) as exc:
        _fail(str(exc))
    raise AssertionError("unreachable")


class _Stopped(BaseException):
    """SIGTERM or SIGHUP: unwinds like Ctrl-C, so transactions roll back and scratch goes."""

    def __init__(self, signum: int):
        self.signum = signum
        super().__init__(signal.Signals(signum).name)


_signalled: list[int] = []


def _stop(signum: int, _frame: object) -> None:
    _signalled.append(signum)
    raise _Stopped(signum)


def _one_line(exc: BaseException) -> str:
    text = str(exc).strip()
    first = text[:2000].splitlines()[0] if text else type(exc).__name__
    return first[:500]


class _Command(click.Group):
    """Every failure ends as one `ridealong: ...` line on stderr and an exit status, never a
    traceback (RIDEALONG_DEBUG=1 shows it): usage errors exit 2, interruptions 128 + signal,
    a store or disk that fails 1. Stale scratch folders of dead processes are removed first."""

    def main(self, *args, standalone_mode: bool = True, **kwargs):  # type: ignore[override]
        if not standalone_mode:
            return super().main(*args, standalone_mode=False, **kwargs)
        previous = {}
        for signum in (signal.SIGTERM, signal.SIGHUP):
            # not in the main thread (a test runner) signals are left alone
            with contextlib.suppress(ValueError):
                previous[signum] = signal.signal(signum, _stop)
        try:
            remove_stale_scratch()
            rv = super().main(*args, standalone_mode=False, **kwargs)
        except click.exceptions.NoArgsIsHelpError as exc:
            exc.show()
            sys.exit(exc.exit_code)
        except click.UsageError as exc:
            hint = f" (see `{exc.ctx.command_path} --help`)" if exc.ctx else ""
            _fail(f"{exc.format_message()}{hint}", exc.exit_code)
        except click.ClickException as exc:
            _fail(exc.format_message(), exc.exit_code)
        except (click.Abort, KeyboardInterrupt):
            _fail("interrupted; nothing was written", 130)
        except _Stopped as exc:
            _fail(f"stopped by {exc}; nothing was written", 128 + exc.signum)
        except StoreBusy as exc:
            _fail(_one_line(exc), 2)
        except (StoreError, importer.ImportFailed) as exc:
            _fail(_one_line(exc))
        except Exception as exc:
            if _signalled:  # DuckDB turns the signal's exception into "Query interrupted"
                _fail(
                    f"stopped by {signal.Signals(_signalled[0]).name}; nothing was written",
                    128 + _signalled[0],
                )
            if os.environ.get("RIDEALONG_DEBUG"):
                raise
            if isinstance(exc, OSError) and exc.strerror:
                where = f" ({exc.filename})" if exc.filename else ""
                _fail(f"{exc.strerror}{where}; nothing was written")
            _fail(f"{_one_line(exc)} ({type(exc).__name__}); nothing was written")
        finally:
            for signum, handler in previous.items():
                signal.signal(signum, handler)
        sys.exit(rv if isinstance(rv, int) else 0)


def _atomic_write(out: Path, write: Callable[[Path], None]) -> None:
    """write(temporary path) beside `out`, then rename it over `out`: a full disk or a kill
    leaves the earlier file as it was, never a truncated one."""
    out = out.absolute()
    fd, name = tempfile.mkstemp(prefix=f".{out.stem}.", suffix=out.suffix, dir=out.parent)
    os.close(fd)
    tmp = Path(name)
    try:
        write(tmp)
        with open(tmp, "rb+") as handle:
            os.fsync(handle.fileno())
        os.replace(tmp, out)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


@click.group(cls=_Command, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="ridealong")
def main() -> None:
    """Ridealong: coaching analytics from sales leaders' ride-along logs.

    Import exported observation logs into a store, compute the coaching metrics, start the
    dashboard, and write the quarterly team review.
    """


@main.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False))
@_db_option
@_dayfirst_option
@_mapping_option
@_wait_option
def ingest(
    files: tuple[str, ...],
    db: Path | None,
    dayfirst: bool,
    mapping_file: Path | None,
    wait: float,
) -> None:
    """Validate FILES (CSV, XLSX, Parquet), then add them to the store in one transaction.

    A call is keyed by its observation_id (or date + manager + rep): importing a call again
    replaces all of its notes, so re-importing a file changes nothing. With any problem in any
    file, every problem is listed on stderr, nothing is written and the exit status is 2.
    With --mapping, the mapping file says what the columns and answers mean (see `map`); the
    imports log records its hash.
    """
    used = _load_mapping(mapping_file, files)
    path = _db_path(db)
    existed, folder_existed = path.exists(), path.parent.exists()
    store = _open_store(db, wait=wait)
    try:
        result = store.ingest(
            list(files),
            dayfirst=dayfirst or used.dayfirst,
            header_overrides=used.header_overrides(),
            value_overrides=used.value_overrides(),
            mapping_hash=used.digest(),
        )
    except importer.ImportFailed as exc:
        store.close()
        if not existed:  # "nothing was written": not even an empty store
            _remove_store_file(path, folder_existed)
        _problems(exc)
    finally:
        store.close()
    click.echo(result.summary(), err=True)
    click.echo(f"Store: {store.path}", err=True)
    audit.record(
        store.path,
        _actor(),
        "import",
        "ingest",
        {"files": [f.file for f in result.files], "added": result.added},
        start=False,
    )


def _remove_store_file(path: Path, folder_existed: bool) -> None:
    """Remove a store file this command created (and its write-ahead log), and its folder if
    the command created that too."""
    for leftover in (path, path.with_name(path.name + ".wal"), lock_path(path)):
        leftover.unlink(missing_ok=True)
    if not folder_existed:
        with contextlib.suppress(OSError):  # not empty after all: leave it
            path.parent.rmdir()


@main.command()
@_db_option
@click.option(
    "--limit",
    type=click.IntRange(1),
    default=20,
    show_default=True,
    help="How many imports to list.",
)
def imports(db: Path | None, limit: int) -> None:
    """List the most recent imports recorded in the store."""
    store = _open_store(db, read_only=True)
    try:
        _list_imports(store, limit)
    finally:
        store.close()


def _list_imports(store: Store, limit: int) -> None:
    rows = store.imports(limit)
    if not rows:
        click.echo("No imports yet.")
        return
    for entry in rows:
        if entry["source"] == "undo":
            click.echo(
                f"#{entry['import_id']} {entry['imported_at']:%Y-%m-%d %H:%M} {entry['file']}"
            )
            continue
        line = (
            f"#{entry['import_id']} {entry['imported_at']:%Y-%m-%d %H:%M} {entry['file']} "
            f"({entry['source']}): "
            f"{entry['rows']} rows, {entry['calls']} calls, {entry['calls_added']} added, "
            f"{entry['calls_replaced']} replaced ({entry['calls_unchanged']} unchanged) "
            f"sha256 {entry['content_hash'][:12]}"
            + (f" mapping {entry['mapping_hash']}" if entry.get("mapping_hash") else "")
        )
        # columns a store gains on upgrade (queries/schema.sql)
        if entry.get("calls_deleted"):
            line += f", {entry['calls_deleted']} deleted"
        if entry.get("logged_by"):
            line += f", by {entry['logged_by']}"
        if entry.get("undone_by"):
            line += f" [undone by #{entry['undone_by']}]"
        click.echo(line)


@main.command()
@click.argument("import_id", type=click.IntRange(1))
@_db_option
@_wait_option
def undo(import_id: int, db: Path | None, wait: float) -> None:
    """Put the store back as it was before import IMPORT_ID (see `imports`).

    Only the most recent import can be undone (all the files it added at once), and only
    once: the store keeps the copy from before its last write. The undo is recorded in the
    imports log, and the undone import stays listed, marked as undone.
    """
    path = _db_path(db)
    if not path.exists():
        _fail(f"no store at {path}: nothing to undo", 2)
    store = _open_store(db, wait=wait)
    try:
        undone = store.undo(import_id)
    except UndoRefused as exc:
        _fail(str(exc), 2)
    finally:
        store.close()
    for entry in undone:
        click.echo(
            f"Undid import #{entry['import_id']} {entry['file']} ({entry['calls']} calls)", err=True
        )
    audit.record(
        path,
        _actor(),
        "undo",
        detail={"imports": [r["import_id"] for r in undone], "files": [r["file"] for r in undone]},
        start=False,
    )
    click.echo(f"Store: {path}", err=True)


def _window_option(command):
    return click.option(
        "--window",
        type=click.IntRange(1, metrics.MAX_WINDOW),
        default=metrics.DEFAULT_WINDOW,
        show_default=True,
        help="K: a behaviour recurs if noted again on one of the rep's next K calls.",
    )(command)


def _filters_options(command):
    command = click.option("--rep", "reps", multiple=True, help="Only this rep (repeatable).")(
        command
    )
    command = click.option("--manager", "managers", multiple=True, help="Only this manager.")(
        command
    )
    command = click.option("--team", "teams", multiple=True, help="Only this team ('' = no team).")(
        command
    )
    command = click.option(
        "--end", type=click.DateTime(["%Y-%m-%d"]), help="Last day (YYYY-MM-DD)."
    )(command)
    command = click.option(
        "--start", type=click.DateTime(["%Y-%m-%d"]), help="First day (YYYY-MM-DD)."
    )(command)
    return command


@main.command("metrics")
@click.argument("files", nargs=-1, type=click.Path(exists=True, dir_okay=False))
@_db_option
@click.option(
    "--by", type=click.Choice(metrics.BY_FIELDS), default=None, help="One result per group."
)
@_window_option
@click.option(
    "--min-n",
    type=click.IntRange(1),
    default=metrics.DEFAULT_MIN_N,
    show_default=True,
    help="Flag results resting on fewer eligible events than this.",
)
@click.option(
    "--adjust-by",
    type=click.Choice(metrics.ADJUST_BY),
    default=metrics.DEFAULT_ADJUST_BY,
    show_default=True,
    help="Compare recognised with unrecognised praise, and each response with observe + "
    "debrief, within each rep (or manager): Mantel-Haenszel risk ratios.",
)
@_filters_options
@_dayfirst_option
@click.option("--json", "as_json", is_flag=True, help="Only JSON on stdout.")
@_mapping_option
def metrics_cmd(
    files: tuple[str, ...],
    db: Path | None,
    by: str | None,
    window: int,
    min_n: int,
    adjust_by: str,
    start: dt.datetime | None,
    end: dt.datetime | None,
    teams: tuple[str, ...],
    managers: tuple[str, ...],
    reps: tuple[str, ...],
    dayfirst: bool,
    as_json: bool,
    mapping_file: Path | None,
) -> None:
    """Compute the coaching metrics from FILES (nothing is stored) or from the store.

    Rates carry Wilson 95% intervals; results resting on few events are flagged. The
    recurrence and mistake-repeat comparisons are observational: managers choose when to step
    in, and praise tends to follow unusually good calls (regression to the mean).
    """
    if start and end and start > end:
        _fail(f"--start {start:%Y-%m-%d} is after --end {end:%Y-%m-%d}", 2)
    if mapping_file is not None and not files:
        _fail("--mapping applies to FILES: give the files it maps", 2)
    used = _load_mapping(mapping_file, files)
    if files:
        try:
            store, result = load_files(
                list(files),
                dayfirst=dayfirst or used.dayfirst,
                header_overrides=used.header_overrides(),
                value_overrides=used.value_overrides(),
            )
        except importer.ImportFailed as exc:
            _problems(exc)
        click.echo(_read_summary(result), err=True)
    else:
        store = _open_store(db, read_only=True)
    unknown = _unknown_filter_values(store, teams=teams, managers=managers, reps=reps)
    if unknown:
        store.close()
        _fail(unknown, 2)
    filters = metrics.Filters(
        start=start.date() if start else None,
        end=end.date() if end else None,
        teams=teams,
        managers=managers,
        reps=reps,
        window=window,
        min_n=min_n,
    )
    data = metrics.metrics_json(store.con, filters, by, adjust_by)
    store.close()
    if as_json:
        click.echo(json.dumps(data))  # compact: indent= switches to the slow pure-Python encoder
        return
    from dashboard.formatting import metrics_table

    click.echo(metrics_table(data, by))


def _read_summary(result) -> str:
    """What `metrics FILE...` read: nothing is stored, so nothing is added or replaced."""
    lines = []
    for read in result.files:
        lines.append(
            f"{read.file}: {read.rows} rows, {read.calls} calls, {read.notes} notes read "
            "(nothing is stored)"
        )
        lines += [f"  note: {w}" for w in read.warnings]
    return "\n".join(lines)


FILTER_NAMES = {"teams": "team", "managers": "manager", "reps": "rep"}


def _unknown_filter_values(store: Store, **chosen: tuple[str, ...]) -> str | None:
    """An error naming each --team/--manager/--rep value no call has, and the values that
    exist (as `report` does for --team); None when every value is known."""
    known = metrics.run(store.con, "data_range", scope=access.EVERYTHING).row(0, named=True)
    messages = []
    for field, values in chosen.items():
        have = known[field] or []
        missing = [v for v in values if v not in have]
        if missing:
            names = ", ".join(repr(v) for v in missing)
            listed = ", ".join("'' (no team)" if v == "" else repr(v) for v in have) or "none"
            messages.append(
                f"unknown {FILTER_NAMES[field]} {names}; {field} in the data: {listed}."
            )
    return " ".join(messages) or None


@main.command()
@_db_option
@click.option(
    "--quarter",
    default=None,
    metavar="YYYY-Qn",
    help="The quarter to review, e.g. 2026-Q3. Default: the last complete quarter in the data.",
)
@click.option("--team", "teams", multiple=True, help="Only this team (repeatable; '' = no team).")
@_window_option
@click.option(
    "--out",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="The file to write: .html (self-contained, opens offline) or .pdf.",
)
@click.option(
    "--ignore-policy",
    is_flag=True,
    help="Every rep and group in full, whatever the store's privacy policy says (`access "
    "policy`); while a policy is on, recorded in the audit log.",
)
def report(
    db: Path | None,
    quarter: str | None,
    teams: tuple[str, ...],
    window: int,
    out: Path,
    ignore_policy: bool,
) -> None:
    """Write the quarterly team review: the quarter against the one before, per manager and
    rep, coaching coverage, what worked, what keeps going wrong, and guarded highlights.

    The figures are those of `ridealong metrics --by quarter` for the same data. A quarter is
    complete once the data reaches its last day or the quarter has ended. The review is a
    document to hand around, so it follows the store's privacy policy (`ridealong access
    policy`) as a dashboard does for everyone but admins, unless --ignore-policy is given.
    """
    from dashboard import quarterly

    suffix = out.suffix.lower()
    if suffix not in (".html", ".pdf"):
        _fail(f"--out {out}: the review is written as .html or .pdf", 2)
    store = _open_store(db, read_only=True)
    try:
        source = quarterly.SAMPLE_SOURCE if store.is_sample() else ""
        policy_on = access.policy(store.con).active
        scope = access.EVERYTHING if ignore_policy else access.scope_for(store.con, None)
        review = quarterly.build_review(
            store.con, quarter, teams, window, source=source, scope=scope
        )
        data = (
            quarterly.render_html(review).encode("utf-8")
            if suffix == ".html"
            else quarterly.render_pdf(review)
        )
    except quarterly.ReviewError as exc:
        _fail(str(exc), 2)
    finally:
        store.close()
    try:
        _atomic_write(out, lambda tmp: tmp.write_bytes(data))
    except OSError as exc:
        _fail(f"cannot write {out}: {exc.strerror or exc}; nothing was written")
    if ignore_policy and policy_on:  # full detail that privacy mode would have kept back
        audit.record(
            _db_path(db), _actor(), "download", detail=f"report {out.name} with --ignore-policy"
        )
    click.echo(
        f"Wrote the {review.quarter} review ({review.scope}, {review.current['calls']:,} calls) "
        f"to {out}",
        err=True,
    )


@main.command("map")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Write the mapping to this .json file instead of stdout.",
)
def map_cmd(file: Path, out: Path | None) -> None:
    """Suggest what FILE's columns and answers mean: a mapping in the Upload page's JSON
    format (version, headers, values), for review and for `ingest|metrics --mapping`.

    Each guess, how sure it is and why go to stderr; unsure ones are marked "check".
    """
    try:
        read = importer.preview(file, mapping_mod.PROFILE_ROWS)
    except importer.ImportFailed as exc:
        _problems(exc)
    columns = mapping_mod.columns_of(read.headers, read.first)
    suggestion = mapping_mod.suggest(columns)
    proposed = suggestion.mapping()
    for guess in suggestion.headers:
        mark = "sure " if guess.sure else "check"
        click.echo(
            f"  {mark} {guess.key!r} -> {guess.target or '(not used)'}: {guess.reason}", err=True
        )
    for fld, guesses in suggestion.values.items():
        for guess in guesses:
            mark = "sure " if guess.sure else "check"
            click.echo(
                f"  {mark} {fld} {guess.key!r} -> {guess.target or '(no value)'}: {guess.reason}",
                err=True,
            )
    if suggestion.dayfirst:
        click.echo("  sure  slashed dates are day first (a day above 12 comes first)", err=True)
    for choice in mapping_mod.open_choices(columns, proposed):
        if choice.key:
            click.echo(f"  still open: {choice.field} {choice.key!r} has no value", err=True)
        else:
            could = ", ".join(repr(h) for h in choice.candidates) or "no column"
            click.echo(f"  still open: no column for {choice.field} (could be: {could})", err=True)
    advice = mapping_mod.titles_below(read.headers, read.first)
    if advice:
        click.echo(f"  check {file.name}:1: {advice}", err=True)
    unsure = len(suggestion.unsure())
    click.echo(
        f"{file.name}: {len(suggestion.headers)} columns, "
        f"{sum(len(v) for v in suggestion.values.values())} answers mapped; "
        f"{unsure} guess{'es' if unsure != 1 else ''} to check.",
        err=True,
    )
    if out is None:
        click.echo(proposed.document(), nl=False)
        return
    try:
        out.write_text(proposed.document(), encoding="utf-8")
    except OSError as exc:
        _fail(f"cannot write {out}: {exc.strerror or exc}")
    click.echo(f"Wrote {out}: use it with `ridealong ingest {file.name} --mapping {out}`", err=True)


@main.command()
@click.option("--calls", type=click.IntRange(1), default=3000, show_default=True)
@click.option("--seed", type=int, default=7, show_default=True)
@click.option(
    "--out",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="A .csv or .parquet file.",
)
@click.option(
    "--effects",
    type=click.Choice(["planted", "none"]),
    default="planted",
    show_default=True,
    help="planted: debriefs and responses change what comes next. none: the same people and "
    "habits with no such effect (to check that the adjusted comparisons find none).",
)
def sample(calls: int, seed: int, out: Path, effects: str) -> None:
    """Write a realistic observation log (deterministic for a seed)."""
    from dashboard import sample as sample_mod

    if out.suffix.lower() not in (".csv", ".parquet"):
        _fail(f"--out {out}: the sample is written as .csv or .parquet", 2)
    frame = sample_mod.generate(calls, seed, effects)
    try:
        _atomic_write(out, lambda tmp: sample_mod.write(frame, tmp))
    except OSError as exc:
        _fail(f"cannot write {out}: {exc.strerror or exc}; nothing was written")
    click.echo(f"Wrote {frame.height} rows ({calls} calls, seed {seed}) to {out}", err=True)


def streamlit_flags() -> list[str]:
    """.streamlit/config.toml as command-line flags, so `serve` behaves the same from a wheel."""
    from dashboard.resources import streamlit_config

    config = tomllib.loads(streamlit_config().read_text(encoding="utf-8"))
    flags = []
    for section, values in config.items():
        for key, value in values.items():
            if isinstance(value, bool):
                value = str(value).lower()
            flags.append(f"--{section}.{key}={value}")
    return flags


LOOPBACK = ("127.0.0.1", "localhost", "::1")
AUTH_KEYS = ("redirect_uri", "cookie_secret", "client_id", "client_secret", "server_metadata_url")


def _check_auth_file(auth: Path, port: int) -> None:
    """--auth FILE must hold Streamlit's [auth] section with every key sign-in needs."""
    try:
        config = tomllib.loads(auth.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        _fail(f"--auth {auth}: cannot read it ({exc}); nothing was started", 2)
    except tomllib.TOMLDecodeError as exc:
        _fail(f"--auth {auth}: not TOML ({exc}); nothing was started", 2)
    section = config.get("auth")
    if not isinstance(section, dict):
        _fail(f"--auth {auth}: no [auth] section (Streamlit's st.login settings)", 2)
    # one provider, its keys in [auth] itself: the sign-in button calls st.login() unnamed
    found = dict(section)
    missing = [k for k in AUTH_KEYS if not found.get(k)]
    if missing:
        _fail(f"--auth {auth}: [auth] lacks {', '.join(missing)}", 2)
    redirect = str(found["redirect_uri"])
    if not redirect.rstrip("/").endswith("/oauth2callback"):
        _fail(
            f"--auth {auth}: redirect_uri {redirect!r} must end in /oauth2callback "
            f"(e.g. http://HOST:{port}/oauth2callback)",
            2,
        )


@main.command()
@_db_option
@click.option("--port", type=click.IntRange(1, 65535), default=8501, show_default=True)
@click.option(
    "--host",
    default="127.0.0.1",
    show_default=True,
    help="Address to listen on. Anything but this computer (127.0.0.1) needs --auth or --no-auth.",
)
@click.option(
    "--auth",
    "auth",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=None,
    help="A TOML file with Streamlit's [auth] section (redirect_uri, cookie_secret, client_id, "
    "client_secret, server_metadata_url): every page then needs sign-in with your identity "
    "provider, and each person sees what `ridealong access grant` gave them.",
)
@click.option(
    "--no-auth",
    "no_auth",
    is_flag=True,
    help="Serve to the network without sign-in: everyone who can reach it sees everything.",
)
@click.option(
    "--read-only",
    is_flag=True,
    help="Never write the store (a replica, e.g. on shared storage): uploads and logging are "
    "off, and new snapshots written elsewhere show up by themselves.",
)
@_wait_option(
    words="If another process is writing the store, an upload or a ride-along logged on a page "
    "waits this long for it (the page says so), then gives up and writes nothing."
)
def serve(
    db: Path | None,
    port: int,
    host: str,
    auth: Path | None,
    no_auth: bool,
    read_only: bool,
    wait: float,
) -> None:
    """Start the dashboard (headless: it prints its address and opens no browser). An empty
    store is filled with the bundled sample, unless the sample was cleared from it.

    Any number of dashboards, `metrics`, `report` and `imports` can read the store while one
    process writes it (an upload, `ingest`, `undo`); each write is swapped in whole."""
    from streamlit.web import cli as stcli

    if auth is not None and no_auth:
        _fail("--auth and --no-auth contradict each other: give one", 2)
    if host.strip().lower() not in LOOPBACK and auth is None and not no_auth:
        _fail(
            f"--host {host} serves the dashboard to the network, where anyone who reaches it "
            "would see every coaching note: give --auth FILE (sign-in) or say --no-auth",
            2,
        )
    if auth is not None:
        _check_auth_file(auth, port)
    path = _db_path(db)
    if read_only:
        store = _open_store(path, read_only=True)
        if store.layout()[0] < LAYOUT_VERSION:
            store.close()
            _fail(
                f"the store {path} is from an older Ridealong (layout {store.layout()[0]}, this "
                f"one reads {LAYOUT_VERSION}): run `ridealong imports --db {path}` once where "
                "the store can be written, to upgrade it",
                2,
            )
        store.close()
        os.environ[READ_ONLY_ENV] = "1"
    else:
        store = _open_store(path)
        loaded = store.load_sample_if_empty()
        cleared = store.is_empty() and store.was_cleared()
        store.close()
        if loaded:
            click.echo(f"The store was empty: loaded the bundled sample into {path}", err=True)
        elif cleared:
            click.echo(
                "The store is empty (the sample was cleared): upload a log to start.", err=True
            )
        os.environ.pop(READ_ONLY_ENV, None)
    os.environ["RIDEALONG_DB"] = str(path)
    os.environ[WAIT_ENV] = f"{wait:g}"
    from dashboard.resources import streamlit_config
    from dashboard.uploads import receiving_room

    limit = tomllib.loads(streamlit_config().read_text(encoding="utf-8"))["server"]
    room = receiving_room(int(limit.get("maxUploadSize", 200)))
    if room:  # uploads larger than the free space would fail with a bare error 500
        click.echo(room, err=True)
    os.environ["RIDEALONG_AUTH"] = "1" if auth is not None else "0"
    app = Path(__file__).with_name("app.py")
    sys.argv = [
        "streamlit",
        "run",
        str(app),
        *streamlit_flags(),
        f"--server.port={port}",
        f"--server.address={host}",
        "--server.headless=true",
        *([f"--secrets.files={auth.resolve()}"] if auth is not None else []),
    ]
    mode = ", read-only" if read_only else ""
    how = "sign-in required" if auth is not None else "no sign-in"
    _import_for_pages()
    click.echo(f"Ridealong on http://{host}:{port} (store: {path}{mode}; {how})", err=True)
    sys.exit(stcli.main())


# What the pages import, imported before the server takes its first session. Sessions run in
# threads: two first runs importing pandas at once let Altair see it half imported
# ("partially initialized module 'pandas' has no attribute 'Timestamp'"), and the first
# visitors after a start got an error page (seen with twenty sessions opening at once).
PAGE_IMPORTS = (
    "pandas",
    "pyarrow",
    "altair",
    "dashboard.charts",
    "dashboard.quarterly",
)


def _import_for_pages() -> None:
    for name in PAGE_IMPORTS:
        importlib.import_module(name)


# ---- access and audit ------------------------------------------------------------------------


def _actor() -> str:
    """Who ran a CLI command, for the audit log: cli:<user>, the effective user the command
    runs as (a cron job or a service has no login terminal, so not os.getlogin())."""
    return f"cli:{audit.effective_user()}"


def _open_for_access(db: Path | None) -> Store:
    """The store, opened to change access: it must exist (a grant never creates a store), and
    no other process may hold it (DuckDB: one writer at a time)."""
    path = _db_path(db)
    if not path.exists():
        _fail(f"no store at {path}: import a log first (`ridealong ingest FILE --db {path}`)", 2)
    try:
        return Store(path)
    except StoreBusy as exc:
        _fail(f"{exc}; nothing was changed", 2)
    except StoreError as exc:
        _fail(str(exc))
    raise AssertionError("unreachable")


@main.group()
def access_cmd() -> None:
    """Who may see what when the dashboard is served with --auth (grants and privacy mode)."""


main.add_command(access_cmd, "access")


@access_cmd.command("grant")
@_db_option
@click.argument("email")
@click.option("--all", "everything", is_flag=True, help="Every call in the store.")
@click.option(
    "--team",
    "teams",
    multiple=True,
    help="Every call of this team (repeatable: a leader of several teams).",
)
@click.option(
    "--manager",
    "managers",
    multiple=True,
    help="The calls this manager observed, and every call of the reps they observed (repeatable).",
)
@click.option(
    "--admin",
    is_flag=True,
    help="May add to the store, manage access and read the audit log; sees everything.",
)
def access_grant(
    db: Path | None,
    email: str,
    everything: bool,
    teams: tuple[str, ...],
    managers: tuple[str, ...],
    admin: bool,
) -> None:
    """Give EMAIL access (replacing any earlier grant of theirs)."""
    store = _open_for_access(db)
    try:
        if teams or managers:
            hint = _unknown_filter_values(
                store,
                **({"teams": teams} if teams else {}),
                **({"managers": managers} if managers else {}),
            )
            if hint:
                _fail(f"{hint} Nothing was granted.", 2)
        try:
            with store.writing() as con:
                found = access.grant(
                    con,
                    email,
                    everything=everything,
                    teams=teams,
                    managers=managers,
                    admin=admin,
                    by=_actor(),
                )
        except access.AccessError as exc:
            _fail(f"{exc}; nothing was granted", 2)
    finally:
        store.close()
    audit.record(
        _db_path(db), _actor(), "access", detail=f"grant {found.email}: {found.describe()}"
    )
    click.echo(f"{found.email}: {found.describe()}")


@access_cmd.command("revoke")
@_db_option
@click.argument("email")
def access_revoke(db: Path | None, email: str) -> None:
    """Remove EMAIL's access."""
    store = _open_for_access(db)
    try:
        try:
            with store.writing() as con:
                removed = access.revoke(con, email)
        except access.AccessError as exc:
            _fail(str(exc), 2)
    finally:
        store.close()
    if not removed:
        _fail(f"{email} has no grant; nothing changed", 2)
    audit.record(_db_path(db), _actor(), "access", detail=f"revoke {email.strip().lower()}")
    click.echo(f"{email.strip().lower()}: access revoked")


@access_cmd.command("list")
@_db_option
def access_list(db: Path | None) -> None:
    """Every grant and the privacy policy."""
    store = _open_store(db, read_only=True)
    try:
        found, pol = access.grants(store.con), access.policy(store.con)
    finally:
        store.close()
    if not found:
        click.echo("No grants: with --auth, nobody who signs in sees any figure yet.")
    for grant in found:
        when = f" (since {grant.granted_at:%Y-%m-%d})" if grant.granted_at else ""
        click.echo(f"{grant.email}: {grant.describe()}{when}")
    click.echo(f"Privacy mode: {pol.describe()}")


@access_cmd.command("policy")
@_db_option
@click.option(
    "--min-group",
    type=click.IntRange(1),
    default=None,
    help="Teams and managers with fewer reps than this are shown together as 'other' (1: off).",
)
@click.option(
    "--no-individual-reps/--individual-reps",
    "no_reps",
    default=None,
    help="Turn per-rep pages and rows off (or back on) for everyone but admins.",
)
def access_policy(db: Path | None, min_group: int | None, no_reps: bool | None) -> None:
    """Set privacy mode (for works councils); with no option, print it."""
    show = min_group is None and no_reps is None
    store = _open_store(db, read_only=True) if show else _open_for_access(db)
    try:
        current = access.policy(store.con)
        if min_group is None and no_reps is None:
            click.echo(f"Privacy mode: {current.describe()}")
            return
        with store.writing() as con:
            new = access.set_policy(
                con,
                current.min_group if min_group is None else min_group,
                current.individual_reps if no_reps is None else not no_reps,
                by=_actor(),
            )
    finally:
        store.close()
    audit.record(_db_path(db), _actor(), "access", detail=f"policy: {new.describe()}")
    click.echo(f"Privacy mode: {new.describe()}")


@main.command("audit")
@_db_option
@click.option(
    "--since",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    default=None,
    help="From this day on (YYYY-MM-DD, UTC).",
)
@click.option("--email", default=None, help="Only this person's events.")
@click.option("--csv", "as_csv", is_flag=True, help="CSV instead of lines of text.")
def audit_cmd(db: Path | None, since: dt.datetime | None, email: str | None, as_csv: bool) -> None:
    """Print the audit log: sign-ins, pages and filters viewed, downloads, imports, undos and
    access changes, oldest first (the file <store>.audit.jsonl beside the store)."""
    path = _db_path(db)
    entries = audit.read(path, since.date() if since else None, email)
    if as_csv:
        click.echo(audit.to_csv(entries), nl=False)
        return
    if not entries:
        click.echo(f"No audit events in {audit.log_path(path)}.", err=True)
    for entry in entries:
        where = f" {entry['page']}" if entry["page"] else ""
        detail = audit.detail_text(entry["detail"])
        click.echo(
            f"{entry['at']} {entry['email'] or '-'} {entry['event']}{where}"
            + (f" {detail}" if detail else "")
        )


if __name__ == "__main__":  # pragma: no cover
    main()
