"""`esp serve`: a live board for workshops.

A watcher thread polls the journey files; on a change the :class:`Board`
re-validates and redraws, and every browser that has the page open hears of
it through server-sent events and fetches the new drawing. While the YAML is
invalid mid-edit, the board keeps the last good drawing and shows the errors.
Only the Python standard library serves; the page needs nothing from the
internet.
"""

from esp.serve.board import Board, Snapshot
from esp.serve.server import BoardServer, serve

__all__ = ["Board", "BoardServer", "Snapshot", "serve"]
