"""What the review compares: a measure of queries/metrics.sql in a quarter and the quarter
before (`Change`), with the one beyond-chance test, the change's interval and its words."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from dashboard import effects, formatting, metrics
from dashboard.effects import Z_95, count_z, two_proportion_z  # the one beyond-chance test


@dataclass(frozen=True)
class Measure:
    """One figure of queries/metrics.sql compared between two quarters."""

    key: str  # the figure's column in metrics.sql
    label: str
    kind: str  # "count" | "rate" | "ratio" | "lift"
    better: int  # +1: higher is better; -1: lower is better
    hits: str | None = None  # the rate's numerator column
    base: str | None = None  # the rate's denominator column
    unit: str = "calls"  # what the denominator counts, in words
    help: str = ""
    short: str = ""  # a column heading
    sides: tuple[str, str] | None = None  # a ratio's two event counts (default: recognition's)
    # the SQL's small-sample flags (metrics.sql *_small, metrics.with_adjusted adj_*_small):
    # the figure is small when any of them is set
    small_flags: tuple[str, ...] = ()

    @property
    def heading(self) -> str:
        return self.short or self.label


CALLS = Measure(
    "calls",
    "Calls observed",
    "count",
    +1,
    help=metrics.DEFINITIONS["calls"],
    short="Calls",
    small_flags=("calls_small",),
)
RATIO = Measure(
    "praise_to_criticism",
    "Praise : criticism",
    "ratio",
    +1,
    "praise",
    None,
    "notes",
    metrics.DEFINITIONS["praise_to_criticism"],
    "Praise : crit.",
    small_flags=("ratio_small",),
)
INTERVENTION = Measure(
    "intervention_rate",
    "Intervention rate",
    "rate",
    -1,
    "took_over",
    "calls",
    "calls",
    metrics.DEFINITIONS["intervention_rate"],
    "Took over",
    small_flags=("calls_small",),
)
DEBRIEF = Measure(
    "debrief_rate",
    "Debrief rate",
    "rate",
    +1,
    "debriefed",
    "debrief_known",
    "calls with a known debrief",
    metrics.DEFINITIONS["debrief_rate"],
    "Debriefed",
    small_flags=("debrief_small",),
)
ADJ_LIFT = Measure(
    "adj_lift",
    "Recognition lift, within rep",
    "lift",
    +1,
    unit="praised behaviours",
    help=metrics.DEFINITIONS["adjusted_lift"],
    short="Lift within rep",  # small by the crude lift's rule, as in the JSON
    small_flags=("rec_small", "unrec_small"),
)
LIFT = Measure(
    "lift",
    "Recognition lift, crude",
    "lift",
    +1,
    unit="praised behaviours",
    help=metrics.DEFINITIONS["lift"] + " Crude: pools every rep and manager.",
    short="Lift, crude",
    small_flags=("rec_small", "unrec_small"),
)
ADJ_TOOK_OVER = Measure(
    "adj_took_over_ratio",
    "Repeats after a take-over vs debrief, within rep",
    "lift",
    -1,
    unit="mistakes",
    help=metrics.DEFINITIONS["adjusted_ratio"],
    short="Take-over vs debrief",
    sides=("adj_took_over_exposed_n", "adj_took_over_reference_n"),
    small_flags=("adj_took_over_small",),
)
MR_TOOK_OVER = Measure(
    "mr_took_over_rate",
    "Mistakes repeat: took over",
    "rate",
    -1,
    "mr_took_over_repeated",
    "mr_took_over_eligible",
    "mistakes",
    metrics.DEFINITIONS["mistake_repeat"],
    small_flags=("mr_took_over_small",),
)
MR_OBSERVED_DEBRIEFED = Measure(
    "mr_observed_debriefed_rate",
    "Mistakes repeat: observe + debrief",
    "rate",
    -1,
    "mr_observed_debriefed_repeated",
    "mr_observed_debriefed_eligible",
    "mistakes",
    metrics.DEFINITIONS["mistake_repeat"],
    small_flags=("mr_observed_debriefed_small",),
)
HEADLINE = (
    CALLS,
    RATIO,
    INTERVENTION,
    DEBRIEF,
    ADJ_LIFT,
    LIFT,
    ADJ_TOOK_OVER,
    MR_TOOK_OVER,
    MR_OBSERVED_DEBRIEFED,
)
PEOPLE = (CALLS, INTERVENTION, DEBRIEF, RATIO)
RESPONSES = {
    "took_over": "After a take-over",
    "assisted": "After assisting",
    "observed_debriefed": "After observe + debrief",
    "observed_only": "After observing only",
}


@dataclass(frozen=True)
class Change:
    """A measure in the quarter (`now`) and the quarter before (`before`): two metrics.sql rows."""

    measure: Measure
    now: dict[str, Any]
    before: dict[str, Any]
    min_n: int

    def value(self, row: dict[str, Any]) -> float | None:
        return row.get(self.measure.key)

    def hits(self, row: dict[str, Any]) -> int | None:
        measure = self.measure
        return (
            row["calls"]
            if measure.kind == "count"
            else (row.get(measure.hits) if measure.hits else None)
        )

    def base(self, row: dict[str, Any]) -> int | None:
        measure = self.measure
        if measure.kind == "count":
            return row["calls"]
        if measure.kind == "ratio":
            return row["praise"] + row["criticism"]
        if measure.kind == "lift":
            first, second = measure.sides or ("rec_eligible", "unrec_eligible")
            if row.get(first) is None or row.get(second) is None:
                return None
            return min(row[first], row[second])
        return row[measure.base]

    def interval(self, row: dict[str, Any]) -> list[float | None] | None:
        if self.measure.kind == "count":
            return None
        lo, hi = row.get(f"{self.measure.key}_lo"), row.get(f"{self.measure.key}_hi")
        return None if lo is None and hi is None else [lo, hi]

    def small(self, row: dict[str, Any]) -> bool:
        """The SQL's small-sample flags for this figure (the one rule, effects.small, applied
        where the figure is computed); a row without them is small."""
        return any(row.get(flag, True) for flag in self.measure.small_flags)

    @property
    def delta(self) -> float | None:
        now, before = self.value(self.now), self.value(self.before)
        return None if now is None or before is None else now - before

    @property
    def direction(self) -> int:
        delta = self.delta
        if delta is None or abs(delta) < 1e-12:
            return 0
        return 1 if delta > 0 else -1

    @property
    def z_score(self) -> float | None:
        measure = self.measure
        if measure.kind == "count":
            return count_z(self.now["calls"], self.before["calls"])
        if measure.kind in ("rate", "ratio"):
            return two_proportion_z(
                self.hits(self.now),
                self.base(self.now),
                self.hits(self.before),
                self.base(self.before),
            )
        return effects.log_ratio_z(
            self.value(self.now),
            self.interval(self.now),
            self.value(self.before),
            self.interval(self.before),
        )

    @property
    def beyond_chance(self) -> bool:
        """Beyond chance: both periods rest on at least min_n, and the change passes the one
        test (effects.beyond_chance: |z| >= 1.96; a lift or risk ratio by its log difference)."""
        if self.direction == 0 or self.small(self.now) or self.small(self.before):
            return False
        return effects.beyond_chance(self.z_score)

    def change_interval(self) -> tuple[float, float] | None:
        """The 95% interval of the change: a difference of rates (Newcombe), of counts
        (Poisson), of praise shares for the ratio, or the ratio of two lifts."""
        measure, now, before = self.measure, self.now, self.before
        if self.delta is None:
            return None
        if measure.kind == "count":
            half = Z_95 * math.sqrt(now["calls"] + before["calls"])
            return self.delta - half, self.delta + half
        if measure.kind in ("rate", "ratio"):
            hits_now, hits_before = self.hits(now), self.hits(before)
            base_now, base_before = self.base(now), self.base(before)
            if None in (hits_now, hits_before, base_now, base_before):
                return None
            return effects.difference_interval(hits_now, base_now, hits_before, base_before)
        z_score = self.z_score
        if not z_score:
            return None
        log_change = math.log(self.value(now)) - math.log(self.value(before))
        se = log_change / z_score
        return math.exp(log_change - Z_95 * se), math.exp(log_change + Z_95 * se)

    def change_interval_text(self) -> str:
        ci = self.change_interval()
        if ci is None:
            return ""
        kind = self.measure.kind
        if kind == "count":
            return f"change {self.delta:+,.0f}, 95% interval {ci[0]:+,.0f} to {ci[1]:+,.0f}"
        if kind == "rate":
            return (
                f"change {self.delta * 100:+.1f} pts, 95% interval {ci[0] * 100:+.1f} to "
                f"{ci[1] * 100:+.1f} pts"
            )
        if kind == "ratio":
            return (
                f"praise share changed by a 95% interval of {ci[0] * 100:+.1f} to "
                f"{ci[1] * 100:+.1f} pts"
            )
        return f"now ÷ before: 95% interval {ci[0]:.2f}× to {ci[1]:.2f}×"

    @property
    def tone(self) -> int:
        """+1 better, -1 worse, 0 not beyond chance (drawn grey)."""
        return self.direction * self.measure.better if self.beyond_chance else 0

    # -- words --

    def shown(self, row: dict[str, Any]) -> str:
        if self.measure.kind == "ratio" and row["praise"] and not row["criticism"]:
            return "∞"  # praise without criticism is an infinite ratio, not a missing one
        return formatting.figure(self.measure.kind, self.value(row))

    def detail(self, row: dict[str, Any]) -> str:
        measure = self.measure
        if measure.kind == "count":
            return ""
        if measure.kind == "rate":
            base = self.base(row)
            return (
                f"{self.hits(row):,} of {base:,} {measure.unit}" if base else f"no {measure.unit}"
            )
        if measure.kind == "ratio":
            if not row["praise"] + row["criticism"]:
                return "no notes"
            if not row["criticism"]:
                return f"no criticism, {row['praise']:,} praise"
            return f"{row['praise']:,} praise, {row['criticism']:,} criticism"
        if measure.key.startswith("adj_"):
            stem = measure.key.removesuffix("_ratio")
            strata = row.get(f"{stem}_strata") or 0
            crude = (
                row.get("lift") if measure.key == "adj_lift" else row.get("took_over_vs_debrief")
            )
            return f"within {strata:,} reps; crude {formatting.times(crude)}"
        if row["rec_eligible"] or row["unrec_eligible"]:
            return (
                f"came back {formatting.pct(row['rec_rate'])} recognised vs "
                f"{formatting.pct(row['unrec_rate'])} not"
            )
        return "no praise old enough to judge"

    def interval_text(self, row: dict[str, Any]) -> str:
        ci = self.interval(row)
        if not ci or self.value(row) is None:
            return ""
        return formatting.interval(ci, formatting.BY_KIND[self.measure.kind])

    def change_text(self) -> str:
        """'▲ 4 pts', '▼ 31', '▲ 0.2'; 'same' when the change rounds to nothing as shown."""
        return formatting.arrow_change(self.measure.kind, self.delta)

    def signed_change_text(self) -> str | None:
        """'+4 pts', '-31', '±0 pts': the change on a page's metric tile."""
        return formatting.signed_change(self.measure.kind, self.delta)

    @property
    def tile_colour(self) -> str:
        """The one colour rule of every page's tiles (Streamlit's delta_color): better green and
        worse red only beyond chance; grey otherwise."""
        if not self.beyond_chance:
            return "off"
        return "normal" if self.measure.better > 0 else "inverse"

    def chance_text(self) -> str:
        if self.delta is None or self.direction == 0:
            return ""
        if self.small(self.now) or self.small(self.before):
            return "too few to tell"
        return "beyond chance" if self.beyond_chance else "within chance"


Group = tuple[str, list[Change]]
