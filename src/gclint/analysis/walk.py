"""Fast tree traversal: `ast.walk` and `ast.iter_child_nodes` without their per-node generators.

Every analysis walks subtrees many times (a function body per rule, per question). While the
engine checks a file (`indexed`), the module is laid out once in depth-first source order with
each node's subtree span, so that walking any subtree of it is a slice of that list: no Python
code runs per node. Outside `indexed`, or for nodes of other trees (modules reached through
imports), the walk reads a per-type tuple of child fields.

Both skip the ``ctx``/``op`` singletons (``Load``, ``Store``, ``Add``...), which no rule looks at,
and return nodes in depth-first source order (``ast.walk`` is breadth-first; no caller depends on
the order beyond "every node once").
"""

from __future__ import annotations

import ast
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

_SKIPPED = frozenset({"ctx", "op"})
_FIELDS: dict[type[ast.AST], tuple[str, ...]] = {}
_AST = ast.AST


def fields(node_type: type[ast.AST]) -> tuple[str, ...]:
    """The fields of `node_type` that can hold child nodes worth visiting."""
    found = _FIELDS.get(node_type)
    if found is None:
        found = _FIELDS[node_type] = tuple(f for f in node_type._fields if f not in _SKIPPED)
    return found


def children(node: ast.AST) -> list[ast.AST]:
    """The direct child nodes of `node`, in field order (no ``ctx``/``op`` singletons)."""
    out: list[ast.AST] = []
    for name in _FIELDS.get(type(node)) or fields(type(node)):
        value = getattr(node, name, None)
        if type(value) is list:
            out.extend(item for item in value if isinstance(item, _AST))
        elif isinstance(value, _AST):
            out.append(value)
    return out


class _Index:
    """A tree in depth-first source order, and each node's subtree as ``order[start:end]``."""

    def __init__(self, root: ast.AST) -> None:
        order: list[ast.AST] = []
        spans: dict[int, tuple[int, int]] = {}
        open_starts: list[int] = []
        stack: list[ast.AST | None] = [root]
        pop, push, extend = stack.pop, stack.append, stack.extend
        get_fields = _FIELDS.get
        while stack:
            node = pop()
            if node is None:  # every child subtree of the innermost open node is done
                start = open_starts.pop()
                spans[id(order[start])] = (start, len(order))
                continue
            open_starts.append(len(order))
            order.append(node)
            push(None)
            for name in reversed(get_fields(type(node)) or fields(type(node))):
                value = getattr(node, name, None)
                if type(value) is list:
                    extend([item for item in reversed(value) if isinstance(item, _AST)])
                elif isinstance(value, _AST):
                    push(value)
        self.order = order
        self.spans = spans

    def span(self, node: ast.AST) -> tuple[int, int] | None:
        found = self.spans.get(id(node))
        if found is not None and self.order[found[0]] is node:
            return found
        return None


class _State(threading.local):
    """The index of the module being checked by this thread (see `indexed`)."""

    root: ast.AST | None = None
    index: _Index | None = None


_state = _State()


@contextmanager
def indexed(root: ast.AST) -> Iterator[None]:
    """Within this block, walks of `root`'s subtrees are slices of one layout of the tree.

    The layout is made on the first walk. The tree must not be changed inside the block (the
    engine wraps the check of one file in it); the layout keeps every node alive, so an ``id`` is
    never reused for another node while it is in use.
    """
    outer = (_state.root, _state.index)
    _state.root, _state.index = root, None
    try:
        yield
    finally:
        _state.root, _state.index = outer


def _current_index() -> _Index | None:
    index = _state.index
    if index is None and _state.root is not None:
        index = _state.index = _Index(_state.root)
    return index


def walk(node: ast.AST) -> list[ast.AST]:
    """`node` and all its descendants (depth-first, source order)."""
    index = _current_index()
    if index is not None:
        span = index.span(node)
        if span is not None:
            return index.order[span[0] : span[1]]
    return _walk(node)


def _walk(node: ast.AST) -> list[ast.AST]:
    out: list[ast.AST] = []
    stack = [node]
    pop, push, extend = stack.pop, stack.append, stack.extend
    get_fields = _FIELDS.get
    while stack:
        current = pop()
        out.append(current)
        names = get_fields(type(current)) or fields(type(current))
        for name in reversed(names):
            value = getattr(current, name, None)
            if type(value) is list:
                extend([item for item in reversed(value) if isinstance(item, _AST)])
            elif isinstance(value, _AST):
                push(value)
    return out


def walk_shallow(nodes: Sequence[ast.AST], boundaries: tuple[type, ...]) -> list[ast.AST]:
    """`nodes` and their descendants, not entering nodes of the `boundaries` types (returned)."""
    index = _current_index()
    if index is not None:
        out: list[ast.AST] = []
        order, spans = index.order, index.spans
        for top in nodes:
            span = index.span(top)
            if span is None:
                out.extend(_walk_shallow([top], boundaries))
                continue
            i, end = span
            while i < end:
                current = order[i]
                out.append(current)
                if isinstance(current, boundaries):
                    i = spans[id(current)][1]
                else:
                    i += 1
        return out
    return _walk_shallow(nodes, boundaries)


def _walk_shallow(nodes: Sequence[ast.AST], boundaries: tuple[type, ...]) -> list[ast.AST]:
    out: list[ast.AST] = []
    stack = list(reversed(nodes))
    pop, push, extend = stack.pop, stack.append, stack.extend
    get_fields = _FIELDS.get
    while stack:
        current = pop()
        out.append(current)
        if isinstance(current, boundaries):
            continue
        names = get_fields(type(current)) or fields(type(current))
        for name in reversed(names):
            value = getattr(current, name, None)
            if type(value) is list:
                extend([item for item in reversed(value) if isinstance(item, _AST)])
            elif isinstance(value, _AST):
                push(value)
    return out
