"""Performance harness: gclint against the ``ast.parse`` floor and its peers, on the corpus.

Usage, from the repository root with the development virtualenv::

    .venv/bin/python bench/run.py --part both --write docs/performance.md --json bench.json

``--part stdlib|all|both`` (the stdlib part, about 300k lines; the whole corpus, 1.3M lines),
``--corpus DIR`` (default ``.corpus``, built by ``../shared/corpus/fetch-corpus.sh``),
``--quick`` (a 5% sample of each part, to check the harness itself), ``--no-peers`` (gclint and
the floor only), ``--peer-parallel`` (also the peers' parallel runs), ``--repeat N`` (the fastest
of N runs for every row that can be run again), ``--json PATH`` (every measurement),
``--render PATH`` (rebuild the page from such a JSON file, without measuring), ``--profile``
(cProfile of gclint in this process on the stdlib part, instead of the benchmark).

Every configuration runs as a fresh child process (see METHOD in ``bench/report.py`` for what
is measured and how). Tools run on a copy of the corpus in a temporary directory, each with the
same explicit, sorted list of files; the corpus itself is never written to. flake8 runs every
installed plugin whatever ``--select`` says, so its rows run in small virtualenvs the harness
builds (once, cached) with exactly the plugins each row needs, pinned to the versions of this
virtualenv.

This module is the command: the corpus, its samples and the configurations run on each part.
Running and timing a child process, and the flake8 virtualenvs, are ``bench/harness.py``; the
targets, the tables and the page are ``bench/report.py``.
"""

from __future__ import annotations

import argparse
import cProfile
import datetime
import hashlib
import io
import json
import os
import pstats
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, redirect_stderr, redirect_stdout
from dataclasses import asdict, dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))  # bench/ is not a package

from harness import (
    CORES,
    FLAKE8_ARGS,
    FLAKE8_STACK,
    ROOT,
    Bench,
    Row,
    check_plugins,
    ensure_venv,
    gclint_requirements,
    on_sigterm,
)
from report import Part, Report, machine, src_fingerprint, tool_versions, write_page

BIN = Path(sys.executable).parent
TOUCH_LINE = b"# touched by bench/run.py\n"
EDIT_LINE = b"_edited_by_bench = 1\n"
FLOOR_PROGRAM = """\
import ast, sys
with open(sys.argv[1], encoding="utf-8") as fh:
    paths = fh.read().splitlines()
for path in paths:
    with open(path, "rb") as fh:
        source = fh.read()
    ast.parse(source, filename=path)
"""
GCLINT = [str(BIN / "gclint"), "check", "--isolated", "--exit-zero", "-q"]
PYLINT_ARGS = ["--disable=all", "--enable=consider-using-with", "--score=n", "--persistent=n"]
RUFF_ARGS = ["check", "--isolated", "--no-cache", "--select", "SIM115,B019", "--exit-zero"]
# Rounds of the short rows a target compares (the floor, gclint one process and -j; the growth
# samples), whatever --repeat says (flake8's rows keep --repeat: 4 minutes a round). With 3,
# the floor (5 s on the corpus) could catch a quiet minute that gclint's 15 s runs did not: on
# 2026-12-02 the floor took 8.8, 6.4 and 5.2 s in three rounds while gclint took 17.7 to
# 17.9 s, and an hour earlier 7.4 to 5.0 s against 18.0 to 14.4 s. More rounds give both sides
# the same chance of a quiet spell.
TARGET_ROUNDS = 5
PYLINT_PROBE_LINES = 400_000  # on a bigger part, pylint first runs on a 10% sample


# --------------------------------------------------------------------------- the corpus


@dataclass(frozen=True)
class FileSet:
    """Files relative to a root, with their line count (newlines, as ``wc -l``)."""

    paths: tuple[str, ...]
    lines: int

    def subset(self, fraction: float, counts: dict[str, int]) -> FileSet:
        """A deterministic sample: files ordered by a hash of their path, the first part."""
        if fraction >= 1:
            return self
        ranked = sorted(self.paths, key=lambda p: hashlib.sha1(p.encode()).hexdigest())
        keep = set(ranked[: max(1, round(len(ranked) * fraction))])
        paths = tuple(p for p in self.paths if p in keep)
        return FileSet(paths, sum(counts[p] for p in paths))

    def packages(self, fraction: float, counts: dict[str, int]) -> FileSet:
        """A deterministic sample of whole packages (`package_of`), ordered by a hash of their
        name, holding about `fraction` of the lines (a package that would overshoot by more
        than 20% is passed over). What a package imports from itself is in the sample too."""
        if fraction >= 1:
            return self
        members: dict[str, list[str]] = {}
        for p in self.paths:
            members.setdefault(package_of(p), []).append(p)
        goal = self.lines * fraction
        chosen: set[str] = set()
        total = 0
        for name in sorted(members, key=lambda n: hashlib.sha1(n.encode()).hexdigest()):
            size = sum(counts[p] for p in members[name])
            if total + size > goal * 1.2:
                continue
            chosen.add(name)
            total += size
            if total >= goal * 0.8:
                break
        if not chosen:  # every package is larger than the share: the smallest one
            chosen.add(min(members, key=lambda n: sum(counts[p] for p in members[n])))
        paths = tuple(p for p in self.paths if package_of(p) in chosen)
        return FileSet(paths, sum(counts[p] for p in paths))


def package_of(path: str) -> str:
    """The unit a project is made of: a package of the corpus (``django``), or a top-level
    module or package of the standard library (``stdlib/asyncio``, ``stdlib/os.py``)."""
    parts = path.split("/")
    return "/".join(parts[:2]) if parts[0] == "stdlib" else parts[0]


def list_files(corpus: Path, part: str) -> list[str]:
    base = corpus / "stdlib" if part == "stdlib" else corpus
    found = []
    for directory, dirnames, filenames in os.walk(base):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        for name in sorted(filenames):
            if name.endswith(".py"):
                found.append(os.path.relpath(os.path.join(directory, name), corpus))
    return sorted(found)


def count_lines(root: Path, paths: Sequence[str]) -> dict[str, int]:
    return {p: (root / p).read_bytes().count(b"\n") for p in paths}


def copy_files(src: Path, dest: Path, paths: Sequence[str]) -> None:
    for p in paths:
        target = dest / p
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(src / p, target)


def touch_files(
    root: Path, paths: Sequence[str], fraction: float, line: bytes = TOUCH_LINE
) -> list[str]:
    """Append `line` (a comment) to a deterministic `fraction` of the files (at least one)."""
    ranked = sorted(paths, key=lambda p: hashlib.sha256(p.encode()).hexdigest())
    chosen = ranked[: max(1, round(len(ranked) * fraction))]
    for p in chosen:
        path = root / p
        data = path.read_bytes()
        sep = b"" if not data or data.endswith(b"\n") else b"\n"
        path.write_bytes(data + sep + line)
    return chosen


def write_list(path: Path, paths: Sequence[str]) -> Path:
    path.write_text("\n".join(paths) + "\n", encoding="utf-8")
    return path


# --------------------------------------------------------------------------- the benchmark


@dataclass
class Setup:
    work: Path  # the copy of the corpus every stateless row runs on
    tmp: Path
    jobs: int
    venvs: dict[str, Path]
    peers: bool
    peer_parallel: bool
    pylint_budget: float
    counts: dict[str, int]


def _gclint_env(tmp: Path) -> dict[str, str]:
    env = dict(os.environ)
    env["XDG_CACHE_HOME"] = str(tmp / "xdg-cache")  # wherever a cache goes, it starts empty
    return env


def run_part(bench: Bench, setup: Setup, part: Part, files: FileSet) -> None:
    """Measure every configuration on one part."""
    lst = write_list(setup.tmp / f"{part.name}.list", files.paths)
    work, jobs = setup.work, setup.jobs
    env = _gclint_env(setup.tmp)
    bench.log(f"bench: {part.title}: {part.files} files, {part.lines} lines")

    def row(key: str, label: str, tool: str, fs: FileSet = files, cores: int = 1) -> Row:
        return part.add(Row(key, label, tool, fs.lines, len(fs.paths), cores))

    floor = [sys.executable, "-c", FLOOR_PROGRAM, str(lst)]
    label = "gclint, all rules, one process, no cache (-j 1)"
    cold = [*GCLINT, "--no-cache", "-j", "1", *files.paths]
    bench.run_interleaved(
        [
            (
                row("floor", "floor: ast.parse of every file, one process", "floor"),
                floor,
                work,
                None,
            ),
            (row("gclint", label, "gclint"), cold, work, env),
            (  # in the same turns: the -j target compares it with the one-process run
                row("gclint-j", f"gclint -j {jobs}, no cache", "gclint", cores=jobs),
                [*GCLINT, "--no-cache", "-j", str(jobs), *files.paths],
                work,
                env,
            ),
        ],
        rounds=max(bench.repeat, TARGET_ROUNDS),
    )

    for sample in ("packages", "files"):
        for fraction in (0.1, 0.5):
            if sample == "packages":
                sub, what, tag = files.packages(fraction, setup.counts), "whole packages", "pkg-"
            else:
                sub, what, tag = files.subset(fraction, setup.counts), "the files", ""
            sub_list = write_list(setup.tmp / f"{part.name}-{tag}{fraction}.list", sub.paths)
            pct = f"{fraction:.0%}"
            f_row = row(f"floor-{tag}{pct}", f"floor on {pct} of {what}", "floor", sub)
            g_row = row(f"gclint-{tag}{pct}", f"gclint on {pct} of {what}", "gclint", sub)
            f_row.in_table = g_row.in_table = False
            bench.run_interleaved(
                [
                    (f_row, [sys.executable, "-c", FLOOR_PROGRAM, str(sub_list)], work, None),
                    (g_row, [*GCLINT, "--no-cache", "-j", "1", *sub.paths], work, env),
                ],
                rounds=max(bench.repeat, TARGET_ROUNDS),
            )
            part.growth.append((fraction, f_row.key, g_row.key, sample))
        part.growth.append((1.0, "floor", "gclint", sample))

    if setup.peers:
        _run_peers(bench, setup, part, files, row)
    _run_cache(bench, setup, part, files, row)


def _run_peers(
    bench: Bench, setup: Setup, part: Part, files: FileSet, row: Callable[..., Row]
) -> None:
    work, jobs = setup.work, setup.jobs
    env = dict(os.environ, PYLINTHOME=str(setup.tmp / "pylint-home"))
    pylint = [str(BIN / "pylint"), *PYLINT_ARGS]
    label = "pylint --disable=all --enable=consider-using-with -j 1"
    if files.lines > PYLINT_PROBE_LINES:
        # a big part: time pylint on the 10% sample first, to know whether it fits the budget
        sub = files.subset(0.1, setup.counts)
        p10 = row("pylint-10%", f"{label}, on the 10% sample", "pylint", sub)
        bench.run(p10, [*pylint, "-j", "1", *sub.paths], work, env, repeat=1)
        estimate = (p10.wall or 0) * files.lines / max(sub.lines, 1)
        if estimate > setup.pylint_budget:
            p_row = row("pylint", label, "pylint")
            p_row.skipped = (
                f"not run: about {estimate:.0f} s expected from the 10% sample, over the "
                f"{setup.pylint_budget:.0f} s budget (--pylint-budget)"
            )
            bench.log(f"  pylint: {p_row.skipped}")
        else:
            bench.run(row("pylint", label, "pylint"), [*pylint, "-j", "1", *files.paths], work, env)
    else:
        timeout = max(setup.pylint_budget * 1.5, 60)
        p_row = row("pylint", label, "pylint")
        bench.run(p_row, [*pylint, "-j", "1", *files.paths], work, env, timeout=timeout)
    if setup.peer_parallel:
        p_j = row("pylint-j", f"pylint (same check) -j {jobs}", "pylint", cores=jobs)
        bench.run(p_j, [*pylint, "-j", str(jobs), *files.paths], work, env)

    ruff = [str(BIN / "ruff"), *RUFF_ARGS, *files.paths]
    label = "ruff --select SIM115,B019 (its default threads)"
    bench.run(row("ruff", label, "ruff", cores=CORES), ruff, work)
    one = dict(os.environ, RAYON_NUM_THREADS="1")
    bench.run(row("ruff-1", "ruff --select SIM115,B019, one thread", "ruff"), ruff, work, one)

    def flake8(venv: str, jobs: int = 1) -> list[str]:
        return [str(setup.venvs[venv] / "bin" / "flake8"), *FLAKE8_ARGS, "-j", str(jobs)]

    gclint_env = _gclint_env(setup.tmp)
    simplify = [*flake8("simplify"), "--select", "SIM115", *files.paths]
    label = "flake8 + flake8-simplify --select SIM115 -j 1"
    bench.run(row("flake8-sim", label, "flake8"), simplify, work)
    alone = [*flake8("plain"), *files.paths]
    with_gclint = [*flake8("gclint"), *files.paths]
    label = "flake8, default plugins + gclint, -j 1"
    bench.run_interleaved(
        [
            (row("flake8", "flake8, default plugins, -j 1", "flake8"), alone, work, None),
            (row("flake8-gclint", label, "flake8"), with_gclint, work, gclint_env),
        ]
    )
    if setup.peer_parallel:
        label = f"flake8, default plugins, -j {jobs}"
        alone_j = [*flake8("plain", jobs), *files.paths]
        bench.run(row("flake8-j", label, "flake8", cores=jobs), alone_j, work)
        label = f"flake8, default plugins + gclint, -j {jobs}"
        with_j = [*flake8("gclint", jobs), *files.paths]
        bench.run(row("flake8-gclint-j", label, "flake8", cores=jobs), with_j, work, gclint_env)


def _run_cache(
    bench: Bench, setup: Setup, part: Part, files: FileSet, row: Callable[..., Row]
) -> None:
    """First run (fills the cache), second run (warm, nothing changed), then 1% touched."""
    fresh = setup.tmp / f"cache-{part.name}"
    shutil.rmtree(fresh, ignore_errors=True)
    copy_files(setup.work, fresh, files.paths)
    env = dict(os.environ, XDG_CACHE_HOME=str(fresh / ".xdg-cache"))
    argv = [*GCLINT, "-j", "1", *files.paths]
    fill = row("cache-fill", "gclint with cache: first run (-j 1)", "gclint")
    bench.run(fill, argv, fresh, env, repeat=1, retry=False)
    warm = row("cache-warm", "gclint with cache: re-run, nothing changed", "gclint")
    bench.run(warm, argv, fresh, env, repeat=1)
    touched = touch_files(fresh, files.paths, 0.01)
    part.touched = len(touched)
    label = f"gclint with cache: re-run after touching 1% ({len(touched)} files)"
    bench.run(row("cache-touched", label, "gclint"), argv, fresh, env, repeat=1, retry=False)
    # The same files edited inside their statements (a statement appended): what a change of
    # code costs, importers of the edited modules included. Informational, not a target.
    touch_files(fresh, files.paths, 0.01, EDIT_LINE)
    label = f"gclint with cache: re-run after a statement edit in the same {len(touched)} files"
    bench.run(row("cache-edited", label, "gclint"), argv, fresh, env, repeat=1, retry=False)
    shutil.rmtree(fresh, ignore_errors=True)


def run_fixed(bench: Bench, setup: Setup) -> Part:
    """Start-up costs: an empty interpreter, and gclint checking one empty file."""
    empty = setup.tmp / "empty.py"
    empty.write_text("", encoding="utf-8")
    part = Part("fixed", "fixed costs", 0, 0)
    python = part.add(Row("python", "python -c pass", "python", 0, 0))
    bench.run(python, [sys.executable, "-c", "pass"], setup.tmp, repeat=5)
    argv = [*GCLINT, "--no-cache", "-j", "1", str(empty)]
    empty_row = part.add(Row("gclint-empty", "gclint on one empty file", "gclint", 0, 1))
    bench.run(empty_row, argv, setup.tmp, _gclint_env(setup.tmp), repeat=5)
    if setup.peers:
        for venv, label in (("plain", "flake8"), ("gclint", "flake8 + gclint")):
            argv = [str(setup.venvs[venv] / "bin" / "flake8"), *FLAKE8_ARGS, "-j", "1", str(empty)]
            r = part.add(Row(f"flake8-{venv}-empty", f"{label} on one empty file", "flake8", 0, 1))
            bench.run(r, argv, setup.tmp, _gclint_env(setup.tmp), repeat=5)
    return part


def warm_up(setup: Setup, sample: str) -> None:
    """One untimed run of every tool, so that bytecode caches exist and files are in memory."""
    argvs = [[*GCLINT, "--no-cache", sample], [sys.executable, "-c", "import ast"]]
    if setup.peers:
        argvs.append([str(BIN / "pylint"), *PYLINT_ARGS, sample])
        argvs.append([str(BIN / "ruff"), *RUFF_ARGS, sample])
        argvs += [[str(v / "bin" / "flake8"), *FLAKE8_ARGS, sample] for v in setup.venvs.values()]
    for argv in argvs:
        subprocess.run(argv, cwd=setup.work, capture_output=True, check=False)
    for p in setup.counts:
        (setup.work / p).read_bytes()


# --------------------------------------------------------------------------- profiling


@contextmanager
def _cwd(path: Path) -> Iterator[None]:
    old = Path.cwd()
    os.chdir(path)
    try:
        yield
    finally:
        os.chdir(old)


def profile(corpus: Path, part: str, top: int, dump: str | None) -> int:
    """cProfile of gclint in this process (all rules, one process, no cache)."""
    from gclint.cli import main as gclint_main

    paths = list_files(corpus, part)
    profiler = cProfile.Profile()
    sink = io.StringIO()
    with _cwd(corpus), redirect_stdout(sink), redirect_stderr(sink):
        start = time.perf_counter()
        profiler.enable()
        gclint_main(["check", "--isolated", "--exit-zero", "-q", "--no-cache", "-j", "1", *paths])
        profiler.disable()
        wall = time.perf_counter() - start
    print(f"gclint on {len(paths)} files of {part}: {wall:.2f} s under cProfile")
    if dump:
        profiler.dump_stats(dump)
    stats = pstats.Stats(profiler)
    for order in ("cumulative", "tottime"):
        print(f"\n---- top {top} by {order}")
        stats.sort_stats(order).print_stats(top)
    return 0


# --------------------------------------------------------------------------- main


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--corpus", default=str(ROOT / ".corpus"))
    parser.add_argument("--part", choices=("stdlib", "all", "both"), default="both")
    parser.add_argument("--write", metavar="PATH", help="write the results into this page")
    parser.add_argument("--json", metavar="PATH", help="also save every measurement as JSON")
    parser.add_argument("--render", metavar="JSON", help="only rebuild the page from a --json")
    parser.add_argument("--quick", action="store_true", help="a 5%% sample, to test the harness")
    parser.add_argument("--repeat", type=int, default=1, help="runs per row (the fastest kept)")
    parser.add_argument(
        "--retries", type=int, default=1, help="extra runs of a disturbed row (shorter than 90 s)"
    )
    parser.add_argument(
        "--quiet-wait",
        type=float,
        default=300.0,
        help="seconds to wait in all for other processes to leave the cores a run needs",
    )
    parser.add_argument("--jobs", type=int, default=CORES, help="-j for the parallel rows")
    parser.add_argument("--no-peers", action="store_true", help="only gclint and the floor")
    parser.add_argument("--peer-parallel", action="store_true", help="also peers' parallel runs")
    parser.add_argument(
        "--pylint-budget",
        type=float,
        default=600.0,
        help="do not run pylint on a part it would take longer than this on (seconds)",
    )
    parser.add_argument(
        "--venvs",
        default=str(Path(tempfile.gettempdir()) / "gclint-bench-venvs"),
        help="where the flake8 virtualenvs are kept",
    )
    parser.add_argument("--profile", action="store_true", help="cProfile gclint instead")
    parser.add_argument("--profile-top", type=int, default=40)
    parser.add_argument("--profile-dump", metavar="PATH", help="also save the pstats file")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    argv = list(sys.argv[1:] if argv is None else argv)
    args = parser.parse_args(argv)
    if args.render:
        report = Report.load(json.loads(Path(args.render).read_text(encoding="utf-8")))
        return _publish(report, args.write, None)

    corpus = Path(args.corpus).resolve()
    if not (corpus / "stdlib").is_dir():
        parser.error(f"no corpus at {corpus}: run ../shared/corpus/fetch-corpus.sh {corpus}")
    if args.profile:
        which = "all" if args.part == "all" else "stdlib"
        return profile(corpus, which, args.profile_top, args.profile_dump)
    signal.signal(signal.SIGTERM, on_sigterm)
    # Tools run as installed: with bytecode caches. A PYTHONDONTWRITEBYTECODE in the caller's
    # environment would make every run of a tool whose sources were never compiled (gclint's
    # editable checkout; pip compiles installed packages) compile them again.
    os.environ.pop("PYTHONDONTWRITEBYTECODE", None)

    bench = Bench(args.repeat, args.retries, args.quiet_wait)
    all_paths = list_files(corpus, "all")
    counts = count_lines(corpus, all_paths)
    venvs: dict[str, Path] = {}
    flake8_versions: dict[str, str] = {}
    if not args.no_peers:
        base = Path(args.venvs)
        plan = {
            "plain": ([*FLAKE8_STACK], False),
            "simplify": ([*FLAKE8_STACK, "flake8-simplify"], False),
            "gclint": ([*FLAKE8_STACK, *gclint_requirements()], True),
        }
        for name, (reqs, with_gclint) in plan.items():
            venvs[name] = base / name
            flake8_versions[name] = ensure_venv(base / name, reqs, with_gclint, bench)
        check_plugins(flake8_versions)

    selected: list[tuple[Part, FileSet]] = []
    for name in ["stdlib", "all"] if args.part == "both" else [args.part]:
        paths = [p for p in all_paths if name == "all" or p.startswith("stdlib/")]
        fs = FileSet(tuple(paths), sum(counts[p] for p in paths))
        if args.quick:
            fs = fs.subset(0.05, counts)
        title = "stdlib part" if name == "stdlib" else "whole corpus"
        selected.append((Part(name, title, len(fs.paths), fs.lines), fs))

    now = datetime.datetime.now(datetime.timezone.utc).astimezone()
    report = Report(
        date=f"{now:%Y-%m-%d %H:%M %Z}",
        argv=argv,
        jobs=args.jobs,
        machine=machine(),
        tools=tool_versions(flake8_versions),
        fingerprints=[src_fingerprint()],
        parts=[part for part, _fs in selected],
        fixed=None,
    )
    with tempfile.TemporaryDirectory(prefix="gclint-bench-") as tmp_name:
        tmp = Path(tmp_name)
        setup = Setup(
            work=tmp / "corpus",
            tmp=tmp,
            jobs=args.jobs,
            venvs=venvs,
            peers=not args.no_peers,
            peer_parallel=args.peer_parallel,
            pylint_budget=args.pylint_budget,
            counts=counts,
        )
        copy_files(corpus, setup.work, all_paths)
        warm_up(setup, selected[0][1].paths[0])
        report.fixed = run_fixed(bench, setup)
        for part, fs in selected:
            run_part(bench, setup, part, fs)
    report.fingerprints.append(src_fingerprint())
    return _publish(report, args.write, args.json)


def _publish(report: Report, page: str | None, raw: str | None) -> int:
    if raw:
        Path(raw).write_text(json.dumps(asdict(report), indent=1) + "\n", encoding="utf-8")
    generated = report.render()
    if page:
        write_page(Path(page), generated)
    sys.stdout.write(generated)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
