"""Configuration: ``[tool.esp]`` in the nearest pyproject.toml, under the
command line's options.

Each setting remembers where its value came from (the default, a
pyproject.toml, or the command line), which ``esp config`` shows.

    [tool.esp]
    journeys = "journeys"      # folder searched when a command gets no PATH
    output = "out"             # where generated code and drawings go
    profile = "default"        # or "workshop": strictness of the checks
    templates = "templates"    # a folder of templates overriding esp's own

Relative paths count from the folder holding the pyproject.toml.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from esp import files
from esp.errors import UserError
from esp.profile import PROFILES

DEFAULTS: dict[str, str | None] = {"journeys": "journeys", "output": "out", "profile": "default", "templates": None}
PATH_KEYS = ("journeys", "output", "templates")
DEFAULT = "default"
COMMAND_LINE = "command line"


@dataclass(frozen=True)
class Setting:
    value: str | Path | None
    source: str  # "default", a pyproject.toml path, or "command line"


@dataclass(frozen=True)
class Config:
    settings: Mapping[str, Setting]
    pyproject: Path | None  # the file [tool.esp] was read from, if any

    def __getitem__(self, key: str) -> str | Path | None:
        return self.settings[key].value

    @property
    def journeys(self) -> Path:
        return Path(str(self["journeys"]))

    @property
    def output(self) -> Path:
        return Path(str(self["output"]))

    @property
    def profile(self) -> str:
        return str(self["profile"])

    @property
    def templates(self) -> Path | None:
        value = self["templates"]
        return None if value is None else Path(str(value))

    def as_rows(self) -> list[tuple[str, str, str]]:
        """(key, value, source) for each setting, in a stable order."""
        return [(k, "" if s.value is None else str(s.value), s.source) for k, s in self.settings.items()]


def find_pyproject(start: Path | None = None) -> Path | None:
    """The nearest pyproject.toml in ``start`` (default: the working folder) or above."""
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        candidate = folder / "pyproject.toml"
        if candidate.is_file():
            return candidate
        if candidate.exists():  # a FIFO or device would make reading it wait forever
            raise UserError(
                f"cannot read {candidate}: it is not a regular file", "replace it with a file, or remove it"
            )
    return None


def read_table(pyproject: Path) -> dict[str, Any]:
    """The ``[tool.esp]`` table of ``pyproject`` ({} if there is none)."""
    import tomllib  # here: `esp validate` reads no pyproject.toml in most folders

    try:
        data = tomllib.loads(files.read_text(pyproject))
    except OSError as exc:
        raise UserError(f"cannot read {pyproject}: {files.reason(exc)}") from exc
    except UnicodeDecodeError as exc:
        raise UserError(f"cannot read {pyproject}: {exc}") from exc
    except tomllib.TOMLDecodeError as exc:
        raise UserError(f"{pyproject}: not valid TOML: {exc}", "fix the file or remove it") from exc
    table = data.get("tool", {}).get("esp", {})
    if not isinstance(table, dict):
        raise UserError(f"{pyproject}: [tool.esp] must be a table")
    return table


def _check(key: str, value: object, where: str) -> str:
    if key not in DEFAULTS:
        known = ", ".join(DEFAULTS)
        raise UserError(f"{where}: unknown setting {key!r} in [tool.esp]", f"the settings are: {known}")
    if not isinstance(value, str) or not value:
        raise UserError(f"{where}: [tool.esp] {key} must be a non-empty string, not {value!r}")
    if key == "profile" and value not in PROFILES:
        raise UserError(f"{where}: unknown profile {value!r}", f"use one of: {', '.join(PROFILES)}")
    return value


def load(overrides: Mapping[str, str | Path | None] | None = None, start: Path | None = None) -> Config:
    """The effective configuration: defaults, then ``[tool.esp]`` of the nearest
    pyproject.toml, then ``overrides`` (the command line; None means not given)."""
    pyproject = find_pyproject(start)
    table = read_table(pyproject) if pyproject is not None else {}
    settings: dict[str, Setting] = {}
    for key, default in DEFAULTS.items():
        settings[key] = Setting(Path(default) if default and key in PATH_KEYS else default, DEFAULT)
    for key, raw in table.items():
        assert pyproject is not None
        value = _check(key, raw, str(pyproject))
        settings[key] = Setting(_near(pyproject.parent / value) if key in PATH_KEYS else value, str(pyproject))
    for key, given in (overrides or {}).items():
        if given is not None:
            value = _check(key, str(given), COMMAND_LINE)
            settings[key] = Setting(Path(value) if key in PATH_KEYS else value, COMMAND_LINE)
    return Config(settings, pyproject)


def _near(path: Path) -> Path:
    """``path`` relative to the working folder when it is inside it (shorter messages)."""
    try:
        return path.relative_to(Path.cwd().resolve())
    except ValueError:
        return path


def resolve_paths(paths: Sequence[Path] | None, config: Config | None = None) -> list[Path]:
    """The journey paths a command works on: those given, else the configured folder."""
    if paths:
        return list(paths)
    cfg = config or load()
    folder = cfg.journeys
    if not folder.exists():
        where = cfg.settings["journeys"].source
        raise UserError(
            f"no PATH given and the journeys folder {folder} (from {where}) does not exist",
            "name journey files or folders, or set journeys in [tool.esp] of pyproject.toml",
        )
    return [folder]


def render(config: Config) -> str:
    """The configuration as aligned text: key, value, and where it came from."""
    rows = config.as_rows()
    width = max(len(k) for k, _, _ in rows)
    vwidth = max(len(v) for _, v, _ in rows)
    lines = [f"{k.ljust(width)} = {(v or '(none)').ljust(vwidth)}  # from {src}" for k, v, src in rows]
    return "\n".join(lines) + "\n"
