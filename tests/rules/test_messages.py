"""Advice that fits the code: each message names the statement that fits the resource, with the
code's own names (rules.md, "Messages fit the code").

Every case is a small module and the exact messages gclint must give for it: `async with` for an
asynchronous resource, a checked result for a lock acquire that can fail, the code's own name
(or the kind's), one noun per class, ``os.waitpid`` as a wait, nothing inside
``pytest.raises``, and a method cache's advice that is not a cycle of its own.
"""

from __future__ import annotations

import textwrap

import pytest

from gclint import Config, check_source
from gclint.analysis.catalogue import FACTORIES
from gclint.docs import sections
from gclint.rules import REGISTRY


def messages(source: str, code: str, path: str = "example.py") -> list[tuple[int, str]]:
    text = textwrap.dedent(source).lstrip("\n")
    found = check_source(text, path, Config(select=(code,)))
    assert not [d for d in found if d.is_error], found
    return [(d.line, d.message) for d in found if d.code == code]


# -- 1. an asynchronous resource gets 'async with' ------------------------------------------------

ASYNC: list[tuple[str, str, str, list[tuple[int, str]]]] = [
    (
        "httpx.AsyncClient never closed",
        "GCL101",
        """
        import httpx


        async def fetch(url):
            client = httpx.AsyncClient()
            response = await client.get(url)
            return response.json()
        """,
        [
            (
                5,
                "HTTP client opened by 'httpx.AsyncClient()' at line 5 is never closed; "
                "use 'async with httpx.AsyncClient(...) as client:'",
            )
        ],
    ),
    (
        "aiohttp.ClientSession closed on the normal path only",
        "GCL103",
        """
        import aiohttp


        async def fetch(url):
            http = aiohttp.ClientSession()
            await http.get(url)
            await http.close()
        """,
        [
            (
                5,
                "HTTP session opened by 'aiohttp.ClientSession()' at line 5 is not closed if "
                "'await' raises; use 'async with aiohttp.ClientSession(...) as http:'",
            )
        ],
    ),
    (
        "an unbound asynchronous client",
        "GCL102",
        """
        import httpx


        async def status(url):
            return (await httpx.AsyncClient().get(url)).status_code
        """,
        [
            (
                5,
                "HTTP client opened by 'httpx.AsyncClient()' is used through '.get' but never "
                "closed; use 'async with httpx.AsyncClient(...) as client:'",
            )
        ],
    ),
    (
        "a class of the module with only __aenter__/__aexit__",
        "GCL101",
        """
        class Channel:
            def __init__(self, path):
                self._file = open(path, "a")

            async def __aenter__(self):
                return self

            async def __aexit__(self, *exc):
                await self.close()

            async def close(self):
                self._file.close()


        async def send(path):
            channel = Channel(path)
            print(channel)
        """,
        [
            (
                16,
                "'Channel' object opened by 'Channel()' at line 16 is never closed; "
                "use 'async with Channel(...) as channel:'",
            )
        ],
    ),
    (
        "a class of the module whose release is 'async def aclose()'",
        "GCL101",
        """
        class Journal:
            def __init__(self, path):
                self._file = open(path, "a")

            async def aclose(self):
                self._file.close()


        async def record(path):
            journal = Journal(path)
            print(journal)
        """,
        [
            (
                10,
                "'Journal' object opened by 'Journal()' at line 10 is never closed; "
                "use 'async with contextlib.aclosing(Journal(...)) as journal:'",
            )
        ],
    ),
    (
        "aiosqlite's connection has 'async with', asyncpg's has not",
        "GCL101",
        """
        import aiosqlite
        import asyncpg


        async def lite(path):
            db = await aiosqlite.connect(path)
            await db.execute("select 1")


        async def pg(dsn):
            conn = await asyncpg.connect(dsn)
            await conn.fetch("select 1")
        """,
        [
            (
                6,
                "database connection opened by 'aiosqlite.connect()' at line 6 is never closed; "
                "use 'async with aiosqlite.connect(...) as db:'",
            ),
            (
                11,
                "database connection opened by 'asyncpg.connect()' at line 11 is never closed; "
                "call 'await conn.close()' in a 'finally:' block",
            ),
        ],
    ),
    (
        "an awaited asyncio lock",
        "GCL106",
        """
        import asyncio

        _lock = asyncio.Lock()


        async def bump(state):
            await _lock.acquire()
            state["n"] += 1
            _lock.release()
        """,
        [
            (
                7,
                "'_lock.acquire()' is released only on the normal path: if a statement after it "
                "raises, the lock stays held and other tasks deadlock; use 'async with _lock:'",
            )
        ],
    ),
]


@pytest.mark.parametrize(
    ("code", "source", "expected"), [c[1:] for c in ASYNC], ids=[c[0] for c in ASYNC]
)
def test_asynchronous_resources_get_async_with(
    code: str, source: str, expected: list[tuple[int, str]]
) -> None:
    assert messages(source, code) == expected


# -- 2. a lock acquire that can fail: check its result --------------------------------------------

LOCK = """
import threading

_lock = threading.Lock()


def update(d):
    _lock.acquire({args})
    d["n"] = 1 / d["m"]
    _lock.release()
"""


@pytest.mark.parametrize("args", ["blocking=False", "False", "timeout=0.5", "True, 5", "0"])
def test_an_acquire_that_can_fail_is_told_to_check_its_result(args: str) -> None:
    call = f"_lock.acquire({args})"
    assert messages(LOCK.format(args=args), "GCL106") == [
        (
            7,
            f"'{call}' is released only on the normal path: it may return False, and if a "
            f"statement after it raises, the lock stays held; check its result ('if {call}:') "
            "and release in 'finally:' only when it returned True",
        )
    ]


@pytest.mark.parametrize("args", ["", "True", "blocking=True", "timeout=-1", "True, -1"])
def test_an_acquire_that_waits_is_told_to_use_with(args: str) -> None:
    assert messages(LOCK.format(args=args), "GCL106") == [
        (
            7,
            f"'_lock.acquire({args})' is released only on the normal path: if a statement "
            "after it raises, the lock stays held and other threads deadlock; use 'with _lock:'",
        )
    ]


def test_a_never_released_non_blocking_acquire() -> None:
    source = """
    import threading

    _lock = threading.Lock()


    def grab():
        _lock.acquire(blocking=False)
    """
    assert messages(source, "GCL106") == [
        (
            7,
            "'_lock.acquire(blocking=False)' is never released: it may return False, and if a "
            "statement after it raises, the lock stays held; check its result "
            "('if _lock.acquire(blocking=False):') and release in 'finally:' only when it "
            "returned True",
        )
    ]


# -- 3. the name in the advice is the code's own (or the kind's, for an unbound resource) ---------


def test_the_code_s_own_name() -> None:
    source = """
    import httpx


    def fetch(url):
        client = httpx.Client()
        return client.get(url).text
    """
    assert messages(source, "GCL101") == [
        (
            5,
            "HTTP client opened by 'httpx.Client()' at line 5 is never closed; "
            "use 'with httpx.Client(...) as client:'",
        )
    ]


UNBOUND = [
    ("open(path).read()", "file opened by 'open()' is used through '.read'", "with open", "f"),
    (
        "socket.create_connection(path).recv(1)",
        "socket opened by 'socket.create_connection()' is used through '.recv'",
        "with socket.create_connection",
        "sock",
    ),
    (
        "urllib.request.urlopen(path).read()",
        "HTTP response opened by 'urllib.request.urlopen()' is used through '.read'",
        "with urllib.request.urlopen",
        "response",
    ),
    (
        "zipfile.ZipFile(path).namelist()",
        "archive opened by 'zipfile.ZipFile()' is used through '.namelist'",
        "with zipfile.ZipFile",
        "archive",
    ),
    (
        "sqlite3.connect(path).execute('select 1')",
        "database connection opened by 'sqlite3.connect()' is used through '.execute'",
        "with contextlib.closing(sqlite3.connect",
        "conn",
    ),
    (
        "requests.Session().get(path)",
        "HTTP session opened by 'requests.Session()' is used through '.get'",
        "with requests.Session",
        "session",
    ),
    (
        "os.read(os.open(path, os.O_RDONLY), 1)",
        "file descriptor opened by 'os.open()' is passed to 'os.read()'",
        "",
        "fd",
    ),
]


@pytest.mark.parametrize(("expr", "what", "statement", "name"), UNBOUND)
def test_an_unbound_resource_is_named_by_its_kind(
    expr: str, what: str, statement: str, name: str
) -> None:
    source = f"""
    import os
    import socket
    import sqlite3
    import urllib.request
    import zipfile

    import requests


    def use(path):
        return {expr}
    """
    advice = (
        f"use '{statement}(...)" + (")" if "closing" in statement else "") + f" as {name}:'"
        if statement
        else f"call 'os.close({name})' in a 'finally:' block"
    )
    assert messages(source, "GCL102") == [(11, f"{what} but never closed; {advice}")]


def test_a_with_item_without_a_name_is_named_by_its_kind() -> None:
    source = """
    import sqlite3


    def add(path):
        with sqlite3.connect(path):
            pass
    """
    assert messages(source, "GCL105") == [
        (
            5,
            "'with sqlite3.connect(...)' commits or rolls back but does not close the database "
            "connection; use 'with contextlib.closing(sqlite3.connect(...)) as conn, conn:'",
        )
    ]


# -- 4. one noun per class ------------------------------------------------------------------------

SAME_NOUN = [
    ("httpx.Client", "httpx.AsyncClient", "HTTP client"),
    ("requests.Session", "aiohttp.ClientSession", "HTTP session"),
    ("requests.session", "requests.sessions.Session", "HTTP session"),
    ("urllib3.PoolManager", "urllib3.HTTPSConnectionPool", "connection pool"),
    ("socket.socket", "socket.create_connection", "socket"),
    ("sqlite3.connect", "aiosqlite.connect", "database connection"),
    ("multiprocessing.pool.ThreadPool", "multiprocessing.dummy.Pool", "thread pool"),
    ("multiprocessing.Pool", "multiprocessing.pool.Pool", "process pool"),
    ("smtplib.SMTP", "http.client.HTTPConnection", "network connection"),
]


@pytest.mark.parametrize(("first", "second", "noun"), SAME_NOUN)
def test_one_noun_per_kind_of_resource(first: str, second: str, noun: str) -> None:
    assert FACTORIES[first].noun == FACTORIES[second].noun == noun


def test_the_sync_and_async_client_are_both_http_clients_in_messages() -> None:
    source = """
    import httpx


    async def fetch(url):
        a = httpx.Client()
        b = httpx.AsyncClient()
        print(a, b)
    """
    assert [m.split(" opened")[0] for _, m in messages(source, "GCL101")] == [
        "HTTP client",
        "HTTP client",
    ]


# -- 5. os.waitpid / os.wait4 on the process's pid is a wait --------------------------------------


@pytest.mark.parametrize(
    "wait",
    ["os.waitpid(proc.pid, 0)", "_, status = os.waitpid(proc.pid, 0)", "os.wait4(proc.pid, 0)"],
)
def test_waiting_for_the_pid_waits_for_the_process(wait: str) -> None:
    source = f"""
    import os
    import subprocess
    import sys


    def run(code):
        proc = subprocess.Popen([sys.executable, "-c", code])
        {wait}
    """
    assert messages(source, "GCL108") == []


def test_other_uses_of_the_pid_do_not_wait() -> None:
    source = """
    import os
    import signal
    import subprocess
    import sys
    from os import waitpid


    def stop(code):
        proc = subprocess.Popen([sys.executable, "-c", code])
        os.kill(proc.pid, signal.SIGTERM)


    def wrong_pid(code, other):
        proc = subprocess.Popen([sys.executable, "-c", code])
        waitpid(other.pid, 0)
    """
    assert messages(source, "GCL108") == [
        (
            9,
            "process started by 'subprocess.Popen()' at line 9 is never waited for: it stays "
            "a zombie and its exit status is lost; call 'proc.wait()' or use "
            "'with subprocess.Popen(...) as proc:'",
        ),
        (
            14,
            "process started by 'subprocess.Popen()' at line 14 is never waited for: it stays "
            "a zombie and its exit status is lost; call 'proc.wait()' or use "
            "'with subprocess.Popen(...) as proc:'",
        ),
    ]


# -- 6. nothing inside a block the test expects to raise ------------------------------------------

RAISES = [
    ("import pytest", "pytest.raises(FileNotFoundError)"),
    ("import pytest as pt", "pt.raises(FileNotFoundError)"),
    ("from pytest import raises", "raises(FileNotFoundError)"),
    ("from pytest import raises as expect_error", "expect_error(FileNotFoundError)"),
    ("import unittest", "self.assertRaises(FileNotFoundError)"),
    ("import unittest", "self.assertRaisesRegex(FileNotFoundError, 'missing')"),
]


@pytest.mark.parametrize(("imports", "manager"), RAISES)
def test_a_construction_the_test_expects_to_raise_is_not_reported(
    imports: str, manager: str
) -> None:
    source = f"""
    {imports}


    class TestConfig:
        def test_missing(self, tmp_path):
            with {manager}:
                open(tmp_path / "missing.txt").read()
            return open(tmp_path / "present.txt").read()
    """
    assert messages(source, "GCL102", "test_config.py") == [
        (
            8,
            "file opened by 'open()' is used through '.read' but never closed; "
            "use 'with open(...) as f:'",
        )
    ]


def test_a_raises_of_something_else_is_not_an_expectation() -> None:
    source = """
    import pytest


    def raises(error):
        return pytest.warns(UserWarning)


    def test_missing(tmp_path):
        with raises(OSError):
            open(tmp_path / "a.txt").read()
        with pytest.raises(OSError):
            def later():
                return open(tmp_path / "b.txt").read()
            later()
    """
    assert [line for line, _ in messages(source, "GCL102", "test_it.py")] == [10, 13]


# -- 7. a method cache: how many instances it keeps, and advice that is no cycle ------------------

CACHE = """
import functools


class Service:
    @{decorator}
    def {method}:
        return 1
"""
BOUNDED = "keep a dict of results on the instance instead, keyed by the arguments"
NO_ARGUMENTS = "use functools.cached_property, which stores the value on the instance"


@pytest.mark.parametrize(
    ("decorator", "method", "kept", "advice"),
    [
        ("functools.lru_cache", "total(self)", "up to 128 instances alive", NO_ARGUMENTS),
        ("functools.lru_cache()", "price(self, sku)", "up to 128 instances alive", BOUNDED),
        (
            "functools.lru_cache(maxsize=1024)",
            "price(self, sku)",
            "up to 1024 instances alive",
            BOUNDED,
        ),
        ("functools.lru_cache(16)", "price(self, sku)", "up to 16 instances alive", BOUNDED),
        (
            "functools.lru_cache(maxsize=None)",
            "price(self, sku)",
            "every instance alive for as long as the program runs",
            BOUNDED,
        ),
        (
            "functools.cache",
            "total(self)",
            "every instance alive for as long as the program runs",
            NO_ARGUMENTS,
        ),
    ],
)
def test_method_cache_says_how_many_instances_it_keeps(
    decorator: str, method: str, kept: str, advice: str
) -> None:
    name = method.split("(", 1)[0]
    assert messages(CACHE.format(decorator=decorator, method=method), "GCL307") == [
        (
            5,
            f"'@{decorator}' on method '{name}' keeps {kept}: the shared cache holds 'self' in "
            f"its keys; {advice}",
        )
    ]


def test_a_cache_of_size_zero_keeps_nothing() -> None:
    source = CACHE.format(decorator="functools.lru_cache(maxsize=0)", method="price(self, sku)")
    assert messages(source, "GCL307") == []


def test_the_suggested_replacement_is_clean_and_is_no_cycle() -> None:
    rule = REGISTRY.get("GCL307")
    assert rule is not None
    use_instead = sections(rule)["Use instead"]
    code = use_instead.split("```python\n", 1)[1].split("```", 1)[0]
    assert "self._prices = {}" in code
    assert "lru_cache" not in code  # not ``self.price = functools.lru_cache()(self._price)``
    assert check_source(code, "example.py", Config(select=("GCL",))) == []
    for example in rule.valid:
        assert "lru_cache()(self" not in example.source
        assert "lru_cache(maxsize=1024)(self" not in example.source
