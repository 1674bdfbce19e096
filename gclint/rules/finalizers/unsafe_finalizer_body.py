"""GCL205 unsafe-finalizer-body."""

from __future__ import annotations

import ast

from gclint.analysis.catalogue import SAFE_CALLS
from gclint.analysis.classes import ClassModel
from gclint.analysis.flow import FUNCTION_TYPES, walk_shallow
from gclint.analysis.walk import children, walk
from gclint.registry import Example, register
from gclint.rules.finalizers._shared import DEL_DOCS, DelRule, own_del
from gclint.rules.finalizers._truth import OBSERVED


@register
class UnsafeFinalizerBody(DelRule):
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
            doc=True,
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
        finalizer = own_del(node)
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
        if name in SAFE_CALLS and all(isinstance(a, ast.Constant) for a in sub.args):
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
