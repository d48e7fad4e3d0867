"""Render diagnostics: text for people; json, GitHub annotations and SARIF for tools.

SARIF 2.1.0 is for code-scanning UIs (GitHub code scanning, VS Code's SARIF
viewer, Azure DevOps): one run, whose rules are the whole catalogue of codes
(``esp.codes``), so a UI can show a code's title and hint even for results it
has not seen yet. Paths stay as esp reports them: relative paths resolve
against the repository root, which is where CI runs ``esp validate``.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import PurePath
from typing import Any
from urllib.parse import quote

from esp import __version__
from esp.codes import CODES
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


def counts(diagnostics: Sequence[Diagnostic]) -> dict[Severity, int]:
    """Problems by severity, those past the cap (counted by E069 or W112, not shown) included."""
    count = dict.fromkeys(Severity, 0)
    for d in diagnostics:
        if d.more[0]:
            count[Severity.ERROR] += d.more[1]
            count[Severity.WARNING] += d.more[0] - d.more[1]
        else:
            count[d.severity] += 1
    return count


def summary(diagnostics: Sequence[Diagnostic], files: Sequence[str]) -> str:
    count = counts(diagnostics)
    errors, warnings, todos = count[Severity.ERROR], count[Severity.WARNING], count[Severity.TODO]
    what = f"{len(files)} journey file{'s' if len(files) != 1 else ''} checked"
    unreadable = len({d.location.file for d in diagnostics if d.fatal and d.code != "E014"})
    if unreadable:
        what += f", {unreadable} could not be read"
    if not diagnostics:
        return f"{what}: no problems"
    tally = f"{_plural(errors, 'error')}, {_plural(warnings, 'warning')}"
    return f"{what}: {tally}" + (f", {_plural(todos, 'to-do')}" if todos else "")


def _plural(n: int, word: str) -> str:
    return f"{n:,} {word}{'s' if n != 1 else ''}"


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
    count = counts(diagnostics)
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


def github_escape(text: str, *, prop: bool = False) -> str:
    """GitHub workflow-command escaping (data, or property values)."""
    text = text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
    return text.replace(":", "%3A").replace(",", "%2C") if prop else text


def _github(diagnostics: Sequence[Diagnostic], files: Sequence[str], out: Printer) -> None:
    for d in diagnostics:
        level = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.TODO: "notice"}[d.severity]
        loc = d.location
        props = f"file={github_escape(loc.file, prop=True)}"
        if loc.line:
            props += f",line={loc.line},col={loc.col}"
        props += f",title={github_escape(d.code, prop=True)}"
        message = d.message + (f"\n{d.hint}" if d.hint else "")
        out.line(f"::{level} {props}::{github_escape(message)}")


# -- SARIF 2.1.0 ---------------------------------------------------------------------

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
INFORMATION_URI = "https://pypi.org/project/esp-storming/"
_RULE_INDEX = {code: i for i, code in enumerate(CODES)}

Sarif = dict[str, Any]


def artifact_uri(path: str) -> str:
    """A URI reference for a reported path: relative ones stay relative (with
    forward slashes, percent-encoded), absolute ones become file: URIs."""
    pure = PurePath(path)
    if pure.is_absolute():
        return pure.as_uri()
    return quote(pure.as_posix(), safe="/")


def sarif_rules() -> list[Sarif]:
    found = []
    for code, info in CODES.items():
        hint = info.hint.replace("{hint}", "").strip()
        template = info.message.replace("{{", "{").replace("}}", "}")
        rule: Sarif = {
            "id": code,
            "name": "".join(w.capitalize() for w in info.title.replace("-", " ").split()),
            "shortDescription": {"text": info.title},
            "fullDescription": {"text": template},
            "help": {"text": hint or info.title},
            "defaultConfiguration": {"level": info.severity},
            "properties": {"fatal": info.fatal},
        }
        found.append(rule)
    return found


def sarif_result(d: Diagnostic) -> Sarif:
    loc = d.location
    physical: Sarif = {"artifactLocation": {"uri": artifact_uri(loc.file)}}
    if loc.line:
        physical["region"] = {"startLine": loc.line, "startColumn": max(loc.col, 1)}
    text = d.message + (f"\nhint: {d.hint}" if d.hint else "")
    return {
        "ruleId": d.code,
        "ruleIndex": _RULE_INDEX[d.code],
        "level": {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.TODO: "note"}[d.severity],
        "message": {"text": text},
        "locations": [{"physicalLocation": physical}],
    }


def sarif_log(diagnostics: Sequence[Diagnostic], files: Sequence[str]) -> Sarif:
    """The SARIF log of one ``esp validate`` run."""
    run: Sarif = {
        "tool": {
            "driver": {
                "name": "esp",
                "version": __version__,
                "semanticVersion": __version__,
                "informationUri": INFORMATION_URI,
                "rules": sarif_rules(),
            }
        },
        "artifacts": [{"location": {"uri": artifact_uri(f)}} for f in files],
        "results": [sarif_result(d) for d in diagnostics],
        "columnKind": "unicodeCodePoints",
    }
    return {"$schema": SARIF_SCHEMA, "version": "2.1.0", "runs": [run]}


def _sarif(diagnostics: Sequence[Diagnostic], files: Sequence[str], out: Printer) -> None:
    out.line(json.dumps(sarif_log(diagnostics, files), indent=2, ensure_ascii=False))
