"""GCL306 (weakref-dereference-unchecked, unsafe: only with ``--unsafe-fixes``): the referent is
bound once and checked. An unchecked use in a statement of its own::

    self._parent().children.append(self)     parent = self._parent()
                                        ->    if parent is not None:
                                                  parent.children.append(self)

``return r().x`` becomes ``obj = r()`` / ``if obj is None: return None`` / ``return obj.x``
(the function now returns None where it raised AttributeError: hence unsafe). A second
dereference inside ``if r() is not None:`` (or ``if r():``) binds before the ``if`` and uses
the name in its test and body. Skipped: a dereference whose value is stored (``y = r().x``:
what ``y`` should be when the referent is gone is the program's decision), one after code with
effects in its statement, in a ``while`` test, an ``elif``, or a header.
"""

from __future__ import annotations

from collections.abc import Sequence

import libcst as cst
from libcst.metadata import MetadataWrapper

from gclint.diagnostics import Diagnostic
from gclint.fixes.base import FixSkipped
from gclint.fixes.edit import indented, is_none_check, leading_lines, replace_statement
from gclint.fixes.site import (
    NESTED_SCOPES,
    Site,
    dotted,
    evaluation_step,
    fresh_name,
    is_inert,
    name_uses,
    only_statement,
)

REF_WORDS = frozenset({"ref", "r", "wr", "weakref", "weak", "wref"})


def fix(wrapper: MetadataWrapper, diagnostic: Diagnostic, unsafe: bool) -> cst.Module:
    if not unsafe:
        raise FixSkipped("unsafe fix: needs --unsafe-fixes")
    site = Site(wrapper)
    call = site.node_at(diagnostic.range, cst.Call)
    key = dotted(call.func)
    if key is None or call.args:
        raise FixSkipped("not a plain weak reference call 'r()'")
    guard = _checking_if(site, call, key)
    if guard is not None:
        return _bind_before_if(site, guard, key)
    return _bind_before_statement(site, call, key)


def _is_deref(node: cst.CSTNode, key: str) -> bool:
    return isinstance(node, cst.Call) and not node.args and dotted(node.func) == key


class _Derefs(cst.CSTVisitor):
    """The calls ``key()`` outside nested functions, lambdas and classes (which may run
    later)."""

    def __init__(self, key: str) -> None:
        self.key = key
        self.found: list[cst.Call] = []

    def visit_Call(self, node: cst.Call) -> None:
        if _is_deref(node, self.key):
            self.found.append(node)

    def visit_FunctionDef(self, node: cst.FunctionDef) -> bool:
        return False

    def visit_Lambda(self, node: cst.Lambda) -> bool:
        return False

    def visit_ClassDef(self, node: cst.ClassDef) -> bool:
        return False


def _derefs(nodes: Sequence[cst.CSTNode], key: str) -> list[cst.Call]:
    finder = _Derefs(key)
    for node in nodes:
        node.visit(finder)
    return finder.found


def _checking_if(site: Site, call: cst.Call, key: str) -> cst.If | None:
    """The ``if``/``while`` whose test dereferences `key` and whose body holds `call` (the
    double dereference the rule reports)."""
    child: cst.CSTNode = call
    for ancestor in site.ancestors(call):
        if isinstance(ancestor, (cst.FunctionDef, cst.ClassDef, cst.Lambda)):
            return None
        if (
            isinstance(ancestor, (cst.If, cst.While))
            and child is ancestor.body
            and _derefs([ancestor.test], key)
        ):
            if isinstance(ancestor, cst.While):
                raise FixSkipped(
                    "binding once before a 'while' loop would keep the first referent "
                    "for every iteration"
                )
            return ancestor
        child = ancestor
    return None


def _plain_check(test: cst.BaseExpression, key: str) -> bool:
    """``r()``, ``r() is not None``, or either as the first operand of ``and``."""
    if isinstance(test, cst.BooleanOperation) and isinstance(test.operator, cst.And):
        return _plain_check(test.left, key) and not _derefs([test.right], key)
    if _is_deref(test, key):
        return True
    return (
        isinstance(test, cst.Comparison)
        and _is_deref(test.left, key)
        and len(test.comparisons) == 1
        and isinstance(test.comparisons[0].operator, cst.IsNot)
        and isinstance(test.comparisons[0].comparator, cst.Name)
        and test.comparisons[0].comparator.value == "None"
    )


def _referent_name(site: Site, scope: cst.CSTNode, key: str) -> str:
    word = key.rsplit(".", 1)[-1].strip("_")
    for affix in ("_ref", "_wr", "_weakref", "_weak"):
        if word.endswith(affix):
            word = word[: -len(affix)]
    for affix in ("ref_", "weak_", "wr_"):
        if word.startswith(affix):
            word = word[len(affix) :]
    if not word.isidentifier() or word in REF_WORDS:
        word = "referent"
    return fresh_name(site, scope, [word, f"{word}_obj"])


def _function_of(site: Site, node: cst.CSTNode) -> cst.FunctionDef:
    scope = site.scope_of(node)
    if not isinstance(scope, cst.FunctionDef):
        raise FixSkipped("not in a function")
    return scope


def _check_key_stable(node: cst.CSTNode, key: str, derefs: Sequence[cst.Call]) -> None:
    """The weak reference itself is not rebound or used otherwise where the name replaces it."""
    if "." in key:
        head = key.split(".", 1)[0]
        for target in _assigned_targets(node):
            if dotted(target) == key or dotted(target) == head:
                raise FixSkipped(f"'{key}' is assigned where the referent would be reused")
        return
    uses = name_uses(node, {key})
    if len(uses) != len(derefs):
        raise FixSkipped(f"'{key}' is used otherwise where the referent would be reused")


def _assigned_targets(node: cst.CSTNode) -> list[cst.CSTNode]:
    finder = _Targets()
    node.visit(finder)
    return finder.targets


class _Targets(cst.CSTVisitor):
    def __init__(self) -> None:
        self.targets: list[cst.CSTNode] = []

    def visit_AssignTarget(self, node: cst.AssignTarget) -> None:
        self.targets.append(node.target)

    def visit_AugAssign(self, node: cst.AugAssign) -> None:
        self.targets.append(node.target)

    def visit_AnnAssign(self, node: cst.AnnAssign) -> None:
        self.targets.append(node.target)


def _bind(name: str, key: str, lines: Sequence[cst.EmptyLine]) -> cst.SimpleStatementLine:
    value = cst.parse_expression(f"{key}()")
    return cst.SimpleStatementLine(
        body=[cst.Assign(targets=[cst.AssignTarget(cst.Name(name))], value=value)],
        leading_lines=lines,
    )


def _replace_all(node: cst.CSTNode, calls: Sequence[cst.Call], name: str) -> cst.CSTNode:
    for found in calls:
        node = node.deep_replace(found, cst.Name(name))
    return node


def _bind_before_if(site: Site, guard: cst.If, key: str) -> cst.Module:
    if isinstance(site.parent(guard), cst.If):
        raise FixSkipped("the check is an 'elif': there is no place to bind the referent")
    if not _plain_check(guard.test, key):
        raise FixSkipped(f"the 'if' test is not a plain None check of '{key}()'")
    function = _function_of(site, guard)
    derefs = _derefs([guard.test, guard.body], key)
    _check_key_stable(guard.test, key, _derefs([guard.test], key))
    _check_key_stable(guard.body, key, _derefs([guard.body], key))
    name = _referent_name(site, function, key)
    new_test = _replace_all(guard.test, [d for d in derefs if site.inside(d, guard.test)], name)
    new_body = _replace_all(guard.body, [d for d in derefs if site.inside(d, guard.body)], name)
    assert isinstance(new_test, cst.BaseExpression)
    assert isinstance(new_body, cst.BaseSuite)
    new_if = guard.with_changes(test=new_test, body=new_body, leading_lines=())
    return replace_statement(site, guard, [_bind(name, key, guard.leading_lines), new_if])


STATEMENTS = (cst.Expr, cst.Assign, cst.AugAssign, cst.Return)


def _bind_before_statement(site: Site, call: cst.Call, key: str) -> cst.Module:
    parent = site.parent(call)
    if not (
        (isinstance(parent, cst.Attribute) and parent.value is call)
        or (isinstance(parent, cst.Call) and parent.func is call)
    ):
        raise FixSkipped("the dereference is not used directly")
    small = site.small_statement_of(call)
    if small is None:
        raise FixSkipped("the dereference is in a compound statement's header")
    if not isinstance(small, STATEMENTS):
        raise FixSkipped(f"a '{type(small).__name__}' statement is not rewritten")
    if isinstance(site.parent(small), cst.SimpleStatementSuite):
        raise FixSkipped("the statement shares its line with its block's header")
    stmt = site.statement_of(small)
    if only_statement(stmt) is not small:
        raise FixSkipped("the statement shares its line with other code")
    assert isinstance(stmt, cst.SimpleStatementLine)
    function = _function_of(site, stmt)
    top, before = _statement_part(small, call, site)
    derefs = _derefs([small], key)
    for found in derefs:
        if not site.inside(found, top):
            raise FixSkipped(f"'{key}()' is also dereferenced elsewhere in the statement")
        _check_evaluated_first(site, found, top, before)
    _check_key_stable(small, key, derefs)
    name = _referent_name(site, function, key)
    new_small = _replace_all(small, derefs, name)
    assert isinstance(new_small, cst.BaseSmallStatement)
    inner = cst.SimpleStatementLine(body=[new_small], trailing_whitespace=stmt.trailing_whitespace)
    bind = _bind(name, key, leading_lines(stmt))
    if isinstance(small, cst.Return):
        special = function.name.value
        if special.startswith("__") and special.endswith("__"):
            # ``__len__``/``__iter__``/``__bool__``... must not return None (len() and iter()
            # would raise TypeError)
            raise FixSkipped(f"'{special}' may not return None in place of its result")
        bail = cst.If(
            test=cst.Comparison(
                left=cst.Name(name),
                comparisons=[cst.ComparisonTarget(operator=cst.Is(), comparator=cst.Name("None"))],
            ),
            body=indented([cst.SimpleStatementLine(body=[cst.Return(value=cst.Name("None"))])]),
        )
        return replace_statement(site, stmt, [bind, bail, inner])
    checked = cst.If(test=is_none_check(name), body=indented([inner]))
    return replace_statement(site, stmt, [bind, checked])


def _statement_part(
    small: cst.BaseSmallStatement, call: cst.Call, site: Site
) -> tuple[cst.CSTNode, list[cst.CSTNode]]:
    """The part of `small` holding `call`, and what the statement evaluates before that part."""
    if isinstance(small, (cst.Expr, cst.Return)):
        if small.value is None:
            raise FixSkipped("internal: an empty return")
        return small.value, []
    if isinstance(small, cst.AugAssign):
        if site.inside(call, small.target):
            return small.target, []
        raise FixSkipped(
            "the value is used: decide what the target should be when the referent is gone"
        )
    assert isinstance(small, cst.Assign)
    for index, target in enumerate(small.targets):
        if site.inside(call, target.target):
            return target.target, [small.value, *(t.target for t in small.targets[:index])]
    raise FixSkipped("the value is stored: decide what it should be when the referent is gone")


def _check_evaluated_first(
    site: Site, call: cst.Call, top: cst.CSTNode, before: list[cst.CSTNode]
) -> None:
    """Binding the referent before the statement moves `call` first: everything evaluated
    before it must be inert."""
    earlier = list(before)
    for parent, child in site.path_up(call, top):
        if isinstance(parent, cst.Await):
            continue  # awaiting what the call chain returns: after the dereference
        if isinstance(parent, NESTED_SCOPES):
            raise FixSkipped("the dereference runs in a nested scope")
        step_before, _after = evaluation_step(parent, child)
        earlier += step_before
    if not all(is_inert(node) for node in earlier):
        raise FixSkipped(
            "the statement evaluates something before the dereference; binding the referent "
            "first would change the order"
        )
