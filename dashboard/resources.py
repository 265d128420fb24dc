"""Where the files that ship beside the code live, installed editable or as a wheel."""

from __future__ import annotations

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent


def _find(name: str) -> Path:
    # Editable install / source checkout: the top-level folder beside the package.
    # Wheel: force-included into the package (see pyproject.toml).
    for candidate in (_PACKAGE.parent / name, _PACKAGE / name):
        if candidate.exists():
            return candidate
    raise FileNotFoundError(f"cannot find {name!r} beside {_PACKAGE}")


def queries_dir() -> Path:
    return _find("queries")


def sample_log() -> Path:
    return _find("sample_data") / "ridealong_sample.csv"


def streamlit_config() -> Path:
    source = _PACKAGE.parent / ".streamlit" / "config.toml"
    return source if source.exists() else _PACKAGE / "streamlit_config.toml"
