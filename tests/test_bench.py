"""The benchmark of issue 8 keeps working: run it at a tiny size (no timing assertions)."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from dashboard import metrics
from dashboard.store import Store
from tests.benchmarks import bench
from tests.benchmarks import pandas_metrics as pm

pytestmark = pytest.mark.bench


def test_the_benchmark_runs_at_a_tiny_size_and_its_side_by_side_counts_agree(
    tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    out = tmp_path / "bench"
    code = bench.main(
        ["--calls", "300", "--runs", "1", "--pandas-calls", "300", "--out-dir", str(out)]
    )
    printed = capsys.readouterr().out

    assert code == 0
    assert "MISMATCH" not in printed
    assert "hand-written counts AGREE, pandas counts AGREE" in printed
    for row in ("ingest (ridealong ingest)", "by behavior (metrics.sql)", "pandas read CSV"):
        assert row in printed
    assert "| overview (metrics.sql) |" in (out / "bench.md").read_text()
    report = json.loads((out / "bench.json").read_text())
    assert report["ok"] is True
    assert report["data"]["calls"] == 300
    with Store(out / "store.duckdb", read_only=True) as store:
        imported_rows = store.imports()[0]["rows"]
    assert report["build"]["ctas"]["rows"] == imported_rows  # CTAS read the same file
    assert report["metrics"]["mismatches"] == []
    assert report["pandas"]["mismatches"] == []
    assert set(report["metrics"]["figures"]) == {name for name, _, _ in bench.FIGURES}
    assert report["build"]["ingest"]["peak_rss_mb"] > 0
    # every page opened without an exception, and the review was written
    assert "Pages: no errors." in printed
    assert report["pages"]["errors"] == []
    assert set(report["pages"]["pages"]) == {name for name, _page in bench.PAGES}
    assert "page Quarterly review (first run; again)" in printed
    assert report["review"]["returncode"] == 0
    assert "<h2>Reps</h2>" in (out / "review.html").read_text(encoding="utf-8")


@pytest.mark.parametrize("by", ["all", "manager", "month", "behavior"])
def test_the_hand_written_sql_gives_the_counts_of_metrics_sql_on_the_sample(
    sample_store: Path, by: str
) -> None:
    filters = metrics.Filters(start=dt.date(2025, 3, 1), end=dt.date(2026, 2, 28))
    with Store(sample_store, read_only=True) as store:
        expected = bench.counts_of(metrics.metrics_frame(store.con, filters, by))
        actual = bench.counts_of(bench.run_handwritten(store.con, filters, by))
    assert len(expected) > (0 if by == "all" else 3)
    assert bench.compare(expected, actual) == []


def test_a_changed_count_is_reported_as_a_mismatch() -> None:
    expected = {"Ana": [1] * len(bench.COUNTS)}
    actual = {"Ana": [1] * (len(bench.COUNTS) - 1) + [2], "Bo": [0] * len(bench.COUNTS)}
    assert bench.compare(expected, actual) == [
        "group 'Ana': mr_observed_only_repeated metrics.sql=1 other=2",
        "group 'Bo': only in the other",
    ]


def test_pandas_gives_the_counts_of_metrics_sql_on_the_sample(sample_store: Path) -> None:
    from dashboard.resources import sample_log

    prepared = pm.prepare(pm.read(str(sample_log())), window=3)
    window = {"start": dt.date(2025, 1, 1), "end": dt.date(2025, 12, 31)}
    filters = metrics.Filters(**window)
    with Store(sample_store, read_only=True) as store:
        for by in ("all", "manager"):
            want = bench.counts_of(metrics.metrics_frame(store.con, filters, by))
            got = pm.aggregate(prepared, by, **window)
            got_counts = {g: [v[c] for c in bench.COUNTS] for g, v in got.items()}
            assert len(want) >= 1
            assert bench.compare(want, got_counts) == []


def test_a_page_that_raises_is_reported_as_an_error(
    sample_store: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import streamlit as st

    from dashboard import quarterly

    def broken(*args, **kwargs):
        raise RuntimeError("the review broke")

    monkeypatch.setenv("RIDEALONG_DB", str(sample_store))  # restored afterwards
    monkeypatch.setattr(quarterly, "build_review", broken)
    st.cache_data.clear()
    st.cache_resource.clear()
    try:
        result = bench.phase_pages(str(sample_store), [])
    finally:
        st.cache_data.clear()
        st.cache_resource.clear()
    assert [line.split(":")[0] for line in result["errors"]] == ["Quarterly review"] * 2
    assert "the review broke" in result["errors"][0]
    assert set(result["pages"]) == {name for name, _page in bench.PAGES}  # the others ran
