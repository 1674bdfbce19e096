"""GCL105 context-manager-does-not-close."""

from __future__ import annotations

import ast
from typing import TYPE_CHECKING

from gclint.analysis.acquisitions import ResourceFacts
from gclint.analysis.flow import (
    walk_shallow,
)
from gclint.diagnostics import FixSafety
from gclint.registry import Example, Rule, Truth, register
from gclint.rules.resources._lifetime import Lifetimes

if TYPE_CHECKING:
    pass
from gclint.rules.resources._truth import LEAK_PROBE, LEAK_SETUP, SQLITE_PROBE, SQLITE_RECORDER


@register
class ContextManagerDoesNotClose(Rule):
    """
    ## What it does
    Finds `with sqlite3.connect(...) as conn:` and `with psycopg2.connect(...) as conn:`, and
    `with conn:` on such a connection that nothing else closes. (psycopg 3's connection, and
    most other drivers', do close on exit, and are not reported.)

    ## Why is this bad?
    A DB-API connection's `__exit__` ends the transaction, committing or rolling back, but
    leaves the connection open. Code that reads like "the block closes the connection" keeps
    it, and its file handle or server session, until garbage collection (with a
    `ResourceWarning` on Python 3.13+).

    ## Fix safety
    `--fix` rewrites the `with` to `with contextlib.closing(connect(...)) as conn, conn:`,
    which keeps the commit/rollback and adds the close (`import contextlib` is added when
    needed). It is skipped, with the reason, when the connection or a value made from it (a
    cursor) is used after the block, and for `with conn:` on a connection not made by the
    statement just before it (a connection made elsewhere is not the block's to close).

    ## References
    - [sqlite3: how to use the connection context manager](https://docs.python.org/3/library/sqlite3.html#sqlite3-connection-context-manager)
    - [contextlib.closing](https://docs.python.org/3/library/contextlib.html#contextlib.closing)
    """

    code = "GCL105"
    needles = ("with",)
    name = "context-manager-does-not-close"
    summary = (
        "a connection used as a context manager whose __exit__ ends a transaction but does not "
        "close it"
    )
    message = (
        "{subject} commits or rolls back but does not close the {noun}; use "
        "'with contextlib.closing({label}(...)) as {name}, {name}:'"
    )
    fix_safety = FixSafety.SAFE
    fix_title = "Use contextlib.closing(...) as well"
    references = (
        "https://docs.python.org/3/library/sqlite3.html#sqlite3-connection-context-manager",
    )

    invalid = (
        Example(
            """
            import sqlite3


            def add_user(path, name):
                with sqlite3.connect(path) as conn:
                    conn.execute("create table if not exists users(name text)")
                    conn.execute("insert into users values (?)", (name,))
            """,
            expect=((5, 10),),
            fixed="""
            import contextlib
            import sqlite3


            def add_user(path, name):
                with contextlib.closing(sqlite3.connect(path)) as conn, conn:
                    conn.execute("create table if not exists users(name text)")
                    conn.execute("insert into users values (?)", (name,))
            """,
            trigger='add_user("users.db", "ada")',
        ),
        Example(
            """
            import sqlite3


            def add_users(path, names):
                conn = sqlite3.connect(path)
                with conn:
                    conn.execute("create table if not exists users(name text)")
                    conn.executemany("insert into users values (?)", [(n,) for n in names])
            """,
            expect=((6, 10),),
            fixed="""
            import contextlib
            import sqlite3


            def add_users(path, names):
                with contextlib.closing(sqlite3.connect(path)) as conn, conn:
                    conn.execute("create table if not exists users(name text)")
                    conn.executemany("insert into users values (?)", [(n,) for n in names])
            """,
            trigger='add_users("users.db", ["ada", "grace"])',
        ),
        Example(
            """
            import psycopg2


            def add_user(dsn, name):
                with psycopg2.connect(dsn) as conn:
                    with conn.cursor() as cur:
                        cur.execute("insert into users values (%s)", (name,))
            """,
            expect=((5, 10),),
            fixed="""
            import contextlib
            import psycopg2


            def add_user(dsn, name):
                with contextlib.closing(psycopg2.connect(dsn)) as conn, conn:
                    with conn.cursor() as cur:
                        cur.execute("insert into users values (%s)", (name,))
            """,
            static_only="needs a PostgreSQL server; psycopg2's Connection.__exit__ is documented "
            "not to close the connection",
        ),
        Example(
            """
            import sqlite3


            def add_user(path, name):
                with sqlite3.connect(path) as conn:
                    conn.execute("insert into users values (?)", (name,))
            """,
            expect=((5, 10),),
            trigger="""
            import contextlib

            with contextlib.closing(sqlite3.connect("users.db")) as db, db:
                db.execute("create table users(name text)")
            add_user("users.db", "ada")
            """,
            fixed="""
            import contextlib
            import sqlite3


            def add_user(path, name):
                with contextlib.closing(sqlite3.connect(path)) as conn, conn:
                    conn.execute("insert into users values (?)", (name,))
            """,
            doc=True,
        ),
    )
    valid = (
        Example(
            """
            import contextlib
            import sqlite3


            def add_user(path, name):
                with contextlib.closing(sqlite3.connect(path)) as conn, conn:
                    conn.execute("create table if not exists users(name text)")
                    conn.execute("insert into users values (?)", (name,))
            """,
            trigger='add_user("users.db", "ada")',
        ),
        Example(
            """
            import sqlite3


            def add_users(path, names):
                conn = sqlite3.connect(path)
                try:
                    with conn:
                        conn.execute("create table if not exists users(name text)")
                        conn.executemany("insert into users values (?)", [(n,) for n in names])
                finally:
                    conn.close()
            """,
            trigger='add_users("users.db", ["ada", "grace"])',
        ),
        Example(
            """
            import psycopg


            def add_user(dsn, name):
                with psycopg.connect(dsn) as conn:
                    conn.execute("insert into users values (%s)", (name,))
            """,
            static_only="needs a PostgreSQL server; psycopg 3 closes the connection on exit",
        ),
        Example(
            """
            import contextlib
            import sqlite3


            def add_user(path, name):
                with contextlib.closing(sqlite3.connect(path)) as conn, conn:
                    conn.execute("insert into users values (?)", (name,))
            """,
            trigger="""
            with contextlib.closing(sqlite3.connect("users.db")) as db, db:
                db.execute("create table users(name text)")
            add_user("users.db", "ada")
            """,
            doc=True,
        ),
    )
    truth = Truth(
        setup=LEAK_SETUP + SQLITE_RECORDER,
        probe=SQLITE_PROBE + LEAK_PROBE,
        describe=("the connection is still open (a query on it still works) after its with block"),
    )

    def visit_With(self, node: ast.With | ast.AsyncWith) -> None:
        facts = self.ctx.shared(ResourceFacts)
        chain = self.ctx.scope_chain()
        for item in node.items:
            rtype = facts.classify(item.context_expr, chain)
            if rtype is None or rtype.context_manager_closes:
                continue
            call = item.context_expr
            if isinstance(call, ast.Await):
                call = call.value
            assert isinstance(call, ast.Call)
            bound = item.optional_vars
            name = bound.id if isinstance(bound, ast.Name) else rtype.var
            if isinstance(bound, ast.Name) and self._closed_later(name):
                continue
            label = ast.unparse(call.func)
            self.report(
                call,
                subject=f"'with {label}(...)'",
                noun=rtype.noun,
                label=label,
                name=name,
            )

    visit_AsyncWith = visit_With

    def _closed_later(self, name: str) -> bool:
        function = self.ctx.enclosing_function()
        body = function.body if function is not None else self.ctx.tree.body
        for sub in walk_shallow(body):
            if (
                isinstance(sub, ast.Call)
                and isinstance(sub.func, ast.Attribute)
                and isinstance(sub.func.value, ast.Name)
                and sub.func.value.id == name
                and sub.func.attr == "close"
            ):
                return True
        return False

    def leave_FunctionDef(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        self._emit(node)

    leave_AsyncFunctionDef = leave_FunctionDef

    def leave_Module(self, node: ast.Module) -> None:
        self._emit(node)

    def _emit(self, scope: ast.AST) -> None:
        lifetimes = self.ctx.shared(Lifetimes)
        found = lifetimes.found_in(scope)  # the first of these rules to leave a scope: computed
        if found is None:
            found = lifetimes.findings(scope, self.ctx.scope_chain(scope))
        for finding in found:
            if finding.code == self.code:
                fmt = dict(finding.fmt)
                self.report(finding.node, subject=f"'with {fmt['name']}:'", **fmt)
