"""A model of the classes of one module: what each stores on ``self``, and what that means for
reference cycles.

For every class: its methods (and which are static/class methods or properties), whether it
defines or inherits ``__del__`` and the context-manager protocol, and every store on ``self``
(``self.attr = value``, ``self.attr[key] = value``, ``self.attr.append(value)``), classified by
what the stored value refers back to:

* ``SELF``: ``self`` itself;
* ``BOUND``: a bound method of ``self`` (``self.on_event``), a lambda, nested function or
  ``functools.partial`` that captures ``self``;
* ``CHILD``: an object built with ``self`` as an argument (``Child(self)``) whose class keeps
  that argument (strongly) on its own ``self``: a parent/child back-reference;
* ``WEAK``: ``weakref.ref(self)``, ``weakref.proxy(self)``, ``weakref.WeakMethod(...)``: no cycle.

Every other value is ignored. The classes a module imports are not followed (same-module only).
"""

from __future__ import annotations

import ast
import enum
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, NamedTuple, cast

from gclint.analysis.flow import FUNCTION_TYPES
from gclint.analysis.walk import walk, walk_typed

if TYPE_CHECKING:
    from gclint.analysis.module import ModuleFacts

WEAK_FACTORIES = frozenset(
    {"weakref.ref", "weakref.proxy", "weakref.WeakMethod", "weakref.finalize"}
)
CONTAINER_STORES = frozenset(
    {"append", "add", "insert", "extend", "appendleft", "setdefault", "update", "register"}
)
PARTIAL = frozenset({"functools.partial", "functools.partialmethod"})
# Methods whose first parameter is the class, not an instance.
IMPLICIT_CLASS_METHODS = frozenset({"__init_subclass__", "__class_getitem__", "__new__"})


_STORE_NODES = (ast.Assign, ast.AnnAssign, ast.Call)  # what `_stores_in` looks at
_SELF_TARGETS = (ast.Attribute, ast.Subscript)  # ``self.x = ...``, ``self.x[k] = ...``


class Kind(enum.Enum):
    SELF = "self"
    BOUND = "bound"
    CHILD = "child"
    WEAK = "weak"


class Store(NamedTuple):
    """A value stored on ``self`` (directly, or into a container held by ``self``)."""

    attr: str  # the attribute of self stored into
    kind: Kind
    node: ast.AST  # the statement or call that stores it (where a diagnostic goes)
    value: ast.AST
    method: str  # the method it happens in
    via_container: bool = False  # ``self.handlers.append(...)`` rather than ``self.x = ...``
    detail: str = ""  # e.g. the bound method's name or the child class


class ClassInfo:
    __slots__ = ("_managed", "bases", "keeps_params", "methods", "node", "stores", "unbound")

    def __init__(self, node: ast.ClassDef) -> None:
        self.node = node
        self.methods: dict[str, ast.FunctionDef | ast.AsyncFunctionDef] = {}
        self.unbound: set[str] = set()  # staticmethod, classmethod, property
        self.stores: list[Store] = []
        self.keeps_params: dict[int, str] = {}  # __init__ arg index -> attr
        self.bases: list[ClassInfo] = []
        self._managed: set[str] | None = None

    @property
    def name(self) -> str:
        return self.node.name

    def lookup(self, name: str) -> ast.FunctionDef | ast.AsyncFunctionDef | None:
        if name in self.methods:
            return self.methods[name]
        for base in self.bases:
            found = base.lookup(name)
            if found is not None:
                return found
        return None

    def defines(self, name: str) -> bool:
        return self.lookup(name) is not None

    def is_bound_method(self, name: str) -> bool:
        """``self.name`` is a bound method (not a staticmethod, classmethod or property)."""
        if name in self.methods:
            return name not in self.unbound
        return any(base.is_bound_method(name) for base in self.bases)

    def cycle_stores(self) -> list[Store]:
        """Stores that make a cycle the class does not take down itself (see `managed`)."""
        cycles = [s for s in self.stores if s.kind in (Kind.SELF, Kind.BOUND, Kind.CHILD)]
        if not cycles:
            return cycles  # most classes: no need to look at what they reset
        managed = self.managed()
        return [s for s in cycles if s.attr not in managed]

    def managed(self) -> set[str]:
        """Attributes the class itself resets outside ``__init__``: ``self.x = None``,
        ``del self.x``, ``self.x = []``, ``self.x.clear()``, ``self.x.unregister(...)``. A cycle
        through them is broken by the object's own life cycle (``close()``, ``__exit__``, a
        drained queue), not left to the garbage collector."""
        if self._managed is None:
            found: set[str] = set()
            for info in (self, *self.bases):
                for name, method in info.methods.items():
                    if name == "__init__":
                        continue
                    found |= _resets(method)
            self._managed = found
        return self._managed


def _decorator_names(func: ast.FunctionDef | ast.AsyncFunctionDef) -> set[str]:
    names = set()
    for dec in func.decorator_list:
        target = dec.func if isinstance(dec, ast.Call) else dec
        if isinstance(target, ast.Attribute):
            names.add(target.attr)
        elif isinstance(target, ast.Name):
            names.add(target.id)
    return names


def self_name(func: ast.FunctionDef | ast.AsyncFunctionDef) -> str | None:
    args = [*func.args.posonlyargs, *func.args.args]
    return args[0].arg if args else None


class ClassModel:
    """The classes of one module, built once per file and shared by the GCL2xx/GCL3xx rules."""

    def __init__(self, module: ModuleFacts) -> None:
        self.module = module
        self.classes: dict[int, ClassInfo] = {}
        self._by_name: dict[str, ClassInfo] = {}
        for node in walk_typed(module.tree, (ast.ClassDef,)):
            if isinstance(node, ast.ClassDef):
                info = self._skeleton(node)
                self.classes[id(node)] = info
                self._by_name.setdefault(node.name, info)
        for info in self.classes.values():
            for base in info.node.bases:
                if isinstance(base, ast.Name) and base.id in self._by_name:
                    parent = self._by_name[base.id]
                    if parent is not info:
                        info.bases.append(parent)
        for info in self.classes.values():
            info.keeps_params = self._kept_params(info)
        for info in self.classes.values():
            info.stores = list(self._stores(info))

    def info(self, node: ast.ClassDef) -> ClassInfo:
        return self.classes[id(node)]

    def by_name(self, name: str) -> ClassInfo | None:
        return self._by_name.get(name)

    # -- building ---------------------------------------------------------------------------

    @staticmethod
    def _skeleton(node: ast.ClassDef) -> ClassInfo:
        info = ClassInfo(node)
        for item in node.body:
            if isinstance(item, FUNCTION_TYPES):
                info.methods[item.name] = item
                decorators = _decorator_names(item)
                if decorators & {"staticmethod", "classmethod", "property", "cached_property"}:
                    info.unbound.add(item.name)
                if item.name in IMPLICIT_CLASS_METHODS:
                    info.unbound.add(item.name)
                if any(d.endswith("setter") or d.endswith("getter") for d in decorators):
                    info.unbound.add(item.name)
        return info

    def _kept_params(self, info: ClassInfo) -> dict[int, str]:
        """Which positional arguments of the constructor end up strongly on ``self``."""
        init = info.methods.get("__init__")
        if init is None:
            return {} if not info.bases else dict(info.bases[0].keeps_params)
        me = self_name(init)
        params = [a.arg for a in [*init.args.posonlyargs, *init.args.args][1:]]
        kept: dict[int, str] = {}
        for node in walk_typed(init, (ast.Assign,)):
            if not isinstance(node, ast.Assign) or not isinstance(node.value, ast.Name):
                continue
            if node.value.id not in params:
                continue
            for target in node.targets:
                if (
                    isinstance(target, ast.Attribute)
                    and isinstance(target.value, ast.Name)
                    and target.value.id == me
                ):
                    kept[params.index(node.value.id)] = target.attr
        return kept

    def _stores(self, info: ClassInfo) -> Iterator[Store]:
        for method in info.methods.values():
            if method.name in info.unbound:
                continue
            me = self_name(method)
            if me is None:
                continue
            closures: dict[str, ast.AST] | None = None  # made when a store needs it
            for node in walk_typed(method, _STORE_NODES):
                # what cannot be a store on self is passed over here (most calls and assignments)
                if isinstance(node, ast.Call):
                    func = node.func
                    if type(func) is not ast.Attribute or func.attr not in CONTAINER_STORES:
                        continue
                elif isinstance(node, ast.Assign):
                    if not any(type(t) in _SELF_TARGETS for t in node.targets):
                        continue
                elif type(cast(ast.AnnAssign, node).target) not in _SELF_TARGETS:
                    continue  # an annotated name
                if closures is None:
                    closures = self.closures_on_self(method, me)
                yield from self._stores_in(info, method, me, node, closures)

    def _stores_in(
        self,
        info: ClassInfo,
        method: ast.FunctionDef | ast.AsyncFunctionDef,
        me: str,
        node: ast.AST,
        closures: dict[str, ast.AST],
    ) -> Iterator[Store]:
        if isinstance(node, (ast.Assign, ast.AnnAssign)) and node.value is not None:
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                attr, container = _self_target(target, me)
                if attr is None:
                    continue
                kind, detail = self.classify_value(node.value, me, info, closures)
                if kind is not None:
                    yield Store(attr, kind, node, node.value, method.name, container, detail)
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr in CONTAINER_STORES
        ):
            attr, _ = _self_target(node.func.value, me)
            if attr is None and not (
                isinstance(node.func.value, ast.Name) and node.func.value.id == me
            ):
                return
            for arg in node.args:
                kind, detail = self.classify_value(arg, me, info, closures)
                if kind is not None:
                    yield Store(attr or "", kind, node, arg, method.name, True, detail)

    def classify_value(
        self,
        value: ast.AST,
        me: str,
        info: ClassInfo | None,
        closures: dict[str, ast.AST] | None = None,
    ) -> tuple[Kind | None, str]:
        """What a value stored on ``self`` refers back to (see the module docstring)."""
        chain = [self.module.tree]
        if isinstance(value, ast.Name) and value.id == me:
            return Kind.SELF, me
        if isinstance(value, ast.Name) and closures and value.id in closures:
            return Kind.BOUND, f"nested function '{value.id}'"
        if (
            isinstance(value, ast.Attribute)
            and isinstance(value.value, ast.Name)
            and value.value.id == me
            and info is not None
            and info.is_bound_method(value.attr)
        ):
            return Kind.BOUND, f"{me}.{value.attr}"
        if isinstance(value, ast.Lambda) and _captures(value, me):
            return Kind.BOUND, "lambda"
        if isinstance(value, ast.Call):
            qual = self.module.scopes.qualname(value.func, chain)
            if qual in WEAK_FACTORIES:
                return Kind.WEAK, qual
            if qual in PARTIAL and value.args:
                inner, _ = self.classify_value(value.args[0], me, info, closures)
                if inner in (Kind.BOUND, Kind.SELF) or any(
                    isinstance(a, ast.Name) and a.id == me for a in value.args[1:]
                ):
                    return Kind.BOUND, "functools.partial"
                return None, ""
            if isinstance(value.func, ast.Name):
                child = self._by_name.get(value.func.id)
                if child is not None:
                    for index, arg in enumerate(value.args):
                        if (
                            isinstance(arg, ast.Name)
                            and arg.id == me
                            and index in child.keeps_params
                        ):
                            return Kind.CHILD, f"{child.name}.{child.keeps_params[index]}"
        return None, ""

    def closures_on_self(
        self, method: ast.FunctionDef | ast.AsyncFunctionDef, me: str
    ) -> dict[str, ast.AST]:
        """Nested functions of `method` that capture ``self``, by name."""
        return {
            n.name: n
            for n in walk_typed(method, FUNCTION_TYPES)
            if isinstance(n, FUNCTION_TYPES) and n is not method and _captures(n, me)
        }


_EMPTY = (ast.List, ast.Dict, ast.Set, ast.Tuple)
_RESET_NODES = (ast.Assign, ast.Delete, ast.Call)
_DRAINS = frozenset({"clear", "unregister", "remove", "pop", "popleft", "discard", "popitem"})


def _resets(method: ast.FunctionDef | ast.AsyncFunctionDef) -> set[str]:
    """Attribute names this method sets to None / empty, deletes, or drains (any receiver)."""
    names: set[str] = set()
    for node in walk_typed(method, _RESET_NODES):
        if isinstance(node, ast.Assign):
            value = node.value
            empty = (isinstance(value, ast.Constant) and value.value is None) or (
                isinstance(value, _EMPTY) and not getattr(value, "elts", getattr(value, "keys", []))
            )
            if empty:
                names.update(t.attr for t in node.targets if isinstance(t, ast.Attribute))
        elif isinstance(node, ast.Delete):
            names.update(t.attr for t in node.targets if isinstance(t, ast.Attribute))
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr in _DRAINS
            and isinstance(node.func.value, ast.Attribute)
        ):
            names.add(node.func.value.attr)
    return names


def _captures(node: ast.AST, name: str) -> bool:
    """Whether a lambda or nested function keeps `name` strongly (a closure over it).

    Defaults are evaluated once, when the function is made, so ``def cb(ref=weakref.ref(self))``
    holds only what the default holds; and ``weakref.ref(self)`` in the body holds nothing.
    """
    body: list[ast.AST] = (
        [node.body] if isinstance(node, ast.Lambda) else list(getattr(node, "body", []))
    )
    if isinstance(node, (ast.Lambda, *FUNCTION_TYPES)):
        args = node.args
        own = {a.arg for a in (*args.posonlyargs, *args.args, *args.kwonlyargs)}
        own |= {a.arg for a in (args.vararg, args.kwarg) if a is not None}
        own |= {
            sub.id
            for part in body
            for sub in walk(part)
            if isinstance(sub, ast.Name) and isinstance(sub.ctx, ast.Store)
        }
        if name in own:
            return False  # its own parameter or local of that name, not the enclosing one
        body += [d for d in (*args.defaults, *args.kw_defaults) if d is not None]
    return any(_strong(part, name) for part in body)


def _strong(tree: ast.AST, name: str) -> bool:
    weak_calls = {
        id(arg)
        for sub in walk(tree)
        if isinstance(sub, ast.Call)
        and (getattr(sub.func, "attr", None) or getattr(sub.func, "id", None))
        in ("ref", "proxy", "WeakMethod")
        for arg in sub.args
    }
    return any(
        isinstance(sub, ast.Name) and sub.id == name and id(sub) not in weak_calls
        for sub in walk(tree)
    )


def _self_target(target: ast.AST, me: str) -> tuple[str | None, bool]:
    """(attribute, into a container?) for ``self.attr`` / ``self.attr[key]`` targets."""
    if (
        isinstance(target, ast.Attribute)
        and isinstance(target.value, ast.Name)
        and target.value.id == me
    ):
        return target.attr, False
    if isinstance(target, ast.Subscript):
        inner = target.value
        if (
            isinstance(inner, ast.Attribute)
            and isinstance(inner.value, ast.Name)
            and inner.value.id == me
        ):
            return inner.attr, True
    return None, False


def enclosing_class(ancestors: Sequence[ast.AST]) -> ast.ClassDef | None:
    for node in reversed(ancestors):
        if isinstance(node, ast.ClassDef):
            return node
    return None
