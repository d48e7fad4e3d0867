"""The console script's typer-free fast path for `esp validate`."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import typer.main

from esp.cli import app
from esp.entry import VALIDATE_OPTIONS, ValidateArgs, parse_validate, run
from esp.errors import ExitCode

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


# What `esp validate` of a valid journey never needs: the other commands' libraries and esp's other stages, and
# the standard-library modules only writing, suggesting or reading packaged files would import (each costs
# start-up time on every call: docs/performance.md).
NOT_FOR_VALIDATE = (
    *("typer", "click", "jinja2", "graphviz", "rich", "jsonschema", "eventsourcing"),
    *("esp.cli", "esp.generate", "esp.draw", "esp.export", "esp.serve", "esp.diff", "esp.scaffold"),
    *("difflib", "tempfile", "shutil", "zipfile", "importlib.resources"),
)


def test_validate_imports_nothing_heavy() -> None:
    """Structural, not timed: what the `esp validate` fast path has imported when it is done."""
    code = (
        "import sys; sys.argv = ['esp', 'validate', 'journeys/restaurant.yaml']\n"
        "from esp.entry import main\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        f"heavy = sorted(m for m in {NOT_FOR_VALIDATE!r} if m in sys.modules)\n"
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


# -- one run(argv), one handler --------------------------------------------------------------------


def test_internal_is_exit_code_3() -> None:
    assert ExitCode.INTERNAL == 3
    assert [int(c) for c in ExitCode] == [0, 1, 2, 3]


@pytest.mark.parametrize(
    ("args", "code"),
    [
        (["validate", "journeys/restaurant.yaml"], 0),  # the typer-free path
        (["validate", "--strict", "journeys/restaurant.yaml", "-f", "json"], 1),  # its warnings fail when strict
        (["validate", "-h"], 0),  # typer
        (["--version"], 0),
        (["validate", "--nope", "journeys/restaurant.yaml"], 2),
        (["validate", "missing.yaml"], 2),
        (["diagram", "journeys/restaurant.yaml", "--view", "flw"], 2),
        (["frobnicate"], 2),
    ],
)
def test_run_gives_the_exit_code(args: list[str], code: int, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    assert run(args) == code


@pytest.mark.parametrize("args", [["validate", "journeys/restaurant.yaml"], ["validate"]], ids=["fast", "typer"])
def test_a_bug_is_exit_3_with_one_line_on_either_path(
    args: list[str], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Fault injection: the validator raises as a bug would (the fast path and typer's alike)."""

    def broken(*_: object, **__: object) -> None:
        raise RuntimeError("boom")

    monkeypatch.chdir(ROOT)
    monkeypatch.delenv("ESP_DEBUG", raising=False)
    monkeypatch.setattr("esp.api.validate", broken)
    assert run(args) == ExitCode.INTERNAL
    err = capsys.readouterr().err
    assert "esp: internal error: RuntimeError: boom" in err and "Traceback" not in err


def test_a_bug_shows_its_traceback_with_esp_debug(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*_: object, **__: object) -> None:
        raise RuntimeError("boom")

    monkeypatch.chdir(ROOT)
    monkeypatch.setenv("ESP_DEBUG", "1")
    monkeypatch.setattr("esp.api.validate", broken)
    with pytest.raises(RuntimeError, match="boom"):
        run(["validate", "journeys/restaurant.yaml"])


def test_the_console_script_and_python_m_are_the_same_entry() -> None:
    source = (ROOT / "esp" / "__main__.py").read_text(encoding="utf-8")
    assert "from esp.entry import main" in source
    pyproject = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    assert 'esp = "esp.entry:main"' in pyproject


# -- the CLI's choices are the library's lists ------------------------------------------------------


def test_the_cli_offers_exactly_the_librarys_choices() -> None:
    from esp.draw import FORMATS as DRAW_FORMATS
    from esp.draw import VIEWS
    from esp.export import FORMATS as EXPORT_FORMATS
    from esp.profile import PROFILES
    from esp.report import FORMATS as REPORT_FORMATS

    command = typer.main.get_command(app)
    sub = command.commands  # type: ignore[attr-defined]

    def metavar(cmd: str, option: str) -> str:
        param = next(p for p in sub[cmd].params if option in p.opts)
        return str(param.metavar)

    assert metavar("diagram", "--view") == "[" + "|".join(VIEWS) + "]"
    assert metavar("diagram", "--format") == "[" + "|".join(DRAW_FORMATS) + "]"
    assert metavar("validate", "--format") == "[" + "|".join(REPORT_FORMATS) + "]"
    assert metavar("validate", "--profile") == "[" + "|".join(PROFILES) + "]"
    assert list(sub["export"].commands) == list(EXPORT_FORMATS)


def test_export_help_lists_every_format() -> None:
    from esp.export import FORMATS as EXPORT_FORMATS

    out = subprocess.run(
        [sys.executable, "-m", "esp", "export", "--help"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout
    first = out.split("\n\n")[1]
    assert all(name in first for name in EXPORT_FORMATS), out


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["--view", "flw"], "did you mean 'flow'?"),
        (["--process", "Cook and Srve"], "did you mean 'Cook and Serve'?"),
        (["--microservice", "kitchn"], "did you mean 'kitchen'?"),
    ],
)
def test_a_wrong_name_gets_a_suggestion(args: list[str], expected: str) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "esp", "diagram", "journeys/restaurant.yaml", "-f", "dot", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 2, proc.stderr
    assert expected in proc.stderr, proc.stderr


@pytest.mark.parametrize(
    "args",
    [
        ["diagram", "journeys/restaurant.yaml", "-f", "dot", "-o", "/dev/null/x.dot"],
        ["schema", "-o", "/dev/null/schema.json"],
        ["export", "markdown", "journeys/restaurant.yaml", "-o", "/dev/null/x.md"],
        ["export", "asyncapi", "journeys/restaurant.yaml", "-o", "/dev/null/x.yaml"],
    ],
)
def test_an_output_that_cannot_be_written_is_the_users_to_fix(
    args: list[str], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(ROOT)
    assert run(args) == ExitCode.UNUSABLE
    err = capsys.readouterr().err
    assert "cannot write /dev/null/" in err and "internal error" not in err
