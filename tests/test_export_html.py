"""`esp export html`: one self-contained page for the team."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from esp.api import load_model
from esp.cli import app
from esp.export.html import page

ROOT = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.skipif(shutil.which("dot") is None, reason="needs Graphviz's dot (./dev setup installs it)")


def test_page_has_the_table_the_drawings_and_nothing_external() -> None:
    model = load_model([ROOT / "journeys" / "travel.yaml"])
    text = page(model)
    assert text.count("<th>") == 5
    assert text.count("<tr>") == len(model.processes) + 1
    assert text.count("<svg") == 4  # esp map, flow, context, saga
    assert "BookTrip" in text
    external = re.findall(r"""(?:src|href)=["']?(?!#)[^"' >]+""", text)
    assert external == [], external
    assert "<script" not in text


def test_page_lists_the_value_objects_the_map_draws() -> None:
    text = page(load_model([ROOT / "journeys" / "shopping.yaml"]))
    assert "<h2>Value objects</h2>" in text
    assert "<td><b>OrderLine</b></td><td>sku: str, quantity: int, unit_price: decimal</td>" in text
    assert 'id="value&#45;order_line"' in text  # the ESP map's sticky, in the inline SVG (dot writes - as &#45;)


def test_text_from_the_journey_is_escaped(tmp_path: Path) -> None:
    source = (ROOT / "journeys" / "restaurant.yaml").read_text(encoding="utf-8")
    hostile = source.replace(
        "description: >\n  People arrive", "description: >\n  <script>alert('x')</script> & People arrive", 1
    )
    journey = tmp_path / "hostile.yaml"
    journey.write_text(hostile, encoding="utf-8")
    text = page(load_model([journey]))
    assert "<script>" not in text
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt; &amp; People" in text


def test_cli_writes_the_page(tmp_path: Path) -> None:
    target = tmp_path / "board.html"
    result = CliRunner().invoke(app, ["export", "html", str(ROOT / "journeys" / "restaurant.yaml"), "-o", str(target)])
    assert result.exit_code == 0, result.output
    assert target.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")


def test_cli_without_dot_says_how_to_install_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    result = CliRunner().invoke(app, ["export", "html", str(ROOT / "journeys" / "restaurant.yaml")])
    assert result.exit_code == 2
    assert "graphviz" in result.output
