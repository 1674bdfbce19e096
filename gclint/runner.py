"""Checking many files: the cache (``.gclint_cache/``) and parallel processes (``-j``).

The cache stores each file's diagnostics under a key made of the file's path and bytes, gclint's
version and code, the Python version, the effective configuration and the ``noqa`` setting. A
check also depends on the project files its imports led to, and on whether candidate files exist
(`gclint.analysis.inference.recording`): those paths are stored in the entry with their stat
stamps and checked before an entry is trusted. Entries are written atomically (a temporary file
in the same directory, then ``os.replace``), so concurrent runs and crashes leave either a whole
entry or none; an entry that cannot be read or parsed is ignored, never trusted.

With ``-j N`` the files that miss the cache are checked by N worker processes, in slices of
neighbouring files (see `_batches`).
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import json
import multiprocessing
import os
import stat
import sys
import tempfile
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from itertools import chain
from pathlib import Path
from typing import Any

from gclint import hosting
from gclint.analysis.imports import EXISTS, Stamp, current_digest, digest_for, recording, stamp
from gclint.config import Config
from gclint.diagnostics import Diagnostic, Fix, FixSafety, Range
from gclint.engine import check_file
from gclint.source import SourceError, SourceText, read_source
from gclint.version import __version__

CACHE_DIR = ".gclint_cache"
CACHE_FORMAT = 2
Deps = dict[str, tuple[Stamp, "str | None"]]  # path -> (stamp, statement digest)
PARALLEL_MIN_FILES = 16  # below this, starting processes costs more than it saves


@dataclass
class Checked:
    """One file's outcome as the runner reports it (no source text: read again when shown)."""

    path: str
    diagnostics: list[Diagnostic] = field(default_factory=list)
    decoded: bool = False  # the file was read and decoded (it counts as checked)
    source: SourceText | None = None  # kept for standard input; files are read again if needed

    @property
    def has_error(self) -> bool:
        return any(d.is_error for d in self.diagnostics)

    def load_source(self) -> SourceText | None:
        """The decoded source (read again from the file unless kept), or None if unreadable."""
        if self.source is None:
            try:
                self.source = read_source(self.path)
            except SourceError:
                return None
        return self.source

    def source_text(self) -> str | None:
        source = self.load_source()
        return source.text if source is not None else None


def default_jobs() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


# -- the cache ------------------------------------------------------------------------------------


def _code_fingerprint() -> str:
    """gclint's own code: a development checkout's cache must not outlive an edit of a rule."""
    package = Path(__file__).parent
    digest = hashlib.sha256(__version__.encode())
    for path in sorted(package.rglob("*.py")):
        st = path.stat()
        digest.update(f"{path.relative_to(package)}:{st.st_mtime_ns}:{st.st_size};".encode())
    return digest.hexdigest()


def _config_fingerprint(config: Config) -> str:
    values = {f.name: getattr(config, f.name) for f in dataclasses.fields(config)}
    values.pop("source", None)
    return json.dumps(values, sort_keys=True, default=str)


class Cache:
    """Diagnostics per file, keyed on content, code, interpreter and configuration."""

    def __init__(self, root: str, config: Config, noqa: bool) -> None:
        self.directory = os.path.join(root, CACHE_DIR, f"v{CACHE_FORMAT}")
        base = hashlib.sha256()
        for part in (
            _code_fingerprint(),
            sys.version,
            _config_fingerprint(config),
            f"noqa={noqa}",
        ):
            base.update(part.encode("utf-8", "surrogateescape") + b"\0")
        self._base = base
        self._ready = False

    def key(self, path: str, raw: bytes) -> str:
        digest = self._base.copy()
        digest.update(os.path.abspath(path).encode("utf-8", "surrogateescape") + b"\0")
        digest.update(path.encode("utf-8", "surrogateescape") + b"\0")
        digest.update(raw)
        return digest.hexdigest()

    def _entry(self, key: str) -> str:
        return os.path.join(self.directory, key[:2], key + ".json")

    def get(self, path: str, key: str) -> Checked | None:
        try:
            with open(self._entry(key), encoding="utf-8") as fh:
                data = json.load(fh)
            if data.get("format") != CACHE_FORMAT:
                return None
            refreshed: Deps = {}
            restamped = False
            for dep, recorded, digest in data["deps"]:
                now = stamp(dep)
                if recorded == list(EXISTS):  # looked at only to know it is a regular file
                    if now is None:
                        return None
                    refreshed[dep] = (EXISTS, None)
                    continue
                if (list(now) if now is not None else None) != recorded:
                    # a file the check consulted changed, appeared or went away: still valid
                    # only if it is a module read for its statements, and they are unchanged
                    if digest is None or now is None or current_digest(dep) != digest:
                        return None
                    restamped = True
                refreshed[dep] = (now, digest)
            diagnostics = [_diagnostic_from_json(d, path) for d in data["diagnostics"]]
            result = Checked(path, diagnostics, decoded=bool(data["decoded"]))
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            return None  # missing, unreadable or broken: never trusted
        if restamped:
            self._write(key, result, refreshed)  # the new stamps: no re-hashing next time
        return result

    def put(self, key: str, result: Checked, deps: Deps) -> None:
        self._write(key, result, deps)

    def _write(self, key: str, result: Checked, deps: Deps) -> None:
        data = {
            "format": CACHE_FORMAT,
            "decoded": result.decoded,
            "deps": sorted(
                [p, list(s) if s is not None else None, digest] for p, (s, digest) in deps.items()
            ),
            "diagnostics": [_diagnostic_to_json(d) for d in result.diagnostics],
        }
        target = self._entry(key)
        try:
            self._prepare()
            os.makedirs(os.path.dirname(target), exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=os.path.dirname(target), prefix=".tmp-", suffix=".json")
            try:
                with os.fdopen(fd, "w", encoding="utf-8") as fh:
                    json.dump(data, fh, separators=(",", ":"))
                os.replace(tmp, target)
            except BaseException:
                with contextlib.suppress(OSError):
                    os.unlink(tmp)
                raise
        except OSError:
            pass  # a read-only tree, a full disk: the run goes on without caching

    def _prepare(self) -> None:
        if self._ready:
            return
        top = os.path.dirname(self.directory)
        os.makedirs(self.directory, exist_ok=True)
        tag = os.path.join(top, "CACHEDIR.TAG")
        if not os.path.exists(tag):
            with contextlib.suppress(OSError), open(tag, "w", encoding="ascii") as fh:
                fh.write("Signature: 8a477f597d28d172789f06886806bc55\n# gclint's cache\n")
        ignore = os.path.join(top, ".gitignore")
        if not os.path.exists(ignore):
            with contextlib.suppress(OSError), open(ignore, "w", encoding="ascii") as fh:
                fh.write("# created by gclint\n*\n")
        self._ready = True


def _diagnostic_to_json(diag: Diagnostic) -> dict[str, Any]:
    fix = diag.fix
    return {
        "code": diag.code,
        "name": diag.name,
        "range": diag.range._asdict(),
        "message": diag.message,
        "fix": None if fix is None else {**fix._asdict(), "safety": fix.safety.value},
        "is_error": diag.is_error,
    }


def _diagnostic_from_json(data: dict[str, Any], path: str) -> Diagnostic:
    fix = data.get("fix")
    return Diagnostic(
        code=str(data["code"]),
        name=str(data["name"]),
        path=path,
        range=Range(**data["range"]),
        message=str(data["message"]),
        fix=Fix(**{**fix, "safety": FixSafety(fix["safety"])}) if fix else None,
        is_error=bool(data["is_error"]),
    )


# -- checking -------------------------------------------------------------------------------------


def _check_one(path: str, config: Config, noqa: bool, raw: bytes | None) -> Checked:
    result = check_file(path, config, raw=raw, noqa=noqa)
    return Checked(path, result.diagnostics, decoded=result.source is not None)


def _check_recorded(
    path: str, config: Config, noqa: bool, raw: bytes | None, record: bool = True
) -> tuple[Checked, Deps]:
    """The check, and each file it consulted with its stamp and (for a module it read for its
    statements, in this process) their digest. Without `record` (no cache to store them in),
    no digest is computed and the dependencies are empty."""
    with hosting.current().running(), recording(digests=record) as consulted:
        result = _check_one(path, config, noqa, raw)
    if not record:
        return result, {}
    return result, {p: (s, digest_for(p, s)) for p, s in consulted.items()}


def _worker_batch(
    tasks: list[tuple[str, Config, bool, bytes | None, bool]],
) -> list[tuple[Checked, Deps]]:
    return [_check_recorded(*task) for task in tasks]


def _batches(count: int, jobs: int, smallest: int = 4) -> list[tuple[int, int]]:
    """Slices of `count` files in their (path) order for `jobs` workers: each the next share of
    what is left, so large at first and small at the end (workers finish together).

    A worker checks neighbouring files, mostly of one package: the modules their imports lead to
    are parsed once in that worker and reused for its own checks. (Files dealt out 8 at a time
    made both workers parse nearly every imported module: 30% more CPU time than one process.)
    """
    out: list[tuple[int, int]] = []
    start = 0
    while start < count:
        size = max(smallest, (count - start) // (2 * jobs))
        out.append((start, min(count, start + size)))
        start += size
    return out


def _read(path: str) -> bytes | None:
    """The file's bytes for the cache key, or None (then the engine reports why it cannot)."""
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))  # a named pipe never blocks
    except OSError:
        return None
    with os.fdopen(fd, "rb") as fh:
        try:
            return fh.read() if stat.S_ISREG(os.fstat(fd).st_mode) else None
        except OSError:
            return None


def check_paths(
    files: Sequence[str],
    config: Config,
    *,
    noqa: bool = True,
    jobs: int = 1,
    cache: Cache | None = None,
) -> list[Checked]:
    """Check `files` (regular files found by discovery), using the cache and `jobs` processes."""
    results: dict[str, Checked] = {}
    todo: list[tuple[str, bytes | None, str | None]] = []
    for path in files:
        raw = _read(path) if cache is not None else None
        key = cache.key(path, raw) if cache is not None and raw is not None else None
        hit = cache.get(path, key) if cache is not None and key is not None else None
        if hit is not None:
            results[path] = hit
        else:
            todo.append((path, raw, key))

    def store(path: str, key: str | None, outcome: tuple[Checked, Deps]) -> None:
        result, deps = outcome
        results[path] = result
        if (
            cache is not None
            and key is not None
            and not any(d.is_error for d in result.diagnostics)
        ):
            cache.put(key, result, deps)

    if jobs > 1 and len(todo) >= PARALLEL_MIN_FILES:
        tasks = [(path, config, noqa, raw, cache is not None) for path, raw, _ in todo]
        batches = [tasks[start:end] for start, end in _batches(len(tasks), jobs)]
        with ProcessPoolExecutor(max_workers=jobs, mp_context=_context()) as pool:
            outcomes = chain.from_iterable(pool.map(_worker_batch, batches))
            for (path, _raw, key), outcome in zip(todo, outcomes, strict=True):
                store(path, key, outcome)
    else:
        for path, raw, key in todo:
            store(path, key, _check_recorded(path, config, noqa, raw, cache is not None))
    return [results[path] for path in files]


def _context() -> Any:
    methods = multiprocessing.get_all_start_methods()
    return multiprocessing.get_context("fork" if "fork" in methods else "spawn")
