"""`esp validate` and `esp schema` as people and CI run them: exit codes, the
three output formats, colour rules, and the help text pinned by snapshots."""

from __future__ import annotations

import json
import os
import re
import shutil
from pathlib import Path

import pytest
from helpers import BAD, JOURNEYS, MINIMAL, SAGA, assert_exit, explain, run_esp, variant, write
from typer.testing import CliRunner, Result

from esp.cli import app
from esp.codes import CODES
from esp.schema import schema_text

SNAPSHOTS = Path(__file__).parent / "snapshots"
UPDATE = bool(os.environ.get("ESP_UPDATE_SNAPSHOTS"))
ESC = "\x1b["
RESTAURANT = JOURNEYS / "restaurant.yaml"
TEXT_LINE = re.compile(
    r"^(?P<file>.+):(?P<line>\d+):(?P<col>\d+): (?P<sev>error|warning) (?P<code>[EW]\d{3}): (?P<msg>.+)$"
)
GITHUB_LINE = re.compile(r"^::(error|warning) file=[^,:]+,line=\d+,col=\d+,title=[EW]\d{3}::\S.*$")


def invoke(*args: str | Path, env: dict[str, str] | None = None) -> Result:
    """Run the typer app in-process (no colour: CliRunner's output is not a terminal)."""
    return CliRunner().invoke(app, [str(a) for a in args], env=env)


def _clean(folder: Path) -> Path:
    return write(folder, MINIMAL, "clean.yaml")


def _warning_only(folder: Path) -> Path:
    return write(folder, SAGA + "hotspots:\n  - Is a trip booked for one traveller only?\n", "warn.yaml")


def _errors(folder: Path) -> Path:
    return write(folder, variant(MINIMAL, ("microservice: shop", "microservice: shops")), "errors.yaml")


# -- exit codes ----------------------------------------------------------------------------


def test_clean_journey_exits_0(tmp_path: Path) -> None:
    result = invoke("validate", _clean(tmp_path))
    assert_exit(result, 0)
    assert "1 journey file checked: no problems" in result.stdout


def test_the_examples_are_valid() -> None:
    assert_exit(invoke("validate", JOURNEYS), 0)
    assert_exit(run_esp("validate", JOURNEYS), 0)


def test_problems_exit_1(tmp_path: Path) -> None:
    assert_exit(invoke("validate", _errors(tmp_path)), 1)
    assert_exit(run_esp("validate", _errors(tmp_path)), 1)


def test_unusable_input_exits_2(tmp_path: Path) -> None:
    bad = write(tmp_path, "- a list\n", "list.yaml")
    assert_exit(invoke("validate", bad), 2)
    assert_exit(run_esp("validate", bad), 2)
    assert_exit(run_esp("validate", tmp_path / "missing.yaml"), 2)


def test_fatal_and_plain_problems_together_exit_2_and_report_both(tmp_path: Path) -> None:
    bad = write(tmp_path, "- a list\n", "a.yaml")
    typo = write(tmp_path, MINIMAL.replace("creates: true", "creates: true\n        create: true"), "b.yaml")
    result = run_esp("validate", bad, typo)
    assert_exit(result, 2)
    # the model is not checked without every file, but each usable file's shape is
    assert "a.yaml:1:1: error E012" in result.stdout and "b.yaml:16:9: error E021" in result.stdout, explain(result)


@pytest.mark.parametrize(
    "args",
    [
        ["validate", "--format"],
        ["validate", "--format", "xml", "x.yaml"],
        ["validate", "--nope", "x.yaml"],
        ["no-such-command"],
    ],
    ids=["format-without-value", "bad-format", "bad-option", "bad-command"],
)
def test_usage_errors_exit_2(args: list[str]) -> None:
    assert_exit(invoke(*args), 2)
    result = run_esp(*args)
    assert_exit(result, 2)
    assert result.stderr.strip(), explain(result)


def test_warnings_pass_unless_strict(tmp_path: Path) -> None:
    path = _warning_only(tmp_path)
    assert_exit(invoke("validate", path), 0)
    assert_exit(invoke("validate", "--strict", path), 1)
    assert_exit(run_esp("validate", path), 0)
    assert_exit(run_esp("validate", path, "--strict"), 1)


def test_strict_does_not_turn_clean_into_failure(tmp_path: Path) -> None:
    assert_exit(run_esp("validate", "--strict", _clean(tmp_path)), 0)


# -- text --------------------------------------------------------------------------------------


def test_text_lists_every_problem_sorted_with_hints(tmp_path: Path) -> None:
    second = write(tmp_path, variant(SAGA, ("recovery: backward", "recovery: forward")), "b.yaml")
    first = write(
        tmp_path,
        variant(MINIMAL, ("states: [open]", "states: [open, closed]"), ("microservice: shop", "microservice: shops")),
        "a.yaml",
    )
    result = run_esp("validate", second, first, cwd=tmp_path)
    assert_exit(result, 1)
    lines = result.stdout.splitlines()
    heads = [m.groupdict() for line in lines if (m := TEXT_LINE.match(line))]
    assert [(h["file"], int(h["line"])) for h in heads] == sorted((h["file"], int(h["line"])) for h in heads)
    assert {h["code"] for h in heads} >= {"E040", "E083"}
    for i, line in enumerate(lines):
        if TEXT_LINE.match(line):
            assert lines[i + 1].startswith("    hint: "), explain(result)
    assert re.search(r"2 journey files checked: \d+ errors?, \d+ warnings?$", result.stdout.strip()), explain(result)


def test_text_message_of_a_corpus_file_is_exact() -> None:
    result = run_esp("validate", "ref_microservice.yaml", cwd=BAD)
    assert_exit(result, 1)
    assert result.stdout.splitlines()[:2] == [
        "ref_microservice.yaml:12:19: error E040: unknown microservice 'shops'",
        "    hint: did you mean 'shop'?",
    ]


# -- json ----------------------------------------------------------------------------------------


def test_json_carries_every_field(tmp_path: Path) -> None:
    bad, warn = _errors(tmp_path), _warning_only(tmp_path)
    result = run_esp("validate", "--format", "json", bad, warn)
    assert_exit(result, 1)
    payload = json.loads(result.stdout)
    assert payload["files"] == sorted([str(bad), str(warn)])
    diags = payload["diagnostics"]
    assert {d["code"] for d in diags} == {"E040", "W106"}
    for d in diags:
        assert set(d) >= {"code", "severity", "file", "line", "column", "message", "hint"}
        assert d["severity"] == CODES[d["code"]].severity
        assert isinstance(d["line"], int) and d["line"] > 0 and d["column"] > 0
        assert d["message"] and d["hint"]
    assert payload["summary"] == {"errors": 1, "warnings": 1, "todos": 0}


def test_json_for_unusable_input(tmp_path: Path) -> None:
    result = invoke("validate", "-f", "json", tmp_path / "missing.yaml")
    assert_exit(result, 2)
    (d,) = json.loads(result.stdout)["diagnostics"]
    assert d["code"] == "E001" and d["file"] == str(tmp_path / "missing.yaml")


def test_json_of_a_clean_run(tmp_path: Path) -> None:
    result = invoke("validate", "--format=json", _clean(tmp_path))
    assert_exit(result, 0)
    assert json.loads(result.stdout)["diagnostics"] == []


# -- github ---------------------------------------------------------------------------------------


def test_github_annotations(tmp_path: Path) -> None:
    result = run_esp("validate", "--format", "github", _errors(tmp_path), _warning_only(tmp_path))
    assert_exit(result, 1)
    lines = result.stdout.splitlines()
    assert lines, explain(result)
    for line in lines:
        assert GITHUB_LINE.match(line), line
    assert any(line.startswith("::error ") and ",title=E040::unknown microservice 'shops'%0A" in line for line in lines)
    assert any(line.startswith("::warning ") and "title=W106::" in line for line in lines)


def test_github_escapes_commas_colons_and_newlines(tmp_path: Path) -> None:
    odd = write(tmp_path, variant(MINIMAL, ("microservice: shop", "microservice: shops")), "a,b:c.yaml")
    result = run_esp("validate", "-f", "github", odd.name, cwd=tmp_path)
    (line,) = result.stdout.splitlines()
    assert line.startswith("::error file=a%2Cb%3Ac.yaml,line=10,col=19,title=E040::"), line
    assert "\n" not in line and "%0A" in line


# -- colour ------------------------------------------------------------------------------------------


def test_plain_when_piped(tmp_path: Path) -> None:
    result = run_esp("validate", _errors(tmp_path))
    assert ESC not in result.stdout + result.stderr, explain(result)


def test_no_color_wins(tmp_path: Path) -> None:
    result = run_esp("validate", _errors(tmp_path), env={"NO_COLOR": "1", "FORCE_COLOR": "1"})
    assert ESC not in result.stdout, explain(result)


def test_force_color(tmp_path: Path) -> None:
    result = run_esp("validate", _errors(tmp_path), env={"FORCE_COLOR": "1"})
    assert_exit(result, 1)
    assert f"{ESC}1;31m" in result.stdout or f"{ESC}31;1m" in result.stdout, explain(result)
    plain = re.sub(r"\x1b\[[0-9;]*m", "", result.stdout)
    assert "error E040: unknown microservice 'shops'" in plain


def test_machine_formats_never_colour(tmp_path: Path) -> None:
    for fmt in ("json", "github"):
        result = run_esp("validate", "-f", fmt, _errors(tmp_path), env={"FORCE_COLOR": "1"})
        assert ESC not in result.stdout, explain(result)


def test_in_process_output_is_plain(tmp_path: Path) -> None:
    result = invoke("validate", _errors(tmp_path))
    assert ESC not in result.stdout


# -- esp schema -----------------------------------------------------------------------------------------


def test_schema_prints_the_package_resource() -> None:
    result = invoke("schema")
    assert_exit(result, 0)
    assert result.stdout == schema_text()
    assert json.loads(result.stdout)["$schema"] == "http://json-schema.org/draft-07/schema#"
    sub = run_esp("schema")
    assert_exit(sub, 0)
    assert json.loads(sub.stdout) == json.loads(schema_text())


def test_schema_to_a_file(tmp_path: Path) -> None:
    out = tmp_path / "journey.schema.json"
    assert_exit(invoke("schema", "-o", out), 0)
    assert out.read_text(encoding="utf-8") == schema_text()


# -- help, pinned ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("args", [["--help"], ["validate", "--help"]], ids=["esp", "validate"])
def test_help_matches_its_snapshot(args: list[str]) -> None:
    """Update with: ESP_UPDATE_SNAPSHOTS=1 pytest tests/test_cli_validate.py"""
    result = invoke(*args, env={"COLUMNS": "100", "TERM": "dumb"})
    assert_exit(result, 0)
    snapshot = SNAPSHOTS / ("esp-" + "-".join(a.strip("-") for a in args) + ".txt")
    text = result.stdout
    if UPDATE or not snapshot.exists():
        snapshot.parent.mkdir(exist_ok=True)
        snapshot.write_text(text, encoding="utf-8")
    assert text == snapshot.read_text(encoding="utf-8"), "help changed: ESP_UPDATE_SNAPSHOTS=1 to accept it"


def test_help_through_the_console_script() -> None:
    result = run_esp("validate", "--help", env={"COLUMNS": "100"})
    assert_exit(result, 0)
    assert "--strict" in result.stdout and "--format" in result.stdout


def test_copied_journey_validates_from_another_folder(tmp_path: Path) -> None:
    shutil.copy(RESTAURANT, tmp_path / "restaurant.yaml")
    assert_exit(run_esp("validate", "restaurant.yaml", cwd=tmp_path), 0)


def test_summary_counts_files_that_could_not_be_read(tmp_path: Path) -> None:
    bad = write(tmp_path, "- a list\n", "list.yaml")
    result = run_esp("validate", bad, tmp_path / "missing.yaml", _clean(tmp_path))
    assert_exit(result, 2)
    assert result.stdout.splitlines()[-1] == "1 journey file checked, 2 could not be read: 2 errors, 0 warnings"


@pytest.mark.parametrize("fmt", ["text", "json", "github", "sarif"])
def test_a_file_name_that_is_not_utf8_is_shown_not_crashed_on(tmp_path: Path, fmt: str) -> None:
    name = os.fsdecode(b"caf\xe9.yaml")  # as Python sees such a name: with a surrogate
    (tmp_path / name).write_text(variant(MINIMAL, ("microservice: shop", "microservice: shops")), encoding="utf-8")
    result = run_esp("validate", "-f", fmt, tmp_path, env={"LC_ALL": "C.UTF-8", "PYTHONUTF8": "0"})
    assert_exit(result, 1)
    if fmt in ("json", "sarif"):
        json.loads(result.stdout)
    shown = json.loads(result.stdout)["files"][0] if fmt == "json" else result.stdout
    assert "caf\ufffd.yaml" in shown or fmt == "sarif"  # SARIF writes the name as a percent-encoded URI
