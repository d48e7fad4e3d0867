"""Which part of the model to draw: ``--process NAME`` and ``--microservice NAME``.

Names match as people write them: 'Cook and Serve', 'cook-and-serve' and
'CookAndServe' are the same process.
"""

from __future__ import annotations

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


def select(model: Model, process: str | None = None, microservice: str | None = None) -> Scope:
    """The processes named by the filters; a name that matches nothing is a user error."""
    processes = model.processes
    notes = []
    if microservice is not None:
        if not any(_same(m.name, microservice) for m in model.microservices):
            raise UserError(
                f"no microservice named {microservice!r} in this model",
                hint="microservices: " + ", ".join(m.name for m in model.microservices),
            )
        processes = tuple(p for p in processes if _same(p.microservice.name, microservice))
        notes.append(f"microservice {microservice}")
    if process is not None:
        if not any(_same(p.name, process) for p in model.processes):
            raise UserError(
                f"no process named {process!r} in this model",
                hint="processes: " + ", ".join(p.name for p in model.processes),
            )
        processes = tuple(p for p in processes if _same(p.name, process))
        notes.append(f"process {process}")
        if not processes:
            raise UserError(f"process {process!r} is not in microservice {microservice!r}")
    return Scope(processes, whole=not notes, note=("only " + ", ".join(notes)) if notes else "")
