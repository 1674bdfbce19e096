"""GitHub Actions workflow commands: one ``::warning``/``::error`` annotation per diagnostic."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from gclint.diagnostics import Diagnostic


def _escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


def render(diagnostics: Sequence[Diagnostic], sources: Mapping[str, str], show_source: bool) -> str:
    out = []
    for d in diagnostics:
        level = "error" if d.is_error else "warning"
        props = ",".join(
            [
                f"file={_escape_property(d.path)}",
                f"line={d.range.line}",
                f"col={d.range.col + 1}",
                f"endLine={d.range.end_line}",
                f"endColumn={d.range.end_col + 1}",
                f"title={_escape_property(f'{d.code} {d.name}')}",
            ]
        )
        out.append(f"::{level} {props}::{_escape_data(f'{d.code} {d.message}')}\n")
    return "".join(out)
