"""The peer cases: gclint gives each case of fixtures/peers/cases.py its labelled answer, and
docs/peers.md (the side-by-side table with pylint and ruff) is current."""

from __future__ import annotations

import sys

import pytest
from conftest import ROOT

sys.path.insert(0, str(ROOT / "bench"))
import peers

from gclint import Config, check_source

CASES = peers.load_cases()


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_gclint_gives_the_right_answer(case: peers.Case) -> None:
    source = peers.CASES.read_text(encoding="utf-8")
    found = {
        d.code
        for d in check_source(source, "cases.py", Config())
        if peers.owner(CASES, d.line) == case
    }
    assert found == set(case.expect)


def test_peer_table_is_current() -> None:
    text, right, total = peers.table()
    assert right["gclint"] == total
    page = (ROOT / "docs" / "peers.md").read_text(encoding="utf-8")
    assert text in page, "docs/peers.md is stale: run python bench/peers.py --write docs/peers.md"
