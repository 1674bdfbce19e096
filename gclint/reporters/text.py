"""flake8-compatible text: ``path:line:col: CODE message`` (columns 1-based)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from gclint.diagnostics import Diagnostic


def line_of(diag: Diagnostic) -> str:
    """One diagnostic; ``[*]`` after the code marks a fix this run's options would apply."""
    mark = " [*]" if diag.fix is not None and diag.fix.applicable else ""
    return f"{diag.path}:{diag.line}:{diag.col + 1}: {diag.code}{mark} {diag.message}"


def render(diagnostics: Sequence[Diagnostic], sources: Mapping[str, str], show_source: bool) -> str:
    out: list[str] = []
    for diag in diagnostics:
        out.append(line_of(diag))
        if show_source:
            text = sources.get(diag.path)
            lines = text.splitlines() if text is not None else []
            if 0 < diag.line <= len(lines):
                physical = lines[diag.line - 1]
                out.append(physical)
                prefix = "".join(c if c == "\t" else " " for c in physical[: diag.col])
                out.append(prefix + "^")
    return "".join(line + "\n" for line in out)
