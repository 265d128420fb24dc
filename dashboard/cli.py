"""The `ridealong` command."""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import signal
import sys
import tempfile
import tomllib
from collections.abc import Callable
from pathlib import Path

import click

from dashboard import importer, metrics
from dashboard.store import (
    Store,
    StoreError,
    default_db_path,
    load_files,
    remove_stale_scratch,
)

DB_HELP = (
    "The store (a DuckDB file). Default: $RIDEALONG_DB, else the per-user data directory "
    f"(here: {default_db_path()})."
)


def _db_option(f):
    return click.option(
        "--db",
        "db",
        type=click.Path(dir_okay=False, path_type=Path),
        default=None,
        help=DB_HELP,
    )(f)


def _dayfirst_option(f):
    return click.option(
        "--dayfirst",
        is_flag=True,
        help="Read slashed dates as DD/MM/YYYY instead of MM/DD/YYYY.",
    )(f)


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
    n = len(exc.problems)
    click.echo(
        f"ridealong: {n} problem{'s' if n != 1 else ''} found; nothing was written.", err=True
    )
    sys.exit(2)


def _open_store(db: Path | None, *, read_only: bool = False) -> Store:
    path = _db_path(db)
    try:
        return Store(path, read_only=read_only)
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
def ingest(files: tuple[str, ...], db: Path | None, dayfirst: bool) -> None:
    """Validate FILES (CSV, XLSX, Parquet), then add them to the store in one transaction.

    A call is keyed by its observation_id (or date + manager + rep): importing a call again
    replaces all of its notes, so re-importing a file changes nothing. With any problem in any
    file, every problem is listed on stderr, nothing is written and the exit status is 2.
    """
    store = _open_store(db)
    try:
        result = store.ingest(list(files), dayfirst=dayfirst)
    except importer.ImportFailed as exc:
        _problems(exc)
    finally:
        store.close()
    click.echo(result.summary(), err=True)
    click.echo(f"Store: {store.path}", err=True)


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
    rows = store.imports(limit)
    store.close()
    if not rows:
        click.echo("No imports yet.")
        return
    for r in rows:
        click.echo(
            f"#{r['import_id']} {r['imported_at']:%Y-%m-%d %H:%M} {r['file']} ({r['source']}): "
            f"{r['rows']} rows, {r['calls']} calls, {r['calls_added']} added, "
            f"{r['calls_replaced']} replaced ({r['calls_unchanged']} unchanged) "
            f"sha256 {r['content_hash'][:12]}"
        )


def _window_option(f):
    return click.option(
        "--window",
        type=click.IntRange(1, metrics.MAX_WINDOW),
        default=metrics.DEFAULT_WINDOW,
        show_default=True,
        help="K: a behaviour recurs if noted again on one of the rep's next K calls.",
    )(f)


def _filters_options(f):
    f = click.option("--rep", "reps", multiple=True, help="Only this rep (repeatable).")(f)
    f = click.option("--manager", "managers", multiple=True, help="Only this manager.")(f)
    f = click.option("--team", "teams", multiple=True, help="Only this team ('' = no team).")(f)
    f = click.option("--end", type=click.DateTime(["%Y-%m-%d"]), help="Last day (YYYY-MM-DD).")(f)
    f = click.option("--start", type=click.DateTime(["%Y-%m-%d"]), help="First day (YYYY-MM-DD).")(
        f
    )
    return f


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
@_filters_options
@_dayfirst_option
@click.option("--json", "as_json", is_flag=True, help="Only JSON on stdout.")
def metrics_cmd(
    files: tuple[str, ...],
    db: Path | None,
    by: str | None,
    window: int,
    min_n: int,
    start: dt.datetime | None,
    end: dt.datetime | None,
    teams: tuple[str, ...],
    managers: tuple[str, ...],
    reps: tuple[str, ...],
    dayfirst: bool,
    as_json: bool,
) -> None:
    """Compute the coaching metrics from FILES (nothing is stored) or from the store.

    Rates carry Wilson 95% intervals; results resting on few events are flagged. The
    recurrence and mistake-repeat comparisons are observational: managers choose when to step
    in, and praise tends to follow unusually good calls (regression to the mean).
    """
    if start and end and start > end:
        _fail(f"--start {start:%Y-%m-%d} is after --end {end:%Y-%m-%d}", 2)
    if files:
        try:
            store, result = load_files(list(files), dayfirst=dayfirst)
        except importer.ImportFailed as exc:
            _problems(exc)
        click.echo(result.summary(), err=True)
    else:
        store = _open_store(db, read_only=True)
    filters = metrics.Filters(
        start=start.date() if start else None,
        end=end.date() if end else None,
        teams=teams,
        managers=managers,
        reps=reps,
        window=window,
        min_n=min_n,
    )
    data = metrics.metrics_json(store.con, filters, by)
    store.close()
    if as_json:
        click.echo(json.dumps(data))  # compact: indent= switches to the slow pure-Python encoder
        return
    from dashboard.text import metrics_table

    click.echo(metrics_table(data, by))


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
def report(
    db: Path | None, quarter: str | None, teams: tuple[str, ...], window: int, out: Path
) -> None:
    """Write the quarterly team review: the quarter against the one before, per manager and
    rep, coaching coverage, what worked, what keeps going wrong, and guarded highlights.

    The figures are those of `ridealong metrics --by quarter` for the same data. A quarter is
    complete once the data reaches its last day or the quarter has ended.
    """
    from dashboard import report as report_mod

    suffix = out.suffix.lower()
    if suffix not in (".html", ".pdf"):
        _fail(f"--out {out}: the review is written as .html or .pdf", 2)
    store = _open_store(db, read_only=True)
    try:
        source = report_mod.SAMPLE_SOURCE if store.is_sample() else ""
        review = report_mod.build_review(store.con, quarter, teams, window, source=source)
        data = (
            report_mod.render_html(review).encode("utf-8")
            if suffix == ".html"
            else report_mod.render_pdf(review)
        )
    except report_mod.ReviewError as exc:
        _fail(str(exc), 2)
    finally:
        store.close()
    try:
        _atomic_write(out, lambda tmp: tmp.write_bytes(data))
    except OSError as exc:
        _fail(f"cannot write {out}: {exc.strerror or exc}; nothing was written")
    click.echo(
        f"Wrote the {review.quarter} review ({review.scope}, {review.current['calls']:,} calls) "
        f"to {out}",
        err=True,
    )


@main.command()
@click.option("--calls", type=click.IntRange(1), default=3000, show_default=True)
@click.option("--seed", type=int, default=7, show_default=True)
@click.option(
    "--out",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="A .csv or .parquet file.",
)
def sample(calls: int, seed: int, out: Path) -> None:
    """Write a realistic observation log (deterministic for a seed)."""
    from dashboard import sample as sample_mod

    if out.suffix.lower() not in (".csv", ".parquet"):
        _fail(f"--out {out}: the sample is written as .csv or .parquet", 2)
    frame = sample_mod.generate(calls, seed)
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


@main.command()
@_db_option
@click.option("--port", type=click.IntRange(1, 65535), default=8501, show_default=True)
@click.option("--host", default="127.0.0.1", show_default=True)
def serve(db: Path | None, port: int, host: str) -> None:
    """Start the dashboard (headless). An empty store is filled with the bundled sample."""
    from streamlit.web import cli as stcli

    path = _db_path(db)
    store = _open_store(path)
    loaded = store.load_sample_if_empty()
    store.close()
    if loaded:
        click.echo(f"The store was empty: loaded the bundled sample into {path}", err=True)
    os.environ["RIDEALONG_DB"] = str(path)
    app = Path(__file__).with_name("app.py")
    sys.argv = [
        "streamlit",
        "run",
        str(app),
        *streamlit_flags(),
        f"--server.port={port}",
        f"--server.address={host}",
        "--server.headless=true",
    ]
    click.echo(f"Ridealong on http://{host}:{port} (store: {path})", err=True)
    sys.exit(stcli.main())


if __name__ == "__main__":  # pragma: no cover
    main()
