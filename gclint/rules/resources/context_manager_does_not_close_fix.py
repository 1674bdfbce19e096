"""GCL105: ``with connect(...) as conn:`` becomes
``with contextlib.closing(connect(...)) as conn, conn:``.

The connection's own ``__exit__`` still commits or rolls back; `closing` adds the close. Made
only when nothing uses the connection (or a value made from it, such as a cursor) after the
``with`` block, which now closes it. The form ``conn = connect(...)`` then ``with conn:`` is
rewritten the same way (the assignment folded into the ``with``) only when that assignment is
the statement just before the ``with`` and the only other use of `conn` is inside the block;
a connection made elsewhere is not the block's to close.
"""

from __future__ import annotations

import libcst as cst
from libcst.metadata import MetadataWrapper

from gclint.diagnostics import Diagnostic
from gclint.fixes.base import FixSkipped
from gclint.fixes.edit import comment_lines, contextlib_call, merge_leading, replace_block_body
from gclint.fixes.imports import ensure_import, from_import_available
from gclint.fixes.site import Site
from gclint.fixes.with_block import Scan, scope_uses


def _check_uses(
    site: Site, with_node: cst.With, name: str, allowed: tuple[cst.CSTNode, ...]
) -> None:
    scope = site.function_scope_of(with_node)
    for use in scope_uses(scope, {name}):
        if site.inside(use, with_node.body) or any(site.inside(use, a) for a in allowed):
            continue
        raise FixSkipped(f"'{name}' is used outside the 'with' block (line {site.line(use)})")
    scan = Scan(site, name)
    scan.check(list(with_node.body.body) if isinstance(with_node.body, cst.IndentedBlock) else [])
    if not isinstance(with_node.body, cst.IndentedBlock):
        raise FixSkipped("the 'with' block is on one line")
    for tracked in scan.tracked - {name}:
        for use in scope_uses(scope, {tracked}):
            if not site.inside(use, with_node.body):
                raise FixSkipped(
                    f"'{tracked}', made from '{name}', is used after the 'with' block "
                    f"(line {site.line(use)})"
                )
    if scan.closes:
        raise FixSkipped(f"'{name}' is closed inside the block already")


def fix(wrapper: MetadataWrapper, diagnostic: Diagnostic, unsafe: bool) -> cst.Module:
    site = Site(wrapper)
    try:
        call: cst.CSTNode = site.node_at(diagnostic.range, cst.Call, exact=False)
    except FixSkipped:
        call = site.node_at(diagnostic.range, cst.Name, exact=False)
    item = site.parent(call)
    with_node = site.parent(item) if item is not None else None
    if not (isinstance(item, cst.WithItem) and isinstance(with_node, cst.With)):
        raise FixSkipped("the connection is not a 'with' item")
    if with_node.asynchronous is not None:
        raise FixSkipped("'async with' is not rewritten")
    if isinstance(call, cst.Call):
        new = _rewrite_call_item(site, with_node, item, call)
    else:
        new = _rewrite_name_item(site, with_node, item, call)
    return ensure_import(new, "contextlib") if _needs_import(new, site) else new


def _needs_import(new: cst.Module, site: Site) -> bool:
    return not from_import_available(site.module, "contextlib", "closing")


def _items(item: cst.WithItem, closing: cst.Call, name: str) -> tuple[cst.WithItem, cst.WithItem]:
    first = cst.WithItem(
        item=closing,
        asname=cst.AsName(name=cst.Name(name)),
        comma=cst.Comma(whitespace_after=cst.SimpleWhitespace(" ")),
    )
    return first, cst.WithItem(item=cst.Name(name), comma=item.comma)


def _replace_item(
    with_node: cst.With, item: cst.WithItem, pair: tuple[cst.WithItem, cst.WithItem]
) -> cst.With:
    items: list[cst.WithItem] = []
    for current in with_node.items:
        items.extend(pair if current is item else (current,))
    return with_node.with_changes(items=items)


def _rewrite_call_item(
    site: Site, with_node: cst.With, item: cst.WithItem, call: cst.Call
) -> cst.Module:
    if item.asname is None or not isinstance(item.asname.name, cst.Name):
        raise FixSkipped("the connection is not bound to a name ('with ... as conn:')")
    name = item.asname.name.value
    _check_uses(site, with_node, name, (item,))
    closing, _ = contextlib_call(site.module, "closing", call)
    new_with = _replace_item(with_node, item, _items(item, closing, name))
    return cst.ensure_type(site.module.deep_replace(with_node, new_with), cst.Module)


def _rewrite_name_item(
    site: Site, with_node: cst.With, item: cst.WithItem, name_node: cst.CSTNode
) -> cst.Module:
    if not isinstance(name_node, cst.Name) or item.item is not name_node or item.asname:
        raise FixSkipped("the connection is not a plain 'with conn:' item")
    name = name_node.value
    place = site.place_of(with_node)
    body = list(place.body)
    index = place.index
    previous = body[index - 1] if index else None
    if not (
        isinstance(previous, cst.SimpleStatementLine)
        and len(previous.body) == 1
        and isinstance(previous.body[0], cst.Assign)
        and len(previous.body[0].targets) == 1
        and isinstance(previous.body[0].targets[0].target, cst.Name)
        and previous.body[0].targets[0].target.value == name
        and isinstance(previous.body[0].value, cst.Call)
    ):
        raise FixSkipped(
            f"'{name}' is not made by the statement just before the 'with' "
            "(a connection made elsewhere is not this block's to close)"
        )
    acquisition = previous.body[0].value
    _check_uses(site, with_node, name, (previous, item))
    closing, _ = contextlib_call(site.module, "closing", acquisition)
    new_with = _replace_item(with_node, item, _items(item, closing, name))
    new_with = new_with.with_changes(
        leading_lines=merge_leading(comment_lines(previous), new_with.leading_lines)
    )
    body[index - 1 : index + 1] = [new_with]
    return replace_block_body(site, place.block, body)
