"""GCL1xx analysis: ownership, paths and catalogue, case by case (beyond each rule's examples).

Each case is a small module and the exact set of (code, line) gclint must report. Many come
from false positives found on the corpus (docs/precision.md) and must stay silent.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from conftest import Runner
from projects import PROJECT

from gclint import Config, check_source

CASES: list[tuple[str, str, set[tuple[str, int]]]] = [
    (
        "methods of local resources and paths that return resources",
        """
        import socket
        import zipfile
        from pathlib import Path

        def first_member(path):
            archive = zipfile.ZipFile(path)
            member = archive.open("a.txt")
            data = member.read()
            archive.close()
            return data

        def as_file(host):
            sock = socket.create_connection((host, 80))
            stream = sock.makefile("rb")
            line = stream.readline()
            sock.close()
            return line

        def head(p: Path):
            f = p.open()
            return f.readline()
        """,
        {("GCL103", 6), ("GCL101", 7), ("GCL101", 14), ("GCL101", 20)},
    ),
    (
        "a name declared global or nonlocal is not the function's to close",
        """
        LOG = None

        def open_log(path):
            global LOG
            LOG = open(path, "w")

        def outer(path):
            handle = None
            def inner():
                nonlocal handle
                handle = open(path)
            inner()
            return handle
        """,
        set(),
    ),
    (
        "flag-guarded close in finally",
        """
        def save(stream, dst):
            close_dst = False
            if isinstance(dst, str):
                dst = open(dst, "wb")
                close_dst = True
            try:
                stream.copy_to(dst)
            finally:
                if close_dst:
                    dst.close()
        """,
        set(),
    ),
    (
        "identity-guarded close",
        """
        import sys
        def copy(path):
            out = sys.stdout if path == "-" else open(path, "w")
            g = open(path + ".bak", "w")
            try:
                g.write("x")
            finally:
                if g is not sys.stdout:
                    g.close()
        """,
        set(),
    ),
    (
        "close under 'if f is not None' in finally",
        """
        import socket
        def send(port):
            sock = None
            try:
                sock = socket.create_connection(("127.0.0.1", port))
                sock.sendall(b"x")
            finally:
                if sock is not None:
                    sock.close()
        """,
        set(),
    ),
    (
        "handler closes and re-raises: typed handler counts",
        """
        import socket
        def connect(addr):
            sock = socket.socket()
            try:
                sock.connect(addr)
            except OSError:
                sock.close()
                raise
            return sock
        """,
        set(),
    ),
    (
        "retry loop then raise when all attempts failed",
        """
        import socket
        def connect(addrs):
            err = None
            for addr in addrs:
                err = sock = None
                try:
                    sock = socket.socket()
                    sock.connect(addr)
                    break
                except OSError as exc:
                    err = exc
                    if sock is not None:
                        sock.close()
            if err is not None:
                raise err
            return sock
        """,
        set(),
    ),
    (
        "failing code that does not touch the resource is not reported",
        """
        import os
        def run(path):
            f = open(path)
            home = os.path.expanduser("~")
            data = f.read()
            f.close()
            return home, data
        """,
        {("GCL103", 3)},  # f.read() touches it
    ),
    (
        "statement that releases is not where it leaks",
        """
        import subprocess
        def run(cmd, handle):
            pipe = subprocess.Popen(cmd)
            handle(pipe.wait(), cmd)
        """,
        set(),
    ),
    (
        "closure captures the resource",
        """
        def serve(stream):
            class Delegate:
                def finish(self):
                    conn.close()
            conn = open(stream)
            return Delegate()
        """,
        set(),
    ),
    (
        "success flag",
        """
        def first_readable(paths):
            current = None
            while paths and not current:
                try:
                    current = paths.pop(0)
                    stream = open(current, "rb")
                except OSError:
                    current = None
            if not current:
                return None
            return stream
        """,
        set(),
    ),
    (
        "file-object wrappers do not own borrowed files",
        """
        import gzip
        import wave
        def decompress(fileobj, f):
            g = gzip.GzipFile(fileobj=fileobj)
            w = wave.open(f)
            return g.read(), w.getnframes()
        """,
        set(),
    ),
    (
        "gzip.open of a path is a resource",
        """
        import gzip
        def read(path):
            g = gzip.open(path)
            return g.read()
        """,
        {("GCL101", 3)},
    ),
    (
        "a close() that resets state does not make a resource",
        """
        class Handler:
            def close(self):
                self.status = None
        def run():
            h = Handler()
            return h.status
        """,
        set(),
    ),
    (
        "a class closing an in-memory buffer is not a resource",
        """
        import io
        class Response:
            def __init__(self, data):
                self.io = io.BytesIO(data)
            def close(self):
                self.io.close()
        def parse(data):
            r = Response(data)
            return r
        def peek(data):
            r = Response(data)
            print(r)
        """,
        set(),
    ),
    (
        "subclass of a resource is a resource",
        """
        import socket
        class MySocket(socket.socket):
            pass
        def ping():
            s = MySocket()
            s.sendall(b"x")
        """,
        {("GCL101", 5)},
    ),
    (
        "contextmanager owns what it acquires before yield; __enter__ too",
        """
        import contextlib
        @contextlib.contextmanager
        def opened(path):
            f = open(path)
            yield f
            f.close()
        class Opened:
            def __enter__(self):
                f = open("x")
                self.f = f
                return f
        """,
        set(),
    ),
    (
        "module-level resource used by functions is long-lived by design",
        """
        import socket
        _sock = socket.socket()
        def send(data):
            _sock.sendall(data)
        """,
        set(),
    ),
    (
        "module-level script closing only on the happy path",
        """
        import json
        f = open("config.json")
        config = json.load(f)
        f.close()
        """,
        {("GCL103", 2)},
    ),
    (
        "awaited connection never closed",
        """
        import asyncpg
        async def count(dsn):
            conn = await asyncpg.connect(dsn)
            return await conn.fetchval("select 1")
        """,
        {("GCL101", 3)},
    ),
    (
        "a coroutine not awaited is not a resource",
        """
        import asyncpg
        def start(dsn):
            pending = asyncpg.connect(dsn)
            return pending
        """,
        set(),
    ),
    (
        "stdlib aliases resolve",
        """
        from sqlite3 import connect as db_connect
        import socket as s
        def a(path):
            conn = db_connect(path)
            conn.execute("select 1")
        def b():
            sock = s.socket()
            sock.close()
        """,
        {("GCL101", 4)},
    ),
    (
        "shadowed open is not a resource",
        """
        def f(open):
            h = open("x")
            return h.read()
        """,
        set(),
    ),
    (
        "zip member opened from a local ZipFile",
        """
        import zipfile
        def member(path):
            with zipfile.ZipFile(path) as zf:
                m = zf.open("a.txt")
                return m.read()
        """,
        {("GCL101", 4)},
    ),
    (
        "lock acquired and passed on is handed off",
        """
        import threading
        def start(sync):
            waiting = threading.Lock()
            waiting.acquire()
            sync(waiting)
        """,
        set(),
    ),
    (
        "lock never released anywhere",
        """
        import threading
        _lock = threading.Lock()
        def enter():
            _lock.acquire()
            return 1
        """,
        {("GCL106", 4)},
    ),
    (
        "GCL104 guarded by locals() and by name errors",
        """
        import sqlite3
        def a(path):
            try:
                conn = sqlite3.connect(path)
            finally:
                if "conn" in locals():
                    conn.close()
        def b(path):
            try:
                conn = sqlite3.connect(path)
            finally:
                try:
                    conn.close()
                except NameError:
                    pass
        """,
        set(),
    ),
    (
        "GCL105 connection closed later in the scope",
        """
        import sqlite3
        def add(path):
            with sqlite3.connect(path) as conn:
                conn.execute("select 1")
            conn.close()
        """,
        set(),
    ),
    (
        "fileinput iterated to the end closes its files",
        """
        import fileinput
        def count(paths):
            return sum(1 for _ in fileinput.input(paths))
        """,
        set(),
    ),
    (
        "Popen polled counts as waited",
        """
        import subprocess
        def alive(cmd):
            p = subprocess.Popen(cmd)
            return p.poll() is None
        """,
        set(),
    ),
]


@pytest.mark.parametrize(("name", "source", "expected"), CASES, ids=[c[0] for c in CASES])
def test_case(name: str, source: str, expected: set[tuple[str, int]]) -> None:
    text = textwrap.dedent(source).strip("\n") + "\n"
    found = {(d.code, d.line) for d in check_source(text, "case.py", Config(select=("GCL1",)))}
    assert found == expected


def test_extra_resource_factories(tmp_path: Path) -> None:
    source = "import mydb\n\ndef f():\n    conn = mydb.open_pool()\n    conn.query()\n"
    assert check_source(source, "x.py", Config()) == []
    config = Config(extra_resource_factories=("mydb.open_pool",))
    assert [d.code for d in check_source(source, "x.py", config)] == ["GCL101"]


def test_allow_detached_processes(tmp_path: Path) -> None:
    source = (
        "import subprocess\n\ndef f(cmd):\n"
        "    p = subprocess.Popen(cmd, start_new_session=True)\n    return p.pid\n"
    )
    assert [d.code for d in check_source(source, "x.py", Config())] == ["GCL108"]
    assert check_source(source, "x.py", Config(allow_detached_processes=True)) == []


def test_definitions_in_other_project_modules(tmp_path: Path, gclint: Runner) -> None:
    for name, text in PROJECT.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip("\n"))
    result = gclint("check", "--isolated", "app")
    main = (tmp_path / "app" / "main.py").read_text().splitlines()
    found = set()
    for line in result.stdout.splitlines():
        _path, number, _col, rest = line.split(":", 3)
        found.add((rest.split()[0], main[int(number) - 1].strip()))
    # Client via a re-export and via the module, a factory, and Path.open() found by astroid;
    # the class whose close() releases nothing is not a resource, nor a name the module binds
    # twice (the factory, then something else)
    assert found == {
        ("GCL101", "c = Client(port)"),
        ("GCL101", "conn = open_db(path)"),
        ("GCL102", "return len(data_dir().open().read())"),
        ("GCL101", "c = net.Client(port)"),
    }, result.stdout


def test_a_host_process_forgets_what_astroid_built_of_the_project(tmp_path: Path) -> None:
    """In a host process (flake8, an API caller), a check that asked astroid leaves neither the
    project's directory on sys.path nor its modules in astroid's cache, and the collector as
    it was (`gclint.hosting.Guest`)."""
    import gc
    import sys

    import astroid

    from gclint.analysis import imports, inference
    from gclint.engine import check_file

    for name, text in PROJECT.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip("\n"))
    builds = inference.Inference.builds
    path_before = list(sys.path)
    try:
        found = {d.code for d in check_file(str(tmp_path / "app" / "main.py")).diagnostics}
        assert "GCL102" in found  # data_dir().open(): astroid's answer
        assert inference.Inference.builds > builds
        assert sys.path == path_before
        assert inference.Inference.roots == []
        files = [getattr(m, "file", None) or "" for m in astroid.MANAGER.astroid_cache.values()]
        assert not [f for f in files if f.startswith(str(tmp_path))]
        assert gc.isenabled()
    finally:
        gc.unfreeze()
        imports.release_caches()


def test_a_discarded_open_of_an_unknown_receiver_is_not_sent_to_astroid(tmp_path: Path) -> None:
    """``x.open(...)`` as a statement, `x` something names cannot type: an object opening
    itself (``pool.open()``), not a file opened and dropped; astroid (0.1-0.35 s per module
    on the corpus) is not asked. A discarded ``Path(...).open()`` is still reported."""
    from gclint.analysis import imports, inference
    from gclint.engine import check_file

    for name, text in PROJECT.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip("\n"))
    touch = tmp_path / "app" / "touch.py"
    touch.write_text(
        "import pathlib\n"
        "from .net import data_dir\n\n\n"
        "def reopen(pool):\n"
        "    data_dir().open('w')\n"
        "    pool.connection().open()\n"
        "    pathlib.Path('log').open('w')\n"
    )
    builds = inference.Inference.builds
    try:
        found = [(d.code, d.line) for d in check_file(str(touch)).diagnostics]
        assert found == [("GCL102", 8)]  # only the Path, which names know
        assert inference.Inference.builds == builds
    finally:
        imports.release_caches()


OWN_INSTANCES = """\
import pathlib


class Store:
    def load(self):
        return self.open().read()

    def renamed(this):
        return this.open()

    def rebound(self, other):
        self = other
        return self.open()

    @staticmethod
    def static(self):
        return self.open()

    def open(self):
        return pathlib.Path(__file__).open()


class Path(pathlib.Path):
    def text(self):
        return self.open().read()
"""


def test_self_receivers_answered_as_astroid_would(tmp_path: Path) -> None:
    """``self.open()`` in a package: the shortcut that spares astroid gives astroid's answer."""
    import ast

    from gclint.analysis.acquisitions import ResourceFacts
    from gclint.analysis.inference import Inference
    from gclint.analysis.module import ModuleFacts
    from gclint.analysis.walk import indexed

    pkg = tmp_path / "pkg"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    path = pkg / "store.py"
    path.write_text(OWN_INSTANCES)
    tree = ast.parse(OWN_INSTANCES)
    with indexed(tree):
        facts = ResourceFacts(ModuleFacts(tree, str(path), Config(), OWN_INSTANCES))
        inference = Inference(str(path))
        answers = {}
        for cls in tree.body:
            if not isinstance(cls, ast.ClassDef):
                continue
            for method in cls.body:
                assert isinstance(method, ast.FunctionDef)
                for node in ast.walk(method):
                    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
                        receiver = node.func.value
                        if node.func.attr != "open" or not isinstance(receiver, ast.Name):
                            continue
                        own = facts._own_instance_class(receiver, [tree, cls, method])
                        answers[method.name] = own
                        if own is not None:
                            assert own == inference.instance_of(receiver), method.name
    assert answers == {
        "load": "pkg.store.Store",
        "renamed": "pkg.store.Store",
        "rebound": None,  # left to astroid
        "static": None,
        "text": "pkg.store.Path",
    }


PARAMETER_RECEIVERS = """\
from pathlib import Path


def plain(handler):
    return handler.open()


def with_default(p=Path(__file__)):
    return p.open()


def annotated(p: Path):
    return p.open()


def star(*paths, **named):
    return paths.open(), named.open()


def keyword_only(*, p=Path(__file__)):
    return p.open()


def rebound(p):
    p = Path(__file__)
    return p.open()


class Box:
    def method(self, p=Path(__file__)):
        return self.open(), p.open()

    @staticmethod
    def static(p=Path(__file__)):
        return p.open()

    def open(self):
        return None
"""


def test_parameter_receivers_answered_as_astroid_would(tmp_path: Path) -> None:
    """``p.open()`` with `p` a parameter: the shortcut that spares astroid gives its answer
    (never one surely-known class), and leaves ``self`` and rebound names to astroid."""
    import ast

    from gclint.analysis.acquisitions import ResourceFacts
    from gclint.analysis.inference import Inference
    from gclint.analysis.module import ModuleFacts
    from gclint.analysis.walk import indexed

    path = tmp_path / "receivers.py"
    path.write_text(PARAMETER_RECEIVERS)
    tree = ast.parse(PARAMETER_RECEIVERS)
    shortcut: dict[str, bool] = {}
    with indexed(tree):
        facts = ResourceFacts(ModuleFacts(tree, str(path), Config(), PARAMETER_RECEIVERS))
        inference = Inference(str(path))

        def visit(chain: list[ast.AST]) -> None:
            for node in ast.iter_child_nodes(chain[-1]):
                if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
                    visit([*chain, node])
                    continue
                for sub in ast.walk(node):
                    if not (isinstance(sub, ast.Call) and isinstance(sub.func, ast.Attribute)):
                        continue
                    receiver = sub.func.value
                    if not isinstance(receiver, ast.Name) or sub.func.attr != "open":
                        continue
                    skipped = facts._plain_parameter(receiver, chain)
                    shortcut[f"{getattr(chain[-1], 'name', '')}.{receiver.id}"] = skipped
                    if skipped:  # unknown, or the tuple/dict of *args/**kwargs: not an opener
                        answer = inference.instance_of(receiver)
                        assert answer in (None, "builtins.tuple", "builtins.dict"), receiver.id

        visit([tree])
    assert shortcut == {
        "plain.handler": True,
        "with_default.p": True,
        "annotated.p": True,
        "star.paths": True,
        "star.named": True,
        "keyword_only.p": True,
        "rebound.p": False,  # astroid knows it is a Path
        "method.self": False,  # the class
        "method.p": True,
        "static.p": False,  # a function in a class: its first parameter is left to astroid
    }
    rebound = next(
        n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef) and n.name == "rebound"
    )
    receiver = next(
        n for n in ast.walk(rebound.body[-1]) if isinstance(n, ast.Name) and n.id == "p"
    )
    assert Inference(str(path)).instance_of(receiver) == "pathlib.Path"


@pytest.mark.parametrize(
    ("defined", "public"),
    [
        ("pathlib._local.Path", "pathlib.Path"),  # Python 3.13
        ("zipfile._path.Path", "zipfile.Path"),  # Python 3.12
        ("zipfile.ZipFile", "zipfile.ZipFile"),
        ("pkg.__init__.Thing", "pkg.__init__.Thing"),
        ("builtins.list", "builtins.list"),
    ],
)
def test_inferred_classes_are_named_as_their_package_exports_them(
    defined: str, public: str
) -> None:
    from gclint.analysis.inference import public_name

    assert public_name(defined) == public


GUARDED_REBIND = """\
import socket


def connect(hosts):
    sock = None
    if hosts:
        sock = socket.create_connection(hosts[0])
    if not sock and len(hosts) > 1:
        sock = socket.create_connection(hosts[1])
    return sock
"""


def test_a_rebind_behind_a_falsy_test_of_the_name_is_not_a_leak() -> None:
    """``if not sock and other:`` runs its body only when `sock` holds no open socket (an
    open resource is a true object): the rebinding there leaks nothing (GCL107)."""
    assert [d.code for d in check_source(GUARDED_REBIND, "m.py")] == []
    leaky = GUARDED_REBIND.replace("if not sock and", "if")
    assert [d.code for d in check_source(leaky, "m.py")] == ["GCL107"]
