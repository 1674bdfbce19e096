"""``# noqa`` handling, exactly as flake8 does it.

* ``# noqa`` on a line suppresses every diagnostic on it; ``# noqa: GCL401,GCL402`` (case of
  ``noqa`` ignored, ``:`` optionally followed by one space) suppresses the codes listed, where a
  listed code also matches as a prefix (``# noqa: GCL4`` covers GCL401).
* A line that is part of a multi-line token (a triple-quoted string) is read together with the
  other lines of that token, so a ``noqa`` after the closing quotes covers all of them.
* A line that is only ``# flake8: noqa`` skips the whole file.
"""

from __future__ import annotations

import io
import re
import tokenize
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
    try:
        for tok in tokenize.generate_tokens(io.StringIO(text).readline):
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


def filter_noqa(diagnostics: Iterable[Diagnostic], text: str) -> list[Diagnostic]:
    """Drop diagnostics suppressed by ``# noqa`` comments in `text` (errors are never dropped)."""
    kept = list(diagnostics)
    if not kept or "noqa" not in text.lower():
        return kept
    lines = text.splitlines(keepends=True)
    if file_is_skipped(lines):
        return [d for d in kept if d.is_error]
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
