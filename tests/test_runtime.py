"""esp-runtime, the library generated packages run on: shipped from runtime/, required in a compatible range."""

from __future__ import annotations

import tomllib
from pathlib import Path

from packaging.requirements import Requirement

import esp_runtime

ROOT = Path(__file__).resolve().parent.parent


def _requirement(pyproject: Path, name: str) -> Requirement:
    project = tomllib.loads(pyproject.read_text(encoding="utf-8"))["project"]
    found = [Requirement(r) for r in project["dependencies"] if Requirement(r).name == name]
    assert len(found) == 1, project["dependencies"]
    return found[0]


def test_every_generated_package_requires_a_range_that_holds_this_runtime() -> None:
    for pyproject in sorted((ROOT / "generated").glob("*/pyproject.toml")):
        requirement = _requirement(pyproject, "esp-runtime")
        assert requirement.specifier.contains(esp_runtime.__version__), (pyproject, requirement)
        # a compatible range, not one version: a runtime fix reaches the package without generating it again
        assert not str(requirement.specifier).startswith("=="), requirement


def test_esp_requires_the_runtime_it_generates_code_for() -> None:
    requirement = _requirement(ROOT / "pyproject.toml", "esp-runtime")
    assert str(requirement.specifier) == f"=={esp_runtime.__version__}"


def test_the_runtime_needs_none_of_the_cli_dependencies() -> None:
    project = tomllib.loads((ROOT / "runtime" / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert [Requirement(r).name for r in project["dependencies"]] == ["eventsourcing"]


def test_generated_packages_ship_no_copy_of_the_runtime() -> None:
    for package in (ROOT / "generated").glob("*/*/__init__.py"):
        assert not (package.parent / "runtime.py").exists()
        assert not (package.parent / "saga.py").exists()
