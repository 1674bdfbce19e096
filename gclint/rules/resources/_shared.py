"""What several resources rules share."""

from __future__ import annotations

import ast

from gclint.registry import Rule
from gclint.rules.resources._lifetime import Lifetimes

WITH_DOCS = "https://docs.python.org/3/reference/compound_stmts.html#the-with-statement"


class ScopeFindings(Rule):
    """Reports this rule's findings from the shared per-scope resource analysis."""

    def _emit(self, scope: ast.AST) -> None:
        lifetimes = self.ctx.shared(Lifetimes)
        found = lifetimes.found_in(scope)  # the first of these rules to leave a scope computes them
        if found is None:
            found = lifetimes.findings(scope, self.ctx.scope_chain(scope))
        for finding in found:
            if finding.code == self.code:
                self.report(finding.node, **finding.fmt)

    def leave_FunctionDef(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        self._emit(node)

    leave_AsyncFunctionDef = leave_FunctionDef

    def leave_Module(self, node: ast.Module) -> None:
        self._emit(node)
