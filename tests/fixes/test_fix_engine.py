"""The fix engine's guarantees, with real fixers and real (deliberately broken) ones: a fix is
kept only when it verifies; a fixer's bug is a skipped fix, not a crash; a second pass changes
nothing; and the fixers decline, with a reason, where the rewrite is not provably safe."""

from __future__ import annotations

import libcst as cst
import pytest
from libcst.metadata import MetadataWrapper

from gclint import Config
from gclint.diagnostics import Diagnostic, FixSafety
from gclint.fixes import load
from gclint.fixes.base import FIXERS, Fixer, FixSkipped
from gclint.fixes.imports import ensure_import
from gclint.fixes.with_block import rewrite
from gclint.fixing import fix_source

load()
SAMPLE = "def read(p):\n    f = open(p)\n    return f.read()\n"
FIXED = "def read(p):\n    with open(p) as f:\n        return f.read()\n"
TWO = SAMPLE + "\n\ndef head(p):\n    g = open(p)\n    return g.readline()\n"


def replace_fixer(monkeypatch: pytest.MonkeyPatch, code: str, apply: object) -> None:
    monkeypatch.setitem(FIXERS, code, Fixer(code, FixSafety.SAFE, "test fix", apply))  # type: ignore[arg-type]


def skipped(result: object) -> list[str]:
    return [s.reason for s in result.skipped]  # type: ignore[attr-defined]


def test_a_real_fix_is_applied() -> None:
    result = fix_source(SAMPLE, "m.py")
    assert result.text == FIXED
    assert [(a.code, a.line) for a in result.applied] == [("GCL101", 2)]
    assert result.diagnostics == []


def test_a_fix_that_adds_a_diagnostic_is_dropped(monkeypatch: pytest.MonkeyPatch) -> None:
    def apply(wrapper: MetadataWrapper, diag: Diagnostic, unsafe: bool) -> cst.Module:
        fixed = rewrite(wrapper, diag)
        extra = cst.parse_module(
            "import gc\n\n\ndef tidy(items):\n    for _ in items:\n        gc.collect()\n"
        )
        return fixed.with_changes(body=[*extra.body, *fixed.body])

    replace_fixer(monkeypatch, "GCL101", apply)
    result = fix_source(SAMPLE, "m.py")
    assert result.text == SAMPLE
    assert skipped(result) == ["fix skipped: the result would have a new GCL402 diagnostic"]


def test_a_fix_that_leaves_its_diagnostic_is_dropped(monkeypatch: pytest.MonkeyPatch) -> None:
    def apply(wrapper: MetadataWrapper, diag: Diagnostic, unsafe: bool) -> cst.Module:
        return cst.parse_module(wrapper.module.code + "# touched\n")

    replace_fixer(monkeypatch, "GCL101", apply)
    result = fix_source(SAMPLE, "m.py")
    assert result.text == SAMPLE
    assert skipped(result) == ["fix skipped: the result still has the GCL101 diagnostic"]


def test_a_fix_that_does_not_compile_is_dropped(monkeypatch: pytest.MonkeyPatch) -> None:
    # parses (ast.parse accepts it) but does not compile: only compile() finds the error
    def apply(wrapper: MetadataWrapper, diag: Diagnostic, unsafe: bool) -> cst.Module:
        return cst.parse_module("nonlocal x\n")

    replace_fixer(monkeypatch, "GCL101", apply)
    result = fix_source(SAMPLE, "m.py")
    assert result.text == SAMPLE
    assert skipped(result) == ["fix skipped: the result does not compile"]


def test_a_fixer_crash_is_a_skipped_fix(monkeypatch: pytest.MonkeyPatch) -> None:
    def apply(wrapper: MetadataWrapper, diag: Diagnostic, unsafe: bool) -> cst.Module:
        raise ValueError("boom")

    replace_fixer(monkeypatch, "GCL101", apply)
    result = fix_source(SAMPLE, "m.py")
    assert result.text == SAMPLE
    assert skipped(result) == [
        "fix skipped: internal error in the GCL101 fixer (ValueError: boom); please report"
    ]
    assert [d.code for d in result.diagnostics] == ["GCL101"]


def test_a_result_a_second_pass_changes_is_dropped(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[int] = []

    def apply(wrapper: MetadataWrapper, diag: Diagnostic, unsafe: bool) -> cst.Module:
        calls.append(diag.line)
        if len(calls) == 2:  # declines once, then fixes: not a stable outcome
            raise FixSkipped("not this time")
        return rewrite(wrapper, diag)

    replace_fixer(monkeypatch, "GCL101", apply)
    result = fix_source(TWO, "m.py")
    assert len(calls) == 3
    assert result.text == TWO
    assert result.applied == []
    assert set(skipped(result)) == {
        "fix skipped: a second pass changed the result again (not idempotent)"
    }
    assert len(result.skipped) == 2


SAME_TEXT = "".join(
    f"\n\ndef read{i}(p):\n    f = open(p)\n    return f.read()\n" for i in range(4)
)


def test_a_skipped_site_does_not_hide_sites_with_the_same_text(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # four 'f = open(p)' sites; the fixer declines the second: the others are still fixed (a
    # skip was once remembered by its code text, and hid every site with the same text)
    calls: list[int] = []

    def apply(wrapper: MetadataWrapper, diag: Diagnostic, unsafe: bool) -> cst.Module:
        calls.append(diag.line)
        if wrapper.module.code.splitlines()[diag.line - 2] == "def read1(p):":
            raise FixSkipped("not read1")
        return rewrite(wrapper, diag)

    replace_fixer(monkeypatch, "GCL101", apply)
    result = fix_source(SAME_TEXT, "m.py")
    assert [a.line for a in result.applied] == [4, 14, 19]
    assert [(s.diagnostic.line, s.reason) for s in result.skipped] == [
        (9, "fix skipped: not read1")
    ]
    assert result.text.count("with open(p) as f:") == 3
    # the declined site is tried once in each of the two passes, not again after every fix
    # elsewhere (its reason follows it as the lines around it move)
    assert calls.count(9) == 2
    assert fix_source(result.text, "m.py").text == result.text


def test_a_skipped_site_keeps_its_reason_when_a_later_fix_moves_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    calls: list[int] = []

    def apply(wrapper: MetadataWrapper, diag: Diagnostic, unsafe: bool) -> cst.Module:
        calls.append(diag.line)
        code = wrapper.module.code
        if code.splitlines()[diag.line - 2] == "def read1(p):":
            raise FixSkipped("not read1")
        fixed = rewrite(wrapper, diag)
        if "def read2(p):" not in code.splitlines()[diag.line - 2]:
            return fixed
        return cst.parse_module("import os\n" + fixed.code)  # as a fix adding an import does

    replace_fixer(monkeypatch, "GCL101", apply)
    result = fix_source(SAME_TEXT, "m.py", Config(select=("GCL101",)))
    assert [(s.diagnostic.line, s.reason) for s in result.skipped] == [
        (10, "fix skipped: not read1")
    ]
    assert calls.count(9) == 1  # first pass, before the fix above it moved it down
    assert calls.count(10) == 1  # second pass, on the fixed text


def test_several_fixes_are_applied_one_at_a_time() -> None:
    result = fix_source(TWO, "m.py")
    assert (
        result.text
        == FIXED + "\n\ndef head(p):\n    with open(p) as g:\n        return g.readline()\n"
    )
    assert [(a.code, a.line) for a in result.applied] == [("GCL101", 2), ("GCL101", 7)]


def test_noqa_is_honoured_and_can_be_disabled() -> None:
    source = SAMPLE.replace("open(p)", "open(p)  # noqa: GCL101")
    assert fix_source(source, "m.py").text == source
    forced = fix_source(source, "m.py", noqa=False)
    assert forced.text == FIXED.replace("open(p) as f:", "open(p) as f:  # noqa: GCL101")


def test_only_selected_codes_are_fixed() -> None:
    assert fix_source(SAMPLE, "m.py", Config(select=("GCL4",))).text == SAMPLE


def test_a_file_with_mixed_newlines_is_not_rewritten() -> None:
    source = "def read(p):\r    f = open(p)\n    return f.read()\n"
    result = fix_source(source, "m.py")
    assert result.text == source
    assert skipped(result) == ["fix skipped: the file mixes CR and LF newlines"]


def test_a_fix_the_encoding_cannot_hold_is_dropped(monkeypatch: pytest.MonkeyPatch) -> None:
    def apply(wrapper: MetadataWrapper, diag: Diagnostic, unsafe: bool) -> cst.Module:
        fixed = rewrite(wrapper, diag)
        return cst.parse_module(fixed.code + "# \u20ac\n")

    replace_fixer(monkeypatch, "GCL101", apply)
    result = fix_source(SAMPLE, "m.py", encoding="latin-1")
    assert result.text == SAMPLE
    assert skipped(result) == ["fix skipped: the result cannot be encoded as latin-1"]


# -- where the fixers decline, and why ----------------------------------------------------------

DECLINED = {
    "a value made from the resource outlives the block": (
        "import csv\n\n\ndef rows(p):\n    f = open(p)\n    reader = csv.reader(f)\n"
        "    header = next(reader)\n    print(header)\n    return list(reader)\n",
        "'reader', made from 'f', is used after the 'with' block (line 7)",
    ),
    "acquired in a branch, used after it": (
        "def read(p, flag):\n    if flag:\n        f = open(p)\n    data = f.read()\n"
        "    f.close()\n    return data\n",
        "'f' is not used after it is acquired in its block",
    ),
    "a factory function of unknown kind": (
        "import tempfile\n\n\ndef make():\n    return tempfile.TemporaryDirectory()\n\n\n"
        "def run():\n    d = make()\n    print(d.name)\n",
        "'with make(...)' is not known to close what it returns",
    ),
    "a lock released on only some paths": (
        "import threading\n\n_lock = threading.Lock()\n\n\ndef get(d, k):\n"
        "    _lock.acquire()\n    if k not in d:\n        return None\n    v = d[k]\n"
        "    _lock.release()\n    return v\n",
        "a 'return' between acquire() and release() leaves the lock held",
    ),
    "an acquire that can fail": (
        "import threading\n\n_lock = threading.Lock()\n\n\ndef get(d, k):\n"
        "    _lock.acquire(timeout=1)\n    v = d[k]\n    _lock.release()\n    return v\n",
        "acquire() has arguments",
    ),
    "a file descriptor kept after the block (found on the corpus: twisted)": (
        "import socket\n\n\nclass Send:\n    def __init__(self, fd):\n        self.fd = fd\n\n\n"
        "def make():\n    cargo = socket.socket()\n    server = Send(cargo.fileno())\n"
        "    return server\n",
        "'server', made from 'cargo', is used after the 'with' block (line 12)",
    ),
    "a connection used after its with block": (
        "import sqlite3\n\n\ndef count(path):\n    with sqlite3.connect(path) as conn:\n"
        "        conn.execute('create table if not exists t(x)')\n"
        "    return conn.execute('select count(*) from t').fetchone()\n",
        "'conn' is used outside the 'with' block (line 7)",
    ),
    "a connection made elsewhere": (
        "import sqlite3\n\n\ndef add(path, rows):\n    conn = sqlite3.connect(path)\n"
        "    conn.execute('create table if not exists t(x)')\n    with conn:\n"
        "        conn.executemany('insert into t values (?)', rows)\n",
        "'conn' is not made by the statement just before the 'with'",
    ),
    "'contextlib' is a local name": (
        "import sqlite3\n\n\ndef add(path, contextlib):\n    with sqlite3.connect(path) as conn:\n"
        "        conn.execute('create table if not exists t(x)')\n",
        "'contextlib' names something else in this module",
    ),
}


@pytest.mark.parametrize("case", sorted(DECLINED))
def test_fixers_decline_with_a_reason(case: str) -> None:
    source, reason = DECLINED[case]
    result = fix_source(source, "m.py")
    assert result.text == source
    assert len(result.skipped) == 1, result.skipped
    assert result.skipped[0].reason.startswith("fix skipped: " + reason), result.skipped


def test_comments_in_the_moved_statements_are_kept() -> None:
    source = (
        "def copy(src, dst):\n"
        "    # open both\n"
        "    a = open(src)  # source\n"
        "    # the copy itself\n"
        "    data = a.read()\n"
        "\n"
        "    a.close()  # done\n"
        "    # now write\n"
        "    return data\n"
    )
    assert fix_source(source, "m.py").text == (
        "def copy(src, dst):\n"
        "    # open both\n"
        "    with open(src) as a:  # source\n"
        "        # the copy itself\n"
        "        data = a.read()\n"
        "\n"
        "    # done\n"
        "    # now write\n"
        "    return data\n"
    )


def test_a_connection_in_a_multi_item_with_and_from_import_closing() -> None:
    source = (
        "import sqlite3\nfrom contextlib import closing\n\n\n"
        "def copy(path, out):\n"
        "    with sqlite3.connect(path) as conn, closing(open(out, 'w')) as fh:\n"
        "        fh.write(str(conn.execute('select 1').fetchone()))\n"
    )
    assert fix_source(source, "m.py").text == (
        "import sqlite3\nfrom contextlib import closing\n\n\n"
        "def copy(path, out):\n"
        "    with closing(sqlite3.connect(path)) as conn, conn, closing(open(out, 'w')) as fh:\n"
        "        fh.write(str(conn.execute('select 1').fetchone()))\n"
    )


def test_an_awaited_lock_becomes_async_with() -> None:
    source = (
        "import asyncio\n\n\nasync def bump(state):\n    lock = asyncio.Lock()\n"
        "    await lock.acquire()\n    state['n'] += 1\n    lock.release()\n"
    )
    result = fix_source(source, "m.py")
    assert result.text == (
        "import asyncio\n\n\nasync def bump(state):\n    lock = asyncio.Lock()\n"
        "    async with lock:\n        state['n'] += 1\n"
    ), (result.skipped, result.diagnostics)


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("import os\nimport sys\n", "import contextlib\nimport os\nimport sys\n"),
        ("import sys\nimport os\n", "import sys\nimport os\nimport contextlib\n"),
        ('"""Doc."""\n\nx = 1\n', '"""Doc."""\n\nimport contextlib\n\nx = 1\n'),
        ("def f():\n    pass\n", "import contextlib\n\n\ndef f():\n    pass\n"),
        (
            "from __future__ import annotations\n\nimport os\n",
            "from __future__ import annotations\n\nimport contextlib\nimport os\n",
        ),
        ("import contextlib\nx = 1\n", "import contextlib\nx = 1\n"),
        ("from os import path\n\nx = 1\n", "from os import path\nimport contextlib\n\nx = 1\n"),
    ],
)
def test_ensure_import_follows_the_file_style(source: str, expected: str) -> None:
    assert ensure_import(cst.parse_module(source), "contextlib").code == expected


@pytest.mark.parametrize(
    "source",
    ["contextlib = None\n", "import weakref as contextlib\n", "def f():\n    import contextlib\n"],
)
def test_ensure_import_declines_a_name_in_other_use(source: str) -> None:
    with pytest.raises(FixSkipped):
        ensure_import(cst.parse_module(source), "contextlib")
