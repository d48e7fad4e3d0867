"""`esp diagram` from the command line: options, files, exit codes, and what
happens without Graphviz (a message and exit 2, never a traceback)."""

from __future__ import annotations

import shutil
import sys
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest
from helpers import JOURNEYS, MINIMAL, assert_exit, explain, run_esp, variant
from typer.testing import CliRunner

from esp.cli import app

RESTAURANT = JOURNEYS / "restaurant.yaml"
needs_dot = pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz's dot is not installed")
NO_DOT = {"PATH": str(Path(sys.executable).parent)}  # the venv's bin: esp and python, no dot


def invoke(*args: str | Path) -> Any:
    return CliRunner().invoke(app, ["diagram", *map(str, args)])


@needs_dot
@pytest.mark.parametrize(("name", "magic"), [("map.svg", b"<?xml"), ("map.png", b"\x89PNG"), ("map.pdf", b"%PDF")])
def test_the_format_comes_from_the_file_extension(tmp_path: Path, name: str, magic: bytes) -> None:
    target = tmp_path / "out" / name
    result = invoke(RESTAURANT, "-o", target)
    assert_exit(result, 0)
    assert target.read_bytes().startswith(magic)


@needs_dot
def test_svg_on_stdout_by_default() -> None:
    result = invoke(RESTAURANT, "--view", "context")
    assert_exit(result, 0)
    root = ET.fromstring(result.stdout.encode())
    assert root.tag == "{http://www.w3.org/2000/svg}svg"


def test_mermaid_and_dot_on_stdout() -> None:
    mermaid = invoke(RESTAURANT, "--format", "mermaid", "--process", "Dine")
    assert_exit(mermaid, 0)
    assert mermaid.stdout.startswith("%% User Journey: Customer Dining")
    dot = invoke(RESTAURANT, "-f", "dot", "--view", "saga")
    assert_exit(dot, 0)
    assert "No sagas in this model" in dot.stdout


def test_format_option_wins_over_the_extension(tmp_path: Path) -> None:
    target = tmp_path / "map.txt"
    assert_exit(invoke(RESTAURANT, "-f", "mermaid", "-o", target), 0)
    assert target.read_text(encoding="utf-8").startswith("%%")


def test_an_unknown_extension_is_a_usage_error(tmp_path: Path) -> None:
    result = invoke(RESTAURANT, "-o", tmp_path / "map.jpeg")
    assert_exit(result, 2)
    assert "cannot tell the format from 'map.jpeg'" in result.stderr


def test_an_unknown_process_names_the_ones_there_are() -> None:
    result = invoke(RESTAURANT, "-f", "dot", "--process", "Brunch")
    assert_exit(result, 2)
    assert "hint: processes: Manage Menu, Dine, Cook and Serve, Pay" in result.stderr


def test_an_invalid_journey_shows_its_problems_and_draws_nothing(tmp_path: Path) -> None:
    path = tmp_path / "broken.yaml"
    path.write_text(variant(MINIMAL, ("emits: [CartOpened]", "emits: [CartOpend]")), encoding="utf-8")
    target = tmp_path / "map.dot"
    result = run_esp("diagram", path, "-o", target)
    assert_exit(result, 1)
    assert "CartOpend" in result.stdout + result.stderr, explain(result)
    assert not target.exists()


def test_without_graphviz_svg_fails_with_how_to_install_it(tmp_path: Path) -> None:
    result = run_esp("diagram", RESTAURANT, "-o", tmp_path / "map.svg", env=NO_DOT)
    assert_exit(result, 2)
    assert "needs Graphviz's dot program" in result.stderr
    assert "apt-get install graphviz" in result.stderr and "brew install graphviz" in result.stderr
    assert not (tmp_path / "map.svg").exists()


@pytest.mark.parametrize(("fmt", "expect"), [("dot", "digraph"), ("mermaid", "flowchart"), ("html", "mermaid")])
def test_without_graphviz_text_formats_still_work(tmp_path: Path, fmt: str, expect: str) -> None:
    result = run_esp("diagram", RESTAURANT, "-f", fmt, env=NO_DOT)
    assert_exit(result, 0)
    assert expect in result.stdout


def test_help_lists_views_and_formats() -> None:
    result = CliRunner().invoke(app, ["diagram", "--help"])
    assert_exit(result, 0)
    text = result.stdout
    assert "esp|flow|context|saga|aggregate" in text
    assert "svg|png|pdf|dot|mermaid|html" in text
