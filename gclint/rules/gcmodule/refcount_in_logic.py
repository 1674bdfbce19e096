"""GCL403 refcount-in-logic: sys.getrefcount() decides a comparison, condition or assertion."""

from __future__ import annotations

import ast
from typing import TYPE_CHECKING

from gclint.analysis.flow import FUNCTION_TYPES, walk_shallow
from gclint.analysis.walk import walk
from gclint.registry import Example, Rule, Truth, register

if TYPE_CHECKING:
    from gclint.context import Context


_GETREFCOUNT = frozenset({"getrefcount"})


@register
class RefcountInLogic(Rule):
    """
    ## What it does
    Finds `sys.getrefcount()` whose value decides something: compared (`==`, `<`, `!=` ...),
    used as a condition, or checked in an assertion, directly or through a local variable that
    holds it.

    ## Why is this bad?
    A reference count is an implementation detail of CPython, and its value changes between
    versions: since Python 3.11 a call's arguments no longer hold an extra reference on the
    caller's stack, since 3.12 `None`, small integers and interned strings are immortal (their
    count is a huge constant that never moves), and 3.14 borrows references on the stack. Code
    that compares counts, such as a "did this call leak a reference?" check or a "nobody else
    holds this object, so I may mutate it" test, gives different answers on different Pythons,
    and none on PyPy, which has no reference counts.

    ## Use instead
    In tests, hold a `weakref.ref` to the object, drop your references, and assert that the
    weak reference is dead.

    ## Fix safety
    There is no automatic fix.

    ## References
    - [sys.getrefcount](https://docs.python.org/3/library/sys.html#sys.getrefcount)
    - [PEP 683 - Immortal Objects](https://peps.python.org/pep-0683/)
    """

    code = "GCL403"
    needles = ("getrefcount",)
    name = "refcount-in-logic"
    summary = "sys.getrefcount() decides a comparison, condition or assertion"
    message = (
        "'sys.getrefcount()' used in {where}: reference counts differ between Python versions "
        "(immortal objects since 3.12) and implementations; use weakref or gc.get_referrers"
    )
    references = ("https://docs.python.org/3/library/sys.html#sys.getrefcount",)

    invalid = (
        Example(
            """
            import sys


            def leaks_reference(func, arg):
                before = sys.getrefcount(arg)
                func(arg)
                return sys.getrefcount(arg) != before
            """,
            expect=((7, 12),),
            trigger="""
            kept = []
            observed = leaks_reference(kept.append, 7)
            """,
            doc=True,
        ),
        Example(
            """
            from sys import getrefcount

            def is_last_reference(obj):
                # one reference for our parameter, one for getrefcount's own argument
                if getrefcount(obj) == 2:
                    return True
                return False
            """,
            expect=((5, 8),),
            trigger="observed = is_last_reference([1, 2, 3])",
        ),
        Example(
            """
            import sys

            def check_no_leak(func, arg):
                count = sys.getrefcount(arg)
                func(arg)
                assert sys.getrefcount(arg) == count, "func kept a reference"
            """,
            expect=((6, 12),),
            trigger="""
            kept = []
            try:
                check_no_leak(kept.append, "ok")
                observed = "no leak seen"
            except AssertionError:
                observed = "leak seen"
            """,
        ),
    )
    valid = (
        Example(
            """
            import weakref

            def is_released(ref):
                return ref() is None
            """,
            trigger="""
            class Node:
                pass

            n = Node()
            r = weakref.ref(n)
            del n
            observed = is_released(r)
            """,
        ),
        Example(
            """
            import sys

            def describe(obj):
                print("refcount (informational):", sys.getrefcount(obj))
                return type(obj).__name__
            """,
            trigger="observed = describe([1, 2])",
        ),
        Example(
            """
            import gc
            import weakref


            def keeps_reference(func, arg):
                func(arg)
                return any(r is not None for r in gc.get_referrers(arg))
            """,
            trigger="""
            kept = []
            observed = keeps_reference(kept.append, 7)
            """,
            doc=True,
        ),
    )
    truth = Truth(
        probe="misbehaved = False\n",
        describe="the same example gives different answers on different Python versions",
        across_pythons=True,
    )

    def __init__(self, ctx: Context) -> None:
        super().__init__(ctx)
        self._derived: dict[int, set[str]] = {}

    def _is_getrefcount(self, node: ast.AST) -> bool:
        return (
            isinstance(node, ast.Call)
            and self.ctx.may_name(node.func, _GETREFCOUNT)
            and self.ctx.call_qualname(node) == "sys.getrefcount"
        )

    def _derived_names(self) -> set[str]:
        """Local names assigned (only) from expressions holding a getrefcount call."""
        function = self.ctx.enclosing_function()
        scope: ast.AST = function if function is not None else self.ctx.tree
        key = id(scope)
        found = self._derived.get(key)
        if found is None:
            found = set()
            others: set[str] = set()
            body = scope.body if isinstance(scope, (*FUNCTION_TYPES, ast.Module)) else []
            for node in walk_shallow(body):
                if isinstance(node, ast.Assign):
                    names = {t.id for t in node.targets if isinstance(t, ast.Name)}
                    has_rc = any(self._is_getrefcount(n) for n in walk(node.value))
                    (found if has_rc else others).update(names)
            found -= others
            self._derived[key] = found
        return found

    def _refcount_call_in(self, expr: ast.AST) -> ast.Call | None:
        """The getrefcount call `expr` depends on (directly or through a derived name)."""
        direct = [n for n in walk(expr) if isinstance(n, ast.Call) and self._is_getrefcount(n)]
        if direct:
            return min(direct, key=lambda n: (n.lineno, n.col_offset))
        names = {n.id for n in walk(expr) if isinstance(n, ast.Name)}
        if names & self._derived_names():
            return self._origin_call(names & self._derived_names())
        return None

    def _origin_call(self, names: set[str]) -> ast.Call | None:
        function = self.ctx.enclosing_function()
        scope: ast.AST = function if function is not None else self.ctx.tree
        body = scope.body if isinstance(scope, (*FUNCTION_TYPES, ast.Module)) else []
        for node in walk_shallow(body):
            if isinstance(node, ast.Assign) and any(
                isinstance(t, ast.Name) and t.id in names for t in node.targets
            ):
                for sub in walk(node.value):
                    if self._is_getrefcount(sub):
                        assert isinstance(sub, ast.Call)
                        return sub
        return None

    def _check(self, expr: ast.AST, anchor: ast.AST, where: str) -> None:
        call = self._refcount_call_in(expr)
        if call is None:
            return
        report_at = call if any(n is call for n in walk(expr)) else anchor
        self.report(report_at, where=where)

    def visit_Compare(self, node: ast.Compare) -> None:
        parent = self.ctx.parent()
        if (
            isinstance(parent, (ast.If, ast.While, ast.Assert, ast.IfExp))
            and getattr(parent, "test", None) is node
        ):
            return  # reported once, as the condition
        self._check(node, node, "a comparison")

    def visit_If(self, node: ast.If) -> None:
        self._check(node.test, node.test, "a condition")

    def visit_While(self, node: ast.While) -> None:
        self._check(node.test, node.test, "a condition")

    def visit_IfExp(self, node: ast.IfExp) -> None:
        self._check(node.test, node.test, "a condition")

    def visit_Assert(self, node: ast.Assert) -> None:
        self._check(node.test, node.test, "an assertion")

    def visit_Call(self, node: ast.Call) -> None:
        func = node.func
        if not (isinstance(func, ast.Attribute) and func.attr.startswith("assert")):
            return
        if not (isinstance(func.value, ast.Name) and func.value.id == "self"):
            return
        for arg in node.args[:2]:
            if self._refcount_call_in(arg) is not None:
                self._check(arg, node, "an assertion")
                return
