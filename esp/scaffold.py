"""`esp new`: a commented starting journey that validates at once.

Names typed by the facilitator are checked against the schema's name rule
and written as quoted YAML scalars, so no input can change the file's shape.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

from esp.errors import UserError
from esp.names import pascal, snake, words

NAME = re.compile(r"^[A-Za-z][A-Za-z0-9 _-]*$")


@dataclass(frozen=True)
class Answers:
    """What `esp new` needs to know: asked on a terminal, or given as flags."""

    journey: str
    actor: str = "Customer"
    microservices: tuple[str, ...] = ("orders", "payments")


def check_name(value: str, what: str) -> str:
    value = value.strip()
    if not NAME.match(value) or len(value) > 80:
        raise UserError(
            f"{what} {value!r} is not a valid name",
            hint="names start with a letter and hold letters, digits, spaces, '-' and '_'",
        )
    return value


def file_name(journey: str) -> str:
    return "-".join(words(journey)) + ".yaml"


def _q(text: str) -> str:
    """A YAML double-quoted scalar (JSON strings are valid YAML)."""
    return json.dumps(text, ensure_ascii=False)


def _singular(name: str) -> str:
    noun = pascal(name)
    return noun[:-1] if noun.endswith("s") and not noun.endswith("ss") and len(noun) > 3 else noun


def render(answers: Answers, schema_ref: str) -> str:
    """The text of a new journey."""
    journey = check_name(answers.journey, "journey")
    actor = check_name(answers.actor, "actor")
    services = [check_name(m, "microservice") for m in answers.microservices] or ["orders"]
    if len({snake(m) for m in services}) != len(services) or len({_singular(m) for m in services}) != len(services):
        raise UserError("two microservices have the same name", hint="give each microservice its own name")
    first = _singular(services[0])
    lines = [
        f"# yaml-language-server: $schema={schema_ref}",
        "#",
        f"# {journey}: a starting journey written by `esp new`. Each row of `processes`",
        "# is one row of the Event Storming Process map, in five lanes:",
        "# process & user | actions | microservice | events | ES aggregate.",
        "# Check it with `esp validate`; watch it with `esp serve`.",
        f"journey: {_q(journey)}",
        "description: >",
        "  Who does what, and what happens then. Replace this with the story the",
        "  team tells at the wall.",
        f"actors: [{_q(actor)}]",
        "",
        "# Lane 3 and lane 5: the microservices and the aggregates each one owns.",
        "microservices:",
    ]
    for service in services:
        agg = _singular(service)
        lines += [
            f"  {_q(service)}:",
            f"    description: What {service} is responsible for",
            "    aggregates:",
            f"      {agg}:",
            f"        identity: {snake(agg)}_id",
            f"        states: [{'started, completed' if service == services[0] else 'opened'}]",
        ]
        if service == services[0]:
            lines += [
                "        timers:                       # after a time in a state, a command (unless it left the state)",
                "          - timer: Deadline",
                "            in_state: started",
                "            after: 7d",
                f"            then: Complete {first}",
            ]
    lines += [
        "",
        "processes:",
        f"  - process: Handle {first}          # lane 1: the process and its user",
        f"    actor: {_q(actor)}",
        "    actions:                          # lane 2: queries first, then commands",
        f"      - query: View {first}s",
        f"        projection: {first} List",
        f"      - command: Start {first}         # blue sticky: an imperative",
        "        fields: {note: str}",
        f"        emits: [{first}Started]",
        "        creates: true                 # it creates the aggregate",
        f"      - command: Complete {first}",
        f"        emits: [{first}Completed]",
        "        allowed_in: [started]         # accepted only in these states",
        f"    microservice: {_q(services[0])}      # lane 3",
        "    events:                           # lane 4, orange stickies: facts, in the past tense",
        f"      - event: {first}Started",
        "        fields: {note: str}",
        "        enters: started",
        f"      - event: {first}Completed",
        f"        kind: {'integration' if len(services) > 1 else 'domain'}"
        + ("           # other microservices hear it" if len(services) > 1 else ""),
        "        enters: completed",
        f"    aggregate: {first}                # lane 5, yellow: the event-sourced aggregate",
    ]
    for service in services[1:]:
        agg = _singular(service)
        lines += [
            "",
            f"  - process: Follow up in {service}",
            "    actions:",
            f"      - command: Open {agg}",
            f"        fields: {{{snake(first)}_id: uuid}}",
            f"        emits: [{agg}Opened]",
            "        creates: true",
            f"    microservice: {_q(service)}",
            "    events:",
            f"      - event: {agg}Opened",
            f"        fields: {{{snake(first)}_id: uuid}}",
            "        enters: opened",
            f"    aggregate: {agg}",
        ]
    if len(services) > 1:
        lines += [
            "",
            "# Lilac stickies: an event leads to the next command, here in another microservice.",
            "listeners:",
        ]
        for service in services[1:]:
            lines += [
                f"  - on: {first}Completed",
                f"    in: {_q(service)}",
                f"    command: Open {_singular(service)}",
            ]
    lines += [
        "",
        "# Green stickies: read models that answer the queries.",
        "projections:",
        f"  - projection: {first} List",
        f"    in: {_q(services[0])}",
        f"    from: [{first}Started, {first}Completed]",
        "",
        "# Specification by example: given events, when a command, then events or rejected.",
        "scenarios:",
        f"  - scenario: a started {snake(first).replace('_', ' ')} can be completed",
        f"    aggregate: {first}",
        "    given:",
        f"      - {first}Started: {{note: first}}",
        "    when:",
        f"      Complete {first}: {{}}",
        "    then:",
        f"      - {first}Completed: {{}}",
        "",
        "# Pink stickies: open questions. esp lists them until they are answered.",
        "# hotspots:",
        f"#   - hotspot: What happens when a {snake(first).replace('_', ' ')} is never completed?",
        f"#     about: {first}",
        "",
        "# Sagas: a long-lived transaction as local steps with compensations, e.g.",
        "# sagas:",
        "#   - saga: BookTrip",
        "#     in: trips",
        "#     starts_on: TripRequested",
        "#     recovery: backward",
        "#     compensate_failed_step: false",
        "#     steps:",
        "#       - {step: Reserve flight, invoke: ReserveFlight, succeeds_on: FlightReserved,",
        "#          fails_on: FlightReservationFailed, compensate: CancelFlight}",
        "#     completes_with: TripBooked",
        "#     aborts_with: TripRejected",
    ]
    return "\n".join(lines) + "\n"


def new_journey(answers: Answers, target: Path) -> list[Path]:
    """Write a new journey at ``target`` (and the schema beside it, if missing).
    Never overwrites: an existing journey file is an error."""
    if target.exists():
        raise UserError(f"{target} already exists", hint="choose another name or folder; esp new never overwrites")
    target.parent.mkdir(parents=True, exist_ok=True)
    written = []
    schema_file = target.parent / "journey.schema.json"
    if not schema_file.exists():
        from esp.schema import schema_text

        schema_file.write_text(schema_text(), encoding="utf-8")
        written.append(schema_file)
    text = render(answers, schema_file.name)
    with target.open("x", encoding="utf-8") as f:  # "x": fail rather than overwrite, even in a race
        f.write(text)
    written.append(target)
    return written
