"""Resources in one module: which statements acquire them, and what happens to each one.

`ResourceFacts` is computed once per file and shared by the GCL1xx rules. It classifies calls
(`Classifier`), finds the acquisitions of each scope (``name = <resource call>``), and follows
each one with `ownership.track` (`lifetime`). What is a finding, and of which rule, the rules
decide (`gclint.rules.resources._lifetime`).
"""

from __future__ import annotations

import ast
from collections.abc import Iterator, Sequence
from typing import NamedTuple

from gclint.analysis.catalogue import (
    ALIASING_METHODS,
    BORROWERS,
    DETACH_KEYWORDS,
    ESTABLISHING,
    LOG_METHODS,
    OWNERSHIP_METHODS,
    OWNERSHIP_TAKERS,
    PID_WAITS,
    QUIET_CALLS,
    QUIET_METHODS,
    QUIET_STREAMS,
    ResourceType,
)
from gclint.analysis.classify import Classifier, call_name
from gclint.analysis.flow import FUNCTION_TYPES, SCOPE_BOUNDARIES, walk_shallow, walk_shallow_of
from gclint.analysis.module import ModuleFacts
from gclint.analysis.ownership import Effect, Outcome, track
from gclint.analysis.walk import children, walk, walk_typed


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


_YIELDS = (ast.Yield, ast.YieldFrom)
_ASSIGNMENTS = (ast.Assign, ast.AnnAssign)
_DECLARATIONS = (ast.Global, ast.Nonlocal)
_CALL_VALUES = (ast.Call, ast.Await)  # what `classify` can answer about
_NAMES = (ast.Name,)


def _is_pid_of(expr: ast.AST, name: str) -> bool:
    """``name.pid``."""
    return (
        isinstance(expr, ast.Attribute)
        and expr.attr == "pid"
        and isinstance(expr.value, ast.Name)
        and expr.value.id == name
    )


class ResourceFacts(Classifier):
    """What one module does with resources; rules share one instance through the context."""

    def __init__(self, module: ModuleFacts, nested: bool = False) -> None:
        super().__init__(module, nested)
        self._global_uses: set[str] | None = None

    # -- per-scope facts -------------------------------------------------------------------------

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
            yield Acquisition(node, target.id, call, rtype, call_name(call), value)

    def captured(self, scope: ast.AST) -> set[str]:
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

    def lifetime(
        self, acq: Acquisition, body: list[ast.stmt], chain: Sequence[ast.AST]
    ) -> Lifetime:
        """What happens to `acq` along every path of `body` (`ownership.track`)."""
        uses = _Uses(self, acq, chain)
        outcome = track(
            body, acq.name, acq.stmt, uses.effect, uses.may_raise, flags=success_flags(acq, body)
        )
        return Lifetime(outcome, uses.with_unclosed)


class Lifetime(NamedTuple):
    """An acquisition's `Outcome`, and the ``with conn:`` blocks that left it open."""

    outcome: Outcome
    with_unclosed: list[ast.AST]


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


def is_detached(call: ast.Call) -> bool:
    """Started in its own session or process group: fire-and-forget by design."""
    for kw in call.keywords:
        if kw.arg in DETACH_KEYWORDS and not (
            isinstance(kw.value, ast.Constant) and kw.value.value in (False, None, -1)
        ):
            return True
    return False


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
