"""Editors: the YAML language server (yaml-language-server, the engine of VS
Code's YAML extension) finds the journey schema through each example's
modeline, applies it, and flags mistakes; the `esp schema -o` route works too."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from export_helpers import EXAMPLES, ROOT
from typer.testing import CliRunner

from esp.cli import app

NODE_TOOLS = ROOT / "tools" / "node"
SERVER = NODE_TOOLS / "node_modules" / "yaml-language-server"
SCHEMA_TITLE = "esp journey"  # the schema's title, shown in the hover of every key


def _check(files: list[Path]) -> list[dict[str, Any]]:
    node = shutil.which("node")
    if node is None:
        pytest.skip("Node.js is not installed: the YAML language server cannot run")
    assert SERVER.is_dir(), "yaml-language-server is not installed: run ./dev setup (npm ci in tools/node)"
    proc = subprocess.run(
        [node, str(NODE_TOOLS / "check-yaml-ls.mjs"), *map(str, files)],
        capture_output=True,
        text=True,
        check=False,
        cwd=NODE_TOOLS,
    )
    assert proc.returncode == 0, proc.stderr
    return [json.loads(line) for line in proc.stdout.splitlines()]


def test_every_example_is_clean_under_its_modeline_schema() -> None:
    results = _check(EXAMPLES)
    assert len(results) == len(EXAMPLES)
    for result in results:
        assert SCHEMA_TITLE in result["hover"], f"{result['file']}: the language server applied no journey schema"
        assert "journey.schema.json" in result["hover"]
        assert result["diagnostics"] == [], result


def test_the_language_server_flags_mistakes(tmp_path: Path) -> None:
    schema = (ROOT / "esp" / "schema" / "journey.schema.json").as_uri()
    bad = tmp_path / "bad.yaml"
    bad.write_text(f"# yaml-language-server: $schema={schema}\njourney: 3\ncolour: blue\n", encoding="utf-8")
    (result,) = _check([bad])
    assert {d["line"] for d in result["diagnostics"]} == {2, 3}
    assert any("colour" in d["message"] for d in result["diagnostics"])


def test_the_esp_schema_route(tmp_path: Path) -> None:
    """A project without an esp checkout: esp schema -o, and a modeline beside it."""
    schema_file = tmp_path / "journeys" / "journey.schema.json"
    schema_file.parent.mkdir()
    result = CliRunner().invoke(app, ["schema", "-o", str(schema_file)])
    assert result.exit_code == 0, result.output
    text = (ROOT / "journeys" / "restaurant.yaml").read_text(encoding="utf-8")
    first, rest = text.split("\n", 1)
    assert first.startswith("# yaml-language-server: $schema=")
    journey = schema_file.parent / "restaurant.yaml"
    journey.write_text("# yaml-language-server: $schema=journey.schema.json\n" + rest, encoding="utf-8")
    (checked,) = _check([journey])
    assert checked["diagnostics"] == []
    assert schema_file.as_uri() in checked["hover"]
