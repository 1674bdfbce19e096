"""The fix engine (libcst, used only under --fix/--diff) and the toolkit fixers are written with.

A rule's fix is the module beside the rule named ``<rule module>_fix.py`` (see `gclint.rules`),
defining ``fix(wrapper, diagnostic, unsafe) -> libcst.Module``; its safety and title are the
rule's `fix_safety` and `fix_title`, declared once, on the rule. Importing this package never
imports libcst: `load()` imports the fix modules when the engine first needs them.

`FIXABLE` names the fixers that still live in this package (registered with ``@fixer``); it goes
away as they move beside their rules.
"""

from __future__ import annotations

import importlib

FIXABLE: dict[str, str] = {
    "GCL101": "gclint.fixes.resources",
    "GCL103": "gclint.fixes.resources",
    "GCL105": "gclint.fixes.connections",
    "GCL106": "gclint.fixes.locks",
    "GCL102": "gclint.fixes.expressions",
    "GCL104": "gclint.fixes.exceptions",
    "GCL304": "gclint.fixes.exceptions",
    "GCL305": "gclint.fixes.weakrefs",
    "GCL306": "gclint.fixes.weakrefs",
    "GCL401": "gclint.fixes.gcmodule",
    "GCL302": "gclint.fixes.backrefs",
}


def load() -> None:
    """Import every fix (registering it in `base.FIXERS`); cheap after the first call."""
    from gclint.fixes.base import FIXERS, Fixer
    from gclint.rules import REGISTRY

    for module in sorted(set(FIXABLE.values())):
        importlib.import_module(module)
    for rule in REGISTRY:
        if rule.fix_module is not None and rule.code not in FIXERS:
            fix = importlib.import_module(rule.fix_module).fix
            FIXERS[rule.code] = Fixer(rule.code, rule.fix_safety, rule.fix_title or "", fix)
