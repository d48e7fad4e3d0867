"""A large ESP map is cut into pages laid out on their own and stacked into
one SVG; listeners between pages keep both ends as labelled stubs."""

from __future__ import annotations

import shutil
import xml.etree.ElementTree as ET
from collections import Counter
from pathlib import Path

import pytest
from helpers import JOURNEYS
from test_draw_esp_map import model_of

from esp import api
from esp.draw import draw, graph, layout, pages
from esp.draw.graph import label
from esp.errors import UserError
from esp.model import Model

SVG = "{http://www.w3.org/2000/svg}"
RESTAURANT = JOURNEYS / "restaurant.yaml"
needs_dot = pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz's dot is not installed")


def chain_journey(processes: int) -> str:
    """Rows joined by listeners: each row's integration event starts the next row."""
    lines = ["journey: Chain", "microservices:"]
    for i in range(processes):
        lines.append(f"  service-{i}: {{aggregates: {{Link{i}: {{identity: link{i}_id, states: [made]}}}}}}")
    lines.append("processes:")
    for i in range(processes):
        lines += [
            f"  - process: Step {i}",
            f"    actions: [{{command: MakeLink{i}, emits: [LinkMade{i}], creates: true}}]",
            f"    microservice: service-{i}",
            f"    events: [{{event: LinkMade{i}, kind: integration, enters: made}}]",
            f"    aggregate: Link{i}",
        ]
    lines.append("listeners:")
    lines += [f"  - {{on: LinkMade{i}, in: service-{i + 1}, command: MakeLink{i + 1}}}" for i in range(processes - 1)]
    return "\n".join(lines) + "\n"


@pytest.fixture(scope="module")
def big(tmp_path_factory: pytest.TempPathFactory) -> Model:
    path = Path(tmp_path_factory.mktemp("big")) / "chain.yaml"
    path.write_text(chain_journey(pages.ONE_PAGE_MAX + 10), encoding="utf-8")
    result = api.validate([path])
    assert result.model is not None and not result.errors, [d.message for d in result.errors][:3]
    return result.model


def test_a_small_map_is_one_page(big: Model) -> None:
    small = graph(big, process="Step 3")
    assert pages.split(small) == [small]


def test_a_large_map_is_cut_into_pages_of_rows(big: Model) -> None:
    whole = graph(big)
    parts = pages.split(whole)
    assert [len(p.rows) for p in parts] == [25, 25, 20]
    assert [r.id for p in parts for r in p.rows] == [r.id for r in whole.rows]
    assert [p.legend for p in parts] == [True, False, False]
    assert parts[1].title == "User Journey: Chain: rows 26 to 50 (page 2 of 3)"


def test_a_listener_between_pages_keeps_both_ends(big: Model) -> None:
    first, second, _ = pages.split(graph(big))
    out = [n for n in first.nodes if n.id.startswith("stub-") and n.id.endswith("-out")]
    into = [n for n in second.nodes if n.id.startswith("stub-") and n.id.endswith("-in")]
    assert [(n.label, n.note) for n in out] == [("to Make Link 25", "page 2")]
    assert [(n.label, n.note) for n in into] == [("from Link Made 24", "page 1")]
    assert any(e.src == "event-link_made_24" and e.dst == out[0].id for e in first.edges)
    assert any(e.src == into[0].id and e.dst == "command-make_link_25" for e in second.edges)
    row = next(r for r in first.rows if "event-link_made_24" in r.cells[3])
    assert row.cells[3] == ("event-link_made_24", out[0].id)


@needs_dot
def test_the_pages_stack_into_one_svg_with_every_sticky(big: Model) -> None:
    svg = draw(big, "esp", "svg")
    assert isinstance(svg, str)
    root = ET.fromstring(svg.encode())
    ids = Counter(g.get("id") for g in root.iter(f"{SVG}g") if g.get("id"))
    assert [i for i, n in ids.items() if n > 1] == []  # ids stay unique across pages
    shown = " ".join(" ".join((t.text or "").split()) for t in root.iter(f"{SVG}text"))
    for cmd in big.commands:
        assert label(cmd.name) in shown
    tops = [float(s.get("y", "0")) for s in root.findall(f"{SVG}svg")]
    assert len(tops) == 3 and tops == sorted(tops) and tops[0] == 0
    assert svg == draw(big, "esp", "svg")  # parallel layout, same bytes


@pytest.fixture
def small_pages(monkeypatch: pytest.MonkeyPatch) -> None:
    """Page thresholds small enough to cut the restaurant's views."""
    monkeypatch.setattr(pages, "ONE_PAGE_NODES", 10)
    monkeypatch.setattr(pages, "NODES_PER_PAGE", 12)


@pytest.mark.usefixtures("small_pages")
def test_a_large_box_view_is_cut_between_whole_boxes() -> None:
    whole = graph(model_of(RESTAURANT), "aggregate")
    parts = pages.split(whole)
    assert len(parts) > 1
    assert [g.id for p in parts for g in p.groups] == [g.id for g in whole.groups]  # each box whole, on one page
    assert [p.title for p in parts][1] == f"Aggregates: Customer Dining (page 2 of {len(parts)})"


@pytest.mark.usefixtures("small_pages")
def test_a_large_flow_is_cut_between_moments_and_keeps_its_arrows_as_stubs() -> None:
    whole = graph(model_of(RESTAURANT), "flow")
    parts = pages.split(whole)
    assert len(parts) > 1
    stubs = {n.id for p in parts for n in p.nodes if n.id.startswith("stub-")}
    assert [tuple(n for n in layer if n not in stubs) for p in parts for layer in p.layers] == list(whole.layers)
    page_of = {n.id: i for i, p in enumerate(parts, start=1) for n in p.nodes if n.id not in stubs}
    across = next(e for e in whole.edges if e.kind == "listener" and page_of[e.src] != page_of[e.dst])
    event, command = whole.node(across.src), whole.node(across.dst)
    out = next(n for n in parts[page_of[event.id] - 1].nodes if n.label == f"to {command.label}")
    assert (out.kind, out.note) == ("listener", f"page {page_of[command.id]}")
    into = next(n for n in parts[page_of[command.id] - 1].nodes if n.label == f"from {event.label}")
    assert into.kind == "listener"
    for part in parts:  # a box the cut goes through is on both pages, each part with its own nodes
        assert sorted(n for g in part.groups for n in g.nodes) == sorted(n.id for n in part.nodes)


@needs_dot
@pytest.mark.usefixtures("small_pages")
def test_a_cut_box_view_stacks_into_one_svg() -> None:
    svg = draw(model_of(RESTAURANT), "aggregate", "svg")
    assert isinstance(svg, str)
    root = ET.fromstring(svg.encode())
    count = len(pages.split(graph(model_of(RESTAURANT), "aggregate")))
    assert count > 1 and len(root.findall(f"{SVG}svg")) == count
    ids = Counter(g.get("id") for g in root.iter(f"{SVG}g") if g.get("id"))
    assert [i for i, n in ids.items() if n > 1] == []


@needs_dot
def test_a_bitmap_too_tall_to_read_is_refused_with_what_to_do_instead() -> None:
    tall = "digraph tall { ranksep=2; " + " -> ".join(f"n{i}" for i in range(700)) + " }"
    with pytest.raises(UserError) as caught:
        layout.run(tall, "png")
    assert "too large for one png" in caught.value.message
    assert "--process NAME" in caught.value.hint
    short = "digraph short { ranksep=2; " + " -> ".join(f"n{i}" for i in range(200)) + " }"
    assert layout.run(short, "png").startswith(b"\x89PNG")  # shrunk a little: still drawn
