"""The one contract, on a seeded sample of bench/fuzz.py's mutants of the example and real journeys: every
mutant that ``esp validate`` accepts generates (never exit 3), compiles, imports, plays its journey and passes
ruff; the first few also pass mypy --strict and their own tests in memory. ``python -m bench.fuzz --mutants
5000 --jobs 3`` runs the large sample (docs/performance.md)."""

from __future__ import annotations

import copy
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from helpers import show

from bench import fuzz
from esp import api
from esp.errors import Severity
from esp.generate import generate
from esp.load import load_text
from esp.naming import MAX_NAME

MUTANTS = 200  # through validate, generate, compile, import, play and ruff
TESTED = 30  # of those that validate, also through mypy --strict and their tests (without the API fuzzing)


@pytest.mark.slow
def test_every_mutant_that_validates_generates_a_package_that_works() -> None:
    lines: list[str] = []
    tally = fuzz.fuzz(MUTANTS, seed=2026, tests=TESTED, log=lines.append, api_fuzz=False)
    assert tally.mutants == MUTANTS
    assert tally.validated >= MUTANTS // 10, "the mutants hardly validate: the operators broke every journey"
    assert tally.tested == TESTED
    broken = tally.crashed + tally.broken
    problems = [f"{o.stage}: {'; '.join(o.mutant.operators)} ({o.mutant.seed})\n{o.detail}" for o in broken]
    assert not problems, "\n\n".join(problems[:5]) + f"\n\n{len(problems)} in all:\n" + "\n".join(lines)


def _rename(old: str, new: str) -> Callable[[Any], Any]:
    return lambda data: fuzz._rename(data, old, new)


def _without_first_action(data: Any) -> Any:
    del data["processes"][0]["actions"][0]
    return data


def _field_type(action_name: str, name: str, ftype: str, kind: str = "command") -> Callable[[Any], Any]:
    """The field ``name`` of a command (or, with ``kind="query"``, a query) made of type ``ftype``."""

    def change(data: Any) -> Any:
        for process in data["processes"]:
            for action in process["actions"]:
                if action.get(kind) == action_name:
                    action["fields"][name] = ftype
        return data

    return change


def _long_text(field: str) -> Callable[[Any], Any]:
    def change(data: Any) -> Any:
        for scenario in data.get("scenarios", []):
            for occ in scenario.get("then") or []:
                for values in occ.values() if isinstance(occ, dict) else ():
                    if isinstance(values, dict) and field in values:
                        values[field] = "x" * 200
        return data

    return change


def _emits_swapped(command: str) -> Callable[[Any], Any]:
    def change(data: Any) -> Any:
        for process in data["processes"]:
            for action in process["actions"]:
                if action.get("command") == command:
                    action["emits"].reverse()
        return data

    return change


def _without_given(scenario: str) -> Callable[[Any], Any]:
    def change(data: Any) -> Any:
        for s in data["scenarios"]:
            if s["scenario"] == scenario:
                s["given"] = []
        return data

    return change


def _without_command(command: str) -> Callable[[Any], Any]:
    def change(data: Any) -> Any:
        for process in data["processes"]:
            process["actions"] = [a for a in process["actions"] if a.get("command") != command]
        return data

    return change


def _without_fields(event: str) -> Callable[[Any], Any]:
    def change(data: Any) -> Any:
        for process in data["processes"]:
            for recorded in process["events"]:
                if recorded.get("event") == event:
                    recorded.pop("fields", None)
        return data

    return change


def _fed_by_nothing(projection: str) -> Callable[[Any], Any]:
    def change(data: Any) -> Any:
        for p in data["projections"]:
            if p["projection"] == projection:
                p["from"] = []
        return data

    return change


def _first_listener_twice(data: Any) -> Any:
    data["listeners"].insert(0, copy.deepcopy(data["listeners"][0]))
    return data


# What the fuzz found broken after validation, one mutant a class (docs/performance.md), each kept working.
REGRESSIONS: dict[str, tuple[str, Callable[[Any], Any]]] = {
    # lines past 120 columns: a saga step's compensation named after a 36-character step (E501 before)
    "long step name": ("insurance-claim.yaml", _rename("Approve claim", "AGGREGATE_CACHE_FASTFORWARD_SKIPPING")),
    "long step name in an assert": (
        "food-delivery.yaml",
        _rename("Authorize card", "Authorize card longer longer longer"),
    ),
    "long projection name": (
        "customer-profile.yaml",
        _rename("CurrentProfile", "CurrentProfileLongerLongerLongerLonger"),
    ),
    "long aggregate name": (
        "customer-profile.yaml",
        _rename("CustomerProfile", "CustomerProfileLongerLongerLongerLonger"),
    ),
    # a field named like a standard-library name the module imports (found in its text: imported unused, F401)
    "a field named field": ("insurance-claim.yaml", _rename("assessed_amount", "field")),
    "a field named dataclass": ("customer-profile.yaml", _rename("previous_title", "dataclass")),
    # one value object: VALUE_OBJECTS was written '(Aggregate, )', which ruff format writes '(Aggregate,)'
    "one value object": (
        "insurance-claim.yaml",
        lambda data: {**data, "types": {"Aggregate": {"fields": {"value": "str"}}}},
    ),
    # a scenario text of 200 characters: no layout fits it (E501 before; now its line is marked noqa for E501)
    "a long scenario text": ("travel.yaml", _long_text("authorisation_code")),
    # a scenario's 'reason' (text, given to an event) offered to a command's 'reason' made decimal: exit 3 before
    # a scenario choosing one event of a command that has two, the other its default: the test's rule returned
    # '("SlotReserved", )', which ruff format writes '("SlotReserved",)'
    "a scenario choosing one of two events": ("food-delivery.yaml", _emits_swapped("ReserveSlot")),
    # a journey named 'False': its class was 'class False:' (a syntax error); now FalseJourney (W110)
    "a journey named False": ("ftgo-restaurants.yaml", _rename("FTGO Restaurants", "False")),
    # a choice rule's return type over five events, one with a long name: 'Sequence[Literal[...]]' past 120 columns
    # on the line ') -> ...:' of a signature the template splits (E501 before)
    "a long choice in a return type": (
        "cargo-shipping.yaml",
        _rename("CargoUnloaded", "CargoUnloadedLongerLongerLonger"),
    ),
    # a rejected scenario with nothing given: its test assigned 'cls' and never used it (F841)
    "a rejected scenario with nothing given": ("restaurant.yaml", _without_given("a dish is ordered at least once")),
    # a saga step whose success event has no fields: its handler assigned 'command' and never read it (F841)
    "a saga step's event with no fields": ("shopping.yaml", _without_fields("CustomerNotified")),
    # a projection fed by no event: api.py built it as 'Cls(\n)', which ruff format joins
    "a projection fed by nothing": ("airline-booking.yaml", _fed_by_nothing("LoyaltyPoints")),
    # a query field named like the aggregate's identity but a datetime (it selects rows by their day): the player
    # asked it with the profile's id (AttributeError: 'UUID' object has no attribute 'date')
    # a rejected scenario on an existing aggregate with nothing given (built by testing.py's builder): its test
    # imported the aggregates module unused (F401)
    "a rejected scenario on an existing aggregate with nothing given": (
        "kafka-orders.yaml",
        _without_given("a quiet customer's session is not closed"),
    ),
    "a query field named like the identity, not an id": (
        "customer-profile.yaml",
        _field_type("ViewProfile", "profile_id", "datetime", kind="query"),
    ),
}

# What the fuzz found broken after validation that no package can carry: now refused by esp validate, with its code.
REFUSED: dict[str, tuple[str, Callable[[Any], Any], str]] = {
    # one listener written twice: both created one aggregate (same id) or ran one command twice (the play failed)
    "a listener written twice": ("food-delivery.yaml", _first_listener_twice, "E260"),
    "a listener on an existing aggregate written twice": ("lakeside-quote.yaml", _first_listener_twice, "E260"),
    # nothing records the starting event (the command that did was deleted): the saga's tests had no aggregate to
    # start it with (mypy: no 'transfer_in' in testing.py); the saga never starts, so it is refused
    "a saga on an event nothing records": ("money-transfer.yaml", _without_command("RequestTransfer"), "E239"),
    # no scenario and no walk left to play (journey.py's plays() returned '[\n]', which ruff format joins; the
    # template writes '[]' since): the deleted first action recorded the saga's starting event, so it is E239 now
    "nothing to play": ("insurance-claim.yaml", _without_first_action, "E239"),
}


# Every name of a journey at once as long as esp accepts (bench.fuzz.at_max_length): three long names meet on one
# line where one long name fits (sagas.py's REPLIES keys and saga rule methods, api.py's projections, test_sagas'
# calls and asserts: E501 or ruff format before). Sagas of every kind, and two example journeys.
# Of many short words, a class name's snake case grows by a third: 'return aggregates.<Class>.<method>(' (E171 keeps
# it within MAX_SNAKE since) and annotated assignments of a call.
LONGEST = {
    "money-transfer.yaml": False,
    "trip-booking.yaml": False,
    "food-delivery.yaml": False,
    "customer-profile.yaml": False,
    "insurance-claim.yaml": True,
    "restaurant.yaml": True,
    # a listener's test finding its target by a key another listener also records: 'holders(...)[0]' (E501 before)
    "ecommerce-choreography.yaml": False,
}


@pytest.mark.parametrize("seed", LONGEST)
def test_every_name_at_its_longest_generates_a_package_that_lints_and_plays(seed: str, tmp_path: Path) -> None:
    mutant = _mutant(seed, lambda data: fuzz.at_max_length(data, words=LONGEST[seed]))
    names = [n for n in fuzz._kinds(yaml.safe_load(mutant.text), {}) if n not in fuzz._format_keys()]
    assert len(names) > 20
    assert max(len(n) for n in names) >= MAX_NAME
    outcome = fuzz.check_one(mutant, tmp_path, 0)
    assert outcome.stage == "ok", f"{outcome.stage}: {outcome.detail}"
    assert outcome.package is not None
    passed, detail = fuzz.lint(outcome.package)
    assert passed, detail
    player = fuzz.Player()
    try:
        stage, detail = player.play(outcome.package, "fuzz_0")
    finally:
        player.close()
    assert stage == "ok", detail


def test_every_name_at_its_longest_makes_paths_the_file_system_takes(tmp_path: Path) -> None:
    """The package named after the journey (not the fuzz's short name): no file name past 255 bytes."""
    path = tmp_path / "longest.yaml"
    path.write_text(_mutant("food-delivery.yaml", fuzz.at_max_length).text, encoding="utf-8")
    validation = api.validate([path])
    assert validation.model is not None and validation.exit_code() == 0, show(validation.diagnostics)
    generate(validation.model, tmp_path / "out")
    files = [p.relative_to(tmp_path) for p in (tmp_path / "out").rglob("*") if p.is_file()]
    assert files
    assert max(len(part.encode()) for p in files for part in p.parts) <= 255
    assert max(len(str(p).encode()) for p in files) <= 1024


def _mutant(seed: str, change: Callable[[Any], Any]) -> fuzz.Mutant:
    path = next(p for p in fuzz.seeds() if p.name == seed)
    text = path.read_text(encoding="utf-8")
    doc, _ = load_text(text, seed)  # YAML 1.2 as esp reads it: a key 'on' stays 'on'
    assert doc is not None
    data = change(copy.deepcopy(doc.data))
    return fuzz.Mutant(seed, yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=10_000))


@pytest.mark.parametrize("case", REGRESSIONS)
def test_a_mutant_the_fuzz_broke_generates_a_package_that_lints_and_plays(case: str, tmp_path: Path) -> None:
    seed, change = REGRESSIONS[case]
    outcome = fuzz.check_one(_mutant(seed, change), tmp_path, 0)
    assert outcome.stage == "ok", f"{outcome.stage}: {outcome.detail}"
    assert outcome.package is not None
    passed, detail = fuzz.lint(outcome.package)
    assert passed, detail
    player = fuzz.Player()
    try:
        stage, detail = player.play(outcome.package, "fuzz_0")
    finally:
        player.close()
    assert stage == "ok", detail


@pytest.mark.parametrize("case", REFUSED)
def test_a_mutant_the_fuzz_broke_that_no_package_carries_is_refused_with_its_code(case: str, tmp_path: Path) -> None:
    seed, change, code = REFUSED[case]
    path = tmp_path / seed
    path.write_text(_mutant(seed, change).text, encoding="utf-8")
    result = api.validate([path])
    assert [d.code for d in result.diagnostics if d.severity is Severity.ERROR] == [code], show(result.diagnostics)
