"""The rule catalogue: importing this package registers every rule family."""

from gclint.fixes import FIXABLE
from gclint.registry import REGISTRY
from gclint.rules import cycles, finalizers, gcmodule, meta, planned, resources

for _code in FIXABLE:
    REGISTRY.rules[_code].fix_implemented = True

__all__ = ["REGISTRY", "cycles", "finalizers", "gcmodule", "meta", "planned", "resources"]
