"""GCL301 self-reference: an object is made to reference itself."""

from __future__ import annotations

import ast
from typing import TYPE_CHECKING

from gclint.analysis.flow import walk_shallow
from gclint.registry import Example, Rule, register

if TYPE_CHECKING:
    pass
from gclint.rules.cycles._truth import CYCLE_TRUTH

GC_DOCS = "https://docs.python.org/3/library/gc.html"


@register
class SelfReference(Rule):
    """
    ## What it does
    Finds an object made to reference itself: `x.append(x)`, `d[k] = d`, `self.me = self`,
    `x.field = x`.

    ## Why is this bad?
    An object that references itself is a reference cycle on its own: when the last outside
    reference goes, its reference count never reaches zero, so it (and everything it refers to)
    is freed only when the cyclic garbage collector runs, which may be much later, or never if
    the collector is disabled.

    ## Fix safety
    There is no automatic fix.

    ## References
    - [gc: Garbage Collector interface](https://docs.python.org/3/library/gc.html)
    """

    code = "GCL301"
    name = "self-reference"
    summary = "an object is made to reference itself"
    message = "'{text}' makes '{name}' reference itself: a reference cycle only gc.collect() frees"
    references = (GC_DOCS,)

    invalid = (
        Example(
            """
            class Node:
                def __init__(self, name):
                    self.name = name
                    self.root = self
            """,
            expect=((4, 9),),
            trigger='ref = weakref.ref(Node("a"))',
        ),
        Example(
            """
            def make_registry():
                registry = {}
                registry["self"] = registry
                return registry


            class Marker:
                pass
            """,
            expect=((3, 5),),
            trigger="""
            registry = make_registry()
            registry["marker"] = Marker()
            ref = weakref.ref(registry["marker"])
            del registry
            """,
        ),
        Example(
            """
            def build(items):
                queue = list(items)
                queue.append(queue)
                return len(queue)


            class Item:
                pass
            """,
            expect=((3, 5),),
            trigger="""
            item = Item()
            ref = weakref.ref(item)
            build([item])
            del item
            """,
        ),
        Example(
            """
            class Node:
                def __init__(self):
                    self.root = self
            """,
            expect=((3, 9),),
            trigger="ref = weakref.ref(Node())",
            doc=True,
        ),
    )
    valid = (
        Example(
            """
            class Node:
                def __init__(self, name, root=None):
                    self.name = name
                    self.root = root
            """,
            trigger='ref = weakref.ref(Node("a"))',
        ),
        Example(
            """
            def make_registry():
                registry = {}
                registry["copy"] = dict(registry)
                return registry


            class Marker:
                pass
            """,
            trigger="""
            registry = make_registry()
            registry["marker"] = Marker()
            ref = weakref.ref(registry["marker"])
            del registry
            """,
        ),
        Example(
            """
            class Node:
                def __init__(self, root=None):
                    self.root = root  # None means "I am the root"
            """,
            trigger="ref = weakref.ref(Node())",
            doc=True,
        ),
    )
    truth = CYCLE_TRUTH

    def visit_Assign(self, node: ast.Assign) -> None:
        value = node.value
        if not isinstance(value, ast.Name):
            return
        for target in node.targets:
            base = target.value if isinstance(target, (ast.Attribute, ast.Subscript)) else None
            if isinstance(base, ast.Name) and base.id == value.id:
                if not self._weak_name(value.id):  # the scope's walk only for a candidate
                    self.report(node, text=ast.unparse(node), name=value.id)
                return

    def _weak_name(self, name: str) -> bool:
        """The name holds a weak proxy (``root = weakref.proxy(...)``): no strong cycle."""
        function = self.ctx.enclosing_function()
        body = function.body if function is not None else self.ctx.tree.body
        chain = self.ctx.scope_chain()
        for sub in walk_shallow(body):
            if (
                isinstance(sub, ast.Assign)
                and isinstance(sub.value, ast.Call)
                and any(isinstance(t, ast.Name) and t.id == name for t in sub.targets)
            ):
                qual = self.ctx.scopes.qualname(sub.value.func, chain) or ""
                if qual.endswith(("weakref.proxy", "weakref.ref", "_weakref.proxy")):
                    return True
        return False

    def visit_Call(self, node: ast.Call) -> None:
        func = node.func
        if not (
            isinstance(func, ast.Attribute)
            and func.attr in ("append", "add", "insert", "appendleft", "setdefault")
            and isinstance(func.value, ast.Name)
        ):
            return
        name = func.value.id
        if any(isinstance(a, ast.Name) and a.id == name for a in node.args):
            self.report(node, text=ast.unparse(node), name=name)
