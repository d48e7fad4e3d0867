"""docs/cli.md is the CLI's help, generated from the typer app; every command
has help with examples.

Regenerate after changing a command: ESP_UPDATE_DOCS=1 pytest tests/test_cli_docs.py
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import typer

from esp.cli import app

ROOT = Path(__file__).resolve().parent.parent
CLI_DOC = ROOT / "docs" / "cli.md"
WIDTH = 100

INTRO = """\
# esp command line reference

This page is generated from the code (`esp/cli.py`) by
`ESP_UPDATE_DOCS=1 pytest tests/test_cli_docs.py`; a test fails when it is out
of date. Every command also answers `-h` / `--help`.

Exit codes: 0 clean, 1 problems found (or `--check` found changes), 2 unusable
input or usage error, 3 an internal error (a bug in esp: please report it).

Settings for all commands can live in `[tool.esp]` of the nearest
`pyproject.toml` (`journeys`, `output`, `profile`, `templates`); options on
the command line win. `esp config` shows the effective values and where each
came from.

## Shell completion

esp completes commands, options and file names in bash, zsh, fish and
PowerShell (typer's completion):

```console
$ esp --install-completion        # for the shell you are in; restart the shell afterwards
$ esp --show-completion           # print the script instead, to install it by hand
```

With bash, for example, `esp --show-completion bash >> ~/.bash_completion`
does the same by hand. Then `esp ex<TAB>` completes to `esp export`, and
`esp export <TAB>` lists the exporters.
"""


def walk(command: Any, parent: Any = None, name: str = "esp") -> Iterator[tuple[str, Any, Any]]:
    """(full name, command, its context) for the command and all below it, in help order."""
    ctx = command.make_context(name, [], parent=parent, resilient_parsing=True, max_content_width=WIDTH)
    ctx.terminal_width = WIDTH
    yield (ctx.command_path, command, ctx)
    for sub_name in getattr(command, "list_commands", lambda _ctx: [])(ctx):
        sub = command.get_command(ctx, sub_name)
        if sub is not None and not sub.hidden:
            yield from walk(sub, ctx, sub_name)


def commands() -> list[tuple[str, Any, Any]]:
    return list(walk(typer.main.get_command(app)))


def cli_markdown() -> str:
    parts = [INTRO]
    for path, command, ctx in commands():
        level = "#" * min(path.count(" ") + 2, 4)
        parts.append(f"{level} `{path}`\n\n```text\n{command.get_help(ctx).rstrip()}\n```\n")
    return "\n".join(parts)


def test_cli_reference_is_current() -> None:
    expected = cli_markdown()
    if os.environ.get("ESP_UPDATE_DOCS"):
        CLI_DOC.write_text(expected, encoding="utf-8")
    current = CLI_DOC.read_text(encoding="utf-8") if CLI_DOC.exists() else ""
    assert current == expected, (
        "docs/cli.md is out of date with esp's commands: run ESP_UPDATE_DOCS=1 pytest tests/test_cli_docs.py "
        "and commit docs/cli.md"
    )


LEAVES = [(path, command) for path, command, _ in commands() if not hasattr(command, "list_commands")]


@pytest.mark.parametrize(("path", "command"), LEAVES, ids=[path for path, _ in LEAVES])
def test_every_command_has_help_with_an_example(path: str, command: Any) -> None:
    text = command.help or ""
    assert command.short_help or text.strip(), f"{path} has no help"
    assert "Example" in text, f"{path}'s help shows no example: add 'Examples:' with a command line"
    assert re.search(rf"{re.escape(path)}(\s|$)", text), f"{path}'s example does not show the whole command"
    for param in command.params:
        if param.param_type_name == "option" and "--help" not in param.opts:
            assert getattr(param, "help", None), f"{path} {param.opts[0]} has no help"


def test_groups_have_help() -> None:
    for path, command, _ in commands():
        if hasattr(command, "list_commands"):
            assert (command.help or "").strip(), f"{path} has no help"


def test_esp_help_has_examples_and_completion() -> None:
    root = typer.main.get_command(app)
    assert "Examples:" in (root.help or "")
    assert "--install-completion" in (root.help or "")


def test_the_reference_documents_every_command() -> None:
    text = cli_markdown()
    for path, _, _ in commands():
        assert f"`{path}`" in text
    assert "--install-completion" in text
