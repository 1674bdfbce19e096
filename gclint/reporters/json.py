"""A JSON list of diagnostics, one object each (columns 1-based, like the text format)."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from gclint.diagnostics import Diagnostic


def as_dict(diag: Diagnostic) -> dict[str, Any]:
    return {
        "code": diag.code,
        "name": diag.name,
        "path": diag.path,
        "line": diag.range.line,
        "column": diag.range.col + 1,
        "end_line": diag.range.end_line,
        "end_column": diag.range.end_col + 1,
        "message": diag.message,
        "fix": None
        if diag.fix is None
        else {
            "available": True,
            "safety": diag.fix.safety.value,
            "title": diag.fix.title,
            "applicable": diag.fix.applicable,
        },
        "error": diag.is_error,
    }


def render(diagnostics: Sequence[Diagnostic], sources: Mapping[str, str], show_source: bool) -> str:
    return json.dumps([as_dict(d) for d in diagnostics], indent=2) + "\n"
