"""GCL306 weakref-dereference-unchecked."""

from __future__ import annotations

import ast
from typing import TYPE_CHECKING

from gclint.analysis.classes import enclosing_class, self_name
from gclint.analysis.flow import walk_shallow, walk_shallow_of
from gclint.analysis.walk import children, walk, walk_typed
from gclint.diagnostics import FixSafety
from gclint.registry import Example, Rule, register

if TYPE_CHECKING:
    pass
from gclint.rules.cycles._shared import WEAKREF_DOCS
from gclint.rules.cycles._truth import OBSERVED_TRUTH


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
            doc=True,
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
            doc=True,
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
