"""GCL2xx: finalizers (``__del__``, ``weakref.finalize``, ``atexit``)."""

from __future__ import annotations

import ast

from gclint.analysis.classes import ClassInfo, ClassModel, enclosing_class
from gclint.analysis.flow import FUNCTION_TYPES, walk_shallow
from gclint.analysis.walk import children, walk
from gclint.registry import Example, Rule, Truth, register

DEL_DOCS = "https://docs.python.org/3/reference/datamodel.html#object.__del__"
FINALIZE_DOCS = "https://docs.python.org/3/library/weakref.html#weakref.finalize"

# The trigger runs the experiment (automatic collection is off) and sets `observed` when it
# sees the finalizer misbehave: late, twice, never, or failing.
SETUP = """
import gc
import sys
import weakref

gc.disable()
observed = False
unraisable = []
sys.unraisablehook = lambda u: unraisable.append(u)
"""
OBSERVED = Truth(
    setup=SETUP,
    probe="misbehaved = bool(observed)\n",
    describe="the finalizer misbehaves when the example runs (late, twice, never, or failing; "
    "see each example's trigger)",
)
KEPT = Truth(
    setup=SETUP,
    probe="gc.collect()\nmisbehaved = ref() is not None\n",
    describe="the object survives `del` of its last name and even gc.collect()",
)
RELEASE_CALLS = frozenset(
    {"close", "release", "shutdown", "terminate", "kill", "cleanup", "disconnect", "unlink"}
)
RELEASE_FUNCTIONS = frozenset({"os.close", "os.remove", "os.unlink", "shutil.rmtree"})


def _own_del(cls: ast.ClassDef) -> ast.FunctionDef | ast.AsyncFunctionDef | None:
    for item in cls.body:
        if isinstance(item, FUNCTION_TYPES) and item.name == "__del__":
            return item
    return None


class _DelRule(Rule):
    def info(self, node: ast.ClassDef) -> ClassInfo:
        return self.ctx.shared(ClassModel).info(node)


@register
class FinalizerInReferenceCycle(_DelRule):
    """
    ## What it does
    Finds a class that defines `__del__` and whose instances take part in a reference cycle: it
    stores `self` on itself, a bound method, lambda or `functools.partial` of `self`, or a child
    object that keeps a strong reference back to it.

    ## Why is this bad?
    Since PEP 442 (Python 3.4) such objects are collected, but only when the cyclic garbage
    collector runs: not when the last reference goes, so `__del__` runs late, at an
    unpredictable point, and in no defined order with respect to the other objects of the
    cycle. Whatever `__del__` releases stays held until then.

    ## Example
    ```python
    class Connection:
        def __init__(self, sock):
            self.sock = sock
            self.on_data = self.handle

        def handle(self, data):
            return data

        def __del__(self):
            self.sock.close()
    ```

    ## Use instead
    ```python
    import weakref


    class Connection:
        def __init__(self, sock):
            self.sock = sock
            self.on_data = weakref.WeakMethod(self.handle)
            weakref.finalize(self, sock.close)

        def handle(self, data):
            return data
    ```

    ## Fix safety
    There is no automatic fix: use `weakref.finalize` with a callback that does not reference
    `self`, or break the cycle with a weak reference.

    ## References
    - [object.__del__](https://docs.python.org/3/reference/datamodel.html#object.__del__)
    - [PEP 442: Safe object finalization](https://peps.python.org/pep-0442/)
    """

    code = "GCL201"
    needles = ("__del__",)
    name = "finalizer-in-reference-cycle"
    summary = "a class defining __del__ whose instances take part in a reference cycle"
    message = (
        "'{cls}.__del__' runs only when gc.collect() finds the reference cycle made by "
        "'{store}' (line {line}): late and in no defined order; use weakref.finalize with a "
        "callback that does not reference self"
    )
    references = (DEL_DOCS, "https://peps.python.org/pep-0442/")

    invalid = (
        Example(
            """
            class Connection:
                finalized = []

                def __init__(self, name):
                    self.name = name
                    self.on_data = self.handle

                def handle(self, data):
                    return data

                def __del__(self):
                    Connection.finalized.append(self.name)
            """,
            expect=((11, 5),),
            trigger="""
            conn = Connection("a")
            del conn
            finalized_at_del = bool(Connection.finalized)
            gc.collect()
            observed = not finalized_at_del and Connection.finalized == ["a"]
            """,
        ),
        Example(
            """
            class Child:
                def __init__(self, parent):
                    self.parent = parent


            class Parent:
                finalized = []

                def __init__(self):
                    self.child = Child(self)

                def __del__(self):
                    Parent.finalized.append(True)
            """,
            expect=((12, 5),),
            trigger="""
            parent = Parent()
            del parent
            finalized_at_del = bool(Parent.finalized)
            gc.collect()
            observed = not finalized_at_del and Parent.finalized == [True]
            """,
        ),
    )
    valid = (
        Example(
            """
            import weakref


            class Connection:
                finalized = []

                def __init__(self, name):
                    self.name = name
                    self.on_data = weakref.WeakMethod(self.handle)

                def handle(self, data):
                    return data

                def __del__(self):
                    Connection.finalized.append(self.name)
            """,
            trigger="""
            conn = Connection("a")
            del conn
            finalized_at_del = bool(Connection.finalized)
            gc.collect()
            observed = not finalized_at_del and Connection.finalized == ["a"]
            """,
        ),
        Example(
            """
            class Connection:
                finalized = []

                def __init__(self, name):
                    self.name = name

                def handle(self, data):
                    return data

                def __del__(self):
                    Connection.finalized.append(self.name)
            """,
            trigger="""
            conn = Connection("a")
            del conn
            finalized_at_del = bool(Connection.finalized)
            gc.collect()
            observed = not finalized_at_del and Connection.finalized == ["a"]
            """,
        ),
    )
    truth = OBSERVED

    def visit_ClassDef(self, node: ast.ClassDef) -> None:
        finalizer = _own_del(node)
        if finalizer is None:
            return
        stores = self.info(node).cycle_stores()
        if stores:
            first = stores[0]
            self.report(
                finalizer,
                cls=node.name,
                store=ast.unparse(first.node).splitlines()[0],
                line=getattr(first.node, "lineno", "?"),
            )


@register
class FinalizerReleasesResource(_DelRule):
    """
    ## What it does
    Finds `__del__` methods that release a resource (call `close()`, `release()`,
    `shutdown()`, `terminate()`, `os.close()`, `os.remove()` ...) in a class that offers no
    context-manager protocol (`__enter__`/`__exit__` or `__aenter__`/`__aexit__`).

    ## Why is this bad?
    `__del__` runs when CPython frees the object: late if anything keeps it (a stored
    exception's traceback, a reference cycle, a debugger), in no defined order, and not at all
    for objects still alive at interpreter exit. Without `with` support, callers have no
    deterministic way to release the resource, so it is held for as long as the object lives.

    ## Example
    ```python
    class TempLog:
        def __init__(self, path):
            self._file = open(path, "w")

        def write(self, line):
            self._file.write(line)

        def __del__(self):
            self._file.close()
    ```

    ## Use instead
    ```python
    import weakref


    class TempLog:
        def __init__(self, path):
            self._file = open(path, "w")
            self._finalizer = weakref.finalize(self, self._file.close)

        def write(self, line):
            self._file.write(line)

        def close(self):
            self._finalizer()

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            self.close()
    ```

    ## Fix safety
    There is no automatic fix.

    ## References
    - [object.__del__](https://docs.python.org/3/reference/datamodel.html#object.__del__)
    - [weakref.finalize](https://docs.python.org/3/library/weakref.html#weakref.finalize)
    """

    code = "GCL202"
    needles = ("__del__",)
    name = "finalizer-releases-resource"
    summary = "__del__ releases a resource while the class offers no context-manager protocol"
    message = (
        "'{cls}.__del__' releases a resource ('{call}') as cleanup, but '{cls}' has no "
        "__enter__/__exit__ for 'with': when a caller does not release it, the release waits "
        "for the object to be freed (late in a cycle, maybe never at exit); add the "
        "context-manager protocol, and weakref.finalize as a safety net"
    )
    references = (DEL_DOCS, FINALIZE_DOCS)

    invalid = (
        Example(
            """
            class TempLog:
                def __init__(self, path):
                    self._file = open(path, "w")

                def write(self, line):
                    self._file.write(line)

                def __del__(self):
                    self._file.close()
            """,
            expect=((8, 5),),
            trigger="""
            def work():
                log = TempLog("work.log")
                log.write("start\\n")
                raise RuntimeError("failed")


            try:
                work()
            except RuntimeError as exc:
                kept = exc  # a framework keeps the error for its report
            observed = any(
                isinstance(o, TempLog) and not o._file.closed for o in gc.get_objects()
            )
            for o in gc.get_objects():
                if isinstance(o, TempLog):
                    o._file.close()
            """,
            note="the kept traceback keeps the object, and its open file, alive",
        ),
        Example(
            """
            import socket


            class Client:
                def __init__(self, port):
                    self.sock = socket.create_connection(("127.0.0.1", port))

                def send(self, data):
                    self.sock.sendall(data)

                def __del__(self):
                    self.sock.close()
            """,
            expect=((11, 5),),
            trigger="""
            server = socket.create_server(("127.0.0.1", 0))
            clients = []


            def work():
                client = Client(server.getsockname()[1])
                client.send(b"x")
                raise RuntimeError("failed")


            try:
                work()
            except RuntimeError as exc:
                kept = exc
            observed = any(
                isinstance(o, Client) and o.sock.fileno() != -1 for o in gc.get_objects()
            )
            for o in gc.get_objects():
                if isinstance(o, Client):
                    o.sock.close()
            server.close()
            """,
        ),
    )
    valid = (
        Example(
            """
            class TempLog:
                def __init__(self, path):
                    self._file = open(path, "w")

                def write(self, line):
                    self._file.write(line)

                def close(self):
                    self._file.close()

                def __enter__(self):
                    return self

                def __exit__(self, *exc):
                    self.close()

                def __del__(self):
                    file = getattr(self, "_file", None)
                    if file is not None:
                        file.close()
            """,
            trigger="""
            def work():
                with TempLog("work.log") as log:
                    log.write("start\\n")
                    raise RuntimeError("failed")


            try:
                work()
            except RuntimeError as exc:
                kept = exc
            observed = any(
                isinstance(o, TempLog) and not o._file.closed for o in gc.get_objects()
            )
            """,
        ),
        Example(
            """
            class Counter:
                instances = 0

                def __init__(self):
                    Counter.instances += 1

                def __del__(self):
                    Counter.instances -= 1
            """,
            trigger="""
            counter = Counter()
            del counter
            observed = Counter.instances != 0
            """,
            note="a __del__ that releases nothing is not reported",
        ),
    )
    truth = OBSERVED

    def visit_ClassDef(self, node: ast.ClassDef) -> None:
        finalizer = _own_del(node)
        if finalizer is None:
            return
        info = self.info(node)
        if any(info.defines(m) for m in ("__exit__", "__aexit__")):
            return
        if any(not isinstance(b, ast.Name) for b in node.bases) or any(
            isinstance(b, ast.Name)
            and self.ctx.shared(ClassModel).by_name(b.id) is None
            and b.id != "object"
            for b in node.bases
        ):
            return  # a base from elsewhere may provide __enter__/__exit__: not sure
        chain = [self.ctx.tree]
        for sub in walk_shallow(finalizer.body):
            if not isinstance(sub, ast.Call):
                continue
            func = sub.func
            qual = self.ctx.scopes.qualname(func, chain)
            releases = qual in RELEASE_FUNCTIONS or (
                isinstance(func, ast.Attribute) and func.attr in RELEASE_CALLS
            )
            if releases:
                self.report(finalizer, cls=node.name, call=ast.unparse(sub))
                return


@register
class ExplicitFinalizerCall(Rule):
    """
    ## What it does
    Finds explicit calls of `x.__del__()` (other than a base class's `__del__` called from
    within `__del__`, like `super().__del__()`).

    ## Why is this bad?
    Calling `__del__` does not destroy the object or free its memory: it only runs the method.
    Python calls it again when the object is really freed, so whatever it does happens twice
    (double close, double decrement). `del x` does not call it either; it only removes a name.

    ## Example
    ```python
    def shutdown(conn):
        conn.__del__()
    ```

    ## Use instead
    ```python
    def shutdown(conn):
        conn.close()
    ```

    ## Fix safety
    There is no automatic fix.

    ## References
    - [object.__del__](https://docs.python.org/3/reference/datamodel.html#object.__del__)
    """

    code = "GCL203"
    needles = ("__del__",)
    name = "explicit-finalizer-call"
    summary = "x.__del__() called explicitly (other than super().__del__() inside __del__)"
    message = (
        "'{text}' runs the finalizer now, and Python runs it again when the object is freed; "
        "call an explicit close() instead"
    )
    references = (DEL_DOCS,)

    invalid = (
        Example(
            """
            class Conn:
                closes = 0

                def __del__(self):
                    Conn.closes += 1


            def shutdown(conn):
                conn.__del__()
            """,
            expect=((9, 5),),
            trigger="""
            conn = Conn()
            shutdown(conn)
            del conn
            gc.collect()
            observed = Conn.closes == 2
            """,
        ),
        Example(
            """
            class TempDir:
                removed = 0

                def __del__(self):
                    TempDir.removed += 1


            def cleanup_all(dirs):
                for d in dirs:
                    d.__del__()
                dirs.clear()
            """,
            expect=((10, 9),),
            trigger="""
            dirs = [TempDir(), TempDir()]
            cleanup_all(dirs)
            gc.collect()
            observed = TempDir.removed == 4
            """,
        ),
    )
    valid = (
        Example(
            """
            class Conn:
                closes = 0

                def close(self):
                    Conn.closes += 1
            """,
            trigger="""
            conn = Conn()
            conn.close()
            del conn
            gc.collect()
            observed = Conn.closes == 2
            """,
        ),
        Example(
            """
            class Base:
                def __del__(self):
                    pass


            class Derived(Base):
                def __del__(self):
                    super().__del__()
            """,
            trigger="""
            obj = Derived()
            del obj
            """,
        ),
    )
    truth = OBSERVED

    def visit_Call(self, node: ast.Call) -> None:
        func = node.func
        if not (isinstance(func, ast.Attribute) and func.attr == "__del__"):
            return
        function = self.ctx.enclosing_function()
        if function is not None and function.name == "__del__":
            receiver = func.value
            if isinstance(receiver, ast.Call) and getattr(receiver.func, "id", "") == "super":
                return
            if isinstance(receiver, (ast.Name, ast.Attribute)) and node.args:
                return  # ``Base.__del__(self)`` from a subclass's __del__
        self.report(node, text=ast.unparse(node))


@register
class FinalizerKeepsObjectAlive(Rule):
    """
    ## What it does
    Finds `weakref.finalize(obj, callback, *args)` whose callback or arguments refer to `obj`
    (`weakref.finalize(self, self.close)`, `weakref.finalize(obj, lambda: obj.close())`,
    `weakref.finalize(obj, cleanup, obj)`), and `atexit.register(obj.close)` for a local object
    or `self`.

    ## Why is this bad?
    The finalizer registry holds the callback and its arguments strongly. If they refer to the
    object, the object can never be collected: the finalizer meant to run "when the object
    dies" runs only at interpreter exit, and the object (with everything it holds) lives until
    then. `atexit.register(self.close)` does the same for every instance ever created.

    ## Example
    ```python
    import weakref


    class Session:
        def __init__(self):
            self.buffer = bytearray(1024)
            weakref.finalize(self, self.close)

        def close(self):
            self.buffer = None
    ```

    ## Use instead
    ```python
    import weakref


    def _release(buffer):
        buffer.clear()


    class Session:
        def __init__(self):
            self.buffer = bytearray(1024)
            weakref.finalize(self, _release, self.buffer)
    ```

    ## Fix safety
    There is no automatic fix: pass a function and the resource (not the object) as arguments.

    ## References
    - [weakref.finalize](https://docs.python.org/3/library/weakref.html#weakref.finalize)
    - [atexit.register](https://docs.python.org/3/library/atexit.html#atexit.register)
    """

    code = "GCL204"
    needles = (
        "finalize",
        "atexit",
    )
    name = "finalizer-keeps-object-alive"
    summary = "a weakref.finalize or atexit callback holds the object it should finalize"
    message = (
        "'{text}' keeps '{obj}' alive through its callback: it is never collected and the "
        "finalizer runs only at exit; pass a function and the resource, not the object"
    )
    references = (FINALIZE_DOCS, "https://docs.python.org/3/library/atexit.html#atexit.register")

    invalid = (
        Example(
            """
            import weakref


            class Session:
                def __init__(self):
                    self.buffer = bytearray(1024)
                    weakref.finalize(self, self.close)

                def close(self):
                    self.buffer = None
            """,
            expect=((7, 9),),
            trigger="ref = weakref.ref(Session())",
        ),
        Example(
            """
            import atexit


            class Session:
                def close(self):
                    pass


            def open_session():
                session = Session()
                atexit.register(session.close)
                return session
            """,
            expect=((11, 5),),
            trigger="""
            ref = weakref.ref(open_session())
            """,
            note="atexit.register(session.close)",
        ),
    )
    valid = (
        Example(
            """
            import weakref


            def _release(buffer):
                buffer.clear()


            class Session:
                def __init__(self):
                    self.buffer = bytearray(1024)
                    weakref.finalize(self, _release, self.buffer)
            """,
            trigger="ref = weakref.ref(Session())",
        ),
        Example(
            """
            import weakref


            class Session:
                def __init__(self, path):
                    self._file = open(path, "w")
                    weakref.finalize(self, self._file.close)
            """,
            trigger='ref = weakref.ref(Session("session.log"))',
            note="the callback is the file's method, not the session's",
        ),
    )
    truth = KEPT

    def visit_Call(self, node: ast.Call) -> None:
        if not self.ctx.may_name(node.func, frozenset({"finalize", "register"})):
            return
        qual = self.ctx.call_qualname(node)
        if qual == "weakref.finalize" and len(node.args) >= 2:
            obj = node.args[0]
            if not isinstance(obj, ast.Name):
                return
            callback, arguments = node.args[1], node.args[2:]
            if self._bound_to(callback, obj.id) or any(_holds(a, obj.id) for a in arguments):
                self.report(node, text=ast.unparse(node), obj=obj.id)
        elif qual == "atexit.register" and node.args:
            callback = node.args[0]
            if (
                isinstance(callback, ast.Attribute)
                and isinstance(callback.value, ast.Name)
                and self._is_local_object(callback.value.id)
                and self._bound_to(callback, callback.value.id)
            ):
                self.report(node, text=ast.unparse(node), obj=callback.value.id)

    def _bound_to(self, callback: ast.AST, name: str) -> bool:
        """The callback is a bound method of `name` (or a lambda using it)."""
        if isinstance(callback, ast.Lambda):
            return _holds(callback, name)
        if not (
            isinstance(callback, ast.Attribute)
            and isinstance(callback.value, ast.Name)
            and callback.value.id == name
        ):
            return False
        cls = enclosing_class(self.ctx.ancestors)
        function = self.ctx.enclosing_function()
        args = [*function.args.posonlyargs, *function.args.args] if function else []
        if cls is not None and args and args[0].arg == name:
            return self.ctx.shared(ClassModel).info(cls).is_bound_method(callback.attr)
        return True  # ``finalize(obj, obj.close)``: a callback looked up on the object

    def _is_local_object(self, name: str) -> bool:
        function = self.ctx.enclosing_function()
        if function is None:
            return False
        args = [*function.args.posonlyargs, *function.args.args]
        if args and args[0].arg == name and enclosing_class(self.ctx.ancestors) is not None:
            return True  # self
        return any(
            isinstance(sub, ast.Assign)
            and any(isinstance(t, ast.Name) and t.id == name for t in sub.targets)
            and isinstance(sub.value, ast.Call)
            for sub in walk_shallow(function.body)
        )


def _holds(expr: ast.AST, name: str) -> bool:
    """`expr`, passed as an argument, holds `name` itself (or is a lambda using it)."""
    if isinstance(expr, ast.Name):
        return expr.id == name
    if isinstance(expr, ast.Lambda):
        return any(isinstance(s, ast.Name) and s.id == name for s in walk(expr.body))
    if isinstance(expr, (ast.Tuple, ast.List)):
        return any(_holds(e, name) for e in expr.elts)
    return False


@register
class UnsafeFinalizerBody(_DelRule):
    """
    ## What it does
    Finds `__del__` methods that can fail or do harm when they run:

    * they read an attribute that `__init__` sets only after something that can raise (or does
      not set at all), without `getattr(self, name, default)`: when `__init__` fails, `__del__`
      still runs on the half-built object and raises `AttributeError`;
    * they take a lock (`with self._lock:`, `lock.acquire()`): `__del__` runs in whatever thread
      drops the last reference, possibly one that already holds the lock, which deadlocks;
    * they store `self` somewhere reachable (`registry.append(self)`): the object is
      resurrected, and its `__del__` will not run again.

    ## Why is this bad?
    Exceptions in `__del__` are not propagated: Python prints "Exception ignored in" and goes
    on, so the cleanup silently did not happen. A lock taken in a finalizer turns garbage
    collection into a deadlock. A resurrected object lives on with its finalizer spent.

    ## Example
    ```python
    class Resource:
        def __init__(self, path):
            self.path = path.strip()
            self.handle = open(self.path)

        def __del__(self):
            self.handle.close()
    ```

    ## Use instead
    ```python
    class Resource:
        def __init__(self, path):
            self.handle = None
            self.path = path.strip()
            self.handle = open(self.path)

        def __del__(self):
            if self.handle is not None:
                self.handle.close()
    ```

    ## Fix safety
    There is no automatic fix.

    ## References
    - [object.__del__](https://docs.python.org/3/reference/datamodel.html#object.__del__)
    """

    code = "GCL205"
    needles = ("__del__",)
    name = "unsafe-finalizer-body"
    summary = "__del__ that can raise, takes a lock, reads module globals or resurrects self"
    message = "'{cls}.__del__' {problem}"
    references = (DEL_DOCS,)

    invalid = (
        Example(
            """
            class Resource:
                def __init__(self, path):
                    self.path = path.strip()
                    self.handle = open(self.path)

                def __del__(self):
                    self.handle.close()
            """,
            expect=((6, 5),),
            trigger="""
            try:
                Resource(None)
            except AttributeError:
                pass
            gc.collect()
            observed = any("Resource.__del__" in repr(u.object) for u in unraisable)
            """,
            note="__init__ failed before setting 'handle'",
        ),
        Example(
            """
            import threading

            _lock = threading.Lock()
            _released = []


            class Pooled:
                def __del__(self):
                    with _lock:
                        _released.append(1)
            """,
            expect=((8, 5),),
            trigger="""
            import threading as _threading


            def drop_while_locked():
                obj = Pooled()
                with _lock:
                    del obj  # the finalizer runs here, in this thread, and waits for _lock


            worker = _threading.Thread(target=drop_while_locked, daemon=True)
            worker.start()
            worker.join(timeout=2)
            observed = worker.is_alive()
            """,
        ),
        Example(
            """
            _graveyard = []


            class Zombie:
                def __del__(self):
                    _graveyard.append(self)
            """,
            expect=((5, 5),),
            trigger="""
            zombie = Zombie()
            del zombie
            observed = len(_graveyard) == 1
            _graveyard.clear()
            """,
        ),
    )
    valid = (
        Example(
            """
            class Resource:
                def __init__(self, path):
                    self.handle = None
                    self.path = path.strip()
                    self.handle = open(self.path)

                def close(self):
                    if self.handle is not None:
                        self.handle.close()
                        self.handle = None

                def __enter__(self):
                    return self

                def __exit__(self, *exc):
                    self.close()

                def __del__(self):
                    self.close()
            """,
            trigger="""
            try:
                Resource(None)
            except AttributeError:
                pass
            gc.collect()
            observed = any("Resource.__del__" in repr(u.object) for u in unraisable)
            """,
        ),
        Example(
            """
            _released = []


            class Pooled:
                def __del__(self):
                    _released.append(1)
            """,
            trigger="""
            obj = Pooled()
            del obj
            observed = _released != [1]
            """,
        ),
    )
    truth = OBSERVED

    def visit_ClassDef(self, node: ast.ClassDef) -> None:
        finalizer = _own_del(node)
        if finalizer is None:
            return
        me = [*finalizer.args.posonlyargs, *finalizer.args.args]
        if not me:
            return
        name = me[0].arg
        problem = (
            self._unset_attribute(node, finalizer, name)
            or self._lock(finalizer)
            or self._resurrects(finalizer, name)
        )
        if problem:
            self.report(finalizer, cls=node.name, problem=problem)

    def _unset_attribute(
        self, cls: ast.ClassDef, finalizer: ast.FunctionDef | ast.AsyncFunctionDef, me: str
    ) -> str | None:
        init = next(
            (i for i in cls.body if isinstance(i, FUNCTION_TYPES) and i.name == "__init__"),
            None,
        )
        if init is None:
            return None
        safe = _set_before_raising(init) | self._class_defaults(cls)
        guarded = _guarded_attrs(finalizer, me)
        body = _after_early_return(finalizer.body, me, safe)
        for sub in _unguarded(body, me):
            if (
                isinstance(sub, ast.Attribute)
                and isinstance(sub.value, ast.Name)
                and sub.value.id == me
                and isinstance(sub.ctx, ast.Load)
                and sub.attr not in safe
                and sub.attr not in guarded
                and _assigned_in_init(init, sub.attr)
                and not _in_try(finalizer, sub)
            ):
                return (
                    f"reads 'self.{sub.attr}', which __init__ sets only after a statement that "
                    "can raise: if __init__ fails, __del__ raises AttributeError ('Exception "
                    "ignored in'); set it first, or use getattr(self, "
                    f"'{sub.attr}', None)"
                )
        return None

    def _class_defaults(self, cls: ast.ClassDef) -> set[str]:
        """Attributes with a value in the class body (of the class or its local bases): an
        instance that lacks them still reads the class's value."""
        names: set[str] = set()
        pending = [self.ctx.shared(ClassModel).info(cls)]
        while pending:
            info = pending.pop()
            pending.extend(info.bases)
            for item in info.node.body:
                if isinstance(item, ast.Assign):
                    names.update(t.id for t in item.targets if isinstance(t, ast.Name))
                elif isinstance(item, ast.AnnAssign) and item.value is not None:
                    if isinstance(item.target, ast.Name):
                        names.add(item.target.id)
                elif isinstance(item, FUNCTION_TYPES):
                    names.add(item.name)
        return names

    def _lock(self, finalizer: ast.FunctionDef | ast.AsyncFunctionDef) -> str | None:
        for sub in walk_shallow(finalizer.body):
            if isinstance(sub, ast.With) and any(
                _looks_like_lock(item.context_expr) for item in sub.items
            ):
                return (
                    "takes a lock: it runs in whatever thread drops the last reference, which "
                    "may already hold it (a deadlock); do not lock in a finalizer"
                )
            if (
                isinstance(sub, ast.Call)
                and isinstance(sub.func, ast.Attribute)
                and sub.func.attr == "acquire"
            ):
                return "acquires a lock: a finalizer may run while the lock is held (a deadlock)"
        return None

    def _resurrects(self, finalizer: ast.FunctionDef | ast.AsyncFunctionDef, me: str) -> str | None:
        for sub in walk_shallow(finalizer.body):
            stored = False
            if isinstance(sub, ast.Assign) and isinstance(sub.value, ast.Name):
                stored = sub.value.id == me and any(
                    not (isinstance(t, ast.Attribute) and getattr(t.value, "id", None) == me)
                    for t in sub.targets
                )
            elif (
                isinstance(sub, ast.Call)
                and isinstance(sub.func, ast.Attribute)
                and sub.func.attr in ("append", "add", "insert", "put", "put_nowait")
            ):
                stored = any(isinstance(a, ast.Name) and a.id == me for a in sub.args)
            if stored:
                return (
                    f"stores '{me}' where it stays reachable ('{ast.unparse(sub)}'): the object "
                    "is resurrected and its finalizer will not run again"
                )
        return None


def _unguarded(body: list[ast.stmt], me: str) -> list[ast.AST]:
    """The statements of __del__ that run whatever the object's state: reads under an ``if``
    that tests the object itself (``if not self.closed:``) are taken as guarded."""
    out: list[ast.AST] = []
    stack: list[ast.AST] = list(body)
    while stack:
        node = stack.pop()
        if isinstance(node, ast.If) and any(
            isinstance(n, ast.Attribute) and isinstance(n.value, ast.Name) and n.value.id == me
            for n in walk(node.test)
        ):
            out.append(node.test)
            continue
        if isinstance(node, (*FUNCTION_TYPES, ast.Lambda, ast.ClassDef)):
            continue
        out.append(node)
        stack.extend(children(node))
    return out


def _after_early_return(body: list[ast.stmt], me: str, safe: set[str]) -> list[ast.stmt]:
    """``if not self._created: return`` guards the rest of __del__: only what comes before the
    guard is read unconditionally."""
    for index, stmt in enumerate(body):
        if (
            isinstance(stmt, ast.If)
            and stmt.body
            and isinstance(stmt.body[-1], ast.Return)
            and any(
                isinstance(n, ast.Attribute)
                and isinstance(n.value, ast.Name)
                and n.value.id == me
                and n.attr in safe
                for n in walk(stmt.test)
            )
        ):
            return body[: index + 1]
    return body


# Calls that cannot fail with no or constant arguments: building empty containers, counters
# and synchronisation primitives.
_SAFE_CALLS = frozenset(
    {
        "dict",
        "list",
        "set",
        "tuple",
        "frozenset",
        "object",
        "bytearray",
        "count",
        "deque",
        "defaultdict",
        "OrderedDict",
        "Counter",
        "Lock",
        "RLock",
        "Event",
        "Condition",
        "Semaphore",
        "WeakSet",
        "WeakValueDictionary",
        "WeakKeyDictionary",
        "get_ident",
        "monotonic",
        "time",
        "perf_counter",
    }
)


def _can_raise(node: ast.AST) -> bool:
    """Whether evaluating `node` can raise (calls other than the safe ones above; await).

    ``super().__init__(...)`` is taken not to raise: a base initialiser that fails is the base
    class's business, and treating every one as raising makes every subclass suspect.
    """
    for sub in walk(node):
        if isinstance(sub, (ast.Await, ast.Raise)):
            return True
        if not isinstance(sub, ast.Call):
            continue
        func = sub.func
        name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
        if name == "__init__" and isinstance(func, ast.Attribute):
            receiver = func.value
            if isinstance(receiver, ast.Call) and getattr(receiver.func, "id", "") == "super":
                continue
        if name in _SAFE_CALLS and all(isinstance(a, ast.Constant) for a in sub.args):
            continue
        if name == "super":
            continue
        return True
    return False


def _set_before_raising(init: ast.FunctionDef | ast.AsyncFunctionDef) -> set[str]:
    """Attributes of self that __init__ sets before any statement that can raise."""
    me_args = [*init.args.posonlyargs, *init.args.args]
    me = me_args[0].arg if me_args else "self"
    safe: set[str] = set()
    for stmt in init.body:
        if isinstance(stmt, (ast.Assign, ast.AnnAssign)):
            targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
            names = [
                t.attr
                for t in targets
                if isinstance(t, ast.Attribute) and getattr(t.value, "id", None) == me
            ]
            if stmt.value is not None and not _can_raise(stmt.value):
                safe.update(names)
                continue
        if _can_raise(stmt):
            break
    return safe


def _assigned_in_init(init: ast.FunctionDef | ast.AsyncFunctionDef, attr: str) -> bool:
    return any(
        isinstance(n, ast.Attribute) and n.attr == attr and isinstance(n.ctx, ast.Store)
        for n in walk(init)
    )


def _guarded_attrs(finalizer: ast.FunctionDef | ast.AsyncFunctionDef, me: str) -> set[str]:
    """Attributes the finalizer reads safely, through hasattr() or getattr()."""
    out: set[str] = set()
    for n in walk(finalizer):
        if (
            isinstance(n, ast.Call)
            and isinstance(n.func, ast.Name)
            and n.func.id in ("hasattr", "getattr")
            and len(n.args) >= 2
            and isinstance(n.args[1], ast.Constant)
        ):
            out.add(str(n.args[1].value))
    return out


def _in_try(root: ast.AST, node: ast.AST) -> bool:
    return any(
        isinstance(sub, ast.Try)
        and sub.handlers
        and any(n is node for stmt in sub.body for n in walk(stmt))
        for sub in walk(root)
    )


def _looks_like_lock(expr: ast.AST) -> bool:
    name = expr.attr if isinstance(expr, ast.Attribute) else getattr(expr, "id", "")
    return "lock" in str(name).lower()
