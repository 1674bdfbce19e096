"""The rule catalogue: importing this package registers every rule.

Rules are found, not listed: every module under this package is imported, except those whose
name starts with ``_`` (what a family's rules share) or ends with ``_fix``. A family is a package
(``resources``, ``finalizers``, ``cycles``, ``gcmodule``) holding one module per rule, named after
the rule (``unclosed_resource.py`` for ``unclosed-resource``); a fixable rule's fix is the module
beside it named ``<module>_fix.py`` (``unclosed_resource_fix.py``), which only the fix engine
imports (it needs libcst). A rule has a fix exactly when that file exists.
"""

from __future__ import annotations

import importlib
import os

from gclint.registry import REGISTRY


def _load(package: str, directory: str, fix_modules: set[str]) -> None:
    for entry in sorted(os.listdir(directory)):
        path = os.path.join(directory, entry)
        name, ext = os.path.splitext(entry)
        if name.startswith("_") or name.startswith("."):
            continue
        if ext == ".py":
            if name.endswith("_fix"):
                fix_modules.add(f"{package}.{name}")
            else:
                importlib.import_module(f"{package}.{name}")
        elif ext == "" and os.path.isfile(os.path.join(path, "__init__.py")):
            importlib.import_module(f"{package}.{name}")
            _load(f"{package}.{name}", path, fix_modules)


def _register_all() -> None:
    fix_modules: set[str] = set()
    _load(__name__, os.path.dirname(__file__), fix_modules)
    for rule in REGISTRY:
        if f"{rule.__module__}_fix" in fix_modules:
            rule.fix_module = f"{rule.__module__}_fix"
            rule.fix_implemented = True


_register_all()

__all__ = ["REGISTRY"]
