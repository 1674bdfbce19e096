"""Ownership along every path: where a resource bound to a local name goes.

`track()` runs a small abstract interpreter over one scope's statements for one acquisition
(``f = open(p)``). The abstract state of a path is the status of the resource: not yet acquired
(NONE), held and unreleased (OPEN) or released / handed on (DONE), plus whether the path went
through an exception (and which statement raised). Branches, loops (to a fixed point),
``try``/``except``/``else``/``finally``, ``with``, ``return``, ``raise``, ``break`` and
``continue`` are followed; a statement that can raise sends the current state to the nearest
handler, ``finally`` or out of the scope.

What a statement does to the resource comes from a `UseOf` callback, which knows the resource
catalogue and the names in the module; this module only knows control flow.
"""

from __future__ import annotations

import ast
import enum
from collections.abc import Callable, Mapping, Sequence
from typing import cast

MAX_LOOP_PASSES = 8


class Status(enum.Enum):
    NONE = "none"  # not acquired on this path (or the name was rebound to something else)
    OPEN = "open"
    DONE = "done"  # released, or ownership handed on


class Effect(enum.Enum):
    """What one statement (or expression) does to the tracked resource."""

    NOTHING = 0
    BORROW = 1  # used, still owned here
    RELEASE = 2  # closed / waited / released
    HANDOFF = 3  # ownership handed on (returned, stored, passed to an owner or unknown code)
    MANAGED = 4  # used as a ``with`` item whose exit closes it
    REBIND = 5  # the name now holds something else
    ACQUIRE = 6  # the tracked acquisition itself


# A set of path states: (status, went through an exception) -> the node that raised, if any.
Key = tuple[Status, bool]
States = dict[Key, ast.AST | None]


def _merge(*parts: Mapping[Key, ast.AST | None]) -> States:
    out: States = {}
    for part in parts:
        for key, origin in part.items():
            out.setdefault(key, origin)
    return out


def _closes(entering: States, branch: Flow) -> bool:
    """The branch, entered with the resource open, leaves it released on its normal exit."""
    opened = any(status is Status.OPEN for status, _ in entering)
    return (
        opened
        and not any(status is Status.OPEN for status, _ in branch.normal)
        and bool(branch.normal)
    )


def _passes_through(branch: Flow) -> bool:
    return any(status is Status.OPEN for status, _ in branch.normal)


def _without_open(states: States) -> States:
    return {key: origin for key, origin in states.items() if key[0] is not Status.OPEN}


def _with_status(states: States, status: Status) -> States:
    return _merge(*({(status, exc): origin} for (_s, exc), origin in states.items()))


class Flow:
    """The states a block's paths leave it with, by how they leave it."""

    __slots__ = ("breaks", "continues", "normal", "raises", "returns")

    def __init__(
        self,
        normal: States | None = None,
        returns: States | None = None,
        breaks: States | None = None,
        continues: States | None = None,
        raises: States | None = None,
    ) -> None:
        self.normal: States = {} if normal is None else normal
        self.returns: States = {} if returns is None else returns
        self.breaks: States = {} if breaks is None else breaks
        self.continues: States = {} if continues is None else continues
        self.raises: States = {} if raises is None else raises

    def absorb(self, other: Flow, normal: bool = True) -> None:
        if normal:
            self.normal = _merge(self.normal, other.normal)
        self.returns = _merge(self.returns, other.returns)
        self.breaks = _merge(self.breaks, other.breaks)
        self.continues = _merge(self.continues, other.continues)
        self.raises = _merge(self.raises, other.raises)


class Outcome:
    """What happened to one acquisition along all paths of its scope."""

    def __init__(self) -> None:
        self.leaks_normally = False  # some path without exceptions ends with the resource open
        self.leaking_returns: list[ast.Return] = []  # ``return`` with it open
        self.leaks_on_exception: ast.AST | None = None  # a raising statement that leaks it
        self.exception_origins: list[ast.AST] = []  # every such statement
        self.rebinds: list[ast.expr | ast.stmt] = []  # rebound while open
        self.released = False  # an explicit release happens on some path
        self.handed_off = False
        self.with_unclosed: list[ast.AST] = []  # ``with conn:`` not closing


UseOf = Callable[[ast.AST, bool], Effect]  # (node, is_acquisition) -> effect on the resource


class _Interpreter:
    def __init__(
        self,
        name: str,
        acquisition: ast.stmt,
        use_of: UseOf,
        may_raise: Callable[[ast.AST], bool],
        flags: frozenset[str] = frozenset(),
    ) -> None:
        self.name = name
        self.flags = flags
        self.acquisition = acquisition
        self.use_of = use_of
        self.may_raise = may_raise
        self.outcome = Outcome()
        self.in_finally = 0

    # -- effects --------------------------------------------------------------------------------

    def _rebind(self, node: ast.AST) -> None:
        if isinstance(node, ast.withitem):
            node = node.optional_vars or node.context_expr  # ``with open(b) as f:``
        if isinstance(node, (ast.stmt, ast.expr)):
            self.outcome.rebinds.append(node)

    def _apply(self, effect: Effect, states: States, node: ast.AST) -> States:
        if effect in (Effect.NOTHING, Effect.BORROW):
            return states
        if effect is Effect.ACQUIRE:
            if any(status is Status.OPEN for status, _ in states):
                self._rebind(node)
            return _merge(*({(Status.OPEN, exc): None} for (_s, exc) in states))
        if effect is Effect.REBIND:
            if any(status is Status.OPEN for status, _ in states):
                self._rebind(node)
            return _with_status(states, Status.NONE)
        opened = any(status is Status.OPEN for status, _ in states)
        if opened and effect is Effect.RELEASE:
            self.outcome.released = True
        if opened and effect in (Effect.HANDOFF, Effect.MANAGED):
            self.outcome.handed_off = True
        return {
            ((Status.DONE if status is Status.OPEN else status), exc): origin
            for (status, exc), origin in states.items()
        }

    def _raising(self, node: ast.AST, states: States) -> States:
        """The states an exception raised by `node` carries (only open resources matter).

        Cleanup code in ``finally:`` is taken not to raise: a failing cleanup is not the leak
        this analysis is about, and counting it makes every finally a leak.
        """
        if self.in_finally or not self.may_raise(node):
            return {}
        if any(status is Status.OPEN for status, _ in states):
            return {(Status.OPEN, True): node}
        return {}

    def _simple(self, node: ast.AST, states: States, is_acquisition: bool = False) -> Flow:
        effect = self.use_of(node, is_acquisition)
        # The acquisition itself, and a statement that releases or hands on the resource
        # (``handle(p.wait())``, ``FileIO(fd)``), are not where it leaks.
        transfers = effect in (Effect.ACQUIRE, Effect.RELEASE, Effect.HANDOFF, Effect.MANAGED)
        raises = {} if transfers else self._raising(node, states)
        after = self._apply(effect, states, node)
        return Flow(normal=after, raises=raises)

    # -- blocks ---------------------------------------------------------------------------------

    def block(self, stmts: Sequence[ast.stmt], states: States) -> Flow:
        flow = Flow(normal=states)
        for stmt in stmts:
            if not flow.normal:
                break
            step = self.stmt(stmt, flow.normal)
            flow.normal = {}
            flow.absorb(step)
        return flow

    def stmt(self, node: ast.stmt, states: States) -> Flow:
        if node is self.acquisition:
            return self._simple(node, states, is_acquisition=True)
        method = getattr(self, "stmt_" + type(node).__name__, None)
        if method is not None:
            return cast(Flow, method(node, states))
        return self._simple(node, states)

    def stmt_Return(self, node: ast.Return, states: States) -> Flow:
        step = self._simple(node, states)
        if (Status.OPEN, False) in step.normal and node not in self.outcome.leaking_returns:
            self.outcome.leaking_returns.append(node)
        return Flow(returns=step.normal, raises=step.raises)

    def stmt_Raise(self, node: ast.Raise, states: States) -> Flow:
        step = self._simple(node, states)
        raised = (
            {(Status.OPEN, True): node} if any(s is Status.OPEN for s, _ in step.normal) else {}
        )
        return Flow(raises=_merge(step.raises, raised))

    def stmt_Break(self, node: ast.Break, states: States) -> Flow:
        return Flow(breaks=states)

    def stmt_Continue(self, node: ast.Continue, states: States) -> Flow:
        return Flow(continues=states)

    def stmt_If(self, node: ast.If, states: States) -> Flow:
        test = self._simple(node.test, states)
        flow = Flow(raises=test.raises)
        # An open resource is an object, never None: ``if f is not None:`` cannot take its
        # else branch while the resource is open, nor ``if f is None:`` (or ``if not f and
        # other:``) its body.
        body_states, else_states = test.normal, test.normal
        if self._false_when_open(node.test):
            body_states = _without_open(test.normal)
        elif self._true_when_open(node.test):
            else_states = _without_open(test.normal)
        body = self.block(node.body, body_states)
        orelse = self.block(node.orelse, else_states)
        if self.guard_like(node.test):
            # ``if close_dst: dst.close()``, ``if g is not sys.stdout: g.close()``,
            # ``if f: f.close() else: os.close(fd)``: when one branch releases the resource and
            # the other leaves it alone, the test tells the two situations apart.
            if _closes(test.normal, body) and _passes_through(orelse):
                orelse.normal = _without_open(orelse.normal)
            elif _closes(test.normal, orelse) and _passes_through(body):
                body.normal = _without_open(body.normal)
        flow.absorb(body)
        flow.absorb(orelse)
        return flow

    def guard_like(self, test: ast.AST) -> bool:
        """A test on a flag or on the tracked name itself, not on arbitrary data."""
        if isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not):
            return self.guard_like(test.operand)
        if isinstance(test, (ast.Name, ast.Attribute)):
            return True
        if isinstance(test, ast.Compare) and len(test.ops) == 1:
            if isinstance(test.ops[0], (ast.Is, ast.IsNot)) or self._tests_name(test) is not None:
                return True
            sides = (test.left, *test.comparators)
            return any(isinstance(s, ast.Name) and s.id == self.name for s in sides)
        return False

    def _true_when_open(self, test: ast.AST) -> bool:
        """`test` is surely true while the tracked name holds the open resource."""
        if isinstance(test, ast.BoolOp) and isinstance(test.op, ast.Or):
            return any(self._true_when_open(value) for value in test.values)
        return self._tests_name(test) is True

    def _false_when_open(self, test: ast.AST) -> bool:
        """`test` is surely false while the tracked name holds the open resource."""
        if isinstance(test, ast.BoolOp) and isinstance(test.op, ast.And):
            return any(self._false_when_open(value) for value in test.values)
        return self._tests_name(test) is False

    def _tests_name(self, test: ast.AST) -> bool | None:
        """True if `test` is true whenever the tracked name holds the resource (``f``,
        ``f is not None``), False if it is then false (``not f``, ``f is None``)."""
        if isinstance(test, ast.Name) and (test.id == self.name or test.id in self.flags):
            return True
        if isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not):
            inner = self._tests_name(test.operand)
            return None if inner is None else not inner
        if (
            isinstance(test, ast.Compare)
            and len(test.ops) == 1
            and isinstance(test.ops[0], ast.In)
            and isinstance(test.left, ast.Constant)
            and test.left.value == self.name
        ):
            return True  # ``if "conn" in locals():``
        if (
            isinstance(test, ast.Compare)
            and len(test.ops) == 1
            and isinstance(test.left, ast.Name)
            and (test.left.id == self.name or test.left.id in self.flags)
            and isinstance(test.comparators[0], ast.Constant)
            and test.comparators[0].value is None
        ):
            if isinstance(test.ops[0], (ast.IsNot, ast.NotEq)):
                return True
            if isinstance(test.ops[0], (ast.Is, ast.Eq)):
                return False
        return None

    def _loop(
        self, node: ast.For | ast.AsyncFor | ast.While, states: States, head: ast.AST | None
    ) -> Flow:
        flow = Flow()
        entry = states
        infinite = (
            isinstance(node, ast.While)
            and isinstance(node.test, ast.Constant)
            and bool(node.test.value)
        )
        exits: States = {}
        for _ in range(MAX_LOOP_PASSES):
            at_head = self._simple(head, entry) if head is not None else Flow(normal=entry)
            flow.raises = _merge(flow.raises, at_head.raises)
            if not infinite:
                exits = _merge(exits, at_head.normal)
            body = self.block(node.body, at_head.normal)
            flow.absorb(body, normal=False)
            back = _merge(body.normal, body.continues)
            if isinstance(node, ast.While) and not infinite:
                # ``while not current: current = open(...)``: the test may be what the body's
                # acquisition made false, so an open resource leaves the loop here.
                exits = _merge(exits, {k: o for k, o in back.items() if k[0] is Status.OPEN})
                back = _without_open(back)
            again = _merge(entry, back)
            if again == entry:
                break
            entry = again
        breaks, flow.breaks, flow.continues = flow.breaks, {}, {}
        orelse = self.block(node.orelse, exits)
        flow.absorb(orelse)
        flow.normal = _merge(flow.normal, breaks)
        return flow

    def stmt_While(self, node: ast.While, states: States) -> Flow:
        return self._loop(node, states, node.test)

    def stmt_For(self, node: ast.For | ast.AsyncFor, states: States) -> Flow:
        before = self._simple(node.iter, states)
        flow = self._loop(node, before.normal, node.target)  # the target is bound per iteration
        flow.raises = _merge(before.raises, flow.raises)
        return flow

    stmt_AsyncFor = stmt_For

    def stmt_With(self, node: ast.With | ast.AsyncWith, states: States) -> Flow:
        raises: States = {}
        for item in node.items:
            step = self._simple(item, states)
            raises = _merge(raises, step.raises)
            states = step.normal
        flow = self.block(node.body, states)
        flow.raises = _merge(raises, flow.raises)
        return flow

    stmt_AsyncWith = stmt_With

    def stmt_Match(self, node: ast.Match, states: States) -> Flow:
        subject = self._simple(node.subject, states)
        flow = Flow(normal=subject.normal, raises=subject.raises)  # no case may match
        for case in node.cases:
            flow.absorb(self.block(case.body, subject.normal))
        return flow

    def stmt_Try(self, node: ast.Try, states: States) -> Flow:
        body = self.block(node.body, states)
        orelse = self.block(node.orelse, body.normal)
        outcome = Flow(
            normal=orelse.normal,
            returns=_merge(body.returns, orelse.returns),
            breaks=_merge(body.breaks, orelse.breaks),
            continues=_merge(body.continues, orelse.continues),
            raises=orelse.raises,
        )
        if body.raises:
            # Exception types are not modelled: a try with handlers is taken to handle what
            # its body raises (the author says which failures are expected there; other
            # types are programming errors, not the paths a resource leaks on).
            for handler in node.handlers:
                entering = self._apply(self.use_of(handler, False), body.raises, handler)
                outcome.absorb(self.block(handler.body, entering))
            if not node.handlers:
                outcome.raises = _merge(outcome.raises, body.raises)
        if not node.finalbody:
            return outcome
        final = Flow()
        for kind in ("normal", "returns", "breaks", "continues", "raises"):
            group: States = getattr(outcome, kind)
            if not group:
                continue
            self.in_finally += 1
            try:
                through = self.block(node.finalbody, group)
            finally:
                self.in_finally -= 1
            setattr(final, kind, _merge(getattr(final, kind), through.normal))
            final.absorb(through, normal=False)
        return final

    stmt_TryStar = stmt_Try

    def stmt_FunctionDef(self, node: ast.AST, states: States) -> Flow:
        return Flow(normal=self._apply(self.use_of(node, False), states, node))

    stmt_AsyncFunctionDef = stmt_FunctionDef
    stmt_ClassDef = stmt_FunctionDef


def track(
    body: Sequence[ast.stmt],
    name: str,
    acquisition: ast.stmt,
    use_of: UseOf,
    may_raise: Callable[[ast.AST], bool],
    *,
    flags: frozenset[str] = frozenset(),
) -> Outcome:
    """Follow the resource that `acquisition` binds to `name` through `body` (a whole scope).

    `flags` are success flags: names that hold a true value whenever the resource is open
    (set in the same ``try`` as the acquisition, reset to None in its handler).
    """
    interp = _Interpreter(name, acquisition, use_of, may_raise, flags)
    flow = interp.block(body, {(Status.NONE, False): None})
    outcome = interp.outcome
    for (status, exc), origin in _merge(flow.normal, flow.returns).items():
        if status is Status.OPEN:
            if not exc:
                outcome.leaks_normally = True
            elif origin is not None:
                outcome.exception_origins.append(origin)
    for (status, _exc), origin in flow.raises.items():
        if status is Status.OPEN and origin is not None:
            outcome.exception_origins.append(origin)
    if outcome.exception_origins:
        outcome.leaks_on_exception = outcome.exception_origins[0]
    return outcome
