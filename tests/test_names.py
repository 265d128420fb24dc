"""The naming rules of the code (issue 17, item 8), checked so they hold: identifiers in
dashboard/ use the data contract's spelling (`behavior`, `recognized`) while prose keeps
British English, and no name outside a comprehension is a single letter (`_` aside)."""

from __future__ import annotations

import ast
import io
import re
import tokenize
from pathlib import Path

DASHBOARD = Path(__file__).resolve().parent.parent / "dashboard"
BRITISH = re.compile(r"behaviour|recognis", re.IGNORECASE)


def _sources() -> list[Path]:
    return sorted(DASHBOARD.rglob("*.py"))


def _comprehension_targets(tree: ast.AST) -> set[int]:
    comprehensions = (ast.ListComp, ast.SetComp, ast.GeneratorExp, ast.DictComp)
    return {
        id(node)
        for comprehension in ast.walk(tree)
        if isinstance(comprehension, comprehensions)
        for generator in comprehension.generators
        for node in ast.walk(generator.target)
    }


def one_letter_names(source: str) -> list[tuple[int, str]]:
    """(line, name) of every one-letter name bound outside a comprehension: assignments and
    loop targets, arguments (lambdas' too), `except ... as`, function and class names."""
    tree = ast.parse(source)
    in_comprehension = _comprehension_targets(tree)
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            if id(node) not in in_comprehension:
                found.append((node.lineno, node.id))
        elif isinstance(node, ast.arg):
            found.append((node.lineno, node.arg))
        elif (
            isinstance(
                node, (ast.ExceptHandler, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)
            )
            and node.name
        ):
            found.append((node.lineno, node.name))
    return sorted((line, name) for line, name in found if len(name) == 1 and name != "_")


def test_the_one_letter_check_finds_what_it_should_and_spares_comprehensions() -> None:
    source = (
        "def f(x):\n"
        "    total = sum(k for k in x)\n"
        "    for i in x:\n"
        "        pass\n"
        "    try:\n"
        "        pass\n"
        "    except ValueError as e:\n"
        "        pass\n"
        "    return sorted(x, key=lambda v: v), [n for n in x], lambda _: 0\n"
    )
    assert one_letter_names(source) == [(1, "f"), (1, "x"), (3, "i"), (7, "e"), (9, "v")]


def test_no_one_letter_names_outside_comprehensions() -> None:
    offences = [
        f"{path.relative_to(DASHBOARD.parent)}:{line}: {name}"
        for path in _sources()
        for line, name in one_letter_names(path.read_text(encoding="utf-8"))
    ]
    assert offences == []


def test_identifiers_use_the_data_contracts_spelling() -> None:
    offences = []
    for path in _sources():
        tokens = tokenize.generate_tokens(io.StringIO(path.read_text(encoding="utf-8")).readline)
        offences += [
            f"{path.relative_to(DASHBOARD.parent)}:{token.start[0]}: {token.string}"
            for token in tokens
            if token.type == tokenize.NAME and BRITISH.search(token.string)
        ]
    assert offences == []
