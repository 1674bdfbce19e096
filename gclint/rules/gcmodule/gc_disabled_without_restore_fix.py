"""GCL401 (gc-disabled-without-restore): move the restore into ``finally:``.

The rule reports a ``gc.disable()`` (or ``gc.set_threshold(0)``) that the function undoes
later on the normal path only. The fix wraps the statements between the disable and that
restore in ``try:`` and moves the restore statement itself into ``finally:``::

    gc.disable()                      gc.disable()
    index = build(rows)       ->      try:
    gc.enable()                           index = build(rows)
    return index                      finally:
                                          gc.enable()
                                      return index

The restore is the function's own statement, moved, not a new ``gc.enable()``: on the normal
path the program does exactly what it did, and on the exceptional path it now does the same
(``_gc.set_threshold(*old)`` restores the saved thresholds; ``if was_enabled: gc.enable()``
keeps its guard, so a caller that had the collector off keeps it off).

Proven before rewriting, else skipped with the reason: the disable is a statement of its own;
the restore is a later statement of the same block (a call of its own, or an ``if <name>:``
holding only restores); the code in between does not turn the collector on or off itself,
cannot leave the region by ``return``/``break``/``continue`` (that path left the collector
off; with ``finally:`` it would not), and does not assign a name the restore reads.
"""

from __future__ import annotations

from collections.abc import Sequence

import libcst as cst
from libcst.metadata import MetadataWrapper

from gclint.diagnostics import Diagnostic
from gclint.fixes.base import FixSkipped
from gclint.fixes.edit import indented, replace_block_body, without_blank_lines, wrap_in_try
from gclint.fixes.site import EarlyExits, Site, is_inert, names_in, only_statement

GC_CALLS = frozenset({"gc.disable", "gc.enable", "gc.set_threshold"})


def fix(wrapper: MetadataWrapper, diagnostic: Diagnostic, unsafe: bool) -> cst.Module:
    site = Site(wrapper)
    call = site.node_at(diagnostic.range, cst.Call)
    kind = _kind(site, call)
    if kind not in ("disable", "pause"):
        raise FixSkipped("the reported call does not turn the collector off")
    small = site.parent(call)
    if not (isinstance(small, cst.Expr) and small.value is call):
        raise FixSkipped("the disable is not a statement of its own")
    stmt = site.statement_of(small)
    if only_statement(stmt) is not small:
        raise FixSkipped("the disable shares its line with other code")
    if not isinstance(site.scope_of(stmt), cst.FunctionDef):
        raise FixSkipped("not in a function")
    place = site.place_of(stmt)
    body = list(place.body)
    index = place.index
    undo = "enable" if kind == "disable" else "thresholds"
    found = next((i for i in range(index + 1, len(body)) if _is_restore(site, body[i], undo)), None)
    if found is None:
        raise FixSkipped(
            "the collector is turned back on in another block, not after the disable in its "
            "own block"
        )
    between = body[index + 1 : found]
    restore = body[found]
    if not between:
        raise FixSkipped("nothing runs between the disable and the restore")
    _check_between(site, between, restore)
    only = between[0] if len(between) == 1 else None
    if isinstance(only, (cst.Try, cst.TryStar)) and only.finalbody is None:
        # ``try: ... except ...:`` alone in between: its own ``finally:`` covers the same
        moved = without_blank_lines(restore)
        extended = only.with_changes(finalbody=cst.Finally(body=indented([moved])))
        new_body = [*body[: found - 1], extended, *body[found + 1 :]]
    else:
        new_body = [*body[: index + 1], wrap_in_try(between, restore), *body[found + 1 :]]
    return replace_block_body(site, place.block, new_body)


def _kind(site: Site, call: cst.Call) -> str | None:
    """As the rule: 'disable', 'pause' (threshold 0), 'enable', 'thresholds' (non-zero)."""
    names = site.imported_names(call.func)
    if "gc.disable" in names:
        return "disable"
    if "gc.enable" in names:
        return "enable"
    if "gc.set_threshold" in names:
        first = call.args[0] if call.args else None
        zero = (
            first is not None
            and not first.star
            and isinstance(first.value, cst.Integer)
            and first.value.evaluated_value == 0
        )
        return "pause" if zero else "thresholds"
    return None


def _restore_call(site: Site, stmt: cst.BaseStatement, undo: str) -> bool:
    small = only_statement(stmt)
    return (
        isinstance(small, cst.Expr)
        and isinstance(small.value, cst.Call)
        and _kind(site, small.value) == undo
    )


def _is_restore(site: Site, stmt: cst.BaseStatement, undo: str) -> bool:
    """``gc.enable()`` on its own line, or ``if was_enabled:`` holding only restores."""
    if _restore_call(site, stmt, undo):
        return True
    test = stmt.test if isinstance(stmt, cst.If) else None
    if isinstance(test, cst.UnaryOperation) and isinstance(test.operator, cst.Not):
        test = test.expression
    return (
        isinstance(stmt, cst.If)
        and test is not None
        and is_inert(test)
        and stmt.orelse is None
        and isinstance(stmt.body, cst.IndentedBlock)
        and all(_restore_call(site, s, undo) for s in stmt.body.body)
    )


def _check_between(
    site: Site, between: Sequence[cst.BaseStatement], restore: cst.BaseStatement
) -> None:
    finder = _Between(site)
    for stmt in between:
        stmt.visit(finder)
    if finder.gc_call:
        raise FixSkipped("the code in between turns the collector on or off itself")
    if finder.found:
        raise FixSkipped(
            f"a '{finder.found}' between the disable and the restore leaves the collector off "
            "on that path; with the restore in 'finally:' it would not"
        )
    read = names_in(restore) - _callee_names(site, restore)
    written = set().union(*(names_in(s) for s in between))
    shared = sorted(read & written)
    if shared:
        raise FixSkipped(
            f"'{shared[0]}' is used between the disable and the restore, which reads it"
        )


def _callee_names(site: Site, restore: cst.BaseStatement) -> set[str]:
    """The names spelling the gc functions in the restore (``gc``, ``enable``...)."""
    finder = _Callees()
    restore.visit(finder)
    return finder.names


class _Callees(cst.CSTVisitor):
    def __init__(self) -> None:
        self.names: set[str] = set()

    def visit_Call(self, node: cst.Call) -> None:
        self.names |= names_in(node.func)


class _Between(EarlyExits):
    """gc calls, and return/break/continue that leave the statements in between."""

    def __init__(self, site: Site) -> None:
        super().__init__(yields=False)
        self.site = site
        self.gc_call = False

    def visit_Call(self, node: cst.Call) -> None:
        if self.site.imported_names(node.func) & GC_CALLS:
            self.gc_call = True
