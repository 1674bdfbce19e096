"""Helpers for the fixer tests (tests/test_fixers_*.py): apply ONE fixer to ONE diagnostic.

`fixed(source, code)` runs the real checker, hands the chosen diagnostic to the registered fixer
exactly as the engine does (a `MetadataWrapper` over libcst's parse of the text), and returns the
new text after checking that it

- compiles,
- no longer has that diagnostic (one fewer of the code) and has no new diagnostic of any code,
- is a fixed point: the same fixer, asked again about what is left of that code, changes nothing
  or declines.

`skipped(source, code)` returns the reason the fixer declines. `run_both` runs a script before
and after the fix under ``python -X dev -W error::ResourceWarning`` for the behaviour checks.
`invalid_source(code, index)` is a rule's INVALID example, for a test that asserts more about it
than the generated tests (tests/fixes/test_fix_examples.py) do: the code is written once, in the
rule.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from collections import Counter
from pathlib import Path

import libcst as cst
from libcst.metadata import MetadataWrapper

from gclint import Config, Diagnostic, check_source
from gclint.fixes import load
from gclint.fixes.base import FIXERS, FixSkipped
from gclint.rules import REGISTRY

load()


def dedent(text: str) -> str:
    return textwrap.dedent(text).lstrip("\n")


def invalid_source(code: str, index: int) -> str:
    """The source of INVALID example `index` of rule `code` (dedented, as the rule runs it)."""
    return REGISTRY.rules[code].invalid[index].source


def diagnostics(source: str, code: str, path: str = "example.py") -> list[Diagnostic]:
    found = check_source(source, path, Config(select=(code,)))
    assert not [d for d in found if d.is_error], found
    return [d for d in found if d.code == code]


def _apply(source: str, diagnostic: Diagnostic, unsafe: bool) -> str:
    module = cst.parse_module(source)
    assert module.code == source
    return FIXERS[diagnostic.code].apply(MetadataWrapper(module), diagnostic, unsafe).code


def _pick(source: str, code: str, line: int | None, col: int | None, path: str) -> Diagnostic:
    found = diagnostics(source, code, path)
    assert found, f"no {code} diagnostic in:\n{source}"
    if line is None:
        assert len(found) == 1, found
        return found[0]
    chosen = [d for d in found if d.line == line and col in (None, d.col)]
    assert len(chosen) == 1, found
    return chosen[0]


def fixed(
    source: str,
    code: str,
    *,
    unsafe: bool = False,
    line: int | None = None,
    col: int | None = None,
    path: str = "example.py",
) -> str:
    """The text after fixing the only `code` diagnostic (or the one at `line`, and 0-based
    `col`); see the module docstring."""
    diagnostic = _pick(source, code, line, col, path)
    out = _apply(source, diagnostic, unsafe)
    assert out != source
    compile(out, path, "exec", dont_inherit=True)
    before = Counter(d.code for d in check_source(source, path))
    after = Counter(d.code for d in check_source(out, path))
    assert after[code] == before[code] - 1, (before, after, out)
    for other, count in after.items():
        assert count <= before[other], (other, before, after, out)
    for left in diagnostics(out, code, path):
        try:
            again = _apply(out, left, unsafe)
        except FixSkipped:
            continue
        assert again != out  # another site of the same code, fixed in its own step
    return out


def skipped(
    source: str,
    code: str,
    *,
    unsafe: bool = False,
    line: int | None = None,
    col: int | None = None,
    path: str = "example.py",
) -> str:
    """The reason the fixer declines the only `code` diagnostic (or the one at `line`/`col`)."""
    diagnostic = _pick(source, code, line, col, path)
    try:
        out = _apply(source, diagnostic, unsafe)
    except FixSkipped as exc:
        return str(exc)
    raise AssertionError(f"the fixer did not decline; it produced:\n{out}")


def run_script(script: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    path = cwd / "script_under_test.py"
    path.write_text(script, encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
    return subprocess.run(
        [sys.executable, "-X", "dev", "-W", "error::ResourceWarning", str(path)],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        stdin=subprocess.DEVNULL,
    )


def run_both(
    before: str, after: str, driver: str, tmp_path: Path
) -> tuple[subprocess.CompletedProcess[str], subprocess.CompletedProcess[str]]:
    """Run `before` and `after`, each followed by `driver`, in fresh directories."""
    results = []
    for name, code in (("before", before), ("after", after)):
        work = tmp_path / name
        work.mkdir()
        results.append(run_script(code + "\n" + dedent(driver), work))
    return results[0], results[1]
