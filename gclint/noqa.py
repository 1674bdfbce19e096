"""``# noqa`` handling, exactly as flake8 does it.

* ``# noqa`` on a line suppresses every diagnostic on it; ``# noqa: GCL401,GCL402`` (case of
  ``noqa`` ignored, ``:`` optionally followed by one space) suppresses the codes listed, where a
  listed code also matches as a prefix (``# noqa: GCL4`` covers GCL401).
* A line that is part of a multi-line token (a triple-quoted string) is read together with the
  other lines of that token, so a ``noqa`` after the closing quotes covers all of them.
* A line that is only ``# flake8: noqa`` skips the whole file.
"""

from __future__ import annotations

import ast
import io
import re
import tokenize
from bisect import bisect_left
from collections.abc import Iterable

from gclint.diagnostics import Diagnostic

NOQA_INLINE = re.compile(
    r"# noqa(?::[\s]?(?P<codes>([A-Z]+[0-9]+(?:[,\s]+)?)+))?",
    re.IGNORECASE,
)
NOQA_FILE = re.compile(r"\s*# flake8[:=]\s*noqa", re.IGNORECASE)
_SPLIT = re.compile(r"[,\s]")


def file_is_skipped(lines: list[str]) -> bool:
    return any(NOQA_FILE.match(line) for line in lines)


def _line_mapping(text: str, lines: list[str]) -> dict[int, str]:
    """flake8's map from a line number to the text searched for ``noqa`` on that line."""
    mapping: dict[int, str] = {}
    min_line, max_line = len(lines) + 2, -1
    try:  # universal newlines: a lone CR ends a line for tokenize as it does for Python
        for tok in tokenize.generate_tokens(io.StringIO(text, newline=None).readline):
            if tok.type in (tokenize.ENDMARKER, tokenize.DEDENT):
                continue
            min_line = min(min_line, tok.start[0])
            max_line = max(max_line, tok.end[0])
            if tok.type in (tokenize.NL, tokenize.NEWLINE):
                joined = "".join(lines[min_line - 1 : max_line])
                for number in range(min_line, max_line + 1):
                    mapping[number] = joined
                min_line, max_line = len(lines) + 2, -1
    except (tokenize.TokenError, SyntaxError):
        return {}
    return mapping


def is_suppressed(code: str, physical: str) -> bool:
    match = NOQA_INLINE.search(physical)
    if match is None:
        return False
    codes_str = match.group("codes")
    if codes_str is None:
        return True
    codes = {c.strip() for c in _SPLIT.split(codes_str) if c.strip()}
    return code in codes or code.startswith(tuple(codes))


def filter_noqa(
    diagnostics: Iterable[Diagnostic], text: str, tree: ast.Module | None = None
) -> list[Diagnostic]:
    """Drop diagnostics suppressed by ``# noqa`` comments in `text` (errors are never dropped).

    With the module's `tree`, a diagnostic whose statement has no line mentioning ``noqa`` is
    kept without tokenizing the file (`_may_be_suppressed`); the file is tokenized only when
    one might be suppressed.
    """
    kept = list(diagnostics)
    if not kept or "noqa" not in text.lower():
        return kept
    lines = physical_lines(text)
    if file_is_skipped(lines):
        return [d for d in kept if d.is_error]
    if tree is not None:
        marked = [i for i, line in enumerate(lines, 1) if "noqa" in line.lower()]
        if not any(_may_be_suppressed(tree, d.line, marked) for d in kept if not d.is_error):
            return kept
    mapping: dict[int, str] | None = None
    result = []
    for diag in kept:
        if diag.is_error:
            result.append(diag)
            continue
        if mapping is None:
            mapping = _line_mapping(text, lines)
        physical = mapping.get(diag.line)
        if physical is None:
            physical = lines[diag.line - 1] if 0 < diag.line <= len(lines) else ""
        if not is_suppressed(diag.code, physical):
            result.append(diag)
    return result


_PHYSICAL_LINE = re.compile(r"[^\r\n]*(?:\r\n?|\n)|[^\r\n]+$")


def physical_lines(text: str) -> list[str]:
    """The lines as Python numbers them (ended by LF, CRLF or CR), ends kept.

    Not `str.splitlines`, which also splits at form feeds and other separators and would shift
    every later line number.
    """
    return _PHYSICAL_LINE.findall(text)


def _may_be_suppressed(tree: ast.Module, line: int, marked: list[int]) -> bool:
    """Whether a line of the logical line holding `line` may carry a ``noqa`` (in `marked`).

    The logical line lies within the lines of the innermost statement holding `line` (only its
    header, for a compound statement, when `line` is before its blocks), widened to statements
    sharing a line with it (``a = 1; b = 2``) and to the header a block starts on (``if x: y``).
    Outside every statement: maybe.
    """
    span = _statement_span(tree.body, line)
    if span is None:
        return True
    start, end = span
    i = bisect_left(marked, start)
    return i < len(marked) and marked[i] <= end


def _first_line(node: ast.AST) -> int:
    decorators: list[ast.expr] = getattr(node, "decorator_list", None) or []
    first: int = getattr(node, "lineno", 0)
    return min([first, *(d.lineno for d in decorators)])


def _last_line(node: ast.AST) -> int:
    last: int | None = getattr(node, "end_lineno", None)
    return last or 0


def _statement_span(body: list[ast.stmt], line: int) -> tuple[int, int] | None:
    span: tuple[int, int] | None = None  # the enclosing statement's lines, once inside one
    header_end = 0  # the line the enclosing statement's first block starts on
    nodes: list[ast.AST] = list(body)
    while True:
        at = next((i for i, n in enumerate(nodes) if _first_line(n) <= line <= _last_line(n)), None)
        if at is None:
            return span  # between the blocks of a statement (``else:``): all of it
        node = nodes[at]
        start, end = _first_line(node), _last_line(node)
        j = at  # widen over the statements sharing a line with it (``a = 1; b = 2``)
        while j + 1 < len(nodes) and _first_line(nodes[j + 1]) <= end:
            j += 1
            end = max(end, _last_line(nodes[j]))
        j = at
        while j > 0 and _last_line(nodes[j - 1]) >= start:
            j -= 1
            start = min(start, _first_line(nodes[j]))
        if span is not None and start <= header_end:  # a block on its header's last line
            start = span[0]
        blocks: list[ast.AST] = [
            child
            for name in ("body", "handlers", "orelse", "finalbody")
            for child in getattr(node, name, None) or ()
            if isinstance(child, (ast.stmt, ast.excepthandler))
        ]
        if not blocks or isinstance(node, ast.Match):
            return (start, end)
        header_end = min(_first_line(child) for child in blocks)
        if line < header_end:
            return (start, header_end)
        span = (start, end)
        nodes = blocks
