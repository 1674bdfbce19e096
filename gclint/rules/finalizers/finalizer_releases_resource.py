"""GCL202 finalizer-releases-resource."""

from __future__ import annotations

import ast

from gclint.analysis.catalogue import RELEASE_CALLS, RELEASE_FUNCTIONS
from gclint.analysis.classes import ClassModel
from gclint.analysis.flow import walk_shallow
from gclint.registry import Example, register
from gclint.rules.finalizers._shared import DEL_DOCS, FINALIZE_DOCS, DelRule, own_del
from gclint.rules.finalizers._truth import OBSERVED


@register
class FinalizerReleasesResource(DelRule):
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
            doc=True,
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
        Example(
            """
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
            doc=True,
        ),
    )
    truth = OBSERVED

    def visit_ClassDef(self, node: ast.ClassDef) -> None:
        finalizer = own_del(node)
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
