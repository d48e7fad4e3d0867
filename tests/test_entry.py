"""The console script's typer-free fast path for `esp validate`."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import typer.main

from esp.cli import app
from esp.entry import VALIDATE_OPTIONS, ValidateArgs, parse_validate

ROOT = Path(__file__).resolve().parent.parent


def test_fast_parser_knows_every_option_of_the_typer_command() -> None:
    command = typer.main.get_command(app)
    validate = command.commands["validate"]  # type: ignore[attr-defined]
    options = {opt for p in validate.params if p.param_type_name == "option" for opt in p.opts}
    options.discard("--help")
    options.discard("-h")
    assert options == set(VALIDATE_OPTIONS)


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["a.yaml"], ValidateArgs([Path("a.yaml")])),
        (["--strict", "a.yaml", "b"], ValidateArgs([Path("a.yaml"), Path("b")], strict=True)),
        (["-f", "json", "a.yaml"], ValidateArgs([Path("a.yaml")], "json")),
        (["--format=github", "a.yaml"], ValidateArgs([Path("a.yaml")], "github")),
        (["--profile", "workshop", "a.yaml"], ValidateArgs([Path("a.yaml")], profile="workshop")),
        (["--", "-odd.yaml"], ValidateArgs([Path("-odd.yaml")])),
    ],
)
def test_fast_parser_accepts_plain_calls(args: list[str], expected: ValidateArgs) -> None:
    assert parse_validate(args) == expected


@pytest.mark.parametrize(
    "args", [[], ["--help"], ["-x", "a.yaml"], ["--format", "xml", "a.yaml"], ["-f"], ["--profile=lax", "a.yaml"]]
)
def test_anything_else_goes_to_typer(args: list[str]) -> None:
    assert parse_validate(args) is None


def test_validate_imports_nothing_heavy() -> None:
    code = (
        "import sys; sys.argv = ['esp', 'validate', 'journeys/restaurant.yaml']\n"
        "from esp.entry import main\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        "heavy = sorted(m for m in ('typer', 'click', 'jinja2', 'graphviz', 'rich', 'jsonschema', 'esp.generate', "
        "'esp.draw', 'eventsourcing') if m in sys.modules)\n"
        "print('HEAVY', heavy)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    assert "HEAVY []" in out, out


def test_a_closed_pipe_is_not_an_internal_error(tmp_path: Path) -> None:
    """`esp validate ... | head`: the reader stops early; esp exits quietly."""
    hotspots = "".join(f"  - Open question number {n} that the workshop did not answer?\n" for n in range(3000))
    journey = tmp_path / "many.yaml"
    journey.write_text(f"journey: Many\nhotspots:\n{hotspots}", encoding="utf-8")  # ~400 KB of warnings
    proc = subprocess.run(
        f"{sys.executable} -m esp validate {journey} | head -c 10",
        shell=True,
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    assert len(proc.stdout) == 10
    assert "internal error" not in proc.stderr and "Traceback" not in proc.stderr, proc.stderr
