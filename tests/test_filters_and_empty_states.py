"""The first hour of a new user: the sidebar's Team, Manager and Rep narrow each other, "all"
means no filter, the Reps page has one rep choice, an empty store says "No calls yet" and
where to start, and clearing the sample asks first and stays cleared.

The sample's teams and managers (sample_data/README.md): Enterprise - Fatima Bauer; SMB -
Dmitri Vogel and Quinn Romero; Channel - Hiro Reyes; Mid-Market - Amir Kaur.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from dashboard import metrics
from dashboard.access import EVERYTHING
from dashboard.store import Store, load_files
from dashboard.views import common
from tests import expected_tiny as ex

OVERVIEW = "views/overview.py"
MANAGERS = "views/managers.py"
BEHAVIOURS = "views/behaviours.py"
REPS = "views/reps.py"
UPLOAD = "views/upload.py"


def reps_of(store_path: Path, **filters) -> list[str]:
    with Store(store_path) as store:
        frame = metrics.metrics_frame(store.con, metrics.Filters(**filters), by="rep")
    return sorted(frame.filter(pl.col("calls") > 0)["grp"])


def url(at, key: str) -> list[str]:
    value = at.query_params.get(key, [])
    return value if isinstance(value, list) else [value]


# ---- Team -> Manager -> Rep -------------------------------------------------------------------


def test_narrowing_on_the_tiny_log() -> None:
    store, _ = load_files([ex.TINY_CSV])
    combos = metrics.run(store.con, "filter_choices", scope=EVERYTHING)
    # tiny.csv: North has Maria and Tom with Ana and Cleo; South Maria and Tom with Ben; one
    # call without a team (C3, Maria with Cleo)
    assert common.narrowed(combos, [], []) == (["Maria", "Tom"], ["Ana", "Ben", "Cleo"])
    assert common.narrowed(combos, ["South"], []) == (["Maria", "Tom"], ["Ben"])
    assert common.narrowed(combos, [""], []) == (["Maria"], ["Cleo"])
    assert common.narrowed(combos, ["North"], ["Tom"]) == (["Maria", "Tom"], ["Ana", "Cleo"])
    assert common.narrowed(combos, ["South"], ["Maria"]) == (["Maria", "Tom"], ["Ben"])


def test_choosing_a_team_narrows_the_manager_and_rep_lists(app, sample_store: Path) -> None:
    at = app(sample_store, page=MANAGERS)
    assert len(at.multiselect(key="f_manager").options) == 5
    at.multiselect(key="f_team").select("SMB").run()
    assert not at.exception
    assert at.multiselect(key="f_manager").options == ["Dmitri Vogel", "Quinn Romero"]
    assert sorted(at.multiselect(key="f_rep").options) == reps_of(sample_store, teams=("SMB",))
    at.multiselect(key="f_manager").select("Quinn Romero").run()
    assert sorted(at.multiselect(key="f_rep").options) == reps_of(
        sample_store, teams=("SMB",), managers=("Quinn Romero",)
    )


def test_a_manager_of_another_team_is_dropped_with_a_note(app, sample_store: Path) -> None:
    at = app(sample_store, page=MANAGERS, query={"manager": "Amir Kaur"})
    assert at.multiselect(key="f_manager").value == ["Amir Kaur"]
    at.multiselect(key="f_team").select("SMB").run()
    assert not at.exception
    assert at.multiselect(key="f_manager").value == []
    notes = [i.value for i in at.sidebar.info]
    assert notes == ["Manager Amir Kaur left out: no calls in SMB."]
    # the figures are SMB's, not "No calls match"
    assert sorted(at.dataframe[0].value["manager"]) == ["Dmitri Vogel", "Quinn Romero"]
    assert url(at, "manager") == []
    # the note is for the run that dropped the choice
    at.slider(key="f_window").set_value(4).run()
    assert not at.sidebar.info


def test_a_rep_that_no_longer_fits_is_dropped_with_a_note(app, sample_store: Path) -> None:
    at = app(sample_store, page=OVERVIEW, query={"rep": "Uma Petrov"})  # a Channel rep
    at.multiselect(key="f_team").select("SMB").run()
    assert not at.exception
    assert at.multiselect(key="f_rep").value == []
    assert [i.value for i in at.sidebar.info] == ["Rep Uma Petrov left out: no calls with SMB."]


@pytest.mark.parametrize("key", ["f_team", "f_manager", "f_rep"])
def test_selecting_every_name_means_no_filter(app, sample_store: Path, key: str) -> None:
    at = app(sample_store, page=OVERVIEW)
    everyone = at.multiselect(key=key).options
    calls = at.metric[0].value
    at.multiselect(key=key).set_value(everyone).run()
    assert not at.exception
    assert at.multiselect(key=key).value == []
    assert url(at, key.removeprefix("f_")) == []
    assert at.metric[0].value == calls


def test_some_names_are_still_a_filter(app, sample_store: Path) -> None:
    at = app(sample_store, page=OVERVIEW)
    two = at.multiselect(key="f_team").options[:2]
    at.multiselect(key="f_team").set_value(two).run()
    assert at.multiselect(key="f_team").value == two
    assert url(at, "team") == two


# ---- the Reps page: one rep choice ------------------------------------------------------------


def test_picking_a_rep_on_the_reps_page_sets_the_sidebar_filter(app, sample_store: Path) -> None:
    at = app(sample_store, page=REPS, query={"focus": "Uma Petrov"})
    assert at.selectbox(key="rep_focus").value == "Uma Petrov"
    assert at.multiselect(key="f_rep").value == []  # opening the page filters nothing
    at.selectbox(key="rep_focus").select("Ivan Santos").run()
    assert not at.exception
    assert at.multiselect(key="f_rep").value == ["Ivan Santos"]
    assert url(at, "rep") == ["Ivan Santos"]
    assert at.metric[0].value == str(
        expected_calls(sample_store, metrics.Filters(reps=("Ivan Santos",)))
    )


def test_a_rep_chosen_in_the_sidebar_is_the_one_the_reps_page_shows(
    app, sample_store: Path
) -> None:
    at = app(sample_store, page=REPS, query={"focus": "Uma Petrov"})
    at.multiselect(key="f_rep").set_value(["Oscar Brooks"]).run()
    assert not at.exception
    assert at.selectbox(key="rep_focus").value == "Oscar Brooks"
    # a second rep in the sidebar: the page shows the one added last
    at.multiselect(key="f_rep").set_value(["Oscar Brooks", "Uma Petrov"]).run()
    assert at.selectbox(key="rep_focus").value == "Uma Petrov"
    # picking one of them here keeps the sidebar's two
    at.selectbox(key="rep_focus").select("Oscar Brooks").run()
    assert at.multiselect(key="f_rep").value == ["Oscar Brooks", "Uma Petrov"]


def expected_calls(store_path: Path, filters: metrics.Filters) -> int:
    with Store(store_path) as store:
        return metrics.metrics_json(store.con, filters)["calls"]


# ---- an empty store ---------------------------------------------------------------------------


@pytest.fixture
def cleared_store(sample_store: Path) -> Path:
    with Store(sample_store) as store:
        store.clear()
    return sample_store


@pytest.mark.parametrize("page", [OVERVIEW, MANAGERS, BEHAVIOURS, REPS])
def test_an_empty_store_says_no_calls_yet_and_links_to_upload_and_the_log(
    app, cleared_store: Path, page: str
) -> None:
    at = app(cleared_store, page=page)
    assert not at.exception
    messages = [i.value for i in at.info]
    assert any(m.startswith("**No calls yet.**") for m in messages), messages
    assert not any("No calls match" in m for m in messages)
    assert [link.proto.page.removesuffix(".py").split("/")[-1] for link in at.page_link] == [
        "upload",
        "log",
    ]
    assert not at.dataframe


def test_clearing_the_sample_asks_first(app, sample_store: Path) -> None:
    at = app(sample_store, page=OVERVIEW)
    at.button(key="clear_sample").click().run()
    assert not at.exception
    assert any(w.value.startswith("**Clear the sample?**") for w in at.warning)
    with Store(sample_store) as store:
        assert store.is_sample()  # nothing cleared yet
    at.button(key="clear_sample_no").click().run()
    assert not [w for w in at.warning if w.value.startswith("**Clear the sample?**")]
    with Store(sample_store) as store:
        assert store.is_sample()
    at.button(key="clear_sample").click().run()
    at.button(key="clear_sample_yes").click().run()
    assert not at.exception
    assert any(i.value.startswith("**No calls yet.**") for i in at.info)
    with Store(sample_store) as store:
        assert store.is_empty()


def test_a_cleared_store_stays_cleared_when_the_dashboard_starts_again(
    app, cleared_store: Path
) -> None:
    # a new server process: the cached store is opened again (the app fixture clears it)
    at = app(cleared_store, page=OVERVIEW)
    assert any(i.value.startswith("**No calls yet.**") for i in at.info)
    with Store(cleared_store) as store:
        assert store.is_empty() and store.was_cleared()
        assert store.load_sample_if_empty() is False


def test_a_new_store_still_gets_the_sample(tmp_path: Path) -> None:
    with Store(tmp_path / "new.duckdb") as store:
        assert not store.was_cleared()
        assert store.load_sample_if_empty() is True
        assert store.is_sample()
