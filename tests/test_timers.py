"""Timers: drawn in the ESP map, the flow and the aggregate view; the runtime's timers (armed from the
service's own log, at most once, again after a restart) and its clock thread."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

from eventsourcing.domain import Aggregate
from test_draw_views import edges, model_from

from esp.draw import graph
from esp.draw.graph import node_id
from esp_runtime import DomainError, events_of, memory_env, sqlite_env
from esp_runtime.process import TICK, tick_interval
from esp_runtime.timers import Ticker, TimedService, Timer, TimerFired, fired_id

TIMED = """\
journey: Shopping
microservices:
  shop:
    aggregates:
      Cart:
        identity: cart_id
        states: [open, closed]
        timers:
          - timer: Abandoned
            in_state: open
            after: 30m
            unless: [CartTouched]
            then: CloseCart
processes:
  - process: Shop
    microservice: shop
    aggregate: Cart
    actions:
      - command: OpenCart
        emits: [CartOpened]
        creates: true
      - command: TouchCart
        emits: [CartTouched]
        allowed_in: [open]
      - command: CloseCart
        emits: [CartClosed]
        allowed_in: [open]
    events:
      - event: CartOpened
        enters: open
      - event: CartTouched
      - event: CartClosed
        enters: closed
"""
TIMER = node_id("timer", "Cart", "Abandoned")


# -- drawings --------------------------------------------------------------------------------


def test_the_aggregate_view_draws_the_timer_between_its_state_and_where_its_command_leads(tmp_path: Path) -> None:
    drawing = graph(model_from(tmp_path, TIMED), "aggregate")
    (node,) = [n for n in drawing.nodes if n.kind == "timer"]
    assert node.id == TIMER and node.note == "after 30m, unless Cart Touched"
    open_, closed = node_id("state", "Cart", "open"), node_id("state", "Cart", "closed")
    assert {(open_, TIMER, "timer"), (TIMER, closed, "timer")} <= edges(drawing)


def test_the_esp_map_puts_the_timer_before_its_command(tmp_path: Path) -> None:
    drawing = graph(model_from(tmp_path, TIMED), "esp")
    (row,) = drawing.rows
    actions = list(row.cells[1])
    assert actions.index(TIMER) == actions.index(node_id("command", "CloseCart")) - 1
    assert (TIMER, node_id("command", "CloseCart"), "timer") in edges(drawing)


def test_the_flow_runs_the_timer_after_the_event_that_starts_it(tmp_path: Path) -> None:
    drawing = graph(model_from(tmp_path, TIMED), "flow")
    at = {nid: i for i, layer in enumerate(drawing.layers) for nid in layer}
    opened, close = node_id("event", "CartOpened"), node_id("command", "CloseCart")
    assert at[opened] < at[TIMER] < at[close]
    assert {(opened, TIMER, "timer"), (TIMER, close, "timer")} <= edges(drawing)


# -- the runtime -------------------------------------------------------------------------------


class Cart(Aggregate):
    class Opened(Aggregate.Created):
        pass

    class Touched(Aggregate.Event):
        def apply(self, aggregate: Any) -> None:
            """It changes nothing but the version."""

    class Closed(Aggregate.Event):
        def apply(self, aggregate: Any) -> None:
            aggregate.state = "closed"

    def __init__(self) -> None:
        self.state = "open"


class Shop(TimedService):
    TIMERS = (
        Timer(
            "Cart/Abandoned", "open", timedelta(minutes=30), arms=(Cart.Opened,), cancels=(Cart.Closed, Cart.Touched)
        ),
    )
    refuse = False

    def fire(self, timer: str, aggregate_id: UUID) -> Aggregate:
        cart: Cart = self.repository.get(aggregate_id)
        if self.refuse:
            raise DomainError("the shop is closed")
        cart.trigger_event(Cart.Closed)
        return cart


def _open(app: Shop) -> Cart:
    cart: Cart = Cart._create(Cart.Opened, id=uuid4())
    app.save(cart)
    return cart


def test_a_timer_goes_off_once_when_its_time_is_up() -> None:
    app = Shop(memory_env())
    cart = _open(app)
    due = cart.modified_on + timedelta(minutes=30)
    assert app.tick(due - timedelta(seconds=1)) == 0
    assert app.tick(due) == 1
    assert app.tick(due + timedelta(days=1)) == 0
    assert [type(e).__name__ for e in events_of(app, cart.id)] == ["Opened", "Closed"]
    record: TimerFired = app.repository.get(fired_id("Cart/Abandoned", cart.id, 1))
    assert record.outcome == "" and record.due == due


def test_an_unless_event_stops_a_timer() -> None:
    app = Shop(memory_env())
    cart = _open(app)
    cart.trigger_event(Cart.Touched)
    app.save(cart)
    assert app.tick(datetime.now(UTC) + timedelta(days=1)) == 0
    assert app.armed == {}


def test_a_refused_command_is_recorded_and_not_issued_again() -> None:
    app = Shop(memory_env())
    app.refuse = True
    cart = _open(app)
    assert app.tick(datetime.now(UTC) + timedelta(hours=1)) == 1
    assert app.tick(datetime.now(UTC) + timedelta(days=1)) == 0
    record: TimerFired = app.repository.get(fired_id("Cart/Abandoned", cart.id, 1))
    assert record.outcome == "the shop is closed"
    assert len(events_of(app, cart.id)) == 1


def test_timers_are_armed_again_after_a_restart_and_go_off_once(tmp_path: Path) -> None:
    env = sqlite_env(tmp_path, ["Shop"])
    app = Shop(env)
    carts = [_open(app) for _ in range(3)]
    carts[0].trigger_event(Cart.Touched)
    app.save(carts[0])
    late = datetime.now(UTC) + timedelta(hours=1)
    app.close()
    app = Shop(env)
    assert app.tick(late) == 2  # the touched cart's timer was stopped
    app.close()
    app = Shop(env)
    assert app.tick(late + timedelta(days=1)) == 0
    assert [len(events_of(app, c.id)) for c in carts] == [2, 2, 2]
    app.close()


def test_the_clock_thread_ticks_until_stopped() -> None:
    ticked = threading.Event()
    ticker = Ticker(ticked.set, 0.01)
    ticker.start()
    try:
        assert ticked.wait(10)
    finally:
        ticker.stop()
    assert not ticker.thread.is_alive()


def test_the_process_clock_interval_comes_from_the_environment() -> None:
    assert tick_interval({}) == TICK
    assert tick_interval({"ESP_TICK_SECONDS": "1.5"}) == 1.5
    assert tick_interval({"ESP_TICK_SECONDS": "soon"}) == TICK
    assert tick_interval({"ESP_TICK_SECONDS": "0"}) == TICK
