"""The review's highlights: a few plain sentences, only where the numbers support them."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import polars as pl

from dashboard import formatting
from dashboard.quarterly.changes import Change, Group
from dashboard.quarterly.quarters import (
    LOOKBACK_QUARTERS,
    MAX_CHANGE_HIGHLIGHTS,
    MAX_COVERAGE_NAMES,
    USUAL_SHARE,
)


def highlights_rule(min_n: int) -> str:
    return (
        "How highlights are chosen: a change is written up only when both quarters rest on at "
        f"least {min_n} calls, notes or events, and it is larger than chance easily produces: a "
        "two-proportion z-test for rates and the praise share, a Poisson test for call counts "
        "(|z| ≥ 1.96, the 5% level), non-overlapping 95% intervals for the lift. The same rule "
        "colours changes in the tables; grey means within chance or too few to tell. Team-wide "
        "figures and each manager's calls, take-overs, debriefs and praise share are tested; "
        f"coverage sentences need at least {min_n} calls before. Among many comparisons about one "
        "in twenty passes by chance, so a highlight is a question to ask, not a verdict."
    )


def _from(change: Change, row: dict[str, Any]) -> str:
    return f"{change.hits(row):,} of {change.base(row):,}"


def sentence(change: Change, who: str | None) -> str:
    """One plain sentence for a change; `who` is a manager, None for everyone in the review."""
    key = change.measure.key
    now, before = change.now, change.before
    shown_now, shown_before = change.shown(now), change.shown(before)
    up = change.direction > 0
    updown = "up" if up else "down"
    rose = "rose" if up else "fell"
    subject = who or "Managers"
    if key == "calls":
        return f"{subject} observed {now['calls']:,} calls, {updown} from {before['calls']:,}."
    if change.measure.kind == "rate":  # intervention, debrief and mistake-repeat rates
        counts_now, counts_before = _from(change, now), _from(change, before)
        change_words = f"({shown_now}), {updown} from {counts_before} ({shown_before})."
    if key == "intervention_rate":
        return f"{subject} took over {counts_now} calls {change_words}"
    if key == "debrief_rate":
        return f"{subject} debriefed {counts_now} calls {change_words}"
    if key == "praise_to_criticism":
        owner = f"{who}'s" if who else "The"
        return (
            f"{owner} praise-to-criticism ratio {rose} from "
            f"{formatting.ratio(change.value(before))} to {formatting.ratio(change.value(now))} "
            f"({now['praise']:,} praise and {now['criticism']:,} criticism notes this quarter)."
        )
    if key == "adj_lift":
        return (
            f"Recognition lift within rep {rose} from {shown_before} to {shown_now} (each "
            "rep's recognised praise against their own unrecognised praise, over "
            f"{now['adj_lift_strata']:,} reps; observational)."
        )
    if key == "adj_took_over_ratio":
        return (
            f"Within rep, mistakes after a take-over repeated {shown_now} as often as after "
            f"observe + debrief, {updown} from {shown_before} (observational)."
        )
    if key == "lift":
        return (
            f"Crude recognition lift {rose} from {shown_before} to {shown_now}: recognised "
            f"praise came back {formatting.pct(now['rec_rate'])} of the time, unrecognised "
            f"{formatting.pct(now['unrec_rate'])}."
        )
    what = {
        "mr_took_over_rate": "Mistakes the manager took over",
        "mr_observed_debriefed_rate": "Mistakes left to the rep and then debriefed",
    }[key]
    return f"{what} came back {counts_now} times {change_words}"


def highlights(
    headline: Sequence[Change],
    managers: Sequence[Group],
    reps_unobserved: pl.DataFrame,
    managers_coverage: pl.DataFrame,
    min_n: int,
    window: int,
) -> list[str]:
    """A few plain sentences, only where the numbers support them (see highlights_rule)."""
    out = [sentence(c, None) for c in headline if c.beyond_chance]
    personal = sorted(
        (
            (abs(c.z_score or 0.0), name, c)
            for name, changes in managers
            for c in changes
            if c.beyond_chance
        ),
        key=lambda entry: (-entry[0], entry[1]),
    )
    out += [sentence(c, name) for _, name, c in personal]
    extra = len(out) - MAX_CHANGE_HIGHLIGHTS
    if extra > 0:
        out = out[:MAX_CHANGE_HIGHLIGHTS]
        out.append(
            f"{extra:,} more change{'s' if extra > 1 else ''} beyond chance: see the coloured "
            "figures in the tables."
        )
    # the reps observed most before, and the managers furthest below their usual, by name
    missed = reps_unobserved.filter(pl.col("calls_before") >= min_n).sort(
        ["calls_before", "rep"], descending=[True, False]
    )
    if missed.height:
        reps = missed["rep"].to_list()
        more = len(reps) - MAX_COVERAGE_NAMES
        who = (
            formatting.names(reps)
            if more <= 0
            else f"{', '.join(reps[:MAX_COVERAGE_NAMES])} and {more:,} more reps"
        )
        verb = "was" if len(reps) == 1 else "were"
        out.append(
            f"{who} {verb} not observed this quarter, after at least {min_n} observed calls in "
            f"the {LOOKBACK_QUARTERS} quarters before."
        )
    below = managers_coverage.filter(pl.col("below") & (pl.col("usual") >= min_n)).sort(
        ["share_of_usual", "manager"]
    )
    for manager in below.head(MAX_COVERAGE_NAMES).iter_rows(named=True):
        out.append(
            f"{manager['manager']} observed {manager['calls']:,} calls, below {USUAL_SHARE:.0%} "
            f"of a usual {manager['usual']:.0f} a quarter."
        )
    more = below.height - MAX_COVERAGE_NAMES
    if more > 0:
        out.append(
            f"{more:,} more manager{'s' if more > 1 else ''} observed below {USUAL_SHARE:.0%} "
            "of their usual: see Coaching coverage."
        )
    return out
