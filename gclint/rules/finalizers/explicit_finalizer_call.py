"""GCL203 explicit-finalizer-call."""

from __future__ import annotations

import ast

from gclint.registry import Example, Rule, register
from gclint.rules.finalizers._shared import DEL_DOCS
from gclint.rules.finalizers._truth import OBSERVED


@register
class ExplicitFinalizerCall(Rule):
    """
    ## What it does
    Finds explicit calls of `x.__del__()` (other than a base class's `__del__` called from
    within `__del__`, like `super().__del__()`).

    ## Why is this bad?
    Calling `__del__` does not destroy the object or free its memory: it only runs the method.
    Python calls it again when the object is really freed, so whatever it does happens twice
    (double close, double decrement). `del x` does not call it either; it only removes a name.

    ## Fix safety
    There is no automatic fix.

    ## References
    - [object.__del__](https://docs.python.org/3/reference/datamodel.html#object.__del__)
    """

    code = "GCL203"
    needles = ("__del__",)
    name = "explicit-finalizer-call"
    summary = "x.__del__() called explicitly (other than super().__del__() inside __del__)"
    message = (
        "'{text}' runs the finalizer now, and Python runs it again when the object is freed; "
        "call an explicit close() instead"
    )
    references = (DEL_DOCS,)

    invalid = (
        Example(
            """
            class Conn:
                closes = 0

                def __del__(self):
                    Conn.closes += 1


            def shutdown(conn):
                conn.__del__()
            """,
            expect=((9, 5),),
            trigger="""
            conn = Conn()
            shutdown(conn)
            del conn
            gc.collect()
            observed = Conn.closes == 2
            """,
        ),
        Example(
            """
            class TempDir:
                removed = 0

                def __del__(self):
                    TempDir.removed += 1


            def cleanup_all(dirs):
                for d in dirs:
                    d.__del__()
                dirs.clear()
            """,
            expect=((10, 9),),
            trigger="""
            dirs = [TempDir(), TempDir()]
            cleanup_all(dirs)
            gc.collect()
            observed = TempDir.removed == 4
            """,
        ),
        Example(
            """
            def shutdown(conn):
                conn.__del__()
            """,
            expect=((2, 5),),
            trigger="""
            class Conn:
                closes = 0

                def __del__(self):
                    Conn.closes += 1


            conn = Conn()
            shutdown(conn)
            del conn
            gc.collect()
            observed = Conn.closes == 2
            """,
            doc=True,
        ),
    )
    valid = (
        Example(
            """
            class Conn:
                closes = 0

                def close(self):
                    Conn.closes += 1
            """,
            trigger="""
            conn = Conn()
            conn.close()
            del conn
            gc.collect()
            observed = Conn.closes == 2
            """,
        ),
        Example(
            """
            class Base:
                def __del__(self):
                    pass


            class Derived(Base):
                def __del__(self):
                    super().__del__()
            """,
            trigger="""
            obj = Derived()
            del obj
            """,
        ),
        Example(
            """
            def shutdown(conn):
                conn.close()
            """,
            trigger="""
            class Conn:
                closes = 0

                def close(self):
                    Conn.closes += 1


            conn = Conn()
            shutdown(conn)
            del conn
            gc.collect()
            observed = Conn.closes == 2
            """,
            doc=True,
        ),
    )
    truth = OBSERVED

    def visit_Call(self, node: ast.Call) -> None:
        func = node.func
        if not (isinstance(func, ast.Attribute) and func.attr == "__del__"):
            return
        function = self.ctx.enclosing_function()
        if function is not None and function.name == "__del__":
            receiver = func.value
            if isinstance(receiver, ast.Call) and getattr(receiver.func, "id", "") == "super":
                return
            if isinstance(receiver, (ast.Name, ast.Attribute)) and node.args:
                return  # ``Base.__del__(self)`` from a subclass's __del__
        self.report(node, text=ast.unparse(node))
