"""GCL204 finalizer-keeps-object-alive."""

from __future__ import annotations

import ast

from gclint.analysis.classes import ClassModel, enclosing_class
from gclint.analysis.flow import walk_shallow
from gclint.analysis.walk import walk
from gclint.registry import Example, Rule, register
from gclint.rules.finalizers._shared import FINALIZE_DOCS
from gclint.rules.finalizers._truth import KEPT


@register
class FinalizerKeepsObjectAlive(Rule):
    """
    ## What it does
    Finds `weakref.finalize(obj, callback, *args)` whose callback or arguments refer to `obj`
    (`weakref.finalize(self, self.close)`, `weakref.finalize(obj, lambda: obj.close())`,
    `weakref.finalize(obj, cleanup, obj)`), and `atexit.register(obj.close)` for a local object
    or `self`.

    ## Why is this bad?
    The finalizer registry holds the callback and its arguments strongly. If they refer to the
    object, the object can never be collected: the finalizer meant to run "when the object
    dies" runs only at interpreter exit, and the object (with everything it holds) lives until
    then. `atexit.register(self.close)` does the same for every instance ever created.

    ## Fix safety
    There is no automatic fix: pass a function and the resource (not the object) as arguments.

    ## References
    - [weakref.finalize](https://docs.python.org/3/library/weakref.html#weakref.finalize)
    - [atexit.register](https://docs.python.org/3/library/atexit.html#atexit.register)
    """

    code = "GCL204"
    needles = (
        "finalize",
        "atexit",
    )
    name = "finalizer-keeps-object-alive"
    summary = "a weakref.finalize or atexit callback holds the object it should finalize"
    message = (
        "'{text}' keeps '{obj}' alive through its callback: it is never collected and the "
        "finalizer runs only at exit; pass a function and the resource, not the object"
    )
    references = (FINALIZE_DOCS, "https://docs.python.org/3/library/atexit.html#atexit.register")

    invalid = (
        Example(
            """
            import weakref


            class Session:
                def __init__(self):
                    self.buffer = bytearray(1024)
                    weakref.finalize(self, self.close)

                def close(self):
                    self.buffer = None
            """,
            expect=((7, 9),),
            trigger="ref = weakref.ref(Session())",
            doc=True,
        ),
        Example(
            """
            import atexit


            class Session:
                def close(self):
                    pass


            def open_session():
                session = Session()
                atexit.register(session.close)
                return session
            """,
            expect=((11, 5),),
            trigger="""
            ref = weakref.ref(open_session())
            """,
            note="atexit.register(session.close)",
        ),
    )
    valid = (
        Example(
            """
            import weakref


            def _release(buffer):
                buffer.clear()


            class Session:
                def __init__(self):
                    self.buffer = bytearray(1024)
                    weakref.finalize(self, _release, self.buffer)
            """,
            trigger="ref = weakref.ref(Session())",
            doc=True,
        ),
        Example(
            """
            import weakref


            class Session:
                def __init__(self, path):
                    self._file = open(path, "w")
                    weakref.finalize(self, self._file.close)
            """,
            trigger='ref = weakref.ref(Session("session.log"))',
            note="the callback is the file's method, not the session's",
        ),
    )
    truth = KEPT

    def visit_Call(self, node: ast.Call) -> None:
        if not self.ctx.may_name(node.func, frozenset({"finalize", "register"})):
            return
        qual = self.ctx.call_qualname(node)
        if qual == "weakref.finalize" and len(node.args) >= 2:
            obj = node.args[0]
            if not isinstance(obj, ast.Name):
                return
            callback, arguments = node.args[1], node.args[2:]
            if self._bound_to(callback, obj.id) or any(_holds(a, obj.id) for a in arguments):
                self.report(node, text=ast.unparse(node), obj=obj.id)
        elif qual == "atexit.register" and node.args:
            callback = node.args[0]
            if (
                isinstance(callback, ast.Attribute)
                and isinstance(callback.value, ast.Name)
                and self._is_local_object(callback.value.id)
                and self._bound_to(callback, callback.value.id)
            ):
                self.report(node, text=ast.unparse(node), obj=callback.value.id)

    def _bound_to(self, callback: ast.AST, name: str) -> bool:
        """The callback is a bound method of `name` (or a lambda using it)."""
        if isinstance(callback, ast.Lambda):
            return _holds(callback, name)
        if not (
            isinstance(callback, ast.Attribute)
            and isinstance(callback.value, ast.Name)
            and callback.value.id == name
        ):
            return False
        cls = enclosing_class(self.ctx.ancestors)
        function = self.ctx.enclosing_function()
        args = [*function.args.posonlyargs, *function.args.args] if function else []
        if cls is not None and args and args[0].arg == name:
            return self.ctx.shared(ClassModel).info(cls).is_bound_method(callback.attr)
        return True  # ``finalize(obj, obj.close)``: a callback looked up on the object

    def _is_local_object(self, name: str) -> bool:
        function = self.ctx.enclosing_function()
        if function is None:
            return False
        args = [*function.args.posonlyargs, *function.args.args]
        if args and args[0].arg == name and enclosing_class(self.ctx.ancestors) is not None:
            return True  # self
        return any(
            isinstance(sub, ast.Assign)
            and any(isinstance(t, ast.Name) and t.id == name for t in sub.targets)
            and isinstance(sub.value, ast.Call)
            for sub in walk_shallow(function.body)
        )


def _holds(expr: ast.AST, name: str) -> bool:
    """`expr`, passed as an argument, holds `name` itself (or is a lambda using it)."""
    if isinstance(expr, ast.Name):
        return expr.id == name
    if isinstance(expr, ast.Lambda):
        return any(isinstance(s, ast.Name) and s.id == name for s in walk(expr.body))
    if isinstance(expr, (ast.Tuple, ast.List)):
        return any(_holds(e, name) for e in expr.elts)
    return False
