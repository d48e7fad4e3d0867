"""esp.naming's one list of names the generated code uses (``RESERVED``), checked against the code the
templates actually render and the eventsourcing classes it builds on: a name the code defines or imports
in a scope, and that no journey gave it, must be in that scope's list. And the other way round: a journey
that uses those names validates (with W110 renames) and generates a package whose tests pass."""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import fields, is_dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from esp import api
from esp.generate import generate
from esp.generate.package import build
from esp.generate.render import File, render
from esp.model import Model
from esp.naming import ALIASES, MAX_RULE, RESERVED, Naming, bounded

ROOT = Path(__file__).resolve().parent.parent
JOURNEYS = sorted((ROOT / "journeys").glob("*.yaml"))
PACKAGE_LEVEL = {"system.py", "journey.py", "__main__.py", "conftest.py"}  # where the journey's class is imported


def _strings(value: Any) -> Iterator[str]:
    """Every string a Naming holds (the names journeys gave the code)."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for v in value.values():
            yield from _strings(v)
    elif isinstance(value, (list, tuple)):
        for v in value:
            yield from _strings(v)
    elif is_dataclass(value) and not isinstance(value, type) and type(value).__module__ != "esp.model":
        for f in fields(value):
            if f.name != "problems":
                yield from _strings(getattr(value, f.name))


def _derived(names: Naming, model: Model) -> set[str]:
    found = set(_strings(names)) | {t.name for t in model.types}  # a value object's class is its name (E192)
    modules = {s.module for s in names.services.values()}
    found |= {m + suffix for m in modules for suffix in ALIASES}
    return found


def _module_names(tree: ast.Module) -> set[str]:
    """Names a module binds at its top level: imports (also under TYPE_CHECKING), classes, functions, assignments."""
    found: set[str] = set()
    for node in tree.body:
        body = node.body if isinstance(node, ast.If) else [node]
        for item in body:
            if isinstance(item, (ast.Import, ast.ImportFrom)):
                found |= {(a.asname or a.name).split(".")[0] for a in item.names}
            elif isinstance(item, (ast.FunctionDef, ast.ClassDef)):
                found.add(item.name)
            elif isinstance(item, ast.Assign):
                found |= {t.id for t in item.targets if isinstance(t, ast.Name)}
    return found


def _class_names(tree: ast.Module, base: str) -> Iterator[set[str]]:
    """The members each class deriving from ``base`` defines: nested classes, methods, class attributes."""
    for node in tree.body:
        if isinstance(node, ast.ClassDef) and any(ast.unparse(b) == base for b in node.bases):
            found: set[str] = set()
            for item in node.body:
                if isinstance(item, (ast.FunctionDef, ast.ClassDef)):
                    found.add(item.name)
                elif isinstance(item, ast.AnnAssign) and isinstance(item.target, ast.Name):
                    found.add(item.target.id)
                elif isinstance(item, ast.Assign):
                    found |= {t.id for t in item.targets if isinstance(t, ast.Name)}
            yield {n for n in found if not n.startswith("__")}


def _kind(path: str, package: str) -> str:
    parts = path.split("/")
    if parts[0] == "tests":
        return "journey class" if parts[-1] == "conftest.py" else parts[-1]
    if len(parts) == 2:
        return "journey class" if parts[-1] in PACKAGE_LEVEL else parts[-1]
    return parts[-1]


def _rendered(path: Path) -> tuple[Naming, Model, list[File]]:
    validation = api.validate([path])
    assert validation.model is not None and validation.exit_code() == 0, [str(d) for d in validation.diagnostics]
    view = build(validation.model)
    return view.names, validation.model, render(view)


@pytest.mark.parametrize("journey", JOURNEYS, ids=lambda p: p.stem)
def test_every_module_level_name_the_code_uses_is_in_the_list(journey: Path) -> None:
    names, model, files = _rendered(journey)
    derived = _derived(names, model)
    missing: dict[str, set[str]] = {}
    for f in files:
        if not f.path.endswith(".py") or f.path.endswith("__init__.py"):
            continue
        kind = _kind(f.path, names.package)
        if kind in ("rules.py", "testing.py") and kind not in RESERVED:
            continue
        # a journey name never starts with an underscore: private helpers cannot clash
        used = {n for n in _module_names(ast.parse(f.text)) - derived if not n.startswith("_")}
        unknown = used - RESERVED.get(kind, frozenset())
        if unknown:
            missing.setdefault(kind, set()).update(unknown)
    assert not missing, f"names the generated code uses that esp.naming.RESERVED does not list: {missing}"


@pytest.mark.parametrize("journey", JOURNEYS, ids=lambda p: p.stem)
def test_every_member_of_a_generated_class_is_in_the_list(journey: Path) -> None:
    names, model, files = _rendered(journey)
    derived = _derived(names, model)
    missing: dict[str, set[str]] = {}
    for f in files:
        tree = ast.parse(f.text) if f.path.endswith(".py") else None
        if tree is None:
            continue
        for scope, base in (("aggregate", "Aggregate"), ("application", "Service")):
            for defined in _class_names(tree, base):
                unknown = {m for m in defined - derived if m not in RESERVED[scope]}
                if unknown:
                    missing.setdefault(scope, set()).update(unknown)
        if f.path.endswith("/system.py"):
            for node in tree.body:
                if isinstance(node, ast.ClassDef) and node.name == names.journey_cls:
                    members = {i.name for i in node.body if isinstance(i, ast.FunctionDef)} - derived
                    unknown = {m for m in members if not m.startswith("__") and m not in RESERVED["system"]}
                    if unknown:
                        missing.setdefault("system", set()).update(unknown)
    assert not missing, f"class members the generated code defines that esp.naming.RESERVED does not list: {missing}"


def test_the_lists_hold_what_eventsourcing_gives_aggregates_events_and_applications() -> None:
    from uuid import uuid4

    from eventsourcing.domain import Aggregate

    from esp_runtime import IntegrationEvent, Service
    from esp_runtime.saga import SagaRun

    def public(names: Any) -> set[str]:
        return {n for n in names if not n.startswith("_")}

    class Probe(Aggregate):
        class Created(Aggregate.Created):
            x: int

    probe = Probe._create(Probe.Created, id=uuid4(), x=1)
    event = probe.collect_events()[0]
    aggregate_members = public(dir(Aggregate)) | public(n.lstrip("_") for n in vars(probe))
    event_members = public(dir(Aggregate.Event)) | public(vars(event)) - {"x"} | public(dir(IntegrationEvent))
    assert aggregate_members <= RESERVED["aggregate"], aggregate_members - RESERVED["aggregate"]
    lower = {n for n in aggregate_members if n.islower()}
    assert lower | event_members <= RESERVED["field"], (lower | event_members) - RESERVED["field"]
    os.environ.setdefault("PERSISTENCE_MODULE", "eventsourcing.popo")
    app = Service()
    members = public(dir(Service)) | public(vars(app))
    assert members <= RESERVED["application"], members - RESERVED["application"]
    nested = {n for n in dir(SagaRun) if n[:1].isupper()}
    assert nested <= RESERVED["saga run"], nested - RESERVED["saga run"]


# -- the other way round: journeys that use those names ------------------------------------------------------

AWKWARD = {
    "journey": "json",
    "microservices": {
        "system": {"aggregates": {"UUID": {"identity": "self", "states": ["open", "closed"]}}},
        "sagas": {"aggregates": {"Hooks": {"identity": "version", "states": ["done"]}}},
    },
    "processes": [
        {
            "process": "Open",
            "microservice": "system",
            "aggregate": "UUID",
            "actions": [
                {"command": "Save", "fields": {"state": "str", "apply": "int"}, "emits": ["Created"], "creates": True},
                {
                    "command": "Field",
                    "fields": {"mutate": "optional[str]"},
                    "emits": ["Protocol"],
                    "allowed_in": ["open"],
                },
                {"query": "Positions", "projection": "Recorded"},
            ],
            "events": [
                {
                    "event": "Created",
                    "kind": "integration",
                    "fields": {"state": "str", "apply": "int"},
                    "enters": "open",
                },
                {"event": "Protocol", "fields": {"mutate": "optional[str]", "timestamp": "int"}, "enters": "closed"},
            ],
        },
        {
            "process": "Note",
            "microservice": "sagas",
            "aggregate": "Hooks",
            "actions": [
                {"command": "Rules", "fields": {"cls": "str", "id": "int"}, "emits": ["Noted"], "creates": True}
            ],
            "events": [{"event": "Noted", "fields": {"cls": "str", "id": "int"}, "enters": "done"}],
        },
    ],
    "listeners": [{"on": "Created", "in": "sagas", "command": "Rules", "map": {"cls": "state", "id": "apply"}}],
    "projections": [{"projection": "Recorded", "in": "system", "from": ["Created", "Protocol"]}],
    "scenarios": [
        {
            "scenario": "test",
            "aggregate": "UUID",
            "when": {"Save": {"state": "x", "apply": 1}},
            "then": [{"Created": {"state": "x", "apply": 1}}],
        }
    ],
}


def test_a_journey_using_the_names_the_code_uses_is_renamed_and_its_package_passes_its_tests(tmp_path: Path) -> None:
    path = tmp_path / "awkward.yaml"
    path.write_text(yaml.safe_dump(AWKWARD, sort_keys=False), encoding="utf-8")
    validation = api.validate([path])
    assert validation.model is not None and validation.exit_code() == 0, [str(d) for d in validation.diagnostics]
    renamed = {d.message.split("'")[3] for d in validation.diagnostics if d.code == "W110"}
    expected = {"json_journey", "system_", "UUID_", "Hooks_", "sagas_", "save_", "state_", "apply_", "self_"}
    assert expected | {"Protocol_", "field_"} <= renamed  # what the code imports from the standard library too
    out = tmp_path / "out"
    generate(validation.model, out)
    env = {**os.environ, "PYTHONPATH": str(out), "PYTHONDONTWRITEBYTECODE": "1", "ESP_PERSISTENCE": "memory"}
    tests = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-W", "error"],
        cwd=out,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert tests.returncode == 0, tests.stdout[-4000:] + tests.stderr[-2000:]


def _dependency_modules(pyproject: str) -> set[str]:
    """The top-level modules of the distributions a rendered pyproject.toml asks for (extras included) and of
    theirs, as installed here (the dev extra installs the generated packages' test extra)."""
    import tomllib
    from importlib import metadata

    from packaging.requirements import Requirement

    project = tomllib.loads(pyproject)["project"]
    wanted = [Requirement(r) for r in project["dependencies"]]
    wanted += [Requirement(r) for extra in project.get("optional-dependencies", {}).values() for r in extra]
    seen: set[tuple[str, frozenset[str]]] = set()
    while wanted:
        req = wanted.pop()
        key = (req.name.lower().replace("_", "-"), frozenset(req.extras))
        if key in seen:
            continue
        seen.add(key)
        for text in metadata.distribution(req.name).requires or []:
            sub = Requirement(text)
            extras = ["", *req.extras]
            if sub.marker is None or any(sub.marker.evaluate({"extra": e}) for e in extras):
                wanted.append(sub)
    names = {name for name, _ in seen}
    return {
        top
        for top, dists in metadata.packages_distributions().items()
        if top.isidentifier() and not top.startswith("_") and {d.lower().replace("_", "-") for d in dists} & names
    }


@pytest.mark.parametrize("journey", JOURNEYS, ids=lambda p: p.stem)
def test_no_package_name_shadows_a_module_the_package_imports(journey: Path) -> None:
    """Every top-level module the rendered code imports (anywhere, tests included), and every module of its
    dependencies, is a package name esp renames (issue 15.2: a journey named 'fastapi' validated, and its
    package's tests imported it instead of FastAPI)."""
    names, _, files = _rendered(journey)
    imported = {
        alias.name.split(".")[0]
        for f in files
        if f.path.endswith(".py")
        for node in ast.walk(ast.parse(f.text))
        if isinstance(node, ast.Import)
        for alias in node.names
    } | {
        node.module.split(".")[0]
        for f in files
        if f.path.endswith(".py")
        for node in ast.walk(ast.parse(f.text))
        if isinstance(node, ast.ImportFrom) and node.module and not node.level
    }
    (pyproject,) = [f.text for f in files if f.path == "pyproject.toml"]
    used = (imported | _dependency_modules(pyproject)) - {names.package, "tests"}
    assert used - RESERVED["package"] == set()


def test_a_name_joined_from_long_names_is_bounded_the_same_way_on_every_run() -> None:
    """A saga's rule is named from three names of up to 40 characters: past MAX_RULE it keeps its head and ends in
    a digest of the whole, so two such names that share their head stay distinct, and a short one is kept."""
    head = "settle_claim_" + "x" * 80
    first, second = bounded(head + "_approved_amount"), bounded(head + "_paid_amount")
    assert len(first) == len(second) == MAX_RULE
    assert first != second
    assert first.startswith("settle_claim_x")
    assert bounded(head + "_approved_amount") == first
    assert bounded("settle_claim_approve_claim_amount") == "settle_claim_approve_claim_amount"
