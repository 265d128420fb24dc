"""The browser repaint benchmark keeps working: run it at a tiny size (no timing assertions)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.e2e.browser import CHROMIUM

ROOT = Path(__file__).resolve().parents[1]

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.bench,
    pytest.mark.skipif(
        not CHROMIUM.exists(),
        reason=f"the repaint benchmark needs Debian's Chromium at {CHROMIUM}: "
        "apt-get install -y chromium",
    ),
]


def test_the_repaint_benchmark_runs_at_a_tiny_size_and_prints_its_table(tmp_path: Path) -> None:
    # a process of its own: Playwright's sync API refuses to start inside another one's loop
    # (the browser suite's, when both run in one pytest session)
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "tests.benchmarks.repaint",
            "--calls",
            "300",
            "--runs",
            "2",
            "--out-dir",
            str(tmp_path),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    printed = done.stdout

    assert done.returncode == 0, printed + done.stderr
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
