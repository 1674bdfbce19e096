"""Process policy, in one place: how gclint behaves in the process that runs it.

Two kinds of process, one object each; the front end chooses (`use_batch`), `current()` says:

* `BATCH`: a process that only checks files (the ``gclint`` command and its ``-j`` workers). The
  cyclic collector runs rarely for the whole run, is paused during each file and what survives a
  file (parsed project modules kept for import resolution) is frozen; the process ends without
  tearing down its heap (`Batch.exit`).
* `GUEST` (the default): a process that checks files among other work (flake8, the language
  server, a caller of the Python API). It leaves the host as it found it: the collector is
  paused only while a file is checked and put back as it was, no tree is kept from one file to
  the next, the host's heap is never frozen, and its thresholds, recursion limit and
  ``sys.path`` are restored.

`reset()` forgets every cache gclint keeps in the process (`gclint.analysis.memo`). `run_deep`
retries a check that ran out of recursion in a thread with a large stack. Why each choice was
made, with its measurements: docs/performance.md, "Why the code is shaped as it is".
"""

from __future__ import annotations

import contextlib
import gc
import os
import sys
import threading
from collections.abc import Callable, Iterator
from typing import TypeVar

from gclint.analysis import memo
from gclint.analysis.imports import forget_stamps, release_trees
from gclint.analysis.inference import Inference

T = TypeVar("T")

GC_THRESHOLD0 = 100_000  # allocations between two young collections while checking
DEEP_RECURSION_LIMIT = 100_000
DEEP_STACK_SIZE = 512 * 1024 * 1024  # reserved, not committed: only touched pages use memory


@contextlib.contextmanager
def relaxed_gc() -> Iterator[None]:
    """The young generation collected every `GC_THRESHOLD0` allocations inside the block, and
    the previous thresholds put back after it (a no-op when the collector is off or a batch run
    set the threshold already). Checking frees what it allocates by reference counting."""
    before = gc.get_threshold()
    if before[0] >= GC_THRESHOLD0 or not gc.isenabled():
        yield
        return
    gc.set_threshold(GC_THRESHOLD0, *before[1:])
    try:
        yield
    finally:
        gc.set_threshold(*before)


class Hosting:
    """The policy of one kind of process."""

    batch = False

    @contextlib.contextmanager
    def checking(self) -> Iterator[None]:
        """Around one file's check (`gclint.engine.check_tree`)."""
        yield

    @contextlib.contextmanager
    def running(self) -> Iterator[None]:
        """Around one file's whole run: read, parse, check (`gclint.runner`)."""
        yield


class Guest(Hosting):
    @contextlib.contextmanager
    def checking(self) -> Iterator[None]:
        """The collector paused during the check (what it allocates is freed by reference
        counting) and restored as it was; afterwards the trees kept for import resolution are
        dropped and the file stamps forgotten (the next file may come after an edit). After a
        check that used astroid, what it built from the project is dropped and the heap collected
        once (its inference leaves cyclic garbage); the host's heap is never frozen."""
        builds = Inference.builds
        enabled = gc.isenabled()
        gc.disable()
        try:
            yield
        finally:
            release_trees()
            forget_stamps()
            if Inference.builds != builds:
                Inference.release_project_modules()
                if enabled:
                    gc.collect()
            if enabled:
                gc.enable()


class Batch(Hosting):
    batch = True

    @contextlib.contextmanager
    def running(self) -> Iterator[None]:
        """The collector paused during the file (a check leaves no cyclic garbage of its own:
        tests/test_walk.py), then what survived frozen so that no later pass traverses it; after a
        file that used astroid, the young generation is collected first."""
        if not gc.isenabled():
            yield
            return
        builds = Inference.builds
        gc.disable()
        try:
            yield
        finally:
            if Inference.builds != builds:
                gc.collect(0)
            gc.freeze()
            gc.enable()

    @staticmethod
    def exit(code: int) -> int:
        """End the process now, without tearing down its heap (as mypy does): everything is
        written and flushed. Returns only when standard output cannot be flushed for another
        reason than a closed pipe (exit status 2 for a closed pipe)."""
        gc.freeze()  # no collector pass over the kept heap at shutdown
        try:
            sys.stdout.flush()
        except BrokenPipeError:  # the reader went away (``| head``)
            code = 2
        except (OSError, ValueError):
            return code
        with contextlib.suppress(OSError, ValueError):
            sys.stderr.flush()
        os._exit(code)


GUEST = Guest()
BATCH = Batch()
_current: list[Hosting] = [GUEST]


def current() -> Hosting:
    return _current[0]


def use(policy: Hosting) -> Hosting:
    """Make `policy` this process's policy; returns the one it replaces."""
    previous, _current[0] = _current[0], policy
    return previous


def use_batch() -> None:
    """This process only checks files from now on: the relaxed collector for the whole run."""
    use(BATCH)
    gc.set_threshold(GC_THRESHOLD0, *gc.get_threshold()[1:])


def reset() -> None:
    """Forget every cache gclint keeps in this process."""
    memo.forget_all()


def run_deep(work: Callable[[], T]) -> T | None:
    """`work()` in a thread with a large stack and a high recursion limit; None if that fails."""
    outcome: list[T] = []

    def target() -> None:
        # on failure, keep the first attempt's GCL000 rather than print a thread's traceback
        with contextlib.suppress(BaseException):
            outcome.append(work())

    limit = sys.getrecursionlimit()
    try:
        previous = threading.stack_size(DEEP_STACK_SIZE)
    except (ValueError, RuntimeError):  # a platform that cannot size thread stacks
        return None
    try:
        thread = threading.Thread(target=target, name="gclint-deep", daemon=True)
        sys.setrecursionlimit(max(limit, DEEP_RECURSION_LIMIT))
        thread.start()
        thread.join()
    except RuntimeError:  # cannot start a thread (resource limits)
        return None
    finally:
        threading.stack_size(previous)
        sys.setrecursionlimit(limit)
    return outcome[0] if outcome else None
