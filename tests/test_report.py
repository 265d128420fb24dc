"""The quarterly review (dashboard/quarterly/, queries/quarters.sql, coverage_*.sql, the CLI).

Hand-computed expectations come from tests/data/tiny.csv (its calls are tabled in
tests/expected_tiny.py): 2026-Q1 holds C1..C10, 2026-Q2 holds C11..C14 (data ends 2026-04-20).
"""

from __future__ import annotations

import datetime as dt
import html
import re
from pathlib import Path
from types import SimpleNamespace

import polars as pl
import pytest
from click.testing import CliRunner

from dashboard import effects, metrics, quarterly
from dashboard.access import EVERYTHING
from dashboard.cli import main
from dashboard.quarterly import pdf as quarterly_pdf
from dashboard.quarterly import sections as quarterly_sections
from dashboard.store import Store, load_files
from tests import expected_tiny as ex

AFTER_Q2 = dt.date(2026, 7, 1)  # "today" once 2026-Q2 has ended


@pytest.fixture(scope="module")
def tiny() -> Store:
    store, _ = load_files([ex.TINY_CSV])
    return store


@pytest.fixture(scope="module")
def tiny_q2(tiny: Store) -> quarterly.Review:
    return quarterly.build_review(tiny.con, "2026-Q2", today=AFTER_Q2)


@pytest.fixture
def tiny_db(tmp_path: Path) -> Path:
    path = tmp_path / "tiny.duckdb"
    with Store(path) as store:
        store.ingest([ex.TINY_CSV])
    return path


def table_rows(page: str, table_no: int) -> list[list[str]]:
    """The body rows of the table_no-th <table> in the HTML, each cell's text (main + note)."""
    table = re.findall(r"<table.*?</table>", page, flags=re.S)[table_no]
    body = re.search(r"<tbody>(.*)</tbody>", table, flags=re.S).group(1)
    rows = []
    for tr in re.findall(r"<tr>(.*?)</tr>", body, flags=re.S):
        cells = re.findall(r"<td[^>]*>(.*?)</td>", tr, flags=re.S)
        rows.append([html.unescape(re.sub(r"<[^>]+>", " ", c)).split() for c in cells])
    return [[" ".join(words) for words in row] for row in rows]


def pdf_pages(data: bytes) -> int:
    return len(re.findall(rb"/Type\s*/Page\b(?!s)", data))


# ---- quarters --------------------------------------------------------------------------------


def test_quarter_parse_knows_its_days_and_the_quarter_before() -> None:
    q = quarterly.Quarter.parse("2026-Q3")
    assert (q.label, q.start, q.end) == ("2026-Q3", dt.date(2026, 7, 1), dt.date(2026, 9, 30))
    assert quarterly.Quarter.parse("2026q1").previous().label == "2025-Q4"
    assert quarterly.Quarter.parse("2024-Q1").end == dt.date(2024, 3, 31)
    assert quarterly.Quarter.parse("2025-Q4").end == dt.date(2025, 12, 31)
    assert q.span() == "1 Jul – 30 Sep 2026"


@pytest.mark.parametrize("bad", ["Q3", "2026-Q5", "2026-07", "", "twenty"])
def test_malformed_quarter_is_refused_with_the_accepted_form(bad: str) -> None:
    with pytest.raises(quarterly.ReviewError, match=r"e\.g\. 2026-Q3"):
        quarterly.Quarter.parse(bad)


def test_quarters_lists_quarters_with_calls_and_whether_each_is_complete(tiny: Store) -> None:
    # Data ends 2026-04-20. On 2026-05-01 2026-Q2 is neither over nor reached by the data.
    early = quarterly.available_quarters(tiny.con, today=dt.date(2026, 5, 1))
    assert early.select("quarter", "calls", "complete", "is_default").rows() == [
        ("2026-Q1", 10, True, True),  # 2026-03-31 <= 2026-04-20: the data reaches its end
        ("2026-Q2", 4, False, False),
    ]
    late = quarterly.available_quarters(tiny.con, today=AFTER_Q2)
    assert late["complete"].to_list() == [True, True]  # 2026-06-30 < 2026-07-01
    assert late.filter(pl.col("is_default"))["quarter"].to_list() == ["2026-Q2"]
    assert late["first_day"].to_list() == [dt.date(2026, 1, 1), dt.date(2026, 4, 1)]
    assert late["last_day"].to_list() == [dt.date(2026, 3, 31), dt.date(2026, 6, 30)]


def test_quarters_for_a_team_count_only_its_calls(tiny: Store) -> None:
    south = quarterly.available_quarters(tiny.con, ["South"], today=dt.date(2026, 5, 1))
    # South: C2 C5 C7 in Q1, C11 in Q2. Completeness follows the whole store's last day.
    assert south.select("quarter", "calls", "complete").rows() == [
        ("2026-Q1", 3, True),
        ("2026-Q2", 1, False),
    ]
    none = quarterly.available_quarters(tiny.con, [""], today=AFTER_Q2)
    assert none.select("quarter", "calls").rows() == [("2026-Q1", 1)]  # C6 alone


def test_when_no_quarter_is_complete_the_latest_is_the_default() -> None:
    store, _ = load_files([ex.TINY_NO_ID_CSV])  # May 2026 only: Q2 is neither reached nor over
    q = quarterly.available_quarters(store.con, today=dt.date(2026, 6, 1))
    assert q.select("quarter", "complete", "is_default").rows() == [("2026-Q2", False, True)]


def test_sample_defaults_to_2026_q3(sample_store: Path) -> None:
    with Store(sample_store, read_only=True) as store:
        review = quarterly.build_review(store.con, None, today=dt.date(2026, 10, 1))
    assert review.quarter.label == "2026-Q3" and review.previous.label == "2026-Q2"
    assert review.complete


def test_unknown_or_empty_quarter_names_the_quarters_that_exist(tiny: Store) -> None:
    for asked in ("2025-Q4", "2026-Q3"):
        with pytest.raises(quarterly.ReviewError) as err:
            quarterly.build_review(tiny.con, asked, today=AFTER_Q2)
        assert f"no calls in {asked}" in str(err.value)
        assert "Quarters with calls: 2026-Q1, 2026-Q2." in str(err.value)
    with pytest.raises(quarterly.ReviewError, match="Quarters with calls: 2026-Q1, 2026-Q2"):
        quarterly.build_review(tiny.con, "third quarter", today=AFTER_Q2)
    with pytest.raises(quarterly.ReviewError, match=r"for \(no team\) in 2026-Q2.*: 2026-Q1\."):
        quarterly.build_review(tiny.con, "2026-Q2", [""], today=AFTER_Q2)
    with pytest.raises(quarterly.ReviewError, match=r"unknown team 'West'.*'North', 'South'"):
        quarterly.build_review(tiny.con, "2026-Q2", ["West"], today=AFTER_Q2)


# ---- the figures: exactly metrics.sql ------------------------------------------------------------


@pytest.mark.parametrize("quarter", ["2026-Q1", "2026-Q2"])
def test_review_figures_are_those_of_metrics_by_quarter(tiny: Store, quarter: str) -> None:
    review = quarterly.build_review(tiny.con, quarter, today=AFTER_Q2)
    by_quarter = metrics.metrics_json(tiny.con, metrics.Filters(), by="quarter")["groups"]

    def crude(data: dict) -> dict:
        data["recurrence"].pop("adjusted", None)
        data["mistake_repeat"].pop("adjusted", None)
        return data

    def same_adjusted(row: dict, data: dict) -> None:
        adjusted = data["recurrence"]["adjusted"]
        assert row["adj_lift"] == adjusted["lift"]
        assert row["adj_lift_strata"] == adjusted["strata"]
        took_over = data["mistake_repeat"]["adjusted"]["took_over"]
        assert row["adj_took_over_ratio"] == took_over["ratio"]

    same_adjusted(review.current, by_quarter[quarter])
    assert metrics.to_json(review.current) == crude(by_quarter[quarter])
    previous = review.previous.label
    if previous in by_quarter:
        same_adjusted(review.before, by_quarter[previous])
        assert metrics.to_json(review.before) == crude(by_quarter[previous])
    else:
        assert review.before["calls"] == 0


def test_sample_review_figures_are_those_of_metrics_by_quarter(sample_store: Path) -> None:
    with Store(sample_store, read_only=True) as store:
        review = quarterly.build_review(store.con, "2026-Q3", today=dt.date(2026, 10, 1))
        groups = metrics.metrics_json(store.con, metrics.Filters(), by="quarter")["groups"]
        q = quarterly.Quarter.parse("2026-Q3")
        by_manager = metrics.metrics_frame(
            store.con, metrics.Filters(start=q.start, end=q.end), by="manager"
        )
    for row, group in ((review.current, groups["2026-Q3"]), (review.before, groups["2026-Q2"])):
        adjusted = group["recurrence"].pop("adjusted")
        group["mistake_repeat"].pop("adjusted")
        assert metrics.to_json(row) == group
        assert row["adj_lift"] == adjusted["lift"] and row["adj_lift_strata"] == adjusted["strata"]
    managers = quarterly.comparison_frame(review.managers, "manager")
    assert dict(managers.select("manager", "calls").iter_rows()) == dict(
        by_manager.select("grp", "calls").iter_rows()
    )
    coverage = review.managers_coverage
    assert dict(coverage.select("manager", "calls").iter_rows()) == dict(
        by_manager.select("grp", "calls").iter_rows()
    )


def test_team_review_equals_metrics_for_that_team(tiny: Store) -> None:
    review = quarterly.build_review(tiny.con, "2026-Q1", ["North"], today=AFTER_Q2)
    q = review.quarter
    expected = metrics.metrics_frame(
        tiny.con, metrics.Filters(start=q.start, end=q.end, teams=("North",))
    ).row(0, named=True)
    assert {k: review.current[k] for k in expected} == expected
    assert review.current["calls"] == 6  # North in Q1: C1 C3 C4 C8 C9 C10


def test_tiny_q2_headline_holds_the_hand_computed_figures(tiny_q2: quarterly.Review) -> None:
    now, before = tiny_q2.current, tiny_q2.before
    # Q2 = C11..C14 (tests/expected_tiny.py _APR); Q1 = C1..C10 (_QUARTER["2026-Q1"])
    assert (now["calls"], now["praise"], now["criticism"], now["took_over"]) == (4, 5, 3, 0)
    assert (now["debriefed"], now["debrief_known"]) == (2, 3)  # yes C12 C14; no C13
    assert (before["calls"], before["praise"], before["criticism"], before["took_over"]) == (
        10,
        7,
        8,
        2,
    )
    assert (before["debriefed"], before["debrief_known"]) == (3, 8)
    changes = {c.measure.key: c for c in tiny_q2.headline}
    assert changes["calls"].delta == -6
    assert changes["intervention_rate"].delta == pytest.approx(0 / 4 - 2 / 10)
    assert changes["debrief_rate"].delta == pytest.approx(2 / 3 - 3 / 8)
    assert changes["praise_to_criticism"].delta == pytest.approx(5 / 3 - 7 / 8)
    assert changes["lift"].delta is None  # nothing in Q2 has 3 later calls
    # fewer than 10 calls in Q2: nothing is beyond chance, nothing is coloured
    assert not any(c.beyond_chance for c in tiny_q2.headline)
    assert {c.tone for c in tiny_q2.headline} == {0}


def test_tiny_q2_per_manager_and_rep_tables(tiny_q2: quarterly.Review) -> None:
    managers = quarterly.comparison_frame(tiny_q2.managers, "manager")
    cols = ["manager", "calls", "calls_previous", "took_over", "took_over_previous"]
    cols += ["debriefed", "debrief_known", "debriefed_previous", "debrief_known_previous"]
    cols += ["praise", "criticism", "praise_previous", "criticism_previous"]
    assert managers.select(cols).rows() == [
        # Maria Q2: C13 (no; SA- TOC- BR+) C14 (yes; AGQ+). Q1: C1 C3 C6 C7 C9 C10, took over
        # C10, debrief yes C1 / no C6 C7 C9 / unknown C3 C10; praise C1 2 C3 1 C9 1,
        # criticism C1 1 C3 1 C7 2 C10 1
        ("Maria", 2, 6, 0, 1, 1, 2, 1, 4, 2, 2, 4, 5),
        # Tom Q2: C11 (unknown; HPO+) C12 (yes; AGQ+ x2, TOC-). Q1: C2 C4 C5 C8, took over C5,
        # debrief yes C5 C8 / no C2 C4; praise C2 2 C4 1, criticism C2 1 C4 1 C5 1
        ("Tom", 2, 4, 0, 1, 1, 1, 2, 4, 3, 1, 3, 3),
    ]
    reps = quarterly.comparison_frame(tiny_q2.reps, "rep")
    assert reps.select("rep", "calls", "calls_previous").rows() == [
        ("Ana", 2, 4),  # C12 C13 | C1 C4 C9 C10
        ("Ben", 1, 3),  # C11 | C2 C5 C7
        ("Cleo", 1, 3),  # C14 | C3 C6 C8
    ]


def test_tiny_q2_coverage_flags_both_managers_below_usual(tiny_q2: quarterly.Review) -> None:
    assert tiny_q2.reps_unobserved.height == 0  # Ana, Ben and Cleo were all observed in Q2
    assert tiny_q2.managers_coverage.select(
        "manager", "calls", "calls_before", "quarters_compared", "usual", "below"
    ).rows() == [
        ("Maria", 2, 6, 1, 6.0, True),  # 2 < 0.75 * 6 = 4.5
        ("Tom", 2, 4, 1, 4.0, True),  # 2 < 0.75 * 4 = 3
    ]
    # ... but no highlight: a usual of 6 or 4 calls is a handful, and no change rests on 10
    assert tiny_q2.highlights == []


def test_tiny_q1_what_worked_and_what_keeps_going_wrong(tiny: Store) -> None:
    review = quarterly.build_review(tiny.con, "2026-Q1", today=AFTER_Q2)
    # recognised praise with 3 later calls in Q1: P1 C1 AGQ (came back on C9), P2 C1 CNS (not)
    assert review.worked.select("behaviour", "rec_recurred", "rec_eligible").rows() == [
        ("Asked good questions", 1, 1),
        ("Clear next steps", 0, 1),
    ]
    # eligible mistakes: TOC M1 (observed+debrief, repeated), M3 (observed only, not),
    # M5 (took over, repeated); SA M2 (observed only, repeated), M4 (assisted, not)
    wrong = review.wrong
    assert wrong.select("behaviour", "repeated", "eligible").rows() == [
        ("Talked over customer", 2, 3),
        ("Skipped agenda", 1, 2),
    ]
    toc = wrong.row(0, named=True)
    assert (toc["mr_took_over_repeated"], toc["mr_took_over_eligible"]) == (1, 1)
    assert (toc["mr_observed_debriefed_repeated"], toc["mr_observed_debriefed_eligible"]) == (1, 1)
    assert (toc["mr_observed_only_repeated"], toc["mr_observed_only_eligible"]) == (0, 1)
    sa = wrong.row(1, named=True)
    assert (sa["mr_assisted_repeated"], sa["mr_assisted_eligible"]) == (0, 1)
    assert (sa["mr_observed_only_repeated"], sa["mr_observed_only_eligible"]) == (1, 1)


SPELLINGS_CSV = """\
observation_id,observed_on,manager,rep,team,planned_role,manager_action,debrief,behavior,polarity,severity,category
A1,2026-02-02,Maria,Ana,North,observer,observed,yes,Asked good questions,praise,,
A2,2026-02-09,Maria,Ana,North,observer,observed,yes,asked good  questions,praise,,
A3,2026-02-16,Maria,Ana,North,observer,observed,yes,,,,
A4,2026-02-23,Maria,Ana,North,observer,observed,yes,,,,
A5,2026-04-06,Maria,Ana,North,observer,observed,yes,ASKED GOOD QUESTIONS,praise,,
A6,2026-04-13,Maria,Ana,North,observer,observed,yes,Asked good questions,praise,,
A7,2026-04-20,Maria,Ana,North,observer,observed,yes,Asked good questions,praise,,
A8,2026-04-27,Maria,Ana,North,observer,observed,yes,Asked good questions,praise,,
"""


def test_what_worked_matches_a_behaviour_across_quarters_whatever_its_spelling(
    tmp_path: Path,
) -> None:
    # One behaviour key, four spellings: the store's label is the most common one (4 of 7).
    # Q1: A1 and A2 recognised, each with >= 3 later calls, each back within 3 calls (A2; A5).
    # Q2: A5 recognised with 3 later calls, back on A6; A6 has only 2 later calls: not eligible.
    path = tmp_path / "spellings.csv"
    path.write_text(SPELLINGS_CSV, encoding="utf-8")
    store, _ = load_files([path])
    review = quarterly.build_review(store.con, "2026-Q2", today=AFTER_Q2)
    columns = ("behaviour", "rec_recurred", "rec_eligible")
    previous = ("rec_recurred_previous", "rec_eligible_previous")
    assert review.worked.select(*columns, *previous).rows() == [
        ("Asked good questions", 1, 1, 2, 2)
    ]


# ---- coverage queries ------------------------------------------------------------------------

COVERAGE_CSV = """\
observation_id,observed_on,manager,rep,team,planned_role,manager_action,debrief,behavior,polarity,severity,category
K01,2025-06-15,Maria,Dan,North,observer,observed,yes,,,,
K02,2025-08-01,Maria,Ana,North,observer,observed,yes,,,,
K03,2026-02-01,Tom,Ana,North,observer,observed,yes,,,,
K04,2026-08-01,Maria,Ana,North,observer,observed,yes,,,,
K05,2025-10-01,Tom,Ben,South,observer,observed,yes,,,,
K06,2026-05-20,Maria,Ben,South,observer,observed,yes,,,,
K07,2026-08-02,Tom,Cleo,North,observer,observed,yes,,,,
K08,2026-04-02,Zoe,Eve,South,observer,observed,yes,,,,
K09,2026-05-02,Zoe,Eve,South,observer,observed,yes,,,,
K10,2026-06-02,Zoe,Eve,South,observer,observed,yes,,,,
K11,2026-06-20,Zoe,Eve,South,observer,observed,yes,,,,
"""


def test_coverage_for_2026_q3_by_hand(tmp_path: Path) -> None:
    path = tmp_path / "coverage.csv"
    path.write_text(COVERAGE_CSV, encoding="utf-8")
    store, _ = load_files([path])
    params = {
        "start": dt.date(2026, 7, 1),
        "end": dt.date(2026, 9, 30),
        "lookback": 4,  # 2025-07-01 .. 2026-06-30
        "teams": [],
        "scope": EVERYTHING,
    }
    reps = metrics.run(store.con, "coverage_reps", **params)
    # Ana (K04) and Cleo (K07) were observed in Q3; Dan's only call (K01) is before the lookback
    assert reps.rows() == [
        ("Eve", "South", 4, dt.date(2026, 6, 20), "Zoe"),  # K08..K11
        ("Ben", "South", 2, dt.date(2026, 5, 20), "Maria"),  # K05 (Tom), K06 (Maria, later)
    ]
    managers = metrics.run(store.con, "coverage_managers", share=0.75, **params)
    assert managers.select(
        "manager", "calls", "calls_before", "quarters_compared", "usual", "below"
    ).rows() == [
        ("Zoe", 0, 4, 1, 4.0, True),  # all in 2026-Q2; none in Q3
        # K02 (2025-Q3) K06 (2026-Q2): 4 quarters from 2025-Q3; K01 is outside the lookback
        ("Maria", 1, 2, 4, 0.5, False),
        ("Tom", 1, 2, 3, 2 / 3, False),  # K05 (2025-Q4) K03 (2026-Q1): 3 quarters from 2025-Q4
    ]
    assert managers["share_of_usual"].to_list() == pytest.approx([0.0, 2.0, 1.5])
    south = metrics.run(store.con, "coverage_reps", **{**params, "teams": ["South"]})
    assert south["rep"].to_list() == ["Eve", "Ben"]
    north = metrics.run(store.con, "coverage_reps", **{**params, "teams": ["North"]})
    assert north.height == 0


# ---- highlights (pure) ---------------------------------------------------------------------------


def _manager(calls: int, took_over: int) -> dict:
    # as metrics.sql returns it, with its small-sample flag (min_n 10)
    rate = took_over / calls
    return {
        "calls": calls,
        "took_over": took_over,
        "intervention_rate": rate,
        "calls_small": calls < 10,
    }


def _changes(now: dict, before: dict) -> list[quarterly.Change]:
    return [quarterly.Change(m, now, before, 10) for m in (quarterly.CALLS, quarterly.INTERVENTION)]


NO_REPS = pl.DataFrame(
    {"rep": [], "calls_before": []}, schema={"rep": pl.String, "calls_before": pl.Int64}
)
NO_MANAGERS = pl.DataFrame(
    {"manager": [], "calls": [], "usual": [], "share_of_usual": [], "below": []},
    schema={
        "manager": pl.String,
        "calls": pl.Int64,
        "usual": pl.Float64,
        "share_of_usual": pl.Float64,
        "below": pl.Boolean,
    },
)


def test_two_proportion_z_by_hand() -> None:
    # 30/50 vs 15/50: pooled 0.45, se = sqrt(0.45 * 0.55 * (2 / 50)) = 0.099499, z = 0.3 / se
    assert effects.two_proportion_z(30, 50, 15, 50) == pytest.approx(3.01511, rel=1e-5)
    assert effects.two_proportion_z(0, 10, 0, 12) is None  # no variance: no test
    assert effects.count_z(54, 80) == pytest.approx(-26 / 134**0.5)


def test_highlight_states_a_change_beyond_chance_in_plain_words() -> None:
    # 18/20 vs 4/22: pooled 22/42, z = (0.9 - 0.1818) / sqrt(0.5238 * 0.4762 * (1/20 + 1/22))
    # = 4.65 > 1.96. Calls 20 vs 22: z = -2 / sqrt(42) = -0.31, within chance.
    sentences = quarterly.highlights(
        [], [("Dana", _changes(_manager(20, 18), _manager(22, 4)))], NO_REPS, NO_MANAGERS, 10, 3
    )
    assert sentences == ["Dana took over 18 of 20 calls (90%), up from 4 of 22 (18%)."]


def test_no_highlight_within_chance_or_from_a_handful_of_calls() -> None:
    # the example, 9/20 vs 4/22: pooled 13/42, se = sqrt(0.3095 * 0.6905 * (1/20 + 1/22))
    # = 0.14283, z = (0.45 - 0.18182) / se = 1.878 < 1.96: within chance
    within = _changes(_manager(20, 9), _manager(22, 4))
    assert effects.two_proportion_z(9, 20, 4, 22) == pytest.approx(1.878, abs=1e-3)
    # 9/9 vs 0/9 is a huge difference, but 9 calls is fewer than 10
    handful = _changes(_manager(9, 9), _manager(9, 0))
    groups = [("Dana", within), ("Eli", handful)]
    assert quarterly.highlights([], groups, NO_REPS, NO_MANAGERS, 10, 3) == []
    assert [c.chance_text() for c in handful] == ["", "too few to tell"]
    assert [c.tone for c in within + handful] == [0, 0, 0, 0]


def test_highlight_colours_follow_which_direction_is_better() -> None:
    took_more = _changes(_manager(20, 18), _manager(22, 4))[1]
    assert took_more.beyond_chance and took_more.direction == 1
    assert took_more.tone == -1  # more take-overs is worse: red


def test_coverage_highlights_need_a_usual_worth_the_name() -> None:
    reps = pl.DataFrame({"rep": ["Olu", "Pat"], "calls_before": [12, 3]})
    managers = pl.DataFrame(
        {
            "manager": ["Amir", "Bo", "Cy"],
            "calls": [20, 1, 40],
            "usual": [30.0, 6.0, 41.0],
            "share_of_usual": [20 / 30, 1 / 6, 40 / 41],
            "below": [True, True, False],
        }
    )
    assert quarterly.highlights([], [], reps, managers, 10, 3) == [
        "Olu was not observed this quarter, after at least 10 observed calls in the 4 quarters "
        "before.",
        "Amir observed 20 calls, below 75% of a usual 30 a quarter.",
    ]


def test_coverage_highlights_name_a_few_and_count_the_rest() -> None:
    """An organisation has hundreds of reps not observed and managers below their usual: the
    highlights listed every one (150 names in one sentence, a line per manager)."""
    reps = pl.DataFrame(
        {"rep": [f"Rep {i:02}" for i in range(12)], "calls_before": [10 + i for i in range(12)]}
    )
    usual = [40.0 - i for i in range(9)]
    managers = pl.DataFrame(
        {
            "manager": [f"M{i}" for i in range(9)],
            "calls": [10 + i for i in range(9)],
            "usual": usual,
            "share_of_usual": [(10 + i) / u for i, u in enumerate(usual)],
            "below": [True] * 9,
        }
    )
    out = quarterly.highlights([], [], reps, managers, 10, 3)
    assert quarterly.MAX_COVERAGE_NAMES == 5
    # the reps observed most before first; the managers furthest below their usual first
    assert out == [
        "Rep 11, Rep 10, Rep 09, Rep 08, Rep 07 and 7 more reps were not observed this quarter, "
        "after at least 10 observed calls in the 4 quarters before.",
        "M0 observed 10 calls, below 75% of a usual 40 a quarter.",
        "M1 observed 11 calls, below 75% of a usual 39 a quarter.",
        "M2 observed 12 calls, below 75% of a usual 38 a quarter.",
        "M3 observed 13 calls, below 75% of a usual 37 a quarter.",
        "M4 observed 14 calls, below 75% of a usual 36 a quarter.",
        "4 more managers observed below 75% of their usual: see Coaching coverage.",
    ]


def test_counts_in_the_reviews_cells_carry_thousands_separators() -> None:
    cell = quarterly_sections._share_cell(1234, 5678, 1234 / 5678, False)
    assert cell.text == "22% (1,234 of 5,678)"
    change = _changes(_manager(5678, 1234), _manager(20, 4))[1]  # the intervention rate
    assert quarterly_sections._value_cell(change, change.now, people=True).text == (
        "22% (1,234/5,678)"
    )


def test_highlights_are_capped_and_say_how_many_more() -> None:
    groups = [
        (f"M{i}", _changes(_manager(20, 18), _manager(22, 4))[1:]) for i in range(8)
    ]  # eight identical clear changes
    out = quarterly.highlights([], groups, NO_REPS, NO_MANAGERS, 10, 3)
    assert len(out) == quarterly.MAX_CHANGE_HIGHLIGHTS + 1
    assert out[-1] == "2 more changes beyond chance: see the coloured figures in the tables."
    many = [(f"M{i}", groups[0][1]) for i in range(1006)]  # 2,270 at 10 million notes
    assert quarterly.highlights([], many, NO_REPS, NO_MANAGERS, 10, 3)[-1] == (
        "1,000 more changes beyond chance: see the coloured figures in the tables."
    )


def test_sample_highlights_rest_on_enough_calls(sample_store: Path) -> None:
    with Store(sample_store, read_only=True) as store:
        review = quarterly.build_review(store.con, "2026-Q3", today=dt.date(2026, 10, 1))
    for name, changes in review.managers:
        for c in changes:
            if c.beyond_chance:
                assert c.base(c.now) >= 10 and c.base(c.before) >= 10
                assert abs(c.z_score) >= effects.Z_95
                assert (
                    any(s.startswith(name) for s in review.highlights)
                    or len(review.highlights) > quarterly.MAX_CHANGE_HIGHLIGHTS
                )


# ---- HTML ------------------------------------------------------------------------------------


def test_html_holds_the_expected_numbers(tiny_q2: quarterly.Review) -> None:
    page = quarterly.render_html(tiny_q2)
    assert "<h1>2026-Q2 against 2026-Q1 · All teams</h1>" in page
    headline = table_rows(page, 0)
    assert headline[0] == ["Calls observed", "4", "10", "▼ 6 too few to tell"]
    assert headline[1][1].startswith("1.7:1* 5 praise, 3 criticism")  # 5/3; 8 notes < 10
    assert headline[1][2].startswith("0.9:1 7 praise, 8 criticism")  # 7/8; 15 notes
    assert headline[2][1].startswith("0%* 0 of 4 calls")
    assert headline[2][2].startswith("20% 2 of 10 calls")
    assert headline[2][3] == "▼ 20 pts too few to tell"
    assert headline[3][1].startswith("67%* 2 of 3 calls with a known debrief")
    assert headline[3][2].startswith("38%* 3 of 8 calls with a known debrief")
    assert headline[3][3] == "▲ 29 pts too few to tell"  # 66.7% - 37.5%
    managers = table_rows(page, 1)
    assert managers == [
        # calls: Q2, Q1, change | took over | debriefed | praise : criticism
        [
            *("Maria", "2", "6", "▼ 4"),
            *("0% (0/2)*", "17% (1/6)*", "▼ 17 pts"),
            *("50% (1/2)*", "25% (1/4)*", "▲ 25 pts"),
            *("1.0:1 (2/2)*", "0.8:1 (4/5)*", "▲ 0.2"),
        ],
        [
            *("Tom", "2", "4", "▼ 2"),
            *("0% (0/2)*", "25% (1/4)*", "▼ 25 pts"),
            *("100% (1/1)*", "50% (2/4)*", "▲ 50 pts"),
            *("3.0:1 (3/1)*", "1.0:1 (3/3)*", "▲ 2.0"),
        ],
    ]
    coverage = table_rows(page, 2)  # no rep went unobserved: that part has no table
    assert coverage == [
        ["Maria", "2", "6.0 (1 quarter)", "33%", "below usual"],
        ["Tom", "2", "4.0 (1 quarter)", "50%", "below usual"],
    ]
    assert 'Reps nobody observed this quarter</h3>\n<p class="muted">None.</p>' in page
    assert quarterly.NO_HIGHLIGHTS in page


def test_html_references_nothing_outside_itself(tiny_q2: quarterly.Review) -> None:
    page = quarterly.render_html(tiny_q2)
    assert not re.search(r"<script", page, flags=re.I)
    assert not re.search(r"<link\b", page, flags=re.I)
    assert not re.search(r"@import", page, flags=re.I)
    for attribute in re.findall(r"\b(?:src|href|xlink:href)\s*=\s*[\"']([^\"']*)", page):
        assert attribute.startswith("#"), attribute  # only references inside the page
    assert not re.search(r"url\((?!#)", page)
    assert page.count("<svg") == 3  # the three charts, inlined


def test_html_charts_do_not_share_ids(tiny_q2: quarterly.Review) -> None:
    page = quarterly.render_html(tiny_q2)
    ids = re.findall(r'\bid="([^"]+)"', page)
    assert len(ids) == len(set(ids))


# ---- many managers ----------------------------------------------------------------------------


def test_the_managers_charts_show_the_busiest_and_say_so(
    tiny: Store, tiny_q2: quarterly.Review, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(quarterly_sections, "MAX_CHARTED", 1)
    # Maria and Tom had 2 calls each in 2026-Q2; in the quarter before Maria 6, Tom 4
    charted = quarterly_sections.charted_managers(tiny_q2)
    assert [name for name, _changes in charted] == ["Maria"]
    drawn = quarterly.review_charts(tiny_q2)
    for name in ("manager_intervention", "manager_debrief"):
        assert set(drawn[name].data["manager"]) == {"Maria"}
    note = (
        "The charts show the 1 manager with the most calls in 2026-Q2, of 2. Choose teams to "
        "chart theirs."
    )
    managers = next(s for s in quarterly.outline(tiny_q2) if s.key == "managers")
    assert managers.blocks[-1] == quarterly_sections.Para(note)
    page = html.unescape(quarterly.render_html(tiny_q2))
    assert note in page
    assert [row[0] for row in table_rows(page, 1)] == ["Maria", "Tom"]  # the table has both
    north = quarterly.build_review(tiny.con, "2026-Q2", ["North"], today=AFTER_Q2)
    assert quarterly_sections.charted_note(north) == (
        "The charts show the 1 manager with the most calls in 2026-Q2, of 2."  # teams chosen
    )


def test_a_few_managers_are_all_charted_without_a_note(tiny_q2: quarterly.Review) -> None:
    assert quarterly_sections.charted_managers(tiny_q2) == list(tiny_q2.managers)
    assert quarterly_sections.charted_note(tiny_q2) == ""
    managers = next(s for s in quarterly.outline(tiny_q2) if s.key == "managers")
    assert not isinstance(managers.blocks[-1], quarterly_sections.Para)


def test_thousands_of_managers_chart_the_busiest_thirty() -> None:
    """8,339 managers at 10 million notes: every one charted made a chart 140,000 px tall,
    and Altair refused its 16,678 rows (over 5,000), which stopped `ridealong report` and the
    review's downloads."""
    from altair import MaxRowsError

    from dashboard import charts

    q2 = quarterly.Quarter.parse("2026-Q2")
    review = SimpleNamespace(
        quarter=q2,
        previous=q2.previous(),
        # 10..59 calls in the quarter, 10 in the one before: 60 managers have 59 calls
        managers=[
            (f"M{i:04}", _changes(_manager(10 + i % 50, i % 7), _manager(10, 1)))
            for i in range(3000)
        ],
    )
    charted = quarterly_sections.charted_managers(review)
    busiest = [f"M{i:04}" for i in range(49, 3000, 50)][: quarterly_sections.MAX_CHARTED]
    assert [name for name, _changes in charted] == busiest
    frame = quarterly_sections.people_chart_frame(
        review, charted, quarterly.INTERVENTION, "manager"
    )
    chart = charts.period_comparison(frame, "manager", "Took over")
    assert chart.to_dict()["height"] == charts.ROW_PX * 30 + charts.FRAME_PX
    every = quarterly_sections.people_chart_frame(
        review, review.managers, quarterly.INTERVENTION, "manager"
    )
    with pytest.raises(MaxRowsError):  # what charting every manager did
        charts.period_comparison(every, "manager", "Took over").to_dict()


def test_the_pdf_cuts_a_long_table_to_the_busiest_and_says_so(
    tiny_q2: quarterly.Review, monkeypatch: pytest.MonkeyPatch
) -> None:
    def tables(outline) -> dict[str, quarterly_sections.Table]:
        return {
            block.name: block.table
            for section in outline
            for block in section.blocks
            if isinstance(block, quarterly_sections.TableBlock)
        }

    def cut_notes(outline) -> list[str]:
        return [
            block.text
            for section in outline
            for block in section.blocks
            if isinstance(block, quarterly_sections.Para) and block.text.startswith("This PDF")
        ]

    whole = quarterly.outline(tiny_q2)
    assert quarterly.outline(tiny_q2, max_rows=3) == whole  # nothing longer: nothing cut
    # 2026-Q2: Ana 2 calls, Ben and Cleo 1 each (3 each the quarter before: then by name)
    two = quarterly.outline(tiny_q2, max_rows=2)
    assert [row[0].text for row in tables(two)["reps"].rows] == ["Ana", "Ben"]
    assert tables(two)["reps"].rows == tables(whole)["reps"].rows[:2]
    assert tables(two)["managers"] == tables(whole)["managers"]  # 2 rows: kept whole
    assert cut_notes(two) == [
        "This PDF lists the 2 reps with the most calls in 2026-Q2, of 3: the HTML review and "
        "the table's CSV on the Quarterly review page list every one."
    ]
    one = tables(quarterly.outline(tiny_q2, max_rows=1))
    assert [row[0].text for row in one["managers"].rows] == ["Maria"]  # 6 calls before, Tom 4
    assert one["managers_coverage"].rows == tables(whole)["managers_coverage"].rows[:1]

    asked = []
    real = quarterly_pdf.outline

    def spy(review, max_rows=None):
        asked.append(max_rows)
        return real(review, max_rows)

    monkeypatch.setattr(quarterly_pdf, "outline", spy)
    assert quarterly.render_pdf(tiny_q2).startswith(b"%PDF-")
    assert asked == [quarterly_pdf.MAX_ROWS]


# ---- PDF -------------------------------------------------------------------------------------

SECTIONS = [
    b"(Highlights)",
    b"(The quarter at a glance)",
    b"(2026-Q2 against 2026-Q1)",
    b"(Managers)",
    b"(Managers: take-overs and debriefs, with 95% intervals)",
    b"(Coaching coverage)",
    b"(Reps)",
    b"(What worked)",
    b"(What keeps going wrong)",
    b"(How to read this)",
]


def test_pdf_is_a_valid_pdf_with_the_expected_pages(tiny_q2: quarterly.Review) -> None:
    data = quarterly.render_pdf(tiny_q2)
    assert data.startswith(b"%PDF-")
    assert data.rstrip().endswith(b"%%EOF")
    # 1 title, highlights, headline | 2 headline chart, managers | 3 manager charts, coverage
    # | 4 reps | 5 what worked, what keeps going wrong, how to read this
    assert pdf_pages(data) == 5
    titles = re.findall(rb"/Title\s*(\([^)]*\))", data)
    assert titles == SECTIONS


def test_pdf_falls_back_to_a_core_font_without_dejavu(tiny_q2: quarterly.Review) -> None:
    data = quarterly.render_pdf(tiny_q2, font_dir=None)
    assert data.startswith(b"%PDF-") and pdf_pages(data) == 5
    assert (
        quarterly_pdf.latin1("▲ 4 pts [15%–22%] ≥ 1.96 → ∞") == "+ 4 pts [15%-22%] >= 1.96 -> inf"
    )


def test_sample_pdf_renders(sample_store: Path) -> None:
    with Store(sample_store, read_only=True) as store:
        review = quarterly.build_review(store.con, "2026-Q3", today=dt.date(2026, 10, 1))
    data = quarterly.render_pdf(review)
    assert data.startswith(b"%PDF-") and data.rstrip().endswith(b"%%EOF")
    assert 5 <= pdf_pages(data) <= 8


def test_tables_for_csv_are_named_and_hold_the_review(tiny_q2: quarterly.Review) -> None:
    tables = tiny_q2.tables()
    assert list(tables) == [
        "headline",
        "managers",
        "reps",
        "what_worked",
        "keeps_going_wrong",
        "reps_not_observed",
        "managers_coverage",
    ]
    headline = tables["headline"]
    assert headline["measure"].to_list()[:4] == [
        "Calls observed",
        "Praise : criticism",
        "Intervention rate",
        "Debrief rate",
    ]
    assert headline.filter(pl.col("measure") == "Debrief rate").select(
        "value", "previous", "based_on", "previous_based_on"
    ).row(0) == pytest.approx((2 / 3, 3 / 8, 3, 8))


# ---- CLI -------------------------------------------------------------------------------------


def test_cli_writes_html_and_pdf(tiny_db: Path, tmp_path: Path) -> None:
    runner = CliRunner()
    out_html, out_pdf = tmp_path / "review.html", tmp_path / "review.pdf"
    args = ["report", "--db", str(tiny_db), "--quarter", "2026-Q2"]
    result = runner.invoke(main, [*args, "--out", str(out_html)])
    assert result.exit_code == 0, result.output
    assert "Wrote the 2026-Q2 review (All teams, 4 calls)" in result.output
    assert "2026-Q2 against 2026-Q1" in out_html.read_text(encoding="utf-8")
    result = runner.invoke(main, [*args, "--team", "North", "--out", str(out_pdf)])
    assert result.exit_code == 0, result.output
    assert "(North, 3 calls)" in result.output  # C12 C13 C14
    assert out_pdf.read_bytes().startswith(b"%PDF-")


def test_cli_defaults_to_the_last_complete_quarter(sample_store: Path, tmp_path: Path) -> None:
    out = tmp_path / "r.html"
    result = CliRunner().invoke(main, ["report", "--db", str(sample_store), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "Wrote the 2026-Q3 review" in result.output
    assert "the bundled sample data" in out.read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--quarter", "2025-Q4"], "no calls in 2025-Q4. Quarters with calls: 2026-Q1, 2026-Q2."),
        (["--quarter", "Q3"], "'Q3' is not a quarter"),
        (["--quarter", "2026-Q2", "--team", "West"], "unknown team 'West'"),
    ],
)
def test_cli_unknown_quarter_or_team_exits_2_with_a_message(
    tiny_db: Path, tmp_path: Path, args: list[str], message: str
) -> None:
    out = tmp_path / "r.pdf"
    result = CliRunner().invoke(main, ["report", "--db", str(tiny_db), *args, "--out", str(out)])
    assert result.exit_code == 2
    assert message in result.output
    assert "Traceback" not in result.output
    assert not out.exists()


def test_cli_refuses_other_file_types(tiny_db: Path, tmp_path: Path) -> None:
    out = tmp_path / "r.docx"
    result = CliRunner().invoke(main, ["report", "--db", str(tiny_db), "--out", str(out)])
    assert result.exit_code == 2
    assert "written as .html or .pdf" in result.output
    assert not out.exists()


def test_review_css_uses_the_themes_colours() -> None:
    from dashboard.quarterly import html as quarterly_html

    css = quarterly_html.css()
    for name, colour in (
        ("good", quarterly.GOOD),
        ("bad", quarterly.BAD),
        ("muted", quarterly.MUTED),
    ):
        assert f"--{name}:{colour}" in css


def test_the_html_draws_every_section_and_table_of_the_one_outline(
    tiny_q2: quarterly.Review,
) -> None:
    sections = quarterly.outline(tiny_q2)
    page = quarterly.render_html(tiny_q2)
    ids = re.findall(r'<section id="([^"]+)"', page)
    assert ids == [s.key for s in sections]
    names = [b.name for s in sections for b in s.blocks if isinstance(b, quarterly.TableBlock)]
    assert sorted(names) == sorted(tiny_q2.tables())  # every table has its CSV frame


def test_the_review_template_escapes_names(tiny: Store) -> None:
    review = quarterly.build_review(
        tiny.con, "2026-Q2", today=AFTER_Q2, source="<script>alert(1)</script> & co"
    )
    page = quarterly.render_html(review)
    assert "<script>" not in page and "&lt;script&gt;alert(1)&lt;/script&gt; &amp; co" in page


@pytest.mark.parametrize("min_n", [1, 3, 10])
def test_a_figure_is_small_by_the_sqls_flags_which_follow_the_one_rule(
    tiny: Store, min_n: int
) -> None:
    # Change.small reads metrics.sql's *_small flags; they must say what effects.small says of
    # the counts the figure rests on (its base), for every measure, group and quarter
    for quarter in ("2026-Q1", "2026-Q2"):
        review = quarterly.build_review(tiny.con, quarter, min_n=min_n, today=AFTER_Q2)
        changes = [*review.headline] + [c for _, cs in review.managers + review.reps for c in cs]
        for change in changes:
            for row in (change.now, change.before):
                expected = effects.small(change.base(row), min_n)
                assert change.small(row) == expected, (quarter, change.measure.key)
