"""`esp serve`: a live board for workshops.

A watcher thread polls the journey files; on a change the :class:`Board`
re-validates and redraws, and every browser that has the page open hears of
it through server-sent events and fetches the new drawing. While the YAML is
invalid mid-edit, the board keeps the last good drawing and shows the errors.
With ``--edit`` a :class:`Workshop` takes the participants' changes into the
journey files. Only the Python standard library serves; the page needs
nothing from the internet.
"""

from __future__ import annotations

import gc
import ipaddress
from collections.abc import Sequence
from pathlib import Path

from esp.api import journey_files
from esp.errors import Diagnostic, Location, diagnostic
from esp.serve.board import Board, Snapshot
from esp.serve.server import BoardServer, serve
from esp.serve.workshop import Workshop


def missing_journeys(paths: Sequence[Path]) -> list[Diagnostic]:
    """What makes a board pointless from the start: a path that is not there, a folder without journeys."""
    _, problems = journey_files(paths)
    gone = [diagnostic("E001", Location(str(p)), path=str(p)) for p in paths if not p.exists()]
    return gone + [d for d in problems if d.location.file not in {g.location.file for g in gone}]


YOUNG_COLLECTION = 50_000  # new objects between the collector's young passes (Python's default: 700)


def collect_less() -> None:
    """Let Python's cycle collector run less often in this process (a board's own, long-lived).

    Each change builds the journey's document and model anew: hundreds of thousands of
    objects that all stay alive. With the default threshold the collector walks them over
    and over while they are built, a quarter of a 200-process journey's change (about
    0.1 s of CPU); the memory it would find is the last model's, freed by reference
    counting anyway."""
    gc.set_threshold(YOUNG_COLLECTION, *gc.get_threshold()[1:])


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


__all__ = [
    "Board",
    "BoardServer",
    "Snapshot",
    "Workshop",
    "collect_less",
    "is_loopback",
    "missing_journeys",
    "serve",
]
