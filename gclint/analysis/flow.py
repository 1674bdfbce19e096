"""Structural questions about where a node sits: loops, statement blocks, try/finally cover.

These work on the ancestor path the engine maintains (module first, the node's parent last), so
they cost nothing but a walk up that path.
"""

from __future__ import annotations

import ast
from collections.abc import Callable, Iterator, Sequence
from typing import cast

from gclint.analysis.walk import walk_shallow as _walk_shallow
from gclint.analysis.walk import walk_shallow_typed as _walk_shallow_typed

FUNCTION_TYPES = (ast.FunctionDef, ast.AsyncFunctionDef)
SCOPE_BOUNDARIES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)
COMPREHENSIONS = (ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)


def pairs_up(path: Sequence[ast.AST], node: ast.AST) -> Iterator[tuple[ast.AST, ast.AST]]:
    """Yield (ancestor, child on the way to `node`) from the innermost ancestor outwards."""
    child = node
    for ancestor in reversed(path):
        yield ancestor, child
        child = ancestor


def enclosing_loop(path: Sequence[ast.AST], node: ast.AST) -> ast.AST | None:
    """The loop whose every iteration evaluates `node`, within the same function, or None.

    A `for` loop's iterable and `else:`, and a `while` loop's `else:`, run once, so they do not
    count; a `while` test runs every iteration, so it does. A comprehension's first iterable runs
    once; the rest of it runs per element.
    """
    for ancestor, child in pairs_up(path, node):
        if isinstance(ancestor, SCOPE_BOUNDARIES):
            return None
        if isinstance(ancestor, (ast.For, ast.AsyncFor)) and _in_list(ancestor.body, child):
            return ancestor
        if isinstance(ancestor, ast.While) and (
            _in_list(ancestor.body, child) or child is ancestor.test
        ):
            return ancestor
        if isinstance(ancestor, COMPREHENSIONS):
            first_iter = ancestor.generators[0].iter
            if child is not first_iter:
                return ancestor
    return None


def _in_list(items: Sequence[ast.AST], node: ast.AST) -> bool:
    return any(item is node for item in items)


def containing_block(parent: ast.AST, child: ast.AST) -> list[ast.stmt] | None:
    """The statement list of `parent` (body, orelse, finalbody, handler body...) holding `child`."""
    for name in ("body", "orelse", "finalbody"):
        block = getattr(parent, name, None)
        if isinstance(block, list) and _in_list(block, child):
            return block
    if isinstance(parent, ast.Match):
        for case in parent.cases:
            if _in_list(case.body, child):
                return case.body
    return None


def walk_shallow(nodes: Sequence[ast.AST]) -> list[ast.AST]:
    """`nodes` and their descendants, not entering nested functions, lambdas or classes."""
    return _walk_shallow(nodes, SCOPE_BOUNDARIES)


def walk_shallow_of(nodes: Sequence[ast.AST], types: tuple[type, ...]) -> list[ast.AST]:
    """The nodes of `types` that `walk_shallow(nodes)` returns (without visiting the others)."""
    return _walk_shallow_typed(nodes, types, SCOPE_BOUNDARIES)


def same_expression(a: ast.AST, b: ast.AST) -> bool:
    """Whether two expressions are written the same (``ast.dump`` equality, positions ignored).

    Names, attributes and constants are compared directly: ``ast.dump`` builds a recursive
    closure (a reference cycle) per call, and rules compare a receiver with every argument of a
    function body.
    """
    if type(a) is not type(b):
        return False
    if isinstance(a, ast.Name):
        return a.id == cast(ast.Name, b).id and type(a.ctx) is type(cast(ast.Name, b).ctx)
    if isinstance(a, ast.Attribute):
        other = cast(ast.Attribute, b)
        return (
            a.attr == other.attr
            and type(a.ctx) is type(other.ctx)
            and same_expression(a.value, other.value)
        )
    if isinstance(a, ast.Constant):  # as ``ast.dump`` compares them: by repr
        constant = cast(ast.Constant, b)
        return repr(a.value) == repr(constant.value) and a.kind == constant.kind
    return ast.dump(a) == ast.dump(b)


def is_catch_all(handler: ast.ExceptHandler) -> bool:
    """``except:``, ``except BaseException:`` or ``except Exception:`` (possibly in a tuple)."""
    if handler.type is None:
        return True
    names = handler.type.elts if isinstance(handler.type, ast.Tuple) else [handler.type]
    for name in names:
        ident = name.attr if isinstance(name, ast.Attribute) else getattr(name, "id", None)
        if ident in ("BaseException", "Exception"):
            return True
    return False


TRY_TYPES: tuple[type[ast.AST], ...] = (
    ast.Try,
    *((ast.TryStar,) if hasattr(ast, "TryStar") else ()),
)


def in_cleanup_block(path: Sequence[ast.AST], node: ast.AST) -> bool:
    """Whether `node` runs in a `finally:` block or an `except` handler (of its function)."""
    for ancestor, child in pairs_up(path, node):
        if isinstance(ancestor, SCOPE_BOUNDARIES):
            return False
        if isinstance(ancestor, ast.ExceptHandler):
            return True
        if isinstance(ancestor, TRY_TYPES) and _in_list(cast(ast.Try, ancestor).finalbody, child):
            return True
    return False


def try_cleans_up(node: ast.Try, is_cleanup: Callable[[ast.AST], bool]) -> bool:
    """Whether `node`'s `finally:`, or a catch-all handler, contains a cleanup node."""
    if any(is_cleanup(n) for n in walk_shallow(node.finalbody)):
        return True
    return any(
        is_catch_all(h) and any(is_cleanup(n) for n in walk_shallow(h.body)) for h in node.handlers
    )


def protected_by_try(
    path: Sequence[ast.AST], node: ast.AST, is_cleanup: Callable[[ast.AST], bool]
) -> bool:
    """Whether an exception raised after `node` is covered by a try whose cleanup undoes it.

    True when `node` lies in the body or `else:` of such a try, or when such a try follows the
    statement holding `node` in the same block (the ``acquire(); try: ... finally: release()``
    idiom), within the enclosing function.
    """
    for ancestor, child in pairs_up(path, node):
        if isinstance(ancestor, (ast.Lambda, ast.ClassDef)):
            return False
        if isinstance(ancestor, TRY_TYPES):
            ancestor = cast(ast.Try, ancestor)  # TryStar has the same fields
            in_guarded = _in_list(ancestor.body, child) or _in_list(ancestor.orelse, child)
            if in_guarded and try_cleans_up(ancestor, is_cleanup):
                return True
        block = containing_block(ancestor, child)
        if block is not None:
            index = next(i for i, item in enumerate(block) if item is child)
            for later in block[index + 1 :]:
                if isinstance(later, TRY_TYPES) and try_cleans_up(cast(ast.Try, later), is_cleanup):
                    return True
        if isinstance(ancestor, FUNCTION_TYPES):
            return False
    return False
