"""The ``esp`` console script.

``esp validate`` is the command people and pre-commit hooks run most, so its
common forms are parsed here without importing typer (which costs more than
validating a journey: see docs/performance.md). Anything else — help, other
commands, an option this parser does not know — goes to the typer app in
``esp.cli``, which defines the same options (a test keeps the two in step).
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from pathlib import Path

from esp.errors import UserError

# validate's options: name -> takes a value. Must match esp.cli.validate.
VALIDATE_OPTIONS = {"--format": True, "-f": True, "--strict": False, "--profile": True}


@dataclass(frozen=True)
class ValidateArgs:
    paths: list[Path]
    fmt: str = "text"
    strict: bool = False
    profile: str | None = None  # None: the configured one ([tool.esp] or "default")


def parse_validate(args: list[str]) -> ValidateArgs | None:
    """The options of a plain ``esp validate`` call, or None to let typer parse it."""
    paths: list[Path] = []
    fmt, strict, profile = "text", False, None
    it = iter(args)
    for arg in it:
        name, _, value = arg.partition("=")
        if arg == "--":
            paths.extend(Path(a) for a in it)
        elif name in ("--format", "-f"):
            fmt = value or next(it, "")
        elif name == "--profile":
            profile = value or next(it, "")
        elif arg == "--strict":
            strict = True
        elif arg.startswith("-"):
            return None
        else:
            paths.append(Path(arg))
    from esp.profile import PROFILES
    from esp.report import FORMATS

    if not paths or fmt not in FORMATS or profile not in (None, *PROFILES):
        return None
    return ValidateArgs(paths, fmt, strict, profile)


def run_validate(args: ValidateArgs) -> int:
    """Validate, print the report, and return the exit code."""
    from esp import api, report
    from esp.output import stdout

    profile = args.profile
    if profile is None:
        from esp.config import load

        profile = load().profile
    result = api.validate(args.paths, profile)
    report.render(result.diagnostics, result.files, args.fmt, stdout())
    return int(result.exit_code(strict=args.strict))


def quiet_broken_pipe() -> int:
    """Point stdout at /dev/null so Python's final flush cannot fail again; exit quietly."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    return 0


def main() -> None:
    args = sys.argv[1:]
    fast = parse_validate(args[1:]) if args[:1] == ["validate"] else None
    if fast is None:
        from esp.cli import main as typer_main

        typer_main()
        return
    try:
        code = run_validate(fast)
        sys.stdout.flush()
    except BrokenPipeError:  # `esp validate ... | head`: the reader has all it wants
        code = quiet_broken_pipe()
    except UserError as exc:  # e.g. a broken [tool.esp]
        from esp.cli import report_user_error

        code = report_user_error(exc)
    except Exception as exc:  # the last line of defence against tracebacks
        if os.environ.get("ESP_DEBUG"):
            raise
        from esp.cli import internal_error

        code = internal_error(exc)
    sys.exit(code)
