"""GCL101 unclosed-resource."""

from __future__ import annotations

from typing import TYPE_CHECKING

from gclint.diagnostics import FixSafety
from gclint.registry import Example, register

if TYPE_CHECKING:
    pass
from gclint.rules.resources._shared import WITH_DOCS, ScopeFindings
from gclint.rules.resources._truth import leak_truth, with_server

DEV_MODE_DOCS = "https://docs.python.org/3/library/devmode.html#resourcewarning-example"


@register
class UnclosedResource(ScopeFindings):
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

    ## Use instead

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
            doc=True,
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
            doc=True,
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
