"""Bad input never crashes or hangs gclint: one clear line per bad file, and the run goes on.

Every case writes real files to a temporary directory and runs the real `gclint` command (and
the real `flake8`, for the plugin) in a subprocess. Each bad file gets exactly one line naming it
with GCL001 (could not parse) or GCL002 (could not read or decode), the run exits with status 2,
no traceback is printed, and a good file checked in the same run is still reported.
"""

from __future__ import annotations

import ast
import codecs
import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import BIN, Runner, run

import gclint
from gclint import check_source
from gclint.engine import check_file, check_tree
from gclint.flake8_plugin import Flake8Plugin
from gclint.registry import Rule
from gclint.rules import REGISTRY

GOOD = REGISTRY.rules["GCL401"].invalid[0].source  # build_index: gc.disable() ... gc.enable()
GOOD_FINDING = (  # [*]: --fix can fix it
    "pkg/good.py:5:5: GCL401 [*] 'gc.disable()' is undone by 'gc.enable()' at line 7 only on the "
    "normal path"
)
SUMMARY = re.compile(r"^gclint: \d+ findings?(, \d+ errors?)? \(\d+ files? checked\)$")
# a frame in gclint's own package (not merely under a checkout directory that is named gclint)
TRACEBACK_IN_GCLINT = re.compile(
    'File "' + re.escape(os.path.dirname(os.path.abspath(gclint.__file__))) + r"[/\\]"
)
# x = 1+1+...+1: ast.parse accepts it, and the tree is 2,000 levels deep
DEEP_SUM = b"x = " + b"+".join([b"1"] * 2000) + b"\n"

# name, content, code, the message after "CODE " (a prefix of it), line
BAD_FILES: list[tuple[str, bytes, str, str, int]] = [
    ("syntax.py", b"def f(:\n    pass\n", "GCL001", "cannot parse: invalid syntax", 1),
    (
        "py2_print.py",
        b'print "x"\n',
        "GCL001",
        "cannot parse: Missing parentheses in call to 'print'. Did you mean print(...)? "
        "(Python 2 source is not supported)",
        1,
    ),
    (
        "py2_except.py",
        b"try:\n    pass\nexcept Exception, e:\n    pass\n",
        "GCL001",
        "cannot parse: multiple exception types must be parenthesized "
        "(Python 2 source is not supported)",
        3,
    ),
    (
        "undecodable.py",
        b"x = '\xff\xfe'\n",
        "GCL002",
        "cannot decode: not valid UTF-8, and no coding cookie names another encoding",
        1,
    ),
    (
        "undecodable_cookie.py",
        b"# -*- coding: utf-8 -*-\nx = 1\ny = '\xe9'\n",
        "GCL002",
        "cannot decode as utf-8: invalid continuation byte",
        3,
    ),
    ("null_byte.py", b"x = 1\x00\n", "GCL002", "file contains a null byte (binary file?)", 1),
    (
        "binary.py",
        bytes(range(256)) * 64,
        "GCL002",
        "file contains a null byte (binary file?)",
        1,
    ),
    (
        "binary_no_nul.py",
        b"\x89PNG\r\n\x1a\n" + bytes(range(1, 256)) * 16,
        "GCL002",
        "cannot decode: not valid UTF-8, and no coding cookie names another encoding",
        1,
    ),
    (
        "unknown_cookie.py",
        b"# -*- coding: klingon -*-\nx = 1\n",
        "GCL002",
        "cannot decode: unknown encoding: klingon",
        1,
    ),
    (
        "cookie_vs_bom.py",
        codecs.BOM_UTF8 + b"# -*- coding: latin-1 -*-\nx = 1\n",
        "GCL002",
        "cannot decode: the coding cookie 'latin-1' conflicts with the UTF-8 byte-order mark "
        "(only 'utf-8' may follow a BOM)",
        1,
    ),
    (
        "cookie_not_text.py",
        b"# coding: rot13\nx = 1\n",
        "GCL002",
        "cannot decode as rot13: 'rot13' is not a text encoding",
        1,
    ),
    (
        "cookie_undefined.py",  # this codec raises a bare UnicodeError: it used to escape
        b"# coding: undefined\nx = 1\n",
        "GCL002",
        "cannot decode as undefined: undefined encoding",
        1,
    ),
    (
        "nested_brackets.py",
        b"x = " + b"[" * 1000 + b"]" * 1000 + b"\n",
        "GCL001",
        "cannot parse: too many nested parentheses",
        1,
    ),
    (
        "nested_too_deep.py",  # deeper than ast.parse can build (within gclint's limit)
        b"x = " + b"-" * 100_000 + b"1\n",
        "GCL001",
        "cannot parse: nested too deeply",
        1,
    ),
    (
        "huge_int.py",
        b"x = " + b"1" * 5000 + b"\n",
        "GCL001",
        "cannot parse: Exceeds the limit (4300 digits) for integer string conversion",
        1,
    ),
    ("tabs.py", b"if x:\n\tpass\n        pass\n", "GCL001", "cannot parse: inconsistent use", 3),
]


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / ".git").mkdir()  # a repository root: the config search stops here
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "good.py").write_text(GOOD)
    return tmp_path


def lines_about(stdout: str, path: str) -> list[str]:
    return [line for line in stdout.splitlines() if line.startswith(f"{path}:")]


def assert_clean_run(result: subprocess.CompletedProcess[str], status: int) -> None:
    """No traceback, the summary as the only line on stderr, the good file still reported."""
    assert "Traceback" not in result.stderr, result.stderr
    assert [line for line in result.stderr.splitlines() if line] == [result.stderr.strip()]
    assert SUMMARY.match(result.stderr.strip()), result.stderr
    assert any(line.startswith(GOOD_FINDING) for line in result.stdout.splitlines())
    assert result.returncode == status, result


def assert_one_error(stdout: str, path: str, code: str, message: str, line: int = 1) -> None:
    (only,) = lines_about(stdout, path)
    assert re.match(rf"{re.escape(path)}:{line}:\d+: {code} ", only), only
    assert only.split(f" {code} ", 1)[1].startswith(message), only


# -- each bad input, one at a time, beside a good file ------------------------------------------


@pytest.mark.parametrize("case", BAD_FILES, ids=[b[0] for b in BAD_FILES])
def test_bad_file_one_line_exit_2_others_checked(
    project: Path, gclint: Runner, case: tuple[str, bytes, str, str, int]
) -> None:
    name, content, code, message, line = case
    (project / "pkg" / name).write_bytes(content)
    result = gclint("check", "pkg")
    assert_one_error(result.stdout, f"pkg/{name}", code, message, line)
    assert_clean_run(result, 2)
    assert "1 error (2 files checked)" in result.stderr or "1 error (1 file checked)" in (
        result.stderr
    )


def test_all_bad_files_in_one_run(project: Path, gclint: Runner) -> None:
    for name, content, *_ in BAD_FILES:
        (project / "pkg" / name).write_bytes(content)
    result = gclint("check", "pkg", "missing.py")
    for name, _, code, message, line in BAD_FILES:
        assert_one_error(result.stdout, f"pkg/{name}", code, message, line)
    assert_one_error(result.stdout, "missing.py", "GCL002", "cannot read: no such file")
    assert len(result.stdout.splitlines()) == len(BAD_FILES) + 2  # + missing.py + good.py
    assert_clean_run(result, 2)
    assert f"{len(BAD_FILES) + 1} errors" in result.stderr


def test_deep_but_valid_file_is_analysed(project: Path, gclint: Runner) -> None:
    (project / "pkg" / "deep_sum.py").write_bytes(DEEP_SUM)
    result = gclint("check", "pkg")
    assert lines_about(result.stdout, "pkg/deep_sum.py") == []
    assert_clean_run(result, 1)
    assert "(2 files checked)" in result.stderr


def test_long_elif_chain_is_analysed_not_an_internal_error(project: Path, gclint: Runner) -> None:
    # 1,500 branches: the ownership analysis recurses once per branch and runs out of the
    # default recursion limit; the engine checks the file again with a deep stack.
    branches = "".join(f"    elif key == {i}:\n        return fh.read({i})\n" for i in range(1500))
    source = (
        "def lookup(path, key):\n    fh = open(path)\n    if key is None:\n        return None\n"
        + branches
        + "    return fh\n"
    )
    (project / "pkg" / "dispatch.py").write_text(source)
    result = gclint("check", "pkg")
    found = lines_about(result.stdout, "pkg/dispatch.py")
    assert found, result.stdout
    assert all("GCL000" not in line for line in found)
    assert all(" GCL1" in line for line in found)
    assert_clean_run(result, 1)


def test_empty_and_blank_files(project: Path, gclint: Runner) -> None:
    (project / "pkg" / "empty.py").write_bytes(b"")
    (project / "pkg" / "blank.py").write_bytes(b"\n\n   \n")
    (project / "pkg" / "bom_only.py").write_bytes(codecs.BOM_UTF8)
    (project / "pkg" / "comment.py").write_bytes(b"# nothing here")  # no final newline
    result = gclint("check", "pkg")
    assert len(result.stdout.splitlines()) == 1
    assert_clean_run(result, 1)
    assert "(5 files checked)" in result.stderr


def test_path_that_does_not_exist(project: Path, gclint: Runner) -> None:
    result = gclint("check", "pkg", "nowhere.py", "no/such/dir")
    assert_one_error(result.stdout, "nowhere.py", "GCL002", "cannot read: no such file")
    assert_one_error(result.stdout, "no/such/dir", "GCL002", "cannot read: no such file")
    assert_clean_run(result, 2)


def test_directory_symlink_loop_terminates(project: Path) -> None:
    (project / "pkg" / "sub").mkdir()
    (project / "pkg" / "sub" / "up").symlink_to("..", target_is_directory=True)
    (project / "pkg" / "self").symlink_to(".", target_is_directory=True)
    (project / "pkg" / "a").symlink_to("b", target_is_directory=True)
    (project / "pkg" / "b").symlink_to("a", target_is_directory=True)  # dangling both ways
    result = run([str(BIN / "gclint"), "check", "pkg"], project, timeout=30)
    assert result.stdout.count("GCL401") == 1
    assert_clean_run(result, 1)


def test_file_symlink_loop(project: Path, gclint: Runner) -> None:
    (project / "pkg" / "a.py").symlink_to("b.py")
    (project / "pkg" / "b.py").symlink_to("a.py")
    result = gclint("check", "pkg")
    for name in ("a.py", "b.py"):
        assert_one_error(
            result.stdout, f"pkg/{name}", "GCL002", "cannot read: too many levels of symbolic links"
        )
    assert_clean_run(result, 2)


def test_dangling_symlink_deleted_before_reading(project: Path, gclint: Runner) -> None:
    """A file that disappears after it was found: as seen from the CLI, a dangling link."""
    (project / "pkg" / "bad.py").symlink_to("gone.py")
    for args in (["pkg"], ["pkg/bad.py", "pkg/good.py"]):
        result = gclint("check", *args)
        assert_one_error(result.stdout, "pkg/bad.py", "GCL002", "cannot read: broken symbolic link")
        assert_clean_run(result, 2)


def test_file_deleted_between_discovery_and_reading(
    project: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """The CLI's own loop, with the file removed right after discovery yields it."""
    from gclint import cli
    from gclint.discovery import discover as real_discover

    (project / "pkg" / "vanishing.py").write_text("x = 1\n")

    def discover_then_delete(*args: object, **kwargs: object) -> Iterator[object]:
        for item in real_discover(*args, **kwargs):  # type: ignore[arg-type]
            if str(item).endswith("vanishing.py"):
                os.remove(str(item))
            yield item

    monkeypatch.setattr(cli, "discover", discover_then_delete)
    monkeypatch.chdir(project)
    status = cli.main(["check", "pkg"])
    out, err = capsys.readouterr()
    assert status == 2
    assert_one_error(out, "pkg/vanishing.py", "GCL002", "cannot read: no such file")
    assert any(line.startswith(GOOD_FINDING) for line in out.splitlines())
    assert "Traceback" not in err


def test_engine_api_never_raises_on_unreadable_paths(tmp_path: Path) -> None:
    gone = tmp_path / "gone.py"
    gone.write_text("x = 1\n")
    gone.unlink()
    (tmp_path / "dir.py").mkdir()
    cases = {
        str(gone): "cannot read: no such file",
        str(tmp_path / "dir.py"): "cannot read: is a directory",
        str(tmp_path / "no" / "such" / "dir" / "x.py"): "cannot read: no such file",
    }
    for path, message in cases.items():
        result = check_file(path)
        assert [(d.code, d.message) for d in result.diagnostics] == [("GCL002", message)]
        assert result.source is None


def test_directory_named_like_a_python_file(project: Path, gclint: Runner) -> None:
    """A directory called x.py is walked like any other directory, never read as a file."""
    (project / "pkg" / "x.py").mkdir()
    (project / "pkg" / "x.py" / "inner.py").write_text("x = 1\n")
    result = gclint("check", "pkg")
    assert_clean_run(result, 1)
    assert "(2 files checked)" in result.stderr


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no named pipes on this platform")
def test_named_pipe_is_reported_not_waited_on(project: Path) -> None:
    os.mkfifo(project / "pkg" / "pipe.py")  # no writer: opening it to read would block forever
    for args in (["pkg"], ["pkg/pipe.py", "pkg/good.py"]):
        result = run([str(BIN / "gclint"), "check", *args], project, timeout=30)
        assert_one_error(
            result.stdout, "pkg/pipe.py", "GCL002", "cannot read: not a regular file (a named pipe)"
        )
        assert_clean_run(result, 2)


@pytest.mark.skipif(not os.path.exists("/dev/zero"), reason="no /dev/zero")
def test_device_named_explicitly(project: Path, gclint: Runner) -> None:
    result = gclint("check", "/dev/zero", "pkg")  # endless: must not be read
    assert_one_error(
        result.stdout, "/dev/zero", "GCL002", "cannot read: not a regular file (a device)"
    )
    assert_clean_run(result, 2)


@pytest.mark.skipif(
    not hasattr(os, "geteuid") or os.geteuid() == 0, reason="root can read any file"
)
def test_file_not_readable(project: Path, gclint: Runner) -> None:
    secret = project / "pkg" / "secret.py"
    secret.write_text("x = 1\n")
    secret.chmod(0)
    try:
        result = gclint("check", "pkg")
    finally:
        secret.chmod(0o644)
    assert_one_error(result.stdout, "pkg/secret.py", "GCL002", "cannot read: permission denied")
    assert_clean_run(result, 2)


@pytest.mark.skipif(
    not hasattr(os, "geteuid") or os.geteuid() == 0, reason="root can list any directory"
)
def test_directory_not_readable(project: Path, gclint: Runner) -> None:
    locked = project / "pkg" / "locked"
    locked.mkdir()
    (locked / "inside.py").write_text("x = 1\n")
    locked.chmod(0)
    try:
        result = gclint("check", "pkg")
    finally:
        locked.chmod(0o755)
    assert_one_error(
        result.stdout, "pkg/locked", "GCL002", "cannot read directory: permission denied"
    )
    assert_clean_run(result, 2)


def test_directory_that_cannot_be_listed_is_reported_not_skipped(
    project: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """os.walk skips a directory it cannot list, silently; gclint reports it (as root, too)."""
    from gclint import cli

    locked = project / "pkg" / "locked"
    locked.mkdir()
    (locked / "inside.py").write_text("x = 1\n")
    real_scandir = os.scandir

    def scandir(path: str) -> object:
        if os.path.basename(os.fspath(path)) == "locked":
            raise PermissionError(13, "Permission denied", os.fspath(path))
        return real_scandir(path)

    monkeypatch.setattr(os, "scandir", scandir)
    monkeypatch.chdir(project)
    status = cli.main(["check", "pkg"])
    out, err = capsys.readouterr()
    assert status == 2
    assert_one_error(out, "pkg/locked", "GCL002", "cannot read directory: permission denied")
    assert any(line.startswith(GOOD_FINDING) for line in out.splitlines())
    assert "Traceback" not in err


def test_bad_bytes_on_stdin(project: Path) -> None:
    for raw, code, message in [
        (b"x = '\xff'\n", "GCL002", "cannot decode: not valid UTF-8"),
        (b"\x00\x01\x02", "GCL002", "file contains a null byte"),
        (b"print 'x'\n", "GCL001", "cannot parse: Missing parentheses in call to 'print'"),
    ]:
        proc = subprocess.run(
            [str(BIN / "gclint"), "check", "-", "pkg/good.py", "--stdin-filename", "in.py"],
            cwd=project,
            input=raw,
            capture_output=True,
            timeout=60,
            check=False,
        )
        result = subprocess.CompletedProcess(
            proc.args, proc.returncode, proc.stdout.decode(), proc.stderr.decode()
        )
        assert_one_error(result.stdout, "in.py", code, message)
        assert_clean_run(result, 2)


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX file names are bytes")
def test_undecodable_file_name_is_printed(project: Path) -> None:
    """A file name that is not UTF-8, with stdout strict about encoding (PYTHONIOENCODING)."""
    name = os.fsencode(project / "pkg") + b"/caf\xe9.py"
    with open(name, "wb") as fh:
        fh.write(GOOD.encode())
    env = {**os.environ, "PYTHONIOENCODING": "utf-8"}
    env.pop("PYTHONWARNINGS", None)
    proc = subprocess.run(
        [str(BIN / "gclint"), "check", "pkg"],
        cwd=project,
        capture_output=True,
        env=env,
        check=False,
    )
    assert b"Traceback" not in proc.stderr
    assert proc.returncode == 1
    assert b"pkg/caf\xe9.py:5:5: GCL401 " in proc.stdout  # the name's own bytes


def test_huge_generated_file_time_grows_linearly(project: Path, gclint: Runner) -> None:
    """Tens of MB of generated code (a message catalogue) finish, in time proportional to size."""

    def generate(path: Path, chunks: int) -> int:
        text = "lorem ipsum dolor sit amet " * 5
        with path.open("w", encoding="utf-8") as fh:
            for c in range(chunks):
                fh.write(f"CHUNK_{c} = [\n")
                for i in range(c * 1000, (c + 1) * 1000):
                    fh.write(f'    ({i}, "msg-{i:07d}", "{text}", {i}.5),\n')
                fh.write(f"]\n\n\ndef get_{c}(i):\n    return CHUNK_{c}[i]\n\n\n")
        return path.stat().st_size

    small_size = generate(project / "pkg" / "small_catalogue.py", 12)
    big_size = generate(project / "big_catalogue.py", 120)
    assert big_size > 20_000_000

    def timed(*args: str) -> float:
        start = time.perf_counter()
        result = gclint("check", *args)
        elapsed = time.perf_counter() - start
        assert result.returncode == 1, result.stderr  # good.py's finding, nothing else
        assert result.stdout.count("\n") == 1, result.stdout
        return elapsed

    small = timed("pkg/small_catalogue.py", "pkg/good.py")
    big = timed("big_catalogue.py", "pkg/good.py")
    # 10x the size: linear is ~10x the time. Generous bound: this only catches quadratic blowups.
    assert big < 20 * small + 5, (small, big, big_size / small_size)


# -- configuration errors stop the run before any file is read ----------------------------------


@pytest.mark.parametrize(
    ("pyproject", "args", "message"),
    [
        ('[tool.gclint]\nselect = "GCL4"\nbogus = 1\n', [], "unknown key 'bogus'"),
        ('[tool.gclint]\nselect = ["GCL9"]\n', [], "unknown rule code or prefix 'GCL9'"),
        ("[tool.gclint]\nselect = [1, 2]\n", [], "select must be a list of strings"),
        ("[tool.gclint]\nallow-detached-processes = 'yes'\n", [], "must be true or false"),
        ("[tool.gclint\n", [], "cannot read configuration"),
        (None, ["--select", "GCL4,NOPE"], "unknown rule code or prefix 'NOPE'"),
        (None, ["--extend-ignore", "GCL999"], "unknown rule code or prefix 'GCL999'"),
        (None, ["--per-file-ignores", "GCL401"], "expected 'pattern:CODES'"),
        (None, ["--config", "missing.toml"], "configuration file not found"),
    ],
)
def test_invalid_configuration_exit_2_before_any_work(
    project: Path, gclint: Runner, pyproject: str | None, args: list[str], message: str
) -> None:
    (project / "pkg" / "broken.py").write_bytes(b"def f(:\n")
    if pyproject is not None:
        (project / "pyproject.toml").write_text(pyproject)
    result = gclint("check", *args, "pkg")
    assert result.returncode == 2
    assert result.stdout == ""  # no file was checked: not even the broken one is reported
    assert message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert result.stderr.startswith("gclint: error: ")
    assert "Traceback" not in result.stderr


# -- an internal error in one rule on one file ---------------------------------------------------


class _Broken(Rule):
    code = "GCL990"
    name = "broken-for-test"
    summary = "raises on every call"
    message = "never reported"

    def visit_Call(self, node: ast.Call) -> None:
        raise ValueError("boom")


class _BrokenInit(Rule):
    code = "GCL991"
    name = "broken-init-for-test"
    summary = "raises when created"
    message = "never reported"

    def __init__(self, ctx: object) -> None:
        raise KeyError("no state")


class _BrokenFinish(Rule):
    code = "GCL992"
    name = "broken-finish-for-test"
    summary = "raises at the end of the file"
    message = "never reported"

    def finish(self) -> None:
        raise RecursionError("maximum recursion depth exceeded")


@pytest.fixture
def broken_rules() -> Iterator[None]:
    rules = (_Broken, _BrokenInit, _BrokenFinish)
    for rule in rules:
        REGISTRY.register(rule)
    try:
        yield
    finally:
        for rule in rules:
            REGISTRY.rules.pop(rule.code, None)


EXPECTED_GCL000 = [
    (
        "GCL000",
        1,
        "internal error in GCL991 (broken-init-for-test): KeyError: 'no state'; please report",
    ),
    (
        "GCL000",
        1,
        "internal error in GCL992 (broken-finish-for-test): RecursionError: maximum recursion "
        "depth exceeded; please report",
    ),
    ("GCL000", 5, "internal error in GCL990 (broken-for-test): ValueError: boom; please report"),
    ("GCL401", 5, None),  # the other rules still report on the same file
]


def _summary(diags: list[tuple[str, int, str]]) -> list[tuple[str, int, str | None]]:
    return [(code, line, None if code == "GCL401" else msg) for code, line, msg in diags]


@pytest.mark.usefixtures("broken_rules")
def test_internal_error_in_one_rule_engine_api() -> None:
    found = check_source(GOOD, "pkg/good.py")
    assert _summary([(d.code, d.line, d.message) for d in found]) == EXPECTED_GCL000
    assert all(d.is_error for d in found if d.code == "GCL000")
    # a file without calls: the broken visit_Call never runs
    assert [d.code for d in check_source("x = 1\n", "x.py")] == ["GCL000", "GCL000"]


@pytest.mark.usefixtures("broken_rules")
def test_internal_error_in_one_rule_flake8_plugin() -> None:
    tree = ast.parse(GOOD)
    Flake8Plugin.parse_options(object())
    rows = list(Flake8Plugin(tree, "good.py").run())
    assert [(line, text.split(" ")[0]) for line, _, text, _ in rows] == [
        (1, "GCL000"),
        (1, "GCL000"),
        (5, "GCL000"),
        (5, "GCL401"),
    ]


def test_internal_error_in_one_rule_cli(project: Path) -> None:
    """The real CLI entry point, in a subprocess, with a broken rule registered first."""
    (project / "pkg" / "other.py").write_text(
        "import gc\n\n\ndef process(batches):\n    for batch in batches:\n        gc.collect()\n"
    )
    (project / "pkg" / "syntax.py").write_text("def f(:\n")
    script = (
        "import sys\n"
        "from gclint.registry import Rule\n"
        "from gclint.rules import REGISTRY\n"
        "class Broken(Rule):\n"
        "    code, name, summary, message = 'GCL990', 'broken-for-test', 'x', 'x'\n"
        "    def visit_Call(self, node):\n"
        "        raise ValueError('boom')\n"
        "REGISTRY.register(Broken)\n"
        "from gclint.cli import main\n"
        "sys.exit(main(sys.argv[1:]))\n"
    )
    result = run([sys.executable, "-c", script, "check", "pkg"], project)
    assert "Traceback" not in result.stderr
    assert result.returncode == 2
    assert (
        "pkg/good.py:5:5: GCL000 internal error in GCL990 (broken-for-test): ValueError: boom; "
        "please report"
    ) in result.stdout.splitlines()
    assert any(line.startswith(GOOD_FINDING) for line in result.stdout.splitlines())
    other = lines_about(result.stdout, "pkg/other.py")  # the next file: same rule, same fate
    assert [line.split(" ")[1] for line in other] == ["GCL000", "GCL402"], other
    assert_one_error(result.stdout, "pkg/syntax.py", "GCL001", "cannot parse")


def test_deep_recursion_in_a_rule_is_retried_with_a_deep_stack() -> None:
    """A rule that recurses once per nesting level analyses deep files instead of failing."""

    class Recursive(Rule):
        code = "GCL993"
        name = "recursive-for-test"
        summary = "recurses over every expression"
        message = "depth {depth}"

        def visit_Module(self, node: ast.Module) -> None:
            def depth(n: ast.AST) -> int:
                return 1 + max((depth(c) for c in ast.iter_child_nodes(n)), default=0)

            self.report(node, depth=depth(node))

    REGISTRY.register(Recursive)
    try:
        (found,) = check_tree(ast.parse(DEEP_SUM.decode()), "deep.py", rules=[Recursive])
    finally:
        REGISTRY.rules.pop(Recursive.code, None)
    assert (found.code, found.message) == ("GCL993", "depth 2002")  # Module, Assign, 2,000 more
    assert sys.getrecursionlimit() < 10_000  # restored


def test_endless_recursion_in_a_rule_is_still_reported() -> None:
    class Endless(Rule):
        code = "GCL994"
        name = "endless-for-test"
        summary = "never stops"
        message = "x"

        def visit_Module(self, node: ast.Module) -> None:
            def forever(n: int) -> int:
                return forever(n + 1) + 1

            forever(0)

    (found,) = check_tree(ast.parse("x = 1\n"), "x.py", rules=[Endless])
    assert found.code == "GCL000"
    assert found.message.startswith("internal error in GCL994 (endless-for-test): RecursionError")


# -- the flake8 plugin on the same bad files ----------------------------------------------------


FLAKE8_OWN_CRASHES = {"cookie_not_text.py", "deep_sum.py", "nested_too_deep.py"}


def test_flake8_on_bad_files_does_not_crash_because_of_gclint(
    project: Path, flake8: Runner
) -> None:
    for name, content, *_ in BAD_FILES:
        (project / "pkg" / name).write_bytes(content)
    (project / "pkg" / "deep_sum.py").write_bytes(DEEP_SUM)
    (project / "pkg" / "empty.py").write_bytes(b"")
    (project / "pkg" / "dangling.py").symlink_to("gone.py")
    for path in sorted((project / "pkg").iterdir()):
        rel = f"pkg/{path.name}"
        result = flake8("--select", "GCL,E9", "--jobs", "1", rel, "pkg/good.py")
        assert not TRACEBACK_IN_GCLINT.search(result.stderr), result.stderr
        said = result.stdout + result.stderr  # flake8 reports a failing plugin on stdout
        own_failure = "failed during execution" in said and '"GCL"' not in said
        if "Traceback" in result.stderr or own_failure:
            # flake8 itself or another plugin crashed, not gclint: flake8 cannot open a file
            # whose cookie names a codec that is not a text encoding, its ast.parse raises
            # MemoryError on nested_too_deep.py, and pyflakes or flake8-simplify (when
            # installed) recurse past the limit on deep_sum.py
            assert path.name in FLAKE8_OWN_CRASHES, result.stderr
            continue
        assert result.returncode == 1, (rel, result)
        flake8_finding = GOOD_FINDING.replace(" [*]", "")  # flake8 does not mark fixes
        assert any(line.startswith(flake8_finding) for line in result.stdout.splitlines()), rel
        assert "GCL000" not in result.stdout
        if path.name in ("syntax.py", "py2_print.py", "nested_brackets.py"):
            assert f"{rel}:1:" in result.stdout, result.stdout
            assert " E999 " in result.stdout, result.stdout
