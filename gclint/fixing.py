"""Applying fixes: one at a time, each verified, repeated until nothing more changes.

`fix_files` does it for the files of a run (``--fix``, ``--diff``, stdin), writing each file
atomically in its own encoding, newlines and mode; `fix_source` for one text.

`fix_source(source, path, config, unsafe)` checks the text, applies ONE fix (the first fixable
diagnostic, in file order) with its libcst fixer, and accepts the result only if

- it parses and compiles,
- it has fewer diagnostics of the fixed code, no more of any other code, and no GCL0xx error,
- it can be encoded in the file's encoding (when the caller names one);

otherwise the fix is dropped and reported as skipped, with the reason. The text is checked
again after every accepted fix (positions move), so no fix ever works on stale positions. A
skipped site is remembered by its code, position and code text (two sites with the same text
are two sites), and moved with its line when a later fix adds or removes lines elsewhere; a
site on a line that a fix rewrote is tried again.
Every accepted fix removes at least one diagnostic and adds none, so the loop ends; it is also
bounded (`MAX_FIXES`). Finally a second run over the result must change nothing (idempotence),
or every fix of the file is dropped.

A fixer raising anything but `FixSkipped` is reported as a skipped fix (internal error), never a
crash. ``# noqa`` is honoured: a silenced diagnostic is not fixed.
"""

from __future__ import annotations

import dataclasses
import sys
import warnings
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

from gclint.config import Config
from gclint.diagnostics import Diagnostic, FixSafety
from gclint.engine import DEFAULT_CONFIG, check_text, error_diagnostic
from gclint.fixes import FixReport, load, needs_fixing, with_fix
from gclint.fixes.base import FIXERS, Fixer, FixSkipped
from gclint.fixes.writing import WriteError, encode_like, write_fixed
from gclint.runner import Checked

MAX_FIXES = 500
FIX_RECURSION_LIMIT = 10_000


@dataclass(frozen=True)
class AppliedFix:
    code: str
    line: int  # where the diagnostic was, in the text the fix was applied to
    title: str


@dataclass(frozen=True)
class SkippedFix:
    diagnostic: Diagnostic  # as found in the final text when it is still there
    reason: str


@dataclass
class FixResult:
    """What fixing one source produced: the new text, the fixes applied and skipped, and the
    diagnostics of the new text (what is left to report)."""

    source: str
    text: str
    applied: list[AppliedFix] = field(default_factory=list)
    skipped: list[SkippedFix] = field(default_factory=list)
    diagnostics: list[Diagnostic] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return self.text != self.source


def fixer_for(diagnostic: Diagnostic, unsafe: bool) -> Fixer | None:
    """The fixer that may be applied to `diagnostic` under the given safety setting."""
    if diagnostic.is_error:
        return None
    load()
    found = FIXERS.get(diagnostic.code)
    if found is None or found.safety is FixSafety.NONE:
        return None
    if found.safety is FixSafety.UNSAFE and not unsafe:
        return None
    return found


_Site = tuple[str, int, int, str]  # code, line, column, the code text at that position


def _site(diagnostic: Diagnostic, text: str) -> _Site:
    """A diagnostic's identity in one text: its code, position and code text (two sites with
    the same text, e.g. 'open(path)' twice, are different sites)."""
    lines = text.splitlines()
    r = diagnostic.range
    if not 0 < r.line <= len(lines):
        return (diagnostic.code, r.line, r.col, "")
    if r.end_line == r.line:
        snippet = lines[r.line - 1][r.col : r.end_col]
    else:
        snippet = lines[r.line - 1][r.col :]
    return (diagnostic.code, r.line, r.col, snippet.strip())


def _carry(reasons: dict[_Site, str], before: str, after: str) -> dict[_Site, str]:
    """The skip reasons of `before`'s sites, moved to their lines in `after` (a fix rewrote a
    statement and maybe added an import). Sites on lines the fix changed are forgotten: they are
    tried again on the new text, where their fix may now apply."""
    if not reasons:
        return reasons
    import difflib

    old, new = before.splitlines(), after.splitlines()
    blocks = difflib.SequenceMatcher(None, old, new, autojunk=False).get_matching_blocks()
    carried: dict[_Site, str] = {}
    for (code, line, col, snippet), reason in reasons.items():
        for i, j, size in blocks:
            if i < line <= i + size:
                carried[(code, line - i + j, col, snippet)] = reason
                break
    return carried


def fix_source(
    source: str,
    path: str = "<stdin>",
    config: Config = DEFAULT_CONFIG,
    unsafe: bool = False,
    *,
    noqa: bool = True,
    encoding: str | None = None,
) -> FixResult:
    """Apply every fix that verifies; see the module docstring."""
    first = _fix_loop(source, path, config, unsafe, noqa, encoding)
    if not first.applied:
        return first
    second = _fix_loop(first.text, path, config, unsafe, noqa, encoding)
    if second.text == first.text:
        return first
    reason = "fix skipped: a second pass changed the result again (not idempotent)"
    diagnostics = _check(source, path, config, noqa)
    skipped = [SkippedFix(d, reason) for d in diagnostics if fixer_for(d, unsafe) is not None]
    return FixResult(source, source, [], skipped, diagnostics)


def _check(text: str, path: str, config: Config, noqa: bool) -> list[Diagnostic]:
    return check_text(text, path, config, noqa)


def _fix_loop(  # noqa: PLR0917
    source: str, path: str, config: Config, unsafe: bool, noqa: bool, encoding: str | None
) -> FixResult:
    text = source
    diagnostics = _check(text, path, config, noqa)
    result = FixResult(source, text, diagnostics=diagnostics)
    if any(d.is_error for d in diagnostics):
        return result
    compiles = _compiles(text, path)
    reasons: dict[_Site, str] = {}  # sites whose fix was skipped, in the current text
    for _ in range(MAX_FIXES):
        candidates = [
            d
            for d in diagnostics
            if _site(d, text) not in reasons and fixer_for(d, unsafe) is not None
        ]
        accepted = False
        for diagnostic in candidates:
            found = fixer_for(diagnostic, unsafe)
            assert found is not None
            outcome = _apply(found, text, diagnostic, unsafe)
            if not isinstance(outcome, _Fixed):
                reasons[_site(diagnostic, text)] = outcome
                continue
            after = _check(outcome, path, config, noqa)
            problem = _verify(diagnostic.code, diagnostics, after, outcome, path, compiles)
            if problem is None and encoding is not None:
                problem = _encodable(outcome, encoding)
            if problem is not None:
                reasons[_site(diagnostic, text)] = problem
                continue
            result.applied.append(AppliedFix(diagnostic.code, diagnostic.line, found.title))
            reasons = _carry(reasons, text, outcome)
            text, diagnostics = str(outcome), after
            accepted = True
            break
        if not accepted:
            break
    result.text = text
    result.diagnostics = diagnostics
    final_keys = {_site(d, text): d for d in diagnostics}
    for key, reason in reasons.items():
        remaining = final_keys.get(key)
        if remaining is not None:
            result.skipped.append(SkippedFix(remaining, reason))
    result.skipped.sort(key=lambda s: s.diagnostic.sort_key())
    return result


def _newline_translation(text: str) -> bool:
    """True when the text uses lone CR newlines (old Mac style): libcst loses the last one, so
    the fixer works on LF and the result is translated back (exact: the text has no LF)."""
    return "\r" in text and "\n" not in text


class _Fixed(str):
    """A successful fixer result (a `str` subclass, to tell it from a reason)."""


def _apply(found: Fixer, text: str, diagnostic: Diagnostic, unsafe: bool) -> _Fixed | str:
    import libcst as cst
    from libcst.metadata import MetadataWrapper

    if "\n" in text and "\r" in text.replace("\r\n", ""):
        return "fix skipped: the file mixes CR and LF newlines"
    cr = _newline_translation(text)
    work = text.replace("\r", "\n") if cr else text
    limit = sys.getrecursionlimit()
    try:
        sys.setrecursionlimit(max(limit, FIX_RECURSION_LIMIT))
        module = cst.parse_module(work)
        if module.code != work:
            return "fix skipped: libcst does not reproduce this file exactly"
        fixed = found.apply(MetadataWrapper(module), diagnostic, unsafe)
        new = fixed.code
    except FixSkipped as exc:
        return f"fix skipped: {exc}"
    except cst.ParserSyntaxError:
        return "fix skipped: libcst cannot parse this file"
    except RecursionError:
        return "fix skipped: the file is nested too deeply to rewrite"
    except Exception as exc:  # a bug in a fixer: report it, never crash the run
        detail = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
        return f"fix skipped: internal error in the {found.code} fixer ({detail}); please report"
    finally:
        sys.setrecursionlimit(limit)
    if new == work:
        return "fix skipped: the fixer changed nothing"
    if cr:
        new = new.replace("\n", "\r")
    return _Fixed(new)


def _compiles(text: str, path: str) -> bool:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            compile(text, path, "exec", dont_inherit=True)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return False
    return True


def _verify(  # noqa: PLR0917
    code: str,
    before: Sequence[Diagnostic],
    after: Sequence[Diagnostic],
    text: str,
    path: str,
    compiled_before: bool,
) -> str | None:
    """None if the fixed text holds, else the reason it was dropped."""
    errors = [d for d in after if d.is_error]
    if errors:
        return f"fix skipped: the result does not hold ({errors[0].code} {errors[0].message})"
    if compiled_before and not _compiles(text, path):
        return "fix skipped: the result does not compile"
    counts_before = Counter(d.code for d in before)
    counts_after = Counter(d.code for d in after)
    if counts_after[code] >= counts_before[code]:
        return f"fix skipped: the result still has the {code} diagnostic"
    for other, count in counts_after.items():
        if other != code and count > counts_before[other]:
            return f"fix skipped: the result would have a new {other} diagnostic"
    return None


def _encodable(text: str, encoding: str) -> str | None:
    try:
        text.encode(encoding)
    except (UnicodeError, LookupError):
        return f"fix skipped: the result cannot be encoded as {encoding}"
    return None


# -- the files of a run -----------------------------------------------------------------------


def fix_files(
    results: list[Checked],
    config: Config,
    *,
    unsafe: bool,
    diff: bool,
    noqa: bool = True,
    stdin: bool = False,
    progress: bool = False,
) -> FixReport:
    """Fix every result that has a fixable diagnostic, in place (the results then hold what is
    left); write the files (``--fix``), print stdin's fixed source, or collect diffs."""
    report = FixReport()
    todo = [i for i, r in enumerate(results) if needs_fixing(r, unsafe)]
    shown = _Progress(len(todo), enabled=progress)
    for done, i in enumerate(todo, 1):
        shown.show(done)
        result = results[i]
        source = result.load_source()  # read again: the write checks it is still what is there
        if source is None:
            continue
        encoding = "utf-8" if source.bom else source.encoding
        fixed = fix_source(
            source.text,
            result.path,
            config,
            unsafe,
            noqa=noqa,
            encoding=encoding,
        )
        skipped = {s.diagnostic.sort_key(): s.reason for s in fixed.skipped}
        remaining = [
            _mark_skipped(with_fix(d, unsafe), skipped.get(d.sort_key())) for d in fixed.diagnostics
        ]
        lines = [
            f"{s.diagnostic.path}:{s.diagnostic.line}: {s.diagnostic.code} "
            f"{s.reason.removeprefix('fix skipped: ')}"
            for s in fixed.skipped
        ]
        if not fixed.changed:
            report.skipped += lines
            results[i] = dataclasses.replace(result, diagnostics=remaining)
            continue
        is_stdin = stdin and i == 0
        if diff:
            report.diffs.append(_unified_diff(result.path, source.text, fixed.text))
        else:
            try:
                if is_stdin:
                    report.stdin = encode_like(source, fixed.text)
                else:
                    write_fixed(result.path, source, fixed.text)
            except WriteError as exc:
                error = error_diagnostic(result.path, "GCL003", str(exc))
                results[i] = dataclasses.replace(result, diagnostics=[*result.diagnostics, error])
                continue
        report.fixed += len(fixed.applied)
        report.files += 1
        report.skipped += lines
        new_source = source._replace(text=fixed.text)
        results[i] = dataclasses.replace(result, diagnostics=remaining, source=new_source)
    shown.done()
    return report


def _mark_skipped(diag: Diagnostic, reason: str | None) -> Diagnostic:
    if reason is None:
        return diag
    return dataclasses.replace(diag, message=f"{diag.message} ({reason})", fix=None)


def _unified_diff(path: str, before: str, after: str) -> str:
    import difflib

    lines = difflib.unified_diff(
        before.splitlines(keepends=True),
        after.splitlines(keepends=True),
        f"a/{path}",
        f"b/{path}",
    )
    out = []
    for line in lines:
        out.append(
            line if line.endswith(("\n", "\r")) else line + "\n\\ No newline at end of file\n"
        )
    return "".join(out)


class _Progress:
    """``fixing 3/50 files`` on a terminal, rewritten in place; nothing otherwise."""

    def __init__(self, total: int, enabled: bool) -> None:
        self.total = total
        self.enabled = enabled and total > 1
        self.shown = False

    def show(self, done: int) -> None:
        if self.enabled:
            sys.stderr.write(f"\rgclint: fixing {done}/{self.total} files")
            sys.stderr.flush()
            self.shown = True

    def done(self) -> None:
        if self.shown:
            sys.stderr.write("\r\033[K")
            sys.stderr.flush()
