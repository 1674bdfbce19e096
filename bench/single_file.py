"""The file being edited: flake8 with gclint against flake8 alone on one ~2,200-line file.

An editor that runs flake8 on save checks one file at a time, so what a user feels is the
whole process: start-up (gclint's import and its rule set), the one file's check, and exit. The
file is the running Python's ``subprocess.py`` (2,209 lines on 3.11; real code every machine
has), copied to a temporary project. flake8 alone and flake8 + gclint run in alternating turns,
``--rounds`` each, from the same virtualenvs ``bench/run.py`` builds (flake8's default plugins,
the same pinned versions, gclint linked as an editable install). CPU time (user + system) is
compared, as the noise of a 2-core machine falls on wall time; wall is shown too.

Usage: ``python bench/single_file.py [--rounds N] [--write docs/performance.md]``.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from harness import (  # bench/ is not a package: harness.py is found beside this file
    FLAKE8_ARGS,
    FLAKE8_STACK,
    Bench,
    Measure,
    ensure_venv,
    gclint_requirements,
    measure,
)

TARGET = 1.15  # issue 15: flake8 + gclint at most 1.15x flake8 alone on the file being edited
MARK_START = "<!-- single-file:start -->"
MARK_END = "<!-- single-file:end -->"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--write", metavar="PAGE", help="put the table into this page")
    parser.add_argument("--venvs", default=str(Path(tempfile.gettempdir()) / "gclint-bench-venvs"))
    args = parser.parse_args(argv)
    # as a user's machine does: bytecode caches written and used (this environment sets
    # PYTHONDONTWRITEBYTECODE=1, which would recompile gclint's sources on every run)
    os.environ.pop("PYTHONDONTWRITEBYTECODE", None)

    bench = Bench(repeat=1, retries=0, quiet_wait=0)
    base = Path(args.venvs)
    plain = ensure_venv(base / "plain", [*FLAKE8_STACK], False, bench)
    with_gclint = ensure_venv(base / "gclint", [*FLAKE8_STACK, *gclint_requirements()], True, bench)
    if "gclint" in plain or "gclint" not in with_gclint:
        raise SystemExit(f"bench: wrong plugins: {plain!r} / {with_gclint!r}")
    source = Path(subprocess.__file__)
    lines = len(source.read_text(encoding="utf-8").splitlines())
    runs: dict[str, list[Measure]] = {"plain": [], "gclint": []}
    with tempfile.TemporaryDirectory() as tmp:
        project = Path(tmp)
        shutil.copy(source, project / "edited.py")
        (project / ".git").mkdir()  # the project's root: gclint's config search stops here
        for venv in ("plain", "gclint"):  # warm the bytecode caches
            measure([str(base / venv / "bin" / "flake8"), *FLAKE8_ARGS, "edited.py"], project)
        for turn in range(args.rounds):
            order = ("plain", "gclint") if turn % 2 == 0 else ("gclint", "plain")
            for venv in order:
                argv = [str(base / venv / "bin" / "flake8"), *FLAKE8_ARGS, "-j", "1", "edited.py"]
                m = measure(argv, project)
                if m.status not in (0,):
                    raise SystemExit(f"bench: {venv} flake8 exited {m.status}: {m.stderr_tail}")
                runs[venv].append(m)
    page = report(runs, lines, source, args.rounds)
    print(page)
    if args.write:
        write(Path(args.write), page)
    return 0


def report(runs: dict[str, list[Measure]], lines: int, source: Path, rounds: int) -> str:
    plain = [m.cpu for m in runs["plain"]]
    gclint = [m.cpu for m in runs["gclint"]]
    ratios = [g / p for g, p in zip(gclint, plain, strict=True)]
    median_ratio = statistics.median(ratios)
    met = "MET" if median_ratio <= TARGET else "NOT MET"
    python = ".".join(map(str, sys.version_info[:3]))
    rows = [
        MARK_START,
        "### The file being edited (`bench/single_file.py`)",
        "",
        f"flake8 on one file, `subprocess.py` of Python {python} ({lines:,} lines), "
        f"{rounds} alternating rounds, `flake8 --isolated --exit-zero -j 1`:",
        "",
        "| configuration | CPU median | CPU min | wall median |",
        "| --- | ---: | ---: | ---: |",
    ]
    for name, label in (("plain", "flake8, default plugins"), ("gclint", "+ gclint")):
        cpu = [m.cpu for m in runs[name]]
        wall = [m.wall for m in runs[name]]
        rows.append(
            f"| {label} | {statistics.median(cpu):.3f} s | {min(cpu):.3f} s | "
            f"{statistics.median(wall):.3f} s |"
        )
    rows += [
        "",
        f"Ratio (median of the per-round CPU ratios): **{median_ratio:.3f}x** "
        f"(min {min(ratios):.3f}x, max {max(ratios):.3f}x); target ≤ {TARGET}x: **{met}**.",
        MARK_END,
    ]
    return "\n".join(rows)


def write(page: Path, block: str) -> None:
    old = page.read_text(encoding="utf-8") if page.exists() else ""
    if MARK_START in old and MARK_END in old:
        before, rest = old.split(MARK_START, 1)
        after = rest.split(MARK_END, 1)[1]
        page.write_text(before + block + after, encoding="utf-8")
    else:
        page.write_text(old.rstrip("\n") + "\n\n" + block + "\n", encoding="utf-8")


if __name__ == "__main__":
    raise SystemExit(main())
