"""A change from the board written into a journey's YAML text, touching only
the changed lines.

Positions come from esp's own loader, which keeps every node's line and
column; the change is spliced into the text there, so every other byte of the
file — comments, key order, quoting, blank lines — stays as it was. A
round-trip library was measured for this and not used: ruamel.yaml rewrites
``null`` as an empty value in three of the five example journeys, puts an item
appended to a list after the comment that introduces the next section, and
takes 2.1 s to parse a 200-process journey where the board's budget for a
whole change is 1 s. The spliced text is loaded again and must hold exactly
the intended data: a layout the splice does not handle is refused, never
written wrong.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import yaml

from esp.load import Document, NodePath, load_text

KINDS = ("event", "command", "hotspot", "actor", "process", "listener")
MAX_TEXT = 300  # a sticky's text; a hostile request gets a short refusal


class Refused(Exception):
    """A change that cannot be made: the message says why (shown on the board)."""

    def __init__(self, message: str, hint: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint


@dataclass(frozen=True)
class Change:
    """One change asked for on the board.

    ``name`` is the new element's name (add) or the current one (rename,
    remove); a listener is named ``"<on> → <command>"``, a hotspot by its text.
    ``details`` carry what an addition needs: ``process`` (event, command),
    ``integration`` ("yes" for an integration event), ``emits`` (command),
    ``microservice`` and ``actor`` (process), ``about`` and ``by`` (hotspot),
    ``on``, ``in`` and ``command`` (listener)."""

    action: str  # "add", "rename" or "remove"
    kind: str
    name: str
    new_name: str = ""
    details: Mapping[str, str] = field(default_factory=dict)

    def describe(self) -> str:
        """What the change log says, e.g. "added event DishRated to Dine"."""
        if self.action == "rename":
            return f"renamed {self.kind} {self.name} to {self.new_name}"
        if self.action == "remove":
            return f"removed {self.kind} {self.name}"
        where = self.details.get("process") or ""
        return f"added {self.kind} {self.name}" + (f" to {where}" if where else "")


# The edits a change is made of, on data and on text alike.
@dataclass(frozen=True)
class Append:
    parent: NodePath  # the mapping that holds (or will hold) the list
    key: str
    item: Any


@dataclass(frozen=True)
class Replace:
    path: NodePath
    new: str
    key: bool = False  # the mapping key at ``path`` instead of its value


@dataclass(frozen=True)
class Remove:
    seq: NodePath
    index: int
    drop_key: bool = False  # the last item of a block list goes with its key ("events:")


Edit = Append | Replace | Remove


def listener_name(on: str, command: str) -> str:
    return f"{on} → {command}"


def apply(text: str, doc: Document, change: Change) -> tuple[str, Document]:
    """The journey ``text`` (loaded as ``doc``) with ``change`` made, and its new Document."""
    lines = _lines(text)
    edits = [_dropping(lines, doc, e) if isinstance(e, Remove) else e for e in edits_for(change, doc.data)]
    expected = _apply_data(doc.data, edits)
    new_text = splice(text, doc, edits)
    new_doc, problems = load_text(new_text, doc.file)
    if new_doc is None or new_doc.data != expected:
        detail = problems[0].message if problems else "the result would not hold the intended change"
        raise Refused(
            f"cannot write this change into {doc.file}'s layout ({detail})",
            hint="make it in the editor; the board's changes need block-style lists",
        )
    return new_text, new_doc


# -- which edits a change is --------------------------------------------------------------------


def edits_for(change: Change, data: Mapping[str, Any]) -> list[Edit]:
    if change.kind not in KINDS:
        raise Refused(f"unknown kind {change.kind!r}", hint="one of: " + ", ".join(KINDS))
    for text in (change.name, change.new_name, *change.details.values()):
        _check_text(text)
    if change.action == "add":
        return [_addition(change, data)]
    seq, index = locate(data, change.kind, change.name)
    if change.action == "remove":
        return [Remove(seq, index)]
    if change.action == "rename":
        if change.kind == "listener":
            raise Refused("a listener has no name of its own", hint="remove it and add another")
        if not change.new_name.strip():
            raise Refused("the new name is empty")
        return list(_references(data, change.kind, change.name, change.new_name.strip()))
    raise Refused(f"unknown action {change.action!r}", hint="add, rename or remove")


def _check_text(text: str) -> None:
    if len(text) > MAX_TEXT:
        raise Refused(f"a text of {len(text)} characters is too long for a sticky (at most {MAX_TEXT})")
    if any(ord(c) < 32 for c in text):
        raise Refused("a sticky's text is one line without control characters")


def _addition(change: Change, data: Mapping[str, Any]) -> Append:
    name, d = change.name.strip(), change.details
    if not name:
        raise Refused(f"the {change.kind} needs a name")
    if change.kind in ("event", "command"):
        process = _process_index(data, d.get("process", ""))
        if change.kind == "event":
            event: dict[str, Any] = {"event": name}
            if d.get("integration") == "yes":
                event["kind"] = "integration"
            return Append(("processes", process), "events", event)
        command: dict[str, Any] = {"command": name}
        if d.get("emits"):
            command["emits"] = [d["emits"]]
        return Append(("processes", process), "actions", command)
    if change.kind == "hotspot":
        hotspot = {"hotspot": name} | {k: d[k] for k in ("about", "by") if d.get(k)}
        return Append((), "hotspots", hotspot if len(hotspot) > 1 else name)
    if change.kind == "actor":
        return Append((), "actors", name)
    if change.kind == "process":
        if not d.get("microservice"):
            raise Refused("a process needs the microservice that handles it")
        process_row = {"process": name} | {k: d[k] for k in ("actor", "microservice") if d.get(k)}
        return Append((), "processes", process_row)
    on, where, command_name = d.get("on", ""), d.get("in", ""), d.get("command", "")
    if not (on and where and command_name):
        raise Refused("a listener needs the event it hears, its microservice and the command it issues")
    return Append((), "listeners", {"on": on, "in": where, "command": command_name})


def _process_index(data: Mapping[str, Any], name: str) -> int:
    for i, process in enumerate(_list(data, "processes")):
        if isinstance(process, dict) and process.get("process") == name:
            return i
    raise Refused(f"no process {name!r} in this journey", hint="pick one of the map's rows")


def _list(node: Any, key: str) -> list[Any]:
    value = node.get(key) if isinstance(node, dict) else None
    return value if isinstance(value, list) else []


def locate(data: Mapping[str, Any], kind: str, name: str) -> tuple[NodePath, int]:
    """The list holding the element ``kind`` ``name``, and its index there."""
    for seq, index, item in _elements(data, kind):
        if element_name(kind, item) == name:
            return seq, index
    raise Refused(f"there is no {kind} {name!r} now", hint="someone may have renamed or removed it")


def element_name(kind: str, item: Any) -> str | None:
    if kind == "listener":
        return listener_name(str(item.get("on")), str(item.get("command"))) if isinstance(item, dict) else None
    if isinstance(item, str) and kind in ("actor", "hotspot"):
        return item
    value = item.get(kind) if isinstance(item, dict) else None
    return value if isinstance(value, str) else None


def _elements(data: Mapping[str, Any], kind: str) -> Iterator[tuple[NodePath, int, Any]]:
    if kind in ("event", "command"):
        lane = "events" if kind == "event" else "actions"
        for p, process in enumerate(_list(data, "processes")):
            for i, item in enumerate(_list(process, lane)):
                yield ("processes", p, lane), i, item
        return
    top = {"process": "processes", "actor": "actors", "hotspot": "hotspots", "listener": "listeners"}[kind]
    for i, item in enumerate(_list(data, top)):
        yield (top,), i, item


# Where each kind of name is used: a rename changes them all (in the same file).
_VALUE_KEYS = {
    "event": {"event", "on", "about", "starts_on", "succeeds_on", "fails_on", "completes_with", "aborts_with"},
    "command": {"command", "about", "invoke", "compensate"},
    "process": {"process", "about"},
    "actor": {"actor", "about"},
    "hotspot": {"hotspot"},
}
_LIST_KEYS = {"event": {"emits", "from"}, "actor": {"actors"}, "hotspot": {"hotspots"}}
_SCENARIO_KEYS = {"event": ("given", "then"), "command": ("when",)}


def _renamed(value: Any, old: str, new: str) -> str | None:
    """``value`` with the name ``old`` renamed: ``Old`` or a qualified ``kitchen.Old`` (None: it names another)."""
    if value == old:
        return new
    if isinstance(value, str) and value.endswith(f".{old}"):
        return value[: -len(old)] + new
    return None


def _references(data: Any, kind: str, old: str, new: str, path: NodePath = ()) -> Iterator[Replace]:
    if isinstance(data, dict):
        for key, value in data.items():
            here = (*path, key)
            renamed = _renamed(value, old, new)
            if renamed is not None and key in _VALUE_KEYS[kind]:
                yield Replace(here, renamed)
            elif isinstance(value, list) and key in _LIST_KEYS.get(kind, ()):
                found = ((i, _renamed(v, old, new)) for i, v in enumerate(value))
                yield from (Replace((*here, i), r) for i, r in found if r is not None)
            if path[:1] == ("scenarios",) and len(path) == 2 and key in _SCENARIO_KEYS.get(kind, ()):
                yield from _scenario_keys(value, here, old, new)
            yield from _references(value, kind, old, new, here)
    elif isinstance(data, list):
        for i, value in enumerate(data):
            yield from _references(value, kind, old, new, (*path, i))


def _scenario_keys(value: Any, path: NodePath, old: str, new: str) -> Iterator[Replace]:
    if path[-1] == "then" and isinstance(value, dict):
        return  # 'then: {rejected: <words>}': a rule's rejection, never an event to rename (its events are a list)
    steps = [(path, value)] if isinstance(value, dict) else [((*path, i), v) for i, v in enumerate(value or [])]
    for where, step in steps:
        for name in list(step) if isinstance(step, dict) else []:
            renamed = _renamed(name, old, new)
            if renamed is not None:
                yield Replace((*where, name), renamed, key=True)


# -- the edits on data --------------------------------------------------------------------------


def _apply_data(data: Mapping[str, Any], edits: Sequence[Edit]) -> dict[str, Any]:
    result: dict[str, Any] = copy.deepcopy(dict(data))
    for edit in sorted(edits, key=lambda e: isinstance(e, Replace) and e.key):  # keys last: paths stay true
        if isinstance(edit, Append):
            parent = _at(result, edit.parent)
            if isinstance(parent.get(edit.key), list):
                parent[edit.key].append(copy.deepcopy(edit.item))
            else:
                parent[edit.key] = [copy.deepcopy(edit.item)]
        elif isinstance(edit, Remove) and edit.drop_key:
            del _at(result, edit.seq[:-1])[edit.seq[-1]]
        elif isinstance(edit, Remove):
            del _at(result, edit.seq)[edit.index]
        elif edit.key:
            parent, old = _at(result, edit.path[:-1]), edit.path[-1]
            renamed = {(edit.new if k == old else k): v for k, v in parent.items()}
            parent.clear()
            parent.update(renamed)
        else:
            _at(result, edit.path[:-1])[edit.path[-1]] = edit.new
    return result


def _at(data: Any, path: NodePath) -> Any:
    for step in path:
        data = data[step]
    return data


# -- the edits on text --------------------------------------------------------------------------


def splice(text: str, doc: Document, edits: Sequence[Edit]) -> str:
    """``text`` with ``edits`` (one Append, one Remove, or Replaces) made in place."""
    lines = _lines(text)
    newline = "\r\n" if "\r\n" in text else "\n"
    replaces = [e for e in edits if isinstance(e, Replace)]
    for edit in sorted(replaces, key=lambda e: _position(doc, e.path, e.key), reverse=True):
        _replace(lines, doc, edit)
    for other in edits:
        if isinstance(other, Append):
            _append(lines, doc, other, newline)
        elif isinstance(other, Remove):
            _remove(lines, doc, other)
    return "".join(lines)


def _lines(text: str) -> list[str]:
    """The lines with their breaks, counted as the YAML parser counts them (so positions agree)."""
    return [
        m.group(0)
        for m in re.finditer(r"[^\r\n\x85\u2028\u2029]*(?:\r\n|[\r\n\x85\u2028\u2029]|$)", text)
        if m.group(0)
    ]


def _position(doc: Document, path: NodePath, key: bool = False) -> tuple[int, int]:
    """0-based (line, column) of a node or key."""
    table = doc.keys if key else doc.values
    if path not in table:
        raise Refused("cannot find where this is written in the file", hint="make the change in the editor")
    line, col = table[path]
    return line - 1, col - 1


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" "))


def _is_blank(line: str) -> bool:
    return not line.strip()


def _is_comment(line: str) -> bool:
    return line.lstrip().startswith("#")


def _content_end(lines: Sequence[str], first: int, indent: int) -> int:
    """The line after the block starting at ``first`` whose content is indented
    more than ``indent`` (its trailing blank lines and outdented comments excluded)."""
    last = first
    for i in range(first + 1, len(lines)):
        line = lines[i]
        if _is_blank(line):
            continue
        if _indent(line) <= indent and not _is_comment(line):
            break
        if _indent(line) > indent:
            last = i
    return last + 1


def _dash(lines: Sequence[str], doc: Document, path: NodePath) -> tuple[int, int, int]:
    """A block sequence item's line, the column of its '-' and of its content."""
    line, col = _position(doc, path)
    dash = lines[line].rfind("-", 0, col)
    if dash < 0 or lines[line][dash + 1 : col].strip():
        raise Refused("cannot find the list item's '-' in the file", hint="make the change in the editor")
    return line, dash, col


def _seq_offset(lines: Sequence[str], doc: Document) -> int:
    """How far this file indents a block list's '-' under its key (2 when unknown)."""
    for path, (line, col) in doc.keys.items():
        item = (*path, 0)
        if item in doc.values and doc.values[item][0] > line:
            try:
                return _dash(lines, doc, item)[1] - (col - 1)
            except Refused:
                continue
    return 2


def _ensure_newline(lines: list[str], newline: str) -> None:
    if lines and not lines[-1].endswith(("\n", "\r")):
        lines[-1] += newline


def _append(lines: list[str], doc: Document, edit: Append, newline: str) -> None:
    parent = _at(doc.data, edit.parent)
    seq_path = (*edit.parent, edit.key)
    current = parent.get(edit.key)
    if isinstance(current, list):
        line, col = _position(doc, seq_path)
        if lines[line][col] == "[":
            _append_flow(lines, line, col, edit.item)
            return
        last, dash, content = _dash(lines, doc, (*seq_path, len(current) - 1))
        end = _content_end(lines, last, dash)
        spaced = len(current) > 1 and _is_blank(lines[last - 1])  # rows kept apart by a blank line
        item_col = content if isinstance(current[-1], dict) else dash + 2
        block = _block_item(edit.item, dash, item_col, newline)
        if end == len(lines):
            _ensure_newline(lines, newline)
        lines[end:end] = ([newline] if spaced else []) + block
        return
    offset = _seq_offset(lines, doc)
    if edit.key in parent:  # "events:" with nothing after it yet
        if current is not None:
            raise Refused(f"'{edit.key}' is not a list in the file", hint="make the change in the editor")
        key_line, key_col = _position(doc, seq_path, key=True)
        if lines[key_line][key_col:].split(":", 1)[1].split("#", 1)[0].strip():
            raise Refused(f"'{edit.key}' has a value the board cannot extend", hint="make the change in the editor")
        lines[key_line + 1 : key_line + 1] = _block_item(edit.item, key_col + offset, key_col + offset + 2, newline)
        return
    if edit.parent == ():  # a new top-level section at the end of the file
        _ensure_newline(lines, newline)
        gap = [newline] if lines and not _is_blank(lines[-1]) else []
        lines.extend([*gap, f"{edit.key}:{newline}", *_block_item(edit.item, offset, offset + 2, newline)])
        return
    first, dash, key_col = _dash(lines, doc, edit.parent)  # a process row without this lane yet
    end = _content_end(lines, first, dash)
    if end == len(lines):
        _ensure_newline(lines, newline)
    key = [f"{' ' * key_col}{edit.key}:{newline}"]
    lines[end:end] = key + _block_item(edit.item, key_col + offset, key_col + offset + 2, newline)


def _block_item(item: Any, dash: int, col: int, newline: str) -> list[str]:
    if not isinstance(item, dict):
        return [f"{' ' * dash}- {scalar(item)}{newline}"]
    out = []
    for n, (key, value) in enumerate(item.items()):
        lead = f"{' ' * dash}- " + " " * (col - dash - 2) if n == 0 else " " * col
        out.append(f"{lead}{key}: {_flow_value(value)}{newline}")
    return out


def _flow_value(value: Any) -> str:
    if isinstance(value, list):
        return "[" + ", ".join(scalar(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {_flow_value(v)}" for k, v in value.items()) + "}"
    return scalar(value)


def scalar(value: Any) -> str:
    """``value`` as YAML text that reads back as itself, quoted only when it must be
    (in flow style, so it is safe inside [...] too)."""
    dumped = yaml.safe_dump([value], default_flow_style=True, width=1 << 30, allow_unicode=True)
    return dumped.strip()[1:-1]


def _flow_close(lines: Sequence[str], line: int, col: int) -> tuple[int, int]:
    """The line and column of the bracket that closes the flow list opening at (line, col)."""
    depth, quote = 0, ""
    for n in range(line, len(lines)):
        text = lines[n]
        start = col if n == line else 0
        i = start
        while i < len(text):
            c = text[i]
            if quote:
                if c == "\\" and quote == '"':
                    i += 1
                elif c == quote:
                    quote = ""
            elif c in "'\"":
                quote = c
            elif c in "[{":
                depth += 1
            elif c in "]}":
                depth -= 1
                if depth == 0:
                    return n, i
            elif c == "#" and i > 0 and text[i - 1] in " \t":
                break
            i += 1
    raise Refused("cannot find the end of a [...] list", hint="make the change in the editor")


def _append_flow(lines: list[str], line: int, col: int, item: Any) -> None:
    end_line, end_col = _flow_close(lines, line, col)
    text = lines[end_line]
    before = text[:end_col]
    inside = "".join(lines[line:end_line])[col + 1 :] + before if end_line != line else before[col + 1 :]
    addition = _flow_value(item)
    stripped = before.rstrip()
    lines[end_line] = (stripped + (", " if inside.strip() else "") + addition) + text[len(stripped) :]


def _token_end(text: str, start: int) -> int:
    """Where the scalar (plain or quoted) starting at ``start`` on this line ends."""
    quote = text[start]
    if quote in "'\"":
        i = start + 1
        while i < len(text):
            if quote == "'" and text[i] == "'":
                if text[i + 1 : i + 2] == "'":
                    i += 2
                    continue
                return i + 1
            if quote == '"' and text[i] == "\\":
                i += 2
                continue
            if quote == '"' and text[i] == '"':
                return i + 1
            i += 1
        raise Refused("a quoted name spans lines", hint="make the change in the editor")
    stop = len(text.rstrip("\r\n"))
    ends = re.search(r"\s#|:(\s|$)|[,\]}]", text[start:stop])
    if ends:
        stop = start + ends.start()
    return start + len(text[start:stop].rstrip())


def _replace(lines: list[str], doc: Document, edit: Replace) -> None:
    line, col = _position(doc, edit.path, edit.key)
    text = lines[line]
    end = _token_end(text, col)
    lines[line] = text[:col] + scalar(edit.new) + text[end:]


def _remove(lines: list[str], doc: Document, edit: Remove) -> None:
    items = _at(doc.data, edit.seq)
    line, col = _position(doc, edit.seq)
    if lines[line][col] == "[":
        _remove_flow(lines, doc, edit, len(items))
        return
    first, dash, _ = _dash(lines, doc, (*edit.seq, edit.index))
    end = _content_end(lines, first, dash)
    if edit.drop_key:
        first = _position(doc, edit.seq, key=True)[0]
        if first > 0 and _is_blank(lines[first - 1]) and (end == len(lines) or _is_blank(lines[end])):
            first -= 1
    elif len(items) == 1:  # the list becomes empty: "events: []"
        key_line, key_col = _position(doc, edit.seq, key=True)
        key_text = lines[key_line]
        colon = key_text.index(":", _token_end(key_text, key_col))
        lines[key_line] = key_text[: colon + 1] + " []" + key_text[colon + 1 :]
    elif first > 0 and _is_blank(lines[first - 1]) and (end == len(lines) or _is_blank(lines[end])):
        first -= 1  # the blank line that separated it from the item before
    del lines[first:end]


def _dropping(lines: Sequence[str], doc: Document, edit: Remove) -> Remove:
    """``edit``, dropping the key too when it removes the one item of a plain block list
    (a section the board added goes as it came; a commented key stays, as ``key: []``)."""
    items = _at(doc.data, edit.seq)
    if len(items) != 1 or not isinstance(edit.seq[-1], str) or (*edit.seq, 0) not in doc.values:
        return edit
    key_line, _ = _position(doc, edit.seq, key=True)
    item_line, _ = _position(doc, (*edit.seq, 0))
    plain = lines[key_line].rstrip().endswith(":") and "#" not in lines[key_line]
    return Remove(edit.seq, edit.index, drop_key=True) if plain and item_line == key_line + 1 else edit


def _remove_flow(lines: list[str], doc: Document, edit: Remove, count: int) -> None:
    line, col = _position(doc, (*edit.seq, edit.index))
    text = lines[line]
    end = _token_end(text, col)
    if edit.index + 1 < count:  # "A, " goes with the item
        after = re.match(r"\s*,\s*", text[end:])
        lines[line] = text[:col] + text[end + (after.end() if after else 0) :]
        return
    before = re.search(r",\s*$", text[:col]) if edit.index > 0 else None
    lines[line] = text[: before.start() if before else col] + text[end:]
