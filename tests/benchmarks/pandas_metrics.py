"""A straightforward pandas implementation of the coaching counts, for the benchmark (issue 8).

What a data analyst would write against an exported log, without Ridealong: read the CSV, tidy
the text, order each rep's calls, find the events, look ahead K calls with groupby/shift, then
filter and count. It computes the counts of queries/metrics.sql (not the intervals) for
by = "all" and by = "manager", so the benchmark can check that both agree and time them.

It reads logs written by `ridealong sample` (canonical values, ISO dates, yes/no debriefs); it
does not validate anything — the importer's job, which the benchmark times separately.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

import pandas as pd

from tests.benchmarks.bench import COUNTS  # the count columns of queries/metrics.sql

CALL_FIELDS = (
    "call_key",
    "observation_id",
    "observed_on",
    "manager",
    "rep",
    "team",
    "planned_role",
    "manager_action",
    "debrief",
)
TEXT = ("observation_id", "team", "manager", "rep", "planned_role", "manager_action", "polarity")


def read(path: str) -> pd.DataFrame:
    """The log as text: every cell a string, empty cells missing."""
    return pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[""])


@dataclass
class Prepared:
    """One row per call (in each rep's order) and one row per event with its look-ahead."""

    calls: pd.DataFrame
    events: pd.DataFrame
    window: int


def prepare(raw: pd.DataFrame, window: int = 3) -> Prepared:
    """Normalise, order each rep's calls and look ahead `window` calls from every event."""
    df = raw.copy()
    for column in TEXT:
        df[column] = df[column].str.strip()
    df["manager_action"] = df["manager_action"].str.lower()
    df["polarity"] = df["polarity"].str.lower()
    df["planned_role"] = df["planned_role"].str.lower()
    df["observed_on"] = pd.to_datetime(df["observed_on"].str.strip(), format="%Y-%m-%d")
    df["debrief"] = (
        df["debrief"].str.strip().str.lower().map({"yes": True, "no": False}).astype("boolean")
    )
    df["team"] = df["team"].fillna("")
    df["call_key"] = df["observation_id"].fillna(
        df["observed_on"].dt.strftime("%Y-%m-%d") + "|" + df["manager"] + "|" + df["rep"]
    )
    behavior = df["behavior"].str.strip()
    df["behavior_key"] = behavior.str.lower().str.replace(r"\s+", " ", regex=True)

    # one row per call; each rep's calls in order (date, observation_id as text, manager, key)
    calls = df.drop_duplicates("call_key")[list(CALL_FIELDS)].copy()
    calls["order_id"] = calls["observation_id"].fillna("")
    calls = calls.sort_values(["rep", "observed_on", "order_id", "manager", "call_key"])
    calls["seq"] = calls.groupby("rep").cumcount()
    calls["later_calls"] = calls.groupby("rep")["seq"].transform("size") - calls["seq"] - 1
    calls = calls.drop(columns="order_id").reset_index(drop=True)

    # events: distinct (call, behaviour key, polarity), with how many notes each
    notes = df[behavior.notna()]
    events = (
        notes.groupby(["call_key", "behavior_key", "polarity"], sort=False)
        .size()
        .rename("notes")
        .reset_index()
    )
    events = events.merge(calls, on="call_key", how="inner")
    events = events.sort_values(["rep", "behavior_key", "polarity", "seq"])
    following = events.groupby(["rep", "behavior_key", "polarity"], sort=False)["seq"].shift(-1)
    gap = following - events["seq"]
    events["eligible"] = events["later_calls"] >= window
    events["again"] = events["eligible"] & (gap <= window).fillna(False)
    return Prepared(calls=calls, events=events.reset_index(drop=True), window=window)


def _select(
    frame: pd.DataFrame,
    start: dt.date | None,
    end: dt.date | None,
    teams: Sequence[str],
    managers: Sequence[str],
    reps: Sequence[str],
) -> pd.DataFrame:
    keep = pd.Series(True, index=frame.index)
    if start is not None:
        keep &= frame["observed_on"] >= pd.Timestamp(start)
    if end is not None:
        keep &= frame["observed_on"] <= pd.Timestamp(end)
    if teams:
        keep &= frame["team"].isin(list(teams))
    if managers:
        keep &= frame["manager"].isin(list(managers))
    if reps:
        keep &= frame["rep"].isin(list(reps))
    return frame[keep]


def aggregate(
    prepared: Prepared,
    by: str = "all",
    *,
    start: dt.date | None = None,
    end: dt.date | None = None,
    teams: Sequence[str] = (),
    managers: Sequence[str] = (),
    reps: Sequence[str] = (),
) -> dict[str, dict[str, int]]:
    """{group: {count: value}} for by = "all" (group '') or "manager"."""
    if by not in ("all", "manager"):
        raise ValueError("by must be 'all' or 'manager'")
    calls = _select(prepared.calls, start, end, teams, managers, reps)
    events = _select(prepared.events, start, end, teams, managers, reps)
    calls_key = "" if by == "all" else calls["manager"]
    events_key = "" if by == "all" else events["manager"]

    action = calls["manager_action"]
    call_flags = pd.DataFrame(
        {
            "calls": 1,
            "observed": action == "observed",
            "assisted": action == "assisted",
            "took_over": action == "took_over",
            "debrief_known": calls["debrief"].notna(),
            "debriefed": calls["debrief"].fillna(False),
            "planned_observer": calls["planned_role"] == "observer",
            "planned_observer_took_over": (calls["planned_role"] == "observer")
            & (action == "took_over"),
            "grp": calls_key,
        },
        index=calls.index,
    )
    praise = events["polarity"] == "praise"
    criticism = events["polarity"] == "criticism"
    debrief = events["debrief"]
    eligible, again = events["eligible"], events["again"]
    e_action = events["manager_action"]
    debriefed = debrief.fillna(False).astype(bool)
    known_no = (debrief == False).fillna(False).astype(bool)  # noqa: E712 (nullable boolean)
    buckets = {
        "rec": praise & debriefed,
        "unrec": praise & known_no,
        "mr_took_over": criticism & (e_action == "took_over"),
        "mr_assisted": criticism & (e_action == "assisted"),
        "mr_observed_debriefed": criticism & (e_action == "observed") & debriefed,
        "mr_observed_only": criticism & (e_action == "observed") & ~debriefed,
    }
    event_flags = pd.DataFrame(
        {
            "notes": events["notes"],
            "praise": events["notes"].where(praise, 0),
            "criticism": events["notes"].where(criticism, 0),
            "grp": events_key,
        },
        index=events.index,
    )
    for name, mask in buckets.items():
        hit = "recurred" if name in ("rec", "unrec") else "repeated"
        event_flags[f"{name}_eligible"] = mask & eligible
        event_flags[f"{name}_{hit}"] = mask & again

    by_calls = call_flags.groupby("grp").sum()
    by_events = event_flags.groupby("grp").sum()
    table = by_calls.join(by_events, how="left").fillna(0)
    if by == "all" and table.empty:
        table = pd.DataFrame([{c: 0 for c in COUNTS}], index=pd.Index([""], name="grp"))
    out: dict[str, dict[str, int]] = {}
    for grp, row in table.iterrows():
        out[str(grp)] = {c: int(row[c]) for c in COUNTS}
    return out
