"""The generated examples as a newcomer meets them: their read models and queries, and their journey player.

Each generated package runs in a subprocess (PYTHONPATH = generated/<example>), in memory.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
GENERATED = ROOT / "generated"


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
