"""The command line: parse options, call one library function, print its result.

Exceptions become exit codes in one place, ``main``; the codes are listed in
the README (0 clean, 1 problems found, 2 unusable input or usage error).
Heavy modules (jinja2, graphviz, the generator) are imported inside the
commands that need them, so ``esp validate`` starts fast.
"""

from __future__ import annotations

import os
import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from esp import __version__
from esp.errors import ExitCode, ProblemsFound, UserError
from esp.output import stderr, stdout

app = typer.Typer(
    name="esp",
    help="Event Storming Process maps: validate, draw and generate event-sourced services from journey YAML.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=True,
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
)


class OutputFormat(StrEnum):
    text = "text"
    json = "json"
    github = "github"


def _version(value: bool) -> None:
    if value:
        stdout().line(f"esp {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Show the version and exit.")
    ] = False,
) -> None:
    """esp turns Event Storming journeys written in YAML into checked models,
    diagrams and runnable event-sourced Python.

    Exit codes: 0 clean, 1 problems found, 2 unusable input or usage error.
    """


@app.command()
def validate(
    paths: Annotated[
        list[Path],
        typer.Argument(help="Journey files, or folders to search for *.yaml.", metavar="PATH", show_default=False),
    ],
    fmt: Annotated[
        OutputFormat, typer.Option("--format", "-f", help="text, json or github annotations.")
    ] = OutputFormat.text,
    strict: Annotated[bool, typer.Option("--strict", help="Treat warnings as failures.")] = False,
) -> None:
    """Check journeys like a compiler: every problem at once, with code, place and hint.

    Files given together (or found in one folder) form one model.

    Examples:

        esp validate journeys/

        esp validate journeys/restaurant.yaml --format json
    """
    from esp.entry import run_validate

    raise typer.Exit(run_validate(paths, fmt.value, strict))


@app.command()
def schema(
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Write to this file instead of stdout.")] = None,
) -> None:
    """Print the journey JSON Schema (draft-07), for editors and other tools.

    Example: esp schema -o journey.schema.json
    """
    from esp.schema import schema_text

    text = schema_text()
    if output is None:
        sys.stdout.write(text)
    else:
        output.write_text(text, encoding="utf-8")


def main() -> None:
    """The console script: run the app and map every outcome to an exit code."""
    try:
        app()  # click's standalone mode: usage errors exit 2, typer.Exit gives its code
    except UserError as exc:
        sys.exit(_report_user_error(exc))
    except Exception as exc:  # the last line of defence against tracebacks
        if os.environ.get("ESP_DEBUG"):
            raise
        sys.exit(internal_error(exc))


def internal_error(exc: Exception) -> int:
    """Report a bug in esp itself without a traceback; exit code 3."""
    err = stderr()
    err.line(f"esp: internal error: {type(exc).__name__}: {exc}")
    err.line("    this is a bug in esp; run with ESP_DEBUG=1 for the traceback and please report it")
    return 3


def _report_user_error(exc: UserError) -> int:
    if isinstance(exc, ProblemsFound):
        from esp import report

        report.render(exc.diagnostics, sorted({d.location.file for d in exc.diagnostics}), "text", stderr())
        return int(exc.exit_code)
    err = stderr()
    err.line(f"{err.style('esp:', 'bold')} {err.style('error:', 'red', 'bold')} {exc.message}")
    if exc.hint:
        err.line(f"    {err.style('hint:', 'cyan')} {exc.hint}")
    return int(exc.exit_code)


__all__ = ["ExitCode", "app", "main"]
