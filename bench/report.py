"""The page ``bench/run.py`` writes: the measured parts, the targets' verdicts and the tables.

A `Report` holds everything a page is made of (it is saved as JSON with ``--json`` and rendered
again with ``--render``); `Report.render` gives the generated block, and `write_page` puts it
between the markers of a page, keeping the rest of the page.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import platform
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from harness import CORES, ROOT, Row

COMMAND = "python bench/run.py --part both --write docs/performance.md"
MARK_START = "<!-- bench:start -->"
MARK_END = "<!-- bench:end -->"


# --------------------------------------------------------------------------- parts


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


def _version(dist: str) -> str | None:
    try:
        return importlib.metadata.version(dist)
    except importlib.metadata.PackageNotFoundError:
        return None


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
