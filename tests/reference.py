"""A deliberately plain, pure-Python reference implementation of the Ridealong metrics contract.

It exists only to check the real (DuckDB SQL) implementation against an independent reading of the
contract. Clarity beats speed: plain loops, dicts and lists; no duckdb, no polars.

Input: already-normalised log rows, one dict per row, with the keys

    observation_id  str | None   None = the log had no observation_id column; a call is then
                                 identified by (observed_on, manager, rep)
    observed_on     datetime.date
    manager, rep    str
    team            str | None
    planned_role    str | None   (not used by any metric)
    manager_action  "observed" | "assisted" | "took_over"
    debrief         True | False | None (None = unknown)
    behavior        str | None   None = this row notes nothing (a call without notes)
    polarity        "praise" | "criticism" | None

Rows of one call share the call's fields. (Like the importer, an optional call field that is empty
on some rows of a call takes the first non-empty value among them.)

`reference_metrics(rows, window, by)` returns the contract's JSON-shaped dict; the Wilson score
intervals (`*_ci` keys) are added by the separate helper `add_intervals` so that the core contract
(`core_metrics`) stays easy to read.
"""

from __future__ import annotations

import math
from datetime import date

ACTIONS = ("observed", "assisted", "took_over")
MISTAKE_BUCKETS = ("took_over", "assisted", "observed_debriefed", "observed_only")
BY_FIELDS = ("manager", "rep", "team", "month", "quarter", "behavior")
Z95 = 1.959963984540054


# --------------------------------------------------------------------------------------------
# Small helpers
# --------------------------------------------------------------------------------------------


def behavior_key(behavior: str) -> str:
    """Trimmed, lower-cased, inner white space collapsed to one space."""
    return " ".join(behavior.split()).lower()


def ratio(numerator: int, denominator: int) -> float | None:
    """numerator / denominator, or None when the denominator is 0."""
    if denominator == 0:
        return None
    return numerator / denominator


def month_of(day: date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


def quarter_of(day: date) -> str:
    return f"{day.year:04d}-Q{(day.month - 1) // 3 + 1}"


# --------------------------------------------------------------------------------------------
# Rows -> calls (each with its notes)
# --------------------------------------------------------------------------------------------


def call_identity(row: dict) -> tuple:
    if row["observation_id"] is not None:
        return ("id", row["observation_id"])
    return ("natural", row["observed_on"], row["manager"], row["rep"])


def call_order_key(call: dict) -> tuple:
    """Order of a rep's calls: date, then observation_id as text (else manager, then rep)."""
    if call["observation_id"] is not None:
        return (call["observed_on"], call["observation_id"])
    return (call["observed_on"], call["manager"], call["rep"])


def collect_calls(rows: list[dict]) -> list[dict]:
    """One dict per call: the call's fields plus `notes`, a list of its notes in row order.

    A note is {"behavior": text as given, "key": behaviour key, "polarity": ...}.
    """
    calls: dict[tuple, dict] = {}
    for row in rows:
        ident = call_identity(row)
        call = calls.get(ident)
        if call is None:
            call = {
                "observation_id": row["observation_id"],
                "observed_on": row["observed_on"],
                "manager": row["manager"],
                "rep": row["rep"],
                "team": row["team"],
                "planned_role": row["planned_role"],
                "manager_action": row["manager_action"],
                "debrief": row["debrief"],
                "notes": [],
            }
            calls[ident] = call
        else:
            # optional call fields: keep the first value that is not empty
            for name in ("team", "planned_role", "debrief"):
                if call[name] is None and row[name] is not None:
                    call[name] = row[name]
        if row["behavior"] is not None:
            call["notes"].append(
                {
                    "behavior": row["behavior"],
                    "key": behavior_key(row["behavior"]),
                    "polarity": row["polarity"],
                }
            )
    return list(calls.values())


# --------------------------------------------------------------------------------------------
# Events, with eligibility and recurrence decided over each rep's whole history
# --------------------------------------------------------------------------------------------


def find_events(calls: list[dict], window: int) -> list[dict]:
    """Every distinct (call, behaviour key, polarity), with `eligible` and `followed`.

    `followed` means recurred (praise) or repeated (criticism); it is only True when eligible.
    """
    if window < 1:
        raise ValueError(f"window must be at least 1, not {window}")
    calls_of_rep: dict[str, list[dict]] = {}
    for call in calls:
        calls_of_rep.setdefault(call["rep"], []).append(call)

    events = []
    for rep_calls in calls_of_rep.values():
        rep_calls = sorted(rep_calls, key=call_order_key)
        for position, call in enumerate(rep_calls):
            later_calls = rep_calls[position + 1 :]
            next_calls = later_calls[:window]
            eligible = len(later_calls) >= window
            seen_on_this_call = set()
            for note in call["notes"]:
                what = (note["key"], note["polarity"])
                if what in seen_on_this_call:
                    continue  # noted twice on one call: two notes, one event
                seen_on_this_call.add(what)
                noted_again = False
                for next_call in next_calls:
                    for next_note in next_call["notes"]:
                        if (next_note["key"], next_note["polarity"]) == what:
                            noted_again = True
                events.append(
                    {
                        "call": call,
                        "key": note["key"],
                        "polarity": note["polarity"],
                        "eligible": eligible,
                        "followed": eligible and noted_again,
                    }
                )
    return events


# --------------------------------------------------------------------------------------------
# The metrics of one set of calls, notes and events
# --------------------------------------------------------------------------------------------


def mistake_bucket(call: dict) -> str:
    action = call["manager_action"]
    if action == "took_over":
        return "took_over"
    if action == "assisted":
        return "assisted"
    if call["debrief"] is True:
        return "observed_debriefed"
    return "observed_only"  # observed, debrief false or unknown


def core_metrics(calls: list[dict], notes: list[dict], events: list[dict], window: int) -> dict:
    """The contract's object for one set of calls, their notes and their events (no intervals)."""
    praise = 0
    criticism = 0
    for note in notes:
        if note["polarity"] == "praise":
            praise += 1
        elif note["polarity"] == "criticism":
            criticism += 1

    actions = {"observed": 0, "assisted": 0, "took_over": 0}
    debrief_true = 0
    debrief_known = 0
    for call in calls:
        actions[call["manager_action"]] += 1
        if call["debrief"] is not None:
            debrief_known += 1
            if call["debrief"] is True:
                debrief_true += 1

    recurrence = {
        "recognized": {"eligible": 0, "recurred": 0},
        "unrecognized": {"eligible": 0, "recurred": 0},
    }
    mistakes = {bucket: {"eligible": 0, "repeated": 0} for bucket in MISTAKE_BUCKETS}
    for event in events:
        if not event["eligible"]:
            continue
        call = event["call"]
        if event["polarity"] == "praise":
            if call["debrief"] is True:
                bucket = recurrence["recognized"]
            elif call["debrief"] is False:
                bucket = recurrence["unrecognized"]
            else:
                continue  # unknown debrief: in neither
            bucket["eligible"] += 1
            if event["followed"]:
                bucket["recurred"] += 1
        elif event["polarity"] == "criticism":
            bucket = mistakes[mistake_bucket(call)]
            bucket["eligible"] += 1
            if event["followed"]:
                bucket["repeated"] += 1

    for bucket in recurrence.values():
        bucket["rate"] = ratio(bucket["recurred"], bucket["eligible"])
    for bucket in mistakes.values():
        bucket["rate"] = ratio(bucket["repeated"], bucket["eligible"])

    recognized_rate = recurrence["recognized"]["rate"]
    unrecognized_rate = recurrence["unrecognized"]["rate"]
    if recognized_rate is None or unrecognized_rate is None or unrecognized_rate == 0:
        lift = None
    else:
        lift = recognized_rate / unrecognized_rate

    return {
        "calls": len(calls),
        "notes": len(notes),
        "praise": praise,
        "criticism": criticism,
        "praise_to_criticism": ratio(praise, criticism),
        "actions": actions,
        "intervention_rate": ratio(actions["took_over"], len(calls)),
        "debrief_rate": ratio(debrief_true, debrief_known),
        "recurrence": {
            "window": window,
            "recognized": recurrence["recognized"],
            "unrecognized": recurrence["unrecognized"],
            "lift": lift,
        },
        "mistake_repeat": mistakes,
    }


# --------------------------------------------------------------------------------------------
# Extras: Wilson 95% score intervals
# --------------------------------------------------------------------------------------------


def wilson(k: int, n: int, z: float = Z95) -> tuple[float, float]:
    """Wilson score interval of k successes out of n (n > 0).

    The bounds are clamped to [0, 1], and are exactly 0 when k == 0 and exactly 1 when k == n
    (their true values; floating point would otherwise give e.g. 0.9999999999999999).
    """
    if n <= 0:
        raise ValueError("wilson() needs n > 0")
    if not 0 <= k <= n:
        raise ValueError(f"wilson() needs 0 <= k <= n, got k={k}, n={n}")
    p = k / n
    z2 = z * z
    denominator = 1 + z2 / n
    centre = (p + z2 / (2 * n)) / denominator
    half_width = z * math.sqrt(p * (1 - p) / n + z2 / (4 * n * n)) / denominator
    lo = max(0.0, centre - half_width)
    hi = min(1.0, centre + half_width)
    if k == 0:
        lo = 0.0
    if k == n:
        hi = 1.0
    return lo, hi


def rate_interval(k: int, n: int) -> list[float] | None:
    """[lo, hi] for the rate k/n; None when n == 0."""
    if n == 0:
        return None
    lo, hi = wilson(k, n)
    return [lo, hi]


def ratio_interval(praise: int, criticism: int) -> list[float | None] | None:
    """Interval of praise/criticism: Wilson of p = praise/(praise+criticism), as p/(1-p)."""
    n = praise + criticism
    if n == 0:
        return None
    lo, hi = wilson(praise, n)
    upper = None if hi == 1 else hi / (1 - hi)
    return [lo / (1 - lo), upper]


def with_key_after(obj: dict, after: str, key: str, value: object) -> dict:
    """A copy of obj with `key` inserted right after `after` (so an interval sits by its rate)."""
    out = {}
    for name, old_value in obj.items():
        out[name] = old_value
        if name == after:
            out[key] = value
    return out


def add_intervals(metrics: dict, debrief_true: int, debrief_known: int) -> dict:
    """The metrics object with a `<rate>_ci` next to every rate.

    The debrief counts are passed in because the contract's object does not carry them.
    """
    out = with_key_after(
        metrics,
        "praise_to_criticism",
        "praise_to_criticism_ci",
        ratio_interval(metrics["praise"], metrics["criticism"]),
    )
    out = with_key_after(
        out,
        "intervention_rate",
        "intervention_rate_ci",
        rate_interval(metrics["actions"]["took_over"], metrics["calls"]),
    )
    out = with_key_after(
        out, "debrief_rate", "debrief_rate_ci", rate_interval(debrief_true, debrief_known)
    )

    recurrence = dict(metrics["recurrence"])
    for name in ("recognized", "unrecognized"):
        bucket = recurrence[name]
        interval = rate_interval(bucket["recurred"], bucket["eligible"])
        recurrence[name] = with_key_after(bucket, "rate", "rate_ci", interval)
    out["recurrence"] = recurrence

    mistakes = {}
    for name, bucket in metrics["mistake_repeat"].items():
        interval = rate_interval(bucket["repeated"], bucket["eligible"])
        mistakes[name] = with_key_after(bucket, "rate", "rate_ci", interval)
    out["mistake_repeat"] = mistakes
    return out


def metrics_with_intervals(
    calls: list[dict], notes: list[dict], events: list[dict], window: int
) -> dict:
    debrief_true = 0
    debrief_known = 0
    for call in calls:
        if call["debrief"] is not None:
            debrief_known += 1
            if call["debrief"] is True:
                debrief_true += 1
    return add_intervals(core_metrics(calls, notes, events, window), debrief_true, debrief_known)


# --------------------------------------------------------------------------------------------
# Entry point
# --------------------------------------------------------------------------------------------


def call_group(call: dict, by: str) -> str:
    if by == "manager":
        return call["manager"]
    if by == "rep":
        return call["rep"]
    if by == "team":
        return "" if call["team"] is None else call["team"]
    if by == "month":
        return month_of(call["observed_on"])
    if by == "quarter":
        return quarter_of(call["observed_on"])
    raise ValueError(f"not a call-level grouping: {by!r}")


def most_common_spelling(spellings: list[str]) -> str:
    """Most frequent spelling; ties go to the smallest by code point."""
    counts: dict[str, int] = {}
    for spelling in spellings:
        counts[spelling] = counts.get(spelling, 0) + 1
    best = None
    for spelling in sorted(counts):  # code-point order, so the first of a tie wins
        if best is None or counts[spelling] > counts[best]:
            best = spelling
    return best


def reference_metrics(rows: list[dict], window: int = 3, by: str | None = None) -> dict:
    calls = collect_calls(rows)
    events = find_events(calls, window)  # over every rep's whole history, before any grouping

    if by is None:
        notes = [note for call in calls for note in call["notes"]]
        return metrics_with_intervals(calls, notes, events, window)

    if by not in BY_FIELDS:
        raise ValueError(f"by must be one of {', '.join(BY_FIELDS)}, not {by!r}")

    groups: dict[str, dict] = {}  # group key -> {"calls": [...], "notes": [...], "events": [...]}

    if by == "behavior":
        # group by behaviour key; named after the most common trimmed spelling
        by_key: dict[str, dict] = {}
        for call in calls:
            for note in call["notes"]:
                group = by_key.setdefault(
                    note["key"], {"calls": [], "notes": [], "events": [], "spellings": []}
                )
                group["notes"].append(note)
                group["spellings"].append(note["behavior"].strip())
                if not any(c is call for c in group["calls"]):
                    group["calls"].append(call)
        for event in events:
            by_key[event["key"]]["events"].append(event)
        for group in by_key.values():
            groups[most_common_spelling(group["spellings"])] = group
    else:
        for call in calls:
            group = groups.setdefault(
                call_group(call, by), {"calls": [], "notes": [], "events": []}
            )
            group["calls"].append(call)
            group["notes"].extend(call["notes"])
        for event in events:
            groups[call_group(event["call"], by)]["events"].append(event)

    return {
        "by": by,
        "groups": {
            key: metrics_with_intervals(
                groups[key]["calls"], groups[key]["notes"], groups[key]["events"], window
            )
            for key in sorted(groups)
        },
    }
