"""SARIF 2.1.0: esp's diagnostics for code-scanning UIs (GitHub code scanning,
VS Code's SARIF viewer, Azure DevOps).

One run; the tool's rules are the whole catalogue of codes (``esp.codes``),
so a UI can show a code's title and hint even for results it has not seen
yet. Paths stay as esp reports them: relative paths resolve against the
repository root, which is where CI runs ``esp validate``.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import PurePath
from typing import Any
from urllib.parse import quote

from esp import __version__
from esp.codes import CODES
from esp.errors import Diagnostic, Severity
from esp.output import Printer

SCHEMA_URI = "https://json.schemastore.org/sarif-2.1.0.json"
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


def rules() -> list[Sarif]:
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


def result(d: Diagnostic) -> Sarif:
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


def log(diagnostics: Sequence[Diagnostic], files: Sequence[str]) -> Sarif:
    """The SARIF log of one ``esp validate`` run."""
    run: Sarif = {
        "tool": {
            "driver": {
                "name": "esp",
                "version": __version__,
                "semanticVersion": __version__,
                "informationUri": INFORMATION_URI,
                "rules": rules(),
            }
        },
        "artifacts": [{"location": {"uri": artifact_uri(f)}} for f in files],
        "results": [result(d) for d in diagnostics],
        "columnKind": "unicodeCodePoints",
    }
    return {"$schema": SCHEMA_URI, "version": "2.1.0", "runs": [run]}


def render(diagnostics: Sequence[Diagnostic], files: Sequence[str], out: Printer) -> None:
    out.line(json.dumps(log(diagnostics, files), indent=2, ensure_ascii=False))
