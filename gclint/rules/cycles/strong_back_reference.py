"""GCL302 strong-back-reference."""

from __future__ import annotations

import ast
from typing import TYPE_CHECKING

from gclint.analysis.classes import Kind, enclosing_class
from gclint.diagnostics import FixSafety
from gclint.registry import Example, Rule, register

if TYPE_CHECKING:
    from gclint.context import Context
from gclint.rules.cycles._shared import WEAKREF_DOCS, first_attr, model
from gclint.rules.cycles._truth import CYCLE_TRUTH


@register
class StrongBackReference(Rule):
    """
    ## What it does
    Finds two objects that keep strong references to each other: a parent storing a child that
    stores the parent (`self.child = Child(self)` where `Child.__init__` keeps its argument;
    `child.parent = self` while `self.children` holds `child`), and the mutual
    `a.field = b; b.field = a`.

    ## Why is this bad?
    Parent and child form a reference cycle: dropping the last outside reference to the parent
    frees neither of them. The whole tree, and everything its nodes refer to, waits for the
    cyclic garbage collector. The child only needs to find its parent, not keep it alive.

    ## Fix safety
    The fix is unsafe (applied only with `--unsafe-fixes`): the back-reference is handed a
    `weakref.proxy` of the object instead of the object (`Child(weakref.proxy(self))`,
    `child.parent = weakref.proxy(self)`), so no read of it has to change. Code that relied on
    the child keeping its parent alive now gets `ReferenceError` once the parent is gone, and
    a proxy is not the object itself (`is`, `type()`, hashing and pickling differ). The fix
    is applied only to the parent/child shapes: `Child(self)` stored on `self` in the parent's
    own `__init__`, or `child.parent = self` (or `peer.other = obj` where the function returns
    `obj`) where `child` is made in that function (`child = Node(...)`) and the other edge
    stores it; never to a container of children, nor to an object that may be all that keeps
    the other alive (`cls._meta = self` in a method). The weak side's class must be defined in
    the module and support weak references (no `__slots__` without `__weakref__`, no foreign
    bases), and nothing in the module may compare the attribute by identity, test membership
    with it or hash it.

    ## References
    - [weakref](https://docs.python.org/3/library/weakref.html)
    """

    code = "GCL302"
    name = "strong-back-reference"
    summary = "two objects keep strong references to each other (parent/child back-reference)"
    message = (
        "'{text}' completes a reference cycle: {detail}; make the back-reference a weakref.ref"
    )
    fix_safety = FixSafety.UNSAFE
    fix_title = "Make the back-reference weak"
    references = (WEAKREF_DOCS,)

    invalid = (
        Example(
            """
            class Child:
                def __init__(self, parent):
                    self.parent = parent


            class Parent:
                def __init__(self):
                    self.child = Child(self)
            """,
            expect=((8, 9),),
            trigger="ref = weakref.ref(Parent())",
            fixed="""
            import weakref


            class Child:
                def __init__(self, parent):
                    self.parent = parent


            class Parent:
                def __init__(self):
                    self.child = Child(weakref.proxy(self))
            """,
            doc=True,
        ),
        Example(
            """
            class TreeNode:
                def __init__(self, name):
                    self.name = name
                    self.parent = None
                    self.children = []

                def add(self, name):
                    child = TreeNode(name)
                    child.parent = self
                    self.children.append(child)
                    return child
            """,
            expect=((10, 9),),
            trigger="""
            root = TreeNode("root")
            root.add("leaf")
            ref = weakref.ref(root)
            del root
            """,
            fixed="""
            import weakref


            class TreeNode:
                def __init__(self, name):
                    self.name = name
                    self.parent = None
                    self.children = []

                def add(self, name):
                    child = TreeNode(name)
                    child.parent = weakref.proxy(self)
                    self.children.append(child)
                    return child
            """,
        ),
        Example(
            """
            class Endpoint:
                pass


            def connect():
                client, server = Endpoint(), Endpoint()
                client.peer = server
                server.peer = client
                return client
            """,
            expect=((8, 5),),
            trigger="ref = weakref.ref(connect())",
            fixed="""
            import weakref


            class Endpoint:
                pass


            def connect():
                client, server = Endpoint(), Endpoint()
                client.peer = server
                server.peer = weakref.proxy(client)
                return client
            """,
        ),
    )
    valid = (
        Example(
            """
            import weakref


            class Child:
                def __init__(self, parent):
                    self._parent = weakref.ref(parent)

                @property
                def parent(self):
                    return self._parent()


            class Parent:
                def __init__(self):
                    self.child = Child(self)
            """,
            trigger="ref = weakref.ref(Parent())",
            doc=True,
        ),
        Example(
            """
            import weakref


            class TreeNode:
                def __init__(self, name):
                    self.name = name
                    self.parent = None
                    self.children = []

                def add(self, name):
                    child = TreeNode(name)
                    child.parent = weakref.proxy(self)
                    self.children.append(child)
                    return child
            """,
            trigger="""
            root = TreeNode("root")
            root.add("leaf")
            ref = weakref.ref(root)
            del root
            """,
        ),
    )
    truth = CYCLE_TRUTH

    def visit_ClassDef(self, node: ast.ClassDef) -> None:
        info = model(self.ctx).info(node)
        for store in info.cycle_stores():
            if store.kind is Kind.CHILD:
                self.report(
                    store.node,
                    text=ast.unparse(store.node),
                    detail=f"{store.detail} keeps a strong reference back to this object",
                )

    def __init__(self, ctx: Context) -> None:
        super().__init__(ctx)
        # the edges each function's own statements make, by function (as the walk meets them)
        self._edges: dict[int, list[tuple[tuple[str, str, str], ast.AST]]] = {}

    def _collect(self, stmt: ast.Assign | ast.Expr) -> None:
        scopes = self.ctx.scope_stack
        owner = scopes[-1] if scopes else None  # a statement of this function, not a nested one
        if isinstance(owner, (ast.FunctionDef, ast.AsyncFunctionDef)):
            edges = _strong_edges(stmt)
            if edges:
                self._edges.setdefault(id(owner), []).extend((edge, stmt) for edge in edges)

    def visit_Assign(self, node: ast.Assign) -> None:
        if type(node.value) is ast.Name:  # ``a.x = b``: the only assignment making an edge
            self._collect(node)

    def visit_Expr(self, node: ast.Expr) -> None:
        call = node.value
        if type(call) is ast.Call and type(call.func) is ast.Attribute:  # ``a.xs.append(b)``
            self._collect(node)

    def leave_FunctionDef(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        """``child.attr = owner`` plus ``owner.<x> = child`` / ``owner.<xs>.append(child)``."""
        found = self._edges.pop(id(node), [])
        if not _has_mutual_pair([edge for edge, _stmt in found]):
            return  # the class model (what the class manages) only for a candidate pair
        cls = enclosing_class(self.ctx.ancestors)
        managed = model(self.ctx).info(cls).managed() if cls is not None else set()
        edges: list[tuple[str, str, ast.AST]] = [  # (holder, held, statement)
            (holder, held, stmt) for (holder, held, attr), stmt in found if attr not in managed
        ]
        reported: set[int] = set()
        for i, (holder, held, stmt) in enumerate(edges):
            for other_holder, other_held, other in edges[:i]:
                if other_holder == held and other_held == holder and id(stmt) not in reported:
                    reported.add(id(stmt))
                    self.report(
                        stmt,
                        text=ast.unparse(stmt),
                        detail=f"'{holder}' and '{held}' hold each other "
                        f"(the other edge at line {getattr(other, 'lineno', '?')})",
                    )

    leave_AsyncFunctionDef = leave_FunctionDef


def _has_mutual_pair(edges: list[tuple[str, str, str]]) -> bool:
    pairs = {(holder, held) for holder, held, _attr in edges}
    return any((held, holder) in pairs for holder, held in pairs)


def _strong_edges(stmt: ast.AST) -> list[tuple[str, str, str]]:
    """(holder, held, attribute) a statement creates: ``a.x = b``, ``a.xs.append(b)``."""
    out: list[tuple[str, str, str]] = []
    if isinstance(stmt, ast.Assign) and isinstance(stmt.value, ast.Name):
        for target in stmt.targets:
            root = _root_name(target)
            if root is not None and root != stmt.value.id and not isinstance(target, ast.Name):
                out.append((root, stmt.value.id, first_attr(target)))
    elif (
        isinstance(stmt, ast.Expr)
        and isinstance(stmt.value, ast.Call)
        and isinstance(stmt.value.func, ast.Attribute)
        and stmt.value.func.attr in ("append", "add", "insert", "appendleft")
    ):
        root = _root_name(stmt.value.func.value)
        for arg in stmt.value.args:
            if isinstance(arg, ast.Name) and root is not None and root != arg.id:
                out.append((root, arg.id, first_attr(stmt.value.func.value)))
    return out


def _root_name(expr: ast.AST) -> str | None:
    while isinstance(expr, (ast.Attribute, ast.Subscript)):
        expr = expr.value
    return expr.id if isinstance(expr, ast.Name) else None
