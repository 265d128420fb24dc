"""The scale benchmark keeps working (run tiny; its figures are printed, never asserted)."""

from __future__ import annotations

import json
from pathlib import Path

from tests.benchmarks import bench


def test_the_benchmark_runs_tiny_and_its_references_agree(tmp_path: Path, capsys) -> None:
    code = bench.main(
        ["--calls", "300", "--runs", "1", "--pandas-calls", "300", "--out-dir", str(tmp_path)]
    )
    assert code == 0  # the hand-written SQL and pandas counts equal metrics.sql's
    printed = capsys.readouterr().out
    assert "ingest (`ridealong ingest`)" in printed and "vs pandas" in printed
    result = json.loads((tmp_path / "bench.json").read_text())
    assert result["size"]["calls"] == 300
    assert all(result["queries"][f"hand_{by}"]["agree"] for by in ("all", "manager", "month"))
    assert result["pandas"]["agree"]
    assert (tmp_path / "bench.md").read_text().startswith("Machine:")
