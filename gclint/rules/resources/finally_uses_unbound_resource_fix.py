"""GCL104 (finally-uses-unbound-resource)::

    try:                                  conn = sqlite3.connect(path)
        conn = sqlite3.connect(path)      try:
        ...                         ->        ...
    finally:                              finally:
        conn.close()                          conn.close()

when the ``try`` has no ``except`` clause, the acquisition is its first statement and the
``finally:`` starts with the cleanup (so nothing the ``finally:`` ran before the cleanup raised
``UnboundLocalError`` is lost). Otherwise::

    conn = None
    try:
        ...
    except OSError:
        if conn is not None:
            conn.close()
        raise

Every top-level statement of the ``finally:`` and ``except`` blocks that uses the name (an
expression statement: ``conn.close()``, ``conn.rollback()``) goes under the guard; a statement
that uses it otherwise (``x = conn.y``, a loop over it) is not guarded blindly: the site is
skipped.
"""

from __future__ import annotations

from collections.abc import Sequence

import libcst as cst
from libcst.metadata import MetadataWrapper

from gclint.analysis.catalogue import CLEANUP_METHODS
from gclint.diagnostics import Diagnostic
from gclint.fixes.base import FixSkipped
from gclint.fixes.edit import indented, is_none_check, leading_lines, replace_statement
from gclint.fixes.site import Site, name_uses, only_statement

NAME_ERRORS = frozenset({"NameError", "UnboundLocalError", "Exception"})


TRY_TYPES = (cst.Try, cst.TryStar)


def fix(wrapper: MetadataWrapper, diagnostic: Diagnostic, unsafe: bool) -> cst.Module:
    site = Site(wrapper)
    call = site.node_at(diagnostic.range, cst.Call)
    assign = site.parent(call)
    if isinstance(assign, cst.Await):
        assign = site.parent(assign)
    if not (
        isinstance(assign, cst.Assign)
        and len(assign.targets) == 1
        and isinstance(assign.targets[0].target, cst.Name)
    ):
        raise FixSkipped("the acquisition is not a plain 'name = call(...)'")
    target = assign.targets[0].target
    assert isinstance(target, cst.Name)
    name = target.value
    stmt = site.statement_of(assign)
    try_node = _enclosing_try(site, stmt, name)
    cleanups = _cleanup_blocks(try_node)
    if isinstance(try_node, cst.Try) and _can_move_out(try_node, stmt, name):
        return _move_out(site, try_node, stmt)
    return _guard(site, try_node, cleanups, name)


def _enclosing_try(site: Site, stmt: cst.BaseStatement, name: str) -> cst.Try | cst.TryStar:
    """The innermost ``try`` whose body holds `stmt` and whose cleanup uses `name` unguarded."""
    child: cst.CSTNode = stmt
    for ancestor in site.ancestors(stmt):
        if isinstance(ancestor, (cst.FunctionDef, cst.ClassDef, cst.Lambda)):
            break
        if (
            isinstance(ancestor, TRY_TYPES)
            and child is ancestor.body
            and any(_unguarded(block, name) for block in _cleanup_blocks(ancestor))
        ):
            return ancestor
        child = ancestor
    raise FixSkipped("no 'try' whose cleanup uses the name was found around the acquisition")


def _cleanup_blocks(try_node: cst.Try | cst.TryStar) -> list[Sequence[cst.BaseStatement]]:
    blocks: list[Sequence[cst.BaseStatement]] = []
    if try_node.finalbody is not None:
        blocks.append(_statements(try_node.finalbody.body))
    blocks += [_statements(h.body) for h in try_node.handlers]
    return blocks


def _statements(suite: cst.BaseSuite) -> Sequence[cst.BaseStatement]:
    if isinstance(suite, cst.IndentedBlock):
        return suite.body
    raise FixSkipped("a block is written on the same line as its header")


def _unguarded(body: Sequence[cst.BaseStatement], name: str) -> bool:
    """Whether some statement of `body` uses `name` outside a guard the rule accepts."""
    return any(_uses(stmt, name) and not _guarded(stmt, name) for stmt in body)


def _uses(stmt: cst.BaseStatement, name: str) -> bool:
    """Whether `stmt` reads `name` (a plain ``name = ...`` rebinding does not)."""
    small = only_statement(stmt)
    if (
        isinstance(small, cst.Assign)
        and all(isinstance(t.target, cst.Name) for t in small.targets)
        and not name_uses(small.value, {name})
    ):
        return False
    return bool(name_uses(stmt, {name}))


def _guarded(stmt: cst.BaseStatement, name: str) -> bool:
    """``if conn is not None:`` / ``if conn:`` (any test naming it), or a ``try`` that catches
    the NameError."""
    if isinstance(stmt, cst.If):
        return bool(name_uses(stmt.test, {name}))
    if isinstance(stmt, TRY_TYPES):
        return any(_catches_name_error(h) for h in stmt.handlers)
    return False


def _catches_name_error(handler: cst.ExceptHandler | cst.ExceptStarHandler) -> bool:
    if handler.type is None:
        return True
    types = (
        [e.value for e in handler.type.elements]
        if isinstance(handler.type, cst.Tuple)
        else [handler.type]
    )
    for node in types:
        label = node.attr.value if isinstance(node, cst.Attribute) else getattr(node, "value", "")
        if label in NAME_ERRORS:
            return True
    return False


def _can_move_out(try_node: cst.Try, stmt: cst.BaseStatement, name: str) -> bool:
    """No ``except`` clause, the acquisition first in the body, and the ``finally:`` starting
    with the cleanup: if the acquisition raises, the original ``finally:`` ran nothing before
    it failed on the name, so not running it at all loses nothing."""
    if try_node.handlers or try_node.finalbody is None:
        return False
    body = _statements(try_node.body)
    if body[0] is not stmt:
        return False
    final = _statements(try_node.finalbody.body)
    first = final[0].body[0] if isinstance(final[0], cst.SimpleStatementLine) else None
    return (
        isinstance(first, cst.Expr)
        and isinstance(first.value, cst.Call)
        and isinstance(first.value.func, cst.Attribute)
        and isinstance(first.value.func.value, cst.Name)
        and first.value.func.value.value == name
        and first.value.func.attr.value in CLEANUP_METHODS
    )


def _move_out(site: Site, try_node: cst.Try, stmt: cst.BaseStatement) -> cst.Module:
    body = list(_statements(try_node.body))[1:]
    if not body:
        body = [cst.SimpleStatementLine(body=[cst.Pass()])]
    assert isinstance(try_node.body, cst.IndentedBlock)
    new_try = try_node.with_changes(body=try_node.body.with_changes(body=body), leading_lines=())
    acquisition = stmt.with_changes(leading_lines=[*try_node.leading_lines, *leading_lines(stmt)])
    return replace_statement(site, try_node, [acquisition, new_try])


def _guard(
    site: Site,
    try_node: cst.Try | cst.TryStar,
    cleanups: list[Sequence[cst.BaseStatement]],
    name: str,
) -> cst.Module:
    new_try = try_node
    if try_node.finalbody is not None:
        block = try_node.finalbody.body
        assert isinstance(block, cst.IndentedBlock)
        guarded = block.with_changes(body=_guarded_body(block.body, name))
        new_try = new_try.with_changes(finalbody=try_node.finalbody.with_changes(body=guarded))
    handlers = []
    for handler in try_node.handlers:
        block = handler.body
        assert isinstance(block, cst.IndentedBlock)
        guarded = block.with_changes(body=_guarded_body(block.body, name))
        handlers.append(handler.with_changes(body=guarded))
    new_try = new_try.with_changes(handlers=handlers, leading_lines=())
    bind = cst.SimpleStatementLine(
        body=[cst.Assign(targets=[cst.AssignTarget(cst.Name(name))], value=cst.Name("None"))],
        leading_lines=try_node.leading_lines,
    )
    return replace_statement(site, try_node, [bind, new_try])


def _guarded_body(body: Sequence[cst.BaseStatement], name: str) -> list[cst.BaseStatement]:
    """`body` with each run of statements that use `name` under ``if name is not None:``."""
    out: list[cst.BaseStatement] = []
    run: list[cst.BaseStatement] = []

    def flush() -> None:
        if run:
            first = run[0]
            inner = [first.with_changes(leading_lines=()), *run[1:]]
            out.append(
                cst.If(
                    test=is_none_check(name),
                    body=indented(inner),
                    leading_lines=leading_lines(first),
                )
            )
            run.clear()

    for stmt in body:
        if not _uses(stmt, name) or _guarded(stmt, name):
            flush()
            out.append(stmt)
            continue
        if not (
            isinstance(stmt, cst.SimpleStatementLine)
            and all(isinstance(s, cst.Expr) for s in stmt.body)
        ):
            raise FixSkipped(
                f"the cleanup uses '{name}' in a statement that cannot simply be guarded "
                f"with 'if {name} is not None:'"
            )
        run.append(stmt)
    flush()
    return out
