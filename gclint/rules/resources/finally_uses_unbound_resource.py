"""GCL104 finally-uses-unbound-resource."""

from __future__ import annotations

import ast
from typing import TYPE_CHECKING

from gclint.analysis.flow import (
    FUNCTION_TYPES,
    walk_shallow_of,
)
from gclint.analysis.walk import children, walk
from gclint.diagnostics import FixSafety
from gclint.registry import Example, Rule, register

if TYPE_CHECKING:
    pass
from gclint.analysis.catalogue import CLEANUP_METHODS
from gclint.rules.resources._truth import leak_truth


def _cleanup_label(handler: ast.ExceptHandler | None) -> str:
    """How a cleanup block is named in a message: ``finally:``, ``except OSError:``."""
    if handler is None:
        return "finally:"
    return f"except {ast.unparse(handler.type) if handler.type else ''}".rstrip() + ":"


@register
class FinallyUsesUnboundResource(Rule):
    """
    ## What it does
    Finds `try:` blocks that acquire a resource (`conn = connect(...)`) and whose `finally:` (or
    an `except` handler) closes it, while the name is not bound before the `try`. If the
    acquisition itself raises, the name was never bound, and the cleanup raises
    `UnboundLocalError` instead.

    ## Why is this bad?
    The `UnboundLocalError` replaces the real error (the connection refused, the file missing):
    the traceback points at the cleanup, and the cause is only in the chained "During handling
    of the above exception" part, if the caller logs it at all.

    ## Fix safety
    The fix is safe. When the `try` has no `except` clause, the acquisition is the first
    statement of its body and the `finally:` block starts with the cleanup (`conn.close()`),
    the acquisition moves above `try:`: if it raises, the old `finally:` failed at once on the
    unbound name, so not running it loses nothing. Otherwise `conn = None` goes before `try:`
    and every statement of the `finally:` and `except` blocks that uses the name
    (`conn.close()`, `conn.rollback()`, an `await conn.close()`) goes under
    `if conn is not None:`; the other statements of those blocks now run as intended instead
    of being cut short by the `UnboundLocalError`. The fix is skipped when a cleanup block uses
    the name in a statement that a guard would change the meaning of (a loop over it, a value
    read from it into a variable), or is written on the same line as its header.

    ## References
    - [Resolution of names](https://docs.python.org/3/reference/executionmodel.html#resolution-of-names)
    - [UnboundLocalError](https://docs.python.org/3/library/exceptions.html#UnboundLocalError)
    """

    code = "GCL104"
    needles = ("try",)
    name = "finally-uses-unbound-resource"
    summary = (
        "a finally/except block closes a name that is unbound when the acquisition itself raised"
    )
    message = (
        "'{name}' is assigned by '{label}()' inside 'try:' and closed in '{block}' at line "
        "{close_line}: if '{label}()' raises, '{name}' is unbound and the cleanup raises "
        "UnboundLocalError, hiding the real error; acquire it before 'try:'"
    )
    fix_safety = FixSafety.SAFE
    fix_title = "Acquire before 'try:'"
    references = ("https://docs.python.org/3/library/exceptions.html#UnboundLocalError",)

    invalid = (
        Example(
            """
            import sqlite3


            def count_users(path):
                try:
                    conn = sqlite3.connect(path)
                    return conn.execute("select count(*) from users").fetchone()[0]
                finally:
                    conn.close()
            """,
            expect=((6, 16),),
            trigger="""
            try:
                count_users("no/such/directory/users.db")
            except UnboundLocalError:
                observed_leak = True
            except sqlite3.OperationalError:
                pass
            """,
            fixed="""
            import sqlite3


            def count_users(path):
                conn = sqlite3.connect(path)
                try:
                    return conn.execute("select count(*) from users").fetchone()[0]
                finally:
                    conn.close()
            """,
            doc=True,
        ),
        Example(
            """
            import socket


            def send(port, payload):
                try:
                    sock = socket.create_connection(("127.0.0.1", port), timeout=1)
                    sock.sendall(payload)
                except OSError:
                    sock.close()
                    raise
                sock.close()
            """,
            expect=((6, 16),),
            trigger="""
            import socket as _s

            _probe = _s.create_server(("127.0.0.1", 0))
            _port = _probe.getsockname()[1]
            _probe.close()
            try:
                send(_port, b"hello")
            except UnboundLocalError:
                observed_leak = True
            except OSError:
                pass
            """,
            note="an except handler has the same problem",
            fixed="""
            import socket


            def send(port, payload):
                sock = None
                try:
                    sock = socket.create_connection(("127.0.0.1", port), timeout=1)
                    sock.sendall(payload)
                except OSError:
                    if sock is not None:
                        sock.close()
                    raise
                sock.close()
            """,
        ),
    )
    valid = (
        Example(
            """
            import sqlite3


            def count_users(path):
                conn = sqlite3.connect(path)
                try:
                    return conn.execute("select count(*) from users").fetchone()[0]
                finally:
                    conn.close()
            """,
            trigger="""
            try:
                count_users("no/such/directory/users.db")
            except UnboundLocalError:
                observed_leak = True
            except sqlite3.OperationalError:
                pass
            """,
            doc=True,
        ),
        Example(
            """
            import socket


            def send(port, payload):
                sock = None
                try:
                    sock = socket.create_connection(("127.0.0.1", port), timeout=1)
                    sock.sendall(payload)
                finally:
                    if sock is not None:
                        sock.close()
            """,
            trigger="""
            import socket as _s

            _probe = _s.create_server(("127.0.0.1", 0))
            _port = _probe.getsockname()[1]
            _probe.close()
            try:
                send(_port, b"hello")
            except UnboundLocalError:
                observed_leak = True
            except OSError:
                pass
            """,
        ),
    )
    truth = leak_truth()

    def visit_Try(self, node: ast.Try) -> None:
        self._check(node)

    visit_TryStar = visit_Try

    def _check(self, node: ast.Try) -> None:
        cleanups: list[tuple[ast.ExceptHandler | None, list[ast.stmt]]] = [
            (None, node.finalbody),
            *((h, h.body) for h in node.handlers),
        ]
        if not any(body for _handler, body in cleanups):
            return
        for stmt in walk_shallow_of(node.body, (ast.Assign,)):
            if not (
                isinstance(stmt, ast.Assign)
                and len(stmt.targets) == 1
                and isinstance(stmt.targets[0], ast.Name)
            ):
                continue
            value = stmt.value.value if isinstance(stmt.value, ast.Await) else stmt.value
            if not isinstance(value, ast.Call):
                continue
            name = stmt.targets[0].id
            for handler, body in cleanups:
                close = self._unguarded_cleanup(name, body)
                if close is None:
                    continue
                if self._bound_before(name, node):
                    break  # bound when the try starts: never unbound in the cleanup
                self.report(
                    value,
                    name=name,
                    label=ast.unparse(value.func),
                    block=_cleanup_label(handler),
                    close_line=close.lineno,
                )
                break

    def _bound_before(self, name: str, try_node: ast.Try) -> bool:
        """Whether `name` may be bound when `try_node` starts (a parameter, an earlier
        binding, a global), so that it cannot be unbound in the cleanup."""
        function = self.ctx.enclosing_function()
        scope: ast.AST = function if function is not None else self.ctx.tree
        info = self.ctx.scopes.info(scope)
        if name in info.declared_global or name in info.declared_nonlocal:
            return True
        if isinstance(scope, FUNCTION_TYPES):
            args = scope.args
            params = {a.arg for a in (*args.posonlyargs, *args.args, *args.kwonlyargs)}
            params |= {a.arg for a in (args.vararg, args.kwarg) if a is not None}
            if name in params:
                return True
        if scope is self.ctx.tree:
            return True  # module level: a NameError, and globals may come from anywhere
        body = scope.body if isinstance(scope, (*FUNCTION_TYPES, ast.Module)) else []
        start = (try_node.lineno, try_node.col_offset)
        for sub in walk_shallow_of(body, (ast.Name,)):
            if (
                isinstance(sub, ast.Name)
                and sub.id == name
                and isinstance(sub.ctx, ast.Store)
                and (sub.lineno, sub.col_offset) < start
            ):
                return True
        return False

    def _unguarded_cleanup(self, name: str, body: list[ast.stmt]) -> ast.Call | None:
        """A cleanup call on `name` in `body` that runs whether or not `name` is bound."""
        stack: list[ast.AST] = list(body)
        while stack:
            node = stack.pop()
            if isinstance(node, ast.If) and _mentions(node.test, name):
                continue  # ``if conn is not None:`` / ``if conn:`` guards it
            if isinstance(node, ast.Try) and any(_catches_name_errors(h) for h in node.handlers):
                continue
            if isinstance(node, (ast.Assign, ast.AnnAssign)) and any(
                isinstance(t, ast.Name) and t.id == name
                for t in (node.targets if isinstance(node, ast.Assign) else [node.target])
            ):
                return None  # rebound in the cleanup before use
            if isinstance(node, (*FUNCTION_TYPES, ast.Lambda, ast.ClassDef)):
                continue
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and isinstance(node.func.value, ast.Name)
                and node.func.value.id == name
                and node.func.attr in CLEANUP_METHODS
            ):
                return node
            stack.extend(reversed(list(children(node))))
        return None


def _mentions(expr: ast.AST, name: str) -> bool:
    for sub in walk(expr):
        if isinstance(sub, ast.Name) and sub.id == name:
            return True
        if isinstance(sub, ast.Constant) and sub.value == name:
            return True  # ``if "conn" in locals():``
    return False


def _catches_name_errors(handler: ast.ExceptHandler) -> bool:
    if handler.type is None:
        return True
    names = handler.type.elts if isinstance(handler.type, ast.Tuple) else [handler.type]
    return any(
        getattr(n, "id", getattr(n, "attr", "")) in ("NameError", "UnboundLocalError", "Exception")
        for n in names
    )
