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

import importlib


def load() -> None:
    """Import every rule's fix into `base.FIXERS`; cheap after the first call."""
    from gclint.fixes.base import FIXERS, Fixer
    from gclint.rules import REGISTRY

    for rule in REGISTRY:
        if rule.fix_module is not None and rule.code not in FIXERS:
            fix = importlib.import_module(rule.fix_module).fix
            FIXERS[rule.code] = Fixer(rule.code, rule.fix_safety, rule.fix_title or "", fix)
