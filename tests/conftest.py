"""Shared fixtures: tiny hand-checkable logs, a store holding the bundled sample, AppTest."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from dashboard.resources import sample_log
from dashboard.store import Store

ROOT = Path(__file__).resolve().parent.parent
DATA = Path(__file__).resolve().parent / "data"
APP = str(ROOT / "dashboard" / "app.py")


@pytest.fixture
def data_dir() -> Path:
    return DATA


@pytest.fixture(scope="session")
def sample_store_master(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A store file holding the bundled sample, built once per test session."""
    path = tmp_path_factory.mktemp("master") / "sample.duckdb"
    with Store(path) as store:
        store.load_sample_if_empty()
    return path


@pytest.fixture
def sample_store(sample_store_master: Path, tmp_path: Path) -> Path:
    """A private copy of the sample store for one test (safe to write to)."""
    path = tmp_path / "store.duckdb"
    shutil.copy(sample_store_master, path)
    return path


@pytest.fixture
def empty_store(tmp_path: Path) -> Path:
    return tmp_path / "empty.duckdb"


@pytest.fixture
def app(monkeypatch: pytest.MonkeyPatch) -> Callable:
    """AppTest factory: `app(db_path, page=None, query=None)` runs the dashboard on a store.

    The cached store resource is cleared so each test sees its own file.
    """
    import streamlit as st
    from streamlit.testing.v1 import AppTest

    def make(db: Path, page: str | None = None, query: dict | None = None) -> AppTest:
        monkeypatch.setenv("RIDEALONG_DB", str(db))
        st.cache_resource.clear()
        st.cache_data.clear()
        at = AppTest.from_file(APP, default_timeout=90)
        for key, value in (query or {}).items():
            at.query_params[key] = value
        at.run()
        if page is not None:
            at.switch_page(page)
            at.run()
        return at

    yield make
    st.cache_resource.clear()
    st.cache_data.clear()


@pytest.fixture
def bundled_sample() -> Path:
    return sample_log()
