"""Configuration: ``[tool.gclint]`` in pyproject.toml, overridden by the command line.

A leaf: the rule codes a configuration may name are passed in (`known`), never imported.

Rule selection follows flake8 and ruff: a code runs when the longest prefix that selects it is
longer than the longest prefix that ignores it (``select = ["GCL"]``, ``ignore = ["GCL4"]``,
``extend-select = ["GCL401"]`` runs GCL401 and no other GCL4xx rule).
"""

from __future__ import annotations

import fnmatch
import os
import sys
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path, PurePosixPath
from typing import Any

DEFAULT_EXCLUDE: tuple[str, ...] = (
    ".git",
    ".hg",
    ".svn",
    ".venv",
    "venv",
    "__pycache__",
    "build",
    "dist",
    ".tox",
    ".nox",
    ".eggs",
    "node_modules",
    ".gclint_cache",
    ".mypy_cache",
    ".ruff_cache",
    ".pytest_cache",
)


class ConfigError(Exception):
    """A configuration or command-line value gclint cannot use (exit status 2)."""


@dataclass(frozen=True)
class Config:
    select: tuple[str, ...] = ("GCL",)
    ignore: tuple[str, ...] = ()
    extend_select: tuple[str, ...] = ()
    extend_ignore: tuple[str, ...] = ()
    per_file_ignores: tuple[tuple[str, tuple[str, ...]], ...] = ()
    exclude: tuple[str, ...] = DEFAULT_EXCLUDE
    extend_exclude: tuple[str, ...] = ()
    # rule options
    extra_resource_factories: tuple[str, ...] = ()
    allow_detached_processes: bool = False
    # where relative patterns are anchored (the directory of the config file, else the cwd)
    root: str = field(default=".", compare=False)
    source: str | None = field(default=None, compare=False)

    # -- selection -----------------------------------------------------------------------------

    def is_selected(self, code: str, path: str | None = None) -> bool:
        selected = _longest_prefix(code, (*self.select, *self.extend_select))
        ignored = _longest_prefix(code, (*self.ignore, *self.extend_ignore))
        if path is not None and self.per_file_ignores:
            for pattern, codes in self.per_file_ignores:
                if self._path_matches(path, pattern):
                    ignored = max(ignored, _longest_prefix(code, codes))
        return selected > ignored

    def _path_matches(self, path: str, pattern: str) -> bool:
        posix = PurePosixPath(Path(path).as_posix())
        rel = _relative_to(path, self.root)
        pattern = pattern.strip()
        if "/" not in pattern.rstrip("/"):
            return fnmatch.fnmatch(posix.name, pattern) or fnmatch.fnmatch(rel, pattern)
        return fnmatch.fnmatch(rel, pattern.lstrip("./")) or fnmatch.fnmatch(str(posix), pattern)

    def is_excluded(self, path: str) -> bool:
        """Whether a discovered file or directory is excluded (matched on its name or its path)."""
        name = os.path.basename(os.path.normpath(path))
        rel = _relative_to(path, self.root)
        for pattern in (*self.exclude, *self.extend_exclude):
            pat = pattern.rstrip("/")
            if "/" in pat:
                if fnmatch.fnmatch(rel, pat.lstrip("./")):
                    return True
            elif fnmatch.fnmatch(name, pat):
                return True
        return False


def _longest_prefix(code: str, prefixes: Iterable[str]) -> int:
    best = 0
    for prefix in prefixes:
        p = "GCL" if prefix.upper() == "ALL" else prefix.upper()
        if code.startswith(p):
            best = max(best, len(p))
    return best


def _relative_to(path: str, root: str) -> str:
    try:
        rel = os.path.relpath(os.path.abspath(path), os.path.abspath(root))
    except ValueError:  # pragma: no cover - different drives on Windows
        rel = path
    return Path(rel).as_posix()


# -- loading ------------------------------------------------------------------------------------

_LIST_KEYS = {
    "select": "select",
    "ignore": "ignore",
    "extend-select": "extend_select",
    "extend-ignore": "extend_ignore",
    "exclude": "exclude",
    "extend-exclude": "extend_exclude",
    "extra-resource-factories": "extra_resource_factories",
}
_CODE_KEYS = ("select", "ignore", "extend_select", "extend_ignore")
_BOOL_KEYS = {"allow-detached-processes": "allow_detached_processes"}
KNOWN_KEYS = (*_LIST_KEYS, *_BOOL_KEYS, "per-file-ignores")


def find_pyproject(start: Path) -> Path | None:
    """The nearest pyproject.toml with a ``[tool.gclint]`` table, from `start` upwards.

    The search stops at the root of a repository (a directory holding ``.git``).
    """
    directory = start if start.is_dir() else start.parent
    directory = directory.resolve()
    for candidate in (directory, *directory.parents):
        pyproject = candidate / "pyproject.toml"
        if pyproject.is_file() and _has_gclint_table(pyproject):
            return pyproject
        if (candidate / ".git").exists():
            return None
    return None


def _has_gclint_table(pyproject: Path) -> bool:
    try:
        text = pyproject.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return False
    return "[tool.gclint" in text


def load_pyproject(path: Path) -> dict[str, Any]:
    if sys.version_info >= (3, 11):  # imported only when a [tool.gclint] table is read
        import tomllib
    else:  # pragma: no cover - exercised on 3.10 only
        import tomli as tomllib
    try:
        with path.open("rb") as fh:
            data = tomllib.load(fh)
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read configuration: {exc}") from exc
    table = data.get("tool", {}).get("gclint", {})
    if not isinstance(table, dict):
        raise ConfigError(f"{path}: [tool.gclint] must be a table")
    return table


def config_from_table(
    table: Mapping[str, Any], source: str, root: str, *, known: Collection[str]
) -> Config:
    values: dict[str, Any] = {}
    for key, value in table.items():
        if key in _LIST_KEYS:
            values[_LIST_KEYS[key]] = _str_list(value, f"{source}: [tool.gclint] {key}")
        elif key in _BOOL_KEYS:
            if not isinstance(value, bool):
                raise ConfigError(f"{source}: [tool.gclint] {key} must be true or false")
            values[_BOOL_KEYS[key]] = value
        elif key == "per-file-ignores":
            if not isinstance(value, dict):
                raise ConfigError(f"{source}: [tool.gclint] per-file-ignores must be a table")
            values["per_file_ignores"] = tuple(
                (str(pat), _str_list(codes, f"{source}: per-file-ignores {pat!r}"))
                for pat, codes in value.items()
            )
        else:
            hint = ", ".join(KNOWN_KEYS)
            raise ConfigError(f"{source}: unknown key {key!r} in [tool.gclint] (known: {hint})")
    config = Config(root=root, source=source, **values)
    validate_codes(config, where=source, known=known)
    return config


def _str_list(value: Any, where: str) -> tuple[str, ...]:
    if isinstance(value, str):
        return parse_list(value)
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ConfigError(f"{where} must be a list of strings")
    return tuple(v.strip() for v in value if v.strip())


def parse_list(text: str) -> tuple[str, ...]:
    """Split a comma- or whitespace-separated option value."""
    return tuple(part for part in text.replace(",", " ").split() if part)


def parse_per_file_ignores(text: str) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """flake8's ``--per-file-ignores`` syntax: ``path/*.py:GCL401,GCL402 other.py:GCL4``."""
    result: list[tuple[str, list[str]]] = []
    for token in text.replace(",", " ").split():
        if ":" in token:
            pattern, _, codes = token.partition(":")
            result.append((pattern, [c for c in codes.split(",") if c]))
        elif result:
            result[-1][1].append(token)
        else:
            raise ConfigError(f"--per-file-ignores: expected 'pattern:CODES', got {token!r}")
    return tuple((pattern, tuple(codes)) for pattern, codes in result)


def validate_codes(config: Config, where: str, *, known: Collection[str]) -> None:
    """Every code or prefix the configuration names is a prefix of one of the `known` codes."""

    def check(codes: Sequence[str], option: str) -> None:
        for code in codes:
            if code.upper() == "ALL":
                continue
            if not any(k.startswith(code.upper()) for k in known):
                raise ConfigError(f"{where}: unknown rule code or prefix {code!r} in {option}")

    for name in _CODE_KEYS:
        check(getattr(config, name), name.replace("_", "-"))
    for pattern, codes in config.per_file_ignores:
        check(codes, f"per-file-ignores {pattern!r}")


def resolve_config(
    start: Path,
    overrides: Mapping[str, Any],
    config_path: Path | None = None,
    isolated: bool = False,
    *,
    known: Collection[str],
) -> Config:
    """The effective configuration: the file's values, then command-line `overrides` on top."""
    if isolated:
        base = Config(root=os.getcwd())
    else:
        pyproject = config_path or find_pyproject(start)
        if pyproject is None:
            base = Config(root=os.getcwd())
        else:
            if not pyproject.is_file():
                raise ConfigError(f"{pyproject}: configuration file not found")
            table = load_pyproject(pyproject)
            base = config_from_table(table, str(pyproject), str(pyproject.parent), known=known)
    if not overrides:
        return base
    merged: dict[str, Any] = {}
    for key, value in overrides.items():
        if key.startswith("extend_"):
            merged[key] = (*getattr(base, key), *value)
        else:
            merged[key] = value
    config = replace(base, **merged)
    validate_codes(config, where="command line", known=known)
    return config
