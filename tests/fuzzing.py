"""The fuzzing properties, written once: `tests/test_fuzz.py` checks them on a few hundred
derandomized examples, `bench/fuzz.py` on thousands with a random seed and without stopping at
the first failure.

The property: `gclint.check_source` on any source (a program, a damaged program, any bytes)
returns without raising, and `problems` finds nothing wrong with what it returned. Needs
Hypothesis (not hypothesmith: the program strategies are passed in, so that importing this
module writes nothing to Hypothesis's storage directory).
"""

from __future__ import annotations

import io
import re
import tokenize
import warnings

from hypothesis import strategies as st

from gclint import Diagnostic

PATH = "fuzz.py"  # the path every fuzzed source is checked (and compiled) as
CODE = re.compile(r"^GCL\d{3}$")
BOMS = (b"", b"\xef\xbb\xbf")
COOKIES = (b"", b"# coding: latin-1\n", b"# -*- coding: klingon -*-\n", b"# coding: utf-16\n")


def compiles(source: str | bytes) -> bool:
    """Whether CPython reads and compiles the source (then gclint must parse it too).

    Bytes are first decoded as ``python file.py`` does (BOM, coding cookie, else strict UTF-8):
    ``compile(bytes)`` alone accepts bytes that are not UTF-8 inside a comment, which
    ``python file.py`` rejects (SyntaxError: Non-UTF-8 code ...) and gclint reports as GCL002.
    """
    try:
        if isinstance(source, bytes):
            encoding, _ = tokenize.detect_encoding(io.BytesIO(source).readline)
            source.decode(encoding)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            compile(source, PATH, "exec", dont_inherit=True)
    except (SyntaxError, ValueError, LookupError, MemoryError, RecursionError, OverflowError):
        return False
    return True


def problems(source: str | bytes, diagnostics: list[Diagnostic]) -> list[str]:
    """What is wrong with `diagnostics`, gclint's answer on `source` checked as `PATH`; empty
    when the property holds.

    Every diagnostic is well-formed (a GCLnnn code, this path, a one-line message, a position
    from line 1 and column 0, a range that does not end before it starts and a line inside a
    text source, except for errors; `is_error` exactly for GCL0xx); none is GCL000 (an internal
    error); and there is no GCL001/GCL002 (parse or read error) on a source CPython compiles.
    """
    out = []
    n_lines = len(source.splitlines()) if isinstance(source, str) else None
    for d in diagnostics:
        if not CODE.match(d.code) or d.path != PATH or not d.message or d.line < 1 or d.col < 0:
            out.append(f"malformed diagnostic {d!r}")
        elif "\n" in d.message:
            out.append(f"multi-line message {d!r}")
        elif d.is_error != d.code.startswith("GCL0"):
            out.append(f"is_error disagrees with the code {d!r}")
        elif not d.is_error and (d.range.end_line, d.range.end_col) < (d.line, d.col):
            out.append(f"range ends before it starts {d!r}")
        elif not d.is_error and n_lines is not None and d.line > max(n_lines, 1):
            out.append(f"line past the end ({n_lines} lines) {d!r}")
        elif d.code == "GCL000":
            out.append(f"GCL000 {d.message}")
    if any(d.code in ("GCL001", "GCL002") for d in diagnostics) and compiles(source):
        out.append(f"parse error on a program CPython compiles {diagnostics!r}")
    return out


@st.composite
def damaged(draw: st.DrawFn, programs: st.SearchStrategy[str]) -> str:
    """A program of `programs` with one character deleted, duplicated or replaced (an empty
    program as it is)."""
    source = draw(programs)
    if not source:
        return source
    i = draw(st.integers(0, len(source) - 1))
    edit = draw(st.sampled_from(["delete", "duplicate", "replace"]))
    if edit == "delete":
        return source[:i] + source[i + 1 :]
    if edit == "duplicate":
        return source[:i] + source[i] + source[i:]
    return source[:i] + draw(st.characters()) + source[i + 1 :]


def prefixed(body: st.SearchStrategy[bytes]) -> st.SearchStrategy[bytes]:
    """`body` after one of `BOMS` and one of `COOKIES` (none, a real one, an unknown encoding,
    one that cannot be true of an ASCII line)."""
    return st.tuples(st.sampled_from(BOMS), st.sampled_from(COOKIES), body).map(
        lambda parts: parts[0] + parts[1] + parts[2]
    )
