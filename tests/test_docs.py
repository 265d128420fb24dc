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


def core_modules() -> list[str]:
    """Every module of the package but the Streamlit app (app.py and views/)."""
    names = []
    for path in sorted((ROOT / "dashboard").rglob("*.py")):
        rel = path.relative_to(ROOT).with_suffix("")
        if rel.parts[1] in ("views", "app"):
            continue
        names.append(".".join(rel.parts).removesuffix(".__init__"))
    return names


def test_the_core_never_imports_streamlit() -> None:
    core = core_modules()
    assert {"dashboard.metrics", "dashboard.quarterly.html", "dashboard.cli"} <= set(core)
    for name in core:
        path = ROOT / Path(*name.split("."))
        path = path / "__init__.py" if path.is_dir() else path.with_suffix(".py")
        source = path.read_text(encoding="utf-8")
        # `serve` in cli.py hands over to Streamlit's own CLI, inside the command only
        top_level = re.search(r"^(?:import|from)\s+streamlit\b", source, flags=re.M)
        assert not top_level, f"{name} imports streamlit"
        if name != "dashboard.cli":
            assert not re.search(r"^\s*(?:import|from)\s+streamlit\b", source, flags=re.M), name


def test_importing_the_core_does_not_load_streamlit() -> None:
    import subprocess
    import sys

    code = f"import sys, {', '.join(core_modules())}; print('streamlit' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
