"""Adding ``import contextlib`` / ``import weakref`` to a module only when it is needed.

For every fixer (shared): call `ensure_import(module, "contextlib")` on the module your fix
produced, and use the name it returns in the code you build. It

- returns the module unchanged when a top-level ``import contextlib`` is already there;
- raises `FixSkipped` when the name is bound to something else anywhere in the module (a
  variable, a parameter, ``import x as contextlib``...), so the added import could not be
  trusted to be what the fix refers to (attribute uses such as ``contextlib.closing`` are not
  bindings: call it on the module you built, after adding them);
- otherwise adds ``import contextlib`` in the file's style: among the first block of plain
  ``import x`` statements at its sorted place when that block is sorted, else after that block,
  else after the module docstring and ``from __future__`` imports (libcst's AddImportsVisitor).

`from_import_available(module, "contextlib", "closing")` tells whether the module already has
``from contextlib import closing`` (unaliased, never rebound), for fixers that prefer it.
"""

from __future__ import annotations

import libcst as cst

from gclint.fixes.base import FixSkipped
from gclint.fixes.site import dotted


def _imports(stmt: cst.CSTNode) -> list[cst.Import | cst.ImportFrom]:
    if isinstance(stmt, cst.SimpleStatementLine):
        return [s for s in stmt.body if isinstance(s, (cst.Import, cst.ImportFrom))]
    return []


def _is_import_line(stmt: cst.CSTNode) -> bool:
    return isinstance(stmt, cst.SimpleStatementLine) and len(_imports(stmt)) == len(stmt.body)


def _plain_import(stmt: cst.CSTNode) -> str | None:
    """`x` for a line that is exactly ``import x`` (one unaliased name), else None."""
    found = _imports(stmt)
    if len(found) != 1 or not _is_import_line(stmt) or not isinstance(found[0], cst.Import):
        return None
    names = found[0].names
    if len(names) != 1 or names[0].asname is not None:
        return None
    return dotted(names[0].name)


class _Bindings(cst.CSTVisitor):
    """Every way `name` is bound in the module, other than ``import name``."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.plain_import = False
        self.other = False
        self.from_imports: set[str] = set()

    def visit_Import(self, node: cst.Import) -> bool:
        for alias in node.names:
            imported = dotted(alias.name) or ""
            if alias.asname is not None:
                target = alias.asname.name
                if isinstance(target, cst.Name) and target.value == self.name:
                    self.other = True
            elif imported == self.name or imported.startswith(self.name + "."):
                self.plain_import = True
        return False

    def visit_ImportFrom(self, node: cst.ImportFrom) -> bool:
        if isinstance(node.names, cst.ImportStar):
            self.other = True  # anything may come in
            return False
        module = (dotted(node.module) or "") if node.module is not None else ""
        for alias in node.names:
            bound = alias.asname.name if alias.asname is not None else alias.name
            if isinstance(bound, cst.Name) and bound.value == self.name:
                self.other = True
            if alias.asname is None and module and node.relative == ():
                self.from_imports.add(f"{module}.{dotted(alias.name)}")
        return False

    def visit_Name(self, node: cst.Name) -> None:
        # any other occurrence of the bare name: it may be a variable, a parameter, a function
        # or a use of it; attribute names (x.contextlib) are Names too, but are not visited here
        if node.value == self.name:
            self.other = True

    def visit_Attribute(self, node: cst.Attribute) -> bool:
        # ``contextlib.closing``: a use of the module the import provides, not a binding
        if not (isinstance(node.value, cst.Name) and node.value.value == self.name):
            node.value.visit(self)
        return False

    def visit_Arg(self, node: cst.Arg) -> bool:
        node.value.visit(self)  # keyword names (f(contextlib=1)) bind nothing
        return False


def _scan(module: cst.Module, name: str) -> _Bindings:
    scan = _Bindings(name)
    module.visit(scan)
    return scan


def name_is_free(module: cst.Module, name: str) -> bool:
    """True when `name` appears nowhere in the module except in ``import name`` statements."""
    return not _scan(module, name).other


def from_import_available(module: cst.Module, package: str, name: str) -> bool:
    """True when the module has a top-level ``from package import name`` and uses the bare name
    nowhere but in calls ``name(...)`` (so nothing rebinds it)."""
    if not any(
        isinstance(imp, cst.ImportFrom)
        and not isinstance(imp.names, cst.ImportStar)
        and imp.module is not None
        and not imp.relative
        and dotted(imp.module) == package
        and any(a.asname is None and dotted(a.name) == name for a in imp.names)
        for stmt in module.body
        for imp in _imports(stmt)
    ):
        return False
    uses = _CallOnlyUses(package, name)
    module.visit(uses)
    return uses.ok


class _CallOnlyUses(cst.CSTVisitor):
    def __init__(self, package: str, name: str) -> None:
        self.package = package
        self.name = name
        self.ok = True
        self.called: set[int] = set()

    def visit_Call(self, node: cst.Call) -> None:
        if isinstance(node.func, cst.Name) and node.func.value == self.name:
            self.called.add(id(node.func))

    def visit_Import(self, node: cst.Import) -> bool:
        if any(a.asname is not None and dotted(a.asname.name) == self.name for a in node.names):
            self.ok = False
        return False

    def visit_ImportFrom(self, node: cst.ImportFrom) -> bool:
        if isinstance(node.names, cst.ImportStar):
            self.ok = False
            return False
        module = (dotted(node.module) or "") if node.module is not None else ""
        for alias in node.names:
            bound = dotted(alias.asname.name if alias.asname is not None else alias.name)
            if bound == self.name and (module != self.package or alias.asname is not None):
                self.ok = False
        return False

    def visit_Attribute(self, node: cst.Attribute) -> bool:
        node.value.visit(self)
        return False

    def visit_Arg(self, node: cst.Arg) -> bool:
        node.value.visit(self)
        return False

    def visit_Name(self, node: cst.Name) -> None:
        if node.value == self.name and id(node) not in self.called:
            self.ok = False


def ensure_import(module: cst.Module, name: str) -> cst.Module:
    """`module` with a top-level ``import name`` (added only when missing; see the docstring)."""
    scan = _scan(module, name)
    if scan.other:
        raise FixSkipped(f"'{name}' names something else in this module")
    if scan.plain_import and any(_plain_import(s) == name for s in module.body):
        return module
    if scan.plain_import:
        # ``import contextlib`` only inside a function or under a condition: not usable here
        raise FixSkipped(f"'{name}' is imported only inside a block of this module")
    body = list(module.body)
    start = 0
    if body and _is_docstring(body[0]):
        start = 1
    end = start
    while end < len(body) and _is_import_line(body[end]):
        end += 1
    plain = [(i, _plain_import(body[i])) for i in range(start, end)]
    plain_names = [(i, n) for i, n in plain if n is not None and not n.startswith("__future__")]
    new_line = cst.SimpleStatementLine(
        body=[cst.Import(names=[cst.ImportAlias(name=cst.Name(name))])]
    )
    if plain_names:
        names = [n for _, n in plain_names]
        if names == sorted(names):
            for i, other in plain_names:
                if other > name:
                    before = body[i]
                    assert isinstance(before, cst.SimpleStatementLine)
                    body[i] = before.with_changes(leading_lines=())
                    body.insert(i, new_line.with_changes(leading_lines=before.leading_lines))
                    return module.with_changes(body=body)
        last = plain_names[-1][0]
        body.insert(last + 1, new_line)
        return module.with_changes(body=body)
    if any(_plain_import(body[i]) is None and not _is_future(body[i]) for i in range(start, end)):
        body.insert(end, new_line)  # after the from-imports
        return module.with_changes(body=body)
    # no import but ``from __future__``, maybe a docstring: a block of its own
    blank = cst.EmptyLine(indent=False)
    if end > 0:
        new_line = new_line.with_changes(leading_lines=[blank])
    if end < len(body):
        following = body[end]
        want = 2 if isinstance(following, (cst.FunctionDef, cst.ClassDef)) else 1
        lines = list(following.leading_lines)
        blanks = 0
        while blanks < len(lines) and lines[blanks].comment is None:
            blanks += 1
        if blanks < want:
            lines = [blank] * (want - blanks) + lines
            body[end] = following.with_changes(leading_lines=lines)
    body.insert(end, new_line)
    return module.with_changes(body=body)


def _is_future(stmt: cst.CSTNode) -> bool:
    found = _imports(stmt)
    return bool(found) and all(
        isinstance(i, cst.ImportFrom) and i.module is not None and dotted(i.module) == "__future__"
        for i in found
    )


def _is_docstring(stmt: cst.CSTNode) -> bool:
    return (
        isinstance(stmt, cst.SimpleStatementLine)
        and len(stmt.body) == 1
        and isinstance(stmt.body[0], cst.Expr)
        and isinstance(stmt.body[0].value, (cst.SimpleString, cst.ConcatenatedString))
    )
