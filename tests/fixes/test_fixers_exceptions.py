"""GCL104 and GCL304 fixers, case by case: exact fixed text, the reasons for skipping, and the
fixed code run before and after in a real interpreter."""

from __future__ import annotations

from pathlib import Path

import pytest
from fixer_harness import dedent, fixed, invalid_source, run_both, skipped

from gclint import Config
from gclint.fixing import fix_source

GCL104_FIXES: list[tuple[str, str, str]] = [
    (
        "no except clause: the acquisition moves above try, comments kept",
        """
        import sqlite3


        def count_users(path):
            # one query
            try:
                # connect first
                conn = sqlite3.connect(path)  # may raise
                return conn.execute("select count(*) from users").fetchone()[0]
            finally:
                conn.close()
        """,
        """
        import sqlite3


        def count_users(path):
            # one query
            # connect first
            conn = sqlite3.connect(path)  # may raise
            try:
                return conn.execute("select count(*) from users").fetchone()[0]
            finally:
                conn.close()
        """,
    ),
    (
        "the finally block does something first: guard, keep the rest running",
        """
        import sqlite3


        def count_users(path, log):
            try:
                conn = sqlite3.connect(path)
                return conn.execute("select count(*) from users").fetchone()[0]
            finally:
                log("done")
                # save, then close
                conn.commit()
                conn.close()
                log("closed")
        """,
        """
        import sqlite3


        def count_users(path, log):
            conn = None
            try:
                conn = sqlite3.connect(path)
                return conn.execute("select count(*) from users").fetchone()[0]
            finally:
                log("done")
                # save, then close
                if conn is not None:
                    conn.commit()
                    conn.close()
                log("closed")
        """,
    ),
    (
        "the acquisition is not the first statement of the try",
        """
        import sqlite3


        def count_users(make_path):
            try:
                path = make_path()
                conn = sqlite3.connect(path)
                return conn.execute("select 1").fetchone()[0]
            finally:
                conn.close()
        """,
        """
        import sqlite3


        def count_users(make_path):
            conn = None
            try:
                path = make_path()
                conn = sqlite3.connect(path)
                return conn.execute("select 1").fetchone()[0]
            finally:
                if conn is not None:
                    conn.close()
        """,
    ),
    (
        "except and finally both guarded; a rebinding to None is left alone",
        """
        import sqlite3


        def rows(path, log):
            try:
                conn = sqlite3.connect(path)
                return conn.execute("select 1").fetchall()
            except sqlite3.Error:
                conn.rollback()
                raise
            finally:
                conn.close()
                conn = None
        """,
        """
        import sqlite3


        def rows(path, log):
            conn = None
            try:
                conn = sqlite3.connect(path)
                return conn.execute("select 1").fetchall()
            except sqlite3.Error:
                if conn is not None:
                    conn.rollback()
                raise
            finally:
                if conn is not None:
                    conn.close()
                conn = None
        """,
    ),
    (
        "awaited acquisition in a loop, the try holds only it",
        """
        async def ping_all(connect, hosts):
            for host in hosts:
                try:
                    conn = await connect(host)
                finally:
                    await conn.close()
        """,
        """
        async def ping_all(connect, hosts):
            for host in hosts:
                conn = None
                try:
                    conn = await connect(host)
                finally:
                    if conn is not None:
                        await conn.close()
        """,
    ),
    (
        "the try holds only the acquisition: its body becomes pass",
        """
        import socket


        def probe(address):
            try:
                sock = socket.create_connection(address)
            finally:
                sock.close()
        """,
        """
        import socket


        def probe(address):
            sock = socket.create_connection(address)
            try:
                pass
            finally:
                sock.close()
        """,
    ),
    (
        "except* handlers",
        """
        import socket


        def send(address, payload):
            try:
                sock = socket.create_connection(address)
                sock.sendall(payload)
            except* OSError:
                sock.close()
                raise
        """,
        """
        import socket


        def send(address, payload):
            sock = None
            try:
                sock = socket.create_connection(address)
                sock.sendall(payload)
            except* OSError:
                if sock is not None:
                    sock.close()
                raise
        """,
    ),
]


@pytest.mark.parametrize(
    ("source", "expected"), [c[1:] for c in GCL104_FIXES], ids=[c[0] for c in GCL104_FIXES]
)
def test_gcl104_fix(source: str, expected: str) -> None:
    assert fixed(dedent(source), "GCL104") == dedent(expected)
    result = fix_source(dedent(source), "example.py", Config(select=("GCL104",)))
    assert result.text == dedent(expected)


def test_gcl104_tabs_and_crlf() -> None:
    source = (
        "import sqlite3\r\n\r\ndef count(path):\r\n\ttry:\r\n\t\tconn = sqlite3.connect(path)\r\n"
        '\t\treturn conn.execute("select 1").fetchone()\r\n\texcept OSError:\r\n'
        "\t\tconn.close()\r\n\t\traise\r\n"
    )
    expected = (
        "import sqlite3\r\n\r\ndef count(path):\r\n\tconn = None\r\n\ttry:\r\n"
        "\t\tconn = sqlite3.connect(path)\r\n"
        '\t\treturn conn.execute("select 1").fetchone()\r\n\texcept OSError:\r\n'
        "\t\tif conn is not None:\r\n\t\t\tconn.close()\r\n\t\traise\r\n"
    )
    assert fixed(source, "GCL104") == expected


GCL104_SKIPS: list[tuple[str, str, str]] = [
    (
        "the cleanup loops over the resource",
        """
        import sqlite3


        def close_all(path):
            try:
                conn = sqlite3.connect(path)
                conn.execute("select 1")
            finally:
                for cursor in conn.cursors:
                    cursor.close()
                conn.close()
        """,
        "cannot simply be guarded",
    ),
    (
        "the cleanup reads the resource into a name",
        """
        import sqlite3


        def changes(path):
            try:
                conn = sqlite3.connect(path)
                conn.execute("select 1")
            finally:
                count = conn.total_changes
                conn.close()
            return count
        """,
        "cannot simply be guarded",
    ),
    (
        "a one-line finally",
        """
        import sqlite3


        def count(path):
            try:
                conn = sqlite3.connect(path)
                return conn.execute("select 1").fetchone()
            except OSError: conn.close()
        """,
        "same line as its header",
    ),
]


@pytest.mark.parametrize(
    ("source", "reason"), [c[1:] for c in GCL104_SKIPS], ids=[c[0] for c in GCL104_SKIPS]
)
def test_gcl104_skip(source: str, reason: str) -> None:
    assert reason in skipped(dedent(source), "GCL104")


def test_gcl104_fixed_code_reports_the_real_error(tmp_path: Path) -> None:
    # count_users (the rule's example), then a send of the same shape with an except clause
    send = """
    def send(path):
        try:
            conn = sqlite3.connect(path)
            conn.execute("create table if not exists users (name)")
        except sqlite3.Error:
            conn.close()
            raise
        conn.close()
    """
    source = invalid_source("GCL104", 0) + "\n\n" + dedent(send)
    result = fix_source(source, "example.py", Config(select=("GCL104",)))
    assert len(result.applied) == 2
    driver = """
    for call in (count_users, send):
        try:
            call("no/such/directory/users.db")
        except Exception as exc:
            print(call.__name__, type(exc).__name__)
    send("users.db")
    print(count_users("users.db"))
    """
    before, after = run_both(source, result.text, driver, tmp_path)
    assert before.stdout.split("\n")[:2] == [
        "count_users UnboundLocalError",
        "send UnboundLocalError",
    ]
    assert after.stdout.split("\n")[:2] == [
        "count_users OperationalError",
        "send OperationalError",
    ]
    assert before.stdout.split("\n")[2:] == after.stdout.split("\n")[2:] == ["0", ""]
    assert "ResourceWarning" not in after.stderr


GCL304_FIXES: list[tuple[str, str, str]] = [
    (
        "a del at the end moves into finally; blank line above try, comment kept",
        """
        import sys


        def caller_name(log):
            frame = sys._getframe(0)

            # who called?
            name = frame.f_back.f_code.co_name
            log([name for _ in [frame]])
            # done with it
            del frame
            return name
        """,
        """
        import sys


        def caller_name(log):
            frame = sys._getframe(0)

            try:
                # who called?
                name = frame.f_back.f_code.co_name
                log([name for _ in [frame]])
            finally:
                # done with it
                del frame
            return name
        """,
    ),
    (
        "an existing try/finally around the uses gets the del",
        """
        import sys


        def report(log, close):
            try:
                raise KeyError("x")
            except KeyError as exc:
                tb = exc.__traceback__
                try:
                    log(tb)
                finally:
                    close()
        """,
        """
        import sys


        def report(log, close):
            try:
                raise KeyError("x")
            except KeyError as exc:
                tb = exc.__traceback__
                try:
                    log(tb)
                finally:
                    close()
                    del tb
        """,
    ),
    (
        "the whole exc_info() tuple",
        """
        import sys


        def report(log):
            try:
                raise KeyError("x")
            except KeyError:
                info = sys.exc_info()
                log(info[0])
        """,
        """
        import sys


        def report(log):
            try:
                raise KeyError("x")
            except KeyError:
                info = sys.exc_info()
                try:
                    log(info[0])
                finally:
                    del info
        """,
    ),
]


@pytest.mark.parametrize(
    ("source", "expected"),
    [c[1:] for c in GCL304_FIXES],
    ids=[c[0] for c in GCL304_FIXES],
)
def test_gcl304_fix(source: str, expected: str) -> None:
    assert fixed(dedent(source), "GCL304") == dedent(expected)
    result = fix_source(dedent(source), "example.py", Config(select=("GCL304",)))
    assert result.text == dedent(expected)


def test_gcl304_a_finally_that_returns_is_not_extended() -> None:
    source = dedent(
        """
        import sys


        def report(log, fallback):
            frame = sys._getframe()
            try:
                log(frame)
            finally:
                return fallback
        """
    )
    assert fixed(source, "GCL304") == dedent(
        """
        import sys


        def report(log, fallback):
            frame = sys._getframe()
            try:
                try:
                    log(frame)
                finally:
                    return fallback
            finally:
                del frame
        """
    )


def test_gcl304_tabs_and_crlf() -> None:
    source = (
        "import sys\r\n\r\ndef f(log):\r\n\ttry:\r\n\t\tlog(1)\r\n\texcept OSError:\r\n"
        "\t\ttb = sys.exc_info()[2]\r\n\t\tlog(tb)\r\n"
    )
    expected = (
        "import sys\r\n\r\ndef f(log):\r\n\ttry:\r\n\t\tlog(1)\r\n\texcept OSError:\r\n"
        "\t\ttb = sys.exc_info()[2]\r\n\t\ttry:\r\n\t\t\tlog(tb)\r\n\t\tfinally:\r\n"
        "\t\t\tdel tb\r\n"
    )
    assert fixed(source, "GCL304") == expected


GCL304_SKIPS: list[tuple[str, str, str]] = [
    ("an exception stored on self", invalid_source("GCL304", 1), "no automatic fix"),
    (
        "used after the block that binds it",
        """
        import sys


        def handle(process, log):
            try:
                process()
            except ValueError:
                tb = sys.exc_info()[2]
                log("failed")
            log(tb)
        """,
        "used outside the statements that follow it",
    ),
    (
        "captured by a lambda",
        """
        import sys


        def later(register):
            frame = sys._getframe()
            register(lambda: frame.f_lineno)
        """,
        "nested function, lambda or generator",
    ),
    (
        "used by a generator expression",
        """
        import sys


        def names(log):
            frame = sys._getframe()
            log(f.f_code for f in [frame])
        """,
        "nested function, lambda or generator",
    ),
    (
        "declared global",
        """
        import sys


        def remember(log):
            global frame
            frame = sys._getframe()
            log(frame)
        """,
        "global or nonlocal",
    ),
    (
        "nothing uses it afterwards",
        """
        import sys


        def handle(process):
            try:
                process()
            except ValueError:
                tb = sys.exc_info()[2]
        """,
        "nothing uses 'tb' after it is bound",
    ),
    (
        "deleted conditionally before the last use",
        """
        import sys


        def walk(log, quiet):
            frame = sys._getframe()
            if quiet:
                del frame
            log(frame)
        """,
        "deleted before its last use or conditionally",
    ),
    (
        "the function lists its locals",
        """
        import sys


        def snapshot(log):
            frame = sys._getframe()
            log(frame)
            return sorted(locals())
        """,
        "calls 'locals()', which would see 'frame' deleted",
    ),
    (
        "two statements on the line",
        """
        import sys


        def walk(log):
            frame = sys._getframe(); log(frame)
        """,
        "shares its line",
    ),
]


@pytest.mark.parametrize(
    ("source", "reason"), [c[1:] for c in GCL304_SKIPS], ids=[c[0] for c in GCL304_SKIPS]
)
def test_gcl304_skip(source: str, reason: str) -> None:
    assert reason in skipped(dedent(source), "GCL304")


def test_gcl304_fixed_code_frees_the_locals_without_the_collector(tmp_path: Path) -> None:
    source = dedent(
        """
        import sys


        class Payload:
            pass


        def handle(log):
            payload = Payload()
            holder.append(weakref.ref(payload))
            try:
                raise ValueError("boom")
            except ValueError:
                tb = sys.exc_info()[2]
                log(tb.tb_lineno)
                return "handled"
        """
    )
    result = fix_source(source, "example.py", Config(select=("GCL304",)))
    assert [a.code for a in result.applied] == ["GCL304"]
    driver = """
    import gc
    import weakref

    holder = []
    gc.disable()
    print(handle(print))
    print("alive after return:", holder[0]() is not None)
    gc.collect()
    print("alive after collect:", holder[0]() is not None)
    """
    before, after = run_both(source, result.text, driver, tmp_path)
    assert before.returncode == after.returncode == 0, (before.stderr, after.stderr)
    assert before.stdout.splitlines()[-2:] == [
        "alive after return: True",
        "alive after collect: False",
    ]
    assert after.stdout.splitlines()[-2:] == [
        "alive after return: False",
        "alive after collect: False",
    ]
    assert before.stdout.splitlines()[:2] == after.stdout.splitlines()[:2]
