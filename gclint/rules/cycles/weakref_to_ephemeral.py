"""GCL305 weakref-to-ephemeral."""

from __future__ import annotations

import ast
from typing import TYPE_CHECKING

from gclint.analysis.classes import enclosing_class, self_name
from gclint.diagnostics import FixSafety
from gclint.registry import Example, Rule, register

if TYPE_CHECKING:
    pass
from gclint.rules.cycles._shared import WEAKREF_DOCS, model
from gclint.rules.cycles._truth import OBSERVED_TRUTH


@register
class WeakrefToEphemeral(Rule):
    """
    ## What it does
    Finds `weakref.ref(...)`/`weakref.proxy(...)` of a bound method (`weakref.ref(self.on_change)`)
    or of a temporary (`weakref.ref(Handler())`, `weakref.ref(lambda: ...)`).

    ## Why is this bad?
    `self.on_change` creates a new bound-method object on every access; nothing else refers to
    it, so it dies as soon as `weakref.ref()` returns, and the weak reference is dead on arrival:
    the callback is silently never called. A temporary object dies the same way.

    ## Fix safety
    The fix for a bound method is safe: `weakref.ref(self.on_change)` becomes
    `weakref.WeakMethod(self.on_change)`, which keeps a weak reference to the instance and
    the function and rebuilds the bound method on each call (a callback argument is kept:
    `WeakMethod` takes the same one). The module's spelling is kept: `wr.WeakMethod` after
    `import weakref as wr`; after `from weakref import ref`, `WeakMethod` is used when it is
    already imported so, else added to that `from weakref import` line, else spelled
    `weakref.WeakMethod` with `import weakref` added. There is no safe fix for a
    `weakref.proxy(...)` of a bound method (`WeakMethod` is not a proxy) or for a weak
    reference to a temporary object: keep a strong reference to it.

    ## References
    - [weakref.WeakMethod](https://docs.python.org/3/library/weakref.html#weakref.WeakMethod)
    """

    code = "GCL305"
    needles = ("weakref",)
    name = "weakref-to-ephemeral"
    summary = "a weak reference to a bound method or a temporary, dead on arrival"
    message = "'{text}' is dead on arrival: {why}; {fix}"
    fix_safety = FixSafety.SAFE
    fix_title = "Use weakref.WeakMethod"
    references = (WEAKREF_DOCS + "#weakref.WeakMethod",)

    invalid = (
        Example(
            """
            import weakref


            class Widget:
                def __init__(self, subscribers):
                    subscribers.append(weakref.ref(self.on_change))

                def on_change(self, event):
                    return event
            """,
            expect=((6, 28),),
            trigger="""
            subscribers = []
            widget = Widget(subscribers)
            observed = subscribers[0]() is None
            """,
            fixed="""
            import weakref


            class Widget:
                def __init__(self, subscribers):
                    subscribers.append(weakref.WeakMethod(self.on_change))

                def on_change(self, event):
                    return event
            """,
        ),
        Example(
            """
            import weakref


            class Handler:
                pass


            def register():
                return weakref.ref(Handler())
            """,
            expect=((9, 12),),
            trigger="observed = register()() is None",
            no_fix="a weak reference to a temporary has no safe fix",
        ),
        Example(
            """
            import weakref


            class Widget:
                def __init__(self, bus):
                    bus.subscribe(weakref.ref(self.on_change))

                def on_change(self, event):
                    return event
            """,
            expect=((6, 23),),
            trigger="""
            class Bus:
                def __init__(self):
                    self.subscribers = []

                def subscribe(self, callback):
                    self.subscribers.append(callback)


            bus = Bus()
            widget = Widget(bus)
            observed = bus.subscribers[0]() is None
            """,
            fixed="""
            import weakref


            class Widget:
                def __init__(self, bus):
                    bus.subscribe(weakref.WeakMethod(self.on_change))

                def on_change(self, event):
                    return event
            """,
            doc=True,
        ),
    )
    valid = (
        Example(
            """
            import weakref


            class Widget:
                def __init__(self, subscribers):
                    subscribers.append(weakref.WeakMethod(self.on_change))

                def on_change(self, event):
                    return event
            """,
            trigger="""
            subscribers = []
            widget = Widget(subscribers)
            observed = subscribers[0]() is None
            """,
        ),
        Example(
            """
            import weakref


            class Handler:
                pass


            def register(handler):
                return weakref.ref(handler)
            """,
            trigger="""
            handler = Handler()
            observed = register(handler)() is None
            """,
        ),
        Example(
            """
            import weakref


            class Widget:
                def __init__(self, bus):
                    bus.subscribe(weakref.WeakMethod(self.on_change))

                def on_change(self, event):
                    return event
            """,
            trigger="""
            class Bus:
                def __init__(self):
                    self.subscribers = []

                def subscribe(self, callback):
                    self.subscribers.append(callback)


            bus = Bus()
            widget = Widget(bus)
            observed = bus.subscribers[0]() is None
            """,
            doc=True,
        ),
    )
    truth = OBSERVED_TRUTH

    def visit_Call(self, node: ast.Call) -> None:
        if not node.args or not self.ctx.may_name(node.func, frozenset({"ref", "proxy"})):
            return
        qual = self.ctx.call_qualname(node)
        if qual not in ("weakref.ref", "weakref.proxy"):
            return
        target = node.args[0]
        text = ast.unparse(node)
        if isinstance(target, ast.Attribute) and isinstance(target.value, ast.Name):
            cls = enclosing_class(self.ctx.ancestors)
            function = self.ctx.enclosing_function()
            if cls is None or function is None or target.value.id != self_name(function):
                return
            if model(self.ctx).info(cls).is_bound_method(target.attr):
                self.report(
                    node,
                    text=text,
                    why=f"'{ast.unparse(target)}' makes a new bound method that nothing keeps",
                    fix=f"use 'weakref.WeakMethod({ast.unparse(target)})'",
                )
            return
        if isinstance(target, ast.Lambda):
            self.report(node, text=text, why="nothing else refers to the lambda", fix="keep it")
            return
        if isinstance(target, ast.Call) and isinstance(target.func, ast.Name):
            definition = self.ctx.scopes.local_definition(target.func.id, self.ctx.scope_chain())
            if isinstance(definition, ast.ClassDef):
                self.report(
                    node,
                    text=text,
                    why=f"the new '{target.func.id}' object is referred to by nothing else",
                    fix="keep a strong reference to it",
                )
