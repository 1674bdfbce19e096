"""GCL404 gc-debug-saveall."""

from __future__ import annotations

import ast

from gclint.analysis.flow import walk_shallow
from gclint.registry import Example, Rule, Truth, register
from gclint.rules.gcmodule._shared import GC_DOCS, is_test_path

_SET_DEBUG = frozenset({"set_debug"})


@register
class GcDebugSaveall(Rule):
    """
    ## What it does
    Finds `gc.set_debug()` with `gc.DEBUG_SAVEALL` (or `gc.DEBUG_LEAK`, which includes it) outside
    test modules, unless the same function turns it off again with another `gc.set_debug()`.

    ## Why is this bad?
    With `DEBUG_SAVEALL` the collector does not free the unreachable objects it finds: it appends
    them all to `gc.garbage`, where they stay until the program removes them. It is a debugging
    aid; left on in a running program, every reference cycle ever collected is kept forever and
    memory only grows.

    Test modules (`test_*.py`, `*_test.py`, `conftest.py`, files under `tests/`) are not
    reported.

    ## Fix safety
    There is no automatic fix.

    ## References
    - [gc.DEBUG_SAVEALL](https://docs.python.org/3/library/gc.html#gc.DEBUG_SAVEALL)
    - [gc.garbage](https://docs.python.org/3/library/gc.html#gc.garbage)
    """

    code = "GCL404"
    needle_words = ("gc",)
    name = "gc-debug-saveall"
    summary = "gc.set_debug(gc.DEBUG_SAVEALL) keeps every collected object in gc.garbage"
    message = (
        "'{call}' makes the collector keep every unreachable object in gc.garbage forever "
        "instead of freeing it; use it only in tests or turn it off again"
    )
    references = (GC_DOCS + "#gc.DEBUG_SAVEALL",)
    SAVEALL = 32

    invalid = (
        Example(
            """
            import gc


            def enable_diagnostics():
                gc.set_debug(gc.DEBUG_SAVEALL)
            """,
            expect=((5, 5),),
            trigger="enable_diagnostics()",
            path="app/diagnostics.py",
            doc=True,
        ),
        Example(
            """
            import gc as collector

            collector.set_debug(collector.DEBUG_LEAK)
            """,
            expect=((3, 1),),
            path="service/main.py",
        ),
        Example(
            """
            from gc import DEBUG_SAVEALL, DEBUG_STATS, set_debug

            def configure(verbose):
                if verbose:
                    set_debug(DEBUG_STATS | DEBUG_SAVEALL)
            """,
            expect=((5, 9),),
            trigger="configure(True)",
        ),
    )
    valid = (
        Example(
            """
            import gc


            def enable_diagnostics():
                gc.set_debug(gc.DEBUG_UNCOLLECTABLE)
            """,
            trigger="enable_diagnostics()",
            doc=True,
        ),
        Example(
            """
            import gc

            def find_cycles():
                gc.set_debug(gc.DEBUG_SAVEALL)
                gc.collect()
                found = list(gc.garbage)
                gc.set_debug(0)
                gc.garbage.clear()
                return len(found)
            """,
            trigger="find_cycles()",
        ),
        Example(
            """
            import gc

            def test_no_cycles():
                gc.set_debug(gc.DEBUG_SAVEALL)
            """,
            path="tests/test_memory.py",
        ),
    )
    truth = Truth(
        probe="""
        import gc
        gc.set_debug(gc.get_debug() & ~gc.DEBUG_UNCOLLECTABLE)
        class _Cycle:
            pass
        _c = _Cycle()
        _c.me = _c
        del _c
        gc.collect()
        misbehaved = any(isinstance(o, _Cycle) for o in gc.garbage)
        gc.set_debug(0)
        gc.garbage.clear()
        """,
        describe="a collected reference cycle stays in gc.garbage instead of being freed",
    )

    def visit_Call(self, node: ast.Call) -> None:
        if not self.ctx.may_name(node.func, _SET_DEBUG) or is_test_path(self.ctx.path):
            return
        if self.ctx.call_qualname(node) != "gc.set_debug" or len(node.args) != 1:
            return
        if self._saveall(node.args[0]) is not True:
            return
        if self._turned_off_later(node):
            return
        self.report(node, call=ast.unparse(node))

    def _saveall(self, flags: ast.AST) -> bool | None:
        if isinstance(flags, ast.BinOp) and isinstance(flags.op, ast.BitOr):
            left, right = self._saveall(flags.left), self._saveall(flags.right)
            if left is True or right is True:
                return True
            return None if None in (left, right) else False
        if isinstance(flags, ast.Constant) and isinstance(flags.value, int):
            return bool(flags.value & self.SAVEALL)
        if isinstance(flags, (ast.Name, ast.Attribute)):
            qual = self.ctx.qualname(flags)
            if qual in ("gc.DEBUG_SAVEALL", "gc.DEBUG_LEAK"):
                return True
            if qual is not None and qual.startswith("gc.DEBUG_"):
                return False
        return None

    def _turned_off_later(self, node: ast.Call) -> bool:
        function = self.ctx.enclosing_function()
        body: list[ast.stmt] = function.body if function is not None else self.ctx.tree.body
        for other in walk_shallow(body):
            if (
                isinstance(other, ast.Call)
                and other is not node
                and other.lineno >= node.lineno
                and isinstance(other.func, (ast.Attribute, ast.Name))
                and self.ctx.call_qualname(other) == "gc.set_debug"
                and len(other.args) == 1
                and self._saveall(other.args[0]) is False
            ):
                return True
        return False
