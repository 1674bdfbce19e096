"""Where a diagnostic's code is in a libcst tree, and the facts fixers ask about it.

- `Site`: the module of a `MetadataWrapper` with its positions, parents and qualified names
  (resolved once). `Site.node_at` finds the node a diagnostic names; `statement_of`,
  `small_statement_of`, `block_of`, `place_of`, `statement_line_of`, `scope_of` and
  `function_scope_of` tell where a node sits; `imported_names`/`qualified_names` what a name
  refers to. Anything a fixer cannot locate or accept raises `FixSkipped`.
- `Place`: a statement, the block whose body lists it, and its index there.
- `evaluation_step`: which sibling expressions Python evaluates before and after a child, and
  whether the child is evaluated at all on every path (``a or b``: ``b`` is not);
  `is_inert`: expressions that moving earlier or later cannot change (names, dotted names,
  literals).
- Names: `name_uses` (the variable uses and bindings of some names), `names_in` (every
  identifier), `fresh_name`, `check_no_introspection`, `dotted`; `only_statement`;
  `EarlyExits` (a ``return``/``yield``/``break``/``continue`` leaving some code).

Rewriting the module is `gclint.fixes.edit`'s job.
"""

from __future__ import annotations

import builtins
import keyword
from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

import libcst as cst
from libcst.metadata import (
    CodeRange,
    MetadataWrapper,
    ParentNodeProvider,
    PositionProvider,
    QualifiedName,
    QualifiedNameProvider,
    QualifiedNameSource,
)

from gclint.diagnostics import Range
from gclint.fixes.base import FixSkipped

N = TypeVar("N", bound=cst.CSTNode)
S = TypeVar("S", bound=cst.BaseStatement)

NESTED_SCOPES = (
    cst.FunctionDef,
    cst.ClassDef,
    cst.Lambda,
    cst.GeneratorExp,
    cst.ListComp,
    cst.SetComp,
    cst.DictComp,
)


@dataclass(frozen=True)
class Place(Generic[S]):
    """A statement, the block whose body lists it, and its index in that body."""

    stmt: S
    block: cst.IndentedBlock | cst.Module
    index: int

    @property
    def body(self) -> Sequence[cst.BaseStatement]:
        return self.block.body


class Site:
    """A module being fixed, with the metadata the fixers ask for (computed once)."""

    def __init__(self, wrapper: MetadataWrapper) -> None:
        self.wrapper = wrapper
        self.module = wrapper.module
        self.positions = wrapper.resolve(PositionProvider)
        self.parents = wrapper.resolve(ParentNodeProvider)
        self._qualified: Mapping[cst.CSTNode, Collection[QualifiedName]] | None = None

    # -- the diagnostic's node -------------------------------------------------------------------

    def node_at(self, rng: Range, kind: type[N] | tuple[type[N], ...], *, exact: bool = True) -> N:
        """The first node of `kind` spanning exactly the diagnostic's range, or, when not
        `exact`, the first one starting where it starts (the innermost such node)."""
        for node, code_range in self.positions.items():
            if isinstance(node, kind) and _matches(code_range, rng, exact):
                return node
        if exact:
            raise FixSkipped("the reported code was not found in the file (it changed?)")
        raise FixSkipped("cannot locate the reported code")

    def line(self, node: cst.CSTNode) -> int:
        """The line (1-based) where `node` starts."""
        return self.positions[node].start.line

    # -- where things are ------------------------------------------------------------------------

    def parent(self, node: cst.CSTNode) -> cst.CSTNode | None:
        return self.parents.get(node)

    def ancestors(self, node: cst.CSTNode) -> Iterator[cst.CSTNode]:
        current = self.parents.get(node)
        while current is not None:
            yield current
            current = self.parents.get(current)

    def inside(self, node: cst.CSTNode, container: cst.CSTNode) -> bool:
        """Whether `node` is `container` or one of its descendants."""
        return node is container or any(a is container for a in self.ancestors(node))

    def in_nested_scope(self, node: cst.CSTNode, within: cst.CSTNode) -> bool:
        """Whether `node` is inside a function, class, lambda or comprehension nested in
        `within`."""
        for ancestor in self.ancestors(node):
            if ancestor is within:
                return False
            if isinstance(ancestor, NESTED_SCOPES):
                return True
        return False

    def path_up(self, node: cst.CSTNode, top: cst.CSTNode) -> list[tuple[cst.CSTNode, cst.CSTNode]]:
        """(parent, child) pairs from `node` up to `top` (its ancestor), innermost first."""
        pairs: list[tuple[cst.CSTNode, cst.CSTNode]] = []
        child = node
        while child is not top:
            parent = self.parents.get(child)
            if parent is None:
                raise FixSkipped("internal: the node is not inside its statement")
            pairs.append((parent, child))
            child = parent
        return pairs

    def statement_of(self, node: cst.CSTNode) -> cst.BaseStatement:
        """The statement (a whole line of simple statements, or a compound one) holding `node`."""
        current: cst.CSTNode | None = node
        while current is not None and not isinstance(current, cst.BaseStatement):
            current = self.parents.get(current)
        if current is None:
            raise FixSkipped("internal: no statement holds the reported code")
        return current

    def small_statement_of(self, node: cst.CSTNode) -> cst.BaseSmallStatement | None:
        """The simple statement holding `node`; None when a compound statement's header does."""
        current: cst.CSTNode | None = node
        while current is not None and not isinstance(current, cst.BaseSmallStatement):
            if isinstance(current, cst.BaseStatement):
                return None
            current = self.parents.get(current)
        return current

    def block_of(self, stmt: cst.BaseStatement) -> cst.IndentedBlock | cst.Module:
        """The block whose body lists `stmt` (FixSkipped for a one-line suite: `if x: y`)."""
        parent = self.parents.get(stmt)
        if isinstance(parent, (cst.IndentedBlock, cst.Module)):
            return parent
        raise FixSkipped("the statement shares its line with its block's header")

    def place_of(self, stmt: S) -> Place[S]:
        """`stmt` with its block (as `block_of`) and its index there."""
        block = self.block_of(stmt)
        index = next(i for i, s in enumerate(block.body) if s is stmt)
        return Place(stmt, block, index)

    def statement_line_of(self, node: cst.CSTNode) -> Place[cst.SimpleStatementLine]:
        """The line holding `node`, required to be a line of that one statement, in a block
        (FixSkipped otherwise, or when a compound statement's header holds `node`)."""
        current: cst.CSTNode | None = node
        while current is not None and not isinstance(current, cst.SimpleStatementLine):
            if isinstance(current, (cst.SimpleStatementSuite, cst.BaseCompoundStatement)):
                raise FixSkipped("the statement shares its line with a compound statement")
            current = self.parents.get(current)
        if current is None:
            raise FixSkipped("cannot locate the statement")
        if len(current.body) != 1:
            raise FixSkipped("the line holds more than one statement")
        block = self.parents.get(current)
        if not isinstance(block, (cst.IndentedBlock, cst.Module)):
            raise FixSkipped("the statement is not in a block")
        index = next(i for i, s in enumerate(block.body) if s is current)
        return Place(current, block, index)

    def scope_of(self, node: cst.CSTNode) -> cst.CSTNode:
        """The innermost function, class, lambda or module whose body holds `node` (a
        function's decorators, defaults and annotations belong to the enclosing scope)."""
        child = node
        for ancestor in self.ancestors(node):
            if isinstance(ancestor, (cst.FunctionDef, cst.ClassDef, cst.Lambda)):
                if child is ancestor.body:
                    return ancestor
            elif isinstance(ancestor, cst.Module):
                return ancestor
            child = ancestor
        return self.module

    def function_scope_of(self, node: cst.CSTNode) -> cst.FunctionDef | cst.Module:
        """`scope_of(node)`, required to be a function or the module (FixSkipped in a class
        body or a lambda)."""
        scope = self.scope_of(node)
        if isinstance(scope, (cst.FunctionDef, cst.Module)):
            return scope
        raise FixSkipped("the code is in a class body or a lambda")

    # -- what names refer to ---------------------------------------------------------------------

    def _qualified_names(self, node: cst.CSTNode) -> Collection[QualifiedName]:
        if self._qualified is None:
            self._qualified = self.wrapper.resolve(QualifiedNameProvider)
        found: object = self._qualified.get(node, ())
        if callable(found):  # libcst computes qualified names lazily (LazyValue)
            found = found()
        assert isinstance(found, Collection)
        return [q for q in found if isinstance(q, QualifiedName)]

    def qualified_names(self, node: cst.CSTNode) -> set[str]:
        """Every qualified name `node` may refer to, whatever its source (local ones too)."""
        return {q.name for q in self._qualified_names(node)}

    def imported_names(self, node: cst.CSTNode) -> set[str]:
        """What `node` (a name or dotted name) refers to through imports or builtins:
        ``{"gc.enable"}`` for ``_gc.enable`` after ``import gc as _gc``; empty for a local."""
        return {
            q.name
            for q in self._qualified_names(node)
            if q.source in (QualifiedNameSource.IMPORT, QualifiedNameSource.BUILTIN)
        }


def _matches(code_range: CodeRange, rng: Range, exact: bool) -> bool:
    if (code_range.start.line, code_range.start.column) != (rng.line, rng.col):
        return False
    return not exact or (code_range.end.line, code_range.end.column) == (rng.end_line, rng.end_col)


# -- evaluation order ------------------------------------------------------------------------------


def _arg_values(args: Iterable[cst.Arg]) -> list[cst.CSTNode]:
    return [a.value for a in args]


def evaluation_step(
    parent: cst.CSTNode, child: cst.CSTNode
) -> tuple[list[cst.CSTNode], list[cst.CSTNode]]:
    """The siblings of `child` that Python evaluates before it and after it, when evaluating the
    expression `parent`.

    Raises FixSkipped when `child` is not evaluated on every path (``a or b``, ``x if c else
    y``, ``a < b < c``), when it is evaluated in another scope or more than once (a lambda or
    comprehension body), or when the order is not one this function knows.
    """
    if isinstance(parent, cst.Call):
        if child is parent.func:
            return [], _arg_values(parent.args)
        index = next(i for i, a in enumerate(parent.args) if a is child)
        arg = parent.args[index]
        if arg.star or any(a.star for a in parent.args[index + 1 :] if a.keyword is None):
            raise FixSkipped("the order of starred arguments is subtle")
        return (
            [parent.func, *_arg_values(parent.args[:index])],
            _arg_values(parent.args[index + 1 :]),
        )
    if isinstance(
        parent,
        (
            cst.Arg,
            cst.Element,
            cst.Index,
            cst.UnaryOperation,
            cst.ComparisonTarget,
            cst.FormattedStringExpression,
            cst.Attribute,
        ),
    ):
        if isinstance(parent, cst.FormattedStringExpression) and child is not parent.expression:
            raise FixSkipped("a format specification is evaluated late")
        if isinstance(parent, cst.Arg) and child is not parent.value:
            raise FixSkipped("internal: unexpected argument part")
        return [], []
    if isinstance(parent, cst.Subscript):
        parts: list[cst.CSTNode] = [parent.value, *parent.slice]
        return _split(parts, child)
    if isinstance(parent, cst.SubscriptElement):
        return [], []
    if isinstance(parent, cst.Slice):
        parts = [p for p in (parent.lower, parent.upper, parent.step) if p is not None]
        return _split(parts, child)
    if isinstance(parent, (cst.BinaryOperation, cst.ConcatenatedString)):
        return _split([parent.left, parent.right], child)
    if isinstance(parent, cst.BooleanOperation):
        if child is parent.right:
            raise FixSkipped("the right operand of 'and'/'or' is not always evaluated")
        return [], [parent.right]
    if isinstance(parent, cst.IfExp):
        if child is not parent.test:
            raise FixSkipped("a branch of a conditional expression is not always evaluated")
        return [], [parent.body, parent.orelse]
    if isinstance(parent, cst.Comparison):
        if child is parent.left:
            return [], [c.comparator for c in parent.comparisons]
        index = next(i for i, c in enumerate(parent.comparisons) if c is child)
        if index > 0:
            raise FixSkipped("a chained comparison does not always evaluate every operand")
        return [parent.left], [c.comparator for c in parent.comparisons[1:]]
    if isinstance(parent, (cst.Tuple, cst.List, cst.Set)):
        if any(isinstance(e, cst.StarredElement) for e in parent.elements):
            raise FixSkipped("the order of starred elements is subtle")
        return _split(list(parent.elements), child)
    if isinstance(parent, cst.Dict):
        if not all(isinstance(e, cst.DictElement) for e in parent.elements):
            raise FixSkipped("the order of '**' in a dict display is subtle")
        return _split(list(parent.elements), child)
    if isinstance(parent, cst.DictElement):
        return _split([parent.key, parent.value], child)
    if isinstance(parent, cst.FormattedString):
        exprs = [p for p in parent.parts if isinstance(p, cst.FormattedStringExpression)]
        return _split(list(exprs), child)
    if isinstance(parent, cst.NamedExpr) and child is parent.value:
        return [], []
    if isinstance(parent, (cst.GeneratorExp, cst.ListComp, cst.SetComp, cst.DictComp)):
        if child is parent.for_in:
            return [], []  # the first iterable is evaluated at once, in the enclosing scope
        raise FixSkipped("the code runs in a nested scope (a comprehension)")
    if isinstance(parent, cst.CompFor):
        if child is parent.iter:
            return [], []  # the first one only: an inner clause's parent is a CompFor
        raise FixSkipped("the code runs once per item of a comprehension")
    if isinstance(parent, cst.Lambda):
        raise FixSkipped("the code runs in a nested scope (a lambda)")
    if isinstance(parent, (cst.Await, cst.Yield)):
        raise FixSkipped("the statement suspends ('await'/'yield')")
    raise FixSkipped(f"cannot tell the evaluation order around '{type(parent).__name__}'")


def _split(
    parts: Sequence[cst.CSTNode], child: cst.CSTNode
) -> tuple[list[cst.CSTNode], list[cst.CSTNode]]:
    index = next(i for i, p in enumerate(parts) if p is child)
    return list(parts[:index]), list(parts[index + 1 :])


def is_inert(node: cst.CSTNode) -> bool:
    """Whether evaluating `node` earlier or later cannot change what a program does: a name, a
    dotted name (``self.x``, ``json.load``), or a literal."""
    if isinstance(node, cst.Arg):
        return node.star == "" and is_inert(node.value)
    if isinstance(node, cst.Element):
        return is_inert(node.value)
    if isinstance(node, cst.DictElement):
        return is_inert(node.key) and is_inert(node.value)
    if isinstance(node, cst.Name):
        return True
    if isinstance(node, cst.Attribute):
        return is_inert(node.value)
    if isinstance(node, (cst.SimpleString, cst.Integer, cst.Float, cst.Imaginary, cst.Ellipsis)):
        return True
    if isinstance(node, cst.ConcatenatedString):
        return is_inert(node.left) and is_inert(node.right)
    if isinstance(node, cst.UnaryOperation):
        return isinstance(node.operator, (cst.Minus, cst.Plus)) and isinstance(
            node.expression, (cst.Integer, cst.Float, cst.Imaginary)
        )
    if isinstance(node, cst.FormattedStringExpression):
        return node.format_spec is None and is_inert(node.expression)
    return False


# -- names ---------------------------------------------------------------------------------------


class _Names(cst.CSTVisitor):
    def __init__(self) -> None:
        self.names: set[str] = set()

    def visit_Name(self, node: cst.Name) -> None:
        self.names.add(node.value)


def names_in(node: cst.CSTNode) -> set[str]:
    """Every identifier written anywhere in `node` (variables, parameters, attributes...)."""
    visitor = _Names()
    node.visit(visitor)
    return visitor.names


class _NameUses(cst.CSTVisitor):
    def __init__(self, names: Collection[str] | None) -> None:
        self.names = names
        self.found: list[cst.Name] = []

    def visit_Name(self, node: cst.Name) -> None:
        if self.names is None or node.value in self.names:
            self.found.append(node)

    def visit_Attribute(self, node: cst.Attribute) -> bool:
        node.value.visit(self)
        return False

    def visit_Arg(self, node: cst.Arg) -> bool:
        node.value.visit(self)
        return False


def name_uses(node: cst.CSTNode, names: Collection[str] | None = None) -> list[cst.Name]:
    """The `cst.Name` nodes in `node` that are one of the variables `names` (every variable
    when None): reads, writes, parameters, ``del``; not attribute or keyword-argument names."""
    visitor = _NameUses(names)
    node.visit(visitor)
    return visitor.found


def fresh_name(site: Site, scope: cst.CSTNode, candidates: Sequence[str]) -> str:
    """The first of `candidates` (then ``<first>2``, ``<first>3``...) that no code of `scope`
    uses, that is not a builtin or keyword, and, for a module-level name, that nothing in the
    module uses at all. FixSkipped when the scope calls ``locals()``, ``vars()``, ``dir()``,
    ``exec``, ``eval`` or ``globals()``: a new variable would show there."""
    where = site.module if isinstance(scope, cst.Module) else scope
    check_no_introspection(site, where, "the new variable")
    taken = names_in(where)
    first = candidates[0]
    for name in [*candidates, *(f"{first}{i}" for i in range(2, 100))]:
        if name not in taken and not keyword.iskeyword(name) and not hasattr(builtins, name):
            return name
    raise FixSkipped("no free name for the new variable")


INTROSPECTION = frozenset({"locals", "vars", "dir", "exec", "eval", "globals"})


class _Introspection(cst.CSTVisitor):
    """A call of a builtin that lists or runs code in the current namespace."""

    def __init__(self, site: Site) -> None:
        self.site = site
        self.found = ""

    def visit_Call(self, node: cst.Call) -> None:
        if (
            isinstance(node.func, cst.Name)
            and node.func.value in INTROSPECTION
            and f"builtins.{node.func.value}" in self.site.imported_names(node.func)
        ):
            self.found = self.found or node.func.value


def check_no_introspection(site: Site, scope: cst.CSTNode, what: str) -> None:
    """FixSkipped when `scope` calls a builtin that lists or runs code in its namespace."""
    introspection = _Introspection(site)
    scope.visit(introspection)
    if introspection.found:
        raise FixSkipped(f"the code calls '{introspection.found}()', which would see {what}")


def dotted(node: cst.CSTNode) -> str | None:
    """``a.b.c`` for a dotted name, else None."""
    if isinstance(node, cst.Name):
        return node.value
    if isinstance(node, cst.Attribute):
        head = dotted(node.value)
        return None if head is None else f"{head}.{node.attr.value}"
    return None


def only_statement(stmt: cst.BaseStatement) -> cst.BaseSmallStatement | None:
    """The single small statement of a line (``x = 1``), or None (a compound statement, or
    ``a; b``)."""
    if isinstance(stmt, cst.SimpleStatementLine) and len(stmt.body) == 1:
        return stmt.body[0]
    return None


class EarlyExits(cst.CSTVisitor):
    """The first statement that leaves the visited code early: ``return``, ``yield`` (when
    `yields`), or a ``break``/``continue`` not inside a loop of its own; nested functions,
    lambdas and classes are not entered. `found` is its keyword, or None."""

    def __init__(self, yields: bool = True) -> None:
        self.found: str | None = None
        self.loops = 0
        self.yields = yields

    def visit_FunctionDef(self, node: cst.FunctionDef) -> bool:
        return False

    def visit_Lambda(self, node: cst.Lambda) -> bool:
        return False

    def visit_ClassDef(self, node: cst.ClassDef) -> bool:
        return False

    def visit_For(self, node: cst.For) -> None:
        self.loops += 1

    def leave_For(self, node: cst.For) -> None:
        self.loops -= 1

    def visit_While(self, node: cst.While) -> None:
        self.loops += 1

    def leave_While(self, node: cst.While) -> None:
        self.loops -= 1

    def visit_Return(self, node: cst.Return) -> None:
        self.found = self.found or "return"

    def visit_Yield(self, node: cst.Yield) -> None:
        if self.yields:
            self.found = self.found or "yield"

    def visit_Break(self, node: cst.Break) -> None:
        if not self.loops:
            self.found = self.found or "break"

    def visit_Continue(self, node: cst.Continue) -> None:
        if not self.loops:
            self.found = self.found or "continue"
