"""Golden DOT and Mermaid for every example journey in every view.

A change to a drawing shows up as a reviewable diff of tests/golden/. After
an intended change, rewrite them with:

    ESP_UPDATE_GOLDEN=1 .venv/bin/pytest tests/test_draw_golden.py
"""

from __future__ import annotations

import difflib
import os
from pathlib import Path

import pytest
from test_draw_esp_map import EXAMPLES, model_of

from esp.draw import VIEWS, draw

GOLDEN = Path(__file__).parent / "golden"
UPDATE = bool(os.environ.get("ESP_UPDATE_GOLDEN"))
SUFFIX = {"dot": ".dot", "mermaid": ".mmd"}
CASES = [(path, view, fmt) for path in EXAMPLES for view in VIEWS for fmt in SUFFIX]
# No example journey has keys: eShop's basket, found by its buyer and by the products it holds, shows them.
KEYED = Path(__file__).parent / "data" / "real" / "eshop-ordering.yaml"
CASES += [(KEYED, view, fmt) for view in ("esp", "context") for fmt in SUFFIX]


def golden_path(journey: Path, view: str, fmt: str) -> Path:
    return GOLDEN / f"{journey.stem}.{view}{SUFFIX[fmt]}"


@pytest.mark.parametrize(("journey", "view", "fmt"), CASES, ids=lambda v: getattr(v, "stem", v))
def test_drawing_matches_its_golden_file(journey: Path, view: str, fmt: str) -> None:
    actual = draw(model_of(journey), view, fmt)
    assert isinstance(actual, str)
    target = golden_path(journey, view, fmt)
    if UPDATE:
        target.parent.mkdir(exist_ok=True)
        target.write_text(actual, encoding="utf-8")
    assert target.exists(), f"no golden file {target.name}: run with ESP_UPDATE_GOLDEN=1 to create it"
    expected = target.read_text(encoding="utf-8")
    diff = "".join(difflib.unified_diff(expected.splitlines(True), actual.splitlines(True), "golden", "now", n=1))
    assert actual == expected, f"{target.name} differs (ESP_UPDATE_GOLDEN=1 to accept):\n{diff[:3000]}"


def test_every_golden_file_belongs_to_a_case() -> None:
    """A removed journey or view leaves no stale golden file behind."""
    expected = {golden_path(*case).name for case in CASES}
    assert {p.name for p in GOLDEN.iterdir()} <= expected


@pytest.mark.parametrize("journey", EXAMPLES, ids=lambda p: p.stem)
def test_example_mermaid_stays_within_githubs_limits(journey: Path) -> None:
    """GitHub renders Mermaid up to 50,000 characters and 500 links (Mermaid's defaults)."""
    for view in VIEWS:
        text = str(draw(model_of(journey), view, "mermaid"))
        links = sum(line.count(arrow) for line in text.splitlines() for arrow in ("-->", "==>", "-.->", "-.-", "~~~"))
        assert len(text) < 50_000 and links < 500, (view, len(text), links)
