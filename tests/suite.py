"""The whole test suite, as ``make test`` runs it; ends with one summary line.

1. pytest, the whole suite, on the interpreter of ``.venv`` (with ``-X dev`` and
   ResourceWarnings as errors);
2. on every other Python 3.10-3.13 found on the machine (``pyenv prefix``, ``python3.1x`` on
   PATH), a fresh venv per version (``.venv-3.X``, rebuilt when pyproject.toml changes) with gclint
   installed, and the tests that prove gclint works there: every rule's examples detect as declared
   and behave as claimed when run, the CLI, the flake8 plugin, and the guest-state tests. A
   missing version is skipped with a message; under CI (``CI=true``) a missing 3.10 or 3.13 (the
   ends of the declared range) fails the suite;
3. mypy --strict, ruff check, ruff format --check, gclint on its own code, and the
   docs-current check.

Usage: ``python tests/suite.py [--only-pythons]``. Exit status 0 when everything passed.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VERSIONS = ((3, 10), (3, 11), (3, 12), (3, 13))
REQUIRED_IN_CI = ((3, 10), (3, 13))
PORTABLE_TESTS = (
    "tests/rules/test_rule_examples.py",
    "tests/rules/test_truth.py",
    "tests/test_cli.py",
    "tests/test_flake8.py",
    "tests/test_guest.py",
)
PYTEST_PIN = "pytest==9.2.0"


@dataclass
class Step:
    name: str
    passed: int = 0
    failed: int = 0
    skipped: int = 0
    seconds: float = 0.0
    note: str = ""

    @property
    def ok(self) -> bool:
        return self.failed == 0


def _junit_counts(report: Path) -> tuple[int, int, int]:
    """(passed, failed, skipped) from a pytest JUnit XML report."""
    root = ET.parse(report).getroot()
    suites = [root] if root.tag == "testsuite" else list(root.iter("testsuite"))
    tests = failed = skipped = 0
    for suite in suites:
        tests += int(suite.get("tests", 0))
        failed += int(suite.get("failures", 0)) + int(suite.get("errors", 0))
        skipped += int(suite.get("skipped", 0))
    return tests - failed - skipped, failed, skipped


def _pytest(name: str, python: Path, args: list[str]) -> Step:
    step = Step(name)
    report = ROOT / ".pytest_cache" / f"junit-{name.replace(' ', '-')}.xml"
    report.parent.mkdir(exist_ok=True)
    report.unlink(missing_ok=True)
    start = time.monotonic()
    result = subprocess.run(
        [
            str(python),
            "-X",
            "dev",
            "-W",
            "error::ResourceWarning",
            "-m",
            "pytest",
            "-q",
            f"--junitxml={report}",
            *args,
        ],
        cwd=ROOT,
        check=False,
    )
    step.seconds = time.monotonic() - start
    if report.exists():
        step.passed, step.failed, step.skipped = _junit_counts(report)
    if result.returncode not in (0, 1) or (result.returncode == 1 and step.failed == 0):
        step.failed += 1
        step.note = f"pytest exited {result.returncode}"
    return step


def _command(name: str, argv: list[str]) -> Step:
    print(f"$ {' '.join(argv)}", flush=True)
    start = time.monotonic()
    result = subprocess.run(argv, cwd=ROOT, check=False)
    step = Step(name, seconds=time.monotonic() - start)
    if result.returncode == 0:
        step.passed = 1
    else:
        step.failed = 1
        step.note = f"exit {result.returncode}"
    return step


def _version_of(python: str) -> tuple[int, int] | None:
    try:
        out = subprocess.run(
            [python, "-c", "import sys; print(*sys.version_info[:2])"],
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        ).stdout.split()
        return (int(out[0]), int(out[1])) if len(out) == 2 else None
    except (OSError, ValueError, subprocess.TimeoutExpired):
        return None


def find_interpreters() -> dict[tuple[int, int], str]:
    """One interpreter per supported version: pyenv's installs first, then PATH."""
    found: dict[tuple[int, int], str] = {}
    candidates: list[str] = []
    pyenv = shutil.which("pyenv")
    if pyenv:
        listed = subprocess.run(
            [pyenv, "versions", "--bare"], capture_output=True, text=True, check=False
        ).stdout.split()
        for name in listed:
            prefix = subprocess.run(
                [pyenv, "prefix", name], capture_output=True, text=True, check=False
            ).stdout.strip()
            if prefix:
                candidates.append(os.path.join(prefix, "bin", "python3"))
    for major, minor in VERSIONS:
        on_path = shutil.which(f"python{major}.{minor}")
        if on_path:
            candidates.append(on_path)
    for candidate in candidates:
        if not os.path.exists(candidate):
            continue
        version = _version_of(candidate)
        if version in VERSIONS and version not in found:
            found[version] = candidate
    return found


def _venv_for(version: tuple[int, int], python: str) -> Path:
    """A venv with gclint (editable) and pytest, rebuilt when pyproject.toml changes."""
    venv = ROOT / f".venv-{version[0]}.{version[1]}"
    stamp = venv / ".installed-stamp"
    pyproject = ROOT / "pyproject.toml"
    if stamp.exists() and stamp.stat().st_mtime >= pyproject.stat().st_mtime:
        return venv
    shutil.rmtree(venv, ignore_errors=True)
    log = ROOT / ".pytest_cache" / f"install-{version[0]}.{version[1]}.log"
    log.parent.mkdir(exist_ok=True)
    with log.open("w") as out:
        subprocess.run([python, "-m", "venv", str(venv)], check=True, stdout=out, stderr=out)
        done = subprocess.run(
            [
                str(venv / "bin" / "python"),
                "-m",
                "pip",
                "install",
                "--quiet",
                "--disable-pip-version-check",
                "-e",
                str(ROOT),
                PYTEST_PIN,
            ],
            stdout=out,
            stderr=out,
            check=False,
        )
    if done.returncode != 0:
        raise RuntimeError(f"installing gclint under Python {version} failed; see {log}")
    stamp.touch()
    return venv


def other_pythons(main: tuple[int, int]) -> list[Step]:
    steps: list[Step] = []
    found = find_interpreters()
    ci = os.environ.get("CI", "").lower() in ("1", "true", "yes")
    for version in VERSIONS:
        label = f"Python {version[0]}.{version[1]}"
        if version == main:
            continue
        python = found.get(version)
        if python is None:
            if ci and version in REQUIRED_IN_CI:
                steps.append(Step(label, failed=1, note="not found (required in CI)"))
            else:
                print(f"suite: {label} not found on this machine: skipped", flush=True)
                steps.append(Step(label, skipped=1, note="not found: skipped"))
            continue
        print(f"suite: {label} ({python}): portable tests", flush=True)
        try:
            venv = _venv_for(version, python)
        except (RuntimeError, subprocess.CalledProcessError) as exc:
            steps.append(Step(label, failed=1, note=str(exc)))
            continue
        step = _pytest(label, venv / "bin" / "python", ["-p", "no:cacheprovider", *PORTABLE_TESTS])
        step.note = python
        steps.append(step)
    return steps


def main(argv: list[str]) -> int:
    only_pythons = "--only-pythons" in argv
    main_version = (sys.version_info[0], sys.version_info[1])
    bin_dir = Path(sys.executable).parent
    steps: list[Step] = []
    if not only_pythons:
        steps.append(
            _pytest(
                f"Python {main_version[0]}.{main_version[1]} (whole suite)",
                Path(sys.executable),
                [],
            )
        )
    steps += other_pythons(main_version)
    if not only_pythons:
        steps.append(_command("mypy --strict", [str(bin_dir / "mypy")]))
        steps.append(_command("ruff check", [str(bin_dir / "ruff"), "check", "."]))
        steps.append(_command("ruff format", [str(bin_dir / "ruff"), "format", "--check", "."]))
        own = [str(bin_dir / "gclint"), "check", "--no-cache", "-q", "gclint", "tests", "bench"]
        steps.append(_command("gclint on its own code", own))
        steps.append(
            _command("docs current", [sys.executable, "-m", "gclint.docs", "--check", "."])
        )
    print("\nsuite:")
    for step in steps:
        status = "ok" if step.ok else "FAILED"
        counts = f"{step.passed} passed, {step.failed} failed, {step.skipped} skipped"
        note = f"  [{step.note}]" if step.note else ""
        print(f"  {status:<6} {step.name:<32} {counts}  {step.seconds:6.1f} s{note}")
    passed = sum(s.passed for s in steps)
    failed = sum(s.failed for s in steps)
    skipped = sum(s.skipped for s in steps)
    ran = [s.name.split(" (")[0] for s in steps if s.name.startswith("Python") and s.passed]
    print(f"  interpreters run: {', '.join(ran) or 'none'}")
    print(f"suite: {passed} passed, {failed} failed, {skipped} skipped")
    return 0 if failed == 0 else 1


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
