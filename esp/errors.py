"""Diagnostics, the errors that carry them, and the exit codes, in one place.

Every problem esp finds is a :class:`Diagnostic` made in the library; the CLI
renders them (``esp.report``); ``exit_code_for`` turns diagnostics into an exit
code and ``esp.outcome`` turns any exception into one.
"""

from __future__ import annotations

import enum
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace

from esp.codes import CODES, Severity


class ExitCode(enum.IntEnum):
    """The process exit codes, documented in the README."""

    OK = 0
    PROBLEMS = 1  # the input was read and has problems (or --check found changes)
    UNUSABLE = 2  # the input could not be used at all, or the command line is wrong
    INTERNAL = 3  # a bug in esp (esp.outcome reports it without a traceback)


@dataclass(frozen=True, order=True)
class Location:
    """A place in a journey file; line and column count from 1 (0: unknown)."""

    file: str
    line: int = 0
    col: int = 0

    def __str__(self) -> str:
        if self.line:
            return f"{self.file}:{self.line}:{self.col}"
        return self.file


@dataclass(frozen=True)
class Diagnostic:
    """One problem: a stable code, where it is, what is wrong and how to fix it."""

    code: str
    location: Location
    message: str
    hint: str = ""
    todo: bool = False  # set by the workshop profile (esp.profile)
    # E069/W112 only: the problems not shown, and how many of them are errors (the summary counts them)
    more: tuple[int, int] = (0, 0)

    @property
    def severity(self) -> Severity:
        return Severity.TODO if self.todo else CODES[self.code].severity_enum()

    @property
    def fatal(self) -> bool:
        """The file could not be used at all (exit 2 rather than 1)."""
        return CODES[self.code].fatal

    def sort_key(self) -> tuple[str, int, int, str]:
        return (self.location.file, self.location.line, self.location.col, self.code)


MAX_SHOWN = 1_000  # the diagnostics a run reports; past that it counts them ("and N more")


class Capped(list[Diagnostic]):
    """Diagnostics kept up to a limit and, past it, only counted by code: a file with a problem on each of
    its lines costs neither the time to word them all nor the memory to keep them."""

    def __init__(self, limit: int = MAX_SHOWN) -> None:
        super().__init__()
        self.limit = limit
        self.hidden: Counter[str] = Counter()

    @property
    def full(self) -> bool:
        return len(self) >= self.limit

    def add(self, code: str, make: Callable[[], Diagnostic]) -> None:
        """Keep ``make()``, or only count ``code`` once the limit is reached (``make`` is then not called)."""
        if self.full:
            self.hidden[code] += 1
        else:
            self.append(make())


def capped(diagnostics: Sequence[Diagnostic], hidden: Counter[str], limit: int = MAX_SHOWN) -> tuple[Diagnostic, ...]:
    """The first ``limit`` of ``diagnostics`` (in order), then one that says how many more there are
    (E069 if an error is among them, else W112), counting ``hidden`` (found, never worded) too."""
    more = Counter(d.code for d in diagnostics[limit:]) + hidden
    if not more:
        return tuple(diagnostics)
    shown = tuple(diagnostics[:limit])
    errors = sum(n for code, n in more.items() if CODES[code].severity == "error")
    total = sum(more.values())
    where = Location(shown[-1].location.file) if shown else Location("")
    if errors:
        last = diagnostic("E069", where, count=total, errors=errors, limit=limit)
    else:
        last = diagnostic("W112", where, count=total, limit=limit)
    return (*shown, replace(last, more=(total, errors)))


def diagnostic(code: str, location: Location, hint: str | None = None, **params: object) -> Diagnostic:
    """Build a diagnostic from the catalogue: the message is the code's template
    filled with ``params``; the hint is the code's default unless given."""
    info = CODES[code]
    return Diagnostic(
        code=code,
        location=location,
        message=info.message.format(**params),
        hint=info.hint.format(**params) if hint is None else hint,
    )


class EspError(Exception):
    """Base of esp's own errors."""


class UserError(EspError):
    """A problem of the user's input or command line: shown without a traceback."""

    exit_code: ExitCode = ExitCode.UNUSABLE

    def __init__(self, message: str, hint: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint


class ProblemsFound(UserError):
    """Diagnostics that stop a command (e.g. drawing an invalid model)."""

    def __init__(self, diagnostics: Iterable[Diagnostic]) -> None:
        self.diagnostics = sorted(diagnostics, key=Diagnostic.sort_key)
        super().__init__(f"{len(self.diagnostics)} problem(s) found")
        self.exit_code = exit_code_for(self.diagnostics, strict=False)


def exit_code_for(diagnostics: Iterable[Diagnostic], *, strict: bool) -> ExitCode:
    """0 clean, 1 problems found, 2 unusable input; warnings fail only when strict."""
    code = ExitCode.OK
    for d in diagnostics:
        if d.fatal:
            return ExitCode.UNUSABLE
        if d.severity is Severity.ERROR or (strict and d.severity is Severity.WARNING):
            code = ExitCode.PROBLEMS
    return code


__all__ = [
    "MAX_SHOWN",
    "Capped",
    "Diagnostic",
    "EspError",
    "ExitCode",
    "Location",
    "ProblemsFound",
    "Severity",
    "UserError",
    "capped",
    "diagnostic",
    "exit_code_for",
]
