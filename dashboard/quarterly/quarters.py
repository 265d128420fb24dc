"""Quarters: parsing 'YYYY-Qn', their first and last days, and the review's settings."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass

from dashboard import formatting
from dashboard.importer import FIRST_YEAR, LAST_YEAR

LOOKBACK_QUARTERS = 4  # "usual" and "observed before" look at this many quarters back
USUAL_SHARE = 0.75  # a manager is below usual with fewer calls than this share of usual
MAX_CHANGE_HIGHLIGHTS = 6
# coverage highlights name at most this many reps not observed, and write up at most this many
# managers below their usual; the rest are counted (an organisation has hundreds of each)
MAX_COVERAGE_NAMES = 5
TOP_BEHAVIORS = 8

SAMPLE_SOURCE = "the bundled sample data, not a real team's"


class ReviewError(ValueError):
    """A quarter or team the data cannot review; the message says what exists instead."""


# ---- quarters --------------------------------------------------------------------------------

_QUARTER = re.compile(r"(\d{4})\s*-?\s*Q([1-4])", re.IGNORECASE)


@dataclass(frozen=True, order=True)
class Quarter:
    year: int
    number: int  # 1..4

    @classmethod
    def parse(cls, value: str) -> Quarter:
        match = _QUARTER.fullmatch(value.strip())
        if not match:
            raise ReviewError(
                f"{value!r} is not a quarter: write the year, a dash, Q and the quarter's number, "
                "e.g. 2026-Q3."
            )
        year = int(match[1])
        if not FIRST_YEAR <= year <= LAST_YEAR:
            raise ReviewError(
                f"{value!r} is not a quarter with calls: years {FIRST_YEAR}–{LAST_YEAR} are "
                "accepted, e.g. 2026-Q3."
            )
        return cls(year, int(match[2]))

    @property
    def label(self) -> str:
        return f"{self.year}-Q{self.number}"

    @property
    def start(self) -> dt.date:
        return dt.date(self.year, 3 * self.number - 2, 1)

    @property
    def end(self) -> dt.date:
        following = self.following()
        return dt.date(following.year, 3 * following.number - 2, 1) - dt.timedelta(days=1)

    def previous(self) -> Quarter:
        if self.number == 1:
            return Quarter(self.year - 1, 4)
        return Quarter(self.year, self.number - 1)

    def following(self) -> Quarter:
        if self.number == 4:
            return Quarter(self.year + 1, 1)
        return Quarter(self.year, self.number + 1)

    def span(self) -> str:
        """'1 Jul – 30 Sep 2026'."""
        return f"{self.start.day} {self.start:%b} – {self.end.day} {self.end:%b %Y}"

    def __str__(self) -> str:
        return self.label


def team_label(team: str) -> str:
    return team if team else "(no team)"


def teams_text(teams: Sequence[str]) -> str:
    if not teams:
        return "All teams"
    return formatting.names([team_label(team) for team in teams])


# ---- what is compared ------------------------------------------------------------------------
