"""pyproject.toml, environment.yml and .binder/environment.yml agree on every dependency."""

from __future__ import annotations

import re
import sys

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

import yaml

from .conftest import ROOT


def _name_and_spec(requirement: str) -> tuple[str, str]:
    match = re.match(r"^\s*([A-Za-z0-9_.\-]+)\s*(.*)$", requirement)
    assert match, requirement
    return match.group(1).lower().replace("_", "-"), match.group(2).replace(" ", "")


def _pyproject() -> dict[str, str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    return dict(_name_and_spec(r) for r in project["dependencies"])


def _conda(path) -> tuple[dict[str, str], list]:
    spec = yaml.safe_load(path.read_text())
    packages, pip = {}, []
    for entry in spec["dependencies"]:
        if isinstance(entry, dict):
            pip.extend(entry.get("pip", []))
            continue
        name, version = _name_and_spec(entry)
        if name not in {"python", "pip"}:
            packages[name] = version
    return packages, pip


def test_environment_yml_matches_pyproject():
    packages, pip = _conda(ROOT / "environment.yml")
    assert packages == _pyproject()
    assert any(line.split()[-1] == "." and "-e" in line.split() for line in pip), \
        "environment.yml installs the course itself from the checkout (pip: -e .)"


def test_binder_environment_matches_pyproject():
    packages, pip = _conda(ROOT / ".binder" / "environment.yml")
    assert packages == _pyproject()
    assert not pip, "repo2docker installs this before copying the repository"
    assert "pip install" in (ROOT / ".binder" / "postBuild").read_text()


def test_the_core_dependencies_are_declared():
    declared = _pyproject()
    for package in ("jupyterlab", "ipywidgets", "matplotlib", "seaborn", "numpy", "pandas",
                    "scipy", "psutil"):
        assert package in declared


def test_the_mlfail_command_is_declared():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert project["scripts"]["mlfail"] == "mlfail_widgets.cli:main"
    assert project["requires-python"] == ">=3.10"
