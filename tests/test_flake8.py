"""The flake8 plugin, driven through the real flake8 command."""

from __future__ import annotations

import ast
import os
from pathlib import Path
from typing import Any

import pytest
from conftest import Runner

from gclint.flake8_plugin import Flake8Plugin

SOURCE = """\
import gc
from sys import getrefcount


def build_index(rows):
    gc.disable()
    index = {row["id"]: row for row in rows}
    gc.enable()
    return index


def process(batches):
    for batch in batches:
        gc.collect()


def shared(obj):
    return getrefcount(obj) > 2


def debug():
    gc.set_debug(gc.DEBUG_LEAK)  # noqa: GCL404
"""


def test_version_lists_gclint(flake8: Runner) -> None:
    from gclint import __version__

    result = flake8("--version")
    assert f"gclint: {__version__}" in result.stdout


def test_reports_exact_lines(tmp_path: Path, flake8: Runner) -> None:
    (tmp_path / "example.py").write_text(SOURCE)
    result = flake8("--select", "GCL", "example.py")
    assert result.returncode == 1
    assert result.stdout.splitlines() == [
        "example.py:6:5: GCL401 'gc.disable()' is undone by 'gc.enable()' at line 8 only on the "
        "normal path: if a statement in between raises, the garbage collector stays disabled; "
        "restore it in 'finally:'",
        "example.py:14:9: GCL402 'gc.collect()' inside a loop runs a full collection of the "
        "whole heap on every iteration; collect once after the loop, or let the collector's "
        "thresholds decide",
        "example.py:18:12: GCL403 'sys.getrefcount()' used in a comparison: reference counts "
        "differ between Python versions (immortal objects since 3.12) and implementations; use "
        "weakref or gc.get_referrers",
    ]


def test_flake8_selection_and_per_file_ignores(tmp_path: Path, flake8: Runner) -> None:
    (tmp_path / "example.py").write_text(SOURCE)
    only = flake8("--select", "GCL402", "example.py")
    assert [line.split()[1] for line in only.stdout.splitlines()] == ["GCL402"]
    (tmp_path / "setup.cfg").write_text(
        "[flake8]\nselect = GCL\nper-file-ignores =\n    example.py: GCL401,GCL403\n"
    )
    configured = flake8("example.py")
    assert [line.split()[1] for line in configured.stdout.splitlines()] == ["GCL402"]


def test_enabled_by_default_beside_pyflakes(tmp_path: Path, flake8: Runner) -> None:
    (tmp_path / "example.py").write_text(SOURCE + "import os\n")
    result = flake8("example.py")
    codes = {line.split()[1] for line in result.stdout.splitlines()}
    assert {"GCL401", "GCL402", "GCL403", "F401"} <= codes
    assert "GCL404" not in codes  # flake8's own noqa handling


RESOURCES = """\
import subprocess

import mypkg.db


def count(path):
    conn = mypkg.db.connect(path)
    return conn.query("select 1")


def start(cmd):
    proc = subprocess.Popen(cmd, start_new_session=True)
    return proc.pid
"""


def test_options_from_flake8_config(tmp_path: Path, flake8: Runner) -> None:
    (tmp_path / "example.py").write_text(RESOURCES)
    plain = flake8("--select", "GCL", "example.py")
    assert [line.split()[1] for line in plain.stdout.splitlines()] == ["GCL108"]
    (tmp_path / "tox.ini").write_text(
        "[flake8]\ngclint-extra-resource-factories = mypkg.db.connect, mypkg.open_thing\n"
        "gclint-allow-detached-processes = true\n"
    )
    configured = flake8("--select", "GCL", "example.py")
    assert configured.returncode == 1, configured.stderr
    assert [line.split()[1] for line in configured.stdout.splitlines()] == ["GCL101"]


def test_plugin_uses_the_given_tree_without_parsing(monkeypatch: pytest.MonkeyPatch) -> None:
    """The plugin consumes flake8's tree: it must never call ast.parse itself."""
    tree = ast.parse(SOURCE)
    calls: list[object] = []
    original = ast.parse

    def counting_parse(*args: Any, **kwargs: Any) -> Any:
        calls.append(args)
        return original(*args, **kwargs)

    monkeypatch.setattr(ast, "parse", counting_parse)
    found = list(Flake8Plugin(tree, "example.py").run())
    assert calls == []
    assert [(line, col) for line, col, _msg, _type in found][:2] == [(6, 4), (14, 8)]


# -- the same configuration as the CLI ------------------------------------------------------------

PARITY_FILES = {
    "app/db.py": RESOURCES,
    "app/gcuse.py": SOURCE,
    "tests/test_gc.py": SOURCE,
    "generated/out.py": SOURCE,
}

PYPROJECT = """\
[tool.gclint]
extend-ignore = ["GCL403"]
per-file-ignores = { "tests/*" = ["GCL4"] }
extra-resource-factories = ["mypkg.db.connect"]
allow-detached-processes = true
extend-exclude = ["generated"]
"""


def _project(root: Path, pyproject: str | None) -> None:
    import shutil

    shutil.copytree(Path(__file__).resolve().parent.parent / "fixtures" / "demo", root / "demo")
    for name, text in PARITY_FILES.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    if pyproject is not None:
        (root / "pyproject.toml").write_text(pyproject)


def _cli_findings(gclint: Runner, root: Path) -> set[tuple[str, int, int, str]]:
    import json
    import os

    result = gclint("check", "--format", "json", "--no-cache", ".", cwd=root)
    assert result.returncode in (0, 1), result.stderr
    return {
        (os.path.normpath(d["path"]), d["line"], d["column"], f"{d['code']} {d['message']}")
        for d in json.loads(result.stdout)
    }


def _flake8_findings(flake8: Runner, root: Path, *args: str) -> set[tuple[str, int, int, str]]:
    import os

    result = flake8(
        "--select",
        "GCL",
        "--format",
        "%(path)s|%(row)d|%(col)d|%(code)s %(text)s",
        *args,
        ".",
        cwd=root,
    )
    assert result.returncode in (0, 1), result.stdout + result.stderr
    found = set()
    for line in result.stdout.splitlines():
        path, row, col, text = line.split("|", 3)
        found.add((os.path.normpath(path), int(row), int(col), text))
    return found


@pytest.mark.parametrize("pyproject", [None, PYPROJECT], ids=["defaults", "tool.gclint"])
def test_flake8_and_the_cli_report_the_same(
    tmp_path: Path, gclint: Runner, flake8: Runner, pyproject: str | None
) -> None:
    _project(tmp_path, pyproject)
    cli = _cli_findings(gclint, tmp_path)
    assert _flake8_findings(flake8, tmp_path) == cli
    assert len(cli) > 10
    codes = {(path.split(os.sep)[0], text.split()[0]) for path, _, _, text in cli}
    if pyproject is None:
        assert ("app", "GCL108") in codes
        assert ("app", "GCL403") in codes
        assert ("tests", "GCL401") in codes
        assert ("generated", "GCL401") in codes
        assert ("app", "GCL101") not in codes  # mypkg.db.connect is not known
    else:
        assert ("app", "GCL108") not in codes  # allow-detached-processes
        assert ("app", "GCL101") in codes  # extra-resource-factories
        assert not any(code == "GCL403" for _, code in codes)  # extend-ignore
        assert not any(top == "tests" for top, _ in codes)  # per-file-ignores
        assert not any(top == "generated" for top, _ in codes)  # extend-exclude


def test_flake8_options_override_tool_gclint(tmp_path: Path, flake8: Runner) -> None:
    _project(tmp_path, PYPROJECT)
    (tmp_path / "setup.cfg").write_text("[flake8]\ngclint-allow-detached-processes = false\n")
    codes = {
        text.split()[0]
        for path, _, _, text in _flake8_findings(flake8, tmp_path)
        if path.startswith("app")
    }
    assert "GCL108" in codes
    assert "GCL101" in codes  # the rest of [tool.gclint] still applies


@pytest.mark.parametrize(
    ("setting", "error"),
    [
        ("gclint-extra-resource-factorys = a.b", "unknown option 'gclint-extra-resource-factorys'"),
        ("gclint-allow-detached-processes = maybe", "must be true or false, not 'maybe'"),
    ],
)
def test_a_bad_gclint_option_in_flake8_config_is_one_clear_error(
    tmp_path: Path, flake8: Runner, setting: str, error: str
) -> None:
    (tmp_path / "example.py").write_text(SOURCE)
    (tmp_path / "tox.ini").write_text(f"[flake8]\n{setting}\n")
    result = flake8("--select", "GCL", "example.py")
    assert result.returncode != 0
    assert error in result.stdout + result.stderr
    assert "Traceback" not in result.stdout + result.stderr


def test_a_bad_tool_gclint_table_is_one_clear_error(tmp_path: Path, flake8: Runner) -> None:
    (tmp_path / "example.py").write_text(SOURCE)
    (tmp_path / "pyproject.toml").write_text('[tool.gclint]\nselekt = ["GCL4"]\n')
    result = flake8("--select", "GCL", "example.py")
    assert result.returncode != 0
    assert "unknown key 'selekt' in [tool.gclint]" in result.stdout
    assert "Traceback" not in result.stdout + result.stderr


# -- a guest never takes flake8 down ------------------------------------------------------------

FLAKE8_WITH = """\
import sys
{inject}
from flake8.main.cli import main
raise SystemExit(main(sys.argv[1:]))
"""


@pytest.mark.parametrize(
    "inject",
    [
        "sys.modules['gclint.engine'] = None  # gclint's engine cannot be imported",
        "import gclint.engine\ngclint.engine.check_tree = lambda *a, **k: 1 / 0",
        "import gclint.config\ngclint.config.resolve_config = lambda *a, **k: [][1]",
    ],
    ids=["import", "check", "configure"],
)
def test_a_failure_inside_gclint_is_one_gcl000_and_flake8_goes_on(
    tmp_path: Path, inject: str
) -> None:
    import subprocess
    import sys

    (tmp_path / "example.py").write_text(SOURCE + "import os\n")
    result = subprocess.run(
        [sys.executable, "-c", FLAKE8_WITH.format(inject=inject), "-j", "1", "example.py"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 1, result.stderr
    lines = result.stdout.splitlines()
    assert "example.py:23:1: F401 'os' imported but unused" in lines  # pyflakes still ran
    gcl = [line for line in lines if " GCL" in line]
    assert len(gcl) == 1
    assert gcl[0].startswith("example.py:1:1: GCL000 internal error in gclint (")
    assert "Traceback" not in result.stdout + result.stderr
