"""The flake8 adapter: flake8 parses the file and hands over its tree; gclint never re-parses.

flake8 does the selection (``--select GCL``), ``# noqa`` and reporting; gclint's own options are
registered with flake8, so they can be set in flake8's configuration too::

    [flake8]
    gclint-extra-resource-factories = mypkg.open_db, mypkg.connect
    gclint-allow-detached-processes = true
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from typing import Any, ClassVar

from gclint import __version__
from gclint.config import Config
from gclint.engine import check_tree, selected_rules

_ALL_GCL = Config(select=("GCL",))


class Flake8Plugin:
    name = "gclint"
    version = __version__
    config: ClassVar[Config] = _ALL_GCL

    def __init__(self, tree: ast.AST, filename: str, lines: list[str] | None = None) -> None:
        self.tree = tree
        self.filename = filename
        self.text = "".join(lines) if lines is not None else None

    @classmethod
    def add_options(cls, parser: Any) -> None:
        parser.add_option(
            "--gclint-extra-resource-factories",
            default="",
            parse_from_config=True,
            comma_separated_list=True,
            help="gclint: qualified names of functions that return resources (GCL1xx)",
        )
        parser.add_option(
            "--gclint-allow-detached-processes",
            action="store_true",
            default=False,
            parse_from_config=True,
            help="gclint: do not report processes started with start_new_session=True (GCL108)",
        )

    @classmethod
    def parse_options(cls, options: Any) -> None:
        factories = getattr(options, "gclint_extra_resource_factories", None) or []
        cls.config = Config(
            select=("GCL",),
            extra_resource_factories=tuple(f.strip() for f in factories if f.strip()),
            allow_detached_processes=bool(
                getattr(options, "gclint_allow_detached_processes", False)
            ),
        )

    def run(self) -> Iterator[tuple[int, int, str, type[Flake8Plugin]]]:
        if not isinstance(self.tree, ast.Module):
            return
        # flake8 applies --select/--ignore/per-file-ignores itself: run every implemented rule
        rules = selected_rules(self.config)
        for diag in check_tree(self.tree, self.filename, self.config, rules, self.text):
            yield diag.line, diag.col, f"{diag.code} {diag.message}", type(self)
