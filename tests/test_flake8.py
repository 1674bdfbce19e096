"""The flake8 plugin, driven through the real flake8 command."""

from __future__ import annotations

import ast
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
