"""One contract for every diagram back-end (dot, mermaid, html): the same
graphs go through each, and each must show every sticky, stay deterministic,
and never let text from a journey become markup or code.
"""

from __future__ import annotations

import html as htmllib
import re
import shutil
import subprocess
import xml.etree.ElementTree as ET
from collections.abc import Callable
from pathlib import Path

import pytest

from esp.draw import dot, html, mermaid
from esp.draw.graph import Edge, Graph, Group, Node, Row, wrap
from esp.draw.style import LINES, STICKIES

Backend = Callable[[Graph], str]
BACKENDS: dict[str, Backend] = {"dot": dot.render, "mermaid": mermaid.render, "html": html.render}
needs_dot = pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz's dot is not installed")

HOSTILE = 'Evil "]; x -> y [label=" <script>alert(1)</script> %%{init: {}}%% & \\ `rm -rf` #quot;'


def every_kind() -> Graph:
    """One node of each sticky kind, one edge of each line kind, in two groups."""
    kinds = list(STICKIES)
    nodes = tuple(Node(f"n-{k}", k, f"A {k} sticky", "a note") for k in kinds)
    ids = [n.id for n in nodes]
    edges = tuple(
        Edge(ids[i % len(ids)], ids[(i + 1) % len(ids)], kind, f"{kind} label") for i, kind in enumerate(LINES)
    )
    half = len(ids) // 2
    groups = (
        Group("g-one", "Group One", "microservice", tuple(ids[:half])),
        Group("g-two", "Group Two", "saga", tuple(ids[half:])),
    )
    return Graph(view="flow", title="Every kind", nodes=nodes, edges=edges, groups=groups)


def grid() -> Graph:
    nodes = (
        Node("process-a", "process", "Do Things", "Process 1"),
        Node("command-a", "command", "Do The First Thing Very Carefully Indeed"),
        Node("microservice-a", "microservice", "things"),
        Node("event-a", "integration", "First Thing Done"),
        Node("aggregate-a", "aggregate", "Thing", "root"),
    )
    row = Row("row-1", "Process 1", tuple((n.id,) for n in nodes))
    edges = (Edge("command-a", "event-a", "emits"), Edge("event-a", "aggregate-a", "builds"))
    lanes = ("Process & User", "Actions", "Microservice", "Events", "ES Aggregate")
    return Graph(view="esp", title="User Journey: Things", nodes=nodes, edges=edges, lanes=lanes, rows=(row,))


def hostile() -> Graph:
    nodes = (Node("command-x", "command", HOSTILE, HOSTILE), Node("event-x", "event", "Done"))
    return Graph(
        view="flow",
        title=HOSTILE,
        nodes=nodes,
        edges=(Edge("command-x", "event-x", "emits", HOSTILE),),
        groups=(Group("g", HOSTILE, "microservice", ("command-x", "event-x")),),
        notes=(HOSTILE,),
    )


GRAPHS = {"every-kind": every_kind, "grid": grid, "hostile": hostile}


def shown_text(backend: str, output: str) -> str:
    """What a reader would see, roughly: entities decoded, line breaks as spaces."""
    text = re.sub(r"#(\d+);", lambda m: chr(int(m[1])), output) if backend == "mermaid" else output
    text = re.sub(r"<br/>", " ", text)
    return " ".join(htmllib.unescape(text).split())


@pytest.fixture(params=list(BACKENDS))
def backend(request: pytest.FixtureRequest) -> str:
    name = str(request.param)
    if name == "html" and shutil.which("dot") is None:
        pytest.skip("the html back-end inlines dot's SVG")
    return name


@pytest.mark.parametrize("make", list(GRAPHS))
def test_every_label_is_shown(backend: str, make: str) -> None:
    drawing = GRAPHS[make]()
    output = shown_text(backend, BACKENDS[backend](drawing))
    for node in drawing.nodes:
        if node.kind in ("start", "end"):
            continue
        for line in wrap(node.label, STICKIES[node.kind].wrap):
            assert " ".join(line.split()) in output, (node.id, line)


@pytest.mark.parametrize("make", list(GRAPHS))
def test_output_is_deterministic(backend: str, make: str) -> None:
    assert BACKENDS[backend](GRAPHS[make]()) == BACKENDS[backend](GRAPHS[make]())


def test_an_empty_view_says_why(backend: str) -> None:
    drawing = Graph(view="saga", title="Sagas: Nothing", nodes=(), empty="No sagas in this model")
    assert "No sagas in this model" in shown_text(backend, BACKENDS[backend](drawing))


def test_journey_text_never_becomes_markup_or_code(backend: str) -> None:
    output = BACKENDS[backend](hostile())
    assert "<script>" not in output
    if backend == "mermaid":
        assert "%%{" not in output
        for line in output.splitlines():  # every label stays inside its quotes
            assert line.count('"') % 2 == 0, line
    if backend == "dot":
        assert 'x -> y [label=" <' not in output


@needs_dot
def test_hostile_dot_still_parses_and_stays_text(tmp_path: Path) -> None:
    done = subprocess.run(["dot", "-Tsvg"], input=dot.render(hostile()).encode(), capture_output=True, check=True)
    svg = done.stdout.decode()
    root = ET.fromstring(svg.encode())
    assert not list(root.iter("{http://www.w3.org/2000/svg}script"))
    texts = " ".join(t.text or "" for t in root.iter("{http://www.w3.org/2000/svg}text"))
    assert "<script>alert(1)</script>" in texts  # shown as the words the user wrote
    nodes = {g.get("id") for g in root.iter("{http://www.w3.org/2000/svg}g") if g.get("class", "").startswith("node")}
    assert nodes == {"command-x", "event-x"}  # nothing injected


@needs_dot
def test_html_inlines_the_svg_and_a_legend() -> None:
    page = html.render(grid())
    assert page.startswith("<!DOCTYPE html>") and "<svg" in page and "<?xml" not in page
    assert "mermaid" not in page  # self-contained: no script, no network
    for kind in ("command", "integration", "aggregate"):
        assert f'<li class="{kind}">' in page
    assert "integration event" in page and "⇄" in page


def test_html_without_dot_carries_mermaid(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))  # a PATH with no dot on it
    page = html.render(grid())
    assert '<pre class="mermaid">' in page and "flowchart TB" in page
    assert "<svg" not in page
    assert "install Graphviz" in page
    assert '<li class="command">' in page


def test_mermaid_colours_each_kind_and_line() -> None:
    output = mermaid.render(every_kind())
    for kind, sticky in STICKIES.items():
        assert f"classDef {kind} fill:{sticky.fill}" in output
    styles = {
        int(i): style for links, style in re.findall(r"linkStyle ([\d,]+) (\S+)", output) for i in links.split(",")
    }
    for i, line in enumerate(LINES.values()):  # one edge of each kind, in LINES order
        assert styles[i].startswith(f"stroke:{line.color},"), (i, styles.get(i))


def test_mermaid_grid_keeps_lane_order_in_each_row() -> None:
    output = mermaid.render(grid())
    titles = re.findall(r'lane_\d+\["([^"]+)"\]:::lane', output)
    assert [shown_text("mermaid", t) for t in titles] == list(grid().lanes)
    assert "  lane_0 ~~~ lane_1 ~~~ lane_2 ~~~ lane_3 ~~~ lane_4" in output
    # each sticky after the previous lane's first and before the next lane's first
    for chain in (
        "n_process_a ~~~ n_command_a",
        "n_process_a ~~~ n_command_a ~~~ n_microservice_a",
        "n_command_a ~~~ n_microservice_a ~~~ n_event_a",
        "n_microservice_a ~~~ n_event_a ~~~ n_aggregate_a",
        "n_event_a ~~~ n_aggregate_a",
    ):
        assert f"  {chain}\n" in output, chain
    assert output.index('subgraph lanes[" "]') < output.index("subgraph row_1")


def test_mermaid_cuts_arrows_between_rows_into_stubs() -> None:
    base = grid()
    second = Row("row-2", "Process 2", ((), ("command-b",), (), (), ()))
    drawing = Graph(
        view="esp",
        title=base.title,
        nodes=(*base.nodes, Node("command-b", "command", "Follow Up")),
        edges=(*base.edges, Edge("event-a", "command-b", "listener", constraint=False)),
        lanes=base.lanes,
        rows=(*base.rows, second),
    )
    output = mermaid.render(drawing)
    assert "n_event_a ==> n_command_b" not in output
    assert re.search(r"n_event_a ==> n_stub_\d+_out", output)
    assert re.search(r"n_stub_\d+_in ==> n_command_b", output)
    assert "to Follow Up" in output and "from First Thing Done" in output
