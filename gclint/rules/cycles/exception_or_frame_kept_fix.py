"""GCL304 (exception-or-frame-kept), the local form ``tb = sys.exc_info()[2]`` /
``frame = inspect.currentframe()``: the statements after the binding, up to the last one that
uses the name, go into ``try:`` with ``finally: del tb`` (or ``del tb`` is added to the
``finally:`` of a ``try`` that is exactly that region; a ``del tb`` that ended the region is moved
into the ``finally:``). Skipped when the name is used after the block that binds it, inside a
nested function, lambda or generator (a closure may run after the ``del``), is declared
``global``/``nonlocal``, or is deleted somewhere else, or when the function calls ``locals()``,
``exec``... (they would see the name gone). The stored form (``self.errors.append(e)``)
has no automatic fix.
"""

from __future__ import annotations

from collections.abc import Sequence

import libcst as cst
from libcst.metadata import MetadataWrapper

from gclint.diagnostics import Diagnostic
from gclint.fixes.base import FixSkipped
from gclint.fixes.edit import replace_block_body, without_blank_lines, wrap_in_try
from gclint.fixes.site import (
    NESTED_SCOPES,
    Site,
    check_no_introspection,
    name_uses,
    only_statement,
)


def fix(wrapper: MetadataWrapper, diagnostic: Diagnostic, unsafe: bool) -> cst.Module:
    site = Site(wrapper)
    node = site.node_at(diagnostic.range, (cst.Assign, cst.Expr, cst.AnnAssign))
    if not (
        isinstance(node, cst.Assign)
        and len(node.targets) == 1
        and isinstance(node.targets[0].target, cst.Name)
        and not isinstance(node.value, cst.Name)
    ):
        raise FixSkipped(
            "an exception stored beyond its handler has no automatic fix: store "
            "'e.with_traceback(None)' or a summary instead"
        )
    target = node.targets[0].target
    assert isinstance(target, cst.Name)
    name = target.value
    stmt = site.statement_of(node)
    if only_statement(stmt) is not node:
        raise FixSkipped("the statement shares its line with other code")
    function = site.scope_of(stmt)
    if not isinstance(function, cst.FunctionDef):
        raise FixSkipped("not in a function")
    if _declared_outside(function, name):
        raise FixSkipped(f"'{name}' is declared global or nonlocal")
    check_no_introspection(site, function, f"'{name}' deleted")
    place = site.place_of(stmt)
    body = list(place.body)
    index = place.index
    rest = body[index + 1 :]
    _check_references(site, function, node, rest, name)
    using = [i for i, s in enumerate(rest) if name_uses(s, {name})]
    if not using:
        raise FixSkipped(f"nothing uses '{name}' after it is bound")
    last = using[-1]
    region = rest[: last + 1]
    final: cst.BaseStatement = cst.SimpleStatementLine(body=[cst.Del(target=cst.Name(name))])
    if _is_del_of(region[-1], name):
        final = region[-1]
        region = region[:-1]
    for s in region:
        if _deletes(s, name):
            raise FixSkipped(f"'{name}' is deleted before its last use or conditionally")
    if not region:
        raise FixSkipped(f"nothing runs between binding '{name}' and deleting it")
    after = rest[last + 1 :]
    new_region = _protect(region, final)
    new_body = [*body[: index + 1], *new_region, *after]
    return replace_block_body(site, place.block, new_body)


def _declared_outside(function: cst.FunctionDef, name: str) -> bool:
    finder = _Declarations(name)
    function.body.visit(finder)
    return finder.found


class _Declarations(cst.CSTVisitor):
    def __init__(self, name: str) -> None:
        self.name = name
        self.found = False

    def visit_Global(self, node: cst.Global) -> None:
        self.found |= any(item.name.value == self.name for item in node.names)

    def visit_Nonlocal(self, node: cst.Nonlocal) -> None:
        self.found |= any(item.name.value == self.name for item in node.names)

    def visit_FunctionDef(self, node: cst.FunctionDef) -> bool:
        return False

    def visit_ClassDef(self, node: cst.ClassDef) -> bool:
        return False


def _check_references(
    site: Site,
    function: cst.FunctionDef,
    assign: cst.Assign,
    rest: Sequence[cst.BaseStatement],
    name: str,
) -> None:
    """Every use of `name` in the function is in `rest` (the statements after the binding, in
    its block), and none runs later than its statement (a closure, a generator)."""
    target = assign.targets[0].target
    allowed = {id(n) for s in rest for n in name_uses(s, {name})}
    allowed.add(id(target))
    for ref in name_uses(function.body, {name}):
        if id(ref) not in allowed:
            raise FixSkipped(f"'{name}' is also used outside the statements that follow it")
        if ref is not target and site.in_nested_scope(ref, function):
            owner = next(a for a in site.ancestors(ref) if isinstance(a, NESTED_SCOPES))
            if not isinstance(owner, (cst.ListComp, cst.SetComp, cst.DictComp)):
                raise FixSkipped(
                    f"'{name}' is used in a nested function, lambda or generator, which may "
                    "run after it is deleted"
                )
    if name_uses(assign.value, {name}):
        raise FixSkipped(f"'{name}' is used to compute itself")


def _is_del_of(stmt: cst.BaseStatement, name: str) -> bool:
    small = only_statement(stmt)
    return (
        isinstance(small, cst.Del)
        and isinstance(small.target, cst.Name)
        and small.target.value == name
    )


def _deletes(stmt: cst.BaseStatement, name: str) -> bool:
    finder = _Deletes(name)
    stmt.visit(finder)
    return finder.found


class _Deletes(cst.CSTVisitor):
    def __init__(self, name: str) -> None:
        self.name = name
        self.found = False

    def visit_Del(self, node: cst.Del) -> None:
        self.found |= bool(name_uses(node.target, {self.name}))


def _exits(stmts: Sequence[cst.BaseStatement]) -> bool:
    finder = _Exits()
    for stmt in stmts:
        stmt.visit(finder)
    return finder.found


class _Exits(cst.CSTVisitor):
    """return/raise/break/continue (outside nested functions): a ``finally:`` body with one may
    not reach a statement appended to it."""

    def __init__(self) -> None:
        self.found = False

    def visit_Return(self, node: cst.Return) -> None:
        self.found = True

    def visit_Raise(self, node: cst.Raise) -> None:
        self.found = True

    def visit_Break(self, node: cst.Break) -> None:
        self.found = True

    def visit_Continue(self, node: cst.Continue) -> None:
        self.found = True

    def visit_FunctionDef(self, node: cst.FunctionDef) -> bool:
        return False

    def visit_ClassDef(self, node: cst.ClassDef) -> bool:
        return False


def _protect(
    region: Sequence[cst.BaseStatement], final: cst.BaseStatement
) -> list[cst.BaseStatement]:
    """`region` run under ``try:`` with `final` (the ``del``) in its ``finally:``."""
    only = region[0] if len(region) == 1 else None
    if (
        isinstance(only, cst.Try)
        and only.finalbody is not None
        and isinstance(only.finalbody.body, cst.IndentedBlock)
        and not _exits(only.finalbody.body.body)
    ):
        block = only.finalbody.body
        extended = block.with_changes(body=[*block.body, without_blank_lines(final)])
        return [only.with_changes(finalbody=only.finalbody.with_changes(body=extended))]
    return [wrap_in_try(region, final)]
