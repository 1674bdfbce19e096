"""Running and timing the tools: each configuration a child process, measured; the virtualenvs
flake8 runs from.

`measure` runs one command through a launcher and returns its `Measure` (wall, CPU, peak RSS,
output lines, others' load on the machine); `Bench` runs a `Row` (one configuration) as many
times as asked, waiting for a quiet machine and running disturbed rows again; `ensure_venv`
builds a flake8 virtualenv with exactly the plugins a row needs. Used by ``bench/run.py`` and
``bench/single_file.py``.
"""

from __future__ import annotations

import importlib.metadata
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Sequence
from contextlib import suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
CORES = len(os.sched_getaffinity(0))
FLAKE8_ARGS = ["--isolated", "--exit-zero"]
FLAKE8_STACK = ("flake8", "pycodestyle", "pyflakes", "mccabe")


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


def on_sigterm(signum: int, _frame: object) -> None:
    """A SIGTERM handler: kill the running child's process group, then exit."""
    for pid in list(_current_group):
        _kill_group(pid)
    raise SystemExit(128 + signum)


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
        timer: threading.Timer | None = None
        try:  # from here on, the child is reaped whatever happens
            _current_group.append(proc.pid)
            if timeout:
                timer = threading.Timer(timeout, _kill_group, (proc.pid,))
                timer.start()
            _pid, status, launcher_usage = os.wait4(proc.pid, 0)
        except BaseException:  # interrupted: leave no child behind
            try:
                _kill_group(proc.pid)
            finally:
                os.waitpid(proc.pid, 0)
                proc.returncode = -9
            raise
        finally:
            if proc.pid in _current_group:
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


# --------------------------------------------------------------------------- flake8 venvs


def _freeze() -> str:
    argv = [sys.executable, "-m", "pip", "freeze", "--exclude-editable"]
    out = subprocess.run(
        [*argv, "--disable-pip-version-check"], capture_output=True, text=True, check=True
    )
    return out.stdout


def gclint_requirements() -> list[str]:
    """gclint's own requirements (no extras): what the flake8 + gclint virtualenv installs."""
    reqs = importlib.metadata.requires("gclint") or []
    return [r for r in reqs if "extra ==" not in r]


def _site_packages(venv: Path) -> Path:
    code = "import sysconfig; print(sysconfig.get_paths()['purelib'])"
    out = subprocess.run(
        [str(venv / "bin" / "python"), "-c", code], capture_output=True, text=True, check=True
    )
    return Path(out.stdout.strip())


def _gclint_source() -> Path:
    """The directory this checkout's gclint package is imported from."""
    import gclint

    return Path(gclint.__file__).resolve().parent.parent


def _link_gclint(venv: Path, src: Path) -> None:
    """What an editable install of `src` writes: a .pth and the dist-info."""
    dist = importlib.metadata.distribution("gclint")
    site = _site_packages(venv)
    (site / "gclint-bench.pth").write_text(f"{src}\n", encoding="utf-8")
    info = site / f"gclint-{dist.version}.dist-info"
    info.mkdir(exist_ok=True)
    for name in ("METADATA", "entry_points.txt", "top_level.txt"):
        text = dist.read_text(name)
        if text is not None:
            (info / name).write_text(text, encoding="utf-8")
    (info / "INSTALLER").write_text("bench/run.py\n", encoding="utf-8")


def ensure_venv(venv: Path, requirements: list[str], with_gclint: bool, bench: Bench) -> str:
    """A small virtualenv with `requirements` pinned to this one's versions (and, `with_gclint`,
    this checkout linked); its flake8 -V. Built again when any of these changes."""
    constraints = _freeze()
    src = _gclint_source() if with_gclint else None
    linked = str(src) if src is not None else None
    want = json.dumps(
        {"python": sys.version, "reqs": requirements, "pins": constraints, "gclint": linked},
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
        if src is not None:
            _link_gclint(venv, src)
        stamp.write_text(want, encoding="utf-8")
    out = subprocess.run(
        [str(venv / "bin" / "flake8"), "--version"], capture_output=True, text=True, check=True
    )
    return out.stdout.strip()


def check_plugins(versions: dict[str, str]) -> None:
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
