"""``esp diff`` and ``esp validate --since`` from the command line: exit codes,
every format, and both sides read from files, folders and git revisions of a
scratch repository (tests/data/evolution holds two versions of the restaurant)."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import jsonschema
import pytest
from helpers import ROOT, assert_exit, run_esp, variant

EVOLUTION = ROOT / "tests" / "data" / "evolution"
V1 = EVOLUTION / "v1" / "restaurant.yaml"
V2 = EVOLUTION / "v2" / "restaurant.yaml"
SARIF_SCHEMA = json.loads((ROOT / "tests" / "data" / "sarif-schema-2.1.0.json").read_text(encoding="utf-8"))

# What v1 -> v2 changes (docs/evolution.md walks through it).
EXPECTED = [
    ("breaking", "field-removed", "TableClosed"),
    ("upcaster", "field-removed", "BillPrepared"),
    ("upcaster", "field-renamed", "DrinksAdded"),
    ("upcaster", "field-widened", "FoodItemAdded"),
    ("upcaster", "field-added", "OrderPlaced"),
    ("compatible", "command-changed", "AddDrinks"),
    ("compatible", "command-changed", "AddFoodItem"),
    ("compatible", "command-changed", "PlaceOrder"),
    ("compatible", "command-changed", "PrepareBill"),
]
# A field added to DrinksAdded, declared in its history: needs an upcaster, breaks nothing.
ADD_COLD = (
    "      - event: DrinksAdded\n        fields: {drink: str, quantity: int}",
    "      - event: DrinksAdded\n        version: 2\n        fields: {drink: str, quantity: int, cold: bool}\n"
    "        history:\n          - version: 2\n            added: {cold: false}",
)


def _json(*args: str | Path, cwd: Path | None = None, code: int = 1) -> dict[str, object]:
    result = run_esp("diff", *args, "--format", "json", cwd=cwd)
    assert_exit(result, code)
    payload: dict[str, object] = json.loads(result.stdout)
    return payload


def _found(payload: dict[str, object]) -> list[tuple[str, str, str]]:
    changes = payload["changes"]
    assert isinstance(changes, list)
    return [(c["impact"], c["rule"], c["name"]) for c in changes]


def test_two_versions_of_the_restaurant() -> None:
    payload = _json(V1, V2)
    assert sorted(_found(payload)) == sorted(EXPECTED)
    assert [c[0] for c in _found(payload)] == sorted(
        (c[0] for c in EXPECTED), key=["breaking", "upcaster", "compatible"].index
    )
    assert payload["summary"] == {"breaking": 1, "upcaster": 4, "compatible": 4}
    assert payload["failed"] is True and payload["fail_on"] == "breaking"
    first = payload["changes"][0]  # type: ignore[index]
    assert first["file"] == str(V2) and first["line"] > 0 and "table_number" in first["message"]
    assert "compatibility: full" in first["why"]


def test_text_names_the_place_and_says_why() -> None:
    result = run_esp("diff", V1.relative_to(ROOT), V2.relative_to(ROOT), cwd=ROOT)
    assert_exit(result, 1)
    lines = result.stdout.splitlines()
    assert lines[0].startswith("tests/data/evolution/v2/restaurant.yaml:")
    assert ": breaking: event TableClosed: field 'table_number' removed (version 2)" in lines[0]
    assert lines[1].startswith("    why: consumers of version 1 still read 'table_number'")
    assert lines[-1] == (
        "9 changes from tests/data/evolution/v1/restaurant.yaml to tests/data/evolution/v2/restaurant.yaml:"
        " 1 breaking, 4 need an upcaster, 4 compatible; 1 fails --fail-on breaking"
    )
    assert "\x1b[" not in result.stdout  # piped: no colour


@pytest.mark.parametrize(
    ("fail_on", "code"), [("breaking", 1), ("upcaster", 1), ("any", 1)], ids=["breaking", "upcaster", "any"]
)
def test_fail_on_with_a_breaking_change(fail_on: str, code: int) -> None:
    assert_exit(run_esp("diff", V1, V2, "--fail-on", fail_on), code)


def test_fail_on_thresholds(tmp_path: Path) -> None:
    """Only upcasters: passes by default, fails --fail-on upcaster; only compatible: fails only --fail-on any."""
    text = V1.read_text(encoding="utf-8")
    upcaster = variant(text, ADD_COLD)
    compatible = variant(
        text, ("        states: [queued, prepared, served]", "        states: [queued, prepared, served, binned]")
    )
    (tmp_path / "upcaster.yaml").write_text(upcaster, encoding="utf-8")
    (tmp_path / "compatible.yaml").write_text(compatible, encoding="utf-8")
    for fail_on, code in [("breaking", 0), ("upcaster", 1), ("any", 1)]:
        assert_exit(run_esp("diff", V1, tmp_path / "upcaster.yaml", "--fail-on", fail_on), code)
    for fail_on, code in [("breaking", 0), ("upcaster", 0), ("any", 1)]:
        assert_exit(run_esp("diff", V1, tmp_path / "compatible.yaml", "--fail-on", fail_on), code)
    same = run_esp("diff", V1, V1, "--fail-on", "any")
    assert_exit(same, 0)
    assert same.stdout.strip() == f"no changes from {V1} to {V1}"


def _only_an_upcaster(folder: Path) -> Path:
    """v1 with ADD_COLD, as a file."""
    path = folder / "upcaster.yaml"
    path.write_text(variant(V1.read_text(encoding="utf-8"), ADD_COLD), encoding="utf-8")
    return path


def _says_it_failed(fmt: str, out: str) -> bool:
    """What each format says of the outcome, read as its consumer reads it."""
    if fmt == "json":
        return bool(json.loads(out)["failed"])
    if fmt == "sarif":
        log = json.loads(out)
        jsonschema.Draft4Validator(SARIF_SCHEMA).validate(log)
        return any(r["level"] == "error" for r in log["runs"][0]["results"])
    if fmt == "github":
        return any(line.startswith("::error ") for line in out.splitlines())
    if fmt == "markdown":
        return "## Breaking" in out
    return "fails --fail-on" in out.splitlines()[-1]


@pytest.mark.parametrize("fmt", ["text", "json", "github", "sarif", "markdown"])
def test_every_format_exits_by_the_threshold_and_says_so(fmt: str, tmp_path: Path) -> None:
    """No change and an upcaster pass (0), a breaking change fails (1), whatever the format; and the output
    itself says whether it failed (SARIF valid in each case)."""
    upcaster = _only_an_upcaster(tmp_path)
    for new, code in [(V1, 0), (upcaster, 0), (V2, 1)]:
        result = run_esp("diff", V1, new, "--format", fmt)
        assert_exit(result, code)
        assert result.stderr == ""
        assert _says_it_failed(fmt, result.stdout) is bool(code), (fmt, new)
    strict = run_esp("diff", V1, upcaster, "--format", fmt, "--fail-on", "upcaster")
    assert_exit(strict, 1)
    if fmt != "markdown":  # a changelog lists changes by impact, not by the threshold
        assert _says_it_failed(fmt, strict.stdout)


def test_the_way_back_is_breaking() -> None:
    """v2 -> v1: every event that had a version 2 goes back to 1."""
    found = _found(_json(V2, V1))
    lowered = sorted(name for impact, rule, name in found if rule == "event-version-lowered")
    assert lowered == ["BillPrepared", "DrinksAdded", "FoodItemAdded", "OrderPlaced", "TableClosed"]
    assert all(impact == "breaking" for impact, rule, _ in found if rule == "event-version-lowered")


def test_github_annotations() -> None:
    result = run_esp("diff", V1, V2, "--format", "github")
    assert_exit(result, 1)
    lines = result.stdout.splitlines()
    assert lines[0].startswith(f"::error file={V2},line=")
    assert ",title=esp diff%3A breaking::event TableClosed: field 'table_number' removed" in lines[0]
    assert "%0A" in lines[0]  # the reason on a second line
    assert sum(line.startswith("::warning ") for line in lines) == 4
    assert sum(line.startswith("::notice ") for line in lines) == 4
    upcasters_fail = run_esp("diff", V1, V2, "--format", "github", "--fail-on", "upcaster")
    assert sum(line.startswith("::error ") for line in upcasters_fail.stdout.splitlines()) == 5


def test_sarif_is_valid_sarif_2_1_0() -> None:
    result = run_esp("diff", V1, V2, "--format", "sarif")
    assert_exit(result, 1)
    log = json.loads(result.stdout)
    jsonschema.Draft4Validator(SARIF_SCHEMA).validate(log)
    run = log["runs"][0]
    rules = run["tool"]["driver"]["rules"]
    levels = [r["level"] for r in run["results"]]
    assert levels == ["error"] + ["warning"] * 4 + ["note"] * 4
    for r in run["results"]:
        assert rules[r["ruleIndex"]]["id"] == r["ruleId"]
        assert r["locations"][0]["physicalLocation"]["region"]["startLine"] > 0


def test_markdown_changelog_to_a_file(tmp_path: Path) -> None:
    out = tmp_path / "docs" / "CHANGES.md"
    result = run_esp("diff", V1, V2, "--format", "markdown", "-o", out)
    assert_exit(result, 1)
    assert result.stdout == ""
    text = out.read_text(encoding="utf-8")
    assert text.startswith(f"# Changes from {V1} to {V2}\n\n1 breaking, 4 need an upcaster, 4 compatible.\n")
    sections = [line for line in text.splitlines() if line.startswith("## ")]
    assert sections == ["## Breaking", "## Needs an upcaster (esp generates it from the history)", "## Compatible"]
    assert "- **OrderPlaced** (event): field `notes` added (version 2; older events get '')." in text
    assert "- **DrinksAdded** (event): field `drink` renamed to `beverage` (version 2)." in text


def test_an_invalid_side_is_unusable(tmp_path: Path) -> None:
    broken = tmp_path / "broken.yaml"
    broken.write_text(
        V2.read_text(encoding="utf-8").replace("emits: [OrderPlaced]", "emits: [OrderPlacd]"), encoding="utf-8"
    )
    result = run_esp("diff", V1, broken)
    assert_exit(result, 2)
    assert "error E042: unknown event 'OrderPlacd'" in result.stderr
    assert result.stdout == ""


@pytest.mark.parametrize("spec", ["no-such-thing", "no-such-rev:journeys"])
def test_neither_a_path_nor_a_revision(tmp_path: Path, spec: str) -> None:
    result = run_esp("diff", spec, V2, cwd=tmp_path)
    assert_exit(result, 2)
    assert f"'{spec}' is neither a journey file or folder nor a git revision" in result.stderr


def test_usage_errors_exit_2() -> None:
    assert_exit(run_esp("diff", V1, V2, "--fail-on", "sometimes"), 2)
    assert_exit(run_esp("diff", V1, V2, "--format", "xml"), 2)
    assert_exit(run_esp("diff"), 2)


# -- git revisions ------------------------------------------------------------------------


def _git(repo: Path, *args: str) -> str:
    proc = subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True, text=True)
    return proc.stdout


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A project whose first commit holds v1 of the restaurant in journeys/."""
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    project = tmp_path / "project"
    (project / "journeys").mkdir(parents=True)
    _git(project, "init", "-q", "-b", "main")
    _git(project, "config", "user.email", "t@example.com")
    _git(project, "config", "user.name", "Test")
    shutil.copy(V1, project / "journeys" / "restaurant.yaml")
    (project / "journeys" / ".hidden.yaml").write_text("not: [a journey\n", encoding="utf-8")  # skipped, as on disk
    _git(project, "add", ".")
    _git(project, "commit", "-q", "-m", "v1")
    return project


def test_a_revision_against_the_working_tree(repo: Path) -> None:
    shutil.copy(V2, repo / "journeys" / "restaurant.yaml")
    for args in (["HEAD", "journeys/"], ["HEAD"], ["main:journeys", "journeys"], ["main:./journeys", "journeys"]):
        payload = _json(*args, cwd=repo)
        assert sorted(_found(payload)) == sorted(EXPECTED), args
    payload = _json("HEAD", "journeys/", cwd=repo)
    assert payload["old"] == "HEAD:journeys" and payload["new"] == "journeys/"
    assert payload["changes"][0]["file"] == "journeys/restaurant.yaml"  # type: ignore[index]


def test_two_revisions(repo: Path) -> None:
    shutil.copy(V2, repo / "journeys" / "restaurant.yaml")
    _git(repo, "commit", "-q", "-am", "v2")
    assert sorted(_found(_json("HEAD~1", cwd=repo))) == sorted(EXPECTED)
    assert sorted(_found(_json("HEAD~1", "HEAD", cwd=repo))) == sorted(EXPECTED)
    payload = _json("HEAD~1:journeys/restaurant.yaml", "HEAD:journeys/restaurant.yaml", cwd=repo)
    assert payload["changes"][0]["file"] == "HEAD:journeys/restaurant.yaml"  # type: ignore[index]
    assert_exit(run_esp("diff", "HEAD", cwd=repo), 0)  # the working tree is HEAD


def test_from_a_subfolder_paths_are_relative_to_it(repo: Path) -> None:
    shutil.copy(V2, repo / "journeys" / "restaurant.yaml")
    payload = _json("HEAD", ".", cwd=repo / "journeys")
    assert payload["old"] == "HEAD:journeys"
    assert sorted(_found(payload)) == sorted(EXPECTED)


def test_a_path_missing_at_the_revision(repo: Path) -> None:
    """Named with REV:path it is a mistake (exit 2); implied by a bare revision, nothing was there yet."""
    result = run_esp("diff", "HEAD:journals", "journeys", cwd=repo)
    assert_exit(result, 2)
    assert "journals does not exist at HEAD" in result.stderr
    (repo / "more").mkdir()
    shutil.copy(V2, repo / "more" / "restaurant.yaml")
    payload = _json("HEAD", "more", cwd=repo, code=0)
    assert payload["old"] == "HEAD:more"
    assert {c[0] for c in _found(payload)} == {"compatible"}  # everything is new


def test_the_first_commit(tmp_path: Path) -> None:
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    _git(tmp_path, "init", "-q")
    (tmp_path / "journeys").mkdir()
    shutil.copy(V1, tmp_path / "journeys" / "restaurant.yaml")
    payload = _json("HEAD", cwd=tmp_path, code=0)
    assert payload["old"] == "HEAD (no commits yet)"
    assert ("compatible", "event-added", "OrderPlaced") in _found(payload)


def test_not_a_repository(tmp_path: Path) -> None:
    result = run_esp("diff", "HEAD", V2, cwd=tmp_path, env={"GIT_CEILING_DIRECTORIES": str(tmp_path.parent)})
    assert_exit(result, 2)
    assert "neither a journey file or folder nor a git revision" in result.stderr


# -- esp validate --since ---------------------------------------------------------------------

ORDER_PLACED = '        fields: {table_number: int, dishes: "list[str]"}\n        enters: ordered'


def _since(repo: Path, text: str, *extra: str) -> list[tuple[str, int]]:
    (repo / "journeys" / "restaurant.yaml").write_text(text, encoding="utf-8")
    result = run_esp("validate", "journeys", "--since", "HEAD", "--format", "json", *extra, cwd=repo)
    payload = json.loads(result.stdout)
    found = [(d["code"], d["line"]) for d in payload["diagnostics"] if d["code"] != "W106"]
    expected_exit = 1 if any(c.startswith("E") for c, _ in found) else 0
    assert_exit(result, expected_exit)
    return found


def test_since_a_field_added_without_a_version(repo: Path) -> None:
    text = variant(
        V1.read_text(encoding="utf-8"),
        (ORDER_PLACED, ORDER_PLACED.replace('"list[str]"', '"list[str]", notes: "optional[str]"')),
    )
    found = _since(repo, text)
    assert [code for code, _ in found] == ["E095"]
    line = text.splitlines()[found[0][1] - 1]
    assert "event: OrderPlaced" in line
    assert_exit(run_esp("validate", "journeys", cwd=repo), 0)  # without --since nothing is wrong


def test_since_a_version_without_history(repo: Path) -> None:
    text = variant(
        V1.read_text(encoding="utf-8"),
        (
            ORDER_PLACED,
            '        version: 2\n        fields: {table_number: int, dishes: "list[str]", notes: "optional[str]"}\n'
            "        enters: ordered",
        ),
    )
    found = _since(repo, text)
    assert [code for code, _ in found] == ["E096"]
    assert "notes: " in text.splitlines()[found[0][1] - 1]


def test_since_with_the_history_written(repo: Path) -> None:
    assert _since(repo, V2.read_text(encoding="utf-8")) == []


def test_since_a_version_gone_down(repo: Path) -> None:
    shutil.copy(V2, repo / "journeys" / "restaurant.yaml")
    _git(repo, "commit", "-q", "-am", "v2")
    found = _since(repo, V1.read_text(encoding="utf-8"))
    assert [code for code, _ in found] == ["E097"] * 5


def test_since_through_typer_matches_the_fast_path(repo: Path) -> None:
    """An option the fast parser does not know sends validate to typer: same result."""
    text = variant(
        V1.read_text(encoding="utf-8"),
        (ORDER_PLACED, ORDER_PLACED.replace('"list[str]"', '"list[str]", notes: "optional[str]"')),
    )
    (repo / "journeys" / "restaurant.yaml").write_text(text, encoding="utf-8")
    fast = run_esp("validate", "journeys", "--since", "HEAD", cwd=repo)
    typer_path = run_esp("validate", "journeys", "--since=HEAD", "-h", cwd=repo)  # help: typer's
    assert "--since" in typer_path.stdout
    slow = run_esp("validate", "--since", "HEAD", cwd=repo)  # no path: the configured folder, parsed by typer
    assert_exit(fast, 1)
    assert_exit(slow, 1)
    assert "error E095: the fields of event 'OrderPlaced' changed since HEAD but its version is still 1" in fast.stdout
    assert fast.stdout == slow.stdout


def test_since_an_unusable_revision(repo: Path) -> None:
    result = run_esp("validate", "journeys", "--since", "no-such-rev", cwd=repo)
    assert_exit(result, 2)
    assert "'no-such-rev' is neither" in result.stderr
