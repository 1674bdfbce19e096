"""GCL201 finalizer-in-reference-cycle."""

from __future__ import annotations

import ast

from gclint.registry import Example, register
from gclint.rules.finalizers._shared import DEL_DOCS, DelRule, own_del
from gclint.rules.finalizers._truth import OBSERVED


@register
class FinalizerInReferenceCycle(DelRule):
    """
    ## What it does
    Finds a class that defines `__del__` and whose instances take part in a reference cycle: it
    stores `self` on itself, a bound method, lambda or `functools.partial` of `self`, or a child
    object that keeps a strong reference back to it.

    ## Why is this bad?
    Since PEP 442 (Python 3.4) such objects are collected, but only when the cyclic garbage
    collector runs: not when the last reference goes, so `__del__` runs late, at an
    unpredictable point, and in no defined order with respect to the other objects of the
    cycle. Whatever `__del__` releases stays held until then.

    ## Fix safety
    There is no automatic fix: use `weakref.finalize` with a callback that does not reference
    `self`, or break the cycle with a weak reference.

    ## References
    - [object.__del__](https://docs.python.org/3/reference/datamodel.html#object.__del__)
    - [PEP 442: Safe object finalization](https://peps.python.org/pep-0442/)
    """

    code = "GCL201"
    needles = ("__del__",)
    name = "finalizer-in-reference-cycle"
    summary = "a class defining __del__ whose instances take part in a reference cycle"
    message = (
        "'{cls}.__del__' runs only when gc.collect() finds the reference cycle made by "
        "'{store}' (line {line}): late and in no defined order; use weakref.finalize with a "
        "callback that does not reference self"
    )
    references = (DEL_DOCS, "https://peps.python.org/pep-0442/")

    invalid = (
        Example(
            """
            class Connection:
                finalized = []

                def __init__(self, name):
                    self.name = name
                    self.on_data = self.handle

                def handle(self, data):
                    return data

                def __del__(self):
                    Connection.finalized.append(self.name)
            """,
            expect=((11, 5),),
            trigger="""
            conn = Connection("a")
            del conn
            finalized_at_del = bool(Connection.finalized)
            gc.collect()
            observed = not finalized_at_del and Connection.finalized == ["a"]
            """,
        ),
        Example(
            """
            class Child:
                def __init__(self, parent):
                    self.parent = parent


            class Parent:
                finalized = []

                def __init__(self):
                    self.child = Child(self)

                def __del__(self):
                    Parent.finalized.append(True)
            """,
            expect=((12, 5),),
            trigger="""
            parent = Parent()
            del parent
            finalized_at_del = bool(Parent.finalized)
            gc.collect()
            observed = not finalized_at_del and Parent.finalized == [True]
            """,
        ),
        Example(
            """
            class Connection:
                def __init__(self, sock):
                    self.sock = sock
                    self.on_data = self.handle

                def handle(self, data):
                    return data

                def __del__(self):
                    self.sock.close()
            """,
            expect=((9, 5),),
            trigger="""
            import socket

            sock, peer = socket.socketpair()
            conn = Connection(sock)
            del conn
            closed_at_del = sock.fileno() == -1
            gc.collect()
            observed = not closed_at_del and sock.fileno() == -1
            peer.close()
            """,
            doc=True,
        ),
    )
    valid = (
        Example(
            """
            import weakref


            class Connection:
                finalized = []

                def __init__(self, name):
                    self.name = name
                    self.on_data = weakref.WeakMethod(self.handle)

                def handle(self, data):
                    return data

                def __del__(self):
                    Connection.finalized.append(self.name)
            """,
            trigger="""
            conn = Connection("a")
            del conn
            finalized_at_del = bool(Connection.finalized)
            gc.collect()
            observed = not finalized_at_del and Connection.finalized == ["a"]
            """,
        ),
        Example(
            """
            class Connection:
                finalized = []

                def __init__(self, name):
                    self.name = name

                def handle(self, data):
                    return data

                def __del__(self):
                    Connection.finalized.append(self.name)
            """,
            trigger="""
            conn = Connection("a")
            del conn
            finalized_at_del = bool(Connection.finalized)
            gc.collect()
            observed = not finalized_at_del and Connection.finalized == ["a"]
            """,
        ),
        Example(
            """
            import weakref


            class Connection:
                def __init__(self, sock):
                    self.sock = sock
                    self.on_data = weakref.WeakMethod(self.handle)
                    weakref.finalize(self, sock.close)

                def handle(self, data):
                    return data
            """,
            trigger="""
            import socket

            sock, peer = socket.socketpair()
            conn = Connection(sock)
            del conn
            closed_at_del = sock.fileno() == -1
            gc.collect()
            observed = not closed_at_del and sock.fileno() == -1
            peer.close()
            """,
            doc=True,
        ),
    )
    truth = OBSERVED

    def visit_ClassDef(self, node: ast.ClassDef) -> None:
        finalizer = own_del(node)
        if finalizer is None:
            return
        stores = self.info(node).cycle_stores()
        if stores:
            first = stores[0]
            self.report(
                finalizer,
                cls=node.name,
                store=ast.unparse(first.node).splitlines()[0],
                line=getattr(first.node, "lineno", "?"),
            )
