"""The shared store as the dashboard shows it: new snapshots, undo on the Upload page, and a
read-only replica (`serve --read-only`)."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from dashboard.store import READ_ONLY_ENV, REFRESH_SECONDS, Store
from tests import expected_tiny as ex

HEADER = "observation_id,observed_on,manager,rep,manager_action,debrief,behavior,polarity\n"
TWO_MORE = HEADER + (
    "N1,2026-03-04,Dana,Gus,observed,no,Asked good questions,praise\n"
    "N2,2026-03-05,Dana,Gus,observed,no,,\n"
)


@pytest.fixture
def tiny_store(tmp_path: Path) -> Path:
    path = tmp_path / "team.duckdb"
    with Store(path) as store:
        store.ingest([ex.TINY_CSV])
    return path


def toasts(at) -> list[str]:
    return [t.value for t in at.toast]


def test_a_running_dashboard_says_once_that_another_process_added_calls(
    app, tiny_store: Path, tmp_path: Path
) -> None:
    at = app(tiny_store)
    assert not at.exception and toasts(at) == []
    more = tmp_path / "more.csv"
    more.write_text(TWO_MORE, encoding="utf-8")
    with Store(tiny_store) as other:  # another process's import (its own Store)
        other.ingest([more])
    time.sleep(REFRESH_SECONDS + 0.2)
    at.run()
    assert toasts(at) == ["Updated: 2 calls added"]
    metric = {m.label: m.value for m in at.metric}
    assert "16" in " ".join(str(v) for v in metric.values())  # tiny's 14 calls + 2
    at.run()
    assert toasts(at) == []  # once


def test_a_running_dashboard_says_what_other_writes_did_and_nothing_for_a_file_as_it_was(
    app, tiny_store: Path, tmp_path: Path
) -> None:
    at = app(tiny_store)
    more = tmp_path / "more.csv"
    more.write_text(TWO_MORE, encoding="utf-8")

    def elsewhere(write) -> list[str]:
        with Store(tiny_store) as other:
            write(other)
        time.sleep(REFRESH_SECONDS + 0.2)
        at.run()
        return toasts(at)

    assert elsewhere(lambda other: other.ingest([more])) == ["Updated: 2 calls added"]
    # the same file again: recorded as an import, but nothing changed, so nothing to say
    assert elsewhere(lambda other: other.ingest([more])) == []
    changed = tmp_path / "changed.csv"  # N2 again, with a behaviour noted this time
    changed.write_text(
        TWO_MORE.replace(
            "N2,2026-03-05,Dana,Gus,observed,no,,",
            "N2,2026-03-05,Dana,Gus,observed,no,Asked good questions,praise",
        ),
        encoding="utf-8",
    )
    assert elsewhere(lambda other: other.ingest([changed])) == ["Updated: 1 call changed"]
    assert elsewhere(lambda other: other.undo(other.undoable()[0])) == ["Updated: an import undone"]
    assert not at.exception


def test_what_updated_says_for_each_kind_of_write() -> None:
    from dashboard.views.common import updated_text

    assert updated_text(1, 0, 0) == "Updated: 1 call added"
    assert updated_text(1_000, 3, 0) == "Updated: 1,000 calls added, 3 changed"
    assert updated_text(0, 2, 1) == "Updated: 2 calls changed, an import undone"
    assert updated_text(0, 0, 2) == "Updated: 2 imports undone"
    assert updated_text(0, 0, 0) is None


def test_a_run_stopped_by_a_change_as_it_says_updated_says_it_on_the_next_run(
    app, tiny_store: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A filter changed while the server reruns the page for a new import stops that run at its
    # next Streamlit call (ScriptRunner checks for a rerun request before queueing a message):
    # here, st.toast. The load benchmark found a session that never said "Updated" so.
    import streamlit as st
    from streamlit.runtime.scriptrunner_utils.exceptions import RerunException
    from streamlit.runtime.scriptrunner_utils.script_requests import RerunData

    at = app(tiny_store)
    more = tmp_path / "more.csv"
    more.write_text(TWO_MORE, encoding="utf-8")
    with Store(tiny_store) as other:
        other.ingest([more])
    time.sleep(REFRESH_SECONDS + 0.2)
    toast, stopped = st.toast, []

    def stopped_once(*args, **kwargs):
        if not stopped:
            stopped.append(args[0])
            raise RerunException(RerunData())  # the person's change: a rerun at once
        return toast(*args, **kwargs)

    monkeypatch.setattr(st, "toast", stopped_once)
    at.run()

    assert stopped == ["Updated: 2 calls added"]
    assert not at.exception
    assert toasts(at) == ["Updated: 2 calls added"]  # the run after the stopped one
    at.run()
    assert toasts(at) == []  # once


def test_the_upload_page_undoes_the_last_import_after_a_second_click(app, tiny_store: Path) -> None:
    at = app(tiny_store, page="views/upload.py")
    undo = at.button(key="upl_undo")
    assert undo.label == "Undo the last import: tiny.csv"
    undo.click().run()
    assert "Undo import 1 (tiny.csv)?" in at.warning[-1].value
    at.button(key="upl_undo_yes").click().run()
    assert not at.exception
    assert "Undone: tiny.csv (14 calls)." in [s.value for s in at.success]
    assert "upl_undo" not in [b.key for b in at.button]  # once
    with Store(tiny_store, read_only=True) as store:
        assert store.is_empty()
        log = [(r["import_id"], r["source"], r["undone_by"]) for r in store.imports()]
    assert log == [(2, "undo", None), (1, "file", 2)]
    imports = next(df for df in at.dataframe if "undone_by" in df.value.columns).value
    assert imports[["import_id", "undone_by"]].values.tolist() == [[2, "—"], [1, "#2"]]


def test_the_imports_table_counts_with_thousands_separators(app, tiny_store: Path) -> None:
    import json

    at = app(tiny_store, page="views/upload.py")
    imports = next(df for df in at.dataframe if "undone_by" in df.value.columns)
    config = json.loads(imports.proto.columns)
    for column in ("rows", "calls", "calls_added", "calls_replaced", "calls_unchanged"):
        assert config[column]["type_config"]["format"] == "localized", column


def test_an_undo_while_another_process_writes_says_who_and_undoes_nothing(
    app, tiny_store: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.test_store_sharing import another_writer

    monkeypatch.setenv("RIDEALONG_WAIT", "1")  # `serve --wait 1`
    at = app(tiny_store, page="views/upload.py")
    at.button(key="upl_undo").click().run()
    with another_writer(tiny_store) as holder:
        at.button(key="upl_undo_yes").click().run()
    assert not at.exception
    (said,) = [e.value for e in at.error if "Nothing was undone" in e.value]
    assert said.startswith(
        f"Nothing was undone: the team's store is being written by process {holder.pid} ("
    )
    assert said.endswith("which had not finished after 1 s. Try again when it has.")
    with Store(tiny_store, read_only=True) as store:
        assert [r["source"] for r in store.imports()] == ["file"]


def test_a_read_only_dashboard_writes_nothing_and_says_where_imports_happen(
    app, tiny_store: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(READ_ONLY_ENV, "1")
    before = tiny_store.stat().st_mtime_ns
    at = app(tiny_store, page="views/upload.py")
    assert not at.exception
    (info,) = [i.value for i in at.info if "only reads" in i.value]
    assert f"ridealong ingest FILE --db {tiny_store}" in info
    assert "upl_undo" not in [b.key for b in at.button]
    at.file_uploader(key="upl_files").set_value(
        [("tiny.csv", ex.TINY_CSV.read_bytes(), "text/csv")]
    ).run()
    assert at.button(key="upl_add").disabled
    at.switch_page("views/log.py").run()
    assert any("log ride-alongs on the dashboard that writes it" in i.value for i in at.info)
    assert tiny_store.stat().st_mtime_ns == before
