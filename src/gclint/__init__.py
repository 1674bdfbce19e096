"""gclint: a linter for Python object lifetimes.

Public API::

    from gclint import check_source, Config

    for diagnostic in check_source(source, "module.py", Config()):
        print(diagnostic.code, diagnostic.line, diagnostic.message)
"""

from gclint.config import Config, ConfigError
from gclint.diagnostics import Diagnostic, Fix, FixSafety, Range
from gclint.engine import check_file, check_source, check_tree

__version__ = "0.1.0"

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
]
