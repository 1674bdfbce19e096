"""Running rule examples for real: the truth harness behind the generated tests.

An example is proven, not asserted: its code runs in a fresh interpreter, driven by its
`trigger`, and the rule's `Truth.probe` decides from the process state whether it misbehaved.
"""

from __future__ import annotations

import glob
import json
import os
import shutil
import subprocess
import sys
import tempfile
import textwrap
from dataclasses import dataclass
from functools import cache

from gclint.registry import Example, Rule

MARKER = "GCLINT-TRUTH "
MIN_VERSION = (3, 10)


class TruthError(Exception):
    """The example could not be run to a verdict (it crashed, or timed out)."""


@dataclass(frozen=True)
class Verdict:
    python: str
    misbehaved: bool
    observed: str


def build_script(rule: type[Rule], example: Example) -> str:
    truth = rule.truth
    if truth is None:
        raise TruthError(f"{rule.code} has no truth probe")
    parts = [
        textwrap.dedent(truth.setup),
        example.source,
        textwrap.dedent(example.trigger),
        textwrap.dedent(truth.probe),
        "import json as _gclint_json\n"
        f"print({MARKER!r} + _gclint_json.dumps("
        "{'misbehaved': bool(misbehaved), 'observed': repr(globals().get('observed'))}), "
        "flush=True)\n",
    ]
    return "\n".join(part.strip("\n") + "\n" for part in parts if part.strip())


def run_example(
    rule: type[Rule], example: Example, python: str = sys.executable, timeout: float = 60
) -> Verdict:
    truth = rule.truth
    if truth is None:
        raise TruthError(f"{rule.code} has no truth probe")
    script = build_script(rule, example)
    with tempfile.TemporaryDirectory(prefix="gclint-truth-") as work:
        path = os.path.join(work, "example_under_test.py")
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
    for line in proc.stdout.splitlines():
        if line.startswith(MARKER):
            data = json.loads(line[len(MARKER) :])
            return Verdict(python, bool(data["misbehaved"]), str(data["observed"]))
    raise TruthError(
        f"{rule.code} example gave no verdict under {python} (exit {proc.returncode}):\n"
        f"{proc.stderr[-2000:]}\n--- script ---\n{script}"
    )


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


def verdicts(rule: type[Rule], example: Example) -> list[Verdict]:
    """Run the example once, or under every supported Python for cross-version truths."""
    truth = rule.truth
    if truth is not None and truth.across_pythons:
        return [run_example(rule, example, python) for python in find_pythons()]
    return [run_example(rule, example)]


def misbehaves(results: list[Verdict]) -> bool:
    return any(v.misbehaved for v in results) or len({v.observed for v in results}) > 1
