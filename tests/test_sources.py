"""Bad input becomes a one-line GCL001/GCL002 diagnostic, never an exception."""

from __future__ import annotations

import codecs

import pytest

from gclint import check_source
from gclint.source import SourceError, decode


@pytest.mark.parametrize(
    ("raw", "code", "fragment"),
    [
        (b"def f(:\n", "GCL001", "cannot parse"),
        (b'print "hello"\n', "GCL001", "Python 2 source is not supported"),
        (b"except Exception, e:\n    pass\n", "GCL001", "cannot parse"),
        (b"x = 1\x00\n", "GCL002", "null byte"),
        (b"x = '\xff\xfe'\n", "GCL002", "not valid UTF-8"),
        (b"# coding: utf-8\nx = 1\ny = '\xff'\n", "GCL002", "cannot decode as utf-8"),
        (b"# -*- coding: klingon -*-\nx = 1\n", "GCL002", "cannot decode"),
        (codecs.BOM_UTF8 + b"# coding: latin-1\nx = 1\n", "GCL002", "cannot decode"),
        (b"x = " + b"[" * 300 + b"]" * 300 + b"\n", "GCL001", "cannot parse"),
    ],
)
def test_bad_input(raw: bytes, code: str, fragment: str) -> None:
    found = check_source(raw, "bad.py")
    assert [d.code for d in found] == [code]
    assert fragment in found[0].message
    assert "\n" not in found[0].message
    assert found[0].is_error


def test_encodings_decode_like_python() -> None:
    latin = decode(b"# coding: latin-1\nx = '\xe9'\n")
    assert latin.encoding == "iso-8859-1"
    assert "é" in latin.text
    bom = decode(codecs.BOM_UTF8 + b"x = 1\n")
    assert bom.bom
    assert bom.text == "x = 1\n"


def test_empty_and_deep_but_valid_files() -> None:
    assert check_source(b"", "empty.py") == []
    deep = "x = " + "+".join(["1"] * 3000) + "\n"
    assert check_source(deep, "deep.py") == []
    # deeper still: analysed, or reported cleanly, depending on the interpreter's limits
    deeper = "x = " + "+".join(["1"] * 60000) + "\n"
    assert [d.message for d in check_source(deeper, "deeper.py")] in (
        [],
        ["cannot parse: nested too deeply"],
    )


def test_source_error_carries_position() -> None:
    with pytest.raises(SourceError) as info:
        decode(b"x = 1\ny = '\xff'\n")
    assert info.value.line == 2


def test_columns_count_characters_not_bytes() -> None:
    source = (
        "import gc\n\n\ndef f(rows):\n"
        '    label = "ééé"; gc.disable()\n    rows.sort()\n    gc.enable()\n'
    )
    (diag,) = check_source(source, "x.py")
    assert (diag.line, diag.col) == (5, 19)
    assert source.splitlines()[4][diag.col :].startswith("gc.disable()")
