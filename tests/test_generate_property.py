"""Property: any small valid journey generates a package that passes ruff (check and format --check), imports,
plays its journey, and passes its generated tests (in memory)."""

from __future__ import annotations

import itertools
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, assume, given, note, settings
from hypothesis import strategies as st

from bench import fuzz
from esp import api
from esp.generate import generate

FIELDS = {
    "note": ("str", "a note"),
    "count": ("int", 2),
    "price": ("decimal", "1.50"),
    "due": ("date", "2024-01-31"),
    "tags": ("list[str]", ["a", "b"]),
    "urgent": ("bool", True),
    "ref": ("uuid", "0b7c2f6e-8d1a-4d8e-9a59-3c1f3e0c9a11"),
    "memo": ("optional[str]", None),
    "total": ("Money", {"amount": "3.20", "currency": "EUR"}),
    "lines": ("list[Line]", [{"sku": "A-1", "cost": {"amount": "1", "currency": "EUR"}}]),
}
# The value objects the fields above use (each declared only if a field holds it: W120 otherwise).
TYPES = {
    "Money": {"fields": {"amount": "decimal", "currency": "str"}},
    "Line": {"fields": {"sku": "str", "cost": "Money", "gift": "optional[Money]"}},
}
AGGREGATES = ["Order", "Parcel", "Ticket"]
VERBS = [("Update", "Updated"), ("Close", "Closed"), ("Approve", "Approved")]
STATES = ["open", "active", "closed"]

fields = st.lists(st.sampled_from(sorted(FIELDS)), max_size=3, unique=True)


KEYABLE = [f for f in sorted(FIELDS) if FIELDS[f][0] in ("str", "int", "uuid", "date")]  # the types a key holds


@st.composite
def journeys(draw: st.DrawFn) -> dict[str, Any]:
    """A valid journey most of the time (the test assumes away the rest): 1-3 microservices of one aggregate each,
    with integration events, listeners that create across microservices, projections (sometimes from events of
    one field set), keys found by listeners of other microservices (``by``/``for_each``), and listeners on the
    aggregate's own event issuing its next command."""
    count = draw(st.integers(1, 3))
    microservices: dict[str, Any] = {}
    processes = []
    scenarios = []
    projections = []
    listeners = []
    creators: list[tuple[str, str, list[str]]] = []  # (microservice, create command, its fields)
    integration: list[tuple[str, dict[str, Any]]] = []  # (microservice, event)
    changers: list[tuple[str, dict[str, Any]]] = []  # (microservice, a non-creating command)
    keys: list[tuple[str, str, str]] = []  # (microservice, key field, unique or many)
    for i in range(count):
        agg = AGGREGATES[i]
        ms = f"{agg.lower()} service"
        states = STATES[: draw(st.integers(1, 3))]
        aggregate: dict[str, Any] = {"identity": f"{agg.lower()}_id", "states": states}
        microservices[ms] = {"aggregates": {agg: aggregate}}
        created = draw(fields)
        keyable = [f for f in created if f in KEYABLE]
        # a key: recorded by the one creating event (E180), of a type a key holds; several keyed aggregates in a
        # journey each get a test of their own (two once shared one name: ruff F811)
        if draw(st.booleans()) and keyable:
            key = draw(st.sampled_from(keyable))
            kind = draw(st.sampled_from(["unique", "many"]))
            aggregate["keys"] = {key: kind}
            keys.append((ms, key, kind))
        actions: list[dict[str, Any]] = [
            {
                "command": f"Open{agg}",
                "fields": {f: FIELDS[f][0] for f in created},
                "emits": [f"{agg}Opened"],
                "creates": True,
            }
        ]
        events: list[dict[str, Any]] = [
            {"event": f"{agg}Opened", "fields": {f: FIELDS[f][0] for f in created}, "enters": states[0]}
        ]
        for command, event in _changes(draw, agg, states, created):
            if event.get("kind") == "integration":
                integration.append((ms, event))
            actions.append(command)
            events.append(event)
            changers.append((ms, command))
        creators.append((ms, f"Open{agg}", created))
        processes.append(
            {"process": f"Handle {agg}", "microservice": ms, "aggregate": agg, "actions": actions, "events": events}
        )
        if draw(st.integers(0, 2)) == 0:
            sources = draw(st.lists(st.sampled_from([e["event"] for e in events]), min_size=1, max_size=3, unique=True))
            projections.append({"projection": f"{agg} Board", "in": ms, "from": sources})
        own = draw(st.sampled_from([None, *events[1:], events[0]]))
        if own is not None and draw(st.booleans()):
            listeners.extend(_own_listener(draw, ms, agg, own, actions, states))
        if draw(st.booleans()):
            scenarios.append(
                {
                    "scenario": f"a new {agg.lower()}",
                    "aggregate": agg,
                    "when": {f"Open{agg}": {f: FIELDS[f][1] for f in created}},
                    "then": [{f"{agg}Opened": {f: FIELDS[f][1] for f in created}}],
                }
            )
    for ms, heard in integration:
        for other, creator, creator_fields in creators:
            if other != ms and set(creator_fields) <= set(heard["fields"]) and draw(st.booleans()):
                listeners.append({"on": heard["event"], "in": other, "command": creator})
                break
    for ms, key, kind in keys:
        listeners.extend(_keyed_listener(draw, ms, key, kind, integration, changers))
    return _journey(microservices, processes, listeners, projections, scenarios)


def _journey(
    microservices: dict[str, Any],
    processes: list[dict[str, Any]],
    listeners: list[dict[str, Any]],
    projections: list[dict[str, Any]],
    scenarios: list[dict[str, Any]],
) -> dict[str, Any]:
    """The journey of those parts, with the value objects its fields hold (W120 for one declared unheld)."""
    journey: dict[str, Any] = {"journey": "Random Journey", "microservices": microservices, "processes": processes}
    held = {t for p in processes for e in p["events"] + p["actions"] for t in e.get("fields", {}).values()}
    used = [name for name in TYPES if any(name in t for t in held) or (name == "Money" and "list[Line]" in held)]
    if used:
        journey["types"] = {name: TYPES[name] for name in used}
    if listeners:
        journey["listeners"] = listeners
    if projections:
        journey["projections"] = projections
    if scenarios:
        journey["scenarios"] = scenarios
    return journey


def _changes(
    draw: st.DrawFn, agg: str, states: list[str], created: list[str]
) -> Iterator[tuple[dict[str, Any], dict[str, Any]]]:
    """Up to two non-creating commands of the aggregate, each with the event it emits."""
    for verb, past in draw(st.lists(st.sampled_from(VERBS), max_size=2, unique=True)):
        changed = draw(fields)
        allowed = draw(st.lists(st.sampled_from(states), max_size=2, unique=True))
        command: dict[str, Any] = {
            "command": f"{verb}{agg}",
            "fields": {f: FIELDS[f][0] for f in changed},
            "emits": [f"{agg}{past}"],
        }
        if allowed:
            command["allowed_in"] = allowed
        # sometimes the creating event's fields again: two events of one field set (a projection's twins)
        recorded = created if draw(st.integers(0, 3)) == 0 else draw(fields)
        event: dict[str, Any] = {"event": f"{agg}{past}", "fields": {f: FIELDS[f][0] for f in recorded}}
        enters = draw(st.sampled_from([None, *states]))
        if enters:
            event["enters"] = enters
        if draw(st.booleans()):
            event["kind"] = "integration"
        yield command, event


def _own_listener(
    draw: st.DrawFn, ms: str, agg: str, heard: dict[str, Any], actions: list[dict[str, Any]], states: list[str]
) -> list[dict[str, Any]]:
    """A listener on the aggregate's own event issuing one of its non-creating commands, allowed in the state the
    event leaves it in (E068) and filled from the event's fields (E059); none if there is no such command."""
    left = heard.get("enters")
    fitting = [
        a["command"]
        for a in actions[1:]
        if (not a.get("allowed_in") or (left is not None and left in a["allowed_in"]))
        and set(a["fields"]) <= set(heard["fields"])
        and heard["event"] not in a["emits"]  # a listener that answers its own command's event is a cycle (E058)
    ]
    if not fitting:
        return []
    return [{"on": heard["event"], "in": ms, "command": draw(st.sampled_from(fitting))}]


def _keyed_listener(
    draw: st.DrawFn,
    ms: str,
    key: str,
    kind: str,
    integration: list[tuple[str, dict[str, Any]]],
    changers: list[tuple[str, dict[str, Any]]],
) -> list[dict[str, Any]]:
    """A listener in ``ms`` that finds its aggregates by ``key`` (``by`` a unique one, ``for_each`` a many), on an
    integration event of another microservice, given the key's field and the command's if it lacks them."""
    heard = [event for other, event in integration if other != ms]
    commands = [command for other, command in changers if other == ms]
    if not heard or not commands:
        return []
    event = draw(st.sampled_from(heard))
    command = draw(st.sampled_from(commands))
    # the event carries the key and what the command needs (E184, E059)
    event["fields"].update({f: FIELDS[f][0] for f in [key, *command["fields"]]})
    way = "by" if kind == "unique" else "for_each"
    return [{"on": event["event"], "in": ms, "command": command["command"], way: key}]


@pytest.fixture(scope="module")
def workers() -> Iterator[tuple[fuzz.Player, fuzz.Tester]]:
    """Warm processes that play and test the generated packages (each under a name of its own): a fresh
    interpreter and pytest per example cost most of the time."""
    player, tester = fuzz.Player(), fuzz.Tester()
    yield player, tester
    player.close()
    tester.close()


PACKAGES = itertools.count()


# CI runs the same examples every time (derandomize; no hypothesis database written): a property test that fails
# one run in ten is no test. About 0.5 s of CPU an example (validate, generate, ruff, play and test it in the warm
# workers; ruff's two runs ~0.1 s): ~61 s in all. To look further, at random:
#   ESP_PROPERTY_EXAMPLES=1000 pytest tests/test_generate_property.py --hypothesis-seed=7
# A journey found that way goes to tests/bad (refused) or tests/data (kept working) as a test of its own.
EXAMPLES = int(os.environ.get("ESP_PROPERTY_EXAMPLES", "0"))
CI = settings(max_examples=120, derandomize=True, database=None)
EXPLORE = settings(max_examples=EXAMPLES or 1, derandomize=False)


@settings(
    EXPLORE if EXAMPLES else CI,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
@given(journey=journeys())
def test_random_valid_journeys_generate_code_that_runs(
    journey: dict[str, Any], workers: tuple[fuzz.Player, fuzz.Tester]
) -> None:
    player, tester = workers
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        path = root / "journey.yaml"
        path.write_text(yaml.safe_dump(journey), encoding="utf-8")
        note(path.read_text(encoding="utf-8"))  # the failing journey as a file to keep
        validation = api.validate([path])
        assume(validation.model is not None and validation.exit_code() == 0)
        assert validation.model is not None
        package = f"random_journey_{next(PACKAGES)}"
        generate(validation.model, root / "out", package=package)
        linted, lint_report = fuzz.lint(root / "out")  # ruff check and format --check, as its pyproject says
        assert linted, lint_report
        stage, played = player.play(root / "out", package)
        assert stage == "ok", played
        assert "Open" in played and "Opened" in played, played
        # its tests in memory, without schemathesis fuzzing its HTTP APIs (the example journeys run that)
        passed, report = tester.test(root / "out", api_fuzz=False)
        assert passed, report
