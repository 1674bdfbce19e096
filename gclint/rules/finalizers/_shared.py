"""What several finalizers rules share."""

from __future__ import annotations

import ast

from gclint.analysis.classes import ClassInfo, ClassModel
from gclint.analysis.flow import FUNCTION_TYPES
from gclint.registry import Rule

DEL_DOCS = "https://docs.python.org/3/reference/datamodel.html#object.__del__"


FINALIZE_DOCS = "https://docs.python.org/3/library/weakref.html#weakref.finalize"


def own_del(cls: ast.ClassDef) -> ast.FunctionDef | ast.AsyncFunctionDef | None:
    for item in cls.body:
        if isinstance(item, FUNCTION_TYPES) and item.name == "__del__":
            return item
    return None


class DelRule(Rule):
    def info(self, node: ast.ClassDef) -> ClassInfo:
        return self.ctx.shared(ClassModel).info(node)
