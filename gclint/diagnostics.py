"""The values that flow out of the engine: diagnostics, their ranges and fix intents."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import NamedTuple


class FixSafety(enum.Enum):
    """How a rule's fix may be applied (see rules.md, "Fix column")."""

    NONE = "none"
    SAFE = "safe"
    UNSAFE = "unsafe"


class Range(NamedTuple):
    """A source range: lines are 1-based, columns are 0-based character offsets (as in `ast`)."""

    line: int
    col: int
    end_line: int
    end_col: int


class Fix(NamedTuple):
    """A fix `--fix` can apply for a diagnostic: its safety, its title, and whether this run's
    options apply it (`applicable`: a safe fix, or an unsafe one with ``--unsafe-fixes``)."""

    safety: FixSafety
    title: str
    applicable: bool = True


@dataclass(frozen=True)
class Diagnostic:
    """One finding: a rule code at a range of a file, with its message and fix availability.

    `is_error` marks GCL0xx diagnostics about gclint itself (unreadable or unparsable file,
    internal error): they make the run exit with status 2 and are never filtered away.
    """

    code: str
    name: str
    path: str
    range: Range
    message: str
    fix: Fix | None = None
    is_error: bool = False

    @property
    def line(self) -> int:
        return self.range.line

    @property
    def col(self) -> int:
        """0-based column (add 1 for flake8-style output)."""
        return self.range.col

    def sort_key(self) -> tuple[str, int, int, str]:
        return (self.path, self.range.line, self.range.col, self.code)
