"""Who may see what: access grants and the privacy policy, kept in the store, and the scope a
signed-in session's queries run under.

A grant gives an email (as the identity provider reports it) one of:
- everything (`--all`);
- teams (`--team`, repeatable): every call of those teams (a second-line leader);
- managers (`--manager`, repeatable): the calls each manager observed, and every call of a rep
  any of them observed, whoever observed it (a first-line manager and their reps);
and, with any of these or alone, `admin`: may add to the store, undo imports, manage access,
read the audit log, and is exempt from the privacy policy.

The scope is enforced in the query layer: every query reads calls through the table macro
selected_calls (queries/selected_calls.sql), which takes Scope.param() as its last argument.
Grants are written only by `ridealong access ...` (a writer); the dashboard only reads them.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import duckdb

from dashboard.resources import queries_dir

FOLDED = "other"  # the name every group too small to show on its own reads
HIDDEN_REP = "(hidden)"  # every rep's name when individual reps are off


class AccessError(ValueError):
    """A grant or policy that cannot be written (the message says why, in a line)."""


@dataclass(frozen=True)
class Scope:
    """What one session's queries may read (see queries/selected_calls.sql)."""

    everything: bool = True
    teams: tuple[str, ...] = ()
    managers: tuple[str, ...] = ()
    fold_teams: tuple[str, ...] = ()
    fold_managers: tuple[str, ...] = ()
    hide_reps: bool = False
    min_group: int = 1  # the policy's: groups with fewer reps are folded (not a query parameter)

    def folded_note(self) -> str | None:
        """What the pages say when privacy mode folded groups into 'other' (names none)."""
        parts = [
            f"{n} {kind}{'s' if n != 1 else ''}"
            for n, kind in ((len(self.fold_teams), "team"), (len(self.fold_managers), "manager"))
            if n
        ]
        if not parts:
            return None
        return (
            f"Privacy mode: {' and '.join(parts)} with fewer than {self.min_group} reps "
            "are shown together as “other”."
        )

    def param(self) -> dict[str, Any]:
        """The STRUCT bound as $scope."""
        return {
            "everything": self.everything,
            "teams": list(self.teams),
            "managers": list(self.managers),
            "fold_teams": list(self.fold_teams),
            "fold_managers": list(self.fold_managers),
            "hide_reps": self.hide_reps,
        }


EVERYTHING = Scope()


@dataclass(frozen=True)
class Grant:
    email: str
    everything: bool = False
    teams: tuple[str, ...] = ()
    managers: tuple[str, ...] = ()
    admin: bool = False
    granted_at: dt.datetime | None = None
    granted_by: str | None = None

    def describe(self) -> str:
        parts = []
        if self.everything:
            parts.append("all calls")
        if self.teams:
            parts.append("team " + ", ".join(t or "(no team)" for t in self.teams))
        if self.managers:
            parts.append("manager " + ", ".join(self.managers) + " (their calls and reps)")
        if self.admin:
            parts.append("admin")
        return "; ".join(parts) or "nothing"


@dataclass(frozen=True)
class Policy:
    """The privacy policy: groups under min_group reps read 'other'; individual_reps False
    turns per-rep pages and rows off. Admins are exempt."""

    min_group: int = 1
    individual_reps: bool = True

    @property
    def active(self) -> bool:
        return self.min_group > 1 or not self.individual_reps

    def describe(self) -> str:
        if not self.active:
            return "off (every group and rep is shown)"
        parts = []
        if self.min_group > 1:
            parts.append(f"teams and managers with fewer than {self.min_group} reps read 'other'")
        if not self.individual_reps:
            parts.append("no individual reps but for admins")
        return "; ".join(parts)


def normal_email(email: str) -> str:
    cleaned = (email or "").strip().lower()
    if "@" not in cleaned or len(cleaned) > 320 or any(c.isspace() for c in cleaned):
        raise AccessError(f"{email!r} is not an email address (name@example.com)")
    return cleaned


# ---- reading (any connection, read-only included) ---------------------------------------------


def _has_tables(con: duckdb.DuckDBPyConnection) -> bool:
    (count,) = con.execute(
        "select count(*) from duckdb_tables() where table_name in ('access_grants', "
        "'access_policy') and database_name = current_database()"
    ).fetchone()
    return count == 2


def grants(con: duckdb.DuckDBPyConnection) -> list[Grant]:
    cur = con.cursor()
    if not _has_tables(cur):
        return []
    rows = cur.execute(
        "select email, everything, teams, managers, admin, granted_at, granted_by "
        "from access_grants order by email"
    ).fetchall()
    return [Grant(r[0], r[1], tuple(r[2]), tuple(r[3]), r[4], r[5], r[6]) for r in rows]


def grant_for(con: duckdb.DuckDBPyConnection, email: str | None) -> Grant | None:
    """The grant of this email (None: no grant, or no email at all)."""
    if not email:
        return None
    wanted = email.strip().lower()
    return next((g for g in grants(con) if g.email == wanted), None)


def policy(con: duckdb.DuckDBPyConnection) -> Policy:
    cur = con.cursor()
    if not _has_tables(cur):
        return Policy()
    row = cur.execute("select min_group, individual_reps from access_policy").fetchone()
    return Policy(row[0], row[1]) if row else Policy()


def scope_for(
    con: duckdb.DuckDBPyConnection, grant: Grant | None, pol: Policy | None = None
) -> Scope:
    """The scope of a session with this grant (None: a session without sign-in, which sees
    everything but under the policy). Admins see everything, unfolded."""
    pol = policy(con) if pol is None else pol
    if grant is not None and grant.admin:
        return EVERYTHING
    if grant is not None and not grant.everything and not grant.teams and not grant.managers:
        raise AccessError(f"{grant.email} has no grant of calls")
    fold_teams: tuple[str, ...] = ()
    fold_managers: tuple[str, ...] = ()
    if pol.min_group > 1:
        sql = (queries_dir() / "small_groups.sql").read_text(encoding="utf-8")
        small = con.cursor().execute(sql, {"min_group": pol.min_group}).fetchall()
        fold_teams = tuple(name for kind, name, _ in small if kind == "team")
        fold_managers = tuple(name for kind, name, _ in small if kind == "manager")
    return Scope(
        everything=grant is None or grant.everything,
        teams=() if grant is None else grant.teams,
        managers=() if grant is None else grant.managers,
        fold_teams=fold_teams,
        fold_managers=fold_managers,
        hide_reps=not pol.individual_reps,
        min_group=pol.min_group,
    )


# ---- writing (`ridealong access ...` on a store opened read-write) ---------------------------


def _ensure_tables(con: duckdb.DuckDBPyConnection) -> None:
    con.execute((queries_dir() / "access_tables.sql").read_text(encoding="utf-8"))


def grant(
    con: duckdb.DuckDBPyConnection,
    email: str,
    *,
    everything: bool = False,
    teams: tuple[str, ...] = (),
    managers: tuple[str, ...] = (),
    admin: bool = False,
    by: str | None = None,
) -> Grant:
    """Give EMAIL this grant, replacing any earlier one (one transaction)."""
    email = normal_email(email)
    if everything and (teams or managers):
        raise AccessError("--all already covers every team and manager: give it alone")
    if not (everything or teams or managers or admin):
        raise AccessError("say what to grant: --all, --team T, --manager NAME and/or --admin")
    teams = tuple(dict.fromkeys(t.strip() for t in teams))
    managers = tuple(dict.fromkeys(m.strip() for m in managers if m.strip()))
    con.execute("begin transaction")
    try:
        _ensure_tables(con)
        con.execute("delete from access_grants where email = ?", [email])
        con.execute(
            "insert into access_grants values (?, ?, ?, ?, ?, current_timestamp::timestamp, ?)",
            [email, everything, list(teams), list(managers), admin, by],
        )
        con.execute("commit")
    except BaseException:
        con.execute("rollback")
        raise
    found = grant_for(con, email)
    assert found is not None
    return found


def revoke(con: duckdb.DuckDBPyConnection, email: str) -> bool:
    """Remove EMAIL's grant; False when there was none."""
    email = normal_email(email)
    if not _has_tables(con):
        return False
    con.execute("begin transaction")
    try:
        (removed,) = con.execute(
            "select count(*) from access_grants where email = ?", [email]
        ).fetchone()
        con.execute("delete from access_grants where email = ?", [email])
        con.execute("commit")
    except BaseException:
        con.execute("rollback")
        raise
    return removed > 0


def set_policy(
    con: duckdb.DuckDBPyConnection, min_group: int, individual_reps: bool, by: str | None = None
) -> Policy:
    if min_group < 1:
        raise AccessError(f"--min-group is a number of reps, 1 or more, not {min_group}")
    con.execute("begin transaction")
    try:
        _ensure_tables(con)
        con.execute("delete from access_policy")
        con.execute(
            "insert into access_policy values (?, ?, current_timestamp::timestamp, ?)",
            [min_group, individual_reps, by],
        )
        con.execute("commit")
    except BaseException:
        con.execute("rollback")
        raise
    return Policy(min_group, individual_reps)
