"""gclint: a linter for Python object lifetimes.

Public API::

    from gclint import check_source, fix_source, Config

    for diagnostic in check_source(source, "module.py", Config()):
        print(diagnostic.code, diagnostic.line, diagnostic.message)
    fixed = fix_source(source, "module.py", Config()).text  # the safe fixes applied
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from gclint.config import Config, ConfigError
from gclint.diagnostics import Diagnostic, Fix, FixSafety, Range
from gclint.engine import DEFAULT_CONFIG, check_file, check_source, check_tree

if TYPE_CHECKING:
    from gclint.fixes.engine import FixResult

__version__ = "0.1.0"


def fix_source(
    source: str, path: str = "<stdin>", config: Config = DEFAULT_CONFIG, unsafe: bool = False
) -> FixResult:
    """The source with every verified fix applied (libcst is imported on the first call)."""
    from gclint.fixes.engine import fix_source as fix

    return fix(source, path, config, unsafe)


__all__ = [
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
