"""Strictness profiles: `default` is what code generation needs; `workshop`
tolerates a half-finished model and lists its gaps as to-dos."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from esp.api import validate
from esp.cli import app
from esp.errors import Severity
from esp.profile import WORKSHOP_TODOS

HALFWAY = """\
journey: Pizza Delivery
actors: [Customer]
microservices:
  ordering:
    aggregates:
      PizzaOrder: {identity: order_id, states: [placed, baked, delivered]}
  oven: {}
processes:
  - process: Order Pizza
    actor: Customer
    microservice: ordering
    aggregate: PizzaOrder
    actions:
      - command: PlaceOrder
        emits: [PizzaOrdered]
        creates: true
      - command: CancelOrder
    events:
      - event: PizzaOrdered
        kind: integration
        enters: placed
      - event: PizzaBaked
        enters: baked
  - process: Bake
    actor: Chef
    microservice: oven
    actions:
      - command: BakePizza
    events:
      - event: OvenHeated
hotspots:
  - Who pays for a burnt pizza?
"""


@pytest.fixture
def halfway(tmp_path: Path) -> Path:
    path = tmp_path / "halfway.yaml"
    path.write_text(HALFWAY, encoding="utf-8")
    return path


def test_a_half_done_journey_fails_by_default(halfway: Path) -> None:
    result = validate([halfway])
    assert result.exit_code() == 1
    assert {d.code for d in result.errors} == {"E047", "E050"}
    assert result.todos == ()


def test_the_workshop_profile_lists_the_gaps_as_todos(halfway: Path) -> None:
    result = validate([halfway], "workshop")
    assert result.exit_code(strict=True) == 0
    assert result.errors == () and result.warnings == ()
    assert {d.code for d in result.todos} == {"E047", "E050", "W100", "W101", "W102", "W105", "W106"}
    assert result.model is not None


def test_the_workshop_profile_still_fails_on_real_mistakes(halfway: Path) -> None:
    halfway.write_text(HALFWAY.replace("emits: [PizzaOrdered]", "emits: [PizzaOrderd]"), encoding="utf-8")
    result = validate([halfway], "workshop")
    assert [d.code for d in result.errors] == ["E042"]
    assert result.exit_code() == 1


def test_todo_codes_are_real_codes() -> None:
    from esp.codes import CODES

    assert set(CODES) >= WORKSHOP_TODOS
    assert not any(CODES[c].fatal for c in WORKSHOP_TODOS)


def test_cli_profile_option_and_outputs(halfway: Path) -> None:
    runner = CliRunner()
    text = runner.invoke(app, ["validate", "--profile", "workshop", str(halfway)])
    assert text.exit_code == 0, text.output
    assert "to-do E047" in text.output and "7 to-dos" not in text.output and "to-dos" in text.output
    as_json = runner.invoke(app, ["validate", "--profile", "workshop", "-f", "json", str(halfway)])
    payload = json.loads(as_json.output)
    assert payload["summary"]["errors"] == 0 and payload["summary"]["todos"] == len(payload["diagnostics"])
    assert {d["severity"] for d in payload["diagnostics"]} == {Severity.TODO.value}
    github = runner.invoke(app, ["validate", "--profile", "workshop", "-f", "github", str(halfway)])
    assert github.output.startswith("::notice ")
    assert runner.invoke(app, ["validate", "--profile", "lax", str(halfway)]).exit_code == 2


def test_the_profile_comes_from_pyproject(halfway: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (halfway.parent / "pyproject.toml").write_text('[tool.esp]\nprofile = "workshop"\n', encoding="utf-8")
    monkeypatch.chdir(halfway.parent)
    assert CliRunner().invoke(app, ["validate", "halfway.yaml"]).exit_code == 0
    assert CliRunner().invoke(app, ["validate", "--profile", "default", "halfway.yaml"]).exit_code == 1
