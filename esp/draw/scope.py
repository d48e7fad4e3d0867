"""Which part of the model to draw: ``--process NAME`` and ``--microservice NAME``.

Names match as people write them: 'Cook and Serve', 'cook-and-serve' and
'CookAndServe' are the same process.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass

from esp.errors import UserError
from esp.model import Microservice, Model, Process
from esp.names import snake


@dataclass(frozen=True)
class Scope:
    """The processes to draw (in model order) and what the filter said."""

    processes: tuple[Process, ...]
    whole: bool
    note: str = ""

    def has(self, process: Process) -> bool:
        return any(p is process for p in self.processes)

    @property
    def microservices(self) -> tuple[Microservice, ...]:
        return tuple(dict.fromkeys(p.microservice for p in self.processes))


def _same(a: str, b: str) -> bool:
    return snake(a) == snake(b)


def _suggest(name: str, known: list[str], what: str) -> str:
    """'did you mean ...?' for the nearest known name (compared as people write them), then the list."""
    by_key = {snake(k): k for k in known}
    close = difflib.get_close_matches(snake(name), list(by_key), n=1, cutoff=0.6)
    listed = f"{what}: " + ", ".join(known)
    return f"did you mean {by_key[close[0]]!r}? {listed}" if close else listed


def select(model: Model, process: str | None = None, microservice: str | None = None) -> Scope:
    """The processes named by the filters; a name that matches nothing is a user error."""
    processes = model.processes
    notes = []
    if microservice is not None:
        if not any(_same(m.name, microservice) for m in model.microservices):
            raise UserError(
                f"no microservice named {microservice!r} in this model",
                hint=_suggest(microservice, [m.name for m in model.microservices], "microservices"),
            )
        processes = tuple(p for p in processes if _same(p.microservice.name, microservice))
        notes.append(f"microservice {microservice}")
    if process is not None:
        if not any(_same(p.name, process) for p in model.processes):
            raise UserError(
                f"no process named {process!r} in this model",
                hint=_suggest(process, [p.name for p in model.processes], "processes"),
            )
        processes = tuple(p for p in processes if _same(p.name, process))
        notes.append(f"process {process}")
        if not processes:
            raise UserError(f"process {process!r} is not in microservice {microservice!r}")
    return Scope(processes, whole=not notes, note=("only " + ", ".join(notes)) if notes else "")
