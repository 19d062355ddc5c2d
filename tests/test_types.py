"""The package is typed: py.typed ships, mypy passes, and public functions stay annotated."""

from __future__ import annotations

import ast
import os
import subprocess
import sys

import pytest

from .conftest import ROOT

PACKAGE = ROOT / "mlfail_widgets"
# Public functions and methods (no leading underscore, plus __init__/__call__) that do not yet
# annotate every parameter and their return. The number may only go down: annotate what you
# touch, then lower it here. Issue 22 asks for zero.
UNANNOTATED_LIMIT = 321  # chapter 08 (mlfail_widgets.audit, plots/widgets audit) annotated: 335 -> 321


def test_py_typed_ships_with_the_package():
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover
        import tomli as tomllib
    assert (PACKAGE / "py.typed").is_file()
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert "py.typed" in config["tool"]["setuptools"]["package-data"]["mlfail_widgets"]


def unannotated_public_functions() -> list[str]:
    """``path:line name`` of each public function missing a parameter or return annotation."""
    missing = []

    def visit(body, prefix: str, in_class: bool, path) -> None:
        for node in body:
            if isinstance(node, ast.ClassDef) and not node.name.startswith("_"):
                visit(node.body, f"{prefix}{node.name}.", True, path)
            elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                if node.name.startswith("_") and node.name not in ("__init__", "__call__"):
                    continue
                a = node.args
                params = [*a.posonlyargs, *a.args, *a.kwonlyargs, *filter(None, [a.vararg, a.kwarg])]
                static = any(isinstance(d, ast.Name) and d.id == "staticmethod" for d in node.decorator_list)
                if in_class and not static and params and params[0].arg in ("self", "cls"):
                    params = params[1:]
                if any(p.annotation is None for p in params) or (
                        node.returns is None and node.name != "__init__"):
                    missing.append(f"{path.relative_to(ROOT)}:{node.lineno} {prefix}{node.name}")

    for path in sorted(PACKAGE.rglob("*.py")):
        visit(ast.parse(path.read_text()).body, "", False, path)
    return missing


def test_public_functions_do_not_lose_annotations():
    missing = unannotated_public_functions()
    assert len(missing) <= UNANNOTATED_LIMIT, (
        f"{len(missing)} public functions lack annotations (limit {UNANNOTATED_LIMIT}); "
        "annotate the new ones:\n" + "\n".join(missing[-20:]))


def test_the_counter_sees_a_missing_annotation(tmp_path):
    # the check above counts what it should: parameters, returns, self excluded
    source = "class A:\n    def f(self, x: int) -> int: ...\n    def g(self, x): ...\ndef h(y: int): ...\n"
    tree = ast.parse(source)
    names = [n.name for c in tree.body for n in ast.walk(c) if isinstance(n, ast.FunctionDef)
             and (any(p.annotation is None for p in n.args.args[1 if n.args.args and
                  n.args.args[0].arg == "self" else 0:]) or n.returns is None)]
    assert names == ["g", "h"]


@pytest.mark.slow
def test_mypy_passes_over_the_package():
    if os.environ.get("CI", "").strip().lower() != "true":
        pytest.importorskip("mypy", reason="mypy comes with the test extras: pip install -e '.[test]'")
    result = subprocess.run([sys.executable, "-m", "mypy"], cwd=ROOT, capture_output=True, text=True,
                            timeout=900)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert "Success" in result.stdout
