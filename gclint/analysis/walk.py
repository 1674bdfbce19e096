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
import re
import threading
from bisect import bisect_left
from collections import defaultdict
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from itertools import chain
from typing import Any

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


# The first trees a process lays out use the generic layout: making the generated layers
# (`_make_layer`) costs more than it saves on one or two files, which is all that flake8 checks
# when an editor runs it on the file being edited. Both layouts are the same.
GENERIC_LAYOUTS = 2


class _Trees:
    laid_out = 0  # trees laid out by this process


class _Index:
    """A tree in depth-first source order: node `order[i]`'s subtree is ``order[i:ends[i]]``."""

    def __init__(self, root: ast.AST) -> None:
        # the layout also records where each node is (`starts`: leaves left out, see
        # `_make_layer`) and every node's position under its exact type (`by_type`)
        _Trees.laid_out += 1
        if _Trees.laid_out <= GENERIC_LAYOUTS:  # see GENERIC_LAYOUTS
            self.order, self.ends, self.starts, self._by_type = _layout_iterative(root)
        else:
            try:
                self.order, self.ends, self.starts, self._by_type = _layout_recursive(root)
            except RecursionError:  # deeper than the stack allows: the same layout, iteratively
                self.order, self.ends, self.starts, self._by_type = _layout_iterative(root)
        self._bounds: dict[tuple[type, ...], list[int]] = {}

    def span(self, node: ast.AST) -> tuple[int, int] | None:
        """Where `node`'s subtree is in `order`; None for a node of another tree, and for a leaf
        (`Name`, `Constant`...: walking one is as cheap as looking it up)."""
        start = self.starts.get(node)  # keyed by the node itself: identity, no id() to make
        return None if start is None else (start, self.ends[start])

    def bounds(self, boundaries: tuple[type, ...]) -> list[int]:
        """Sorted positions of the nodes of the `boundaries` types (or their subclasses)."""
        found = self._bounds.get(boundaries)
        if found is None:
            by_type = self._by_type
            lists = [where for kind, where in by_type.items() if issubclass(kind, boundaries)]
            found = lists[0] if len(lists) == 1 else sorted(chain.from_iterable(lists))
            self._bounds[boundaries] = found
        return found


_Layout = tuple[list[ast.AST], list[int], dict[ast.AST, int], dict[type, list[int]]]


def _layout_recursive(root: ast.AST) -> _Layout:
    order: list[ast.AST] = []
    ends: list[int] = []
    starts: dict[ast.AST, int] = {}
    by_type: defaultdict[type, list[int]] = defaultdict(list)
    _lay(root, order, ends, starts, by_type)
    return order, ends, starts, dict(by_type)


# The node-valued fields of each node type, read from the type's ASDL signature in its docstring
# (``Attribute(expr value, identifier attr, expr_context ctx)``): (name, True) for a list field,
# (name, False) for one node or None, (name, None) when the signature does not say (then the value
# is looked at). Fields of identifiers, strings, numbers and constants are left out, so a `Name`
# or a `Constant` has no field to read at all. The layout is exactly `_layout_iterative`'s.
_CHILD_FIELDS: dict[type[ast.AST], tuple[tuple[str, bool | None], ...]] = {}
_NOT_NODES = frozenset({"identifier", "int", "string", "constant"})
_SIGNATURE_FIELD = re.compile(r"(\w+)([*?]?) (\w+)")


def child_fields(node_type: type[ast.AST]) -> tuple[tuple[str, bool | None], ...]:
    found = _CHILD_FIELDS.get(node_type)
    if found is None:
        kinds: dict[str, tuple[str, str]] = {}
        doc = node_type.__doc__ or ""
        if doc.startswith(node_type.__name__ + "("):
            signature = doc[len(node_type.__name__) + 1 :].partition(")")[0]
            for kind, mark, name in _SIGNATURE_FIELD.findall(signature):
                kinds[name] = (kind, mark)
        out: list[tuple[str, bool | None]] = []
        for name in fields(node_type):
            known = kinds.get(name)
            if known is None:
                out.append((name, None))
            elif known[0] not in _NOT_NODES:
                out.append((name, known[1] == "*"))
        found = _CHILD_FIELDS[node_type] = tuple(out)
    return found


# The layout of one node type is a function written for it (its fields unrolled: no loop over
# field names, no test of what a field holds that the signature already says), made the first
# time a node of that type is laid out. A node type without node-valued fields (a leaf: `Name`,
# `Constant`) is laid out by its parent without a call. They are module-level functions, not
# closures: a recursive closure is a reference cycle (the function and its own cell) that would
# keep `order`, and with it the whole tree, alive until the cyclic collector runs.
_Layer = Any  # (node, order, ends) -> None
_LAYERS: dict[type[ast.AST], _Layer] = {}
_LEAVES: set[type[ast.AST]] = set()


def _lay(
    node: ast.AST,
    order: list[ast.AST],
    ends: list[int],
    starts: dict[ast.AST, int],
    by_type: defaultdict[type, list[int]],
) -> None:
    layer = _LAYERS.get(type(node)) or _make_layer(type(node))
    layer(node, order, ends, starts, by_type)


def _lay_leaf(
    node: ast.AST,
    order: list[ast.AST],
    ends: list[int],
    starts: dict[ast.AST, int],
    by_type: defaultdict[type, list[int]],
) -> None:
    by_type[type(node)].append(len(order))
    order.append(node)
    ends.append(len(order))


def _make_layer(node_type: type[ast.AST]) -> _Layer:
    fields = child_fields(node_type)
    if not fields:
        _LEAVES.add(node_type)
        _LAYERS[node_type] = _lay_leaf
        return _lay_leaf
    one = (
        "if v is not None:\n"
        "{i}    t = type(v)\n"
        "{i}    if t in LEAVES:\n"
        "{i}        by_type[t].append(len(order))\n"
        "{i}        order.append(v)\n"
        "{i}        ends.append(len(order))\n"
        "{i}    else:\n"
        "{i}        (LAYERS.get(t) or make(t))(v, order, ends, starts, by_type)"
    )
    lines = [
        "def layer(node, order, ends, starts, by_type):",
        "    i = len(order)",
        "    starts[node] = i",
        "    by_type[T].append(i)",
        "    order.append(node)",
        "    ends.append(0)",
    ]
    for name, many in fields:
        if many:
            lines.append(f"    for v in node.{name}:")
            lines.append("        " + one.format(i="        "))
        elif many is None:  # the signature does not say: look at the value
            lines += [
                f"    v = getattr(node, {name!r}, None)",
                "    if type(v) is list:",
                "        for x in v:",
                "            if isinstance(x, AST):",
                "                lay(x, order, ends, starts, by_type)",
                "    elif isinstance(v, AST):",
                "        lay(v, order, ends, starts, by_type)",
            ]
        else:
            lines.append(f"    v = node.{name}")
            lines.append("    " + one.format(i="    "))
    lines.append("    ends[i] = len(order)")
    namespace: dict[str, Any] = {
        "LAYERS": _LAYERS,
        "LEAVES": _LEAVES,
        "make": _make_layer,
        "lay": _lay,
        "AST": _AST,
        "T": node_type,
    }
    exec("\n".join(lines), namespace)  # code made from the node type's own fields
    layer: _Layer = namespace["layer"]
    _LAYERS[node_type] = layer
    return layer


def _layout_iterative(root: ast.AST) -> _Layout:
    order: list[ast.AST] = []
    ends: list[int] = []
    open_starts: list[int] = []
    stack: list[ast.AST | None] = [root]
    pop, push, extend = stack.pop, stack.append, stack.extend
    get_fields = _FIELDS.get
    while stack:
        node = pop()
        if node is None:  # every child subtree of the innermost open node is done
            ends[open_starts.pop()] = len(order)
            continue
        open_starts.append(len(order))
        order.append(node)
        ends.append(0)
        push(None)
        for name in reversed(get_fields(type(node)) or fields(type(node))):
            value = getattr(node, name, None)
            if type(value) is list:
                extend([item for item in reversed(value) if isinstance(item, _AST)])
            elif isinstance(value, _AST):
                push(value)
    starts: dict[ast.AST, int] = {}
    by_type: dict[type, list[int]] = {}
    for i, node in enumerate(order):
        kind = type(node)
        if child_fields(kind):  # as `_make_layer`: leaves are not looked up
            starts[node] = i
        known = by_type.get(kind)
        if known is None:
            by_type[kind] = [i]
        else:
            known.append(i)
    return order, ends, starts, by_type


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


def is_indexed(root: ast.AST) -> bool:
    """Whether `root` is the tree being checked by this thread (walks of it are slices)."""
    return _state.root is root


def current_index() -> _Index | None:
    """The layout of the tree being checked (made now if needed), or None outside `indexed`."""
    return _current_index()


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


def walk_typed(node: ast.AST, types: tuple[type, ...]) -> list[ast.AST]:
    """The nodes of `types` among `node` and its descendants (depth-first, source order).

    In an indexed tree this is a slice of the positions of those types: no code runs for the
    nodes of other types.
    """
    index = _current_index()
    if index is not None:
        span = index.span(node)
        if span is not None:
            where = index.bounds(types)
            order = index.order
            lo = bisect_left(where, span[0])
            hi = bisect_left(where, span[1], lo)
            return [order[i] for i in where[lo:hi]]
    return [n for n in _walk(node) if isinstance(n, types)]


def walk_shallow_typed(
    nodes: Sequence[ast.AST], types: tuple[type, ...], boundaries: tuple[type, ...]
) -> list[ast.AST]:
    """The nodes of `types` that `walk_shallow(nodes, boundaries)` returns, in the same order."""
    index = _current_index()
    if index is None:
        return [n for n in _walk_shallow(nodes, boundaries) if isinstance(n, types)]
    out: list[ast.AST] = []
    order, ends = index.order, index.ends
    bounds = index.bounds(boundaries)
    where = index.bounds(types)
    for top in nodes:
        span = index.span(top)
        if span is None:
            out.extend(n for n in _walk_shallow([top], boundaries) if isinstance(n, types))
            continue
        i, end = span
        k = bisect_left(where, i)
        j = bisect_left(bounds, i)
        while k < len(where):
            pos = where[k]
            if pos >= end:
                break
            while j < len(bounds) and ends[bounds[j]] <= pos:
                j += 1  # boundaries that close before this node
            b = bounds[j] if j < len(bounds) else end
            if b < pos:  # inside a nested boundary: skip to its end
                k = bisect_left(where, ends[b], k + 1)
                continue
            out.append(order[pos])  # before the next boundary, or the boundary itself
            k += 1
    return out


def walk_shallow(nodes: Sequence[ast.AST], boundaries: tuple[type, ...]) -> list[ast.AST]:
    """`nodes` and their descendants, not entering nodes of the `boundaries` types (returned)."""
    index = _current_index()
    if index is not None:
        out: list[ast.AST] = []
        order, ends = index.order, index.ends
        bounds = index.bounds(boundaries)
        for top in nodes:
            span = index.span(top)
            if span is None:
                out.extend(_walk_shallow([top], boundaries))
                continue
            i, end = span
            # whole slices between the nested boundaries, each boundary node kept, its inside not
            j = bisect_left(bounds, i)
            while i < end:
                if j >= len(bounds) or bounds[j] >= end:
                    out.extend(order[i:end])
                    break
                b = bounds[j]
                out.extend(order[i : b + 1])
                i = ends[b]
                j = bisect_left(bounds, i, j + 1)
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
