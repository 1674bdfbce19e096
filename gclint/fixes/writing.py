"""Writing a fixed file back: atomically, byte for byte where nothing changed, or not at all.

`encode_like(original, text)` encodes the new text as the original was: the same encoding
(coding cookie), the same UTF-8 byte-order mark; newlines and the trailing-newline state are
the text's own (the engine never translates them). `write_fixed(path, original, text)` writes a
temporary file in the same directory, syncs it, gives it the original's permission bits (and
owner, where allowed), checks that the file on disk still holds the bytes that were read, and
replaces it (`os.replace`, atomic on POSIX and Windows). Every failure is a `WriteError` with a
one-line message, and leaves the file untouched.

(The check and the replace are two steps: a writer that slips in between them loses its write.
Two gclint runs racing on one file both write the same fixed text, so that race is harmless.)
"""

from __future__ import annotations

import codecs
import contextlib
import os
import stat
import tempfile

from gclint.source import SourceText


class WriteError(Exception):
    """The file was not written; `str(exc)` says why (one line)."""


def encode_like(original: SourceText, text: str) -> bytes:
    """`text` encoded as `original` was (encoding, BOM); WriteError if it cannot be."""
    encoding = "utf-8" if original.bom else original.encoding
    prefix = codecs.BOM_UTF8 if original.bom else b""
    try:
        same = prefix + original.text.encode(encoding)
    except (UnicodeError, LookupError):
        same = b""
    if same != original.raw:
        raise WriteError(f"not written: its {encoding} text does not re-encode to the same bytes")
    try:
        return prefix + text.encode(encoding)
    except (UnicodeError, LookupError):
        raise WriteError(f"not written: the fixed text cannot be encoded as {encoding}") from None


def write_fixed(path: str, original: SourceText, text: str) -> None:
    """Replace the file at `path` (read as `original`) with `text`; see the module docstring."""
    data = encode_like(original, text)
    target = os.path.realpath(path)  # a symbolic link keeps pointing at the fixed file
    try:
        info = os.stat(target)
    except OSError as exc:
        raise WriteError(f"could not write: {_reason(exc)}") from None
    if not stat.S_ISREG(info.st_mode):
        raise WriteError("could not write: not a regular file")
    if not info.st_mode & 0o222 or not os.access(target, os.W_OK):
        raise WriteError("could not write: the file is read-only (left unchanged)")
    folder, name = os.path.split(target)
    try:
        fd, temp = tempfile.mkstemp(prefix=f".{name}.", suffix=".gclint-tmp", dir=folder or ".")
    except OSError as exc:
        raise WriteError(
            f"could not write: cannot create a file beside it: {_reason(exc)}"
        ) from None
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(temp, stat.S_IMODE(info.st_mode))
        with contextlib.suppress(OSError):  # only root may give a file away
            os.chown(temp, info.st_uid, info.st_gid)
        if _current(target) != original.raw:
            raise WriteError("not written: the file changed on disk since it was read")
        os.replace(temp, target)
    except BaseException as exc:
        with contextlib.suppress(OSError):
            os.unlink(temp)
        if isinstance(exc, OSError):
            raise WriteError(f"could not write: {_reason(exc)}") from None
        raise
    _sync_directory(folder)


def _current(path: str) -> bytes | None:
    try:
        with open(path, "rb") as fh:
            return fh.read()
    except OSError:
        return None


def _sync_directory(folder: str) -> None:
    if not hasattr(os, "O_DIRECTORY"):
        return
    with contextlib.suppress(OSError):
        fd = os.open(folder or ".", os.O_RDONLY | os.O_DIRECTORY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _reason(exc: OSError) -> str:
    return (exc.strerror or str(exc)).lower()
