"""The flow, context, saga and aggregate views, the filters, and every example
journey in every view and format."""

from __future__ import annotations

import shutil
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from helpers import JOURNEYS, ROOT, SAGA, variant
from test_draw_esp_map import EXAMPLES, model_of

from esp import api
from esp.draw import FORMATS, VIEWS, draw, flow, graph
from esp.draw.graph import Edge, Graph, label
from esp.errors import UserError
from esp.model import Model

RESTAURANT = JOURNEYS / "restaurant.yaml"
needs_dot = pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz's dot is not installed")


def model_from(tmp_path: Path, text: str) -> Model:
    path = tmp_path / "journey.yaml"
    path.write_text(text, encoding="utf-8")
    result = api.validate([path])
    assert result.model is not None and not result.errors, [d.message for d in result.errors]
    return result.model


def edges(drawing: Graph) -> set[tuple[str, str, str]]:
    return {(e.src, e.dst, e.kind) for e in drawing.edges}


def edge(drawing: Graph, src: str, dst: str) -> Edge:
    return next(e for e in drawing.edges if (e.src, e.dst) == (src, dst))


# -- flow ---------------------------------------------------------------------------


def layer_of(drawing: Graph) -> dict[str, int]:
    return {nid: i for i, layer in enumerate(drawing.layers) for nid in layer}


def test_flow_reads_down_in_time() -> None:
    """A command, then its events, then what a listener issues on one of them."""
    drawing = graph(model_of(RESTAURANT), "flow")
    at = layer_of(drawing)
    assert set(at) == {n.id for n in drawing.nodes}
    story = [
        "command-add_food",
        "event-food_added",
        "readmodel-menu",
        "query-view_menu",
        "command-open_table",
        "event-table_opened",
        "command-add_drinks",
        "command-add_food_item",
        "command-remove_item",
        "command-place_order",
        "event-order_placed",
        "command-queue_ticket",
        "command-prepare_food",
        "command-serve_food",
    ]
    assert [at[n] for n in story] == sorted(at[n] for n in story)
    assert at["event-order_placed"] < at["command-queue_ticket"]
    assert at["event-table_closed"] < at["command-prepare_bill"]
    assert {
        ("event-order_placed", "command-queue_ticket", "listener"),
        ("event-table_closed", "command-prepare_bill", "listener"),
        ("command-place_order", "event-order_placed", "emits"),
        ("event-food_added", "readmodel-menu", "projects"),
        ("readmodel-menu", "query-view_menu", "reads"),
        ("query-view_menu", "command-open_table", "next"),
    } <= edges(drawing)


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_flow_layers_are_narrow_and_no_arrow_runs_within_one(path: Path) -> None:
    """Graphviz draws an arrow between two stickies of one layer over the stickies
    between them, or backwards: a flow never has one."""
    drawing = graph(model_of(path), "flow")
    at = layer_of(drawing)
    assert max(len(layer) for layer in drawing.layers) <= flow.BUDGET
    assert [e for e in drawing.edges if at[e.src] == at[e.dst]] == []
    boxed = [nid for g in drawing.groups for nid in g.nodes]
    assert sorted(boxed) == sorted(n.id for n in drawing.nodes)  # each sticky in one box


def test_flow_boxes_are_stretches_of_time_in_one_microservice() -> None:
    drawing = graph(model_of(JOURNEYS / "shopping.yaml"), "flow")
    at = layer_of(drawing)
    orders = [g for g in drawing.groups if g.label == "Orders"]
    assert len(orders) > 1  # the story leaves the orders service and comes back
    for box in drawing.groups:
        layers = sorted({at[n] for n in box.nodes})
        assert layers == list(range(layers[0], layers[-1] + 1)), box.id


def test_flow_saga_runs_its_steps_in_turn_and_compensates_last_first() -> None:
    drawing = graph(model_of(JOURNEYS / "travel.yaml"), "flow")
    at = layer_of(drawing)
    steps = ["reserve_flight", "reserve_hotel", "reserve_car", "charge_card"]
    undo = ["cancel_car_reservation", "cancel_hotel_reservation", "cancel_flight_reservation"]
    order = ["event-trip_requested", "saga-book_trip", *(f"command-{c}" for c in steps + undo), "event-trip_rejected"]
    assert [at[n] for n in order] == sorted(at[n] for n in order) and len({at[n] for n in order}) == len(order)
    assert edge(drawing, "saga-book_trip", "command-reserve_flight").label == "T1"
    assert edge(drawing, "event-flight_reserved", "command-reserve_hotel").label == "T2"
    assert edge(drawing, "event-card_charge_declined", "command-cancel_car_reservation").label == "C3"
    assert edge(drawing, "event-car_reservation_cancelled", "command-cancel_hotel_reservation").label == "C2"
    booked = edge(drawing, "event-card_charged", "event-trip_booked")  # the saga records it: nothing else does
    assert (booked.kind, booked.label) == ("records", "Book Trip completes")
    rejected = edge(drawing, "event-flight_reservation_cancelled", "event-trip_rejected")
    assert (rejected.kind, rejected.label) == ("records", "Book Trip aborts")


def test_flow_of_one_process_shows_where_its_listeners_lead() -> None:
    drawing = graph(model_of(RESTAURANT), "flow", process="Cook and Serve")
    ids = {n.id for n in drawing.nodes}
    assert "command-queue_ticket" in ids and "event-order_placed" in ids  # the listener's other end
    assert "command-add_food" not in ids
    assert drawing.notes == ("only process Cook and Serve",)


# -- context ------------------------------------------------------------------------


def test_context_map_labels_integration_events_between_services() -> None:
    drawing = graph(model_of(RESTAURANT), "context")
    assert [n.label for n in drawing.nodes if n.kind == "microservice"] == ["Food Menu", "Dining", "Kitchen", "Payment"]
    assert edge(drawing, "microservice-dining", "microservice-kitchen").label == "⇄ Order Placed"
    assert edge(drawing, "microservice-dining", "microservice-payment").label == "⇄ Table Closed"
    reads = edge(drawing, "microservice-food_menu", "microservice-dining")  # View Menu asks the Menu read model
    assert (reads.kind, reads.label) == ("reads", "Menu")
    assert {e.kind for e in drawing.edges if e.kind != "about"} == {"integration", "reads"}


def test_context_map_says_the_key_a_listener_finds_its_aggregates_by() -> None:
    """eShop: OrderStarted empties the basket of its buyer; a price change reaches every basket holding it."""
    drawing = graph(model_of(ROOT / "tests" / "data" / "real" / "eshop-ordering.yaml"), "context")
    assert edge(drawing, "microservice-ordering", "microservice-basket").label == "⇄ Order Started\n(by buyer_id)"
    fan_out = edge(drawing, "microservice-catalog", "microservice-basket").label
    assert fan_out == "⇄ Product Price Changed\n(for each product_id)"
    assert edge(drawing, "microservice-basket", "microservice-ordering").label == "⇄ User Checkout Accepted"


def test_context_map_of_one_service_keeps_its_neighbours() -> None:
    drawing = graph(model_of(RESTAURANT), "context", microservice="kitchen")
    assert [n.id for n in drawing.nodes if n.kind == "microservice"] == ["microservice-dining", "microservice-kitchen"]


def test_context_map_shows_saga_calls(tmp_path: Path) -> None:
    drawing = graph(model_from(tmp_path, SAGA), "context")
    assert edge(drawing, "microservice-booking", "microservice-flights").label == "Reserve Seat\nRelease Seat"
    assert edge(drawing, "microservice-flights", "microservice-booking").label == "⇄ Seat Reserved\n⇄ Seat Refused"


# -- saga ---------------------------------------------------------------------------


def test_backward_saga_ladder_compensates_in_reverse(tmp_path: Path) -> None:
    drawing = graph(model_from(tmp_path, SAGA), "saga")
    kinds = {n.id: (n.kind, n.label) for n in drawing.nodes}
    assert kinds["step-book_trip-1"] == ("step", "T1 Seat")
    assert kinds["step-book_trip-2"] == ("pivot", "T2 Room")
    assert kinds["compensation-book_trip-1"] == ("compensation", "C1 Release Seat")
    assert "compensation-book_trip-2" not in kinds  # the pivot has nothing to undo
    assert drawing.groups[0].label == "Saga Book Trip: backward recovery, runs in Booking"
    assert ("step-book_trip-1", "compensation-book_trip-1") in drawing.same_rank
    start, done, abort = (
        "event-trip_requested-book_trip",
        "event-trip_booked-book_trip",
        "event-trip_cancelled-book_trip",
    )
    assert {
        (start, "step-book_trip-1", "next"),
        ("step-book_trip-1", "step-book_trip-2", "next"),
        ("step-book_trip-2", done, "next"),
        ("step-book_trip-1", abort, "fails"),  # nothing done yet: abort at once
        ("step-book_trip-2", "compensation-book_trip-1", "fails"),
        ("compensation-book_trip-1", abort, "compensates"),
    } == edges(drawing)
    assert edge(drawing, "step-book_trip-1", "step-book_trip-2").label == "Seat Reserved"


def test_travel_saga_runs_compensations_cn_to_c1() -> None:
    drawing = graph(model_of(JOURNEYS / "travel.yaml"), "saga")
    found = edges(drawing)
    assert ("compensation-book_trip-3", "compensation-book_trip-2", "compensates") in found
    assert ("compensation-book_trip-2", "compensation-book_trip-1", "compensates") in found
    assert ("step-book_trip-4", "compensation-book_trip-3", "fails") in found
    assert [n.kind for n in drawing.nodes if n.id.startswith("step-")] == ["step", "step", "step", "pivot"]


def test_forward_saga_retries_from_the_save_point(tmp_path: Path) -> None:
    text = variant(
        SAGA,
        (
            "recovery: backward\n    compensate_failed_step: false",
            "recovery: forward\n    retries: {max: 3, backoff: fixed}",
        ),
    )
    drawing = graph(model_from(tmp_path, text), "saga")
    assert ("step-book_trip-1", "step-book_trip-1", "retry") in edges(drawing)
    assert edge(drawing, "step-book_trip-1", "step-book_trip-1").label == "Seat Refused: retry"
    assert "forward recovery, retries 3 (fixed)" in drawing.groups[0].label


def test_a_backward_steps_retries_label_its_failure_edge() -> None:
    """A step retried before the saga rolls back (food-delivery's Create ticket) says so on its failure edge; a
    retry loop beside that edge drew both labels on one spot (bike-rental-saga's Prepare payment)."""
    drawing = graph(model_of(JOURNEYS / "food-delivery.yaml"), "saga")
    failed = edge(drawing, "step-create_order-3", "compensation-create_order-2")
    assert failed.label == "Ticket Refused\nafter 2 retries"
    assert not [e for e in drawing.edges if e.kind == "retry"]


def test_each_step_carries_its_participants_circuit_breaker() -> None:
    """The breaker is per participant: each step sent to one whose breaker can open says so, on a line of its own;
    a step the SEC never times out (a check with nothing to undo, the pivot) counts no timeout, so a participant
    with only such steps has no breaker to draw."""
    drawing = graph(model_of(JOURNEYS / "food-delivery.yaml"), "saga")
    notes = {n.label: n.note for n in drawing.nodes if n.id.startswith("step-create_order-")}
    mark = "\n⚡ Kitchen breaker: 5 timeouts of 30s open it for 30s; meanwhile the step waits"
    assert [label for label, note in notes.items() if note.endswith(mark)] == [
        "T2 Reserve slot",
        "T3 Create ticket",
        "T5 Confirm ticket",
    ]
    assert "⚡" not in notes["T1 Validate consumer"] + notes["T4 Authorize card"]
    assert "a circuit breaker per participant" in drawing.groups[0].label
    assert all("⚡" not in n.note for n in drawing.nodes if not n.id.startswith("step-create_order-"))


@needs_dot
def test_a_model_without_sagas_draws_a_clear_message() -> None:
    drawing = graph(model_of(RESTAURANT), "saga")
    assert drawing.nodes == () and drawing.empty == "No sagas in this model"
    svg = draw(model_of(RESTAURANT), "saga", "svg")
    assert isinstance(svg, str) and "No sagas in this model" in svg
    assert "No sagas in this model" in str(draw(model_of(RESTAURANT), "saga", "mermaid"))


# -- aggregate ----------------------------------------------------------------------


def test_aggregate_lifecycle_moves_between_states() -> None:
    drawing = graph(model_of(RESTAURANT), "aggregate")
    assert [g.label for g in drawing.groups][:2] == ["Menu Item (in Food Menu)", "Dining Order (in Dining)"]
    s = "state-dining_order-"
    assert edge(drawing, "start-dining_order", s + "open").label == "Table Opened"
    assert edge(drawing, s + "open", s + "open").label == "Drinks Added\nFood Item Added\nItem Removed"
    assert edge(drawing, s + "open", s + "ordered").label == "Order Placed"
    assert edge(drawing, s + "ordered", s + "closed").label == "Table Closed"
    paid = edge(drawing, "state-billable_order-prepared", "state-billable_order-paid").label
    assert paid == "Payment Approved\nCash Paid"


def test_aggregate_view_shows_the_states_a_saga_enters() -> None:
    drawing = graph(model_of(JOURNEYS / "travel.yaml"), "aggregate")
    booked = edge(drawing, "state-trip-requested", "state-trip-booked")
    assert (booked.kind, booked.label) == ("records", "Trip Booked (Book Trip saga)")
    assert edge(drawing, "state-trip-requested", "state-trip-rejected").kind == "records"


def test_aggregate_view_of_one_process() -> None:
    drawing = graph(model_of(RESTAURANT), "aggregate", process="pay")
    assert [g.id for g in drawing.groups] == ["aggregate-billable_order"]


# -- filters ------------------------------------------------------------------------


def test_filters_pick_rows_by_name_as_people_write_it() -> None:
    model = model_of(RESTAURANT)
    assert [r.cells[0][0] for r in graph(model, process="cook-and-serve").rows] == ["process-cook_and_serve"]
    assert [r.cells[0][0] for r in graph(model, microservice="Payment").rows] == ["process-pay"]
    both = graph(model, process="Dine", microservice="dining")
    assert len(both.rows) == 1 and both.notes == ("only microservice dining, process Dine",)


@pytest.mark.parametrize(
    ("options", "message", "hint"),
    [
        ({"process": "Brunch"}, "no process named 'Brunch'", "processes: Manage Menu, Dine, Cook and Serve, Pay"),
        ({"microservice": "bar"}, "no microservice named 'bar'", "microservices: food-menu, dining, kitchen, payment"),
        ({"process": "Dine", "microservice": "kitchen"}, "process 'Dine' is not in microservice 'kitchen'", ""),
        ({"view": "timeline"}, "unknown view 'timeline'", "views: esp, flow, context, saga, aggregate"),
    ],
)
def test_a_filter_or_view_that_matches_nothing_is_a_user_error(
    options: dict[str, str], message: str, hint: str
) -> None:
    with pytest.raises(UserError) as caught:
        graph(model_of(RESTAURANT), **options)
    assert message in caught.value.message
    assert caught.value.hint == hint


def test_an_unknown_format_is_a_user_error() -> None:
    with pytest.raises(UserError, match="unknown format 'jpg'"):
        draw(model_of(RESTAURANT), "esp", "jpg")


# -- every example, every view, every format ----------------------------------------


def check_output(data: bytes | str, fmt: str, model: Model) -> None:
    if fmt == "png":
        assert isinstance(data, bytes) and data.startswith(b"\x89PNG\r\n")
    elif fmt == "pdf":
        assert isinstance(data, bytes) and data.startswith(b"%PDF-")
    else:
        assert isinstance(data, str) and model.name.split(" + ")[0] in data.replace("&amp;", "&")
    if fmt == "svg":
        ET.fromstring(str(data).encode())


@needs_dot
@pytest.mark.parametrize("view", list(VIEWS))
@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_every_example_draws_in_every_view_and_format(path: Path, view: str) -> None:
    model = model_of(path)
    for fmt in FORMATS:
        check_output(draw(model, view, fmt), fmt, model)


@needs_dot
def test_the_whole_journeys_folder_draws_as_one_model() -> None:
    result = api.validate([JOURNEYS])
    assert result.model is not None and not result.errors
    svg = draw(result.model, "esp", "svg")
    assert isinstance(svg, str)
    root = ET.fromstring(svg.encode())
    texts = " ".join(" ".join((t.text or "").split()) for t in root.iter("{http://www.w3.org/2000/svg}text"))
    for process in result.model.processes:
        assert label(process.name).split()[0] in texts


def test_a_filtered_map_keeps_its_numbers_and_says_where_listeners_lead() -> None:
    drawing = graph(model_of(RESTAURANT), microservice="dining")
    (row,) = drawing.rows
    assert row.label == "Process 2"
    out = {n.id: (n.label, n.note) for n in drawing.nodes if n.kind == "listener"}
    assert out == {
        "listener-1-out": ("to Queue Ticket", "Process 3: Cook and Serve"),
        "listener-2-out": ("to Prepare Bill", "Process 4: Pay"),
    }
    assert row.cells[3][-4:] == ("event-order_placed", "listener-1-out", "event-table_closed", "listener-2-out")
    assert ("event-order_placed", "listener-1-out", "listener") in edges(drawing)
    cook = graph(model_of(RESTAURANT), process="Cook and Serve")
    assert cook.rows[0].cells[1][:2] == ("listener-1-in", "command-queue_ticket")
    assert cook.node("listener-1-in").label == "from Order Placed"


def chain(count: int, audit: bool = True) -> str:
    """A journey of ``count`` processes, each closing a case that opens the next one,
    and an Audit read model fed by every one of them: a read model fed all along the story."""
    lines = ["journey: Chain", "microservices:", "  cases:", "    aggregates:"]
    lines += [f"      Case{i}: {{identity: case{i}_id, states: [open, closed]}}" for i in range(count)]
    lines.append("processes:")
    for i in range(count):
        lines += [
            f"  - process: Case {i}",
            "    microservice: cases",
            f"    aggregate: Case{i}",
            "    actions:",
            f"      - {{command: OpenCase{i}, emits: [CaseOpened{i}], creates: true}}",
            f"      - {{command: CloseCase{i}, emits: [CaseClosed{i}], allowed_in: [open]}}",
            "    events:",
            f"      - {{event: CaseOpened{i}, enters: open}}",
            f"      - {{event: CaseClosed{i}, kind: integration, enters: closed}}",
        ]
    lines.append("listeners:")
    lines += [f"  - {{on: CaseClosed{i}, in: cases, command: OpenCase{i + 1}}}" for i in range(count - 1)]
    if audit:
        sources = ", ".join(f"CaseClosed{i}" for i in range(count))
        lines += ["projections:", f"  - {{projection: Audit, in: cases, from: [{sources}]}}"]
    return "\n".join(lines) + "\n"


def test_a_query_sits_just_over_the_command_it_comes_before() -> None:
    at = layer_of(graph(model_of(RESTAURANT), "flow"))
    assert at["query-view_menu"] == at["command-open_table"] - 1


def test_a_read_model_fed_all_along_the_story_says_so_on_far_stickies(tmp_path: Path) -> None:
    """Graphviz lays a long arrow out through every layer it crosses (a 50-process
    story took minutes): arrows to a read model stay short, far events say whom they feed."""
    drawing = graph(model_from(tmp_path, chain(20)), "flow")
    at = layer_of(drawing)
    fed = {e.src for e in drawing.edges if e.dst == "readmodel-audit"}
    assert "event-case_closed_0" in fed and len(fed) < 20
    assert all(abs(at[e.dst] - at[e.src]) <= flow.FAR for e in drawing.edges if e.kind in ("projects", "reads"))
    far = [n for n in drawing.nodes if n.id.startswith("event-case_closed") and n.id not in fed]
    assert far and all(n.note == "feeds Audit" for n in far)
