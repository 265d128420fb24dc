"""The load benchmark's printout judges its target on the repaints drawn in a browser, and says
how many sessions went over the wire (tests/benchmarks/load.py `report`; no browser here)."""

from __future__ import annotations

import datetime as dt
from collections import Counter

from tests.benchmarks import load

SAID = [("Updated: 1,000 calls added", 9.5)]  # every session saw the import, 3.5 s after it


def result(repaints: list[load.Repaint], sessions: int) -> load.Result:
    data = load.Data(400_000, 986_530, dt.date(2024, 10, 1), dt.date(2026, 9, 30), ["A"])
    cpu = {"server": 10.0, "chromium": 20.0, "driver": 1.0, "machine": 40.0}
    imports = [load.Import(file=None, calls=1000, started=5.0, ended=6.0, status=0)]
    people = [load.WirePerson(n, "/", "http://127.0.0.1:1", None, 60) for n in range(sessions)]
    return load.Result(
        data, people, 1.0, 0, 0, {}, 0.0, 60.0, repaints, imports, [SAID for _ in people], cpu,
        (1.0, 1.0, 1.0), (1.0, 1.0, 1.0),
    )  # fmt: skip


def repaint(seconds: float, drawn: bool, at: float = 20.0) -> load.Repaint:
    return load.Repaint(0, "Overview", "add team", at, at + seconds, seconds, seconds,
                        served_s=seconds, drawn=drawn)  # fmt: skip


def test_the_target_is_judged_on_the_browsers_repaints_and_the_wire_is_shown_beside() -> None:
    drawn = [repaint(s, True) for s in (0.8, 0.9, 1.0, 1.1)]
    wired = [repaint(s, False) for s in (0.2, 0.3, 5.0)]  # the server's part only

    printed, _ = load.report(result(drawn + wired, 5), 70.0, 1, think=10, browsers=2)

    assert "5 sessions: 2 browser contexts (one Chromium) and 3 over the websocket" in printed
    assert "changes: 7 in 60.0 s (0.1 a second), 4 of them drawn in a browser" in printed
    assert "repaint (press -> last change in the main area): p50 0.95 s, p95 1.09 s" in printed
    assert "nothing drawn): p50 0.30 s, p95 4.53 s, max 5.00 s (n=3)" in printed
    assert "0 errors at 1,000,000 notes: NOT MET" not in printed
    assert printed.splitlines()[-1] == (
        "target: p95 <= 2.0 s and 0 errors at 1,000,000 notes: MET "
        "(the 4 repaints drawn in a browser) (this store holds 986,530 notes)"
    )


def test_with_no_browser_the_target_is_not_judged() -> None:
    wired = [repaint(s, False) for s in (0.2, 0.3)]

    printed, _ = load.report(result(wired, 3), 70.0, 1, browsers=0)

    assert "3 sessions: 0 browser contexts" in printed
    assert "repaint (press" not in printed
    assert printed.splitlines()[-1].startswith(
        "target: p95 <= 2.0 s and 0 errors at 1,000,000 notes: NOT JUDGED (no session drew"
    )
    assert Counter(line.startswith("  Overview:") for line in printed.splitlines())[True] == 1


def test_all_in_browsers_reads_as_before() -> None:
    printed, _ = load.report(result([repaint(1.0, True), repaint(3.0, True)], 2), 70.0, 1)

    assert printed.startswith("Load: 2 browser sessions (one Chromium) on `ridealong serve`")
    assert "over the wire" not in printed
    assert "NOT MET\n" not in printed and printed.splitlines()[-1].startswith(
        "target: p95 <= 2.0 s and 0 errors at 1,000,000 notes: NOT MET (this store"
    )


def test_a_session_that_never_said_updated_is_named() -> None:
    done = result([repaint(1.0, True)], 2)
    done.toasts = [[("Updated: 1,000 calls added", 8.0)], [("Saved.", 9.0)]]

    printed, well = load.report(done, 70.0, 1)

    assert not well
    assert "the import seen: 1 of 2 sessions showed" in printed
    # the one that said it did 2 s after the import ended (at 6.0 on the driver's clock)
    assert "imported, 2.0 s after the import ended at the median, the last 2.0 s after" in printed
    assert (
        "  session 1 (Overview, over the wire): said 0 calls added, not 1,000; "
        "its toasts: ['Saved.']" in printed
    )


def test_each_session_is_timed_by_its_first_updated_even_before_the_driver_saw_the_end() -> None:
    done = result([repaint(1.0, True)], 2)
    # the import ended at 6.0 on the driver's clock; one session said it twice, the other
    # before the driver heard of the end
    done.toasts = [
        [("Updated: 1,000 calls added", 9.0), ("Updated: 1,000 calls added", 30.0)],
        [("Updated: 1,000 calls added", 5.5)],
    ]

    printed, _ = load.report(done, 70.0, 1)

    assert "the import seen: 1 of 2 sessions" in printed  # one said 2,000 calls added
    assert "1.2 s after the import ended at the median, the last 3.0 s after" in printed
