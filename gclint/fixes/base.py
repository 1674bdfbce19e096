"""The contract between the fix engine and the fixers (one per rule code).

A fixer turns a libcst module into a new module with one diagnostic fixed, or raises `FixSkipped`
with a reason the user can read ("the resource is used after its close()", ...). It locates its
target from the diagnostic's range with libcst's `PositionProvider` (lines 1-based, columns
0-based characters: the same convention as `Diagnostic.range` after the engine's conversion).

Fixers never decide whether their output is acceptable: the engine re-parses, re-checks and
re-runs every fixed module, and drops a fix whose result does not hold (see `gclint.fixing`).

Registering: a rule's fix is the ``fix`` function of the ``<rule module>_fix.py`` beside the
rule; `gclint.fixes.load()` imports it into `FIXERS` with the rule's safety and title (declared
once, on the rule). `Rule.fix_implemented` says whether that file exists, without importing it
(checking never imports libcst).

Shared helpers: `gclint.fixes.site.Site` finds the diagnostic's node (`Site.node_at`), its
statement, block and scope, and what names refer to; `gclint.fixes.edit` rewrites the module
(`replace_statement`, `wrap_in_with`, `wrap_in_try`...) keeping comments and blank lines;
`gclint.fixes.imports.ensure_import(module, "contextlib")` adds an import only when needed, in
the file's style (call it on the module you built).

Contract notes: the engine passes the fixer a module parsed from LF or CRLF text (a file with
lone CR newlines is translated to LF and back around the fixer); `unsafe` is True only under
``--unsafe-fixes``. Raise `FixSkipped` with a reason a user can act on; any other exception is
reported as an internal error of the fixer (the file is left as it was).
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
