"""The upcaster round trip, on SQLite and PostgreSQL: the restaurant of tests/data/evolution/v1
records its journey; v2 (OrderPlaced gains `notes`, DrinksAdded's `drink` is renamed `beverage`,
FoodItemAdded's `quantity` widens to decimal, TableClosed and BillPrepared lose `table_number`) is
generated over the same folder and reads every old event back through its generated upcasters
(its listeners follow a visit v1 recorded while they were not running),
rebuilds every aggregate (passing over the snapshot v1 took), reads v1's integration messages,
records a new visit beside the old ones, and its own tests pass.

Each version runs in its own subprocess (tests/evolution_worker.py), with the package's folder on
its path: both are the package ``customer_dining``. PostgreSQL that does not answer skips the test,
except under CI=true, where it fails.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from uuid import uuid4

import pytest

from esp import api
from esp.generate import generate
from esp_runtime import postgres_env

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "tests" / "data" / "evolution"
WORKER = ROOT / "tests" / "evolution_worker.py"
CONNECT = {key: f"POSTGRES_{key.upper()}" for key in ("host", "port", "user", "password", "dbname")}
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


def run(args: list[str], package: Path, **env: str) -> subprocess.CompletedProcess[str]:
    environ = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1", "PYTHONPATH": str(package), **env}
    return subprocess.run(args, cwd=package, env=environ, capture_output=True, text=True, check=False, timeout=900)


def worker(package: Path, *args: str) -> dict[str, Any]:
    result = run([sys.executable, str(WORKER), *args], package)
    assert result.returncode == 0, result.stderr[-4000:]
    data: dict[str, Any] = json.loads(result.stdout)
    return data


def generate_version(version: str, out: Path) -> None:
    validation = api.validate([DATA / version / "restaurant.yaml"])
    assert validation.model is not None and validation.exit_code() in (0, 1), [str(d) for d in validation.diagnostics]
    generate(validation.model, out)


@pytest.fixture
def postgres_schema() -> Iterator[str]:
    """A fresh schema in the test database, dropped afterwards."""
    import psycopg

    env = postgres_env(schema=f"esp_evolution_{uuid4().hex}")
    try:
        connection = psycopg.connect(**{k: env[v] for k, v in CONNECT.items()}, autocommit=True, connect_timeout=5)
    except psycopg.OperationalError as error:
        reason = f"PostgreSQL is not reachable at {env['POSTGRES_HOST']}:{env['POSTGRES_PORT']}: {error}"
        if IN_CI:
            pytest.fail(f"CI=true and {reason}", pytrace=False)
        pytest.skip(reason)
    with connection:
        connection.execute(f'CREATE SCHEMA "{env["POSTGRES_SCHEMA"]}"')
        try:
            yield env["POSTGRES_SCHEMA"]
        finally:
            connection.execute(f'DROP SCHEMA "{env["POSTGRES_SCHEMA"]}" CASCADE')


@pytest.fixture(params=["sqlite", "postgres"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Where both versions keep their events: ``sqlite:FOLDER`` or ``postgres:SCHEMA``."""
    if request.param == "sqlite":
        return f"sqlite:{tmp_path / 'data'}"
    schema: str = request.getfixturevalue("postgres_schema")
    return f"postgres:{schema}"


def by_event(events: list[dict[str, Any]]) -> dict[str, dict[str, str]]:
    return {e["event"]: e["data"] for e in events}


@pytest.mark.slow
def test_the_new_version_reads_every_old_event(store: str, tmp_path: Path) -> None:
    package = tmp_path / "restaurant"
    generate_version("v1", package)
    old = worker(package, "record", store)
    (tmp_path / "messages.json").write_text(json.dumps(old["messages"]), encoding="utf-8")

    generate_version("v2", package)  # over the same folder, as a team upgrades
    new = worker(package, "read", store, str(tmp_path / "messages.json"))

    # every event, each through its upcaster: same aggregates, versions and order
    key = ["service", "id", "version", "event"]
    seen, followed = new["events"][: len(old["events"])], new["events"][len(old["events"]) :]
    assert [[e[k] for k in key] for e in seen] == [[e[k] for k in key] for e in old["events"]]
    before, after = by_event(old["events"]), by_event(seen)
    assert before["DrinksAdded"] == {"drink": "'juice'", "quantity": "2"}
    assert after["DrinksAdded"] == {"beverage": "'juice'", "quantity": "2"}  # renamed
    assert before["FoodItemAdded"] == {"dish": "'soup'", "quantity": "1"}
    assert after["FoodItemAdded"] == {"dish": "'soup'", "quantity": "Decimal('1')"}  # widened
    assert after["OrderPlaced"] == {**before["OrderPlaced"], "notes": "''"}  # added, with its default
    assert before["TableClosed"] == {"table_number": "4"} and after["TableClosed"] == {}  # removed
    assert before["BillPrepared"].pop("table_number") == "4" and after["BillPrepared"] == before["BillPrepared"]
    unchanged = set(before) - {"DrinksAdded", "FoodItemAdded", "OrderPlaced", "TableClosed", "BillPrepared"}
    assert unchanged and {name: after[name] for name in unchanged} == {name: before[name] for name in unchanged}

    # the aggregates rebuild in the new shape: v1's snapshot of the order is kept but passed over
    order = new["aggregates"][old["order"]]
    assert (order["beverage"], order["notes"], order["quantity"]) == ("'juice'", "''", "Decimal('1')")
    assert "drink" not in order and order["state"] == "'closed'"
    assert new["snapshots"] == [1, 0]
    bill = new["aggregates"][next(e["id"] for e in new["events"] if e["event"] == "BillPrepared")]
    assert "table_number" not in bill and bill["state"] == "'paid'"

    # the visit v1's dining recorded alone: v2's kitchen and payment follow its v1 events, upcast
    lagging = [e for e in followed if e["id"] == old["lagging"]]
    assert [e["event"] for e in lagging] == [
        "TableOpened",
        "DrinksAdded",
        "FoodItemAdded",
        "OrderPlaced",
        "TableClosed",
    ]
    assert by_event(lagging)["DrinksAdded"] == after["DrinksAdded"]
    heard = {e["event"]: e["data"] for e in followed if e["id"] != old["lagging"]}
    assert heard["TicketQueued"] == {"dishes": "[]", "order_id": f"UUID('{old['lagging']}')", "table_number": "4"}
    assert heard["BillPrepared"] == {"order_id": f"UUID('{old['lagging']}')"}
    assert len(followed) == len(lagging) + 2

    # v1's integration messages, read by v2's JSON reader
    assert new["messages"]["OrderPlaced"]["notes"] == "''"
    assert "table_number" not in new["messages"]["TableClosed"]

    # a new visit beside the old ones, in the new shape
    mixed = dict((name, fields) for name, fields in new["mixed"])
    assert mixed["DrinksAdded"] == ["beverage", "quantity"]
    assert mixed["OrderPlaced"] == ["dishes", "notes", "table_number"]
    assert len(new["mixed"]) == len(old["events"])  # a whole visit again

    # and the new package's own tests pass on this persistence
    kind = store.split(":", maxsplit=1)[0]
    tests = run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-W", "error"], package, ESP_PERSISTENCE=kind
    )
    assert tests.returncode == 0, tests.stdout[-6000:] + tests.stderr[-2000:]
    assert "skipped" not in tests.stdout.splitlines()[-1] or not IN_CI, tests.stdout[-2000:]


@pytest.mark.slow
def test_the_new_version_is_lint_and_type_clean(tmp_path: Path) -> None:
    """Its upcasters, SHAPE and imports pass what every generated package passes (mypy --strict)."""
    package = tmp_path / "restaurant"
    generate_version("v2", package)
    bin_dir = Path(sys.executable).parent
    for args in (["ruff", "check", "--no-cache", "."], ["ruff", "format", "--check", "--no-cache", "."], ["mypy", "."]):
        result = run([str(bin_dir / args[0]), *args[1:]], package, MYPY_CACHE_DIR=str(tmp_path / "mypy-cache"))
        assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("ci", ["true", ""])
def test_unreachable_postgres_fails_in_ci_and_is_skipped_elsewhere(ci: str) -> None:
    result = run(
        [sys.executable, "-m", "pytest", "-q", "-rs", "-p", "no:cacheprovider", __file__, "-k", "reads and postgres"],
        ROOT,
        POSTGRES_HOST="127.0.0.1",
        POSTGRES_PORT="1",
        CI=ci,
    )
    assert "PostgreSQL is not reachable at 127.0.0.1:1" in result.stdout, result.stdout[-3000:]
    if ci:
        assert result.returncode == 1 and "1 error" in result.stdout, result.stdout[-3000:]
    else:
        assert result.returncode == 0 and "1 skipped" in result.stdout, result.stdout[-3000:]
