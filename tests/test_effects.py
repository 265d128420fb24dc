"""dashboard/effects.py and queries/effect_strata.sql against figures worked out by hand.

tests/data/strata.csv: two reps, five calls each, window K = 1 (an event is eligible when its
rep has a later call; it came back when noted again, same polarity, on the very next call).

Ann (manager Mia)                          Bob (manager Max)
  A1 took over, debrief: Listening+, Talked over-   B1 took over, no debrief: Rapport+, Talked over-
  A2 observed, debrief:  Listening+, Talked over-   B2 observed, no debrief:  Rapport+
  A3 observed, no:       Agenda+                    B3 observed, debrief:     Agenda+, Talked over-
  A4 observed, unknown:  Rapport+, Talked over-     B4 observed, no debrief:  Agenda+, Talked over-
  A5 observed, no:       Listening+ (last call)     B5 observed, no debrief:  nothing noted

Recognised praise (a of n1) / unrecognised (c of n0):
  Ann: A1 came back (A2), A2 did not: 1 of 2;  A3 did not: 0 of 1.  (A4: debrief unknown)
  Bob: B3 came back (B4): 1 of 1;  B1 came back (B2), B2 and B4 did not: 1 of 3.
  Crude lift: (2/3) / (1/4) = 8/3.
  Mantel–Haenszel: sum a n0/N = 1*1/3 + 1*3/4 = 13/12; sum c n1/N = 0*2/3 + 1*1/4 = 1/4;
  RR = (13/12) / (1/4) = 13/3.
  Greenland–Robins variance of ln RR: sum ((a+c) n1 n0 - a c N) / N^2 over (13/12)(1/4):
  Ann (1*2*1 - 0)/9 = 2/9, Bob (2*1*3 - 1*1*4)/16 = 1/8; (2/9 + 1/8) / (13/48) = 1200/936.
  Clustered: u_Ann = (1/3)/(13/12) - 0 = 4/13, u_Bob = (3/4)/(13/12) - (1/4)/(1/4) = -4/13;
  2/(2-1) * 32/169 = 0.3787 < 1.2821, so SE = sqrt(1200/936) = 1.13228.
  95% interval exp(ln(13/3) -/+ 1.959964 * 1.13228) = [0.47102, 39.866].

Mistakes, took over (a of n1) against observed + debrief (c of n0):
  Ann: A1 repeated (A2): 1 of 1; A2 did not: 0 of 1.   Bob: B1 did not: 0 of 1; B3 did: 1 of 1.
  MH: sum a n0/N = 1/2 + 0 = 1/2; sum c n1/N = 0 + 1/2 = 1/2; RR = 1.
  GR: (1/4 + 1/4) / (1/4) = 2; clustered: u = +1, -1, 2 * 2 = 4, the larger: SE = 2.
  95% interval exp(-/+ 1.959964 * 2) = [0.019842, 50.398].
Observed only (A4, unknown debrief, and B4; neither repeated) against observed + debrief:
  sum a n0/N = 0, so RR = 0 with no interval. Assisted: no stratum has both sides: null.
Unknown debriefs: praise 1 (A4, off both sides of recognition), mistakes on observed calls 1
(A4, counted with observed only).
"""

from __future__ import annotations

import json
import math

import pytest
from click.testing import CliRunner

from dashboard import effects, metrics
from dashboard.cli import main
from dashboard.store import load_files

K1 = metrics.Filters(window=1, min_n=1)


@pytest.fixture
def strata_store(data_dir):
    store, _ = load_files([data_dir / "strata.csv"])
    yield store
    store.close()


def test_strata_query_counts_each_reps_events_as_worked_out_by_hand(strata_store):
    frame = metrics.strata_frame(strata_store.con, K1, "all", "rep")
    rows = {r["stratum"]: r for r in frame.to_dicts()}
    assert len(rows) == 2
    ann, bob = sorted(rows.values(), key=lambda r: r["rec_eligible"], reverse=True)
    assert (ann["rec_recurred"], ann["rec_eligible"], ann["unrec_recurred"]) == (1, 2, 0)
    assert ann["unrec_eligible"] == 1
    assert (bob["rec_recurred"], bob["rec_eligible"]) == (1, 1)
    assert (bob["unrec_recurred"], bob["unrec_eligible"]) == (1, 3)
    assert (ann["mr_took_over_repeated"], ann["mr_took_over_eligible"]) == (1, 1)
    assert (bob["mr_observed_debriefed_repeated"], bob["mr_observed_debriefed_eligible"]) == (1, 1)
    assert ann["rec_unknown_eligible"] == 1 and ann["mr_observed_unknown_eligible"] == 1
    assert bob["rec_unknown_eligible"] == 0


def test_strata_summed_over_reps_give_the_crude_counts_of_metrics_sql(strata_store):
    frame = metrics.strata_frame(strata_store.con, K1, "all", "rep")
    crude = metrics.metrics_frame(strata_store.con, K1).row(0, named=True)
    for col in frame.columns:
        if col in crude and col != "grp":
            assert frame[col].sum() == crude[col], col


def test_mantel_haenszel_lift_matches_the_hand_computed_strata(strata_store):
    adjusted = metrics.adjusted(strata_store.con, K1, "rep")
    lift = adjusted.lift
    assert lift.ratio == pytest.approx(13 / 3)
    assert lift.strata == 2
    assert lift.se_log == pytest.approx(math.sqrt(1200 / 936))
    assert lift.ci == pytest.approx((0.47102, 39.866), rel=1e-4)


def test_mantel_haenszel_response_ratios_match_the_hand_computed_strata(strata_store):
    responses = metrics.adjusted(strata_store.con, K1, "rep").responses
    took_over = responses["took_over"]
    assert took_over.ratio == pytest.approx(1.0)
    assert took_over.se_log == pytest.approx(2.0)  # the clustered SE, larger than GR's sqrt(2)
    assert took_over.ci == pytest.approx((0.019842, 50.398), rel=1e-4)
    assert responses["observed_only"].ratio == 0.0 and responses["observed_only"].ci is None
    assert responses["assisted"].ratio is None and responses["assisted"].strata == 0


def test_unknown_debriefs_are_counted_where_the_readme_says(strata_store):
    adjusted = metrics.adjusted(strata_store.con, K1, "rep")
    assert adjusted.unknown["rec_unknown_eligible"] == 1
    assert adjusted.unknown["mr_observed_unknown_eligible"] == 1
    crude = metrics.metrics_frame(strata_store.con, K1).row(0, named=True)
    assert crude["rec_eligible"] + crude["unrec_eligible"] == 7  # 8 eligible praise, less A4
    assert crude["mr_observed_only_eligible"] == 2  # A4 (unknown) and B4 (no debrief)


def test_metrics_json_has_exactly_the_adjusted_keys_the_issue_specifies(data_dir):
    result = CliRunner().invoke(
        main, ["metrics", str(data_dir / "strata.csv"), "--window", "1", "--min-n", "1", "--json"]
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    rec = data["recurrence"]["adjusted"]
    assert set(rec) == {"by", "lift", "lift_ci", "strata"}
    assert rec["by"] == "rep" and rec["strata"] == 2
    assert rec["lift"] == pytest.approx(13 / 3)
    assert rec["lift_ci"] == pytest.approx([0.47102, 39.866], rel=1e-4)
    mr = data["mistake_repeat"]["adjusted"]
    assert set(mr) == {"by", "reference", "took_over", "assisted", "observed_only"}
    assert mr["reference"] == "observed_debriefed"
    assert mr["took_over"] == {
        "ratio": pytest.approx(1.0),
        "ratio_ci": pytest.approx([0.019842, 50.398], rel=1e-4),
    }
    assert mr["assisted"] == {"ratio": None, "ratio_ci": None}
    assert mr["observed_only"] == {"ratio": 0.0, "ratio_ci": None}


def test_adjust_by_manager_stratifies_by_the_calls_manager(data_dir):
    args = ["metrics", str(data_dir / "strata.csv"), "--window", "1", "--min-n", "1", "--json"]
    data = json.loads(CliRunner().invoke(main, [*args, "--adjust-by", "manager"]).stdout)
    rec = data["recurrence"]["adjusted"]
    # one rep per manager here: the same strata, the same figure
    assert rec["by"] == "manager" and rec["lift"] == pytest.approx(13 / 3)
    assert data["mistake_repeat"]["adjusted"]["by"] == "manager"


def test_adjust_by_anything_else_is_refused_on_stderr_with_status_2(data_dir):
    result = CliRunner().invoke(
        main, ["metrics", str(data_dir / "strata.csv"), "--adjust-by", "team"]
    )
    assert result.exit_code == 2
    assert "rep" in result.output and "manager" in result.output


def test_grouped_json_carries_each_groups_adjusted_figures(data_dir):
    args = ["metrics", str(data_dir / "strata.csv"), "--window", "1", "--min-n", "1", "--json"]
    data = json.loads(CliRunner().invoke(main, [*args, "--by", "rep"]).stdout)
    ann = data["groups"]["Ann"]["recurrence"]["adjusted"]
    # within one rep the MH ratio is that rep's own: (1/2) / (0/1) cannot be estimated
    assert ann == {"by": "rep", "lift": None, "lift_ci": None, "strata": 1}
    bob = data["groups"]["Bob"]["recurrence"]["adjusted"]
    assert bob["lift"] == pytest.approx((1 / 1) / (1 / 3))


def test_crude_lift_interval_adds_a_half_to_each_cell(strata_store):
    # rec 2 of 3, unrec 1 of 4: ln((2.5/4)/(1.5/5)) -/+ 1.96 sqrt(1/2.5 - 1/4 + 1/1.5 - 1/5)
    row = metrics.metrics_frame(strata_store.con, K1).row(0, named=True)
    assert row["lift"] == pytest.approx(8 / 3)
    assert (row["lift_lo"], row["lift_hi"]) == pytest.approx((0.44703, 9.7093), rel=1e-4)


def test_lift_interval_never_collapses_at_all_or_nothing():
    # 2 of 2 against 2 of 2: the old Katz interval was [1, 1]; with a half per cell it is wide
    sql = metrics.query_text("metrics")
    assert "rec_recurred + 0.5" in sql
    a, n1, c, n0 = 2.5, 3.0, 2.5, 3.0
    se = math.sqrt(1 / a - 1 / n1 + 1 / c - 1 / n0)
    assert se > 0.3


def test_small_is_the_one_rule_and_agrees_with_the_sql_flags(strata_store):
    row = metrics.metrics_frame(strata_store.con, metrics.Filters(window=1, min_n=4)).row(
        0, named=True
    )
    assert row["rec_small"] == effects.small(row["rec_eligible"], 4) is True  # 3 < 4
    assert row["unrec_small"] == effects.small(row["unrec_eligible"], 4) is False  # 4
    assert row["calls_small"] == effects.small(row["calls"], 4) is False


def test_mantel_haenszel_of_one_stratum_is_that_strata_risk_ratio():
    e = effects.mantel_haenszel([(3, 10, 6, 10)], min_n=1)
    assert e.ratio == pytest.approx(0.5)
    # one stratum: Greenland–Robins alone, which here is Katz's 1/a - 1/n1 + 1/c - 1/n0
    assert e.se_log == pytest.approx(math.sqrt(1 / 3 - 1 / 10 + 1 / 6 - 1 / 10))


def test_strata_with_one_side_only_do_not_count():
    e = effects.mantel_haenszel([(3, 10, 0, 0), (0, 0, 2, 5), (1, 2, 1, 2)], min_n=1)
    assert e.strata == 1 and e.ratio == pytest.approx(1.0)
    assert (e.exposed_n, e.reference_n) == (2, 2)
    assert effects.mantel_haenszel([(3, 10, 0, 0)], min_n=1).ratio is None


def test_adjusted_is_small_when_either_side_rests_on_fewer_than_min_n():
    assert effects.mantel_haenszel([(3, 10, 6, 9)], min_n=10).small
    assert not effects.mantel_haenszel([(3, 10, 6, 10)], min_n=10).small


def test_lifts_are_compared_by_their_log_difference_not_by_overlapping_intervals():
    from dashboard import quarterly

    def row(lift: float, lo: float, hi: float) -> dict:
        return {
            "adj_lift": lift, "adj_lift_lo": lo, "adj_lift_hi": hi, "adj_lift_strata": 20,
            "rec_eligible": 100, "unrec_eligible": 100,
            "rec_small": False, "unrec_small": False,  # metrics.sql's flags at min_n 10
        }  # fmt: skip

    # 1.5 [1.2, 1.9] against 1.05 [0.85, 1.3]: the intervals overlap, yet
    # z = ln(1.5/1.05) / sqrt(0.1172^2 + 0.1084^2) = 0.3567 / 0.1597 = 2.23: beyond chance
    c = quarterly.Change(quarterly.ADJ_LIFT, row(1.5, 1.2, 1.9), row(1.05, 0.85, 1.3), 10)
    assert c.z_score == pytest.approx(2.234, abs=0.01)
    assert c.beyond_chance and c.tone == 1
    assert "within rep rose from 1.05× to 1.50×" in quarterly.sentence(c, None)
    lo, hi = c.change_interval()
    assert lo > 1 and hi == pytest.approx(1.5 / 1.05 * (1.5 / 1.05 / lo), rel=1e-6)
    # a small side keeps it grey, whatever z says
    small = row(1.5, 1.2, 1.9) | {"unrec_eligible": 9, "unrec_small": True}
    assert not quarterly.Change(quarterly.ADJ_LIFT, small, row(1.05, 0.85, 1.3), 10).beyond_chance


def test_the_difference_interval_of_two_rates_is_newcombes():
    # 30/50 against 15/50. Wilson: 30/50 -> [0.46181, 0.72391], 15/50 -> [0.19103, 0.43751].
    # lo = 0.3 - sqrt((0.6 - 0.46181)^2 + (0.43751 - 0.3)^2) = 0.3 - 0.19495 = 0.10505
    # hi = 0.3 + sqrt((0.72391 - 0.6)^2 + (0.3 - 0.19103)^2) = 0.3 + 0.16501 = 0.46501
    lo, hi = effects.difference_interval(30, 50, 15, 50)
    assert (lo, hi) == pytest.approx((0.10505, 0.46501), abs=5e-5)
