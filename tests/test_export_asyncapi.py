"""esp export asyncapi: the type mapping, the document's shape, and the
official AsyncAPI parser's verdict on every example journey."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import jsonschema
import pytest
import yaml
from export_helpers import EXAMPLES, JOURNEYS, ROOT, types_model
from typer.testing import CliRunner

from esp.api import load_model
from esp.cli import app
from esp.export import asyncapi, export_asyncapi
from esp.export.payload import DECIMAL_PATTERN, event_schema, type_schema
from esp.model import FieldType, Model

NODE_TOOLS = ROOT / "tools" / "node"
PARSER = NODE_TOOLS / "node_modules" / "@asyncapi" / "parser"


def _type(text: str) -> dict[str, object]:
    parsed = FieldType.parse(text)
    assert parsed is not None, text
    return type_schema(parsed)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("str", {"type": "string"}),
        ("int", {"type": "integer"}),
        ("float", {"type": "number"}),
        ("bool", {"type": "boolean"}),
        ("decimal", {"type": "string", "format": "decimal", "pattern": DECIMAL_PATTERN}),
        ("date", {"type": "string", "format": "date"}),
        ("datetime", {"type": "string", "format": "date-time"}),
        ("uuid", {"type": "string", "format": "uuid"}),
        ("list[int]", {"type": "array", "items": {"type": "integer"}}),
        ("optional[str]", {"type": ["string", "null"]}),
        ("optional[uuid]", {"type": ["string", "null"], "format": "uuid"}),
        ("optional[list[date]]", {"type": ["array", "null"], "items": {"type": "string", "format": "date"}}),
        ("list[optional[int]]", {"type": "array", "items": {"type": ["integer", "null"]}}),
        ("optional[optional[int]]", {"type": ["integer", "null"]}),
    ],
)
def test_field_types_map_to_json_schema(text: str, expected: dict[str, object]) -> None:
    assert _type(text) == expected


@pytest.mark.parametrize(("value", "ok"), [("12.50", True), ("-3", True), ("0.1", True), ("1e3", False), ("", False)])
def test_decimals_are_exact_strings(value: str, ok: bool) -> None:
    validator = jsonschema.Draft7Validator(_type("decimal"))
    assert validator.is_valid(value) is ok
    assert not validator.is_valid(12.5)  # a JSON number would lose exactness


def test_payload_has_the_aggregate_id_and_required_fields(tmp_path: Path) -> None:
    model = types_model(tmp_path)
    event = model.event("OrderPlaced")
    assert event is not None
    schema = event_schema(event)
    assert next(iter(schema["properties"])) == "order_id"
    assert schema["properties"]["order_id"]["format"] == "uuid"
    required = ["order_id", "count", "weight", "gift", "total", "due", "at", "customer", "lines", "price"]
    assert schema["required"] == required
    assert schema["additionalProperties"] is False
    good = {
        "order_id": "0b7c2f6e-8d1a-4d8e-9a59-3c1f3e0c9a11",
        "count": 2,
        "weight": 1.5,
        "gift": False,
        "total": "19.99",
        "due": "2026-01-31",
        "at": "2026-01-31T12:00:00Z",
        "customer": "0b7c2f6e-8d1a-4d8e-9a59-3c1f3e0c9a12",
        "lines": ["soup"],
        "coupon": None,
        "price": {"amount": "19.99", "currency": "EUR"},
        "extras": [{"sku": "S1", "units": 1, "price": {"amount": "2.50", "currency": "EUR"}, "discount": None}],
    }
    validator = jsonschema.Draft7Validator(schema, format_checker=jsonschema.Draft7Validator.FORMAT_CHECKER)
    assert list(validator.iter_errors(good)) == []
    assert not validator.is_valid({**good, "due": "31/01/2026"})
    assert not validator.is_valid({**good, "count": "2"})
    missing = {k: v for k, v in good.items() if k != "order_id"}
    assert not validator.is_valid(missing)


def test_value_objects_are_shared_schemas_the_payload_refers_to(tmp_path: Path) -> None:
    doc = asyncapi.document(types_model(tmp_path))
    schemas = doc["components"]["schemas"]
    assert schemas["Money"]["required"] == ["amount", "currency"]
    assert schemas["Money"]["properties"]["amount"]["format"] == "decimal"
    assert schemas["OrderLine"]["properties"]["price"] == {"$ref": "#/components/schemas/Money"}
    assert schemas["OrderLine"]["properties"]["discount"] == {
        "oneOf": [{"$ref": "#/components/schemas/Money"}, {"type": "null"}]
    }
    assert schemas["OrderPlaced"]["properties"]["extras"] == {
        "type": ["array", "null"],
        "items": {"$ref": "#/components/schemas/OrderLine"},
    }
    line = {"sku": "S1", "units": 1, "price": {"amount": "2.50", "currency": "EUR"}, "discount": None}
    validator = jsonschema.Draft7Validator({**schemas["OrderLine"], "components": doc["components"]})
    assert list(validator.iter_errors(line)) == []
    assert not validator.is_valid({**line, "price": {"amount": 2.5, "currency": "EUR"}})  # a decimal is text
    assert not validator.is_valid({k: v for k, v in line.items() if k != "units"})


def test_document_channels_and_operations(tmp_path: Path) -> None:
    doc = asyncapi.document(types_model(tmp_path))
    assert doc["asyncapi"] == "3.0.0"
    assert list(doc["channels"]) == ["shop"]  # billing publishes no integration event
    assert list(doc["channels"]["shop"]["messages"]) == ["OrderPlaced"]  # not the domain event NoteTaken
    ops = doc["operations"]
    assert ops["shop_publishes"]["action"] == "send"
    receive = ops["billing_receives_from_shop"]
    assert receive["action"] == "receive"
    assert receive["channel"] == {"$ref": "#/channels/shop"}
    assert receive["messages"] == [{"$ref": "#/channels/shop/messages/OrderPlaced"}]
    assert receive["description"] == "Through listener OpenInvoice, projection Orders."
    assert set(doc["components"]["schemas"]) == {"OrderPlaced", "Money", "OrderLine"}  # its value objects too


def test_restaurant_receivers() -> None:
    doc = asyncapi.document(_model(JOURNEYS / "restaurant.yaml"))
    receives = {k for k, op in doc["operations"].items() if op["action"] == "receive"}
    assert receives == {"kitchen_receives_from_dining", "payment_receives_from_dining"}


def test_yaml_and_json_carry_the_same_document(tmp_path: Path) -> None:
    as_yaml, as_json = tmp_path / "api.yaml", tmp_path / "api.json"
    export_asyncapi(load_model([JOURNEYS]), as_yaml)
    export_asyncapi(load_model([JOURNEYS]), as_json)
    assert yaml.safe_load(as_yaml.read_text()) == json.loads(as_json.read_text())
    assert "&id" not in as_yaml.read_text()  # no YAML anchors: every tool reads it


def test_output_is_deterministic() -> None:
    assert export_asyncapi(load_model([JOURNEYS])) == export_asyncapi(load_model([JOURNEYS]))


def _model(path: Path) -> Model:
    return load_model([path])


# -- the CLI ---------------------------------------------------------------


def test_cli_writes_yaml_to_stdout() -> None:
    result = CliRunner().invoke(app, ["export", "asyncapi", str(JOURNEYS / "restaurant.yaml")])
    assert result.exit_code == 0, result.output
    assert yaml.safe_load(result.stdout)["asyncapi"] == "3.0.0"


def test_cli_refuses_an_unknown_extension(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["export", "asyncapi", str(JOURNEYS), "-o", str(tmp_path / "api.txt")])
    assert result.exit_code == 2
    assert ".yaml, .yml or .json" in result.output
    assert not (tmp_path / "api.txt").exists()


def test_cli_refuses_an_invalid_model(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("journey: x\nprocesses: 3\n", encoding="utf-8")
    proc = subprocess.run(
        [str(ROOT / ".venv" / "bin" / "esp"), "export", "asyncapi", str(bad)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode in (1, 2), proc.stderr
    assert "bad.yaml" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert proc.stdout == ""


# -- the official parser ---------------------------------------------------


def _parse_with_official_parser(files: list[Path]) -> list[dict[str, object]]:
    node = shutil.which("node")
    if node is None:
        pytest.skip("Node.js is not installed: the official AsyncAPI parser cannot run")
    assert PARSER.is_dir(), "@asyncapi/parser is not installed: run ./dev setup (npm ci in tools/node)"
    proc = subprocess.run(
        [node, str(NODE_TOOLS / "validate-asyncapi.cjs"), *map(str, files)],
        capture_output=True,
        text=True,
        check=False,
        cwd=NODE_TOOLS,
    )
    lines = [json.loads(line) for line in proc.stdout.splitlines() if line.strip()]
    problems = [x for x in lines if x.get("level") in ("error", "warning")]
    assert proc.returncode == 0, f"the AsyncAPI parser refused the export:\n{proc.stdout}\n{proc.stderr}"
    assert problems == []
    return [x for x in lines if "parsed" in x]


@pytest.mark.parametrize("journey", EXAMPLES, ids=lambda p: p.stem)
def test_every_example_parses_with_the_official_parser(journey: Path, tmp_path: Path) -> None:
    as_yaml, as_json = tmp_path / f"{journey.stem}.yaml", tmp_path / f"{journey.stem}.json"
    export_asyncapi(load_model([journey]), as_yaml)
    export_asyncapi(load_model([journey]), as_json)
    verdicts = _parse_with_official_parser([as_yaml, as_json])
    assert [v["version"] for v in verdicts] == ["3.0.0", "3.0.0"]


def test_the_whole_example_model_and_every_type_parse(tmp_path: Path) -> None:
    whole, typed = tmp_path / "all.yaml", tmp_path / "typed.json"
    export_asyncapi(load_model([JOURNEYS]), whole)
    typed.write_text(asyncapi.dumps(asyncapi.document(types_model(tmp_path)), "json"), encoding="utf-8")
    assert len(_parse_with_official_parser([whole, typed])) == 2


def test_the_parser_check_can_fail(tmp_path: Path) -> None:
    """The harness itself: a broken document must be reported, not waved through."""
    doc = asyncapi.document(types_model(tmp_path))
    doc["operations"]["shop_publishes"]["action"] = "publish"  # AsyncAPI 2's word, invalid in 3.0
    broken = tmp_path / "broken.json"
    broken.write_text(asyncapi.dumps(doc, "json"), encoding="utf-8")
    with pytest.raises(AssertionError, match="refused"):
        _parse_with_official_parser([broken])
