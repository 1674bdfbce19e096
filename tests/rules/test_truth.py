"""Ground truth: every example runs in a real interpreter and behaves as its rule claims.

INVALID examples must misbehave (the probe observes the leak, the disabled collector, the
version-dependent answer...); VALID examples must not. The fixed source of an INVALID example
(what `--fix` makes of it) must not misbehave either, and must behave as the original did: the
same output, the same value of each expression of the trigger, the same files and committed
sqlite3 rows left behind.
"""

from __future__ import annotations

import pytest

from gclint.registry import Example, Rule
from gclint.rules import REGISTRY
from gclint.testing import find_pythons, misbehaves, verdicts

FIXED = [
    (rule, i, ex)
    for rule in REGISTRY.implemented()
    for i, ex in enumerate(rule.invalid)
    if ex.fixed
]

CASES = [
    (rule, kind, i, ex)
    for rule in REGISTRY.implemented()
    for kind, examples in (("invalid", rule.invalid), ("valid", rule.valid))
    for i, ex in enumerate(examples)
]


@pytest.mark.parametrize(
    ("rule", "kind", "index", "example"),
    CASES,
    ids=[f"{r.code}-{k}-{i}" for r, k, i, _ in CASES],
)
def test_example_behaves_as_claimed(
    rule: type[Rule], kind: str, index: int, example: Example
) -> None:
    assert rule.truth is not None
    if example.static_only:
        pytest.skip(f"checked statically only: {example.static_only}")
    if rule.truth.across_pythons and len(find_pythons()) < 2:
        pytest.skip("needs two or more Python versions on this machine to compare")
    results = verdicts(rule, example)
    bad = misbehaves(results)
    detail = ", ".join(
        f"{v.python}: misbehaved={v.misbehaved} observed={v.observed}" for v in results
    )
    if kind == "invalid":
        assert bad, f"INVALID example did not show that {rule.truth.describe}: {detail}"
    else:
        assert not bad, f"VALID example showed that {rule.truth.describe}: {detail}"


@pytest.mark.parametrize(
    ("rule", "index", "example"), FIXED, ids=[f"{r.code}-fixed-{i}" for r, i, _ in FIXED]
)
def test_fixed_example_behaves_and_keeps_behaviour(
    rule: type[Rule], index: int, example: Example
) -> None:
    assert rule.truth is not None
    if example.static_only:
        pytest.skip(f"checked statically only: {example.static_only}")
    if rule.truth.across_pythons and len(find_pythons()) < 2:
        pytest.skip("needs two or more Python versions on this machine to compare")
    fixed = verdicts(rule, example, source=example.fixed_source, show=True)
    detail = ", ".join(f"{v.python}: observed={v.observed}" for v in fixed)
    assert not misbehaves(fixed), (
        f"the fixed example still shows that {rule.truth.describe}: {detail}"
    )
    original = verdicts(rule, example, show=True)
    assert misbehaves(original)
    for before, after in zip(original, fixed, strict=True):
        assert after.behaviour == before.behaviour
