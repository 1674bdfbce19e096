"""The `gclint` command as users run it: real subprocesses on real files."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from conftest import BIN, ROOT, Runner

from gclint.registry import Status
from gclint.rules import REGISTRY

BAD = """\
import gc


def build_index(rows):
    gc.disable()
    index = {row["id"]: row for row in rows}
    gc.enable()
    return index


def process(batches):
    for batch in batches:
        gc.collect()
"""
GOOD = """\
import gc


def build_index(rows):
    gc.disable()
    try:
        return {row["id"]: row for row in rows}
    finally:
        gc.enable()
"""


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / ".git").mkdir()  # a repository root: config search stops here
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "bad.py").write_text(BAD)
    (tmp_path / "pkg" / "good.py").write_text(GOOD)
    return tmp_path


def test_findings_text_and_exit_1(project: Path, gclint: Runner) -> None:
    result = gclint("check", "pkg")
    assert result.returncode == 1
    assert result.stdout.splitlines() == [
        "pkg/bad.py:5:5: GCL401 [*] 'gc.disable()' is undone by 'gc.enable()' at line 7 only on "
        "the normal path: if a statement in between raises, the garbage collector stays disabled; "
        "restore it in 'finally:'",
        "pkg/bad.py:13:9: GCL402 'gc.collect()' inside a loop runs a full collection of the whole "
        "heap on every iteration; collect once after the loop, or let the collector's thresholds "
        "decide",
    ]
    assert "2 findings (2 files checked)" in result.stderr


def test_plain_invocation_means_check(project: Path, gclint: Runner) -> None:
    assert gclint("pkg").stdout == gclint("check", "pkg").stdout
    assert gclint("pkg/good.py").returncode == 0


def test_clean_exit_0_and_quiet(project: Path, gclint: Runner) -> None:
    result = gclint("check", "-q", "pkg/good.py")
    assert (result.returncode, result.stdout, result.stderr) == (0, "", "")


def test_exit_zero(project: Path, gclint: Runner) -> None:
    result = gclint("check", "--exit-zero", "pkg")
    assert result.returncode == 0
    assert "GCL401" in result.stdout


@pytest.mark.parametrize(
    ("args", "codes"),
    [
        (["--select", "GCL402"], {"GCL402"}),
        (["--ignore", "GCL402"], {"GCL401"}),
        (["--extend-ignore", "GCL4"], set()),
        (["--ignore", "GCL4", "--extend-select", "GCL401"], {"GCL401"}),
        (["--per-file-ignores", "pkg/bad.py:GCL401"], {"GCL402"}),
        (["--per-file-ignores", "bad.py:GCL4"], set()),
    ],
)
def test_selection_options(project: Path, gclint: Runner, args: list[str], codes: set[str]) -> None:
    result = gclint("check", *args, "pkg")
    assert set(re.findall(r"GCL\d{3}", result.stdout)) == codes
    assert result.returncode == (1 if codes else 0)


def test_pyproject_config_and_cli_override(project: Path, gclint: Runner) -> None:
    (project / "pyproject.toml").write_text('[tool.gclint]\nignore = ["GCL401"]\n')
    assert set(re.findall(r"GCL\d{3}", gclint("pkg").stdout)) == {"GCL402"}
    assert set(re.findall(r"GCL\d{3}", gclint("--ignore", "", "pkg").stdout)) == {
        "GCL401",
        "GCL402",
    }
    assert gclint("--isolated", "pkg").stdout.count("GCL401") == 1


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ('[tool.gclint]\nselcet = ["GCL4"]\n', "unknown key 'selcet'"),
        ('[tool.gclint]\nselect = ["GCL999"]\n', "unknown rule code or prefix 'GCL999'"),
        ("[tool.gclint\n", "cannot read configuration"),
    ],
)
def test_bad_config_exit_2_one_line(
    project: Path, gclint: Runner, content: str, message: str
) -> None:
    (project / "pyproject.toml").write_text(content)
    result = gclint("pkg")
    assert result.returncode == 2
    assert result.stdout == ""
    assert message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize(
    "args",
    [["--select", "GCL999", "."], ["--ignore", "XYZ1", "."], ["--format", "xml", "."], ["-j", "x"]],
)
def test_bad_options_exit_2(project: Path, gclint: Runner, args: list[str]) -> None:
    result = gclint(*args)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_unreadable_inputs_exit_2_and_others_still_checked(project: Path, gclint: Runner) -> None:
    (project / "pkg" / "broken.py").write_text("def f(:\n")
    (project / "pkg" / "py2.py").write_text('print "hello"\n')
    (project / "pkg" / "latin.py").write_bytes(b"x = '\xe9'\n")
    result = gclint("check", "pkg", "missing.py")
    assert result.returncode == 2
    lines = result.stdout.splitlines()
    assert "missing.py:1:1: GCL002 cannot read: no such file or directory" in lines
    assert any(line.startswith("pkg/broken.py:1:") and "GCL001" in line for line in lines)
    assert any(
        "pkg/py2.py:1:" in line and "Python 2 source is not supported" in line for line in lines
    )
    assert any(line.startswith("pkg/latin.py:1:1: GCL002 cannot decode") for line in lines)
    assert any("GCL401" in line for line in lines)  # the good files were still checked
    assert "Traceback" not in result.stderr


def test_stdin(project: Path, gclint: Runner) -> None:
    result = gclint("check", "-", "--stdin-filename", "pkg/from_stdin.py", stdin=BAD.encode())
    assert result.returncode == 1
    assert result.stdout.startswith("pkg/from_stdin.py:5:5: GCL401 ")
    anonymous = gclint("-", stdin=BAD.encode())
    assert anonymous.stdout.startswith("<stdin>:5:5: GCL401 ")


def test_show_source_and_statistics(project: Path, gclint: Runner) -> None:
    result = gclint("check", "--show-source", "--statistics", "pkg/bad.py")
    lines = result.stdout.splitlines()
    assert lines[1:3] == ["    gc.disable()", "    ^"]
    assert lines[-2:] == [
        "1      GCL401  gc-disabled-without-restore",
        "1      GCL402  gc-collect-in-loop",
    ]


def test_json_format(project: Path, gclint: Runner) -> None:
    result = gclint("check", "--format", "json", "pkg")
    data = json.loads(result.stdout)
    assert result.returncode == 1
    first = data[0]
    assert first == {
        "code": "GCL401",
        "name": "gc-disabled-without-restore",
        "path": "pkg/bad.py",
        "line": 5,
        "column": 5,
        "end_line": 5,
        "end_column": 17,
        "message": first["message"],
        "fix": {
            "available": True,
            "safety": "safe",
            "title": "Wrap the code after the disable in try/finally",
            "applicable": True,
        },
        "error": False,
    }
    assert result.stderr == ""


def test_github_format(project: Path, gclint: Runner) -> None:
    result = gclint("check", "--format", "github", "pkg/bad.py")
    first = result.stdout.splitlines()[0]
    assert first.startswith(
        "::warning file=pkg/bad.py,line=5,col=5,endLine=5,endColumn=17,"
        "title=GCL401 gc-disabled-without-restore::GCL401 'gc.disable()'"
    )


def test_default_excludes(project: Path, gclint: Runner) -> None:
    for name in (".venv", "venv", "build", "dist", "__pycache__", ".tox", "node_modules"):
        (project / name).mkdir()
        (project / name / "bad.py").write_text(BAD)
    result = gclint("check", ".")
    paths = {line.split(":")[0] for line in result.stdout.splitlines()}
    assert paths == {"pkg/bad.py"}
    extra = gclint("check", "--extend-exclude", "pkg", ".")
    assert extra.returncode == 0


def test_explicit_file_and_force_exclude(project: Path, gclint: Runner) -> None:
    (project / "build").mkdir()
    (project / "build" / "gen.py").write_text(BAD)
    assert gclint("build/gen.py").returncode == 1
    assert gclint("--force-exclude", "build/gen.py").returncode == 0


def test_symlink_loop_terminates(project: Path, gclint: Runner) -> None:
    (project / "pkg" / "loop").symlink_to(project / "pkg", target_is_directory=True)
    result = gclint("check", "pkg")
    assert result.returncode == 1
    assert result.stdout.count("GCL401") == 1


def test_each_file_is_checked_once(project: Path, gclint: Runner) -> None:
    """Overlapping paths, a path spelt another way, a link to a file and a linked directory:
    one report per real file (the first path it was met at)."""
    (project / "pkg" / "alias.py").symlink_to(project / "pkg" / "bad.py")
    (project / "other").symlink_to(project / "pkg", target_is_directory=True)
    result = gclint("check", "pkg", "pkg/bad.py", "./pkg/bad.py", "other/bad.py", "pkg/../pkg")
    assert result.returncode == 1
    assert result.stdout.count("GCL401") == 1, result.stdout
    assert result.stdout.startswith("pkg/alias.py:")  # sorted before bad.py in pkg/
    alone = gclint("check", "pkg/bad.py", "pkg/alias.py")
    assert alone.stdout.count("GCL401") == 1
    assert alone.stdout.startswith("pkg/bad.py:")


def test_version(gclint: Runner) -> None:
    from gclint import __version__

    assert gclint("--version").stdout.strip() == f"gclint {__version__}"


def _catalogue_codes() -> set[str]:
    spec = ROOT.parent / "shared" / "design" / "rules.md"
    if not spec.exists():
        pytest.skip("the design catalogue (../shared/design/rules.md) is not beside the repo")
    return set(re.findall(r"^\| (GCL[1-9]\d\d) \|", spec.read_text(), re.M))


def test_rules_lists_the_whole_catalogue(gclint: Runner) -> None:
    result = gclint("rules")
    listed = set(re.findall(r"^(GCL\d{3}) ", result.stdout, re.M))
    assert _catalogue_codes() <= listed
    assert listed == {r.code for r in REGISTRY}
    assert re.search(r"^GCL401  gc-disabled-without-restore .*implemented", result.stdout, re.M)
    implemented = set(re.findall(r"^(GCL\d{3}) .* implemented ", result.stdout, re.M))
    planned = set(re.findall(r"^(GCL\d{3}) .* planned ", result.stdout, re.M))
    # every catalogue entry is run, or listed as planned (specified, analysis not built yet)
    assert implemented | planned == _catalogue_codes()
    assert not implemented & planned
    assert planned == {r.code for r in REGISTRY if r.status is Status.PLANNED}
    rows = json.loads(gclint("rules", "--format", "json").stdout)
    assert {row["code"] for row in rows} == listed


def test_rule_docs(gclint: Runner) -> None:
    result = gclint("rule", "GCL401")
    assert result.returncode == 0
    assert result.stdout == (ROOT / "docs" / "rules" / "GCL401.md").read_text()
    by_name = gclint("rule", "gc-collect-in-loop")
    assert by_name.stdout.startswith("# GCL402 gc-collect-in-loop")
    missing = gclint("rule", "GCL999")
    assert missing.returncode == 2


def test_planned_rules_are_listed_but_never_run() -> None:
    """A catalogue entry not implemented yet is documented and listed, and never run."""
    from gclint import Config, check_source
    from gclint.diagnostics import FixSafety
    from gclint.docs import render_rule
    from gclint.registry import planned

    rule = planned(
        "GCL999",
        "test-only-planned-rule",
        "a planned rule used by this test",
        FixSafety.NONE,
        why="test",
        reference="https://docs.python.org/3/",
    )
    try:
        assert "Status: **planned**" in render_rule(rule)
        assert check_source("x = 1\n", "x.py", Config(select=("GCL999",))) == []
    finally:
        del REGISTRY.rules["GCL999"]


ENTRY_WITH = """\
import sys
{inject}
from gclint.entry import main
raise SystemExit(main())
"""


@pytest.mark.parametrize(
    "inject",
    [
        "sys.modules['gclint.rules'] = None  # start-up: the rules cannot be imported",
        "import gclint.runner\ngclint.runner.check_paths = lambda *a, **k: [][1]",
        "import gclint.reporters\ngclint.reporters.REPORTERS['text'] = lambda *a: 1 / 0",
    ],
    ids=["start-up", "runner", "reporter"],
)
def test_an_unexpected_exception_is_one_line_and_exit_2(tmp_path: Path, inject: str) -> None:
    import subprocess
    import sys

    (tmp_path / "leaky.py").write_text("def f(p):\n    fh = open(p)\n    return fh.read()\n")
    result = subprocess.run(
        [sys.executable, "-c", ENTRY_WITH.format(inject=inject), "check", "--no-cache", "."],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert result.stderr.splitlines()[-1].startswith("gclint: GCL000 internal error in gclint (")
    assert len([line for line in result.stderr.splitlines() if "GCL000" in line]) == 1


def test_the_installed_command_and_python_m_use_the_guarded_entry(gclint: Runner) -> None:
    import subprocess
    import sys

    script = (BIN / "gclint").read_text()
    assert "gclint.entry" in script
    result = subprocess.run(
        [sys.executable, "-m", "gclint", "--version"], capture_output=True, text=True, check=False
    )
    assert result.stdout.strip() == gclint("--version").stdout.strip()
