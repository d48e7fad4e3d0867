"""Exports: the model (or its diagnostics) in other tools' formats.

Each exporter is a module with a pure function from the Model to data
(``asyncapi.document``, ``eventcatalog.files``, ``sarif.log``); the functions
here are the CLI's front door: read the journeys, refuse an invalid model,
write the result.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from esp.errors import ProblemsFound, UserError
from esp.model import Model

ASYNCAPI_SUFFIXES = {".yaml": "yaml", ".yml": "yaml", ".json": "json"}


def load_model(paths: Sequence[Path]) -> Model:
    """The model of the journeys at ``paths``, or ProblemsFound if it has errors."""
    from esp import api

    result = api.validate(paths)
    if result.exit_code() != 0 or result.model is None:
        raise ProblemsFound(result.diagnostics)
    return result.model


def asyncapi_format(output: Path | None) -> str:
    """YAML or JSON, by the output file's extension (YAML on stdout)."""
    if output is None:
        return "yaml"
    fmt = ASYNCAPI_SUFFIXES.get(output.suffix.lower())
    if fmt is None:
        raise UserError(
            f"cannot tell the format of {output}: the name should end in .yaml, .yml or .json",
            "for example: esp export asyncapi journeys/ -o asyncapi.yaml",
        )
    return fmt


def export_asyncapi(paths: Sequence[Path], output: Path | None = None) -> str:
    """The AsyncAPI 3.0 document of the journeys at ``paths``; written to
    ``output`` when given (format by extension), returned either way."""
    from esp.export import asyncapi

    fmt = asyncapi_format(output)
    text = asyncapi.dumps(asyncapi.document(load_model(paths)), fmt)
    if output is not None:
        _write(output, text)
    return text


def export_eventcatalog(paths: Sequence[Path], output: Path) -> list[Path]:
    """Write an EventCatalog tree for the journeys at ``paths`` into ``output``
    (an existing eventcatalog.config.js is kept); return the files written."""
    from esp.export import eventcatalog

    files = eventcatalog.files(load_model(paths))
    written = []
    for rel, text in files.items():
        target = output / rel
        if rel == eventcatalog.CONFIG and target.exists():
            continue  # the user's own settings
        _write(target, text)
        written.append(target)
    return written


def _write(path: Path, text: str) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise UserError(f"cannot write {path}: {exc.strerror or exc}", "check the output path") from exc
