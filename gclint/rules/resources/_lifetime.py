"""The verdict of the resource rules: what happened to an acquisition -> which rule reports it.

The analysis (`gclint.analysis.acquisitions`) says what each acquisition of a scope is and what
happens to it along every path; this module decides, once per scope for all of them, which of
GCL101, GCL103, GCL105, GCL107 and GCL108 that is (or none), with the words of the message.
"""

from __future__ import annotations

import ast
from collections.abc import Sequence
from typing import NamedTuple, cast

from gclint.analysis.acquisitions import (
    Acquisition,
    ResourceFacts,
    is_detached,
)
from gclint.analysis.classify import PROVISIONAL, call_name, is_contextmanager
from gclint.analysis.flow import FUNCTION_TYPES, walk_shallow, walk_shallow_of
from gclint.analysis.module import ModuleFacts
from gclint.analysis.walk import walk

_YIELDS = (ast.Yield, ast.YieldFrom)


class Finding(NamedTuple):
    code: str
    node: ast.AST
    fmt: dict[str, object]


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


def describe_raise(node: ast.AST) -> str:
    """How a message names the statement that raised: 'parse()', 'yield', 'raise'."""
    if isinstance(node, ast.Raise):
        return "raise"
    for sub in walk_shallow([node]):
        if isinstance(sub, ast.Call):
            return call_name(sub) + "()"
        if isinstance(sub, (ast.Yield, ast.YieldFrom)):
            return "yield"
        if isinstance(sub, ast.Await):
            return "await"
        if isinstance(sub, ast.Subscript):
            return ast.unparse(sub)
    return f"the statement at line {getattr(node, 'lineno', '?')}"


class Lifetimes:
    """The findings of the resource rules in one module, per scope (rules share one)."""

    def __init__(self, module: ModuleFacts) -> None:
        self.facts = module.shared(ResourceFacts)
        self._findings: dict[int, list[Finding]] = {}

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
        for acq in self.facts.acquisitions(scope, chain):
            if first_yield is not None and acq.stmt.lineno < first_yield:
                continue  # owned by the @contextmanager until its yield
            if module_level and acq.name in self.facts.global_uses():
                continue  # a module global used by functions: long-lived by design
            if acq.name in self.facts.captured(scope):
                continue  # a closure may use (and close) it later: not sure, so silent
            finding = self._judge(acq, body, chain, module_level)
            if finding is not None and acq.rtype is PROVISIONAL:
                confirmed = self.facts.classify(acq.stmt_value, chain, infer=True)
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
        lifetime = self.facts.lifetime(acq, body, chain)
        outcome = lifetime.outcome
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
            if lifetime.with_unclosed and acq.rtype.kind == "connection":
                return Finding("GCL105", lifetime.with_unclosed[0], where)
            if acq.rtype.kind == "process":
                if is_detached(acq.call) and self.facts.module.config.allow_detached_processes:
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
