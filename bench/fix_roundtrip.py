"""Corpus round trip for ``gclint check --fix``: fix a copy of the corpus with the real command,
then prove that the result holds.

Usage::

    .venv/bin/python bench/fix_roundtrip.py [CORPUS]                  # default: .corpus
    .venv/bin/python bench/fix_roundtrip.py .corpus --write docs/fixes.md --diffs /tmp/diffs
    .venv/bin/python bench/fix_roundtrip.py .corpus --mode safe       # only --fix

CORPUS is built by ``../shared/corpus/fetch-corpus.sh .corpus``. The script copies it to a
temporary directory, records the sha256 of every file, checks the copy once
(``gclint check --format json``: the diagnostics before), then for each mode (``safe``:
``--fix``; ``unsafe``: ``--fix --unsafe-fixes``) on a fresh copy:

1. runs ``gclint check --isolated --fix [--unsafe-fixes] .`` (the real command, text output),
   timed; its stderr summary gives the fixes applied and skipped (``path:line: CODE reason``);
2. verifies every changed file: it parses (``ast.parse``) and compiles with the interpreter that
   runs gclint; files gclint did not change are byte-identical to the original (every file of
   the tree, not only ``.py``; no file appears or disappears, e.g. a temporary file left behind);
3. runs the same ``--fix`` again with ``--format json``: it must change no byte (idempotence),
   and its output gives the diagnostics after;
4. compares the diagnostics per file: in a changed file no code may have more diagnostics than
   before (so no new code), and the total must go down; in an unchanged file they must be the
   same; no GCL000 (internal error) anywhere, and no "internal error" skip reason; the
   diagnostics removed per code must add up to the "Fixed N" of the summary (so they are the
   fixes applied per code);
5. runs ``gclint check --diff`` on a pristine copy: it must name exactly the changed files, and
   each diff must be the diff between the original and the fixed file (``--diff`` and ``--fix``
   agree). ``--diffs DIR`` saves the diffs (``DIR/safe.diff``, ``DIR/unsafe.diff``) for review.

It prints the figures, writes them between the ``<!-- roundtrip:begin -->`` and
``<!-- roundtrip:end -->`` markers of ``--write FILE`` (``docs/fixes.md``), and exits 1 when an
invariant does not hold. Every gclint run is a subprocess started with ``nice -n 10`` where
available; the whole run takes a few gclint runs over the corpus (about 25 minutes on the
1.3M-line corpus on two cores).
"""

from __future__ import annotations

import argparse
import ast
import datetime
import difflib
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import warnings
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
FETCH = "../shared/corpus/fetch-corpus.sh"
BEGIN, END = "<!-- roundtrip:begin -->", "<!-- roundtrip:end -->"
SKIP_LINE = re.compile(r"^  (?P<path>.+?):(?P<line>\d+): (?P<code>GCL\d{3}) (?P<reason>.*)$")
FIXED_LINE = re.compile(r"^Fixed (\d+) diagnostics? in (\d+) files?$")


def gclint_command() -> list[str]:
    script = BIN / "gclint"
    base = [str(script)] if script.exists() else [sys.executable, "-m", "gclint"]
    nice = shutil.which("nice")
    return ([nice, "-n", "10"] if nice else []) + base


@dataclass
class Run:
    seconds: float
    returncode: int
    stdout: str
    stderr: str


def gclint(args: Sequence[str], cwd: Path) -> Run:
    start = time.perf_counter()
    proc = subprocess.run(
        [*gclint_command(), "check", "--isolated", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        check=False,
    )
    return Run(time.perf_counter() - start, proc.returncode, proc.stdout, proc.stderr)


def hashes(root: Path) -> dict[str, str]:
    out = {}
    for folder, _dirs, files in os.walk(root):
        for name in files:
            path = Path(folder, name)
            out[path.relative_to(root).as_posix()] = hashlib.sha256(path.read_bytes()).hexdigest()
    return out


def per_file(rows: list[dict[str, object]]) -> dict[str, Counter[str]]:
    counts: dict[str, Counter[str]] = defaultdict(Counter)
    for row in rows:
        counts[os.path.normpath(str(row["path"]))][str(row["code"])] += 1
    return counts


def json_rows(run: Run) -> list[dict[str, object]]:
    try:
        rows = json.loads(run.stdout)
    except ValueError:
        raise SystemExit(f"gclint printed no JSON (exit {run.returncode}):\n{run.stderr}") from None
    assert isinstance(rows, list)
    return rows


def group_reason(reason: str) -> str:
    """A skip reason without its particulars (names, lines), to count reasons by kind."""
    reason = re.sub(r"'[^']*'", "'…'", reason)
    reason = re.sub(r"\bline \d+", "line N", reason)
    return re.sub(r"\(([A-Za-z]+Error|Exception)[^)]*\)", r"(\1 …)", reason)


def parses(data: bytes, path: str) -> str | None:
    """None when the bytes parse and compile here, else why not."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ast.parse(data, path)
            compile(data, path, "exec", dont_inherit=True)
    except (SyntaxError, ValueError) as exc:
        return f"{type(exc).__name__}: {exc}"
    return None


def unified(path: str, before: str, after: str) -> str:
    """The diff as ``gclint check --diff`` prints it (see gclint.cli._unified_diff)."""
    lines = difflib.unified_diff(
        before.splitlines(keepends=True), after.splitlines(keepends=True), f"a/{path}", f"b/{path}"
    )
    return "".join(
        line if line.endswith(("\n", "\r")) else line + "\n\\ No newline at end of file\n"
        for line in lines
    )


def split_diffs(text: str) -> dict[str, str]:
    """``--diff`` output cut into one diff per file (by its ``--- a/`` header)."""
    out: dict[str, list[str]] = {}
    current: list[str] | None = None
    lines = text.splitlines(keepends=True)
    for i, line in enumerate(lines):
        nxt = lines[i + 1] if i + 1 < len(lines) else ""
        if line.startswith("--- a/") and nxt.startswith("+++ b/"):
            current = out.setdefault(os.path.normpath(line[6:].rstrip("\r\n")), [])
        if current is not None:
            current.append(line)
    return {path: "".join(chunk) for path, chunk in out.items()}


def decode(data: bytes) -> str:
    from gclint.source import decode as decode_source

    return decode_source(data).text


@dataclass
class Mode:
    name: str
    flags: list[str]
    fix_seconds: float = 0.0
    fix_exit: int = 0
    fixed: int = 0  # "Fixed N diagnostics" from the summary
    fixed_files: int = 0
    changed: list[str] = field(default_factory=list)
    applied: Counter[str] = field(default_factory=Counter)  # diagnostics removed per code
    skipped: Counter[tuple[str, str]] = field(default_factory=Counter)  # (code, reason kind)
    skipped_total: int = 0
    second_pass: list[str] = field(default_factory=list)
    parse_failures: list[str] = field(default_factory=list)
    untouched_changed: list[str] = field(default_factory=list)
    appeared: list[str] = field(default_factory=list)
    new_diagnostics: list[str] = field(default_factory=list)
    not_fewer: list[str] = field(default_factory=list)
    unchanged_moved: list[str] = field(default_factory=list)
    internal: list[str] = field(default_factory=list)
    diff_mismatch: list[str] = field(default_factory=list)
    traceback: bool = False

    def problems(self) -> dict[str, int]:
        return {
            "second-pass changes": len(self.second_pass),
            "parse/compile failures": len(self.parse_failures),
            "files changed that had nothing to fix": len(self.untouched_changed),
            "files appeared or disappeared": len(self.appeared),
            "changed files with a new or increased code": len(self.new_diagnostics),
            "changed files without fewer diagnostics": len(self.not_fewer),
            "unchanged files whose diagnostics changed": len(self.unchanged_moved),
            "GCL000 / internal errors": len(self.internal),
            "--diff differs from what --fix wrote": len(self.diff_mismatch),
            "tracebacks or exit status > 1": int(self.traceback),
        }


def run_mode(
    mode: Mode,
    *,
    original: Path,
    work: Path,
    before_hashes: dict[str, str],
    before: dict[str, Counter[str]],
    fixable: dict[str, set[str]],
    diffs: Path | None,
) -> None:
    shutil.copytree(original, work, symlinks=True)
    command = " ".join(["gclint check --fix", *mode.flags])
    print(f"[{mode.name}] {command} ...", flush=True)
    run = gclint(["--fix", *mode.flags, "."], work)
    mode.fix_seconds, mode.fix_exit = run.seconds, run.returncode
    mode.traceback |= "Traceback" in run.stderr or run.returncode > 1
    in_skips = False
    for line in run.stderr.splitlines():
        if m := FIXED_LINE.match(line):
            mode.fixed, mode.fixed_files = int(m[1]), int(m[2])
        elif re.match(r"^\d+ fix(es)? skipped:$", line):
            in_skips = True
        elif in_skips and (m := SKIP_LINE.match(line)):
            mode.skipped[(m["code"], group_reason(m["reason"]))] += 1
            mode.skipped_total += 1
            if "internal error" in m["reason"]:
                mode.internal.append(line.strip())
        else:
            in_skips = False
    mode.internal += [line for line in run.stdout.splitlines() if " GCL000 " in line]

    after_hashes = hashes(work)
    if set(after_hashes) != set(before_hashes):
        mode.appeared = sorted(set(after_hashes) ^ set(before_hashes))
    mode.changed = sorted(
        p for p in after_hashes if p in before_hashes and after_hashes[p] != before_hashes[p]
    )
    for path in mode.changed:
        if path not in fixable[mode.name]:
            mode.untouched_changed.append(path)
        problem = parses((work / path).read_bytes(), path)
        if problem is not None:
            mode.parse_failures.append(f"{path}: {problem}")

    print(f"[{mode.name}] second --fix ...", flush=True)
    second = gclint(["--fix", *mode.flags, "--format", "json", "--exit-zero", "."], work)
    mode.traceback |= "Traceback" in second.stderr or second.returncode > 1
    mode.second_pass = sorted(p for p, h in hashes(work).items() if after_hashes.get(p) != h)
    after = per_file(json_rows(second))
    mode.internal += [f"{p}: GCL000 after fixing" for p, c in after.items() if c["GCL000"]]

    for path in sorted(set(before) | set(after)):
        old, new = before.get(path, Counter()), after.get(path, Counter())
        if path in mode.changed:
            grown = {c: (old[c], new[c]) for c in new if new[c] > old[c]}
            if grown:
                mode.new_diagnostics.append(f"{path}: {grown}")
            if new.total() >= old.total():
                mode.not_fewer.append(path)
            mode.applied.update({c: old[c] - new[c] for c in old if old[c] > new[c]})
        elif +old != +new:
            mode.unchanged_moved.append(f"{path}: {dict(old)} -> {dict(new)}")

    print(f"[{mode.name}] gclint check --diff ...", flush=True)
    pristine = work.with_name(work.name + "-diff")
    shutil.copytree(original, pristine, symlinks=True)
    diff = gclint(["--diff", *mode.flags, "."], pristine)
    mode.traceback |= "Traceback" in diff.stderr or diff.returncode > 1
    printed = split_diffs(diff.stdout)
    if diffs is not None:
        diffs.mkdir(parents=True, exist_ok=True)
        (diffs / f"{mode.name}.diff").write_text(diff.stdout, encoding="utf-8")
    for path in sorted(set(printed) | set(mode.changed)):
        expected = unified(
            path, decode((original / path).read_bytes()), decode((work / path).read_bytes())
        )
        if printed.get(path) != expected:
            mode.diff_mismatch.append(path)
    shutil.rmtree(pristine)


def git_commit() -> str:
    def git(*args: str) -> str:
        proc = subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True, check=False)
        return proc.stdout.strip()

    commit = git("rev-parse", "--short", "HEAD") or "unknown"
    return commit + ("+changes" if git("status", "--porcelain", "--", "gclint") else "")


def render(
    modes: list[Mode],
    corpus: Path,
    *,
    total_seconds: float,
    files: int,
    lines: int,
    check_seconds: float,
    argv: list[str],
) -> str:
    from importlib.metadata import version

    from gclint import __version__

    today = datetime.datetime.now(datetime.timezone.utc).date().isoformat()
    head = " | ".join(f"`{' '.join(['--fix', *m.flags])}`" for m in modes)
    sep = " | ".join("---:" for _ in modes)

    def row(label: str, values: Sequence[object]) -> str:
        return f"| {label} | " + " | ".join(str(v) for v in values) + " |"

    out = [
        f"Run on {today}, gclint {__version__} at commit `{git_commit()}`, Python "
        f"{sys.version.split()[0]}, libcst {version('libcst')}, "
        f"corpus `{corpus.name}`: {files:,} Python files, {lines:,} lines; the whole round "
        f"trip took {total_seconds:.0f} s (every gclint run under `nice -n 10`). Command:",
        "",
        "```sh",
        " ".join([".venv/bin/python", "bench/fix_roundtrip.py", *argv]),
        "```",
        "",
        f"| | {head} |",
        f"| --- | {sep} |",
        row("Python files", [files for _ in modes]),
        row("files changed", [len(m.changed) for m in modes]),
        row("fixes applied (summary: `Fixed N diagnostics`)", [m.fixed for m in modes]),
        row("fixes skipped", [m.skipped_total for m in modes]),
        row(
            f"time of the `--fix` run (a plain check: {check_seconds:.0f} s)",
            [f"{m.fix_seconds:.0f} s" for m in modes],
        ),
    ]
    out += [row(label, [m.problems()[label] for m in modes]) for label in modes[0].problems()]
    codes = sorted(set().union(*(m.applied for m in modes)))
    out += ["", "Fixes applied per code (diagnostics removed; they add up to the summary's N):", ""]
    out += [f"| code | {head} |", f"| --- | {sep} |"]
    out += [row(code, [m.applied[code] for m in modes]) for code in codes]
    out += [row("total", [m.applied.total() for m in modes])]
    reasons = sorted(set().union(*(m.skipped for m in modes)))
    out += ["", "Fixes skipped, per code and reason (names and lines replaced by '…', N):", ""]
    out += [f"| code | reason | {head} |", f"| --- | --- | {sep} |"]
    for code, reason in reasons:
        cells = [code, reason.replace("|", "\\|"), *(m.skipped[(code, reason)] for m in modes)]
        out.append("| " + " | ".join(str(c) for c in cells) + " |")
    details = [
        (m.name, label, item)
        for m in modes
        for label, items in (
            ("second pass changed", m.second_pass),
            ("does not parse", m.parse_failures),
            ("changed with nothing to fix", m.untouched_changed),
            ("appeared/disappeared", m.appeared),
            ("new or increased code", m.new_diagnostics),
            ("not fewer diagnostics", m.not_fewer),
            ("unchanged file, diagnostics changed", m.unchanged_moved),
            ("internal error", m.internal),
            ("--diff differs", m.diff_mismatch),
        )
        for item in items
    ]
    if details:
        out += ["", "Anomalies:", ""]
        out += [f"- {name}: {label}: `{item}`" for name, label, item in details]
    return "\n".join(out) + "\n"


def write_section(path: Path, text: str) -> None:
    doc = path.read_text(encoding="utf-8")
    start, end = doc.find(BEGIN), doc.find(END)
    if start < 0 or end < start:
        raise SystemExit(f"{path}: no {BEGIN} ... {END} markers")
    path.write_text(doc[: start + len(BEGIN)] + "\n" + text + doc[end:], encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("corpus", nargs="?", default=str(ROOT / ".corpus"))
    parser.add_argument("--mode", choices=["safe", "unsafe", "both"], default="both")
    parser.add_argument("--write", metavar="FILE", help="write the figures into FILE's section")
    parser.add_argument("--diffs", metavar="DIR", help="save the --diff output of each mode")
    parser.add_argument("--keep", action="store_true", help="keep the temporary copies")
    args = parser.parse_args(argv)
    corpus = Path(args.corpus).resolve()
    if not corpus.is_dir() or not any(corpus.rglob("*.py")):
        raise SystemExit(f"no corpus at {corpus}: build it with `{FETCH} {args.corpus}`")
    modes = [Mode("safe", []), Mode("unsafe", ["--unsafe-fixes"])]
    if args.mode != "both":
        modes = [m for m in modes if m.name == args.mode]
    tmp = Path(tempfile.mkdtemp(prefix="gclint-roundtrip-"))
    started = time.perf_counter()
    try:
        original = tmp / "original"
        shutil.copytree(corpus, original, symlinks=True, ignore=shutil.ignore_patterns(".wheels"))
        before_hashes = hashes(original)
        py = [p for p in before_hashes if p.endswith(".py")]
        lines = sum((original / p).read_bytes().count(b"\n") for p in py)
        print(f"corpus {corpus}: {len(py)} Python files, {lines:,} lines; checking ...", flush=True)
        check = gclint(["--format", "json", "--exit-zero", "."], original)
        rows = json_rows(check)
        before = per_file(rows)
        fixable: dict[str, set[str]] = {"safe": set(), "unsafe": set()}
        for r in rows:
            fix = r.get("fix")
            safety = fix.get("safety") if isinstance(fix, dict) else None
            for name in ("safe", "unsafe") if safety == "safe" else ("unsafe",) if safety else ():
                fixable[name].add(os.path.normpath(str(r["path"])))
        if hashes(original) != before_hashes:
            raise SystemExit("a plain check changed the files")
        for mode in modes:
            run_mode(
                mode,
                original=original,
                work=tmp / mode.name,
                before_hashes=before_hashes,
                before=before,
                fixable=fixable,
                diffs=Path(args.diffs) if args.diffs else None,
            )
            if not args.keep:
                shutil.rmtree(tmp / mode.name)
        text = render(
            modes,
            corpus,
            total_seconds=time.perf_counter() - started,
            files=len(py),
            lines=lines,
            check_seconds=check.seconds,
            argv=argv,
        )
    finally:
        if not args.keep:
            shutil.rmtree(tmp, ignore_errors=True)
        else:
            print(f"copies kept in {tmp}")
    print(text)
    print(f"total time {time.perf_counter() - started:.0f} s")
    failed = [m.name for m in modes if any(m.problems().values()) or m.applied.total() != m.fixed]
    if args.write:
        write_section(Path(args.write), text)
    if failed:
        print(f"round trip FAILED ({', '.join(failed)})", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
