"""Catalogue entries specified in rules.md whose analysis is not built yet.

Each is listed by ``gclint rules``, documented, accepted in ``select``/``ignore``, and never run.
"""

from __future__ import annotations

from gclint.diagnostics import FixSafety
from gclint.registry import planned

_RESOURCES = "https://docs.python.org/3/reference/datamodel.html#context-managers"
_CYCLES = "https://docs.python.org/3/library/gc.html"

planned(
    "GCL109",
    "resource-attribute-never-released",
    "a resource stored on `self` that no method of the class releases",
    FixSafety.NONE,
    why="The resource lives as long as the object and is released only when the object is "
    "finalized, which for an object in a reference cycle is whenever the collector runs.",
    reference=_RESOURCES,
)
planned(
    "GCL110",
    "cleanup-misses-cancellation",
    "a resource cleaned up in `except Exception:` that re-raises, with no `finally`",
    FixSafety.SAFE,
    why="`KeyboardInterrupt`, `SystemExit`, `GeneratorExit` and `asyncio.CancelledError` are "
    "not `Exception`s: every cancelled task leaks the resource.",
    reference="https://docs.python.org/3/library/exceptions.html#exception-hierarchy",
)
planned(
    "GCL111",
    "generator-not-closed",
    "a generator holding a resource iterated by a loop that can stop early, never closed",
    FixSafety.SAFE,
    why="The generator's `finally` runs only when the collector finalizes it; an async "
    "generator's runs in another task, or at loop shutdown.",
    reference="https://docs.python.org/3/library/contextlib.html#contextlib.aclosing",
)
planned(
    "GCL309",
    "listener-keeps-object-alive",
    "a bound method of `self` registered on a longer-lived object and never unregistered",
    FixSafety.NONE,
    why="The registry keeps `self` and everything it holds alive (the lapsed-listener leak).",
    reference="https://docs.python.org/3/library/weakref.html#weakref.WeakMethod",
)
planned(
    "GCL310",
    "instance-kept-in-registry",
    "`self` added to a class- or module-level container with no removal path",
    FixSafety.UNSAFE,
    why="Every instance then lives as long as the program.",
    reference="https://docs.python.org/3/library/weakref.html#weakref.WeakSet",
)
planned(
    "GCL311",
    "recursive-nested-function",
    "a nested function that calls itself by name, a cycle made on every call",
    FixSafety.NONE,
    why="Its closure cell refers to the function: every captured variable stays alive until "
    "the collector runs.",
    reference=_CYCLES,
)
planned(
    "GCL312",
    "task-reference-dropped",
    "the task returned by `asyncio.create_task()` discarded",
    FixSafety.NONE,
    why="The event loop keeps only a weak reference to a task: the collector can destroy it "
    "before it finishes, and its exception is never seen.",
    reference="https://docs.python.org/3/library/asyncio-task.html#asyncio.create_task",
)
