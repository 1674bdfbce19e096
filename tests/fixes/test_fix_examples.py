"""Tests generated from the rules' examples for the fix engine.

Every INVALID example of a rule that has a fixer declares what `--fix` makes of it: `fixed`
(checked here to the byte) or `no_fix` (checked here: the fixer declines, with a reason). The
fixed source is then run by tests/test_truth.py like a VALID example.
"""

from __future__ import annotations

import pytest

from gclint import Config, check_source
from gclint.diagnostics import FixSafety
from gclint.fixes import load
from gclint.fixes.base import FIXERS
from gclint.fixing import fix_source
from gclint.registry import Example, Rule
from gclint.rules import REGISTRY

load()
FIXED_RULES = [r for r in REGISTRY.implemented() if r.code in FIXERS]
CASES = [(rule, i, ex) for rule in FIXED_RULES for i, ex in enumerate(rule.invalid)]
IDS = [f"{rule.code}-{i}" for rule, i, _ in CASES]


def _fix(rule: type[Rule], example: Example, source: str | None = None):  # type: ignore[no-untyped-def]
    unsafe = rule.fix_safety is FixSafety.UNSAFE
    text = example.source if source is None else source
    return fix_source(text, example.path, Config(select=(rule.code,)), unsafe=unsafe)


def test_each_fix_is_the_module_beside_its_rule() -> None:
    """A rule has a fix exactly when ``<its module>_fix.py`` exists beside it and defines
    ``fix``; the fix's safety and title are the rule's; an implemented rule declares a fix
    safety exactly when it has one."""
    import importlib.util

    for rule in REGISTRY:
        spec = importlib.util.find_spec(f"{rule.__module__}_fix")
        assert (spec is not None) == rule.fix_implemented, rule.code
        if rule.fix_implemented:
            assert rule.fix_module == f"{rule.__module__}_fix", rule.code
            assert rule.fix_safety is not FixSafety.NONE, rule.code
            assert rule.fix_title, rule.code
    for code, fixer in FIXERS.items():
        owner = REGISTRY.get(code)
        assert owner is not None, code
        assert owner.fix_implemented, code
        assert fixer.safety is owner.fix_safety, code
        assert fixer.title == owner.fix_title, code
    for rule in REGISTRY:
        assert rule.fix_implemented == (rule.code in FIXERS), rule.code


def test_examples_declare_fixes_only_for_rules_with_fixers() -> None:
    for rule in REGISTRY:
        for example in (*rule.invalid, *rule.valid):
            if rule.code not in FIXERS or example in rule.valid:
                assert not example.fixed, f"{rule.code}: 'fixed' without a fixer"
                assert not example.no_fix, f"{rule.code}: 'no_fix' without a fixer"


@pytest.mark.parametrize(("rule", "index", "example"), CASES, ids=IDS)
def test_invalid_example_declares_its_fix(rule: type[Rule], index: int, example: Example) -> None:
    assert bool(example.fixed) != bool(example.no_fix), (
        f"{rule.code} INVALID example {index} must declare exactly one of fixed= or no_fix="
    )


@pytest.mark.parametrize(("rule", "index", "example"), CASES, ids=IDS)
def test_fix_gives_the_declared_source(rule: type[Rule], index: int, example: Example) -> None:
    result = _fix(rule, example)
    if example.no_fix:
        assert not result.changed, result.text
        reasons = [s.reason for s in result.skipped if s.diagnostic.code == rule.code]
        assert reasons, f"the {rule.code} fixer declined without saying why"
        assert all(r.startswith("fix skipped: ") and len(r) > 20 for r in reasons), reasons
        return
    assert result.text == example.fixed_source
    assert [a.code for a in result.applied].count(rule.code) == len(example.expect)
    assert not result.skipped, result.skipped
    # the fixed source is clean for the rule, and clean of every other rule that was clean
    assert not [d for d in check_source(result.text, example.path) if d.is_error]
    assert check_source(result.text, example.path, Config(select=(rule.code,))) == []
    before = {d.code for d in check_source(example.source, example.path)}
    after = {d.code for d in check_source(result.text, example.path)}
    assert after <= before


@pytest.mark.parametrize(("rule", "index", "example"), CASES, ids=IDS)
def test_fix_is_idempotent(rule: type[Rule], index: int, example: Example) -> None:
    once = _fix(rule, example)
    twice = _fix(rule, example, once.text)
    assert twice.text == once.text
    assert not twice.applied
