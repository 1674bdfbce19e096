"""Crash-free sweep: run gclint over the installed CPython's test suite and over the corpus.

Usage::

    python bench/sweep.py                    # both targets, in-process, per-file timing
    python bench/sweep.py --cli              # also run the real `gclint` command on each target
    python bench/sweep.py --target corpus    # one target (cpython-tests, corpus)
    python bench/sweep.py --path DIR ...     # any other directories

CPython's ``Lib/test`` holds files with bad syntax and odd encodings on purpose; the corpus is
1.3M lines of real projects. For each target the sweep reports files, lines, bytes, findings, the
GCL000 (internal error), GCL001 (parse) and GCL002 (read/decode) counts, any exception that
escaped the engine (a crash), the time, and the slowest files. The run fails (exit status 1) on
any GCL000 or crash, and with ``--cli`` when the command prints a traceback or exits with a
status other than 0, 1 or 2.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import subprocess
import sys
import time
import traceback
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from gclint.config import Config
from gclint.discovery import Missing, Unreadable, discover
from gclint.engine import check_file

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def cpython_tests() -> Path:
    """The installed interpreter's ``test`` package (``os.path.dirname(test.__file__)``)."""
    spec = importlib.util.find_spec("test")
    if spec is None or spec.origin is None:
        raise SystemExit("this interpreter has no 'test' package")
    return Path(spec.origin).parent


def corpus() -> Path:
    return ROOT / ".corpus"


TARGETS: dict[str, Callable[[], Path]] = {"cpython-tests": cpython_tests, "corpus": corpus}


@dataclass
class Sweep:
    name: str
    path: str
    files: int = 0
    lines: int = 0
    size: int = 0
    seconds: float = 0.0
    codes: Counter[str] = field(default_factory=Counter)
    errors: list[str] = field(default_factory=list)  # GCL0xx lines, as the CLI prints them
    crashes: list[str] = field(default_factory=list)  # exceptions that escaped check_file
    slowest: list[tuple[float, int, str]] = field(default_factory=list)  # seconds, bytes, path
    cli: dict[str, object] = field(default_factory=dict)

    @property
    def findings(self) -> int:
        return sum(n for code, n in self.codes.items() if not code.startswith("GCL0"))


def sweep(name: str, root: Path, config: Config) -> Sweep:
    result = Sweep(name, str(root))
    timings: list[tuple[float, int, str]] = []
    start = time.perf_counter()
    for item in discover([str(root)], config):
        if isinstance(item, (Missing, Unreadable)):
            result.codes["GCL002"] += 1
            result.errors.append(f"{item.path}: GCL002 {getattr(item, 'reason', 'missing')}")
            continue
        result.files += 1
        t0 = time.perf_counter()
        try:
            checked = check_file(item, config)
        except Exception:  # a crash: what this sweep exists to find
            result.crashes.append(f"{item}\n{traceback.format_exc()}")
            continue
        elapsed = time.perf_counter() - t0
        size = len(checked.source.raw) if checked.source is not None else 0
        timings.append((elapsed, size, item))
        if checked.source is not None:
            result.size += size
            result.lines += checked.source.raw.count(b"\n")
        for diag in checked.diagnostics:
            result.codes[diag.code] += 1
            if diag.is_error:
                rel = os.path.relpath(diag.path, root)
                result.errors.append(
                    f"{rel}:{diag.line}:{diag.col + 1}: {diag.code} {diag.message}"
                )
    result.seconds = time.perf_counter() - start
    result.slowest = sorted(timings, reverse=True)[:5]
    return result


def run_cli(root: Path) -> dict[str, object]:
    """The real command over the same tree: exit status, GCL0xx count, traceback or not."""
    start = time.perf_counter()
    proc = subprocess.run(
        [str(BIN / "gclint"), "check", "--isolated", "--format", "json", str(root)],
        capture_output=True,
        text=True,
        check=False,
    )
    seconds = time.perf_counter() - start
    try:
        rows = json.loads(proc.stdout)
    except ValueError:
        rows = []
    codes = Counter(row["code"] for row in rows)
    return {
        "exit": proc.returncode,
        "seconds": round(seconds, 1),
        "GCL000": codes["GCL000"],
        "GCL001": codes["GCL001"],
        "GCL002": codes["GCL002"],
        "findings": sum(n for code, n in codes.items() if not code.startswith("GCL0")),
        "traceback": "Traceback" in proc.stderr,
        "stderr": proc.stderr.strip().splitlines()[-1:] if proc.stderr.strip() else [],
    }


def report(result: Sweep) -> str:
    out = [
        f"## {result.name}: {result.path}",
        f"files {result.files}, lines {result.lines:,}, {result.size / 1e6:.1f} MB, "
        f"{result.seconds:.1f} s ({result.lines / max(result.seconds, 1e-9):,.0f} lines/s)",
        f"findings {result.findings}, GCL000 {result.codes['GCL000']}, "
        f"GCL001 {result.codes['GCL001']}, GCL002 {result.codes['GCL002']}, "
        f"crashes {len(result.crashes)}",
    ]
    out += [f"  {line}" for line in result.errors]
    out += [f"  CRASH {crash}" for crash in result.crashes]
    out.append("slowest files:")
    out += [f"  {s:6.2f} s  {size / 1e3:8.1f} kB  {path}" for s, size, path in result.slowest]
    if result.cli:
        out.append(f"gclint command: {json.dumps(result.cli)}")
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--target", choices=sorted(TARGETS), action="append")
    parser.add_argument("--path", action="append", default=[], help="another directory to sweep")
    parser.add_argument("--cli", action="store_true", help="also run the gclint command")
    parser.add_argument("--json", metavar="FILE", help="write the figures as JSON")
    args = parser.parse_args(argv)
    names = args.target or ([] if args.path else list(TARGETS))
    roots = [(name, TARGETS[name]()) for name in names]
    roots += [(Path(p).name, Path(p)) for p in args.path]
    config = Config(root=os.getcwd())  # as `gclint check --isolated`
    failed = False
    results = []
    for name, root in roots:
        result = sweep(name, root, config)
        if args.cli:
            result.cli = run_cli(root)
            failed |= bool(result.cli["traceback"]) or result.cli["exit"] not in (0, 1, 2)
            failed |= result.cli["GCL000"] != 0
        failed |= bool(result.codes["GCL000"] or result.crashes)
        results.append(result)
        print(report(result), flush=True)
    if args.json:
        data = [
            {
                "name": r.name,
                "path": r.path,
                "files": r.files,
                "lines": r.lines,
                "bytes": r.size,
                "seconds": round(r.seconds, 1),
                "findings": r.findings,
                "codes": dict(r.codes),
                "errors": r.errors,
                "crashes": r.crashes,
                "cli": r.cli,
            }
            for r in results
        ]
        Path(args.json).write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
