"""Rule docs are generated from rule metadata and must be current."""

from __future__ import annotations

from typing import ClassVar

import pytest
from conftest import ROOT

from gclint import Config, check_source
from gclint.docs import (
    CODE_FENCE,
    EXAMPLE_SECTIONS,
    code_block,
    docstring_sections,
    render_rule,
    rules_table,
    sections,
    stale_files,
)
from gclint.registry import Example, Rule
from gclint.rules import REGISTRY

RULES = list(REGISTRY)


def test_docs_are_current() -> None:
    stale = stale_files(ROOT)
    assert stale == [], f"stale docs, run `make docs`: {[str(p) for p in stale]}"


def test_readme_has_rule_table_and_two_setup_commands() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert rules_table() in readme
    assert "make demo" in readme
    assert "make test" in readme
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert "make test" in ci


def test_every_rule_has_a_page() -> None:
    for rule in REGISTRY:
        page = (ROOT / "docs" / "rules" / f"{rule.code}.md").read_text(encoding="utf-8")
        assert page.startswith(f"# {rule.code} {rule.name}\n")


def _flagged(rule: type[Rule], title: str) -> list[Example]:
    return [e for e in (rule.invalid if EXAMPLE_SECTIONS[title] else rule.valid) if e.doc]


@pytest.mark.parametrize("rule", RULES, ids=[r.code for r in RULES])
def test_example_sections_show_one_flagged_example_or_hand_written_code(rule: type[Rule]) -> None:
    """The code of a page's Example (Use instead) is one INVALID (VALID) example flagged
    ``doc=True`` or, when no example can be that code, a code block the docstring writes by
    hand; never both, and never two flagged examples."""
    page = render_rule(rule)
    written = docstring_sections(rule)
    for title in EXAMPLE_SECTIONS:
        flagged = _flagged(rule, title)
        hand_written = CODE_FENCE in written.get(title, "")
        assert not (flagged and hand_written), (
            f"{rule.code}: '## {title}' both flags an example and keeps a code block"
        )
        if f"\n## {title}\n" in page:
            assert len(flagged) + hand_written == 1, (
                f"{rule.code}: '## {title}' needs exactly one example flagged doc=True "
                f"or a hand-written code block, has {len(flagged)} flagged"
            )
        else:
            assert not flagged, rule.code
        for example in flagged:
            assert code_block(example.source) in sections(rule)[title]


@pytest.mark.parametrize("rule", RULES, ids=[r.code for r in RULES])
def test_a_flagged_example_is_reported_as_claimed(rule: type[Rule]) -> None:
    """The page's Example is reported by its rule; its Use instead by no rule at all. (Both are
    among the rule's examples, so the generated tests and the truth test run them too.)"""
    for example in _flagged(rule, "Example"):
        found = check_source(example.source, example.path, Config(select=(rule.code,)))
        assert [(d.line, d.col + 1) for d in found if d.code == rule.code] == list(example.expect)
        assert example.expect, rule.code
    for example in _flagged(rule, "Use instead"):
        assert check_source(example.source, example.path) == [], rule.code


class _Documented(Rule):
    """
    ## What it does
    Finds things.

    ## Use instead

    The replacement closes it.
    """

    code = "GCL990"
    name = "documented"
    summary = "a rule for this test"
    invalid: ClassVar[tuple[Example, ...]] = (Example("x = 1\n"), Example("y = 1\n", doc=True))
    valid: ClassVar[tuple[Example, ...]] = (Example("z = 1\n", doc=True),)


def test_flagged_examples_are_rendered_in_section_order_before_the_prose() -> None:
    """A missing section is the flagged example's code; a section with prose only gets the code
    first, the prose after it as after the heading (here: after a blank line)."""
    page = sections(_Documented)
    assert list(page) == ["What it does", "Example", "Use instead"]
    assert page["Example"] == "```python\ny = 1\n```"
    assert page["Use instead"] == "```python\nz = 1\n```\n\nThe replacement closes it."

    class NextLine(_Documented):
        """
        ## Use instead
        (the replacement closes it)
        """

    assert sections(NextLine)["Use instead"] == "```python\nz = 1\n```\n(the replacement closes it)"


def test_a_section_cannot_both_flag_an_example_and_write_code() -> None:
    class Both(_Documented):
        """
        ## Example
        ```python
        y = 1
        ```
        """

    with pytest.raises(ValueError, match="code block and an example flagged"):
        sections(Both)

    class TwoFlagged(_Documented):
        valid = (Example("a = 1\n", doc=True), Example("b = 1\n", doc=True))

    with pytest.raises(ValueError, match="2 examples flagged"):
        sections(TwoFlagged)
