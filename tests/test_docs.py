"""Rule docs are generated from rule metadata and must be current."""

from __future__ import annotations

from conftest import ROOT

from gclint.docs import rules_table, stale_files
from gclint.rules import REGISTRY


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
