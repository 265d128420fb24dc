"""The write benchmark (tests/benchmarks/store_writes.py) keeps working: run it at a tiny size
(no timing assertions), and it leaves no folder behind."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.bench


def test_the_write_benchmark_runs_at_a_tiny_size_and_removes_its_folder(tmp_path: Path) -> None:
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "tests.benchmarks.store_writes",
            *("--calls", "300", "--add", "5", "--runs", "1", "--reader-seconds", "1"),
        ],
        capture_output=True,
        text=True,
        env={**os.environ, "TMPDIR": str(tmp_path)},
        check=False,
    )
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    assert any(line.startswith("full ingest of 300 calls: total ") for line in lines)
    assert any(
        line.startswith("add 5 calls, run 1: total ") and "; re-derived " in line for line in lines
    )
    assert any(line.startswith("a reader during that add: ") for line in lines)
    assert not list(tmp_path.glob("ridealong-bench-*"))
