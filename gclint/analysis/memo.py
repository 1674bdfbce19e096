"""Every cache gclint keeps in a process registers here, so that one call can forget them all.

A cache that keeps parsed trees of project modules registers with ``trees=True``: a guest process
drops those after every file (`forget_trees`), since its host's collector would traverse them
again and again. `forget_all` drops every registered cache (`gclint.hosting.reset`).
"""

from __future__ import annotations

from collections.abc import Callable

_TREES: list[Callable[[], None]] = []
_ALL: list[Callable[[], None]] = []


def cache(clear: Callable[[], None], *, trees: bool = False) -> Callable[[], None]:
    """Register `clear`, which empties one cache; returns it."""
    _ALL.append(clear)
    if trees:
        _TREES.append(clear)
    return clear


def forget_trees() -> None:
    """Empty the caches that keep trees (answers that hold no tree are kept)."""
    for clear in _TREES:
        clear()


def forget_all() -> None:
    """Empty every registered cache."""
    for clear in _ALL:
        clear()
