"""How a run of esp ends: every exception becomes an exit code here, and only here.

Both entry points — the console script's typer-free path for ``esp
validate`` (``esp.entry``) and every typer command (``esp.cli``) — hand what
they raise to :func:`exit_code`. The codes (``esp.errors.ExitCode``):

- 0: done, nothing wrong (also when the reader of our output went away early);
- 1: the input was read and has problems, or ``--check`` found changes;
- 2: the input or the command line cannot be used (a :class:`UserError`);
- 3: a bug in esp: one line on stderr, the traceback with ``ESP_DEBUG=1``;
- 130: interrupted (Ctrl+C).
"""

from __future__ import annotations

import os
import sys

from esp.errors import ExitCode, ProblemsFound, UserError
from esp.output import Printer, stderr

INTERRUPTED = 130  # 128 + SIGINT, as shells report it


def exit_code(exc: BaseException) -> int:
    """Report ``exc`` on stderr (briefly) and return the process exit code."""
    if isinstance(exc, UserError):
        return user_error(exc, stderr())
    if isinstance(exc, BrokenPipeError):  # `esp ... | head`: the reader has all it wants
        return quiet_broken_pipe()
    if isinstance(exc, KeyboardInterrupt):
        return INTERRUPTED
    if isinstance(exc, SystemExit):
        code = exc.code
        return code if isinstance(code, int) else int(code is not None)
    if os.environ.get("ESP_DEBUG"):
        raise exc
    err = stderr()
    err.line(f"esp: internal error: {type(exc).__name__}: {exc}")
    err.line("    this is a bug in esp; run with ESP_DEBUG=1 for the traceback and please report it")
    return int(ExitCode.INTERNAL)


def user_error(exc: UserError, err: Printer) -> int:
    """Show a user error (its diagnostics, or its message and hint) and return its exit code."""
    if isinstance(exc, ProblemsFound):
        from esp import report

        report.render(exc.diagnostics, sorted({d.location.file for d in exc.diagnostics}), "text", err)
        return int(exc.exit_code)
    err.line(f"{err.style('esp:', 'bold')} {err.style('error:', 'red', 'bold')} {exc.message}")
    if exc.hint:
        err.line(f"    {err.style('hint:', 'cyan')} {exc.hint}")
    return int(exc.exit_code)


def quiet_broken_pipe() -> int:
    """Point stdout at /dev/null so Python's final flush cannot fail again; exit quietly."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):  # stdout is not a real file (an in-process runner)
        pass
    finally:
        os.close(devnull)
    return int(ExitCode.OK)
