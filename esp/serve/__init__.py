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


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


__all__ = ["Board", "BoardServer", "Snapshot", "Workshop", "is_loopback", "missing_journeys", "serve"]
