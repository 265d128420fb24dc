"""The adjusted comparisons are calibrated: on logs where debriefs and responses have no effect
(`ridealong sample --effects none`) their 95% intervals exclude 1 about 5% of the time, while
the crude ones, on the same seeds, are fooled by who watches; the generator's planted effects
are found. A small, fast version of tests/benchmarks/calibration.py (which prints the figures
of a larger run): 60 seeds of 1,000 calls (about 8 reps each) in one store, one query."""

from __future__ import annotations

import math

import pytest

from tests.benchmarks import calibration

SEEDS = range(1, 61)
CALLS = 1000


def allowed(seeds: int, rate: float = 0.075) -> int:
    """At most about 7.5% of seeds, plus two binomial standard deviations of a 5% rate (the
    Monte-Carlo noise of this many seeds): 60 seeds -> 4.5 + 3.4 -> 7."""
    return math.floor(seeds * rate + 2 * math.sqrt(seeds * 0.05 * 0.95))


@pytest.fixture(scope="module")
def null_outcomes() -> list[calibration.Outcome]:
    return calibration.run(CALLS, SEEDS, "none")


@pytest.fixture(scope="module")
def planted_outcomes() -> list[calibration.Outcome]:
    return calibration.run(CALLS, range(1, 21), "planted")


def misses(outcomes: list[calibration.Outcome], which: str, comparison: str) -> list[int]:
    """The seeds whose interval excludes 1."""
    return [o.seed for o in outcomes if calibration.excludes_one(getattr(o, which)[comparison][1])]


@pytest.mark.parametrize("comparison", calibration.COMPARISONS)
def test_adjusted_intervals_exclude_1_in_at_most_about_7_5_percent_of_null_seeds(
    null_outcomes, comparison
):
    wrong = misses(null_outcomes, "adjusted", comparison)
    assert len(wrong) <= allowed(len(null_outcomes)), (comparison, wrong)


def test_every_null_seed_has_an_adjusted_lift_to_judge(null_outcomes):
    assert all(o.adjusted["lift"][1] is not None for o in null_outcomes)
    assert min(o.strata for o in null_outcomes) >= 5


def test_crude_comparisons_are_fooled_on_the_same_null_seeds(null_outcomes):
    crude_lift = misses(null_outcomes, "crude", "lift")
    crude_took_over = misses(null_outcomes, "crude", "took_over")
    # who watches decides what is noted again: the crude lift "finds" an effect on most seeds
    assert len(crude_lift) >= 0.4 * len(null_outcomes)
    assert len(crude_took_over) >= 3 * len(misses(null_outcomes, "adjusted", "took_over")) + 5
    # and on those very seeds the adjusted figure mostly says "within chance"
    adjusted_lift = set(misses(null_outcomes, "adjusted", "lift"))
    assert len(set(crude_lift) - adjusted_lift) >= 0.8 * len(crude_lift)


def test_the_planted_recognition_effect_is_found_within_rep(planted_outcomes):
    found = misses(planted_outcomes, "adjusted", "lift")
    assert len(found) >= 0.8 * len(planted_outcomes)
    assert all(o.adjusted["lift"][0] > 1 for o in planted_outcomes)


def test_the_planted_debrief_effect_on_mistakes_points_the_right_way(planted_outcomes):
    # mistakes repeat more after a take-over than after observe + debrief (planted 0.85-0.96
    # against 0.60-0.65 per noted mistake): the within-rep ratio is above 1 on most seeds
    ratios = [o.adjusted["took_over"][0] for o in planted_outcomes]
    assert sum(r is not None and r > 1 for r in ratios) >= 0.75 * len(ratios)
