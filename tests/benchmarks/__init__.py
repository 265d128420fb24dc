"""The benchmark of issue 8: `python -m tests.benchmarks.bench --calls N` (see bench.py)."""
