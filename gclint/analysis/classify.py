"""What a call returns: the resource type of each call of a module (`Classifier`).

The catalogue (`catalogue.py`), names from the configuration, ``Path(...).open()``, and classes
and factory functions defined in the same module or another module of the project (followed
through imports) answer; astroid only when nothing else can (`inference.py`).
"""

from __future__ import annotations

import ast
import keyword
import os
import re
from collections.abc import Sequence
from typing import cast

from gclint.analysis import memo
from gclint.analysis.catalogue import (
    CLOSE,
    FACTORIES,
    IN_MEMORY_STREAMS,
    INFERRED_OPENERS,
    PATH_ATTRS,
    PATH_CLASSMETHODS,
    PATH_METHODS,
    PATH_TYPES,
    RESOURCE_METHODS,
    USER_RELEASE_CALLS,
    ResourceType,
)
from gclint.analysis.classes import self_name
from gclint.analysis.flow import FUNCTION_TYPES, walk_shallow, walk_shallow_of
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
from gclint.analysis.walk import walk

# Stands for "maybe a resource, astroid would have to say": judged as one, confirmed only if a
# finding would follow.
PROVISIONAL = ResourceType("provisional", "object", frozenset({"close", "aclose"}))

_RESOURCE_METHOD_NAMES = frozenset(method for _kind, method in RESOURCE_METHODS)

_PATH_NAME_HINTS = ("path", "name", "dir", "url")

_WORD_BOUNDARY = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")

_RETURNS = (ast.Yield, ast.YieldFrom, ast.Return)


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
            isinstance(v, ast.Call) and call_name(v).endswith(IN_MEMORY_STREAMS) for v in assigned
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

_FOREIGN_FACTS: dict[tuple[str, int, tuple[str, ...]], Classifier] = {}

_FOREIGN_FACTS_MAX = 128

memo.cache(_FOREIGN_FACTS.clear, trees=True)

memo.cache(_IMPORTED_TYPES.clear)


def _kind_key(rtype: ResourceType) -> str:
    if rtype.noun == "archive":
        return "archive"
    return rtype.kind


def call_name(call: ast.Call) -> str:
    try:
        return ast.unparse(call.func)
    except (RecursionError, ValueError):  # pragma: no cover - pathological trees
        return "call"


def _rooted_at_self(expr: ast.AST) -> bool:
    while isinstance(expr, ast.Attribute):
        expr = expr.value
    return isinstance(expr, ast.Name) and expr.id == "self"


class Classifier:
    """What the calls of one module return: a resource type, or None.

    Names imported from the project are followed to their definitions (files, cached); with
    `infer`, astroid is asked about an unknown ``x.open()``.
    """

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
        self._assignments: dict[int, dict[str, list[ast.expr]]] = {}
        self._resolving: set[tuple[int, str]] = set()
        self._imported: dict[str, ResourceType | None] = {}  # this file's answers by import
        self._classified: dict[tuple[int, int, int], object] = {}
        self._busy = 0  # classify/_class_type/_factory_type calls in progress

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
        module is where the opener is defined: answered without astroid building the module and
        its imports to say so.
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
        ``*args``/``**kwargs``) as a tuple or dict: never an opener, so it is not asked. The
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
            foreign = _FOREIGN_FACTS[key] = Classifier(module, nested=True)
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
