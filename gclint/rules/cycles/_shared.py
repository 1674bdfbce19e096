"""What several cycles rules share."""

from __future__ import annotations

import ast
from typing import TYPE_CHECKING

from gclint.analysis.classes import ClassModel
from gclint.analysis.walk import children, walk

if TYPE_CHECKING:
    from gclint.context import Context


WEAKREF_DOCS = "https://docs.python.org/3/library/weakref.html"


def model(ctx: Context) -> ClassModel:
    return ctx.shared(ClassModel)


def first_attr(target: ast.AST) -> str:
    """The attribute an edge goes through: ``a.xs[k]`` and ``a.xs.append`` -> 'xs'."""
    while isinstance(target, ast.Subscript):
        target = target.value
    return target.attr if isinstance(target, ast.Attribute) else ""


def refers_to(value: ast.AST, key: str) -> bool:
    """The value holds `key` itself (not just data read from it, like ``key.name``)."""
    parents: dict[int, ast.AST] = {}
    for node in walk(value):
        for child in children(node):
            parents[id(child)] = node
    for node in walk(value):
        if isinstance(node, ast.Name) and node.id == key:
            parent = parents.get(id(node))
            if isinstance(parent, ast.Attribute):
                continue  # ``key.attr``: data read from the key
            if isinstance(parent, ast.Call) and parent.func is not node:
                func = parent.func
                name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", "")
                if name in ("type", "id", "repr", "str", "len", "hash", "isinstance"):
                    continue
            return True
    return False
