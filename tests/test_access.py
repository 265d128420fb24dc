"""Sign-in, grants and privacy mode (dashboard/access.py, queries/selected_calls.sql, the
sign-in gate in dashboard/app.py, `ridealong access` / `audit`).

tests/data/access.csv, by hand (one row per call):
    A1 Maria Ana  North   A2 Maria Cleo North   A3 Tom Ben South   A4 Tom Ana North
    A5 Uma   Dan  East    A6 Maria Ana  North   A7 Uma Ben  South
- team North: A1 A2 A4 A6 = 4 calls; South: A3 A7 = 2; East: A5 = 1.
- manager Tom observed A3 A4, so his reps are Ben and Ana: their calls A1 A3 A4 A6 A7 = 5
  (not Cleo's A2 nor Dan's A5).
- reps per team: North {Ana, Cleo} = 2, South {Ben} = 1, East {Dan} = 1; per manager: Maria
  {Ana, Cleo}, Tom {Ben, Ana}, Uma {Dan, Ben} = 2 each. So --min-group 2 folds South and
  East into 'other' (A3 A5 A7 = 3 calls) and no manager.
"""

from __future__ import annotations

import csv
import datetime as dt
import html
import io
import json
import os
import re
import subprocess
import sys
import zlib
from pathlib import Path

import pytest

from dashboard import access, audit, metrics, quarterly
from dashboard.store import Store

DATA = Path(__file__).resolve().parent / "data"
ACCESS_CSV = DATA / "access.csv"


@pytest.fixture
def store_path(tmp_path: Path) -> Path:
    path = tmp_path / "store.duckdb"
    with Store(path) as store:
        store.ingest([ACCESS_CSV])
    return path


def calls(con, scope: access.Scope, by: str = "all", **filters) -> dict[str, int]:
    frame = metrics.metrics_frame(con, metrics.Filters(scope=scope, **filters), by)
    return {r["grp"]: r["calls"] for r in frame.iter_rows(named=True)}


def scope_of(con, **grant) -> access.Scope:
    return access.scope_for(con, access.Grant("x@example.com", **grant))


# ---- the query layer ---------------------------------------------------------------------------


def test_a_team_grant_reads_only_that_teams_calls(store_path: Path) -> None:
    with Store(store_path) as store:
        north = scope_of(store.con, teams=("North",))
        assert calls(store.con, north) == {"": 4}
        assert calls(store.con, north, "team") == {"North": 4}
        # asking for another team (a URL, a widget) finds nothing rather than its figures
        assert calls(store.con, north, teams=("South",)) == {"": 0}
        assert calls(store.con, north, "rep") == {"Ana": 3, "Cleo": 1}


def test_a_scope_holds_for_the_behaviour_grouping_too(store_path: Path) -> None:
    with Store(store_path) as store:
        north = scope_of(store.con, teams=("North",))
        frame = metrics.metrics_frame(store.con, metrics.Filters(scope=north), "behavior")
        praise = {r["grp"]: r["praise"] for r in frame.iter_rows(named=True)}
        # North's notes: praise "Asked good questions" on A1 A4 A6, criticism "Skipped
        # agenda" on A2; East's "Clear next steps" (A5) and South's criticism are not there
        assert praise == {"Asked good questions": 3, "Skipped agenda": 0}


def test_a_manager_grant_reads_their_calls_and_their_reps_calls(store_path: Path) -> None:
    with Store(store_path) as store:
        tom = scope_of(store.con, managers=("Tom",))
        assert calls(store.con, tom) == {"": 5}
        assert calls(store.con, tom, "rep") == {"Ana": 3, "Ben": 2}
        assert calls(store.con, tom, "manager") == {"Maria": 2, "Tom": 2, "Uma": 1}
        assert calls(store.con, tom, reps=("Dan",)) == {"": 0}


def test_an_all_grant_and_an_admin_read_everything(store_path: Path) -> None:
    with Store(store_path) as store:
        assert calls(store.con, scope_of(store.con, everything=True)) == {"": 7}
        assert calls(store.con, scope_of(store.con, admin=True)) == {"": 7}


# small_groups: what the privacy policy folds (names no call); store_counts: runs only on an
# upload's own in-memory store (the Upload page's check), never on the team's store
UNSCOPED = {"small_groups", "store_counts"}


def test_every_query_that_reads_calls_takes_the_scope() -> None:
    for name in metrics.query_names():
        text = metrics.query_text(name)
        reads_calls = any(t in text for t in ("call_facts", "event_facts", " calls ", "notes"))
        if reads_calls and name not in UNSCOPED:
            assert "selected_calls(" in text and "$scope" in text, name


def test_the_scope_has_no_default_in_the_query_layer(store_path: Path) -> None:
    with Store(store_path) as store, pytest.raises(TypeError, match="scope"):
        metrics.run(store.con, "data_range")


def test_the_filter_choices_hold_only_what_the_grant_allows(store_path: Path) -> None:
    with Store(store_path) as store:
        row = metrics.run(store.con, "data_range", scope=scope_of(store.con, teams=("North",)))
        assert row.row(0, named=True)["teams"] == ["North"]
        assert row.row(0, named=True)["reps"] == ["Ana", "Cleo"]


def test_a_dashboard_sees_a_privacy_mode_set_by_another_process_once_it_refreshes(
    store_path: Path,
) -> None:
    # the dashboard reads the policy once per snapshot of the store (Store.of_snapshot): a
    # policy written since moves it to a new snapshot, read afresh
    from dashboard.views import common

    with Store(store_path) as dashboard:
        assert common.scope_of(dashboard, None).fold_teams == ()
        with Store(store_path) as cli, cli.writing() as con:
            access.set_policy(con, min_group=2, individual_reps=False)
        assert dashboard.refresh() is True
        assert common.scope_of(dashboard, None).fold_teams == ("East", "South")


def test_privacy_mode_folds_small_groups_and_hides_reps_but_not_for_admins(
    store_path: Path,
) -> None:
    with Store(store_path) as store:
        with store.writing() as con:
            access.set_policy(con, min_group=2, individual_reps=False)
        everyone = scope_of(store.con, everything=True)
        assert calls(store.con, everyone, "team") == {"North": 4, "other": 3}
        assert set(calls(store.con, everyone, "manager")) == {"Maria", "Tom", "Uma"}
        assert calls(store.con, everyone, "rep") == {"(hidden)": 7}
        # a rep asked for by name (the URL) selects nothing; a folded team only with the rest
        assert calls(store.con, everyone, reps=("Ana",)) == {"": 0}
        assert calls(store.con, everyone, teams=("East",)) == {"": 0}
        assert calls(store.con, everyone, teams=("other",)) == {"": 3}
        admin = scope_of(store.con, admin=True)
        assert calls(store.con, admin, "team") == {"East": 1, "North": 4, "South": 2}


# ---- the command line --------------------------------------------------------------------------


def ridealong(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "dashboard.cli", *args], capture_output=True, text=True, timeout=120
    )


def test_access_grant_list_revoke_and_policy_are_audited(store_path: Path) -> None:
    db = ("--db", str(store_path))
    assert ridealong("access", "grant", "Lea@Example.com", "--team", "North", *db).returncode == 0
    done = ridealong("access", "grant", "tom@example.com", "--manager", "Tom", "--admin", *db)
    assert done.returncode == 0, done.stderr
    listed = ridealong("access", "list", *db).stdout
    assert "lea@example.com: team North" in listed
    assert "tom@example.com: manager Tom (their calls and reps); admin" in listed
    assert "Privacy mode: off" in listed
    policy = ridealong("access", "policy", "--min-group", "3", "--no-individual-reps", *db)
    assert "fewer than 3 reps" in policy.stdout
    assert ridealong("access", "revoke", "tom@example.com", *db).returncode == 0
    assert "tom@example.com" not in ridealong("access", "list", *db).stdout
    events = [e["detail"] for e in audit.read(store_path)]
    assert events[0] == "grant lea@example.com: team North"
    assert events[-1] == "revoke tom@example.com"
    out = ridealong("audit", "--csv", "--email", "nobody@example.com", *db).stdout
    assert out == "at,email,event,page,detail\n"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("grant", "lea@example.com", "--team", "West"), "unknown team 'West'"),
        (("grant", "lea@example.com"), "say what to grant"),
        (("grant", "lea", "--all"), "not an email address"),
        (("grant", "lea@example.com", "--all", "--team", "North"), "give it alone"),
        (("revoke", "nobody@example.com"), "has no grant"),
    ],
)
def test_a_bad_access_command_exits_2_and_writes_nothing(
    store_path: Path, args: tuple[str, ...], message: str
) -> None:
    done = ridealong("access", *args, "--db", str(store_path))
    assert done.returncode == 2 and message in done.stderr
    with Store(store_path, read_only=True) as store:
        assert access.grants(store.con) == []


def test_access_on_a_missing_store_creates_nothing(tmp_path: Path) -> None:
    done = ridealong("access", "grant", "a@example.com", "--all", "--db", str(tmp_path / "s.db"))
    assert done.returncode == 2 and "no store at" in done.stderr
    assert list(tmp_path.iterdir()) == []


def test_serve_refuses_a_network_host_without_auth_or_no_auth(tmp_path: Path) -> None:
    done = ridealong("serve", "--host", "0.0.0.0", "--db", str(tmp_path / "s.duckdb"))
    assert done.returncode == 2 and "--auth FILE" in done.stderr and "--no-auth" in done.stderr
    assert not (tmp_path / "s.duckdb").exists()


def test_serve_checks_the_auth_file(tmp_path: Path) -> None:
    auth = tmp_path / "auth.toml"
    auth.write_text('[auth]\nredirect_uri = "http://localhost:8501/callback"\n')
    done = ridealong("serve", "--auth", str(auth), "--db", str(tmp_path / "s.duckdb"))
    assert done.returncode == 2 and "lacks cookie_secret" in done.stderr


def test_the_audit_log_is_one_json_object_per_line_and_skips_a_torn_line(tmp_path: Path) -> None:
    store = tmp_path / "s.duckdb"
    audit.record(store, "a@example.com", "sign_in")
    with open(audit.log_path(store), "a") as handle:
        handle.write('{"at": "2026-')  # a write cut short by a crash
    audit.record(store, "b@example.com", "download", "Overview", "CSV x.csv")
    lines = audit.log_path(store).read_text().splitlines()
    assert json.loads(lines[0])["event"] == "sign_in"
    assert [e["email"] for e in audit.read(store)] == ["a@example.com", "b@example.com"]


# ---- the sign-in gate (AppTest with at.user) ---------------------------------------------------

USERS = {
    "lea@example.com": {"teams": ("North",)},
    "tom@example.com": {"managers": ("Tom",)},
    "boss@example.com": {"everything": True},
    "admin@example.com": {"admin": True},
}


@pytest.fixture
def signed_in_app(store_path: Path, monkeypatch: pytest.MonkeyPatch):
    """AppTest of the whole app with sign-in on: `open(email or None, page=None, query=None)`."""
    import streamlit as st
    from streamlit.testing.v1 import AppTest

    with Store(store_path) as store, store.writing() as con:
        for email, grant in USERS.items():
            access.grant(con, email, **grant)
    monkeypatch.setenv("RIDEALONG_DB", str(store_path))
    monkeypatch.setenv("RIDEALONG_AUTH", "1")

    def open_as(
        email: str | None,
        page: str | None = None,
        query: dict | None = None,
        keep_caches: bool = False,  # True: what the sessions before left cached, as a server
    ):
        if not keep_caches:
            st.cache_resource.clear()
            st.cache_data.clear()
        at = AppTest.from_file(str(Path(__file__).parents[1] / "dashboard" / "app.py"))
        at.user = (
            {"is_logged_in": True, "email": email, "name": email.split("@")[0].title()}
            if email
            else {"is_logged_in": False}
        )
        for key, value in (query or {}).items():
            at.query_params[key] = value
        at.run(timeout=90)
        if page:
            at.switch_page(page)
            at.run(timeout=90)
        assert not at.exception, at.exception
        return at

    yield open_as
    st.cache_resource.clear()
    st.cache_data.clear()


def shown(at) -> str:
    parts = [e.value for e in (*at.markdown, *at.caption, *at.warning, *at.title, *at.info)]
    return "\n".join(str(p) for p in parts)


def calls_tile(at) -> str:
    # "4*": the star marks a small sample
    return next(m.value.rstrip("*") for m in at.metric if m.label == "Calls observed")


def test_nobody_signed_in_sees_only_the_sign_in_button(signed_in_app) -> None:
    at = signed_in_app(None)
    assert [b.label for b in at.button] == ["Sign in"]
    assert not at.metric and "Ana" not in shown(at)


def test_a_person_without_a_grant_sees_a_page_that_says_so_and_nothing_else(
    signed_in_app,
) -> None:
    at = signed_in_app("stranger@example.com")
    assert at.title[0].value == "No access yet"
    assert "signed in as stranger" in at.warning[0].value
    assert not at.metric and not at.dataframe and not at.multiselect
    assert [b.label for b in at.button] == ["Sign out"]
    assert [e["event"] for e in audit.read(at_store(at))] == ["denied"]


def at_store(at) -> Path:
    import os

    return Path(os.environ["RIDEALONG_DB"])


def test_a_team_grant_shows_its_team_and_a_url_for_another_team_shows_none_of_it(
    signed_in_app,
) -> None:
    at = signed_in_app("lea@example.com")
    assert calls_tile(at) == "4"  # North: A1 A2 A4 A6
    assert "Signed in as **Lea**" in shown(at)
    team = next(m for m in at.multiselect if m.label == "Team")
    assert team.options == ["North"]
    at = signed_in_app("lea@example.com", query={"team": "South"})
    assert calls_tile(at) == "4"  # South dropped: not among the choices; North's figures
    assert "South" not in [o for m in at.multiselect for o in m.options]
    events = audit.read(at_store(at), email="lea@example.com")
    assert [e["event"] for e in events][:2] == ["sign_in", "view"]
    assert events[1]["page"] == "Overview"


def test_a_manager_grant_shows_their_calls_and_their_reps_calls(signed_in_app) -> None:
    at = signed_in_app("tom@example.com")
    assert calls_tile(at) == "5"  # A1 A3 A4 A6 A7
    rep = next(m for m in at.multiselect if m.label == "Rep")
    assert rep.options == ["Ana", "Ben"]


def test_an_all_grant_sees_everything_but_adds_nothing_and_reads_no_audit_log(
    signed_in_app,
) -> None:
    at = signed_in_app("boss@example.com")
    assert calls_tile(at) == "7"
    with pytest.raises(Exception, match="Could not find a navigation page"):
        at.switch_page("views/audit.py")
    at.switch_page("views/upload.py").run(timeout=90)
    files = [("access.csv", ACCESS_CSV.read_bytes(), "text/csv")]
    at.file_uploader(key="upl_files").set_value(files).run(timeout=90)
    assert at.button(key="upl_add").disabled
    assert not at.button(key="upl_explore").disabled  # exploring stays private to the session
    assert "Only an admin adds to the team's store" in shown(at)


def test_an_admin_adds_an_upload_recorded_with_their_email(signed_in_app, store_path: Path) -> None:
    at = signed_in_app("admin@example.com", page="views/upload.py")
    files = [("more.csv", ACCESS_CSV.read_bytes().replace(b"A", b"B"), "text/csv")]
    at.file_uploader(key="upl_files").set_value(files).run(timeout=90)
    at.button(key="upl_add").click().run(timeout=90)
    from dashboard.views import common

    store = common.team_store(str(store_path))  # the app's own connection, in this process
    (by,) = (
        store.cursor()
        .execute("select logged_by from imports order by import_id desc limit 1")
        .fetchone()
    )
    assert by == "admin@example.com"
    imports = [e for e in audit.read(store_path) if e["event"] == "import"]
    assert imports[-1]["email"] == "admin@example.com"


def test_an_admin_reads_the_audit_log_page(signed_in_app) -> None:
    signed_in_app("lea@example.com")  # an event to read
    at = signed_in_app("admin@example.com", page="views/audit.py")
    assert at.title[0].value == "Audit log"
    emails = at.dataframe[1].value["email"].to_list()
    assert "lea@example.com" in emails and "admin@example.com" in emails
    grants = at.dataframe[0].value["Email"].to_list()
    assert grants == sorted(USERS)


def test_privacy_mode_hides_the_reps_page_and_filter_from_everyone_but_admins(
    signed_in_app, store_path: Path
) -> None:
    with Store(store_path) as store, store.writing() as con:
        access.set_policy(con, min_group=2, individual_reps=False)
    at = signed_in_app("boss@example.com")
    assert "Rep" not in [m.label for m in at.multiselect]
    team = next(m for m in at.multiselect if m.label == "Team")
    assert team.options == ["North", "other"]
    # the fold is said, without naming what was folded: South (Ben) and East (Dan) have one
    # rep each; every manager observed two (Maria: Ana, Cleo; Tom: Ben, Ana; Uma: Dan, Ben)
    notes = [c.value for c in at.caption if c.value.startswith("Privacy mode")]
    assert notes == ["Privacy mode: 2 teams with fewer than 2 reps are shown together as “other”."]
    at = signed_in_app("admin@example.com")
    assert "Rep" in [m.label for m in at.multiselect]
    assert not [c.value for c in at.caption if c.value.startswith("Privacy mode")]


# ---- privacy mode in the quarterly review (page, HTML, PDF: one outline) -----------------------

REP_NAMES = ("Ana", "Ben", "Cleo", "Dan")
AFTER_Q1 = dt.date(2026, 4, 1)


def named_reps(text: str) -> list[str]:
    return [n for n in REP_NAMES if re.search(rf"\b{n}\b", text)]


def pdf_text(data: bytes) -> str:
    """The text a PDF draws with a core font (render_pdf(font_dir=None)): every `(...) Tj`
    string of its inflated content streams."""
    shown = []
    for stream in re.findall(rb"stream\r?\n(.*?)\r?\nendstream", data, flags=re.S):
        try:
            content = zlib.decompress(stream)
        except zlib.error:
            continue
        shown += re.findall(rb"\((.*?)\) ?Tj", content, flags=re.S)
    return b"\n".join(shown).decode("latin-1")


@pytest.fixture
def private_store(store_path: Path) -> Path:
    """access.csv under `--min-group 2 --no-individual-reps`."""
    with Store(store_path) as store, store.writing() as con:
        access.set_policy(con, min_group=2, individual_reps=False)
    return store_path


def review_as(path: Path, grant: access.Grant | None, quarter: str = "2026-Q1", **kw):
    with Store(path, read_only=True) as store:
        scope = access.scope_for(store.con, grant)
        return quarterly.build_review(store.con, quarter, today=AFTER_Q1, scope=scope, **kw)


def test_under_privacy_mode_the_review_has_no_rep_section_row_or_name_in_html_or_pdf(
    private_store: Path,
) -> None:
    review = review_as(private_store, access.Grant("boss@example.com", everything=True))
    keys = [s.key for s in quarterly.outline(review)]
    assert keys == [
        "privacy",
        "highlights",
        "headline",
        "managers",
        "coverage",
        "behaviours",
        "notes",
    ]
    assert "reps" not in review.tables() and "reps_not_observed" not in review.tables()
    page = quarterly.render_html(review)
    assert named_reps(page) == [] and "(hidden)" not in page
    assert quarterly.REPS_OFF in html.unescape(page)
    assert "Reps nobody observed" not in page and '<section id="reps"' not in page
    # the fold is said as on every other page: South (Ben) and East (Dan) have one rep each
    assert "2 teams with fewer than 2 reps are shown together as" in page
    text = pdf_text(quarterly.render_pdf(review, font_dir=None))
    assert "Per-rep detail is off by the store's privacy policy" in text
    assert named_reps(text) == [] and "(hidden)" not in text
    assert "Reps nobody observed" not in text
    # the managers are still there: Maria, Tom, Uma observed 3, 2 and 2 calls
    managers = review.tables()["managers"]
    assert dict(zip(managers["manager"], managers["calls"], strict=True)) == {
        "Maria": 3,
        "Tom": 2,
        "Uma": 2,
    }


def test_an_admin_reads_the_review_with_every_rep_under_privacy_mode(private_store: Path) -> None:
    review = review_as(private_store, access.Grant("ops@example.com", admin=True))
    assert "reps" in [s.key for s in quarterly.outline(review)]
    assert "privacy" not in [s.key for s in quarterly.outline(review)]
    assert named_reps(quarterly.render_html(review)) == list(REP_NAMES)
    assert named_reps(pdf_text(quarterly.render_pdf(review, font_dir=None))) == list(REP_NAMES)


def test_under_privacy_mode_no_rep_reads_as_not_observed(private_store: Path) -> None:
    # one more call, in 2026-Q2: Maria with Ana. Ben, Cleo and Dan were observed in Q1 (the
    # quarters before) and not in Q2: the reps nobody observed, for an admin only
    more = private_store.parent / "q2.csv"
    lines = ACCESS_CSV.read_text().splitlines()
    more.write_text(
        "\n".join(
            [
                lines[0],
                "A8,2026-04-02,Maria,Ana,North,observer,observed,yes,"
                "Asked good questions,praise,,discovery",
            ]
        )
        + "\n"
    )
    with Store(private_store) as store:
        store.ingest([more])
    admin = review_as(private_store, access.Grant("ops@example.com", admin=True), "2026-Q2")
    assert sorted(admin.reps_unobserved["rep"]) == ["Ben", "Cleo", "Dan"]
    boss = review_as(private_store, access.Grant("b@example.com", everything=True), "2026-Q2")
    assert boss.reps_unobserved.is_empty()
    assert named_reps(quarterly.render_html(boss)) == []
    assert not any("not observed" in h for h in boss.highlights)


def test_report_follows_the_privacy_policy_unless_told_to_ignore_it(
    private_store: Path, tmp_path: Path
) -> None:
    db = ("--db", str(private_store), "--quarter", "2026-Q1")
    out = tmp_path / "review.html"
    done = ridealong("report", *db, "--out", str(out))
    assert done.returncode == 0, done.stderr
    assert named_reps(out.read_text()) == [] and "Per-rep detail is off" in out.read_text()
    full = tmp_path / "full.html"
    done = ridealong("report", *db, "--out", str(full), "--ignore-policy")
    assert done.returncode == 0, done.stderr
    assert named_reps(full.read_text()) == list(REP_NAMES)
    # `access policy` started the audit log: the full-detail report is in it, with who ran it
    last = audit.read(private_store)[-1]
    assert last["event"] == "download" and last["detail"] == "report full.html with --ignore-policy"
    assert last["email"] == f"cli:{audit.effective_user()}"


def test_the_quarterly_page_drops_the_rep_sections_for_all_but_admins(
    signed_in_app, store_path: Path
) -> None:
    with Store(store_path) as store, store.writing() as con:
        access.set_policy(con, min_group=2, individual_reps=False)
    at = signed_in_app("boss@example.com", page="views/quarterly.py")
    assert at.title[0].value == "Quarterly review"
    assert quarterly.REPS_OFF in [i.value for i in at.info]
    assert "Reps" not in [h.value for h in at.subheader]
    assert named_reps(shown(at)) == [] and "(hidden)" not in shown(at)
    columns = [c for d in at.dataframe for c in d.value.columns]
    assert not [c for c in columns if c.startswith("Rep")]
    at = signed_in_app("admin@example.com", page="views/quarterly.py")
    assert "Reps" in [h.value for h in at.subheader]
    assert quarterly.REPS_OFF not in [i.value for i in at.info]
    rep_table = next(d.value for d in at.dataframe if "Rep" in d.value.columns)
    assert sorted(rep_table["Rep"]) == sorted(REP_NAMES)


# ---- the audit log's details -------------------------------------------------------------------


def test_the_audit_csv_keeps_a_formula_from_running_in_a_spreadsheet(tmp_path: Path) -> None:
    store = tmp_path / "s.duckdb"
    audit.record(store, "a@example.com", "view", '=HYPERLINK("x")', {"team": ["+1"]})
    audit.record(store, "b@example.com", "download", None, "@SUM(A1)")
    audit.record(store, "c@example.com", "download", None, "\tTab")
    rows = list(csv.reader(io.StringIO(audit.to_csv(audit.read(store)))))
    assert rows[0] == ["at", "email", "event", "page", "detail"]
    assert rows[1][3] == '\'=HYPERLINK("x")' and rows[1][4] == '{"team": ["+1"]}'
    assert rows[2][3:] == ["", "'@SUM(A1)"]
    assert rows[3][4] == "'\tTab"


def test_a_cli_audit_entry_names_the_user_also_without_a_terminal(
    store_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import pwd

    from click.testing import CliRunner

    from dashboard.cli import main

    def no_terminal() -> str:
        raise OSError(6, "No such device or address")  # what cron gets

    monkeypatch.setattr("os.getlogin", no_terminal)
    monkeypatch.delenv("USER", raising=False)
    done = CliRunner().invoke(
        main, ["access", "grant", "a@example.com", "--all", "--db", str(store_path)]
    )
    assert done.exit_code == 0, done.output
    assert audit.read(store_path)[-1]["email"] == f"cli:{pwd.getpwuid(os.geteuid()).pw_name}"


# ---- privacy mode on the Log page: the debrief sheet -------------------------------------------


def log_call(path: Path, rep: str, by: str, manager: str = "Lea", debrief: str = "later") -> str:
    """A ride-along logged today on the Log page by `by` (its call_key)."""
    from dashboard import logbook

    entry = logbook.Entry(
        manager=manager,
        rep=rep,
        observed_on=dt.date.today(),
        manager_action="observed",
        planned_role="observer",
        team="North",
        debrief=debrief,
        notes=[logbook.Note("Asked good questions", "praise")],
    )
    with Store(path) as store:
        return logbook.save(store, entry, user=by, today=dt.date.today()).call_key


def test_under_privacy_mode_a_sheet_names_the_rep_only_to_whoever_logged_the_ride_along(
    private_store: Path,
) -> None:
    from dashboard import debrief

    key = log_call(private_store, "Ana", by="lea@example.com")
    with Store(private_store, read_only=True) as store:
        lea = access.scope_for(store.con, access.Grant("lea@example.com", teams=("North",)))
        boss = access.scope_for(store.con, access.Grant("boss@example.com", everything=True))
        admin = access.scope_for(store.con, access.Grant("ops@example.com", admin=True))
        sheet = debrief.build_sheet(store.con, key, scope=lea, viewer="lea@example.com")
        assert sheet is not None and sheet.rep == "Ana"
        assert debrief.shown_rep(store.con, key, "lea@example.com", lea) == "Ana"
        # another person who may see the call, and a dashboard without sign-in: hidden
        for scope, viewer in ((boss, "boss@example.com"), (lea, None)):
            assert debrief.shown_rep(store.con, key, viewer, scope) == access.HIDDEN_REP
            with pytest.raises(debrief.SheetHidden, match="privacy policy"):
                debrief.build_sheet(store.con, key, scope=scope, viewer=viewer)
        assert debrief.build_sheet(store.con, key, scope=admin, viewer="ops@example.com").rep == (
            "Ana"
        )
        # a call from a file (logged by no one) under privacy mode: hidden for every non-admin
        assert debrief.shown_rep(store.con, "A1", "lea@example.com", lea) == access.HIDDEN_REP


def test_the_log_page_names_the_rep_of_your_own_ride_along_and_hides_the_others(
    signed_in_app, private_store: Path
) -> None:
    mine = log_call(private_store, "Ana", by="lea@example.com")
    theirs = log_call(private_store, "Cleo", by="tom@example.com")  # Tom logged it as Lea's
    at = signed_in_app("lea@example.com", page="views/log.py")
    assert at.expander[0].label == "Open debriefs: 2"
    rows = [m.value for m in at.markdown if "debrief later" in m.value]
    # open debriefs (both Lea's calls), then her recent ride-alongs (only the one she logged)
    assert [r.split(" · ")[0] for r in rows] == ["**Ana**", "**(hidden)**", "**Ana**"]
    keys = [b.key for b in at.button]
    assert f"open_{mine}" in keys and f"open_{theirs}" not in keys
    assert "Cleo" not in shown(at) and "Cleo" not in [o for s in at.selectbox for o in s.options]
    at.button(key=f"open_{mine}").click().run(timeout=90)
    assert any("Debrief: Ana" in h.value for h in at.subheader)


def test_the_review_folds_small_groups_into_other_and_says_so(store_path: Path) -> None:
    # --min-group 3: every manager observed two reps (Maria: Ana, Cleo; Tom: Ben, Ana; Uma:
    # Dan, Ben) and no team has three, so all 7 calls are one 'other' manager
    with Store(store_path) as store, store.writing() as con:
        access.set_policy(con, min_group=3, individual_reps=True)
    review = review_as(store_path, access.Grant("boss@example.com", everything=True))
    managers = review.tables()["managers"]
    assert dict(zip(managers["manager"], managers["calls"], strict=True)) == {"other": 7}
    assert review.folded == (
        "Privacy mode: 3 teams and 3 managers with fewer than 3 reps are shown together as “other”."
    )
    page = html.unescape(quarterly.render_html(review))
    assert review.folded in page and "Maria" not in page
    assert named_reps(page) == list(REP_NAMES)  # reps stay: only --no-individual-reps hides them


def test_a_quarterly_review_built_for_one_grant_is_never_shown_to_another(signed_in_app) -> None:
    """The Quarterly review page keeps a built review for every session that asks for the same
    one: its key holds the session's scope, so a grant never gets another's review."""

    def people(at) -> tuple[set[str], set[str]]:
        tables = {df.value.columns[0]: df.value for df in at.dataframe}
        return set(tables["Manager"]["Manager"]), set(tables["Rep"]["Rep"])

    page = "views/quarterly.py"
    everyone = ({"Maria", "Tom", "Uma"}, {"Ana", "Ben", "Cleo", "Dan"})
    assert people(signed_in_app("boss@example.com", page)) == everyone
    # North: A1 A2 A4 A6; Tom's calls and his reps' (Ana, Ben): A1 A3 A4 A6 A7
    north = signed_in_app("lea@example.com", page, keep_caches=True)
    assert people(north) == ({"Maria", "Tom"}, {"Ana", "Cleo"})
    assert people(signed_in_app("tom@example.com", page, keep_caches=True)) == (
        {"Maria", "Tom", "Uma"},
        {"Ana", "Ben"},
    )
    assert people(signed_in_app("boss@example.com", page, keep_caches=True)) == everyone
