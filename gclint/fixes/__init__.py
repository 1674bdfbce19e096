"""The fix engine (libcst, used only under --fix/--diff) and one fixer per fixable rule.

Importing this package never imports libcst: `FIXABLE` names, for each rule code that has a
fixer, the module that registers it (into `base.FIXERS`), and `load()` imports those modules
when the engine first needs them. To add a fixer: write the module (``@fixer(code, ...)`` from
`gclint.fixes.base`) and add one ``"GCLnnn": "gclint.fixes.<module>"`` line to `FIXABLE`.
`Rule.fix_implemented` is set from `FIXABLE` (see `gclint.rules`), and a test checks that
`FIXABLE` and the registered fixers agree.
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
    """Import every fixer module (registering its fixers); cheap after the first call."""
    for module in sorted(set(FIXABLE.values())):
        importlib.import_module(module)
