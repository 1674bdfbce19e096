"""Per-file state shared by every rule during the one walk over a tree."""

from __future__ import annotations

import ast
from collections.abc import Callable, Iterator, Mapping
from typing import TYPE_CHECKING, TypeVar

from gclint.analysis.module import ModuleFacts
from gclint.analysis.scopes import SCOPE_TYPE_SET
from gclint.diagnostics import Diagnostic, Fix, Range

if TYPE_CHECKING:
    from gclint.config import Config
    from gclint.registry import Rule

T = TypeVar("T")


class Context:
    """What a rule may ask while the engine walks a file.

    `ancestors` holds the nodes enclosing the current one (the module first, the current node's
    parent last) while a `visit_*`/`leave_*` handler runs.
    """

    def __init__(
        self, tree: ast.Module, path: str, config: Config, text: str | None = None
    ) -> None:
        self.module = ModuleFacts(tree, path, config, text)
        self.tree = tree
        self.text = text
        self.path = path
        self.config = config
        self.scopes = self.module.scopes
        self.ancestors: list[ast.AST] = []
        self.scope_stack: list[ast.AST] = []  # the scopes among `ancestors` (kept by the engine)
        self.diagnostics: list[Diagnostic] = []
        self._mentions: dict[tuple[str, ...], bool] = {}

    def shared(self, factory: Callable[[ModuleFacts], T]) -> T:
        """One `factory(module facts)` per file, shared by every rule that asks for it."""
        return self.module.shared(factory)

    def release(self) -> None:
        """Drop what the file's check built once it is done.

        Shared analyses keep the context (and so the tree) they were built from: a reference
        cycle. Clearing them here lets reference counting free a checked file's tree at once
        instead of leaving it to the cyclic collector.
        """
        self.module.release()
        self._mentions.clear()
        self.ancestors.clear()
        self.scope_stack.clear()

    def mentions(self, *needles: str) -> bool:
        """Whether the module's text contains any of `needles` (True when the text is unknown)."""
        found = self._mentions.get(needles)
        if found is None:
            text = self.text
            found = self._mentions[needles] = text is None or any(n in text for n in needles)
        return found

    # -- structure -----------------------------------------------------------------------------

    def scope_chain(self, node: ast.AST | None = None) -> list[ast.AST]:
        """Scopes that enclose the current position (module first).

        A function's decorators, defaults and annotations are evaluated in the enclosing scope,
        but names in them are rare enough in rules' questions that the body's chain is used.
        """
        chain = self.scope_stack[:]  # the engine keeps the enclosing scopes as it walks
        if (
            node is not None
            and type(node) in SCOPE_TYPE_SET
            and (not chain or chain[-1] is not node)
        ):
            chain.append(node)
        return chain

    def enclosing_function(self) -> ast.FunctionDef | ast.AsyncFunctionDef | None:
        for node in reversed(self.ancestors):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                return node
            if isinstance(node, (ast.Lambda, ast.ClassDef)):
                return None
        return None

    def parent(self) -> ast.AST | None:
        return self.ancestors[-1] if self.ancestors else None

    def walk_up(self) -> Iterator[tuple[ast.AST, ast.AST]]:
        """Yield (ancestor, child-on-the-path) pairs from the innermost ancestor outwards."""
        child: ast.AST | None = None
        for node in reversed(self.ancestors):
            if child is not None:
                yield node, child
            child = node

    # -- names ---------------------------------------------------------------------------------

    def qualname(self, expr: ast.AST) -> str | None:
        """Qualified name of a Name/Attribute at the current position, or None if unsure."""
        return self.scopes.qualname(expr, self.scope_chain())

    def call_qualname(self, call: ast.Call) -> str | None:
        return self.qualname(call.func)

    def may_name(self, expr: ast.AST, last_parts: frozenset[str]) -> bool:
        """Cheap test: could `expr` name something whose last dotted part is in `last_parts`?

        Rules call it before `qualname`, which is dearer. An attribute is judged by its name; a
        plain name by itself or, when it is an import alias, by what it imports.
        """
        if isinstance(expr, ast.Attribute):
            return expr.attr in last_parts
        if isinstance(expr, ast.Name):
            if expr.id in last_parts:
                return True
            imported = self.scopes.import_aliases().get(expr.id)
            return imported is not None and not imported.isdisjoint(last_parts)
        return False

    # -- reporting -----------------------------------------------------------------------------

    def report(
        self,
        rule: Rule,
        node: ast.AST,
        fmt: Mapping[str, object] | None = None,
        fix: Fix | None = None,
    ) -> None:
        line = getattr(node, "lineno", 1)
        col = getattr(node, "col_offset", 0)
        end_line = getattr(node, "end_lineno", None) or line
        end_col = getattr(node, "end_col_offset", None)
        if end_col is None:
            end_col = col
        message = rule.message.format(**fmt) if fmt else rule.message
        self.diagnostics.append(
            Diagnostic(
                code=rule.code,
                name=rule.name,
                path=self.path,
                range=Range(line, col, end_line, end_col),
                message=message,
                fix=fix,
            )
        )
