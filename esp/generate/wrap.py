"""Fit generated Python to 120 columns the way ruff format lays it out, whatever the length of the names.

The templates lay out code for names of ordinary length; a journey's names may be up to 40 characters
(E171), and several of them on one line go past 120 columns. Rather than a layout decision at every place
a template prints a name, the rendered module's long lines are split here, by ruff format's own rules for
the shapes the templates write: a comment is wrapped; a line ending in a bracket pair is split inside that
pair (its content on one line of its own if it fits, else one item a line with a trailing comma, else
recursively); a ``def`` splits at its parameters; a condition, ``return``, ``assert`` or assignment with
no bracket to split is put in parentheses. A line that opens a bracket the template closes lines later is
joined with those lines first (magic trailing commas kept). Only lines past 120 columns are touched, so what
fits is left exactly as the template wrote it. tests/test_fuzz.py checks the result with ruff format itself.
"""

from __future__ import annotations

import io
import textwrap
import tokenize
from dataclasses import dataclass
from keyword import iskeyword

LINE = 120  # the generated pyproject.toml's line-length
_OPEN = {"(": ")", "[": "]", "{": "}"}
_CLOSE = {v: k for k, v in _OPEN.items()}
_KEYWORDS = ("return ", "if ", "elif ", "while ", "assert ")
_COMPOUND = frozenset({"def", "async", "class", "if", "elif", "else", "while", "for", "with", "try", "lambda"})


@dataclass(frozen=True)
class _Tok:
    text: str
    start: int  # column in the line's content
    end: int


def fit_module(source: str) -> str:
    """``source`` with each line past 120 columns split as ruff format splits it (when the line is one that
    can be split alone: its brackets balanced, not inside a multi-line string)."""
    lines = source.split("\n")
    if all(len(line) <= LINE for line in lines):
        return source
    free, docs = _free_lines(source)
    out: list[str] = []
    skip = 0
    for number, line in enumerate(lines, start=1):
        if skip:
            skip -= 1
            continue
        block = _joined_block(lines, number - 1, free) if len(line) > LINE and number in free else None
        if block is not None:
            out.extend(block[0])
            skip = block[1] - 1
        elif len(line) <= LINE:
            out.append(line)
        elif number in free:
            out.extend(fit_line(line))
        elif number in docs:
            out.extend(_docstring_line(line, docs[number]))
        else:
            out.append(line)
    return "\n".join(_text_too_long(line) for line in out)


def _joined_block(lines: list[str], at: int, free: set[int]) -> tuple[list[str], int] | None:
    """A line past 120 columns that opens a bracket the template closes on a later line (``x = module.Cls(`` with
    one argument a line): the lines up to that bracket joined into one, magic trailing commas kept, and laid out
    as one line is (ruff format decides alike: the call in parentheses of its own, when its first line fits
    there). (the new lines, how many lines it replaces), or None."""
    line = lines[at]
    indent = len(line) - len(line.lstrip(" "))
    if not line.rstrip().endswith(("(", "[", "{")) or _tokens(line.strip()) is not None:
        return None
    joined = line.strip()
    for end in range(at + 1, min(len(lines), at + 200)):
        part = lines[end].strip()
        if end + 1 not in free or not part or "#" in part:
            return None  # a string over lines or a comment: left as written
        glue = "" if joined.endswith(("(", "[", "{")) or part.startswith((")", "]", "}")) else " "
        joined += glue + part
        if _tokens(joined) is not None:
            return fit_line(" " * indent + joined), end - at + 1
    return None


def _text_too_long(line: str) -> str:
    """A line still past 120 columns because of a string no layout splits (a journey's text, as long as its
    author wrote it) says so to ruff's E501: ``# noqa: E501`` (ruff format leaves the comment there)."""
    if len(line) <= LINE or "#" in line or len(line.split()) == 1:  # E501 lets a line of one word be
        return line
    toks = _tokens(line.strip())
    if toks is None or not any(t.text[:1] in "\"'" and len(t.text) > LINE // 3 for t in toks):
        return line
    return line + "  # noqa: E501"


def _free_lines(source: str) -> tuple[set[int], dict[int, int]]:
    """Numbers of the lines no multi-line string crosses (their code can be re-laid out), and those of the
    lines of multi-line docstrings, with each docstring's indentation (their text can be re-wrapped)."""
    crossed: set[int] = set()
    docs: dict[int, int] = {}
    statement_start = True
    try:
        for tok in tokenize.generate_tokens(io.StringIO(source).readline):
            if tok.type == tokenize.STRING and tok.start[0] != tok.end[0]:
                crossed.update(range(tok.start[0], tok.end[0] + 1))
                if statement_start and tok.string.startswith('"""'):
                    docs.update(dict.fromkeys(range(tok.start[0], tok.end[0] + 1), tok.start[1]))
            if tok.type not in (tokenize.NL, tokenize.COMMENT):
                statement_start = tok.type in (tokenize.NEWLINE, tokenize.INDENT, tokenize.DEDENT)
    except (tokenize.TokenError, SyntaxError):
        return set(), {}
    return set(range(1, source.count("\n") + 2)) - crossed, docs


def _docstring_line(line: str, indent: int) -> list[str]:
    """A long line of a docstring of several lines, wrapped at its words (ruff format leaves their text as it
    is; ruff check counts their columns)."""
    own = len(line) - len(line.lstrip(" "))
    pad = " " * max(own, indent) if own else " " * indent
    closing = line.endswith('"""') and line.strip() != '"""'
    text = line[:-3] if closing else line
    first = textwrap.wrap(
        text.strip(), LINE - own - (3 if closing else 0), break_long_words=False, break_on_hyphens=False
    )
    if not first:
        return [line]
    head, rest = first[0], " ".join(first[1:])
    more = textwrap.wrap(rest, LINE - len(pad) - 3, break_long_words=False, break_on_hyphens=False) if rest else []
    lines = [" " * own + head, *(pad + m for m in more)]
    if closing:
        lines[-1] += '"""'
    return lines


def fit_line(line: str) -> list[str]:
    """One physical line as one or more lines that fit 120 columns, if ruff format would split it."""
    if len(line) <= LINE and not _has_magic_comma(line.strip()):
        return [line]
    indent = len(line) - len(line.lstrip(" "))
    content = line[indent:]
    pad = " " * indent
    if content.startswith("#"):
        return _comment(content, indent)
    if content.startswith('"""') and content.endswith('"""') and len(content) > 6 and _tokens(content):
        return _docstring(content[3:-3], indent)
    if content.startswith("from ") and " import " in content and "(" not in content:
        module, names = content.split(" import ", 1)  # isort's layout: one name a line, a trailing comma
        return [f"{pad}{module} import (", *(f"{pad}    {n.strip()}," for n in names.split(",")), pad + ")"]
    if content.startswith(") -> ") and content.endswith(":"):  # a split signature's return type: split inside it
        first, *rest = fit_line(pad + content[2:])
        return [pad + ") " + first.lstrip(" "), *rest]
    code, remark = _trailing_comment(content)
    if remark:  # ruff format leaves a comment where it is: above the code, it no longer makes the line long
        return [*_comment(remark, indent), *fit_line(pad + code)]
    toks = _tokens(content)
    if toks is None:
        return [line]
    split = _split(content, toks, indent)
    if split is None:
        return [line]
    head, body, tail = split
    inner = pad + "    "
    if content.startswith(("def ", "async def ")) and not _top_level(_tokens(body) or [], {","}):
        body += ","  # ruff adds the trailing comma to a lone parameter it puts on a line of its own
    if indent + 4 + len(body) <= LINE and not _magic_comma(body) and not _literal_with_commas(head, body):
        lines = [inner + body]
    else:
        lines = _explode(body, indent + 4)
    return [*fit_line(pad + head), *(part for item in lines for part in fit_line(item)), pad + tail]


def _comment(content: str, indent: int) -> list[str]:
    text = content.lstrip("#").strip()
    wrapped = textwrap.wrap(text, LINE - indent - 2, break_long_words=False, break_on_hyphens=False) or [""]
    return [" " * indent + "# " + part for part in wrapped]


def _docstring(text: str, indent: int) -> list[str]:
    """A one-line docstring too long for its line, wrapped on two lines at least, the closing quotes ending
    the last (ruff format leaves docstrings' text as it is, but puts the quotes of one line on that line)."""
    pad = " " * indent
    width = LINE - indent - 3
    lines = textwrap.wrap(text, width, break_long_words=False, break_on_hyphens=False)
    if len(lines) < 2:  # fits without its quotes only: two lines of about half
        lines = textwrap.wrap(text, max(len(text) // 2 + 1, 20), break_long_words=False, break_on_hyphens=False)
    if len(lines) < 2:
        return [f'{pad}"""{text}"""']
    return [f'{pad}"""{lines[0]}', *(pad + line for line in lines[1:-1]), f'{pad}{lines[-1]}"""']


def _trailing_comment(content: str) -> tuple[str, str]:
    """(the code, its trailing comment) of a line of code ending in a comment, else (content, "")."""
    try:
        toks = list(tokenize.generate_tokens(io.StringIO(content + "\n").readline))
    except (tokenize.TokenError, SyntaxError):
        return content, ""
    comment = next((t for t in toks if t.type == tokenize.COMMENT), None)
    if comment is None or comment.start[0] != 1 or comment.start[1] == 0:
        return content, ""
    return content[: comment.start[1]].rstrip(), comment.string


def _tokens(content: str) -> list[_Tok] | None:
    """The tokens of one line's content (no comments), or None if they are not a whole, balanced line."""
    toks: list[_Tok] = []
    depth = 0
    try:
        for tok in tokenize.generate_tokens(io.StringIO(content + "\n").readline):
            if tok.type in (tokenize.NEWLINE, tokenize.NL, tokenize.ENDMARKER, tokenize.INDENT, tokenize.DEDENT):
                continue
            if tok.type == tokenize.COMMENT or tok.start[0] != 1 or tok.end[0] != 1:
                return None  # a trailing comment or a string over lines: left as written
            if tok.string in _OPEN:
                depth += 1
            elif tok.string in _CLOSE:
                depth -= 1
                if depth < 0:
                    return None
            toks.append(_Tok(tok.string, tok.start[1], tok.end[1]))
    except (tokenize.TokenError, SyntaxError):
        return None
    return toks if depth == 0 and toks else None


def _split(content: str, toks: list[_Tok], indent: int) -> tuple[str, str, str] | None:
    """(head ending in an opening bracket, body, tail starting with its closing bracket)."""
    pair = _first_pair(toks) if toks[0].text in ("def", "async") else _last_pair(toks)
    if pair is not None and _compared_to_brackets(toks) and indent + toks[pair[0]].end > LINE:
        pair = _first_pair(toks)  # the right side's brackets open too far right: the left side's split
    inside = None
    if pair is not None:
        opening, closing = pair
        body = content[toks[opening].end : toks[closing].start].strip()
        inside = (content[: toks[opening].end], body, content[toks[closing].start :]) if body else None
    if inside is not None and pair is not None and _bracket_split_preferred(content, toks, pair, indent):
        return inside
    parens = _invisible_parens(content, toks)
    if parens is not None and indent + len(parens[0]) > LINE and (typed := _annotation(content, toks)) is not None:
        return typed  # 'target: annotation = (' passes the line: ruff puts the annotation in parentheses instead
    if parens is not None and indent + 4 + len(parens[1]) > LINE and len(_tokens(parens[1]) or ()) == 1:
        parens = None  # one long atom (a text) fits no better in parentheses: ruff leaves it where it is
    if (
        parens is not None
        and inside is not None
        and parens[0].endswith(("= (", "return ("))
        and (indent + len(parens[0]) > LINE or len(fit_line(" " * (indent + 4) + parens[1])[0]) > LINE)
    ):
        return inside  # its first line fits no better in parentheses: ruff splits the brackets without them
    return parens or _parenthesized_item(content, toks) or inside


def _compared_to_brackets(toks: list[_Tok]) -> bool:
    """``assert left == [...]``: one comparison whose right side is in brackets of its own, not empty. ruff format
    then needs no parentheses around it and splits the first brackets of the left side."""
    if toks[0].text != "assert" or len(toks) < 4 or toks[-1].text not in _CLOSE or _top_level(toks, {","}):
        return False
    ops = _top_level(toks, {"==", "!=", "<", ">", "<=", ">=", "in", "is"})
    if len(ops) != 1 or _top_level(toks, {"and", "or", "not"}):
        return False
    right = toks[ops[0] + 1 :]
    return right[0].text in _OPEN and _matching(right, 0) == len(right) - 1 and len(right) > 2 and right[1:2] != []


def _parenthesized_item(content: str, toks: list[_Tok]) -> tuple[str, str, str] | None:
    """A dict entry or keyword argument (``key: value,`` / ``name=value,``) whose value cannot follow its key
    on one line: the value in parentheses of its own, which ruff format keeps."""
    if not content.endswith(","):
        return None
    for separator, opening in ((":", ": ("), ("=", "=(")):
        at = _top_level(toks, {separator})
        if len(at) == 1:
            value = content[toks[at[0]].end : -1].strip()
            return content[: toks[at[0]].start].rstrip() + opening, value, "),"
    return None


def _first_pair(toks: list[_Tok]) -> tuple[int, int] | None:
    for i, tok in enumerate(toks):
        if tok.text in _OPEN:
            return i, _matching(toks, i)
    return None


def _matching(toks: list[_Tok], opening: int) -> int:
    depth = 0
    for i in range(opening, len(toks)):
        if toks[i].text in _OPEN:
            depth += 1
        elif toks[i].text in _CLOSE:
            depth -= 1
            if depth == 0:
                return i
    return len(toks) - 1


def _last_pair(toks: list[_Tok]) -> tuple[int, int] | None:
    """The bracket pair that closes last, if only ``,`` or ``:`` follows it."""
    end = len(toks) - 1
    while end >= 0 and toks[end].text in (",", ":"):
        end -= 1
    while end >= 2 and toks[end].text.isidentifier() and toks[end - 1].text == "." and toks[end - 2].text in _CLOSE:
        end -= 2  # an attribute of what the brackets make: 'x = app.get(id).version' splits at get's brackets
    if end < 0 or toks[end].text not in _CLOSE:
        return None
    depth = 0
    for i in range(end, -1, -1):
        if toks[i].text in _CLOSE:
            depth += 1
        elif toks[i].text in _OPEN:
            depth -= 1
            if depth == 0:
                return i, end
    return None


def _bracket_split_preferred(content: str, toks: list[_Tok], pair: tuple[int, int], indent: int) -> bool:
    """ruff splits inside the last brackets unless the statement is a condition of several terms (then it
    parenthesizes the whole condition) or what comes before the bracket does not fit."""
    opening, _ = pair
    if _top_level(toks, {"and", "or"}) and any(content.startswith(k) for k in _KEYWORDS):
        return False
    return indent + len(content[: toks[opening].end]) <= LINE


def _top_level(toks: list[_Tok], words: set[str]) -> list[int]:
    depth = 0
    found: list[int] = []
    for i, tok in enumerate(toks):
        if tok.text in _OPEN:
            depth += 1
        elif tok.text in _CLOSE:
            depth -= 1
        elif depth == 0 and tok.text in words:
            found.append(i)
    return found


def _invisible_parens(content: str, toks: list[_Tok]) -> tuple[str, str, str] | None:
    """``return (\\n    expr\\n)``, ``if (\\n    cond\\n):``, ``x = (\\n    expr\\n)``: the brackets ruff adds."""
    for keyword in _KEYWORDS:
        if content.startswith(keyword):
            colon = keyword.strip() in ("if", "elif", "while")
            expr = content[len(keyword) : len(content) - 1 if colon else len(content)].strip()
            if keyword == "assert " and _top_level(_tokens(expr) or [], {","}):
                return None  # assert with a message: not a shape the templates write
            return keyword + "(", expr, ")" + (":" if colon else "")
    equals = _top_level(toks, {"="})
    if len(equals) == 1 and not content.endswith(","):  # an assignment, not a keyword argument
        at = toks[equals[0]]
        return content[: at.end] + " (", content[at.end :].strip(), ")"
    return None


def _annotation(content: str, toks: list[_Tok]) -> tuple[str, str, str] | None:
    """``self.x: (\n    A | B | None\n) = None``: an annotated assignment split inside its annotation."""
    colons, equals = _top_level(toks, {":"}), _top_level(toks, {"="})
    if len(colons) != 1 or len(equals) != 1 or colons[0] > equals[0] or toks[0].text in _COMPOUND:
        return None
    colon, eq = toks[colons[0]], toks[equals[0]]
    return content[: colon.end] + " (", content[colon.end : eq.start].strip(), ") " + content[eq.start :]


def _literal_with_commas(head: str, body: str) -> bool:
    """A tuple, list, dict or set written out (not a call's arguments or a subscript) is split one item a
    line once ruff splits it at all."""
    before = head[:-1].rstrip()
    trailer = bool(before) and (before[-1] in ")]}\"'" or (before[-1].isalnum() or before[-1] == "_"))
    if trailer and before.split()[-1] in ("return", "in", "and", "or", "not", "if", "else", "yield", "assert"):
        trailer = False
    return not trailer and bool(_top_level(_tokens(body) or [], {","}))


def _magic_comma(body: str) -> bool:
    return body.endswith(",")


def _has_magic_comma(content: str) -> bool:
    """A comma right before a closing bracket anywhere in ``content`` (lines joined from a template's split call):
    ruff format keeps those brackets split, one item a line; not the comma of a one-item tuple ``(x,)``."""
    if ",)" not in content.replace(" ", "") and ",]" not in content and ",}" not in content:
        return False
    toks = _tokens(content)
    if toks is None:
        return False
    for i in range(1, len(toks)):
        if toks[i].text in _CLOSE and toks[i - 1].text == ",":
            opening = next(j for j in range(i - 1, -1, -1) if _matching(toks, j) == i and toks[j].text in _OPEN)
            before = toks[opening - 1].text if opening > 0 else ""
            called = (before.isidentifier() and not iskeyword(before)) or before in _CLOSE
            one_item = not _top_level(toks[opening + 1 : i - 1], {","})
            if toks[opening].text != "(" or called or not one_item:
                return True
    return False


def _explode(body: str, indent: int) -> list[str]:
    """``body`` split at its top-level commas (one item a line, with a trailing comma) or boolean operators."""
    toks = _tokens(body)
    pad = " " * indent
    if toks is None:
        return [pad + body]
    commas = _top_level(toks, {","})
    if commas:
        items, start = [], 0
        for i in commas:
            items.append(body[start : toks[i].start].strip())
            start = toks[i].end
        last = body[start:].strip()
        if last:
            items.append(last)
        return [f"{pad}{item}," for item in items]
    ops = (
        _top_level(toks, {"and", "or"})
        or _top_level(toks, {"==", "!=", "<", ">", "<=", ">=", "in", "is"})
        or _top_level(toks, {"|"})  # a union of types, one a line
    )
    if ops and toks[ops[0]].text in ("in", "is") and ops[0] > 0 and toks[ops[0] - 1].text == "not":
        ops = [i - 1 if toks[i - 1].text == "not" else i for i in ops]  # 'not in' starts its line whole
    if ops:
        parts, start = [], 0
        for i in ops:
            parts.append(body[start : toks[i].start].strip())
            start = toks[i].start
        parts.append(body[start:].strip())
        return [pad + part for part in parts]
    return [pad + body]
