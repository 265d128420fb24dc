"""How numbers are written: one rounding rule (halves up) and singular/plural."""

from __future__ import annotations

import polars as pl

from dashboard import charts, formatting


def test_a_half_percent_rounds_up_everywhere() -> None:
    # 10 of 16 = 62.5%: Python's own "{:.0f}" gives 62 (half to even), 5 of 8 the same value
    assert formatting.pct(10 / 16) == "63%"
    assert formatting.pct(10 / 16, 1) == "62.5%"
    # 0.145 as written is 14.5%, though its binary form is a hair below
    assert formatting.pct(0.145) == "15%"
    assert formatting.pct(0.6249) == "62%"
    assert formatting.pct(None) == "–"
    assert formatting.pct(-0.001) == "0%"  # never "-0%"


def test_ratios_and_intervals_follow_the_same_rule() -> None:
    assert formatting.ratio(2.25) == "2.3:1"  # "{:.1f}" gives 2.2
    assert formatting.ratio(2.35) == "2.4:1"
    assert formatting.interval([0.125, 0.375]) == "[13%–38%]"  # "{:.0f}" gives 12% and 38%
    assert formatting.with_interval("ratio", 2.25, [1.25, None]) == "2.3:1 [1.3:1–∞]"


def test_counts_say_one_mistake_and_two_mistakes() -> None:
    assert formatting.plural(1, "mistake") == "1 mistake"
    assert formatting.plural(0, "mistake") == "0 mistakes"
    assert formatting.plural(1200, "call") == "1,200 calls"


def test_the_mistake_chart_labels_one_mistake_in_the_singular() -> None:
    # one row of metrics: took over 0 of 1 (small), assisted 10 of 16, the others none
    row = {"grp": ["all"], "window": [3]}
    counts = {"took_over": (1, 0), "assisted": (16, 10), "observed_debriefed": (0, 0)}
    counts["observed_only"] = (0, 0)
    for key, (eligible, hits) in counts.items():
        rate = hits / eligible if eligible else None
        row |= {
            f"mr_{key}_eligible": [eligible],
            f"mr_{key}_repeated": [hits],
            f"mr_{key}_rate": [rate],
            f"mr_{key}_rate_lo": [rate],
            f"mr_{key}_rate_hi": [rate],
            f"mr_{key}_small": [eligible < 10],
        }
    data = charts.mistake_repeat(pl.DataFrame(row)).data
    assert dict(zip(data["bucket"], data["caption"], strict=True)) == {
        "Took over": "0% of 1 mistake · small sample",
        "Assisted": "63% of 16 mistakes",
    }


def test_download_names_are_slugs() -> None:
    assert (
        formatting.slug("ridealong_Adam Quintero_timeline.png")
        == "ridealong_Adam-Quintero_timeline.png"
    )
    assert formatting.slug("ridealong_rep_history_José  O'Brien.csv") == (
        "ridealong_rep_history_Jose-O-Brien.csv"
    )
    assert formatting.slug("ridealong_by_month.csv") == "ridealong_by_month.csv"
    assert formatting.slug("  ") == "ridealong"


def test_a_table_interval_is_written_without_brackets() -> None:
    assert formatting.span(0.125, 0.175) == "13–18%"
    assert formatting.span(1.25, None, lambda value: formatting.rounded(value, 1)) == "1.3–∞"
    assert formatting.span(None, None) == ""


def test_each_kind_of_measure_is_written_one_way_with_its_interval() -> None:
    assert formatting.figure("count", 1204) == "1,204"
    assert formatting.with_interval("rate", 0.625, [0.55, 0.7]) == "63% [55%–70%]"
    assert formatting.with_interval("lift", 1.5, [1.2, None]) == "1.50× [1.20×–∞]"
    assert formatting.with_interval("rate", None, [0.1, 0.2]) == "–"  # no figure, no interval
    assert formatting.with_interval("ratio", 2.25, None) == "2.3:1"


def test_a_change_is_written_in_the_unit_of_its_measure() -> None:
    # 0.125 of a rate is 12.5 points: halves round up, as every figure does
    assert formatting.arrow_change("rate", 0.125) == "▲ 13 pts"
    assert formatting.signed_change("rate", -0.125) == "-13 pts"
    assert formatting.arrow_change("count", -31) == "▼ 31"
    assert formatting.signed_change("ratio", 0.25) == "+0.3"
    assert formatting.arrow_change("lift", 0.004) == "same"  # 0.00 as written
    assert formatting.signed_change("lift", -0.004) == "±0.00"
    assert formatting.signed_change("count", None) is None


def test_names_are_listed_with_and() -> None:
    assert formatting.names([]) == ""
    assert formatting.names(["Ana"]) == "Ana"
    assert formatting.names(["Ana", "Ben", "Cy"]) == "Ana, Ben and Cy"


def test_a_recurrence_bucket_counts_with_thousands_separators() -> None:
    counts = {"rate": 0.6, "recurred": 2400, "eligible": 4000, "small_sample": False}
    assert formatting.bucket(counts, "recurred") == "60% (2,400/4,000)"


def test_hits_of_a_base_read_with_thousands_separators() -> None:
    assert formatting.of(1204, 5310) == "1,204 of 5,310"
    assert formatting.of(3, 40, "/") == "3/40"
    assert formatting.of(None, 12) == "– of 12"
