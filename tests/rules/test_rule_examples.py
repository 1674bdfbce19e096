"""Tests generated from every registered rule's own examples and metadata.

A rule cannot ship without examples: each implemented rule must have INVALID examples whose
diagnostics land exactly where declared, VALID examples with no diagnostic, a truth probe, and
documentation with every section.
"""

from __future__ import annotations

import pytest

from gclint import Config, check_source
from gclint.docs import sections
from gclint.registry import Example, Rule, Status
from gclint.rules import REGISTRY

IMPLEMENTED = REGISTRY.implemented()
REQUIRED_SECTIONS = ("What it does", "Why is this bad?", "Example", "Use instead", "Fix safety")


def _cases(kind: str) -> list[tuple[type[Rule], int, Example]]:
    return [
        (rule, i, ex)
        for rule in IMPLEMENTED
        for i, ex in enumerate(rule.invalid if kind == "invalid" else rule.valid)
    ]


def _ids(cases: list[tuple[type[Rule], int, Example]]) -> list[str]:
    return [f"{rule.code}-{i}" for rule, i, _ in cases]


def _positions(rule: type[Rule], example: Example) -> tuple[tuple[int, int], ...]:
    config = Config(select=(rule.code,))
    found = check_source(example.source, example.path, config)
    errors = [d for d in found if d.is_error]
    assert not errors, errors
    return tuple((d.line, d.col + 1) for d in found if d.code == rule.code)


@pytest.mark.parametrize(
    ("rule", "index", "example"), _cases("invalid"), ids=_ids(_cases("invalid"))
)
def test_invalid_example_is_reported_where_declared(
    rule: type[Rule], index: int, example: Example
) -> None:
    assert example.expect, f"{rule.code} INVALID example {index} declares no position"
    assert _positions(rule, example) == example.expect


@pytest.mark.parametrize(("rule", "index", "example"), _cases("valid"), ids=_ids(_cases("valid")))
def test_valid_example_is_clean(rule: type[Rule], index: int, example: Example) -> None:
    """A good example is good code: no rule at all reports it."""
    assert _positions(rule, example) == ()
    others = [(d.code, d.line) for d in check_source(example.source, example.path)]
    assert others == []


@pytest.mark.parametrize("rule", IMPLEMENTED, ids=[r.code for r in IMPLEMENTED])
def test_rule_metadata_is_complete(rule: type[Rule]) -> None:
    assert len(rule.invalid) >= 2, "at least two INVALID examples"
    assert len(rule.valid) >= 2, "at least two VALID examples"
    assert rule.truth is not None, "a truth probe that runs the examples"
    assert rule.message
    assert rule.summary
    assert rule.references
    found = sections(rule)
    for title in REQUIRED_SECTIONS:
        assert found.get(title), f"{rule.code} docstring lacks '## {title}'"
    assert "References" in found


@pytest.mark.parametrize("rule", list(REGISTRY), ids=[r.code for r in REGISTRY])
def test_every_catalogue_entry_is_documented(rule: type[Rule]) -> None:
    found = sections(rule)
    assert found.get("What it does"), rule.code
    assert rule.status in (Status.IMPLEMENTED, Status.PLANNED, Status.META)


def test_message_placeholders_are_filled() -> None:
    """Every INVALID example's message is fully formatted (no stray braces)."""
    for rule in IMPLEMENTED:
        for example in rule.invalid:
            for diag in check_source(example.source, example.path, Config(select=(rule.code,))):
                assert "{" not in diag.message.replace("{...}", ""), diag.message


def test_handlers_of_newer_node_types_register_on_every_python() -> None:
    """A rule may handle ``TryStar`` (3.11+) or ``TypeAlias`` (3.12+): on an older Python the
    handler is left out, not an error; a misspelt node type is still refused."""
    import ast

    from gclint.registry import Registry

    class Newer(Rule):
        code = "GCL998"
        name = "newer-nodes"
        summary = "test"

        def visit_TryStar(self, node: ast.AST) -> None: ...

        def visit_TypeAlias(self, node: ast.AST) -> None: ...

        def visit_Try(self, node: ast.AST) -> None: ...

    Registry().register(Newer)
    handled = {node_type for _phase, node_type, _attr in Newer.handlers()}
    assert "Try" in handled
    assert ("TryStar" in handled) == hasattr(ast, "TryStar")
    assert ("TypeAlias" in handled) == hasattr(ast, "TypeAlias")

    class Misspelt(Rule):
        code = "GCL997"
        name = "misspelt-node"
        summary = "test"

        def visit_Trystar(self, node: ast.AST) -> None: ...

    with pytest.raises(ValueError, match="unknown node type 'Trystar'"):
        Registry().register(Misspelt)
