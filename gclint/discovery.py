"""Finding the Python files to check under the paths a user names."""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from gclint.config import Config

PYTHON_SUFFIXES = (".py", ".pyi")


@dataclass(frozen=True)
class Missing:
    """A named path that does not exist (reported as GCL002)."""

    path: str


@dataclass(frozen=True)
class Unreadable:
    """A directory that could not be listed, so its files are not checked (reported as GCL002)."""

    path: str
    reason: str


def _display(path: str) -> str:
    norm = os.path.normpath(path)
    return norm if not norm.startswith("./") else norm[2:]


def discover(
    paths: Sequence[str], config: Config, force_exclude: bool = False
) -> Iterator[str | Missing | Unreadable]:
    """Yield the files to check, in a stable order, once each.

    Directories are walked without following symbolic links to directories (so a link loop
    cannot make the walk endless); excluded names are pruned. A file named explicitly is checked
    even if it matches an exclude pattern, unless `force_exclude` (as pre-commit wants).
    """
    seen: set[str] = set()
    directories: dict[str, str] = {}  # directory -> its real path (one realpath per directory)

    def once(path: str) -> bool:
        if os.path.islink(path):
            key = os.path.realpath(path)
        else:  # the real path of its directory, and its own name
            directory, name = os.path.split(path)
            real = directories.get(directory)
            if real is None:
                real = directories[directory] = os.path.realpath(directory or ".")
            key = os.path.join(real, name)
        if key in seen:
            return False
        seen.add(key)
        return True

    for given in paths:
        path = _display(given)
        if os.path.isdir(path):
            if force_exclude and config.is_excluded(path) and path != ".":
                continue
            yield from (p for p in _walk(path, config) if not isinstance(p, str) or once(p))
        elif os.path.lexists(path):
            if force_exclude and (config.is_excluded(path) or _under_excluded_dir(path, config)):
                continue
            if once(path):
                yield path
        else:
            yield Missing(path)


def _under_excluded_dir(path: str, config: Config) -> bool:
    parent = os.path.dirname(path)
    while parent and parent not in (".", os.sep):
        if config.is_excluded(parent):
            return True
        parent = os.path.dirname(parent)
    return False


def _walk(root: str, config: Config) -> Iterator[str | Unreadable]:
    errors: list[OSError] = []  # directories os.walk could not list (it would skip them silently)
    for directory, dirnames, filenames in os.walk(root, onerror=errors.append, followlinks=False):
        yield from _unreadable(errors)
        dirnames[:] = sorted(
            d for d in dirnames if not config.is_excluded(os.path.join(directory, d))
        )
        for name in sorted(filenames):
            if name.endswith(PYTHON_SUFFIXES):
                path = os.path.join(directory, name)
                if not config.is_excluded(path):
                    yield _display(path)
    yield from _unreadable(errors)


def _unreadable(errors: list[OSError]) -> Iterator[Unreadable]:
    while errors:
        exc = errors.pop(0)
        reason = (exc.strerror or str(exc)).lower()
        yield Unreadable(_display(str(exc.filename or "?")), f"cannot read directory: {reason}")
