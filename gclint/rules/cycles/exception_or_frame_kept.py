"""GCL304 exception-or-frame-kept."""

from __future__ import annotations

import ast
from typing import TYPE_CHECKING, ClassVar

from gclint.analysis.classes import enclosing_class
from gclint.analysis.flow import walk_shallow, walk_shallow_of
from gclint.analysis.walk import walk
from gclint.diagnostics import FixSafety
from gclint.registry import Example, Rule, register

if TYPE_CHECKING:
    pass
from gclint.rules.cycles._shared import first_attr, model, refers_to
from gclint.rules.cycles._truth import CYCLE_TRUTH


@register
class ExceptionOrFrameKept(Rule):
    """
    ## What it does
    Finds an exception stored beyond its `except` block (`self.err = e`, `errors.append(e)`,
    `self.failures[key] = e`), and a traceback or the current frame bound to a local name
    (`tb = sys.exc_info()[2]`, `info = sys.exc_info()`, `tb = e.__traceback__`,
    `frame = sys._getframe()`, `inspect.currentframe()`) that is not deleted in a `finally:`.

    ## Why is this bad?
    An exception holds its traceback, the traceback holds every frame it went through, and each
    frame holds all of its local variables. A traceback or frame kept in a local of the same
    frame is a cycle (frame -> locals -> traceback -> frame): when the function returns,
    nothing is freed until the cyclic garbage collector runs. An exception stored on `self`
    inside a method does the same through `self`. Python deletes the `as e` name at the end of
    the handler for exactly this reason.

    ## Fix safety
    For a traceback or frame in a local, the fix is safe: the statements after the binding, up
    to the last one that uses the name, go into `try:` with `finally: del tb` (statements
    after that stay after it). When those statements are exactly one `try` with a `finally:`,
    `del tb` is added at the end of that `finally:` instead (unless it can `return`, `raise`,
    `break` or `continue` first); a `del tb` that already ended them moves into the new
    `finally:`. The fix is skipped when the name is also used after the block that binds it,
    inside a nested function, lambda or generator expression (which may run after the `del`),
    is declared `global`/`nonlocal`, is deleted before its last use, or is not used at all
    after it is bound, and when the function calls `locals()`, `vars()`, `dir()`, `exec` or
    `eval`. Stored exceptions have no automatic fix: store
    `e.with_traceback(None)`, or a summary (`repr(e)`), instead.

    ## References
    - [The try statement: except clause](https://docs.python.org/3/reference/compound_stmts.html#except-clause)
    - [sys.exc_info](https://docs.python.org/3/library/sys.html#sys.exc_info)
    - [inspect: the interpreter stack](https://docs.python.org/3/library/inspect.html#the-interpreter-stack)
    """

    code = "GCL304"
    FRAME_NEEDLES: ClassVar[tuple[str, ...]] = (
        "exc_info",
        "_getframe",
        "currentframe",
        "__traceback__",
    )
    needles = ("except", *FRAME_NEEDLES)
    name = "exception-or-frame-kept"
    summary = "an exception, traceback or frame is kept beyond its handler without being deleted"
    message = (
        "'{text}' keeps {what}, whose frames hold every local: a reference cycle that only "
        "gc.collect() frees; {fix}"
    )
    fix_safety = FixSafety.SAFE
    fix_title = "Delete the local in 'finally:'"
    references = ("https://docs.python.org/3/reference/compound_stmts.html#except-clause",)

    invalid = (
        Example(
            """
            import sys


            def handle(request, process, log):
                try:
                    return process(request)
                except ValueError:
                    tb = sys.exc_info()[2]
                    log(tb)
                    return None
            """,
            expect=((8, 9),),
            trigger="""
            class Request:
                pass


            def process(request):
                raise ValueError("bad request")


            request = Request()
            ref = weakref.ref(request)
            handle(request, process, print)
            del request
            """,
            fixed="""
            import sys


            def handle(request, process, log):
                try:
                    return process(request)
                except ValueError:
                    tb = sys.exc_info()[2]
                    try:
                        log(tb)
                    finally:
                        del tb
                    return None
            """,
            doc=True,
        ),
        Example(
            """
            class Stream:
                def __init__(self, source):
                    self.source = source
                    self.errors = []

                def read_all(self):
                    for chunk in self.source:
                        try:
                            int(chunk)
                        except ValueError as exc:
                            self.errors.append(exc)
            """,
            expect=((11, 17),),
            trigger="""
            stream = Stream(["1", "x"])
            stream.read_all()
            ref = weakref.ref(stream)
            del stream
            """,
            note="a stream keeping exceptions with their tracebacks",
            no_fix="an exception stored beyond its handler has no automatic fix",
        ),
        Example(
            """
            import inspect


            def describe(value):
                frame = inspect.currentframe()
                return f"{frame.f_code.co_name}: {value!r}"
            """,
            expect=((5, 5),),
            trigger="""
            class Value:
                pass


            value = Value()
            ref = weakref.ref(value)
            describe(value)
            del value
            """,
            fixed="""
            import inspect


            def describe(value):
                frame = inspect.currentframe()
                try:
                    return f"{frame.f_code.co_name}: {value!r}"
                finally:
                    del frame
            """,
        ),
    )
    valid = (
        Example(
            """
            import sys


            def handle(request, process, log):
                try:
                    return process(request)
                except ValueError:
                    tb = sys.exc_info()[2]
                    try:
                        log(tb)
                    finally:
                        del tb
                    return None
            """,
            trigger="""
            class Request:
                pass


            def process(request):
                raise ValueError("bad request")


            request = Request()
            ref = weakref.ref(request)
            handle(request, process, print)
            del request
            """,
            doc=True,
        ),
        Example(
            """
            class Stream:
                def __init__(self, source):
                    self.source = source
                    self.errors = []

                def read_all(self):
                    for chunk in self.source:
                        try:
                            int(chunk)
                        except ValueError as exc:
                            self.errors.append(repr(exc))
            """,
            trigger="""
            stream = Stream(["1", "x"])
            stream.read_all()
            ref = weakref.ref(stream)
            del stream
            """,
        ),
    )
    truth = CYCLE_TRUTH

    def visit_ExceptHandler(self, node: ast.ExceptHandler) -> None:
        if not node.name:
            return
        name = node.name
        candidates = [stmt for stmt in walk_shallow(node.body) if _stores_beyond(stmt, name)]
        if not candidates:
            return  # what the class resets is looked at only for a store
        cls = enclosing_class(self.ctx.ancestors)
        managed = model(self.ctx).info(cls).managed() if cls is not None else set()
        for stmt in candidates:
            if _first_attr_of(stmt) not in managed:
                self.report(
                    stmt,
                    text=ast.unparse(stmt).splitlines()[0],
                    what=f"the exception '{name}' beyond its handler",
                    fix=f"store '{name}.with_traceback(None)' or a summary instead",
                )

    def visit_FunctionDef(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        if not self.ctx.mentions(*self.FRAME_NEEDLES):
            return
        chain = self.ctx.scope_chain(node)
        handlers: dict[str, list[ast.ExceptHandler]] | None = None
        for stmt in walk_shallow_of(node.body, (ast.Assign,)):
            if not (
                isinstance(stmt, ast.Assign)
                and len(stmt.targets) == 1
                and isinstance(stmt.targets[0], ast.Name)
            ):
                continue
            if handlers is None:  # the function's except blocks, once it assigns a name
                handlers = _handler_ranges(node)
            name = stmt.targets[0].id
            what = self._frame_value(stmt.value, chain, handlers, stmt)
            if what is None:
                continue
            if (
                name in _cleared_in_finally(node)
                or _returned(node, name)
                or _store_counts(node)[name] > 1
            ):
                continue  # deleted, returned, or rebound later (``while f := f.f_back``)
            self.report(stmt, text=ast.unparse(stmt), what=what, fix=f"'del {name}' in 'finally:'")

    visit_AsyncFunctionDef = visit_FunctionDef

    def _frame_value(
        self,
        value: ast.AST,
        chain: list[ast.AST],
        handlers: dict[str, list[ast.ExceptHandler]],
        stmt: ast.stmt,
    ) -> str | None:
        """What the value keeps, if it makes a cycle with this function's frame.

        A traceback does only when the exception was caught in this frame: the statement is
        inside one of the function's own ``except`` blocks (for ``sys.exc_info()``), or the
        exception is that block's ``as`` name (for ``e.__traceback__``).
        """
        if not isinstance(value, (ast.Subscript, ast.Call, ast.Attribute)):
            return None
        inside = (
            [h for hs in handlers.values() for h in hs if _contains(h, stmt)] if handlers else []
        )
        if isinstance(value, ast.Subscript) and isinstance(value.value, ast.Call):
            qual = self.ctx.scopes.qualname(value.value.func, chain)
            index = value.slice
            if (
                qual == "sys.exc_info"
                and isinstance(index, ast.Constant)
                and index.value in (2, -1)
                and inside
            ):
                return "the traceback"
            return None
        if isinstance(value, ast.Call):
            qual = self.ctx.scopes.qualname(value.func, chain)
            first = value.args[0] if value.args else None
            current = first is None or (isinstance(first, ast.Constant) and first.value == 0)
            if qual == "sys._getframe" and current:
                return "the current frame"
            if qual == "inspect.currentframe":
                return "the current frame"
            if qual == "sys.exc_info" and inside:
                return "the traceback"
            return None
        if (
            isinstance(value, ast.Attribute)
            and value.attr == "__traceback__"
            and isinstance(value.value, ast.Name)
            and any(h.name == value.value.id for h in inside)
        ):
            return "a traceback"
        return None


def _handler_ranges(function: ast.AST) -> dict[str, list[ast.ExceptHandler]]:
    handlers: dict[str, list[ast.ExceptHandler]] = {}
    for node in walk_shallow_of(getattr(function, "body", []), (ast.ExceptHandler,)):
        if isinstance(node, ast.ExceptHandler):
            handlers.setdefault(node.name or "", []).append(node)
    return handlers


def _contains(root: ast.AST, node: ast.AST) -> bool:
    return any(n is node for n in walk(root))


def _store_counts(function: ast.AST) -> dict[str, int]:
    counts: dict[str, int] = {}
    for node in walk_shallow_of(getattr(function, "body", []), (ast.Name,)):
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            counts[node.id] = counts.get(node.id, 0) + 1
    return counts


def _stores_beyond(stmt: ast.AST, name: str) -> bool:
    """Whether `stmt` stores the exception `name` somewhere that outlives the handler."""
    if (
        isinstance(stmt, (ast.Assign, ast.AnnAssign))
        and isinstance(stmt.value, ast.Name)
        and stmt.value.id == name
    ):
        targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
        return any(
            isinstance(t, ast.Subscript)
            or (isinstance(t, ast.Attribute) and t.attr not in ("__cause__", "__context__"))
            for t in targets
        )
    if (
        isinstance(stmt, ast.Expr)
        and isinstance(stmt.value, ast.Call)
        and isinstance(stmt.value.func, ast.Attribute)
        and stmt.value.func.attr in ("append", "add", "insert", "appendleft", "extend")
    ):
        return any(isinstance(a, ast.Name) and a.id == name for a in stmt.value.args)
    return False


def _first_attr_of(stmt: ast.AST) -> str:
    """The attribute a store goes into (``self.err = e`` -> 'err'; ``self.errs.append`` ->
    'errs')."""
    if isinstance(stmt, (ast.Assign, ast.AnnAssign)):
        target = stmt.targets[0] if isinstance(stmt, ast.Assign) else stmt.target
        return first_attr(target)
    if isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Call):
        func = stmt.value.func
        if isinstance(func, ast.Attribute):
            return first_attr(func.value)
    return ""


def _cleared_in_finally(function: ast.FunctionDef | ast.AsyncFunctionDef) -> set[str]:
    names: set[str] = set()
    for node in walk_shallow(function.body):
        if isinstance(node, ast.Try):
            for stmt in walk_shallow(node.finalbody):
                if isinstance(stmt, ast.Delete):
                    names.update(t.id for t in stmt.targets if isinstance(t, ast.Name))
                if isinstance(stmt, ast.Assign) and isinstance(stmt.value, ast.Constant):
                    names.update(t.id for t in stmt.targets if isinstance(t, ast.Name))
    return names


def _returned(function: ast.FunctionDef | ast.AsyncFunctionDef, name: str) -> bool:
    """Whether the name itself (not data read from it) is returned or yielded."""
    return any(
        isinstance(node, (ast.Return, ast.Yield))
        and node.value is not None
        and refers_to(node.value, name)
        for node in walk_shallow(function.body)
    )
