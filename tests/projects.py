"""Small projects the tests write to disk: modules that import each other, so that import
resolution and astroid have something to follow; and one module before and after its fix."""

from __future__ import annotations

PROJECT = {
    "app/__init__.py": "",
    "app/net.py": """
        import pathlib
        import socket


        class Client:
            def __init__(self, port):
                self._sock = socket.create_connection(("127.0.0.1", port))

            def close(self):
                self._sock.close()


        class Plain:
            def close(self):
                self.state = None


        def open_db(path):
            import sqlite3

            return sqlite3.connect(path)


        def data_dir():
            return pathlib.Path("/tmp")


        def open_maybe(path):
            import sqlite3

            return sqlite3.connect(path)


        open_maybe = staticmethod(open_maybe)  # bound twice: not surely the factory
        """,
    "app/api.py": "from .net import Client as Client\n",
    "app/main.py": """
        from app import net
        from .api import Client
        from .net import Plain, data_dir, open_db, open_maybe


        def ping(port):
            c = Client(port)
            c._sock.sendall(b"x")


        def count(path):
            conn = open_db(path)
            return conn.execute("select 1").fetchone()


        def size():
            return len(data_dir().open().read())


        def plain():
            p = Plain()
            return p.state


        def qualified(port):
            c = net.Client(port)
            print(c)


        def maybe(path):
            conn = open_maybe(path)
            return conn.execute("select 1").fetchone()
        """,
}


# One module with one GCL401 finding (line 6: gc.enable() on the normal path only), and the same
# module fixed; the SARIF and pre-commit tests write them to disk.
LOADER_BAD = """\
import gc
import json


def load(path):
    gc.disable()
    with open(path) as handle:
        data = json.load(handle)
    gc.enable()
    return data
"""

LOADER_GOOD = """\
import gc
import json


def load(path):
    gc.disable()
    try:
        with open(path) as handle:
            data = json.load(handle)
    finally:
        gc.enable()
    return data
"""
