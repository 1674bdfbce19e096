"""Rewriting a module at a `Site`: statements replaced, wrapped in ``with`` or ``try:``, new
nodes built, without losing the comments and blank lines around what moves.

Every function returns new nodes (libcst trees are immutable) or the whole new module; none
reparses. `FixSkipped` means the rewrite is not possible at that place.
"""

from __future__ import annotations

from collections.abc import Sequence

import libcst as cst

from gclint.fixes.base import FixSkipped
from gclint.fixes.imports import from_import_available
from gclint.fixes.site import Place, Site

# -- replacing statements --------------------------------------------------------------------------


def replace_block_body(
    site: Site,
    block: cst.IndentedBlock | cst.Module,
    body: Sequence[cst.BaseStatement],
    footer: Sequence[cst.EmptyLine] | None = None,
) -> cst.Module:
    """The module with `block`'s statements (and its footer, if given) replaced."""
    changes: dict[str, object] = {"body": body}
    if footer is not None:
        changes["footer"] = footer
    if isinstance(block, cst.Module):
        return block.with_changes(**changes)
    replaced = site.module.deep_replace(block, block.with_changes(**changes))
    return cst.ensure_type(replaced, cst.Module)


def replace_statement(
    site: Site, stmt: cst.BaseStatement, new: Sequence[cst.BaseStatement]
) -> cst.Module:
    """The module with `stmt` replaced, in its block, by the statements `new`."""
    place = site.place_of(stmt)
    body = list(place.body)
    body[place.index : place.index + 1] = new
    return replace_block_body(site, place.block, body)


# -- comments and blank lines ----------------------------------------------------------------------


def leading_lines(stmt: cst.BaseStatement) -> Sequence[cst.EmptyLine]:
    """The blank and comment lines above a statement."""
    if isinstance(stmt, (cst.SimpleStatementLine, cst.BaseCompoundStatement)):
        return stmt.leading_lines
    return ()


def without_blank_lines(stmt: cst.BaseStatement) -> cst.BaseStatement:
    """`stmt` keeping the comments above it, not the blank lines."""
    return stmt.with_changes(
        leading_lines=[x for x in leading_lines(stmt) if x.comment is not None]
    )


def comment_lines(line: cst.SimpleStatementLine) -> list[cst.EmptyLine]:
    """What removing `line` must keep: its leading lines and its trailing comment."""
    kept = list(line.leading_lines)
    trailing = line.trailing_whitespace.comment
    if trailing is not None:
        kept.append(cst.EmptyLine(indent=True, comment=trailing))
    return kept


def merge_leading(
    moved: Sequence[cst.EmptyLine], own: Sequence[cst.EmptyLine]
) -> list[cst.EmptyLine]:
    """`moved` lines (from a removed statement) before `own` without doubling blank lines."""
    moved = list(moved)
    if own and own[0].comment is None:
        while moved and moved[-1].comment is None:
            moved.pop()
    return [*moved, *own]


def _has_comment(lines: Sequence[cst.EmptyLine]) -> bool:
    return any(e.comment is not None for e in lines)


# -- building nodes --------------------------------------------------------------------------------


def indented(body: Sequence[cst.BaseStatement]) -> cst.IndentedBlock:
    return cst.IndentedBlock(body=list(body))


def is_none_check(name: str) -> cst.Comparison:
    """``name is not None``."""
    return cst.Comparison(
        left=cst.Name(name),
        comparisons=[cst.ComparisonTarget(operator=cst.IsNot(), comparator=cst.Name("None"))],
    )


def contextlib_call(
    module: cst.Module, function: str, arg: cst.BaseExpression
) -> tuple[cst.Call, bool]:
    """``function(arg)`` when `module` has a usable ``from contextlib import function``, else
    ``contextlib.function(arg)``; and whether the latter needs ``import contextlib``."""
    if from_import_available(module, "contextlib", function):
        return cst.Call(func=cst.Name(function), args=[cst.Arg(arg)]), False
    func = cst.Attribute(value=cst.Name("contextlib"), attr=cst.Name(function))
    return cst.Call(func=func, args=[cst.Arg(arg)]), True


# -- wrapping statements ---------------------------------------------------------------------------


def wrap_in_try(region: Sequence[cst.BaseStatement], final: cst.BaseStatement) -> cst.Try:
    """``try:`` over `region` (not empty) with ``finally:`` holding `final`. The blank lines
    above the region stay above ``try:``, its comments on their statement; `final` keeps the
    comments above it, not the blank lines."""
    first = region[0]
    lines = list(leading_lines(first))
    blank = 0
    while blank < len(lines) and lines[blank].comment is None:
        blank += 1
    inner = [first.with_changes(leading_lines=lines[blank:]), *region[1:]]
    return cst.Try(
        body=indented(inner),
        finalbody=cst.Finally(body=indented([without_blank_lines(final)])),
        leading_lines=lines[:blank],
    )


def wrap_in_with(
    site: Site,
    place: Place[cst.SimpleStatementLine],
    items: Sequence[cst.WithItem],
    *,
    stop: int,
    remove: int | None = None,
    asynchronous: bool = False,
) -> cst.Module:
    """Replace the statement at `place` by ``with items:`` over the block's statements after
    it up to `stop` (exclusive). The statement at `remove` (if any; it must be `stop`) is
    deleted, and its comments move to the statement after it (or to the block's footer)."""
    body = list(place.body)
    head = place.stmt
    inner = body[place.index + 1 : stop]
    if not inner:
        raise FixSkipped("no statement would be inside the 'with' block")
    block = cst.IndentedBlock(body=inner, header=head.trailing_whitespace)
    with_node = cst.With(
        items=list(items),
        body=block,
        leading_lines=head.leading_lines,
        asynchronous=cst.Asynchronous() if asynchronous else None,
    )
    new_body: list[cst.BaseStatement] = [*body[: place.index], with_node]
    footer: list[cst.EmptyLine] = list(place.block.footer)
    rest = body[stop:]
    if remove is not None:
        if remove != stop:
            raise FixSkipped("internal: the removed statement must end the covered ones")
        removed = rest.pop(0)
        assert isinstance(removed, cst.SimpleStatementLine)
        kept = comment_lines(removed)
        if rest:
            first = rest[0]
            assert isinstance(first, (cst.SimpleStatementLine, cst.BaseCompoundStatement))
            rest[0] = first.with_changes(leading_lines=merge_leading(kept, first.leading_lines))
        elif _has_comment(kept):
            footer = [*(e for e in kept if e.comment is not None), *footer]
    new_body += rest
    return replace_block_body(site, place.block, new_body, footer)
