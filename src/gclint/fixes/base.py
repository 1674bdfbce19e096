"""The contract between the fix engine and the fixers (one per rule code).

A fixer turns a libcst module into a new module with one diagnostic fixed, or raises `FixSkipped`
with a reason the user can read ("the resource is used after its close()", ...). It locates its
target from the diagnostic's range with libcst's `PositionProvider` (lines 1-based, columns
0-based characters: the same convention as `Diagnostic.range` after the engine's conversion).

Fixers never decide whether their output is acceptable: the engine re-parses, re-checks and
re-runs every fixed module, and drops a fix whose result does not hold (see `fixes.engine`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import libcst as cst
from libcst.metadata import MetadataWrapper

from gclint.diagnostics import Diagnostic, FixSafety


class FixSkipped(Exception):
    """The fixer cannot prove its fix safe (or possible) at this site; `str(exc)` says why."""


@dataclass(frozen=True)
class Fixer:
    """A rule's fix: `apply(wrapper, diagnostic)` returns the fixed module or raises FixSkipped.

    `safety` may be lower than the rule's declared safety for a given site: a fixer that can only
    do an unsafe rewrite at some site raises `FixSkipped` unless called with `unsafe=True`.
    """

    code: str
    safety: FixSafety
    title: str
    apply: Callable[[MetadataWrapper, Diagnostic, bool], cst.Module]


FIXERS: dict[str, Fixer] = {}


def fixer(
    code: str, safety: FixSafety, title: str
) -> Callable[
    [Callable[[MetadataWrapper, Diagnostic, bool], cst.Module]],
    Callable[[MetadataWrapper, Diagnostic, bool], cst.Module],
]:
    """Decorator registering `func(wrapper, diagnostic, unsafe) -> cst.Module` as `code`'s fix."""

    def register(
        func: Callable[[MetadataWrapper, Diagnostic, bool], cst.Module],
    ) -> Callable[[MetadataWrapper, Diagnostic, bool], cst.Module]:
        if code in FIXERS:
            raise ValueError(f"duplicate fixer for {code}")
        FIXERS[code] = Fixer(code, safety, title, func)
        return func

    return register
