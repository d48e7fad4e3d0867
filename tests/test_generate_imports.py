"""The standard-library imports of every generated module, and its import of the package's value_objects,
collected from the model (issue 15 point 6), checked against the rendered code: what Python's symbol tables say
each module reads. No name missing, none unused, for the example journeys and every valid journey of tests/data
(and its evolution/ and imports/ folders)."""

from __future__ import annotations

import ast
import re
import sys
from pathlib import Path

import pytest
from helpers import ROOT

from esp import api
from esp.generate.package import build
from esp.generate.render import STDLIB, names_read, render
from esp.generate.text import VALUE_MODULE

_STATUS = re.compile(r"^# esp-status: valid\s*$", re.MULTILINE)
# the modules a template imports whole (``import json``)
_MODULES = frozenset({"json", "logging"})


def _journeys() -> list[Path]:
    real = [p for p in sorted((ROOT / "tests" / "data" / "real").glob("*.yaml")) if _STATUS.search(p.read_text())]
    data = sorted((ROOT / "tests" / "data").glob("*.yaml"))
    evolution = sorted((ROOT / "tests" / "data" / "evolution").glob("*/*.yaml"))  # upcasters and their defaults
    own = sorted((ROOT / "tests" / "data" / "imports").glob("*.yaml"))  # what no other journey renders
    return [*sorted((ROOT / "journeys").glob("*.yaml")), *real, *data, *evolution, *own]


def _imports_value_objects(tree: ast.Module) -> bool:
    """Whether the module imports value_objects from its package (``from <package> import value_objects``)."""
    return any(
        isinstance(node, ast.ImportFrom) and any(a.name == VALUE_MODULE for a in node.names) for node in tree.body
    )


def _imported(tree: ast.Module) -> set[str]:
    """The names the module's standard-library imports bind (``from __future__`` aside)."""
    found: set[str] = set()
    for node in tree.body:
        if isinstance(node, ast.ImportFrom) and node.module and node.module != "__future__":
            if node.module.split(".")[0] in sys.stdlib_module_names:
                found.update(a.asname or a.name for a in node.names)
        elif isinstance(node, ast.Import):
            found.update(a.asname or a.name for a in node.names if a.name in sys.stdlib_module_names)
    return found


@pytest.mark.parametrize("path", _journeys(), ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_each_module_imports_exactly_the_standard_library_names_it_reads(path: Path) -> None:
    result = api.validate([path])
    assert result.exit_code() == 0 and result.model is not None, path
    files = [f for f in render(build(result.model)) if f.path.endswith(".py")]
    assert files
    for f in files:
        tree = ast.parse(f.text)
        imported = _imported(tree)
        read = names_read(f.text)
        assert _imports_value_objects(tree) == (VALUE_MODULE in read), f"{f.path}: value_objects imported or read alone"
        missing = {n for n in read if n in STDLIB or n in _MODULES} - imported
        assert not missing, f"{f.path} reads {sorted(missing)} without importing them"
        unused = imported - read
        assert not unused, f"{f.path} imports {sorted(unused)} and does not use them"


def test_a_microservice_without_aggregates_imports_no_aggregate_class() -> None:
    """Lagom's online auction (tests/data/real/online-auction.yaml) has a search service of queries and a
    projection only: its aggregates.py imported eventsourcing's Aggregate unused (ruff F401)."""
    result = api.validate([ROOT / "tests" / "data" / "real" / "online-auction.yaml"])
    assert result.model is not None
    modules = [f for f in render(build(result.model)) if f.path.endswith("/aggregates.py")]
    assert any("/search/" in f.path for f in modules)
    for f in modules:
        tree = ast.parse(f.text)
        imported = {
            a.asname or a.name
            for node in tree.body
            if isinstance(node, ast.ImportFrom) and node.module != "__future__"
            for a in node.names
        }
        unused = imported - names_read(f.text)
        assert not unused, f"{f.path} imports {sorted(unused)} and does not use them"
