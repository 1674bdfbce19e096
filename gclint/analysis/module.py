"""One module as the analyses see it: `ModuleFacts`.

The analyses (`gclint.analysis`) take a module's facts, never the rules' `Context`: its tree,
path, text (when known), configuration (the rule options), name scopes, and a memo holding one
instance of each analysis made of it, which every rule shares.
"""

from __future__ import annotations

import ast
from collections.abc import Callable
from typing import TYPE_CHECKING, TypeVar, cast

from gclint.analysis.scopes import Scopes

if TYPE_CHECKING:
    from gclint.config import Config

T = TypeVar("T")


class ModuleFacts:
    def __init__(
        self, tree: ast.Module, path: str, config: Config, text: str | None = None
    ) -> None:
        self.tree = tree
        self.path = path
        self.config = config
        self.text = text
        self.scopes = Scopes(tree, text)
        self._shared: dict[object, object] = {}

    def shared(self, factory: Callable[[ModuleFacts], T]) -> T:
        """One `factory(self)` per module, shared by everyone who asks for it."""
        found = self._shared.get(factory)
        if found is None:
            found = self._shared[factory] = factory(self)
        return cast(T, found)

    def release(self) -> None:
        """Drop the analyses made of the module: they keep it (and so its tree) alive, a
        reference cycle that reference counting alone would never free."""
        self._shared.clear()
