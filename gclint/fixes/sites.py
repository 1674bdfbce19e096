"""Finding a diagnostic's site in a libcst tree, and the facts the statement-level fixers need.

Shared by the fixers of GCL102, GCL104, GCL304, GCL305, GCL306 and GCL401:

- `Site`: the module of a `MetadataWrapper` with its positions, parents and qualified names;
  `Site.node_at(range, types)` is the node a diagnostic names (same start and end);
- `Site.statement_of`, `Site.block_of`, `Site.scope_of`: where a node sits;
- `Site.replace_statement`: one statement of a block replaced by several;
- `evaluation_step`: which sibling expressions Python evaluates before and after a child, and
  whether the child is evaluated at all on every path (``a or b``: ``b`` is not);
- `is_inert`: expressions whose evaluation can neither fail in a way that matters nor have an
  effect (names, dotted names, literals), so moving them is safe;
- `fresh_name`: a name no code of the scope (or module) uses.
"""

from __future__ import annotations

import builtins
import keyword
from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence

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

SCOPE_NODES = (cst.FunctionDef, cst.ClassDef, cst.Lambda, cst.Module)
NESTED_SCOPES = (
    cst.FunctionDef,
    cst.ClassDef,
    cst.Lambda,
    cst.GeneratorExp,
    cst.ListComp,
    cst.SetComp,
    cst.DictComp,
)


class Site:
    """A module being fixed, with the metadata the fixers ask for (computed once)."""

    def __init__(self, wrapper: MetadataWrapper) -> None:
        self.wrapper = wrapper
        self.module = wrapper.module
        self.positions = wrapper.resolve(PositionProvider)
        self.parents = wrapper.resolve(ParentNodeProvider)
        self._qualified: Mapping[cst.CSTNode, Collection[QualifiedName]] | None = None

    # -- where things are ------------------------------------------------------------------------

    def node_at(self, rng: Range, types: tuple[type[cst.CSTNode], ...]) -> cst.CSTNode:
        """The node of one of `types` spanning exactly the diagnostic's range."""
        for node, code_range in self.positions.items():
            if isinstance(node, types) and _same(code_range, rng):
                return node
        raise FixSkipped("the reported code was not found in the file (it changed?)")

    def parent(self, node: cst.CSTNode) -> cst.CSTNode | None:
        return self.parents.get(node)

    def ancestors(self, node: cst.CSTNode) -> Iterator[cst.CSTNode]:
        current = self.parents.get(node)
        while current is not None:
            yield current
            current = self.parents.get(current)

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

    def imported_names(self, node: cst.CSTNode) -> set[str]:
        """What `node` (a name or dotted name) refers to through imports or builtins:
        ``{"gc.enable"}`` for ``_gc.enable`` after ``import gc as _gc``; empty for a local."""
        if self._qualified is None:
            self._qualified = self.wrapper.resolve(QualifiedNameProvider)
        found: object = self._qualified.get(node, ())
        if callable(found):  # libcst computes qualified names lazily (LazyValue)
            found = found()
        assert isinstance(found, Collection)
        return {
            q.name
            for q in found
            if isinstance(q, QualifiedName)
            and q.source in (QualifiedNameSource.IMPORT, QualifiedNameSource.BUILTIN)
        }

    # -- rewriting -------------------------------------------------------------------------------

    def replace_statement(
        self, stmt: cst.BaseStatement, new: Sequence[cst.BaseStatement]
    ) -> cst.Module:
        """The module with `stmt` replaced, in its block, by the statements `new`."""
        block = self.block_of(stmt)
        body = list(block.body)
        index = next(i for i, s in enumerate(body) if s is stmt)
        body[index : index + 1] = new
        return self.replace_block_body(block, body)

    def replace_block_body(
        self, block: cst.IndentedBlock | cst.Module, body: Sequence[cst.BaseStatement]
    ) -> cst.Module:
        if isinstance(block, cst.Module):
            return block.with_changes(body=body)
        replaced = self.module.deep_replace(block, block.with_changes(body=body))
        assert isinstance(replaced, cst.Module)
        return replaced


def _same(code_range: CodeRange, rng: Range) -> bool:
    return (
        code_range.start.line == rng.line
        and code_range.start.column == rng.col
        and code_range.end.line == rng.end_line
        and code_range.end.column == rng.end_col
    )


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


def mentions(node: cst.CSTNode, name: str) -> bool:
    return name in names_in(node)


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


def line_of(small: cst.BaseSmallStatement) -> cst.SimpleStatementLine:
    """A new line holding one small statement (without a trailing semicolon)."""
    return cst.SimpleStatementLine(body=[small.with_changes(semicolon=cst.MaybeSentinel.DEFAULT)])


def indented(body: Sequence[cst.BaseStatement]) -> cst.IndentedBlock:
    return cst.IndentedBlock(body=list(body))


class _VariableRefs(cst.CSTVisitor):
    """Every `cst.Name` that is the variable `name` (not an attribute or a keyword argument)."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.found: list[cst.Name] = []

    def visit_Name(self, node: cst.Name) -> None:
        if node.value == self.name:
            self.found.append(node)

    def visit_Attribute(self, node: cst.Attribute) -> bool:
        node.value.visit(self)
        return False

    def visit_Arg(self, node: cst.Arg) -> bool:
        node.value.visit(self)
        return False


def variable_refs(node: cst.CSTNode, name: str) -> list[cst.Name]:
    """The occurrences of the variable `name` in `node` (reads, writes, parameters, ``del``)."""
    visitor = _VariableRefs(name)
    node.visit(visitor)
    return visitor.found


def in_nested_scope(site: Site, node: cst.CSTNode, within: cst.CSTNode) -> bool:
    """Whether `node` is inside a function, class, lambda or comprehension nested in `within`."""
    for ancestor in site.ancestors(node):
        if ancestor is within:
            return False
        if isinstance(ancestor, NESTED_SCOPES):
            return True
    return False


def is_none_check(name: str) -> cst.Comparison:
    """``name is not None``."""
    return cst.Comparison(
        left=cst.Name(name),
        comparisons=[cst.ComparisonTarget(operator=cst.IsNot(), comparator=cst.Name("None"))],
    )


def leading_lines(stmt: cst.BaseStatement) -> Sequence[cst.EmptyLine]:
    """The blank and comment lines above a statement."""
    if isinstance(stmt, (cst.SimpleStatementLine, cst.BaseCompoundStatement)):
        return stmt.leading_lines
    return ()
