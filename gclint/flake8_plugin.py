"""The flake8 adapter: flake8 parses the file and hands over its tree; gclint never re-parses.

Configuration is the CLI's: the nearest ``pyproject.toml`` with a ``[tool.gclint]`` table, found
from the first path flake8 was given exactly as ``gclint check`` finds it, applies in full
(select/ignore/extend-*, per-file-ignores, exclude, rule options). flake8's own selection and
``# noqa`` apply on top. gclint's rule options can also be set in flake8's configuration, where
they override ``[tool.gclint]``::

    [flake8]
    gclint-extra-resource-factories = mypkg.open_db, mypkg.connect
    gclint-allow-detached-processes = true

An unknown ``gclint-*`` key or a bad value there is an error that stops flake8 with one line.

A guest never takes its host down: gclint's modules are imported when a file is checked, and any
failure inside gclint becomes a ``GCL000`` finding on that file; flake8 and its other plugins go
on.
"""

from __future__ import annotations

import ast
import os
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from gclint.version import __version__

if TYPE_CHECKING:
    from gclint.config import Config

_OPTIONS = {  # flake8 option -> Config field
    "gclint-extra-resource-factories": "extra_resource_factories",
    "gclint-allow-detached-processes": "allow_detached_processes",
}
_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


class GclintOptionError(Exception):
    """A bad gclint option in flake8's configuration (raised as flake8's ExecutionError)."""


def _flake8_error(message: str) -> Exception:
    try:
        from flake8.exceptions import ExecutionError
    except ImportError:  # pragma: no cover - flake8 is what loads this module
        return GclintOptionError(message)
    error: Exception = ExecutionError(message)
    return error


class Flake8Plugin:
    name = "gclint"
    version = __version__
    config: ClassVar[Config | None] = None  # set by parse_options; None: the CLI's defaults
    failure: ClassVar[str | None] = None  # why gclint could not be configured (GCL000 per file)

    def __init__(self, tree: ast.AST, filename: str, lines: list[str] | None = None) -> None:
        self.tree = tree
        self.filename = filename
        self.text = "".join(lines) if lines is not None else None

    @classmethod
    def add_options(cls, parser: Any) -> None:
        parser.add_option(
            "--gclint-extra-resource-factories",
            default=None,
            parse_from_config=True,
            comma_separated_list=True,
            help="gclint: qualified names of functions that return resources (GCL1xx); "
            "overrides [tool.gclint] extra-resource-factories",
        )
        parser.add_option(
            "--gclint-allow-detached-processes",
            default=None,
            nargs="?",
            const="true",
            parse_from_config=True,
            help="gclint: do not report processes started with start_new_session=True "
            "(GCL108): true or false; overrides [tool.gclint] allow-detached-processes",
        )

    @classmethod
    def parse_options(cls, options: Any) -> None:
        """The configuration for every file of this run (a bad one stops flake8, one line)."""
        from gclint.config import ConfigError

        cls.failure = None
        _check_flake8_keys(options)
        overrides = _overrides(options)
        try:
            cls.config = _resolve(options, overrides)
        except ConfigError as exc:
            raise _flake8_error(f"gclint: {exc}") from None
        except Exception as exc:  # a bug in gclint: report it on each file, keep flake8 going
            from gclint.entry import internal_error

            cls.config = None
            cls.failure = internal_error(exc)

    def run(self) -> Iterator[tuple[int, int, str, type[Flake8Plugin]]]:
        if not isinstance(self.tree, ast.Module):
            return
        try:
            rows = self._check()
        except Exception as exc:  # never take flake8 down: one GCL000 on this file
            from gclint.entry import internal_error

            yield 1, 0, f"GCL000 {internal_error(exc)}", type(self)
            return
        for line, col, text in rows:
            yield line, col, text, type(self)

    def _check(self) -> list[tuple[int, int, str]]:
        if self.failure is not None:
            return [(1, 0, f"GCL000 {self.failure}")]
        from gclint.config import Config
        from gclint.engine import check_tree, selected_rules

        tree = self.tree
        assert isinstance(tree, ast.Module)  # run() checked it
        config = self.config if self.config is not None else Config()
        if _excluded(config, self.filename):
            return []
        rules = selected_rules(config, self.filename)
        return [
            (diag.line, diag.col, f"{diag.code} {diag.message}")
            for diag in check_tree(tree, self.filename, config, rules, self.text)
            if diag.is_error or config.is_selected(diag.code, self.filename)
        ]


def _check_flake8_keys(options: Any) -> None:
    """Unknown ``gclint-*`` keys in flake8's configuration are errors (flake8 ignores them)."""
    try:
        from flake8.options.config import load_config
    except ImportError:  # pragma: no cover - an unexpected flake8
        return
    try:
        cfg, _ = load_config(
            getattr(options, "config", None),
            list(getattr(options, "append_config", None) or []),
            isolated=bool(getattr(options, "isolated", False)),
        )
    except Exception:  # flake8 itself reports a missing or broken configuration file
        return
    if "flake8" not in cfg:
        return
    known = {*_OPTIONS, *(k.replace("-", "_") for k in _OPTIONS)}
    for key in cfg["flake8"]:
        if key.replace("_", "-").startswith("gclint-") and key not in known:
            raise _flake8_error(
                f"gclint: unknown option {key!r} in flake8's configuration "
                f"(known: {', '.join(_OPTIONS)})"
            )


def _overrides(options: Any) -> dict[str, Any]:
    out: dict[str, Any] = {}
    factories = getattr(options, "gclint_extra_resource_factories", None)
    if factories is not None:
        if isinstance(factories, str):
            factories = factories.replace(",", " ").split()
        out["extra_resource_factories"] = tuple(f.strip() for f in factories if f.strip())
    detached = getattr(options, "gclint_allow_detached_processes", None)
    if detached is not None:
        if isinstance(detached, bool):
            out["allow_detached_processes"] = detached
        elif str(detached).strip().lower() in _TRUE:
            out["allow_detached_processes"] = True
        elif str(detached).strip().lower() in _FALSE:
            out["allow_detached_processes"] = False
        else:
            raise _flake8_error(
                f"gclint: gclint-allow-detached-processes must be true or false, not {detached!r}"
            )
    return out


def _resolve(options: Any, overrides: dict[str, Any]) -> Config:
    """As ``gclint check`` does: the nearest ``[tool.gclint]`` from the first path given."""
    from gclint.config import resolve_config
    from gclint.rules import REGISTRY

    paths = [str(p) for p in (getattr(options, "filenames", None) or [])] or ["."]
    stdin_name = getattr(options, "stdin_display_name", None)
    if paths == ["-"]:
        start = Path(stdin_name) if stdin_name and stdin_name != "stdin" else Path.cwd()
    else:
        start = Path(paths[0])
    if not start.exists():
        start = Path.cwd()
    isolated = bool(getattr(options, "isolated", False))
    return resolve_config(start, overrides, isolated=isolated, known=REGISTRY.rules.keys())


def _excluded(config: Config, path: str) -> bool:
    """Whether ``[tool.gclint]`` excludes this file (its own exclude patterns only: flake8 has
    already applied its own, and gclint's defaults name the same kind of folders)."""
    from gclint.config import DEFAULT_EXCLUDE

    if not config.extend_exclude and config.exclude == DEFAULT_EXCLUDE:
        return False
    parts = Path(os.path.relpath(os.path.abspath(path), os.path.abspath(config.root))).parts
    if parts and parts[0] == "..":
        parts = Path(path).parts
    return any(
        config.is_excluded(os.path.join(config.root, *parts[: i + 1])) for i in range(len(parts))
    )
