"""Write a :class:`~esp.diff.Diff`: text for people, JSON for tools, GitHub
annotations, SARIF 2.1.0 for code-scanning UIs, and a Markdown changelog."""

from __future__ import annotations

import json
import re
from collections.abc import Callable

from esp import __version__
from esp.diff import FAIL_ON, RULES, Change, Diff, Impact
from esp.output import Printer
from esp.report import INFORMATION_URI, SARIF_SCHEMA, Sarif, artifact_uri, github_escape

_COLOUR = {Impact.BREAKING: "red", Impact.UPCASTER: "yellow", Impact.COMPATIBLE: "green"}
_HEADINGS = {
    Impact.BREAKING: "Breaking",
    Impact.UPCASTER: "Needs an upcaster (esp generates it from the history)",
    Impact.COMPATIBLE: "Compatible",
}


def render(result: Diff, fmt: str, fail_on: str, out: Printer) -> None:
    writers: dict[str, Callable[[Diff, str, Printer], None]] = {
        "text": _text,
        "json": _json,
        "github": _github,
        "sarif": _sarif,
        "markdown": _markdown,
    }
    writers[fmt](result, fail_on, out)


def counts(result: Diff) -> str:
    parts = [
        f"{result.count(Impact.BREAKING)} breaking",
        f"{result.count(Impact.UPCASTER)} need{'s' if result.count(Impact.UPCASTER) == 1 else ''} an upcaster",
        f"{result.count(Impact.COMPATIBLE)} compatible",
    ]
    return ", ".join(parts)


def summary(result: Diff, fail_on: str) -> str:
    if not result.changes:
        return f"no changes from {result.old} to {result.new}"
    n = len(result.changes)
    head = f"{n} change{'s' if n != 1 else ''} from {result.old} to {result.new}: {counts(result)}"
    failing = len(result.failing(fail_on))
    if failing:
        return f"{head}; {failing} fail{'s' if failing == 1 else ''} --fail-on {fail_on}"
    return head


def _text(result: Diff, fail_on: str, out: Printer) -> None:
    for c in result.changes:
        label = out.style(c.impact.label, _COLOUR[c.impact], "bold")
        out.line(f"{out.style(str(c.location), 'bold')}: {label}: {c.kind} {c.name}: {c.message}")
        out.line(f"    {out.style('why:', 'cyan')} {c.why}")
    failed = bool(result.failing(fail_on))
    out.line(out.style(summary(result, fail_on), "red" if failed else "green", "bold"))


def as_dict(c: Change) -> dict[str, object]:
    return {
        "impact": c.impact.label,
        "rule": c.rule,
        "kind": c.kind,
        "name": c.name,
        "message": c.message,
        "why": c.why,
        "file": c.location.file,
        "line": c.location.line,
        "column": c.location.col,
    }


def _json(result: Diff, fail_on: str, out: Printer) -> None:
    payload = {
        "old": result.old,
        "new": result.new,
        "fail_on": fail_on,
        "failed": bool(result.failing(fail_on)),
        "changes": [as_dict(c) for c in result.changes],
        "summary": {impact.label: result.count(impact) for impact in reversed(Impact)},
    }
    out.line(json.dumps(payload, indent=2, ensure_ascii=False))


def _level(c: Change, fail_on: str) -> str:
    if c.impact >= FAIL_ON[fail_on]:
        return "error"
    return "warning" if c.impact > Impact.COMPATIBLE else "note"


def _github(result: Diff, fail_on: str, out: Printer) -> None:
    for c in result.changes:
        level = {"error": "error", "warning": "warning", "note": "notice"}[_level(c, fail_on)]
        loc = c.location
        props = f"file={github_escape(loc.file, prop=True)}"
        if loc.line:
            props += f",line={loc.line},col={loc.col}"
        props += f",title={github_escape(f'esp diff: {c.impact.label}', prop=True)}"
        out.line(f"::{level} {props}::{github_escape(f'{c.kind} {c.name}: {c.message}' + chr(10) + c.why)}")
    out.line(summary(result, fail_on))


def _sarif(result: Diff, fail_on: str, out: Printer) -> None:
    rule_ids = list(RULES)
    rules = [
        {
            "id": rule,
            "name": "".join(w.capitalize() for w in rule.split("-")),
            "shortDescription": {"text": title},
        }
        for rule, title in RULES.items()
    ]
    results: list[Sarif] = []
    for c in result.changes:
        physical: Sarif = {"artifactLocation": {"uri": artifact_uri(c.location.file)}}
        if c.location.line:
            physical["region"] = {"startLine": c.location.line, "startColumn": max(c.location.col, 1)}
        results.append(
            {
                "ruleId": c.rule,
                "ruleIndex": rule_ids.index(c.rule),
                "level": _level(c, fail_on),
                "message": {"text": f"{c.impact.label}: {c.kind} {c.name}: {c.message}\nwhy: {c.why}"},
                "locations": [{"physicalLocation": physical}],
                "properties": {"impact": c.impact.label},
            }
        )
    run: Sarif = {
        "tool": {
            "driver": {
                "name": "esp diff",
                "version": __version__,
                "semanticVersion": __version__,
                "informationUri": INFORMATION_URI,
                "rules": rules,
            }
        },
        "results": results,
        "columnKind": "unicodeCodePoints",
        "properties": {"old": result.old, "new": result.new, "failOn": fail_on},
    }
    out.line(json.dumps({"$schema": SARIF_SCHEMA, "version": "2.1.0", "runs": [run]}, indent=2, ensure_ascii=False))


_QUOTED = re.compile(r"'([^'\n`]+)'")
_SPECIAL = re.compile(r"([\\`*\[\]<>|])")


def _md(text: str) -> str:
    """Markdown for a message: 'names' become code, everything else is escaped."""
    parts = _QUOTED.split(text)
    return "".join(f"`{part}`" if i % 2 else _SPECIAL.sub(r"\\\1", part) for i, part in enumerate(parts))


def _markdown(result: Diff, fail_on: str, out: Printer) -> None:
    out.line(f"# Changes from {_md(result.old)} to {_md(result.new)}")
    out.line()
    if not result.changes:
        out.line("No changes.")
        return
    out.line(f"{counts(result)}.")
    for impact in reversed(Impact):
        changes = [c for c in result.changes if c.impact is impact]
        if not changes:
            continue
        out.line()
        out.line(f"## {_HEADINGS[impact]}")
        out.line()
        for c in changes:
            out.line(f"- **{_md(c.name)}** ({c.kind}): {_md(c.message)}. {_md(c.why[:1].upper() + c.why[1:])}.")
