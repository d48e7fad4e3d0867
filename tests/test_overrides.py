"""Business logic survives regeneration, and a rule it overrides that the journey no longer asks for is
reported by ``esp validate --generated`` where it is written (E220-E222, W126); a scenario a rule rejects
whose rule is not written, at the scenario (W132)."""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers import JOURNEYS, assert_exit, run_esp, show

from esp import api, overrides
from esp.errors import UserError
from esp.generate import generate

LOGIC = """

    def check_add_food_item(self, aggregate: aggregates.DiningOrder, command: commands.AddFoodItem) -> None:
        if command.quantity < 1:
            raise DomainError("at least one")

    def on_food_item_added(self, aggregate: aggregates.DiningOrder, event: DiningOrder.FoodItemAdded) -> None:
        aggregate.dishes = [*(aggregate.dishes or []), event.dish]

    def _portions(self) -> int:
        return 1
"""


def _restaurant(tmp_path: Path, text: str | None = None) -> Path:
    journey = tmp_path / "restaurant.yaml"
    journey.write_text(text or (JOURNEYS / "restaurant.yaml").read_text(encoding="utf-8"), encoding="utf-8")
    return journey


def _generate(journey: Path, out: Path) -> None:
    model = api.validate([journey]).model
    assert model is not None
    generate(model, out)


def test_logic_survives_a_model_change_and_its_dead_override_is_reported(tmp_path: Path) -> None:
    journey = _restaurant(tmp_path)
    out = tmp_path / "out"
    _generate(journey, out)
    rules = out / "customer_dining" / "dining" / "rules.py"
    mine = rules.read_text(encoding="utf-8") + LOGIC
    rules.write_text(mine, encoding="utf-8")
    assert_exit(run_esp("validate", journey, "--generated", out), 0)

    journey.write_text(journey.read_text(encoding="utf-8").replace("AddFoodItem", "AddDish"), encoding="utf-8")
    regenerated = run_esp("generate", journey, "-o", out)  # the command renamed: check_add_food_item is dead
    assert_exit(regenerated, 0)
    assert rules.read_text(encoding="utf-8") == mine
    assert f"{rules}:{_line(mine, 'check_add_food_item')}:5: error E220:" in regenerated.stderr  # said at once
    assert "def check_add_dish(" in (out / "customer_dining" / "dining" / "hooks.py").read_text(encoding="utf-8")

    result = run_esp("validate", journey, "--generated", out)
    assert_exit(result, 1)
    line = _line(mine, "check_add_food_item")
    assert f"{rules}:{line}:5: error E220: rules.Rules.check_add_food_item overrides no rule" in result.stdout
    assert "the journey now asks for 'check_add_dish'" in result.stdout
    assert "on_food_item_added" not in result.stdout and "_portions" not in result.stdout


def _line(text: str, method: str) -> int:
    return next(i for i, line in enumerate(text.splitlines(), 1) if f"def {method}(" in line)


def test_a_broken_or_classless_rules_file_and_a_microservice_gone(tmp_path: Path) -> None:
    journey = _restaurant(tmp_path)
    out = tmp_path / "out"
    _generate(journey, out)
    pkg = out / "customer_dining"
    (pkg / "dining" / "rules.py").write_text("class Rules(\n", encoding="utf-8")
    (pkg / "kitchen" / "rules.py").write_text('"""No class here."""\n', encoding="utf-8")
    (pkg / "bar").mkdir()
    (pkg / "bar" / "rules.py").write_text("class Rules:\n    pass\n", encoding="utf-8")
    model = api.validate([journey]).model
    assert model is not None
    found = overrides.check(model, out)
    rules = [d for d in found if d.code != "W132"]
    located = [(d.code, Path(d.location.file).parent.name, d.location.line, d.location.col) for d in rules]
    assert located == [("W126", "bar", 1, 1), ("E222", "dining", 1, 12), ("E221", "kitchen", 1, 1)], show(found)
    # the dining rules cannot be read, so whether they reject is unknown: only payment's missing rules are said
    unwritten = [d.message.split(" has no ")[1] for d in found if d.code == "W132"]
    assert unwritten == ["check_pay_cash", "check_process_payment"], show(found)


def test_a_folder_esp_did_not_generate_is_refused(tmp_path: Path) -> None:
    model = api.validate([JOURNEYS / "restaurant.yaml"]).model
    assert model is not None
    with pytest.raises(UserError, match="no package esp generated"):
        overrides.check(model, tmp_path)


def test_the_committed_example_has_no_dead_override() -> None:
    result = run_esp(
        "validate", JOURNEYS / "restaurant.yaml", "--generated", JOURNEYS.parent / "generated" / "restaurant"
    )
    assert "E220" not in result.stdout and "W126" not in result.stdout, result.stdout
    assert "W132" not in result.stdout, result.stdout  # every scenario a rule rejects has its rule written


def test_a_scenario_rejected_by_a_rule_not_written_is_said_where_it_is(tmp_path: Path) -> None:
    """'then: {rejected: ...}' expects a check_<command> of rules.py: until it is written the default accepts,
    and the generated test fails; validate --generated says so at the scenario (W132), and no more once written."""
    journey = _restaurant(tmp_path)
    out = tmp_path / "out"
    _generate(journey, out)
    result = run_esp("validate", journey, "--generated", out)
    assert_exit(result, 0)  # a warning: the package is fine, its test of the rule is not yet
    text = journey.read_text(encoding="utf-8")
    line = next(i for i, t in enumerate(text.splitlines(), 1) if t == "  - scenario: a dish is ordered at least once")
    rules = out / "customer_dining" / "dining" / "rules.py"
    assert (
        f"{journey}:{line}:5: warning W132: scenario 'a dish is ordered at least once' expects a business rule to"
        f" reject 'AddFoodItem', but {rules} has no check_add_food_item"
    ) in result.stdout
    assert "raising DomainError with a message that holds 'order at least one'" in result.stdout
    assert_exit(run_esp("validate", journey, "--generated", out, "--strict"), 1)

    example = JOURNEYS.parent / "generated" / "restaurant" / "customer_dining"
    for ms in ("dining", "payment"):
        (out / "customer_dining" / ms / "rules.py").write_bytes((example / ms / "rules.py").read_bytes())
    written = run_esp("validate", journey, "--generated", out, "--strict")
    assert "W132" not in written.stdout, written.stdout


def test_a_folder_of_packages_is_checked_journey_by_journey(tmp_path: Path) -> None:
    journeys = tmp_path / "journeys"
    journeys.mkdir()
    for name in ("restaurant", "customer-profile"):
        (journeys / f"{name}.yaml").write_text((JOURNEYS / f"{name}.yaml").read_text(encoding="utf-8"), "utf-8")
    out = tmp_path / "generated"
    assert_exit(run_esp("generate", journeys, "-o", out), 0)
    rules = out / "restaurant" / "customer_dining" / "payment" / "rules.py"
    rules.write_text(rules.read_text(encoding="utf-8") + "\n    def check_pay_by_cheque(self) -> None:\n        pass\n")
    result = run_esp("validate", journeys, "--generated", out)
    assert_exit(result, 1)
    assert f"{rules}:{_line(rules.read_text(encoding='utf-8'), 'check_pay_by_cheque')}:5: error E220" in result.stdout
