"""The statistics behind the comparisons, in one place used by the CLI, the pages and the report.

- `mantel_haenszel`: a risk ratio stratified by rep (or manager), with an interval that allows
  for events clustering within a stratum.
- `small`: the one small-sample rule.
- `two_proportion_z`, `count_z`, `log_ratio_z`, `beyond_chance`: the one beyond-chance test.
- `shrink`: empirical-Bayes (beta-binomial) rates, pulled toward the team's.
- `overdispersion`: Spiegelhalter's multiplicative overdispersion factor for funnel plots.

Pure Python: nothing here needs NumPy.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

Z_95 = 1.959963984540054

# ---- the one small-sample rule --------------------------------------------------------------


def small(count: int | None, min_n: int) -> bool:
    """A figure resting on fewer than `min_n` calls, notes or eligible events is small: shown
    greyed and marked, and never coloured as a change."""
    return count is None or count < min_n


# ---- the one beyond-chance test -------------------------------------------------------------


def two_proportion_z(k1: int, n1: int, k0: int, n0: int) -> float | None:
    """The pooled two-proportion z statistic of k1/n1 against k0/n0 (None when undefined)."""
    if n1 <= 0 or n0 <= 0:
        return None
    pooled = (k1 + k0) / (n1 + n0)
    variance = pooled * (1 - pooled) * (1 / n1 + 1 / n0)
    if variance <= 0:
        return None
    return (k1 / n1 - k0 / n0) / math.sqrt(variance)


def count_z(n1: int, n0: int) -> float | None:
    """z for two Poisson counts over periods of (about) equal length: (n1 - n0) / sqrt(n1 + n0)."""
    if n1 + n0 <= 0:
        return None
    return (n1 - n0) / math.sqrt(n1 + n0)


def log_ratio_z(
    now: float | None, now_ci: Sequence[float | None] | None,
    before: float | None, before_ci: Sequence[float | None] | None,
) -> float | None:  # fmt: skip
    """z for the change of a ratio (lift) between two periods, on the log scale: the log
    difference over the combined standard error, each read back from its 95% interval."""
    values = [now, before, *(now_ci or [None, None]), *(before_ci or [None, None])]
    if any(v is None or v <= 0 or math.isinf(v) for v in values):
        return None
    se_now = (math.log(now_ci[1]) - math.log(now_ci[0])) / (2 * Z_95)  # type: ignore[index]
    se_before = (math.log(before_ci[1]) - math.log(before_ci[0])) / (2 * Z_95)  # type: ignore[index]
    se = math.hypot(se_now, se_before)
    if se <= 0:
        return None
    return (math.log(now) - math.log(before)) / se  # type: ignore[arg-type]


def beyond_chance(z_score: float | None) -> bool:
    """The 5% two-sided level: |z| >= 1.96."""
    return z_score is not None and abs(z_score) >= Z_95


def difference_interval(k1: int, n1: int, k0: int, n0: int) -> tuple[float, float] | None:
    """Newcombe's hybrid-score (MOVER-Wilson) 95% interval of k1/n1 - k0/n0."""
    if n1 <= 0 or n0 <= 0:
        return None
    p1, p0 = k1 / n1, k0 / n0
    l1, u1 = wilson(k1, n1)
    l0, u0 = wilson(k0, n0)
    difference = p1 - p0
    lo = difference - math.sqrt((p1 - l1) ** 2 + (u0 - p0) ** 2)
    hi = difference + math.sqrt((u1 - p1) ** 2 + (p0 - l0) ** 2)
    return lo, hi


def wilson(hits: int, trials: int, z_score: float = Z_95) -> tuple[float, float]:
    """Wilson's score interval of hits/trials (the same as the store's wilson macro,
    queries/macros.sql)."""
    rate = hits / trials
    z2 = z_score * z_score
    centre = (rate + z2 / (2 * trials)) / (1 + z2 / trials)
    half = z_score * math.sqrt(rate * (1 - rate) / trials + z2 / (4 * trials * trials))
    half /= 1 + z2 / trials
    return max(0.0, centre - half), min(1.0, centre + half)


# ---- Mantel–Haenszel ------------------------------------------------------------------------


@dataclass(frozen=True)
class Effect:
    """A stratified risk ratio: exposed (recognised, or a response) against the reference."""

    ratio: float | None  # None: cannot be estimated (no informative stratum, or no reference hit)
    ci: tuple[float, float] | None
    strata: int  # strata with eligible events on both sides
    exposed_hits: int  # in those strata
    exposed_n: int
    reference_hits: int
    reference_n: int
    small: bool  # either side rests on fewer than min_n events (in those strata)
    se_log: float | None = None

    def ci_list(self) -> list[float] | None:
        return None if self.ci is None else [self.ci[0], self.ci[1]]


def mantel_haenszel(strata: Iterable[tuple[int, int, int, int]], min_n: int) -> Effect:
    """The Mantel–Haenszel risk ratio over strata of (a, n1, c, n0): a of n1 exposed events
    and c of n0 reference events came back (a, c: `exposed_hits`, `reference_hits` below).

        RR = sum(a n0 / N) / sum(c n1 / N),  N = n1 + n0, over strata with n1 > 0 and n0 > 0.

    Its 95% interval is exp(ln RR ± 1.96 SE), SE the larger of two standard errors of ln RR:
    Greenland and Robins' (1985), which assumes events are independent, and the
    stratum-clustered (sandwich) one, sqrt(S / (S - 1) * sum(u_i^2)) with
    u_i = (a_i n0_i / N_i) / sum(a n0 / N) - (c_i n1_i / N_i) / sum(c n1 / N), which lets the
    events of one rep be correlated (the same behaviour noted on successive calls), as a
    bootstrap over reps would. The interval is null when either sum is 0.
    """
    numer = denom = gr = 0.0
    terms: list[tuple[float, float]] = []
    a_sum = n1_sum = c_sum = n0_sum = 0
    for exposed_hits, n1, reference_hits, n0 in strata:
        if n1 <= 0 or n0 <= 0:
            continue
        big_n = n1 + n0
        exposed_term, reference_term = exposed_hits * n0 / big_n, reference_hits * n1 / big_n
        numer += exposed_term
        denom += reference_term
        gr += (
            (exposed_hits + reference_hits) * n1 * n0 - exposed_hits * reference_hits * big_n
        ) / (big_n * big_n)
        terms.append((exposed_term, reference_term))
        a_sum += exposed_hits
        n1_sum += n1
        c_sum += reference_hits
        n0_sum += n0
    informative = len(terms)
    is_small = small(n1_sum, min_n) or small(n0_sum, min_n)
    if informative == 0 or denom == 0:
        return Effect(None, None, informative, a_sum, n1_sum, c_sum, n0_sum, is_small)
    ratio = numer / denom
    if numer == 0:
        return Effect(ratio, None, informative, a_sum, n1_sum, c_sum, n0_sum, is_small)
    var = gr / (numer * denom)
    if informative >= 2:
        clustered = (
            informative
            / (informative - 1)
            * sum(
                (exposed_term / numer - reference_term / denom) ** 2
                for exposed_term, reference_term in terms
            )
        )
        var = max(var, clustered)
    se = math.sqrt(max(var, 0.0))
    centre = math.log(ratio)
    ci = (math.exp(centre - Z_95 * se), math.exp(centre + Z_95 * se))
    return Effect(ratio, ci, informative, a_sum, n1_sum, c_sum, n0_sum, is_small, se)


# ---- partial pooling ------------------------------------------------------------------------


def shrink(hits: Sequence[int], bases: Sequence[int]) -> list[float | None]:
    """Empirical-Bayes rates: each k/n pulled toward the pooled rate p by a beta prior fitted to
    all the groups (method of moments), (k + a) / (n + a + b) with a = p w, b = (1 - p) w. A
    group with few calls is pulled most; w is large (strong pooling) when the groups differ no
    more than binomial noise explains. Groups with n = 0 get None."""
    pairs = [(k, n) for k, n in zip(hits, bases, strict=True) if n > 0]
    if not pairs:
        return [None] * len(hits)
    total_k, total_n = sum(k for k, _ in pairs), sum(n for _, n in pairs)
    pooled = total_k / total_n
    weight = prior_weight(pairs, pooled)
    prior_hits, prior_misses = pooled * weight, (1 - pooled) * weight
    return [
        None if n <= 0 else (k + prior_hits) / (n + prior_hits + prior_misses)
        for k, n in zip(hits, bases, strict=True)
    ]


PRIOR_CAP = 10_000.0


def prior_weight(pairs: Sequence[tuple[int, int]], pooled: float) -> float:
    """a + b of the beta prior. The between-group variance of the true rates is estimated by
    moments, tau^2 = (sum n_i (p_i - p)^2 - (G - 1) p (1 - p)) / (N - sum n_i^2 / N), and a
    beta prior with mean p has variance p (1 - p) / (a + b + 1). Capped at PRIOR_CAP (no
    spread beyond noise, fewer than 3 groups, or p at 0 or 1)."""
    if len(pairs) < 3 or pooled <= 0 or pooled >= 1:
        return PRIOR_CAP
    total_n = sum(n for _, n in pairs)
    spread = sum(n * (k / n - pooled) ** 2 for k, n in pairs)
    tau2 = (spread - (len(pairs) - 1) * pooled * (1 - pooled)) / (
        total_n - sum(n * n for _, n in pairs) / total_n
    )
    if tau2 <= 0:
        return PRIOR_CAP
    return min(PRIOR_CAP, max(pooled * (1 - pooled) / tau2 - 1, 0.0))


# ---- funnel plots -----------------------------------------------------------------------------


def overdispersion(hits: Sequence[int], bases: Sequence[int], p0: float) -> float | None:
    """Spiegelhalter's (2005) multiplicative overdispersion factor φ for a funnel plot: the mean
    of the squared z-scores (k/n - p0) / sqrt(p0(1 - p0)/n) after winsorising them at the 10th
    and 90th percentiles. φ near 1: binomial scatter; above 1, the limits are widened by sqrt(φ).
    None with fewer than 3 groups."""
    zs = []
    if not 0 < p0 < 1:
        return None
    for hit, base in zip(hits, bases, strict=True):
        if base > 0:
            zs.append((hit / base - p0) / math.sqrt(p0 * (1 - p0) / base))
    if len(zs) < 3:
        return None
    ordered = sorted(zs)
    lo = ordered[math.floor(0.1 * (len(zs) - 1))]
    hi = ordered[math.ceil(0.9 * (len(zs) - 1))]
    clipped = [min(max(z, lo), hi) for z in zs]
    return sum(z * z for z in clipped) / len(clipped)
