"""Shared test helpers: small journeys to vary, the corpus's expectations, and
running the real ``esp`` with its output shown when an assertion fails."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import textwrap
from collections.abc import Sequence
from pathlib import Path

from esp import api
from esp.errors import Diagnostic

ROOT = Path(__file__).resolve().parent.parent
BAD = ROOT / "tests" / "bad"
JOURNEYS = ROOT / "journeys"
ESP = Path(sys.executable).parent / "esp"  # the console script of the venv running the tests

Expected = tuple[str, int, int]  # code, line, column
_EXPECT = re.compile(r"^# expect: ([EW][0-9]{3}) ([0-9]+):([0-9]+)\s*$", re.MULTILINE)

# A journey with one microservice, one aggregate, one command and one event.
MINIMAL = """\
journey: Shopping
microservices:
  shop:
    aggregates:
      Cart:
        identity: cart_id
        states: [open]
processes:
  - process: Shop
    microservice: shop
    aggregate: Cart
    actions:
      - command: OpenCart
        emits: [CartOpened]
        creates: true
    events:
      - event: CartOpened
        enters: open
"""

# Two microservices joined by a listener on an integration event, and a scenario.
TWO_SERVICES = """\
journey: Order Food
microservices:
  dining:
    aggregates:
      Order:
        identity: order_id
        states: [open, placed]
  kitchen:
    aggregates:
      Ticket:
        identity: ticket_id
        states: [queued]
processes:
  - process: Order
    microservice: dining
    aggregate: Order
    actions:
      - command: OpenOrder
        fields: {table: int}
        emits: [OrderOpened]
        creates: true
      - command: PlaceOrder
        fields: {dish: str}
        emits: [OrderPlaced]
        allowed_in: [open]
    events:
      - event: OrderOpened
        fields: {table: int}
        enters: open
      - event: OrderPlaced
        kind: integration
        fields: {dish: str}
        enters: placed
  - process: Cook
    microservice: kitchen
    aggregate: Ticket
    actions:
      - command: QueueTicket
        fields: {order_id: uuid, dish: str}
        emits: [TicketQueued]
        creates: true
    events:
      - event: TicketQueued
        fields: {order_id: uuid, dish: str}
        enters: queued
listeners:
  - on: OrderPlaced
    in: kitchen
    command: QueueTicket
scenarios:
  - scenario: an open order takes a dish
    aggregate: Order
    given:
      - OrderOpened: {table: 4}
    when:
      PlaceOrder: {dish: soup}
    then:
      - OrderPlaced: {dish: soup}
"""

# A backward-recovering saga over three microservices, valid as it stands.
SAGA = """\
journey: Trip
microservices:
  booking:
    aggregates:
      Trip:
        identity: trip_id
        states: [requested, booked, cancelled]
  flights:
    aggregates:
      Seat:
        identity: seat_id
        states: [reserved, released, refused]
  hotels:
    aggregates:
      Room:
        identity: room_id
        states: [reserved, refused]
processes:
  - process: Request Trip
    microservice: booking
    aggregate: Trip
    actions:
      - command: RequestTrip
        fields: {city: str}
        emits: [TripRequested]
        creates: true
    events:
      - event: TripRequested
        kind: integration
        fields: {city: str}
        enters: requested
      - event: TripBooked
        enters: booked
      - event: TripCancelled
        enters: cancelled
  - process: Reserve Seat
    microservice: flights
    aggregate: Seat
    actions:
      - command: ReserveSeat
        fields: {city: str}
        emits: [SeatReserved, SeatRefused]
        creates: true
      - command: ReleaseSeat
        emits: [SeatReleased]
        allowed_in: [reserved]
    events:
      - event: SeatReserved
        kind: integration
        enters: reserved
      - event: SeatRefused
        kind: integration
        enters: refused
      - event: SeatReleased
        enters: released
  - process: Reserve Room
    microservice: hotels
    aggregate: Room
    actions:
      - command: ReserveRoom
        fields: {city: str}
        emits: [RoomReserved, RoomRefused]
        creates: true
    events:
      - event: RoomReserved
        kind: integration
        enters: reserved
      - event: RoomRefused
        kind: integration
        enters: refused
sagas:
  - saga: Book Trip
    in: booking
    starts_on: TripRequested
    recovery: backward
    compensate_failed_step: false
    steps:
      - step: Seat
        invoke: ReserveSeat
        succeeds_on: SeatReserved
        fails_on: SeatRefused
        compensate: ReleaseSeat
      - step: Room
        invoke: ReserveRoom
        succeeds_on: RoomReserved
        fails_on: RoomRefused
        pivot: true
    completes_with: TripBooked
    aborts_with: TripCancelled
"""


def variant(base: str, *changes: tuple[str, str]) -> str:
    """``base`` with each (old, new) text replaced; each old text must occur exactly once."""
    text = base
    for old, new in changes:
        assert text.count(old) == 1, f"{old!r} occurs {text.count(old)} times"
        text = text.replace(old, new)
    return text


def write(folder: Path, text: str, name: str = "journey.yaml") -> Path:
    """Write a journey (dedented) and return its path."""
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def validate_text(folder: Path, text: str) -> api.Validation:
    return api.validate([write(folder, text)])


def codes(diagnostics: Sequence[Diagnostic]) -> list[str]:
    return sorted(d.code for d in diagnostics)


def located(diagnostics: Sequence[Diagnostic]) -> list[Expected]:
    return sorted((d.code, d.location.line, d.location.col) for d in diagnostics)


def show(diagnostics: Sequence[Diagnostic]) -> str:
    """The diagnostics as esp prints them: for assertion messages."""
    return "\n".join(f"{d.location}: {d.code}: {d.message} (hint: {d.hint})" for d in diagnostics) or "(none)"


def expectations(path: Path) -> list[Expected]:
    """The ``# expect: CODE line:col`` lines of a corpus file, or of its ``.expect`` sidecar."""
    sidecar = path.with_suffix(".expect")
    source = sidecar if sidecar.exists() else path
    text = source.read_bytes().decode("utf-8", errors="replace")
    return sorted((code, int(line), int(col)) for code, line, col in _EXPECT.findall(text))


def run_esp(
    *args: str | Path, cwd: Path | None = None, env: dict[str, str] | None = None, esp: Path = ESP
) -> subprocess.CompletedProcess[str]:
    """Run the installed ``esp`` console script as a user would."""
    dropped = ("NO_COLOR", "FORCE_COLOR", "ESP_DEBUG", "PYTHONPATH")
    full_env = {k: v for k, v in os.environ.items() if k not in dropped}
    full_env.update(env or {})
    return subprocess.run(
        [str(esp), *map(str, args)], cwd=cwd, env=full_env, capture_output=True, text=True, timeout=300, check=False
    )


def explain(result: object) -> str:
    """stdout and stderr of a finished command (subprocess or CliRunner), for assertion messages."""
    code = getattr(result, "returncode", getattr(result, "exit_code", None))
    out = getattr(result, "stdout", "") or ""
    err = getattr(result, "stderr", "") or ""
    return f"exit {code}\n--- stdout ---\n{out[-4000:]}\n--- stderr ---\n{err[-4000:]}"


def assert_exit(result: object, expected: int) -> None:
    code = getattr(result, "returncode", getattr(result, "exit_code", None))
    assert code == expected, explain(result)
    err = getattr(result, "stderr", "") or ""
    out = getattr(result, "stdout", "") or ""
    assert "Traceback" not in err + out, explain(result)
    assert "internal error" not in err, explain(result)


# A cart closed after 30 minutes open unless it is touched: a timer (test_rules, test_timers).
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


def assert_package_passes(out: Path, package: str) -> None:
    """The generated package in ``out`` passes its own tests on memory, SQLite and PostgreSQL (none skipped),
    ruff, ruff format and mypy --strict."""
    env = {**os.environ, "PYTHONPATH": str(out), "PYTHONDONTWRITEBYTECODE": "1"}
    env["ESP_PERSISTENCE"] = "memory,sqlite,postgres"
    checks = [
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-x"],
        [sys.executable, "-m", "ruff", "check", "--no-cache", "-q", "."],
        [sys.executable, "-m", "ruff", "format", "--check", "--no-cache", "."],
        [sys.executable, "-m", "mypy", "--strict", "--no-incremental", package, "tests"],
    ]
    for command in checks:
        done = subprocess.run(command, cwd=out, env=env, capture_output=True, text=True, check=False, timeout=900)
        assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-1000:]
        assert "skipped" not in done.stdout  # PostgreSQL too
