"""GCL103 close-not-exception-safe."""

from __future__ import annotations

from typing import TYPE_CHECKING

from gclint.diagnostics import FixSafety
from gclint.registry import Example, register

if TYPE_CHECKING:
    pass
from gclint.rules.resources._shared import WITH_DOCS, ScopeFindings
from gclint.rules.resources._truth import leak_truth, with_server


@register
class CloseNotExceptionSafe(ScopeFindings):
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
            doc=True,
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
        Example(
            """
            import json


            def load(path):
                with open(path) as f:
                    return json.load(f)
            """,
            trigger="""
            from pathlib import Path

            Path("broken.json").write_text("{not json")
            try:
                load("broken.json")
            except ValueError:
                pass
            """,
            doc=True,
        ),
    )
    truth = leak_truth()
