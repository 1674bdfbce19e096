"""GCL106: ``lock.acquire()`` ... ``lock.release()`` becomes ``with lock:``.

Made only when the acquire is a statement of its own without arguments (no timeout, no
``blocking=False``: those acquires can fail, ``with`` cannot express them), the release is a
statement of its own, the last one of the block that touches the lock, nothing between them
touches the lock, and no ``return``/``break``/``continue``/``yield`` between them leaves the
block with the lock held on purpose (``with`` would release it there). An awaited acquire
(``await lock.acquire()``, asyncio) becomes ``async with lock:``.
"""

from __future__ import annotations

import libcst as cst
from libcst.metadata import MetadataWrapper

from gclint.diagnostics import Diagnostic
from gclint.fixes.base import FixSkipped
from gclint.fixes.edit import wrap_in_with
from gclint.fixes.site import EarlyExits, Site


class _Mentions(cst.CSTVisitor):
    """Finds expressions whose code is `target` (a lock: ``lock``, ``self._lock``)."""

    def __init__(self, module: cst.Module, target: str) -> None:
        self.module = module
        self.target = target
        self.found = False

    def on_visit(self, node: cst.CSTNode) -> bool:
        if self.found:
            return False
        if isinstance(node, (cst.Name, cst.Attribute)) and (
            self.module.code_for_node(node) == self.target
        ):
            self.found = True
            return False
        return True


def mentions(module: cst.Module, node: cst.CSTNode, target: str) -> bool:
    visitor = _Mentions(module, target)
    node.visit(visitor)
    return visitor.found


def _lock_call(stmt: cst.BaseStatement, method: str) -> tuple[cst.BaseExpression, bool] | None:
    """(receiver, awaited) for a statement line that is exactly ``[await] recv.method()``."""
    if not (isinstance(stmt, cst.SimpleStatementLine) and len(stmt.body) == 1):
        return None
    expr = stmt.body[0]
    if not isinstance(expr, cst.Expr):
        return None
    value = expr.value
    awaited = isinstance(value, cst.Await)
    if isinstance(value, cst.Await):
        value = value.expression
    if not (
        isinstance(value, cst.Call)
        and isinstance(value.func, cst.Attribute)
        and value.func.attr.value == method
    ):
        return None
    if value.args:
        return None
    return value.func.value, awaited


def fix(wrapper: MetadataWrapper, diagnostic: Diagnostic, unsafe: bool) -> cst.Module:
    site = Site(wrapper)
    call = site.node_at(diagnostic.range, cst.Call, exact=False)
    if call.args:
        raise FixSkipped("acquire() has arguments (a timeout or blocking=False can fail)")
    place = site.statement_line_of(call)
    found = _lock_call(place.stmt, "acquire")
    if found is None:
        raise FixSkipped("the acquire() is not a statement of its own")
    receiver, awaited = found
    module = site.module
    lock = module.code_for_node(receiver)
    body = place.body
    users = [i for i in range(place.index + 1, len(body)) if mentions(module, body[i], lock)]
    if not users:
        raise FixSkipped(f"'{lock}' is not released in the same block")
    last = users[-1]
    release = _lock_call(body[last], "release")
    if release is None or release[1]:
        raise FixSkipped(f"the last use of '{lock}' in the block is not '{lock}.release()'")
    if len(users) > 1:
        line = site.line(body[users[0]])
        raise FixSkipped(f"'{lock}' is used between acquire() and release() (line {line})")
    for stmt in body[place.index + 1 : last]:
        exits = EarlyExits()
        stmt.visit(exits)
        if exits.found is not None:
            raise FixSkipped(
                f"a '{exits.found}' between acquire() and release() leaves the lock held "
                "('with' would release it)"
            )
    item = cst.WithItem(item=receiver)
    return wrap_in_with(site, place, [item], stop=last, remove=last, asynchronous=awaited)
