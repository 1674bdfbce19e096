"""Shared helpers: run the real installed `gclint` and `flake8` commands in subprocesses."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
Runner = Callable[..., "subprocess.CompletedProcess[str]"]


def run(
    argv: Sequence[str], cwd: Path | str, stdin: bytes | None = None, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ)
    env.pop("PYTHONWARNINGS", None)
    return subprocess.run(
        list(argv),
        cwd=cwd,
        input=stdin.decode() if stdin is not None else None,
        capture_output=True,
        text=True,
        timeout=timeout,
        env=env,
        check=False,
    )


@pytest.fixture
def gclint(tmp_path: Path) -> Runner:
    """Run the installed `gclint` command in `tmp_path` (or another cwd)."""

    def _run(
        *args: str, cwd: Path | None = None, stdin: bytes | None = None
    ) -> subprocess.CompletedProcess[str]:
        return run([str(BIN / "gclint"), *args], cwd or tmp_path, stdin)

    return _run


@pytest.fixture
def flake8(tmp_path: Path) -> Runner:
    def _run(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
        return run([str(BIN / "flake8"), *args], cwd or tmp_path)

    return _run
