"""GCL102 fixer (resource-in-expression): hoisting the resource into ``with``, case by case.

Each positive case is the exact text the fixer must produce; each skip case names the reason
the fixer must give. The behaviour tests run the code before and after the fix under
``-X dev -W error::ResourceWarning``: before, the resource warning shows; after, it does not,
and the program prints the same.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from fixer_harness import dedent, fixed, invalid_source, run_both, skipped

from gclint import Config
from gclint.fixing import fix_source

FIXES: list[tuple[str, str, str]] = [
    (
        "iterated by a for loop, comments kept, else clause inside",
        """
        def count_errors(path):
            errors = 0
            # scan the log
            for line in open(path):  # one line at a time
                errors += "ERROR" in line
            else:
                errors += 0
            return errors
        """,
        """
        def count_errors(path):
            errors = 0
            # scan the log
            with open(path) as f:
                for line in f:  # one line at a time
                    errors += "ERROR" in line
                else:
                    errors += 0
            return errors
        """,
    ),
    (
        "enumerate over the file in a for loop",
        """
        def numbered(path):
            out = []
            for number, line in enumerate(open(path), start=1):
                out.append((number, line))
            return out
        """,
        """
        def numbered(path):
            out = []
            with open(path) as f:
                for number, line in enumerate(f, start=1):
                    out.append((number, line))
            return out
        """,
    ),
    (
        "Path.open in binary mode",
        """
        from pathlib import Path


        def checksum(path: Path):
            return hash(path.open("rb").read())
        """,
        """
        from pathlib import Path


        def checksum(path: Path):
            with path.open("rb") as f:
                return hash(f.read())
        """,
    ),
    (
        "module level assignment with a trailing comment",
        """
        import sys

        VERSION = open(sys.argv[0]).readline()  # first line
        """,
        """
        import sys

        with open(sys.argv[0]) as f:
            VERSION = f.readline()  # first line
        """,
    ),
    (
        "the name f is taken in the function: f2",
        """
        def apply(f, path):
            return f(open(path).read())
        """,
        """
        def apply(f, path):
            with open(path) as f2:
                return f(f2.read())
        """,
    ),
    (
        "eager list comprehension",
        """
        def stripped(path):
            lines = [line.strip() for line in open(path)]
            return lines
        """,
        """
        def stripped(path):
            with open(path) as f:
                lines = [line.strip() for line in f]
            return lines
        """,
    ),
    (
        "generator expression consumed by sum()",
        """
        def count_lines(path):
            return sum(1 for _ in open(path))
        """,
        """
        def count_lines(path):
            with open(path) as f:
                return sum(1 for _ in f)
        """,
    ),
    (
        "written through a csv writer in the same statement",
        """
        import csv


        def save(path, rows):
            csv.writer(open(path, "w", newline="")).writerows(rows)
        """,
        """
        import csv


        def save(path, rows):
            with open(path, "w", newline="") as f:
                csv.writer(f).writerows(rows)
        """,
    ),
    (
        "discarded: the with body is pass",
        """
        def touch(path):
            open(path, "w")  # create it
        """,
        """
        def touch(path):
            with open(path, "w"):  # create it
                pass
        """,
    ),
    (
        "an aliased urlopen binds 'response'",
        """
        from urllib.request import urlopen as fetch


        def get(url):
            return fetch(url).read()
        """,
        """
        from urllib.request import urlopen as fetch


        def get(url):
            with fetch(url) as response:
                return response.read()
        """,
    ),
    (
        "augmented assignment, nested blocks",
        """
        def total(paths):
            size = 0
            for path in paths:
                try:
                    size += len(open(path, "rb").read())
                except OSError:
                    pass
            return size
        """,
        """
        def total(paths):
            size = 0
            for path in paths:
                try:
                    with open(path, "rb") as f:
                        size += len(f.read())
                except OSError:
                    pass
            return size
        """,
    ),
    (
        "print with file= keyword: inert arguments before",
        """
        import sys


        def show(path):
            print("config:", open(path).read(), file=sys.stderr)
        """,
        """
        import sys


        def show(path):
            with open(path) as f:
                print("config:", f.read(), file=sys.stderr)
        """,
    ),
    (
        "gzip in text mode, a statement over several lines",
        """
        import gzip


        def load(path):
            text = (
                gzip.open(path, "rt", encoding="utf-8")
                .read()
                .splitlines()
            )
            return text
        """,
        """
        import gzip


        def load(path):
            with gzip.open(path, "rt", encoding="utf-8") as f:
                text = (
                    f
                    .read()
                    .splitlines()
                )
            return text
        """,
    ),
    (
        "socket: the name is sock",
        """
        import socket


        def ping(address):
            return socket.create_connection(address).sendall(b"ping")
        """,
        """
        import socket


        def ping(address):
            with socket.create_connection(address) as sock:
                return sock.sendall(b"ping")
        """,
    ),
]


@pytest.mark.parametrize(("source", "expected"), [c[1:] for c in FIXES], ids=[c[0] for c in FIXES])
def test_fix(source: str, expected: str) -> None:
    assert fixed(dedent(source), "GCL102") == dedent(expected)


@pytest.mark.parametrize(("source", "expected"), [c[1:] for c in FIXES], ids=[c[0] for c in FIXES])
def test_the_engine_applies_the_same_fix(source: str, expected: str) -> None:
    result = fix_source(dedent(source), "example.py", Config(select=("GCL102",)))
    assert result.text == dedent(expected)
    assert [a.code for a in result.applied] == ["GCL102"]


def test_tabs() -> None:
    source = "def read(path):\n\tif path:\n\t\tdata = open(path).read()\n\t\treturn data\n"
    expected = (
        "def read(path):\n\tif path:\n\t\twith open(path) as f:\n\t\t\tdata = f.read()\n"
        "\t\treturn data\n"
    )
    assert fixed(source, "GCL102") == expected


def test_crlf() -> None:
    source = "def read(path):\r\n    # read it\r\n    return open(path).read()\r\n"
    expected = (
        "def read(path):\r\n    # read it\r\n    with open(path) as f:\r\n"
        "        return f.read()\r\n"
    )
    assert fixed(source, "GCL102") == expected
    assert fix_source(source, "example.py", Config(select=("GCL102",))).text == expected


def test_two_resources_in_one_statement_the_first_is_fixed_the_second_declined() -> None:
    source = dedent(
        """
        def both(a, b):
            return open(a).read() + open(b).read()
        """
    )
    first = fixed(source, "GCL102", line=2, col=11)
    assert first == dedent(
        """
        def both(a, b):
            with open(a) as f:
                return f.read() + open(b).read()
        """
    )
    assert "before the resource is created" in skipped(first, "GCL102")
    assert "before the resource is created" in skipped(source, "GCL102", line=2, col=28)


SKIPS: list[tuple[str, str, str]] = [
    (
        "a sqlite3 connection's with does not close it",
        """
        import sqlite3


        def count(path):
            return sqlite3.connect(path).execute("select 1").fetchall()
        """,
        "'with sqlite3.connect(...)' is not known to close",
    ),
    (
        "TemporaryDirectory binds its path",
        """
        import tempfile


        def scratch():
            return tempfile.TemporaryDirectory().name
        """,
        "'with tempfile.TemporaryDirectory(...)' is not known to close",
    ),
    (
        "a raw descriptor",
        """
        import os


        def head(path):
            return os.read(os.open(path, os.O_RDONLY), 10)
        """,
        "'with os.open(...)' is not known to close",
    ),
    (
        "a lazy reader kept in a variable",
        """
        import csv


        def rows(path):
            reader = csv.reader(open(path))
            return reader
        """,
        "may outlive the statement",
    ),
    (
        "a generator expression returned",
        """
        def lines(path):
            return (line for line in open(path))
        """,
        "may outlive the statement",
    ),
    (
        "a bound method kept",
        """
        def reader(path):
            read = open(path).read
            return read
        """,
        "without being called",
    ),
    (
        "opened once per item of an outer clause",
        """
        def all_lines(paths):
            return [line for path in paths for line in open(path)]
        """,
        "once per item of an outer 'for' clause",
    ),
    (
        "in a comprehension's element",
        """
        def contents(paths):
            return [open(path).read() for path in paths]
        """,
        "nested scope (a comprehension)",
    ),
    (
        "in a lambda",
        """
        def loader(path):
            load = lambda: open(path).read()
            return load
        """,
        "nested scope (a lambda)",
    ),
    (
        "something with effects runs before the call",
        """
        def combined(path, compute):
            return compute() + open(path).read()
        """,
        "hoisting it would change the order",
    ),
    (
        "behind 'or'",
        """
        def cached(path, cache):
            return cache or open(path).read()
        """,
        "not always evaluated",
    ),
    (
        "in a conditional expression's branch",
        """
        def maybe(path, ok):
            return open(path).read() if ok else ""
        """,
        "not always evaluated",
    ),
    (
        "the statement yields",
        """
        def chunks(path):
            yield open(path).read()
        """,
        "suspends",
    ),
    (
        "the statement awaits",
        """
        async def handle(path, process):
            return await process(open(path).read())
        """,
        "suspends",
    ),
    (
        "written to, then more happens in the statement",
        """
        def save(path, text):
            count = open(path, "w").write(text) + 1
            return count
        """,
        "may be written to",
    ),
    (
        "written to through a Path.open of unknown mode",
        """
        from pathlib import Path


        def save(path: Path, mode, text):
            return [path.open(mode).write(text)]
        """,
        "may be written to",
    ),
    (
        "a default argument",
        """
        def configure(data=open("settings.txt").read()):
            return data
        """,
        "header of a 'def' statement",
    ),
    (
        "a while condition",
        """
        def wait_for(path):
            while not open(path).read():
                pass
        """,
        "header of a 'while' statement",
    ),
    (
        "an if condition",
        """
        def check(path):
            if open(path).read():
                return True
            return False
        """,
        "header of a 'if' statement",
    ),
    (
        "a class body",
        """
        class Settings:
            text = open("settings.txt").read()
        """,
        "class attribute",
    ),
    (
        "a one-line block",
        """
        def read(path, wanted):
            if wanted: return open(path).read()
        """,
        "shares its line with its block's header",
    ),
    (
        "two statements on the line",
        """
        def read(path):
            text = ""; text = open(path).read()
            return text
        """,
        "shares its line with other code",
    ),
    (
        "exec() would see the new variable",
        """
        def run(path):
            exec(open(path).read())
        """,
        "calls 'exec()', which would see the new variable",
    ),
    (
        "locals() would see the new variable",
        """
        def settings(path):
            text = open(path).read()
            return locals()
        """,
        "calls 'locals()'",
    ),
    (
        "an assert (removed under -O, the with would not be)",
        """
        def check(path):
            assert open(path).read()
        """,
        "'Assert' statement is not hoisted",
    ),
]


@pytest.mark.parametrize(("source", "reason"), [c[1:] for c in SKIPS], ids=[c[0] for c in SKIPS])
def test_skip(source: str, reason: str) -> None:
    assert reason in skipped(dedent(source), "GCL102")


@pytest.mark.parametrize(("source", "reason"), [c[1:] for c in SKIPS], ids=[c[0] for c in SKIPS])
def test_the_engine_reports_the_skip(source: str, reason: str) -> None:
    text = dedent(source)
    result = fix_source(text, "example.py", Config(select=("GCL102",)))
    assert result.text == text
    assert any(reason in s.reason for s in result.skipped), result.skipped


BEHAVIOUR: list[tuple[str, str, str]] = [
    (
        "read in a return",
        invalid_source("GCL102", 0),
        """
        from pathlib import Path

        Path("a.txt").write_text("alpha")
        print(size_of("a.txt"))
        """,
    ),
    (
        "iterated by a for loop that returns early",
        """
        def first_error(path):
            for line in open(path):
                if "ERROR" in line:
                    return line.strip()
            return None
        """,
        """
        from pathlib import Path

        Path("app.log").write_text("ok\\nERROR one\\nERROR two\\n")
        print(first_error("app.log"))
        """,
    ),
    (
        "written through a csv writer, read back in the next statement",
        """
        import csv


        def save(path, rows):
            csv.writer(open(path, "w", newline="")).writerows(rows)
            return open(path).read()
        """,
        """
        print(repr(save("rows.csv", [(1, 2), (3, 4)])))
        """,
    ),
    (
        "a failing statement: the file is closed all the same",
        """
        import json


        def load(path):
            try:
                return json.load(open(path))
            except ValueError as exc:
                return type(exc).__name__
        """,
        """
        from pathlib import Path

        Path("bad.json").write_text("{not json")
        print(load("bad.json"))
        """,
    ),
]


@pytest.mark.parametrize(
    ("source", "driver"), [c[1:] for c in BEHAVIOUR], ids=[c[0] for c in BEHAVIOUR]
)
def test_fixed_code_behaves_the_same_without_the_leak(
    source: str, driver: str, tmp_path: Path
) -> None:
    text = dedent(source)
    result = fix_source(text, "example.py", Config(select=("GCL102",)))
    assert result.applied, result
    assert not result.diagnostics, result
    before, after = run_both(text, result.text, driver, tmp_path)
    assert "ResourceWarning" in before.stderr, before.stderr  # the test can fail
    assert "ResourceWarning" not in after.stderr, after.stderr
    assert after.returncode == before.returncode == 0, (before.stderr, after.stderr)
    assert after.stdout == before.stdout


def test_sites_with_the_same_text_as_a_skipped_one_are_still_fixed() -> None:
    source = dedent(
        """
        def a(path, g):
            return g() + open(path).read()


        def b(path):
            return open(path).read()


        def c(path):
            return open(path).read()
        """
    )
    result = fix_source(source, "example.py", Config(select=("GCL102",)))
    assert [a.code for a in result.applied] == ["GCL102", "GCL102"]
    assert [s.diagnostic.line for s in result.skipped] == [2]
