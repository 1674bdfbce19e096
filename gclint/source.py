"""Reading and decoding Python source files, and parsing them, with clear one-line errors.

Every failure is a `SourceError` carrying the GCL0xx code it is reported under; nothing here lets
an exception about bad input escape as a traceback.
"""

from __future__ import annotations

import ast
import codecs
import io
import os
import re
import stat
import sys
import tokenize
import warnings
from typing import NamedTuple

PARSE_RECURSION_LIMIT = 20_000
_COOKIE = re.compile(rb"^[ \t\f]*#.*?coding[:=][ \t]*([-\w.]+)", re.MULTILINE)


class SourceError(Exception):
    """A file gclint cannot analyse: `code` is GCL001 (parse) or GCL002 (read/decode)."""

    def __init__(self, code: str, message: str, line: int = 1, col: int = 0) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.line = line
        self.col = col


class SourceText(NamedTuple):
    """Decoded source with what is needed to write it back byte for byte."""

    text: str
    encoding: str
    bom: bool
    raw: bytes


def decode(raw: bytes) -> SourceText:
    """Decode bytes as Python does: BOM, then PEP 263 coding cookie, then UTF-8."""
    if b"\x00" in raw:
        raise SourceError("GCL002", "file contains a null byte (binary file?)")
    bom = raw.startswith(codecs.BOM_UTF8)
    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(raw).readline)
    except SyntaxError as exc:
        reason = exc.msg
        if reason.startswith("invalid or missing encoding declaration"):
            if bom:
                reason = "not valid UTF-8, though it starts with a UTF-8 byte-order mark"
            else:
                reason = "not valid UTF-8, and no coding cookie names another encoding"
        elif bom and reason.startswith("encoding problem"):
            cookie = _COOKIE.search(b"\n".join(raw[3:].split(b"\n", 2)[:2]))
            name = cookie.group(1).decode("ascii", "replace") if cookie else "?"
            reason = (
                f"the coding cookie {name!r} conflicts with the UTF-8 byte-order mark"
                " (only 'utf-8' may follow a BOM)"
            )
        raise SourceError("GCL002", f"cannot decode: {reason}") from None
    try:
        text = raw.decode(encoding)
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise SourceError("GCL002", f"cannot decode as {encoding}: {exc.reason}", line) from None
    except (ValueError, LookupError, TypeError) as exc:
        # a cookie naming a codec that is not a text encoding ('rot13'), or one that fails in its
        # own way ('undefined', 'punycode' raise a bare UnicodeError)
        detail = str(exc.__cause__ or exc).replace("\n", " ")
        raise SourceError("GCL002", f"cannot decode as {encoding}: {detail}") from None
    if bom and text.startswith("\ufeff"):
        text = text[1:]
    return SourceText(text, encoding, bom, raw)


def read_source(path: str) -> SourceText:
    """Read a file's bytes and decode them; only regular files are read.

    The file is opened without blocking, so a named pipe (or a device) with a ``.py`` name is
    reported instead of waiting forever for a writer.
    """
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0)
    try:
        fd = os.open(path, flags)
    except FileNotFoundError:
        if os.path.islink(path):
            raise SourceError("GCL002", "cannot read: broken symbolic link") from None
        raise SourceError("GCL002", "cannot read: no such file") from None
    except IsADirectoryError:
        raise SourceError("GCL002", "cannot read: is a directory") from None
    except PermissionError:
        raise SourceError("GCL002", "cannot read: permission denied") from None
    except OSError as exc:
        raise SourceError("GCL002", f"cannot read: {_strerror(exc)}") from None
    try:
        with os.fdopen(fd, "rb") as fh:
            mode = os.fstat(fh.fileno()).st_mode
            if stat.S_ISDIR(mode):
                raise SourceError("GCL002", "cannot read: is a directory")
            if not stat.S_ISREG(mode):
                raise SourceError("GCL002", f"cannot read: not a regular file ({_kind(mode)})")
            raw = fh.read()
    except OSError as exc:
        raise SourceError("GCL002", f"cannot read: {_strerror(exc)}") from None
    return decode(raw)


def _strerror(exc: OSError) -> str:
    return (exc.strerror or str(exc)).lower()


def _kind(mode: int) -> str:
    if stat.S_ISFIFO(mode):
        return "a named pipe"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    return "not a file"


_PY2_HINTS = (
    "Missing parentheses in call to 'print'",
    "Missing parentheses in call to 'exec'",
    "invalid hexadecimal literal",
    "leading zeros in decimal integer literals are not permitted",
    "multiple exception types must be parenthesized",
)


def parse(text: str, path: str) -> ast.Module:
    """`ast.parse` with every failure turned into a GCL001 SourceError."""
    limit = sys.getrecursionlimit()
    try:
        # Building the tree of a long expression (``1+1+...`` with thousands of terms) recurses
        # once per term: allow that, up to PARSE_RECURSION_LIMIT; deeper is reported, not fatal.
        sys.setrecursionlimit(max(limit, PARSE_RECURSION_LIMIT))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # SyntaxWarning for invalid escapes etc.
            return ast.parse(text, filename=path)
    except SyntaxError as exc:
        msg = exc.msg or "invalid syntax"
        if any(hint in msg for hint in _PY2_HINTS):
            msg += " (Python 2 source is not supported)"
        line, col = exc.lineno or 1, (exc.offset or 1) - 1
        raise SourceError("GCL001", f"cannot parse: {msg}", line, col) from None
    except (RecursionError, MemoryError):
        raise SourceError("GCL001", "cannot parse: nested too deeply") from None
    except ValueError as exc:  # null bytes on older Pythons
        raise SourceError("GCL002", f"cannot parse: {exc}") from None
    finally:
        sys.setrecursionlimit(limit)
