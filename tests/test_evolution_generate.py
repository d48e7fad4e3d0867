"""Generated upcasters: an event with a history gets eventsourcing's ``class_version`` and one
``upcast_vN_vM`` step per version, made of renames, widenings, defaults and removals; defaults are
literals of the field's type (never journey text as code); an aggregate whose events changed gets a
SHAPE, so its older snapshots are passed over. Events without a history render as before (the
committed examples: tests/test_generate.py). The round trip through a database is
tests/test_evolution_roundtrip.py."""

from __future__ import annotations

import ast
import datetime as dt
import subprocess
import sys
from decimal import Decimal
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest
import yaml

from esp import api
from esp.generate.package import build
from esp.generate.render import render
from esp_runtime.evolution import rename, widen

ROOT = Path(__file__).resolve().parent.parent
V2 = ROOT / "tests" / "data" / "evolution" / "v2" / "restaurant.yaml"
HOSTILE = '"); __import__("os").system("touch PWNED"); ("\n\'\'\'"""'


def aggregates_source(path: Path, service: str) -> str:
    validation = api.validate([path])
    assert validation.model is not None and validation.exit_code() in (0, 1), [str(d) for d in validation.diagnostics]
    assert not [d for d in validation.diagnostics if d.severity == "error"]
    files = {f.path: f.text for f in render(build(validation.model))}
    return next(text for p, text in files.items() if p.endswith(f"/{service}/aggregates.py"))


def event_class(source: str, name: str) -> ast.ClassDef:
    found = [n for n in ast.walk(ast.parse(source)) if isinstance(n, ast.ClassDef) and n.name == name]
    assert len(found) == 1, name
    return found[0]


def upcaster(source: str, event: str, method: str) -> Any:
    """The generated static method on its own, compiled with what the module imports."""
    (node,) = [n for n in event_class(source, event).body if isinstance(n, ast.FunctionDef) and n.name == method]
    node.decorator_list = []
    module = ast.Module(body=[node], type_ignores=[])
    namespace: dict[str, Any] = {
        "Any": Any,
        "rename": rename,
        "widen": widen,
        "Decimal": Decimal,
        "UUID": UUID,
        "date": dt.date,
        "datetime": dt.datetime,
    }
    exec(compile(module, "<upcaster>", "exec"), namespace)  # the generated code under test
    return namespace[method]


def class_version(cls: ast.ClassDef) -> int | None:
    for n in cls.body:
        if isinstance(n, ast.AnnAssign) and isinstance(n.target, ast.Name) and n.target.id == "class_version":
            assert isinstance(n.value, ast.Constant)
            return int(n.value.value)
    return None


def methods(cls: ast.ClassDef) -> list[str]:
    return [n.name for n in cls.body if isinstance(n, ast.FunctionDef)]


@pytest.fixture(scope="module")
def dining() -> str:
    return aggregates_source(V2, "dining")


def test_an_event_with_a_history_gets_its_version_and_steps(dining: str) -> None:
    for name in ("DrinksAdded", "FoodItemAdded", "OrderPlaced", "TableClosed"):
        cls = event_class(dining, name)
        assert class_version(cls) == 2
        assert methods(cls) == ["upcast_v1_v2", "apply"]
    for name in ("TableOpened", "ItemRemoved"):
        cls = event_class(dining, name)
        assert class_version(cls) is None and methods(cls) == ["apply"]


def test_the_steps_rename_widen_fill_and_drop(dining: str) -> None:
    base = {"originator_id": UUID(int=1), "originator_version": 2, "timestamp": dt.datetime(2024, 1, 1)}
    cases = [
        ("DrinksAdded", {"drink": "tea", "quantity": 2}, {"beverage": "tea", "quantity": 2}),
        ("FoodItemAdded", {"dish": "soup", "quantity": 3}, {"dish": "soup", "quantity": Decimal(3)}),
        ("OrderPlaced", {"table_number": 4, "dishes": ["soup"]}, {"table_number": 4, "dishes": ["soup"], "notes": ""}),
        ("TableClosed", {"table_number": 4}, {}),
    ]
    for event, before, after in cases:
        state = {**base, **before}
        upcaster(dining, event, "upcast_v1_v2")(state)
        assert state == {**base, **after}, event
        assert type(state.get("quantity", 0)) is type(after.get("quantity", 0))


def test_the_aggregate_shape_names_the_changed_events(dining: str) -> None:
    tree = ast.parse(dining)
    (order,) = [n for n in tree.body if isinstance(n, ast.ClassDef) and n.name == "DiningOrder"]
    shape = next(n for n in order.body if isinstance(n, ast.AnnAssign) and getattr(n.target, "id", "") == "SHAPE")
    assert isinstance(shape.value, ast.Constant)
    assert shape.value.value == "DrinksAdded v2, FoodItemAdded v2, OrderPlaced v2, TableClosed v2"
    assert "self._esp_shape = self.SHAPE" in dining
    kitchen = aggregates_source(V2, "kitchen")
    assert "SHAPE" not in kitchen and "class_version" not in kitchen and "esp_runtime.evolution" not in kitchen


def journey_with_history(tmp_path: Path, fields: dict[str, str], history: list[dict[str, Any]], version: int) -> Path:
    data = {
        "journey": "Shopping",
        "microservices": {"shop": {"aggregates": {"Cart": {"identity": "cart_id", "states": ["open"]}}}},
        "processes": [
            {
                "process": "Shop",
                "microservice": "shop",
                "aggregate": "Cart",
                "actions": [{"command": "OpenCart", "fields": fields, "emits": ["CartOpened"], "creates": True}],
                "events": [
                    {"event": "CartOpened", "version": version, "fields": fields, "history": history, "enters": "open"}
                ],
            }
        ],
    }
    path = tmp_path / "shopping.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


def test_a_default_is_a_literal_of_its_type_never_code(tmp_path: Path) -> None:
    fields = {
        "note": "str",
        "total": "decimal",
        "since": "date",
        "at": "datetime",
        "ref": "uuid",
        "tags": "list[str]",
        "ratio": "optional[float]",
    }
    defaults = {
        "note": HOSTILE,
        "total": "1.50",
        "since": "2024-02-29",
        "at": "2024-01-31T12:00:00+00:00",
        "ref": "00000000-0000-4000-8000-000000000001",
        "tags": [HOSTILE, "b"],
        "ratio": None,
    }
    path = journey_with_history(tmp_path, fields, [{"version": 2, "added": defaults}], 2)
    source = aggregates_source(path, "shop")
    calls = {n.func.id for n in ast.walk(ast.parse(source)) if isinstance(n, ast.Call) and isinstance(n.func, ast.Name)}
    assert "__import__" not in calls
    state: dict[str, Any] = {}
    upcaster(source, "CartOpened", "upcast_v1_v2")(state)
    assert state == {
        "note": HOSTILE,
        "total": Decimal("1.50"),
        "since": dt.date(2024, 2, 29),
        "at": dt.datetime(2024, 1, 31, 12, tzinfo=dt.UTC),
        "ref": UUID("00000000-0000-4000-8000-000000000001"),
        "tags": [HOSTILE, "b"],
        "ratio": None,
    }
    fresh: dict[str, Any] = {}
    upcaster(source, "CartOpened", "upcast_v1_v2")(fresh)
    assert fresh["tags"] is not state["tags"]  # a mutable default is a new list for each event


def test_each_step_widens_to_the_type_of_its_version_and_a_silent_version_still_has_a_step(tmp_path: Path) -> None:
    history = [
        {"version": 2, "widened": {"total": "int"}, "renamed": {"sum": "total"}},
        {"version": 4, "widened": {"total": "float"}, "removed": {"coupon": "str"}},
    ]
    path = journey_with_history(tmp_path, {"total": "decimal"}, history, 4)
    source = aggregates_source(path, "shop")
    cls = event_class(source, "CartOpened")
    assert class_version(cls) == 4
    assert methods(cls) == ["upcast_v1_v2", "upcast_v2_v3", "upcast_v3_v4", "apply"]
    state: dict[str, Any] = {"sum_": 3, "coupon": "X"}  # a builtin's name: stored as the attribute was
    for step in ("upcast_v1_v2", "upcast_v2_v3", "upcast_v3_v4"):
        upcaster(source, "CartOpened", step)(state)
    assert state == {"total": Decimal("3.0")} and isinstance(state["total"], Decimal)
    assert 'widen(state["total"], "int", "float")' in source
    assert 'widen(state["total"], "float", "decimal")' in source
    assert '"""Version 3 changed nothing stored."""' in source


def test_long_steps_are_split_as_ruff_format_leaves_them(tmp_path: Path) -> None:
    """Long names and defaults: each statement too long for a line is split the way ruff format keeps it."""
    long_decimal = "12345678901234567890." + "1234567890" * 9
    OLD_NAME = "the_reference_number_the_customer_was_given_by_the_shop_when_it_opened_the_cart"  # noqa: N806
    fields = {
        "quantities_as_the_customer_wrote_them_all": "list[optional[decimal]]",
        "note": "str",
        "tags": "list[str]",
        "ratio": "decimal",
        "customer_reference_number": "str",
    }
    history = [
        {
            "version": 2,
            "renamed": {OLD_NAME: "customer_reference_number"},
            "widened": {"quantities_as_the_customer_wrote_them_all": "list[optional[int]]"},
            "added": {"note": "a note " * 20, "tags": [f"tag number {i}" for i in range(12)], "ratio": long_decimal},
            "removed": {
                "a_field_whose_name_is_long_enough_that_popping_it_cannot_fit_on_one_line_of_the_method_at_all": "str"
            },
        }
    ]
    source = aggregates_source(journey_with_history(tmp_path, fields, history, 2), "shop")
    module = tmp_path / "aggregates.py"
    module.write_text(source, encoding="utf-8")
    (tmp_path / "pyproject.toml").write_text("[tool.ruff]\nline-length = 120\n", encoding="utf-8")
    ruff = Path(sys.executable).parent / "ruff"
    result = subprocess.run(
        [str(ruff), "format", "--check", "--diff", "--no-cache", str(module)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "rename(\n" in source and "widen(\n" in source and "Decimal(\n" in source and "state.pop(\n" in source
    state: dict[str, Any] = {
        OLD_NAME: "R1",
        "quantities_as_the_customer_wrote_them_all": [1, None],
        "a_field_whose_name_is_long_enough_that_popping_it_cannot_fit_on_one_line_of_the_method_at_all": "x",
    }
    upcaster(source, "CartOpened", "upcast_v1_v2")(state)
    assert state == {
        "customer_reference_number": "R1",
        "quantities_as_the_customer_wrote_them_all": [Decimal(1), None],
        "note": "a note " * 20,
        "tags": [f"tag number {i}" for i in range(12)],
        "ratio": Decimal(long_decimal),
    }
