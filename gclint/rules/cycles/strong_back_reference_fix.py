"""GCL302 (strong-back-reference, unsafe): hand the back-reference a ``weakref.proxy``.

Two shapes, both fixed by passing ``weakref.proxy(obj)`` where the strong back-reference was::

    self.child = Child(self)          ->  self.child = Child(weakref.proxy(self))
    child.parent = self               ->  child.parent = weakref.proxy(self)
    self.children.append(child)           self.children.append(child)

A proxy behaves like the object for attribute access, calls and operators, so no read has to
be rewritten; the parent keeps the child alive, the child no longer keeps the parent alive.
That is why the fix is unsafe: once the parent is gone, using ``child.parent`` raises
``ReferenceError``; and a proxy is not the object (``is``, ``type()``, hashing, pickling differ).

The fixer proves what it can, and skips otherwise:

- the edge made weak is the ``self`` argument of ``Child(self)`` whose ``Child.__init__`` keeps
  it, in the parent's own ``__init__`` (the caller holds the new parent); or a plain
  ``holder.attr = obj`` (never a container of children: those are what keeps the children
  alive) where ``holder`` is made in this function (``child = Node(...)``: a child, not a
  long-lived object such as a class that may be all that keeps ``obj`` alive) and ``obj`` is
  the method's ``self`` or what the function returns (and nothing else);
- its class is defined in the module, without ``__slots__`` lacking ``__weakref__`` and
  without bases other than ``object`` or the module's own classes (so it supports weak
  references);
- nothing in the module compares the attribute by identity (``x.parent is y``), tests
  membership with it, hashes it (``type()``/``id()``/``hash()``, a dict key, a set element).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import libcst as cst
from libcst.metadata import MetadataWrapper

from gclint.diagnostics import Diagnostic
from gclint.fixes.base import FixSkipped
from gclint.fixes.imports import ensure_import
from gclint.fixes.site import Site, dotted, only_statement

CONTAINER_STORES = frozenset({"append", "add", "insert", "appendleft"})


IDENTITY_FUNCTIONS = frozenset({"type", "id", "hash"})


def fix(wrapper: MetadataWrapper, diagnostic: Diagnostic, unsafe: bool) -> cst.Module:
    if not unsafe:
        raise FixSkipped("unsafe fix: needs --unsafe-fixes")
    site = Site(wrapper)
    node = site.node_at(diagnostic.range, (cst.Assign, cst.Expr))
    small = node if isinstance(node, cst.Assign) else site.small_statement_of(node)
    if small is None:
        raise FixSkipped("the store is not a statement")
    function = site.scope_of(small)
    if not isinstance(function, cst.FunctionDef):
        raise FixSkipped("not in a function")
    me = _receiver(site, function)
    child = _child_argument(site, small, me) if me is not None else None
    if child is not None:
        if function.name.value != "__init__":
            raise FixSkipped(
                "the object is not being constructed here: nothing shows that something else "
                "keeps it alive once its child holds it weakly"
            )
        held, attr, init, param = child
        held_class = _enclosing_class(site, function)
        _check_hazards(init, lambda n: isinstance(n, cst.Name) and n.value == param, param)
    else:
        held, attr = _back_edge(site, function, small, me)
        held_class = _class_of(site, function, held.value, me)
        _check_kept_alive(function, held.value, me)
    _check_weakrefable(site, held_class)
    _check_proxy_uses(site.module, attr)
    proxy = cst.Call(
        func=cst.Attribute(value=cst.Name("weakref"), attr=cst.Name("proxy")),
        args=[cst.Arg(value=held.with_changes(lpar=(), rpar=()))],
    )
    fixed = site.module.deep_replace(held, proxy)
    assert isinstance(fixed, cst.Module)
    return ensure_import(fixed, "weakref")


def _receiver(site: Site, function: cst.FunctionDef) -> str | None:
    """The name of a method's ``self`` (None for a plain function or a static method)."""
    owner = site.parent(site.parent(function) or function)
    params = function.params.params
    decorators = {dotted(d.decorator) for d in function.decorators}
    if (
        not isinstance(owner, cst.ClassDef)
        or not params
        or decorators
        & {
            "staticmethod",
            "classmethod",
        }
    ):
        return None
    return params[0].name.value


def _enclosing_class(site: Site, function: cst.FunctionDef) -> cst.ClassDef:
    owner = site.parent(site.parent(function) or function)
    assert isinstance(owner, cst.ClassDef)
    return owner


def _module_class(site: Site, name: str) -> cst.ClassDef | None:
    found = [s for s in site.module.body if isinstance(s, cst.ClassDef) and s.name.value == name]
    return found[0] if len(found) == 1 else None


def _methods(cls: cst.ClassDef) -> Iterator[cst.FunctionDef]:
    body = cls.body.body if isinstance(cls.body, cst.IndentedBlock) else ()
    for stmt in body:
        if isinstance(stmt, cst.FunctionDef):
            yield stmt


def _child_argument(
    site: Site, small: cst.BaseSmallStatement, me: str
) -> tuple[cst.Name, str, cst.FunctionDef, str] | None:
    """``Child(self)`` in the store, where ``Child.__init__`` keeps that argument: the
    ``self`` argument, the attribute it is kept in, ``Child.__init__`` and its parameter."""
    for call in _calls(small):
        if not isinstance(call.func, cst.Name):
            continue
        cls = _module_class(site, call.func.value)
        init = next((m for m in _methods(cls) if m.name.value == "__init__"), None) if cls else None
        if cls is None or init is None:
            continue
        params = [p.name.value for p in init.params.params]
        for index, arg in enumerate(call.args):
            if not (isinstance(arg.value, cst.Name) and arg.value.value == me) or arg.star:
                continue
            if arg.keyword is not None:
                param = arg.keyword.value
            elif index + 1 < len(params):
                param = params[index + 1]
            else:
                continue
            attr = _kept_as(init, param)
            if attr is not None:
                return arg.value, attr, init, param
    return None


def _calls(node: cst.CSTNode) -> list[cst.Call]:
    finder = _Calls()
    node.visit(finder)
    return finder.found


class _Calls(cst.CSTVisitor):
    def __init__(self) -> None:
        self.found: list[cst.Call] = []

    def visit_Call(self, node: cst.Call) -> None:
        self.found.append(node)


def _kept_as(init: cst.FunctionDef, param: str) -> str | None:
    """The attribute ``__init__`` stores its parameter in (``self.parent = parent``)."""
    me = init.params.params[0].name.value if init.params.params else None
    body = init.body.body if isinstance(init.body, cst.IndentedBlock) else ()
    for stmt in body:
        small = only_statement(stmt)
        if (
            isinstance(small, cst.Assign)
            and isinstance(small.value, cst.Name)
            and small.value.value == param
        ):
            for target in small.targets:
                if (
                    isinstance(target.target, cst.Attribute)
                    and isinstance(target.target.value, cst.Name)
                    and target.target.value.value == me
                ):
                    return target.target.attr.value
    return None


def _edge(small: cst.BaseSmallStatement) -> tuple[str, str, str, cst.Name | None] | None:
    """(holder, held, attribute, the held name node if a plain ``holder.attr = held``)."""
    if (
        isinstance(small, cst.Assign)
        and len(small.targets) == 1
        and isinstance(small.value, cst.Name)
        and isinstance(small.targets[0].target, cst.Attribute)
        and isinstance(small.targets[0].target.value, cst.Name)
    ):
        target = small.targets[0].target
        assert isinstance(target.value, cst.Name)
        return target.value.value, small.value.value, target.attr.value, small.value
    if isinstance(small, cst.Expr) and isinstance(small.value, cst.Call):
        call = small.value
        func = call.func
        if (
            isinstance(func, cst.Attribute)
            and func.attr.value in CONTAINER_STORES
            and isinstance(func.value, cst.Attribute)
            and isinstance(func.value.value, cst.Name)
            and len(call.args) == 1
            and isinstance(call.args[0].value, cst.Name)
        ):
            arg = call.args[0].value
            return func.value.value.value, arg.value, func.value.attr.value, None
    return None


def _back_edge(
    site: Site, function: cst.FunctionDef, small: cst.BaseSmallStatement, me: str | None
) -> tuple[cst.Name, str]:
    """Of the two stores that make the objects hold each other, the plain attribute store
    whose object stays alive without it: the node to wrap, and the attribute."""
    reported = _edge(small)
    if reported is None:
        raise FixSkipped("the store is not one the fix can make weak")
    holder, held, _attr, _node = reported
    others = [
        e
        for s in _small_statements(function)
        if (e := _edge(s)) is not None and e[0] == held and e[1] == holder
    ]
    candidates = [reported, *others]
    usable = [
        (node, attr)
        for holder_name, held_name, attr, node in candidates
        if node is not None
        and (held_name == me or _returned_only(function, held_name))
        and _constructed_here(function, holder_name)
    ]
    if not usable:
        raise FixSkipped(
            "neither reference can be made weak: the weak one must be held by an object made "
            "here (a child) and point to one that something else keeps alive (the method's "
            "self, or what the function returns); a container of children never is"
        )
    return usable[0]


def _constructed_here(function: cst.FunctionDef, name: str) -> bool:
    """`name` is bound once in the function, to a new object (``child = Node(...)``): it is
    a child made here, not a long-lived object (a class, a registry) that might be the only
    thing keeping the other object alive."""
    found: list[str] = []
    for small in _small_statements(function):
        if isinstance(small, cst.Assign):
            for target in small.targets:
                found += _constructed(target.target, small.value, name)
    bindings = _Bindings(name)
    function.body.visit(bindings)
    return (
        len(found) == 1
        and found[0] != "?"
        and bindings.count == 1
        and name not in _parameters(function)
    )


class _Bindings(cst.CSTVisitor):
    """How many statements bind `name` (assignments, loops, ``with ... as``, walrus...)."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.count = 0

    def _binds(self, target: cst.CSTNode | None) -> None:
        if target is not None and any(
            isinstance(n, cst.Name) and n.value == self.name for n in _targets(target)
        ):
            self.count += 1

    def visit_AssignTarget(self, node: cst.AssignTarget) -> None:
        self._binds(node.target)

    def visit_AnnAssign(self, node: cst.AnnAssign) -> None:
        self._binds(node.target)

    def visit_AugAssign(self, node: cst.AugAssign) -> None:
        self._binds(node.target)

    def visit_For(self, node: cst.For) -> None:
        self._binds(node.target)

    def visit_WithItem(self, node: cst.WithItem) -> None:
        self._binds(node.asname.name if node.asname is not None else None)

    def visit_NamedExpr(self, node: cst.NamedExpr) -> None:
        self._binds(node.target)

    def visit_ExceptHandler(self, node: cst.ExceptHandler) -> None:
        self._binds(node.name.name if node.name is not None else None)

    def visit_FunctionDef(self, node: cst.FunctionDef) -> bool:
        self._binds(node.name)
        return False

    def visit_ClassDef(self, node: cst.ClassDef) -> bool:
        self._binds(node.name)
        return False

    def visit_Lambda(self, node: cst.Lambda) -> bool:
        return False


def _targets(target: cst.CSTNode) -> list[cst.CSTNode]:
    """The names a binding target binds (through tuples, lists and starred targets)."""
    if isinstance(target, (cst.Tuple, cst.List)):
        return [n for e in target.elements for n in _targets(e.value)]
    if isinstance(target, cst.StarredElement):
        return _targets(target.value)
    return [target]


def _parameters(function: cst.FunctionDef) -> set[str]:
    params = function.params
    names = {p.name.value for p in (*params.posonly_params, *params.params, *params.kwonly_params)}
    for star in (params.star_arg, params.star_kwarg):
        if isinstance(star, cst.Param):
            names.add(star.name.value)
    return names


def _small_statements(function: cst.FunctionDef) -> list[cst.BaseSmallStatement]:
    finder = _Smalls()
    function.body.visit(finder)
    return finder.found


class _Smalls(cst.CSTVisitor):
    def __init__(self) -> None:
        self.found: list[cst.BaseSmallStatement] = []

    def visit_SimpleStatementLine(self, node: cst.SimpleStatementLine) -> None:
        self.found.extend(node.body)

    def visit_FunctionDef(self, node: cst.FunctionDef) -> bool:
        return False

    def visit_ClassDef(self, node: cst.ClassDef) -> bool:
        return False


def _returns(function: cst.FunctionDef) -> list[cst.Return]:
    return [s for s in _small_statements(function) if isinstance(s, cst.Return)]


def _returned_only(function: cst.FunctionDef, name: str) -> bool:
    returns = _returns(function)
    return bool(returns) and all(
        isinstance(r.value, cst.Name) and r.value.value == name for r in returns
    )


def _check_kept_alive(function: cst.FunctionDef, name: str, me: str | None) -> None:
    if name != me and not _returned_only(function, name):
        raise FixSkipped(f"nothing is known to keep '{name}' alive once the reference is weak")


def _class_of(site: Site, function: cst.FunctionDef, name: str, me: str | None) -> cst.ClassDef:
    """The module class whose instance `name` is (``self``, or ``name = Cls(...)``)."""
    if name == me:
        return _enclosing_class(site, function)
    classes: list[str] = []
    for small in _small_statements(function):
        if not isinstance(small, cst.Assign):
            continue
        for target in small.targets:
            classes += _constructed(target.target, small.value, name)
    found = _module_class(site, classes[0]) if len(classes) == 1 else None
    if found is None:
        raise FixSkipped(f"cannot tell that '{name}' is an object of a class of this module")
    return found


def _constructed(target: cst.BaseExpression, value: cst.BaseExpression, name: str) -> list[str]:
    if isinstance(target, cst.Name) and target.value == name:
        if isinstance(value, cst.Call) and isinstance(value.func, cst.Name):
            return [value.func.value]
        return ["?"]
    if isinstance(target, cst.Tuple) and isinstance(value, cst.Tuple):
        if len(target.elements) != len(value.elements):
            return ["?"] if name in {dotted(e.value) for e in target.elements} else []
        out: list[str] = []
        for t, v in zip(target.elements, value.elements, strict=True):
            out += _constructed(t.value, v.value, name)
        return out
    return []


def _check_weakrefable(site: Site, cls: cst.ClassDef, seen: frozenset[str] = frozenset()) -> None:
    """Instances of `cls` support weak references: no ``__slots__`` without ``__weakref__``,
    no bases but ``object`` and the module's own classes (checked the same way)."""
    if cls.name.value in seen:
        return
    body = cls.body.body if isinstance(cls.body, cst.IndentedBlock) else ()
    for stmt in body:
        small = only_statement(stmt)
        if (
            isinstance(small, cst.Assign)
            and any(dotted(t.target) == "__slots__" for t in small.targets)
            and "__weakref__" not in site.module.code_for_node(small.value)
        ):
            raise FixSkipped(f"'{cls.name.value}' has __slots__ without __weakref__")
    if cls.keywords:
        raise FixSkipped(f"'{cls.name.value}' has a metaclass or class keywords")
    for base in cls.bases:
        name = dotted(base.value)
        if name == "object":
            continue
        local = _module_class(site, name) if name else None
        if local is None:
            raise FixSkipped(
                f"cannot tell that '{cls.name.value}' objects support weak references "
                f"(base '{name or '?'}')"
            )
        _check_weakrefable(site, local, seen | {cls.name.value})


def _check_proxy_uses(module: cst.Module, attr: str) -> None:
    _check_hazards(
        module, lambda n: isinstance(n, cst.Attribute) and n.attr.value == attr, f".{attr}"
    )


def _check_hazards(root: cst.CSTNode, is_read: Callable[[cst.CSTNode], bool], label: str) -> None:
    finder = _ProxyHazards(is_read)
    root.visit(finder)
    if finder.found:
        raise FixSkipped(f"'{label}' is {finder.found}: a proxy is not the object itself")


class _ProxyHazards(cst.CSTVisitor):
    """Uses of the reference that a proxy answers differently from the object."""

    def __init__(self, is_read: Callable[[cst.CSTNode], bool]) -> None:
        self._is_read = is_read
        self.found = ""

    def visit_Comparison(self, node: cst.Comparison) -> None:
        operands = [node.left, *(c.comparator for c in node.comparisons)]
        for i, target in enumerate(node.comparisons):
            left, right = operands[i], operands[i + 1]
            op = target.operator
            if isinstance(op, (cst.Is, cst.IsNot)):
                if any(self._is_read(x) for x in (left, right)) and not any(
                    isinstance(x, cst.Name) and x.value == "None" for x in (left, right)
                ):
                    self.found = self.found or "compared by identity"
            elif isinstance(op, (cst.In, cst.NotIn)) and self._is_read(left):
                self.found = self.found or "looked up in a container"

    def visit_Call(self, node: cst.Call) -> None:
        if (
            isinstance(node.func, cst.Name)
            and node.func.value in IDENTITY_FUNCTIONS
            and any(self._is_read(a.value) for a in node.args)
        ):
            self.found = self.found or f"passed to {node.func.value}()"

    def visit_SubscriptElement(self, node: cst.SubscriptElement) -> None:
        if isinstance(node.slice, cst.Index) and self._is_read(node.slice.value):
            self.found = self.found or "used as a key"

    def visit_DictElement(self, node: cst.DictElement) -> None:
        if self._is_read(node.key):
            self.found = self.found or "used as a key"

    def visit_Set(self, node: cst.Set) -> None:
        if any(self._is_read(e.value) for e in node.elements):
            self.found = self.found or "put in a set"
