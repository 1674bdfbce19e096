"""GCL101/GCL103 and GCL106 fixers where the advice depends on the resource: ``async with`` for an
asynchronous one (only in an ``async def``), no ``with lock:`` for an acquire that can fail, and
the GCL102 fix binding the name its message names.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from fixer_harness import dedent, diagnostics, fixed, run_both, skipped

from gclint import Config
from gclint.analysis.catalogue import FACTORIES
from gclint.fixes import with_block as resources
from gclint.fixing import fix_source
from gclint.rules.resources import resource_in_expression_fix as expressions

ACLOSING = "a class of the module with 'async def aclose()': contextlib.aclosing"
ASYNC_FIXES: list[tuple[str, str, str, str]] = [
    (
        "aiohttp.ClientSession, its trailing close removed",
        "GCL103",
        """
        import aiohttp


        async def ping(url):
            session = aiohttp.ClientSession()
            await session.get(url)
            await session.close()
        """,
        """
        import aiohttp


        async def ping(url):
            async with aiohttp.ClientSession() as session:
                await session.get(url)
        """,
    ),
    (
        ACLOSING,
        "GCL101",
        """
        class Journal:
            def __init__(self, path):
                self._file = open(path, "a")

            async def write(self, line):
                self._file.write(line)

            async def aclose(self):
                self._file.close()


        async def record(path):
            journal = Journal(path)
            await journal.write("started")
        """,
        """
        import contextlib


        class Journal:
            def __init__(self, path):
                self._file = open(path, "a")

            async def write(self, line):
                self._file.write(line)

            async def aclose(self):
                self._file.close()


        async def record(path):
            async with contextlib.aclosing(Journal(path)) as journal:
                await journal.write("started")
        """,
    ),
    (
        "aclosing already imported from contextlib",
        "GCL103",
        """
        from contextlib import aclosing


        class Journal:
            def __init__(self, path):
                self._file = open(path, "a")

            async def write(self, line):
                self._file.write(line)

            async def aclose(self):
                self._file.close()


        async def record(path):
            journal = Journal(path)
            await journal.write("started")
            await journal.aclose()
        """,
        """
        from contextlib import aclosing


        class Journal:
            def __init__(self, path):
                self._file = open(path, "a")

            async def write(self, line):
                self._file.write(line)

            async def aclose(self):
                self._file.close()


        async def record(path):
            async with aclosing(Journal(path)) as journal:
                await journal.write("started")
        """,
    ),
]


@pytest.mark.parametrize(
    ("code", "source", "expected"), [c[1:] for c in ASYNC_FIXES], ids=[c[0] for c in ASYNC_FIXES]
)
def test_an_asynchronous_resource_gets_async_with(code: str, source: str, expected: str) -> None:
    assert fixed(dedent(source), code) == dedent(expected)
    result = fix_source(dedent(source), "example.py", Config(select=(code,)))
    assert result.text == dedent(expected)


ASYNC_SKIPS: list[tuple[str, str, str, str]] = [
    (
        "outside an async def",
        "GCL103",
        """
        import asyncio

        import httpx


        def ping(url):
            client = httpx.AsyncClient()
            asyncio.run(client.get(url))
            asyncio.run(client.aclose())
        """,
        "'async with' needs an 'async def', and the resource is acquired outside one",
    ),
    (
        "in a plain function nested in an async def",
        "GCL101",
        """
        class Journal:
            def __init__(self, path):
                self._file = open(path, "a")

            async def aclose(self):
                self._file.close()


        async def outer(path):
            def inner():
                journal = Journal(path)
                print(journal)

            inner()
        """,
        "'async with' needs an 'async def', and the resource is acquired outside one",
    ),
    (
        "a close() that is a coroutine: contextlib.closing would not await it",
        "GCL101",
        """
        class Channel:
            def __init__(self, path):
                self._file = open(path, "a")

            async def close(self):
                self._file.close()


        async def send(path):
            channel = Channel(path)
            print(channel)
        """,
        "'Channel.close()' is a coroutine: contextlib.closing() would not await it",
    ),
    (
        "an explicit close inside the block",
        "GCL103",
        """
        import httpx


        async def ping(url):
            client = httpx.AsyncClient()
            await client.get(url)
            await client.aclose()
            print(client.is_closed)
        """,
        "'client' is also closed inside the block (closing twice)",
    ),
]


@pytest.mark.parametrize(
    ("code", "source", "reason"), [c[1:] for c in ASYNC_SKIPS], ids=[c[0] for c in ASYNC_SKIPS]
)
def test_no_async_fix_where_async_with_cannot_go(code: str, source: str, reason: str) -> None:
    assert skipped(dedent(source), code) == reason


def test_an_aclose_fix_closes_and_keeps_the_behaviour(tmp_path: Path) -> None:
    source = dedent({name: text for name, _, text, _ in ASYNC_FIXES}[ACLOSING])
    after = fixed(source, "GCL101")
    before_run, after_run = run_both(
        source,
        after,
        """
        import asyncio
        from pathlib import Path

        asyncio.run(record("journal.txt"))
        print(Path("journal.txt").read_text())
        """,
        tmp_path,
    )
    assert "ResourceWarning" in before_run.stderr, before_run.stderr  # the test can fail
    assert after_run.returncode == 0, after_run.stderr
    assert after_run.stdout == before_run.stdout == "started\n"


# -- GCL106: no 'with lock:' for an acquire that can fail -----------------------------------------

LOCK = """
import threading

_lock = threading.Lock()


def update(d):
    _lock.acquire({args})
    d["n"] = 1 / d["m"]
    _lock.release()
"""


@pytest.mark.parametrize("args", ["blocking=False", "False", "timeout=1", "True, 0.5", "True"])
def test_no_lock_fix_for_an_acquire_with_arguments(args: str) -> None:
    source = dedent(LOCK.format(args=args))
    assert skipped(source, "GCL106") == (
        "acquire() has arguments (a timeout or blocking=False can fail)"
    )
    result = fix_source(source, "example.py", Config(select=("GCL106",)))
    assert result.text == source
    assert [s.reason for s in result.skipped] == [
        "fix skipped: acquire() has arguments (a timeout or blocking=False can fail)"
    ]


def test_a_plain_acquire_is_still_fixed() -> None:
    assert fixed(dedent(LOCK.format(args="")), "GCL106") == dedent(
        """
        import threading

        _lock = threading.Lock()


        def update(d):
            with _lock:
                d["n"] = 1 / d["m"]
        """
    )


# -- GCL102: the fix binds the name the message names ----------------------------------------------


@pytest.mark.parametrize(
    ("expr", "name"),
    [
        ("open(path).read()", "f"),
        ("socket.create_connection(path).recv(1)", "sock"),
        ("urllib.request.urlopen(path).read()", "response"),
        ("zipfile.ZipFile(path).namelist()", "archive"),
        ("shelve.open(path).keys()", None),
    ],
)
def test_the_gcl102_fix_binds_the_name_its_message_names(expr: str, name: str | None) -> None:
    source = dedent(
        f"""
        import shelve
        import socket
        import urllib.request
        import zipfile


        def use(path):
            return {expr}
        """
    )
    (diagnostic,) = diagnostics(source, "GCL102")
    if name is None:  # '.keys()' may still need the shelf: no fix, the message still names one
        assert "as shelf:'" in diagnostic.message
        return
    assert diagnostic.message.endswith(f" as {name}:'"), diagnostic.message
    assert f" as {name}:\n" in fixed(source, "GCL102")


def test_what_with_closes_is_one_list_of_the_catalogue() -> None:
    """Both fixes that write ``with`` read the catalogue's one list, which names only
    factories of the catalogue whose own context manager is what the advice says."""
    from gclint.analysis import catalogue

    assert resources.__dict__["WITH_CLOSES"] is catalogue.WITH_CLOSES
    assert expressions.__dict__["WITH_CLOSES"] is catalogue.WITH_CLOSES
    assert resources.__dict__["ASYNC_WITH_CLOSES"] is catalogue.ASYNC_WITH_CLOSES
    for name in catalogue.ASYNC_WITH_CLOSES:
        assert FACTORIES[name].manager == "async with", name
    for name in catalogue.WITH_CLOSES:
        assert FACTORIES[name].manager == "with", name
        assert FACTORIES[name].context_manager_closes, name


def test_each_with_fix_knows_the_factories_the_other_knew() -> None:
    """The two lists of what ``with`` closes were one each and disagreed: GCL101's fix did not
    know ``io.FileIO`` and GCL102's did not know ``requests.Session``."""
    source = dedent(
        """
        import io


        def head(path):
            raw = io.FileIO(path)
            data = raw.read(16)
            raw.close()
            return data
        """
    )
    assert "    with io.FileIO(path) as raw:\n" in fixed(source, "GCL103")
    assert "requests.Session" in expressions.__dict__["WITH_CLOSES"]
