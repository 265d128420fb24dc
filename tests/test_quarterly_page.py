"""The Quarterly review page: the same figures as `ridealong metrics --by quarter`."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from dashboard import formatting, metrics, quarterly
from dashboard.store import REFRESH_SECONDS, Store
from tests import expected_tiny as ex

PAGE = "views/quarterly.py"


def tiles(at) -> dict[str, tuple[str, str | None]]:
    return {m.label: (m.value, m.delta) for m in at.metric}


def frame_with(at, column: str):
    for df in at.dataframe:
        if column in df.value.columns:
            return df.value
    raise AssertionError(f"no table with a {column!r} column")


def expected_tiles(groups: dict, quarter: str, previous: str) -> dict[str, tuple[str, str]]:
    now, before = groups[quarter], groups[previous]
    return {
        "Calls observed": (f"{now['calls']:,}", f"{now['calls'] - before['calls']:+,}"),
        "Praise : criticism": (formatting.ratio(now["praise_to_criticism"]), None),
        "Intervention rate": (
            formatting.pct(now["intervention_rate"]),
            f"{(now['intervention_rate'] - before['intervention_rate']) * 100:+.0f} pts",
        ),
        "Debrief rate": (
            formatting.pct(now["debrief_rate"]),
            f"{(now['debrief_rate'] - before['debrief_rate']) * 100:+.0f} pts",
        ),
        "Recognition lift, within rep": (
            f"{now['recurrence']['adjusted']['lift']:.2f}×",
            None,
        ),
        "Recognition lift, crude": (f"{now['recurrence']['lift']:.2f}×", None),
        "Repeats after a take-over vs debrief, within rep": (
            f"{now['mistake_repeat']['adjusted']['took_over']['ratio']:.2f}×",
            None,
        ),
        "Mistakes repeat: took over": (
            formatting.pct(now["mistake_repeat"]["took_over"]["rate"]),
            None,
        ),
        "Mistakes repeat: observe + debrief": (
            formatting.pct(now["mistake_repeat"]["observed_debriefed"]["rate"]),
            None,
        ),
    }


def check_tiles(at, expected: dict) -> None:
    shown = tiles(at)
    for label, (value, delta) in expected.items():
        assert shown[label][0] == value, label
        if delta is not None:
            assert shown[label][1] == delta, label


@pytest.fixture
def groups(sample_store: Path) -> dict:
    """metrics --by quarter on the sample, read before the app opens the store."""
    with Store(sample_store, read_only=True) as store:
        return metrics.metrics_json(store.con, metrics.Filters(), by="quarter")["groups"]


def test_page_opens_on_the_last_complete_quarter_with_metrics_by_quarter(
    app, sample_store: Path, groups: dict
) -> None:
    q = quarterly.Quarter.parse("2026-Q3")
    with Store(sample_store, read_only=True) as store:
        by_manager = metrics.metrics_frame(
            store.con, metrics.Filters(start=q.start, end=q.end), by="manager"
        )
    at = app(sample_store, page=PAGE)
    assert not at.exception
    assert at.selectbox(key="q_quarter").value == "2026-Q3"
    check_tiles(at, expected_tiles(groups, "2026-Q3", "2026-Q2"))
    managers = frame_with(at, "Manager")
    assert dict(zip(managers["Manager"], managers["Calls 2026-Q3"], strict=True)) == {
        r["grp"]: str(r["calls"]) for r in by_manager.iter_rows(named=True)
    }
    assert len(at.get("download_button")) >= 2  # the review as HTML and as PDF


def test_choosing_a_quarter_and_a_team_updates_every_figure(
    app, sample_store: Path, groups: dict
) -> None:
    q = quarterly.Quarter.parse("2025-Q4")
    with Store(sample_store, read_only=True) as store:
        smb = metrics.metrics_json(
            store.con, metrics.Filters(start=q.start, end=q.end, teams=("SMB",))
        )
    at = app(sample_store, page=PAGE)
    at.selectbox(key="q_quarter").select("2025-Q4").run()
    assert not at.exception
    check_tiles(at, expected_tiles(groups, "2025-Q4", "2025-Q3"))
    assert at.query_params["quarter"] == "2025-Q4"

    at.multiselect(key="q_teams").select("SMB").run()
    assert not at.exception
    assert at.query_params["team"] == "SMB"
    assert tiles(at)["Calls observed"][0] == f"{smb['calls']:,}"
    assert tiles(at)["Intervention rate"][0] == formatting.pct(smb["intervention_rate"])


def test_the_recurrence_window_changes_the_review_and_stays_in_the_link(
    app, sample_store: Path
) -> None:
    with Store(sample_store, read_only=True) as store:
        by_quarter = metrics.metrics_json(store.con, metrics.Filters(window=6), by="quarter")
    recurrence = by_quarter["groups"]["2026-Q3"]["recurrence"]
    expected, adjusted = recurrence["lift"], recurrence["adjusted"]["lift"]
    at = app(sample_store, page=PAGE)
    assert at.slider(key="q_window").value == metrics.DEFAULT_WINDOW
    assert "window" not in at.query_params
    at.slider(key="q_window").set_value(6).run()
    assert not at.exception
    assert tiles(at)["Recognition lift, crude"][0] == f"{expected:.2f}×"
    assert tiles(at)["Recognition lift, within rep"][0] == f"{adjusted:.2f}×"
    assert at.query_params["window"] == "6"
    assert "recurrence window 6 calls" in " ".join(c.value for c in at.caption)

    again = app(sample_store, page=PAGE, query={"window": "6"})
    assert again.slider(key="q_window").value == 6
    assert tiles(again)["Recognition lift, crude"][0] == f"{expected:.2f}×"


def test_a_link_to_an_unknown_quarter_says_which_quarters_exist(app, sample_store: Path) -> None:
    at = app(sample_store, page=PAGE, query={"quarter": "2023-Q2"})
    assert not at.exception
    warnings = " ".join(w.value for w in at.warning)
    assert "no calls in 2023-Q2" in warnings
    assert "Quarters with calls: 2024-Q4" in warnings and "2026-Q3" in warnings
    assert at.selectbox(key="q_quarter").value == "2026-Q3"


def test_a_quarter_without_calls_for_the_team_gives_a_clear_message(app, tmp_path: Path) -> None:
    db = tmp_path / "tiny.duckdb"
    with Store(db) as store:
        store.ingest([ex.TINY_CSV])
    at = app(db, page=PAGE, query={"quarter": "2026-Q2"})
    assert at.selectbox(key="q_quarter").value == "2026-Q2"
    assert tiles(at)["Calls observed"] == ("4*", "-6")  # marked: fewer than 10 calls
    at.multiselect(key="q_teams").select("").run()  # "(no team)": only C6, in 2026-Q1
    assert not at.exception
    warnings = " ".join(w.value for w in at.warning)
    assert "no calls for (no team) in 2026-Q2" in warnings
    assert "2026-Q1" in warnings
    assert not at.metric


def test_tiny_page_shows_the_hand_computed_manager_table(app, tmp_path: Path) -> None:
    db = tmp_path / "tiny.duckdb"
    with Store(db) as store:
        store.ingest([ex.TINY_CSV])
    at = app(db, page=PAGE, query={"quarter": "2026-Q2"})
    managers = frame_with(at, "Manager")
    assert managers.iloc[0].tolist()[:7] == [
        "Maria",
        "2",
        "6",
        "▼ 4",
        "0% (0/2)*",
        "17% (1/6)*",
        "▼ 17 pts",
    ]
    # 2/3 against 3/8; marked small: 3 calls with a known debrief
    assert tiles(at)["Debrief rate"] == ("67%*", "+29 pts")
    coverage = frame_with(at, "Usual a quarter")
    assert coverage["Manager"].tolist() == ["Maria", "Tom"]
    assert coverage[""].tolist() == ["below usual", "below usual"]


def test_a_table_too_long_to_colour_is_shown_whole_without_colours(app, tmp_path: Path) -> None:
    """pandas styles at most `styler.render.max_elements` cells (262,144): the reps of a whole
    sales organisation (32,042 in a quarter at 10 million notes) stopped the page with an
    exception.
    Here the limit is lowered to 30 cells: the reps table (3 rows of 13 columns) and the
    headline's (9 rows of 4) go over it and are shown whole, without colours; the managers'
    (2 rows of 13) and the coverage table (2 rows of 5) stay coloured."""
    import pandas as pd

    db = tmp_path / "tiny.duckdb"
    with Store(db) as store:
        store.ingest([ex.TINY_CSV])
    at = app(db, page=PAGE, query={"quarter": "2026-Q2"})

    def coloured() -> dict[str, bool]:
        return {
            " | ".join(df.value.columns[:2]): df.proto.arrow_data.styler.styles != ""
            for df in at.dataframe
        }

    rep_table = "Rep | Calls 2026-Q2"
    assert coloured()[rep_table]
    with pd.option_context("styler.render.max_elements", 30):
        at.run()
        assert not at.exception
        assert coloured() == {
            "Measure | 2026-Q2": False,  # the headline as a table: 9 rows of 4
            "Manager | Calls 2026-Q2": True,
            "Manager | Calls in 2026-Q2": True,
            rep_table: False,
        }
    reps = frame_with(at, "Rep")
    assert reps["Rep"].tolist() == ["Ana", "Ben", "Cleo"]  # every rep, nothing dropped
    assert (
        "3 rows: too many to colour here. The figures are the same; choose teams to see them "
        "coloured, or download the CSV for every figure."
    ) in [caption.value for caption in at.caption]


def test_the_review_is_built_once_for_the_same_data_and_again_after_an_import(
    app, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A whole organisation's review takes seconds of Python to build (6 s a run at 10 million
    notes): a rerun, or another session asking for the same review, reuses it; new data (the
    store's next version) or another quarter builds it again."""
    db = tmp_path / "tiny.duckdb"
    with Store(db) as store:
        store.ingest([ex.TINY_CSV])
    built = []
    real = quarterly.build_review

    def counted(*args, **kwargs):
        built.append(args[1])
        return real(*args, **kwargs)

    monkeypatch.setattr(quarterly, "build_review", counted)
    at = app(db, page=PAGE, query={"quarter": "2026-Q2"})
    at.run()
    assert built == ["2026-Q2"]
    assert tiles(at)["Calls observed"][0] == "4*"  # * too few to tell

    more = tmp_path / "more.csv"
    more.write_text(
        "observation_id,observed_on,manager,rep,team,manager_action,behavior,polarity\n"
        "C99,2026-05-04,Tom,Ana,North,observed,Asked good questions,praise\n",
        encoding="utf-8",
    )
    with Store(db) as store:  # another process's import
        store.ingest([more])
    time.sleep(REFRESH_SECONDS + 0.2)  # how often a running dashboard looks for a new version
    at.run()
    assert built == ["2026-Q2", "2026-Q2"]
    assert tiles(at)["Calls observed"][0] == "5*"
    at.selectbox(key="q_quarter").select("2026-Q1").run()
    assert built == ["2026-Q2", "2026-Q2", "2026-Q1"]
