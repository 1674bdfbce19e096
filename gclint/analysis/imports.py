"""What names in other project modules are: project import resolution, without importing code.

A call to something imported from the same project (``from .db import open_db``,
``from myapp.net import Client``, or a sibling module of a script): `resolve_definition` finds
the ``def``/``class`` by following the import to its file (and through re-exports), reads that
module with `ast`, and the caller judges the definition with the same rules as a local one, so
a class or factory means the same wherever it is defined. Parsed modules are kept (a bounded
cache, `release_trees`), and every path a check consults is recorded with its stat stamp
(`recording`) so the result cache knows when an entry is stale. Any failure or ambiguity
answers "unknown", and unknown means no diagnostic.
"""

from __future__ import annotations

import ast
import atexit
import os
import stat
import sys
import threading
import warnings
from collections import OrderedDict
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from typing import NamedTuple

from gclint.analysis import memo

STDLIB = frozenset(getattr(sys, "stdlib_module_names", ()))

# -- which other files a check consulted (for the cache) -----------------------------------------
#
# A file's diagnostics depend on its own text and on the project files its imports lead to (and on
# whether candidate files exist at all). While `recording()` is active, every path consulted is
# noted with its stat stamp, so a cache entry can be invalidated when any of them changes. The
# answers below are cached per process; their recorded paths are cached with them and replayed.

Stamp = tuple[int, int] | None  # (mtime_ns, size), or None: the path was not a regular file
# A path looked at only to know that it is a regular file (an ``__init__.py`` making a directory
# a package, a module file found for an import): whatever its content, the answer holds while it
# is one. Recorded in place of its stamp unless the same check also read it.
EXISTS: tuple[int, int] = (-1, -1)


class _Recorder(threading.local):
    stack: list[dict[str, Stamp]] | None = None
    digests = True  # whether modules read while recording get a statement digest (the cache's)


_recorder = _Recorder()
_STAMPS: dict[str, Stamp] = {}


def stamp(path: str) -> Stamp:
    """The path's (mtime_ns, size), or None when it is not a regular file."""
    try:
        st = os.stat(path)
    except OSError:
        return None
    if not stat.S_ISREG(st.st_mode):
        return None
    return (st.st_mtime_ns, st.st_size)


def _stamp_once(path: str) -> Stamp:
    """`stamp(path)`, asked of the file system once per run (see `forget_stamps`)."""
    found = _STAMPS.get(path, ...)
    if found is ...:
        found = _STAMPS[path] = stamp(path)
    return found


def is_recording() -> bool:
    """Whether a `recording()` block is active in this thread."""
    return bool(_recorder.stack)


def depend_on(path: str) -> None:
    """Note that the running check read `path` (its content matters)."""
    stack = _recorder.stack
    if stack:
        stack[-1][path] = _stamp_once(path)


def depend_on_existence(path: str) -> None:
    """Note that the running check looked whether `path` is a regular file (`EXISTS`)."""
    stack = _recorder.stack
    if stack:
        found = _stamp_once(path)
        if path not in stack[-1]:  # a stamp the check recorded for reading it stays
            stack[-1][path] = EXISTS if found is not None else None


def _merge(into: dict[str, Stamp], paths: dict[str, Stamp]) -> None:
    """Add `paths` to a check's dependencies; a read (a stamp) wins over `EXISTS`."""
    for path, was in paths.items():
        if was == EXISTS and path in into:
            continue
        into[path] = was


def still(was: Stamp, now: Stamp) -> bool:
    """Whether a dependency recorded as `was` holds for the path's stamp `now`."""
    return now is not None if was == EXISTS else now == was


def unchanged(paths: dict[str, Stamp]) -> bool:
    """Whether every path still has the stamp it had (as this run sees it: a batch run stamps a
    file once; a host process forgets the stamps after each file, `forget_stamps`)."""
    return all(still(was, _stamp_once(path)) for path, was in paths.items())


def forget_stamps() -> None:
    """Stamp files afresh from now on (a host process, between two files it checks: the files
    may have been edited in between)."""
    _STAMPS.clear()
    _PACKAGES.clear()


def depend_on_all(paths: dict[str, Stamp]) -> None:
    stack = _recorder.stack
    if stack:
        _merge(stack[-1], paths)


@contextmanager
def recording(digests: bool | None = None) -> Iterator[dict[str, Stamp]]:
    """Collect the paths consulted inside the block (nested blocks also report outwards).

    `digests` (for the outermost block; default True) says whether a module read inside it gets
    a statement digest: only a check whose result goes to the cache needs them.
    """
    if _recorder.stack is None:
        _recorder.stack = []
    outer = _recorder.digests
    if not _recorder.stack:
        _recorder.digests = True if digests is None else digests
    found: dict[str, Stamp] = {}
    _recorder.stack.append(found)
    try:
        yield found
    finally:
        _recorder.stack.pop()
        _recorder.digests = outer
        if _recorder.stack:
            _merge(_recorder.stack[-1], found)


def _isfile(path: str) -> bool:
    """Whether `path` is a regular file (recorded, and asked of the file system once per
    recorded run)."""
    depend_on_existence(path)
    return _STAMPS.get(path) is not None if _recorder.stack else os.path.isfile(path)


class Definition(NamedTuple):
    """A ``def``/``class`` found in another module: its file and its `ast` node there."""

    path: str
    tree: ast.Module
    node: ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef
    walrus: bool = True  # whether the module's text has ``:=`` (see `gclint.analysis.scopes`)


# The packages enclosing each directory, with the paths looked at to know it (replayed into the
# running check's dependencies): asked for every checked file and every imported module.
_PACKAGES: dict[str, tuple[tuple[str, ...], dict[str, Stamp]]] = {}


def package_parts(directory: str) -> tuple[str, ...]:
    """The names of the packages enclosing the absolute `directory`, innermost first: the
    directories up from it that hold an ``__init__.py`` (``app/db`` -> ``("db", "app")``)."""
    found = _PACKAGES.get(directory)
    if found is None:
        with recording() as consulted:
            parts: list[str] = []
            current = directory
            while _isfile(os.path.join(current, "__init__.py")):
                parts.append(os.path.basename(current))
                parent = os.path.dirname(current)
                if parent == current:
                    break
                current = parent
        found = _PACKAGES[directory] = (tuple(parts), consulted)
    else:
        depend_on_all(found[1])
    return found[0]


def project_root(path: str) -> str | None:
    """The directory holding the file's top-level package (what `import pkg` needs)."""
    directory = os.path.dirname(os.path.abspath(path))
    parts = package_parts(directory)
    for _ in parts:
        directory = os.path.dirname(directory)
    return directory if parts else None


def project_package(path: str) -> str | None:
    """The top-level package a file belongs to (walking up directories with __init__.py)."""
    parts = package_parts(os.path.dirname(os.path.abspath(path)))
    return parts[-1] if parts else None


def module_name(path: str) -> str:
    """The dotted module name of a file: its package path, or its bare name (``gzip``)."""
    stem = os.path.splitext(os.path.basename(path))[0]
    parts = package_parts(os.path.dirname(os.path.abspath(path)))
    names = [*reversed(parts), stem] if stem != "__init__" else list(reversed(parts))
    return ".".join(names)


def is_project_import(qualname: str, importer: str, package: str | None) -> bool:
    """Relative imports, absolute ones into the file's own top-level package, and (for a
    file outside any package) its sibling modules."""
    if qualname.startswith("."):
        return True
    top = qualname.partition(".")[0]
    if top in STDLIB:
        return False
    if package is not None:
        return top == package
    return _module_file(os.path.dirname(os.path.abspath(importer)), [top]) is not None


class _Parsed:
    __slots__ = ("mtime", "names", "raw", "tree", "walrus")

    def __init__(self, mtime: float, raw: bytes | None, tree: ast.Module | None) -> None:
        self.mtime = mtime
        self.raw = raw
        self.tree = tree
        self.walrus = raw is None or b":=" in raw  # whether `raw` has ``:=`` (True when unknown)
        # the top-level statements binding each name (`_lookup`): one pass over the body for
        # the names asked about the module, made on the first question
        self.names: dict[str, list[ast.stmt]] | None = None


# Project modules parsed for import resolution, most recently used last. A file checked after
# being imported reuses the tree (`parsed_module`): no analysis ever modifies a tree.
_MODULES: OrderedDict[str, _Parsed] = OrderedDict()
_MODULES_MAX = 256
# The other way round, the trees of the files a batch run checked last (`offer_checked`): a
# module imported soon after its own check is not parsed again (docs/performance.md).
_RECENT: OrderedDict[str, _Parsed] = OrderedDict()
_RECENT_MAX = 32


def _remember(path: str, parsed: _Parsed) -> None:
    _MODULES[path] = parsed
    _MODULES.move_to_end(path)
    while len(_MODULES) > _MODULES_MAX:
        _MODULES.popitem(last=False)


def _parse_module(path: str, mtime: float) -> ast.Module | None:
    found = _MODULES.get(path)
    if found is not None and found.mtime == mtime:
        _MODULES.move_to_end(path)
        return found.tree
    raw: bytes | None = None
    tree: ast.Module | None = None
    try:
        with open(path, "rb") as fh:
            st = os.fstat(fh.fileno())
            raw = fh.read()
        recent = _RECENT.pop(path, None)
        if recent is not None and recent.raw == raw:  # the same bytes as checked: the same tree
            tree = recent.tree
        else:
            tree = _parse_quietly(raw, path)
    except (OSError, SyntaxError, ValueError, RecursionError, MemoryError):
        tree = None
    else:
        if tree is not None and _recorder.stack and _recorder.digests:  # the cache's only
            _DIGESTS[path] = ((st.st_mtime_ns, st.st_size), statement_digest(raw, tree))
    _remember(path, _Parsed(mtime, raw, tree))
    return tree


def offer_checked(path: str, raw: bytes, tree: ast.Module) -> None:
    """A batch run checked `path` (these bytes, this tree): keep it for a while, in case a file
    checked soon after imports from it (`_RECENT`). Reused only for exactly these bytes."""
    key = os.path.abspath(path)
    if key in _MODULES:
        return  # already kept for import resolution (the check reused that tree)
    _RECENT[key] = _Parsed(0.0, raw, tree)
    _RECENT.move_to_end(key)
    while len(_RECENT) > _RECENT_MAX:
        _RECENT.popitem(last=False)


def _has_walrus(path: str) -> bool:
    """Whether the kept bytes of `path` contain ``:=`` (True when they are not kept)."""
    found = _MODULES.get(path)
    return found is None or found.walrus


def _parse_quietly(raw: bytes, path: str) -> ast.Module:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # SyntaxWarning for invalid escapes etc.
        return ast.parse(raw, filename=path)


# -- what an importer depends on in a module ---------------------------------------------------
#
# A check that read another project module depends on that module's statements, not on its
# comments or blank lines between them (no answer about an imported definition carries its line
# number). `statement_digest` hashes the lines of every top-level statement (decorators
# included, whole lines, so a comment at the end of a statement's line counts); the cache keeps
# it beside the module's stat stamp and, when the stamp changed, re-hashes the module: an edit
# outside every statement leaves the importers' entries valid. Any edit inside a statement, a
# function body included, changes the digest.

_DIGESTS: dict[str, tuple[Stamp, str]] = {}  # path -> (stamp when parsed, digest)


def statement_digest(raw: bytes, tree: ast.Module) -> str:
    lines = raw.splitlines()  # at LF, CRLF and CR, as Python numbers lines
    import hashlib  # only when a digest is needed: not at every start-up

    digest = hashlib.sha256()
    # what decodes the statements: a BOM, a coding cookie in the first two lines
    digest.update(b"bom\0" if raw.startswith(b"\xef\xbb\xbf") else b"\0")
    for line in lines[:2]:
        if b"coding" in line:
            digest.update(line + b"\0")
    for stmt in tree.body:
        decorators: list[ast.expr] = getattr(stmt, "decorator_list", [])
        first = min([stmt.lineno, *(d.lineno for d in decorators)])
        last = stmt.end_lineno or stmt.lineno
        digest.update(b"%d\0" % (last - first + 1))
        digest.update(b"\n".join(lines[first - 1 : last]))
        digest.update(b"\0")
    return digest.hexdigest()


def digest_for(path: str, when: Stamp) -> str | None:
    """The statement digest of `path` as this process parsed it, if it had stamp `when`."""
    found = _DIGESTS.get(path)
    return found[1] if found is not None and found[0] == when else None


def current_digest(path: str) -> str | None:
    """The statement digest of `path` now (None when it cannot be read or parsed)."""
    try:
        with open(path, "rb") as fh:
            st = os.fstat(fh.fileno())
            raw = fh.read()
        when = (st.st_mtime_ns, st.st_size)
        known = digest_for(path, when)
        if known is not None:
            return known
        digest = statement_digest(raw, _parse_quietly(raw, path))
    except (OSError, SyntaxError, ValueError, RecursionError, MemoryError):
        return None
    _DIGESTS[path] = (when, digest)
    return digest


def parsed_module(path: str, raw: bytes) -> ast.Module | None:
    """The tree import resolution already parsed from exactly these bytes of `path`, if kept."""
    found = _MODULES.get(os.path.abspath(path))
    if found is not None and found.raw == raw:
        return found.tree
    return None


def release_trees() -> None:
    """Drop every tree kept across files: parsed project modules, the definitions found in them
    and the analyses of them (every cache registered with ``memo.cache(..., trees=True)``).
    Answers about imported names are kept (they hold no tree). A guest process calls this after
    each file (`gclint.hosting`)."""
    memo.forget_trees()


def release_caches() -> None:
    """Drop every per-process cache (also run at exit: a large heap left for interpreter
    shutdown costs its collector passes in the host process, e.g. flake8)."""
    memo.forget_all()


memo.cache(_MODULES.clear, trees=True)
memo.cache(_RECENT.clear, trees=True)
memo.cache(forget_stamps)
memo.cache(_DIGESTS.clear)
atexit.register(release_caches)


def _module_tree(path: str) -> ast.Module | None:
    depend_on(path)
    try:
        mtime = os.stat(path).st_mtime
    except OSError:
        return None
    return _parse_module(path, mtime)


def _module_file(directory: str, parts: list[str]) -> str | None:
    base = os.path.join(directory, *parts)
    for candidate in (base + ".py", os.path.join(base, "__init__.py")):
        if _isfile(candidate):
            return candidate
    return None


def import_base(qualname: str, directory: str) -> tuple[str, list[str]]:
    """Where an import found in a module of `directory` starts looking, and the dotted parts."""
    level = len(qualname) - len(qualname.lstrip("."))
    parts = qualname.lstrip(".").split(".")
    if level:
        for _ in range(level - 1):
            directory = os.path.dirname(directory)
        return directory, parts
    root = project_root(os.path.join(directory, "__init__.py")) or directory
    return root, parts


def resolve_definition(qualname: str, directory: str, depth: int = 0) -> Definition | None:
    """Find the def/class a project import names by looking at the files themselves.

    ``.net.Client`` imported by a module of ``app/`` is ``class Client`` in ``app/net.py`` (or a
    name ``app/net/__init__.py`` re-exports). No import machinery runs; a name this cannot
    find is None.
    """
    found, consulted = _resolve_definition(qualname, directory, depth)
    depend_on_all(consulted)
    return found


@lru_cache(maxsize=1024)
def _resolve_definition(
    qualname: str, directory: str, depth: int
) -> tuple[Definition | None, dict[str, Stamp]]:
    with recording() as consulted:
        return _find_definition(qualname, directory, depth), consulted


memo.cache(_resolve_definition.cache_clear, trees=True)


def _find_definition(qualname: str, directory: str, depth: int) -> Definition | None:
    if depth > 4:
        return None
    directory, parts = import_base(qualname, directory)
    for cut in range(len(parts) - 1, 0, -1):
        module = _module_file(directory, parts[:cut])
        if module is None:
            continue
        rest = parts[cut:]
        if len(rest) != 1:
            return None
        return _lookup(module, rest[0], depth)
    return None


def _body_names(tree: ast.Module) -> dict[str, list[ast.stmt]]:
    """Each name bound by a top-level def, class, import or plain assignment: its statements
    (an import once per alias binding it; an assignment once, however many targets)."""
    names: dict[str, list[ast.stmt]] = {}
    for stmt in tree.body:
        if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.setdefault(stmt.name, []).append(stmt)
        elif isinstance(stmt, (ast.Import, ast.ImportFrom)):
            for alias in stmt.names:
                names.setdefault(alias.asname or alias.name.partition(".")[0], []).append(stmt)
        elif isinstance(stmt, (ast.Assign, ast.AnnAssign)):
            targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
            for bound in dict.fromkeys(t.id for t in targets if isinstance(t, ast.Name)):
                names.setdefault(bound, []).append(stmt)
    return names


def _lookup(module: str, name: str, depth: int) -> Definition | None:
    tree = _module_tree(module)
    if tree is None:
        return None
    kept = _MODULES.get(module)
    if kept is not None and kept.tree is tree:  # kept with the tree: one pass per module
        if kept.names is None:
            kept.names = _body_names(tree)
        names = kept.names
    else:
        names = _body_names(tree)
    found = names.get(name, [])
    if len(found) != 1:
        return None
    node = found[0]
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        return Definition(module, tree, node, _has_walrus(module))
    if isinstance(node, ast.ImportFrom):  # a re-export: follow it
        alias = next(a for a in node.names if (a.asname or a.name) == name)
        base = "." * node.level + (node.module or "")
        target = f"{base}.{alias.name}" if node.module else base + alias.name
        return resolve_definition(target, os.path.dirname(module), depth + 1)
    return None
