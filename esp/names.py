"""The one resolver from sticky-note names to Python names.

Every renderer and generator asks here, so "Open Table", "open-table" and
"OpenTable" mean the same class everywhere, and the checks can warn before two
names collide.
"""

from __future__ import annotations

import builtins
import keyword
import re

_WORD = re.compile(r"[A-Z]+(?=[A-Z][a-z])|[A-Z]?[a-z]+|[A-Z]+|[0-9]+")
BUILTINS = frozenset(name for name in dir(builtins) if not name.startswith("_"))
# Soft keywords as the newest supported Python has them ('type' since 3.12), so that what esp says about a
# field named 'type' does not depend on the Python that runs it.
SOFT_KEYWORDS = frozenset(keyword.softkwlist) | {"_", "case", "match", "type"}


def is_keyword(ident: str) -> bool:
    """A keyword or soft keyword of Python, whichever version runs esp."""
    return keyword.iskeyword(ident) or ident in SOFT_KEYWORDS


def words(name: str) -> list[str]:
    """Split a name into words: 'OpenTable', 'open table', 'open_table' and
    'open-table' all give ['open', 'table']; 'HTTPRequest' gives ['http', 'request']."""
    return [w.lower() for w in _WORD.findall(name)]


def pascal(name: str) -> str:
    """A class name: 'open table' -> 'OpenTable' (acronyms keep their case)."""
    parts = [w for w in re.split(r"[^A-Za-z0-9]+", name) if w]
    return "".join(p[0].upper() + p[1:] for p in parts)


def snake(name: str) -> str:
    """A module, function or field name: 'OpenTable' -> 'open_table'."""
    return "_".join(words(name))


def safe(ident: str) -> str:
    """Escape a keyword or builtin with a trailing underscore ('class' -> 'class_')."""
    if is_keyword(ident) or ident in BUILTINS:
        return ident + "_"
    return ident


def field_name(name: str) -> str:
    return safe(snake(name))


def module_name(name: str) -> str:
    return safe(snake(name))


def class_name(name: str) -> str:
    return pascal(name)


def human(name: str) -> str:
    """A label for people: 'OpenTable' -> 'Open Table'."""
    if " " in name:
        return name
    return " ".join(w if w.isupper() and len(w) > 1 else w.capitalize() for w in _split_keep_case(name))


def _split_keep_case(name: str) -> list[str]:
    return [w for w in re.findall(r"[A-Z]+(?=[A-Z][a-z])|[A-Z]?[a-z]+|[A-Z]+|[0-9]+", name) if w]
