"""The command line: parse options, call one library function, print its result.

The console script enters through ``esp.entry.run``; what a command raises
becomes an exit code in ``esp.outcome`` (the codes are listed in the README).
The choices an option offers (views, formats, profiles) come from the
library's own lists. Heavy modules (jinja2, the generator, the drawings) are
imported inside the commands that need them.
"""

from __future__ import annotations

import difflib
import sys
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Annotated, Any

import typer
from typer.core import TyperGroup

from esp import __version__
from esp.diff import FAIL_ON
from esp.diff import FORMATS as DIFF_FORMATS
from esp.draw import FORMATS as DRAW_FORMATS
from esp.draw import VIEWS
from esp.errors import Diagnostic, ExitCode, UserError
from esp.export import FORMATS as EXPORT_FORMATS
from esp.output import Printer, stderr, stdout
from esp.profile import PROFILES
from esp.report import FORMATS as REPORT_FORMATS


class _EspGroup(TyperGroup):
    """Whatever a command raises becomes its message and exit code in esp.outcome, so
    the console script and in-process runners (tests) behave the same."""

    def invoke(self, ctx: Any) -> Any:  # typer vendors click: its Context type is private
        try:
            return super().invoke(ctx)
        except (typer.Exit, typer.Abort, click_exception()):
            raise
        except Exception as exc:
            from esp.outcome import exit_code

            raise typer.Exit(exit_code(exc)) from None


def click_exception() -> type[Exception]:
    """click's own exceptions (usage errors), which click reports itself."""
    from typer._click.exceptions import ClickException  # typer vendors click

    return ClickException


def choice(what: str, values: Iterable[str]) -> Callable[[str], str]:
    """A parser that accepts one of ``values`` and suggests the nearest for a typo."""
    allowed = tuple(values)

    def parse(value: str) -> str:
        if value in allowed:
            return value
        close = difflib.get_close_matches(value, allowed, n=1, cutoff=0.5)
        guess = f"did you mean {close[0]!r}? " if close else ""
        raise typer.BadParameter(f"unknown {what} {value!r}; {guess}{what}s: {', '.join(allowed)}")

    return parse


def metavar(values: Iterable[str]) -> str:
    return "[" + "|".join(values) + "]"


def one_of(*names: str, what: str, values: Iterable[str], help: str) -> Any:
    """An option whose value is one of ``values`` (a library's list), with a suggestion for a typo."""
    allowed = tuple(values)
    return typer.Option(*names, parser=choice(what, allowed), metavar=metavar(allowed), help=help)


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
        str,
        one_of(
            "--format",
            "-f",
            what="format",
            values=REPORT_FORMATS,
            help="text, json, github (annotations) or sarif (code scanning).",
        ),
    ] = "text",
    strict: Annotated[bool, typer.Option("--strict", help="Treat warnings as failures.")] = False,
    profile: Annotated[
        str | None,
        one_of(
            what="profile",
            values=PROFILES,
            help="default: what code generation needs; workshop: half-done models, gaps as to-dos.",
        ),
    ] = None,
    since: Annotated[
        str | None,
        typer.Option(
            help="A git revision (HEAD~1, main:journeys) or older journeys: report events whose fields changed"
            " since without a new version and history.",
            metavar="REV",
            show_default=False,
        ),
    ] = None,
    generated: Annotated[
        Path | None,
        typer.Option(
            help="The output folder of 'esp generate': report methods of its rules.py files (your business"
            " logic) that override nothing the journeys ask for any more.",
            metavar="DIR",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Check journeys like a compiler: every problem at once, with code, place and hint.

    Files given together (or found in one folder) form one model.

    Examples:

        esp validate journeys/

        esp validate journeys/restaurant.yaml --format json

        esp validate --format sarif > esp.sarif

        esp validate journeys/ --since main

        esp validate journeys/restaurant.yaml --generated generated/restaurant
    """
    from esp import api
    from esp.config import resolve_paths
    from esp.model import Model

    targets = resolve_paths(paths)
    checks: list[Callable[[Model], Iterable[Diagnostic]]] = []
    if since is not None:
        from esp.diff import since_check

        checks.append(since_check(since, targets))
    if generated is not None:
        checks.append(lambda model: api.check_logic(model, generated))

    def more(model: Model) -> list[Diagnostic]:
        return [d for check in checks for d in check(model)]

    raise typer.Exit(
        api.report(targets, stdout(), fmt=fmt, strict=strict, profile=profile, more=more if checks else None)
    )


@app.command("diff")
def diff_command(
    old: Annotated[
        str,
        typer.Argument(
            help="The old journeys: a file, a folder, a git revision (HEAD~1: the NEW paths as they were) or"
            " REV:path (main:journeys).",
            metavar="OLD",
            show_default=False,
        ),
    ],
    new: Annotated[
        str | None,
        typer.Argument(
            help="The new journeys, the same ways (default: the configured journeys folder).",
            metavar="NEW",
            show_default=False,
        ),
    ] = None,
    fail_on: Annotated[
        str,
        one_of(
            "--fail-on",
            what="threshold",
            values=FAIL_ON,
            help="Exit 1 on a breaking change (default), on one that needs an upcaster too, or on any.",
        ),
    ] = "breaking",
    fmt: Annotated[
        str,
        one_of(
            "--format",
            "-f",
            what="format",
            values=DIFF_FORMATS,
            help="text, json, github (annotations), sarif or markdown (a changelog).",
        ),
    ] = "text",
    output: OutputFile = None,
) -> None:
    """List every change between two versions of the journeys and what it costs.

    Each change is compatible, needs an upcaster (stored events must still
    load: esp generates it from the event's history), or breaking (stored
    events, aggregates or saga runs no longer load, or an integration event's
    consumers break). Exit 1 when a change reaches --fail-on, 0 otherwise,
    2 when a side cannot be read or does not validate.

    Examples:

        esp diff HEAD~1 journeys/

        esp diff main:journeys journeys/ --format markdown -o CHANGES.md

        esp diff v1/restaurant.yaml v2/restaurant.yaml --fail-on upcaster
    """
    from esp.config import load
    from esp.diff import diff
    from esp.diff.render import render

    settings = load()
    result = diff(old, new, [settings.journeys])
    if output is None:
        render(result, fmt, fail_on, stdout())
    else:
        output.parent.mkdir(parents=True, exist_ok=True)
        with output.open("w", encoding="utf-8") as stream:
            render(result, fmt, fail_on, Printer(stream, color=False))
    raise typer.Exit(int(result.exit_code(fail_on)))


@app.command()
def schema(
    output: OutputFile = None,
) -> None:
    """Print the journey JSON Schema (draft-07), for editors and other tools.

    Example: esp schema -o journey.schema.json
    """
    from esp.files import write_output
    from esp.schema import schema_text

    text = schema_text()
    if output is None:
        sys.stdout.write(text)
    else:
        write_output(output, text)


@app.command()
def diagram(
    paths: JourneyPaths = None,
    view: Annotated[
        str,
        one_of("--view", what="view", values=VIEWS, help="esp (the ESP map), flow, context, saga or aggregate."),
    ] = "esp",
    fmt: Annotated[
        str | None,
        one_of("--format", "-f", what="format", values=DRAW_FORMATS, help="Default: from -o's extension, else svg."),
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
    from esp.files import write_output

    chosen = fmt if fmt is not None else format_for(output) if output is not None else "svg"
    if output is None and chosen in BINARY and sys.stdout.isatty():
        raise UserError(f"{chosen} is binary and stdout is a terminal", hint=f"write it to a file: -o diagram.{chosen}")
    model = api.load_model(resolve_paths(paths))
    drawing = draw(model, view, chosen, process=process, microservice=microservice)
    data = drawing.encode("utf-8") if isinstance(drawing, str) else drawing
    if output is None:
        sys.stdout.buffer.write(data)
    else:
        write_output(output, data)


@app.command("config")
def show_config(
    journeys: Annotated[Path | None, typer.Option(help="The journeys folder.", show_default=False)] = None,
    output: Annotated[Path | None, typer.Option(help="The output folder.", show_default=False)] = None,
    profile: Annotated[
        str | None,
        one_of(what="profile", values=PROFILES, help="default or workshop."),
    ] = None,
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
    help=f"Export the model to other tools' formats: {', '.join(EXPORT_FORMATS)}.",
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
    from esp import api
    from esp.config import resolve_paths
    from esp.export import export_asyncapi as run

    text = run(api.load_model(resolve_paths(paths)), output)
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
    from esp import api
    from esp.config import resolve_paths
    from esp.export import export_eventcatalog as run

    written = run(api.load_model(resolve_paths(paths)), output)
    stdout().line(f"wrote {len(written)} files to {output}")


@export_app.command("markdown")
def export_markdown(
    paths: JourneyPaths = None,
    output: OutputFile = None,
) -> None:
    """Write the ESP table (Process | Actions | Microservice | Events | ES Aggregate) as Markdown.

    Listeners, projections, sagas and hotspots follow, with the ESP map as a
    Mermaid diagram that GitHub and GitLab draw: ready for a wiki or a README.
    Changes made from the live board (esp serve --edit) end it, with who made them.

    Example: esp export markdown journeys/restaurant.yaml -o docs/restaurant.md
    """
    from esp.api import journey_files, load_model
    from esp.config import resolve_paths
    from esp.draw import draw
    from esp.export.markdown import markdown
    from esp.serve import changelog

    targets = resolve_paths(paths)
    model = load_model(targets)
    changes = [(e.when.replace("T", " ").rstrip("Z"), e.who, e.what) for e in changelog.read(journey_files(targets)[0])]
    text = markdown(model, mermaid=str(draw(model, "esp", "mermaid")), changes=changes)
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
        str | None,
        one_of(
            what="profile",
            values=PROFILES,
            help="workshop: draw half-done models, list their gaps as to-dos (default: configured).",
        ),
    ] = None,
    process: Annotated[
        str | None, typer.Option(help="Draw only this process (big models redraw faster).", show_default=False)
    ] = None,
    microservice: Annotated[
        str | None, typer.Option(help="Draw only this microservice's processes.", show_default=False)
    ] = None,
    edit: Annotated[
        bool,
        typer.Option("--edit", help="Let participants add stickies from the browser (written into the journey files)."),
    ] = False,
) -> None:
    """Serve a live board: the ESP map and the other views, redrawn whenever a journey is saved.

    Open the printed link in a browser (several may watch at once). While a
    journey is invalid the board keeps the last good drawing and lists the
    problems. With --edit, participants add events, commands, hotspots,
    actors, processes and listeners from the page (the workshop profile
    unless one is chosen); a board on another address than loopback then
    needs the token in the printed link. Needs Graphviz's dot. Stop with Ctrl+C.

    Examples:

        esp serve journeys/restaurant.yaml --port 8000

        esp serve journeys/ --profile workshop --microservice kitchen

        esp serve journeys/restaurant.yaml --edit
    """
    import secrets
    import time

    from esp.config import DEFAULT, load, resolve_paths
    from esp.draw import draw_pages
    from esp.draw.layout import dot_program
    from esp.errors import ProblemsFound
    from esp.model import Model
    from esp.serve import Board, Workshop, collect_less, is_loopback, missing_journeys
    from esp.serve import serve as start

    if dot_program() is None:
        raise UserError(
            "esp serve draws with Graphviz's dot, which is not installed",
            hint="install it: sudo apt-get install graphviz (macOS: brew install graphviz)",
        )
    targets = resolve_paths(paths)
    missing = missing_journeys(targets)
    if missing:
        raise ProblemsFound(missing)
    config = load()
    chosen = profile or config.profile
    if edit and profile is None and config.settings["profile"].source == DEFAULT:
        chosen = "workshop"  # a model being built in the room is half-done by nature

    def render(model: Model, view: str) -> list[str]:  # page by page: a page fetches only the changed ones
        return draw_pages(model, view, process=process, microservice=microservice)

    collect_less()  # this process is the board's
    board = Board(targets, render, list(VIEWS), chosen)
    workshop = Workshop(board) if edit else None
    token = secrets.token_urlsafe(16) if edit and not is_loopback(host) else ""
    try:
        server = start(board, targets, host, port, workshop=workshop, token=token)
    except OSError as exc:
        raise UserError(f"cannot listen on {host}:{port}: {exc.strerror or exc}", hint="try another --port") from None
    if (process or microservice) and board.snapshot.model is not None:
        board.drawing("esp")  # an unknown --process or --microservice shows here, before anyone looks
        if board.render_error:
            server.shutdown()
            raise UserError(board.render_error)
    stdout().line(f"esp board for {', '.join(map(str, targets))}: {server.url}")
    if edit:
        stdout().line(f"editing is on ({chosen} profile): changes are written into the journey files")
    stdout().line("watching for changes; Ctrl+C stops")
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        server.shutdown()
        stdout().line("stopped")


def _write_text(text: str, output: Path | None) -> None:
    from esp.files import write_output

    if output is None:
        sys.stdout.write(text)
    else:
        write_output(output, text)
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
            help="Journey files or folders (default: the configured journeys folder).",
            metavar="PATH",
            show_default=False,
        ),
    ] = None,
    output: Annotated[
        Path | None,
        typer.Option("--output", "-o", help="The folder of the generated package (default: configured output)."),
    ] = None,
    package: Annotated[
        str | None,
        typer.Option(
            "--package",
            help="Generate several journeys as one package of this name (default: one package per journey).",
            show_default=False,
        ),
    ] = None,
    force: Annotated[bool, typer.Option("--force", help="Overwrite generated files edited by hand.")] = False,
    check: Annotated[bool, typer.Option("--check", help="Write nothing; exit 1 with a diff if out of date.")] = False,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Write nothing; list what would change.")] = False,
    templates: Annotated[
        Path | None, typer.Option("--templates", help="A folder of templates overriding single built-in ones.")
    ] = None,
) -> None:
    """Generate event-sourced Python (eventsourcing 9.x): services, rules hooks, tests.

    One journey gives one package in the output folder. Several journeys (a
    folder) give one package per journey, each in a folder named after its
    file (-o generated gives generated/restaurant, ...), or one package of
    them all with --package NAME. Nothing is written if any file fails.

    Examples:

        esp generate journeys/restaurant.yaml -o generated/restaurant

        esp generate journeys/ -o generated

        esp generate --check    # the journeys and output folder of [tool.esp] in pyproject.toml
    """
    from esp import api, config

    settings = config.load({"output": output, "templates": templates})
    paths = config.resolve_paths(paths, settings)
    results = api.generate(
        paths,
        settings.output,
        package=package,
        force=force,
        check=check,
        dry_run=dry_run,
        templates=settings.templates,
    )
    several = len(results) > 1
    if check:
        for result in results:
            sys.stdout.write(result.diff())
            for path in result.conflicts:
                stderr().line(f"esp: {result.out_dir / path} was changed since esp wrote it")
        raise typer.Exit(0 if all(r.clean for r in results) else int(ExitCode.PROBLEMS))
    for result in results:
        for line in result.summary():
            stdout().line(f"{result.out_dir}: {line}" if several else line)
    for result in results:
        stdout().line(f"{result.out_dir}: {result.status()}{' (dry run: nothing written)' if dry_run else ''}")
    for d in (d for result in results for d in result.stale):
        stderr().line(f"{d.location}: {d.severity.value} {d.code}: {d.message}")
        stderr().line(f"    hint: {d.hint}")


__all__ = ["app"]
