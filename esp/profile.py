"""Strictness profiles: what counts as a problem depends on where a team is.

``default`` is what code generation needs. ``workshop`` tolerates what is
normal halfway through an Event Storming session — a command not yet assigned
to an aggregate, an event nobody records yet, an open hotspot — and lists
those as to-dos instead of failing.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace

from esp.errors import Diagnostic, UserError

PROFILES = ("default", "workshop")

# Codes that are to-dos, not problems, in the workshop profile.
WORKSHOP_TODOS = frozenset(
    {
        "E036",  # a listener on an event nothing records yet
        "E239",  # a saga on an event nothing records yet
        "E047",  # commands or events not yet assigned to an aggregate
        "E050",  # a command whose events are not written yet
        "E057",  # nothing creates an aggregate yet
        "E251",  # ... or only listeners on events of aggregates nothing creates yet
        "E059",  # a listener's command needs fields its event does not carry yet
        "E060",  # ... or the id of the aggregate it goes to
        "E080",  # saga steps without compensations yet
        "E083",  # forward recovery without retries yet
        "E084",  # whether a failed step is compensated: not decided yet
        "W100",  # an event nothing records yet
        "W101",  # an integration event nobody listens to yet
        "W102",  # a state no event enters yet
        "W103",  # naming conventions: tidy up later
        "W104",
        "W105",  # an actor not listed yet
        "W106",  # open hotspots
        "W107",
        "W133",  # a read model whose events are not chosen yet
    }
)


def apply(diagnostics: Iterable[Diagnostic], profile: str) -> tuple[Diagnostic, ...]:
    """``diagnostics`` with what ``profile`` tolerates marked as to-dos."""
    if profile not in PROFILES:
        raise UserError(f"unknown profile {profile!r}", hint="use one of: " + ", ".join(PROFILES))
    if profile == "default":
        return tuple(diagnostics)
    return tuple(replace(d, todo=True) if d.code in WORKSHOP_TODOS else d for d in diagnostics)
