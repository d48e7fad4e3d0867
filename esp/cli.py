"""The command line: parse options, call one library function, print its result.

Exceptions become exit codes in one place, ``main``; the codes are listed in
the README (0 clean, 1 problems found, 2 unusable input or usage error).
Heavy modules (jinja2, graphviz, the generator) are imported inside the
commands that need them, so ``esp validate`` starts fast.
"""

from __future__ import annotations

import os
import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer
from typer.core import TyperGroup

from esp import __version__
from esp.errors import ExitCode, ProblemsFound, UserError
from esp.output import stderr, stdout


class _EspGroup(TyperGroup):
    """Every command's UserError becomes its message and exit code here, so the
    console script and in-process runners (tests) behave the same."""

    def invoke(self, ctx: Any) -> Any:  # typer vendors click: its Context type is private
        try:
            return super().invoke(ctx)
        except UserError as exc:
            raise typer.Exit(report_user_error(exc)) from None


app = typer.Typer(
    cls=_EspGroup,
    name="esp",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=True,
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
)


# The journeys a command works on; every command takes them the same way.
JourneyPaths = Annotated[
    list[Path] | None,
    typer.Argument(help="Journey files or folders (default: the configured journeys folder).", metavar="PATH"),
]
OutputFile = Annotated[Path | None, typer.Option("--output", "-o", help="Write to this file instead of stdout.")]


class Profile(StrEnum):
    default = "default"
    workshop = "workshop"


class OutputFormat(StrEnum):
    text = "text"
    json = "json"
    github = "github"
    sarif = "sarif"


def _version(value: bool) -> None:
    if value:
        stdout().line(f"esp {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Show the version and exit.")
    ] = False,
) -> None:
    """Event Storming Process maps: validate, draw and generate event-sourced services from journey YAML.

    Examples:

        esp new "Pizza Delivery" --dir journeys

        esp validate journeys/

        esp diagram journeys/restaurant.yaml -o restaurant.svg

        esp generate journeys/restaurant.yaml -o generated/restaurant

    Settings: [tool.esp] in pyproject.toml (see esp config). Shell completion:
    esp --install-completion. Exit codes: 0 clean, 1 problems found, 2 unusable
    input or usage error, 3 internal error.
    """


@app.command()
def validate(
    paths: Annotated[
        list[Path] | None,
        typer.Argument(
            help="Journey files, or folders to search for *.yaml (default: the configured journeys folder).",
            metavar="PATH",
            show_default=False,
        ),
    ] = None,
    fmt: Annotated[
        OutputFormat, typer.Option("--format", "-f", help="text, json, github (annotations) or sarif (code scanning).")
    ] = OutputFormat.text,
    strict: Annotated[bool, typer.Option("--strict", help="Treat warnings as failures.")] = False,
    profile: Annotated[
        Profile | None,
        typer.Option(
            help="default: what code generation needs; workshop: half-done models, gaps as to-dos.", show_default=False
        ),
    ] = None,
) -> None:
    """Check journeys like a compiler: every problem at once, with code, place and hint.

    Files given together (or found in one folder) form one model.

    Examples:

        esp validate journeys/

        esp validate journeys/restaurant.yaml --format json

        esp validate --format sarif > esp.sarif
    """
    from esp.config import resolve_paths
    from esp.entry import ValidateArgs, run_validate

    args = ValidateArgs(resolve_paths(paths), fmt.value, strict, profile.value if profile else None)
    raise typer.Exit(run_validate(args))


@app.command()
def schema(
    output: OutputFile = None,
) -> None:
    """Print the journey JSON Schema (draft-07), for editors and other tools.

    Example: esp schema -o journey.schema.json
    """
    from esp.schema import schema_text

    text = schema_text()
    if output is None:
        sys.stdout.write(text)
    else:
        output.write_text(text, encoding="utf-8")


class DiagramView(StrEnum):
    esp = "esp"
    flow = "flow"
    context = "context"
    saga = "saga"
    aggregate = "aggregate"


class DiagramFormat(StrEnum):
    svg = "svg"
    png = "png"
    pdf = "pdf"
    dot = "dot"
    mermaid = "mermaid"
    html = "html"


@app.command()
def diagram(
    paths: JourneyPaths = None,
    view: Annotated[
        DiagramView, typer.Option("--view", help="esp (the ESP map), flow, context, saga or aggregate.")
    ] = DiagramView.esp,
    fmt: Annotated[
        DiagramFormat | None,
        typer.Option("--format", "-f", help="Default: from -o's extension, else svg.", show_default=False),
    ] = None,
    output: OutputFile = None,
    process: Annotated[str | None, typer.Option(help="Draw only this process.", show_default=False)] = None,
    microservice: Annotated[
        str | None, typer.Option(help="Draw only this microservice's processes.", show_default=False)
    ] = None,
) -> None:
    """Draw the model: the ESP map (five swim lanes, one row per process) or another view.

    svg, png and pdf need Graphviz's dot program; dot, mermaid and html work
    without it. An invalid journey is not drawn: its problems are shown (exit 1).

    Examples:

        esp diagram journeys/restaurant.yaml -o restaurant.svg

        esp diagram journeys/ --view context --format mermaid
    """
    from esp import api
    from esp.config import resolve_paths
    from esp.draw import BINARY, draw, format_for

    chosen = fmt.value if fmt is not None else format_for(output) if output is not None else "svg"
    if output is None and chosen in BINARY and sys.stdout.isatty():
        raise UserError(f"{chosen} is binary and stdout is a terminal", hint=f"write it to a file: -o diagram.{chosen}")
    result = api.validate(resolve_paths(paths))
    if result.model is None or result.exit_code() != ExitCode.OK:
        raise ProblemsFound(result.diagnostics)
    drawing = draw(result.model, view.value, chosen, process=process, microservice=microservice)
    data = drawing.encode("utf-8") if isinstance(drawing, str) else drawing
    if output is None:
        sys.stdout.buffer.write(data)
    else:
        output.parent.mkdir(parents=True, exist_ok=True)
        output.write_bytes(data)


@app.command("config")
def show_config(
    journeys: Annotated[Path | None, typer.Option(help="The journeys folder.", show_default=False)] = None,
    output: Annotated[Path | None, typer.Option(help="The output folder.", show_default=False)] = None,
    profile: Annotated[str | None, typer.Option(help="default or workshop.", show_default=False)] = None,
    templates: Annotated[Path | None, typer.Option(help="A templates folder.", show_default=False)] = None,
) -> None:
    """Show the effective configuration and where each value came from.

    Settings live in [tool.esp] of the nearest pyproject.toml (journeys,
    output, profile, templates); options given on a command line win.

    Examples:

        esp config

        esp config --profile workshop
    """
    from esp import config

    overrides = {"journeys": journeys, "output": output, "profile": profile, "templates": templates}
    sys.stdout.write(config.render(config.load(overrides)))


export_app = typer.Typer(
    name="export",
    help="Export the model to other tools' formats: AsyncAPI 3.0, EventCatalog.",
    no_args_is_help=True,
)
app.add_typer(export_app)


@export_app.command("asyncapi")
def export_asyncapi(
    paths: JourneyPaths = None,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write here: .yaml/.yml for YAML, .json for JSON.")
    ] = None,
) -> None:
    """Describe the integration events as an AsyncAPI 3.0.0 document.

    One channel per publishing microservice; a send operation for the
    publisher and a receive operation for each microservice that listens.
    YAML on stdout unless -o names a file.

    Examples:

        esp export asyncapi journeys/restaurant.yaml

        esp export asyncapi journeys/ -o build/asyncapi.json
    """
    from esp.config import resolve_paths
    from esp.export import export_asyncapi as run

    text = run(resolve_paths(paths), output)
    if output is None:
        sys.stdout.write(text)


@export_app.command("eventcatalog")
def export_eventcatalog(
    paths: JourneyPaths = None,
    output: Annotated[Path, typer.Option("--output", "-o", help="The catalog folder to write into.")] = Path(
        "eventcatalog"
    ),
) -> None:
    """Write an EventCatalog folder: domains (journeys), services, events with schemas.

    Examples:

        esp export eventcatalog journeys/ -o catalog

        cd catalog && npx @eventcatalog/core dev
    """
    from esp.config import resolve_paths
    from esp.export import export_eventcatalog as run

    written = run(resolve_paths(paths), output)
    stdout().line(f"wrote {len(written)} files to {output}")


@export_app.command("markdown")
def export_markdown(
    paths: JourneyPaths = None,
    output: OutputFile = None,
) -> None:
    """Write the ESP table (Process | Actions | Microservice | Events | ES Aggregate) as Markdown.

    Listeners, projections, sagas and hotspots follow, with the ESP map as a
    Mermaid diagram that GitHub and GitLab draw: ready for a wiki or a README.

    Example: esp export markdown journeys/restaurant.yaml -o docs/restaurant.md
    """
    from esp.api import load_model
    from esp.config import resolve_paths
    from esp.draw import draw
    from esp.export.markdown import markdown

    model = load_model(resolve_paths(paths))
    text = markdown(model, mermaid=str(draw(model, "esp", "mermaid")))
    _write_text(text, output)


@export_app.command("html")
def export_html(
    paths: JourneyPaths = None,
    output: OutputFile = None,
) -> None:
    """Write one self-contained HTML page: the ESP table, the drawings, listeners and hotspots.

    Needs Graphviz's dot for the drawings. Example: esp export html journeys/ -o board.html
    """
    from esp.api import load_model
    from esp.config import resolve_paths
    from esp.draw.layout import dot_program
    from esp.export.html import page

    if dot_program() is None:
        raise UserError(
            "esp export html draws with Graphviz's dot, which is not installed",
            hint="install it: sudo apt-get install graphviz (macOS: brew install graphviz)",
        )
    _write_text(page(load_model(resolve_paths(paths))), output)


@app.command()
def serve(
    paths: JourneyPaths = None,
    port: Annotated[int, typer.Option("--port", "-p", help="The port; 0 picks a free one.")] = 0,
    host: Annotated[str, typer.Option("--host", help="The address to listen on (loopback only by default).")] = (
        "127.0.0.1"
    ),
    profile: Annotated[
        Profile | None,
        typer.Option(
            help="workshop: draw half-done models, list their gaps as to-dos (default: configured).", show_default=False
        ),
    ] = None,
    process: Annotated[
        str | None, typer.Option(help="Draw only this process (big models redraw faster).", show_default=False)
    ] = None,
    microservice: Annotated[
        str | None, typer.Option(help="Draw only this microservice's processes.", show_default=False)
    ] = None,
) -> None:
    """Serve a live board: the ESP map and the other views, redrawn whenever a journey is saved.

    Open the printed link in a browser (several may watch at once). While a
    journey is invalid the board keeps the last good drawing and lists the
    problems. Needs Graphviz's dot. Stop with Ctrl+C.

    Examples:

        esp serve journeys/restaurant.yaml --port 8000

        esp serve journeys/ --profile workshop --microservice kitchen
    """
    import time

    from esp.config import load, resolve_paths
    from esp.draw import VIEWS, draw
    from esp.draw.layout import dot_program
    from esp.model import Model
    from esp.serve import Board
    from esp.serve import serve as start

    if dot_program() is None:
        raise UserError(
            "esp serve draws with Graphviz's dot, which is not installed",
            hint="install it: sudo apt-get install graphviz (macOS: brew install graphviz)",
        )
    targets = resolve_paths(paths)
    chosen = profile.value if profile else load().profile

    def render(model: Model, view: str) -> str:
        return str(draw(model, view, "svg", process=process, microservice=microservice))

    board = Board(targets, render, list(VIEWS), chosen)
    try:
        server = start(board, targets, host, port)
    except OSError as exc:
        raise UserError(f"cannot listen on {host}:{port}: {exc.strerror or exc}", hint="try another --port") from None
    if (process or microservice) and board.snapshot.model is not None:
        board.drawing("esp")  # an unknown --process or --microservice shows here, before anyone looks
        if board.render_error:
            server.shutdown()
            raise UserError(board.render_error)
    stdout().line(f"esp board for {', '.join(map(str, targets))}: {server.url}")
    stdout().line("watching for changes; Ctrl+C stops")
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        server.shutdown()
        stdout().line("stopped")


def _write_text(text: str, output: Path | None) -> None:
    if output is None:
        sys.stdout.write(text)
    else:
        output.parent.mkdir(parents=True, exist_ok=True)
        output.write_text(text, encoding="utf-8")
        stdout().line(f"wrote {output}")


@app.command()
def new(
    journey: Annotated[str, typer.Argument(help='The journey\'s name, e.g. "Pizza Delivery".', show_default=False)],
    actor: Annotated[str | None, typer.Option("--actor", help="Who drives the journey.")] = None,
    microservice: Annotated[
        list[str] | None, typer.Option("--microservice", "-m", help="A microservice (repeat for several).")
    ] = None,
    folder: Annotated[Path, typer.Option("--dir", "-d", help="The folder to write the journey in.")] = Path("."),
    no_input: Annotated[bool, typer.Option("--no-input", help="Ask nothing; use flags and defaults.")] = False,
) -> None:
    """Start a journey: a commented file with one example of each sticky, valid at once.

    Asks for the actor and microservices on a terminal unless given as flags or
    with --no-input. Never overwrites a file.

    Examples:

        esp new "Pizza Delivery"

        esp new "Pizza Delivery" --actor Customer -m ordering -m kitchen -m delivery --no-input
    """
    from esp.scaffold import Answers, file_name, new_journey

    defaults = Answers(journey)
    interactive = not no_input and sys.stdin.isatty()
    if actor is None:
        actor = (
            typer.prompt("Who drives the journey (actor)?", default=defaults.actor) if interactive else defaults.actor
        )
    if not microservice:
        answer = ", ".join(defaults.microservices)
        if interactive:
            answer = typer.prompt("Which microservices take part (comma-separated)?", default=answer)
        microservice = [m.strip() for m in answer.split(",") if m.strip()]
    target = folder / file_name(journey)
    for path in new_journey(Answers(journey, actor, tuple(microservice)), target):
        stdout().line(f"wrote {path}")
    stdout().line(f"next: esp validate {target}")


@app.command()
def generate(
    paths: Annotated[
        list[Path] | None,
        typer.Argument(
            help="Journey files (or folders) forming one model (default: the configured journeys folder).",
            metavar="PATH",
            show_default=False,
        ),
    ] = None,
    output: Annotated[
        Path | None,
        typer.Option("--output", "-o", help="The folder of the generated package (default: configured output)."),
    ] = None,
    force: Annotated[bool, typer.Option("--force", help="Overwrite generated files edited by hand.")] = False,
    check: Annotated[bool, typer.Option("--check", help="Write nothing; exit 1 with a diff if out of date.")] = False,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Write nothing; list what would change.")] = False,
    templates: Annotated[
        Path | None, typer.Option("--templates", help="A folder of templates overriding single built-in ones.")
    ] = None,
) -> None:
    """Generate event-sourced Python (eventsourcing 9.x): services, rules hooks, tests.

    Examples:

        esp generate journeys/restaurant.yaml -o generated/restaurant

        esp generate --check    # the journeys and output folder of [tool.esp] in pyproject.toml
    """
    from esp import config
    from esp.generate import generate_paths

    settings = config.load({"output": output, "templates": templates})
    paths, output, templates = config.resolve_paths(paths, settings), settings.output, settings.templates
    result = generate_paths(paths, output, force=force, check=check, dry_run=dry_run, templates=templates)
    if check:
        sys.stdout.write(result.diff())
        for path in result.conflicts:
            stderr().line(f"esp: {path} was changed since esp wrote it")
        raise typer.Exit(0 if result.clean else int(ExitCode.PROBLEMS))
    for line in result.summary():
        stdout().line(line)
    if not dry_run:
        stdout().line(f"{output}: {len(result.changes)} change(s), up to date")


def main() -> None:
    """The console script: run the app and map every outcome to an exit code."""
    try:
        app()  # click's standalone mode: usage errors exit 2, typer.Exit gives its code
    except UserError as exc:
        sys.exit(report_user_error(exc))
    except BrokenPipeError:  # the output's reader (e.g. `| head`) has all it wants
        from esp.entry import quiet_broken_pipe

        sys.exit(quiet_broken_pipe())
    except Exception as exc:  # the last line of defence against tracebacks
        if os.environ.get("ESP_DEBUG"):
            raise
        sys.exit(internal_error(exc))


def internal_error(exc: Exception) -> int:
    """Report a bug in esp itself without a traceback; exit code 3."""
    err = stderr()
    err.line(f"esp: internal error: {type(exc).__name__}: {exc}")
    err.line("    this is a bug in esp; run with ESP_DEBUG=1 for the traceback and please report it")
    return 3


def report_user_error(exc: UserError) -> int:
    if isinstance(exc, ProblemsFound):
        from esp import report

        report.render(exc.diagnostics, sorted({d.location.file for d in exc.diagnostics}), "text", stderr())
        return int(exc.exit_code)
    err = stderr()
    err.line(f"{err.style('esp:', 'bold')} {err.style('error:', 'red', 'bold')} {exc.message}")
    if exc.hint:
        err.line(f"    {err.style('hint:', 'cyan')} {exc.hint}")
    return int(exc.exit_code)


__all__ = ["ExitCode", "app", "main"]
