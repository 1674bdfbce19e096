"""gclint: a linter for Python object lifetimes.

Public API::

    from gclint import check_source, fix_source, Config

    for diagnostic in check_source(source, "module.py", Config()):
        print(diagnostic.code, diagnostic.line, diagnostic.message)
    fixed = fix_source(source, "module.py", Config()).text  # the safe fixes applied

The names are imported on first use (PEP 562), so that importing ``gclint`` (as flake8 does to
load the plugin, or the ``gclint`` command at start-up) cannot fail before gclint can report it.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from gclint.config import Config, ConfigError
    from gclint.diagnostics import Diagnostic, Fix, FixSafety, Range
    from gclint.engine import DEFAULT_CONFIG, check_file, check_source, check_tree
    from gclint.fixing import FixResult

from gclint.version import __version__

_LAZY = {
    "Config": "gclint.config",
    "ConfigError": "gclint.config",
    "Diagnostic": "gclint.diagnostics",
    "Fix": "gclint.diagnostics",
    "FixSafety": "gclint.diagnostics",
    "Range": "gclint.diagnostics",
    "DEFAULT_CONFIG": "gclint.engine",
    "check_file": "gclint.engine",
    "check_source": "gclint.engine",
    "check_tree": "gclint.engine",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'gclint' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def fix_source(
    source: str, path: str = "<stdin>", config: Config | None = None, unsafe: bool = False
) -> FixResult:
    """The source with every verified fix applied (libcst is imported on the first call)."""
    from gclint.engine import DEFAULT_CONFIG
    from gclint.fixing import fix_source as fix

    return fix(source, path, DEFAULT_CONFIG if config is None else config, unsafe)


__all__ = [
    "DEFAULT_CONFIG",
    "Config",
    "ConfigError",
    "Diagnostic",
    "Fix",
    "FixSafety",
    "Range",
    "__version__",
    "check_file",
    "check_source",
    "check_tree",
    "fix_source",
]
