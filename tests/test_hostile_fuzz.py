"""Property tests of the importer on hostile bytes (issue 18): random bytes and mutated valid
logs either import cleanly or fail with problems that name the file (ImportFailed) — never
another exception, never a hang — and no pattern used on user text is worse than linear.
"""

from __future__ import annotations

import time
from pathlib import Path

import duckdb
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dashboard import formatting, importer

VALID = (Path(__file__).parent / "data" / "tiny.csv").read_bytes()
LABEL = "fuzzed.csv"
BOUND = 60.0  # seconds per file: a tiny file takes well under one (generous: a loaded machine)


def _import(tmp: Path, data: bytes) -> None:
    path = tmp / "fuzzed.csv"
    path.write_bytes(data)
    con = duckdb.connect()
    started = time.perf_counter()
    try:
        importer.check_file(path, LABEL)
        importer.stage(con, path, "fuzz", display_name=LABEL)
    except importer.ImportFailed as exc:
        assert exc.problems
        for p in exc.problems:
            assert p.file == LABEL and p.message
            assert p.line is None or p.line >= 1
            assert len(str(p)) < 1000  # a bounded one-line message
            assert "\n" not in str(p).replace("\\n", "")
    finally:
        con.close()
    assert time.perf_counter() - started < BOUND


@st.composite
def mutated(draw) -> bytes:
    data = bytearray(VALID)
    for _ in range(draw(st.integers(1, 6))):
        at = draw(st.integers(0, len(data)))
        kind = draw(st.sampled_from(["insert", "delete", "replace"]))
        chunk = draw(
            st.one_of(
                st.binary(min_size=1, max_size=8),
                st.sampled_from(
                    [b"\x00", b'"', b",", b"\n", b"\r", b"\xff\xfe", b"\xe9", b"9999-", b"[x](y)"]
                ),
            )
        )
        if kind == "insert":
            data[at:at] = chunk
        elif kind == "delete":
            del data[at : at + len(chunk)]
        else:
            data[at : at + len(chunk)] = chunk
    return bytes(data)


FUZZ = settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    derandomize=True,
)


@FUZZ
@given(data=st.binary(max_size=2000))
def test_random_bytes_import_or_fail_with_located_problems(tmp_path: Path, data: bytes) -> None:
    _import(tmp_path, data)


@FUZZ
@given(data=mutated())
def test_mutated_logs_import_or_fail_with_located_problems(tmp_path: Path, data: bytes) -> None:
    _import(tmp_path, data)


# ---- no pattern on user text is worse than linear ---------------------------------------------


def _scrub():
    """dashboard/uploads.py's scrub."""
    from dashboard.uploads import scrub

    return scrub


def _seconds(f, value: str, times: int) -> float:
    best = float("inf")
    for _ in range(3):
        started = time.perf_counter()
        for _ in range(times):
            f(value)
        best = min(best, time.perf_counter() - started)
    return best


def test_no_pattern_on_user_text_is_worse_than_linear() -> None:
    """64 k characters once must cost about what 1 k characters 64 times does (linear); the
    quadratic scrub of issue 18 cost 64 times more. Allowed: 8 times, for a loaded machine."""
    scrub = _scrub()
    functions = {
        "scrub": scrub,
        "plain": formatting.plain,
        "shown": importer.shown,
        "normalise_header": importer.normalise_header,
        "fold_value": importer.fold_value,
        "control": importer.CONTROL.search,
        "duckdb_reason": lambda s: importer._duckdb_reason(Exception(s)),
    }
    fillers = [
        "\x00",
        " ",
        "a",
        "/tmp/ridealong-upload-1-x",
        "ridealong-upload-",
        "[](",
        "\\",
        "CSV Error on Line: 1\n",
    ]
    for name, f in functions.items():
        for filler in fillers:
            small = (filler * (1000 // len(filler) + 1))[:1000]
            large = (filler * (64_000 // len(filler) + 1))[:64_000]
            t_small = _seconds(f, small, 64)
            t_large = _seconds(f, large, 1)
            assert t_large < 8 * t_small + 0.02, (name, repr(filler), t_small, t_large)
