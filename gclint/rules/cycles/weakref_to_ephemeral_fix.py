"""GCL305 (weakref-to-ephemeral, safe): ``weakref.ref(self.on_change)`` becomes
``weakref.WeakMethod(self.on_change)`` (a callback argument is kept: ``WeakMethod`` takes the
same one). The module's own spelling is kept: ``wr.ref`` after ``import weakref as wr`` becomes
``wr.WeakMethod``; after ``from weakref import ref``, ``WeakMethod`` is used if it is already
imported that way, else added to that ``from weakref import`` line (in ruff/isort order), else
``weakref.WeakMethod`` with ``import weakref`` added. A ``weakref.proxy`` of a bound method and
a weak reference to a temporary (``weakref.ref(Handler())``) have no safe fix.
"""

from __future__ import annotations

import libcst as cst
from libcst.metadata import MetadataWrapper

from gclint.diagnostics import Diagnostic
from gclint.fixes.base import FixSkipped
from gclint.fixes.imports import ensure_import, from_import_available, name_is_free
from gclint.fixes.site import Site, dotted, only_statement


def fix(wrapper: MetadataWrapper, diagnostic: Diagnostic, unsafe: bool) -> cst.Module:
    site = Site(wrapper)
    call = site.node_at(diagnostic.range, cst.Call)
    names = site.imported_names(call.func)
    if "weakref.proxy" in names:
        raise FixSkipped("a weak proxy of a bound method has no fix: WeakMethod is not a proxy")
    if "weakref.ref" not in names:
        raise FixSkipped("cannot tell that the call is weakref.ref")
    if not call.args or not isinstance(call.args[0].value, cst.Attribute):
        raise FixSkipped(
            "a weak reference to a temporary has no safe fix: keep a strong reference to it"
        )
    if call.args[0].keyword is not None or call.args[0].star:
        raise FixSkipped("the referent is not passed positionally")
    func = call.func
    if isinstance(func, cst.Attribute):
        # ``weakref.ref`` / ``wr.ref``: the same module name, another attribute
        new_call = call.with_changes(func=func.with_changes(attr=cst.Name("WeakMethod")))
        return _replaced(site.module, call, new_call)
    module = site.module
    if from_import_available(module, "weakref", "WeakMethod"):
        return _replaced(module, call, call.with_changes(func=cst.Name("WeakMethod")))
    line = _from_weakref_line(module)
    if line is not None and name_is_free(module, "WeakMethod"):
        fixed = _replaced(module, call, call.with_changes(func=cst.Name("WeakMethod")))
        return _add_to_from_import(fixed, line)
    dotted_func = cst.Attribute(value=cst.Name("weakref"), attr=cst.Name("WeakMethod"))
    fixed = _replaced(module, call, call.with_changes(func=dotted_func))
    return ensure_import(fixed, "weakref")


def _replaced(module: cst.Module, old: cst.CSTNode, new: cst.CSTNode) -> cst.Module:
    result = module.deep_replace(old, new)
    assert isinstance(result, cst.Module)
    return result


def _from_weakref_line(module: cst.Module) -> int | None:
    """The index in the module body of a top-level ``from weakref import a, b`` line."""
    for index, stmt in enumerate(module.body):
        small = only_statement(stmt)
        if (
            isinstance(small, cst.ImportFrom)
            and not small.relative
            and small.module is not None
            and dotted(small.module) == "weakref"
            and not isinstance(small.names, cst.ImportStar)
        ):
            return index
    return None


def _order(name: str) -> tuple[int, str]:
    """ruff/isort's order-by-type: CONSTANTS, then Classes, then the rest."""
    kind = 0 if name.isupper() and len(name) > 1 else 1 if name[:1].isupper() else 2
    return kind, name


def _add_to_from_import(module: cst.Module, index: int) -> cst.Module:
    stmt = module.body[index]
    assert isinstance(stmt, cst.SimpleStatementLine)
    imp = stmt.body[0]
    assert isinstance(imp, cst.ImportFrom)
    assert not isinstance(imp.names, cst.ImportStar)
    names = list(imp.names)
    keys = [_order(dotted(a.name) or "") for a in names]
    position = len(names)
    if keys == sorted(keys):
        position = next((i for i, k in enumerate(keys) if k > _order("WeakMethod")), len(names))
    space = cst.Comma(whitespace_after=cst.SimpleWhitespace(" "))
    if position < len(names):
        after = names[position]
        comma = after.comma if isinstance(after.comma, cst.Comma) else space
        names.insert(position, cst.ImportAlias(name=cst.Name("WeakMethod"), comma=comma))
    else:
        last = names[-1]
        trailing = last.comma
        names[-1] = last.with_changes(comma=trailing if isinstance(trailing, cst.Comma) else space)
        names.append(cst.ImportAlias(name=cst.Name("WeakMethod"), comma=trailing))
    new_stmt = stmt.with_changes(body=[imp.with_changes(names=names), *stmt.body[1:]])
    body = list(module.body)
    body[index] = new_stmt
    return module.with_changes(body=body)
