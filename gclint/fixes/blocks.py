"""Shared libcst helpers for fixers: finding a diagnostic's node, its statement and block, and
moving statements into a new ``with`` block without losing comments or blank lines.

Shared with every fixer module (read-only use is fine; add helpers rather than change these).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import TypeVar

import libcst as cst
from libcst._metadata_dependent import LazyValue
from libcst.metadata import (
    BaseMetadataProvider,
    MetadataWrapper,
    ParentNodeProvider,
    PositionProvider,
    QualifiedNameProvider,
)

from gclint.diagnostics import Diagnostic
from gclint.fixes.base import FixSkipped

T = TypeVar("T")
N = TypeVar("N", bound=cst.CSTNode)
BlockOwner = cst.IndentedBlock | cst.Module


class Meta:
    """The metadata of one wrapper, resolved once, read without libcst's lazy values."""

    def __init__(self, wrapper: MetadataWrapper) -> None:
        self.wrapper = wrapper
        self.module = wrapper.module
        self.positions = wrapper.resolve(PositionProvider)
        self.parents = wrapper.resolve(ParentNodeProvider)
        self._qualnames: dict[cst.CSTNode, object] | None = None

    def get(self, provider: type[BaseMetadataProvider[T]], node: cst.CSTNode) -> T:
        value = self.wrapper.resolve(provider)[node]
        if isinstance(value, LazyValue):
            return value()  # type: ignore[no-any-return]
        return value

    def qualnames(self, node: cst.CSTNode) -> set[str]:
        try:
            found = self.get(QualifiedNameProvider, node)
        except KeyError:
            return set()
        return {q.name for q in found}

    def parent(self, node: cst.CSTNode) -> cst.CSTNode | None:
        return self.parents.get(node)

    def ancestors(self, node: cst.CSTNode) -> Iterator[cst.CSTNode]:
        current = self.parents.get(node)
        while current is not None:
            yield current
            current = self.parents.get(current)

    def line(self, node: cst.CSTNode) -> int:
        return self.positions[node].start.line


def find_node(meta: Meta, diagnostic: Diagnostic, kind: type[N]) -> N:
    """The node of type `kind` that starts exactly where the diagnostic does."""
    want = (diagnostic.range.line, diagnostic.range.col)
    for node, code_range in meta.positions.items():
        if isinstance(node, kind) and (code_range.start.line, code_range.start.column) == want:
            return node
    raise FixSkipped("cannot locate the reported code")


@dataclass
class Site:
    """A simple statement line, the block it is in, and its index there."""

    line: cst.SimpleStatementLine
    owner: BlockOwner
    index: int

    @property
    def body(self) -> Sequence[cst.BaseStatement]:
        return self.owner.body


def statement_site(meta: Meta, node: cst.CSTNode) -> Site:
    """The statement line holding `node`, required to be a line of one statement in a block."""
    current: cst.CSTNode | None = node
    while current is not None and not isinstance(current, cst.SimpleStatementLine):
        if isinstance(current, (cst.SimpleStatementSuite, cst.BaseCompoundStatement)):
            raise FixSkipped("the statement shares its line with a compound statement")
        current = meta.parent(current)
    if current is None:
        raise FixSkipped("cannot locate the statement")
    if len(current.body) != 1:
        raise FixSkipped("the line holds more than one statement")
    owner = meta.parent(current)
    if not isinstance(owner, (cst.IndentedBlock, cst.Module)):
        raise FixSkipped("the statement is not in a block")
    index = next(i for i, s in enumerate(owner.body) if s is current)
    return Site(current, owner, index)


def enclosing_scope(meta: Meta, node: cst.CSTNode) -> cst.FunctionDef | cst.Module:
    for ancestor in meta.ancestors(node):
        if isinstance(ancestor, (cst.FunctionDef, cst.Module)):
            return ancestor
        if isinstance(ancestor, (cst.Lambda, cst.ClassDef)):
            raise FixSkipped("the code is in a class body or a lambda")
    raise FixSkipped("cannot locate the enclosing function")


def comment_lines(line: cst.SimpleStatementLine) -> list[cst.EmptyLine]:
    """What removing `line` must keep: its leading lines and its trailing comment."""
    kept = list(line.leading_lines)
    trailing = line.trailing_whitespace.comment
    if trailing is not None:
        kept.append(cst.EmptyLine(indent=True, comment=trailing))
    return kept


def _has_comment(lines: Sequence[cst.EmptyLine]) -> bool:
    return any(e.comment is not None for e in lines)


def merge_leading(
    moved: Sequence[cst.EmptyLine], own: Sequence[cst.EmptyLine]
) -> list[cst.EmptyLine]:
    """`moved` lines (from a removed statement) before `own` without doubling blank lines."""
    moved = list(moved)
    if own and own[0].comment is None:
        while moved and moved[-1].comment is None:
            moved.pop()
    return [*moved, *own]


def wrap_in_with(
    meta: Meta,
    site: Site,
    items: Sequence[cst.WithItem],
    *,
    stop: int,
    remove: int | None = None,
    asynchronous: bool = False,
) -> cst.Module:
    """Replace the statement at `site.index` by ``with items:`` over the block's statements
    after it up to `stop` (exclusive). The statement at `remove` (if any; it must be `stop`) is
    deleted, and its comments move to the statement after it (or to the block's footer)."""
    body = list(site.body)
    head = site.line
    inner = body[site.index + 1 : stop]
    if not inner:
        raise FixSkipped("no statement would be inside the 'with' block")
    block = cst.IndentedBlock(body=inner, header=head.trailing_whitespace)
    with_node = cst.With(
        items=list(items),
        body=block,
        leading_lines=head.leading_lines,
        asynchronous=cst.Asynchronous() if asynchronous else None,
    )
    new_body: list[cst.BaseStatement] = [*body[: site.index], with_node]
    footer: list[cst.EmptyLine] = list(site.owner.footer)
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
    if isinstance(site.owner, cst.Module):
        return site.owner.with_changes(body=new_body, footer=footer)
    new_owner = site.owner.with_changes(body=new_body, footer=footer)
    return cst.ensure_type(meta.module.deep_replace(site.owner, new_owner), cst.Module)


def dotted(node: cst.BaseExpression) -> str:
    if isinstance(node, cst.Name):
        return node.value
    if isinstance(node, cst.Attribute):
        inner = dotted(node.value)
        return f"{inner}.{node.attr.value}" if inner else ""
    return ""


class NameUses(cst.CSTVisitor):
    """Every Name node that reads or binds `names` (or any name, with `every`), attribute and
    keyword names excluded."""

    def __init__(self, names: set[str], every: bool = False) -> None:
        self.names = names
        self.every = every
        self.found: list[cst.Name] = []

    def visit_Name(self, node: cst.Name) -> None:
        if self.every or node.value in self.names:
            self.found.append(node)

    def visit_Attribute(self, node: cst.Attribute) -> bool:
        node.value.visit(self)
        return False

    def visit_Arg(self, node: cst.Arg) -> bool:
        node.value.visit(self)
        return False


def name_uses(node: cst.CSTNode, names: set[str], every: bool = False) -> list[cst.Name]:
    visitor = NameUses(names, every)
    node.visit(visitor)
    return visitor.found


class EarlyExits(cst.CSTVisitor):
    """The first statement that leaves the visited code early: ``return``, ``yield`` (when
    `yields`), or a ``break``/``continue`` not inside a loop of its own; nested functions,
    lambdas and classes are not entered. Shared by the fixers that wrap code in a block."""

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
