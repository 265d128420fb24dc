"""The README stays true: commands documented, the test command is what CI runs, queries used."""

from __future__ import annotations

import re
from pathlib import Path

import click

from dashboard import importer
from dashboard.cli import main

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")


def _commands(block: str) -> list[str]:
    return re.findall(r"^```sh\n(.*?)\n```", block, flags=re.S | re.M)


def test_every_cli_command_is_documented_in_the_readme() -> None:
    assert isinstance(main, click.Group)
    for name in main.commands:
        assert f"ridealong {name}" in README, f"`ridealong {name}` is not in the README"


def test_the_readme_has_two_commands_and_ci_runs_the_test_command() -> None:
    run, test = _commands(README)[:2]
    assert "ridealong serve" in run
    assert "pytest" in test
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert test.split("&&")[-1].strip() in ci
    assert "ruff check" in ci and "ruff format --check" in ci


def test_every_header_alias_is_documented() -> None:
    for alias in importer.HEADER_ALIASES:
        assert alias in README, f"header alias {alias!r} is not in the README's log format"


def test_the_core_never_imports_streamlit() -> None:
    core = ["importer", "store", "metrics", "charts", "report", "text", "sample", "cli"]
    for name in core:
        path = ROOT / "dashboard" / f"{name}.py"
        if not path.exists():
            continue
        source = path.read_text(encoding="utf-8")
        imports = re.findall(r"^\s*(?:import|from)\s+(streamlit)\b", source, flags=re.M)
        if name == "cli":
            # `serve` hands over to Streamlit's own CLI, inside the command only
            assert not re.search(r"^(?:import|from)\s+streamlit", source, flags=re.M)
            continue
        assert not imports, f"dashboard/{name}.py imports streamlit"


def test_importing_the_core_does_not_load_streamlit() -> None:
    import subprocess
    import sys

    code = (
        "import sys, dashboard.importer, dashboard.store, dashboard.metrics, dashboard.charts, "
        "dashboard.text; print('streamlit' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
