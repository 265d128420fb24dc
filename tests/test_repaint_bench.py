"""The browser repaint benchmark keeps working: run it at a tiny size (no timing assertions)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.e2e.browser import CHROMIUM

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(
        not CHROMIUM.exists(),
        reason=f"the repaint benchmark needs Debian's Chromium at {CHROMIUM}: "
        "apt-get install -y chromium",
    ),
]


def test_the_repaint_benchmark_runs_at_a_tiny_size_and_prints_its_table(
    tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    from tests.benchmarks import repaint

    code = repaint.main(["--calls", "300", "--runs", "2", "--out-dir", str(tmp_path)])
    printed = capsys.readouterr().out

    assert code == 0, printed
    assert "data: 300 calls" in printed
    lines = printed.splitlines()
    head = next(i for i, line in enumerate(lines) if line.startswith("run"))
    assert "repaint s" in lines[head]
    runs = lines[head + 2 : head + 4]
    assert [line.split()[0] for line in runs] == ["1", "2"]
    assert lines[head + 4].startswith("---")
    assert any(line.startswith("median repaint: ") for line in lines)
    assert any(line.startswith("target: within 1.5 s at 1,000,000 notes: ") for line in lines)
    assert (tmp_path / "store.duckdb").exists()
