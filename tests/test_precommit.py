"""The hooks of .pre-commit-hooks.yaml, run by the real pre-commit on a throwaway repository.

`pre-commit try-repo` clones this checkout (with a shadow commit of uncommitted changes to
tracked files; untracked files are left out), installs gclint into a fresh virtualenv with pip
and runs the hook, as a user trying the hooks would.

try-repo keeps that clone and the hook's environment in a temporary store of its own, not under
PRE_COMMIT_HOME, so every call below installs gclint again (seconds with a local index).
PRE_COMMIT_HOME and virtualenv's app-data directory, shared by the module, keep the rest of
pre-commit's and virtualenv's files out of ~/.cache.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from projects import LOADER_BAD, LOADER_GOOD

from gclint import check_source

ROOT = Path(__file__).resolve().parent.parent
PRE_COMMIT = Path(sys.executable).parent / "pre-commit"
TIMEOUT = 600  # seconds: try-repo builds a virtualenv and pip-installs gclint into it
FILENAME = "loader.py"

# Git variables that point git at another repository or index (set when running inside a git
# hook, for instance) must not leak into the commands that build the throwaway repository.
GIT_KEEP = frozenset({"GIT_EXEC_PATH", "GIT_SSH", "GIT_SSH_COMMAND", "GIT_SSL_CAINFO"})

pytestmark = [
    pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed"),
    pytest.mark.skipif(
        not (ROOT / ".git").exists(), reason=f"{ROOT} is not a git checkout for try-repo"
    ),
]


def run(argv: list[str], cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        argv, cwd=cwd, env=env, capture_output=True, text=True, timeout=TIMEOUT, check=False
    )


def git(repo: Path, *args: str) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_") or k in GIT_KEEP}
    proc = run(["git", *args], repo, env)
    assert proc.returncode == 0, f"git {' '.join(args)} failed:\n{proc.stdout}{proc.stderr}"


def commit(repo: Path, text: str, message: str) -> Path:
    path = repo / FILENAME
    path.write_text(text, encoding="utf-8")
    git(repo, "add", FILENAME)
    git(repo, "commit", "--quiet", "--no-verify", "-m", message)
    return path


def try_repo(repo: Path, hook_id: str, env: dict[str, str]) -> tuple[int, str]:
    """`pre-commit try-repo ROOT HOOK_ID --all-files` in `repo`: exit status and all output."""
    argv = [str(PRE_COMMIT), "try-repo", str(ROOT), hook_id, "--all-files", "--color", "never"]
    proc = run(argv, repo, env)
    return proc.returncode, proc.stdout + proc.stderr


@pytest.fixture(scope="module")
def hook_env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """The caller's environment (pip keeps its configured index), with caches in a temp dir."""
    home = tmp_path_factory.mktemp("pre-commit")
    env = dict(os.environ)
    env["PRE_COMMIT_HOME"] = str(home / "home")
    env["VIRTUALENV_OVERRIDE_APP_DATA"] = str(home / "virtualenv-app-data")
    return env


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """An empty git repository with a local identity, unaffected by global signing settings."""
    path = tmp_path / "project"
    path.mkdir()
    git(path, "init", "--quiet")
    git(path, "config", "user.name", "gclint tests")
    git(path, "config", "user.email", "gclint-tests@example.invalid")
    git(path, "config", "commit.gpgsign", "false")
    return path


def test_gclint_hook_fails_on_a_finding_and_passes_once_fixed(
    repo: Path, hook_env: dict[str, str]
) -> None:
    commit(repo, LOADER_BAD, "gc.enable() on the normal path only")
    status, output = try_repo(repo, "gclint", hook_env)
    assert status != 0, output
    assert "- hook id: gclint\n" in output, output
    assert "- exit code: 1\n" in output, output  # findings, not a crash (2)
    assert f"{FILENAME}:6:5: GCL401 " in output, output

    commit(repo, LOADER_GOOD, "gc.enable() in finally")
    status, output = try_repo(repo, "gclint", hook_env)
    assert status == 0, output
    assert "GCL401" not in output, output
    assert any(
        line.startswith("gclint.") and line.endswith("Passed") for line in output.splitlines()
    ), output


def test_gclint_fix_hook_fixes_the_file(repo: Path, hook_env: dict[str, str]) -> None:
    path = commit(repo, LOADER_BAD, "gc.enable() on the normal path only")
    status, output = try_repo(repo, "gclint-fix", hook_env)
    assert status != 0, output  # pre-commit fails a hook that modified files
    assert "- hook id: gclint-fix\n" in output, output
    assert "- files were modified by this hook" in output, output
    assert "Fixed 1 diagnostic in 1 file" in output, output
    fixed = path.read_text()
    assert fixed != LOADER_BAD
    assert "finally:" in fixed
    assert check_source(fixed, FILENAME) == []
    status, output = try_repo(repo, "gclint-fix", hook_env)  # nothing left to fix
    assert status == 0, output
