"""The cache and -j, as users run them: real `gclint` processes on real project trees.

A cached answer must be the answer a fresh check gives: these tests change what a check depends on
(the file, a module it imports, the configuration, the cache entry itself) and compare.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import BIN, Runner

LEAKY = """\
def read_config(path):
    f = open(path)
    return f.readline()
"""

USES_CLIENT = """\
from .net import Client


def ping(host):
    client = Client(host)
    client.send(b"ping")
"""

CLIENT_PLAIN = """\
class Client:
    def __init__(self, host):
        self.host = host

    def send(self, data):
        return len(data)

    def close(self):
        self.host = None
"""

CLIENT_RESOURCE = """\
import socket


class Client:
    def __init__(self, host):
        self.sock = socket.create_connection((host, 80))

    def send(self, data):
        return self.sock.send(data)

    def close(self):
        self.sock.close()
"""


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / ".git").mkdir()
    pkg = tmp_path / "app"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "config.py").write_text(LEAKY)
    (pkg / "net.py").write_text(CLIENT_PLAIN)
    (pkg / "client.py").write_text(USES_CLIENT)
    for i in range(30):  # enough files for -j to start worker processes
        (pkg / f"mod{i}.py").write_text(LEAKY if i % 3 == 0 else f"X = {i}\n")
    return tmp_path


def _codes(result: subprocess.CompletedProcess[str]) -> list[tuple[str, str]]:
    return sorted((d["path"], d["code"]) for d in json.loads(result.stdout))


def _entries(root: Path) -> list[Path]:
    return sorted((root / ".gclint_cache").rglob("*.json"))


def test_warm_run_gives_the_cold_answer_from_the_cache(project: Path, gclint: Runner) -> None:
    cold = gclint("check", "app", "--format", "json", "-j", "1")
    assert cold.returncode == 1, cold.stderr
    entries = _entries(project)
    assert len(entries) == 34  # one per file checked
    assert (project / ".gclint_cache" / "CACHEDIR.TAG").is_file()
    assert (project / ".gclint_cache" / ".gitignore").read_text().endswith("*\n")
    stamps = {p: p.stat().st_mtime_ns for p in entries}
    warm = gclint("check", "app", "--format", "json", "-j", "1")
    assert (warm.returncode, warm.stdout) == (cold.returncode, cold.stdout)
    assert {p: p.stat().st_mtime_ns for p in _entries(project)} == stamps  # read, not rewritten
    text = gclint("check", "app", "--show-source", "-j", "1")
    assert "    f = open(path)" in text.stdout  # the source shown for a cached finding


def test_an_edited_file_is_checked_again(project: Path, gclint: Runner) -> None:
    gclint("check", "app", "-j", "1")
    (project / "app" / "mod1.py").write_text(LEAKY)
    result = gclint("check", "app", "--format", "json", "-j", "1")
    assert ("app/mod1.py", "GCL101") in _codes(result)
    (project / "app" / "config.py").write_text("def read_config(path):\n    return path\n")
    result = gclint("check", "app", "--format", "json", "-j", "1")
    assert ("app/config.py", "GCL101") not in _codes(result)


def test_a_change_in_an_imported_module_reaches_its_importers(
    project: Path, gclint: Runner
) -> None:
    """`client.py` is unchanged, but what it imports became a resource: its entry is stale."""
    first = gclint("check", "app", "--format", "json", "-j", "1")
    assert ("app/client.py", "GCL101") not in _codes(first)
    (project / "app" / "net.py").write_text(CLIENT_RESOURCE)
    second = gclint("check", "app", "--format", "json", "-j", "1")
    assert ("app/client.py", "GCL101") in _codes(second)
    fresh = gclint("check", "app", "--format", "json", "-j", "1", "--no-cache")
    assert second.stdout == fresh.stdout


def _plant(project: Path, importer: str, dep: str) -> None:
    """Mark the entry of `importer` (the one that consulted `dep`), so that its reuse shows."""
    for entry in _entries(project):
        data = json.loads(entry.read_text())
        if any(d[0].endswith(dep) for d in data["deps"]) and not data["diagnostics"]:
            data["diagnostics"] = [
                {
                    "code": "GCL101",
                    "name": "unclosed-resource",
                    "message": f"PLANTED in the entry of {importer}",
                    "range": {"line": 1, "col": 0, "end_line": 1, "end_col": 1},
                    "fix": None,
                    "is_error": False,
                }
            ]
            entry.write_text(json.dumps(data))
            return
    raise AssertionError(f"no entry depends on {dep}")


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_comments_in_an_imported_module_keep_its_importers_cached(
    project: Path, gclint: Runner, jobs: str
) -> None:
    """Only a module's statements matter to its importers: comments and blank lines between
    them do not invalidate their entries; an edit inside a statement does."""
    gclint("check", "app", "--format", "json", "-j", jobs)  # -j 2: digests made in workers
    _plant(project, "client.py", "app/net.py")
    net = project / "app" / "net.py"
    net.write_text("# a header comment\n\n\n" + CLIENT_PLAIN + "\n\n# appended\n")
    kept = gclint("check", "app", "--format", "json", "-j", "1")
    assert "PLANTED" in kept.stdout  # client.py's entry was used as it was
    net.write_text(CLIENT_PLAIN.replace("return len(data)", "return len(data) + 0"))
    redone = gclint("check", "app", "--format", "json", "-j", "1")
    assert "PLANTED" not in redone.stdout  # a statement changed: client.py was checked again
    fresh = gclint("check", "app", "--format", "json", "-j", "1", "--no-cache")
    assert redone.stdout == fresh.stdout


def test_a_package_s_init_is_a_dependency_only_by_existing(project: Path, gclint: Runner) -> None:
    """Every file of a package looked at its ``__init__.py`` only to know that it is a package:
    an edit there, even of a statement, leaves their entries valid (the benchmark's 1% touched
    re-checked 69 more files after a comment appended to a package ``__init__.py``); removing
    it changes every module's name, so their entries go."""
    gclint("check", "app", "--format", "json", "-j", "1")
    planted = 0
    for entry in _entries(project):
        data = json.loads(entry.read_text())
        if data["diagnostics"] or not any(d[0].endswith("app/__init__.py") for d in data["deps"]):
            continue
        data["diagnostics"] = [
            {
                "code": "GCL101",
                "name": "unclosed-resource",
                "message": "PLANTED",
                "range": {"line": 1, "col": 0, "end_line": 1, "end_col": 1},
                "fix": None,
                "is_error": False,
            }
        ]
        entry.write_text(json.dumps(data))
        planted += 1
    assert planted > 20
    init = project / "app" / "__init__.py"
    init.write_text("VERSION = 2\n")
    kept = gclint("check", "app", "--format", "json", "-j", "1")
    assert kept.stdout.count("PLANTED") >= planted - 1  # all but __init__.py's own entry
    init.unlink()
    gone = gclint("check", "app", "--format", "json", "-j", "1")
    assert "PLANTED" not in gone.stdout


def test_a_comment_inside_a_definition_counts_as_an_edit(project: Path, gclint: Runner) -> None:
    gclint("check", "app", "--format", "json", "-j", "1")
    _plant(project, "client.py", "app/net.py")
    net = project / "app" / "net.py"
    net.write_text(CLIENT_PLAIN.replace("    def send", "    # inside the class\n    def send"))
    assert "PLANTED" not in gclint("check", "app", "--format", "json", "-j", "1").stdout


def test_a_module_appearing_where_an_import_looked_invalidates(
    project: Path, gclint: Runner
) -> None:
    (project / "app" / "net.py").unlink()
    first = gclint("check", "app/client.py", "--format", "json")
    assert _codes(first) == []
    (project / "app" / "net").mkdir()  # the import now resolves to a package
    (project / "app" / "net" / "__init__.py").write_text(CLIENT_RESOURCE)
    second = gclint("check", "app/client.py", "--format", "json")
    assert ("app/client.py", "GCL101") in _codes(second)


def test_configuration_is_part_of_the_key(project: Path, gclint: Runner) -> None:
    everything = gclint("check", "app", "--format", "json", "-j", "1")
    assert _codes(everything)
    (project / "pyproject.toml").write_text('[tool.gclint]\nignore = ["GCL101"]\n')
    ignored = gclint("check", "app", "--format", "json", "-j", "1")
    assert ignored.returncode == 0
    assert json.loads(ignored.stdout) == []
    no_noqa = gclint("check", "app", "--format", "json", "--disable-noqa", "--isolated")
    assert _codes(no_noqa) == _codes(everything)


def test_broken_entries_are_ignored_and_replaced(project: Path, gclint: Runner) -> None:
    cold = gclint("check", "app", "--format", "json", "-j", "1")
    damage = [b"", b"{", b'{"format": 1}', b"\xff\xfe\x00", b'{"format": 1, "deps": 3}']
    for i, entry in enumerate(_entries(project)):
        entry.write_bytes(damage[i % len(damage)])
    warm = gclint("check", "app", "--format", "json", "-j", "1")
    assert (warm.returncode, warm.stdout) == (cold.returncode, cold.stdout)
    assert all(e.read_bytes()[:1] == b"{" and len(e.read_bytes()) > 20 for e in _entries(project))


def test_no_cache_reads_and_writes_nothing(project: Path, gclint: Runner) -> None:
    gclint("check", "app", "--no-cache")
    assert not (project / ".gclint_cache").exists()


def test_an_unwritable_cache_directory_does_not_stop_the_run(project: Path, gclint: Runner) -> None:
    (project / ".gclint_cache").write_text("a file where the directory should be")
    result = gclint("check", "app", "--format", "json")
    assert result.returncode == 1, result.stderr
    assert _codes(result), result.stderr
    assert "Traceback" not in result.stderr


def test_parallel_run_matches_one_process(project: Path, gclint: Runner) -> None:
    one = gclint("check", "app", "--no-cache", "-j", "1", "--statistics")
    two = gclint("check", "app", "--no-cache", "-j", "2", "--statistics")
    assert (two.returncode, two.stdout, two.stderr) == (one.returncode, one.stdout, one.stderr)


def test_concurrent_runs_share_the_cache_safely(project: Path) -> None:
    argv = [str(BIN / "gclint"), "check", "app", "--format", "json", "-j", "1"]
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
    runs = [
        subprocess.Popen(argv, cwd=project, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
        for _ in range(3)
    ]
    outputs = [run.communicate(timeout=120) for run in runs]
    assert len({out for out, _ in outputs}) == 1, outputs
    assert all(run.returncode == 1 for run in runs)
    leftovers = list((project / ".gclint_cache").rglob(".tmp-*"))
    assert leftovers == []
    again = subprocess.run(argv, cwd=project, capture_output=True, check=False)
    assert again.stdout == outputs[0][0]


def test_jobs_must_be_a_positive_number(project: Path, gclint: Runner) -> None:
    result = gclint("check", "app", "-j", "0")
    assert result.returncode == 2
    assert result.stderr.strip().count("\n") == 0
    assert "-j" in result.stderr


@pytest.mark.skipif(sys.platform != "linux", reason="sched_getaffinity")
def test_default_jobs_is_the_usable_cores() -> None:
    from gclint.runner import default_jobs

    assert default_jobs() == len(os.sched_getaffinity(0))


@pytest.mark.parametrize(("count", "jobs"), [(3139, 2), (16, 2), (17, 4), (100, 3), (5, 2)])
def test_parallel_batches_are_neighbouring_files_large_first(count: int, jobs: int) -> None:
    from gclint.runner import _batches

    batches = _batches(count, jobs)
    assert [i for start, end in batches for i in range(start, end)] == list(range(count))
    sizes = [end - start for start, end in batches]
    assert sizes == sorted(sizes, reverse=True)  # the small ones last: workers end together
    assert len(batches) >= min(count // 4, 2 * jobs)  # more batches than workers
