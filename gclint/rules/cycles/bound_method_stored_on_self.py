"""GCL303 bound-method-stored-on-self."""

from __future__ import annotations

import ast
from typing import TYPE_CHECKING

from gclint.analysis.classes import Kind
from gclint.registry import Example, Rule, register

if TYPE_CHECKING:
    pass
from gclint.rules.cycles._shared import WEAKREF_DOCS, model
from gclint.rules.cycles._truth import CYCLE_TRUTH


@register
class BoundMethodStoredOnSelf(Rule):
    """
    ## What it does
    Finds a bound method of `self`, a lambda or nested function that uses `self`, or a
    `functools.partial` of either, stored on `self` (`self.cb = self.method`) or registered into
    a container held by `self` (`self.handlers.append(self.on_event)`,
    `self.routes[path] = self.handle`).

    ## Why is this bad?
    A bound method holds its instance, so storing it on the instance makes a reference cycle:
    the object is freed only when the cyclic garbage collector runs, and with it every resource
    it holds waits too.

    ## Use instead
    or keep a `weakref.WeakMethod(self.health)`.

    ## Fix safety
    There is no automatic fix.

    ## References
    - [weakref.WeakMethod](https://docs.python.org/3/library/weakref.html#weakref.WeakMethod)
    """

    code = "GCL303"
    needles = ("class",)
    name = "bound-method-stored-on-self"
    summary = "a bound method, closure or partial of self is stored on self"
    message = (
        "'{text}' stores {what} on the object it belongs to: a reference cycle that only "
        "gc.collect() frees; store a weakref.WeakMethod or call the method when needed"
    )
    references = (WEAKREF_DOCS + "#weakref.WeakMethod",)

    invalid = (
        Example(
            """
            class App:
                def __init__(self):
                    self.routes = {}
                    self.routes["/health"] = self.health

                def health(self):
                    return "ok"
            """,
            expect=((4, 9),),
            trigger="ref = weakref.ref(App())",
            note="a web framework app whose registry stores its own bound method",
            doc=True,
        ),
        Example(
            """
            class Connection:
                def __init__(self, transport):
                    self.transport = transport
                    self.on_data = self.handle_data
                    self.on_close = lambda: self.transport.clear()

                def handle_data(self, data):
                    self.transport.append(data)
            """,
            expect=((4, 9), (5, 9)),
            trigger="ref = weakref.ref(Connection([]))",
            note="a connection whose callbacks are bound methods stored on it",
        ),
        Example(
            """
            import functools


            class Poller:
                def __init__(self):
                    self.callbacks = []
                    self.callbacks.append(functools.partial(self.poll, timeout=1))

                def poll(self, timeout):
                    return timeout
            """,
            expect=((7, 9),),
            trigger="ref = weakref.ref(Poller())",
        ),
    )
    valid = (
        Example(
            """
            import weakref


            class Connection:
                def __init__(self, transport):
                    self.transport = transport
                    self.on_data = weakref.WeakMethod(self.handle_data)

                def handle_data(self, data):
                    self.transport.append(data)
            """,
            trigger="ref = weakref.ref(Connection([]))",
        ),
        Example(
            """
            class App:
                def __init__(self):
                    self.handler = self.make_handler
                    self.routes = {"/health": "health"}

                @staticmethod
                def make_handler():
                    return "handler"

                def dispatch(self, path):
                    return getattr(self, self.routes[path])()
            """,
            trigger="ref = weakref.ref(App())",
            note="a staticmethod looked up on self is a plain function",
        ),
        Example(
            """
            class App:
                def __init__(self):
                    self.routes = {"/health": "health"}

                def dispatch(self, path):
                    return getattr(self, self.routes[path])()

                def health(self):
                    return "ok"
            """,
            trigger="ref = weakref.ref(App())",
            doc=True,
        ),
    )
    truth = CYCLE_TRUTH

    def visit_ClassDef(self, node: ast.ClassDef) -> None:
        info = model(self.ctx).info(node)
        for store in info.cycle_stores():
            if store.kind is Kind.BOUND:
                self.report(store.node, text=ast.unparse(store.node), what=f"'{store.detail}'")
