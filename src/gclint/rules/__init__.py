"""The rule catalogue: importing this package registers every rule family."""

from gclint.registry import REGISTRY
from gclint.rules import cycles, finalizers, gcmodule, meta, resources

__all__ = ["REGISTRY", "cycles", "finalizers", "gcmodule", "meta", "resources"]
