"""The generated examples as a newcomer meets them: their read models and queries, and their journey player.

Each generated package runs in a subprocess (PYTHONPATH = generated/<example>), in memory.
"""

from __future__ import annotations

import io
import os
import re
import subprocess
import sys
import textwrap
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest
import yaml

from esp import api
from esp.generate.package import build
from esp.names import human
from esp_runtime.player import Line, Play, show, shown

ROOT = Path(__file__).resolve().parents[1]
GENERATED = ROOT / "generated"


def load_yaml(path: Path) -> Any:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def run_in(example: str, *args: str, code: str | None = None) -> subprocess.CompletedProcess[str]:
    """Run a generated package's module (or ``code``) in a subprocess, its output piped."""
    env = {**os.environ, "PYTHONPATH": str(GENERATED / example), "PYTHONDONTWRITEBYTECODE": "1"}
    env.pop("COLUMNS", None)
    command = [sys.executable, "-c", textwrap.dedent(code)] if code else [sys.executable, "-m", *args]
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=False, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    return done


TRIP = """
    from datetime import date
    from decimal import Decimal

    from book_a_trip.system import BookATrip
    from book_a_trip.trips import commands
    from esp_runtime import memory_env

    with BookATrip(memory_env()) as system:
        system.trips.request_trip(commands.RequestTrip(
            traveller="Grace Hopper", email="grace@example.org", origin="JFK", destination="LIS",
            depart_on=date(2026, 6, 1), return_on=date(2026, 6, 8), travellers=2, cabin="economy",
            room_type="double", car_class="compact", card_token="tok_4242", amount=Decimal("2480.00"),
            loyalty_number=None,
        ))
        mine = system.view_my_trips(commands.ViewMyTrips(email="grace@example.org"))
        print("mine", len(mine), mine[0].state, mine[0].flight_numbers is not None, mine[0].hotel_name is not None)
        print("others", len(system.view_my_trips(commands.ViewMyTrips(email="ada@example.org"))))
        print("rejected", len(system.list_rejected_trips(commands.ListRejectedTrips(since=date(2020, 1, 1)))))
"""


def test_read_models_follow_the_events_that_change_them_and_queries_select_rows() -> None:
    """MyTrips: one row per trip, with what the saga reserved for it (a reservation names its trip);
    the query's email selects rows; a booked trip is not among the rejected ones since any day."""
    out = run_in("travel", code=TRIP).stdout.split("\n")
    assert out[:3] == ["mine 1 booked True True", "others 0", "rejected 0"]


EXAMPLES = {
    # example: (package, values its scenarios give that the player must show)
    "restaurant": (
        "customer_dining",
        ["table_number=4", "drink=juice", "dishes=[soup, soup]", "total=19.00", "name=tomato soup"],
    ),
    "travel": ("book_a_trip", ["traveller=Grace Hopper", "flight_numbers=[TP208, TP209]", "hotel_name=Hotel Avenida"]),
    "shopping": ("shop_online", ["sku=BK-042", "coupon_code=WELCOME10", "carrier=Royal Mail"]),
    "movie-booking": ("book_a_movie", ["movie_title=Metropolis", "seats=[B2, B3]", "card_token=tok_mc_9"]),
    "customer-profile": ("customer_profile", ["first_name=Alan", "title=Dr"]),
    "food-delivery": ("deliver_food", ["name=Ada Lovelace", "lines=[OrderLine(dish=pad", "slots=2"]),
}
PAIR = re.compile(r"(?:^|, |\s)([a-z][a-z0-9_]*)=([^,]*)")


def timelines(output: str) -> dict[str, list[str]]:
    """Each play's lines by its title (the plain output: `== title ==`, then its lines)."""
    plays: dict[str, list[str]] = {}
    lines: list[str] = []
    for line in output.splitlines():
        if line.startswith("== ") and line.endswith(" =="):
            lines = plays.setdefault(line[3:-3], [])
        elif line:
            lines.append(line)
    return plays


@pytest.fixture(scope="module", params=sorted(EXAMPLES))
def played(request: pytest.FixtureRequest) -> tuple[str, str]:
    example = request.param
    return example, run_in(example, EXAMPLES[example][0], "--memory").stdout


def test_the_player_shows_the_scenarios_values_and_no_placeholder(played: tuple[str, str]) -> None:
    example, output = played
    assert "\x1b[" not in output and "│" not in output  # plain text when piped
    for value in EXAMPLES[example][1]:
        assert value in output, value
    journey = load_yaml(ROOT / "journeys" / f"{example}.yaml")
    played_titles = set(timelines(output))
    for scenario in journey["scenarios"]:
        when = next(iter(scenario["when"]))
        if scenario["scenario"] not in played_titles:
            assert when in ISSUED_FOR_THE_PLAYER[example], f"{scenario['scenario']!r} is not played"
    made_up = [(k, v) for k, v in PAIR.findall(output) if v.strip() == human(k)]
    assert not made_up, made_up
    assert "dishes=[]" not in output


ISSUED_FOR_THE_PLAYER = {  # commands only a listener or a saga issues: their scenarios are not played
    "restaurant": set(),
    "travel": {
        "ReserveFlight",
        "CancelFlightReservation",
        "IssueBoardingPasses",
        "CancelHotelReservation",
        "CancelCarReservation",
        "ReserveCar",
        "ChargeCard",
    },
    "shopping": {"RecordOrderPayment", "ReserveStock", "ShipOrder"},
    "movie-booking": {"ConfirmBooking"},
    "customer-profile": set(),
    "food-delivery": {"ValidateOrderByConsumer", "ConfirmCreateTicket", "ReserveSlot", "RecordRestaurant"},
}


def test_every_generated_example_is_played_here() -> None:
    assert sorted(EXAMPLES) == sorted(p.name for p in GENERATED.iterdir() if (p / "pyproject.toml").exists())


def test_the_player_plays_in_causal_order_and_rejects_only_what_a_scenario_expects(played: tuple[str, str]) -> None:
    example, output = played
    journey = load_yaml(ROOT / "journeys" / f"{example}.yaml")
    rejected = {s["scenario"] for s in journey["scenarios"] if s["then"] == "rejected"}
    by_rule = {s["scenario"]: s["then"]["rejected"] for s in journey["scenarios"] if isinstance(s["then"], dict)}
    for title, lines in timelines(output).items():
        expected = [line for line in lines if "rejected, as the scenario expects" in line]
        assert len(expected) == (title in rejected or title in by_rule), (title, expected)
        if title in by_rule:  # a rule of rules.py said no, in its own words
            assert by_rule[title] in expected[0], (title, expected)
        assert not [line for line in lines if " rejected: " in line or "stopped:" in line], (title, lines)
        assert not [line for line in lines if "although the scenario expects" in line], title
        assert not [line for line in lines if "did not start" in line or "still running" in line], title
        events = [line.split("-> ")[1].split()[0] for line in lines if "-> " in line]
        assert events, title


def test_a_failing_saga_step_undoes_the_steps_before_it_in_reverse_order() -> None:
    output = run_in("travel", "book_a_trip", "--memory").stdout
    plays = timelines(output)
    failure = plays["the BookTrip saga: Charge card fails, the steps before it are undone"]
    events = [line.split("-> ")[1].split()[0] for line in failure if "-> " in line]
    reserved = ["FlightReserved", "HotelReserved", "CarReserved"]
    undone = ["CarReservationCancelled", "HotelReservationCancelled", "FlightReservationCancelled"]
    assert [e for e in events if e in reserved] == reserved
    assert [e for e in events if e in undone] == undone
    assert events.index("CardChargeDeclined") < events.index("CarReservationCancelled")
    assert events[-1] == "TripRejected"
    assert any("undone in reverse order: Reserve car, Reserve hotel, Reserve flight" in line for line in failure)
    happy = plays["a trip is requested"]
    assert any("completed: every step succeeded" in line for line in happy)
    assert not any("Cancelled" in line for line in happy)
    assert "00000000-" not in output  # no step command on a made-up trip
    food = timelines(run_in("food-delivery", "deliver_food", "--memory").stdout)
    failed = food["the CreateOrder saga: Authorize card fails, the steps before it are undone"]
    events = [line.split("-> ")[1].split()[0] for line in failed if "-> " in line]
    assert events[-3:] == ["TicketCreationCancelled", "SlotReleased", "OrderRejected"]
    assert "Answered" not in events  # the SEC's bookkeeping is not part of the story
    shopping = timelines(run_in("shopping", "shop_online", "--memory").stdout)
    retried = shopping["the FulfilOrder saga: Ship order fails once, the SEC retries it"]
    assert any("completed after retrying Ship order" in line for line in retried)


def test_scenario_plays_one_and_a_wrong_title_lists_them() -> None:
    one = run_in("restaurant", "customer_dining", "--memory", "--scenario", "an open table takes drinks").stdout
    assert list(timelines(one)) == ["an open table takes drinks"]
    assert "drink=juice" in one
    env = {**os.environ, "PYTHONPATH": str(GENERATED / "restaurant")}
    wrong = subprocess.run(
        [sys.executable, "-m", "customer_dining", "--memory", "--scenario", "nope"],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert wrong.returncode == 2
    assert "no scenario titled 'nope'" in wrong.stderr and "an open table takes drinks" in wrong.stderr


def test_on_a_terminal_each_play_is_a_table() -> None:
    lines = [Line("Customer", "OpenTable", "table_number=4", "done")]
    played = [(Play("a table is opened", lambda player: None), lines)]
    out = io.StringIO()
    show([(played[0][0], [*lines, Line("dining", "OrderPlaced", "dishes=[soup]", "", event=True)])], out, fancy=True)
    text = out.getvalue()
    assert "a table is opened" in text and "OpenTable" in text and ("┃" in text or "│" in text)
    assert "dishes=[soup]" in text  # a value is not rich markup
    plain = io.StringIO()
    show(played, plain, fancy=False)
    assert plain.getvalue().splitlines() == [
        "== a table is opened ==",
        "Customer  OpenTable  done",
        "            table_number=4",
    ]


def test_a_time_is_shown_to_the_second_where_its_seconds_are_not_zero() -> None:
    """MassTransit's cart expires 10 s after its last item: items added at 10:00:00 and 10:00:05 were both
    shown '10:00'."""
    assert shown(datetime(2026, 12, 3, 10, 0, 5, tzinfo=UTC)) == "2026-12-03 10:00:05+00:00"
    assert shown(datetime(2026, 12, 3, 10, 0)) == "2026-12-03 10:00"
    assert shown(datetime(2026, 12, 3, 10, 0, 0, 250000)) == "2026-12-03 10:00:00"


def test_a_value_object_is_shown_as_its_fields_and_a_line_breaks_between_values() -> None:
    """go-coffeeshop's line items were shown as Python's repr (UUID('...'), Decimal('4.50')), and the line broke
    inside a field's name ('barista_line_it' / 'ems=')."""

    @dataclass(frozen=True)
    class LineItem:
        item_line_id: UUID
        price: Decimal

    item = LineItem(UUID("5d0c9c1e-2f7a-4b7e-9d51-1a2b3c4d5e6f"), Decimal("4.50"))
    assert shown([item]) == "[LineItem(item_line_id=5d0c9c1e, price=4.50)]"
    values = (
        "order_source=counter, location=Atlanta, " + "barista_line_items_of_a_long_name_that_fills_a_line_alone" * 2
    )
    out = io.StringIO()
    show([(Play("a long line", lambda player: None), [Line("counter", "OrderPlaced", values, "", event=True)])], out)
    text = out.getvalue()
    assert "barista_line_items_of_a_long_name_that_fills_a_line_alone" * 2 in text
    day = "2026-12-03T09:30:00"
    out = io.StringIO()
    show([(Play("dates", lambda player: None), [Line("counter", "Up", ", ".join([f"time_up={day}"] * 9), "")])], out)
    assert all(line.strip().startswith("time_up=") for line in out.getvalue().splitlines()[2:]), out.getvalue()


def test_the_player_steers_the_rules_only_while_it_plays() -> None:
    """While it plays, the rules answer with the scenarios' values (here the dishes rules.py keeps); afterwards the
    system has its own rules again."""
    code = """
    from customer_dining.journey import play
    from customer_dining.system import CustomerDining
    from esp_runtime import memory_env

    with CustomerDining(memory_env()) as system:
        before = system.dining.rules
        lines = play(system, "the table orders soup")
        print(any(line.what == "OrderPlaced" and "dishes=[soup, soup]" in line.values for line in lines))
        print(system.dining.rules is before)
    """
    assert run_in("restaurant", code=code).stdout.split() == ["True", "True"]


def test_each_query_field_selects_rows() -> None:
    """A same-named row field (an optional one only when given), the aggregate's identity, a time bound on the
    row's time field the query names, a day, a text part: how each example's query fields select rows."""
    validation = api.validate(sorted((ROOT / "journeys").glob("*.yaml")))
    assert validation.model is not None
    conditions = {q.raw: q.conditions for q in build(validation.model).queries}
    assert conditions["ListRejectedTrips"] == ["row.rejected_at is not None", "row.rejected_at.date() >= query.since"]
    assert conditions["ViewMyTrips"] == ["row.email == query.email"]
    assert conditions["ViewSeatMap"] == ["row.id == query.screening_id"]
    assert conditions["ViewSnackQueue"] == ["row.pickup_at is not None", "row.pickup_at <= query.until"]
    assert conditions["BrowseShowtimes"] == [
        "row.starts_at is not None",
        "row.starts_at.date() == query.on_date",
        "(query.movie_title is None or row.movie_title == query.movie_title)",
    ]
    text = conditions["BrowseCatalogue"][1]
    assert text.startswith("(query.text is None or mentions(query.text, row.sku, row.name, ")
    assert all(q.conditions for q in build(validation.model).queries if q.fields)  # no field thrown away


def test_listeners_that_lead_back_to_the_event_being_made_do_not_stall_the_player(tmp_path: Path) -> None:
    journey = ROOT / "tests" / "data" / "player" / "listener-cycle.yaml"
    validation = api.validate([journey])
    assert validation.model is not None and validation.exit_code() == 0, validation.diagnostics
    (result,) = api.generate([journey], tmp_path / "out")
    assert result.written, result
    env = {**os.environ, "PYTHONPATH": str(tmp_path / "out"), "PYTHONDONTWRITEBYTECODE": "1"}
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests/test_journey.py"],
        cwd=tmp_path / "out",
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
    played = subprocess.run(
        [sys.executable, "-m", "random_journey", "--memory"],
        cwd=tmp_path / "out",
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    assert played.returncode == 0, played.stdout[-3000:] + played.stderr[-2000:]
    # an actor's creator comes before a listener's: the walk makes the Order by CreateOrder and gets through
    assert "stopped" not in played.stdout and "UpdateParcel" in played.stdout, played.stdout


def test_a_walk_names_only_the_commands_it_plays(tmp_path: Path) -> None:
    """timers-undo's cart cannot reach a state CheckOut is allowed in by commands the player issues: the walk
    leaves it out, and its title must not promise it."""
    validation = api.validate([ROOT / "tests" / "data" / "timers-undo.yaml"])
    assert validation.model is not None, validation.diagnostics
    walks = [p for p in build(validation.model).player.plays if "no scenario gives" in p.title]
    cart = next(p for p in walks if p.title.startswith("Cart: "))
    played = {m.c.raw for m in cart.moves if m.c is not None}
    named = set(cart.title.removeprefix("Cart: ").split(" (")[0].split(", "))
    assert "CheckOut" not in named
    assert named <= played, (named, played)


def test_a_scenario_the_given_events_set_off_a_saga_for_is_not_played() -> None:
    """bike-rental-saga: BikeRequested starts the PaymentSaga, which puts the bike in use; the scenario's
    ApproveRequest after it would be rejected, so the player leaves that scenario to its generated test."""
    validation = api.validate([ROOT / "tests" / "data" / "real" / "bike-rental-saga.yaml"])
    assert validation.model is not None, validation.diagnostics
    titles = [p.title for p in build(validation.model).player.plays]
    assert "a confirmed payment puts the bike in use" not in titles
    assert "a bike that is rented cannot be requested" in titles  # rejected in the state the saga leaves
    assert "an available bike cannot be returned" in titles


def test_a_failing_first_step_that_is_compensated_itself_says_what_is_undone() -> None:
    """bike-rental-saga's Prepare payment is its only step, compensated when it fails (compensate_failed_step):
    no step before it is undone, its own work is."""
    validation = api.validate([ROOT / "tests" / "data" / "real" / "bike-rental-saga.yaml"])
    assert validation.model is not None, validation.diagnostics
    titles = [p.title for p in build(validation.model).player.plays if "fails" in p.title]
    assert titles == ["the PaymentSaga saga: Prepare payment fails, what it did is undone"]
