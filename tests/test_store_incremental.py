"""Incremental writes: a write re-derives only the reps it touches, each with its whole
history, and leaves every other rep's derived rows alone — and the derived tables then hold
exactly what a full derivation of the same calls holds (ids aside: a name keeps its id across
writes, so ids are compared through the names they stand for)."""

from __future__ import annotations

import csv
import datetime as dt
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dashboard import store as store_mod
from dashboard.store import Store
from tests import expected_tiny as ex

HEADER = [
    "observation_id",
    "observed_on",
    "manager",
    "rep",
    "team",
    "manager_action",
    "debrief",
    "behavior",
    "polarity",
]

# Every derived table, one row per row, ids replaced by the names (or call_key) they stand for
# and the columns in a fixed order. Each query also checks that an id stands for one name.
NORMALISED = {
    "rep_ids": "select rep from rep_ids",
    "manager_ids": "select manager from manager_ids",
    "team_ids": "select team from team_ids",
    "behaviors": "select behavior_key, label from behaviors",
    "behavior_spellings": """
        select r.rep, s.behavior_key, s.behavior, s.uses
        from behavior_spellings as s left join rep_ids as r using (rep_id)
    """,
    "call_facts": """
        select f.* exclude (call_id, manager_id, rep_id, team_id),
            m.manager as manager_of_id, r.rep as rep_of_id, t.team as team_of_id
        from call_facts as f
        left join manager_ids as m using (manager_id)
        left join rep_ids as r using (rep_id)
        left join team_ids as t using (team_id)
    """,
    "event_facts": """
        select e.* exclude (call_id, behavior_id, manager_id, rep_id, team_id),
            f.call_key, b.behavior_key, m.manager, r.rep, t.team
        from event_facts as e
        left join call_facts as f using (call_id)
        left join behaviors as b using (behavior_id)
        left join manager_ids as m on m.manager_id = e.manager_id
        left join rep_ids as r on r.rep_id = e.rep_id
        left join team_ids as t on t.team_id = e.team_id
    """,
}

ID_COLUMNS = {
    "rep_ids": ("rep_id", "rep"),
    "manager_ids": ("manager_id", "manager"),
    "team_ids": ("team_id", "team"),
    "behaviors": ("behavior_id", "behavior_key"),
    "call_facts": ("call_id", "call_key"),
}


def derived(store: Store) -> dict[str, list[tuple]]:
    """Every derived table, normalised (see NORMALISED), rows sorted."""
    cur = store.cursor()
    for table, (code, name) in ID_COLUMNS.items():
        # one code per name and one name per code
        rows, codes, names = cur.execute(
            f"select count(*), count(distinct {code}), count(distinct {name}) from {table}"
        ).fetchone()
        assert rows == codes == names, table
    # each rep's calls have consecutive ids in their order (what the look-ahead relies on)
    (broken,) = cur.execute(
        "select count(*) from (select rep_id from call_facts group by rep_id "
        "having count(distinct call_id - rep_seq) > 1 "
        "or max(rep_seq) + min(later_calls) <> count(*))"
    ).fetchone()
    assert broken == 0
    tables = {t: sorted(cur.execute(q).fetchall(), key=repr) for t, q in NORMALISED.items()}
    for row in tables["call_facts"]:  # every id stands for its call's own names
        assert row[-3:] == (row[5], row[6], row[7]), row
    return tables


def full_derivation(store: Store) -> dict[str, list[tuple]]:
    """What a full derivation of the store's calls holds (the store is left that way)."""
    with store.writing() as con:
        con.execute("begin transaction")
        store.rebuild_derived(con)
        con.execute("commit")
    return derived(store)


def write_log(path: Path, calls: list[dict]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADER)
        for call in calls:
            fields = [
                call["id"],
                call["day"].isoformat(),
                call["manager"],
                call["rep"],
                call["team"],
                call["action"],
                call["debrief"],
            ]
            for behavior, polarity in call["notes"] or [("", "")]:
                writer.writerow([*fields, behavior, polarity])
    return path


# A small world, so that files share reps, managers, teams, behaviours, days and call ids:
# a later file replaces calls of an earlier one (with another rep, another day, other notes),
# adds reps and behaviours, and may take the last call away from a rep or a manager.
BEHAVIOURS = [
    "Asked good questions",
    "asked good questions",  # the same key, another spelling
    "Asked  good questions",  # and another (inner spaces collapse)
    "Clear next steps",
    "Skipped agenda",
    "Built rapport",
    "Rare habit",
]
a_call = st.fixed_dictionaries(
    {
        "day": st.integers(0, 12).map(lambda d: dt.date(2026, 3, 1) + dt.timedelta(days=d)),
        "manager": st.sampled_from(["Maria", "Tom", "Uma"]),
        "rep": st.sampled_from(["Ana", "Ben", "Cleo", "Dev", "Eve"]),
        "team": st.sampled_from(["North", "South", ""]),
        "action": st.sampled_from(["observed", "assisted", "took_over"]),
        "debrief": st.sampled_from(["yes", "no", ""]),
        "notes": st.lists(
            st.tuples(st.sampled_from(BEHAVIOURS), st.sampled_from(["praise", "criticism"])),
            max_size=3,
        ),
    }
)
a_file = st.lists(
    st.tuples(st.integers(1, 14), a_call), min_size=1, max_size=6, unique_by=lambda c: c[0]
).map(lambda calls: [{"id": f"C{i}", **call} for i, call in calls])
# a write: a file to add, or (sometimes) call ids to delete
a_write = st.one_of(
    a_file,
    a_file,
    a_file,
    st.lists(st.integers(1, 14), min_size=1, max_size=3, unique=True).map(
        lambda ids: {"delete": [f"C{i}" for i in ids]}
    ),
)


def apply(store: Store, write, folder: Path, number: int) -> str:
    if isinstance(write, dict):
        store.delete_calls(write["delete"], label="deleted", source="test", logged_by=None)
        return "deleted"
    return store.ingest([write_log(folder / f"w{number}.csv", write)]).derived


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(writes=st.lists(a_write, min_size=1, max_size=4))
def test_adding_random_files_in_random_orders_derives_what_a_full_derivation_does(
    writes, monkeypatch
) -> None:
    # always the incremental path, however much of the store writes touch
    monkeypatch.setattr(store_mod, "FULL_DERIVE_SHARE", float("inf"))
    with (
        tempfile.TemporaryDirectory() as folder,
        Store(None) as incremental,
        Store(None) as full,
    ):
        for number, write in enumerate(writes):
            apply(incremental, write, Path(folder), number)
            apply(full, write, Path(folder), number)
            assert derived(incremental) == full_derivation(full), f"after write {number + 1}"


# ---- by hand, on tests/data/tiny.csv ---------------------------------------------------------
# Ana's calls in order: C1 (02-02), C4 (02-16), C10 (03-09), C9 (03-09), C12 (04-06), C13
# (04-20); her praise for asking good questions (AGQ+) is on C1, C9 and C12. C1's AGQ+ comes
# back 3 calls later (C9). Adding N1 on 2026-03-01 with AGQ+ puts it between C4 and C10:
# C1, C4, N1, C10, C9, C12, C13 — C1's AGQ+ now comes back 2 calls later (N1), N1's 2 calls
# later (C9), C1 has 6 later calls instead of 5 and C13 is her 7th call.

N1 = (
    "observation_id,observed_on,manager,rep,team,manager_action,debrief,behavior,polarity\n"
    "N1,2026-03-01,Maria,Ana,North,observed,yes,Asked good questions,praise\n"
)


def agq_praise_gaps(store: Store, rep: str) -> dict[str, int | None]:
    rows = (
        store.cursor()
        .execute(
            """
            select f.call_key, e.gap
            from event_facts as e
            join call_facts as f using (call_id)
            join behaviors as b using (behavior_id)
            where f.rep = ? and b.behavior_key = 'asked good questions' and e.polarity = 'praise'
            """,
            [rep],
        )
        .fetchall()
    )
    return dict(rows)


def rows_of(store: Store, reps: list[str]) -> tuple[list[tuple], ...]:
    """These reps' rows of call_facts, event_facts and behavior_spellings, ids and all."""
    cur = store.cursor()
    return tuple(
        cur.execute(
            f"select t.* from {table} as t join rep_ids as r using (rep_id) "
            "where list_contains(?, r.rep) order by all",
            [reps],
        ).fetchall()
        for table in ("call_facts", "event_facts", "behavior_spellings")
    )


def test_adding_a_call_re_derives_its_reps_history_and_leaves_other_reps_rows_alone(
    tmp_path: Path,
) -> None:
    with Store(tmp_path / "s.duckdb") as store:
        store.ingest([ex.TINY_CSV])
        assert agq_praise_gaps(store, "Ana") == {"C1": 3, "C9": 1, "C12": None}
        others = rows_of(store, ["Ben", "Cleo"])
        ids = store.cursor().execute("select * from rep_ids order by rep_id").fetchall()
        added = tmp_path / "n1.csv"
        added.write_text(N1, encoding="utf-8")
        result = store.ingest([added])
        assert result.derived == "1 rep"  # Ana, 6 of the 14 calls: less than half
        assert agq_praise_gaps(store, "Ana") == {"C1": 2, "N1": 2, "C9": 1, "C12": None}
        later = dict(
            store.cursor()
            .execute("select call_key, later_calls from call_facts where rep = 'Ana'")
            .fetchall()
        )
        assert later == {"C1": 6, "C4": 5, "N1": 4, "C10": 3, "C9": 2, "C12": 1, "C13": 0}
        # Ben's and Cleo's rows are the very rows they were, ids included
        assert rows_of(store, ["Ben", "Cleo"]) == others
        assert store.cursor().execute("select * from rep_ids order by rep_id").fetchall() == ids
        assert derived(store) == full_derivation(store)


def test_a_call_moved_to_a_new_rep_re_derives_both_and_the_new_rep_gets_the_next_id(
    tmp_path: Path,
) -> None:
    # C8 (Cleo's third call, no notes) is replaced by a call of Zoe, a rep new to the store:
    # Cleo's calls are C3, C6, C14 (2, 1, 0 calls later), Zoe has one; Ana's and Ben's rows
    # stay as they were.
    moved = tmp_path / "moved.csv"
    moved.write_text(
        "observation_id,observed_on,manager,rep,team,manager_action,debrief,behavior,polarity\n"
        "C8,2026-03-04,Tom,Zoe,North,observed,yes,Built rapport,praise\n",
        encoding="utf-8",
    )
    with Store(tmp_path / "s.duckdb") as store:
        store.ingest([ex.TINY_CSV])
        ana = rows_of(store, ["Ana", "Ben"])
        assert store.ingest([moved]).derived == "2 reps"  # Cleo and Zoe
        cur = store.cursor()
        assert cur.execute("select rep, rep_id from rep_ids order by rep_id").fetchall() == [
            ("Ana", 1),
            ("Ben", 2),
            ("Cleo", 3),
            ("Zoe", 4),
        ]
        cleo = cur.execute(
            "select call_key, rep_seq, later_calls from call_facts where rep = 'Cleo' "
            "order by rep_seq"
        ).fetchall()
        assert cleo == [("C3", 1, 2), ("C6", 2, 1), ("C14", 3, 0)]
        assert rows_of(store, ["Ana", "Ben"]) == ana
        assert derived(store) == full_derivation(store)


def test_deleting_a_reps_last_call_removes_the_rep_and_their_behaviour_counts(
    tmp_path: Path,
) -> None:
    with Store(tmp_path / "s.duckdb") as store:
        store.ingest([ex.TINY_CSV])
        cleo = ["C3", "C6", "C8", "C14"]
        store.delete_calls(cleo, label="Cleo's calls", source="test", logged_by=None)
        cur = store.cursor()
        assert [r[0] for r in cur.execute("select rep from rep_ids order by rep").fetchall()] == [
            "Ana",
            "Ben",
        ]
        assert cur.execute(
            "select count(*) from behavior_spellings s join rep_ids r using (rep_id) "
            "where r.rep = 'Cleo'"
        ).fetchone() == (0,)
        assert derived(store) == full_derivation(store)


def test_a_write_touching_most_reps_derives_everything_again(tmp_path: Path) -> None:
    # Ana (6 calls) and Ben (4) hold 10 of the 14 calls: more than FULL_DERIVE_SHARE
    both = tmp_path / "both.csv"
    both.write_text(
        N1 + "N2,2026-03-01,Tom,Ben,South,observed,no,Skipped agenda,criticism\n",
        encoding="utf-8",
    )
    with Store(tmp_path / "s.duckdb") as store:
        store.ingest([ex.TINY_CSV])
        assert store.ingest([both]).derived == "every rep"
        assert derived(store) == full_derivation(store)


def test_once_half_the_calls_were_re_derived_since_the_last_full_derivation_all_are(
    tmp_path: Path,
) -> None:
    # Re-derived rows are appended out of date order; a full derivation sorts them again.
    # tiny.csv: derived in full. + B1 (Ben: 4 calls of 14, no more than 7) re-derives Ben's 5
    # calls; + B2 (Ben: 5 of 15) would make 10 re-derived since, more than 7.5: all.
    header = N1.splitlines()[0] + "\n"
    with Store(tmp_path / "s.duckdb") as store:
        assert store.ingest([ex.TINY_CSV]).derived == "every rep"
        for name, expected in (("B1", "1 rep"), ("B2", "every rep")):
            path = tmp_path / f"{name}.csv"
            path.write_text(
                header + f"{name},2026-05-01,Tom,Ben,South,observed,no,Built rapport,praise\n",
                encoding="utf-8",
            )
            assert store.ingest([path]).derived == expected
        dates = [
            r[0] for r in store.cursor().execute("select observed_on from call_facts").fetchall()
        ]
        assert dates == sorted(dates)  # stored by date again
        assert derived(store) == full_derivation(store)


def test_re_importing_an_unchanged_file_re_derives_no_rep(tmp_path: Path) -> None:
    with Store(tmp_path / "s.duckdb") as store:
        store.ingest([ex.TINY_CSV])
        before = rows_of(store, ["Ana", "Ben", "Cleo"])
        assert store.ingest([ex.TINY_CSV]).derived == "0 reps"
        assert rows_of(store, ["Ana", "Ben", "Cleo"]) == before


def test_a_new_behaviour_gets_the_next_id_and_labels_follow_the_most_common_spelling(
    tmp_path: Path, monkeypatch
) -> None:
    # "asked good questions" is spelled "Asked good questions" on 4 notes (C1, C12 twice,
    # C14), otherwise once each (C3, C9). Three more notes spelled "asked good questions"
    # make it 4 to 4: the tie goes to the smaller by code point, "Asked..." ('A' < 'a').
    # A fourth makes "asked good questions" the label. A new behaviour ("listened well") gets
    # the next id, and the others keep theirs (incremental writes: a full derivation would
    # number them in key order).
    monkeypatch.setattr(store_mod, "FULL_DERIVE_SHARE", float("inf"))
    rows = "".join(
        f"X{i},2026-05-0{i},Tom,Ben,South,observed,no,asked good questions,praise\n"
        for i in range(1, 5)
    )
    header = N1.splitlines()[0] + "\n"
    with Store(tmp_path / "s.duckdb") as store:
        store.ingest([ex.TINY_CSV])
        keys = dict(
            store.cursor().execute("select behavior_key, behavior_id from behaviors").fetchall()
        )
        three = tmp_path / "three.csv"
        three.write_text(header + "".join(rows.splitlines(keepends=True)[:3]), "utf-8")
        store.ingest([three])
        label = "select label from behaviors where behavior_key = 'asked good questions'"
        assert store.cursor().execute(label).fetchone() == ("Asked good questions",)
        four = tmp_path / "four.csv"
        four.write_text(
            header + rows + "X9,2026-05-09,Tom,Ben,South,observed,no,Listened well,praise\n",
            "utf-8",
        )
        store.ingest([four])
        assert store.cursor().execute(label).fetchone() == ("asked good questions",)
        after = dict(
            store.cursor().execute("select behavior_key, behavior_id from behaviors").fetchall()
        )
        assert after == {**keys, "listened well": max(keys.values()) + 1}
        assert derived(store) == full_derivation(store)
