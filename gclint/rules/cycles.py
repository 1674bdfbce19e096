"""GCL3xx: reference cycles and weak references."""

from __future__ import annotations

import ast
from typing import TYPE_CHECKING, ClassVar

from gclint.analysis.classes import ClassModel, Kind, enclosing_class, self_name
from gclint.analysis.flow import walk_shallow, walk_shallow_of
from gclint.analysis.walk import children, walk, walk_typed
from gclint.diagnostics import FixSafety
from gclint.registry import Example, Rule, Truth, register

if TYPE_CHECKING:
    from gclint.context import Context

GC_DOCS = "https://docs.python.org/3/library/gc.html"
WEAKREF_DOCS = "https://docs.python.org/3/library/weakref.html"

# Cycle truth: with automatic collection off, the trigger builds the structure, keeps only a
# weak reference `ref` to an object of it, and drops everything else. A cycle keeps the object
# alive after `del`; only gc.collect() frees it.
CYCLE_SETUP = "import gc\nimport weakref\n\ngc.disable()\n"
CYCLE_PROBE = """
alive_after_del = ref() is not None
gc.collect()
misbehaved = alive_after_del and ref() is None
"""
CYCLE_TRUTH = Truth(
    setup=CYCLE_SETUP,
    probe=CYCLE_PROBE,
    describe="the object survives `del` of its last name (with gc.disable()) and dies only at "
    "gc.collect()",
)
# The object is never freed at all, not even by gc.collect().
KEPT_TRUTH = Truth(
    setup=CYCLE_SETUP,
    probe="gc.collect()\nmisbehaved = ref() is not None\n",
    describe="the object survives `del` of its last name and even gc.collect()",
)
# The trigger observes the failure itself and sets `observed`.
OBSERVED_TRUTH = Truth(
    setup=CYCLE_SETUP + "observed = False\n",
    probe="misbehaved = bool(observed)\n",
    describe="the failure happens when the example runs (see each example's trigger)",
)


def _model(ctx: Context) -> ClassModel:
    return ctx.shared(ClassModel)


@register
class SelfReference(Rule):
    """
    ## What it does
    Finds an object made to reference itself: `x.append(x)`, `d[k] = d`, `self.me = self`,
    `x.field = x`.

    ## Why is this bad?
    An object that references itself is a reference cycle on its own: when the last outside
    reference goes, its reference count never reaches zero, so it (and everything it refers to)
    is freed only when the cyclic garbage collector runs, which may be much later, or never if
    the collector is disabled.

    ## Example
    ```python
    class Node:
        def __init__(self):
            self.root = self
    ```

    ## Use instead
    ```python
    class Node:
        def __init__(self, root=None):
            self.root = root  # None means "I am the root"
    ```

    ## Fix safety
    There is no automatic fix.

    ## References
    - [gc: Garbage Collector interface](https://docs.python.org/3/library/gc.html)
    """

    code = "GCL301"
    name = "self-reference"
    summary = "an object is made to reference itself"
    message = "'{text}' makes '{name}' reference itself: a reference cycle only gc.collect() frees"
    references = (GC_DOCS,)

    invalid = (
        Example(
            """
            class Node:
                def __init__(self, name):
                    self.name = name
                    self.root = self
            """,
            expect=((4, 9),),
            trigger='ref = weakref.ref(Node("a"))',
        ),
        Example(
            """
            def make_registry():
                registry = {}
                registry["self"] = registry
                return registry


            class Marker:
                pass
            """,
            expect=((3, 5),),
            trigger="""
            registry = make_registry()
            registry["marker"] = Marker()
            ref = weakref.ref(registry["marker"])
            del registry
            """,
        ),
        Example(
            """
            def build(items):
                queue = list(items)
                queue.append(queue)
                return len(queue)


            class Item:
                pass
            """,
            expect=((3, 5),),
            trigger="""
            item = Item()
            ref = weakref.ref(item)
            build([item])
            del item
            """,
        ),
    )
    valid = (
        Example(
            """
            class Node:
                def __init__(self, name, root=None):
                    self.name = name
                    self.root = root
            """,
            trigger='ref = weakref.ref(Node("a"))',
        ),
        Example(
            """
            def make_registry():
                registry = {}
                registry["copy"] = dict(registry)
                return registry


            class Marker:
                pass
            """,
            trigger="""
            registry = make_registry()
            registry["marker"] = Marker()
            ref = weakref.ref(registry["marker"])
            del registry
            """,
        ),
    )
    truth = CYCLE_TRUTH

    def visit_Assign(self, node: ast.Assign) -> None:
        value = node.value
        if not isinstance(value, ast.Name):
            return
        for target in node.targets:
            base = target.value if isinstance(target, (ast.Attribute, ast.Subscript)) else None
            if isinstance(base, ast.Name) and base.id == value.id:
                if not self._weak_name(value.id):  # the scope's walk only for a candidate
                    self.report(node, text=ast.unparse(node), name=value.id)
                return

    def _weak_name(self, name: str) -> bool:
        """The name holds a weak proxy (``root = weakref.proxy(...)``): no strong cycle."""
        function = self.ctx.enclosing_function()
        body = function.body if function is not None else self.ctx.tree.body
        chain = self.ctx.scope_chain()
        for sub in walk_shallow(body):
            if (
                isinstance(sub, ast.Assign)
                and isinstance(sub.value, ast.Call)
                and any(isinstance(t, ast.Name) and t.id == name for t in sub.targets)
            ):
                qual = self.ctx.scopes.qualname(sub.value.func, chain) or ""
                if qual.endswith(("weakref.proxy", "weakref.ref", "_weakref.proxy")):
                    return True
        return False

    def visit_Call(self, node: ast.Call) -> None:
        func = node.func
        if not (
            isinstance(func, ast.Attribute)
            and func.attr in ("append", "add", "insert", "appendleft", "setdefault")
            and isinstance(func.value, ast.Name)
        ):
            return
        name = func.value.id
        if any(isinstance(a, ast.Name) and a.id == name for a in node.args):
            self.report(node, text=ast.unparse(node), name=name)


@register
class StrongBackReference(Rule):
    """
    ## What it does
    Finds two objects that keep strong references to each other: a parent storing a child that
    stores the parent (`self.child = Child(self)` where `Child.__init__` keeps its argument;
    `child.parent = self` while `self.children` holds `child`), and the mutual
    `a.field = b; b.field = a`.

    ## Why is this bad?
    Parent and child form a reference cycle: dropping the last outside reference to the parent
    frees neither of them. The whole tree, and everything its nodes refer to, waits for the
    cyclic garbage collector. The child only needs to find its parent, not keep it alive.

    ## Example
    ```python
    class Child:
        def __init__(self, parent):
            self.parent = parent


    class Parent:
        def __init__(self):
            self.child = Child(self)
    ```

    ## Use instead
    ```python
    import weakref


    class Child:
        def __init__(self, parent):
            self._parent = weakref.ref(parent)

        @property
        def parent(self):
            return self._parent()


    class Parent:
        def __init__(self):
            self.child = Child(self)
    ```

    ## Fix safety
    The fix is unsafe (applied only with `--unsafe-fixes`): the back-reference is handed a
    `weakref.proxy` of the object instead of the object (`Child(weakref.proxy(self))`,
    `child.parent = weakref.proxy(self)`), so no read of it has to change. Code that relied on
    the child keeping its parent alive now gets `ReferenceError` once the parent is gone, and
    a proxy is not the object itself (`is`, `type()`, hashing and pickling differ). The fix
    is applied only to the parent/child shapes: `Child(self)` stored on `self` in the parent's
    own `__init__`, or `child.parent = self` (or `peer.other = obj` where the function returns
    `obj`) where `child` is made in that function (`child = Node(...)`) and the other edge
    stores it; never to a container of children, nor to an object that may be all that keeps
    the other alive (`cls._meta = self` in a method). The weak side's class must be defined in
    the module and support weak references (no `__slots__` without `__weakref__`, no foreign
    bases), and nothing in the module may compare the attribute by identity, test membership
    with it or hash it.

    ## References
    - [weakref](https://docs.python.org/3/library/weakref.html)
    """

    code = "GCL302"
    name = "strong-back-reference"
    summary = "two objects keep strong references to each other (parent/child back-reference)"
    message = (
        "'{text}' completes a reference cycle: {detail}; make the back-reference a weakref.ref"
    )
    fix_safety = FixSafety.UNSAFE
    fix_title = "Make the back-reference weak"
    references = (WEAKREF_DOCS,)

    invalid = (
        Example(
            """
            class Child:
                def __init__(self, parent):
                    self.parent = parent


            class Parent:
                def __init__(self):
                    self.child = Child(self)
            """,
            expect=((8, 9),),
            trigger="ref = weakref.ref(Parent())",
            fixed="""
            import weakref


            class Child:
                def __init__(self, parent):
                    self.parent = parent


            class Parent:
                def __init__(self):
                    self.child = Child(weakref.proxy(self))
            """,
        ),
        Example(
            """
            class TreeNode:
                def __init__(self, name):
                    self.name = name
                    self.parent = None
                    self.children = []

                def add(self, name):
                    child = TreeNode(name)
                    child.parent = self
                    self.children.append(child)
                    return child
            """,
            expect=((10, 9),),
            trigger="""
            root = TreeNode("root")
            root.add("leaf")
            ref = weakref.ref(root)
            del root
            """,
            fixed="""
            import weakref


            class TreeNode:
                def __init__(self, name):
                    self.name = name
                    self.parent = None
                    self.children = []

                def add(self, name):
                    child = TreeNode(name)
                    child.parent = weakref.proxy(self)
                    self.children.append(child)
                    return child
            """,
        ),
        Example(
            """
            class Endpoint:
                pass


            def connect():
                client, server = Endpoint(), Endpoint()
                client.peer = server
                server.peer = client
                return client
            """,
            expect=((8, 5),),
            trigger="ref = weakref.ref(connect())",
            fixed="""
            import weakref


            class Endpoint:
                pass


            def connect():
                client, server = Endpoint(), Endpoint()
                client.peer = server
                server.peer = weakref.proxy(client)
                return client
            """,
        ),
    )
    valid = (
        Example(
            """
            import weakref


            class Child:
                def __init__(self, parent):
                    self._parent = weakref.ref(parent)


            class Parent:
                def __init__(self):
                    self.child = Child(self)
            """,
            trigger="ref = weakref.ref(Parent())",
        ),
        Example(
            """
            import weakref


            class TreeNode:
                def __init__(self, name):
                    self.name = name
                    self.parent = None
                    self.children = []

                def add(self, name):
                    child = TreeNode(name)
                    child.parent = weakref.proxy(self)
                    self.children.append(child)
                    return child
            """,
            trigger="""
            root = TreeNode("root")
            root.add("leaf")
            ref = weakref.ref(root)
            del root
            """,
        ),
    )
    truth = CYCLE_TRUTH

    def visit_ClassDef(self, node: ast.ClassDef) -> None:
        info = _model(self.ctx).info(node)
        for store in info.cycle_stores():
            if store.kind is Kind.CHILD:
                self.report(
                    store.node,
                    text=ast.unparse(store.node),
                    detail=f"{store.detail} keeps a strong reference back to this object",
                )

    def __init__(self, ctx: Context) -> None:
        super().__init__(ctx)
        # the edges each function's own statements make, by function (as the walk meets them)
        self._edges: dict[int, list[tuple[tuple[str, str, str], ast.AST]]] = {}

    def _collect(self, stmt: ast.Assign | ast.Expr) -> None:
        scopes = self.ctx.scope_stack
        owner = scopes[-1] if scopes else None  # a statement of this function, not a nested one
        if isinstance(owner, (ast.FunctionDef, ast.AsyncFunctionDef)):
            edges = _strong_edges(stmt)
            if edges:
                self._edges.setdefault(id(owner), []).extend((edge, stmt) for edge in edges)

    def visit_Assign(self, node: ast.Assign) -> None:
        if type(node.value) is ast.Name:  # ``a.x = b``: the only assignment making an edge
            self._collect(node)

    def visit_Expr(self, node: ast.Expr) -> None:
        call = node.value
        if type(call) is ast.Call and type(call.func) is ast.Attribute:  # ``a.xs.append(b)``
            self._collect(node)

    def leave_FunctionDef(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        """``child.attr = owner`` plus ``owner.<x> = child`` / ``owner.<xs>.append(child)``."""
        found = self._edges.pop(id(node), [])
        if not _has_mutual_pair([edge for edge, _stmt in found]):
            return  # the class model (what the class manages) only for a candidate pair
        cls = enclosing_class(self.ctx.ancestors)
        managed = _model(self.ctx).info(cls).managed() if cls is not None else set()
        edges: list[tuple[str, str, ast.AST]] = [  # (holder, held, statement)
            (holder, held, stmt) for (holder, held, attr), stmt in found if attr not in managed
        ]
        reported: set[int] = set()
        for i, (holder, held, stmt) in enumerate(edges):
            for other_holder, other_held, other in edges[:i]:
                if other_holder == held and other_held == holder and id(stmt) not in reported:
                    reported.add(id(stmt))
                    self.report(
                        stmt,
                        text=ast.unparse(stmt),
                        detail=f"'{holder}' and '{held}' hold each other "
                        f"(the other edge at line {getattr(other, 'lineno', '?')})",
                    )

    leave_AsyncFunctionDef = leave_FunctionDef


def _has_mutual_pair(edges: list[tuple[str, str, str]]) -> bool:
    pairs = {(holder, held) for holder, held, _attr in edges}
    return any((held, holder) in pairs for holder, held in pairs)


def _strong_edges(stmt: ast.AST) -> list[tuple[str, str, str]]:
    """(holder, held, attribute) a statement creates: ``a.x = b``, ``a.xs.append(b)``."""
    out: list[tuple[str, str, str]] = []
    if isinstance(stmt, ast.Assign) and isinstance(stmt.value, ast.Name):
        for target in stmt.targets:
            root = _root_name(target)
            if root is not None and root != stmt.value.id and not isinstance(target, ast.Name):
                out.append((root, stmt.value.id, _first_attr(target)))
    elif (
        isinstance(stmt, ast.Expr)
        and isinstance(stmt.value, ast.Call)
        and isinstance(stmt.value.func, ast.Attribute)
        and stmt.value.func.attr in ("append", "add", "insert", "appendleft")
    ):
        root = _root_name(stmt.value.func.value)
        for arg in stmt.value.args:
            if isinstance(arg, ast.Name) and root is not None and root != arg.id:
                out.append((root, arg.id, _first_attr(stmt.value.func.value)))
    return out


def _first_attr(target: ast.AST) -> str:
    """The attribute an edge goes through: ``a.xs[k]`` and ``a.xs.append`` -> 'xs'."""
    while isinstance(target, ast.Subscript):
        target = target.value
    return target.attr if isinstance(target, ast.Attribute) else ""


def _root_name(expr: ast.AST) -> str | None:
    while isinstance(expr, (ast.Attribute, ast.Subscript)):
        expr = expr.value
    return expr.id if isinstance(expr, ast.Name) else None


@register
class BoundMethodStoredOnSelf(Rule):
    """
    ## What it does
    Finds a bound method of `self`, a lambda or nested function that uses `self`, or a
    `functools.partial` of either, stored on `self` (`self.cb = self.method`) or registered into
    a container held by `self` (`self.handlers.append(self.on_event)`,
    `self.routes[path] = self.handle`).

    ## Why is this bad?
    A bound method holds its instance, so storing it on the instance makes a reference cycle:
    the object is freed only when the cyclic garbage collector runs, and with it every resource
    it holds waits too.

    ## Example
    ```python
    class App:
        def __init__(self):
            self.routes = {}
            self.routes["/health"] = self.health

        def health(self):
            return "ok"
    ```

    ## Use instead
    ```python
    class App:
        def __init__(self):
            self.routes = {"/health": "health"}

        def dispatch(self, path):
            return getattr(self, self.routes[path])()

        def health(self):
            return "ok"
    ```
    or keep a `weakref.WeakMethod(self.health)`.

    ## Fix safety
    There is no automatic fix.

    ## References
    - [weakref.WeakMethod](https://docs.python.org/3/library/weakref.html#weakref.WeakMethod)
    """

    code = "GCL303"
    needles = ("class",)
    name = "bound-method-stored-on-self"
    summary = "a bound method, closure or partial of self is stored on self"
    message = (
        "'{text}' stores {what} on the object it belongs to: a reference cycle that only "
        "gc.collect() frees; store a weakref.WeakMethod or call the method when needed"
    )
    references = (WEAKREF_DOCS + "#weakref.WeakMethod",)

    invalid = (
        Example(
            """
            class App:
                def __init__(self):
                    self.routes = {}
                    self.routes["/health"] = self.health

                def health(self):
                    return "ok"
            """,
            expect=((4, 9),),
            trigger="ref = weakref.ref(App())",
            note="a web framework app whose registry stores its own bound method",
        ),
        Example(
            """
            class Connection:
                def __init__(self, transport):
                    self.transport = transport
                    self.on_data = self.handle_data
                    self.on_close = lambda: self.transport.clear()

                def handle_data(self, data):
                    self.transport.append(data)
            """,
            expect=((4, 9), (5, 9)),
            trigger="ref = weakref.ref(Connection([]))",
            note="a connection whose callbacks are bound methods stored on it",
        ),
        Example(
            """
            import functools


            class Poller:
                def __init__(self):
                    self.callbacks = []
                    self.callbacks.append(functools.partial(self.poll, timeout=1))

                def poll(self, timeout):
                    return timeout
            """,
            expect=((7, 9),),
            trigger="ref = weakref.ref(Poller())",
        ),
    )
    valid = (
        Example(
            """
            import weakref


            class Connection:
                def __init__(self, transport):
                    self.transport = transport
                    self.on_data = weakref.WeakMethod(self.handle_data)

                def handle_data(self, data):
                    self.transport.append(data)
            """,
            trigger="ref = weakref.ref(Connection([]))",
        ),
        Example(
            """
            class App:
                def __init__(self):
                    self.handler = self.make_handler
                    self.routes = {"/health": "health"}

                @staticmethod
                def make_handler():
                    return "handler"

                def dispatch(self, path):
                    return getattr(self, self.routes[path])()
            """,
            trigger="ref = weakref.ref(App())",
            note="a staticmethod looked up on self is a plain function",
        ),
    )
    truth = CYCLE_TRUTH

    def visit_ClassDef(self, node: ast.ClassDef) -> None:
        info = _model(self.ctx).info(node)
        for store in info.cycle_stores():
            if store.kind is Kind.BOUND:
                self.report(store.node, text=ast.unparse(store.node), what=f"'{store.detail}'")


_FRAME_SOURCES = {
    "sys._getframe": "the current frame",
    "inspect.currentframe": "the current frame",
    "sys.exc_info": "the traceback",
}


@register
class ExceptionOrFrameKept(Rule):
    """
    ## What it does
    Finds an exception stored beyond its `except` block (`self.err = e`, `errors.append(e)`,
    `self.failures[key] = e`), and a traceback or the current frame bound to a local name
    (`tb = sys.exc_info()[2]`, `info = sys.exc_info()`, `tb = e.__traceback__`,
    `frame = sys._getframe()`, `inspect.currentframe()`) that is not deleted in a `finally:`.

    ## Why is this bad?
    An exception holds its traceback, the traceback holds every frame it went through, and each
    frame holds all of its local variables. A traceback or frame kept in a local of the same
    frame is a cycle (frame -> locals -> traceback -> frame): when the function returns,
    nothing is freed until the cyclic garbage collector runs. An exception stored on `self`
    inside a method does the same through `self`. Python deletes the `as e` name at the end of
    the handler for exactly this reason.

    ## Example
    ```python
    import sys


    def handle(request, process, log):
        try:
            return process(request)
        except ValueError:
            tb = sys.exc_info()[2]
            log(tb)
            return None
    ```

    ## Use instead
    ```python
    import sys


    def handle(request, process, log):
        try:
            return process(request)
        except ValueError:
            tb = sys.exc_info()[2]
            try:
                log(tb)
            finally:
                del tb
            return None
    ```

    ## Fix safety
    For a traceback or frame in a local, the fix is safe: the statements after the binding, up
    to the last one that uses the name, go into `try:` with `finally: del tb` (statements
    after that stay after it). When those statements are exactly one `try` with a `finally:`,
    `del tb` is added at the end of that `finally:` instead (unless it can `return`, `raise`,
    `break` or `continue` first); a `del tb` that already ended them moves into the new
    `finally:`. The fix is skipped when the name is also used after the block that binds it,
    inside a nested function, lambda or generator expression (which may run after the `del`),
    is declared `global`/`nonlocal`, is deleted before its last use, or is not used at all
    after it is bound, and when the function calls `locals()`, `vars()`, `dir()`, `exec` or
    `eval`. Stored exceptions have no automatic fix: store
    `e.with_traceback(None)`, or a summary (`repr(e)`), instead.

    ## References
    - [The try statement: except clause](https://docs.python.org/3/reference/compound_stmts.html#except-clause)
    - [sys.exc_info](https://docs.python.org/3/library/sys.html#sys.exc_info)
    - [inspect: the interpreter stack](https://docs.python.org/3/library/inspect.html#the-interpreter-stack)
    """

    code = "GCL304"
    FRAME_NEEDLES: ClassVar[tuple[str, ...]] = (
        "exc_info",
        "_getframe",
        "currentframe",
        "__traceback__",
    )
    needles = ("except", *FRAME_NEEDLES)
    name = "exception-or-frame-kept"
    summary = "an exception, traceback or frame is kept beyond its handler without being deleted"
    message = (
        "'{text}' keeps {what}, whose frames hold every local: a reference cycle that only "
        "gc.collect() frees; {fix}"
    )
    fix_safety = FixSafety.SAFE
    fix_title = "Delete the local in 'finally:'"
    references = ("https://docs.python.org/3/reference/compound_stmts.html#except-clause",)

    invalid = (
        Example(
            """
            import sys


            def handle(request, process, log):
                try:
                    return process(request)
                except ValueError:
                    tb = sys.exc_info()[2]
                    log(tb)
                    return None
            """,
            expect=((8, 9),),
            trigger="""
            class Request:
                pass


            def process(request):
                raise ValueError("bad request")


            request = Request()
            ref = weakref.ref(request)
            handle(request, process, print)
            del request
            """,
            fixed="""
            import sys


            def handle(request, process, log):
                try:
                    return process(request)
                except ValueError:
                    tb = sys.exc_info()[2]
                    try:
                        log(tb)
                    finally:
                        del tb
                    return None
            """,
        ),
        Example(
            """
            class Stream:
                def __init__(self, source):
                    self.source = source
                    self.errors = []

                def read_all(self):
                    for chunk in self.source:
                        try:
                            int(chunk)
                        except ValueError as exc:
                            self.errors.append(exc)
            """,
            expect=((11, 17),),
            trigger="""
            stream = Stream(["1", "x"])
            stream.read_all()
            ref = weakref.ref(stream)
            del stream
            """,
            note="a stream keeping exceptions with their tracebacks",
            no_fix="an exception stored beyond its handler has no automatic fix",
        ),
        Example(
            """
            import inspect


            def describe(value):
                frame = inspect.currentframe()
                return f"{frame.f_code.co_name}: {value!r}"
            """,
            expect=((5, 5),),
            trigger="""
            class Value:
                pass


            value = Value()
            ref = weakref.ref(value)
            describe(value)
            del value
            """,
            fixed="""
            import inspect


            def describe(value):
                frame = inspect.currentframe()
                try:
                    return f"{frame.f_code.co_name}: {value!r}"
                finally:
                    del frame
            """,
        ),
    )
    valid = (
        Example(
            """
            import sys


            def handle(request, process, log):
                try:
                    return process(request)
                except ValueError:
                    tb = sys.exc_info()[2]
                    try:
                        log(tb)
                    finally:
                        del tb
                    return None
            """,
            trigger="""
            class Request:
                pass


            def process(request):
                raise ValueError("bad request")


            request = Request()
            ref = weakref.ref(request)
            handle(request, process, print)
            del request
            """,
        ),
        Example(
            """
            class Stream:
                def __init__(self, source):
                    self.source = source
                    self.errors = []

                def read_all(self):
                    for chunk in self.source:
                        try:
                            int(chunk)
                        except ValueError as exc:
                            self.errors.append(repr(exc))
            """,
            trigger="""
            stream = Stream(["1", "x"])
            stream.read_all()
            ref = weakref.ref(stream)
            del stream
            """,
        ),
    )
    truth = CYCLE_TRUTH

    def visit_ExceptHandler(self, node: ast.ExceptHandler) -> None:
        if not node.name:
            return
        name = node.name
        candidates = [stmt for stmt in walk_shallow(node.body) if _stores_beyond(stmt, name)]
        if not candidates:
            return  # what the class resets is looked at only for a store
        cls = enclosing_class(self.ctx.ancestors)
        managed = _model(self.ctx).info(cls).managed() if cls is not None else set()
        for stmt in candidates:
            if _first_attr_of(stmt) not in managed:
                self.report(
                    stmt,
                    text=ast.unparse(stmt).splitlines()[0],
                    what=f"the exception '{name}' beyond its handler",
                    fix=f"store '{name}.with_traceback(None)' or a summary instead",
                )

    def visit_FunctionDef(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        if not self.ctx.mentions(*self.FRAME_NEEDLES):
            return
        chain = self.ctx.scope_chain(node)
        handlers: dict[str, list[ast.ExceptHandler]] | None = None
        for stmt in walk_shallow_of(node.body, (ast.Assign,)):
            if not (
                isinstance(stmt, ast.Assign)
                and len(stmt.targets) == 1
                and isinstance(stmt.targets[0], ast.Name)
            ):
                continue
            if handlers is None:  # the function's except blocks, once it assigns a name
                handlers = _handler_ranges(node)
            name = stmt.targets[0].id
            what = self._frame_value(stmt.value, chain, handlers, stmt)
            if what is None:
                continue
            if (
                name in _cleared_in_finally(node)
                or _returned(node, name)
                or _store_counts(node)[name] > 1
            ):
                continue  # deleted, returned, or rebound later (``while f := f.f_back``)
            self.report(stmt, text=ast.unparse(stmt), what=what, fix=f"'del {name}' in 'finally:'")

    visit_AsyncFunctionDef = visit_FunctionDef

    def _frame_value(
        self,
        value: ast.AST,
        chain: list[ast.AST],
        handlers: dict[str, list[ast.ExceptHandler]],
        stmt: ast.stmt,
    ) -> str | None:
        """What the value keeps, if it makes a cycle with this function's frame.

        A traceback does only when the exception was caught in this frame: the statement is
        inside one of the function's own ``except`` blocks (for ``sys.exc_info()``), or the
        exception is that block's ``as`` name (for ``e.__traceback__``).
        """
        if not isinstance(value, (ast.Subscript, ast.Call, ast.Attribute)):
            return None
        inside = (
            [h for hs in handlers.values() for h in hs if _contains(h, stmt)] if handlers else []
        )
        if isinstance(value, ast.Subscript) and isinstance(value.value, ast.Call):
            qual = self.ctx.scopes.qualname(value.value.func, chain)
            index = value.slice
            if (
                qual == "sys.exc_info"
                and isinstance(index, ast.Constant)
                and index.value in (2, -1)
                and inside
            ):
                return "the traceback"
            return None
        if isinstance(value, ast.Call):
            qual = self.ctx.scopes.qualname(value.func, chain)
            first = value.args[0] if value.args else None
            current = first is None or (isinstance(first, ast.Constant) and first.value == 0)
            if qual == "sys._getframe" and current:
                return "the current frame"
            if qual == "inspect.currentframe":
                return "the current frame"
            if qual == "sys.exc_info" and inside:
                return "the traceback"
            return None
        if (
            isinstance(value, ast.Attribute)
            and value.attr == "__traceback__"
            and isinstance(value.value, ast.Name)
            and any(h.name == value.value.id for h in inside)
        ):
            return "a traceback"
        return None


def _handler_ranges(function: ast.AST) -> dict[str, list[ast.ExceptHandler]]:
    handlers: dict[str, list[ast.ExceptHandler]] = {}
    for node in walk_shallow_of(getattr(function, "body", []), (ast.ExceptHandler,)):
        if isinstance(node, ast.ExceptHandler):
            handlers.setdefault(node.name or "", []).append(node)
    return handlers


def _contains(root: ast.AST, node: ast.AST) -> bool:
    return any(n is node for n in walk(root))


def _store_counts(function: ast.AST) -> dict[str, int]:
    counts: dict[str, int] = {}
    for node in walk_shallow_of(getattr(function, "body", []), (ast.Name,)):
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            counts[node.id] = counts.get(node.id, 0) + 1
    return counts


def _stores_beyond(stmt: ast.AST, name: str) -> bool:
    """Whether `stmt` stores the exception `name` somewhere that outlives the handler."""
    if (
        isinstance(stmt, (ast.Assign, ast.AnnAssign))
        and isinstance(stmt.value, ast.Name)
        and stmt.value.id == name
    ):
        targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
        return any(
            isinstance(t, ast.Subscript)
            or (isinstance(t, ast.Attribute) and t.attr not in ("__cause__", "__context__"))
            for t in targets
        )
    if (
        isinstance(stmt, ast.Expr)
        and isinstance(stmt.value, ast.Call)
        and isinstance(stmt.value.func, ast.Attribute)
        and stmt.value.func.attr in ("append", "add", "insert", "appendleft", "extend")
    ):
        return any(isinstance(a, ast.Name) and a.id == name for a in stmt.value.args)
    return False


def _first_attr_of(stmt: ast.AST) -> str:
    """The attribute a store goes into (``self.err = e`` -> 'err'; ``self.errs.append`` ->
    'errs')."""
    if isinstance(stmt, (ast.Assign, ast.AnnAssign)):
        target = stmt.targets[0] if isinstance(stmt, ast.Assign) else stmt.target
        return _first_attr(target)
    if isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Call):
        func = stmt.value.func
        if isinstance(func, ast.Attribute):
            return _first_attr(func.value)
    return ""


def _cleared_in_finally(function: ast.FunctionDef | ast.AsyncFunctionDef) -> set[str]:
    names: set[str] = set()
    for node in walk_shallow(function.body):
        if isinstance(node, ast.Try):
            for stmt in walk_shallow(node.finalbody):
                if isinstance(stmt, ast.Delete):
                    names.update(t.id for t in stmt.targets if isinstance(t, ast.Name))
                if isinstance(stmt, ast.Assign) and isinstance(stmt.value, ast.Constant):
                    names.update(t.id for t in stmt.targets if isinstance(t, ast.Name))
    return names


def _returned(function: ast.FunctionDef | ast.AsyncFunctionDef, name: str) -> bool:
    """Whether the name itself (not data read from it) is returned or yielded."""
    return any(
        isinstance(node, (ast.Return, ast.Yield))
        and node.value is not None
        and _refers_to(node.value, name)
        for node in walk_shallow(function.body)
    )


@register
class WeakrefToEphemeral(Rule):
    """
    ## What it does
    Finds `weakref.ref(...)`/`weakref.proxy(...)` of a bound method (`weakref.ref(self.on_change)`)
    or of a temporary (`weakref.ref(Handler())`, `weakref.ref(lambda: ...)`).

    ## Why is this bad?
    `self.on_change` creates a new bound-method object on every access; nothing else refers to
    it, so it dies as soon as `weakref.ref()` returns, and the weak reference is dead on arrival:
    the callback is silently never called. A temporary object dies the same way.

    ## Example
    ```python
    import weakref


    class Widget:
        def __init__(self, bus):
            bus.subscribe(weakref.ref(self.on_change))

        def on_change(self, event):
            return event
    ```

    ## Use instead
    ```python
    import weakref


    class Widget:
        def __init__(self, bus):
            bus.subscribe(weakref.WeakMethod(self.on_change))

        def on_change(self, event):
            return event
    ```

    ## Fix safety
    The fix for a bound method is safe: `weakref.ref(self.on_change)` becomes
    `weakref.WeakMethod(self.on_change)`, which keeps a weak reference to the instance and
    the function and rebuilds the bound method on each call (a callback argument is kept:
    `WeakMethod` takes the same one). The module's spelling is kept: `wr.WeakMethod` after
    `import weakref as wr`; after `from weakref import ref`, `WeakMethod` is used when it is
    already imported so, else added to that `from weakref import` line, else spelled
    `weakref.WeakMethod` with `import weakref` added. There is no safe fix for a
    `weakref.proxy(...)` of a bound method (`WeakMethod` is not a proxy) or for a weak
    reference to a temporary object: keep a strong reference to it.

    ## References
    - [weakref.WeakMethod](https://docs.python.org/3/library/weakref.html#weakref.WeakMethod)
    """

    code = "GCL305"
    needles = ("weakref",)
    name = "weakref-to-ephemeral"
    summary = "a weak reference to a bound method or a temporary, dead on arrival"
    message = "'{text}' is dead on arrival: {why}; {fix}"
    fix_safety = FixSafety.SAFE
    fix_title = "Use weakref.WeakMethod"
    references = (WEAKREF_DOCS + "#weakref.WeakMethod",)

    invalid = (
        Example(
            """
            import weakref


            class Widget:
                def __init__(self, subscribers):
                    subscribers.append(weakref.ref(self.on_change))

                def on_change(self, event):
                    return event
            """,
            expect=((6, 28),),
            trigger="""
            subscribers = []
            widget = Widget(subscribers)
            observed = subscribers[0]() is None
            """,
            fixed="""
            import weakref


            class Widget:
                def __init__(self, subscribers):
                    subscribers.append(weakref.WeakMethod(self.on_change))

                def on_change(self, event):
                    return event
            """,
        ),
        Example(
            """
            import weakref


            class Handler:
                pass


            def register():
                return weakref.ref(Handler())
            """,
            expect=((9, 12),),
            trigger="observed = register()() is None",
            no_fix="a weak reference to a temporary has no safe fix",
        ),
    )
    valid = (
        Example(
            """
            import weakref


            class Widget:
                def __init__(self, subscribers):
                    subscribers.append(weakref.WeakMethod(self.on_change))

                def on_change(self, event):
                    return event
            """,
            trigger="""
            subscribers = []
            widget = Widget(subscribers)
            observed = subscribers[0]() is None
            """,
        ),
        Example(
            """
            import weakref


            class Handler:
                pass


            def register(handler):
                return weakref.ref(handler)
            """,
            trigger="""
            handler = Handler()
            observed = register(handler)() is None
            """,
        ),
    )
    truth = OBSERVED_TRUTH

    def visit_Call(self, node: ast.Call) -> None:
        if not node.args or not self.ctx.may_name(node.func, frozenset({"ref", "proxy"})):
            return
        qual = self.ctx.call_qualname(node)
        if qual not in ("weakref.ref", "weakref.proxy"):
            return
        target = node.args[0]
        text = ast.unparse(node)
        if isinstance(target, ast.Attribute) and isinstance(target.value, ast.Name):
            cls = enclosing_class(self.ctx.ancestors)
            function = self.ctx.enclosing_function()
            if cls is None or function is None or target.value.id != self_name(function):
                return
            if _model(self.ctx).info(cls).is_bound_method(target.attr):
                self.report(
                    node,
                    text=text,
                    why=f"'{ast.unparse(target)}' makes a new bound method that nothing keeps",
                    fix=f"use 'weakref.WeakMethod({ast.unparse(target)})'",
                )
            return
        if isinstance(target, ast.Lambda):
            self.report(node, text=text, why="nothing else refers to the lambda", fix="keep it")
            return
        if isinstance(target, ast.Call) and isinstance(target.func, ast.Name):
            definition = self.ctx.scopes.local_definition(target.func.id, self.ctx.scope_chain())
            if isinstance(definition, ast.ClassDef):
                self.report(
                    node,
                    text=text,
                    why=f"the new '{target.func.id}' object is referred to by nothing else",
                    fix="keep a strong reference to it",
                )


@register
class WeakrefDereferenceUnchecked(Rule):
    """
    ## What it does
    Finds a weak reference dereferenced without a `None` check (`self._parent().children`,
    `self._callback()(event)`), or dereferenced twice (`if ref(): ref().run()`, where the
    referent may die between the two calls).

    ## Why is this bad?
    A weak reference returns `None` once its referent has been collected; that is its purpose.
    Dereferencing it blindly turns that normal event into an `AttributeError` or `TypeError`
    on `None`, at an unpredictable moment.

    ## Example
    ```python
    import weakref


    class Child:
        def __init__(self, parent):
            self._parent = weakref.ref(parent)

        def siblings(self):
            return self._parent().children
    ```

    ## Use instead
    ```python
    import weakref


    class Child:
        def __init__(self, parent):
            self._parent = weakref.ref(parent)

        def siblings(self):
            parent = self._parent()
            if parent is None:
                return []
            return parent.children
    ```

    ## Fix safety
    The fix is unsafe (applied only with `--unsafe-fixes`): what to do when the referent is
    gone is the program's decision, and the fix decides it. The referent is bound once and
    checked. A dereference in a statement of its own (`self._parent().children.append(x)`,
    `self._callback()(event)`, `self._parent().name = name`, `self._parent().count += 1`)
    becomes `parent = self._parent()` and the statement under `if parent is not None:`
    (so it is silently skipped when the referent is gone); `return self._parent().children`
    becomes `parent = self._parent()` / `if parent is None: return None` /
    `return parent.children` (the function returns None where it raised; not in a special
    method such as `__len__` or `__iter__`, whose callers need their result type). A second
    dereference inside `if r() is not None:` (or `if r():`, or that test followed by `and`)
    binds `referent = r()` before the `if` and uses it in the test and the body. The fix is
    skipped when the dereferenced value is stored (`y = r().x`: what `y` should be then is the
    program's decision), when the statement evaluates something with effects before the
    dereference, in a `while` loop (binding once would keep the first referent), an `elif`, a
    test that uses the referent unchecked, or a compound statement's header.

    ## References
    - [weakref.ref](https://docs.python.org/3/library/weakref.html#weakref.ref)
    """

    code = "GCL306"
    needles = ("weakref",)
    name = "weakref-dereference-unchecked"
    summary = "a weak reference dereferenced without a None check, or twice"
    message = "'{text}' {why}: the referent may be gone and '{ref}()' return None; {fix}"
    fix_safety = FixSafety.UNSAFE
    fix_title = "Bind once and check for None"
    references = (WEAKREF_DOCS + "#weakref.ref",)

    invalid = (
        Example(
            """
            import weakref


            class Child:
                def __init__(self, parent):
                    self._parent = weakref.ref(parent)

                def siblings(self):
                    return self._parent().children
            """,
            expect=((9, 16),),
            trigger="""
            class Parent:
                children = ["a"]


            parent = Parent()
            child = Child(parent)
            del parent
            gc.collect()
            try:
                child.siblings()
            except AttributeError:
                observed = True
            """,
            fixed="""
            import weakref


            class Child:
                def __init__(self, parent):
                    self._parent = weakref.ref(parent)

                def siblings(self):
                    parent = self._parent()
                    if parent is None:
                        return None
                    return parent.children
            """,
        ),
        Example(
            """
            import weakref


            def notify(listeners, event):
                ref = weakref.ref(listeners[0])
                if ref() is not None:
                    listeners.clear()
                    ref().handle(event)
            """,
            expect=((8, 9),),
            trigger="""
            class Listener:
                def handle(self, event):
                    return event


            try:
                notify([Listener()], "tick")
            except AttributeError:
                observed = True
            """,
            note="the referent died between the check and the second call",
            fixed="""
            import weakref


            def notify(listeners, event):
                ref = weakref.ref(listeners[0])
                referent = ref()
                if referent is not None:
                    listeners.clear()
                    referent.handle(event)
            """,
        ),
    )
    valid = (
        Example(
            """
            import weakref


            class Child:
                def __init__(self, parent):
                    self._parent = weakref.ref(parent)

                def siblings(self):
                    parent = self._parent()
                    if parent is None:
                        return []
                    return parent.children
            """,
            trigger="""
            class Parent:
                children = ["a"]


            parent = Parent()
            child = Child(parent)
            del parent
            gc.collect()
            try:
                child.siblings()
            except AttributeError:
                observed = True
            """,
        ),
        Example(
            """
            import weakref


            def notify(listener, event):
                ref = weakref.ref(listener)
                target = ref()
                if target is not None:
                    listener = None
                    target.handle(event)
            """,
            trigger="""
            class Listener:
                def handle(self, event):
                    return event


            try:
                notify(Listener(), "tick")
            except AttributeError:
                observed = True
            """,
        ),
    )
    truth = OBSERVED_TRUTH
    WEAK = frozenset({"weakref.ref", "weakref.WeakMethod"})

    def visit_FunctionDef(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        refs = self._weak_names(node)
        cls = enclosing_class(self.ctx.ancestors)
        self_refs = self._weak_attrs(cls) if cls is not None else set()
        me = self_name(node) if cls is not None else None
        if not refs and not (self_refs and me):
            return  # no weak reference this function could dereference
        seen: dict[str, ast.AST] = {}
        for sub in _in_order(node.body):
            if not (isinstance(sub, ast.Call) and not sub.args and not sub.keywords):
                continue
            key = _ref_key(sub.func, refs, self_refs, me)
            if key is None:
                continue
            parent = _parent_of(node, sub)
            first = seen.get(key)
            if first is not None and _same_block(node, first, sub):
                self.report(
                    sub,
                    text=ast.unparse(sub),
                    why="dereferences the weak reference again after line "
                    f"{getattr(first, 'lineno', '?')}",
                    ref=key,
                    fix=f"bind 'obj = {key}()' once and use obj",
                )
            elif isinstance(parent, ast.Attribute) or (
                isinstance(parent, ast.Call) and parent.func is sub
            ):
                self.report(
                    sub,
                    text=ast.unparse(parent),
                    why="uses the referent without checking for None",
                    ref=key,
                    fix=f"bind 'obj = {key}()' and check 'if obj is not None:'",
                )
            seen.setdefault(key, sub)

    visit_AsyncFunctionDef = visit_FunctionDef

    def _weak_names(self, function: ast.FunctionDef | ast.AsyncFunctionDef) -> set[str]:
        chain = self.ctx.scope_chain(function)
        names = set()
        for sub in walk_shallow_of(function.body, (ast.Assign,)):
            if (
                isinstance(sub, ast.Assign)
                and len(sub.targets) == 1
                and isinstance(sub.targets[0], ast.Name)
                and isinstance(sub.value, ast.Call)
                and self.ctx.scopes.qualname(sub.value.func, chain) in self.WEAK
            ):
                names.add(sub.targets[0].id)
        return names

    def _weak_attrs(self, cls: ast.ClassDef) -> set[str]:
        cache: dict[int, set[str]] = self.__dict__.setdefault("_weak_attrs_cache", {})
        found = cache.get(id(cls))
        if found is None:
            found = cache[id(cls)] = self._find_weak_attrs(cls)
        return found

    def _find_weak_attrs(self, cls: ast.ClassDef) -> set[str]:
        chain = [self.ctx.tree]
        attrs = set()
        for sub in walk_typed(cls, (ast.Assign,)):
            if (
                isinstance(sub, ast.Assign)
                and isinstance(sub.value, ast.Call)
                and self.ctx.scopes.qualname(sub.value.func, chain) in self.WEAK
            ):
                for target in sub.targets:
                    if isinstance(target, ast.Attribute) and isinstance(target.value, ast.Name):
                        attrs.add(target.attr)
        return attrs


def _ref_key(func: ast.AST, refs: set[str], attrs: set[str], me: str | None) -> str | None:
    if isinstance(func, ast.Name) and func.id in refs:
        return func.id
    if (
        isinstance(func, ast.Attribute)
        and isinstance(func.value, ast.Name)
        and func.value.id == me
        and func.attr in attrs
    ):
        return f"{me}.{func.attr}"
    return None


def _in_order(body: list[ast.stmt]) -> list[ast.AST]:
    return sorted(
        (n for n in walk_shallow(body) if hasattr(n, "lineno")),
        key=lambda n: (getattr(n, "lineno", 0), getattr(n, "col_offset", 0)),
    )


def _parent_of(root: ast.AST, node: ast.AST) -> ast.AST | None:
    for parent in walk(root):
        for child in children(parent):
            if child is node:
                return parent
    return None


def _same_block(root: ast.AST, first: ast.AST, second: ast.AST) -> bool:
    """The second dereference runs after the first in the same flow (not another branch):
    approximated as: some ``if``/``while`` whose test holds the first has the second in its body,
    or both are in the same statement list."""
    for node in walk(root):
        test = getattr(node, "test", None)
        if (
            isinstance(node, (ast.If, ast.While))
            and test is not None
            and any(n is first for n in walk(test))
            and any(n is second for s in node.body for n in walk(s))
        ):
            return True
    return False


@register
class MethodCacheKeepsInstance(Rule):
    """
    ## What it does
    Finds `functools.lru_cache` or `functools.cache` (under any alias) on an instance method.

    ## Why is this bad?
    The cache belongs to the function, which is shared by every instance, and `self` is part of
    every key: each instance the method is called on is kept alive, with everything it refers
    to, for as long as the cache holds the entry. An `lru_cache` keeps up to `maxsize` of them
    (128 by default); `cache` and `lru_cache(maxsize=None)` keep every instance ever used, as
    long as the program runs. `@cache` makes it worse, not better.

    ## Example
    ```python
    import functools


    class PriceService:
        @functools.lru_cache(maxsize=1024)
        def price(self, sku):
            return len(sku)
    ```

    ## Use instead
    ```python
    class PriceService:
        def __init__(self):
            self._prices = {}

        def price(self, sku):
            if sku not in self._prices:
                self._prices[sku] = len(sku)
            return self._prices[sku]
    ```
    (a cache on the instance, keyed by the arguments, which dies with the instance), or
    `functools.cached_property` for a method without arguments. Not
    `self.price = functools.lru_cache()(self._price)`: a bound method stored on its own instance
    is a reference cycle (GCL303).

    ## Fix safety
    There is no automatic fix.

    ## References
    - [How do I cache method calls?](https://docs.python.org/3/faq/programming.html#how-do-i-cache-method-calls)
    """

    code = "GCL307"
    needles = ("cache",)
    name = "method-cache-keeps-instance"
    summary = "functools.lru_cache/cache on an instance method keeps every instance alive"
    message = (
        "'@{decorator}' on method '{method}' keeps {kept}: the shared cache holds 'self' in its "
        "keys; {advice}"
    )
    references = ("https://docs.python.org/3/faq/programming.html#how-do-i-cache-method-calls",)
    CACHES = frozenset({"functools.lru_cache", "functools.cache"})
    TRANSPARENT = frozenset({"builtins.property", "abc.abstractmethod", "typing.override"})

    invalid = (
        Example(
            """
            import functools


            class PriceService:
                @functools.lru_cache(maxsize=1024)
                def price(self, sku):
                    return len(sku)
            """,
            expect=((5, 6),),
            trigger="""
            service = PriceService()
            service.price("ab")
            ref = weakref.ref(service)
            del service
            """,
            note="an lru_cache on a method of a long-lived service",
        ),
        Example(
            """
            from functools import cache as memoize


            class Report:
                @memoize
                def total(self):
                    return 42
            """,
            expect=((5, 6),),
            trigger="""
            report = Report()
            report.total()
            ref = weakref.ref(report)
            del report
            """,
        ),
    )
    valid = (
        Example(
            """
            import functools


            class PriceService:
                def __init__(self):
                    self._prices = {}

                def price(self, sku):
                    if sku not in self._prices:
                        self._prices[sku] = len(self.normalise(sku))
                    return self._prices[sku]

                @staticmethod
                @functools.lru_cache
                def normalise(sku):
                    return sku.upper()
            """,
            trigger="""
            service = PriceService()
            service.price("ab")
            ref = weakref.ref(service)
            del service
            """,
            note="a cache on the instance, keyed by the arguments, dies with its instance",
        ),
        Example(
            """
            import functools


            class Report:
                @functools.cached_property
                def total(self):
                    return 42
            """,
            trigger="""
            report = Report()
            report.total
            ref = weakref.ref(report)
            del report
            """,
            note="cached_property stores the value on the instance itself",
        ),
    )
    truth = KEPT_TRUTH

    def visit_FunctionDef(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        parent = self.ctx.parent()
        if not isinstance(parent, ast.ClassDef) or node.name in ("__new__", "__init_subclass__"):
            return
        if not node.decorator_list or not (node.args.posonlyargs or node.args.args):
            return  # no cache on it, or no instance to keep
        if _rebound_in_class(parent, node):
            return  # ``name = classmethod(name)`` later in the class body
        decorators = []
        for dec in node.decorator_list:
            target = dec.func if isinstance(dec, ast.Call) else dec
            qual = self.ctx.scopes.qualname(target, self.ctx.scope_chain())
            if qual in ("builtins.staticmethod", "builtins.classmethod"):
                return
            if qual not in (*self.CACHES, *self.TRANSPARENT):
                return  # an unknown wrapper (``@classproperty``) may not pass instances
            decorators.append((dec, qual))
        args = [*node.args.posonlyargs, *node.args.args]
        if not args:
            return
        for dec, qual in decorators:
            if qual not in self.CACHES:
                continue
            size = _cache_size(dec) if qual == "functools.lru_cache" else None
            if size == "0":
                continue  # ``maxsize=0``: nothing is cached
            if size is None:
                kept = "every instance alive for as long as the program runs"
            else:
                kept = f"up to {size} instances alive"
            signature = node.args
            if len(args) == 1 and not (signature.vararg or signature.kwonlyargs or signature.kwarg):
                advice = "use functools.cached_property, which stores the value on the instance"
            else:
                advice = "keep a dict of results on the instance instead, keyed by the arguments"
            self.report(dec, decorator=ast.unparse(dec), method=node.name, kept=kept, advice=advice)

    visit_AsyncFunctionDef = visit_FunctionDef


def _cache_size(decorator: ast.expr) -> str | None:
    """How many entries ``@lru_cache(...)`` keeps ("128" by default; "0" for a negative or zero
    maxsize, which caches nothing), or None when unbounded (``maxsize=None``)."""
    if not isinstance(decorator, ast.Call):
        return "128"  # bare ``@lru_cache``
    maxsize = decorator.args[0] if decorator.args else None
    for keyword in decorator.keywords:
        if keyword.arg == "maxsize":
            maxsize = keyword.value
    if maxsize is None:
        return "128"
    if isinstance(maxsize, ast.Constant):
        if maxsize.value is None:
            return None
        if isinstance(maxsize.value, int) and maxsize.value <= 0:
            return "0"
    if (
        isinstance(maxsize, ast.UnaryOp)
        and isinstance(maxsize.op, ast.USub)
        and isinstance(maxsize.operand, ast.Constant)
    ):
        return "0"  # ``maxsize=-1``
    return ast.unparse(maxsize)


@register
class WeakKeyValueReferencesKey(Rule):
    """
    ## What it does
    Finds `weak_key_dict[k] = value` on a `weakref.WeakKeyDictionary` where the value refers to
    the key: it contains the key itself (`(k, data)`, `[k]`), is built from it
    (`Wrapper(k)`), or is a lambda or bound method that captures it.

    ## Why is this bad?
    A `WeakKeyDictionary` holds its keys weakly but its values strongly. A value that refers to
    its key keeps the key alive, so the entry is never removed: the cache meant to forget
    objects keeps every one of them.

    ## Example
    ```python
    import weakref

    _wrappers = weakref.WeakKeyDictionary()


    class Wrapper:
        def __init__(self, obj):
            self.obj = obj


    def wrap(obj):
        _wrappers[obj] = Wrapper(obj)
        return _wrappers[obj]
    ```

    ## Use instead
    ```python
    import weakref

    _wrappers = weakref.WeakKeyDictionary()


    class Wrapper:
        def __init__(self, obj):
            self.obj = weakref.ref(obj)


    def wrap(obj):
        _wrappers[obj] = Wrapper(obj)
        return _wrappers[obj]
    ```

    ## Fix safety
    There is no automatic fix.

    ## References
    - [weakref.WeakKeyDictionary](https://docs.python.org/3/library/weakref.html#weakref.WeakKeyDictionary)
    """

    code = "GCL308"
    needles = ("weakref",)
    name = "weak-key-value-references-key"
    summary = "a WeakKeyDictionary value references its own key, so the key never dies"
    message = (
        "'{text}' stores a value that refers to its own key '{key}': the WeakKeyDictionary "
        "keeps the key alive and the entry is never removed; refer to the key weakly"
    )
    references = (WEAKREF_DOCS + "#weakref.WeakKeyDictionary",)

    invalid = (
        Example(
            """
            import weakref

            _wrappers = weakref.WeakKeyDictionary()


            class Wrapper:
                def __init__(self, obj):
                    self.obj = obj


            def wrap(obj):
                _wrappers[obj] = Wrapper(obj)
                return _wrappers[obj]
            """,
            expect=((12, 5),),
            trigger="""
            class Thing:
                pass


            thing = Thing()
            wrap(thing)
            ref = weakref.ref(thing)
            del thing
            """,
        ),
        Example(
            """
            import weakref

            _metadata = weakref.WeakKeyDictionary()


            def tag(obj, label):
                _metadata[obj] = (obj, label)
            """,
            expect=((7, 5),),
            trigger="""
            class Thing:
                pass


            thing = Thing()
            tag(thing, "x")
            ref = weakref.ref(thing)
            del thing
            """,
        ),
    )
    valid = (
        Example(
            """
            import weakref

            _metadata = weakref.WeakKeyDictionary()


            def tag(obj, label):
                _metadata[obj] = (type(obj).__name__, label)
            """,
            trigger="""
            class Thing:
                pass


            thing = Thing()
            tag(thing, "x")
            ref = weakref.ref(thing)
            del thing
            """,
        ),
        Example(
            """
            import weakref

            _wrappers = weakref.WeakKeyDictionary()


            class Wrapper:
                def __init__(self, obj):
                    self.obj = weakref.ref(obj)


            def wrap(obj):
                wrapper = Wrapper(obj)
                _wrappers[obj] = wrapper
                return wrapper
            """,
            trigger="""
            class Thing:
                pass


            thing = Thing()
            wrap(thing)
            ref = weakref.ref(thing)
            del thing
            """,
        ),
    )
    truth = KEPT_TRUTH

    def __init__(self, ctx: Context) -> None:
        super().__init__(ctx)
        self._weak_dicts: set[str] | None = None

    def visit_Assign(self, node: ast.Assign) -> None:
        for target in node.targets:
            if not (isinstance(target, ast.Subscript) and isinstance(target.slice, ast.Name)):
                continue
            if ast.unparse(target.value) not in self._dicts():
                continue
            key = target.slice.id
            if _refers_to(node.value, key):
                self.report(node, text=ast.unparse(node), key=key)

    def _dicts(self) -> set[str]:
        if self._weak_dicts is None:
            found: set[str] = set()
            chain = [self.ctx.tree]
            for sub in walk_typed(self.ctx.tree, (ast.Assign,)):
                if (
                    isinstance(sub, ast.Assign)
                    and isinstance(sub.value, ast.Call)
                    and self.ctx.scopes.qualname(sub.value.func, chain)
                    == "weakref.WeakKeyDictionary"
                ):
                    found.update(ast.unparse(t) for t in sub.targets)
            self._weak_dicts = found
        return self._weak_dicts


def _rebound_in_class(cls: ast.ClassDef, method: ast.AST) -> bool:
    name = getattr(method, "name", "")
    return any(
        isinstance(item, ast.Assign)
        and any(isinstance(t, ast.Name) and t.id == name for t in item.targets)
        for item in cls.body
    )


def _refers_to(value: ast.AST, key: str) -> bool:
    """The value holds `key` itself (not just data read from it, like ``key.name``)."""
    parents: dict[int, ast.AST] = {}
    for node in walk(value):
        for child in children(node):
            parents[id(child)] = node
    for node in walk(value):
        if isinstance(node, ast.Name) and node.id == key:
            parent = parents.get(id(node))
            if isinstance(parent, ast.Attribute):
                continue  # ``key.attr``: data read from the key
            if isinstance(parent, ast.Call) and parent.func is not node:
                func = parent.func
                name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", "")
                if name in ("type", "id", "repr", "str", "len", "hash", "isinstance"):
                    continue
            return True
    return False
