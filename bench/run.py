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

Every configuration runs as a fresh child process (see METHOD below for what is measured and
how). Tools run on a copy of the corpus in a temporary directory, each with the same explicit,
sorted list of files; the corpus itself is never written to. flake8 runs every installed plugin
whatever ``--select`` says, so its rows run in small virtualenvs the harness builds (once,
cached) with exactly the plugins each row needs, pinned to the versions of this virtualenv.
"""

from __future__ import annotations

import argparse
import cProfile
import datetime
import hashlib
import importlib.metadata
import io
import json
import os
import platform
import pstats
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, redirect_stderr, redirect_stdout, suppress
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
COMMAND = "python bench/run.py --part both --write docs/performance.md"
MARK_START = "<!-- bench:start -->"
MARK_END = "<!-- bench:end -->"
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
FLAKE8_ARGS = ["--isolated", "--exit-zero"]
FLAKE8_STACK = ("flake8", "pycodestyle", "pyflakes", "mccabe")
# Rounds of the short rows a target compares (the floor, gclint one process and -j; the growth
# samples), whatever --repeat says (flake8's rows keep --repeat: 4 minutes a round). With 3,
# the floor (5 s on the corpus) could catch a quiet minute that gclint's 15 s runs did not: on
# 2026-12-02 the floor took 8.8, 6.4 and 5.2 s in three rounds while gclint took 17.7 to
# 17.9 s, and an hour earlier 7.4 to 5.0 s against 18.0 to 14.4 s. More rounds give both sides
# the same chance of a quiet spell.
TARGET_ROUNDS = 5
PYLINT_PROBE_LINES = 400_000  # on a bigger part, pylint first runs on a 10% sample
CORES = len(os.sched_getaffinity(0))


# --------------------------------------------------------------------------- measuring


# The child is started by this small launcher, which times it and reads its rusage with
# os.wait4. Started straight from the harness, the child would inherit the harness's peak RSS
# (Linux copies the old address space's high-water mark into the process at exec), so every
# small child would show the harness's size. The launcher's own size (about 9 MB) is the floor
# of the RSS column instead.
LAUNCHER = """\
import os, sys, time
result, argv = sys.argv[1], sys.argv[2:]
start = time.perf_counter()
pid = os.posix_spawnp(argv[0], argv, os.environ)
_pid, status, ru = os.wait4(pid, 0)
wall = time.perf_counter() - start
with open(result, "w") as fh:
    code = os.waitstatus_to_exitcode(status)
    fh.write(f"{wall!r} {ru.ru_utime!r} {ru.ru_stime!r} {ru.ru_maxrss} {code}")
"""
CONTENDED = 0.25  # cores other processes may use during a run before it counts as disturbed
RETRY_MAX = 90.0  # seconds: a disturbed row longer than this is not run again
_TICK = os.sysconf("SC_CLK_TCK")


def machine_busy() -> float:
    """CPU seconds the whole machine has spent busy since boot (from /proc/stat)."""
    with open("/proc/stat", encoding="ascii") as fh:
        fields = [int(x) for x in fh.readline().split()[1:]]
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)  # idle + iowait
    guest = sum(fields[8:10]) if len(fields) > 9 else 0  # already counted in user and nice
    return (sum(fields) - idle - guest) / _TICK


def machine_load(seconds: float) -> float:
    """Cores the machine keeps busy over the next `seconds` (this process sleeps meanwhile)."""
    before = machine_busy()
    time.sleep(seconds)
    return (machine_busy() - before) / seconds


@dataclass
class Measure:
    """One child process: what it cost and what it printed."""

    wall: float
    user: float
    system: float
    rss_kb: int
    status: int
    output_lines: int
    stderr_tail: str = ""
    others: float = 0.0  # cores other processes of the machine used meanwhile, on average
    timed_out: bool = False
    errors: list[str] = field(default_factory=list)  # gclint's GCL00x lines (the first three)

    @property
    def cpu(self) -> float:
        return self.user + self.system

    def disturbed(self, cores: int) -> bool:
        """Did other processes slow this run down?

        A one-process run that got a core to itself spends its wall time on the CPU (the files
        are in the page cache), so wall well above CPU time means it waited for a core. A
        parallel run cannot be judged that way: any load from others counts.
        """
        if self.others < CONTENDED:
            return False
        return cores > 1 or self.wall > 1.05 * self.cpu + 0.05


_current_group: list[int] = []  # the process group of the running child, killed on SIGTERM


def _kill_group(pid: int) -> None:
    with suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, signal.SIGKILL)


def measure(
    argv: Sequence[str],
    cwd: Path,
    env: dict[str, str] | None = None,
    timeout: float | None = None,
) -> Measure:
    """Run `argv` once, through the launcher, in a new process group."""
    with (
        tempfile.TemporaryFile() as out,
        tempfile.TemporaryFile() as err,
        tempfile.NamedTemporaryFile(suffix=".rusage") as result,
    ):
        launcher = [sys.executable, "-I", "-S", "-c", LAUNCHER, result.name, *argv]
        busy = machine_busy()
        outer = time.perf_counter()
        proc = subprocess.Popen(
            launcher,
            cwd=cwd,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=err,
            start_new_session=True,
        )
        _current_group.append(proc.pid)
        timer = threading.Timer(timeout, _kill_group, (proc.pid,)) if timeout else None
        if timer is not None:
            timer.start()
        try:
            _pid, status, launcher_usage = os.wait4(proc.pid, 0)
        except BaseException:  # interrupted: leave no child behind
            _kill_group(proc.pid)
            os.waitpid(proc.pid, 0)
            proc.returncode = -9
            raise
        finally:
            _current_group.remove(proc.pid)
            if timer is not None:
                timer.cancel()
        outer = time.perf_counter() - outer
        busy = machine_busy() - busy
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        lines, errors = 0, list[str]()
        for line in out:
            lines += 1
            if b" GCL00" in line and len(errors) < 3:
                errors.append(line.decode("utf-8", "replace").strip()[:200])
        err.seek(0)
        tail = err.read()[-2000:].decode("utf-8", "replace")
        fields = Path(result.name).read_text(encoding="ascii").split()
    if len(fields) != 5:  # killed (timeout) before the launcher could write
        return Measure(outer, 0.0, 0.0, 0, -9, lines, tail, timed_out=True, errors=errors)
    wall, user, system = float(fields[0]), float(fields[1]), float(fields[2])
    mine = launcher_usage.ru_utime + launcher_usage.ru_stime  # the launcher and the child
    return Measure(
        wall=wall,
        user=user,
        system=system,
        rss_kb=int(fields[3]),  # KB on Linux
        status=int(fields[4]),
        output_lines=lines,
        stderr_tail=tail,
        others=max(0.0, busy - mine) / outer,
        errors=errors,
    )


def _status_ok(tool: str, status: int) -> bool:
    if tool == "pylint":  # a bit field: 32 is a usage error, the rest are message categories
        return status >= 0 and not status & 32
    return status == 0


@dataclass
class Row:
    """One configuration measured on one set of files."""

    key: str
    label: str
    tool: str
    lines: int
    files: int
    cores: int = 1  # how many cores the configuration is meant to use
    in_table: bool = True  # False: shown in the growth table only
    runs: list[Measure] = field(default_factory=list)
    note: str = ""
    skipped: str = ""

    @property
    def best(self) -> Measure | None:
        """The fastest run (others' load only ever adds time)."""
        return min(self.runs, key=lambda m: m.wall) if self.runs else None

    @property
    def wall(self) -> float | None:
        best = self.best
        return best.wall if best else None

    @property
    def disturbed(self) -> bool:
        best = self.best
        return best is not None and best.disturbed(self.cores)

    @classmethod
    def load(cls, data: dict[str, Any]) -> Row:
        runs = [Measure(**m) for m in data.pop("runs")]
        return cls(**data, runs=runs)


class Bench:
    """Runs the configurations of one harness invocation."""

    def __init__(self, repeat: int, retries: int, quiet_wait: float, verbose: bool = True) -> None:
        self.repeat = repeat
        self.retries = retries
        self.wait_budget = quiet_wait  # seconds of waiting for an idle machine, in all
        self.verbose = verbose

    def log(self, text: str) -> None:
        if self.verbose:
            print(text, file=sys.stderr, flush=True)

    def wait_for_quiet(self, cores: int) -> None:
        """Wait (within the budget, 30 s at most) until others leave `cores` cores free."""
        spare = CORES - min(cores, CORES)
        waited = 0.0
        while self.wait_budget > 0 and waited < 30:
            load = machine_load(0.5)
            if load < spare + CONTENDED:
                return
            if waited == 0:
                self.log(f"  (others keep {load:.1f} cores busy: waiting)")
            time.sleep(2.0)
            waited += 2.5
            self.wait_budget -= 2.5

    def run(
        self,
        row: Row,
        argv: Sequence[str],
        cwd: Path,
        env: dict[str, str] | None = None,
        *,
        repeat: int | None = None,
        timeout: float | None = None,
        retry: bool = True,
    ) -> Row:
        """`repeat` runs, and up to `retries` more while other processes disturbed them."""
        runs = repeat or self.repeat
        extra = self.retries if retry else 0
        while runs > 0:
            self.wait_for_quiet(row.cores)
            m = measure(argv, cwd, env, timeout)
            row.runs.append(m)
            self.log(
                f"  {row.label:<58} {m.wall:8.2f} s wall {m.cpu:8.2f} s cpu "
                f"{m.rss_kb / 1024:6.0f} MiB  others {m.others:4.2f}"
                f"{' (disturbed)' if m.disturbed(row.cores) else ''}  status {m.status}  "
                f"out {m.output_lines}"
            )
            if m.timed_out:
                row.skipped = f"killed after {timeout:.0f} s"
                break
            if not _status_ok(row.tool, m.status):
                detail = "; ".join(m.errors) or m.stderr_tail.strip()[-300:]
                row.note = f"exit status {m.status}: {detail}"
                self.log(f"  {row.label}: exit status {m.status}\n{m.stderr_tail}")
                if row.tool in ("floor", "python"):
                    raise SystemExit(f"bench: {' '.join(argv)[:300]} failed")
            runs -= 1
            if runs == 0 and row.disturbed and extra > 0 and m.wall <= RETRY_MAX:
                runs, extra = 1, extra - 1
        return row

    def run_interleaved(
        self,
        group: Sequence[tuple[Row, Sequence[str], Path, dict[str, str] | None]],
        rounds: int | None = None,
    ) -> None:
        """Rows whose times are compared with each other, run in turns (A B A B ...), so that
        a slower spell of this shared machine falls on both sides of a ratio: `rounds` (by
        default `repeat`) rounds, and one more round while the fastest run of a row (shorter
        than `RETRY_MAX`) was disturbed, up to `retries` times."""
        rounds, extra = rounds or self.repeat, self.retries
        while rounds > 0:
            for row, argv, cwd, env in group:
                self.run(row, argv, cwd, env, repeat=1, retry=False)
            rounds -= 1
            short = [row for row, *_ in group if row.disturbed and (row.wall or 0) <= RETRY_MAX]
            if rounds == 0 and extra > 0 and short:
                rounds, extra = 1, extra - 1


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


# --------------------------------------------------------------------------- flake8 venvs


def _freeze() -> str:
    argv = [sys.executable, "-m", "pip", "freeze", "--exclude-editable"]
    out = subprocess.run(
        [*argv, "--disable-pip-version-check"], capture_output=True, text=True, check=True
    )
    return out.stdout


def _version(dist: str) -> str | None:
    try:
        return importlib.metadata.version(dist)
    except importlib.metadata.PackageNotFoundError:
        return None


def _gclint_requirements() -> list[str]:
    reqs = importlib.metadata.requires("gclint") or []
    return [r for r in reqs if "extra ==" not in r]


def _site_packages(venv: Path) -> Path:
    code = "import sysconfig; print(sysconfig.get_paths()['purelib'])"
    out = subprocess.run(
        [str(venv / "bin" / "python"), "-c", code], capture_output=True, text=True, check=True
    )
    return Path(out.stdout.strip())


def _link_gclint(venv: Path) -> None:
    """What an editable install of this checkout writes: a .pth and the dist-info."""
    import gclint

    dist = importlib.metadata.distribution("gclint")
    site = _site_packages(venv)
    src = Path(gclint.__file__).resolve().parent.parent
    (site / "gclint-bench.pth").write_text(f"{src}\n", encoding="utf-8")
    info = site / f"gclint-{dist.version}.dist-info"
    info.mkdir(exist_ok=True)
    for name in ("METADATA", "entry_points.txt", "top_level.txt"):
        text = dist.read_text(name)
        if text is not None:
            (info / name).write_text(text, encoding="utf-8")
    (info / "INSTALLER").write_text("bench/run.py\n", encoding="utf-8")


def ensure_venv(venv: Path, requirements: list[str], with_gclint: bool, bench: Bench) -> str:
    """A small virtualenv with `requirements` pinned to this one's versions; its flake8 -V."""
    constraints = _freeze()
    want = json.dumps(
        {"python": sys.version, "reqs": requirements, "pins": constraints, "gclint": with_gclint},
        sort_keys=True,
    )
    stamp = venv / "bench-stamp.json"
    if not (stamp.exists() and stamp.read_text(encoding="utf-8") == want):
        bench.log(f"bench: building {venv} ({', '.join(requirements)})")
        shutil.rmtree(venv, ignore_errors=True)
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        pins = venv / "constraints.txt"
        pins.write_text(constraints, encoding="utf-8")
        pip = [str(venv / "bin" / "python"), "-m", "pip", "install", "-q"]
        pip += ["--disable-pip-version-check", "-c", str(pins), *requirements]
        subprocess.run(pip, check=True)
        if with_gclint:
            _link_gclint(venv)
        stamp.write_text(want, encoding="utf-8")
    out = subprocess.run(
        [str(venv / "bin" / "flake8"), "--version"], capture_output=True, text=True, check=True
    )
    return out.stdout.strip()


def _check_plugins(versions: dict[str, str]) -> None:
    """Each flake8 virtualenv must hold exactly the plugins its rows claim."""
    plain, simplify, gclint = versions["plain"], versions["simplify"], versions["gclint"]
    problems = []
    if "gclint" in plain or "simplify" in plain:
        problems.append(f"the plain venv has extra plugins: {plain}")
    if "simplify" not in simplify or "gclint" in simplify:
        problems.append(f"the flake8-simplify venv is wrong: {simplify}")
    if "gclint" not in gclint or "simplify" in gclint:
        problems.append(f"the gclint venv is wrong: {gclint}")
    if problems:
        raise SystemExit("bench: " + "; ".join(problems))


# --------------------------------------------------------------------------- the benchmark


@dataclass
class Part:
    """The rows measured on one part of the corpus."""

    name: str
    title: str
    files: int
    lines: int
    rows: dict[str, Row] = field(default_factory=dict)
    # (share, floor row, gclint row, sample): "packages" (whole packages) or "files" (any files)
    growth: list[tuple[float, str, str, str]] = field(default_factory=list)
    touched: int = 0

    def add(self, row: Row) -> Row:
        self.rows[row.key] = row
        return row

    @classmethod
    def load(cls, data: dict[str, Any]) -> Part:
        rows = {key: Row.load(row) for key, row in data.pop("rows").items()}
        growth = [
            (float(g[0]), str(g[1]), str(g[2]), str(g[3]) if len(g) > 3 else "files")
            for g in data.pop("growth")
        ]
        return cls(**data, rows=rows, growth=growth)


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


# --------------------------------------------------------------------------- targets


@dataclass
class Target:
    name: str
    part: str
    measured: str
    limit: str
    met: bool | None
    disturbed: bool = False  # a row it depends on was slowed down by other processes
    by_cpu: str = "-"  # the same ratio from CPU times (immune to others' load)


class _Judge:
    """Targets of one part: mostly a ratio of two rows' wall times against a bound."""

    def __init__(self, part: Part) -> None:
        self.part = part
        self.out: list[Target] = []

    def row(self, key: str) -> Row | None:
        row = self.part.rows.get(key)
        return row if row is not None and row.best is not None and not row.skipped else None

    def ratio(self, name: str, keys: tuple[str, str], limit: str, bound: float, op: str) -> None:
        a, b = self.row(keys[0]), self.row(keys[1])
        title = self.part.title
        if a is None or b is None or a.best is None or b.best is None:
            self.out.append(Target(name, title, "not measured", limit, None))
            return
        value, by_cpu = a.best.wall / b.best.wall, a.best.cpu / b.best.cpu
        if op == "plus":  # an overhead: a / b - 1
            value, by_cpu = value - 1, by_cpu - 1
        met = value < bound if op == "lt" else value >= bound if op == "ge" else value <= bound
        disturbed = a.disturbed or b.disturbed
        target = Target(name, title, self.show(value, limit, op), limit, met, disturbed)
        if a.cores == b.cores == 1:  # CPU time says nothing about a parallel speed-up
            target.by_cpu = self.show(by_cpu, limit, op)
        self.out.append(target)

    @staticmethod
    def show(value: float, limit: str, op: str) -> str:
        if "%" in limit:
            return f"{value:+.1%}" if op == "plus" else f"{value:.1%}"
        return f"{value:.2f}x"


def evaluate(parts: list[Part], jobs: int, startup: float = 0.0) -> list[Target]:
    """The targets' verdicts; `startup` is gclint's start-up time (taken off for linearity)."""
    out: list[Target] = []
    for part in parts:
        j = _Judge(part)
        text = "gclint cold: at most 3x the ast.parse floor"
        j.ratio(text, ("gclint", "floor"), "≤ 3.0x", 3.0, "le")
        text = "gclint cold: ≥ 10x faster than pylint R1732"
        if j.row("pylint") is None and j.row("pylint-10%") is not None:
            j.ratio(text + " (on the 10% sample)", ("pylint-10%", "gclint-10%"), "≥ 10x", 10, "ge")
        else:
            j.ratio(text, ("pylint", "gclint"), "≥ 10x", 10, "ge")
        text = f"-j {jobs}: ≥ 1.7x faster than one process"
        j.ratio(text, ("gclint", "gclint-j"), "≥ 1.7x", 1.7, "ge")
        text = "warm cache, nothing changed: < 5% of cold"
        j.ratio(text, ("cache-warm", "gclint"), "< 5%", 0.05, "lt")
        j.ratio("1% touched: < 10% of cold", ("cache-touched", "gclint"), "< 10%", 0.10, "lt")
        if part.name == "all":
            rows = [
                r
                for key, r in part.rows.items()
                if key.startswith(("gclint", "cache")) and r.best is not None
            ]
            if rows:
                worst = max(rows, key=lambda r: r.best.rss_kb if r.best else 0)
                mb = worst.best.rss_kb * 1024 / 1e6 if worst.best else 0.0
                measured = f"{mb:.0f} MB ({worst.label})"
                text = "peak RSS < 400 MB (largest gclint row)"
                j.out.append(Target(text, part.title, measured, "< 400 MB", mb < 400))
        text = "flake8 plugin adds ≤ 30% to flake8's default run"
        j.ratio(text, ("flake8-gclint", "flake8"), "≤ +30%", 0.30, "plus")
        for sample in ("packages", "files"):
            per: dict[float, float] = {}
            raw: dict[float, float] = {}
            disturbed = False
            for fraction, _floor, gclint, kind in part.growth:
                g = j.row(gclint)
                if kind == sample and g is not None and g.wall and g.lines:
                    per[fraction] = max(g.wall - startup, 0.0) / g.lines
                    raw[fraction] = g.wall / g.lines
                    disturbed = disturbed or g.disturbed
            if 0.1 in per and 1.0 in per and per[0.1] > 0:
                x = per[1.0] / per[0.1]
                x_raw = raw[1.0] / raw[0.1]
                if sample == "packages":
                    text = (
                        "linear: time per line at 100% within 20% of that at 10% (whole packages,"
                        f" start-up of {startup:.2f} s taken off)"
                    )
                    met: bool | None = abs(x - 1) <= 0.2
                else:  # informational: a sample of files pays for the modules they import
                    text = "time per line at 100% against 10% of any files (not a target)"
                    met = None
                limit = "0.80-1.20x" if met is not None else "-"
                shown = f"{x:.2f}x (start-up left in: {x_raw:.2f}x)"
                j.out.append(Target(text, part.title, shown, limit, met, disturbed))
        out += j.out
    return out


# --------------------------------------------------------------------------- the report


def _fmt_rate(lines: int, wall: float | None) -> str:
    if not lines or not wall:
        return "-"
    rate = lines / wall
    return f"{rate / 1000:.0f}k" if rate >= 10_000 else f"{rate / 1000:.1f}k"


def _x(a: float | None, b: float | None) -> str:
    if a is None or not b:
        return "-"
    r = a / b
    return f"{r:.2f}x" if r < 10 else f"{r:.0f}x"


def part_table(part: Part) -> str:
    floor = part.rows["floor"].wall if "floor" in part.rows else None
    cold = part.rows["gclint"].wall if "gclint" in part.rows else None
    rows = [
        "| configuration | wall s | CPU s | peak RSS MB | lines/s | wall ÷ floor "
        "| wall ÷ gclint cold | output lines | others' load |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for row in part.rows.values():
        m = row.best
        if not row.in_table:
            continue
        if m is None or row.skipped:
            rows.append(f"| {row.label} | {row.skipped or 'not run'} | | | | | | | |")
            continue
        rss = m.rss_kb * 1024 / 1e6
        flag = " ⚠" if row.disturbed else ""
        same = row.lines == part.lines  # a sample row: the ratios would compare different files
        rows.append(
            f"| {row.label} | {m.wall:.2f} | {m.cpu:.2f} | {rss:.0f} "
            f"| {_fmt_rate(row.lines, m.wall)} | {_x(m.wall, floor) if same else '-'} "
            f"| {_x(m.wall, cold) if same else '-'} "
            f"| {m.output_lines} | {m.others:.2f}{flag} |"
        )
    notes = [f"- {row.label}: {row.note}" for row in part.rows.values() if row.note]
    return "\n".join(rows) + "\n" + ("\n" + "\n".join(notes) + "\n" if notes else "")


def growth_table(part: Part) -> str:
    rows = [
        "| sample | share | files | lines | floor s | floor µs/line | gclint s "
        "| gclint µs/line | gclint ÷ floor |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for fraction, floor_key, gclint_key, kind in part.growth:
        f_row, g_row = part.rows[floor_key], part.rows[gclint_key]
        fw, gw = f_row.wall or 0.0, g_row.wall or 0.0
        fl = fw / f_row.lines * 1e6 if f_row.lines else 0.0
        gl = gw / g_row.lines * 1e6 if g_row.lines else 0.0
        flag = " ⚠" if g_row.disturbed else ""
        sample = "whole packages" if kind == "packages" else "any files"
        share = (
            f"{fraction:.0%}"
            if fraction >= 1
            else f"{fraction:.0%} ({g_row.lines / part.lines:.0%})"
        )
        rows.append(
            f"| {sample} | {share} | {g_row.files} | {g_row.lines:,} | {fw:.2f} | {fl:.1f} "
            f"| {gw:.2f}{flag} | {gl:.1f} | {_x(gw, fw)} |"
        )
    return "\n".join(rows) + "\n"


def target_table(targets: list[Target]) -> str:
    rows = [
        "| target | part | measured (wall) | same from CPU time | target | verdict |",
        "| --- | --- | ---: | ---: | ---: | --- |",
    ]
    for t in targets:
        verdict = "n/a" if t.met is None else ("MET" if t.met else "**NOT MET**")
        if t.disturbed:
            verdict += " ⚠"
        rows.append(f"| {t.name} | {t.part} | {t.measured} | {t.by_cpu} | {t.limit} | {verdict} |")
    return "\n".join(rows) + "\n"


def _read(path: str) -> str:
    try:
        return Path(path).read_text(encoding="utf-8")
    except OSError:
        return ""


def machine() -> list[tuple[str, str]]:
    cpuinfo = _read("/proc/cpuinfo").splitlines()
    model = next(
        (ln.split(":", 1)[1].strip() for ln in cpuinfo if ln.startswith("model name")),
        platform.processor() or "unknown",
    )
    meminfo = _read("/proc/meminfo").splitlines()
    mem = next((ln.split(":", 1)[1].strip() for ln in meminfo if ln.startswith("MemTotal")), "")
    if mem.endswith(" kB"):
        mem = f"{int(mem[:-3]) / 1024 / 1024:.1f} GiB"
    release = dict(ln.split("=", 1) for ln in _read("/etc/os-release").splitlines() if "=" in ln)
    distro = release.get("PRETTY_NAME", "").strip('"') or platform.system()
    return [
        ("cores (usable)", str(CORES)),
        ("CPU", model),
        ("memory", mem or "unknown"),
        ("OS", f"{distro}, Linux {platform.release()}"),
        ("Python", f"{platform.python_implementation()} {platform.python_version()}"),
    ]


def git_state() -> str:
    def git(*args: str) -> str:
        out = subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True, check=False)
        return out.stdout.strip()

    head = git("rev-parse", "--short", "HEAD") or "unknown"
    dirty = git("status", "--porcelain", "--", "gclint")
    return head + (" with uncommitted changes under gclint/" if dirty else "")


def src_fingerprint() -> str:
    """A hash of gclint's source files: other people may change them during a run."""
    import gclint

    digest = hashlib.sha256()
    for path in sorted(Path(gclint.__file__).resolve().parent.rglob("*.py")):
        digest.update(str(path).encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:12]


def tool_versions(flake8_versions: dict[str, str]) -> list[tuple[str, str]]:
    out = [("gclint", f"{_version('gclint')} (commit {git_state()})")]
    for dist in ("pylint", "astroid", "ruff", "flake8-simplify", "libcst"):
        out.append((dist, _version(dist) or "not installed"))
    for name, text in flake8_versions.items():
        out.append((f"flake8 ({name} venv)", text.replace("\n", " ")))
    return out


METHOD = """\
Every row is a fresh child process, started through a tiny launcher (`python -I -S`) that times
it with `time.perf_counter()` and reads its rusage with `os.wait4`: CPU time is user + system,
peak RSS is `ru_maxrss` (MB here are 10^6 bytes), both including the processes the child started
and waited for (for parallel rows, peak RSS is the largest single process, not the sum). The
launcher exists because Linux copies the old address space's peak into a process at `exec`:
started straight from the harness, every child would show at least the harness's own size; the
launcher's size (about 9 MB) is instead the floor of the RSS column. Every tool gets the same
explicit, sorted list of files, on a copy of the corpus in a temporary directory (the corpus
itself is never written to), and writes its output to a temporary file whose line count is
shown ("output lines": a tool that checked nothing would also be fast). Lines are newlines, as
`wc -l` counts them. Before the timed runs every tool runs once untimed (bytecode caches, page
cache); `PYTHONDONTWRITEBYTECODE` is removed from the tools' environment, so that each has its
bytecode cache as a normal installation does.

This machine is shared, and other processes may run meanwhile. Before each run the harness waits
(300 s in all at most) until other processes leave it the cores it needs, and it measures how
many cores they kept busy during the run ("others' load", from `/proc/stat`). A run was
*disturbed* when that load was 0.25 cores or more and, for a one-process row, its wall time
exceeded its CPU time by more than 5% (it waited for a core); for a parallel row, any such load
counts. A disturbed row shorter than 90 s is run once more, and the fastest run is kept (with
`--repeat N`, the fastest of N). The rows compared by a target (the floor, gclint's cold run
and its -j run; each growth sample's floor and gclint; flake8 alone and with gclint) run in
turns, A B A B..., so that a slower spell of the machine (its speed varied by 20% from one
minute to the next, the floor's most: 5.0 to 8.8 s within minutes while gclint's runs stayed
within 2%) falls on both sides of the ratio; the short ones run at least 5 rounds, so that
both sides get the same chance of a quiet spell. Rows
and verdicts marked ⚠ were disturbed. The targets table also gives each one-process ratio
computed from CPU times, which others' load barely changes.

- **floor**: one `python` process that reads each file's bytes and calls `ast.parse` on them,
  nothing else: what any Python linter pays at least.
- **gclint**: `gclint check --isolated --exit-zero -q`, every implemented rule; `--no-cache
  -j 1` for the one-process cold row. The cache rows run in a fresh copy of the files, with the
  working directory and `XDG_CACHE_HOME` in that copy, without `--no-cache`: a first run, a
  re-run with nothing changed, then a re-run after appending a comment line to 1% of the files
  (chosen by a hash of their path), and (not a target) after appending a statement to the same
  files, which also re-checks every file that imports one of them. They use `-j 1` to compare
  with the cold one-process row.
- **pylint**: `pylint --disable=all --enable=consider-using-with --score=n --persistent=n
  -j 1` (R1732, its only lifetime check; `-j 1`, its default, for a single-core comparison). On
  a part of more than 400k lines it runs first on the 10% sample; when that predicts more than
  the budget (`--pylint-budget`, 600 s) for the whole part, the whole part is not run and the
  pylint target compares the two tools on that sample.
- **ruff**: `ruff check --isolated --no-cache --select SIM115,B019 --exit-zero`, with its own
  thread pool and with `RAYON_NUM_THREADS=1`.
- **flake8** runs every installed plugin whatever `--select` says (`--select` only filters what
  is reported; only plugins marked off by default can be turned off, and gclint's is not), so
  "without gclint" needs an environment where gclint is not installed. The harness builds three
  small virtualenvs (cached between runs, rebuilt when a pin changes), pinned with `pip freeze`
  of the development virtualenv: flake8 with its default plugins (pycodestyle, pyflakes,
  mccabe); the same plus flake8-simplify; the same plus gclint (this checkout, linked the way an
  editable install links it). All run `flake8 --isolated --exit-zero -j 1`; the flake8-simplify
  row adds `--select SIM115`, which still runs pycodestyle, pyflakes and mccabe, as it would for
  its users. The default-plugins rows use flake8's default selection (with gclint installed that
  includes `GCL`).
- **growth**: gclint and the floor on about 10% and 50% of the lines and on all of them, in
  two kinds of sample. *Whole packages* (the target): packages of the corpus and top-level
  modules or packages of the standard library, ordered by a hash of their name, taken until
  the share is reached, as a smaller project would be. *Any files* (shown, not a target): the
  first files by a hash of their path, spread over every package; gclint follows each file's
  imports into modules of its project, and a sample of files pays for parsing the imported
  modules it does not check (in a whole run they are checked anyway, from the same tree).
  The linear target compares the time per line *of checking*: gclint's start-up (the "gclint
  on one empty file" row: interpreter, imports, rule tables), paid once whatever the size,
  is taken off both samples' times first; the ratio with it left in is shown beside it. (On
  the stdlib part's 10% sample, 24,000 lines in half a second, start-up is a fifth of the
  time: left in, it makes the small sample look dearer per line, not the large one.)
"""


@dataclass
class Report:
    """Everything a page is made of, so that it can be saved and rendered again."""

    date: str
    argv: list[str]
    jobs: int
    machine: list[tuple[str, str]]
    tools: list[tuple[str, str]]
    fingerprints: list[str]
    parts: list[Part]
    fixed: Part | None

    @classmethod
    def load(cls, data: dict[str, Any]) -> Report:
        parts = [Part.load(p) for p in data.pop("parts")]
        fixed = data.pop("fixed")
        return cls(**data, parts=parts, fixed=Part.load(fixed) if fixed is not None else None)

    def render(self) -> str:
        command = " ".join(["python bench/run.py", *self.argv])
        out = [MARK_START, ""]
        if "--quick" in self.argv:
            out.append("**Quick run on a 5% sample: not the reference figures.**\n")
        out.append(f"Measured {self.date} with `{command}`.\n")
        out.append("### Machine and tools\n")
        out.append("| | |\n| --- | --- |")
        start, end = [*self.fingerprints, "?", "?"][:2]
        same = "unchanged during the run" if start == end else f"**changed during the run** ({end})"
        sources = [("gclint sources (sha256 of gclint/**.py)", f"{start}, {same}")]
        out += [f"| {k} | {v} |" for k, v in [*self.machine, *self.tools, *sources]]
        out.append("")
        out.append("### Targets\n")
        startup = 0.0
        if self.fixed is not None and "gclint-empty" in self.fixed.rows:
            startup = self.fixed.rows["gclint-empty"].wall or 0.0
        out.append(target_table(evaluate(self.parts, self.jobs, startup)))
        for part in self.parts:
            out.append(f"### {part.title}: {part.files} files, {part.lines:,} lines\n")
            out.append(part_table(part))
            if part.touched:
                out.append(f"The 1% touched: {part.touched} file(s).\n")
            out.append(f"Cost against corpus size ({part.title}, one process, no cache):\n")
            out.append(growth_table(part))
        if self.fixed is not None:
            out.append("### Fixed costs (start-up, fastest of 5)\n")
            out.append(part_table(self.fixed))
        out.append("### Method\n")
        out.append(METHOD)
        out.append(MARK_END)
        return "\n".join(out) + "\n"


def write_page(path: Path, generated: str) -> None:
    """Replace the generated block of `path` (between the markers), keeping the rest."""
    old = path.read_text(encoding="utf-8") if path.exists() else ""
    if MARK_START in old and MARK_END in old:
        before = old.split(MARK_START, 1)[0]
        after = old.split(MARK_END, 1)[1].lstrip("\n")
        page = before + generated + ("\n" + after if after else "")
    else:
        page = (
            "# Performance\n\n"
            f"Generated by `{COMMAND}` (the section between the markers; the rest is kept).\n\n"
            + generated
        )
    path.write_text(page, encoding="utf-8")


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


def _on_sigterm(signum: int, _frame: object) -> None:
    for pid in list(_current_group):
        _kill_group(pid)
    raise SystemExit(128 + signum)


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
    signal.signal(signal.SIGTERM, _on_sigterm)
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
            "gclint": ([*FLAKE8_STACK, *_gclint_requirements()], True),
        }
        for name, (reqs, with_gclint) in plan.items():
            venvs[name] = base / name
            flake8_versions[name] = ensure_venv(base / name, reqs, with_gclint, bench)
        _check_plugins(flake8_versions)

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
