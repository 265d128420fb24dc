"""Calibration of the adjusted comparisons: how often their 95% intervals exclude 1 on logs with
no effect (`ridealong sample --effects none`), against the crude ones, and how often the planted
effects of the default generator are found. Prints figures; asserts nothing.

    python -m tests.benchmarks.calibration --calls 6000 --seeds 200

tests/test_calibration.py runs a small version of the same loop and holds it to its bounds.
"""

from __future__ import annotations

import argparse
import math
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from dashboard import metrics, sample
from dashboard.store import load_files

COMPARISONS = ("lift", *metrics.COMPARED_RESPONSES)


@dataclass
class Outcome:
    """One seed: for each comparison, (adjusted excludes 1, crude excludes 1, adjusted, crude)."""

    seed: int
    adjusted: dict[str, tuple[float | None, list[float] | None]]
    crude: dict[str, tuple[float | None, list[float] | None]]
    strata: int


def excludes_one(ci: list[float] | None) -> bool:
    return ci is not None and (ci[0] > 1 or ci[1] < 1)


def crude_ratio(mr: dict, response: str) -> tuple[float | None, list[float] | None]:
    """The crude repeat-rate ratio of `response` against observe + debrief, with the Katz
    interval (0.5 added to each cell) that metrics.sql uses for the lift."""
    a, n1 = mr[response]["repeated"], mr[response]["eligible"]
    ref = mr[metrics.REFERENCE_RESPONSE]
    c, n0 = ref["repeated"], ref["eligible"]
    if not n1 or not n0:
        return None, None
    ratio = (a / n1) / (c / n0) if c else None
    centre = math.log(((a + 0.5) / (n1 + 1)) / ((c + 0.5) / (n0 + 1)))
    se = math.sqrt(1 / (a + 0.5) - 1 / (n1 + 1) + 1 / (c + 0.5) - 1 / (n0 + 1))
    return ratio, [math.exp(centre - 1.96 * se), math.exp(centre + 1.96 * se)]


def pooled_log(calls: int, seeds: range, effects: str) -> pl.DataFrame:
    """One log holding one generated log per seed, each as a team of its own ("seed N"), its
    people and calls renamed apart, so one ingest and one query (by team) serve every seed."""
    parts = []
    for seed in seeds:
        tag = f"s{seed} "
        parts.append(
            sample.generate(calls, seed, effects).with_columns(
                team=pl.lit(f"seed {seed}"),
                observation_id=tag + pl.col("observation_id"),
                manager=tag + pl.col("manager"),
                rep=tag + pl.col("rep"),
            )
        )
    return pl.concat(parts)


def run(calls: int, seeds: range, effects: str, adjust_by: str = "rep") -> list[Outcome]:
    """Every seed's adjusted and crude comparisons."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"calibration_{effects}.parquet"
        sample.write(pooled_log(calls, seeds, effects), path)
        store, _ = load_files([path])
    try:
        data = metrics.metrics_json(store.con, metrics.Filters(), "team", adjust_by)
    finally:
        store.close()
    outcomes = []
    for seed in seeds:
        group = data["groups"][f"seed {seed}"]
        rec, mr = group["recurrence"], group["mistake_repeat"]
        adjusted = {"lift": (rec["adjusted"]["lift"], rec["adjusted"]["lift_ci"])}
        crude = {"lift": (rec["lift"], rec["lift_ci"])}
        for response in metrics.COMPARED_RESPONSES:
            adjusted[response] = (
                mr["adjusted"][response]["ratio"],
                mr["adjusted"][response]["ratio_ci"],
            )
            crude[response] = crude_ratio(mr, response)
        outcomes.append(Outcome(seed, adjusted, crude, rec["adjusted"]["strata"]))
    return outcomes


def rejection_rates(outcomes: list[Outcome], which: str) -> dict[str, float]:
    return {
        c: sum(excludes_one(getattr(o, which)[c][1]) for o in outcomes) / len(outcomes)
        for c in COMPARISONS
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=6000)
    parser.add_argument("--seeds", type=int, default=200)
    parser.add_argument("--first-seed", type=int, default=1000)
    parser.add_argument("--adjust-by", choices=metrics.ADJUST_BY, default="rep")
    args = parser.parse_args(argv)
    seeds = range(args.first_seed, args.first_seed + args.seeds)
    for effects in ("none", "planted"):
        t0 = time.perf_counter()
        outcomes = run(args.calls, seeds, effects, args.adjust_by)
        took = time.perf_counter() - t0
        print(
            f"\n--effects {effects}: {len(outcomes)} seeds of {args.calls} calls "
            f"(~{outcomes[0].strata} reps), adjusted by {args.adjust_by}, {took:.0f} s"
        )
        adj, crude = rejection_rates(outcomes, "adjusted"), rejection_rates(outcomes, "crude")
        print(f"{'comparison':<16} {'adjusted: CI excludes 1':>24} {'crude: CI excludes 1':>21}"
              f"  {'median adjusted':>16} {'median crude':>13}")  # fmt: skip
        for c in COMPARISONS:
            a_vals = sorted(o.adjusted[c][0] for o in outcomes if o.adjusted[c][0] is not None)
            c_vals = sorted(o.crude[c][0] for o in outcomes if o.crude[c][0] is not None)
            med_a = a_vals[len(a_vals) // 2] if a_vals else float("nan")
            med_c = c_vals[len(c_vals) // 2] if c_vals else float("nan")
            print(f"{c:<16} {adj[c]:>23.1%} {crude[c]:>21.1%}  {med_a:>16.3f} {med_c:>13.3f}")


if __name__ == "__main__":
    main()
