"""Synthetic but realistic ride-along observation logs, for demos, tests and benchmarks.

`generate(calls, seed)` returns one row per note (a call without notes is one row with an empty
behaviour), in the column order of `COLUMNS` with the types of `SCHEMA`; `write(df, path)` saves
it as CSV or Parquet; `roster(calls, seed)` tells who is behind a log (team, manager and style,
rep and tenure). `python -m dashboard.sample out.csv --calls 3000` writes one from the shell.

What is built in, so the dashboard has a story to tell:

* Teams of 5-10 reps with 1-3 managers (Enterprise, Mid-Market, SMB, Channel; split by region
  when there are more than four teams), about `CALLS_PER_REP` observed calls per rep.
* Managers have one of the styles in `STYLES`: the *closer* takes over ~40% of calls and
  criticises more than they praise; the *coach* observes, debriefs almost always, recognises a
  lot (~5 praise notes per criticism) and takes over under 10% of the time; the *helper* and the
  *hands-off* manager are in between. Planned observers sometimes take over. One ride-along in ten
  is done by another manager of the rep's team.
* Reps of different tenure, some hired or leaving during the period: new reps make more
  mistakes, especially major ones, and get taken over from more often.
* Calls on weekdays from 2024-10-01 to 2026-09-30, quieter in August and late December, busier
  towards quarter ends, growing slowly.
* Causal coaching effects, simulated call by call along each rep's history (vectorised across
  reps; `effects="none"` turns them off and nothing else): a behaviour praised on a debriefed
  call becomes more likely on the rep's next calls (recognised praise recurs); a mistake the
  manager observed and debriefed becomes much less likely to be repeated, while taking over
  barely changes it.
* About 10% of calls without notes, otherwise 1-5 notes; now and then the same behaviour twice on
  a call, and ~1% of behaviours typed with different case or spacing.
* Deals that span a few calls each, with values by segment and outcomes that suffer from major
  mistakes (deals still being worked on at the end of the period are mostly open).

Deterministic for a seed (numpy PCG64 streams, integer date sampling, no hash-ordered steps), so
the same on any machine with the same numpy. Needs only numpy, polars and the standard library.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import polars as pl

START = dt.date(2024, 10, 1)
END = dt.date(2026, 9, 30)
CALLS_PER_REP = 120
MAX_NOTES = 5

COLUMNS: tuple[str, ...] = (
    "observation_id",
    "observed_on",
    "team",
    "manager",
    "rep",
    "planned_role",
    "manager_action",
    "debrief",
    "behavior",
    "polarity",
    "severity",
    "category",
    "deal",
    "deal_value",
    "outcome",
)
SCHEMA: dict[str, pl.DataType] = {
    name: (
        pl.Date()
        if name == "observed_on"
        else pl.Boolean()
        if name == "debrief"
        else pl.Float64()
        if name == "deal_value"
        else pl.String()
    )
    for name in COLUMNS
}

PLANNED_ROLES = ("observer", "participant")
ACTIONS = ("observed", "assisted", "took_over")
OUTCOMES = ("won", "lost", "open")
SEGMENTS = ("Enterprise", "Mid-Market", "SMB", "Channel")
REGIONS = (
    "North",
    "South",
    "East",
    "West",
    "Central",
    "EMEA",
    "APAC",
    "LATAM",
    "DACH",
    "Nordics",
    "Benelux",
    "UK & Ireland",
    "Iberia",
    "France",
    "Italy",
    "ANZ",
    "Japan",
    "India",
    "Canada",
    "Brazil",
)

# (behaviour, category, base chance per call of being shown and praised)
PRAISE: tuple[tuple[str, str, float], ...] = (
    ("Asked open discovery questions", "discovery", 0.138),
    ("Uncovered the real business pain", "discovery", 0.092),
    ("Brought new ideas for the customer", "discovery", 0.074),
    ("Differentiated our services well", "product", 0.092),
    ("Tailored the demo to the customer's use case", "product", 0.083),
    ("Handled the pricing objection", "pricing", 0.064),
    ("Anchored value before price", "pricing", 0.055),
    ("Handled an objection calmly", "closing", 0.092),
    ("Summarised next steps", "closing", 0.129),
    ("Asked for the business", "closing", 0.055),
    ("Confirmed the decision process", "process", 0.064),
    ("Set a clear agenda", "process", 0.101),
    ("Built rapport quickly", "rapport", 0.11),
    ("Listened actively", "rapport", 0.11),
    ("Picked up a buying signal", "signals", 0.055),
    ("Re-engaged a distracted stakeholder", "signals", 0.046),
)
# (behaviour, category, severity, base chance per call of being made and criticised)
MISTAKES: tuple[tuple[str, str, str, float], ...] = (
    ("Quoted the wrong spec", "product", "minor", 0.08),
    ("Misquoted a feature", "product", "minor", 0.092),
    ("Demoed features the customer doesn't need", "product", "minor", 0.069),
    ("Promised what we can't deliver", "product", "major", 0.035),
    ("Quoted the wrong pricing", "pricing", "major", 0.04),
    ("Offered an unapproved discount", "pricing", "major", 0.029),
    ("Pitched before discovery", "discovery", "minor", 0.092),
    ("Asked only closed questions", "discovery", "minor", 0.08),
    ("Wrong people in the room", "process", "major", 0.035),
    ("No agenda set", "process", "minor", 0.069),
    ("Missed a buying signal", "signals", "major", 0.04),
    ("Missed boredom signals", "signals", "minor", 0.08),
    ("Talked over the customer", "rapport", "minor", 0.069),
    ("Badmouthed a competitor", "rapport", "major", 0.022),
    ("No clear next steps agreed", "closing", "minor", 0.08),
    ("Ignored a stated objection", "closing", "major", 0.035),
)
_MAJOR = np.array([severity == "major" for _, _, severity, _ in MISTAKES])
BEHAVIORS: dict[str, tuple[str, str, str | None]] = {
    **{b: ("praise", c, None) for b, c, _ in PRAISE},
    **{b: ("criticism", c, s) for b, c, s, _ in MISTAKES},
}


@dataclass(frozen=True)
class Style:
    """How a manager behaves on ride-alongs."""

    name: str
    description: str
    participant: float  # share of calls planned as participant rather than observer
    as_observer: tuple[float, float, float]  # P(observed, assisted, took_over) | planned observer
    as_participant: tuple[float, float, float]  # the same | planned participant
    debrief: float  # chance of a debrief after the call
    praise: float  # how readily they note praise (1 = average)
    criticism: float  # how readily they note mistakes (1 = average)
    silent: float  # share of calls they leave without any notes


STYLES: tuple[Style, ...] = (
    Style(
        name="closer",
        description="jumps in and takes over (~40% of calls); criticises more than recognises",
        participant=0.30,
        as_observer=(0.45, 0.20, 0.35),
        as_participant=(0.05, 0.45, 0.50),
        debrief=0.35,
        praise=0.60,
        criticism=1.9,
        silent=0.01,
    ),
    Style(
        name="coach",
        description="observes, debriefs almost always, recognises a lot (~5 praise per criticism)",
        participant=0.05,
        as_observer=(0.88, 0.08, 0.04),
        as_participant=(0.25, 0.65, 0.10),
        debrief=0.96,
        praise=1.35,
        criticism=0.55,
        silent=0.01,
    ),
    Style(
        name="helper",
        description="assists in the conversation, debriefs most calls, balanced notes",
        participant=0.25,
        as_observer=(0.55, 0.33, 0.12),
        as_participant=(0.05, 0.75, 0.20),
        debrief=0.70,
        praise=1.0,
        criticism=1.0,
        silent=0.02,
    ),
    Style(
        name="hands_off",
        description="observes quietly, seldom debriefs",
        participant=0.05,
        as_observer=(0.85, 0.10, 0.05),
        as_participant=(0.30, 0.60, 0.10),
        debrief=0.30,
        praise=1.0,
        criticism=0.90,
        silent=0.03,
    ),
)
STYLE_WEIGHTS = (0.20, 0.25, 0.35, 0.20)  # for managers beyond one of each style

# Coaching dynamics (per rep and behaviour), tuned so that the effects show clearly.
_REC_BOOST = 0.8  # praise memory added when a praised behaviour is debriefed
_UNREC_BOOST = 0.05  # ... when it is praised but not debriefed
_BOOST_DECAY = 0.7  # praise memory kept from one call to the next
_BOOST_MAX = 3.0
_PRAISE_P_MAX = 0.85
# factor on the chance of repeating a mistake, by manager action and debrief (no, yes)
_LEARN = np.array([[0.85, 0.60], [0.70, 0.65], [0.96, 0.92]], dtype=np.float32)
_RELAPSE = 0.97  # share of the learning kept from one call to the next
_LEARN_MIN = 0.25
# With effects="none": the same people, habits and noting, but what the manager does has no
# effect on what comes next: praise memory grows the same whether or not the call is debriefed,
# and a noted mistake is learnt from the same whatever the response.
EFFECTS = ("planted", "none")
_NULL_BOOST = 0.3
_NULL_LEARN = 0.8
# airtime the rep has, by manager action: scales noted praise and mistakes
_AIR_PRAISE = np.array([1.0, 0.85, 0.60])
_AIR_MISTAKE = np.array([1.0, 0.90, 0.80])

_FIRST = (
    "Aisha", "Ben", "Carla", "Dmitri", "Elena", "Farid", "Grace", "Hiro", "Ines", "Jamal",
    "Katrin", "Luis", "Maya", "Noah", "Olu", "Priya", "Quinn", "Rosa", "Sam", "Tariq",
    "Uma", "Victor", "Wen", "Ximena", "Yusuf", "Zoe", "Adam", "Bianca", "Chen", "Dana",
    "Emeka", "Fatima", "Gabriel", "Hannah", "Ivan", "Julia", "Kofi", "Lena", "Mateo", "Nadia",
    "Oscar", "Paula", "Rahul", "Sofia", "Tom", "Valentina", "William", "Yara", "Amir", "Beatriz",
    "Connor", "Daniela", "Erik", "Freya", "Gustavo", "Helen", "Isaac", "Jana", "Kenji", "Leila",
    "Marcus", "Nina", "Pedro", "Ruth",
)  # fmt: skip
_LAST = (
    "Okafor", "Lindqvist", "Moreau", "Petrov", "Santos", "Haddad", "Kim", "Tanaka", "Ferreira",
    "Brooks", "Novak", "Garcia", "Patel", "Schmidt", "Adeyemi", "Rossi", "Nguyen", "Kowalski",
    "O'Brien", "Jensen", "Mehta", "Dubois", "Alvarez", "Chowdhury", "Fischer", "Kaur", "Larsen",
    "Mendes", "Nakamura", "Owens", "Park", "Quintero", "Reyes", "Sato", "Thompson", "Ueda",
    "Varga", "Walsh", "Xu", "Yilmaz", "Zhang", "Abbott", "Bauer", "Costa", "Diaz", "Eriksen",
    "Fontaine", "Gallagher", "Hughes", "Ibrahim", "Jovanovic", "Khan", "Lopez", "Murphy",
    "Nielsen", "Olsen", "Pereira", "Romero", "Silva", "Turner", "Vogel", "Wright", "Young",
    "Ziegler",
)  # fmt: skip
_COMPANY = (
    "Acme", "Northwind", "Globex", "Initech", "Contoso", "Fabrikam", "Tailspin", "Wingtip",
    "Litware", "Adatum", "Proseware", "Lucerne", "Blue Yonder", "Coho", "Humongous",
    "Wide World", "Alpine", "Fourth Coffee", "Trey", "Vandelay", "Stark", "Wayne", "Umbrella",
    "Soylent", "Hooli", "Pied Piper", "Cyberdyne", "Tyrell", "Massive Dynamic", "Gringotts",
    "Oceanic", "Monarch", "Aperture", "Black Mesa", "Sirius", "Nakatomi", "Ollivander",
    "Dunder", "Sterling", "Prestige", "Bluth", "Krusty", "Duff", "Gekko", "Zorg", "Rekall",
    "Veridian", "Halcyon", "Juniper", "Cobalt", "Evergreen", "Summit", "Redwood", "Silverline",
    "Brightwater", "Ironclad", "Northstar", "Harbor", "Keystone", "Meridian", "Pinnacle",
    "Quantum", "Riverbend", "Sunrise", "Tidewater", "Unity", "Vertex", "Westfield", "Yellowstone",
    "Zenith", "Granite", "Falcon", "Lakeside", "Maple", "Orchid", "Polaris", "Sequoia", "Atlas",
    "Beacon", "Crescent",
)  # fmt: skip
_COMPANY_KIND = (
    "Corp", "Inc", "Group", "Holdings", "Labs", "Logistics", "Health", "Bank", "Foods", "Energy",
    "Systems", "Retail", "Insurance", "Manufacturing", "Media", "Analytics", "Pharma",
    "Telecom", "Airlines", "Motors",
)  # fmt: skip
_DEAL_KIND = (
    "renewal", "expansion", "new logo", "upsell", "pilot", "migration", "platform deal",
    "multi-year renewal", "add-on", "enterprise licence", "services engagement", "cross-sell",
)  # fmt: skip
# deal value (median dollars, lognormal sigma) and win-rate shift, by team segment
_SEGMENT_VALUE = ((180_000.0, 0.6), (45_000.0, 0.55), (9_000.0, 0.5), (30_000.0, 0.6))
_SEGMENT_WIN = (-0.35, 0.0, 0.25, 0.05)


def _seed_streams(seed: int, count: int) -> list[np.random.Generator]:
    root = np.random.SeedSequence([int(seed) % 2**64, 0x52494445])
    return [np.random.Generator(np.random.PCG64(s)) for s in root.spawn(count)]


def _day_weights() -> np.ndarray:
    """Integer weight of each day of the period: weekdays only, seasonal, slowly growing."""
    n_days = (END - START).days + 1
    weights = np.zeros(n_days, dtype=np.int64)
    for day_no in range(n_days):
        day = START + dt.timedelta(days=day_no)
        if day.weekday() >= 5 or (day.month, day.day) in {(12, 24), (12, 25), (12, 26), (12, 31)}:
            continue
        if (day.month, day.day) == (1, 1):
            continue
        weight = 1.0 + 0.15 * day_no / n_days
        if day.month == 8:
            weight *= 0.55
        elif day.month == 12 and day.day >= 20:
            weight *= 0.25
        elif day.month == 1 and day.day <= 6:
            weight *= 0.6
        elif day.month in (3, 6, 9, 12) and day.day >= 10:
            weight *= 1.3 if day.day < 20 else 1.5
        weights[day_no] = round(weight * 1000)
    return weights


def _names(rng: np.random.Generator, count: int) -> list[str]:
    """`count` distinct person names."""
    nf, nl = len(_FIRST), len(_LAST)
    plain = rng.permutation(nf * nl)[:count]
    names = [f"{_FIRST[i // nl]} {_LAST[i % nl]}" for i in plain.tolist()]
    if count > len(names):
        extra = count - len(names)
        pool = nf * 26 * nl
        picks = rng.permutation(pool)[: min(extra, pool)].tolist()
        for pick in picks:
            first, rest = divmod(pick, 26 * nl)
            initial, last = divmod(rest, nl)
            names.append(f"{_FIRST[first]} {chr(65 + initial)}. {_LAST[last]}")
        duplicate_no = 0
        while len(names) < count:
            names.append(f"{names[duplicate_no % (nf * nl)]} {duplicate_no // (nf * nl) + 2}")
            duplicate_no += 1
    return names


@dataclass
class _Roster:
    teams: list[str]
    team_segment: np.ndarray  # team -> segment index
    managers: list[str]
    manager_team: np.ndarray
    manager_style: np.ndarray  # manager -> index into STYLES
    reps: list[str]
    rep_manager: np.ndarray
    rep_start: np.ndarray  # first day index the rep is active
    rep_end: np.ndarray  # last day index the rep is active
    rep_tenure: np.ndarray  # months of tenure on rep_start


def _roster(calls: int, rng: np.random.Generator) -> _Roster:
    n_days = (END - START).days + 1
    n_reps = max(1, min(calls, max(8, round(calls / CALLS_PER_REP))))
    # teams of ~5-10 reps (sizes by largest remainder), each with 1-3 managers
    n_teams = max(min(4, n_reps), round(n_reps / 7.5))
    raw = rng.uniform(5.0, 10.0, n_teams)
    raw *= n_reps / raw.sum()
    team_size = np.floor(raw).astype(np.int64)
    short = n_reps - int(team_size.sum())
    team_size[np.argsort(team_size - raw, kind="stable")[:short]] += 1
    mgr_count = 1 + rng.binomial(2, np.clip((team_size - 4) / 8, 0.0, 1.0))
    mgr_count = np.minimum(mgr_count, np.maximum(team_size, 1))
    n_mgrs = int(mgr_count.sum())
    if n_teams <= len(SEGMENTS):
        teams = list(SEGMENTS[:n_teams])
    else:
        teams = []
        for team_no in range(n_teams):
            region, cycle = REGIONS[(team_no // 4) % len(REGIONS)], (team_no // 4) // len(REGIONS)
            teams.append(f"{SEGMENTS[team_no % 4]} {region}" + (f" {cycle + 1}" if cycle else ""))
    team_segment = np.arange(n_teams) % len(SEGMENTS)
    manager_team = np.repeat(np.arange(n_teams), mgr_count)
    first_mgr = np.concatenate([[0], np.cumsum(mgr_count)[:-1]])
    rep_team = np.repeat(np.arange(n_teams), team_size)
    rep_pos = np.arange(n_reps) - np.repeat(
        np.concatenate([[0], np.cumsum(team_size)[:-1]]), team_size
    )
    rep_manager = first_mgr[rep_team] + rep_pos % mgr_count[rep_team]
    # every style is present (the closer and the coach at least), the rest drawn at random
    styles = rng.choice(len(STYLES), size=n_mgrs, p=STYLE_WEIGHTS)
    chosen = rng.permutation(n_mgrs)[: len(STYLES)]
    styles[chosen] = rng.permutation(len(STYLES))[: chosen.size]
    if n_mgrs < len(STYLES):
        styles[chosen[:2]] = [0, 1][: chosen[:2].size]
    names = _names(rng, n_mgrs + n_reps)
    new_hire = rng.random(n_reps) < 0.2
    leaver = ~new_hire & (rng.random(n_reps) < 0.08)
    start = np.where(new_hire, rng.integers(0, n_days - 180, n_reps), 0)
    end = np.where(leaver, rng.integers(270, n_days, n_reps), n_days - 1)
    tenure = np.where(
        new_hire,
        rng.random(n_reps) * 0.5,
        np.clip(rng.lognormal(math.log(24.0), 0.8, n_reps), 3.0, 180.0),
    )
    return _Roster(
        teams=teams,
        team_segment=team_segment,
        managers=names[:n_mgrs],
        manager_team=manager_team,
        manager_style=styles.astype(np.int64),
        reps=names[n_mgrs:],
        rep_manager=rep_manager,
        rep_start=start.astype(np.int64),
        rep_end=end.astype(np.int64),
        rep_tenure=tenure,
    )


def roster(calls: int, seed: int = 7) -> pl.DataFrame:
    """The teams, managers (with their style) and reps behind `generate(calls, seed)`."""
    ros = _roster(_check_calls(calls), _seed_streams(seed, 6)[0])
    mgr = ros.rep_manager
    return pl.DataFrame(
        {
            "team": [ros.teams[ros.manager_team[m]] for m in mgr.tolist()],
            "manager": [ros.managers[m] for m in mgr.tolist()],
            "style": [STYLES[ros.manager_style[m]].name for m in mgr.tolist()],
            "rep": ros.reps,
            "tenure_months_at_start": np.round(ros.rep_tenure, 1),
            "active_from": [START + dt.timedelta(days=int(d)) for d in ros.rep_start],
            "active_to": [START + dt.timedelta(days=int(d)) for d in ros.rep_end],
        }
    ).sort("team", "manager", "rep")


def _check_calls(calls: int) -> int:
    if isinstance(calls, bool) or not isinstance(calls, int | np.integer) or calls < 0:
        raise ValueError(f"calls must be a non-negative integer, not {calls!r}")
    return int(calls)


def generate(calls: int, seed: int = 7, effects: str = "planted") -> pl.DataFrame:
    """A realistic observation log with exactly `calls` calls, one row per note.

    effects="planted" (the default) simulates the coaching effects described above;
    effects="none" keeps everything else (people, habits, who notes what, the same random
    draws) but gives debriefs and responses no effect, for testing that the adjusted
    comparisons find none.

    Stages, each drawing from a random stream of its own: the roster; when each rep's calls
    fall (_schedule); who rides along and what they do (_ride_alongs); the notes, call by call,
    for all reps at once (_simulate_notes); deals and outcomes (_deals); the notes laid out as
    rows in date order (_note_rows); and the frame (_assemble)."""
    if effects not in EFFECTS:
        raise ValueError(f"effects must be one of {', '.join(EFFECTS)}, not {effects!r}")
    n_calls = _check_calls(calls)
    if n_calls == 0:
        return pl.DataFrame(schema=SCHEMA)
    rng_roster, rng_dates, rng_calls, rng_reps, rng_sim, rng_rows = _seed_streams(seed, 6)
    ros = _roster(n_calls, rng_roster)
    schedule = _schedule(n_calls, ros, rng_dates)
    rides, chances = _ride_alongs(n_calls, ros, schedule, rng_calls, effects)
    note_call, note_beh = _simulate_notes(ros, schedule, chances, rng_reps, rng_sim)
    del chances  # a few hundred MB at ten million calls
    deals = _deals(n_calls, ros, schedule, note_call, note_beh, rng_rows)
    layout = _note_rows(n_calls, schedule, note_call, note_beh, rng_rows)
    return _assemble(n_calls, ros, schedule, rides, deals, layout)


@dataclass
class _Schedule:
    """When each rep's calls fall. Calls are numbered by simulation "slot": reps by decreasing
    number of calls (so the reps still active at step t are a prefix), then each rep's calls in
    date order."""

    day: np.ndarray  # per call: days since START
    call_rep: np.ndarray  # per call: the rep
    call_slot: np.ndarray  # per call: the rep's slot
    slot_rep: np.ndarray  # per slot: the rep
    n_slot: np.ndarray  # per slot: its number of calls (decreasing)
    offset: np.ndarray  # per slot: its first call
    n_days: int


def _schedule(n_calls: int, ros: _Roster, rng: np.random.Generator) -> _Schedule:
    weights = _day_weights()
    cum = np.concatenate([[0], np.cumsum(weights)])
    lo, hi = cum[ros.rep_start], cum[ros.rep_end + 1]
    activity = rng.gamma(6.0, 1.0 / 6.0, len(ros.reps))
    share = activity * (hi - lo)
    per_rep = rng.multinomial(n_calls, share / share.sum())
    slot_rep = np.argsort(-per_rep, kind="stable")
    n_slot = per_rep[slot_rep]
    offset = np.concatenate([[0], np.cumsum(n_slot)[:-1]])
    call_slot = np.repeat(np.arange(len(ros.reps)), n_slot)
    call_rep = slot_rep[call_slot]
    picked = lo[call_rep] + rng.integers(0, hi[call_rep] - lo[call_rep])
    day = np.searchsorted(cum, picked, side="right") - 1
    day = np.sort(call_slot.astype(np.int64) * 1024 + day) & 1023  # chronological within rep
    return _Schedule(day, call_rep, call_slot, slot_rep, n_slot, offset, len(weights))


@dataclass
class _RideAlongs:
    """Per call: who rode along and what they did."""

    call_mgr: np.ndarray
    team: np.ndarray
    participant: np.ndarray  # planned as a participant (else observer)
    action: np.ndarray  # index into ACTIONS
    debrief: np.ndarray
    unknown: np.ndarray  # the debrief was not recorded


@dataclass
class _NoteChances:
    """Per call: how it shapes what is noted (only the simulation needs these)."""

    silent: np.ndarray  # no note at all
    f_praise: np.ndarray  # factors on the chance of each praise / minor / major mistake
    f_minor: np.ndarray
    f_major: np.ndarray
    boost: np.ndarray  # what a praise noted on this call adds to its memory
    learn: np.ndarray  # factor on repeating a mistake noted on this call, by response


def _ride_alongs(
    n_calls: int, ros: _Roster, schedule: _Schedule, rng: np.random.Generator, effects: str
) -> tuple[_RideAlongs, _NoteChances]:
    call_rep, day = schedule.call_rep, schedule.day
    mgr_order = np.argsort(ros.manager_team, kind="stable")
    team_first = np.searchsorted(ros.manager_team[mgr_order], np.arange(len(ros.teams)))
    team_size = np.bincount(ros.manager_team, minlength=len(ros.teams))
    own = ros.rep_manager[call_rep]
    team = ros.manager_team[own]
    cover = mgr_order[team_first[team] + rng.integers(0, team_size[team])]
    call_mgr = np.where(rng.random(n_calls) < 0.9, own, cover)
    style = ros.manager_style[call_mgr]
    tenure = ros.rep_tenure[call_rep] + (day - ros.rep_start[call_rep]) / 30.44
    fresh = np.exp(-tenure / 6.0)

    participant = rng.random(n_calls) < np.array([s.participant for s in STYLES])[style]
    probs = np.where(
        participant[:, None],
        np.array([s.as_participant for s in STYLES])[style],
        np.array([s.as_observer for s in STYLES])[style],
    )
    probs[:, 2] *= 1.0 + 0.6 * fresh  # managers take over more from new reps
    cut = np.cumsum(probs, axis=1)
    draw = rng.random(n_calls) * cut[:, 2]
    action = (draw >= cut[:, 0]).astype(np.int64) + (draw >= cut[:, 1])
    p_debrief = np.array([s.debrief for s in STYLES])[style] * np.where(action == 2, 0.9, 1.0)
    debrief = rng.random(n_calls) < p_debrief
    unknown = rng.random(n_calls) < 0.03
    silent = rng.random(n_calls) < np.array([s.silent for s in STYLES])[style]

    f_praise = (
        np.array([s.praise for s in STYLES])[style] * _AIR_PRAISE[action] * (1.0 - 0.35 * fresh)
    ).astype(np.float32)
    f_crit = np.array([s.criticism for s in STYLES])[style] * _AIR_MISTAKE[action]
    f_minor = (f_crit * (1.0 + 1.5 * fresh)).astype(np.float32)
    f_major = (f_crit * (1.0 + 3.5 * fresh)).astype(np.float32)
    if effects == "none":
        boost = np.full(n_calls, _NULL_BOOST, dtype=np.float32)
        learn = np.full(n_calls, _NULL_LEARN, dtype=np.float32)
    else:
        boost = np.where(debrief, _REC_BOOST, _UNREC_BOOST).astype(np.float32)
        learn = _LEARN[action, debrief.astype(np.int64)]
    rides = _RideAlongs(call_mgr, team, participant, action, debrief, unknown)
    return rides, _NoteChances(silent, f_praise, f_minor, f_major, boost, learn)


def _simulate_notes(
    ros: _Roster,
    schedule: _Schedule,
    chances: _NoteChances,
    rng_reps: np.random.Generator,
    rng_sim: np.random.Generator,
) -> tuple[np.ndarray, np.ndarray]:
    """Each rep's propensities, then the calls in order, all reps at once: a praise noted makes
    it likelier next time (memory), a mistake noted less likely by how the manager responded
    (learnt). Returns (call, behaviour) of every note, behaviours indexing PRAISE + MISTAKES."""
    n_reps, n_slot, offset = len(ros.reps), schedule.n_slot, schedule.offset
    n_p, n_m = len(PRAISE), len(MISTAKES)
    base_p = np.array([prob for _, _, prob in PRAISE])
    base_m = np.array([prob for _, _, _, prob in MISTAKES])
    skill = rng_reps.lognormal(0.0, 0.3, (n_reps, 1))
    p0 = (base_p * skill * rng_reps.lognormal(0.0, 0.35, (n_reps, n_p))).astype(np.float32)
    prone = rng_reps.lognormal(0.0, 0.4, (n_reps, 1))
    m0 = (base_m * prone * rng_reps.lognormal(0.0, 0.5, (n_reps, n_m))).astype(np.float32)
    p0, m0 = p0[schedule.slot_rep], m0[schedule.slot_rep]
    major = _MAJOR
    memory = np.zeros((n_reps, n_p), dtype=np.float32)  # praise memory
    learnt = np.ones((n_reps, n_m), dtype=np.float32)  # factor on repeating each mistake
    active = np.searchsorted(-n_slot, -np.arange(int(n_slot[0])), side="left")  # n_slot > t
    note_call: list[np.ndarray] = []
    note_beh: list[np.ndarray] = []
    for step in range(int(n_slot[0])):
        n_active = int(active[step])
        calls_now = offset[:n_active] + step
        mem, lrn = memory[:n_active], learnt[:n_active]
        draws = rng_sim.random((n_active, n_p + n_m), dtype=np.float32)
        p_praise = p0[:n_active] * (1.0 + mem)
        p_praise *= chances.f_praise[calls_now][:, None]
        np.minimum(p_praise, _PRAISE_P_MAX, out=p_praise)
        p_mistake = m0[:n_active] * lrn
        p_mistake *= np.where(
            major, chances.f_major[calls_now][:, None], chances.f_minor[calls_now][:, None]
        )
        noted = np.empty((n_active, n_p + n_m), dtype=bool)
        np.less(draws[:, :n_p], p_praise, out=noted[:, :n_p])
        np.less(draws[:, n_p:], p_mistake, out=noted[:, n_p:])
        noted[chances.silent[calls_now]] = False
        over = np.flatnonzero(noted.sum(axis=1) > MAX_NOTES)
        if over.size:
            keys = np.where(noted[over], rng_sim.random((over.size, n_p + n_m)), 2.0)
            kth = np.partition(keys, MAX_NOTES - 1, axis=1)[:, MAX_NOTES - 1 : MAX_NOTES]
            noted[over] = keys <= kth
        mem *= _BOOST_DECAY
        mem += noted[:, :n_p] * chances.boost[calls_now][:, None]
        np.minimum(mem, _BOOST_MAX, out=mem)
        lrn[:] = 1.0 - (1.0 - lrn) * _RELAPSE
        lrn[:] = np.where(noted[:, n_p:], lrn * chances.learn[calls_now][:, None], lrn)
        np.maximum(lrn, _LEARN_MIN, out=lrn)
        hit_call, hit_beh = np.nonzero(noted)
        note_call.append(calls_now[hit_call].astype(np.int32))
        note_beh.append(hit_beh.astype(np.int8))
    return np.concatenate(note_call), np.concatenate(note_beh)


@dataclass
class _Deals:
    call_deal: np.ndarray  # per call: its deal
    value: np.ndarray  # per deal
    outcome: np.ndarray  # per deal: index into OUTCOMES
    name: pl.Series  # per deal


def _deals(
    n_calls: int,
    ros: _Roster,
    schedule: _Schedule,
    note_call: np.ndarray,
    note_beh: np.ndarray,
    rng: np.random.Generator,
) -> _Deals:
    """Calls grouped into deals (a rep's next call is a new deal 30% of the time, now and then
    back to an earlier one); deal values by segment; outcomes nudged by the notes."""
    offset, n_slot, call_rep, day = (
        schedule.offset,
        schedule.n_slot,
        schedule.call_rep,
        schedule.day,
    )
    n_p, n_m = len(PRAISE), len(MISTAKES)
    new_deal = rng.random(n_calls) < 0.3
    new_deal[offset[n_slot > 0]] = True
    deal_seq = np.cumsum(new_deal) - 1
    first_deal = deal_seq[offset[schedule.call_slot]]
    back = (rng.random(n_calls) < 0.2) & ~new_deal & (deal_seq > first_deal)
    call_deal = deal_seq - back
    n_deals = int(deal_seq[-1]) + 1
    deal_rep = np.zeros(n_deals, dtype=np.int64)
    deal_rep[call_deal] = call_rep
    segment = ros.team_segment[ros.manager_team[ros.rep_manager[deal_rep]]]
    med = np.array([v for v, _ in _SEGMENT_VALUE])[segment]
    sig = np.array([s for _, s in _SEGMENT_VALUE])[segment]
    value = np.maximum(np.round(med * np.exp(sig * rng.standard_normal(n_deals)), -2), 500)
    is_praise = note_beh < n_p
    is_major = ~is_praise & _MAJOR[np.clip(note_beh - n_p, 0, n_m - 1)]
    note_deal = call_deal[note_call]
    praise_n = np.bincount(note_deal, weights=is_praise, minlength=n_deals)
    major_n = np.bincount(note_deal, weights=is_major, minlength=n_deals)
    minor_n = np.bincount(note_deal, weights=~is_praise & ~is_major, minlength=n_deals)
    last_day = np.zeros(n_deals, dtype=np.int64)
    np.maximum.at(last_day, call_deal, day)
    logit = np.array(_SEGMENT_WIN)[segment] + 0.12 * praise_n - 0.15 * minor_n - 0.7 * major_n - 0.1
    won = rng.random(n_deals) < 1.0 / (1.0 + np.exp(-logit))
    still_open = rng.random(n_deals) < np.where(last_day > schedule.n_days - 60, 0.8, 0.04)
    outcome = np.where(still_open, 2, np.where(won, 0, 1))
    names = [f"{c} {k} {d}" for c in _COMPANY for k in _COMPANY_KIND for d in _DEAL_KIND]
    pick = rng.permutation(len(names))
    deal_idx = np.arange(n_deals)
    deal_names = pl.Series(names).gather(pick[deal_idx % len(names)])
    cycle = pl.Series(deal_idx // len(names) + 1)
    deal_name = (
        pl.DataFrame({"name": deal_names, "cycle": cycle})
        .select(
            pl.when(pl.col("cycle") > 1)
            .then(pl.concat_str(pl.col("name"), pl.lit(" #"), pl.col("cycle").cast(pl.String)))
            .otherwise(pl.col("name"))
        )
        .to_series()
    )
    return _Deals(call_deal, value, outcome, deal_name)


@dataclass
class _NoteRows:
    chrono: np.ndarray  # calls in date order (then rep and call)
    rows_per: np.ndarray  # per call, in that order: its rows
    row_beh: np.ndarray  # per row: the behaviour, -1 for the empty row of a call without notes
    variant: np.ndarray  # per row: which spelling of the behaviour (0 = as defined)


def _note_rows(
    n_calls: int,
    schedule: _Schedule,
    note_call: np.ndarray,
    note_beh: np.ndarray,
    rng: np.random.Generator,
) -> _NoteRows:
    """Notes per call, in chronological order of calls.

    A call's notes come out of the simulation as one contiguous run; lay them out in a calls x
    MAX_NOTES grid (-2 = no note, -1 = the single empty row of a call without notes), in a
    random rotation/reflection of their order, add an occasional duplicate, and read the grid
    in chronological order: no sort of the notes is needed."""
    per_call = np.bincount(note_call, minlength=n_calls)
    first = np.flatnonzero(np.concatenate([[True], note_call[1:] != note_call[:-1]]))
    runs = np.diff(np.concatenate([first, [note_call.size]]))
    rank = np.arange(note_call.size) - np.repeat(first, runs)
    count = per_call[note_call]
    rank = (rank + rng.integers(0, 1 << 30, n_calls)[note_call]) % count
    flip = (rng.random(n_calls) < 0.5)[note_call]
    rank = np.where(flip, count - 1 - rank, rank)
    grid = np.full((n_calls, MAX_NOTES), -2, dtype=np.int8)
    grid[note_call, rank] = note_beh
    dup = np.flatnonzero((per_call > 0) & (per_call < MAX_NOTES) & (rng.random(n_calls) < 0.025))
    grid[dup, per_call[dup]] = grid[dup, rng.integers(0, per_call[dup])]
    grid[per_call == 0, 0] = -1
    chrono = np.argsort(schedule.day.astype(np.int16), kind="stable")  # by date, rep, call
    grid = grid[chrono]
    rows_per = (grid != -2).sum(axis=1)
    row_beh = grid.ravel()[grid.ravel() != -2].astype(np.int64)
    variant = np.where(rng.random(row_beh.size) < 0.01, rng.integers(1, 5, row_beh.size), 0)
    return _NoteRows(chrono, rows_per, row_beh, variant)


def _assemble(
    n_calls: int,
    ros: _Roster,
    schedule: _Schedule,
    rides: _RideAlongs,
    deals: _Deals,
    layout: _NoteRows,
) -> pl.DataFrame:
    """One row per note (one empty row for a call without notes), calls in date order."""
    spellings: list[str | None] = []
    for behavior in BEHAVIORS:
        spellings += [
            behavior,
            behavior.lower(),
            f"{behavior} ",
            behavior.replace(" ", "  ", 1),
            behavior.upper(),
        ]
    spellings.append(None)
    vocab = list(BEHAVIORS.values())
    row_beh = layout.row_beh
    kind = np.where(row_beh < 0, len(vocab), row_beh)
    spell = np.where(row_beh < 0, len(spellings) - 1, row_beh * 5 + layout.variant)
    width = max(6, len(str(n_calls)))
    ids = pl.select(
        pl.concat_str(
            pl.lit("OBS-"),
            (pl.int_range(1, n_calls + 1, dtype=pl.Int64) + 10**width).cast(pl.String).str.slice(1),
        )
    ).to_series()

    def rows(values: np.ndarray) -> np.ndarray:
        """A per-call array, one entry per row (calls in chronological order)."""
        return np.repeat(values[layout.chrono], layout.rows_per)

    def label(values: Sequence[str | None], codes: np.ndarray) -> pl.Series:
        return pl.Series(list(values), dtype=pl.String).gather(pl.Series(codes))

    row_deal = rows(deals.call_deal)
    frame = pl.DataFrame(
        {
            "observation_id": ids.gather(pl.Series(np.repeat(np.arange(n_calls), layout.rows_per))),
            "observed_on": pl.Series(
                rows(schedule.day).astype(np.int32) + (START - dt.date(1970, 1, 1)).days
            ).cast(pl.Date),
            "team": label(ros.teams, rows(rides.team)),
            "manager": label(ros.managers, rows(rides.call_mgr)),
            "rep": label(ros.reps, rows(schedule.call_rep)),
            "planned_role": label(PLANNED_ROLES, rows(rides.participant).astype(np.int64)),
            "manager_action": label(ACTIONS, rows(rides.action)),
            "debrief": rows(rides.debrief),
            "behavior": label(spellings, spell),
            "polarity": label([v[0] for v in vocab] + [None], kind),
            "severity": label([v[2] for v in vocab] + [None], kind),
            "category": label([v[1] for v in vocab] + [None], kind),
            "deal": deals.name.gather(pl.Series(row_deal)),
            "deal_value": deals.value[row_deal].astype(np.float64),
            "outcome": label(OUTCOMES, deals.outcome[row_deal]),
            "_unknown": rows(rides.unknown),
        }
    )
    return frame.with_columns(
        debrief=pl.when(pl.col("_unknown")).then(None).otherwise(pl.col("debrief"))
    ).drop("_unknown")


def write(df: pl.DataFrame, path: str | Path) -> None:
    """Write `df` as CSV (.csv: header, ISO dates, yes/no, empty = unknown) or Parquet."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix == ".csv":
        flags = [c for c, t in df.schema.items() if t == pl.Boolean]
        df.with_columns(
            pl.when(pl.col(c)).then(pl.lit("yes")).when(~pl.col(c)).then(pl.lit("no")).alias(c)
            for c in flags
        ).write_csv(path, date_format="%Y-%m-%d", null_value="")
    elif suffix == ".parquet":
        df.write_parquet(path)
    else:
        raise ValueError(f"cannot write {path.name!r}: the file name must end in .csv or .parquet")
