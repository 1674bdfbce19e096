"""`gclint check --fix` on real files, through the installed command: what is written is exactly
the fixed text in the file's own bytes (encoding, BOM, newlines, indentation, trailing newline,
mode), and what cannot be written safely is not written at all."""

from __future__ import annotations

import ast
import os
import re
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import BIN, Runner

from gclint.fixes.writing import WriteError, write_fixed
from gclint.runner import CACHE_DIR  # the cache is expected beside the files
from gclint.source import read_source

SAMPLE = "def read(p):\n    f = open(p)\n    return f.read()\n"
FIXED = "def read(p):\n    with open(p) as f:\n        return f.read()\n"


def fix(gclint: Runner, *args: str) -> subprocess.CompletedProcess[str]:
    return gclint("check", "--fix", "--isolated", *args)


@pytest.mark.parametrize("newline", ["\n", "\r\n", "\r"], ids=["LF", "CRLF", "CR"])
def test_newline_style_is_kept(tmp_path: Path, gclint: Runner, newline: str) -> None:
    path = tmp_path / "mod.py"
    path.write_bytes(SAMPLE.replace("\n", newline).encode())
    result = fix(gclint, "mod.py")
    assert result.returncode == 0, result.stdout + result.stderr
    assert path.read_bytes() == FIXED.replace("\n", newline).encode()
    assert "Fixed 1 diagnostic in 1 file" in result.stderr


def test_utf8_bom_is_kept(tmp_path: Path, gclint: Runner) -> None:
    path = tmp_path / "mod.py"
    path.write_bytes(b"\xef\xbb\xbf# caf\xc3\xa9\n" + SAMPLE.encode())
    assert fix(gclint, "mod.py").returncode == 0
    assert path.read_bytes() == b"\xef\xbb\xbf# caf\xc3\xa9\n" + FIXED.encode()


def test_latin1_coding_cookie_is_kept(tmp_path: Path, gclint: Runner) -> None:
    head = '# -*- coding: latin-1 -*-\nGREETING = "café, naïve"\n\n\n'
    path = tmp_path / "mod.py"
    path.write_bytes((head + SAMPLE).encode("latin-1"))
    result = fix(gclint, "mod.py")
    assert result.returncode == 0, result.stdout + result.stderr
    assert path.read_bytes() == (head + FIXED).encode("latin-1")


def test_tab_indentation_is_kept(tmp_path: Path, gclint: Runner) -> None:
    path = tmp_path / "mod.py"
    path.write_bytes(SAMPLE.replace("    ", "\t").encode())
    assert fix(gclint, "mod.py").returncode == 0
    assert path.read_bytes() == FIXED.replace("    ", "\t").encode()


def test_missing_trailing_newline_stays_missing(tmp_path: Path, gclint: Runner) -> None:
    path = tmp_path / "mod.py"
    path.write_bytes(SAMPLE.rstrip("\n").encode())
    assert fix(gclint, "mod.py").returncode == 0
    assert path.read_bytes() == FIXED.rstrip("\n").encode()


def test_comments_and_blank_lines_are_kept(tmp_path: Path, gclint: Runner) -> None:
    source = (
        "import json\n\n\n"
        "def load(path):\n"
        "    # read the settings\n"
        "    f = open(path)  # text mode\n\n"
        "    data = json.load(f)\n"
        "    # done with the file\n"
        "    f.close()  # explicit\n"
        "    return data\n"
    )
    expected = (
        "import json\n\n\n"
        "def load(path):\n"
        "    # read the settings\n"
        "    with open(path) as f:  # text mode\n\n"
        "        data = json.load(f)\n"
        "    # done with the file\n"
        "    # explicit\n"
        "    return data\n"
    )
    path = tmp_path / "mod.py"
    path.write_text(source)
    assert fix(gclint, "mod.py").returncode == 0
    assert path.read_text() == expected


def test_file_mode_is_kept(tmp_path: Path, gclint: Runner) -> None:
    path = tmp_path / "tool.py"
    path.write_text("#!/usr/bin/env python3\n" + SAMPLE)
    path.chmod(0o755)
    assert fix(gclint, "tool.py").returncode == 0
    assert path.read_text() == "#!/usr/bin/env python3\n" + FIXED
    assert stat.S_IMODE(path.stat().st_mode) == 0o755
    assert [p.name for p in tmp_path.iterdir() if p.name != CACHE_DIR] == [
        "tool.py"
    ]  # no temporary file left


def test_read_only_file_is_not_written(tmp_path: Path, gclint: Runner) -> None:
    path = tmp_path / "mod.py"
    path.write_text(SAMPLE)
    path.chmod(0o444)
    result = fix(gclint, "mod.py")
    assert result.returncode == 2
    errors = [line for line in result.stdout.splitlines() if "GCL003" in line]
    assert errors == ["mod.py:1:1: GCL003 could not write: the file is read-only (left unchanged)"]
    assert path.read_bytes() == SAMPLE.encode()
    assert stat.S_IMODE(path.stat().st_mode) == 0o444
    assert [p.name for p in tmp_path.iterdir() if p.name != CACHE_DIR] == ["mod.py"]


def test_a_file_changed_on_disk_is_not_written(tmp_path: Path) -> None:
    path = tmp_path / "mod.py"
    path.write_text(SAMPLE)
    original = read_source(str(path))
    path.write_text(SAMPLE + "# edited in the meantime\n")
    with pytest.raises(
        WriteError, match=r"^not written: the file changed on disk since it was read$"
    ):
        write_fixed(str(path), original, FIXED)
    assert path.read_text() == SAMPLE + "# edited in the meantime\n"
    assert [p.name for p in tmp_path.iterdir() if p.name != CACHE_DIR] == ["mod.py"]


def test_write_fixed_refuses_text_the_encoding_cannot_hold(tmp_path: Path) -> None:
    path = tmp_path / "mod.py"
    path.write_bytes(b"# -*- coding: latin-1 -*-\n" + SAMPLE.encode())
    original = read_source(str(path))
    with pytest.raises(WriteError, match="cannot be encoded as iso-8859-1"):
        write_fixed(str(path), original, original.text + "# \u20ac\n")
    assert path.read_bytes() == b"# -*- coding: latin-1 -*-\n" + SAMPLE.encode()


def test_write_fixed_writes_through_a_symbolic_link(tmp_path: Path) -> None:
    real = tmp_path / "real.py"
    real.write_text(SAMPLE)
    link = tmp_path / "link.py"
    link.symlink_to(real)
    write_fixed(str(link), read_source(str(link)), FIXED)
    assert link.is_symlink()
    assert real.read_text() == FIXED


BAD_INPUTS = {
    "syntax.py": b"def f(:\n    f = open(p)\n",
    "python2.py": b"print 'hello'\nf = open('x')\n",
    "undecodable.py": b"s = '\xff\xfe'\nf = open('x')\n",
    "binary.py": b"\x7fELF\x02\x01\x01\x00\x00\x00",
    "nullbyte.py": b"f = open('x')\x00\n",
}


@pytest.mark.parametrize("name", sorted(BAD_INPUTS))
def test_bad_input_is_never_written(tmp_path: Path, gclint: Runner, name: str) -> None:
    path = tmp_path / name
    path.write_bytes(BAD_INPUTS[name])
    result = fix(gclint, name)
    assert result.returncode == 2
    lines = result.stdout.splitlines()
    assert len(lines) == 1, lines
    assert lines[0].startswith(f"{name}:"), lines
    assert " GCL001 " in lines[0] or " GCL002 " in lines[0]
    assert path.read_bytes() == BAD_INPUTS[name]


def test_diff_writes_nothing_and_exits_1(tmp_path: Path, gclint: Runner) -> None:
    path = tmp_path / "mod.py"
    path.write_text(SAMPLE)
    result = gclint("check", "--diff", "--isolated", "mod.py")
    assert result.returncode == 1
    assert result.stdout == (
        "--- a/mod.py\n+++ b/mod.py\n@@ -1,3 +1,3 @@\n def read(p):\n"
        "-    f = open(p)\n-    return f.read()\n"
        "+    with open(p) as f:\n+        return f.read()\n"
    )
    assert "Would fix 1 diagnostic in 1 file" in result.stderr
    assert path.read_text() == SAMPLE
    clean = gclint("check", "--diff", "--isolated", "mod.py", cwd=tmp_path)
    assert clean.returncode == 1  # still nothing written: the same diff again
    path.write_text(FIXED)
    assert gclint("check", "--diff", "--isolated", "mod.py").returncode == 0


def test_stdin_fix_prints_the_fixed_source(tmp_path: Path, gclint: Runner) -> None:
    result = gclint("check", "--fix", "--isolated", "-", stdin=SAMPLE.encode())
    assert result.returncode == 0
    assert result.stdout == FIXED
    assert "Fixed 1 diagnostic in 1 file" in result.stderr


def test_stdin_fix_reports_what_is_left_on_stderr(tmp_path: Path, gclint: Runner) -> None:
    source = SAMPLE + "\n\ndef make():\n    return helper()\n\n\ndef helper():\n    g = open('x')\n"
    result = gclint(
        "check", "--fix", "--isolated", "--stdin-filename", "m.py", "-", stdin=source.encode()
    )
    assert result.returncode == 1
    assert result.stdout.startswith(FIXED)
    assert "m.py:11:9: GCL101 " in result.stderr
    assert "(fix skipped: 'g' is not used after it is acquired in its block)" in result.stderr


def test_noqa_silenced_diagnostic_is_not_fixed(tmp_path: Path, gclint: Runner) -> None:
    source = SAMPLE.replace("open(p)", "open(p)  # noqa: GCL101")
    path = tmp_path / "mod.py"
    path.write_text(source)
    result = fix(gclint, "mod.py")
    assert result.returncode == 0
    assert path.read_text() == source


def test_several_fixes_in_one_file(tmp_path: Path, gclint: Runner) -> None:
    source = (
        "import threading\n\n_lock = threading.Lock()\n\n\n"
        "def copy(src, dst):\n"
        "    _lock.acquire()\n"
        "    a = open(src)\n"
        "    b = open(dst, 'w')\n"
        "    b.write(a.read())\n"
        "    b.close()\n"
        "    a.close()\n"
        "    _lock.release()\n"
    )
    expected = (
        "import threading\n\n_lock = threading.Lock()\n\n\n"
        "def copy(src, dst):\n"
        "    with _lock:\n"
        "        with open(src) as a:\n"
        "            with open(dst, 'w') as b:\n"
        "                b.write(a.read())\n"
    )
    path = tmp_path / "mod.py"
    path.write_text(source)
    result = fix(gclint, "mod.py")
    assert result.returncode == 0, result.stdout + result.stderr
    assert path.read_text() == expected
    assert "Fixed 3 diagnostics in 1 file" in result.stderr


def test_text_json_and_rules_show_fix_availability(tmp_path: Path, gclint: Runner) -> None:
    (tmp_path / "mod.py").write_text(SAMPLE)
    text = gclint("check", "--isolated", "mod.py")
    assert text.stdout.startswith("mod.py:2:9: GCL101 [*] file opened by 'open()'")
    data = gclint("check", "--isolated", "--format", "json", "mod.py")
    assert '"safety": "safe"' in data.stdout
    assert '"title": "Wrap in \'with\'"' in data.stdout
    rules = gclint("rules").stdout.splitlines()
    row = next(r for r in rules if r.startswith("GCL101"))
    assert " safe " in row
    assert "planned" not in row
    # every implemented rule's fix has a fixer (GCL302's was the last): only rules that are
    # themselves planned show a planned fix
    planned_fix = [r for r in rules if "(planned)" in r]
    assert all(re.search(r"\(planned\) +planned ", r) for r in planned_fix)
    unsafe = next(r for r in rules if r.startswith("GCL302"))
    assert " unsafe " in unsafe


def test_libcst_is_imported_only_for_files_with_fixes(tmp_path: Path) -> None:
    (tmp_path / "clean.py").write_text(
        "def f(p):\n    with open(p) as f:\n        return f.read()\n"
    )
    (tmp_path / "dirty.py").write_text(SAMPLE)
    probe = (
        "import sys\nfrom gclint.cli import main\n"
        "code = main(['check', '--fix', '--isolated', sys.argv[1]])\n"
        "print(code, 'libcst' in sys.modules)\n"
    )

    def run(name: str) -> str:
        return subprocess.run(
            [sys.executable, "-c", probe, name],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            check=False,
        ).stdout.splitlines()[-1]

    assert run("clean.py") == "0 False"
    assert run("dirty.py") == "0 True"


def _project(root: Path, count: int) -> dict[Path, tuple[str, str]]:
    files = {}
    for i in range(count):
        source = (
            f"import json\n\n\ndef load_{i}(path):\n    f = open(path)\n    data = json.load(f)\n"
            f"    f.close()\n    return data\n\n\ndef head_{i}(path):\n    g = open(path)\n"
            "    return g.readline()\n"
        )
        fixed = (
            f"import json\n\n\ndef load_{i}(path):\n    with open(path) as f:\n"
            "        data = json.load(f)\n    return data\n\n\n"
            f"def head_{i}(path):\n    with open(path) as g:\n        return g.readline()\n"
        )
        path = root / f"pkg{i % 5}" / f"mod{i}.py"
        path.parent.mkdir(exist_ok=True)
        path.write_text(source)
        files[path] = (source, fixed)
    return files


def test_two_concurrent_fix_runs_leave_every_file_whole(tmp_path: Path) -> None:
    files = _project(tmp_path, 50)
    argv = [str(BIN / "gclint"), "check", "--fix", "--isolated", "."]
    procs = [
        subprocess.Popen(argv, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        for _ in range(2)
    ]
    outputs = [proc.communicate(timeout=300) for proc in procs]
    for proc, (out, err) in zip(procs, outputs, strict=True):
        assert proc.returncode in (0, 2), (out, err)
        lines = out.decode().splitlines()
        # a run that lost the race for a file says so, and reports that file as it read it
        lost = {line.split(":")[0] for line in lines if " GCL003 " in line}
        for line in lines:
            assert line.split(":")[0] in lost, line
        for line in lines:
            if " GCL003 " in line:
                assert line.endswith(
                    "GCL003 not written: the file changed on disk since it was read"
                )
    for path, (source, fixed) in files.items():
        text = path.read_text()
        assert text in (source, fixed), path
        ast.parse(text)
    assert all(p.read_text() == f for p, (_, f) in files.items())
    leftovers = [
        p
        for p in tmp_path.rglob("*")
        if p.is_file() and p.suffix != ".py" and CACHE_DIR not in p.parts
    ]
    assert leftovers == []


def test_fix_is_a_no_op_on_a_clean_tree(tmp_path: Path, gclint: Runner) -> None:
    files = _project(tmp_path, 3)
    assert fix(gclint, ".").returncode == 0
    before = {p: p.read_bytes() for p in files}
    mtimes = {p: os.stat(p).st_mtime_ns for p in files}
    result = fix(gclint, ".")
    assert result.returncode == 0
    assert "Fixed" not in result.stderr
    assert {p: p.read_bytes() for p in files} == before
    assert {p: os.stat(p).st_mtime_ns for p in files} == mtimes


def test_sarif_with_fix_properties_is_schema_valid(tmp_path: Path, gclint: Runner) -> None:
    import json

    from jsonschema import Draft7Validator

    schema = json.loads(
        (Path(__file__).parent.parent / "data" / "sarif-schema-2.1.0.json").read_text()
    )
    (tmp_path / "mod.py").write_text(SAMPLE)
    result = gclint("check", "--isolated", "--format", "sarif", "mod.py")
    log = json.loads(result.stdout)
    Draft7Validator(schema).validate(log)
    (found,) = log["runs"][0]["results"]
    assert found["properties"] == {
        "fixAvailable": True,
        "fixSafety": "safe",
        "fixTitle": "Wrap in 'with'",
    }


def test_progress_is_shown_on_a_terminal_only(tmp_path: Path) -> None:
    import pty

    _project(tmp_path, 3)
    argv = [str(BIN / "gclint"), "check", "--fix", "--isolated", "."]
    quiet = subprocess.run(argv, cwd=tmp_path, capture_output=True, text=True, check=False)
    assert "fixing" not in quiet.stderr
    _project(tmp_path, 3)  # the originals again
    leader, follower = pty.openpty()
    try:
        proc = subprocess.run(
            argv, cwd=tmp_path, stdout=subprocess.PIPE, stderr=follower, check=False, timeout=120
        )
        os.close(follower)
        follower = -1
        seen = b""
        while True:
            try:
                chunk = os.read(leader, 4096)
            except OSError:  # EIO: the terminal's other side is closed
                break
            if not chunk:
                break
            seen += chunk
    finally:
        os.close(leader)
        if follower >= 0:
            os.close(follower)
    assert proc.returncode == 0
    assert b"\rgclint: fixing 3/3 files" in seen
    assert b"Fixed 6 diagnostics in 3 files" in seen


def _unsafe_example() -> tuple[str, str, str] | None:
    from gclint.diagnostics import FixSafety
    from gclint.rules import REGISTRY

    for rule in REGISTRY.implemented():
        if rule.fix_implemented and rule.fix_safety is FixSafety.UNSAFE:
            for example in rule.invalid:
                if example.fixed and example.path == "example.py":
                    return rule.code, example.source, example.fixed_source
    return None


def test_unsafe_fixes_only_with_unsafe_fixes(tmp_path: Path, gclint: Runner) -> None:
    found = _unsafe_example()
    if found is None:
        pytest.skip("no rule has an unsafe fixer yet")
    code, source, fixed = found
    path = tmp_path / "mod.py"
    path.write_text(source)
    marks = gclint("check", "--isolated", "--select", code, "mod.py")
    assert f" {code} " in marks.stdout
    assert "[*]" not in marks.stdout
    marked = gclint("check", "--isolated", "--select", code, "--unsafe-fixes", "mod.py")
    assert f" {code} [*] " in marked.stdout
    assert path.read_text() == source  # --unsafe-fixes alone writes nothing
    assert fix(gclint, "--select", code, "mod.py").returncode == 1
    assert path.read_text() == source
    assert fix(gclint, "--select", code, "--unsafe-fixes", "mod.py").returncode == 0
    assert path.read_text() == fixed
