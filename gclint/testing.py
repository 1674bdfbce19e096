"""Running rule examples for real: the truth harness behind the generated tests.

An example is proven, not asserted: its code runs in a fresh interpreter, driven by its
`trigger`, and the rule's `Truth.probe` decides from the process state whether it misbehaved.
"""

from __future__ import annotations

import ast
import contextlib
import glob
import hashlib
import json
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import textwrap
from dataclasses import dataclass
from functools import cache

from gclint.registry import Example, Rule

MARKER = "GCLINT-TRUTH "
SHOW = "GCLINT-SHOW "
MIN_VERSION = (3, 10)
SCRIPT = "example_under_test.py"
# shown values and outputs differ between runs only in object addresses
_ADDRESS = re.compile(r"0x[0-9a-fA-F]+")


class TruthError(Exception):
    """The example could not be run to a verdict (it crashed, or timed out)."""


@dataclass(frozen=True)
class Verdict:
    """What one run showed. `behaviour` (runs with ``show=True`` only) is what a user of the
    example's code could observe: its output, the value of every expression statement of the
    trigger (as an interactive session would show it), and the files it left behind (sqlite3
    databases as the rows a new connection sees, other files by content)."""

    python: str
    misbehaved: bool
    observed: str
    behaviour: tuple[str, ...] = ()


class _Show(ast.NodeTransformer):
    """Wraps expression statements (outside functions and classes) in ``_gclint_show(...)``."""

    def visit_FunctionDef(self, node: ast.FunctionDef) -> ast.AST:
        return node

    def visit_AsyncFunctionDef(self, node: ast.AsyncFunctionDef) -> ast.AST:
        return node

    def visit_ClassDef(self, node: ast.ClassDef) -> ast.AST:
        return node

    def visit_Expr(self, node: ast.Expr) -> ast.AST:
        if isinstance(node.value, (ast.Yield, ast.YieldFrom, ast.Await)):
            return node
        call = ast.Call(func=ast.Name("_gclint_show", ast.Load()), args=[node.value], keywords=[])
        return ast.copy_location(ast.Expr(call), node)


def show_trigger(trigger: str) -> str:
    """The trigger with the value of each expression statement printed (``SHOW`` lines), as the
    interactive interpreter shows results; statements in functions and classes are left alone."""
    source = textwrap.dedent(trigger)
    if not source.strip():
        return source
    shown = ast.fix_missing_locations(_Show().visit(ast.parse(source)))
    helper = (
        "def _gclint_show(value):\n"
        "    if value is not None:\n"
        f"        print({SHOW!r} + repr(value), flush=True)\n"
    )
    return helper + ast.unparse(shown) + "\n"


def build_script(
    rule: type[Rule], example: Example, source: str | None = None, show: bool = False
) -> str:
    """The script that runs `example` (or `source` in its place: its fixed source)."""
    truth = rule.truth
    if truth is None:
        raise TruthError(f"{rule.code} has no truth probe")
    trigger = show_trigger(example.trigger) if show else textwrap.dedent(example.trigger)
    parts = [
        textwrap.dedent(truth.setup),
        example.source if source is None else source,
        trigger,
        textwrap.dedent(truth.probe),
        "import json as _gclint_json\n"
        f"print({MARKER!r} + _gclint_json.dumps("
        "{'misbehaved': bool(misbehaved), 'observed': repr(globals().get('observed'))}), "
        "flush=True)\n",
    ]
    return "\n".join(part.strip("\n") + "\n" for part in parts if part.strip())


def run_example(  # noqa: PLR0917
    rule: type[Rule],
    example: Example,
    python: str = sys.executable,
    timeout: float = 60,
    source: str | None = None,
    show: bool = False,
) -> Verdict:
    """Run the example (or `source` in its place) with its trigger and probe; with `show`, also
    record its observable behaviour (see `Verdict`)."""
    truth = rule.truth
    if truth is None:
        raise TruthError(f"{rule.code} has no truth probe")
    script = build_script(rule, example, source, show)
    with tempfile.TemporaryDirectory(prefix="gclint-truth-") as work:
        path = os.path.join(work, SCRIPT)
        with open(path, "w", encoding="utf-8") as fh:
            fh.write(script)
        env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
        try:
            proc = subprocess.run(
                [python, *truth.interpreter_flags, path],
                cwd=work,
                env=env,
                capture_output=True,
                text=True,
                timeout=timeout,
                stdin=subprocess.DEVNULL,
                check=False,
            )
        except subprocess.TimeoutExpired as exc:
            raise TruthError(f"{rule.code} example timed out after {timeout}s") from exc
        behaviour = _behaviour(proc.stdout, work) if show else ()
    for line in proc.stdout.splitlines():
        if line.startswith(MARKER):
            data = json.loads(line[len(MARKER) :])
            return Verdict(python, bool(data["misbehaved"]), str(data["observed"]), behaviour)
    raise TruthError(
        f"{rule.code} example gave no verdict under {python} (exit {proc.returncode}):\n"
        f"{proc.stderr[-2000:]}\n--- script ---\n{script}"
    )


def _behaviour(stdout: str, work: str) -> tuple[str, ...]:
    seen = [
        "out: " + _ADDRESS.sub("0x?", line.replace(work, "<work>"))
        for line in stdout.splitlines()
        if not line.startswith(MARKER)
    ]
    for folder, dirs, files in sorted(os.walk(work)):
        dirs.sort()
        for name in sorted(files):
            full = os.path.join(folder, name)
            rel = os.path.relpath(full, work)
            if rel == SCRIPT:
                continue
            seen.extend(f"file {rel}: {entry}" for entry in _file_state(full))
    return tuple(seen)


def _file_state(path: str) -> list[str]:
    with open(path, "rb") as fh:
        head = fh.read(16)
    if head == b"SQLite format 3\x00":
        # the committed rows, as a new connection sees them (page layout may differ)
        with contextlib.closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as conn:
            return list(conn.iterdump())
    with open(path, "rb") as fh:
        return [hashlib.sha256(fh.read()).hexdigest()]


def _version(python: str) -> tuple[int, int] | None:
    try:
        out = subprocess.run(
            [python, "-c", "import sys; print(sys.version_info[0], sys.version_info[1])"],
            capture_output=True,
            text=True,
            timeout=30,
            check=True,
            stdin=subprocess.DEVNULL,
        ).stdout.split()
    except (OSError, subprocess.SubprocessError):
        return None
    return (int(out[0]), int(out[1])) if len(out) == 2 else None


@cache
def find_pythons() -> tuple[str, ...]:
    """One interpreter per supported Python version found on this machine (this one first).

    ``GCLINT_TRUTH_PYTHONS`` (paths separated by os.pathsep) replaces the search.
    """
    configured = os.environ.get("GCLINT_TRUTH_PYTHONS")
    if configured:
        candidates = [p for p in configured.split(os.pathsep) if p]
    else:
        candidates = [sys.executable]
        for minor in range(10, 16):
            found = shutil.which(f"python3.{minor}")
            if found:
                candidates.append(found)
        home = os.path.expanduser("~")
        candidates += sorted(glob.glob(os.path.join(home, ".pyenv/versions/3.*/bin/python3")))
        candidates += sorted(glob.glob("/usr/bin/python3.[0-9]*"))
    seen: dict[tuple[int, int], str] = {}
    for candidate in candidates:
        version = _version(candidate)
        if version is not None and version >= MIN_VERSION and version not in seen:
            seen[version] = candidate
    return tuple(seen[v] for v in sorted(seen))


def verdicts(
    rule: type[Rule], example: Example, source: str | None = None, show: bool = False
) -> list[Verdict]:
    """Run the example once, or under every supported Python for cross-version truths."""
    truth = rule.truth
    if truth is not None and truth.across_pythons:
        return [
            run_example(rule, example, python, source=source, show=show)
            for python in find_pythons()
        ]
    return [run_example(rule, example, source=source, show=show)]


def misbehaves(results: list[Verdict]) -> bool:
    return any(v.misbehaved for v in results) or len({v.observed for v in results}) > 1
