"""Exports: the model (or its diagnostics) in other tools' formats.

Each exporter is a module with a pure function from the Model to data
(``asyncapi.document``, ``eventcatalog.files``, ``markdown.markdown``,
``html.page``); the functions here write the result. They take a Model: the
caller (``esp.api``, the CLI) reads and validates the journeys.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from esp import files
from esp.errors import UserError

if TYPE_CHECKING:
    from esp.model import Model

# Every export format (a command of `esp export` each, in this order).
FORMATS = ("asyncapi", "eventcatalog", "markdown", "html")
ASYNCAPI_SUFFIXES = {".yaml": "yaml", ".yml": "yaml", ".json": "json"}


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


def export_asyncapi(model: Model, output: Path | None = None) -> str:
    """The AsyncAPI 3.0 document of ``model``; written to ``output`` when given
    (format by extension), returned either way."""
    from esp.export import asyncapi

    fmt = asyncapi_format(output)
    text = asyncapi.dumps(asyncapi.document(model), fmt)
    if output is not None:
        files.write_output(output, text)
    return text


def export_eventcatalog(model: Model, output: Path) -> list[Path]:
    """Write an EventCatalog tree for ``model`` into ``output`` (an existing
    eventcatalog.config.js is kept), all or nothing, never through a symbolic
    link inside ``output``; return the files written."""
    from esp.export import eventcatalog

    with files.Staging(output) as staging:
        for rel, text in eventcatalog.files(model).items():
            if rel == eventcatalog.CONFIG and files.inside(output, rel).exists():
                continue  # the user's own settings
            staging.add(rel, text)
        return staging.commit()
