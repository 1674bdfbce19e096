"""GCL4xx: the `gc` module and reference counts."""

from __future__ import annotations

import ast
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, NamedTuple

from gclint.analysis.flow import (
    FUNCTION_TYPES,
    enclosing_loop,
    in_cleanup_block,
    protected_by_try,
    walk_shallow,
)
from gclint.analysis.walk import walk
from gclint.diagnostics import FixSafety
from gclint.registry import Example, Rule, Truth, register

if TYPE_CHECKING:
    from gclint.context import Context

GC_DOCS = "https://docs.python.org/3/library/gc.html"
TEST_DIR_NAMES = frozenset({"test", "tests", "testing"})


def is_test_path(path: str) -> bool:
    """Test modules by the conventions of pytest and unittest discovery."""
    parts = path.replace("\\", "/").split("/")
    name = parts[-1]
    return (
        name.startswith("test_")
        or name.endswith("_test.py")
        or name == "conftest.py"
        or any(part in TEST_DIR_NAMES for part in parts[:-1])
    )


class _GcCall(NamedTuple):
    node: ast.Call
    path: list[ast.AST]


class _FunctionCalls(Rule):
    """Collects calls to some `gc` functions per enclosing function, judged on leaving it."""

    watched: frozenset[str] = frozenset()
    watched_parts: frozenset[str] = frozenset()

    def __init__(self, ctx: Context) -> None:
        super().__init__(ctx)
        self.calls: dict[int, list[tuple[str, _GcCall]]] = {}

    def visit_Call(self, node: ast.Call) -> None:
        if not self.ctx.may_name(node.func, self.watched_parts):
            return
        qual = self.ctx.call_qualname(node)
        if qual not in self.watched:
            return
        owner = self.ctx.enclosing_function()
        if owner is None:
            return
        self.calls.setdefault(id(owner), []).append((qual, _GcCall(node, list(self.ctx.ancestors))))

    def leave_FunctionDef(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        calls = self.calls.pop(id(node), None)
        if calls:
            self.judge(node, calls)

    leave_AsyncFunctionDef = leave_FunctionDef

    def judge(
        self, function: ast.FunctionDef | ast.AsyncFunctionDef, calls: list[tuple[str, _GcCall]]
    ) -> None:
        raise NotImplementedError


_COLLECT = frozenset({"collect"})
_GETREFCOUNT = frozenset({"getrefcount"})
_SET_DEBUG = frozenset({"set_debug"})


def _one_of(nodes: Iterable[ast.AST]) -> Callable[[ast.AST], bool]:
    ids = {id(n) for n in nodes}
    return lambda node: id(node) in ids


def _after(node: ast.AST, other: ast.AST) -> bool:
    return (getattr(node, "lineno", 0), getattr(node, "col_offset", 0)) > (
        getattr(other, "lineno", 0),
        getattr(other, "col_offset", 0),
    )


def _is_zero(node: ast.AST) -> bool:
    return isinstance(node, ast.Constant) and node.value == 0 and not isinstance(node.value, bool)


@register
class GcDisabledWithoutRestore(_FunctionCalls):
    """
    ## What it does
    Finds `gc.disable()` (or `gc.set_threshold(0)`) in a function that turns the collector back
    on with `gc.enable()` only on the normal path, not in a `finally:` block (or a catch-all
    `except` handler) that covers every statement after the disable.

    ## Why is this bad?
    The garbage collector's state is global to the process. If any statement between the disable
    and the enable raises, the function exits with automatic collection switched off, and from
    then on every reference cycle the program creates is kept until someone calls `gc.collect()`
    by hand: memory grows without bound, far from the code that caused it. A `@contextmanager`
    that disables the collector before `yield` has the same problem when the `with` body raises.

    A function that disables the collector and never re-enables it afterwards is taken as
    deliberate process-wide configuration (as some servers do at start-up) and is not reported,
    nor is a `gc.disable()` inside `finally:` or `except:` (it restores an earlier state).

    ## Example
    ```python
    import gc


    def build_index(rows):
        gc.disable()
        index = {row["id"]: row for row in rows}
        gc.enable()
        return index
    ```

    ## Use instead
    ```python
    import gc


    def build_index(rows):
        was_enabled = gc.isenabled()
        gc.disable()
        try:
            return {row["id"]: row for row in rows}
        finally:
            if was_enabled:
                gc.enable()
    ```

    ## Fix safety
    The fix is safe: the statements between the disable and the restore go into `try:`, and
    the function's own restore statement moves into `finally:` (a `try`/`except` standing
    alone in between gets that `finally:` itself). No new `gc.enable()` is invented: the
    restore the code already runs on its normal path now also runs when a statement raises,
    so `_gc.set_threshold(*old)` restores the saved thresholds and
    `if was_enabled: gc.enable()` keeps its guard (a caller that had the collector off keeps
    it off). The fix is skipped when the restore is not a later statement of the disable's own
    block (a call of its own, or an `if <name>:` holding only restores), when the code in
    between turns the collector on or off itself, can leave by `return`, `break` or `continue`
    (that path left the collector off, and `finally:` would change it), or assigns a name the
    restore reads.

    ## References
    - [gc.disable](https://docs.python.org/3/library/gc.html#gc.disable)
    - [The try statement](https://docs.python.org/3/reference/compound_stmts.html#the-try-statement)
    """

    code = "GCL401"
    needle_words = ("gc",)
    name = "gc-disabled-without-restore"
    summary = "gc.disable() is undone only on the normal path, not in a finally block"
    message = (
        "'{call}' is undone by '{restore}' at line {restore_line} only on the normal path: "
        "if a statement in between raises, the garbage collector stays disabled; "
        "restore it in 'finally:'"
    )
    fix_safety = FixSafety.SAFE
    fix_title = "Wrap the code after the disable in try/finally"
    references = (GC_DOCS + "#gc.disable",)
    watched = frozenset({"gc.disable", "gc.enable", "gc.set_threshold"})
    watched_parts = frozenset({"disable", "enable", "set_threshold"})

    invalid = (
        Example(
            """
            import gc

            def build_index(rows):
                gc.disable()
                index = {row["id"]: row for row in rows}
                gc.enable()
                return index
            """,
            expect=((4, 5),),
            trigger="""
            try:
                build_index([{"name": "a row without an id"}])
            except KeyError:
                pass
            """,
            fixed="""
            import gc

            def build_index(rows):
                gc.disable()
                try:
                    index = {row["id"]: row for row in rows}
                finally:
                    gc.enable()
                return index
            """,
        ),
        Example(
            """
            import contextlib
            import gc

            @contextlib.contextmanager
            def collector_paused():
                gc.disable()
                yield
                gc.enable()
            """,
            expect=((6, 5),),
            trigger="""
            try:
                with collector_paused():
                    raise ValueError("the with body failed")
            except ValueError:
                pass
            """,
            fixed="""
            import contextlib
            import gc

            @contextlib.contextmanager
            def collector_paused():
                gc.disable()
                try:
                    yield
                finally:
                    gc.enable()
            """,
        ),
        Example(
            """
            from gc import disable as pause_gc, enable as resume_gc

            def load(path, parse):
                pause_gc()
                try:
                    data = parse(path)
                except ValueError:
                    data = None
                resume_gc()
                return data
            """,
            expect=((4, 5),),
            trigger="""
            def parse(path):
                raise OSError(path)

            try:
                load("missing.json", parse)
            except OSError:
                pass
            """,
            note="an `except` that does not catch everything does not cover every path",
            fixed="""
            from gc import disable as pause_gc, enable as resume_gc

            def load(path, parse):
                pause_gc()
                try:
                    data = parse(path)
                except ValueError:
                    data = None
                finally:
                    resume_gc()
                return data
            """,
        ),
        Example(
            """
            import gc as _gc

            def bulk_insert(table, rows):
                old = _gc.get_threshold()
                _gc.set_threshold(0)
                for row in rows:
                    table.append(tuple(row))
                _gc.set_threshold(*old)
            """,
            expect=((5, 5),),
            trigger="""
            try:
                bulk_insert([], [(1, 2), None])
            except TypeError:
                pass
            """,
            fixed="""
            import gc as _gc

            def bulk_insert(table, rows):
                old = _gc.get_threshold()
                _gc.set_threshold(0)
                try:
                    for row in rows:
                        table.append(tuple(row))
                finally:
                    _gc.set_threshold(*old)
            """,
        ),
    )
    valid = (
        Example(
            """
            import gc

            def build_index(rows):
                was_enabled = gc.isenabled()
                gc.disable()
                try:
                    return {row["id"]: row for row in rows}
                finally:
                    if was_enabled:
                        gc.enable()
            """,
            trigger="""
            try:
                build_index([{"name": "a row without an id"}])
            except KeyError:
                pass
            """,
        ),
        Example(
            """
            import gc
            import os

            def fork_child():
                enabled = gc.isenabled()
                gc.disable()
                try:
                    pid = os.getpid() // 0
                except BaseException:
                    if enabled:
                        gc.enable()
                    raise
                else:
                    gc.enable()
                    return pid
            """,
            trigger="""
            try:
                fork_child()
            except ZeroDivisionError:
                pass
            """,
        ),
        Example(
            """
            import gc

            def with_collector(work):
                was_enabled = gc.isenabled()
                gc.enable()
                try:
                    return work()
                finally:
                    if not was_enabled:
                        gc.disable()
            """,
            trigger="""
            def work():
                raise RuntimeError("work failed")

            try:
                with_collector(work)
            except RuntimeError:
                pass
            """,
            note="a disable in `finally:` restores the caller's state; it is not a new disable",
        ),
        Example(
            """
            import contextlib
            import gc

            @contextlib.contextmanager
            def collector_paused():
                gc.disable()
                try:
                    yield
                finally:
                    gc.enable()
            """,
            trigger="""
            try:
                with collector_paused():
                    raise ValueError("the with body failed")
            except ValueError:
                pass
            """,
        ),
    )
    truth = Truth(
        setup="import gc\ngc.enable()\n",
        probe="import gc\nmisbehaved = not gc.isenabled() or gc.get_threshold()[0] == 0\n",
        describe="after the example ran into an exception, automatic garbage collection is off",
    )

    @staticmethod
    def _kind(qual: str, call: ast.Call) -> str:
        """'disable', 'pause' (threshold 0), 'enable' or 'thresholds' (a non-zero threshold)."""
        if qual == "gc.disable":
            return "disable"
        if qual == "gc.enable":
            return "enable"
        return "pause" if call.args and _is_zero(call.args[0]) else "thresholds"

    def judge(
        self, function: ast.FunctionDef | ast.AsyncFunctionDef, calls: list[tuple[str, _GcCall]]
    ) -> None:
        undoes = {"disable": "enable", "pause": "thresholds"}
        for qual, disable in calls:
            kind = self._kind(qual, disable.node)
            if kind not in undoes or in_cleanup_block(disable.path, disable.node):
                continue  # a disable inside finally/except restores an earlier state
            restores = [c for q, c in calls if self._kind(q, c.node) == undoes[kind]]
            later = [r for r in restores if _after(r.node, disable.node)]
            if not later:
                continue  # never re-enabled here: deliberate, or paired elsewhere
            if protected_by_try(disable.path, disable.node, _one_of(r.node for r in restores)):
                continue
            restore = later[0]
            self.report(
                disable.node,
                call=ast.unparse(disable.node),
                restore=ast.unparse(restore.node),
                restore_line=restore.node.lineno,
            )


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

    ## Example
    ```python
    import gc


    def process_batches(batches):
        results = []
        for batch in batches:
            results.append(sum(batch))
            gc.collect()
        return results
    ```

    ## Use instead
    ```python
    import gc


    def process_batches(batches):
        results = [sum(batch) for batch in batches]
        gc.collect()
        return results
    ```

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
            expect=((7, 9),),
            trigger="run = lambda n: process_batches([[1, 2]] * n)",
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

    ## Example
    ```python
    import sys


    def leaks_reference(func, arg):
        before = sys.getrefcount(arg)
        func(arg)
        return sys.getrefcount(arg) != before
    ```

    ## Use instead
    ```python
    import gc
    import weakref


    def keeps_reference(func, arg):
        func(arg)
        return any(r is not None for r in gc.get_referrers(arg))
    ```
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
            expect=((6, 12),),
            trigger="""
            kept = []
            observed = leaks_reference(kept.append, 7)
            """,
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

    ## Example
    ```python
    import gc


    def enable_diagnostics():
        gc.set_debug(gc.DEBUG_SAVEALL)
    ```

    ## Use instead
    ```python
    import gc


    def enable_diagnostics():
        gc.set_debug(gc.DEBUG_UNCOLLECTABLE)
    ```

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
            expect=((4, 5),),
            trigger="enable_diagnostics()",
            path="app/diagnostics.py",
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
