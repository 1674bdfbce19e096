"""The engine: source -> tree -> one walk dispatching to every selected rule -> diagnostics.

`check_tree` is what the flake8 plugin calls with the tree flake8 already parsed; `check_source`
and `check_file` add decoding, parsing and ``# noqa`` for the CLI. An exception raised by one rule
on one file becomes a GCL000 diagnostic for that file and disables only that rule there.
"""

from __future__ import annotations

import ast
import dataclasses
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from gclint.config import Config
from gclint.context import Context
from gclint.diagnostics import Diagnostic, Range
from gclint.noqa import filter_noqa
from gclint.registry import Rule, Status
from gclint.rules import REGISTRY
from gclint.source import SourceError, SourceText, decode, parse, read_source

Handler = Callable[[ast.AST], None]
DEFAULT_CONFIG = Config()


def selected_rules(config: Config, path: str | None = None) -> list[type[Rule]]:
    return [
        rule
        for rule in REGISTRY
        if rule.status is Status.IMPLEMENTED and config.is_selected(rule.code, path)
    ]


def error_diagnostic(path: str, code: str, message: str, line: int = 1, col: int = 0) -> Diagnostic:
    meta = REGISTRY.get(code)
    return Diagnostic(
        code=code,
        name=meta.name if meta else "error",
        path=path,
        range=Range(line, col, line, col),
        message=message,
        is_error=True,
    )


class _Dispatcher:
    """Per-file tables from node type to the handlers of the selected rules."""

    def __init__(self, rules: Sequence[Rule]) -> None:
        self.rules = list(rules)
        self.enter: dict[type[ast.AST], list[tuple[Rule, Handler]]] = {}
        self.leave: dict[type[ast.AST], list[tuple[Rule, Handler]]] = {}
        self._build()

    def _build(self) -> None:
        self.enter.clear()
        self.leave.clear()
        for rule in self.rules:
            for phase, type_name, attr in type(rule).handlers():
                node_type = getattr(ast, type_name)
                table = self.enter if phase == "visit" else self.leave
                table.setdefault(node_type, []).append((rule, getattr(rule, attr)))

    def drop(self, rule: Rule) -> None:
        self.rules = [r for r in self.rules if r is not rule]
        self._build()


def check_tree(
    tree: ast.Module,
    path: str,
    config: Config = DEFAULT_CONFIG,
    rules: Sequence[type[Rule]] | None = None,
) -> list[Diagnostic]:
    """Run the selected rules over an already parsed tree (no ``noqa`` filtering)."""
    ctx = Context(tree, path, config)
    rule_types = selected_rules(config, path) if rules is None else rules
    instances = [rule_type(ctx) for rule_type in rule_types]
    dispatcher = _Dispatcher(instances)
    errors: list[Diagnostic] = []

    def fail(rule: Rule, node: ast.AST | None, exc: BaseException) -> None:
        line = getattr(node, "lineno", 1) if node is not None else 1
        col = getattr(node, "col_offset", 0) if node is not None else 0
        detail = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
        errors.append(
            error_diagnostic(
                path,
                "GCL000",
                f"internal error in {rule.code} ({rule.name}): {detail}; please report",
                line,
                col,
            )
        )
        dispatcher.drop(rule)

    def call(table: dict[type[ast.AST], list[tuple[Rule, Handler]]], node: ast.AST) -> None:
        for rule, handler in list(table.get(type(node), ())):
            if rule not in dispatcher.rules:
                continue
            try:
                handler(node)
            except Exception as exc:  # isolate one rule's failure (RecursionError included)
                fail(rule, node, exc)

    ancestors = ctx.ancestors
    stack: list[tuple[ast.AST, bool]] = [(tree, False)]
    enter, leave = dispatcher.enter, dispatcher.leave
    while stack:
        node, leaving = stack.pop()
        if leaving:
            ancestors.pop()
            if type(node) in leave:
                call(leave, node)
            continue
        if type(node) in enter:
            call(enter, node)
        ancestors.append(node)
        stack.append((node, True))
        children = list(ast.iter_child_nodes(node))
        children.reverse()
        stack.extend((child, False) for child in children)

    for rule in list(dispatcher.rules):
        finish = getattr(rule, "finish", None)
        if finish is not None:
            try:
                finish()
            except Exception as exc:  # isolate one rule's failure
                fail(rule, None, exc)

    result = ctx.diagnostics + errors
    result.sort(key=Diagnostic.sort_key)
    return result


@dataclass
class FileResult:
    """What checking one file produced: its diagnostics, and its decoded source if it had one."""

    path: str
    diagnostics: list[Diagnostic] = field(default_factory=list)
    source: SourceText | None = None

    @property
    def has_error(self) -> bool:
        return any(d.is_error for d in self.diagnostics)


def check_text(
    text: str, path: str, config: Config = DEFAULT_CONFIG, noqa: bool = True
) -> list[Diagnostic]:
    """Parse and check decoded source text, honouring ``# noqa`` unless `noqa` is False."""
    try:
        tree = parse(text, path)
    except SourceError as err:
        return [error_diagnostic(path, err.code, err.message, err.line, err.col)]
    diagnostics = to_character_columns(check_tree(tree, path, config), text)
    return filter_noqa(diagnostics, text) if noqa else diagnostics


def to_character_columns(diagnostics: list[Diagnostic], text: str) -> list[Diagnostic]:
    """`ast` columns count UTF-8 bytes; users (and SARIF) count characters. Convert."""
    if text.isascii():
        return diagnostics
    lines = text.splitlines()
    out = []
    for diag in diagnostics:
        r = diag.range
        col = _char_col(lines, r.line, r.col)
        end_col = _char_col(lines, r.end_line, r.end_col)
        if (col, end_col) != (r.col, r.end_col):
            diag = dataclasses.replace(diag, range=Range(r.line, col, r.end_line, end_col))  # noqa: PLW2901
        out.append(diag)
    return out


def _char_col(lines: list[str], line: int, byte_col: int) -> int:
    if not 0 < line <= len(lines) or lines[line - 1].isascii():
        return byte_col
    return len(lines[line - 1].encode("utf-8")[:byte_col].decode("utf-8", errors="ignore"))


def check_source(
    source: str | bytes, path: str = "<stdin>", config: Config = DEFAULT_CONFIG
) -> list[Diagnostic]:
    """Public API: the diagnostics for one module's source.

    `source` is text, or bytes decoded as Python would (BOM, coding cookie, UTF-8).
    """
    if isinstance(source, bytes):
        try:
            source = decode(source).text
        except SourceError as err:
            return [error_diagnostic(path, err.code, err.message, err.line, err.col)]
    return check_text(source, path, config)


def check_file(
    path: str, config: Config = DEFAULT_CONFIG, raw: bytes | None = None, noqa: bool = True
) -> FileResult:
    """Read (or take `raw`), decode, parse and check one file.

    Bad input becomes a GCL001/GCL002 diagnostic in the result, never an exception.
    """
    try:
        source = decode(raw) if raw is not None else read_source(path)
    except SourceError as err:
        return FileResult(path, [error_diagnostic(path, err.code, err.message, err.line, err.col)])
    return FileResult(path, check_text(source.text, path, config, noqa), source)
