"""esp export eventcatalog: the documented layout and frontmatter for every
example journey, MDX that text cannot break out of, and (where EventCatalog
is installed: CI) a real build with @eventcatalog/core."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import uuid
from pathlib import Path
from types import SimpleNamespace
from typing import Any, cast

import jsonschema
import pytest
import yaml
from export_helpers import EXAMPLES, JOURNEYS, ROOT, TYPES_JOURNEY, types_model
from typer.testing import CliRunner

from esp.api import load_model
from esp.cli import app
from esp.export import eventcatalog, export_eventcatalog, integration
from esp.model import Model

SEMVER = re.compile(r"^\d+\.\d+\.\d+$")
CATALOG_TOOL = ROOT / "tools" / "eventcatalog"


def frontmatter(text: str) -> tuple[dict[str, Any], str]:
    assert text.startswith("---\n"), text[:40]
    head, _, body = text[4:].partition("\n---\n")
    data = yaml.safe_load(head)
    assert isinstance(data, dict)
    return data, body


def _check_catalog(model: Model, files: dict[str, str]) -> None:
    pages = {path: frontmatter(text) for path, text in files.items() if path.endswith("index.mdx")}
    by_kind: dict[str, dict[str, dict[str, Any]]] = {"domains": {}, "services": {}, "events": {}}
    for path, (front, _) in pages.items():
        kind, ident, name = path.split("/")
        assert name == "index.mdx"
        assert front["id"] == ident  # the folder is named after the id
        for key in ("id", "name", "version", "summary"):
            assert isinstance(front[key], str) and front[key], (path, key)
        assert SEMVER.match(front["version"]), path
        for badge in front.get("badges", []):
            assert set(badge) == {"content", "backgroundColor", "textColor"}
        by_kind[kind][ident] = front
    assert len(by_kind["domains"]) == len(model.journeys)
    assert len(by_kind["services"]) == len(model.microservices)
    assert len(by_kind["events"]) == len(integration.integration_events(model))
    for domain in by_kind["domains"].values():
        for ref in domain["services"]:
            assert by_kind["services"][ref["id"]]["version"] == ref["version"]
    for service in by_kind["services"].values():
        for ref in service["sends"] + service["receives"]:
            assert by_kind["events"][ref["id"]]["version"] == ref["version"], ref
    for ident, event in by_kind["events"].items():
        schema = json.loads(files[f"events/{ident}/{event['schemaPath']}"])
        jsonschema.Draft7Validator.check_schema(schema)
        assert schema["title"] == ident
    assert eventcatalog.CONFIG in files


@pytest.mark.parametrize("journey", [*EXAMPLES, JOURNEYS], ids=lambda p: p.stem)
def test_every_example_gives_the_documented_layout(journey: Path) -> None:
    model = load_model([journey])
    _check_catalog(model, eventcatalog.files(model))


def test_sends_and_receives(tmp_path: Path) -> None:
    files = eventcatalog.files(types_model(tmp_path))
    shop, _ = frontmatter(files["services/shop/index.mdx"])
    billing, _ = frontmatter(files["services/billing/index.mdx"])
    assert shop["sends"] == [{"id": "OrderPlaced", "version": "1.0.0"}]
    assert shop["receives"] == []
    assert billing["sends"] == []
    assert billing["receives"] == [{"id": "OrderPlaced", "version": "1.0.0"}]  # once, though heard twice
    assert "events/NoteTaken/index.mdx" not in files  # domain events stay inside their service
    domain, _ = frontmatter(files["domains/typed-orders/index.mdx"])
    assert [s["id"] for s in domain["services"]] == ["shop", "billing"]


def test_text_cannot_become_jsx_or_markup(tmp_path: Path) -> None:
    files = eventcatalog.files(types_model(tmp_path))
    front, body = frontmatter(files["events/OrderPlaced/index.mdx"])
    assert front["summary"] == "An order {with} <b>markup</b> is placed"  # data in YAML, as written
    assert r"An order \{with\} \<b\>markup\</b\> is placed" in body
    assert "{with}" not in body and "<b>" not in body
    assert eventcatalog.mdx_text("- a list? 1. no # heading") == r"\- a list? 1. no \# heading"
    assert eventcatalog.mdx_text("2. second") == r"2\. second"


def test_the_config_is_data_only() -> None:
    # Journey names cannot hold quotes (E024); the config must be safe all the same.
    evil = 'Evil" + process.exit(1) + "</script>'
    text = eventcatalog.config(cast(Model, SimpleNamespace(name=evil)))
    title_line = next(line for line in text.splitlines() if line.strip().startswith("title:"))
    title = json.loads(title_line.strip()[len("title: ") : -1])
    assert title == f"{evil} events"
    assert "</script>" not in text


def test_the_cli_writes_the_tree_and_keeps_a_users_config(tmp_path: Path) -> None:
    out = tmp_path / "catalog"
    out.mkdir()
    (out / "eventcatalog.config.js").write_text("// mine\n", encoding="utf-8")
    result = CliRunner().invoke(app, ["export", "eventcatalog", str(JOURNEYS / "restaurant.yaml"), "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert (out / "events" / "OrderPlaced" / "schema.json").is_file()
    assert (out / "services" / "kitchen" / "index.mdx").is_file()
    assert (out / "eventcatalog.config.js").read_text(encoding="utf-8") == "// mine\n"
    assert "files to" in result.stdout


def test_the_export_is_deterministic(tmp_path: Path) -> None:
    first, second = tmp_path / "a", tmp_path / "b"
    export_eventcatalog(load_model([JOURNEYS]), first)
    export_eventcatalog(load_model([JOURNEYS]), second)
    listing = sorted(p.relative_to(first) for p in first.rglob("*") if p.is_file())
    assert listing == sorted(p.relative_to(second) for p in second.rglob("*") if p.is_file())
    for rel in listing:
        assert (first / rel).read_bytes() == (second / rel).read_bytes()


def test_eventcatalog_builds_the_export() -> None:
    """EventCatalog itself (2.x: the line that runs on Node.js 20) builds the
    exported folder. A few minutes of work, so it runs where ./dev setup
    installed tools/eventcatalog: in CI, or with ESP_EVENTCATALOG=1.

    The catalog is built inside tools/eventcatalog (git-ignored .catalogs/):
    Astro resolves its own files by real path, so node_modules must be an
    ancestor of the catalog, not a symlink into it."""
    core = CATALOG_TOOL / "node_modules" / "@eventcatalog" / "core"
    if shutil.which("node") is None or not core.is_dir():
        pytest.skip("EventCatalog is not installed (tools/eventcatalog: ./dev setup installs it in CI)")
    catalog = CATALOG_TOOL / ".catalogs" / uuid.uuid4().hex
    hostile = catalog.parent / f"{catalog.name}.yaml"
    try:
        export_eventcatalog(load_model([JOURNEYS]), catalog)
        # A second model in the same catalog, whose description holds braces and markup.
        hostile.write_text(TYPES_JOURNEY.replace("OrderPlaced", "TypedOrderPlaced"), encoding="utf-8")
        export_eventcatalog(load_model([hostile]), catalog)
        shutil.copy(CATALOG_TOOL / "package.json", catalog / "package.json")
        bin_dir = CATALOG_TOOL / "node_modules" / ".bin"
        env = {**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}"}
        env.update(ASTRO_TELEMETRY_DISABLED="1", NO_COLOR="1")
        proc = subprocess.run(
            [str(bin_dir / "eventcatalog"), "build"], cwd=catalog, env=env, capture_output=True, text=True, check=False
        )
        assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-4000:]
        docs = catalog / "dist" / "docs"
        page = docs / "events" / "OrderPlaced" / "1.0.0" / "index.html"
        assert page.is_file(), "EventCatalog built no page for OrderPlaced"
        assert "The kitchen starts cooking" in page.read_text(encoding="utf-8")
        for ms in load_model([JOURNEYS]).microservices:
            assert (docs / "services" / eventcatalog.slug(ms.name) / "1.0.0" / "index.html").is_file(), ms.name
        typed = (docs / "events" / "TypedOrderPlaced" / "1.0.0" / "index.html").read_text(encoding="utf-8")
        assert "An order {with} &lt;b&gt;markup&lt;/b&gt; is placed" in typed  # shown as text, not run or rendered
    finally:
        shutil.rmtree(catalog, ignore_errors=True)
        hostile.unlink(missing_ok=True)
