"""Fast tree traversal: `ast.walk` and `ast.iter_child_nodes` without their per-node generators.

Every analysis walks subtrees many times (a function body per rule); `ast.walk` spends most of its
time in `iter_fields`/`iter_child_nodes`. These versions read a per-type tuple of child fields and
skip the `ctx`/`op` singletons (``Load``, ``Store``, ``Add``...), which no rule looks at. `walk`
returns the nodes in depth-first source order (``ast.walk`` is breadth-first; no caller depends on
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


class _Memo(threading.local):
    """Per-thread memo of walks, live while the engine checks one file (see `memoized`)."""

    table: dict[int, tuple[object, tuple[ast.AST, ...]]] | None = None
    shallow: dict[int, tuple[object, tuple[type, ...], tuple[ast.AST, ...]]] | None = None


_memo = _Memo()


@contextmanager
def memoized() -> Iterator[None]:
    """Within this block, walking the same subtree (or statement list) again costs a lookup.

    Trees must not be changed inside the block: the engine wraps the check of one file in it.
    Memo entries keep their key object alive, so an ``id`` is never reused for another one.
    """
    outer, outer_shallow = _memo.table, _memo.shallow
    if outer is None:
        _memo.table, _memo.shallow = {}, {}
    try:
        yield
    finally:
        _memo.table, _memo.shallow = outer, outer_shallow


def walk(node: ast.AST) -> tuple[ast.AST, ...]:
    """`node` and all its descendants (depth-first, source order)."""
    table = _memo.table
    if table is not None:
        entry = table.get(id(node))
        if entry is not None and entry[0] is node:
            return entry[1]
    result = tuple(_walk(node))
    if table is not None:
        table[id(node)] = (node, result)
    return result


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


def walk_shallow(nodes: Sequence[ast.AST], boundaries: tuple[type, ...]) -> tuple[ast.AST, ...]:
    """`nodes` and their descendants, not entering nodes of the `boundaries` types (returned)."""
    table = _memo.shallow
    if table is not None:
        entry = table.get(id(nodes))
        if entry is not None and entry[0] is nodes and entry[1] == boundaries:
            return entry[2]
    result = tuple(_walk_shallow(nodes, boundaries))
    if table is not None:
        table[id(nodes)] = (nodes, boundaries, result)
    return result


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
