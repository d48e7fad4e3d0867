"""Render diagnostics: text for people, json for tools, GitHub annotations."""

from __future__ import annotations

import json
from collections.abc import Sequence

from esp.errors import Diagnostic, Location, Severity
from esp.output import Printer

FORMATS = ("text", "json", "github", "sarif")


def render(diagnostics: Sequence[Diagnostic], files: Sequence[str], fmt: str, out: Printer) -> None:
    diagnostics = [_printable(d) for d in diagnostics]
    files = [_clean(f) for f in files]
    {"text": _text, "json": _json, "github": _github, "sarif": _sarif}[fmt](diagnostics, files, out)


def _clean(text: str) -> str:
    """A file name that is not valid UTF-8 reaches Python with surrogates, which no
    UTF-8 terminal or JSON reader accepts: show the bad bytes as U+FFFD instead."""
    if text.isascii():
        return text
    return text.encode("utf-8", "surrogateescape").decode("utf-8", "replace")


def _printable(d: Diagnostic) -> Diagnostic:
    loc = d.location
    cleaned = (_clean(loc.file), _clean(d.message), _clean(d.hint))
    if cleaned == (loc.file, d.message, d.hint):
        return d
    return Diagnostic(d.code, Location(cleaned[0], loc.line, loc.col), cleaned[1], cleaned[2])


def summary(diagnostics: Sequence[Diagnostic], files: Sequence[str]) -> str:
    errors = sum(d.severity is Severity.ERROR for d in diagnostics)
    todos = sum(d.severity is Severity.TODO for d in diagnostics)
    warnings = len(diagnostics) - errors - todos
    what = f"{len(files)} journey file{'s' if len(files) != 1 else ''} checked"
    unreadable = len({d.location.file for d in diagnostics if d.fatal and d.code != "E014"})
    if unreadable:
        what += f", {unreadable} could not be read"
    if not diagnostics:
        return f"{what}: no problems"
    counts = f"{_plural(errors, 'error')}, {_plural(warnings, 'warning')}"
    return f"{what}: {counts}" + (f", {_plural(todos, 'to-do')}" if todos else "")


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'s' if n != 1 else ''}"


def _text(diagnostics: Sequence[Diagnostic], files: Sequence[str], out: Printer) -> None:
    for d in diagnostics:
        colour = {Severity.ERROR: "red", Severity.WARNING: "yellow", Severity.TODO: "blue"}[d.severity]
        head = f"{out.style(str(d.location), 'bold')}: {out.style(d.severity.value, colour, 'bold')} {d.code}"
        out.line(f"{head}: {d.message}")
        if d.hint:
            out.line(f"    {out.style('hint:', 'cyan')} {d.hint}")
    ok = not any(d.severity is Severity.ERROR for d in diagnostics)
    out.line(out.style(summary(diagnostics, files), "green" if ok else "red", "bold"))


def as_dict(d: Diagnostic) -> dict[str, object]:
    return {
        "code": d.code,
        "severity": d.severity.value,
        "file": d.location.file,
        "line": d.location.line,
        "column": d.location.col,
        "message": d.message,
        "hint": d.hint,
    }


def _json(diagnostics: Sequence[Diagnostic], files: Sequence[str], out: Printer) -> None:
    count = {s: sum(d.severity is s for d in diagnostics) for s in Severity}
    payload = {
        "files": list(files),
        "diagnostics": [as_dict(d) for d in diagnostics],
        "summary": {
            "errors": count[Severity.ERROR],
            "warnings": count[Severity.WARNING],
            "todos": count[Severity.TODO],
        },
    }
    out.line(json.dumps(payload, indent=2, ensure_ascii=False))


def _escape(text: str, *, prop: bool = False) -> str:
    """GitHub workflow-command escaping (data, or property values)."""
    text = text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
    return text.replace(":", "%3A").replace(",", "%2C") if prop else text


def _github(diagnostics: Sequence[Diagnostic], files: Sequence[str], out: Printer) -> None:
    for d in diagnostics:
        level = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.TODO: "notice"}[d.severity]
        loc = d.location
        props = f"file={_escape(loc.file, prop=True)}"
        if loc.line:
            props += f",line={loc.line},col={loc.col}"
        props += f",title={_escape(d.code, prop=True)}"
        message = d.message + (f"\n{d.hint}" if d.hint else "")
        out.line(f"::{level} {props}::{_escape(message)}")


def _sarif(diagnostics: Sequence[Diagnostic], files: Sequence[str], out: Printer) -> None:
    from esp.export import sarif  # SARIF 2.1.0 for code-scanning UIs; kept with the other exports

    sarif.render(diagnostics, files, out)
