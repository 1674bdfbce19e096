"""GCL401 gc-disabled-without-restore."""

from __future__ import annotations

import ast
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, NamedTuple

from gclint.analysis.flow import in_cleanup_block, protected_by_try
from gclint.diagnostics import FixSafety
from gclint.registry import Example, Rule, Truth, register

if TYPE_CHECKING:
    from gclint.context import Context
from gclint.rules.gcmodule._shared import GC_DOCS


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
            expect=((5, 5),),
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
            doc=True,
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
            doc=True,
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
