"""Timers: drawn in the ESP map, the flow and the aggregate view; the runtime's timers (armed from the
service's own log, at most once, again after a restart), its clock thread, and a service process that
issues its timers' commands by its own clock, across a crash."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

import pytest
from eventsourcing.domain import Aggregate
from helpers import TIMED
from test_deploy import PG as DEPLOY_PG
from test_deploy import ROOT, _get, _post, _until
from test_draw_views import edges, model_from

from esp import api
from esp.draw import graph
from esp.draw.graph import node_id
from esp_runtime import DomainError, events_of, memory_env, sqlite_env
from esp_runtime.process import TICK, tick_interval
from esp_runtime.timers import Ticker, TimedService, Timer, TimerFired, fired_id

TIMER = node_id("timer", "Cart", "Abandoned")
PG: dict[str, Any] = dict(DEPLOY_PG)
MOVIE_PROCESSES = ["theatre", "box-office", "concessions", "ticket-payments"]


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


class Till(Aggregate):
    """A till that is open, held while counted, and released back to the state it was in (an undo)."""

    class Opened(Aggregate.Created):
        pass

    class Held(Aggregate.Event):
        def apply(self, aggregate: Any) -> None:
            aggregate.previous.append(aggregate.state)
            aggregate.state = "held"

    class Released(Aggregate.Event):
        """'enters: previous': back to the state it was in."""

        def apply(self, aggregate: Any) -> None:
            aggregate.state = aggregate.previous.pop()

    def __init__(self) -> None:
        self.state = "open"
        self.previous: list[str] = []


class Tills(TimedService):
    TIMERS = (
        Timer(
            "Till/Idle",
            "open",
            timedelta(minutes=30),
            arms=(Till.Opened,),
            cancels=(Till.Held,),
            returns=(Till.Released,),
        ),
        Timer("Till/Counted", "held", timedelta(minutes=5), arms=(Till.Held,), cancels=(), returns=(Till.Released,)),
    )

    def fire(self, timer: str, aggregate_id: UUID) -> Aggregate:
        till: Till = self.repository.get(aggregate_id)
        till.trigger_event(Till.Held)
        return till


@pytest.mark.parametrize("persistence", ["memory", "sqlite"])
def test_an_undo_back_into_a_timers_state_starts_it_again_from_the_undo(tmp_path: Path, persistence: str) -> None:
    env = memory_env() if persistence == "memory" else sqlite_env(tmp_path, ["Tills"])
    app = Tills(env)
    till: Till = Till._create(Till.Opened, id=uuid4())
    till.trigger_event(Till.Held)  # leaves open: Idle stops, Counted starts
    app.save(till)
    till.trigger_event(Till.Released)  # back to open: Idle starts again from here, Counted stops
    app.save(till)
    assert till.state == "open"
    due = till.modified_on + timedelta(minutes=30)
    if persistence == "sqlite":  # armed again from the log after a restart, the undo's state read back
        app.close()
        app = Tills(env)
    assert app.tick(due - timedelta(seconds=1)) == 0  # neither the first entry's 30m nor Counted's 5m
    assert app.tick(due) == 1
    assert app.repository.get(fired_id("Till/Idle", till.id, 3)) is not None
    assert fired_id("Till/Idle", till.id, 1) not in app.repository
    assert fired_id("Till/Counted", till.id, 2) not in app.repository
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


class QuickShop(Shop):
    TIMERS = (Timer("Cart/Abandoned", "open", timedelta(milliseconds=50), arms=(Cart.Opened,), cancels=(Cart.Closed,)),)


def test_the_clock_thread_issues_a_timer_command_on_real_time() -> None:
    """No tick by hand: a Ticker (the system's clock_interval) moves the timer on with the real clock."""
    app = QuickShop(memory_env())
    cart = _open(app)
    ticker = Ticker(app.tick, 0.01)
    ticker.start()
    try:
        _until(lambda: fired_id("Cart/Abandoned", cart.id, 1) in app.repository, "the timer went off", 10)
    finally:
        ticker.stop()
    assert [type(e).__name__ for e in events_of(app, cart.id)] == ["Opened", "Closed"]


# -- one process per microservice: the process's own clock, across a crash -------------------------


@pytest.mark.slow
def test_a_service_process_issues_its_timers_itself_even_after_a_crash(tmp_path: Path) -> None:
    """`up` of movie-booking (its timers shortened to 2 s, as a user could edit them): the box-office process
    expires a booking by its own clock, although it was killed (SIGKILL) right after the booking was opened
    and started again by `up`: the timer is armed again from the stored events."""
    try:
        import psycopg

        psycopg.connect(**PG, dbname="postgres", connect_timeout=5).close()
    except Exception as error:  # no server: fail in CI, skip elsewhere
        if os.environ.get("CI"):
            pytest.fail(f"PostgreSQL is not reachable: {error}")
        pytest.skip(f"PostgreSQL is not reachable: {error}")
    package = tmp_path / "movie"
    shutil.copytree(ROOT / "generated" / "movie-booking", package, ignore=shutil.ignore_patterns("__pycache__"))
    application = package / "book_a_movie" / "box_office" / "application.py"
    text = application.read_text(encoding="utf-8")
    assert "timedelta(milliseconds=600000)" in text
    application.write_text(text.replace("timedelta(milliseconds=600000)", "timedelta(milliseconds=2000)"))
    prefix = f"esp_timer_{uuid4().hex[:10]}"
    port = 18100 + os.getpid() % 50 * 10
    env = {
        **os.environ,
        "ESP_DATABASE_PREFIX": prefix,
        "ESP_TICK_SECONDS": "0.05",
        "PYTHONPATH": str(package),
        "PYTHONDONTWRITEBYTECODE": "1",
    }
    urls = {name: f"http://127.0.0.1:{port + i}" for i, name in enumerate(MOVIE_PROCESSES)}
    box_office = urls["box-office"]
    out = tmp_path / "up.log"
    with out.open("wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "book_a_movie", "up", "--port", str(port)],
            env=env,
            cwd=tmp_path,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        for name, url in urls.items():
            _until(lambda url=url: _get(f"{url}/health").get("role") == "active", f"{name} active")
        email = f"{uuid4().hex[:8]}@example.org"
        booking = {
            "screening_id": str(uuid4()),
            "seats": ["A1"],
            "customer_email": email,
            "movie_title": "Metropolis",
            "starts_at": "2026-12-24T20:00:00",
            "ticket_total": "12.50",
        }
        status, _, created = _post(f"{box_office}/commands/open-booking", booking)
        assert status == 201, created
        pid = _get(f"{box_office}/health")["pid"]
        os.kill(pid, signal.SIGKILL)  # most likely before the 2 s are up; if not, it went off before, once
        _until(lambda: _get(f"{box_office}/health").get("pid") not in (None, pid), "box-office restarted")
        rows = _until(
            lambda: [
                r
                for r in _get(f"{box_office}/queries/view-my-bookings?customer_email={email}")
                if r["state"] == "expired"
            ],
            "the booking expired",
        )
        assert [r["id"] for r in rows] == [created["id"]]
        process.send_signal(signal.SIGTERM)
        assert process.wait(30) == 0
        assert "box-office exited with -9: restarting" in out.read_text(errors="replace")
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            process.wait(30)
        with psycopg.connect(**PG, dbname="postgres", autocommit=True) as conn:
            found = conn.execute("SELECT datname FROM pg_database WHERE datname LIKE %s", (prefix + "%",)).fetchall()
            for (name,) in found:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.mark.slow
def test_timers_of_the_same_name_generate_code_whose_tests_pass(tmp_path: Path) -> None:
    """Two aggregates with a timer 'Deadline', and a command 'Timer Deadline': names stay apart."""
    (result,) = api.generate([ROOT / "tests" / "data" / "timers-twice.yaml"], tmp_path)
    assert result.written, result
    application = (tmp_path / "twice" / "shop" / "application.py").read_text(encoding="utf-8")
    assert "def _timer__deadline_1(" in application and "def _timer__deadline_2(" in application
    assert "def _timer_deadline(" in application  # the command's handler
    _generated_tests_pass(tmp_path, "memory", "tests")


def _generated_tests_pass(out: Path, persistence: str, tests: str) -> None:
    """The generated package's own tests (``tests``) pass on ``persistence``."""
    env = {**os.environ, "PYTHONPATH": str(out), "PYTHONDONTWRITEBYTECODE": "1", "ESP_PERSISTENCE": persistence}
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", tests],
        cwd=out,
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=600,
    )
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]


@pytest.mark.slow
def test_an_undo_back_into_a_timers_state_generates_a_test_that_passes(tmp_path: Path) -> None:
    """A timer whose state an undo returns to is started again by it (the generated Timer's 'returns'), and the
    generated tests say so on memory and SQLite; a timer whose command undoes may start another one."""
    (result,) = api.generate([ROOT / "tests" / "data" / "timers-undo.yaml"], tmp_path)
    assert result.written, result
    application = (tmp_path / "undo" / "shop" / "application.py").read_text(encoding="utf-8")
    assert application.count("returns=(aggregates.Cart.CartReleased,)") == 2
    tests = (tmp_path / "tests" / "test_timers.py").read_text(encoding="utf-8")
    assert "def test_timer_abandoned_starts_again_after_an_undo(" in tests
    assert "def test_timer_hold_expired_starts_again_after_an_undo(" not in tests  # its state is not the first
    _generated_tests_pass(tmp_path, "memory,sqlite", "tests/test_timers.py")
