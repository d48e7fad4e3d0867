"""Load journey YAML safely, keeping the file, line and column of every node.

PyYAML's constructors are not used: they resolve YAML 1.1 booleans (``on:``
becomes ``True``, which would eat a listener's key), keep the last of two
duplicate keys silently, and recurse per level. Instead the parser's event
stream (libyaml when available) is built into plain Python data here, in one
iterative pass that also enforces the limits below. No tag is ever
constructed into an object, so ``!!python/...`` cannot run code.
"""

from __future__ import annotations

import gc
import math
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import yaml

from esp import files
from esp.errors import Capped, Diagnostic, Location, diagnostic

MAX_BYTES = 5 * 1024 * 1024  # a journey is a few KiB; this bounds memory and time
MAX_LINE = 50_000
MAX_DEPTH = 50
MAX_NODES = 200_000  # after alias expansion: stops "billion laughs"

NodePath = tuple[str | int, ...]

_CORE = "tag:yaml.org,2002:"
_ALLOWED_TAGS = {_CORE + t for t in ("str", "int", "float", "bool", "null", "map", "seq")} | {"!"}

# YAML 1.2 core schema: 'on', 'yes' and 'no' stay text.
_NULL = re.compile(r"^(?:~|null|Null|NULL|)$")
_BOOL = {"true": True, "True": True, "TRUE": True, "false": False, "False": False, "FALSE": False}
_INT = re.compile(r"^[-+]?[0-9]+$")
_INT_OCT = re.compile(r"^0o[0-7]+$")
_INT_HEX = re.compile(r"^0x[0-9a-fA-F]+$")
_FLOAT = re.compile(r"^[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?$")
_INF = re.compile(r"^[-+]?\.(?:inf|Inf|INF)$")
_NAN = re.compile(r"^\.(?:nan|NaN|NAN)$")


class Mark(Protocol):
    """Where the parser read something: 0-based, as PyYAML's and libyaml's marks are."""

    @property
    def line(self) -> int: ...

    @property
    def column(self) -> int: ...


class Positions(Mapping[NodePath, tuple[int, int]]):
    """The 1-based (line, column) of each node (or key), kept as the parser's own marks and turned into
    numbers only when asked: a file of 190,000 lines has 380,000 positions and only the few that a
    diagnostic shows are ever read (docs/performance.md)."""

    __slots__ = ("marks",)

    def __init__(self, marks: dict[NodePath, Mark] | None = None) -> None:
        self.marks: dict[NodePath, Mark] = {} if marks is None else marks

    def __getitem__(self, path: NodePath) -> tuple[int, int]:
        mark = self.marks[path]
        return (mark.line + 1, mark.column + 1)

    def __contains__(self, path: object) -> bool:
        return path in self.marks

    def __iter__(self) -> Iterator[NodePath]:
        return iter(self.marks)

    def __len__(self) -> int:
        return len(self.marks)


@dataclass
class Document:
    """One journey file: its data and where each node of it was written."""

    file: str
    data: dict[str, Any]
    values: Mapping[NodePath, tuple[int, int]] = field(default_factory=dict)
    keys: Mapping[NodePath, tuple[int, int]] = field(default_factory=dict)

    def loc(self, path: NodePath, *, key: bool = False) -> Location:
        """Where the node at ``path`` (or its key) was written; falls back to the
        nearest enclosing node that has a position (e.g. inside an alias)."""
        table = self.keys if key else self.values
        if key and path not in table:
            table = self.values
        p = path
        while p:
            if p in table:
                line, col = table[p]
                return Location(self.file, line, col)
            p = p[:-1]
        line, col = self.values.get((), (1, 1))
        return Location(self.file, line, col)


class _Fatal(Exception):
    def __init__(self, diag: Diagnostic) -> None:
        self.diag = diag


def load_path(path: Path, display: str | None = None) -> tuple[Document | None, list[Diagnostic]]:
    """Read and load one journey file; a fatal problem gives no document."""
    name = display if display is not None else str(path)
    try:
        size = path.stat().st_size
        if size > MAX_BYTES:
            return None, [diagnostic("E004", Location(name), size=f"{size:,}", limit=MAX_BYTES)]
        raw = files.read_bytes(path, MAX_BYTES)  # a FIFO or device is refused, never waited on
    except FileNotFoundError:
        return None, [diagnostic("E001", Location(name), path=name)]
    except OSError as exc:
        return None, [diagnostic("E002", Location(name), path=name, reason=files.reason(exc))]
    return load_bytes(raw, name)


def load_bytes(raw: bytes, name: str) -> tuple[Document | None, list[Diagnostic]]:
    """Decode (UTF-8, with or without BOM) and load."""
    if len(raw) > MAX_BYTES:
        size = f"more than {MAX_BYTES:,}" if len(raw) == MAX_BYTES + 1 else f"{len(raw):,}"  # only so much is read
        return None, [diagnostic("E004", Location(name), size=size, limit=MAX_BYTES)]
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        before = raw[: exc.start].decode("utf-8-sig", errors="replace")  # count characters, not bytes
        line, col = _position(before, len(before))
        return None, [diagnostic("E003", Location(name, line, col), byte=raw[exc.start])]
    return load_text(text, name)


def load_text(text: str, name: str) -> tuple[Document | None, list[Diagnostic]]:
    """Load YAML text into a :class:`Document`, with every problem found."""
    long = max(map(len, text.splitlines()), default=0) > MAX_LINE  # the lines' list is not kept while loading
    for number, line in enumerate(text.splitlines() if long else (), start=1):
        if len(line) > MAX_LINE:
            return None, [
                diagnostic("E005", Location(name, number, MAX_LINE + 1), line=number, length=len(line), limit=MAX_LINE)
            ]
    builder = _Builder(name)
    try:
        doc = builder.build(text)
    except _Fatal as fatal:
        return None, [*builder.problems, fatal.diag]
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        problem = exc.problem or "the text is not valid YAML"
        if exc.context_mark is not None and "quoted scalar" in (exc.context or ""):
            mark = exc.context_mark  # the quote that is never closed, not the end of the file
        loc = Location(name, mark.line + 1, mark.column + 1) if mark else Location(name)
        hint = _syntax_hint(problem, exc.context or "", text, mark)
        typed = _unquoted_type(text, mark) if "flow" in (exc.context or "") else None
        if typed is not None:  # the user's mistake is the type, not the mapping around it
            hint = f"quote the type: \"{typed}\" (inside '{{...}}' or '[...]' an unquoted '[' starts a YAML list)"
        elif exc.context_mark is not None and "flow" in (exc.context or ""):
            hint += f" (it opens at line {exc.context_mark.line + 1}, column {exc.context_mark.column + 1})"
        return None, [*builder.problems, diagnostic("E006", loc, problem=problem, hint=hint)]
    except yaml.reader.ReaderError as exc:  # a control character: libyaml's position counts bytes, so find it
        index = text.find(chr(exc.character)) if isinstance(exc.character, int) else -1
        index = index if index >= 0 else min(exc.position, len(text))
        row, column = _position(text, index)
        problem = f"the control character U+{exc.character:04X} is not allowed in YAML"
        hint = "remove it (it may have come from copying text out of another program)"
        return None, [*builder.problems, diagnostic("E006", Location(name, row, column), problem=problem, hint=hint)]
    except yaml.YAMLError as exc:  # anything else the parser raises: still located, never a traceback
        hint = "check the indentation and quoting"
        return None, [*builder.problems, diagnostic("E006", Location(name, 1, 1), problem=str(exc), hint=hint)]
    return doc, builder.problems


_LINE_BREAK = re.compile("\r\n|[\r\n\x85\u2028\u2029]")  # as the YAML parser counts lines


def _position(text: str, index: int) -> tuple[int, int]:
    """1-based line and column of ``text[index]``."""
    breaks = list(_LINE_BREAK.finditer(text, 0, index))
    start = breaks[-1].end() if breaks else 0
    return len(breaks) + 1, index - start + 1


_TYPE_BEFORE = re.compile(r"[A-Za-z_][\w.]*$")  # 'list' of 'list[str]', 'optional', 'order.Money'


def _unquoted_type(text: str, mark: Any) -> str | None:
    """A field type with brackets written unquoted in flow style (``{items: list[str]}``), which YAML reads as a
    word followed by a list: the type as written, if the error is at its '['."""
    lines = text.splitlines()
    if mark is None or mark.line >= len(lines):
        return None
    line: str = lines[mark.line]
    col: int = mark.column
    word = _TYPE_BEFORE.search(line[:col])
    if word is None or line[col : col + 1] != "[":
        return None
    depth = 0
    for end in range(col, len(line)):  # to the bracket that closes the first
        depth += {"[": 1, "]": -1}.get(line[end], 0)
        if depth == 0:
            return line[word.start() : end + 1]
    return None  # not closed on its line: no type to show


def _syntax_hint(problem: str, context: str, text: str, mark: Any) -> str:
    """How to fix a YAML syntax error: PyYAML says what it was doing, not what to change."""
    line = text.splitlines()[mark.line] if mark is not None and mark.line < len(text.splitlines()) else ""
    if "\t" in line[: len(line) - len(line.lstrip())] or ("cannot start any token" in problem and "\t" in line):
        return "indent with spaces: YAML does not allow tabs for indentation"
    if "flow sequence" in context:
        return "close the list with ']' and separate its entries with ','"
    if "flow mapping" in context:
        return "close the mapping with '}' and separate its entries with ','"
    if "quoted scalar" in context:
        return "close the quote: a text that starts with a quote must end with the same quote"
    if "mapping values are not allowed" in problem:
        return "quote a value that contains ': ', or check the indentation of this key"
    if "block" in context:
        return "line the keys of one mapping (and the '-' of one list) up in the same column"
    return "check the indentation and quoting here"


@dataclass(slots=True)
class _Frame:
    container: dict[str, Any] | list[Any]
    path: NodePath
    anchor: str | None
    is_map: bool
    size: int = 1
    key: str | None = None  # a mapping's key waiting for its value


_DUPLICATE = "\0duplicate"  # the key of a value that is read, then dropped (the first of two keys stays)


class _Builder:
    """Turns the parser's events into data, positions and problems."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.problems = Capped()
        self.values: dict[NodePath, Mark] = {}  # the parser's marks, not (line, column): see Positions
        self.keys: dict[NodePath, Mark] = {}
        self.anchors: dict[str, tuple[Any, int]] = {}
        self.nodes = 0
        self.documents = 0
        self.resolved: dict[str, Any] = {}  # plain scalars that are not text, as read: a file repeats its numbers

    def loc(self, mark: Any) -> Location:
        return Location(self.name, mark.line + 1, mark.column + 1)

    def build(self, text: str) -> Document:
        """One pass over the parser's events. The scalar in a mapping or a list (nearly every event) is handled
        inline, without a call per event: a file of 190,000 lines is 380,000 events (docs/performance.md)."""
        root: list[Any] = []
        loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)(text)
        collecting = gc.isenabled()
        gc.disable()  # the events and the data built make no reference cycles: nothing for the collector to find
        try:
            self.scan(loader.get_event, root)
        finally:
            loader.dispose()
            if collecting:
                gc.enable()
        if not root:
            raise _Fatal(diagnostic("E011", Location(self.name, 1, 1)))
        data = root[0]
        if not isinstance(data, dict):
            where = Positions(self.values).get((), (1, 1))
            raise _Fatal(diagnostic("E012", Location(self.name, *where), found=_describe(data)))
        return Document(self.name, data, Positions(self.values), Positions(self.keys))

    def scan(self, next_event: Callable[[], Any], root: list[Any]) -> None:
        stack: list[_Frame] = []
        values, keys, duplicate = self.values, self.keys, _DUPLICATE
        scalar_event, text_start, resolved = yaml.ScalarEvent, _TEXT_START, self.resolved
        got: Any
        mark: Any  # a libyaml or PyYAML mark (typed as optional on events: never None from the parser)
        # A for loop, not a while loop: CPython 3.11 specializes a loop's code as it runs only at a backward
        # jump, which a while loop's test is not; this loop runs once a file, so that is twice as fast.
        for got in iter(next_event, None):  # None after the stream's end
            if type(got) is not scalar_event or not stack or got.tag is not None:
                self.event(stack, root, got)
                continue
            ev = got  # the scalar stored below: this one, or the value of the key this one is
            top = stack[-1]  # a plain untagged scalar in a collection: most events, handled without a call
            container: Any = top.container
            key = top.key
            if not top.is_map:
                path = (*top.path, len(container))
            elif key is not None:  # the value of a key read before
                path = (*top.path, key)
                top.key = None
            else:  # a key: never resolved ('on:' stays 'on')
                key, mark = ev.value, ev.start_mark
                path = (*top.path, key)
                if key in container:
                    self.duplicate(path, key, mark)
                    key = duplicate  # its value is read, then dropped (the first of two keys stays)
                    path = (*top.path, key)
                else:
                    keys[path] = mark
                ev = next_event()  # its value, most often a plain scalar too: taken in this same turn
                if type(ev) is not scalar_event or ev.tag is not None:  # a collection, an alias, a tagged scalar
                    top.key = key
                    self.event(stack, root, ev)
                    continue
            value = ev.value
            if not ev.style and value[:1] not in text_start:  # a number, true, null... (or text, from its start)
                try:
                    value = resolved[value]
                except KeyError:
                    value = self.plain(value, ev.start_mark)
            if not top.is_map:
                container.append(value)
            elif key is not duplicate:
                container[key] = value
            mark = ev.start_mark
            values[path] = mark
            top.size += 1
            self.nodes += 1
            if self.nodes > MAX_NODES:
                raise _Fatal(diagnostic("E008", self.loc(mark), limit=MAX_NODES))
            if ev.anchor:
                self.anchors[ev.anchor] = (value, 1)

    def plain(self, value: str, mark: Any) -> Any:
        """A plain scalar that may not be text, resolved (a number, true, null...) and remembered: the
        next same one is a look-up. Only so many are remembered (a file may hold 190,000 numbers)."""
        found = _plain_fast(value, self, mark)
        if len(self.resolved) < 1_000:
            self.resolved[value] = found
        return found

    def event(self, stack: list[_Frame], root: list[Any], ev: Any) -> None:
        """Any event but a plain untagged scalar inside a collection."""
        if isinstance(ev, yaml.ScalarEvent):
            self.scalar(stack, root, ev)
        elif isinstance(ev, yaml.DocumentStartEvent):
            self.documents += 1
            if self.documents > 1:
                raise _Fatal(diagnostic("E010", self.loc(ev.start_mark)))
        elif isinstance(ev, (yaml.MappingStartEvent, yaml.SequenceStartEvent)):
            self.start(stack, ev)
        elif isinstance(ev, (yaml.MappingEndEvent, yaml.SequenceEndEvent)):
            frame = stack.pop()
            if frame.anchor:
                self.anchors[frame.anchor] = (frame.container, frame.size)
            self.attach(stack, root, frame.container, frame.size, ev.start_mark)
        elif isinstance(ev, yaml.AliasEvent):
            self.alias(stack, root, ev)

    def start(self, stack: list[_Frame], ev: Any) -> None:
        self.check_tag(ev)
        path = self.child_path(stack)
        if len(stack) >= MAX_DEPTH:
            raise _Fatal(diagnostic("E007", self.loc(ev.start_mark), limit=MAX_DEPTH))
        self.values[path] = ev.start_mark
        is_map = isinstance(ev, yaml.MappingStartEvent)
        stack.append(_Frame({} if is_map else [], path, ev.anchor, is_map))

    def alias(self, stack: list[_Frame], root: list[Any], ev: Any) -> None:
        if ev.anchor not in self.anchors:
            raise _Fatal(
                diagnostic(
                    "E006",
                    self.loc(ev.start_mark),
                    problem=f"unknown alias *{ev.anchor}",
                    hint="define the anchor (&name) before using it",
                )
            )
        value, size = self.anchors[ev.anchor]
        self.values[self.child_path(stack)] = ev.start_mark
        self.count(size, ev.start_mark)
        self.attach(stack, root, value, size, ev.start_mark)

    def duplicate(self, path: NodePath, key: str, mark: Mark) -> None:
        first = self.keys.get(path)
        first_line = first.line + 1 if first is not None else mark.line + 1
        loc = Location(self.name, mark.line + 1, mark.column + 1)
        self.problems.add("E013", lambda: diagnostic("E013", loc, key=key, first_line=first_line))

    def child_path(self, stack: list[_Frame]) -> NodePath:
        if not stack:
            return ()
        top = stack[-1]
        if isinstance(top.container, list):
            return (*top.path, len(top.container))
        return (*top.path, top.key) if top.key is not None else top.path

    def count(self, size: int, mark: Any) -> None:
        self.nodes += size
        if self.nodes > MAX_NODES:
            raise _Fatal(diagnostic("E008", self.loc(mark), limit=MAX_NODES))

    def check_tag(self, ev: Any) -> None:
        tag = ev.tag
        if tag is not None and tag not in _ALLOWED_TAGS:
            shown = "!!" + tag[len(_CORE) :] if tag.startswith(_CORE) else tag
            raise _Fatal(diagnostic("E009", self.loc(ev.start_mark), tag=shown))

    def scalar(self, stack: list[_Frame], root: list[Any], ev: Any) -> None:
        if ev.tag is not None:
            self.check_tag(ev)
        top = stack[-1] if stack else None
        if top is not None and isinstance(top.container, dict) and top.key is None:
            self.take_key(top, ev)
            return
        value = self.resolve(ev)
        path = self.child_path(stack)
        self.values[path] = ev.start_mark
        if ev.anchor:
            self.anchors[ev.anchor] = (value, 1)
        self.attach(stack, root, value, 1, ev.start_mark)

    def take_key(self, frame: _Frame, ev: Any) -> None:
        assert isinstance(frame.container, dict)
        key = ev.value  # keys are never resolved: 'on:' stays 'on'
        mark = ev.start_mark
        path = (*frame.path, key)
        if key in frame.container:
            self.duplicate(path, key, mark)
            frame.key = _DUPLICATE  # the value is read, then dropped
        else:
            frame.key = key
            self.keys[path] = mark

    def attach(self, stack: list[_Frame], root: list[Any], value: Any, size: int, mark: Any) -> None:
        self.nodes += 1  # self.count(1, mark), inlined: once per node
        if self.nodes > MAX_NODES:
            raise _Fatal(diagnostic("E008", self.loc(mark), limit=MAX_NODES))
        if not stack:
            root.append(value)
            return
        top = stack[-1]
        top.size += size
        if isinstance(top.container, list):
            top.container.append(value)
        elif top.key is None:  # a collection used as a key
            raise _Fatal(
                diagnostic(
                    "E006", self.loc(mark), problem="a mapping key must be plain text", hint="write 'key: value'"
                )
            )
        else:
            if top.key is not _DUPLICATE:
                top.container[top.key] = value
            top.key = None

    def resolve(self, ev: Any) -> Any:
        value: str = ev.value
        tag = ev.tag
        if tag in (None, "!") and ev.style:  # quoted or block text
            return value
        kind = tag[len(_CORE) :] if tag and tag.startswith(_CORE) else None
        if kind == "str" or (tag == "!"):
            return value
        try:
            resolved = _plain(value)
        except ValueError:  # Python refuses to read integers of more than 4,300 digits
            raise _Fatal(
                diagnostic(
                    "E006",
                    self.loc(ev.start_mark),
                    problem=f"a number of {len(value):,} digits is too long to read",
                    hint="quote it to make it text",
                )
            ) from None
        if kind is None:
            return resolved
        wanted = {"int": int, "float": float, "bool": bool, "null": type(None)}.get(kind)
        if wanted is float and isinstance(resolved, int) and not isinstance(resolved, bool):
            return float(resolved)
        if wanted is not None and type(resolved) is wanted:
            return resolved
        raise _Fatal(
            diagnostic(
                "E006", self.loc(ev.start_mark), problem=f"'{value}' is not a valid !!{kind}", hint="remove the tag"
            )
        )


_TEXT_START = frozenset("abcdeghijklmopqrsuvwxyzABCDEGHIJKLMOPQRSUVWXYZ_")  # no null, bool or number starts so


def _plain_fast(value: str, builder: _Builder, mark: Any) -> Any:
    """:func:`_plain`, answering most plain words from their first letter; too long a number is E006."""
    if value[:1] in _TEXT_START:
        return value
    if value.isdigit() and value.isascii() and len(value) < 4300:
        return int(value)
    try:
        return _plain(value)
    except ValueError:  # Python refuses to read integers of more than 4,300 digits
        raise _Fatal(
            diagnostic(
                "E006",
                builder.loc(mark),
                problem=f"a number of {len(value):,} digits is too long to read",
                hint="quote it to make it text",
            )
        ) from None


def _plain(value: str) -> Any:
    """Resolve a plain scalar by the YAML 1.2 core schema."""
    if _NULL.match(value):
        return None
    if value in _BOOL:
        return _BOOL[value]
    if _INT.match(value):
        return int(value)
    if _INT_OCT.match(value):
        return int(value[2:], 8)
    if _INT_HEX.match(value):
        return int(value[2:], 16)
    if _FLOAT.match(value):
        return float(value)
    if _INF.match(value):
        return -math.inf if value.startswith("-") else math.inf
    if _NAN.match(value):
        return math.nan
    return value


def _describe(value: Any) -> str:
    if value is None:
        return "null (an empty document)"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    return "a text"
