"""The load benchmark's people without a browser (tests/benchmarks/wire.py) ask the server for
what a browser asks, and read back what a browser would draw: on the shared server (sample
store), which they only read."""

from __future__ import annotations

import asyncio
import random
from collections.abc import Coroutine
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

import pytest

from tests.benchmarks import load
from tests.benchmarks.wire import DATES, MANAGER, TEAM, WireSession
from tests.e2e.browser import Server

T = TypeVar("T")

pytestmark = pytest.mark.bench


def run(coroutine: Coroutine[Any, Any, T]) -> T:
    """asyncio.run in a thread of its own: the browser suite's Playwright (sync API) keeps an
    event loop running in this one."""
    with ThreadPoolExecutor(max_workers=1) as thread:
        return thread.submit(asyncio.run, coroutine).result()


def test_the_wire_reads_the_filters_and_the_url_as_the_page_sets_them(server: Server) -> None:
    async def visit() -> tuple[WireSession, list[str], float]:
        wire = WireSession(server.ready().url, "/managers", timeout_s=60)
        await wire.open()
        everyone = list(wire.options[MANAGER])
        took = await wire.rerun({"team": ["Enterprise"]}, f_team=["Enterprise"])
        await wire.close()
        return wire, everyone, took

    wire, everyone, took = run(visit())

    assert wire.runs == 2
    assert took > 0
    assert wire.query == {"team": ["Enterprise"]}
    assert wire.values[TEAM] == ["Enterprise"]
    assert wire.values[DATES] == [load.describe(server.db).first.isoformat(), wire.values[DATES][1]]
    # the manager list narrows to the team's, as the sidebar's does after the run
    assert wire.options[MANAGER] and set(wire.options[MANAGER]) < set(everyone)
    assert wire.problems == []


def test_a_person_over_the_wire_makes_the_benchmarks_cycle_of_changes_on_each_page(
    server: Server,
) -> None:
    data = load.describe(server.ready().db)

    async def cycle(path: str) -> tuple[load.WirePerson, list[load.Repaint]]:
        person = load.WirePerson(7, path, server.url, random.Random(7), 60)
        await person.open()
        done = [await person.change(step, data) for step in range(len(load.CYCLE))]
        await person.wire.close()
        return person, done

    for path in load.PAGES:
        person, done = run(cycle(path))

        assert [(r.change, r.error) for r in done] == [(kind, None) for kind in load.CYCLE]
        assert all(r.repaint_s and r.repaint_s == r.served_s and not r.drawn for r in done)
        assert person.wire.runs == 1 + len(load.CYCLE)
        assert person.wire.query == {}  # the cycle ends where it began: no filters
        assert (person.team, person.manager, person.start) == (None, None, data.first)


def test_a_change_the_page_does_not_take_is_counted_as_an_error(server: Server) -> None:
    data = load.describe(server.ready().db)

    async def unknown_team() -> load.Repaint:
        person = load.WirePerson(0, "/", server.url, random.Random(0), timeout_s=5)
        await person.open()
        data.teams = ["No such team"]  # not among the options: the page drops it
        done = await person.change(0, data)
        await person.wire.close()
        return done

    done = run(unknown_team())

    assert done.repaint_s is None
    assert done.error.startswith("timeout: the URL holds {}, not {'team': ['No such team']}")
