"""GCL1xx: resource lifetimes (``with``, try/finally, ownership)."""

from __future__ import annotations

import ast
import textwrap
from typing import TYPE_CHECKING

from gclint.analysis.acquisitions import PROVISIONAL, ResourceFacts, is_detached
from gclint.analysis.flow import (
    FUNCTION_TYPES,
    protected_by_try,
    same_expression,
    walk_shallow,
    walk_shallow_of,
)
from gclint.analysis.resources import BORROWERS, OWNERSHIP_METHODS, OWNERSHIP_TAKERS
from gclint.analysis.walk import children, walk
from gclint.diagnostics import FixSafety
from gclint.registry import Example, Rule, Truth, register

if TYPE_CHECKING:
    from gclint.context import Context

WITH_DOCS = "https://docs.python.org/3/reference/compound_stmts.html#the-with-statement"
DEV_MODE_DOCS = "https://docs.python.org/3/library/devmode.html#resourcewarning-example"

# Every GCL1xx truth probe: record ResourceWarnings (and exceptions raised in __del__), run the
# example, collect garbage, and report. A trigger may also set `observed_leak` itself when it
# sees the leak another way (a connection still usable, a lock still held, UnboundLocalError).
LEAK_SETUP = """
import gc as _gclint_gc
import sys as _gclint_sys
import warnings as _gclint_warnings

_gclint_leaks = []


def _gclint_warning(message, category, filename, lineno, file=None, line=None):
    if issubclass(category, ResourceWarning):
        _gclint_leaks.append(str(message))


def _gclint_unraisable(unraisable):
    _gclint_leaks.append(repr(unraisable.exc_value))


_gclint_warnings.simplefilter("always", ResourceWarning)
_gclint_warnings.showwarning = _gclint_warning
_gclint_sys.unraisablehook = _gclint_unraisable
observed_leak = False
"""
LEAK_PROBE = """
_gclint_gc.collect()
misbehaved = bool(_gclint_leaks) or bool(observed_leak)
"""
LEAK_DESCRIBE = (
    "a ResourceWarning is emitted (or the leak is observed directly: a connection still open, "
    "a lock still held, an UnboundLocalError)"
)


def leak_truth(setup: str = "") -> Truth:
    return Truth(probe=LEAK_PROBE, describe=LEAK_DESCRIBE, setup=LEAK_SETUP + setup)


# A TCP peer on 127.0.0.1 for socket examples: sends `reply` to the one client it accepts.
ECHO_SERVER = """
import socket as _socket
import threading as _threading


def serve_once(reply):
    server = _socket.create_server(("127.0.0.1", 0))

    def answer():
        conn, _addr = server.accept()
        with conn:
            conn.settimeout(5)
            conn.sendall(reply)
            try:
                conn.recv(1024)
            except OSError:
                pass
        server.close()

    _threading.Thread(target=answer, daemon=True).start()
    return server.getsockname()[1]
"""


# Keeps a reference to every real sqlite3 connection the example opens, so the probe can ask
# each one, after the example ran, whether it is still open.
SQLITE_RECORDER = """
import sqlite3 as _gclint_sqlite3

_gclint_connections = []
_gclint_connect = _gclint_sqlite3.connect


def _gclint_recording_connect(*args, **kwargs):
    conn = _gclint_connect(*args, **kwargs)
    _gclint_connections.append(conn)
    return conn


_gclint_sqlite3.connect = _gclint_recording_connect
"""
SQLITE_PROBE = """
for _conn in _gclint_connections:
    try:
        _conn.execute("select 1")
        observed_leak = True
    except _gclint_sqlite3.ProgrammingError:
        pass
    _conn.close()
"""


def with_server(trigger: str) -> str:
    """A trigger that first defines `serve_once(reply)`: a one-shot TCP peer on 127.0.0.1."""
    return ECHO_SERVER + "\n" + textwrap.dedent(trigger)


class _ScopeFindings(Rule):
    """Reports this rule's findings from the shared per-scope resource analysis."""

    def _emit(self, scope: ast.AST) -> None:
        facts = self.ctx.shared(ResourceFacts)
        found = facts.found_in(scope)  # the first of these rules to leave a scope computes them
        if found is None:
            found = facts.findings(scope, self.ctx.scope_chain(scope))
        for finding in found:
            if finding.code == self.code:
                self.report(finding.node, **finding.fmt)

    def leave_FunctionDef(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        self._emit(node)

    leave_AsyncFunctionDef = leave_FunctionDef

    def leave_Module(self, node: ast.Module) -> None:
        self._emit(node)


@register
class UnclosedResource(_ScopeFindings):
    """
    ## What it does
    Finds a resource (a file, socket, process pool, network client, temporary directory, or an
    object of a class with a `close()` that releases something) bound to a name and then neither
    closed nor handed on along some path out of its scope: it is never closed, or a `return`, a
    `continue`, or a branch leaves it open.

    Ownership is followed: a resource that is returned, yielded, stored on an attribute or in a
    container, used as a `with` item (now or later), passed to an `ExitStack`,
    `contextlib.closing()`, `addCleanup()`, `weakref.finalize()` or to any function gclint cannot
    see into, has been handed on and is not reported.

    ## Why is this bad?
    Until it is closed, the resource holds an operating-system handle (a file descriptor, a
    socket, a child process). CPython closes it when the last reference goes away, but only
    then: not on PyPy, not while a reference cycle or a stored traceback keeps it alive, and
    always with a `ResourceWarning` that `python -X dev` shows. A long-running program runs out
    of descriptors ("Too many open files"), keeps files locked on Windows, or leaves data
    unflushed.

    ## Example
    ```python
    import json


    def load_config(path):
        f = open(path)
        return json.load(f)
    ```

    ## Use instead
    ```python
    import json


    def load_config(path):
        with open(path) as f:
            return json.load(f)
    ```

    The message names the statement that fits the resource and the name the code gave it:
    `async with` for an asynchronous one (`httpx.AsyncClient`, `aiohttp.ClientSession`, a class
    with only `__aenter__`), `contextlib.closing()`/`aclosing()` for an object without a
    context manager of its own (`http.client.HTTPConnection`, a class with only `close()` or
    `async def aclose()`), and for a file descriptor, `os.close()` in a `finally:` block.

    ## Fix safety
    `--fix` wraps the acquisition and its uses in `with` (removing a trailing `close()`) when all
    uses are in one block, an explicit `close()`, if any, is the last of them, and `with` is
    known to close the resource: a standard-library factory (`open()`, `socket.socket()`,
    `zipfile.ZipFile()`...), `requests.Session`/`httpx.Client`, or a class of the same module
    with a `close()` (wrapped in `contextlib.closing()`). An asynchronous resource gets
    `async with` (removing a trailing `await x.aclose()`), and only in an `async def`:
    `httpx.AsyncClient`, `aiohttp.ClientSession`, or a class of the same module with an
    `async def aclose()` (wrapped in `contextlib.aclosing()`). Elsewhere (a factory function, a
    class whose `close()` is a coroutine, a value made from the resource used after the block, a
    use in a nested function) the fix is skipped, with the reason.

    ## Options
    - `extra-resource-factories`: qualified names of more functions that return resources.

    ## References
    - [The with statement](https://docs.python.org/3/reference/compound_stmts.html#the-with-statement)
    - [Python Development Mode: ResourceWarning](https://docs.python.org/3/library/devmode.html#resourcewarning-example)
    """

    code = "GCL101"
    name = "unclosed-resource"
    summary = "a resource bound to a name is neither closed nor handed on along some path"
    message = "{noun} {verb} by '{label}()' at line {line} {how}; {advice}"
    fix_safety = FixSafety.SAFE
    fix_title = "Wrap in 'with'"
    references = (WITH_DOCS, DEV_MODE_DOCS)

    invalid = (
        Example(
            """
            import json


            def load_config(path):
                f = open(path)
                return json.load(f)
            """,
            expect=((5, 9),),
            fixed="""
            import json


            def load_config(path):
                with open(path) as f:
                    return json.load(f)
            """,
            trigger="""
            from pathlib import Path

            Path("config.json").write_text('{"debug": true}')
            load_config("config.json")
            """,
        ),
        Example(
            """
            def first_line(path):
                f = open(path)
                line = f.readline()
                if not line.strip():
                    return None
                f.close()
                return line
            """,
            expect=((2, 9),),
            fixed="""
            def first_line(path):
                with open(path) as f:
                    line = f.readline()
                    if not line.strip():
                        return None
                return line
            """,
            trigger="""
            from pathlib import Path

            Path("blank.txt").write_text("\\n")
            first_line("blank.txt")
            """,
            note="the early return leaves the file open",
        ),
        Example(
            """
            import socket


            def ping(port):
                sock = socket.create_connection(("127.0.0.1", port), timeout=5)
                sock.sendall(b"PING\\r\\n")
                return sock.recv(64)
            """,
            expect=((5, 12),),
            fixed="""
            import socket


            def ping(port):
                with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
                    sock.sendall(b"PING\\r\\n")
                    return sock.recv(64)
            """,
            trigger=with_server("ping(serve_once(b'PONG'))"),
        ),
        Example(
            """
            class EventLog:
                def __init__(self, path):
                    self._file = open(path, "a", encoding="utf-8")

                def write(self, line):
                    self._file.write(line + "\\n")

                def close(self):
                    self._file.close()


            def record(path, event):
                log = EventLog(path)
                log.write(event)
            """,
            expect=((13, 11),),
            fixed="""
            import contextlib


            class EventLog:
                def __init__(self, path):
                    self._file = open(path, "a", encoding="utf-8")

                def write(self, line):
                    self._file.write(line + "\\n")

                def close(self):
                    self._file.close()


            def record(path, event):
                with contextlib.closing(EventLog(path)) as log:
                    log.write(event)
            """,
            trigger='record("events.log", "started")',
            note="a class of the same module whose close() releases what it holds",
        ),
        Example(
            """
            import tempfile


            def make_workdir():
                return tempfile.TemporaryDirectory(prefix="job-")


            def run_job(data):
                workdir = make_workdir()
                print("working in", workdir.name)
                return len(data)
            """,
            expect=((9, 15),),
            no_fix="make_workdir() is not a known factory: 'with' on what it returns might not "
            "close it (a TemporaryDirectory's __enter__ returns its path)",
            trigger='run_job("abc")',
            note="a factory function of the same module returns a resource",
        ),
        Example(
            """
            class Journal:
                def __init__(self, path):
                    self._file = open(path, "a", encoding="utf-8")

                async def write(self, line):
                    self._file.write(line + "\\n")

                async def aclose(self):
                    self._file.close()


            async def record(path, event):
                journal = Journal(path)
                await journal.write(event)
            """,
            expect=((13, 15),),
            fixed="""
            import contextlib


            class Journal:
                def __init__(self, path):
                    self._file = open(path, "a", encoding="utf-8")

                async def write(self, line):
                    self._file.write(line + "\\n")

                async def aclose(self):
                    self._file.close()


            async def record(path, event):
                async with contextlib.aclosing(Journal(path)) as journal:
                    await journal.write(event)
            """,
            trigger="""
            import asyncio

            asyncio.run(record("events.log", "started"))
            """,
            note="an asynchronous resource (its release is 'async def aclose()'): 'async with'",
        ),
    )
    valid = (
        Example(
            """
            import json


            def load_config(path):
                with open(path) as f:
                    return json.load(f)
            """,
            trigger="""
            from pathlib import Path

            Path("config.json").write_text('{"debug": true}')
            load_config("config.json")
            """,
        ),
        Example(
            """
            def read_header(path):
                f = open(path, "rb")
                try:
                    return f.read(16)
                finally:
                    f.close()
            """,
            trigger="""
            from pathlib import Path

            Path("data.bin").write_bytes(bytes(32))
            read_header("data.bin")
            """,
            note="a correct try/finally (pylint's R1732 reports it)",
        ),
        Example(
            """
            def open_log(path):
                f = open(path, "a", encoding="utf-8")
                f.write("--- opened ---\\n")
                return f
            """,
            trigger='open_log("app.log").close()',
            note="returned after binding: the caller owns it",
        ),
        Example(
            """
            class Store:
                def __init__(self, path):
                    self.f = open(path, "a", encoding="utf-8")

                def close(self):
                    self.f.close()
            """,
            trigger='Store("store.txt").close()',
            note="stored on self in __init__ and closed in close()",
        ),
        Example(
            """
            def first_line(stack, path):
                f = open(path)
                stack.enter_context(f)
                return f.readline()
            """,
            trigger="""
            import contextlib
            from pathlib import Path

            Path("a.txt").write_text("alpha\\n")
            with contextlib.ExitStack() as stack:
                first_line(stack, "a.txt")
            """,
            note="an ExitStack passed in as a parameter takes ownership",
        ),
        Example(
            """
            def read_first(path):
                try:
                    f = open(path)
                except FileNotFoundError:
                    return None
                else:
                    with f:
                        return f.readline()
            """,
            trigger="""
            from pathlib import Path

            Path("a.txt").write_text("alpha\\n")
            read_first("a.txt")
            read_first("missing.txt")
            """,
            note="try/else followed by 'with f:'",
        ),
        Example(
            """
            import contextlib


            async def first_lines(paths):
                async with contextlib.AsyncExitStack() as stack:
                    lines = []
                    for path in paths:
                        f = open(path)
                        stack.enter_context(f)
                        lines.append(f.readline())
                    return lines
            """,
            trigger="""
            import asyncio
            from pathlib import Path

            Path("a.txt").write_text("alpha\\n")
            Path("b.txt").write_text("beta\\n")
            asyncio.run(first_lines(["a.txt", "b.txt"]))
            """,
            note="an AsyncExitStack takes ownership",
        ),
    )
    truth = leak_truth()


@register
class CloseNotExceptionSafe(_ScopeFindings):
    """
    ## What it does
    Finds a resource that is closed on the normal path, but where a statement between the
    acquisition and the `close()` can raise and skip it: the `close()` is not in a `finally:`
    block (or a catch-all `except` that closes and re-raises), and the resource is not a `with`
    item. A generator that closes after its loop counts too: when the consumer stops early, the
    `yield` raises `GeneratorExit`.

    ## Why is this bad?
    Errors are exactly when programs retry, loop and run for a long time: each failure leaks
    one descriptor, connection or temporary file, with a `ResourceWarning` at best.

    ## Example
    ```python
    import json


    def load(path):
        f = open(path)
        data = json.load(f)
        f.close()
        return data
    ```

    ## Use instead
    ```python
    import json


    def load(path):
        with open(path) as f:
            return json.load(f)
    ```

    ## Fix safety
    `--fix` converts to `with` and removes the `close()`, under the same conditions as
    GCL101's fix: one block, `close()` the last use, and a resource that `with` is known to
    close; elsewhere the fix is skipped, with the reason.

    ## References
    - [The with statement](https://docs.python.org/3/reference/compound_stmts.html#the-with-statement)
    - [The try statement](https://docs.python.org/3/reference/compound_stmts.html#the-try-statement)
    """

    code = "GCL103"
    name = "close-not-exception-safe"
    summary = (
        "a resource is closed on the normal path only, not when a statement before close() raises"
    )
    message = (
        "{noun} {verb} by '{label}()' at line {line} is not closed if '{origin}' raises; {advice}"
    )
    fix_safety = FixSafety.SAFE
    fix_title = "Convert to 'with'"
    references = (WITH_DOCS,)

    invalid = (
        Example(
            """
            import json


            def load(path):
                f = open(path)
                data = json.load(f)
                f.close()
                return data
            """,
            expect=((5, 9),),
            fixed="""
            import json


            def load(path):
                with open(path) as f:
                    data = json.load(f)
                return data
            """,
            trigger="""
            from pathlib import Path

            Path("broken.json").write_text("{not json")
            try:
                load("broken.json")
            except ValueError:
                pass
            """,
        ),
        Example(
            """
            def read_records(path):
                f = open(path)
                for line in f:
                    yield line.rstrip("\\n")
                f.close()
            """,
            expect=((2, 9),),
            fixed="""
            def read_records(path):
                with open(path) as f:
                    for line in f:
                        yield line.rstrip("\\n")
            """,
            trigger="""
            from pathlib import Path

            Path("records.txt").write_text("a\\nb\\nc\\n")
            records = read_records("records.txt")
            next(records)
            records.close()
            del records
            """,
            note="the consumer stopped early: 'yield' raised GeneratorExit",
        ),
        Example(
            """
            import socket


            def fetch_banner(port):
                sock = socket.create_connection(("127.0.0.1", port))
                banner = sock.recv(1024).decode("ascii")
                sock.close()
                return banner
            """,
            expect=((5, 12),),
            fixed="""
            import socket


            def fetch_banner(port):
                with socket.create_connection(("127.0.0.1", port)) as sock:
                    banner = sock.recv(1024).decode("ascii")
                return banner
            """,
            trigger=with_server(
                """
                try:
                    fetch_banner(serve_once(b"\\xff\\xfe not ascii"))
                except UnicodeDecodeError:
                    pass
                """
            ),
        ),
        Example(
            """
            import httpx


            async def ping(url):
                client = httpx.AsyncClient()
                await client.get(url)
                await client.aclose()
            """,
            expect=((5, 14),),
            fixed="""
            import httpx


            async def ping(url):
                async with httpx.AsyncClient() as client:
                    await client.get(url)
            """,
            static_only="needs httpx and an HTTP server; an asynchronous client gets 'async with'",
        ),
    )
    valid = (
        Example(
            """
            import json


            def load(path):
                f = open(path)
                try:
                    return json.load(f)
                finally:
                    f.close()
            """,
            trigger="""
            from pathlib import Path

            Path("broken.json").write_text("{not json")
            try:
                load("broken.json")
            except ValueError:
                pass
            """,
        ),
        Example(
            """
            def load(path, parse):
                f = open(path)
                try:
                    data = parse(f.read())
                except BaseException:
                    f.close()
                    raise
                f.close()
                return data
            """,
            trigger="""
            from pathlib import Path

            Path("numbers.txt").write_text("12x")
            try:
                load("numbers.txt", int)
            except ValueError:
                pass
            """,
            note="a catch-all handler that closes and re-raises",
        ),
        Example(
            """
            def read_records(path):
                with open(path) as f:
                    for line in f:
                        yield line.rstrip("\\n")
            """,
            trigger="""
            from pathlib import Path

            Path("records.txt").write_text("a\\nb\\nc\\n")
            records = read_records("records.txt")
            next(records)
            records.close()
            del records
            """,
        ),
    )
    truth = leak_truth()


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

    ## Example
    ```python
    import sqlite3


    def count_users(path):
        try:
            conn = sqlite3.connect(path)
            return conn.execute("select count(*) from users").fetchone()[0]
        finally:
            conn.close()
    ```

    ## Use instead
    ```python
    import sqlite3


    def count_users(path):
        conn = sqlite3.connect(path)
        try:
            return conn.execute("select count(*) from users").fetchone()[0]
        finally:
            conn.close()
    ```

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
    CLEANUP_METHODS = frozenset(
        {
            "close",
            "aclose",
            "release",
            "shutdown",
            "terminate",
            "kill",
            "wait",
            "quit",
            "logout",
            "cleanup",
            "disconnect",
            "rollback",
        }
    )

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
                and node.func.attr in self.CLEANUP_METHODS
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


# unittest's context managers that expect the block to raise (pytest.raises: by its import)
ASSERT_RAISES = frozenset({"assertRaises", "assertRaisesRegex", "assertRaisesRegexp"})


@register
class ResourceInExpression(Rule):
    """
    ## What it does
    Finds a resource created and used without ever being bound to a name:
    `open(p).read()`, `json.load(open(p))`, `for line in open(p):`, `urlopen(u).read()`,
    `len(Path(p).open().read())`. `open(p).close()` (creating or truncating a file) is not
    reported, nor is a resource that is returned, yielded, stored, used as a `with` item, or
    passed to a wrapper that takes ownership (`contextlib.closing`, `io.TextIOWrapper`,
    `ExitStack.enter_context`), nor one made in the body of `with pytest.raises(...):` or
    `with self.assertRaises(...):`, where the test expects the construction to raise.

    ## Why is this bad?
    Nothing ever closes the resource. CPython closes it when its reference count drops, with a
    `ResourceWarning`; PyPy closes it at some later garbage collection; and if an exception
    keeps the frame alive (a stored traceback), it stays open until that is gone.

    ## Example
    ```python
    def size_of(path):
        return len(open(path).read())
    ```

    ## Use instead
    ```python
    from pathlib import Path


    def size_of(path):
        return len(Path(path).read_text())
    ```

    ## Fix safety
    The fix is safe: it hoists the resource into a `with` statement around the statement that
    uses it (`with open(path) as f:` then `return len(f.read())`; a `for` loop over the
    resource goes inside the `with`), so the resource is closed when that statement ends,
    which is when CPython's reference count closed it anyway. It is applied only where that
    provably changes nothing else, and skipped (with the reason) otherwise:

    - the factory must be one whose `with` closes the object and binds the object itself
      (files, archives, sockets, selectors, `urlopen`, `Path.open`); not `sqlite3.connect`
      (its `with` only commits) nor `TemporaryDirectory` (it binds a path);
    - the statement must be done with the resource when it ends: the resource goes into a
      method that reads or writes at once (`.read()`, `.write()`, `.readlines()`...), into a
      function that consumes it (`json.load`, `list`, `sum`..., also through `csv.reader`
      and other lazy wrappers consumed in the statement), is iterated by the `for` statement
      or an eager comprehension, or is discarded (`with open(p, "w"):` / `pass`);
    - nothing the statement evaluates before the call may have an effect (only names,
      dotted names and literals), the call must run on every path (not behind `and`/`or`,
      a conditional expression, a lambda or a comprehension clause), and the statement must
      not `await` or `yield`;
    - a resource that may be written to must be the last thing the statement uses;
    - the statement must have its own line, in a function or at module level (in a class
      body the new name would become a class attribute; a `while`/`if` condition, a default
      argument or a decorator is not a statement of its own), and its scope must not call
      `locals()`, `vars()`, `dir()`, `exec` or `eval`, which would see the new name.

    The new name is `f` (`sock`, `response`, `archive`... by kind), or `f2`... when the
    function already uses it. `open(p).read()` is not turned into `Path(p).read_text()`:
    `open` also accepts a file descriptor or a bytes path, which `Path` does not.

    ## References
    - [pathlib.Path.read_text](https://docs.python.org/3/library/pathlib.html#pathlib.Path.read_text)
    - [Python Development Mode: ResourceWarning](https://docs.python.org/3/library/devmode.html#resourcewarning-example)
    """

    code = "GCL102"
    name = "resource-in-expression"
    summary = "a resource is created and used inside an expression without being bound or closed"
    message = "{noun} {verb} by '{label}()' is {how} but never closed; {advice}"
    fix_safety = FixSafety.SAFE
    fix_title = "Hoist into 'with'"
    references = ("https://docs.python.org/3/library/pathlib.html#pathlib.Path.read_text",)

    invalid = (
        Example(
            """
            def size_of(path):
                return len(open(path).read())
            """,
            expect=((2, 16),),
            trigger="""
            from pathlib import Path

            Path("a.txt").write_text("alpha")
            size_of("a.txt")
            """,
            note="both pylint R1732 and ruff SIM115 miss this one",
            fixed="""
            def size_of(path):
                with open(path) as f:
                    return len(f.read())
            """,
        ),
        Example(
            """
            import json


            def load_config(path):
                return json.load(open(path))
            """,
            expect=((5, 22),),
            trigger="""
            from pathlib import Path

            Path("config.json").write_text("{}")
            load_config("config.json")
            """,
            fixed="""
            import json


            def load_config(path):
                with open(path) as f:
                    return json.load(f)
            """,
        ),
        Example(
            """
            def count_errors(path):
                errors = 0
                for line in open(path):
                    errors += "ERROR" in line
                return errors
            """,
            expect=((3, 17),),
            trigger="""
            from pathlib import Path

            Path("app.log").write_text("ERROR a\\nok\\n")
            count_errors("app.log")
            """,
            fixed="""
            def count_errors(path):
                errors = 0
                with open(path) as f:
                    for line in f:
                        errors += "ERROR" in line
                return errors
            """,
        ),
        Example(
            """
            from pathlib import Path


            def size(path: Path):
                return len(path.open("rb").read())
            """,
            expect=((5, 16),),
            trigger="""
            Path("data.bin").write_bytes(b"abc")
            size(Path("data.bin"))
            """,
            note="the receiver is a Path (from the annotation)",
            fixed="""
            from pathlib import Path


            def size(path: Path):
                with path.open("rb") as f:
                    return len(f.read())
            """,
        ),
    )
    valid = (
        Example(
            """
            def touch(path):
                open(path, "a").close()
            """,
            trigger='touch("touched.txt")',
            note="the touch idiom closes at once",
        ),
        Example(
            """
            from pathlib import Path


            def size_of(path):
                return len(Path(path).read_text())
            """,
            trigger="""
            Path("a.txt").write_text("alpha")
            size_of("a.txt")
            """,
        ),
        Example(
            """
            import io


            def text_stream(path):
                return io.TextIOWrapper(open(path, "rb"), encoding="utf-8")
            """,
            trigger="""
            from pathlib import Path

            Path("a.txt").write_text("alpha")
            text_stream("a.txt").close()
            """,
            note="the wrapper owns (and closes) the file",
        ),
        Example(
            """
            def open_all(paths):
                return [open(path) for path in paths]
            """,
            trigger="""
            from pathlib import Path

            Path("a.txt").write_text("alpha")
            for f in open_all(["a.txt"]):
                f.close()
            """,
            note="returned: the caller owns them",
        ),
        Example(
            """
            import pytest


            def test_a_missing_file_is_an_error():
                with pytest.raises(FileNotFoundError):
                    open("missing.txt").read()
            """,
            path="test_example.py",
            trigger="test_a_missing_file_is_an_error()",
            note="a test that expects the construction to raise (also unittest's assertRaises)",
        ),
    )
    truth = leak_truth()

    def visit_Call(self, node: ast.Call) -> None:
        parent = self.ctx.parent()
        expr: ast.AST = node
        if isinstance(parent, ast.Await) and parent.value is node:
            expr, parent = parent, self._grandparent()
        how = self._unbound_use(node, expr, parent)  # cheap: only then ask what it returns
        if how is None or self._expected_to_raise():
            return
        facts = self.ctx.shared(ResourceFacts)
        # astroid is asked what the receiver of ``x.open()`` is (names could not say) only when
        # the opened object is used: a discarded ``x.open(...)`` statement is an object opening
        # itself (``pool.open()``, ``xhr.open(method, url)``, Django's ``file.open(mode)``):
        # 3 of the 4 receivers the corpus sent to astroid, 0.1-0.35 s each, none an opener.
        # A discarded ``Path(p).open()`` is still reported (names tell what the receiver is).
        opener = isinstance(node.func, ast.Attribute) and node.func.attr == "open"
        infer = opener and how != "discarded"
        rtype = facts.classify(expr, self.ctx.scope_chain(), infer=infer)
        if rtype is None or rtype is PROVISIONAL or rtype.kind == "process":
            return  # not a resource (or not known to be one); processes: GCL108
        if how == "iterated" and rtype.closes_when_exhausted:
            return  # fileinput closes each file as it is exhausted
        if rtype.kind == "user" and how.startswith("used through"):
            return  # ``Client(...).get()``: a project object may own nothing (not sure: silent)
        label = ast.unparse(node.func)
        advice = rtype.advice(label, rtype.var)
        self.report(node, noun=rtype.noun, verb="opened", label=label, how=how, advice=advice)

    def _grandparent(self) -> ast.AST | None:
        return self.ctx.ancestors[-2] if len(self.ctx.ancestors) > 1 else None

    def _expected_to_raise(self) -> bool:
        """In the body of ``with pytest.raises(...):`` or ``with self.assertRaises(...):`` (in
        the same scope): the test expects the construction to raise, not to leak."""
        for node, child in self.ctx.walk_up():
            if isinstance(node, (*FUNCTION_TYPES, ast.Lambda, ast.ClassDef)):
                return False
            if isinstance(node, (ast.With, ast.AsyncWith)) and not isinstance(child, ast.withitem):
                for item in node.items:
                    func = (
                        item.context_expr.func if isinstance(item.context_expr, ast.Call) else None
                    )
                    if isinstance(func, ast.Attribute) and func.attr in ASSERT_RAISES:
                        return True
                    if func is not None and self.ctx.qualname(func) == "pytest.raises":
                        return True
        return False

    def _unbound_use(self, call: ast.Call, expr: ast.AST, parent: ast.AST | None) -> str | None:
        """How the unbound resource is used, if that leaks it (None when it is fine)."""
        if isinstance(parent, ast.Attribute) and parent.value is expr:
            owner = self.ctx.ancestors[-2] if len(self.ctx.ancestors) > 1 else None
            if (
                isinstance(owner, ast.Call)
                and owner.func is parent
                and parent.attr
                in (
                    "close",
                    "__exit__",
                )
            ):
                return None  # open(p).close(): the touch idiom
            return f"used through '.{parent.attr}'"
        iterated = isinstance(parent, (ast.For, ast.AsyncFor, ast.comprehension))
        if iterated and getattr(parent, "iter", None) is expr:
            return "iterated"
        if isinstance(parent, ast.Expr):
            return "discarded"
        owner_call = parent
        if isinstance(parent, (ast.keyword, ast.Starred)):
            index = self.ctx.ancestors.index(parent)
            owner_call = self.ctx.ancestors[index - 1] if index else None
        if isinstance(owner_call, ast.Call) and owner_call.func is not expr:
            func = owner_call.func
            if isinstance(func, ast.Attribute) and func.attr in OWNERSHIP_METHODS:
                return None
            qual = self.ctx.qualname(func)
            if qual in OWNERSHIP_TAKERS:
                return None
            if qual in BORROWERS:
                return f"passed to '{ast.unparse(func)}()'"
            return None  # an unknown callee may keep it: not sure, so silent
        return None


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

    ## Example
    ```python
    import sqlite3


    def add_user(path, name):
        with sqlite3.connect(path) as conn:
            conn.execute("insert into users values (?)", (name,))
    ```

    ## Use instead
    ```python
    import contextlib
    import sqlite3


    def add_user(path, name):
        with contextlib.closing(sqlite3.connect(path)) as conn, conn:
            conn.execute("insert into users values (?)", (name,))
    ```

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
        facts = self.ctx.shared(ResourceFacts)
        found = facts.found_in(scope)  # the first of these rules to leave a scope computes them
        if found is None:
            found = facts.findings(scope, self.ctx.scope_chain(scope))
        for finding in found:
            if finding.code == self.code:
                fmt = dict(finding.fmt)
                self.report(finding.node, subject=f"'with {fmt['name']}:'", **fmt)


LOCK_FACTORIES = frozenset(
    {
        "threading.Lock",
        "threading.RLock",
        "threading.Semaphore",
        "threading.BoundedSemaphore",
        "threading.Condition",
        "_thread.allocate_lock",
        "_thread.RLock",
        "multiprocessing.Lock",
        "multiprocessing.RLock",
        "multiprocessing.Semaphore",
        "multiprocessing.BoundedSemaphore",
        "multiprocessing.Condition",
        "asyncio.Lock",
        "asyncio.Semaphore",
        "asyncio.BoundedSemaphore",
        "asyncio.Condition",
    }
)


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

    ## Example
    ```python
    import threading

    _lock = threading.Lock()
    _counts = {}


    def record(key):
        _lock.acquire()
        _counts[key] = _counts.get(key, 0) + 1
        _lock.release()
    ```

    ## Use instead
    ```python
    import threading

    _lock = threading.Lock()
    _counts = {}


    def record(key):
        with _lock:
            _counts[key] = _counts.get(key, 0) + 1
    ```

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


@register
class ResourceReboundBeforeClose(_ScopeFindings):
    """
    ## What it does
    Finds a name that holds an open resource being assigned another value (often a second
    resource) before the first is closed, including the next iteration of a loop that skipped
    the close with `continue`.

    ## Why is this bad?
    The first resource is no longer reachable by name, so nothing will close it: it leaks until
    the garbage collector finalizes it, with a `ResourceWarning`.

    ## Example
    ```python
    def copy_file(src, dst):
        f = open(src)
        data = f.read()
        f = open(dst, "w")
        f.write(data)
        f.close()
    ```

    ## Use instead
    ```python
    def copy_file(src, dst):
        with open(src) as f:
            data = f.read()
        with open(dst, "w") as f:
            f.write(data)
    ```

    ## Fix safety
    There is no automatic fix.

    ## References
    - [The with statement](https://docs.python.org/3/reference/compound_stmts.html#the-with-statement)
    """

    code = "GCL107"
    name = "resource-rebound-before-close"
    summary = "a name holding an unclosed resource is assigned another value, leaking the first"
    message = (
        "{noun} {verb} by '{label}()' at line {line} is still open when '{name}' is rebound at "
        "line {rebind_line}: nothing can close it any more; close it first, or use 'with'"
    )
    references = (WITH_DOCS,)

    invalid = (
        Example(
            """
            def copy_file(src, dst):
                f = open(src)
                data = f.read()
                f = open(dst, "w")
                f.write(data)
                f.close()
            """,
            expect=((2, 9),),
            trigger="""
            from pathlib import Path

            Path("src.txt").write_text("payload")
            copy_file("src.txt", "dst.txt")
            """,
        ),
        Example(
            """
            def non_empty(paths):
                found = []
                for path in paths:
                    f = open(path)
                    if not f.read(1):
                        continue
                    found.append(path)
                    f.close()
                return found
            """,
            expect=((4, 13),),
            trigger="""
            from pathlib import Path

            Path("empty.txt").write_text("")
            Path("full.txt").write_text("x")
            non_empty(["empty.txt", "full.txt"])
            """,
            note="'continue' skips the close; the next iteration rebinds the name",
        ),
    )
    valid = (
        Example(
            """
            def copy_file(src, dst):
                with open(src) as f:
                    data = f.read()
                with open(dst, "w") as f:
                    f.write(data)
            """,
            trigger="""
            from pathlib import Path

            Path("src.txt").write_text("payload")
            copy_file("src.txt", "dst.txt")
            """,
        ),
        Example(
            """
            import io


            def text_reader(path):
                f = open(path, "rb")
                f = io.TextIOWrapper(f, encoding="utf-8")
                return f
            """,
            trigger="""
            from pathlib import Path

            Path("a.txt").write_text("alpha")
            text_reader("a.txt").close()
            """,
            note="the new value wraps, and owns, the old one",
        ),
    )
    truth = leak_truth()


@register
class ProcessNotWaited(_ScopeFindings):
    """
    ## What it does
    Finds a `subprocess.Popen` that is never waited for: no `wait()`, `communicate()` or
    `poll()`, not used as a `with` item, and not handed on (returned, stored). A `Popen(...)`
    whose result is discarded is reported too.

    ## Why is this bad?
    A child process that exits stays a zombie in the process table until its parent waits for
    it; Python only reaps it later, opportunistically, and warns `ResourceWarning: subprocess
    N is still running` when the `Popen` object is collected. Its exit status, and any failure,
    is lost.

    ## Example
    ```python
    import subprocess
    import sys


    def start_worker(args):
        proc = subprocess.Popen([sys.executable, "worker.py", *args])
        print("started worker", proc.pid)
    ```

    ## Use instead
    ```python
    import subprocess
    import sys


    def run_worker(args):
        with subprocess.Popen([sys.executable, "worker.py", *args]) as proc:
            print("started worker", proc.pid)
        return proc.returncode
    ```

    ## Fix safety
    There is no automatic fix: where to wait depends on the program.

    ## Options
    - `allow-detached-processes` (default `false`): do not report processes started with
      `start_new_session=True` (or `process_group=`, `creationflags=`), fire-and-forget by
      design.

    ## References
    - [Popen objects](https://docs.python.org/3/library/subprocess.html#popen-objects)
    """

    code = "GCL108"
    name = "process-not-waited"
    summary = "a subprocess.Popen that is never waited for"
    message = (
        "process started by '{label}()' at line {line} is never waited for: it stays a zombie "
        "and its exit status is lost; call '{name}.wait()' or use 'with {label}(...) as {name}:'"
    )
    references = ("https://docs.python.org/3/library/subprocess.html#popen-objects",)

    invalid = (
        Example(
            """
            import subprocess
            import sys


            def start_worker(code):
                proc = subprocess.Popen([sys.executable, "-c", code])
                print("started worker", proc.pid)
            """,
            expect=((6, 12),),
            trigger='start_worker("pass")',
        ),
        Example(
            """
            import subprocess
            import sys


            def notify(message):
                subprocess.Popen([sys.executable, "-c", "import sys; sys.argv[1]", message])
            """,
            expect=((6, 5),),
            trigger='notify("done")',
            note="the Popen object is discarded at once",
        ),
    )
    valid = (
        Example(
            """
            import subprocess
            import sys


            def run_worker(code):
                with subprocess.Popen([sys.executable, "-c", code]) as proc:
                    print("started worker", proc.pid)
                return proc.returncode
            """,
            trigger='run_worker("pass")',
        ),
        Example(
            """
            import subprocess
            import sys


            def run_worker(code):
                proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE)
                out, _ = proc.communicate()
                return out
            """,
            trigger='run_worker("print(1)")',
        ),
        Example(
            """
            import subprocess
            import sys


            def run_worker(code):
                return subprocess.Popen([sys.executable, "-c", code]).wait()
            """,
            trigger='run_worker("pass")',
        ),
    )
    truth = leak_truth()

    def visit_Expr(self, node: ast.Expr) -> None:
        value = node.value
        if not isinstance(value, ast.Call):
            return
        rtype = self.ctx.shared(ResourceFacts).classify(value, self.ctx.scope_chain())
        if rtype is None or rtype.kind != "process":
            return
        if is_detached(value) and self.ctx.config.allow_detached_processes:
            return
        self.report(value, label=ast.unparse(value.func), line=value.lineno, name=rtype.var)
