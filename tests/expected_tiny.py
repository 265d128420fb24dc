"""Hand-computed expected metrics for tests/data/tiny.csv and tests/data/tiny_no_id.csv.

Every number below was worked out by hand from the fixture tables in this docstring and the
comments, NOT by running any code. tests/test_reference.py asserts that the pure-Python reference
(tests/reference.py) reproduces them; other tests can assert the real implementation against the
same dicts with `assert_matches_expected(actual, expected)`.

The dicts hold the core contract only; intervals (`*_ci` keys) are not pinned here.

============================================================================================
tiny.csv: 14 calls, 25 rows, 23 notes; reps Ana, Ben, Cleo; managers Maria, Tom
============================================================================================
Behaviours (key = trimmed, lower-cased, inner spaces collapsed), polarity + praise, - criticism:
    AGQ = "asked good questions"   spelled "Asked good questions", "asked good questions",
                                   "asked  good questions" (two inner spaces, on C9)
    TOC = "talked over customer"   spelled "Talked over customer", "talked over customer" (C10)
    CNS = "clear next steps"
    HPO = "handled pricing objection"  praise on C2, C11; criticism on C5, C7
    SA  = "skipped agenda"         spelled " Skipped agenda" on C4 (leading space), else
                                   "Skipped agenda"
    BR  = "built rapport"

call date        manager rep  team   action    debrief  notes
C1   2026-02-02  Maria   Ana  North  observed  yes      AGQ+ TOC- CNS+
C2   2026-02-03  Tom     Ben  South  observed  no       HPO+ SA-  CNS+
C3   2026-02-04  Maria   Cleo North  observed  unknown  AGQ+ TOC-
C4   2026-02-16  Tom     Ana  North  assisted  no       SA-  BR+
C5   2026-02-17  Tom     Ben  South  took_over yes      HPO-
C6   2026-02-25  Maria   Cleo (none) observed  no       (no notes)
C7   2026-03-03  Maria   Ben  South  assisted  no       SA-  HPO-
C8   2026-03-04  Tom     Cleo North  observed  yes      (no notes)
C9   2026-03-09  Maria   Ana  North  observed  no       AGQ+
C10  2026-03-09  Maria   Ana  North  took_over unknown  TOC-
C11  2026-04-07  Tom     Ben  South  observed  unknown  HPO+
C12  2026-04-06  Tom     Ana  North  observed  yes      AGQ+ AGQ+ (noted twice) TOC-
C13  2026-04-20  Maria   Ana  North  observed  no       SA-  TOC- BR+
C14  2026-04-08  Maria   Cleo North  observed  yes      AGQ+

Notes per call: C1 3, C2 3, C3 2, C4 2, C5 1, C6 0, C7 2, C8 0, C9 1, C10 1, C11 1, C12 3,
C13 3, C14 1.

Each rep's calls in order (date, then observation_id as TEXT):
    Ana : C1 (02-02), C4 (02-16), C10 (03-09), C9 (03-09), C12 (04-06), C13 (04-20)
          -- C10 and C9 are on the same day; "C10" < "C9" as text, so C10 comes first.
          (The file lists C9 before C10, so file order would be wrong too.)
    Ben : C2 (02-03), C5 (02-17), C7 (03-03), C11 (04-07)
    Cleo: C3 (02-04), C6 (02-25), C8 (03-04), C14 (04-08)
Later calls: Ana C1 5, C4 4, C10 3, C9 2, C12 1, C13 0; Ben C2 3, C5 2, C7 1, C11 0;
             Cleo C3 3, C6 2, C8 1, C14 0.

Events (distinct call, key, polarity): C12's two AGQ+ notes are ONE event. 22 events in all:
    praise    C1 AGQ, C1 CNS, C2 HPO, C2 CNS, C3 AGQ, C4 BR, C9 AGQ, C11 HPO, C12 AGQ,
              C13 BR, C14 AGQ                                                    (11 events)
    criticism C1 TOC, C2 SA, C3 TOC, C4 SA, C5 HPO, C7 SA, C7 HPO, C10 TOC, C12 TOC, C13 SA,
              C13 TOC                                                            (11 events)
(12 praise notes = 11 praise events + C12's second AGQ note.)

--- Window K = 3: eligible = at least 3 later calls: Ana C1 C4 C10; Ben C2; Cleo C3 ---
    praise:
      P1 C1 AGQ  recognized (yes)   next3 C4 C10 C9 -> AGQ+ on C9           recurred
      P2 C1 CNS  recognized (yes)   next3 C4 C10 C9 -> no CNS               not
      P3 C2 HPO  unrecognized (no)  next3 C5 C7 C11 -> HPO+ on C11 (C5's HPO is criticism)
                                                                             recurred
      P4 C2 CNS  unrecognized (no)  next3 C5 C7 C11 -> no CNS               not
      P5 C3 AGQ  unknown debrief    next3 C6 C8 C14 -> AGQ+ on C14          (in neither bucket)
      P6 C4 BR   unrecognized (no)  next3 C10 C9 C12 -> no BR (C13 is the 4th) not
    criticism:
      M1 C1 TOC  observed_debriefed next3 C4 C10 C9 -> TOC- on C10          repeated
      M2 C2 SA   observed_only (no) next3 C5 C7 C11 -> SA- on C7            repeated
      M3 C3 TOC  observed_only (unk) next3 C6 C8 C14 -> no TOC              not
      M4 C4 SA   assisted           next3 C10 C9 C12 -> no SA (C13 is 4th)  not
      M5 C10 TOC took_over          next3 C9 C12 C13 -> TOC- on C12         repeated
    not eligible: C9 AGQ, C12 AGQ, C13 BR, C11 HPO, C14 AGQ, C5 HPO, C7 SA, C7 HPO,
                  C12 TOC, C13 SA, C13 TOC

--- Window K = 1: eligible = at least 1 later call: every call but Ana's C13, Ben's C11,
    Cleo's C14 ---
    praise:
      C1 AGQ  recognized    next C4 (SA- BR+)        not
      C1 CNS  recognized    next C4                  not
      C4 BR   unrecognized  next C10 (TOC-)          not
      C9 AGQ  unrecognized  next C12 (AGQ+)          recurred
      C12 AGQ recognized    next C13 (SA- TOC- BR+)  not
      C2 HPO  unrecognized  next C5 (HPO- only)      not (polarity differs)
      C2 CNS  unrecognized  next C5                  not
      C3 AGQ  unknown       next C6 (no notes)       (in neither)
    criticism:
      C1 TOC  observed_debriefed  next C4             not
      C4 SA   assisted            next C10            not
      C10 TOC took_over           next C9 (AGQ+)      not  (numeric order C9, C10 would make
                                                            C10's next C12 -> repeated)
      C12 TOC observed_debriefed  next C13 (TOC-)     repeated
      C2 SA   observed_only       next C5             not
      C5 HPO  took_over           next C7 (HPO-)      repeated
      C7 SA   assisted            next C11 (HPO+)     not
      C7 HPO  assisted            next C11 (HPO+)     not (polarity differs)
      C3 TOC  observed_only (unk) next C6             not
    not eligible: C13 (SA, TOC, BR), C11 HPO, C14 AGQ

============================================================================================
tiny_no_id.csv: 8 calls, 12 rows, 11 notes; no observation_id column; reps Dan, Eve
============================================================================================
    SN = "summarised needs" (+), RD = "rushed demo" (-; "Rushed  demo" on E3 has two spaces)

call date        manager rep team action    debrief  notes
D1   2026-05-04  Maria   Dan West observed  yes      SN+ RD-
D2   2026-05-11  Maria   Dan West observed  no       SN+ ("summarised needs")
D3   2026-05-11  Tom     Dan West took_over unknown  RD-
D4   2026-05-18  Tom     Dan West observed  yes      SN+
D5   2026-05-25  Maria   Dan West assisted  no       RD- RD- (noted twice) SN+
E1   2026-05-05  Tom     Eve East observed  no       RD- SN+
E2   2026-05-12  Tom     Eve East observed  unknown  (no notes)
E3   2026-05-19  Maria   Eve East observed  yes      RD- ("Rushed  demo")

Dan's order: D1, then the two 2026-05-11 calls by manager: Maria (D2) before Tom (D3) -- the
file lists Tom's row first -- then D4, D5. Eve: E1, E2, E3.
Notes per call: D1 2, D2 1, D3 1, D4 1, D5 3, E1 2, E2 0, E3 1 = 11.
"""

from __future__ import annotations

import math
from pathlib import Path

DATA = Path(__file__).parent / "data"
TINY_CSV = DATA / "tiny.csv"
TINY_NO_ID_CSV = DATA / "tiny_no_id.csv"


def _recur(eligible: int, recurred: int, rate: float | None) -> dict:
    return {"eligible": eligible, "recurred": recurred, "rate": rate}


def _repeat(eligible: int, repeated: int, rate: float | None) -> dict:
    return {"eligible": eligible, "repeated": repeated, "rate": rate}


NONE_RECUR = _recur(0, 0, None)
NONE_REPEAT = _repeat(0, 0, None)


def _metrics(
    *,
    calls: int,
    notes: int,
    praise: int,
    criticism: int,
    praise_to_criticism: float | None,
    observed: int,
    assisted: int,
    took_over: int,
    intervention_rate: float | None,
    debrief_rate: float | None,
    window: int,
    recognized: dict,
    unrecognized: dict,
    lift: float | None,
    mistake_took_over: dict,
    mistake_assisted: dict,
    mistake_observed_debriefed: dict,
    mistake_observed_only: dict,
) -> dict:
    """The contract's object, spelled out from keyword arguments (no computation)."""
    return {
        "calls": calls,
        "notes": notes,
        "praise": praise,
        "criticism": criticism,
        "praise_to_criticism": praise_to_criticism,
        "actions": {"observed": observed, "assisted": assisted, "took_over": took_over},
        "intervention_rate": intervention_rate,
        "debrief_rate": debrief_rate,
        "recurrence": {
            "window": window,
            "recognized": recognized,
            "unrecognized": unrecognized,
            "lift": lift,
        },
        "mistake_repeat": {
            "took_over": mistake_took_over,
            "assisted": mistake_assisted,
            "observed_debriefed": mistake_observed_debriefed,
            "observed_only": mistake_observed_only,
        },
    }


def _with_events(
    base: dict,
    *,
    window: int,
    recognized: dict,
    unrecognized: dict,
    lift: float | None,
    mistake_took_over: dict,
    mistake_assisted: dict,
    mistake_observed_debriefed: dict,
    mistake_observed_only: dict,
) -> dict:
    """`base` (a window-3 object) with its call/note counts kept and its event parts replaced."""
    out = dict(base)
    out["recurrence"] = {
        "window": window,
        "recognized": recognized,
        "unrecognized": unrecognized,
        "lift": lift,
    }
    out["mistake_repeat"] = {
        "took_over": mistake_took_over,
        "assisted": mistake_assisted,
        "observed_debriefed": mistake_observed_debriefed,
        "observed_only": mistake_observed_only,
    }
    return out


# ============================================================================================
# tiny.csv, everything, window 3
# ============================================================================================

TINY_EXPECTED_W3 = _metrics(
    calls=14,  # C1..C14
    notes=23,  # 3+3+2+2+1+0+2+0+1+1+1+3+3+1 (C1..C14)
    # praise notes: C1 2 (AGQ, CNS) + C2 2 (HPO, CNS) + C3 1 + C4 1 + C9 1 + C11 1
    #               + C12 2 (AGQ twice) + C13 1 (BR) + C14 1 = 12
    praise=12,
    # criticism notes: C1 1 + C2 1 + C3 1 + C4 1 + C5 1 + C7 2 + C10 1 + C12 1 + C13 2 = 11
    criticism=11,
    praise_to_criticism=12 / 11,
    observed=10,  # C1 C2 C3 C6 C8 C9 C11 C12 C13 C14
    assisted=2,  # C4 C7
    took_over=2,  # C5 C10
    intervention_rate=2 / 14,  # took_over 2 / calls 14 = 1/7
    # debrief yes: C1 C5 C8 C12 C14 = 5; no: C2 C4 C6 C7 C9 C13 = 6; unknown C3 C10 C11
    debrief_rate=5 / 11,
    window=3,
    recognized=_recur(2, 1, 1 / 2),  # P1 (recurred), P2 (not)
    unrecognized=_recur(3, 1, 1 / 3),  # P3 (recurred), P4, P6 (not); P5 unknown -> neither
    lift=1.5,  # (1/2) / (1/3)
    mistake_took_over=_repeat(1, 1, 1.0),  # M5 C10 TOC, repeated on C12
    mistake_assisted=_repeat(1, 0, 0.0),  # M4 C4 SA, SA again only on C13 (4th later call)
    mistake_observed_debriefed=_repeat(1, 1, 1.0),  # M1 C1 TOC, repeated on C10
    mistake_observed_only=_repeat(2, 1, 1 / 2),  # M2 C2 SA (repeated on C7), M3 C3 TOC (not)
)

# ============================================================================================
# tiny.csv, everything, window 1 (call and note counts as for window 3)
# ============================================================================================

TINY_EXPECTED_W1 = _metrics(
    calls=14,
    notes=23,
    praise=12,
    criticism=11,
    praise_to_criticism=12 / 11,
    observed=10,
    assisted=2,
    took_over=2,
    intervention_rate=2 / 14,
    debrief_rate=5 / 11,
    window=1,
    recognized=_recur(3, 0, 0.0),  # C1 AGQ, C1 CNS, C12 AGQ: none recurred on the next call
    unrecognized=_recur(4, 1, 1 / 4),  # C4 BR, C9 AGQ (recurred on C12), C2 HPO, C2 CNS
    lift=0.0,  # 0.0 / (1/4): the unrecognized rate is not 0, so lift is 0.0, not null
    mistake_took_over=_repeat(2, 1, 1 / 2),  # C10 TOC (next C9: not), C5 HPO (next C7: yes)
    mistake_assisted=_repeat(3, 0, 0.0),  # C4 SA, C7 SA, C7 HPO (C11 has HPO as praise)
    mistake_observed_debriefed=_repeat(2, 1, 1 / 2),  # C1 TOC (not), C12 TOC (C13: yes)
    mistake_observed_only=_repeat(2, 0, 0.0),  # C2 SA (next C5), C3 TOC (next C6)
)

# ============================================================================================
# tiny.csv grouped (--by), window 3. Event names P1..P6, M1..M5 are the eligible window-3
# events listed in the module docstring; a group gets the events on its calls.
# ============================================================================================

_MANAGER = {
    # Maria: C1 C3 C6 C7 C9 C10 C13 C14
    "Maria": _metrics(
        calls=8,
        notes=13,  # C1 3 + C3 2 + C6 0 + C7 2 + C9 1 + C10 1 + C13 3 + C14 1
        praise=6,  # C1 2 + C3 1 + C9 1 + C13 1 + C14 1
        criticism=7,  # C1 1 + C3 1 + C7 2 + C10 1 + C13 2
        praise_to_criticism=6 / 7,
        observed=6,  # C1 C3 C6 C9 C13 C14
        assisted=1,  # C7
        took_over=1,  # C10
        intervention_rate=1 / 8,
        debrief_rate=2 / 6,  # yes C1 C14; no C6 C7 C9 C13; unknown C3 C10
        window=3,
        recognized=_recur(2, 1, 1 / 2),  # P1 (recurred on C9, a Maria call), P2
        unrecognized=NONE_RECUR,  # Maria's eligible praise: P1 P2 (yes), P5 (unknown) only
        lift=None,
        mistake_took_over=_repeat(1, 1, 1.0),  # M5
        mistake_assisted=NONE_REPEAT,  # C7's events are not eligible (Ben has 1 later call)
        mistake_observed_debriefed=_repeat(1, 1, 1.0),  # M1
        mistake_observed_only=_repeat(1, 0, 0.0),  # M3
    ),
    # Tom: C2 C4 C5 C8 C11 C12
    "Tom": _metrics(
        calls=6,
        notes=10,  # C2 3 + C4 2 + C5 1 + C8 0 + C11 1 + C12 3
        praise=6,  # C2 2 + C4 1 + C11 1 + C12 2
        criticism=4,  # C2 1 + C4 1 + C5 1 + C12 1
        praise_to_criticism=6 / 4,
        observed=4,  # C2 C8 C11 C12
        assisted=1,  # C4
        took_over=1,  # C5
        intervention_rate=1 / 6,
        debrief_rate=3 / 5,  # yes C5 C8 C12; no C2 C4; unknown C11
        window=3,
        recognized=NONE_RECUR,
        # P3 (recurred on C11), P4, P6. P6 (C4, Ana) is eligible only because the look-ahead
        # uses Ana's whole history: among Tom's calls Ana has just C4 and C12.
        unrecognized=_recur(3, 1, 1 / 3),
        lift=None,  # recognized rate is null
        mistake_took_over=NONE_REPEAT,  # C5 HPO is not eligible
        mistake_assisted=_repeat(1, 0, 0.0),  # M4
        mistake_observed_debriefed=NONE_REPEAT,  # C12 TOC not eligible
        mistake_observed_only=_repeat(1, 1, 1.0),  # M2 (repeated on C7, a Maria call)
    ),
}

_ANA = _metrics(
    # Ana: C1 C4 C10 C9 C12 C13
    calls=6,
    notes=13,  # C1 3 + C4 2 + C10 1 + C9 1 + C12 3 + C13 3
    praise=7,  # C1 2 + C4 1 + C9 1 + C12 2 + C13 1
    criticism=6,  # C1 1 + C4 1 + C10 1 + C12 1 + C13 2
    praise_to_criticism=7 / 6,
    observed=4,  # C1 C9 C12 C13
    assisted=1,  # C4
    took_over=1,  # C10
    intervention_rate=1 / 6,
    debrief_rate=2 / 5,  # yes C1 C12; no C4 C9 C13; unknown C10
    window=3,
    recognized=_recur(2, 1, 1 / 2),  # P1, P2
    unrecognized=_recur(1, 0, 0.0),  # P6
    lift=None,  # unrecognized rate is 0
    mistake_took_over=_repeat(1, 1, 1.0),  # M5
    mistake_assisted=_repeat(1, 0, 0.0),  # M4
    mistake_observed_debriefed=_repeat(1, 1, 1.0),  # M1
    mistake_observed_only=NONE_REPEAT,
)

_BEN = _metrics(
    # Ben: C2 C5 C7 C11
    calls=4,
    notes=7,  # C2 3 + C5 1 + C7 2 + C11 1
    praise=3,  # C2 2 (HPO, CNS) + C11 1
    criticism=4,  # C2 1 + C5 1 + C7 2
    praise_to_criticism=3 / 4,
    observed=2,  # C2 C11
    assisted=1,  # C7
    took_over=1,  # C5
    intervention_rate=1 / 4,
    debrief_rate=1 / 3,  # yes C5; no C2 C7; unknown C11
    window=3,
    recognized=NONE_RECUR,
    unrecognized=_recur(2, 1, 1 / 2),  # P3 (recurred), P4
    lift=None,
    mistake_took_over=NONE_REPEAT,
    mistake_assisted=NONE_REPEAT,
    mistake_observed_debriefed=NONE_REPEAT,
    mistake_observed_only=_repeat(1, 1, 1.0),  # M2
)

_CLEO = _metrics(
    # Cleo: C3 C6 C8 C14
    calls=4,
    notes=3,  # C3 2 + C6 0 + C8 0 + C14 1
    praise=2,  # C3 AGQ + C14 AGQ
    criticism=1,  # C3 TOC
    praise_to_criticism=2.0,
    observed=4,
    assisted=0,
    took_over=0,
    intervention_rate=0.0,  # 0 / 4
    debrief_rate=2 / 3,  # yes C8 C14; no C6; unknown C3
    window=3,
    recognized=NONE_RECUR,  # P5 has unknown debrief: in neither
    unrecognized=NONE_RECUR,
    lift=None,
    mistake_took_over=NONE_REPEAT,
    mistake_assisted=NONE_REPEAT,
    mistake_observed_debriefed=NONE_REPEAT,
    mistake_observed_only=_repeat(1, 0, 0.0),  # M3
)

_REP = {"Ana": _ANA, "Ben": _BEN, "Cleo": _CLEO}

_TEAM = {
    # North: all of Ana (C1 C4 C9 C10 C12 C13) + Cleo's C3 C8 C14
    "North": _metrics(
        calls=9,
        notes=16,  # Ana 13 + C3 2 + C8 0 + C14 1
        praise=9,  # Ana 7 + C3 1 + C14 1
        criticism=7,  # Ana 6 + C3 1
        praise_to_criticism=9 / 7,
        observed=7,  # Ana's C1 C9 C12 C13 + C3 C8 C14
        assisted=1,  # C4
        took_over=1,  # C10
        intervention_rate=1 / 9,
        debrief_rate=4 / 7,  # yes C1 C12 C8 C14; no C4 C9 C13; unknown C10 C3
        window=3,
        recognized=_recur(2, 1, 1 / 2),  # P1, P2
        unrecognized=_recur(1, 0, 0.0),  # P6 (P5 unknown)
        lift=None,  # unrecognized rate 0
        mistake_took_over=_repeat(1, 1, 1.0),  # M5
        mistake_assisted=_repeat(1, 0, 0.0),  # M4
        mistake_observed_debriefed=_repeat(1, 1, 1.0),  # M1
        mistake_observed_only=_repeat(1, 0, 0.0),  # M3
    ),
    # South: Ben's four calls, so the same as Ben
    "South": _BEN,
    # "": C6 alone (Cleo, Maria, observed, debrief no, no notes)
    "": _metrics(
        calls=1,
        notes=0,
        praise=0,
        criticism=0,
        praise_to_criticism=None,  # criticism 0
        observed=1,
        assisted=0,
        took_over=0,
        intervention_rate=0.0,  # 0 / 1
        debrief_rate=0.0,  # 0 yes / 1 known
        window=3,
        recognized=NONE_RECUR,
        unrecognized=NONE_RECUR,
        lift=None,
        mistake_took_over=NONE_REPEAT,
        mistake_assisted=NONE_REPEAT,
        mistake_observed_debriefed=NONE_REPEAT,
        mistake_observed_only=NONE_REPEAT,
    ),
}

_FEB = _metrics(
    # 2026-02: C1 C2 C3 C4 C5 C6
    calls=6,
    notes=11,  # 3 + 3 + 2 + 2 + 1 + 0
    praise=6,  # C1 2 + C2 2 + C3 1 + C4 1
    criticism=5,  # C1 C2 C3 C4 C5, one each
    praise_to_criticism=6 / 5,
    observed=4,  # C1 C2 C3 C6
    assisted=1,  # C4
    took_over=1,  # C5
    intervention_rate=1 / 6,
    debrief_rate=2 / 5,  # yes C1 C5; no C2 C4 C6; unknown C3
    window=3,
    # P1 recurs on C9 and P3 on C11: both outside February, still counted
    recognized=_recur(2, 1, 1 / 2),  # P1, P2
    unrecognized=_recur(3, 1, 1 / 3),  # P3, P4, P6
    lift=1.5,  # (1/2) / (1/3)
    mistake_took_over=NONE_REPEAT,  # C5 HPO not eligible
    mistake_assisted=_repeat(1, 0, 0.0),  # M4
    mistake_observed_debriefed=_repeat(1, 1, 1.0),  # M1 (repeated on C10, in March)
    mistake_observed_only=_repeat(2, 1, 1 / 2),  # M2 (repeated), M3 (not)
)

_MAR = _metrics(
    # 2026-03: C7 C8 C9 C10
    calls=4,
    notes=4,  # C7 2 + C8 0 + C9 1 + C10 1
    praise=1,  # C9 AGQ
    criticism=3,  # C7 2 + C10 1
    praise_to_criticism=1 / 3,
    observed=2,  # C8 C9
    assisted=1,  # C7
    took_over=1,  # C10
    intervention_rate=1 / 4,
    debrief_rate=1 / 3,  # yes C8; no C7 C9; unknown C10
    window=3,
    recognized=NONE_RECUR,  # C9 AGQ not eligible (Ana has 2 later calls)
    unrecognized=NONE_RECUR,
    lift=None,
    mistake_took_over=_repeat(1, 1, 1.0),  # M5 (repeated on C12, in April)
    mistake_assisted=NONE_REPEAT,  # C7 not eligible
    mistake_observed_debriefed=NONE_REPEAT,
    mistake_observed_only=NONE_REPEAT,
)

_APR = _metrics(
    # 2026-04: C11 C12 C13 C14
    calls=4,
    notes=8,  # C11 1 + C12 3 + C13 3 + C14 1
    praise=5,  # C11 1 + C12 2 + C13 1 + C14 1
    criticism=3,  # C12 1 + C13 2
    praise_to_criticism=5 / 3,
    observed=4,
    assisted=0,
    took_over=0,
    intervention_rate=0.0,
    debrief_rate=2 / 3,  # yes C12 C14; no C13; unknown C11
    window=3,
    recognized=NONE_RECUR,  # nothing in April has 3 later calls
    unrecognized=NONE_RECUR,
    lift=None,
    mistake_took_over=NONE_REPEAT,
    mistake_assisted=NONE_REPEAT,
    mistake_observed_debriefed=NONE_REPEAT,
    mistake_observed_only=NONE_REPEAT,
)

_MONTH = {"2026-02": _FEB, "2026-03": _MAR, "2026-04": _APR}

_QUARTER = {
    # 2026-Q1 = February + March: C1..C10
    "2026-Q1": _metrics(
        calls=10,  # 6 + 4
        notes=15,  # 11 + 4
        praise=7,  # 6 + 1
        criticism=8,  # 5 + 3
        praise_to_criticism=7 / 8,
        observed=6,  # 4 + 2
        assisted=2,  # C4 C7
        took_over=2,  # C5 C10
        intervention_rate=2 / 10,
        debrief_rate=3 / 8,  # yes C1 C5 C8; no C2 C4 C6 C7 C9; unknown C3 C10
        window=3,
        recognized=_recur(2, 1, 1 / 2),  # P1, P2
        unrecognized=_recur(3, 1, 1 / 3),  # P3, P4, P6
        lift=1.5,
        mistake_took_over=_repeat(1, 1, 1.0),  # M5
        mistake_assisted=_repeat(1, 0, 0.0),  # M4
        mistake_observed_debriefed=_repeat(1, 1, 1.0),  # M1
        mistake_observed_only=_repeat(2, 1, 1 / 2),  # M2, M3
    ),
    # 2026-Q2 = April only
    "2026-Q2": _APR,
}

_BEHAVIOR = {
    # AGQ notes: C1, C3 ("asked good questions"), C9 ("asked  good questions"), C12 x2, C14.
    # Spellings: "Asked good questions" 4 (C1, C12 twice, C14), the other two 1 each.
    "Asked good questions": _metrics(
        calls=5,  # C1 C3 C9 C12 C14
        notes=6,
        praise=6,
        criticism=0,
        praise_to_criticism=None,  # criticism 0
        observed=5,
        assisted=0,
        took_over=0,
        intervention_rate=0.0,
        debrief_rate=3 / 4,  # yes C1 C12 C14; no C9; unknown C3
        window=3,
        recognized=_recur(1, 1, 1.0),  # P1 (C1's AGQ on C9, the 3rd later call)
        unrecognized=NONE_RECUR,  # C9 AGQ not eligible; P5 unknown
        lift=None,
        mistake_took_over=NONE_REPEAT,
        mistake_assisted=NONE_REPEAT,
        mistake_observed_debriefed=NONE_REPEAT,
        mistake_observed_only=NONE_REPEAT,
    ),
    # TOC notes: C1, C3, C10 ("talked over customer"), C12, C13; "Talked over customer" 4 : 1
    "Talked over customer": _metrics(
        calls=5,  # C1 C3 C10 C12 C13
        notes=5,
        praise=0,
        criticism=5,
        praise_to_criticism=0.0,  # 0 / 5
        observed=4,  # C1 C3 C12 C13
        assisted=0,
        took_over=1,  # C10
        intervention_rate=1 / 5,
        debrief_rate=2 / 3,  # yes C1 C12; no C13; unknown C3 C10
        window=3,
        recognized=NONE_RECUR,
        unrecognized=NONE_RECUR,
        lift=None,
        mistake_took_over=_repeat(1, 1, 1.0),  # M5
        mistake_assisted=NONE_REPEAT,
        mistake_observed_debriefed=_repeat(1, 1, 1.0),  # M1
        mistake_observed_only=_repeat(1, 0, 0.0),  # M3
    ),
    # CNS notes: C1, C2
    "Clear next steps": _metrics(
        calls=2,
        notes=2,
        praise=2,
        criticism=0,
        praise_to_criticism=None,
        observed=2,
        assisted=0,
        took_over=0,
        intervention_rate=0.0,
        debrief_rate=1 / 2,  # yes C1; no C2
        window=3,
        recognized=_recur(1, 0, 0.0),  # P2
        unrecognized=_recur(1, 0, 0.0),  # P4
        lift=None,  # unrecognized rate 0
        mistake_took_over=NONE_REPEAT,
        mistake_assisted=NONE_REPEAT,
        mistake_observed_debriefed=NONE_REPEAT,
        mistake_observed_only=NONE_REPEAT,
    ),
    # HPO: praise on C2, C11 ("Handled pricing objection"), criticism on C5, C7 ("handled
    # pricing objection"): one group; spellings tie 2 : 2, "H" (U+0048) < "h" (U+0068).
    "Handled pricing objection": _metrics(
        calls=4,  # C2 C5 C7 C11
        notes=4,
        praise=2,  # C2 C11
        criticism=2,  # C5 C7
        praise_to_criticism=1.0,
        observed=2,  # C2 C11
        assisted=1,  # C7
        took_over=1,  # C5
        intervention_rate=1 / 4,
        debrief_rate=1 / 3,  # yes C5; no C2 C7; unknown C11
        window=3,
        recognized=NONE_RECUR,
        unrecognized=_recur(1, 1, 1.0),  # P3 (C2's praise recurs on C11, not on C5)
        lift=None,
        mistake_took_over=NONE_REPEAT,  # C5 not eligible
        mistake_assisted=NONE_REPEAT,  # C7 not eligible
        mistake_observed_debriefed=NONE_REPEAT,
        mistake_observed_only=NONE_REPEAT,
    ),
    # SA notes: C2, C4 (" Skipped agenda", trimmed to "Skipped agenda"), C7, C13
    "Skipped agenda": _metrics(
        calls=4,  # C2 C4 C7 C13
        notes=4,
        praise=0,
        criticism=4,
        praise_to_criticism=0.0,
        observed=2,  # C2 C13
        assisted=2,  # C4 C7
        took_over=0,
        intervention_rate=0.0,
        debrief_rate=0.0,  # all four are debrief no: 0 / 4
        window=3,
        recognized=NONE_RECUR,
        unrecognized=NONE_RECUR,
        lift=None,
        mistake_took_over=NONE_REPEAT,
        mistake_assisted=_repeat(1, 0, 0.0),  # M4
        mistake_observed_debriefed=NONE_REPEAT,
        mistake_observed_only=_repeat(1, 1, 1.0),  # M2
    ),
    # BR notes: C4, C13
    "Built rapport": _metrics(
        calls=2,  # C4 C13
        notes=2,
        praise=2,
        criticism=0,
        praise_to_criticism=None,
        observed=1,  # C13
        assisted=1,  # C4
        took_over=0,
        intervention_rate=0.0,
        debrief_rate=0.0,  # no, no
        window=3,
        recognized=NONE_RECUR,
        unrecognized=_recur(1, 0, 0.0),  # P6 (BR again only on C13, the 4th later call)
        lift=None,
        mistake_took_over=NONE_REPEAT,
        mistake_assisted=NONE_REPEAT,
        mistake_observed_debriefed=NONE_REPEAT,
        mistake_observed_only=NONE_REPEAT,
    ),
}

TINY_BY_EXPECTED = {
    "manager": {"by": "manager", "groups": _MANAGER},
    "rep": {"by": "rep", "groups": _REP},
    "team": {"by": "team", "groups": _TEAM},
    "month": {"by": "month", "groups": _MONTH},
    "quarter": {"by": "quarter", "groups": _QUARTER},
    "behavior": {"by": "behavior", "groups": _BEHAVIOR},
}

# ============================================================================================
# tiny.csv --by behavior, window 1 (calls and notes as for window 3). Uses the window-1 event
# list in the module docstring. The look-ahead is the rep's whole history: C12's AGQ is
# eligible because Ana has C13 after it, although C13 carries no AGQ.
# ============================================================================================

TINY_BY_EXPECTED_W1 = {
    "behavior": {
        "by": "behavior",
        "groups": {
            "Asked good questions": _with_events(
                _BEHAVIOR["Asked good questions"],
                window=1,
                recognized=_recur(2, 0, 0.0),  # C1 AGQ (next C4), C12 AGQ (next C13)
                unrecognized=_recur(1, 1, 1.0),  # C9 AGQ (next C12: AGQ+)
                lift=0.0,  # 0.0 / 1.0
                mistake_took_over=NONE_REPEAT,
                mistake_assisted=NONE_REPEAT,
                mistake_observed_debriefed=NONE_REPEAT,
                mistake_observed_only=NONE_REPEAT,
            ),
            "Talked over customer": _with_events(
                _BEHAVIOR["Talked over customer"],
                window=1,
                recognized=NONE_RECUR,
                unrecognized=NONE_RECUR,
                lift=None,
                mistake_took_over=_repeat(1, 0, 0.0),  # C10 (next C9)
                mistake_assisted=NONE_REPEAT,
                mistake_observed_debriefed=_repeat(2, 1, 1 / 2),  # C1 (not), C12 (C13: yes)
                mistake_observed_only=_repeat(1, 0, 0.0),  # C3 (next C6)
            ),
            "Clear next steps": _with_events(
                _BEHAVIOR["Clear next steps"],
                window=1,
                recognized=_recur(1, 0, 0.0),  # C1
                unrecognized=_recur(1, 0, 0.0),  # C2
                lift=None,
                mistake_took_over=NONE_REPEAT,
                mistake_assisted=NONE_REPEAT,
                mistake_observed_debriefed=NONE_REPEAT,
                mistake_observed_only=NONE_REPEAT,
            ),
            "Handled pricing objection": _with_events(
                _BEHAVIOR["Handled pricing objection"],
                window=1,
                recognized=NONE_RECUR,
                unrecognized=_recur(1, 0, 0.0),  # C2 praise; next C5 has HPO as criticism
                lift=None,
                mistake_took_over=_repeat(1, 1, 1.0),  # C5 (next C7: HPO-)
                mistake_assisted=_repeat(1, 0, 0.0),  # C7 (next C11: HPO+ only)
                mistake_observed_debriefed=NONE_REPEAT,
                mistake_observed_only=NONE_REPEAT,
            ),
            "Skipped agenda": _with_events(
                _BEHAVIOR["Skipped agenda"],
                window=1,
                recognized=NONE_RECUR,
                unrecognized=NONE_RECUR,
                lift=None,
                mistake_took_over=NONE_REPEAT,
                mistake_assisted=_repeat(2, 0, 0.0),  # C4 (next C10), C7 (next C11)
                mistake_observed_debriefed=NONE_REPEAT,
                mistake_observed_only=_repeat(1, 0, 0.0),  # C2 (next C5); C13 is Ana's last
            ),
            "Built rapport": _with_events(
                _BEHAVIOR["Built rapport"],
                window=1,
                recognized=NONE_RECUR,
                unrecognized=_recur(1, 0, 0.0),  # C4 (next C10); C13 is Ana's last call
                lift=None,
                mistake_took_over=NONE_REPEAT,
                mistake_assisted=NONE_REPEAT,
                mistake_observed_debriefed=NONE_REPEAT,
                mistake_observed_only=NONE_REPEAT,
            ),
        },
    }
}

# ============================================================================================
# tiny_no_id.csv, everything, windows 1 and 2. Dan's order: D1, D2 (Maria), D3 (Tom), D4, D5.
# ============================================================================================

_NO_ID_COUNTS = {
    "calls": 8,  # D1..D5, E1..E3
    "notes": 11,  # D1 2 + D2 1 + D3 1 + D4 1 + D5 3 + E1 2 + E2 0 + E3 1
    "praise": 5,  # SN on D1 D2 D4 D5 E1
    "criticism": 6,  # RD on D1 D3 D5 (twice) E1 E3
    "praise_to_criticism": 5 / 6,
    "observed": 6,  # D1 D2 D4 E1 E2 E3
    "assisted": 1,  # D5
    "took_over": 1,  # D3
    "intervention_rate": 1 / 8,
    "debrief_rate": 3 / 6,  # yes D1 D4 E3; no D2 D5 E1; unknown D3 E2
}

TINY_NO_ID_EXPECTED_W1 = _metrics(
    **_NO_ID_COUNTS,
    window=1,
    # eligible (one later call): D1 D2 D3 D4, E1 E2
    # SN events: D1 yes -> next D2 SN+ recurred; D2 no -> next D3 not; D4 yes -> next D5 SN+
    # recurred; E1 no -> next E2 (no notes) not. (D5 not eligible.)
    recognized=_recur(2, 2, 1.0),  # D1, D4
    unrecognized=_recur(2, 0, 0.0),  # D2, E1
    lift=None,  # unrecognized rate 0
    # RD events: D1 observed+yes -> next D2 not; D3 took_over -> next D4 not;
    # E1 observed+no -> next E2 not. (D5, E3 not eligible.)
    mistake_took_over=_repeat(1, 0, 0.0),  # D3
    mistake_assisted=NONE_REPEAT,  # D5 is Dan's last call
    mistake_observed_debriefed=_repeat(1, 0, 0.0),  # D1
    mistake_observed_only=_repeat(1, 0, 0.0),  # E1
)

TINY_NO_ID_EXPECTED_W2 = _metrics(
    **_NO_ID_COUNTS,
    window=2,
    # eligible (two later calls): D1 D2 D3 (D4 has 1), E1 (E2 has 1)
    # SN: D1 yes -> D2 D3: D2 SN+ recurred; D2 no -> D3 D4: D4 SN+ recurred;
    #     E1 no -> E2 E3: no SN, not.
    recognized=_recur(1, 1, 1.0),  # D1
    unrecognized=_recur(2, 1, 1 / 2),  # D2 (recurred), E1 (not)
    lift=2.0,  # 1.0 / (1/2)
    # RD: D1 obs+yes -> D2 D3: D3 RD- repeated; D3 took_over -> D4 D5: D5 RD- repeated;
    #     E1 obs+no -> E2 E3: E3 "Rushed  demo" -> key "rushed demo" repeated.
    mistake_took_over=_repeat(1, 1, 1.0),  # D3
    mistake_assisted=NONE_REPEAT,
    mistake_observed_debriefed=_repeat(1, 1, 1.0),  # D1
    mistake_observed_only=_repeat(1, 1, 1.0),  # E1
)


# ============================================================================================
# Comparing an actual result with these expectations
# ============================================================================================


def assert_matches_expected(actual: object, expected: object, path: str = "result") -> None:
    """Assert `actual` matches `expected`: same keys (plus, optionally, `*_ci` interval keys),
    equal ints and None, floats equal to 1e-9 relative tolerance.
    """
    if isinstance(expected, dict):
        assert isinstance(actual, dict), f"{path}: expected an object, got {actual!r}"
        missing = sorted(set(expected) - set(actual))
        extra = sorted(k for k in set(actual) - set(expected) if not str(k).endswith("_ci"))
        assert not missing, f"{path}: missing keys {missing}"
        assert not extra, f"{path}: unexpected keys {extra}"
        for key, value in expected.items():
            assert_matches_expected(actual[key], value, f"{path}[{key!r}]")
    elif expected is None:
        assert actual is None, f"{path}: expected null, got {actual!r}"
    elif isinstance(expected, float):
        assert isinstance(actual, int | float) and not isinstance(actual, bool), (
            f"{path}: expected {expected!r}, got {actual!r}"
        )
        assert math.isclose(actual, expected, rel_tol=1e-9, abs_tol=1e-12), (
            f"{path}: expected {expected!r}, got {actual!r}"
        )
    elif isinstance(expected, int):
        assert isinstance(actual, int) and not isinstance(actual, bool), (
            f"{path}: expected the count {expected!r}, got {actual!r}"
        )
        assert actual == expected, f"{path}: expected {expected!r}, got {actual!r}"
    else:
        assert actual == expected, f"{path}: expected {expected!r}, got {actual!r}"
