"""The documentation says what the code does: generated parts are current,
every schema key and diagnostic code is documented."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from esp.codes import CODES
from esp.schema import schema

ROOT = Path(__file__).resolve().parent.parent
DIAGNOSTICS = ROOT / "docs" / "diagnostics.md"
JOURNEY_FORMAT = ROOT / "docs" / "journey-format.md"


def diagnostics_markdown() -> str:
    lines = [
        "# Diagnostics",
        "",
        "Every problem `esp validate` reports has a stable code. Errors (E) fail validation (exit 1);",
        "the codes marked *fatal* mean a file could not be used at all (exit 2). Warnings (W) fail",
        "only with `--strict`.",
        "",
        "Messages name an aggregate, command or event as the journey does; one whose name another",
        "microservice's aggregate, command or event shares (bounded contexts) is qualified by its",
        "microservice (`kitchen.Restaurant`), so the message says which one it means.",
        "",
        "This page is generated from `esp/codes.py` by `ESP_UPDATE_DOCS=1 pytest tests/test_docs.py`.",
        "",
        "| code | severity | what | message | hint |",
        "|---|---|---|---|---|",
    ]
    for code, info in CODES.items():
        severity = info.severity + (" (fatal)" if info.fatal else "")
        message = info.message.replace("|", "\\|")
        hint = info.hint.replace("|", "\\|").replace("{hint}", "").strip() or "—"
        message, hint = (t.replace("{{", "{").replace("}}", "}") for t in (message, hint))
        lines.append(f"| {code} | {severity} | {info.title} | {message} | {hint} |")
    return "\n".join(lines) + "\n"


def test_diagnostics_page_is_current() -> None:
    expected = diagnostics_markdown()
    if os.environ.get("ESP_UPDATE_DOCS"):
        DIAGNOSTICS.write_text(expected, encoding="utf-8")
    assert DIAGNOSTICS.read_text(encoding="utf-8") == expected, (
        "docs/diagnostics.md is out of date: run ESP_UPDATE_DOCS=1 pytest tests/test_docs.py"
    )


def _schema_keys(node: Any) -> set[str]:
    keys: set[str] = set()
    if isinstance(node, dict):
        for name, sub in node.get("properties", {}).items():
            keys.add(name)
            keys |= _schema_keys(sub)
        for key, sub in node.items():
            if key != "properties":
                keys |= _schema_keys(sub)
    elif isinstance(node, list):
        for sub in node:
            keys |= _schema_keys(sub)
    return keys


def test_every_schema_key_is_documented() -> None:
    text = JOURNEY_FORMAT.read_text(encoding="utf-8")
    keys = _schema_keys(schema())
    assert len(keys) > 40
    missing = sorted(k for k in keys if f"`{k}`" not in text)
    assert not missing, f"keys of the schema not documented in docs/journey-format.md: {missing}"


def test_readme_documents_exit_codes_and_quick_start() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for needle in ("./dev demo", "./dev test", "| 0 |", "| 1 |", "| 2 |"):
        assert needle in readme, needle
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert "./dev test" in ci
