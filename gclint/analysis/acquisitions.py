"""Resources in one module: which calls acquire them, and what happens to each one.

`ResourceFacts` is computed once per file and shared by the GCL1xx rules. It classifies calls
(the catalogue in `resources.py`, names from the configuration, ``Path(...).open()``, and
classes and factory functions defined in the same module), finds the acquisitions of each scope
(``name = <resource call>``), and follows each one with `ownership.track`.
"""

from __future__ import annotations

import ast
import keyword
import os
import re
from collections.abc import Iterator, Sequence
from typing import NamedTuple, cast

from gclint.analysis import memo
from gclint.analysis.catalogue import (
    ALIASING_METHODS,
    BORROWERS,
    CLOSE,
    DETACH_KEYWORDS,
    ESTABLISHING,
    FACTORIES,
    IN_MEMORY_STREAMS,
    INFERRED_OPENERS,
    LOG_METHODS,
    OWNERSHIP_METHODS,
    OWNERSHIP_TAKERS,
    PATH_ATTRS,
    PATH_CLASSMETHODS,
    PATH_METHODS,
    PATH_TYPES,
    PID_WAITS,
    QUIET_CALLS,
    QUIET_METHODS,
    QUIET_STREAMS,
    RESOURCE_METHODS,
    USER_RELEASE_CALLS,
    ResourceType,
)
from gclint.analysis.classes import self_name
from gclint.analysis.flow import FUNCTION_TYPES, SCOPE_BOUNDARIES, walk_shallow, walk_shallow_of
from gclint.analysis.imports import (
    Stamp,
    depend_on_all,
    import_base,
    is_project_import,
    module_name,
    project_package,
    recording,
    resolve_definition,
    unchanged,
)
from gclint.analysis.inference import Inference
from gclint.analysis.module import ModuleFacts
from gclint.analysis.ownership import Effect, Outcome, track
from gclint.analysis.walk import children, walk, walk_typed

# Stands for "maybe a resource, astroid would have to say": judged as one, confirmed only if a
# finding would follow.
PROVISIONAL = ResourceType("provisional", "object", frozenset({"close", "aclose"}))
_RESOURCE_METHOD_NAMES = frozenset(method for _kind, method in RESOURCE_METHODS)
_PATH_NAME_HINTS = ("path", "name", "dir", "url")
_WORD_BOUNDARY = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")


class Finding(NamedTuple):
    code: str
    node: ast.AST
    fmt: dict[str, object]


class Acquisition(NamedTuple):
    stmt: ast.stmt
    name: str
    call: ast.Call
    rtype: ResourceType
    label: str  # how the code names the factory, e.g. "open" or "sqlite3.connect"
    stmt_value: ast.expr  # the assigned expression (the call, or ``await`` of it)


def _parents(root: ast.AST) -> dict[int, ast.AST]:
    out: dict[int, ast.AST] = {}
    for node in walk(root):
        for child in children(node):
            out[id(child)] = node
    return out


def _call_name(call: ast.Call) -> str:
    try:
        return ast.unparse(call.func)
    except (RecursionError, ValueError):  # pragma: no cover - pathological trees
        return "call"


_YIELDS = (ast.Yield, ast.YieldFrom)
_RETURNS = (ast.Yield, ast.YieldFrom, ast.Return)
_ASSIGNMENTS = (ast.Assign, ast.AnnAssign)
_DECLARATIONS = (ast.Global, ast.Nonlocal)
_CALL_VALUES = (ast.Call, ast.Await)  # what `classify` can answer about
_NAMES = (ast.Name,)


def _in_memory_attributes(cls: ast.ClassDef) -> set[str]:
    """Attributes of ``self`` only ever assigned an in-memory stream (``io.BytesIO()``)."""
    values: dict[str, list[ast.expr]] = {}
    for node in walk(cls):
        if isinstance(node, ast.Assign):
            for target in node.targets:
                if (
                    isinstance(target, ast.Attribute)
                    and isinstance(target.value, ast.Name)
                    and target.value.id == "self"
                ):
                    values.setdefault(target.attr, []).append(node.value)
    return {
        attr
        for attr, assigned in values.items()
        if all(
            isinstance(v, ast.Call) and _call_name(v).endswith(IN_MEMORY_STREAMS) for v in assigned
        )
    }


def _releases_held(method: ast.FunctionDef | ast.AsyncFunctionDef, in_memory: set[str]) -> bool:
    """Whether a ``close()`` method releases something the object holds: ``self._sock.close()``,
    ``os.close(self._fd)``. A ``close()`` that only resets state, or closes an in-memory
    buffer, does not make a resource."""
    for node in walk(method):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        if isinstance(func, ast.Attribute) and func.attr in USER_RELEASE_CALLS:
            receiver = func.value
            if (
                isinstance(receiver, ast.Attribute)
                and _rooted_at_self(receiver)
                and not (isinstance(receiver.value, ast.Name) and receiver.attr in in_memory)
            ):
                return True
        if (
            isinstance(func, ast.Attribute)
            and func.attr == "close"
            and isinstance(func.value, ast.Name)
            and func.value.id == "os"
            and node.args
            and _rooted_at_self(node.args[0])
        ):
            return True
    return False


def _var(class_name: str) -> str:
    """The name advice binds an instance of a class to: ``EventLog`` -> ``event_log``."""
    snake = _WORD_BOUNDARY.sub("_", class_name).lower().strip("_")
    return snake if snake.isidentifier() and not keyword.iskeyword(snake) else "obj"


def _manager(
    methods: dict[str, ast.FunctionDef | ast.AsyncFunctionDef], inherited: str | None = None
) -> str:
    """How a block releases an instance of a class with these methods (`ResourceType.manager`):
    its own ``with``/``async with``, else what its base does, else contextlib's wrapper of its
    ``close()``/``aclose()`` (an ``async def close()`` has none: awaited in ``finally:``)."""
    if "__enter__" in methods:
        return "with"
    if "__aenter__" in methods:
        return "async with"
    if inherited is not None:
        return inherited
    close, aclose = methods.get("close"), methods.get("aclose")
    if isinstance(close, ast.FunctionDef):
        return "closing"
    if isinstance(aclose, ast.AsyncFunctionDef):
        return "aclosing"
    return "await {name}.close()" if close is not None else "{name}.aclose()"


def _is_pid_of(expr: ast.AST, name: str) -> bool:
    """``name.pid``."""
    return (
        isinstance(expr, ast.Attribute)
        and expr.attr == "pid"
        and isinstance(expr.value, ast.Name)
        and expr.value.id == name
    )


def _rooted_at_self(expr: ast.AST) -> bool:
    while isinstance(expr, ast.Attribute):
        expr = expr.value
    return isinstance(expr, ast.Name) and expr.id == "self"


def is_contextmanager(func: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    for dec in func.decorator_list:
        target = dec.func if isinstance(dec, ast.Call) else dec
        name = target.attr if isinstance(target, ast.Attribute) else getattr(target, "id", "")
        if name in ("contextmanager", "asynccontextmanager"):
            return True
    return False


_IMPORTED_TYPES: dict[
    tuple[str, str, tuple[str, ...]], tuple[ResourceType | None, dict[str, Stamp]]
] = {}
_IMPORTED_TYPES_MAX = 16_384
# What a module reached through imports does, shared by every file importing from it (the module
# is judged on its own names only, the same whoever imports it).
_UNKNOWN = object()
_FOREIGN_FACTS: dict[tuple[str, int, tuple[str, ...]], ResourceFacts] = {}
_FOREIGN_FACTS_MAX = 128
memo.cache(_FOREIGN_FACTS.clear, trees=True)
memo.cache(_IMPORTED_TYPES.clear)


class ResourceFacts:
    """What one module does with resources; rules share one instance through the context."""

    def __init__(self, module: ModuleFacts, nested: bool = False) -> None:
        self.module = module
        # a module reached through an import is judged on its own names only (no astroid)
        self.package = None if nested else project_package(module.path)
        self.module_name = module_name(module.path)
        self.directory = os.path.dirname(os.path.abspath(module.path))
        self._inference: Inference | None = None
        extra = ResourceType("file", "resource", CLOSE, var="resource")
        self.extra: dict[str, ResourceType] = dict.fromkeys(
            module.config.extra_resource_factories, extra
        )
        self._types: dict[int, ResourceType | None] = {}
        self._findings: dict[int, list[Finding]] = {}
        self._assignments: dict[int, dict[str, list[ast.expr]]] = {}
        self._global_uses: set[str] | None = None
        self._resolving: set[tuple[int, str]] = set()
        self._imported: dict[str, ResourceType | None] = {}  # this file's answers by import
        self._classified: dict[tuple[int, int, int], object] = {}
        self._busy = 0  # classify/_class_type/_factory_type calls in progress

    # -- what a call returns ---------------------------------------------------------------------

    def classify(
        self, expr: ast.AST, chain: Sequence[ast.AST], infer: bool = False
    ) -> ResourceType | None:
        """The resource type `expr` (a call, possibly awaited) returns, or None if not one.

        Answered once per expression and scope: several rules ask about the same call (a
        discarded ``f()`` is both GCL102's and GCL108's question). Answers computed while
        another is in progress are not kept (recursion guards may be standing in for them).
        See `_classify`.
        """
        if self._plain_method_call(expr):
            return None
        if self._busy:
            return self._classify(expr, chain, infer)
        key = (id(expr), id(chain[-1]) if chain else 0, len(chain))
        found = self._classified.get(key, _UNKNOWN)
        if found is _UNKNOWN:
            self._busy += 1
            try:
                found = self._classify(expr, chain, False)
            finally:
                self._busy -= 1
            self._classified[key] = found
        if found is PROVISIONAL and infer:  # only ``x.open()`` differs: ask astroid now
            self._busy += 1
            try:
                return self._classify(expr, chain, True)
            finally:
                self._busy -= 1
        return cast("ResourceType | None", found)

    def _plain_method_call(self, expr: ast.AST) -> bool:
        """``self.log.info(...)``, ``items.append(x)``: a method that is not ``open`` nor a
        resource-returning method, on a receiver no import names (so `_classify` could only
        answer None). Two thirds of the calls asked about; answered without the memo."""
        func = expr.func if type(expr) is ast.Call else None  # (an awaited call: the long way)
        if type(func) is not ast.Attribute:
            return False
        if func.attr == "open" or func.attr in _RESOURCE_METHOD_NAMES:
            return False  # (``open`` is also an archive's method: stated for ``Path.open``)
        root = func.value
        while type(root) is ast.Attribute:
            root = root.value
        return type(root) is not ast.Name or self.module.scopes.unimported(root.id)

    def _classify(
        self, expr: ast.AST, chain: Sequence[ast.AST], infer: bool = False
    ) -> ResourceType | None:
        """The resource type `expr` (a call, possibly awaited) returns, or None if not one.

        Names imported from the project are followed to their definitions (files, cached).
        With `infer`, astroid is asked what the receiver of an unknown ``x.open()`` is; without
        it, such a call is answered with `PROVISIONAL`, so that the caller asks astroid only
        about the calls that would otherwise be reported.
        """
        awaited = isinstance(expr, ast.Await)
        call = expr.value if isinstance(expr, ast.Await) else expr
        if not isinstance(call, ast.Call):
            return None
        func = call.func
        if isinstance(func, ast.Name) and self.module.scopes.plain_builtin(func.id):
            builtin = f"builtins.{func.id}"
            if builtin not in FACTORIES and builtin not in self.extra:
                return None  # ``len(x)``: whether a scope rebinds `len` or not, not a factory
        qual = self.module.scopes.qualname(func, chain)
        if qual is not None:
            rtype = FACTORIES.get(qual) or self.extra.get(qual)
            if (
                rtype is None
                and not awaited
                and is_project_import(qual, self.module.path, self.package)
            ):
                return self._imported_type(qual)
            if rtype is None or (rtype.awaited and not awaited):
                return None  # a known import that is not a factory (or a bare coroutine)
            if rtype.wraps_file_objects and self._wraps_file_object(call, chain):
                return None
            return rtype
        if isinstance(func, ast.Attribute):
            if func.attr == "open" and self.is_path(func.value, chain):
                return FACTORIES["builtins.open"]
            owner = (
                self._local_resource(func.value, chain)
                if func.attr in _RESOURCE_METHOD_NAMES
                else None
            )
            if owner is not None:
                return RESOURCE_METHODS.get((_kind_key(owner), func.attr))
            if func.attr == "open" and self.package is not None:
                own = self._own_instance_class(func.value, chain)
                if own is not None:  # astroid's answer, without building the module
                    return FACTORIES["builtins.open"] if own in INFERRED_OPENERS else None
                if not infer:
                    return PROVISIONAL
                if self._plain_parameter(func.value, chain):
                    return None  # astroid's answer too: a parameter is never surely one class
                # ``something.open()``: ask astroid what `something` is
                inferred = self.inference.instance_of(func.value)
                if inferred in INFERRED_OPENERS:
                    return FACTORIES["builtins.open"]
            return None
        if isinstance(func, ast.Name):
            definition = self.module.scopes.local_definition(func.id, chain)
            if isinstance(definition, ast.ClassDef):
                known = FACTORIES.get(f"{self.module_name}.{definition.name}")
                local = known or self._class_type(definition, chain)  # catalogue's own class?
                wrapper = local is not None and local.wraps_file_objects
                return None if wrapper and self._wraps_file_object(call, chain) else local
            if isinstance(definition, FUNCTION_TYPES) and not awaited:
                return self._factory_type(definition, chain)
        return None

    def _own_instance_class(self, expr: ast.AST, chain: Sequence[ast.AST]) -> str | None:
        """For ``self`` in a method (the first parameter, never rebound): the class astroid infers.

        That is the enclosing class, named by this module's dotted name: an opener only when the
        module is where the opener is defined. Half the receivers asked about on the corpus are
        ``self``, and astroid builds the module and its imports to say so (0.16 s each).
        """
        if not isinstance(expr, ast.Name) or len(chain) != 3:
            return None
        method, owner = chain[2], chain[1]  # a method of a top-level class
        if not isinstance(method, FUNCTION_TYPES) or not isinstance(owner, ast.ClassDef):
            return None
        if method.decorator_list or self_name(method) != expr.id:
            return None  # staticmethod/classmethod/property...: not plainly an instance
        if self.module.scopes.info(method).counts.get(expr.id) != 1:
            return None  # rebound somewhere in the method (the parameter is the one binding)
        return f"{self.module_name}.{owner.name}"

    def _plain_parameter(self, expr: ast.AST, chain: Sequence[ast.AST]) -> bool:
        """A parameter of the enclosing function that the function never rebinds.

        astroid infers such a name as unknown (no default), as its default *or* unknown, or (for
        ``*args``/``**kwargs``) as a tuple or dict: never an opener. Asking it would build the
        module and its imports for nothing (0.6 s for one ``handler.open()`` in tornado). The
        first parameter of a method is left to astroid (``self``: the class).
        """
        if not isinstance(expr, ast.Name) or not chain:
            return False
        func = chain[-1]
        if not isinstance(func, FUNCTION_TYPES):
            return False
        args = func.args
        positional = [*args.posonlyargs, *args.args]
        if (
            positional
            and positional[0].arg == expr.id
            and len(chain) > 1
            and isinstance(chain[-2], ast.ClassDef)
        ):
            return False
        names = {a.arg for a in (*positional, *args.kwonlyargs, args.vararg, args.kwarg) if a}
        return expr.id in names and self.module.scopes.info(func).counts.get(expr.id) == 1

    @property
    def inference(self) -> Inference:
        if self._inference is None:
            self._inference = Inference(self.module.path)
        return self._inference

    def _imported_type(self, qual: str) -> ResourceType | None:
        """What a class or function imported from elsewhere in the project returns.

        The answer depends only on the files the import leads to (read once per process, like
        `resolve_definition`) and the configured factories, so it is shared by every file that
        imports the same name from the same directory.
        """
        if qual in self._imported:  # asked before in this file (its files already recorded)
            return self._imported[qual]
        found = self._imported[qual] = self._imported_type_of(qual)
        return found

    def _imported_type_of(self, qual: str) -> ResourceType | None:
        directory = self.directory
        base, parts = import_base(qual, directory)  # same import from anywhere in the project
        key = (".".join(parts), base, self.module.config.extra_resource_factories)
        known = _IMPORTED_TYPES.get(key)
        if known is not None and unchanged(known[1]):  # no file it came from was edited since
            depend_on_all(known[1])  # the files this answer came from
            return known[0]
        if len(_IMPORTED_TYPES) > _IMPORTED_TYPES_MAX:
            _IMPORTED_TYPES.clear()
        _IMPORTED_TYPES[key] = (None, {})  # recursion guard (modules importing each other)
        with recording() as consulted:
            found = self._resolve_imported_type(qual, directory)
        _IMPORTED_TYPES[key] = (found, consulted)
        return found

    def _resolve_imported_type(self, qual: str, directory: str) -> ResourceType | None:
        definition = resolve_definition(qual, directory)
        if definition is None:
            return None
        key = (definition.path, id(definition.tree), self.module.config.extra_resource_factories)
        foreign = _FOREIGN_FACTS.get(key)
        if foreign is None or foreign.module.tree is not definition.tree:
            if len(_FOREIGN_FACTS) >= _FOREIGN_FACTS_MAX:
                _FOREIGN_FACTS.clear()
            module = ModuleFacts(definition.tree, definition.path, self.module.config)
            module.scopes.walrus = definition.walrus  # no ``:=``: bindings from statements only
            foreign = _FOREIGN_FACTS[key] = ResourceFacts(module, nested=True)
        chain = [definition.tree]
        foreign._busy += 1  # its recursion guards stand while these run
        try:
            if isinstance(definition.node, ast.ClassDef):
                return foreign._class_type(definition.node, chain)
            return foreign._factory_type(definition.node, chain)
        finally:
            foreign._busy -= 1

    def _wraps_file_object(self, call: ast.Call, chain: Sequence[ast.AST]) -> bool:
        """Whether a factory that also accepts file objects may be given one here.

        ``gzip.GzipFile(fileobj=buf)`` and ``wave.open(f)`` with `f` a parameter that does
        not look like a path wrap a file object they do not own: not a resource of their own.
        """
        if any(kw.arg in ("fileobj", "file", "fp") for kw in call.keywords):
            return True
        if not call.args or not isinstance(call.args[0], ast.Name) or not chain:
            return False
        scope = chain[-1]
        if not isinstance(scope, FUNCTION_TYPES):
            return False
        name = call.args[0].id
        for arg in (*scope.args.posonlyargs, *scope.args.args, *scope.args.kwonlyargs):
            if arg.arg == name:
                ann = arg.annotation
                if ann is not None:
                    text = ast.unparse(ann)
                    return not any(t in text for t in ("str", "Path", "PathLike"))
                return not any(hint in name.lower() for hint in _PATH_NAME_HINTS)
        return False

    def _local_resource(self, expr: ast.AST, chain: Sequence[ast.AST]) -> ResourceType | None:
        """The type of a local name bound once, in this scope, to a resource call."""
        if not isinstance(expr, ast.Name) or not chain:
            return None
        values = self.assignments(chain[-1]).get(expr.id, [])
        key = (id(chain[-1]), expr.id)
        if len(values) != 1 or key in self._resolving:
            return None  # ``x = x.next()`` refers to itself: not a resource we can name
        self._resolving.add(key)
        try:
            return self.classify(values[0], chain)
        finally:
            self._resolving.discard(key)

    def is_path(self, expr: ast.AST, chain: Sequence[ast.AST], depth: int = 0) -> bool:
        """Whether `expr` surely evaluates to a ``pathlib.Path``."""
        if depth > 8:
            return False
        if isinstance(expr, ast.Call):
            func = expr.func
            if self.module.scopes.qualname(func, chain) in PATH_TYPES:
                return True
            if isinstance(func, ast.Attribute):
                if func.attr in PATH_CLASSMETHODS:
                    return self.module.scopes.qualname(func.value, chain) in PATH_TYPES
                if func.attr in PATH_METHODS:
                    return self.is_path(func.value, chain, depth + 1)
            return False
        if isinstance(expr, ast.Attribute) and expr.attr in PATH_ATTRS:
            return self.is_path(expr.value, chain, depth + 1)
        if isinstance(expr, ast.BinOp) and isinstance(expr.op, ast.Div):
            return self.is_path(expr.left, chain, depth + 1)
        if isinstance(expr, ast.Name) and chain:
            scope = chain[-1]
            if isinstance(scope, FUNCTION_TYPES):
                for arg in (*scope.args.posonlyargs, *scope.args.args, *scope.args.kwonlyargs):
                    if arg.arg == expr.id:
                        ann = arg.annotation
                        return (
                            ann is not None
                            and self.module.scopes.qualname(ann, chain) in PATH_TYPES
                        )
            values = self.assignments(scope).get(expr.id, [])
            return len(values) == 1 and self.is_path(values[0], chain, depth + 1)
        return False

    def _class_type(self, cls: ast.ClassDef, chain: Sequence[ast.AST]) -> ResourceType | None:
        key = id(cls)
        if key in self._types:
            return self._types[key]
        self._types[key] = None  # recursion guard
        methods = {item.name: item for item in cls.body if isinstance(item, (*FUNCTION_TYPES,))}
        release = frozenset(m for m in ("close", "aclose") if m in methods)
        result: ResourceType | None = None
        module_chain = chain[:1]
        in_memory = _in_memory_attributes(cls) if release else set()  # a walk of the class
        if release and any(_releases_held(methods[name], in_memory) for name in release):
            result = ResourceType(
                "user",
                f"'{cls.name}' object",
                release,
                var=_var(cls.name),
                manager=_manager(methods),
            )
        if result is None:
            for base in cls.bases:
                inherited: ResourceType | None = None
                qual = self.module.scopes.qualname(base, module_chain)
                if qual is not None and qual in FACTORIES and FACTORIES[qual].kind != "fd":
                    inherited = FACTORIES[qual]
                elif isinstance(base, ast.Name) and base.id != cls.name:
                    parent = self.module.scopes.local_definition(base.id, module_chain)
                    if isinstance(parent, ast.ClassDef):
                        inherited = self._class_type(parent, module_chain)
                if inherited is not None:
                    result = ResourceType(
                        "user",
                        f"'{cls.name}' object",
                        inherited.release,
                        wraps_file_objects=inherited.wraps_file_objects,
                        var=_var(cls.name),
                        manager=_manager(methods, inherited.manager),
                    )
                    break
        self._types[key] = result
        return result

    def _factory_type(
        self, func: ast.FunctionDef | ast.AsyncFunctionDef, chain: Sequence[ast.AST]
    ) -> ResourceType | None:
        """A function whose every ``return`` gives a resource of one type is a factory."""
        key = id(func)
        if key in self._types:
            return self._types[key]
        self._types[key] = None  # recursion guard
        if isinstance(func, ast.AsyncFunctionDef) or is_contextmanager(func):
            return None
        inner = [*chain[:1], func]
        returns: list[ast.Return] = []
        for node in walk_shallow_of(func.body, _RETURNS):
            if isinstance(node, (ast.Yield, ast.YieldFrom)):
                return None
            if isinstance(node, ast.Return):
                returns.append(node)
        found: ResourceType | None = None
        for ret in returns:
            value = ret.value
            if value is None:
                return None
            if isinstance(value, ast.Name):
                values = self.assignments(func).get(value.id, [])
                if len(values) != 1:
                    return None
                value = values[0]
            rtype = self.classify(value, inner)
            if rtype is None or rtype is PROVISIONAL or (found is not None and rtype != found):
                return None
            found = rtype
        self._types[key] = found
        return found

    # -- per-scope facts -------------------------------------------------------------------------

    def assignments(self, scope: ast.AST) -> dict[str, list[ast.expr]]:
        """Values assigned to each plain name directly in `scope` (``None`` for other bindings)."""
        key = id(scope)
        found = self._assignments.get(key)
        if found is None:
            found = {}
            body = scope.body if isinstance(scope, (*FUNCTION_TYPES, ast.Module)) else []
            if isinstance(scope, FUNCTION_TYPES):
                args = scope.args
                for arg in (
                    *args.posonlyargs,
                    *args.args,
                    *args.kwonlyargs,
                    args.vararg,
                    args.kwarg,
                ):
                    if arg is not None:
                        found.setdefault(arg.arg, []).append(ast.Constant(None))
            for node in walk_shallow(body):
                if isinstance(node, ast.Assign):
                    for target in node.targets:
                        if isinstance(target, ast.Name):
                            found.setdefault(target.id, []).append(node.value)
                        else:
                            for sub in walk(target):
                                if isinstance(sub, ast.Name):
                                    found.setdefault(sub.id, []).append(ast.Constant(None))
                elif isinstance(node, (ast.AnnAssign, ast.AugAssign, ast.NamedExpr)):
                    target = node.target
                    if isinstance(target, ast.Name):
                        value = node.value if isinstance(node, ast.AnnAssign) else None
                        found.setdefault(target.id, []).append(
                            value if value is not None else ast.Constant(None)
                        )
                elif isinstance(node, (ast.With, ast.AsyncWith)):
                    for item in node.items:
                        bound = item.optional_vars
                        if isinstance(bound, ast.Name):  # ``with ZipFile(p) as zf:``
                            found.setdefault(bound.id, []).append(item.context_expr)
                        elif bound is not None:
                            for sub in walk(bound):
                                if isinstance(sub, ast.Name):
                                    found.setdefault(sub.id, []).append(ast.Constant(None))
                elif isinstance(node, (ast.For, ast.AsyncFor)):
                    for target in [node.target]:
                        for sub in walk(target):
                            if isinstance(sub, ast.Name):
                                found.setdefault(sub.id, []).append(ast.Constant(None))
                elif isinstance(node, ast.ExceptHandler) and node.name:
                    found.setdefault(node.name, []).append(ast.Constant(None))
                elif isinstance(node, (ast.Import, ast.ImportFrom)):
                    for alias in node.names:
                        name = (alias.asname or alias.name).partition(".")[0]
                        found.setdefault(name, []).append(ast.Constant(None))
                elif isinstance(node, (*FUNCTION_TYPES, ast.ClassDef)):
                    found.setdefault(node.name, []).append(ast.Constant(None))
            self._assignments[key] = found
        return found

    def acquisitions(self, scope: ast.AST, chain: Sequence[ast.AST]) -> Iterator[Acquisition]:
        body = scope.body if isinstance(scope, (*FUNCTION_TYPES, ast.Module)) else []
        skip: set[str] | None = None  # names declared global/nonlocal: computed when needed
        for node in walk_shallow_of(body, _ASSIGNMENTS):
            if isinstance(node, ast.Assign) and len(node.targets) == 1:
                target, value = node.targets[0], node.value
            elif isinstance(node, ast.AnnAssign) and node.value is not None:
                target, value = node.target, node.value
            else:
                continue
            if not isinstance(target, ast.Name) or not isinstance(value, _CALL_VALUES):
                continue  # only a call (possibly awaited) acquires anything
            if skip is None:
                if walk_typed(scope, _DECLARATIONS):  # (nested scopes' included: a superset)
                    info = self.module.scopes.info(scope)
                    skip = info.declared_global | info.declared_nonlocal
                else:
                    skip = set()
            if target.id in skip:
                continue
            rtype = self.classify(value, chain)
            if rtype is None:
                continue
            call = value.value if isinstance(value, ast.Await) else value
            assert isinstance(call, ast.Call)
            yield Acquisition(node, target.id, call, rtype, _call_name(call), value)

    def _captured(self, scope: ast.AST) -> set[str]:
        """Names of `scope` that a nested function, lambda or class refers to."""
        body = scope.body if isinstance(scope, (*FUNCTION_TYPES, ast.Module)) else []
        names: set[str] = set()
        if isinstance(scope, ast.Module):
            return names  # module level: handled by global_uses
        for node in walk_shallow_of(body, SCOPE_BOUNDARIES):
            names.update(s.id for s in walk_typed(node, _NAMES) if isinstance(s, ast.Name))
        return names

    def global_uses(self) -> set[str]:
        """Names used inside any function or class of the module (module-level globals)."""
        if self._global_uses is None:
            used: set[str] = set()
            # the outermost functions and classes hold every nested one
            for node in walk_shallow_of(self.module.tree.body, SCOPE_BOUNDARIES):
                used.update(s.id for s in walk_typed(node, _NAMES) if isinstance(s, ast.Name))
            self._global_uses = used
        return self._global_uses

    def found_in(self, scope: ast.AST) -> list[Finding] | None:
        """The findings of `scope` if `findings` computed them already (else None)."""
        return self._findings.get(id(scope))

    def findings(self, scope: ast.AST, chain: Sequence[ast.AST]) -> list[Finding]:
        """Every GCL101/GCL103/GCL105/GCL107/GCL108 finding of one scope (computed once)."""
        key = id(scope)
        cached = self._findings.get(key)
        if cached is not None:
            return cached
        found: list[Finding] = []
        self._findings[key] = found
        if isinstance(scope, FUNCTION_TYPES) and scope.name in ("__enter__", "__aenter__"):
            return found  # acquired for the context manager, released by __exit__
        first_yield = None
        if isinstance(scope, FUNCTION_TYPES) and is_contextmanager(scope):
            lines = [cast(ast.expr, n).lineno for n in walk_shallow_of(scope.body, _YIELDS)]
            first_yield = min(lines) if lines else None
        module_level = isinstance(scope, ast.Module)
        body: list[ast.stmt] = (
            scope.body if isinstance(scope, (*FUNCTION_TYPES, ast.Module)) else []
        )
        for acq in self.acquisitions(scope, chain):
            if first_yield is not None and acq.stmt.lineno < first_yield:
                continue  # owned by the @contextmanager until its yield
            if module_level and acq.name in self.global_uses():
                continue  # a module global used by functions: long-lived by design
            if acq.name in self._captured(scope):
                continue  # a closure may use (and close) it later: not sure, so silent
            finding = self._judge(acq, body, chain, module_level)
            if finding is not None and acq.rtype is PROVISIONAL:
                confirmed = self.classify(acq.stmt_value, chain, infer=True)
                if confirmed is None or confirmed is PROVISIONAL:
                    continue
                real = acq._replace(rtype=confirmed)
                finding = self._judge(real, body, chain, module_level)
            if finding is not None:
                found.append(finding)
        return found

    def _judge(
        self, acq: Acquisition, body: list[ast.stmt], chain: Sequence[ast.AST], module_level: bool
    ) -> Finding | None:
        uses = _Uses(self, acq, chain)
        outcome: Outcome = track(
            body, acq.name, acq.stmt, uses.effect, uses.may_raise, flags=success_flags(acq, body)
        )
        where = {
            "noun": acq.rtype.noun,
            "label": acq.label,
            "line": acq.stmt.lineno,
            "name": acq.name,
            "verb": "started" if acq.rtype.kind == "process" else "opened",
            "advice": acq.rtype.advice(acq.label, acq.name),
        }
        if module_level and not outcome.released:
            return None  # module-level resources are reported only when the code closes them
        if outcome.rebinds:
            rebind = outcome.rebinds[0]
            return Finding("GCL107", acq.call, {**where, "rebind_line": rebind.lineno})
        if outcome.leaks_normally:
            if uses.with_unclosed and acq.rtype.kind == "connection":
                return Finding("GCL105", uses.with_unclosed[0], where)
            if acq.rtype.kind == "process":
                if is_detached(acq.call) and self.module.config.allow_detached_processes:
                    return None
                return Finding("GCL108", acq.call, where)
            if not (outcome.released or outcome.handed_off):
                how = "is never closed"
            elif outcome.leaking_returns:
                line = outcome.leaking_returns[0].lineno
                how = f"is still open when the function returns at line {line}"
            else:
                how = "is not closed on every path (a branch or loop skips the close)"
            return Finding("GCL101", acq.call, {**where, "how": how})
        origins = [
            o for o in outcome.exception_origins if not _reports_failed_retries(o, acq, body)
        ]
        if origins and outcome.released:
            return Finding("GCL103", acq.call, {**where, "origin": describe_raise(origins[0])})
        return None


def _kind_key(rtype: ResourceType) -> str:
    if rtype.noun == "archive":
        return "archive"
    return rtype.kind


def success_flags(acq: Acquisition, body: list[ast.stmt]) -> frozenset[str]:
    """Names that say whether the acquisition succeeded.

    ``try: current = pick(); stream = open(current) / except: current = None``: afterwards
    `current` is true exactly when `stream` was opened, so ``if not current: return`` does not
    leave `stream` open.
    """
    flags: set[str] = set()
    for node in walk_shallow(body):
        if not isinstance(node, ast.Try) or not node.handlers:
            continue
        in_body = {id(n) for stmt in node.body for n in walk(stmt)}
        if id(acq.stmt) not in in_body:
            continue
        assigned = {
            t.id
            for stmt in node.body
            for n in walk(stmt)
            if isinstance(n, ast.Assign)
            for t in n.targets
            if isinstance(t, ast.Name)
        }
        for handler in node.handlers:
            for n in walk(handler):
                if (
                    isinstance(n, ast.Assign)
                    and isinstance(n.value, ast.Constant)
                    and not n.value.value
                ):
                    flags.update(
                        t.id for t in n.targets if isinstance(t, ast.Name) and t.id in assigned
                    )
    flags.discard(acq.name)
    return frozenset(flags)


def _touches(origin: ast.AST, name: str) -> bool:
    """Whether a statement that may raise works with the resource (``json.load(f)``,
    ``sock.recv()``), or is a ``yield``, ``await`` or ``raise`` of its own. A failure in code
    that does not touch it (``os.path.expanduser()``) is not the leak users need told about."""
    for sub in walk_shallow([origin]):
        if isinstance(sub, (ast.Yield, ast.YieldFrom, ast.Await, ast.Raise)):
            return True
        if isinstance(sub, ast.Name) and sub.id == name:
            return True
    return False


def _reports_failed_retries(origin: ast.AST, acq: Acquisition, body: list[ast.stmt]) -> bool:
    """A ``raise`` after a loop that acquires the resource on each attempt.

    ``for addr in addrs: try: sock = socket(); sock.connect(addr); break / except: close``
    followed by ``if all failed: raise`` raises only when no attempt kept a resource.
    """
    if not isinstance(origin, ast.Raise):
        return False
    for loop in walk_shallow(body):
        if isinstance(loop, (ast.For, ast.AsyncFor, ast.While)):
            inside = {id(n) for n in walk(loop)}
            if id(acq.stmt) in inside and id(origin) not in inside:
                return True
    return False


def is_detached(call: ast.Call) -> bool:
    """Started in its own session or process group: fire-and-forget by design."""
    for kw in call.keywords:
        if kw.arg in DETACH_KEYWORDS and not (
            isinstance(kw.value, ast.Constant) and kw.value.value in (False, None, -1)
        ):
            return True
    return False


def describe_raise(node: ast.AST) -> str:
    """How a message names the statement that raised: 'parse()', 'yield', 'raise'."""
    if isinstance(node, ast.Raise):
        return "raise"
    for sub in walk_shallow([node]):
        if isinstance(sub, ast.Call):
            return _call_name(sub) + "()"
        if isinstance(sub, (ast.Yield, ast.YieldFrom)):
            return "yield"
        if isinstance(sub, ast.Await):
            return "await"
        if isinstance(sub, ast.Subscript):
            return ast.unparse(sub)
    return f"the statement at line {getattr(node, 'lineno', '?')}"


class _Uses:
    """What each statement of a scope does to one acquisition's resource."""

    def __init__(self, facts: ResourceFacts, acq: Acquisition, chain: Sequence[ast.AST]) -> None:
        self.facts = facts
        self.acq = acq
        self.chain = chain
        self.name = acq.name
        self.release = acq.rtype.release | {"__exit__", "__aexit__"}
        self.with_unclosed: list[ast.AST] = []

    def may_raise(self, node: ast.AST) -> bool:
        """Whether `node` can raise while working with the resource (see `_touches`)."""
        return self._may_raise(node) and _touches(node, self.name)

    def _may_raise(self, node: ast.AST) -> bool:
        for sub in walk_shallow([node]) if not isinstance(node, SCOPE_BOUNDARIES) else ():
            if isinstance(sub, ast.Call):
                if self._is_release_call(sub) or self._quiet(sub):
                    continue
                return True
            if isinstance(sub, (ast.Await, ast.Yield, ast.YieldFrom, ast.Raise, ast.Assert)):
                if (
                    isinstance(sub, ast.Await)
                    and isinstance(sub.value, ast.Call)
                    and self._is_release_call(sub.value)
                ):
                    continue
                return True
        return False

    def _quiet(self, call: ast.Call) -> bool:
        func = call.func
        if isinstance(func, ast.Name):
            return func.id in QUIET_CALLS
        if not isinstance(func, ast.Attribute):
            return False
        if func.attr in QUIET_METHODS:
            return True
        if isinstance(func.value, ast.Attribute) and ast.unparse(func.value) in QUIET_STREAMS:
            return True  # ``sys.stderr.write(...)``
        if func.attr in LOG_METHODS:
            base = func.value
            name = base.id if isinstance(base, ast.Name) else getattr(base, "attr", "")
            return "log" in name.lower()
        # A network client's own methods clean up after their own failures (``smtp.connect()``
        # that fails leaves no socket behind), and so do the methods that establish an
        # object's connection (``client.connect()``): the object holds nothing after them.
        own = isinstance(func.value, ast.Name) and func.value.id == self.name
        kind = self.acq.rtype.kind
        return own and (kind == "client" or (kind == "user" and func.attr in ESTABLISHING))

    def _is_release_call(self, call: ast.Call) -> bool:
        func = call.func
        if (
            isinstance(func, ast.Attribute)
            and isinstance(func.value, ast.Name)
            and func.value.id == self.name
        ):
            return func.attr in self.release
        if self.acq.rtype.fd and call.args and isinstance(call.args[0], ast.Name):
            qual = self.facts.module.scopes.qualname(func, self.chain)
            return qual == "os.close" and call.args[0].id == self.name
        if self.acq.rtype.kind == "process" and call.args and _is_pid_of(call.args[0], self.name):
            return self.facts.module.scopes.qualname(func, self.chain) in PID_WAITS
        return False

    def effect(self, node: ast.AST, is_acquisition: bool) -> Effect:
        if is_acquisition:
            return Effect.ACQUIRE
        if isinstance(node, (*FUNCTION_TYPES, ast.ClassDef, ast.Lambda)):
            mentioned = any(isinstance(sub, ast.Name) and sub.id == self.name for sub in walk(node))
            return Effect.HANDOFF if mentioned else Effect.NOTHING
        if isinstance(node, ast.ExceptHandler):
            return Effect.REBIND if node.name == self.name else Effect.NOTHING
        if isinstance(node, ast.withitem):
            return self._withitem(node)
        return self._statement(node)

    def _withitem(self, item: ast.withitem) -> Effect:
        expr = item.context_expr
        effect = Effect.NOTHING
        if isinstance(expr, ast.Name) and expr.id == self.name:
            if self.acq.rtype.context_manager_closes:
                effect = Effect.MANAGED
            else:
                self.with_unclosed.append(item.context_expr)
                effect = Effect.BORROW
        else:
            effect = self._statement(expr)
        target = item.optional_vars
        if target is not None and any(
            isinstance(s, ast.Name) and s.id == self.name for s in walk(target)
        ):
            return Effect.REBIND if effect in (Effect.NOTHING, Effect.BORROW) else effect
        return effect

    def _statement(self, node: ast.AST) -> Effect:
        parents = _parents(node)
        strongest = Effect.NOTHING
        stored = False
        for sub in walk(node):
            if isinstance(sub, (ast.Lambda, *FUNCTION_TYPES, ast.ClassDef)) and sub is not node:
                if any(isinstance(s, ast.Name) and s.id == self.name for s in walk(sub)):
                    return Effect.HANDOFF  # captured by a closure: it may outlive the scope
                continue
            if not (isinstance(sub, ast.Name) and sub.id == self.name):
                continue
            if isinstance(sub.ctx, ast.Store):
                if not _in_comprehension_target(sub, parents):
                    stored = True
                continue
            if isinstance(sub.ctx, ast.Del):
                continue
            effect = self._load(sub, parents)
            if effect in (Effect.RELEASE, Effect.HANDOFF):
                strongest = effect if strongest is not Effect.RELEASE else strongest
            elif strongest is Effect.NOTHING:
                strongest = effect
        if stored:
            if strongest in (Effect.HANDOFF, Effect.RELEASE):
                return Effect.HANDOFF  # ``f = wrap(f)``: the new value owns the old one
            return Effect.REBIND
        return strongest

    def _load(self, name: ast.Name, parents: dict[int, ast.AST]) -> Effect:
        if self.acq.rtype.kind == "user" and _inside_return(name, parents):
            return Effect.HANDOFF  # ``return conn.future``: what it returns may keep it alive
        parent = parents.get(id(name))
        if isinstance(parent, ast.Attribute):
            grand = parents.get(id(parent))
            method = parent.attr
            if (
                isinstance(grand, ast.Call)
                and grand.func is not parent
                and self._is_release_call(grand)
            ):
                return Effect.RELEASE  # ``os.waitpid(proc.pid, 0)``
            if isinstance(grand, ast.Call) and grand.func is parent:
                if method in self.release:
                    return Effect.RELEASE
                if method in ALIASING_METHODS:
                    return self._value_use(grand, parents)
                return Effect.BORROW
            if method in self.release:
                return Effect.HANDOFF  # ``stack.callback(f.close)``, ``addCleanup(f.close)``
            return Effect.BORROW
        if isinstance(parent, ast.keyword):
            parent = parents.get(id(parent))
        if isinstance(parent, ast.Starred):
            parent = parents.get(id(parent))
        if isinstance(parent, ast.Call) and parent.func is not name:
            return self._argument_of(parent)
        return self._value_use(name, parents)

    def _argument_of(self, call: ast.Call) -> Effect:
        func = call.func
        if isinstance(func, ast.Attribute) and func.attr in OWNERSHIP_METHODS:
            return Effect.HANDOFF
        qual = self.facts.module.scopes.qualname(func, self.chain)
        if qual is not None:
            if qual in OWNERSHIP_TAKERS:
                return Effect.HANDOFF
            if self.acq.rtype.fd and qual == "os.close":
                return Effect.RELEASE
            if qual in BORROWERS:
                return Effect.BORROW
        return Effect.HANDOFF  # unknown code may keep it: not our business any more

    def _value_use(self, node: ast.AST, parents: dict[int, ast.AST]) -> Effect:
        """`node` (the name, or an expression aliasing it) used as a value."""
        parent = parents.get(id(node))
        if parent is None or isinstance(parent, ast.Expr):
            return Effect.BORROW
        if isinstance(
            parent,
            (
                ast.Compare,
                ast.UnaryOp,
                ast.JoinedStr,
                ast.FormattedValue,
                ast.Await,
                ast.comprehension,
            ),
        ):
            return Effect.BORROW
        if isinstance(parent, ast.Subscript) and parent.value is node:
            return Effect.BORROW
        if (
            isinstance(parent, (ast.If, ast.While, ast.Assert, ast.IfExp))
            and getattr(parent, "test", None) is node
        ):
            return Effect.BORROW
        if isinstance(parent, (ast.For, ast.AsyncFor)) and parent.iter is node:
            return Effect.BORROW
        if isinstance(parent, ast.BoolOp):
            grand = parents.get(id(parent))
            if isinstance(grand, (ast.If, ast.While, ast.Assert, ast.UnaryOp)):
                return Effect.BORROW
        return Effect.HANDOFF  # returned, yielded, stored, aliased, put in a container


def _inside_return(node: ast.AST, parents: dict[int, ast.AST]) -> bool:
    current: ast.AST | None = node
    while current is not None:
        if isinstance(current, (ast.Return, ast.Yield, ast.YieldFrom)):
            return True
        current = parents.get(id(current))
    return False


def _in_comprehension_target(name: ast.Name, parents: dict[int, ast.AST]) -> bool:
    node: ast.AST | None = name
    while node is not None:
        parent = parents.get(id(node))
        if isinstance(parent, ast.comprehension) and parent.target is node:
            return True
        node = parent
    return False
