"""The fix engine (libcst, used only under --fix/--diff/the server) and the toolkit fixes use.

A rule's fix is the module beside the rule named ``<rule module>_fix.py`` (see `gclint.rules`),
defining ``fix(wrapper, diagnostic, unsafe) -> libcst.Module``; its safety and title are the
rule's `fix_safety` and `fix_title`, declared once, on the rule. Importing this package never
imports libcst: `load()` imports the fix modules when the engine first needs them.

The toolkit: `site` (where the diagnostic's code is, and facts about it), `edit` (rewriting the
module), `imports` (adding an import), `with_block` (the ``with`` rewrite of GCL101/GCL103);
`base` is the contract, `engine` applies and checks fixes, `writing` saves the files.
"""

from __future__ import annotations

import dataclasses
import importlib
import sys
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from gclint.diagnostics import Diagnostic, Fix, FixSafety

if TYPE_CHECKING:
    from gclint.runner import Checked


def load() -> None:
    """Import every rule's fix into `base.FIXERS`; cheap after the first call."""
    from gclint.fixes.base import FIXERS, Fixer
    from gclint.rules import REGISTRY

    for rule in REGISTRY:
        if rule.fix_module is not None and rule.code not in FIXERS:
            fix = importlib.import_module(rule.fix_module).fix
            FIXERS[rule.code] = Fixer(rule.code, rule.fix_safety, rule.fix_title or "", fix)


def fix_of(code: str, unsafe: bool) -> Fix | None:
    """The fix `--fix` has for `code` (from the rule's metadata: no libcst needed)."""
    from gclint.rules import REGISTRY

    rule = REGISTRY.get(code)
    if rule is None or not rule.fix_implemented or rule.fix_safety is FixSafety.NONE:
        return None
    applicable = rule.fix_safety is FixSafety.SAFE or unsafe
    return Fix(rule.fix_safety, rule.fix_title or "", applicable)


def with_fix(diag: Diagnostic, unsafe: bool) -> Diagnostic:
    """`diag` with the fix `--fix` has for it, if any."""
    if diag.is_error or diag.fix is not None:
        return diag
    fix = fix_of(diag.code, unsafe)
    return diag if fix is None else dataclasses.replace(diag, fix=fix)


@dataclass
class FixReport:
    """What fixing a run's files did: counts, skipped fixes, diffs (for --diff)."""

    fixed: int = 0
    files: int = 0
    skipped: list[str] = field(default_factory=list)
    diffs: list[str] = field(default_factory=list)
    stdin: bytes | None = None  # the fixed standard input, encoded as it came

    def print_summary(self, diff: bool) -> None:
        verb = "Would fix" if diff else "Fixed"
        if self.fixed:
            print(
                f"{verb} {self.fixed} diagnostic{'s' if self.fixed != 1 else ''} in "
                f"{self.files} file{'s' if self.files != 1 else ''}",
                file=sys.stderr,
            )
        if self.skipped:
            count = len(self.skipped)
            print(f"{count} fix{'es' if count != 1 else ''} skipped:", file=sys.stderr)
            for line in self.skipped:
                print(f"  {line}", file=sys.stderr)


def needs_fixing(result: Checked, unsafe: bool) -> bool:
    """Whether a checked file has a diagnostic `--fix` would fix (the file decoded, no error)."""
    if not result.decoded or result.has_error:
        return False
    return any(
        (fix := fix_of(d.code, unsafe)) is not None and fix.applicable for d in result.diagnostics
    )
