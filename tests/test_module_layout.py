"""DEVELOPERS.md, "Modules": in a chapter's subpackage, a module is public exactly when it defines
part of the subpackage's public API (a name in its ``__all__``); every other module is private."""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "mlfail_widgets" / "failures"
# The chapters issue 22 brought under the rule.
CHAPTERS = ["dependency", "deployment", "downtime", "drill", "feedback", "hardware", "shift"]


def _defined(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.parse(path.read_text()).body:
        if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, ast.Assign):
            names |= {t.id for t in node.targets if isinstance(t, ast.Name)}
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            names.add(node.target.id)
    return names


def layout_violations(chapter: str, root: Path = PACKAGE, api: set[str] | None = None) -> list[str]:
    """What breaks the rule in ``root / chapter``; ``api`` defaults to the real chapter's ``__all__``."""
    if api is None:
        api = set(importlib.import_module(f"mlfail_widgets.failures.{chapter}").__all__)
    wrong = []
    for path in sorted((root / chapter).glob("*.py")):
        if path.name == "__init__.py" or path.read_text().startswith('"""Deprecated module path'):
            continue
        public, exports = not path.stem.startswith("_"), _defined(path) & api
        if public != bool(exports):
            wrong.append(f"{chapter}/{path.name}: " + (f"private but defines {sorted(exports)}" if exports
                                                        else "public but defines nothing in __all__"))
    return wrong


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_public_modules_are_the_ones_that_define_the_api(chapter):
    assert layout_violations(chapter) == []


def test_the_check_sees_a_misnamed_module(tmp_path):
    # every real chapter follows the rule now: a fake one breaks it both ways
    fake = tmp_path / "fake"
    fake.mkdir()
    (fake / "__init__.py").write_text('from ._core import simulate\n__all__ = ["simulate"]\n')
    (fake / "_core.py").write_text("def simulate():\n    return 1\n")
    (fake / "helpers.py").write_text("def _draw():\n    return 2\n")
    (fake / "old.py").write_text('"""Deprecated module path: moved."""\n')
    assert layout_violations("fake", tmp_path, {"simulate"}) == [
        "fake/_core.py: private but defines ['simulate']",
        "fake/helpers.py: public but defines nothing in __all__",
    ]
