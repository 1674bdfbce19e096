"""GCL106 lock-acquire-not-released-safely."""

from __future__ import annotations

import ast
from typing import TYPE_CHECKING

from gclint.analysis.acquisitions import ResourceFacts
from gclint.analysis.flow import (
    protected_by_try,
    same_expression,
    walk_shallow,
)
from gclint.analysis.walk import walk
from gclint.diagnostics import FixSafety
from gclint.registry import Example, Rule, register

if TYPE_CHECKING:
    from gclint.context import Context
from gclint.analysis.catalogue import LOCK_FACTORIES
from gclint.rules.resources._truth import leak_truth


@register
class LockAcquireNotReleasedSafely(Rule):
    """
    ## What it does
    Finds `lock.acquire()` on a `threading`, `multiprocessing` or `asyncio` lock, semaphore or
    condition whose `release()` is not in a `finally:` block covering the code after the
    acquire, or that is never released anywhere in the module.

    ## Why is this bad?
    If anything between `acquire()` and `release()` raises, the lock stays held: every other
    thread that needs it blocks forever, and the program deadlocks far from the error. An
    `acquire(blocking=False)` or `acquire(timeout=...)` may also return False without the lock;
    for those the message does not suggest `with lock:` (which would wait), but checking the
    result and releasing in `finally:` only when it was True.

    ## Fix safety
    `--fix` rewrites to `with lock:` (`async with lock:` for an awaited acquire) when
    `acquire()` has no arguments and `release()` ends the same block; it is skipped, with the
    reason, when `acquire()` has arguments (`blocking=False` and `timeout=` can fail, `with`
    cannot), when the lock is used in between, or when a `return`/`break`/`continue`/`yield` in
    between would leave it held (`with` would release it there).

    ## References
    - [Using locks, conditions, and semaphores in the with statement](https://docs.python.org/3/library/threading.html#using-locks-conditions-and-semaphores-in-the-with-statement)
    """

    code = "GCL106"
    needles = ("acquire",)
    name = "lock-acquire-not-released-safely"
    summary = "lock.acquire() whose release() is not in a finally block, or missing"
    message = "'{call}' is {how}: {why}; {advice}"
    fix_safety = FixSafety.SAFE
    fix_title = "Use 'with lock:'"
    references = (
        "https://docs.python.org/3/library/threading.html"
        "#using-locks-conditions-and-semaphores-in-the-with-statement",
    )

    invalid = (
        Example(
            """
            import threading

            _lock = threading.Lock()
            _counts = {}


            def record(key):
                _lock.acquire()
                _counts[key] = _counts.get(key, 0) + 1 / len(key)
                _lock.release()
            """,
            expect=((8, 5),),
            fixed="""
            import threading

            _lock = threading.Lock()
            _counts = {}


            def record(key):
                with _lock:
                    _counts[key] = _counts.get(key, 0) + 1 / len(key)
            """,
            trigger="""
            try:
                record("")
            except ZeroDivisionError:
                pass
            observed_leak = _lock.locked()
            """,
        ),
        Example(
            """
            import threading


            class Counter:
                def __init__(self):
                    self._lock = threading.Lock()
                    self.value = 0

                def add(self, amount):
                    self._lock.acquire()
                    self.value += int(amount)
                    self._lock.release()
            """,
            expect=((10, 9),),
            fixed="""
            import threading


            class Counter:
                def __init__(self):
                    self._lock = threading.Lock()
                    self.value = 0

                def add(self, amount):
                    with self._lock:
                        self.value += int(amount)
            """,
            trigger="""
            counter = Counter()
            try:
                counter.add("many")
            except ValueError:
                pass
            observed_leak = counter._lock.locked()
            """,
        ),
        Example(
            """
            import threading

            _lock = threading.Lock()
            _counts = {}


            def try_record(key):
                _lock.acquire(blocking=False)
                _counts[key] = _counts.get(key, 0) + 1 / len(key)
                _lock.release()
            """,
            expect=((8, 5),),
            no_fix="acquire(blocking=False) may fail; 'with _lock:' would wait instead",
            trigger="""
            try:
                try_record("")
            except ZeroDivisionError:
                pass
            observed_leak = _lock.locked()
            """,
            note="a non-blocking acquire: the message says to check its result",
        ),
        Example(
            """
            import threading

            _lock = threading.Lock()
            _counts = {}


            def record(key):
                _lock.acquire()
                _counts[key] = _counts.get(key, 0) + 1
                _lock.release()
            """,
            expect=((8, 5),),
            trigger="""
            try:
                record(["an", "unhashable", "key"])
            except TypeError:
                pass
            observed_leak = _lock.locked()
            """,
            fixed="""
            import threading

            _lock = threading.Lock()
            _counts = {}


            def record(key):
                with _lock:
                    _counts[key] = _counts.get(key, 0) + 1
            """,
            doc=True,
        ),
    )
    valid = (
        Example(
            """
            import threading

            _lock = threading.Lock()
            _counts = {}


            def record(key):
                _lock.acquire()
                try:
                    _counts[key] = _counts.get(key, 0) + 1 / len(key)
                finally:
                    _lock.release()
            """,
            trigger="""
            try:
                record("")
            except ZeroDivisionError:
                pass
            observed_leak = _lock.locked()
            """,
        ),
        Example(
            """
            import threading


            class Counter:
                def __init__(self):
                    self._lock = threading.Lock()
                    self.value = 0

                def add(self, amount):
                    with self._lock:
                        self.value += int(amount)
            """,
            trigger="""
            counter = Counter()
            try:
                counter.add("many")
            except ValueError:
                pass
            observed_leak = counter._lock.locked()
            """,
        ),
        Example(
            """
            import threading

            _lock = threading.Lock()
            _counts = {}


            def try_record(key):
                if not _lock.acquire(blocking=False):
                    return False
                try:
                    _counts[key] = _counts.get(key, 0) + 1 / len(key)
                finally:
                    _lock.release()
                return True
            """,
            trigger="""
            try:
                try_record("")
            except ZeroDivisionError:
                pass
            observed_leak = _lock.locked()
            """,
            note="the result of a non-blocking acquire checked, the release in 'finally:'",
        ),
        Example(
            """
            import threading

            _lock = threading.Lock()
            _counts = {}


            def record(key):
                with _lock:
                    _counts[key] = _counts.get(key, 0) + 1
            """,
            trigger="""
            try:
                record(["an", "unhashable", "key"])
            except TypeError:
                pass
            observed_leak = _lock.locked()
            """,
            doc=True,
        ),
    )
    truth = leak_truth()

    def __init__(self, ctx: Context) -> None:
        super().__init__(ctx)
        self._self_locks: dict[int, set[str]] = {}

    def visit_Call(self, node: ast.Call) -> None:
        func = node.func
        if not (isinstance(func, ast.Attribute) and func.attr == "acquire"):
            return
        parent = self.ctx.parent()
        statement = parent
        if isinstance(parent, ast.Await):
            statement = self.ctx.ancestors[-2] if len(self.ctx.ancestors) > 1 else None
        if not isinstance(statement, ast.Expr):
            return  # ``if lock.acquire(timeout=...):`` and other conditional acquires
        receiver = func.value
        if not self._is_lock(receiver):
            return
        function = self.ctx.enclosing_function()
        if function is not None and function.name in ("__enter__", "__aenter__", "acquire"):
            return
        body = function.body if function is not None else self.ctx.tree.body
        releases = [
            sub
            for sub in walk_shallow(body)
            if isinstance(sub, ast.Call)
            and isinstance(sub.func, ast.Attribute)
            and sub.func.attr == "release"
            and same_expression(sub.func.value, receiver)
        ]
        if self._handed_on(receiver, body):
            return  # passed to other code, which may release it (a signal between threads)
        if releases:
            ids = {id(r) for r in releases}
            if protected_by_try(self.ctx.ancestors, node, lambda n: id(n) in ids):
                return
            self._report(node, receiver, "released only on the normal path")
        elif not self._released_anywhere(receiver):
            self._report(node, receiver, "never released")

    def _report(self, node: ast.Call, lock: ast.expr, how: str) -> None:
        call = ast.unparse(node)
        if _may_fail(node):  # ``with lock:`` would wait: not what the code asked for
            why = "it may return False, and if a statement after it raises, the lock stays held"
            advice = (
                f"check its result ('if {call}:') and release in 'finally:' only when it "
                "returned True"
            )
        elif isinstance(self.ctx.parent(), ast.Await):
            why = "if a statement after it raises, the lock stays held and other tasks deadlock"
            advice = f"use 'async with {ast.unparse(lock)}:'"
        else:
            why = "if a statement after it raises, the lock stays held and other threads deadlock"
            advice = f"use 'with {ast.unparse(lock)}:'"
        self.report(node, call=call, how=how, why=why, advice=advice)

    @staticmethod
    def _handed_on(receiver: ast.AST, body: list[ast.stmt]) -> bool:
        for sub in walk_shallow(body):
            if isinstance(sub, ast.Call) and any(
                same_expression(arg, receiver)
                for arg in (*sub.args, *(k.value for k in sub.keywords))
            ):
                return True
        return False

    def _released_anywhere(self, receiver: ast.AST) -> bool:
        for sub in walk(self.ctx.tree):
            if (
                isinstance(sub, ast.Call)
                and isinstance(sub.func, ast.Attribute)
                and sub.func.attr == "release"
                and same_expression(sub.func.value, receiver)
            ):
                return True
        return False

    def _is_lock(self, receiver: ast.AST) -> bool:
        facts = self.ctx.shared(ResourceFacts)
        chain = self.ctx.scope_chain()
        if isinstance(receiver, ast.Name):
            for scope in reversed(chain):
                values = facts.assignments(scope).get(receiver.id)
                if values is not None:
                    return len(values) == 1 and self._lock_call(values[0], chain)
            return False
        if (
            isinstance(receiver, ast.Attribute)
            and isinstance(receiver.value, ast.Name)
            and receiver.value.id == "self"
        ):
            cls = next(
                (a for a in reversed(self.ctx.ancestors) if isinstance(a, ast.ClassDef)), None
            )
            return cls is not None and receiver.attr in self._locks_of(cls)
        return False

    def _lock_call(self, value: ast.AST, chain: list[ast.AST]) -> bool:
        return isinstance(value, ast.Call) and (
            self.ctx.scopes.qualname(value.func, chain) in LOCK_FACTORIES
        )

    def _locks_of(self, cls: ast.ClassDef) -> set[str]:
        found = self._self_locks.get(id(cls))
        if found is None:
            found = set()
            others: set[str] = set()
            chain = [self.ctx.tree, cls]
            for sub in walk(cls):
                if isinstance(sub, ast.Assign):
                    for target in sub.targets:
                        if (
                            isinstance(target, ast.Attribute)
                            and isinstance(target.value, ast.Name)
                            and target.value.id == "self"
                        ):
                            is_lock = isinstance(sub.value, ast.Call) and (
                                self.ctx.scopes.qualname(sub.value.func, chain) in LOCK_FACTORIES
                            )
                            (found if is_lock else others).add(target.attr)
            found -= others
            self._self_locks[id(cls)] = found
        return found


def _may_fail(acquire: ast.Call) -> bool:
    """``acquire(blocking=False)``, ``acquire(False)``, ``acquire(timeout=5)``: it may return
    False without the lock (``acquire(True)`` and ``timeout=-1`` wait as long as it takes)."""
    if any(isinstance(a, ast.Starred) for a in acquire.args) or any(
        k.arg is None for k in acquire.keywords
    ):
        return True
    keywords = {k.arg: k.value for k in acquire.keywords}
    blocking = acquire.args[0] if acquire.args else keywords.get("blocking")
    timeout = acquire.args[1] if len(acquire.args) > 1 else keywords.get("timeout")
    return (blocking is not None and _literal(blocking) not in (True, 1)) or (
        timeout is not None and _literal(timeout) not in (None, -1)
    )


def _literal(node: ast.expr) -> object:
    try:
        return ast.literal_eval(node)
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        return _literal  # not a literal: a value of its own
