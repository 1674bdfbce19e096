"""GCL101 and GCL103: ``x = acquire(...)`` ... ``x.close()`` becomes ``with acquire(...) as x:``.

The ``with`` block covers the statements from the acquisition to the last use of `x` in the same
block; a trailing ``x.close()`` that is the last use is removed (the block then ends where the
close was, so the resource is closed at the same point on the normal path). The rewrite is made
only when it provably keeps the program's meaning:

- the acquisition is a statement ``x = call(...)`` of its own, not awaited;
- ``with call(...) as x:`` binds the same object and its exit only closes it: the call is a
  known factory whose ``__enter__`` returns the object and whose ``__exit__`` closes it
  (`WITH_CLOSES`), or a class of the same module defining ``close()``, which is then wrapped in
  ``contextlib.closing(...)``;
- an asynchronous resource gets ``async with``, only in an ``async def``: a known factory whose
  ``__aenter__``/``__aexit__`` do the same (`ASYNC_WITH_CLOSES`, the trailing close being
  ``await x.aclose()``/``await x.close()``), or a class of the same module whose release is an
  ``async def aclose()``, wrapped in ``contextlib.aclosing(...)`` (an ``async def close()``
  has no such wrapper: skipped);
- every use of `x` is in the covered statements, none rebinds or deletes it, none is in a nested
  function, lambda or class, and neither `x` nor a value made from it (other than plain data such
  as ``f.read()`` or ``json.load(f)``) is returned, yielded, or used after the block. A file
  descriptor (``x.fileno()``) is not plain data: it is valid only while `x` is open, so what is
  made from it must not outlive the block either.

Anything else raises `FixSkipped` with the reason.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass

import libcst as cst
from libcst.metadata import MetadataWrapper

from gclint.analysis.catalogue import ASYNC_WITH_CLOSES, WITH_CLOSES
from gclint.diagnostics import Diagnostic
from gclint.fixes.base import FixSkipped
from gclint.fixes.edit import contextlib_call, wrap_in_with
from gclint.fixes.imports import ensure_import
from gclint.fixes.site import Place, Site, dotted, name_uses

# Methods and attributes whose result is plain data, holding no reference to the resource.
DATA_METHODS = frozenset(
    {
        "read",
        "read1",
        "readline",
        "readlines",
        "readinto",
        "write",
        "writelines",
        "flush",
        "seek",
        "tell",
        "truncate",
        "isatty",
        "readable",
        "writable",
        "seekable",
        "recv",
        "recv_into",
        "recvfrom",
        "send",
        "sendall",
        "sendto",
        "settimeout",
        "setblocking",
        "setsockopt",
        "getsockname",
        "getpeername",
        "connect",
        "bind",
        "listen",
        "namelist",
        "infolist",
        "getinfo",
        "testzip",
        "writestr",
        "extractall",
        "getnames",
        "getvalue",
        "read_text",
        "read_bytes",
        "getcode",
        "getheader",
        "getheaders",
        "geturl",
    }
)


DATA_ATTRIBUTES = frozenset({"name", "mode", "closed", "encoding", "errors", "status", "url"})


# Functions that read a resource into (or write data to) it and keep no reference to it.
DATA_FUNCTIONS = frozenset(
    {
        "json.load",
        "json.dump",
        "pickle.load",
        "pickle.dump",
        "marshal.load",
        "marshal.dump",
        "tomllib.load",
        "plistlib.load",
        "plistlib.dump",
        "shutil.copyfileobj",
        "builtins.print",
        "builtins.len",
    }
)


@dataclass(frozen=True)
class Item:
    """The ``with`` item for the acquisition: its expression, the import it needs (or None),
    whether it is ``async with``, and the method a trailing close calls (``close``/``aclose``)."""

    expr: cst.BaseExpression
    needs: str | None = None
    asynchronous: bool = False
    close: str = "close"


@dataclass
class Plan:
    """How the block is rewritten: the statements covered, and the close to remove."""

    stop: int  # index after the last covered statement
    remove: int | None  # index of the trailing close() (== stop), or None


def resource_name(place: Place[cst.SimpleStatementLine], call: cst.Call) -> str:
    stmt = place.stmt.body[0]
    if not (
        isinstance(stmt, cst.Assign)
        and len(stmt.targets) == 1
        and isinstance(stmt.targets[0].target, cst.Name)
    ):
        raise FixSkipped("the acquisition is not a plain 'name = call(...)' statement")
    if stmt.value is not call:
        if isinstance(stmt.value, cst.Await):
            raise FixSkipped("the acquisition is awaited ('async with' is not rewritten)")
        raise FixSkipped("the acquisition is not a plain 'name = call(...)' statement")
    return stmt.targets[0].target.value


def is_close_of(stmt: cst.BaseStatement, name: str, item: Item | None = None) -> bool:
    """True for a statement line that is exactly ``name.close()`` (``await name.aclose()``
    for an asynchronous `item` whose close is ``aclose``)."""
    if not (isinstance(stmt, cst.SimpleStatementLine) and len(stmt.body) == 1):
        return False
    expr = stmt.body[0]
    if not isinstance(expr, cst.Expr):
        return False
    value = expr.value
    if item is not None and item.asynchronous:
        if not isinstance(value, cst.Await):
            return False
        value = value.expression
    method = item.close if item is not None else "close"
    return (
        isinstance(value, cst.Call) and not value.args and dotted(value.func) == f"{name}.{method}"
    )


def plan_block(place: Place[cst.SimpleStatementLine], name: str, item: Item | None = None) -> Plan:
    """Which statements after the acquisition the ``with`` must cover."""
    body = place.body
    users = [i for i in range(place.index + 1, len(body)) if name_uses(body[i], {name})]
    if not users:
        raise FixSkipped(f"'{name}' is not used after it is acquired in its block")
    last = users[-1]
    if is_close_of(body[last], name, item):
        return Plan(stop=last, remove=last)
    return Plan(stop=last + 1, remove=None)


class Scan(cst.CSTVisitor):
    """Classifies the uses of the tracked names inside the covered statements."""

    def __init__(self, site: Site, resource: str) -> None:
        self.site = site
        self.resource = resource
        self.tracked = {resource}
        self.closes = 0

    def check(self, statements: Sequence[cst.BaseStatement]) -> None:
        for _ in range(10):  # values made from the resource, transitively
            before = set(self.tracked)
            for stmt in statements:
                for use in name_uses(stmt, self.tracked):
                    self._use(use)
            if self.tracked == before:
                return
        raise FixSkipped(f"too many values are made from '{self.resource}'")

    def _use(self, use: cst.Name) -> None:
        name = use.value
        where = f"line {self.site.line(use)}"
        for ancestor in self.site.ancestors(use):
            if isinstance(ancestor, (cst.FunctionDef, cst.Lambda, cst.ClassDef)):
                raise FixSkipped(f"'{name}' is used in a nested function or class ({where})")
            if isinstance(ancestor, (cst.SimpleStatementLine, cst.BaseCompoundStatement)):
                break
        parent = self.site.parent(use)
        if binds(self.site, use):
            if name == self.resource:
                raise FixSkipped(f"'{name}' is rebound or deleted ({where})")
            return  # a value made from the resource, (re)bound: its uses are what matter
        if name == self.resource and self._data_use(use, parent):
            return
        small = self._small_statement(use)
        if isinstance(small, cst.Expr) and discarded(small.value):
            if name == self.resource and dotted(call_func(small)) in (
                f"{name}.close",
                f"{name}.aclose",
            ):
                self.closes += 1
            return  # the value is discarded (``await x.send(...)``: once awaited)
        if (
            isinstance(small, cst.Assign)
            and all(isinstance(t.target, cst.Name) for t in small.targets)
            and self.site.inside(use, small.value)
        ):
            self.tracked.update(
                t.target.value for t in small.targets if isinstance(t.target, cst.Name)
            )
            return
        if isinstance(small, cst.With) and any(self.site.inside(use, i.item) for i in small.items):
            # ``with conn.cursor() as cur:``: what the item binds is made from the resource
            for with_item in small.items:
                if with_item.asname is not None:
                    self.tracked.update(n.value for n in name_uses(with_item.asname))
            return
        if isinstance(small, (cst.If, cst.While)) and self.site.inside(use, small.test):
            return  # a test: its value is consumed
        if isinstance(small, (cst.Return, cst.Expr)):
            raise FixSkipped(f"'{name}' (or a value that holds it) leaves the block ({where})")
        raise FixSkipped(f"'{name}' is used in a way the fix cannot follow ({where})")

    def _data_use(self, use: cst.Name, parent: cst.CSTNode | None) -> bool:
        site = self.site
        if isinstance(parent, cst.Attribute) and parent.value is use:
            grand = site.parent(parent)
            if isinstance(grand, cst.Call) and grand.func is parent:
                return parent.attr.value in DATA_METHODS
            return parent.attr.value in DATA_ATTRIBUTES
        if isinstance(parent, cst.Arg) and parent.value is use:
            call = site.parent(parent)
            if isinstance(call, cst.Call):
                return bool(site.qualified_names(call) & DATA_FUNCTIONS)
        if isinstance(parent, cst.For) and parent.iter is use:
            return True
        return isinstance(parent, cst.CompFor) and parent.iter is use

    def _small_statement(self, use: cst.Name) -> cst.CSTNode | None:
        previous: cst.CSTNode = use
        for ancestor in self.site.ancestors(use):
            if isinstance(ancestor, cst.BaseSmallStatement):
                return ancestor
            if isinstance(ancestor, cst.BaseCompoundStatement):
                return ancestor
            previous = ancestor
        del previous
        return None


def discarded(value: cst.BaseExpression) -> bool:
    """An expression statement's value that nothing keeps: not a ``yield`` (the consumer gets
    it), nor an ``await`` of anything but a call."""
    if isinstance(value, cst.Await):
        return isinstance(value.expression, cst.Call)
    return not isinstance(value, cst.Yield)


def call_func(expr: cst.Expr) -> cst.BaseExpression:
    value = expr.value.expression if isinstance(expr.value, cst.Await) else expr.value
    return value.func if isinstance(value, cst.Call) else value


def binds(site: Site, use: cst.Name) -> bool:
    """Whether `use` is bound (assigned, a loop or ``as`` target, deleted, declared...)."""
    node: cst.CSTNode = use
    for parent in site.ancestors(use):
        if isinstance(parent, (cst.Tuple, cst.List, cst.StarredElement, cst.Element)):
            node = parent
            continue
        if isinstance(parent, cst.AssignTarget):
            return True
        if isinstance(parent, (cst.AugAssign, cst.AnnAssign)) and parent.target is node:
            return True
        if isinstance(parent, (cst.For, cst.CompFor)) and parent.target is node:
            return True
        if isinstance(parent, cst.AsName):
            return True
        if isinstance(parent, cst.NamedExpr) and parent.target is node:
            return True
        return isinstance(parent, (cst.Del, cst.Global, cst.Nonlocal, cst.NameItem, cst.Param))
    return False


def scope_uses(scope: cst.FunctionDef | cst.Module, names: set[str]) -> list[cst.Name]:
    """The uses of `names` in a function's parameters and body (not its own name), or in a
    module."""
    if isinstance(scope, cst.Module):
        return name_uses(scope, names)
    return [*name_uses(scope.params, names), *name_uses(scope.body, names)]


def with_item_for(site: Site, call: cst.Call) -> Item:
    """The ``with`` item for the acquisition (see `Item`)."""
    names = site.qualified_names(call.func)
    if len(names) == 1 and names <= WITH_CLOSES:
        return Item(call)
    if len(names) == 1 and names <= ASYNC_WITH_CLOSES.keys():
        return Item(call, asynchronous=True, close=ASYNC_WITH_CLOSES[min(names)])
    label = dotted(call.func) or "the call"
    methods = local_class_methods(site.module, call)
    closer = methods.get("close")
    if closer is not None and closer.asynchronous is None:
        return wrapped(site, call, "closing", Item(call))
    aclose = methods.get("aclose")
    if aclose is not None and aclose.asynchronous is not None:
        return wrapped(site, call, "aclosing", Item(call, asynchronous=True, close="aclose"))
    if closer is not None:
        raise FixSkipped(
            f"'{label}.close()' is a coroutine: contextlib.closing() would not await it"
        )
    raise FixSkipped(
        f"'with {label}(...)' is not known to close what it returns (only known factories "
        "and classes of this module with close() or async aclose() are rewritten)"
    )


def wrapped(site: Site, call: cst.Call, wrapper: str, item: Item) -> Item:
    """`item` with its call in ``contextlib.closing(...)``/``aclosing(...)``."""
    expr, needs_import = contextlib_call(site.module, wrapper, call)
    return dataclasses.replace(item, expr=expr, needs="contextlib" if needs_import else item.needs)


def local_class_methods(module: cst.Module, call: cst.Call) -> dict[str, cst.FunctionDef]:
    """The methods of the class of this module that `call` instantiates (empty if none)."""
    if not isinstance(call.func, cst.Name):
        return {}
    found = [
        s
        for s in module.body
        if isinstance(s, (cst.ClassDef, cst.FunctionDef)) and s.name.value == call.func.value
    ]
    if len(found) != 1 or not isinstance(found[0], cst.ClassDef):
        return {}
    return {s.name.value: s for s in found[0].body.body if isinstance(s, cst.FunctionDef)}


def rewrite(wrapper: MetadataWrapper, diagnostic: Diagnostic) -> cst.Module:
    site = Site(wrapper)
    call = site.node_at(diagnostic.range, cst.Call, exact=False)
    place = site.statement_line_of(call)
    name = resource_name(place, call)
    scope = site.function_scope_of(place.stmt)
    try:
        known: Item | None = with_item_for(site, call)
        unknown = None
    except FixSkipped as exc:  # said after the reasons about the block, as it always was
        known, unknown = None, exc
    if known is not None and known.asynchronous and not async_def(scope):
        raise FixSkipped(
            "'async with' needs an 'async def', and the resource is acquired outside one"
        )
    plan = plan_block(place, name, known)
    covered = list(place.body[place.index + 1 : plan.stop])
    for use in scope_uses(scope, {name}):
        if site.inside(use, place.stmt) or any(site.inside(use, s) for s in covered):
            continue
        if plan.remove is not None and site.inside(use, place.body[plan.remove]):
            continue
        raise FixSkipped(
            f"'{name}' is also used outside the statements the 'with' would cover "
            f"(line {site.line(use)})"
        )
    scan = Scan(site, name)
    scan.check(covered)
    for tracked in scan.tracked - {name}:
        for use in scope_uses(scope, {tracked}):
            if not any(site.inside(use, s) for s in covered):
                raise FixSkipped(
                    f"'{tracked}', made from '{name}', is used after the 'with' block "
                    f"(line {site.line(use)})"
                )
    if unknown is not None:
        raise unknown
    item = known
    assert item is not None
    if scan.closes and (item.needs is not None or item.asynchronous):
        raise FixSkipped(f"'{name}' is also closed inside the block (closing twice)")
    with_item = cst.WithItem(item=item.expr, asname=cst.AsName(name=cst.Name(name)))
    module = wrap_in_with(
        site,
        place,
        [with_item],
        stop=plan.stop,
        remove=plan.remove,
        asynchronous=item.asynchronous,
    )
    if item.needs is not None:
        module = ensure_import(module, item.needs)
    return module


def async_def(scope: cst.FunctionDef | cst.Module) -> bool:
    return isinstance(scope, cst.FunctionDef) and scope.asynchronous is not None
