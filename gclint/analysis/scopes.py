"""Scopes, bindings and qualified names on the plain `ast` tree.

`Scopes.qualname(expr, chain)` answers "what does this name or attribute chain refer to?" with a
dotted qualified name such as ``gc.disable`` or ``builtins.open``, following imports and aliases
(``import gc as _gc``, ``from gc import disable as d``) and Python's scoping rules (function,
class, lambda and comprehension scopes, ``global``/``nonlocal``). When the answer is not certain
(the name is also assigned something else, comes from ``from m import *``, or is a parameter) it
is ``None``: rules then stay silent.

Bindings of a scope are computed lazily, the first time a name is resolved in it, so a file in
which no rule asks anything pays nothing.
"""

from __future__ import annotations

import ast
import builtins
from collections.abc import Callable, Collection, Sequence
from typing import cast

from gclint.analysis.walk import children, is_indexed, walk, walk_typed

SCOPE_TYPES: tuple[type[ast.AST], ...] = (
    ast.Module,
    ast.FunctionDef,
    ast.AsyncFunctionDef,
    ast.Lambda,
    ast.ClassDef,
    ast.ListComp,
    ast.SetComp,
    ast.DictComp,
    ast.GeneratorExp,
)
SCOPE_TYPE_SET: frozenset[type[ast.AST]] = frozenset(SCOPE_TYPES)  # exact types, for `in`
FUNCTION_TYPES = (ast.FunctionDef, ast.AsyncFunctionDef)
_BUILTINS = frozenset(dir(builtins))

# Binding kinds. An import binding is its qualified name; the others are these markers.
OTHER = "<other>"  # assigned something we do not follow
NONE = "<none>"  # assigned None (``except ImportError: x = None``); cannot be a callable


class ScopeInfo:
    __slots__ = (
        "bindings",
        "counts",
        "declared_global",
        "declared_nonlocal",
        "defs",
        "node",
        "star_import",
    )

    def __init__(self, node: ast.AST) -> None:
        self.node = node
        self.bindings: dict[str, set[str]] = {}
        self.declared_global: set[str] = set()
        self.declared_nonlocal: set[str] = set()
        self.star_import = False
        self.defs: dict[str, list[ast.AST]] = {}  # def/class statements
        self.counts: dict[str, int] = {}  # how many statements bind each name

    def bind(self, name: str, kind: str) -> None:
        self.bindings.setdefault(name, set()).add(kind)
        self.counts[name] = self.counts.get(name, 0) + 1


def _import_bindings(node: ast.Import | ast.ImportFrom) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    if isinstance(node, ast.Import):
        for alias in node.names:
            if alias.asname:
                out.append((alias.asname, alias.name))
            else:
                top = alias.name.partition(".")[0]
                out.append((top, top))
        return out
    base = "." * node.level + (node.module or "")
    for alias in node.names:
        if alias.name == "*":
            continue
        qual = f"{base}.{alias.name}" if base and not base.endswith(".") else base + alias.name
        out.append((alias.asname or alias.name, qual))
    return out


def _bind_target(info: ScopeInfo, target: ast.AST, kind: str) -> None:
    stack = [target]
    while stack:
        node = stack.pop()
        if isinstance(node, ast.Name):
            info.bind(node.id, kind)
        elif isinstance(node, (ast.Tuple, ast.List)):
            stack.extend(node.elts)
        elif isinstance(node, ast.Starred):
            stack.append(node.value)
        # attribute and subscript targets bind no name


def collect_bindings(scope: ast.AST, walrus: bool = True) -> ScopeInfo:
    """Every name bound directly in `scope` (not in nested scopes), with how it is bound.

    Without `walrus` (the module's text has no ``:=``), names can only be bound by statements,
    so expressions are not walked at all (`_bind_statements`, same result, a fraction of the cost).
    """
    info = ScopeInfo(scope)
    roots: list[ast.AST] = []
    if isinstance(scope, (*FUNCTION_TYPES, ast.Lambda)):
        args = scope.args
        for arg in (*args.posonlyargs, *args.args, *args.kwonlyargs, args.vararg, args.kwarg):
            if arg is not None:
                info.bind(arg.arg, OTHER)
        if isinstance(scope, ast.Lambda):
            roots.append(scope.body)
        else:
            roots.extend(scope.body)
    elif isinstance(scope, (ast.Module, ast.ClassDef)):
        roots.extend(scope.body)
    elif isinstance(scope, (ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)):
        for gen in scope.generators:
            _bind_target(info, gen.target, OTHER)
        return info
    if not walrus and not isinstance(scope, ast.Lambda):
        _bind_statements(info, roots)
        return info

    stack = list(reversed(roots))
    while stack:
        node = stack.pop()
        if isinstance(node, (*FUNCTION_TYPES, ast.ClassDef)):
            info.bind(node.name, OTHER)
            info.defs.setdefault(node.name, []).append(node)
            continue  # a nested scope: its body binds nothing here
        if isinstance(
            node, (ast.Lambda, ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)
        ):
            continue
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            if isinstance(node, ast.ImportFrom) and any(a.name == "*" for a in node.names):
                info.star_import = True
            for name, qual in _import_bindings(node):
                info.bind(name, qual)
            continue
        if isinstance(node, ast.Global):
            info.declared_global.update(node.names)
            continue
        if isinstance(node, ast.Nonlocal):
            info.declared_nonlocal.update(node.names)
            continue
        if isinstance(node, ast.Assign) and _is_none(node.value):
            for target in node.targets:
                _bind_target(info, target, NONE)
            continue
        if isinstance(node, ast.Name):
            if not isinstance(node.ctx, ast.Load):
                info.bind(node.id, OTHER)
            continue
        if (isinstance(node, ast.ExceptHandler) and node.name) or (
            isinstance(node, ast.MatchAs | ast.MatchStar) and node.name
        ):
            info.bind(node.name, OTHER)
        elif isinstance(node, ast.MatchMapping) and node.rest:
            info.bind(node.rest, OTHER)
        stack.extend(reversed(list(children(node))))
    return info


_BLOCK_FIELDS = frozenset({"body", "orelse", "finalbody", "handlers"})
_BLOCKS: dict[type, tuple[str, ...]] = {}  # each statement type's block fields, in order
# Statements that bind no name (expressions cannot, without ``:=``) and hold no statement.
_INERT_STATEMENTS = frozenset(
    {ast.Expr, ast.Return, ast.Raise, ast.Pass, ast.Break, ast.Continue, ast.Assert}
)


def _bind_statements(info: ScopeInfo, roots: list[ast.AST]) -> None:
    """`collect_bindings` for a scope whose expressions cannot bind names (no ``:=``)."""
    stack = list(reversed(roots))  # source order, as `collect_bindings` (``defs`` keep it)
    while stack:
        node = stack.pop()
        kind = type(node)
        if kind in _INERT_STATEMENTS:
            continue  # binds nothing and holds no statement (most statements)
        if kind in (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef):
            name = node.name  # type: ignore[attr-defined]
            info.bind(name, OTHER)
            info.defs.setdefault(name, []).append(node)
            continue
        if kind is ast.Assign:
            assign = cast(ast.Assign, node)
            value_kind = NONE if _is_none(assign.value) else OTHER
            for target in assign.targets:
                _bind_target(info, target, value_kind)
            continue
        if kind in (ast.AugAssign, ast.AnnAssign):
            _bind_target(info, node.target, OTHER)  # type: ignore[attr-defined]
            continue
        if kind in (ast.Import, ast.ImportFrom):
            imp = cast("ast.Import | ast.ImportFrom", node)
            if isinstance(imp, ast.ImportFrom) and any(a.name == "*" for a in imp.names):
                info.star_import = True
            for name, qual in _import_bindings(imp):
                info.bind(name, qual)
            continue
        if kind is ast.Global:
            info.declared_global.update(cast(ast.Global, node).names)
            continue
        if kind is ast.Nonlocal:
            info.declared_nonlocal.update(cast(ast.Nonlocal, node).names)
            continue
        if kind is ast.Delete:
            for target in cast(ast.Delete, node).targets:
                _bind_target(info, target, OTHER)
            continue
        if kind in (ast.For, ast.AsyncFor):
            _bind_target(info, node.target, OTHER)  # type: ignore[attr-defined]
        elif kind in (ast.With, ast.AsyncWith):
            for item in node.items:  # type: ignore[attr-defined]
                if item.optional_vars is not None:
                    _bind_target(info, item.optional_vars, OTHER)
        elif kind is ast.ExceptHandler:
            handler = cast(ast.ExceptHandler, node)
            if handler.name:
                info.bind(handler.name, OTHER)
        elif kind is _MATCH:
            for case in node.cases:  # type: ignore[attr-defined]
                for sub in walk(case.pattern):
                    if isinstance(sub, (ast.MatchAs, ast.MatchStar)) and sub.name:
                        info.bind(sub.name, OTHER)
                    elif isinstance(sub, ast.MatchMapping) and sub.rest:
                        info.bind(sub.rest, OTHER)
            for case in reversed(node.cases):  # type: ignore[attr-defined]
                stack.extend(reversed(case.body))
            continue
        elif kind is _TYPE_ALIAS:
            _bind_target(info, node.name, OTHER)  # type: ignore[attr-defined]
            continue
        blocks = _BLOCKS.get(kind)
        if blocks is None:
            blocks = _BLOCKS[kind] = tuple(f for f in kind._fields if f in _BLOCK_FIELDS)
        for name in reversed(blocks):
            stack.extend(reversed(getattr(node, name)))


_WALRUS = (ast.NamedExpr,)
_IMPORTS = (ast.Import, ast.ImportFrom)
_DEFS = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)
_MATCH = getattr(ast, "Match", None)
_TYPE_ALIAS = getattr(ast, "TypeAlias", None)


def _is_none(node: ast.AST) -> bool:
    return isinstance(node, ast.Constant) and node.value is None


class Scopes:
    """Lazy per-scope bindings for one module, and name resolution against them."""

    def __init__(self, module: ast.Module, text: str | None = None) -> None:
        self.module = module
        self.walrus = text is None or ":=" in text
        self._infos: dict[int, ScopeInfo] = {}
        self._resolved: dict[tuple[str, int, int], object] = {}
        self._aliases: dict[str, set[str]] | None = None
        self._def_names: frozenset[str] | None = None
        self._prefilter: bool | None = None  # see `_unbindable`

    def import_aliases(self) -> dict[str, set[str]]:
        """Every name any import in the module binds, with the last part of what it imports.

        A cheap pre-filter for rules: ``from gc import disable as pause`` maps ``pause`` to
        ``{"disable"}``, so a call ``pause()`` is worth resolving for a rule watching
        ``gc.disable``.
        """
        if self._aliases is None:
            aliases: dict[str, set[str]] = {}
            for node in walk_typed(self.module, _IMPORTS):
                if isinstance(node, (ast.Import, ast.ImportFrom)):
                    for name, qual in _import_bindings(node):
                        aliases.setdefault(name, set()).add(qual.rpartition(".")[2])
            self._aliases = aliases
        return self._aliases

    def _unbindable(self, name: str, names: Callable[[], Collection[str]]) -> bool:
        """Whether `name` is surely not among `names()` (names bound some way anywhere in the
        module). Asked only of the module being checked, whose walks are slices of its layout;
        for a module reached through an import, a few of whose definitions are asked about,
        the whole-module walk would cost more than the bindings it spares (False: unknown)."""
        if self._prefilter is None:
            self._prefilter = is_indexed(self.module)
        return self._prefilter and name not in names()

    def unimported(self, name: str) -> bool:
        """Whether surely no import binds `name` anywhere in the module: then an attribute
        chain from it (``name.x.y``) has no qualified name, whatever the scopes bind."""
        return self._unbindable(name, self.import_aliases)

    def plain_builtin(self, name: str) -> bool:
        """Whether `name` surely resolves to its builtin or to nothing known (no import binds it
        anywhere), and no ``def``/``class`` statement defines it: what the scopes bind is not
        needed to know that it names no import and no local definition."""
        return name in _BUILTINS and self.unimported(name) and name not in self.def_names()

    def def_names(self) -> frozenset[str]:
        """The name of every ``def`` and ``class`` statement of the module, at any depth."""
        if self._def_names is None:
            self._def_names = frozenset(
                cast("ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef", node).name
                for node in walk_typed(self.module, _DEFS)
            )
        return self._def_names

    def info(self, scope: ast.AST) -> ScopeInfo:
        key = id(scope)
        found = self._infos.get(key)
        if found is None:
            # ``:=`` somewhere in the module: only a scope that holds one needs the full walk
            walrus = self.walrus and bool(walk_typed(scope, _WALRUS))
            found = self._infos[key] = collect_bindings(scope, walrus)
        return found

    def resolve_name(self, name: str, chain: Sequence[ast.AST]) -> str | None:
        """Qualified name that `name` refers to in the innermost scope of `chain`, or None.

        `chain` is the list of enclosing scope nodes, outermost (the module) first. Answered
        once per name and scope (a scope's chain is always the same; callers that ask at module
        level pass a shorter one).
        """
        if name not in _BUILTINS and self.unimported(name):
            # Only an import binds a name to a qualified name (a builtin is one when nothing
            # binds it): no scope's bindings are needed to say None (most names: ``self``...).
            return None
        key = (name, id(chain[-1]) if chain else 0, len(chain))
        found = self._resolved.get(key, _UNRESOLVED)
        if found is _UNRESOLVED:
            found = self._resolved[key] = self._resolve_name(name, chain)
        return cast("str | None", found)

    def _resolve_name(self, name: str, chain: Sequence[ast.AST]) -> str | None:
        innermost = len(chain) - 1
        for index in range(innermost, -1, -1):
            scope = chain[index]
            if isinstance(scope, ast.ClassDef) and index != innermost:
                continue  # class bodies are not visible from nested scopes
            info = self.info(scope)
            if name in info.declared_global and index != 0:
                return self.resolve_name(name, chain[:1])
            if name in info.declared_nonlocal:
                continue
            kinds = info.bindings.get(name)
            if kinds is not None:
                return _decide(kinds)
            if index == 0 and info.star_import:
                return None  # ``from m import *`` may have bound it
        if name in _BUILTINS:
            return f"builtins.{name}"
        return None

    def local_definition(self, name: str, chain: Sequence[ast.AST]) -> ast.AST | None:
        """The one ``def``/``class`` statement of this module that `name` refers to, if any.

        Only when the binding scope binds the name by that single statement and nothing else.
        """
        if self._unbindable(name, self.def_names):
            return None  # no such statement anywhere: no scope's bindings are needed
        innermost = len(chain) - 1
        for index in range(innermost, -1, -1):
            scope = chain[index]
            if isinstance(scope, ast.ClassDef) and index != innermost:
                continue
            info = self.info(scope)
            if name in info.declared_global and index != 0:
                return self.local_definition(name, chain[:1])
            kinds = info.bindings.get(name)
            if kinds is not None:
                defs = info.defs.get(name, [])
                return defs[0] if len(defs) == 1 and info.counts.get(name) == 1 else None
        return None

    def qualname(self, expr: ast.AST, chain: Sequence[ast.AST]) -> str | None:
        """Qualified name of a Name/Attribute chain (``gc.disable``), or None if unknown."""
        attrs: list[str] = []
        node = expr
        while isinstance(node, ast.Attribute):
            attrs.append(node.attr)
            node = node.value
        if not isinstance(node, ast.Name):
            return None
        if attrs and node.id in _BUILTINS and self.unimported(node.id):
            return None  # a builtin's attribute, or something a scope binds: unknown either way
        base = self.resolve_name(node.id, chain)
        if base is None:
            return None
        if base.startswith("builtins.") and attrs:
            return None  # attributes of builtins (``open.x``) are not modelled
        return ".".join([base, *reversed(attrs)])


_UNRESOLVED = object()


def _decide(kinds: set[str]) -> str | None:
    """The one import a name is bound to (besides ``None``), or None."""
    found = None
    for kind in kinds:
        if kind == NONE:
            continue
        if found is not None or kind == OTHER:
            return None
        found = kind
    return found
