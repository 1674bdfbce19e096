"""The engine: source -> tree -> one walk dispatching to every selected rule -> diagnostics.

`check_tree` is what the flake8 plugin calls with the tree flake8 already parsed; `check_source`
and `check_file` add decoding, parsing and ``# noqa`` for the CLI. An exception raised by one rule
on one file becomes a GCL000 diagnostic for that file and disables only that rule there; an
exception anywhere else in checking a file becomes a GCL000 for that file, never a crash.

A rule that runs out of recursion on a deeply nested file (a 2,000-branch ``elif`` chain) is not
reported straight away: the whole file is checked again in a thread with a large stack and a
high recursion limit (`gclint.hosting.run_deep`), and only what still fails there
becomes GCL000.
"""

from __future__ import annotations

import ast
import dataclasses
import functools
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from gclint import hosting
from gclint.analysis import memo
from gclint.analysis.imports import offer_checked, parsed_module
from gclint.analysis.scopes import SCOPE_TYPE_SET
from gclint.analysis.walk import current_index, indexed
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
    if not config.per_file_ignores:  # the same for every file: once per configuration
        return list(_selected(config, tuple(REGISTRY.rules)))
    return [
        rule
        for rule in REGISTRY
        if rule.status is Status.IMPLEMENTED and config.is_selected(rule.code, path)
    ]


@functools.lru_cache(maxsize=64)
def _selected(config: Config, _codes: tuple[str, ...]) -> tuple[type[Rule], ...]:
    return tuple(
        rule
        for rule in REGISTRY
        if rule.status is Status.IMPLEMENTED and config.is_selected(rule.code)
    )


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
            for is_enter, node_type, attr in _handler_names(type(rule)):
                table = self.enter if is_enter else self.leave
                table.setdefault(node_type, []).append((rule, getattr(rule, attr)))

    def drop(self, rule: Rule) -> None:
        self.rules = [r for r in self.rules if r is not rule]
        self._build()


_HANDLERS: dict[type[Rule], tuple[tuple[bool, type[ast.AST], str], ...]] = {}
memo.cache(_HANDLERS.clear)
memo.cache(_selected.cache_clear)


def _handler_names(rule: type[Rule]) -> tuple[tuple[bool, type[ast.AST], str], ...]:
    """A rule class's handlers (entering?, node type, method name), looked up once per class."""
    found = _HANDLERS.get(rule)
    if found is None:
        found = _HANDLERS[rule] = tuple(
            (phase == "visit", getattr(ast, type_name), attr)
            for phase, type_name, attr in rule.handlers()
        )
    return found


def check_tree(
    tree: ast.Module,
    path: str,
    config: Config = DEFAULT_CONFIG,
    rules: Sequence[type[Rule]] | None = None,
    text: str | None = None,
) -> list[Diagnostic]:
    """Run the selected rules over an already parsed tree (no ``noqa`` filtering).

    With the module's `text`, rules whose `needles` do not occur in it are not run at all (a rule
    about ``__del__`` has nothing to say about a file that never writes ``__del__``).
    """
    with hosting.current().checking():
        result, recursed = _check_tree(tree, path, config, rules, text)
        if recursed:
            deep = hosting.run_deep(lambda: _check_tree(tree, path, config, rules, text)[0])
            if deep is not None:
                result = deep
    return result


def applicable(rule: type[Rule], text: str | None, seen: dict[str, bool] | None = None) -> bool:
    """Whether `rule` can report anything in a module of this text (its needles occur).

    `seen` remembers, for one text, which needles were looked for and found: several rules
    share needles (four look for ``__del__``), and each absent one costs a scan of the file.
    """
    if text is None or not (rule.needles or rule.needle_words):
        return True
    if seen is None:
        seen = {}
    for needle in rule.needles:
        found = seen.get(needle)
        if found is None:
            found = seen[needle] = needle in text
        if found:
            return True
    words = rule.needle_words
    if not words:
        return False
    key = "\0words:" + "\0".join(words)
    found = seen.get(key)
    if found is None:
        found = seen[key] = (
            any(w in text for w in words) and _word_pattern(words).search(text) is not None
        )
    return found


@functools.cache
def _word_pattern(words: tuple[str, ...]) -> re.Pattern[str]:
    # Each word as a literal first (the regex engine then scans for it quickly), with the
    # lookbehind after it: a whole identifier, not an attribute (``x.gc``).
    return re.compile("|".join(rf"{re.escape(w)}(?!\w)(?<![\w.]{re.escape(w)})" for w in words))


def _check_tree(
    tree: ast.Module,
    path: str,
    config: Config,
    rules: Sequence[type[Rule]] | None,
    text: str | None = None,
) -> tuple[list[Diagnostic], bool]:
    """The diagnostics, and whether a rule (or the walk) failed with a RecursionError."""
    with indexed(tree), hosting.relaxed_gc():  # rules walk the same function bodies again and again
        return _check_tree_once(tree, path, config, rules, text)


def _check_tree_once(
    tree: ast.Module,
    path: str,
    config: Config,
    rules: Sequence[type[Rule]] | None,
    text: str | None,
) -> tuple[list[Diagnostic], bool]:
    ctx = Context(tree, path, config, text)
    try:
        return _run_rules(ctx, rules)
    finally:
        ctx.release()


def _run_rules(ctx: Context, rules: Sequence[type[Rule]] | None) -> tuple[list[Diagnostic], bool]:
    path, config, text = ctx.path, ctx.config, ctx.text
    rule_types = selected_rules(config, path) if rules is None else rules
    errors: list[Diagnostic] = []
    recursed = False

    def report(rule: type[Rule] | Rule, node: ast.AST | None, exc: BaseException) -> None:
        nonlocal recursed
        recursed = recursed or isinstance(exc, RecursionError)
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

    instances = []
    seen: dict[str, bool] = {}
    for rule_type in rule_types:
        if not applicable(rule_type, text, seen):
            continue
        try:
            instances.append(rule_type(ctx))
        except Exception as exc:  # isolate one rule's failure
            report(rule_type, None, exc)
    dispatcher = _Dispatcher(instances)

    dropped: set[int] = set()  # the rules that failed on this file

    def fail(rule: Rule, node: ast.AST | None, exc: BaseException) -> None:
        report(rule, node, exc)
        dropped.add(id(rule))
        dispatcher.drop(rule)  # new tables: the list being run is not changed under `call`

    def call(table: dict[type[ast.AST], list[tuple[Rule, Handler]]], node: ast.AST) -> None:
        for rule, handler in table[type(node)]:  # the caller checked that the type is there
            if dropped and id(rule) in dropped:
                continue
            try:
                handler(node)
            except Exception as exc:  # isolate one rule's failure (RecursionError included)
                fail(rule, node, exc)

    ancestors, scopes = ctx.ancestors, ctx.scope_stack  # `scopes`: the scopes among ancestors
    enter, leave = dispatcher.enter, dispatcher.leave
    if dispatcher.rules:
        index = current_index()
        assert index is not None  # inside `indexed(tree)`
        # The walk is the index's order; a node is left when the walk reaches the end of its
        # subtree (``ends``), innermost first, exactly as a recursive walk would.
        order, ends = index.order, index.ends
        closing: list[int] = []
        # A subtree holding no node a rule handles has no event: it is jumped over (leaves, and
        # ``self.x``-like subtrees: half the nodes). `wanted` holds the positions of the handled
        # types; `handled` may keep a dropped rule's types: then fewer subtrees are jumped over.
        handled = tuple(enter.keys() | leave.keys())
        wanted = index.bounds(handled)
        count, size = len(wanted), len(order)
        i = k = 0  # wanted[k]: the first handled position at or after i
        next_wanted = wanted[0] if count else size
        while i < size:
            if next_wanted < i:
                while k < count and wanted[k] < i:
                    k += 1
                next_wanted = wanted[k] if k < count else size
            end = ends[i]
            if next_wanted >= end:  # nothing handled in this subtree
                i = end
                continue
            node = order[i]
            while closing and closing[-1] <= i:
                closing.pop()
                done = ancestors.pop()
                if scopes and scopes[-1] is done:
                    scopes.pop()
                if type(done) in leave:
                    call(leave, done)
            kind = type(node)
            if kind in enter:
                call(enter, node)
            ancestors.append(node)
            if kind in SCOPE_TYPE_SET:
                scopes.append(node)
            closing.append(end)
            i += 1
        while closing:
            closing.pop()
            done = ancestors.pop()
            if scopes and scopes[-1] is done:
                scopes.pop()
            if type(done) in leave:
                call(leave, done)

    for rule in list(dispatcher.rules):
        finish = getattr(rule, "finish", None)
        if finish is not None:
            try:
                finish()
            except Exception as exc:  # isolate one rule's failure
                fail(rule, None, exc)

    result = ctx.diagnostics + errors
    result.sort(key=Diagnostic.sort_key)
    return result, recursed


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
    return _check_text(text, path, config, noqa, None)


def _check_text(
    text: str, path: str, config: Config, noqa: bool, raw: bytes | None
) -> list[Diagnostic]:
    """`check_text`; with the file's `raw` bytes, a tree import resolution already parsed from
    the same bytes is used instead of parsing again."""
    tree = parsed_module(path, raw) if raw is not None else None
    offer = tree is None and raw is not None and hosting.current().batch  # see `offer_checked`
    if tree is None:
        try:
            with hosting.relaxed_gc():
                tree = parse(text, path)
        except SourceError as err:
            return [error_diagnostic(path, err.code, err.message, err.line, err.col)]
    try:
        diagnostics = to_character_columns(check_tree(tree, path, config, text=text), text)
        if offer and raw is not None:
            offer_checked(path, raw, tree)
        return filter_noqa(diagnostics, text, tree) if noqa else diagnostics
    except Exception as exc:  # a bug outside any one rule: this file only, never the run
        detail = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
        message = f"internal error in gclint: {detail}; please report"
        return [error_diagnostic(path, "GCL000", message)]


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
    return FileResult(path, _check_text(source.text, path, config, noqa, source.raw), source)
