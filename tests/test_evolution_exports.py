"""Exports carry event versions: AsyncAPI lists every version of a message a
channel may carry, EventCatalog keeps earlier versions in versioned/ folders;
both with the payload each version had, read back through the history."""

from __future__ import annotations

import os
import shutil
import subprocess
import uuid
from pathlib import Path

import pytest
from export_helpers import ROOT
from test_export_asyncapi import _parse_with_official_parser

from esp.api import load_model
from esp.export import asyncapi, eventcatalog, export_asyncapi, export_eventcatalog

V2 = ROOT / "tests" / "data" / "evolution" / "v2" / "restaurant.yaml"
CATALOG_TOOL = ROOT / "tools" / "eventcatalog"


def _properties(schema: dict[str, object]) -> list[str]:
    properties = schema["properties"]
    assert isinstance(properties, dict)
    return list(properties)


def test_asyncapi_lists_every_version() -> None:
    doc = asyncapi.document(load_model([V2]))
    channel = doc["channels"]["dining"]["messages"]
    assert list(channel) == ["OrderPlaced", "OrderPlaced.v1", "TableClosed", "TableClosed.v1"]
    messages, schemas = doc["components"]["messages"], doc["components"]["schemas"]
    assert messages["OrderPlaced"]["x-esp-version"] == 2
    assert messages["OrderPlaced"]["x-esp-compatibility"] == "full"
    old = messages["OrderPlaced.v1"]
    assert old["name"] == "OrderPlaced" and old["x-esp-version"] == 1
    assert "Version 2: 'notes' added" in old["summary"]
    assert _properties(schemas["OrderPlaced"]) == ["order_id", "table_number", "dishes", "notes"]
    assert _properties(schemas["OrderPlaced.v1"]) == ["order_id", "table_number", "dishes"]
    assert _properties(schemas["TableClosed"]) == ["order_id"]
    assert _properties(schemas["TableClosed.v1"]) == ["order_id", "table_number"]
    sent = doc["operations"]["dining_publishes"]["messages"]
    assert sent == [
        {"$ref": "#/channels/dining/messages/OrderPlaced"},
        {"$ref": "#/channels/dining/messages/TableClosed"},
    ]  # a publisher sends the current version; a consumer reads them all (the reader upcasts)
    heard = doc["operations"]["kitchen_receives_from_dining"]["messages"]
    assert heard == [
        {"$ref": "#/channels/dining/messages/OrderPlaced"},
        {"$ref": "#/channels/dining/messages/OrderPlaced.v1"},
    ]


def test_asyncapi_with_versions_parses_with_the_official_parser(tmp_path: Path) -> None:
    out = tmp_path / "restaurant-v2.yaml"
    export_asyncapi(load_model([V2]), out)
    assert len(_parse_with_official_parser([out])) == 1


def test_eventcatalog_keeps_earlier_versions() -> None:
    files = eventcatalog.files(load_model([V2]))
    versioned = sorted(path for path in files if "/versioned/" in path)
    assert versioned == [
        "events/OrderPlaced/versioned/1.0.0/index.mdx",
        "events/OrderPlaced/versioned/1.0.0/schema.json",
        "events/TableClosed/versioned/1.0.0/index.mdx",
        "events/TableClosed/versioned/1.0.0/schema.json",
    ]
    current = files["events/TableClosed/index.mdx"]
    assert "\nversion: 2.0.0\n" in current
    assert "- Version 2: 'table\\_number' (int) removed" in current  # markdown escaped
    older = files["events/TableClosed/versioned/1.0.0/index.mdx"]
    assert "\nversion: 1.0.0\n" in older and "## Versions" not in older
    assert '"table_number"' in files["events/TableClosed/versioned/1.0.0/schema.json"]
    assert '"table_number"' not in files["events/TableClosed/schema.json"]


def test_eventcatalog_builds_versioned_events() -> None:
    """EventCatalog itself builds a page for each version (where ./dev setup installed it: CI)."""
    core = CATALOG_TOOL / "node_modules" / "@eventcatalog" / "core"
    if shutil.which("node") is None or not core.is_dir():
        pytest.skip("EventCatalog is not installed (tools/eventcatalog: ./dev setup installs it in CI)")
    catalog = CATALOG_TOOL / ".catalogs" / uuid.uuid4().hex
    try:
        export_eventcatalog(load_model([V2]), catalog)
        shutil.copy(CATALOG_TOOL / "package.json", catalog / "package.json")
        bin_dir = CATALOG_TOOL / "node_modules" / ".bin"
        env = {**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}"}
        env.update(ASTRO_TELEMETRY_DISABLED="1", NO_COLOR="1")
        proc = subprocess.run(
            [str(bin_dir / "eventcatalog"), "build"], cwd=catalog, env=env, capture_output=True, text=True, check=False
        )
        assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-4000:]
        pages = catalog / "dist" / "docs" / "events" / "TableClosed"
        assert "table_number" in (pages / "1.0.0" / "index.html").read_text(encoding="utf-8")
        assert "Version 2" in (pages / "2.0.0" / "index.html").read_text(encoding="utf-8")
    finally:
        shutil.rmtree(catalog, ignore_errors=True)
