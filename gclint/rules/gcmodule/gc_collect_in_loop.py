"""GCL402 gc-collect-in-loop: gc.collect() runs a full collection on every iteration of a loop."""

from __future__ import annotations

import ast

from gclint.analysis.flow import enclosing_loop, walk_shallow
from gclint.analysis.walk import walk
from gclint.registry import Example, Rule, Truth, register
from gclint.rules.gcmodule._shared import GC_DOCS, is_test_path

_COLLECT = frozenset({"collect"})


@register
class GcCollectInLoop(Rule):
    """
    ## What it does
    Finds `gc.collect()` called on every iteration of a loop (`for`, `while`, or a
    comprehension).

    ## Why is this bad?
    `gc.collect()` with no argument is a full collection: it traverses every container object
    the interpreter tracks, so its cost grows with the whole heap, not with the garbage. Called
    once per item it turns a linear loop into one whose cost is items times heap size, and it does
    not free anything reference counting would not have freed anyway unless there are cycles.
    Collect once after the loop, or leave it to the collector's automatic thresholds.

    Loops that collect on purpose are not reported: `while gc.collect(): pass`, a
    `for _ in range(N)` with a small constant `N` (the idiom that lets chains of finalizers run),
    a collection guarded by `if count % N == 0:` (amortised), a loop that sleeps or waits on each
    iteration (a periodic collector thread), and test modules (leak and stress tests collect per
    iteration deliberately).

    ## Fix safety
    There is no automatic fix: where the collection belongs depends on the program.

    ## References
    - [gc.collect](https://docs.python.org/3/library/gc.html#gc.collect)
    """

    code = "GCL402"
    needle_words = ("gc",)
    name = "gc-collect-in-loop"
    summary = "gc.collect() runs a full collection on every iteration of a loop"
    message = (
        "'gc.collect()' inside a loop runs a full collection of the whole heap on every "
        "iteration; collect once after the loop, or let the collector's thresholds decide"
    )
    references = (GC_DOCS + "#gc.collect",)
    SMALL_RANGE = 10

    invalid = (
        Example(
            """
            import gc


            def process_batches(batches):
                results = []
                for batch in batches:
                    results.append(sum(batch))
                    gc.collect()
                return results
            """,
            expect=((8, 9),),
            trigger="run = lambda n: process_batches([[1, 2]] * n)",
            doc=True,
        ),
        Example(
            """
            from gc import collect

            def handle_all(requests):
                return [collect() or request.upper() for request in requests]
            """,
            expect=((4, 13),),
            trigger='run = lambda n: handle_all(["get"] * n)',
        ),
        Example(
            """
            import gc

            def drain(queue):
                while queue:
                    queue.pop()
                    gc.collect(2)
            """,
            expect=((6, 9),),
            trigger="run = lambda n: drain(list(range(n)))",
        ),
    )
    valid = (
        Example(
            """
            import gc


            def process_batches(batches):
                results = [sum(batch) for batch in batches]
                gc.collect()
                return results
            """,
            trigger="run = lambda n: process_batches([[1, 2]] * n)",
            doc=True,
        ),
        Example(
            """
            import gc

            def settle(items):
                for _ in range(3):
                    gc.collect()
                return len(items)
            """,
            trigger="run = lambda n: settle([0] * n)",
        ),
        Example(
            """
            import gc

            def collect_everything(items):
                while gc.collect():
                    pass
                return len(items)
            """,
            trigger="run = lambda n: collect_everything([0] * n)",
        ),
        Example(
            """
            import gc

            def process(items):
                for item in items:
                    item.sort()
                else:
                    gc.collect()
            """,
            trigger="run = lambda n: process([[2, 1]] * n)",
        ),
        Example(
            """
            import gc

            def process(items):
                for count, item in enumerate(items, 1):
                    item.sort()
                    if count % 1000 == 0:
                        gc.collect()
            """,
            trigger="run = lambda n: process([[2, 1]] * n)",
            note="one collection per thousand items is a deliberate, amortised cost",
        ),
        Example(
            """
            import gc
            import time

            def collector(stop, period):
                while not stop():
                    time.sleep(period)
                    gc.collect()
            """,
            trigger="run = lambda n: collector(iter([False, True]).__next__, 0)",
            note="a periodic collector thread collects per tick, not per item",
        ),
    )
    truth = Truth(
        probe="""
        import gc
        gc.disable()
        _full = [0]
        def _count(phase, info):
            if phase == "start" and info["generation"] == 2:
                _full[0] += 1
        gc.callbacks.append(_count)
        _counts = []
        for _n in (10, 20):
            _full[0] = 0
            run(_n)
            _counts.append(_full[0])
        gc.callbacks.remove(_count)
        misbehaved = _counts[1] > _counts[0]
        """,
        describe="the number of full collections grows with the number of items processed",
    )

    def _amortised(self, loop: ast.AST, node: ast.Call) -> bool:
        """Guarded by ``if count % N == 0:``: one collection every N items, not every item."""
        for ancestor in reversed(self.ctx.ancestors):
            if ancestor is loop:
                return False
            if isinstance(ancestor, ast.If) and any(
                isinstance(n, ast.BinOp) and isinstance(n.op, ast.Mod) for n in walk(ancestor.test)
            ):
                return True
        return False

    def visit_Call(self, node: ast.Call) -> None:
        if not self.ctx.may_name(node.func, _COLLECT):
            return
        if self.ctx.call_qualname(node) != "gc.collect":
            return
        if _generation(node) != 2:
            return  # young-generation collections are cheap; an unknown generation: unsure
        if is_test_path(self.ctx.path):
            return  # tests collect per iteration on purpose (leak and stress tests)
        loop = enclosing_loop(self.ctx.ancestors, node)
        if loop is None or self._deliberate(loop, node):
            return
        self.report(node)

    def _deliberate(self, loop: ast.AST, node: ast.Call) -> bool:
        """Loops that collect on purpose: until nothing is freed, a few times, periodically."""
        if self._amortised(loop, node) or _sleeps(loop):
            return True
        if isinstance(loop, ast.While):
            return any(n is node for n in walk(loop.test))
        if isinstance(loop, (ast.For, ast.AsyncFor)):
            it = loop.iter
            if (
                isinstance(it, ast.Call)
                and isinstance(it.func, ast.Name)
                and it.func.id == "range"
                and len(it.args) == 1
                and isinstance(it.args[0], ast.Constant)
                and isinstance(it.args[0].value, int)
                and it.args[0].value <= self.SMALL_RANGE
            ):
                return True
        return False


_WAITS = frozenset({"sleep", "wait", "join", "select", "poll"})


def _sleeps(loop: ast.AST) -> bool:
    """The loop waits on each iteration (a periodic collector thread), e.g. ``time.sleep()``."""
    for sub in walk_shallow([loop]):
        if isinstance(sub, ast.Call):
            func = sub.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            if name in _WAITS:
                return True
    return False


def _generation(call: ast.Call) -> int | None:
    arg: ast.AST | None = call.args[0] if call.args else None
    for kw in call.keywords:
        if kw.arg == "generation":
            arg = kw.value
    if arg is None:
        return 2
    if isinstance(arg, ast.Constant) and isinstance(arg.value, int):
        return arg.value
    return None
