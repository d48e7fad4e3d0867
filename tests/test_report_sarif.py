"""esp validate --format sarif: valid SARIF 2.1.0 with the whole catalogue of
codes as rules, and a result for each diagnostic.

tests/data/sarif-schema-2.1.0.json is the OASIS SARIF 2.1.0 JSON Schema
(draft-04; its rtm.5 edition, the one the standard was published with), as
shipped in the npm package @microsoft/jest-sarif 1.0.0-beta.0
(lib/schemas/sarif-2.1.0-rtm.5.json, MIT).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from export_helpers import JOURNEYS, ROOT
from typer.testing import CliRunner

from esp import api, report
from esp.cli import app
from esp.codes import CODES
from esp.errors import Diagnostic, Location

SCHEMA = json.loads((ROOT / "tests" / "data" / "sarif-schema-2.1.0.json").read_text(encoding="utf-8"))
BAD = ROOT / "tests" / "bad"


def _validator() -> jsonschema.Draft4Validator:
    return jsonschema.Draft4Validator(SCHEMA, format_checker=jsonschema.Draft4Validator.FORMAT_CHECKER)


def _errors(log: Any) -> list[str]:
    return [f"{list(e.absolute_path)}: {e.message}" for e in _validator().iter_errors(log)]


def _sarif_of(paths: list[Path]) -> dict[str, Any]:
    result = CliRunner().invoke(app, ["validate", "--format", "sarif", *map(str, paths)])
    assert result.exit_code in (0, 1, 2), result.output
    log: dict[str, Any] = json.loads(result.stdout)
    return log


def test_a_clean_model_gives_a_valid_log_without_results() -> None:
    log = _sarif_of([JOURNEYS / "restaurant.yaml"])
    assert _errors(log) == []
    run = log["runs"][0]
    assert [r for r in run["results"] if r["level"] == "error"] == []
    assert [a["location"]["uri"] for a in run["artifacts"]] == [(JOURNEYS / "restaurant.yaml").as_uri()]


def test_the_rules_are_the_catalogue_of_codes() -> None:
    rules = report.sarif_log([], [])["runs"][0]["tool"]["driver"]["rules"]
    assert [r["id"] for r in rules] == list(CODES)
    for rule in rules:
        assert rule["shortDescription"]["text"] == CODES[rule["id"]].title
        assert rule["help"]["text"]
        assert rule["defaultConfiguration"]["level"] == CODES[rule["id"]].severity


@pytest.mark.parametrize("bad", sorted(BAD.glob("*.yaml")), ids=lambda p: p.stem)
def test_every_bad_input_gives_valid_sarif(bad: Path) -> None:
    log = _sarif_of([bad])
    assert _errors(log) == []
    results = log["runs"][0]["results"]
    expected = api.validate([bad]).diagnostics
    assert [(r["ruleId"], r["level"]) for r in results] == [(d.code, d.severity.value) for d in expected]
    rules = log["runs"][0]["tool"]["driver"]["rules"]
    for r in results:
        assert rules[r["ruleIndex"]]["id"] == r["ruleId"]
        physical = r["locations"][0]["physicalLocation"]
        assert physical["artifactLocation"]["uri"].endswith(bad.name)


def test_locations_lines_columns_and_uris() -> None:
    diags = [
        Diagnostic("E030", Location("journeys/my trip.yaml", 12, 7), "a message", "a hint"),
        Diagnostic("E001", Location("/abs/missing.yaml"), "no such file"),
    ]
    log = report.sarif_log(diags, ["journeys/my trip.yaml"])
    assert _errors(log) == []
    first, second = log["runs"][0]["results"]
    assert first["locations"][0]["physicalLocation"] == {
        "artifactLocation": {"uri": "journeys/my%20trip.yaml"},
        "region": {"startLine": 12, "startColumn": 7},
    }
    assert first["message"]["text"] == "a message\nhint: a hint"
    assert second["locations"][0]["physicalLocation"] == {"artifactLocation": {"uri": "file:///abs/missing.yaml"}}


def test_the_schema_check_can_fail() -> None:
    log = report.sarif_log([Diagnostic("E030", Location("a.yaml", 1, 1), "m")], ["a.yaml"])
    log["runs"][0]["results"][0]["level"] = "fatal"  # not a SARIF level
    del log["version"]
    assert len(_errors(log)) == 2


def test_the_fast_path_knows_sarif() -> None:
    from esp.entry import ValidateArgs, parse_validate

    assert parse_validate(["--format", "sarif", "a.yaml"]) == ValidateArgs([Path("a.yaml")], "sarif")
