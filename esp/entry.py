"""The ``esp`` console script (and ``python -m esp``): one ``run(argv)``.

``esp validate`` is the command people and pre-commit hooks run most, so its
common forms are parsed here without importing typer (which costs more than
validating a journey: see docs/performance.md). Anything else — help, other
commands, an option this parser does not know — goes to the typer app in
``esp.cli``, which defines the same options (a test keeps the two in step).
Either way, what is raised becomes an exit code in ``esp.outcome``.

Layers: entry → cli → api → the pipeline; nothing below imports this module.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

# validate's options: name -> takes a value. Must match esp.cli.validate.
VALIDATE_OPTIONS = {
    "--format": True,
    "-f": True,
    "--strict": False,
    "--profile": True,
    "--since": True,
    "--generated": True,
}


@dataclass(frozen=True)
class ValidateArgs:
    paths: list[Path]
    fmt: str = "text"
    strict: bool = False
    profile: str | None = None  # None: the configured one ([tool.esp] or "default")
    since: str | None = None  # a git revision (or file, folder, REV:path) to check event versions against


def parse_validate(args: list[str]) -> ValidateArgs | None:
    """The options of a plain ``esp validate`` call, or None to let typer parse it."""
    paths: list[Path] = []
    fmt, strict, profile, since = "text", False, None, None
    it = iter(args)
    for arg in it:
        name, _, value = arg.partition("=")
        if arg == "--":
            paths.extend(Path(a) for a in it)
        elif name in ("--format", "-f"):
            fmt = value or next(it, "")
        elif name == "--profile":
            profile = value or next(it, "")
        elif name == "--since":
            since = value or next(it, "")
        elif arg == "--strict":
            strict = True
        elif name == "--generated":
            return None  # it reads the user's rules.py too: typer's path, start-up time does not matter there
        elif arg.startswith("-"):
            return None
        else:
            paths.append(Path(arg))
    from esp.profile import PROFILES
    from esp.report import FORMATS

    if not paths or fmt not in FORMATS or profile not in (None, *PROFILES) or since == "":
        return None
    return ValidateArgs(paths, fmt, strict, profile, since)


def run(argv: Sequence[str]) -> int:
    """Run esp with the command line ``argv`` (without the program name); the exit code."""
    args = list(argv)
    try:
        fast = parse_validate(args[1:]) if args[:1] == ["validate"] else None
        code = _validate(fast) if fast is not None else _typer(args)
        sys.stdout.flush()  # a closed pipe shows here, inside the handler, not at exit
        return code
    except BaseException as exc:
        from esp.outcome import exit_code

        return exit_code(exc)


def _validate(args: ValidateArgs) -> int:
    from esp import api
    from esp.output import stdout

    more = None
    if args.since is not None:
        from esp.diff import since_check

        more = since_check(args.since, args.paths)
    return int(api.report(args.paths, stdout(), fmt=args.fmt, strict=args.strict, profile=args.profile, more=more))


def _typer(args: list[str]) -> int:
    from esp.cli import app

    try:
        app(args=args, prog_name="esp")  # click's standalone mode: usage errors exit 2, typer.Exit its code
    except SystemExit as done:
        return done.code if isinstance(done.code, int) else int(done.code is not None)
    return 0


def main() -> None:
    sys.exit(run(sys.argv[1:]))
