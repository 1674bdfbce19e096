"""`# noqa` handling: checked against the real flake8 on the same file."""

from __future__ import annotations

import re
from pathlib import Path

from conftest import Runner

from gclint import check_source

NOQA_CASES = '''\
import gc


def f1(rows):
    gc.disable()
    x = [r["id"] for r in rows]
    gc.enable()
    return x


def f2(rows):
    gc.disable()  # noqa
    x = [r["id"] for r in rows]
    gc.enable()
    return x


def f3(rows):
    gc.disable()  # noqa: GCL401
    gc.enable()


def f4(rows):
    gc.disable()  # NOQA:GCL401,GCL402
    gc.enable()


def f5(rows):
    gc.disable()  # noqa: GCL4
    gc.enable()


def f6(rows):
    gc.disable()  # noqa: GCL402
    gc.enable()


def f7(rows):
    gc.disable()  # noqa:E501
    gc.enable()


def f8(rows):
    gc.disable()  # noqa : GCL401
    gc.enable()


def f9(rows):
    gc.disable()  # noqa: GCL401 explained in the docs
    gc.enable()


def f10(rows):
    gc.disable()  # some comment # noqa: gcl401
    gc.enable()


def f11(items):
    for item in items:
        gc.collect(); """multi
        line string"""  # noqa: GCL402


def f12(items):
    for item in items:
        gc.collect(
        )  # noqa: GCL402
'''


def _flake8_lines(out: str) -> set[int]:
    return {int(m.group(1)) for m in re.finditer(r"^[^:]+:(\d+):\d+: GCL", out, re.M)}


def test_noqa_matches_flake8(tmp_path: Path, flake8: Runner) -> None:
    path = tmp_path / "cases.py"
    path.write_text(NOQA_CASES, encoding="utf-8")
    result = flake8("--select", "GCL", "cases.py")
    assert result.returncode in (0, 1), result.stderr
    expected = _flake8_lines(result.stdout)
    ours = {d.line for d in check_source(NOQA_CASES, "cases.py")}
    assert ours == expected
    # the cases exercise both outcomes; which function each diagnostic falls in:
    owners = {_owner(NOQA_CASES, line) for line in ours}
    # f8: "noqa : X" is a blanket noqa to flake8; f10: codes are compared case-sensitively;
    # f12: a noqa after a multi-line call covers its last line only
    assert owners == {"f1", "f6", "f7", "f10", "f12"}


def _owner(source: str, line: int) -> str:
    for number in range(line, 0, -1):
        match = re.match(r"def (\w+)", source.splitlines()[number - 1])
        if match:
            return match.group(1)
    raise AssertionError(line)


def test_file_level_noqa_skips_file() -> None:
    source = "# flake8: noqa\nimport gc\ndef f():\n    gc.disable()\n    work()\n    gc.enable()\n"
    assert check_source(source, "x.py") == []


def test_noqa_never_hides_errors() -> None:
    found = check_source("def f(:  # noqa\n", "x.py")
    assert [d.code for d in found] == ["GCL001"]


TRICKY = (
    "import gc\n"
    "a = 1; b = (2,\n"
    "    3)  # noqa\n"
    "if (a and\n"
    "        b): gc.collect()  # noqa\n"
    "@decorator(  # noqa\n"
    "    1)\n"
    "def f():\n"
    '    s = """\n'
    "    text\n"
    '    """  # noqa\n'
    "    t = 1 + \\\n"
    "        2  # noqa\n"
    "\x0c\n"
    "    return s, t\n"
    "try:\n"
    "    pass\n"
    "except (ValueError,  # noqa\n"
    "        TypeError):\n"
    "    pass\n"
    "else:  # noqa\n"
    "    pass\n"
    "x = [1,\n"
    "     2]\n"
    "class C(  # noqa\n"
    "        object):\n"
    "    y = 1\n"
)


def _sources() -> list[tuple[str, str]]:
    import sysconfig

    stdlib = Path(sysconfig.get_paths()["stdlib"])
    found = [("tricky", TRICKY), ("tricky-crlf", TRICKY.replace("\n", "\r\n"))]
    for path in sorted(stdlib.rglob("*.py")):
        if len(found) > 60:
            break
        try:
            text = path.read_text(encoding="utf-8")
        except (UnicodeDecodeError, OSError):
            continue
        if "noqa" in text.lower():
            found.append((str(path), text))
    return found


def test_statement_bound_never_misses_a_noqa_flake8_would_see() -> None:
    """Where the fast path keeps a diagnostic untokenized, flake8's logical line has no noqa."""
    import ast

    from gclint.noqa import _line_mapping, _may_be_suppressed, physical_lines

    checked = 0
    for name, text in _sources():
        try:
            tree = ast.parse(text)
        except SyntaxError:
            continue
        lines = physical_lines(text)
        assert "".join(lines) == text
        mapping = _line_mapping(text, lines)
        marked = [i for i, line in enumerate(lines, 1) if "noqa" in line.lower()]
        for number in range(1, len(lines) + 1):
            seen = mapping.get(number, lines[number - 1])
            if not _may_be_suppressed(tree, number, marked):
                assert "noqa" not in seen.lower(), (name, number)
                checked += 1
    assert checked > 10_000  # the bound does let most lines through untokenized


def test_form_feed_does_not_shift_noqa_lines() -> None:
    source = "import gc\n\x0c\ndef f():\n    gc.disable()  # noqa: GCL401\n    gc.enable()\n"
    assert [d.code for d in check_source(source)] == []
    assert [d.code for d in check_source(source.replace("  # noqa: GCL401", ""))] == ["GCL401"]
